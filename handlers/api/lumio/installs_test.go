package lumio_test

import (
	"fmt"
	"strings"
	"testing"
)

func (w *lmWorld) approvedVersion(extID, version string) string {
	w.t.Helper()
	r := w.submit(extID, version, validBundle(w.t, version))
	id, _ := r.obj("version")["id"].(string)
	if r.Status != 202 {
		w.t.Fatalf("submit %s: %d %s", version, r.Status, r.Raw)
	}
	if _, err := w.env.Services.Marketplace.Approve(bg, actorLm, id, 100); err != nil {
		w.t.Fatal(err)
	}
	return id
}

func event(install, ext, ver, kind string) string {
	return fmt.Sprintf(`{"installId": %q, "extensionId": %q, "versionId": %q, "event": %q, "at": "2026-05-01T12:00:00Z"}`, install, ext, ver, kind)
}

func TestInstallEventsAndStats(t *testing.T) {
	t.Parallel()
	w := newLmWorld(t)
	ext := w.create(w.key, `{"name": "Installed"}`)
	v1 := w.approvedVersion(ext, "1.0.0")
	batch := `{"events": [` + strings.Join([]string{event("i-1", ext, v1, "install"), event("i-2", ext, v1, "install"),
		event("i-3", ext, v1, "install"), event("i-3", ext, v1, "uninstall")}, ",") + `]}`
	r := w.call("POST", "/api/lumio/v1/installs/events", w.operator, batch)
	if r.Status != 200 || r.Body["accepted"] != float64(4) || r.Body["duplicates"] != float64(0) || len(r.Body) != 2 {
		t.Fatalf("ingest: %d %s", r.Status, r.Raw)
	}
	r = w.call("POST", "/api/lumio/v1/installs/events", w.operator, batch)
	if r.Status != 200 || r.Body["accepted"] != float64(0) || r.Body["duplicates"] != float64(4) {
		t.Fatalf("replay: %d %s", r.Status, r.Raw)
	}
	r = w.call("GET", devBase+"/extensions/"+ext+"/installs", w.key, "")
	by, _ := r.Body["byVersion"].(map[string]any)
	if r.Status != 200 || r.Body["total"] != float64(3) || r.Body["active"] != float64(2) || len(by) != 1 || by[v1] != float64(2) || len(r.Body) != 3 {
		t.Fatalf("stats: %d %s", r.Status, r.Raw)
	}
	if r := w.call("GET", devBase+"/extensions/"+ext, w.key, ""); r.obj("extension")["installCount"] != float64(3) {
		t.Errorf("installCount: %s", r.Raw)
	}

	other := w.create(w.otherKey, `{"name": "Theirs"}`)
	for _, c := range []struct{ name, body string }{
		{"no events", `{"events": []}`},
		{"missing events", `{}`},
		{"too many", `{"events": [` + strings.Repeat(event("i", ext, v1, "install")+",", 1000) + event("i", ext, v1, "install") + `]}`},
		{"bad kind", `{"events": [` + event("i-9", ext, v1, "reinstall") + `]}`},
		{"bad time", `{"events": [{"installId": "i", "extensionId": "` + ext + `", "versionId": "` + v1 + `", "event": "install", "at": "yesterday"}]}`},
		{"missing field", `{"events": [{"installId": "i", "extensionId": "` + ext + `", "event": "install", "at": "2026-05-01T12:00:00Z"}]}`},
		{"unknown field", `{"events": [], "extra": 1}`},
		{"version of another extension", `{"events": [` + event("i-9", other, v1, "install") + `]}`},
		{"unknown extension", `{"events": [` + event("i-9", "ext_aaaaaaaaaaaaaaaa", v1, "install") + `]}`},
	} {
		wantLmErr(t, c.name, w.call("POST", "/api/lumio/v1/installs/events", w.operator, c.body), 422, "validation_error")
	}
	wantLmErr(t, "malformed", w.call("POST", "/api/lumio/v1/installs/events", w.operator, `{"events": [`), 400, "invalid_json")
	wantLmErr(t, "no key", w.call("POST", "/api/lumio/v1/installs/events", "", `{"events": []}`), 401, "unauthorized")
	if r := w.call("GET", devBase+"/extensions/"+ext+"/installs", w.key, ""); r.Body["total"] != float64(3) {
		t.Errorf("refused batches changed the stats: %s", r.Raw)
	}
}
