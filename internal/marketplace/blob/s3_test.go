package blob

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"crypto/sha256"
	"encoding/hex"

	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"
)

// TestSignV4 checks the signer against the GET Object example of the AWS
// Signature V4 documentation (examplebucket, test.txt, bytes 0-9).
func TestSignV4(t *testing.T) {
	req, _ := http.NewRequest(http.MethodGet, "https://examplebucket.s3.amazonaws.com/test.txt", nil)
	req.Header.Set("Range", "bytes=0-9")
	signV4(req, emptySHA, "AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "us-east-1", time.Date(2013, 5, 24, 0, 0, 0, 0, time.UTC))
	want := "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, SignedHeaders=host;range;x-amz-content-sha256;x-amz-date, Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41"
	if got := req.Header.Get("Authorization"); got != want {
		t.Fatalf("Authorization\n got %s\nwant %s", got, want)
	}
}

// fakeS3 starts gofakes3 in-process with a bucket; every request must be
// signed with the test credentials.
func fakeS3(t *testing.T) (*S3, string, *s3mem.Backend) {
	t.Helper()
	backend := s3mem.New()
	if err := backend.CreateBucket("bundles"); err != nil {
		t.Fatal(err)
	}
	faker := gofakes3.New(backend)
	var unsigned atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !strings.HasPrefix(r.Header.Get("Authorization"), "AWS4-HMAC-SHA256 Credential=test-key/") {
			unsigned.Add(1)
		}
		faker.Server().ServeHTTP(w, r)
	}))
	t.Cleanup(func() {
		srv.Close()
		if n := unsigned.Load(); n > 0 {
			t.Errorf("%d requests were not signed", n)
		}
	})
	tmp := t.TempDir()
	env := map[string]string{"AWS_ACCESS_KEY_ID": "test-key", "AWS_SECRET_ACCESS_KEY": "test-secret"}
	st, err := FromURL("s3://bundles?endpoint="+srv.URL+"&region=eu-west-1&prefix=lumio/", "", func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	s3 := st.(*S3)
	s3.cfg.TempDir = tmp
	return s3, tmp, backend
}

func hashOf(b []byte) string {
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:])
}

func TestS3Store(t *testing.T) {
	ctx := context.Background()
	s, tmp, backend := fakeS3(t)
	data := bytes.Repeat([]byte("bundle bytes "), 10000)
	sha := hashOf(data)

	if ok, err := s.Exists(ctx, sha); err != nil || ok {
		t.Fatalf("Exists before Put = %v, %v", ok, err)
	}
	if _, err := s.Open(ctx, sha); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Open before Put: %v", err)
	}
	if err := s.Put(ctx, sha, bytes.NewReader(data), int64(len(data))); err != nil {
		t.Fatal(err)
	}
	if ok, err := s.Exists(ctx, sha); err != nil || !ok {
		t.Fatalf("Exists after Put = %v, %v", ok, err)
	}
	rc, err := s.Open(ctx, sha)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(rc)
	rc.Close()
	if !bytes.Equal(got, data) {
		t.Fatal("read back different bytes")
	}
	// Laid out under the prefix, fanned out by hash.
	if _, err := backend.HeadObject("bundles", "lumio/"+sha[:2]+"/"+sha[2:4]+"/"+sha); err != nil {
		t.Fatalf("object not at its key: %v", err)
	}

	// A pending blob under the wrong hash, or aborted, stores nothing.
	p, _ := s.Create(ctx)
	p.Write([]byte("abc"))
	if err := p.Commit(ctx, hashOf([]byte("abd"))); !errors.Is(err, ErrMismatch) {
		t.Fatalf("Commit under the wrong hash: %v", err)
	}
	p, _ = s.Create(ctx)
	p.Write([]byte("abc"))
	p.Abort()
	if ok, _ := s.Exists(ctx, hashOf([]byte("abc"))); ok {
		t.Fatal("aborted blob stored")
	}
	if ok, _ := s.Exists(ctx, hashOf([]byte("abd"))); ok {
		t.Fatal("mismatched blob stored")
	}
	// Pending blobs spool through a temp file, removed in every case.
	p, _ = s.Create(ctx)
	p.Write([]byte("second"))
	if err := p.Commit(ctx, hashOf([]byte("second"))); err != nil {
		t.Fatal(err)
	}
	if ents, _ := os.ReadDir(tmp); len(ents) != 0 {
		t.Fatalf("spool files left: %v", ents)
	}
	for _, bad := range []string{"", "../" + sha[3:], strings.ToUpper(sha)} {
		if _, err := s.Open(ctx, bad); !errors.Is(err, ErrBadHash) {
			t.Errorf("Open(%q): %v", bad, err)
		}
		if _, err := s.Exists(ctx, bad); !errors.Is(err, ErrBadHash) {
			t.Errorf("Exists(%q): %v", bad, err)
		}
	}
}

func TestFromURL(t *testing.T) {
	env := func(string) string { return "" }
	dataDir := t.TempDir()
	st, err := FromURL("", dataDir, env)
	if err != nil {
		t.Fatal(err)
	}
	if d, ok := st.(*Dir); !ok || d.root != filepath.Join(dataDir, "blobs") {
		t.Fatalf("default store = %#v, want a Dir under DATA_DIR/blobs", st)
	}
	other := t.TempDir()
	if st, err := FromURL("file://"+other, dataDir, env); err != nil || st.(*Dir).root != other {
		t.Fatalf("file URL: %#v, %v", st, err)
	}
	for _, bad := range []string{"ftp://x", "s3://?endpoint=http://h", "s3://bucket", "s3://bucket?endpoint=ftp://h", "%zz"} {
		if _, err := FromURL(bad, dataDir, env); err == nil {
			t.Errorf("BLOB_URL=%q accepted", bad)
		}
	}
	if _, err := FromURL("", "", env); err == nil {
		t.Error("no BLOB_URL and no DATA_DIR accepted")
	}
	st, err = FromURL("s3://b?region=eu-central-1", "", env)
	if err != nil || st.(*S3).base.Host != "s3.eu-central-1.amazonaws.com" {
		t.Fatalf("region-only s3 URL: %v", err)
	}
}
