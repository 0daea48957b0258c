package lumio_test

import (
	"bytes"
	"fmt"
	"io"
	"mime/multipart"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"lumdesk/handlers/server/servertest"
)

// Bodies stream app-wide (for version uploads), yet every other route keeps
// the 4 MiB limit and its buffered forms: a body over the limit is 413 when
// announced and when sent chunked, on the APIs and on console forms;
// url-encoded, multipart and chunked bodies under it still parse.
func TestOtherRoutesKeepBodyLimit(t *testing.T) {
	t.Parallel()
	w := newLmWorld(t)
	const limit = 4 << 20
	for _, c := range []struct{ name, path, head string }{
		{"lumora send", "/api/lumora/v1/email/send", "Content-Type: application/json\r\nx-api-key: lum_sk_x\r\n"},
		{"lumio create", devBase + "/extensions", "Content-Type: application/json\r\nAuthorization: Bearer " + w.key + "\r\n"},
		{"console form", "/login", "Content-Type: application/x-www-form-urlencoded\r\n"},
	} {
		// Announced: refused on the header, no byte of the body read.
		r := rawRequest(t, w.env.URL, fmt.Sprintf("POST %s HTTP/1.1\r\nHost: x\r\n%sContent-Length: %d\r\n\r\n", c.path, c.head, 5<<20))
		if r.Status != 413 {
			t.Errorf("%s, 5 MiB announced: %d %.300s", c.name, r.Status, r.Raw)
		}
		// Chunked: one chunk announcing 5 MiB, of which one byte more than
		// the limit is sent; the server reads up to the limit and refuses.
		r = chunkedOver(t, w.env.URL, c.path, c.head, limit+1)
		if r.Status != 413 {
			t.Errorf("%s, chunked over the limit: %d %.300s", c.name, r.Status, r.Raw)
		}
		if strings.HasPrefix(c.path, "/api/lumora") {
			if e, _ := r.Body["error"].(string); e != "payload_too_large" {
				t.Errorf("lumora envelope: %.300s", r.Raw)
			}
		}
		if strings.HasPrefix(c.path, "/api/lumio") {
			wantLmErr(t, "lumio chunked 413", r, 413, "payload_too_large")
		}
	}

	// A JSON body sent chunked, under the limit, parses.
	pr, pw := io.Pipe()
	go func() {
		_, _ = io.WriteString(pw, `{"name": "Chunked `)
		_, _ = io.WriteString(pw, strings.Repeat("x", 20)+`"}`)
		pw.Close()
	}()
	req, _ := http.NewRequest("POST", w.env.URL+devBase+"/extensions", pr)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+w.key)
	if r := w.do(req); r.Status != 201 {
		t.Errorf("chunked JSON: %d %s", r.Status, r.Raw)
	}

	// Console sign-in: url-encoded (servertest's own) and multipart.
	w.env.CreateStaff("support@test.local", "support")
	w.env.Anonymous().SignIn("support@test.local", servertest.Password, "")
	anon := w.env.Anonymous()
	anon.Get("/login")
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	_ = mw.WriteField("csrf", anon.CSRF)
	_ = mw.WriteField("email", "support@test.local")
	_ = mw.WriteField("password", servertest.Password)
	_ = mw.Close()
	r := anon.Do("POST", "/login", &buf, http.Header{"Content-Type": {mw.FormDataContentType()}})
	if r.Status != http.StatusSeeOther {
		t.Errorf("multipart sign-in: %d", r.Status)
	}
	// The input guard still reads multipart fields.
	buf.Reset()
	mw = multipart.NewWriter(&buf)
	_ = mw.WriteField("csrf", anon.CSRF)
	_ = mw.WriteField("email", "a\x00b@test.local")
	_ = mw.Close()
	r = anon.Do("POST", "/login", &buf, http.Header{"Content-Type": {mw.FormDataContentType()}})
	if r.Status != 400 || !strings.Contains(r.Body, "email") {
		t.Errorf("NUL in a multipart field: %d", r.Status)
	}
}

// chunkedOver posts a chunked body of n bytes (in a chunk announcing 5 MiB) and reads the answer.
func chunkedOver(t *testing.T, base, path, head string, n int) lmResp {
	t.Helper()
	conn, err := net.Dial("tcp", strings.TrimPrefix(base, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	go func() {
		_, _ = fmt.Fprintf(conn, "POST %s HTTP/1.1\r\nHost: x\r\n%sTransfer-Encoding: chunked\r\n\r\n%x\r\n", path, head, 5<<20)
		_, _ = conn.Write(bytes.Repeat([]byte("a"), n))
	}()
	_ = conn.SetReadDeadline(time.Now().Add(20 * time.Second))
	return readLmResp(t, conn)
}

// The upload is judged while it arrives: the client sends the start of a
// bundle that is not gzip and stops mid-body (no closing boundary, no last
// chunk; it shuts its side). A server that buffered the body would only see
// a truncated body; this one ran the validator on what arrived and names
// the bundle's problem.
func TestUploadJudgedWhileArriving(t *testing.T) {
	t.Parallel()
	w := newLmWorld(t)
	id := w.create(w.key, `{"name": "Streamed"}`)
	var part bytes.Buffer
	mw := multipart.NewWriter(&part)
	_ = mw.WriteField("version", "1.0.0")
	fw, _ := mw.CreateFormFile("bundle", "bundle.tar.gz")
	_, _ = fw.Write(bytes.Repeat([]byte("not a gzip stream "), 2000))
	// No mw.Close(): the closing boundary never comes.
	conn, err := net.Dial("tcp", strings.TrimPrefix(w.env.URL, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	fmt.Fprintf(conn, "POST %s/extensions/%s/versions HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\nContent-Type: %s\r\nTransfer-Encoding: chunked\r\n\r\n%x\r\n",
		devBase, id, w.key, mw.FormDataContentType(), part.Len())
	_, _ = conn.Write(part.Bytes())
	_, _ = io.WriteString(conn, "\r\n")
	if err := conn.(*net.TCPConn).CloseWrite(); err != nil {
		t.Fatal(err)
	}
	_ = conn.SetReadDeadline(time.Now().Add(15 * time.Second))
	r := readLmResp(t, conn)
	wantLmErr(t, "unfinished upload of a non-gzip bundle", r, 422, "validation_error")
	if !strings.Contains(errMsg(r), "not a gzip stream") {
		t.Errorf("message %q", errMsg(r))
	}
}

// An upload refused before its body is read (a wrong key, another account's
// extension) still answers the client in the envelope: the server reads the
// rest of the body before answering, rather than resetting a connection the
// client is still sending on, and the connection stays usable.
func TestEarlyRefusalReachesClient(t *testing.T) {
	t.Parallel()
	w := newLmWorld(t)
	id := w.create(w.key, `{"name": "Refused"}`)
	body, ct := uploadBody(t, "1.0.0", "", bytes.Repeat([]byte("z"), 8<<20))
	for i := range 3 {
		r := w.upload("lm_dev_wrong", id, bytes.NewReader(body), ct)
		wantLmErr(t, fmt.Sprintf("wrong key, attempt %d", i), r, 401, "unauthorized")
		if r.Close {
			t.Errorf("attempt %d: the drained connection closes", i)
		}
		pr, pw := io.Pipe()
		go func() {
			_, _ = pw.Write(body)
			pw.Close()
		}()
		wantLmErr(t, fmt.Sprintf("another account, chunked, attempt %d", i), w.upload(w.otherKey, id, pr, ct), 404, "extension_not_found")
	}
}
