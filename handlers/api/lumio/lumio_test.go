package lumio_test

import (
	"archive/tar"
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"mime/multipart"
	"net"
	"net/http"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"lumdesk/handlers/api/lumio"
	"lumdesk/handlers/server/servertest"
	"lumdesk/internal/accounts"
	"lumdesk/internal/apikeys"
	"lumdesk/internal/audit"
	"lumdesk/internal/platform/config"
)

var (
	bg       = context.Background()
	actorLm  = audit.CLI("lumio-api-test")
	allLumio = []string{"extensions:read", "extensions:write", "secrets:write"}
)

// lmWorld: two accounts, each with a key holding every developer scope, a
// read-only key of the first, and an operator key.
type lmWorld struct {
	t        *testing.T
	env      *servertest.Env
	acct     int64
	other    int64
	key      string
	keyID    int64
	otherKey string
	readKey  string
	operator string
	blobDir  string
}

func newLmWorld(t *testing.T, opts ...servertest.Option) *lmWorld {
	t.Helper()
	return newLmWorldWith(t, func(opts ...servertest.Option) *servertest.Env { return servertest.New(t, opts...) }, opts...)
}

// newLmWorldWith builds the world on the app newEnv starts.
func newLmWorldWith(t *testing.T, newEnv func(...servertest.Option) *servertest.Env, opts ...servertest.Option) *lmWorld {
	t.Helper()
	dir := t.TempDir()
	opts = append([]servertest.Option{func(c *config.Config) { c.DataDir = dir }}, opts...)
	w := &lmWorld{t: t, env: newEnv(opts...), blobDir: filepath.Join(dir, "blobs")}
	w.acct = w.account("Acme")
	w.other = w.account("Globex")
	var k apikeys.Created
	w.key, k = w.apiKey(&w.acct, allLumio, false)
	w.keyID = k.Key.ID
	w.otherKey, _ = w.apiKey(&w.other, allLumio, false)
	w.readKey, _ = w.apiKey(&w.acct, []string{"extensions:read"}, false)
	w.operator, _ = w.apiKey(nil, nil, true)
	return w
}

func (w *lmWorld) account(name string) int64 {
	w.t.Helper()
	acc, err := w.env.Services.Accounts.Create(bg, actorLm, accounts.CreateInput{Name: name, Email: "ops@" + strings.ToLower(name) + ".test"})
	if err != nil {
		w.t.Fatal(err)
	}
	return acc.ID
}

func (w *lmWorld) apiKey(acct *int64, scopes []string, operator bool) (string, apikeys.Created) {
	w.t.Helper()
	c, err := w.env.Services.APIKeys.Create(bg, actorLm, apikeys.CreateInput{Product: apikeys.Lumio, AccountID: acct, Operator: operator, Scopes: scopes})
	if err != nil {
		w.t.Fatal(err)
	}
	return c.Secret, c
}

type lmResp struct {
	Close  bool // the server closes the connection after it
	Status int
	Header http.Header
	Raw    string
	Body   map[string]any
}

func (r lmResp) obj(k string) map[string]any { m, _ := r.Body[k].(map[string]any); return m }

// call sends a request with the key as Bearer ("" for none).
func (w *lmWorld) call(method, path, key, body string, hdr ...string) lmResp {
	w.t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, w.env.URL+path, rd)
	if err != nil {
		w.t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	return w.do(req)
}

func (w *lmWorld) do(req *http.Request) lmResp {
	w.t.Helper()
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		w.t.Fatal(err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	r := lmResp{Status: res.StatusCode, Header: res.Header, Raw: string(raw), Close: res.Close}
	_ = json.Unmarshal(raw, &r.Body)
	return r
}

// wantLmErr asserts the status and the envelope: exactly error{code, message, status}.
func wantLmErr(t *testing.T, name string, r lmResp, status int, code string) {
	t.Helper()
	e := r.obj("error")
	msg, _ := e["message"].(string)
	st, _ := e["status"].(float64)
	if r.Status != status || e["code"] != code || msg == "" || int(st) != status || len(e) != 3 || len(r.Body) != 1 ||
		!strings.HasPrefix(r.Header.Get("Content-Type"), "application/json") {
		t.Errorf("%s: got %d %s; want %d %s", name, r.Status, r.Raw, status, code)
	}
}

func errMsg(r lmResp) string { s, _ := r.obj("error")["message"].(string); return s }

const devBase = "/api/lumio/developer/v1"

// create makes an extension through the API and returns its id.
func (w *lmWorld) create(key, body string) string {
	w.t.Helper()
	r := w.call("POST", devBase+"/extensions", key, body)
	id, _ := r.obj("extension")["id"].(string)
	if r.Status != 201 || id == "" {
		w.t.Fatalf("create: %d %s", r.Status, r.Raw)
	}
	return id
}

func TestExtensionsCRUD(t *testing.T) {
	t.Parallel()
	w := newLmWorld(t)
	r := w.call("POST", devBase+"/extensions", w.key, `{"name": "My New Extension", "short_description": "A brief description shown in search results.",
		"description": "Full Markdown description.", "pricing": {"type": "free"}}`)
	e := r.obj("extension")
	if r.Status != 201 || !strings.HasPrefix(e["id"].(string), "ext_") || e["slug"] != "my-new-extension" || e["status"] != "draft" ||
		e["shortDescription"] != "A brief description shown in search results." || e["visibility"] != "private" || e["createdAt"] == nil ||
		e["currentVersionId"] != nil || e["installCount"] != float64(0) {
		t.Fatalf("create: %d %s", r.Status, r.Raw)
	}
	id := e["id"].(string)

	r = w.call("GET", devBase+"/extensions/"+id, w.key, "")
	e = r.obj("extension")
	want := []string{"createdAt", "currentVersionId", "deprecated", "description", "id", "installCount", "name", "pricing", "ratingCount",
		"replacementId", "shortDescription", "slug", "status", "updatedAt", "visibility"}
	var got []string
	for k := range e {
		got = append(got, k)
	}
	slices.Sort(got)
	if r.Status != 200 || !slices.Equal(got, want) || e["description"] != "Full Markdown description." || e["ratingCount"] != float64(0) {
		t.Fatalf("get: %d %s (fields %v)", r.Status, r.Raw, got)
	}
	if p, _ := e["pricing"].(map[string]any); p["type"] != "free" || len(p) != 1 {
		t.Errorf("pricing %v", e["pricing"])
	}

	// PATCH changes only what is given; camelCase and snake_case both work.
	r = w.call("PATCH", devBase+"/extensions/"+id, w.key, `{"shortDescription": "Shorter.", "pricing": {"type": "subscription", "amount": 4.99, "interval": "month"}}`)
	e = r.obj("extension")
	if p, _ := e["pricing"].(map[string]any); r.Status != 200 || e["shortDescription"] != "Shorter." || e["name"] != "My New Extension" ||
		e["description"] != "Full Markdown description." || p["amount"] != "4.99" || p["currency"] != "USD" || p["interval"] != "month" {
		t.Fatalf("patch: %d %s", r.Status, r.Raw)
	}
	r = w.call("PATCH", devBase+"/extensions/"+id, w.key, `{"short_description": "Snake."}`)
	if r.obj("extension")["shortDescription"] != "Snake." {
		t.Fatalf("snake patch: %s", r.Raw)
	}
	wantLmErr(t, "two spellings that disagree", w.call("PATCH", devBase+"/extensions/"+id, w.key, `{"short_description": "a", "shortDescription": "b"}`), 422, "validation_error")
	wantLmErr(t, "unknown field", w.call("PATCH", devBase+"/extensions/"+id, w.key, `{"colour": "red"}`), 422, "validation_error")
	wantLmErr(t, "public without an approved version", w.call("PATCH", devBase+"/extensions/"+id, w.key, `{"visibility": "public"}`), 422, "validation_error")
	wantLmErr(t, "bad price", w.call("PATCH", devBase+"/extensions/"+id, w.key, `{"pricing": {"type": "one_time", "amount": "-1"}}`), 422, "validation_error")
	wantLmErr(t, "empty name", w.call("POST", devBase+"/extensions", w.key, `{"name": "  "}`), 422, "validation_error")
	wantLmErr(t, "malformed JSON", w.call("POST", devBase+"/extensions", w.key, `{"name": `), 400, "invalid_json")
	wantLmErr(t, "not an object", w.call("POST", devBase+"/extensions", w.key, `["name"]`), 400, "invalid_json")
	wantLmErr(t, "not JSON", w.call("POST", devBase+"/extensions", w.key, `name=x`, "Content-Type", "application/x-www-form-urlencoded"), 415, "unsupported_media_type")

	// The list: the account's own only.
	w.create(w.otherKey, `{"name": "Globex Thing"}`)
	r = w.call("GET", devBase+"/extensions", w.key, "")
	list, _ := r.Body["extensions"].([]any)
	if r.Status != 200 || len(list) != 1 || list[0].(map[string]any)["id"] != id || list[0].(map[string]any)["shortDescription"] != nil {
		t.Fatalf("list: %d %s", r.Status, r.Raw)
	}

	// Delete: 204, then not found.
	if r := w.call("DELETE", devBase+"/extensions/"+id, w.key, ""); r.Status != 204 || r.Raw != "" {
		t.Fatalf("delete: %d %s", r.Status, r.Raw)
	}
	wantLmErr(t, "deleted", w.call("GET", devBase+"/extensions/"+id, w.key, ""), 404, "extension_not_found")
	if got := errMsg(w.call("GET", devBase+"/extensions/"+id, w.key, "")); got != "Extension "+id+" does not exist or you do not have access to it." {
		t.Errorf("not-found message %q", got)
	}
	wantLmErr(t, "malformed id", w.call("GET", devBase+"/extensions/nope", w.key, ""), 404, "extension_not_found")
}

func TestListPages(t *testing.T) {
	t.Parallel()
	w := newLmWorld(t)
	for i := range 3 {
		w.create(w.key, fmt.Sprintf(`{"name": "Ext %d"}`, i))
	}
	var seen []string
	cursor := ""
	for range 4 {
		path := devBase + "/extensions?limit=2"
		if cursor != "" {
			path += "&cursor=" + cursor
		}
		r := w.call("GET", path, w.key, "")
		list, _ := r.Body["extensions"].([]any)
		for _, e := range list {
			seen = append(seen, e.(map[string]any)["name"].(string))
		}
		cursor, _ = r.Body["nextCursor"].(string)
		if cursor == "" {
			break
		}
	}
	if want := []string{"Ext 2", "Ext 1", "Ext 0"}; !slices.Equal(seen, want) {
		t.Errorf("pages: %v", seen)
	}
	wantLmErr(t, "bad cursor", w.call("GET", devBase+"/extensions?cursor=zzz", w.key, ""), 422, "validation_error")
	wantLmErr(t, "bad limit", w.call("GET", devBase+"/extensions?limit=0", w.key, ""), 422, "validation_error")
}

// An operator key reaches every account and names the account on create.
func TestOperatorKey(t *testing.T) {
	t.Parallel()
	w := newLmWorld(t)
	id := w.create(w.key, `{"name": "Acme Ext"}`)
	if r := w.call("GET", devBase+"/extensions/"+id, w.operator, ""); r.Status != 200 {
		t.Fatalf("operator get: %d %s", r.Status, r.Raw)
	}
	wantLmErr(t, "operator without account", w.call("POST", devBase+"/extensions", w.operator, `{"name": "X"}`), 422, "validation_error")
	r := w.call("POST", devBase+"/extensions", w.operator, fmt.Sprintf(`{"name": "For Globex", "accountId": %d}`, w.other))
	if r.Status != 201 {
		t.Fatalf("operator create: %d %s", r.Status, r.Raw)
	}
	if r := w.call("GET", devBase+"/extensions/"+r.obj("extension")["id"].(string), w.otherKey, ""); r.Status != 200 {
		t.Fatalf("the account sees the operator's extension: %d %s", r.Status, r.Raw)
	}
	wantLmErr(t, "accountId from an account key", w.call("POST", devBase+"/extensions", w.key, fmt.Sprintf(`{"name": "X", "accountId": %d}`, w.other)), 422, "validation_error")
}

func TestAuthScopesAndEnvelopes(t *testing.T) {
	t.Parallel()
	w := newLmWorld(t)
	id := w.create(w.key, `{"name": "Scoped"}`)
	wantLmErr(t, "no key", w.call("GET", devBase+"/extensions", "", ""), 401, "unauthorized")
	wantLmErr(t, "unknown key", w.call("GET", devBase+"/extensions", "lm_dev_"+strings.Repeat("a", 40), ""), 401, "unauthorized")
	luarmor, err := w.env.Services.APIKeys.Create(bg, actorLm, apikeys.CreateInput{Product: apikeys.Luarmor, AccountID: &w.acct, Scopes: []string{"keys:read"}})
	if err != nil {
		t.Fatal(err)
	}
	wantLmErr(t, "another product's key", w.call("GET", devBase+"/extensions", luarmor.Secret, ""), 401, "unauthorized")
	wantLmErr(t, "read-only key writes", w.call("POST", devBase+"/extensions", w.readKey, `{"name": "X"}`), 403, "forbidden")
	wantLmErr(t, "read-only key sets a secret", w.call("PUT", devBase+"/extensions/"+id+"/secrets/API_KEY", w.readKey, `{"value": "x"}`), 403, "forbidden")
	wantLmErr(t, "account key reports installs", w.call("POST", "/api/lumio/v1/installs/events", w.key, `{"events": []}`), 403, "forbidden")
	if r := w.call("GET", devBase+"/extensions/"+id, w.readKey, ""); r.Status != 200 {
		t.Fatalf("read-only key reads: %d", r.Status)
	}

	wantLmErr(t, "unknown path", w.call("GET", "/api/lumio/nothing", "", ""), 404, "not_found")
	wantLmErr(t, "unknown developer path", w.call("GET", devBase+"/nothing", w.key, ""), 404, "not_found")
	r := w.call("PUT", devBase+"/extensions/"+id, w.key, `{}`)
	wantLmErr(t, "wrong method", r, 405, "method_not_allowed")
	if allow := r.Header.Get("Allow"); allow != "GET, PATCH, DELETE" {
		t.Errorf("Allow %q", allow)
	}
	wantLmErr(t, "unknown method", w.call("PROPFIND", devBase+"/extensions", w.key, ""), 405, "method_not_allowed")

	// Announce a body over the limit and send none of it: refused on the header alone.
	res := rawRequest(t, w.env.URL, fmt.Sprintf("PATCH %s/extensions/%s HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n",
		devBase, id, w.key, 5<<20))
	wantLmErr(t, "too large", res, 413, "payload_too_large")
}

// rawRequest writes head on a fresh connection and reads the answer.
func rawRequest(t *testing.T, base, head string) lmResp {
	t.Helper()
	conn, err := net.Dial("tcp", strings.TrimPrefix(base, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := io.WriteString(conn, head); err != nil {
		t.Fatal(err)
	}
	_ = conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	return readLmResp(t, conn)
}

func readLmResp(t *testing.T, conn net.Conn) lmResp {
	t.Helper()
	res, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	r := lmResp{Status: res.StatusCode, Header: res.Header, Raw: string(raw), Close: res.Close}
	_ = json.Unmarshal(raw, &r.Body)
	return r
}

// Another account's key gets 404 extension_not_found on every :id route,
// whatever it sends.
func TestOtherAccountNotFound(t *testing.T) {
	t.Parallel()
	w := newLmWorld(t)
	id := w.create(w.key, `{"name": "Private"}`)
	if r := w.call("PUT", devBase+"/extensions/"+id+"/secrets/API_KEY", w.key, `{"value": "v"}`); r.Status != 204 {
		t.Fatalf("set secret: %d %s", r.Status, r.Raw)
	}
	body, ct := uploadBody(t, "1.0.0", "first", validBundle(t, "1.0.0"))
	for _, c := range []struct{ method, path, body string }{
		{"GET", "", ""}, {"PATCH", "", `{"name": "Mine"}`}, {"PATCH", "", `{"bogus": 1}`}, {"PATCH", "", `{"name": `}, {"DELETE", "", ""},
		{"GET", "/versions", ""}, {"GET", "/versions/ver_aaaaaaaaaaaaaaaa", ""}, {"GET", "/installs", ""},
		{"GET", "/secrets", ""}, {"PUT", "/secrets/API_KEY", `{"value": "stolen"}`}, {"PUT", "/secrets/API_KEY", `not json`},
		{"DELETE", "/secrets/API_KEY", ""},
	} {
		r := w.call(c.method, devBase+"/extensions/"+id+c.path, w.otherKey, c.body)
		wantLmErr(t, c.method+" "+c.path, r, 404, "extension_not_found")
	}
	req, _ := http.NewRequest("POST", w.env.URL+devBase+"/extensions/"+id+"/versions", bytes.NewReader(body))
	req.Header.Set("Content-Type", ct)
	req.Header.Set("Authorization", "Bearer "+w.otherKey)
	wantLmErr(t, "upload", w.do(req), 404, "extension_not_found")
	// Nothing changed.
	r := w.call("GET", devBase+"/extensions/"+id+"/secrets", w.key, "")
	if keys, _ := r.Body["keys"].([]any); len(keys) != 1 {
		t.Errorf("secrets after the other account's attempts: %s", r.Raw)
	}
	if r := w.call("GET", devBase+"/extensions/"+id, w.key, ""); r.obj("extension")["name"] != "Private" {
		t.Errorf("extension after: %s", r.Raw)
	}
}

// The OpenAPI document names exactly the routes served.
func TestOpenAPIListsServedRoutes(t *testing.T) {
	t.Parallel()
	w := newLmWorld(t)
	r := w.call("GET", "/api/lumio/openapi.json", "", "")
	var doc struct {
		OpenAPI string                    `json:"openapi"`
		Paths   map[string]map[string]any `json:"paths"`
	}
	if err := json.Unmarshal([]byte(r.Raw), &doc); err != nil || r.Status != 200 || doc.OpenAPI != "3.1.0" {
		t.Fatalf("openapi: %d %v", r.Status, err)
	}
	var documented []string
	for path, ops := range doc.Paths {
		for m := range ops {
			documented = append(documented, strings.ToUpper(m)+" "+path)
		}
	}
	param := regexp.MustCompile(`:([a-z_]+)`)
	var served []string
	for _, rt := range w.env.Handlers.Table() {
		if strings.HasPrefix(rt.Path, lumio.Prefix+"/") && !strings.HasSuffix(rt.Path, "*") {
			served = append(served, rt.Method+" "+param.ReplaceAllString(strings.TrimPrefix(rt.Path, lumio.Prefix), "{$1}"))
		}
	}
	slices.Sort(documented)
	slices.Sort(served)
	if diff := cmp.Diff(served, documented); diff != "" {
		t.Errorf("openapi paths (-served +documented):\n%s", diff)
	}
}

// --- bundles ---

type tarEntry struct {
	name string
	typ  byte
	body []byte
	link string
}

func tarGz(t *testing.T, entries ...tarEntry) []byte {
	t.Helper()
	var buf bytes.Buffer
	gz := gzip.NewWriter(&buf)
	tw := tar.NewWriter(gz)
	for _, e := range entries {
		typ := e.typ
		if typ == 0 {
			typ = tar.TypeReg
		}
		h := &tar.Header{Name: e.name, Typeflag: typ, Mode: 0o644, Linkname: e.link, Format: tar.FormatPAX}
		if typ == tar.TypeReg {
			h.Size = int64(len(e.body))
		}
		if err := tw.WriteHeader(h); err != nil {
			t.Fatal(err)
		}
		if typ == tar.TypeReg {
			if _, err := tw.Write(e.body); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := gz.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func manifest(version string) tarEntry {
	return tarEntry{name: "manifest.json", body: []byte(`{"name": "scoreboard", "version": "` + version + `"}`)}
}

func validBundle(t *testing.T, version string) []byte {
	return tarGz(t, manifest(version), tarEntry{name: "dist/index.js", body: []byte("console.log('score');\n")})
}

// uploadBody is a multipart body with version, changelog and then bundle.
func uploadBody(t *testing.T, version, changelog string, bundle []byte) ([]byte, string) {
	t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	_ = mw.WriteField("version", version)
	_ = mw.WriteField("changelog", changelog)
	fw, _ := mw.CreateFormFile("bundle", "bundle.tar.gz")
	_, _ = fw.Write(bundle)
	_ = mw.Close()
	return buf.Bytes(), mw.FormDataContentType()
}

// upload posts the body as it is produced (chunked, never whole in the client).
func (w *lmWorld) upload(key, extID string, body io.Reader, contentType string) lmResp {
	w.t.Helper()
	req, err := http.NewRequest("POST", w.env.URL+devBase+"/extensions/"+extID+"/versions", body)
	if err != nil {
		w.t.Fatal(err)
	}
	req.Header.Set("Content-Type", contentType)
	req.Header.Set("Authorization", "Bearer "+key)
	return w.do(req)
}

func (w *lmWorld) submit(extID, version string, bundle []byte) lmResp {
	w.t.Helper()
	body, ct := uploadBody(w.t, version, "changes in "+version, bundle)
	return w.upload(w.key, extID, bytes.NewReader(body), ct)
}

// blobFiles are the files of the blob store (committed and pending).
func (w *lmWorld) blobFiles() []string {
	w.t.Helper()
	var out []string
	_ = filepath.WalkDir(w.blobDir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			out = append(out, filepath.Base(p))
		}
		return nil
	})
	return out
}

func (w *lmWorld) versionRows(extID string) int {
	w.t.Helper()
	var n int
	if err := w.env.DB.Pool.QueryRow(bg, `SELECT count(*) FROM marketplace_versions v JOIN marketplace_extensions e ON e.id = v.extension_id
		WHERE e.public_id = $1`, extID).Scan(&n); err != nil {
		w.t.Fatal(err)
	}
	return n
}

func TestSubmitVersionStreams(t *testing.T) {
	t.Parallel()
	w := newLmWorld(t)
	id := w.create(w.key, `{"name": "Scoreboard"}`)
	bundle := validBundle(t, "1.2.0")
	body, ct := uploadBody(t, "1.2.0", "Fixed score display for overtime games.", bundle)
	// Through a pipe: the client sends it chunked, as it is produced.
	pr, pw := io.Pipe()
	go func() {
		for chunk := range slices.Chunk(body, 512) {
			if _, err := pw.Write(chunk); err != nil {
				return
			}
		}
		pw.Close()
	}()
	r := w.upload(w.key, id, pr, ct)
	v := r.obj("version")
	if r.Status != 202 || !strings.HasPrefix(v["id"].(string), "ver_") || v["version"] != "1.2.0" || v["status"] != "pending" || v["submittedAt"] == nil || len(v) != 4 {
		t.Fatalf("submit: %d %s", r.Status, r.Raw)
	}
	if r.Close {
		t.Errorf("a fully read upload closes the connection")
	}
	sum := sha256.Sum256(bundle)
	if files := w.blobFiles(); !slices.Equal(files, []string{hex.EncodeToString(sum[:])}) {
		t.Errorf("blob store holds %v, want the bundle under its sha256", files)
	}
	r = w.call("GET", devBase+"/extensions/"+id+"/versions", w.key, "")
	vs, _ := r.Body["versions"].([]any)
	if r.Status != 200 || len(vs) != 1 {
		t.Fatalf("versions: %d %s", r.Status, r.Raw)
	}
	got := vs[0].(map[string]any)
	if got["id"] != v["id"] || got["bundleSizeBytes"] != float64(len(bundle)) || got["changelog"] != "Fixed score display for overtime games." ||
		got["approvedAt"] != nil || got["rolloutPercent"] == nil || got["status"] != "pending" {
		t.Errorf("version %v", got)
	}
	if _, has := got["rejectionReason"]; has {
		t.Errorf("a pending version has a rejection reason: %v", got)
	}
	if r := w.call("GET", devBase+"/extensions/"+id+"/versions/"+v["id"].(string), w.key, ""); r.Status != 200 || r.obj("version")["version"] != "1.2.0" {
		t.Errorf("get version: %d %s", r.Status, r.Raw)
	}
	if r := w.call("GET", devBase+"/extensions/"+id, w.key, ""); r.obj("extension")["status"] != "pending" {
		t.Errorf("extension after a submission: %s", r.Raw)
	}

	wantLmErr(t, "same version", w.submit(id, "1.2.0", bundle), 409, "version_exists")
	wantLmErr(t, "lower version", w.submit(id, "1.1.0", validBundle(t, "1.1.0")), 422, "validation_error")
	wantLmErr(t, "not semver", w.submit(id, "1.2", validBundle(t, "1.2")), 422, "validation_error")
	other := w.create(w.key, `{"name": "Other"}`)
	wantLmErr(t, "a version of another extension", w.call("GET", devBase+"/extensions/"+other+"/versions/"+v["id"].(string), w.key, ""), 404, "version_not_found")
	if m := errMsg(w.call("GET", devBase+"/extensions/"+id+"/versions/ver_nothing", w.key, "")); m != "Version ver_nothing does not exist or you do not have access to it." {
		t.Errorf("version not found message %q", m)
	}

	// Rejected: the reason shows; approved: approvedAt, and public is allowed.
	if _, err := w.env.Services.Marketplace.Reject(bg, actorLm, v["id"].(string), "Crashes on load."); err != nil {
		t.Fatal(err)
	}
	r = w.call("GET", devBase+"/extensions/"+id+"/versions", w.key, "")
	if got := r.Body["versions"].([]any)[0].(map[string]any); got["status"] != "rejected" || got["rejectionReason"] != "Crashes on load." {
		t.Errorf("rejected version %v", got)
	}
	r = w.submit(id, "1.3.0", validBundle(t, "1.3.0"))
	if r.Status != 202 {
		t.Fatalf("second submit: %s", r.Raw)
	}
	if _, err := w.env.Services.Marketplace.Approve(bg, actorLm, r.obj("version")["id"].(string), 100); err != nil {
		t.Fatal(err)
	}
	if r := w.call("PATCH", devBase+"/extensions/"+id, w.key, `{"visibility": "public"}`); r.Status != 200 || r.obj("extension")["visibility"] != "public" ||
		r.obj("extension")["currentVersionId"] == nil {
		t.Fatalf("public after approval: %d %s", r.Status, r.Raw)
	}
	wantLmErr(t, "delete a public extension", w.call("DELETE", devBase+"/extensions/"+id, w.key, ""), 409, "extension_was_public")
}

func TestUploadFormErrors(t *testing.T) {
	t.Parallel()
	w := newLmWorld(t)
	id := w.create(w.key, `{"name": "Forms"}`)
	bundle := validBundle(t, "1.0.0")

	// The bundle before the fields (as some clients order a form): taken,
	// with the fields that follow it.
	var buf bytes.Buffer
	bundleFirst := func(fields ...string) (io.Reader, string) {
		buf.Reset()
		mw := multipart.NewWriter(&buf)
		fw, _ := mw.CreateFormFile("bundle", "b.tar.gz")
		_, _ = fw.Write(bundle)
		for i := 0; i+1 < len(fields); i += 2 {
			if fields[i] == "bundle" {
				fw, _ := mw.CreateFormFile("bundle", "again.tar.gz")
				_, _ = fw.Write(bundle)
				continue
			}
			_ = mw.WriteField(fields[i], fields[i+1])
		}
		_ = mw.Close()
		return bytes.NewReader(buf.Bytes()), mw.FormDataContentType()
	}
	early, ct := bundleFirst()
	wantLmErr(t, "bundle alone", w.upload(w.key, id, early, ct), 422, "validation_error")
	early, ct = bundleFirst("bundle", "", "version", "1.0.0")
	wantLmErr(t, "bundle twice", w.upload(w.key, id, early, ct), 422, "validation_error")
	if n := w.versionRows(id); n != 0 {
		t.Fatalf("refused uploads stored %d versions", n)
	}
	var r lmResp
	var mw *multipart.Writer
	// No bundle.
	buf.Reset()
	mw = multipart.NewWriter(&buf)
	_ = mw.WriteField("version", "1.0.1")
	_ = mw.Close()
	r = w.upload(w.key, id, bytes.NewReader(buf.Bytes()), mw.FormDataContentType())
	wantLmErr(t, "no bundle", r, 422, "validation_error")
	if !strings.Contains(errMsg(r), "bundle") {
		t.Errorf("no bundle message: %s", errMsg(r))
	}
	// Not multipart.
	wantLmErr(t, "json upload", w.upload(w.key, id, strings.NewReader(`{}`), "application/json"), 415, "unsupported_media_type")
	// Truncated multipart (no closing boundary).
	body, ct := uploadBody(t, "1.0.0", "", bundle)
	r = w.upload(w.key, id, bytes.NewReader(body[:len(body)-40]), ct)
	wantLmErr(t, "truncated multipart", r, 422, "validation_error")
	// Unknown field.
	buf.Reset()
	mw = multipart.NewWriter(&buf)
	_ = mw.WriteField("flavour", "x")
	_ = mw.Close()
	wantLmErr(t, "unknown field", w.upload(w.key, id, bytes.NewReader(buf.Bytes()), mw.FormDataContentType()), 422, "validation_error")
	if n := w.versionRows(id); n != 0 || len(w.blobFiles()) != 0 {
		t.Errorf("after refused uploads: %d versions, blobs %v", n, w.blobFiles())
	}
	// The connection still serves: a valid upload works.
	if r := w.submit(id, "1.0.0", bundle); r.Status != 202 {
		t.Fatalf("valid upload after refusals: %d %s", r.Status, r.Raw)
	}
	// The bundle first, then the fields: stored as in order.
	first := w.create(w.key, `{"name": "Bundle First"}`)
	early, ct = bundleFirst("changelog", "Bundle sent first.", "version", "1.0.0")
	r = w.upload(w.key, first, early, ct)
	if r.Status != 202 {
		t.Fatalf("bundle first: %d %s", r.Status, r.Raw)
	}
	if v := r.Body["version"].(map[string]any); v["version"] != "1.0.0" || w.versionRows(first) != 1 {
		t.Errorf("bundle first stored %v, %d versions", v, w.versionRows(first))
	}
}

// Hostile bundles through the HTTP endpoint: each 422 naming the problem,
// with no version row and nothing in the blob store.
func TestHostileBundles(t *testing.T) {
	t.Parallel()
	w := newLmWorld(t, func(c *config.Config) {
		c.LumioLimits.MaxUncompressed = 1 << 20
		c.LumioLimits.MaxEntries = 20
	})
	id := w.create(w.key, `{"name": "Hostile"}`)
	js := tarEntry{name: "index.js", body: []byte("x")}
	valid := validBundle(t, "1.0.0")
	many := []tarEntry{manifest("1.0.0")}
	for i := range 25 {
		many = append(many, tarEntry{name: fmt.Sprintf("f%d.js", i), body: []byte("x")})
	}
	for _, c := range []struct {
		name, want string
		bundle     []byte
	}{
		{"gzip bomb", "uncompressed", tarGz(t, manifest("1.0.0"), tarEntry{name: "zeros.bin", body: make([]byte, 8<<20)})},
		{"dot-dot path", "path leaves the bundle", tarGz(t, manifest("1.0.0"), tarEntry{name: "../evil.js", body: []byte("x")})},
		{"absolute path", "absolute path", tarGz(t, manifest("1.0.0"), tarEntry{name: "/etc/passwd", body: []byte("x")})},
		{"symlink", "symbolic links are not allowed", tarGz(t, manifest("1.0.0"), tarEntry{name: "link", typ: tar.TypeSymlink, link: "/etc/passwd"})},
		{"hard link", "hard links are not allowed", tarGz(t, manifest("1.0.0"), js, tarEntry{name: "hl", typ: tar.TypeLink, link: "index.js"})},
		{"duplicate entry", "duplicate path", tarGz(t, manifest("1.0.0"), js, js)},
		{"wrong manifest version", `"version" is "9.9.9" but the upload is version "1.0.0"`, tarGz(t, manifest("9.9.9"), js)},
		{"truncated archive", "truncated", valid[:len(valid)*2/3]},
		{"not gzip", "not a gzip stream", []byte("PK\x03\x04 this is a zip file, not a tarball")},
		{"too many files", "more than 20 entries", tarGz(t, many...)},
	} {
		r := w.submit(id, "1.0.0", c.bundle)
		wantLmErr(t, c.name, r, 422, "validation_error")
		if m := errMsg(r); !strings.Contains(m, c.want) || !strings.Contains(m, "bundle") {
			t.Errorf("%s: message %q does not name %q", c.name, m, c.want)
		}
		if n := w.versionRows(id); n != 0 {
			t.Fatalf("%s: %d version rows", c.name, n)
		}
		if files := w.blobFiles(); len(files) != 0 {
			t.Fatalf("%s: blob store holds %v", c.name, files)
		}
	}
}

// An upload over LUMIO_MAX_BUNDLE is 413: announced (refused on the header)
// or streamed chunked (refused when the limit is crossed).
func TestOversizedUpload(t *testing.T) {
	t.Parallel()
	w := newLmWorld(t, func(c *config.Config) { c.LumioLimits.MaxCompressed = 64 << 10 })
	id := w.create(w.key, `{"name": "Big"}`)
	noise := make([]byte, 200<<10)
	_, _ = rand.Read(noise)
	big := tarGz(t, manifest("1.0.0"), tarEntry{name: "noise.bin", body: noise})

	res := rawRequest(t, w.env.URL, fmt.Sprintf("POST %s/extensions/%s/versions HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\nContent-Type: multipart/form-data; boundary=x\r\nContent-Length: %d\r\n\r\n",
		devBase, id, w.key, 5<<20))
	wantLmErr(t, "announced", res, 413, "payload_too_large")
	if m := errMsg(res); !strings.Contains(m, "64 KiB") {
		t.Errorf("announced message %q", m)
	}

	body, ct := uploadBody(t, "1.0.0", "", big)
	pr, pw := io.Pipe()
	go func() {
		_, _ = pw.Write(body)
		pw.Close()
	}()
	r := w.upload(w.key, id, pr, ct)
	wantLmErr(t, "streamed", r, 413, "payload_too_large")
	if n := w.versionRows(id); n != 0 || len(w.blobFiles()) != 0 {
		t.Errorf("after an oversized upload: %d versions, blobs %v", n, w.blobFiles())
	}
	// Under the limit it is accepted.
	if r := w.submit(id, "1.0.0", validBundle(t, "1.0.0")); r.Status != 202 {
		t.Fatalf("small upload: %d %s", r.Status, r.Raw)
	}
}

func TestSecrets(t *testing.T) {
	t.Parallel()
	w := newLmWorld(t)
	id := w.create(w.key, `{"name": "Secretive"}`)
	const value = "sk_live_abc123_never_shown"
	if r := w.call("PUT", devBase+"/extensions/"+id+"/secrets/API_KEY", w.key, `{"value": "`+value+`"}`); r.Status != 204 || r.Raw != "" {
		t.Fatalf("set: %d %s", r.Status, r.Raw)
	}
	if r := w.call("PUT", devBase+"/extensions/"+id+"/secrets/WEBHOOK_SECRET", w.key, `{"value": "`+value+`2"}`); r.Status != 204 {
		t.Fatalf("set 2: %d %s", r.Status, r.Raw)
	}
	if r := w.call("PUT", devBase+"/extensions/"+id+"/secrets/API_KEY", w.key, `{"value": "`+value+`"}`); r.Status != 204 {
		t.Fatalf("replace: %d %s", r.Status, r.Raw)
	}
	var bodies []string
	r := w.call("GET", devBase+"/extensions/"+id+"/secrets", w.key, "")
	bodies = append(bodies, r.Raw)
	if keys, _ := r.Body["keys"].([]any); r.Status != 200 || len(keys) != 2 || keys[0] != "API_KEY" || keys[1] != "WEBHOOK_SECRET" || len(r.Body) != 1 {
		t.Fatalf("list: %d %s", r.Status, r.Raw)
	}
	for _, p := range []string{"", "/versions", "/installs"} {
		bodies = append(bodies, w.call("GET", devBase+"/extensions/"+id+p, w.key, "").Raw)
	}
	bodies = append(bodies, w.call("GET", devBase+"/extensions", w.key, "").Raw)
	wantLmErr(t, "bad name", w.call("PUT", devBase+"/extensions/"+id+"/secrets/lower_case", w.key, `{"value": "x"}`), 422, "validation_error")
	wantLmErr(t, "too long", w.call("PUT", devBase+"/extensions/"+id+"/secrets/BIG", w.key, `{"value": "`+strings.Repeat("v", 4097)+`"}`), 422, "validation_error")
	wantLmErr(t, "no value", w.call("PUT", devBase+"/extensions/"+id+"/secrets/EMPTY", w.key, `{}`), 422, "validation_error")
	wantLmErr(t, "value not a string", w.call("PUT", devBase+"/extensions/"+id+"/secrets/NUM", w.key, `{"value": 5}`), 422, "validation_error")
	if r := w.call("PUT", devBase+"/extensions/"+id+"/secrets/OK_4K", w.key, `{"value": "`+strings.Repeat("v", 4096)+`"}`); r.Status != 204 {
		t.Errorf("4 KiB value: %d %s", r.Status, r.Raw)
	}

	if r := w.call("DELETE", devBase+"/extensions/"+id+"/secrets/WEBHOOK_SECRET", w.key, ""); r.Status != 204 {
		t.Fatalf("delete: %d %s", r.Status, r.Raw)
	}
	wantLmErr(t, "delete again", w.call("DELETE", devBase+"/extensions/"+id+"/secrets/WEBHOOK_SECRET", w.key, ""), 404, "secret_not_found")

	for i, b := range bodies {
		if strings.Contains(b, value) {
			t.Errorf("response %d holds the secret value: %s", i, b)
		}
	}
	var n int
	if err := w.env.DB.Pool.QueryRow(bg, `SELECT count(*) FROM audit_events WHERE entity_id = $1 AND action LIKE 'lumio_extension.secret%'`, id).Scan(&n); err != nil || n != 5 {
		t.Fatalf("secret audit rows: %d %v", n, err)
	}
	if err := w.env.DB.Pool.QueryRow(bg, `SELECT count(*) FROM audit_events WHERE audit_events::text LIKE '%' || $1 || '%'`, value).Scan(&n); err != nil || n != 0 {
		t.Errorf("audit rows holding the value: %d %v", n, err)
	}
	// The change is audited as the key.
	var kind, label string
	if err := w.env.DB.Pool.QueryRow(bg, `SELECT actor_kind, actor_label FROM audit_events WHERE entity_id = $1 AND action = 'lumio_extension.secret_delete'`, id).Scan(&kind, &label); err != nil ||
		kind != string(audit.KindAPIKey) || !strings.HasPrefix(label, "lm_dev_") {
		t.Errorf("audit actor: %q %q %v", kind, label, err)
	}
}

// NUL or invalid UTF-8 anywhere in a request is validation_error with the
// status the spec's table gives it, 422, like every other refused input;
// malformed JSON stays 400 invalid_json.
func TestBadTextIsValidationError(t *testing.T) {
	t.Parallel()
	w := newLmWorld(t)
	id := w.create(w.key, `{"name": "Text"}`)
	ext := devBase + "/extensions/" + id
	for _, c := range []struct{ name, method, path, body string }{
		{"escaped NUL in PATCH", "PATCH", ext, `{"name": "a\u0000b"}`},
		{"raw NUL in PATCH", "PATCH", ext, "{\"name\": \"a\x00b\"}"},
		{"invalid UTF-8 in PATCH", "PATCH", ext, "{\"name\": \"\xff\"}"},
		{"escaped NUL in POST", "POST", devBase + "/extensions", `{"name": "a\u0000b"}`},
		{"invalid UTF-8 in POST", "POST", devBase + "/extensions", "{\"description\": \"\xc3\x28\"}"},
		{"escaped NUL in a secret", "PUT", ext + "/secrets/API_KEY", `{"value": "a\u0000b"}`},
		{"invalid UTF-8 in a secret", "PUT", ext + "/secrets/API_KEY", "{\"value\": \"\xff\"}"},
		{"NUL in the query", "GET", devBase + "/extensions?cursor=%00", ""},
	} {
		r := w.call(c.method, c.path, w.key, c.body)
		wantLmErr(t, c.name, r, 422, "validation_error")
	}
	if r := w.call("GET", ext, w.key, ""); r.obj("extension")["name"] != "Text" {
		t.Errorf("after the refusals: %s", r.Raw)
	}
	wantLmErr(t, "malformed JSON", w.call("PATCH", ext, w.key, `{"name": `), 400, "invalid_json")
}

// POST /extensions takes the fields PATCH takes (the spec: PATCH "accepts
// the same fields as POST /extensions"), slug and visibility included, and
// refuses a bad one exactly as PATCH does.
func TestCreateTakesPatchFields(t *testing.T) {
	t.Parallel()
	w := newLmWorld(t)
	r := w.call("POST", devBase+"/extensions", w.key, `{"name": "Own Slug", "slug": "my-scores", "visibility": "unlisted"}`)
	if e := r.obj("extension"); r.Status != 201 || e["slug"] != "my-scores" || e["visibility"] != "unlisted" {
		t.Fatalf("create with slug and visibility: %d %s", r.Status, r.Raw)
	}
	taken := r.obj("extension")["id"].(string)
	r = w.call("POST", devBase+"/extensions", w.key, `{"name": "Quiet", "visibility": "private"}`)
	if e := r.obj("extension"); r.Status != 201 || e["slug"] != "quiet" || e["visibility"] != "private" {
		t.Fatalf("create private: %d %s", r.Status, r.Raw)
	}
	id := w.create(w.key, `{"name": "Patched"}`)
	for _, c := range []struct{ name, fields string }{
		{"taken slug", `"slug": "my-scores"`},
		{"bad slug", `"slug": "Not A Slug"`},
		{"empty slug", `"slug": ""`},
		{"unknown visibility", `"visibility": "everyone"`},
		{"public without an approved version", `"visibility": "public"`},
		{"slug not a string", `"slug": 5`},
	} {
		post := w.call("POST", devBase+"/extensions", w.key, `{"name": "Refused", `+c.fields+`}`)
		patch := w.call("PATCH", devBase+"/extensions/"+id, w.key, `{`+c.fields+`}`)
		wantLmErr(t, "POST, "+c.name, post, 422, "validation_error")
		wantLmErr(t, "PATCH, "+c.name, patch, 422, "validation_error")
		if errMsg(post) != errMsg(patch) {
			t.Errorf("%s: POST says %q, PATCH %q", c.name, errMsg(post), errMsg(patch))
		}
	}
	r = w.call("GET", devBase+"/extensions", w.key, "")
	if list, _ := r.Body["extensions"].([]any); len(list) != 3 {
		t.Errorf("after the refused creations: %s", r.Raw)
	}
	if r := w.call("GET", devBase+"/extensions/"+taken, w.key, ""); r.obj("extension")["slug"] != "my-scores" {
		t.Errorf("the slug's owner: %s", r.Raw)
	}
}
