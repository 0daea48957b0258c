package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"lumdesk/internal/marketplace/bundle"
)

const lumioTestKey = "lm_dev_testkey"

// fakeLumioAPI implements the two endpoints deploy uses as the Developer
// API does: the upload is read part by part while it streams (fields
// first, then the bundle, validated on the fly), and the versions list
// moves a pending version to its decision after pollsBeforeDecision polls.
type fakeLumioAPI struct {
	t                   *testing.T
	extension           string
	decision            string // approved or rejected
	reason              string
	pollsBeforeDecision int
	failUpload          *apiError // answer the upload with this envelope

	mu        sync.Mutex
	polls     int
	submitted []versionJSON
	bundles   [][]byte
	changelog string
}

func (f *fakeLumioAPI) writeError(w http.ResponseWriter, e apiError) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(e.Status)
	json.NewEncoder(w).Encode(map[string]any{"error": e})
}

func (f *fakeLumioAPI) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Header.Get("Authorization") != "Bearer "+lumioTestKey {
		f.writeError(w, apiError{Code: "unauthorized", Message: "Missing or invalid API key.", Status: 401})
		return
	}
	prefix := "/api/lumio/developer/v1/extensions/"
	rest, ok := strings.CutPrefix(r.URL.Path, prefix)
	id, tail, _ := strings.Cut(rest, "/")
	if !ok || tail != "versions" {
		f.writeError(w, apiError{Code: "not_found", Message: "No such route.", Status: 404})
		return
	}
	if id != f.extension {
		f.writeError(w, apiError{Code: "extension_not_found", Message: "Extension " + id + " does not exist or you do not have access to it.", Status: 404})
		return
	}
	switch r.Method {
	case http.MethodPost:
		f.upload(w, r)
	case http.MethodGet:
		f.list(w)
	default:
		f.writeError(w, apiError{Code: "method_not_allowed", Message: "Method not allowed.", Status: 405})
	}
}

func (f *fakeLumioAPI) upload(w http.ResponseWriter, r *http.Request) {
	if f.failUpload != nil {
		f.writeError(w, *f.failUpload)
		return
	}
	if r.ContentLength != -1 {
		f.t.Errorf("upload has Content-Length %d: want a streamed (chunked) body", r.ContentLength)
	}
	mr, err := r.MultipartReader()
	if err != nil {
		f.writeError(w, apiError{Code: "validation_error", Message: "not multipart: " + err.Error(), Status: 422})
		return
	}
	fields := map[string]string{}
	var order []string
	for {
		part, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			f.writeError(w, apiError{Code: "validation_error", Message: err.Error(), Status: 422})
			return
		}
		order = append(order, part.FormName())
		if part.FormName() != "bundle" {
			b, _ := io.ReadAll(part)
			fields[part.FormName()] = string(b)
			continue
		}
		if _, ok := fields["version"]; !ok {
			f.writeError(w, apiError{Code: "validation_error", Message: "version must come before the bundle", Status: 422})
			return
		}
		var keep bytes.Buffer
		if _, err := bundle.Validate(r.Context(), part, bundle.DefaultLimits(), fields["version"], &keep); err != nil {
			f.writeError(w, apiError{Code: "invalid_bundle", Message: err.Error(), Status: 422})
			return
		}
		f.mu.Lock()
		f.bundles = append(f.bundles, keep.Bytes())
		f.mu.Unlock()
	}
	if strings.Join(order, ",") != "version,changelog,bundle" {
		f.writeError(w, apiError{Code: "validation_error", Message: "parts in order " + strings.Join(order, ","), Status: 422})
		return
	}
	f.mu.Lock()
	v := versionJSON{ID: "ver_" + strings.Repeat("a", 16), Version: fields["version"], Status: "pending"}
	f.submitted = append(f.submitted, v)
	f.changelog = fields["changelog"]
	f.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusAccepted)
	json.NewEncoder(w).Encode(map[string]any{"version": map[string]any{"id": v.ID, "version": v.Version, "status": v.Status,
		"submittedAt": "2026-05-01T12:00:00Z"}})
}

func (f *fakeLumioAPI) list(w http.ResponseWriter) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.polls++
	out := []map[string]any{{"id": "ver_older00000000000", "version": "1.0.0", "status": "approved"}}
	for _, v := range f.submitted {
		m := map[string]any{"id": v.ID, "version": v.Version, "status": "pending", "bundleSizeBytes": 100}
		if f.polls > f.pollsBeforeDecision {
			m["status"] = f.decision
			if f.decision == "rejected" {
				m["rejectionReason"] = f.reason
			}
		}
		out = append(out, m)
	}
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(map[string]any{"versions": out})
}

func lumioTestDist(t *testing.T, version string) string {
	t.Helper()
	dir := t.TempDir()
	for name, body := range map[string]string{
		"manifest.json":  `{"name":"scoreboard","version":"` + version + `"}`,
		"index.js":       "export default 1\n",
		"assets/app.css": "body{}\n",
	} {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

type lumioRun struct {
	code           int
	stdout, stderr string
}

func runLumio(t *testing.T, env map[string]string, args ...string) lumioRun {
	t.Helper()
	var out, errb bytes.Buffer
	code := run(context.Background(), args, func(k string) string { return env[k] }, &out, &errb)
	return lumioRun{code, out.String(), errb.String()}
}

func startFakeLumio(t *testing.T, f *fakeLumioAPI) map[string]string {
	f.t = t
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	return map[string]string{"LUMIO_API_KEY": lumioTestKey, "LUMIO_API_URL": srv.URL + "/api/lumio/developer/v1/"}
}

const lumioExt = "ext_abcdefghijklmnop"

func TestDeploySubmits(t *testing.T) {
	f := &fakeLumioAPI{extension: lumioExt, decision: "approved"}
	env := startFakeLumio(t, f)
	dist := lumioTestDist(t, "1.3.0")
	r := runLumio(t, env, "deploy", "--extension", lumioExt, "--version", "1.3.0", "--changelog", "Fixed overtime scores.", "--dir", dist)
	if r.code != 0 {
		t.Fatalf("exit %d, stderr %q", r.code, r.stderr)
	}
	if !strings.Contains(r.stdout, "ver_aaaaaaaaaaaaaaaa") || !strings.Contains(r.stdout, "pending") {
		t.Errorf("stdout %q: want the version id and its status", r.stdout)
	}
	if f.changelog != "Fixed overtime scores." || len(f.bundles) != 1 {
		t.Fatalf("server got changelog %q, %d bundles", f.changelog, len(f.bundles))
	}
	if f.polls != 0 {
		t.Errorf("polled %d times without --wait", f.polls)
	}
	// The upload is the reproducible pack of the directory.
	out := filepath.Join(t.TempDir(), "b.tar.gz")
	if r := runLumio(t, nil, "pack", "--dir", dist, "--out", out); r.code != 0 {
		t.Fatalf("pack: exit %d %s", r.code, r.stderr)
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(b, f.bundles[0]) {
		t.Error("the uploaded bundle differs from lumio pack's")
	}
}

func TestDeployWaitApproved(t *testing.T) {
	f := &fakeLumioAPI{extension: lumioExt, decision: "approved", pollsBeforeDecision: 2}
	env := startFakeLumio(t, f)
	r := runLumio(t, env, "deploy", "--extension", lumioExt, "--version", "2.0.0", "--changelog", "x",
		"--dir", lumioTestDist(t, "2.0.0"), "--wait", "--interval", "5ms")
	if r.code != 0 {
		t.Fatalf("exit %d, stderr %q", r.code, r.stderr)
	}
	if f.polls != 3 || !strings.Contains(r.stdout, "approved") {
		t.Errorf("polls %d, stdout %q", f.polls, r.stdout)
	}
}

func TestDeployWaitRejected(t *testing.T) {
	f := &fakeLumioAPI{extension: lumioExt, decision: "rejected", reason: "Bundle loads remote code.", pollsBeforeDecision: 1}
	env := startFakeLumio(t, f)
	r := runLumio(t, env, "deploy", "--extension", lumioExt, "--version", "2.0.0", "--changelog", "x",
		"--dir", lumioTestDist(t, "2.0.0"), "--wait", "--interval", "5ms")
	if r.code != 1 {
		t.Fatalf("exit %d, want 1; stderr %q", r.code, r.stderr)
	}
	if !strings.Contains(r.stderr, "rejected: Bundle loads remote code.") {
		t.Errorf("stderr %q: want the rejection reason", r.stderr)
	}
}

func TestDeployWaitTimeout(t *testing.T) {
	f := &fakeLumioAPI{extension: lumioExt, decision: "approved", pollsBeforeDecision: 1 << 30}
	env := startFakeLumio(t, f)
	r := runLumio(t, env, "deploy", "--extension", lumioExt, "--version", "2.0.0", "--changelog", "x",
		"--dir", lumioTestDist(t, "2.0.0"), "--wait", "--interval", "5ms", "--timeout", "60ms")
	if r.code != 1 || !strings.Contains(r.stderr, "still pending") {
		t.Fatalf("exit %d stderr %q: want 1 and still pending", r.code, r.stderr)
	}
}

func TestDeployAPIErrors(t *testing.T) {
	cases := []struct {
		name string
		f    *fakeLumioAPI
		env  func(map[string]string)
		ext  string
		want string
	}{
		{"unknown extension", &fakeLumioAPI{extension: lumioExt}, nil, "ext_zzzzzzzzzzzzzzzz",
			"lumio: extension_not_found: Extension ext_zzzzzzzzzzzzzzzz does not exist or you do not have access to it.\n"},
		{"bad key", &fakeLumioAPI{extension: lumioExt}, func(e map[string]string) { e["LUMIO_API_KEY"] = "lm_dev_wrong" }, lumioExt,
			"lumio: unauthorized: Missing or invalid API key.\n"},
		{"version exists", &fakeLumioAPI{extension: lumioExt, failUpload: &apiError{Code: "version_exists", Message: "Version 1.3.0 already exists.\nPick another.", Status: 409}}, nil, lumioExt,
			"lumio: version_exists: Version 1.3.0 already exists. Pick another.\n"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			env := startFakeLumio(t, tc.f)
			if tc.env != nil {
				tc.env(env)
			}
			r := runLumio(t, env, "deploy", "--extension", tc.ext, "--version", "1.3.0", "--changelog", "x", "--dir", lumioTestDist(t, "1.3.0"))
			if r.code != 1 || r.stderr != tc.want {
				t.Fatalf("exit %d stderr %q; want 1 and %q", r.code, r.stderr, tc.want)
			}
		})
	}
}

func TestDeployRefusesBeforeUploading(t *testing.T) {
	f := &fakeLumioAPI{extension: lumioExt}
	env := startFakeLumio(t, f)
	base := []string{"deploy", "--extension", lumioExt, "--version", "1.3.0", "--changelog", "x"}

	// No key: a clear error, nothing sent.
	r := runLumio(t, map[string]string{"LUMIO_API_URL": env["LUMIO_API_URL"]}, append(base, "--dir", lumioTestDist(t, "1.3.0"))...)
	if r.code != 1 || !strings.Contains(r.stderr, "LUMIO_API_KEY is not set") || !strings.Contains(r.stderr, "API Keys") {
		t.Errorf("missing key: exit %d stderr %q", r.code, r.stderr)
	}
	// A symlink in the directory.
	dist := lumioTestDist(t, "1.3.0")
	if err := os.Symlink("../secret", filepath.Join(dist, "assets", "link")); err != nil {
		t.Fatal(err)
	}
	r = runLumio(t, env, append(base, "--dir", dist)...)
	if r.code != 1 || !strings.Contains(r.stderr, "assets/link is a symbolic link") {
		t.Errorf("symlink: exit %d stderr %q", r.code, r.stderr)
	}
	// The manifest says another version.
	r = runLumio(t, env, append(base, "--dir", lumioTestDist(t, "1.2.0"))...)
	if r.code != 1 || !strings.Contains(r.stderr, `says version "1.2.0"`) {
		t.Errorf("manifest mismatch: exit %d stderr %q", r.code, r.stderr)
	}
	if len(f.bundles) != 0 || len(f.submitted) != 0 {
		t.Errorf("the server received %d uploads", len(f.bundles))
	}
}

func TestUsage(t *testing.T) {
	env := map[string]string{"LUMIO_API_KEY": lumioTestKey}
	for _, args := range [][]string{
		{},
		{"frobnicate"},
		{"deploy", "--version", "1.0.0"},
		{"deploy", "--extension", "ext_abcdefghijklmnop"},
		{"deploy", "--extension", "nope", "--version", "1.0.0"},
		{"deploy", "--extension", "ext_abcdefghijklmnop", "--version", "1.0.0", "--interval", "soon"},
		{"deploy", "--bogus"},
		{"pack", "--dir", "x"},
	} {
		if r := runLumio(t, env, args...); r.code != 2 || r.stderr == "" {
			t.Errorf("%q: exit %d stderr %q, want 2 and a message", args, r.code, r.stderr)
		}
	}
	r := runLumio(t, env, "--help")
	if r.code != 0 || !strings.Contains(r.stdout, "lumio deploy --extension") {
		t.Errorf("--help: exit %d stdout %q", r.code, r.stdout)
	}
	r = runLumio(t, env, "deploy", "--help")
	if r.code != 0 || !strings.Contains(r.stdout, "--wait") {
		t.Errorf("deploy --help: exit %d stdout %q", r.code, r.stdout)
	}
}
