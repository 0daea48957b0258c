package server_test

import (
	"encoding/json"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"

	"lumdesk/handlers/server/servertest"
	"lumdesk/internal/platform/ids"
)

// deadDatabase is a URL nothing listens on: every query fails to connect,
// as while Postgres restarts.
func deadDatabase(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return "postgres://postgres@" + addr + "/lumdesk?connect_timeout=2"
}

// While the database is away every product API answers 503 with
// Retry-After in its own envelope, the console shows its error page, and
// /readyz fails; never a 500.
func TestDatabaseAwayIs503InEachFacesEnvelope(t *testing.T) {
	t.Parallel()
	e := servertest.NewOn(t, deadDatabase(t))
	hexKey := ids.Hex(64)
	for _, c := range []struct {
		name, method, path, header, value, body string
		envelope                                func(map[string]any) bool
	}{
		{"luarmor", "GET", "/api/luarmor/v3/projects/" + ids.Hex(22) + "/users", "Authorization", hexKey, "",
			func(m map[string]any) bool {
				return m["success"] == false && strings.Contains(m["message"].(string), "unavailable")
			}},
		{"luarmor loader check", "POST", "/api/luarmor/v3/projects/" + ids.Hex(22) + "/scripts/" + ids.Hex(32) + "/check", "", "",
			`{"script_key":"` + hexKey + `","hwid":"h"}`,
			func(m map[string]any) bool { return m["success"] == false }},
		{"lumi", "GET", "/api/lumi/v1/balance", "Authorization", "Bearer lumi_domains_" + ids.Token(40), "",
			func(m map[string]any) bool { return errCode(m) == "unavailable" }},
		{"lumio", "GET", "/api/lumio/developer/v1/extensions", "Authorization", "Bearer lm_dev_" + ids.Token(40), "",
			func(m map[string]any) bool { return errCode(m) == "unavailable" }},
		{"lumira", "GET", "/api/lumira/v1/groups", "Authorization", "Bearer lumira_" + ids.Token(40), "",
			func(m map[string]any) bool { return m["error"] == "unavailable" }},
		{"lumora", "GET", "/api/lumora/v1/suppressions", "x-api-key", "lum_sk_" + ids.Token(40), "",
			func(m map[string]any) bool { return errCode(m) == "unavailable" }},
	} {
		req, _ := http.NewRequest(c.method, e.URL+c.path, strings.NewReader(c.body))
		if c.header != "" {
			req.Header.Set(c.header, c.value)
		}
		if c.body != "" {
			req.Header.Set("Content-Type", "application/json")
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		raw, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		var m map[string]any
		if resp.StatusCode != 503 || resp.Header.Get("Retry-After") == "" || json.Unmarshal(raw, &m) != nil || !c.envelope(m) {
			t.Errorf("%s: %d Retry-After=%q %s", c.name, resp.StatusCode, resp.Header.Get("Retry-After"), raw)
		}
	}
	if r := e.Anonymous().Get("/readyz"); r.Status != 503 {
		t.Errorf("readyz %d", r.Status)
	}
	// The console's sign-in needs the database: a clear page, not a 500.
	r := e.Anonymous().Get("/login")
	if r.Status != 503 || !strings.Contains(r.Body, "cannot reach its database") || !r.Has("main, body") {
		t.Fatalf("login page %d %s", r.Status, r.Body)
	}
}

// errCode reads {"error": {"code": …}} or {"error": "code"}.
func errCode(m map[string]any) string {
	switch v := m["error"].(type) {
	case map[string]any:
		s, _ := v["code"].(string)
		return s
	case string:
		return v
	}
	return ""
}
