package lumio_test

import (
	"strings"
	"testing"

	"lumdesk/handlers/server/servertest"
	"lumdesk/internal/platform/syncbuf"
)

// A secret's value reaches no log line: not on success, not in a refusal
// that echoes the request, not in a panic-free error path.
func TestSecretValueInNoLogLine(t *testing.T) {
	t.Parallel()
	var log syncbuf.Buffer
	w := newLmWorldWith(t, func(opts ...servertest.Option) *servertest.Env { return servertest.NewLogged(t, &log, opts...) })
	id := w.create(w.key, `{"name": "Quiet"}`)
	const value = "sk_live_log_probe_4f1c"
	if r := w.call("PUT", devBase+"/extensions/"+id+"/secrets/API_KEY", w.key, `{"value": "`+value+`"}`); r.Status != 204 {
		t.Fatalf("set: %d %s", r.Status, r.Raw)
	}
	// Refusals: a bad name, a value too long, malformed JSON, another account's key.
	w.call("PUT", devBase+"/extensions/"+id+"/secrets/bad-name", w.key, `{"value": "`+value+`"}`)
	w.call("PUT", devBase+"/extensions/"+id+"/secrets/BIG", w.key, `{"value": "`+value+strings.Repeat("v", 4096)+`"}`)
	w.call("PUT", devBase+"/extensions/"+id+"/secrets/API_KEY", w.key, `{"value": "`+value+`"`)
	w.call("PUT", devBase+"/extensions/"+id+"/secrets/API_KEY", w.otherKey, `{"value": "`+value+`"}`)
	w.call("GET", devBase+"/extensions/"+id+"/secrets", w.key, "")

	got := log.String()
	// The log did record these requests, so its silence about the value means something.
	if !strings.Contains(got, "/secrets/API_KEY") {
		t.Fatalf("the app logged no request to the secret's path:\n%s", got)
	}
	if strings.Contains(got, value) {
		t.Errorf("a log line holds the secret's value:\n%s", got)
	}
}
