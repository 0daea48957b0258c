package marketplace_test

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"

	"lumdesk/internal/marketplace"
	"lumdesk/internal/marketplace/blob"
	"lumdesk/internal/marketplace/bundle"
)

// tgz packs name → content into a .tar.gz.
func tgz(t *testing.T, files map[string]string) []byte {
	t.Helper()
	var buf bytes.Buffer
	gz := gzip.NewWriter(&buf)
	tw := tar.NewWriter(gz)
	for _, name := range []string{"manifest.json", "main.js", "../escape.js"} {
		body, ok := files[name]
		if !ok {
			continue
		}
		if err := tw.WriteHeader(&tar.Header{Name: name, Mode: 0o644, Size: int64(len(body)), Typeflag: tar.TypeReg}); err != nil {
			t.Fatal(err)
		}
		if _, err := io.WriteString(tw, body); err != nil {
			t.Fatal(err)
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

// The server's Bundles stores a valid upload under its sha256 with its
// facts, and a refused one not at all, with a reason naming the entry.
func TestBlobBundlesStoreOnlyValidBundles(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	root := t.TempDir()
	dir, err := blob.NewDir(root)
	if err != nil {
		t.Fatal(err)
	}
	b := marketplace.BlobBundles{Blobs: dir, Limits: bundle.DefaultLimits()}

	good := tgz(t, map[string]string{"manifest.json": `{"name":"x","version":"1.2.0"}`, "main.js": "console.log(1)\n"})
	facts, err := b.Store(ctx, bytes.NewReader(good), "1.2.0")
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(good)
	if facts.SHA256 != hex.EncodeToString(sum[:]) || facts.Size != int64(len(good)) || facts.FileCount != 2 || len(facts.Files) != 2 {
		t.Fatalf("facts: %+v", facts)
	}
	if ok, err := dir.Exists(ctx, facts.SHA256); err != nil || !ok {
		t.Fatalf("the valid bundle is not stored: %v", err)
	}

	for name, upload := range map[string][]byte{
		"escaping path": tgz(t, map[string]string{"manifest.json": `{"version":"1.3.0"}`, "../escape.js": "x"}),
		"wrong version": tgz(t, map[string]string{"manifest.json": `{"version":"9.9.9"}`}),
		"not gzip":      []byte("plain text"),
	} {
		_, err := b.Store(ctx, bytes.NewReader(upload), "1.3.0")
		if !errors.Is(err, marketplace.ErrBundleInvalid) {
			t.Errorf("%s: err = %v, want ErrBundleInvalid", name, err)
		}
		sum := sha256.Sum256(upload)
		if ok, _ := dir.Exists(ctx, hex.EncodeToString(sum[:])); ok {
			t.Errorf("%s: the refused bundle was stored", name)
		}
	}
	// Nothing pending is left behind either.
	left, _ := os.ReadDir(filepath.Join(root, "tmp"))
	if len(left) != 0 {
		t.Errorf("%d temporary files left", len(left))
	}
}
