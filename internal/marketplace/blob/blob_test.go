package blob_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"lumdesk/internal/marketplace/blob"
)

func sum(b []byte) string {
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:])
}

// files lists every regular file under root.
func files(t *testing.T, root string) []string {
	t.Helper()
	var out []string
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() {
			rel, _ := filepath.Rel(root, p)
			out = append(out, rel)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestDirPutOpenExists(t *testing.T) {
	ctx := context.Background()
	root := t.TempDir()
	s, err := blob.NewDir(root)
	if err != nil {
		t.Fatal(err)
	}
	data := []byte("hello bundle")
	sha := sum(data)
	if ok, err := s.Exists(ctx, sha); err != nil || ok {
		t.Fatalf("Exists before Put = %v, %v", ok, err)
	}
	if _, err := s.Open(ctx, sha); !errors.Is(err, blob.ErrNotFound) {
		t.Fatalf("Open before Put: %v, want ErrNotFound", err)
	}
	if err := s.Put(ctx, sha, bytes.NewReader(data), int64(len(data))); err != nil {
		t.Fatal(err)
	}
	// Idempotent: same content, same name.
	if err := s.Put(ctx, sha, bytes.NewReader(data), int64(len(data))); err != nil {
		t.Fatalf("second Put: %v", err)
	}
	if ok, err := s.Exists(ctx, sha); err != nil || !ok {
		t.Fatalf("Exists after Put = %v, %v", ok, err)
	}
	rc, err := s.Open(ctx, sha)
	if err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(rc)
	rc.Close()
	if err != nil || !bytes.Equal(got, data) {
		t.Fatalf("Open read %q, %v", got, err)
	}
	want := filepath.Join(sha[:2], sha[2:4], sha)
	if fl := files(t, root); len(fl) != 1 || fl[0] != want {
		t.Fatalf("files = %v, want [%s] (fan-out by prefix, no temp left)", fl, want)
	}
}

func TestDirPutRefusesWrongContent(t *testing.T) {
	ctx := context.Background()
	root := t.TempDir()
	s, _ := blob.NewDir(root)
	data := []byte("payload")
	other := sum([]byte("something else"))
	if err := s.Put(ctx, other, bytes.NewReader(data), int64(len(data))); !errors.Is(err, blob.ErrMismatch) {
		t.Fatalf("Put under the wrong hash: %v, want ErrMismatch", err)
	}
	if err := s.Put(ctx, sum(data), bytes.NewReader(data), int64(len(data))+1); !errors.Is(err, blob.ErrMismatch) {
		t.Fatalf("Put with a short reader: %v, want ErrMismatch", err)
	}
	if err := s.Put(ctx, sum(data[:3]), bytes.NewReader(data), 3); !errors.Is(err, blob.ErrMismatch) {
		t.Fatalf("Put with a reader longer than size: %v, want ErrMismatch", err)
	}
	if fl := files(t, root); len(fl) != 0 {
		t.Fatalf("files = %v, want none", fl)
	}
}

func TestDirRefusesMalformedHashes(t *testing.T) {
	ctx := context.Background()
	root := t.TempDir()
	s, _ := blob.NewDir(root)
	good := sum([]byte("x"))
	for _, bad := range []string{"", "abc", strings.ToUpper(good), "../../../../etc/passwd" + good[22:], good + "0", good[:63] + "g", good[:62] + "/a"} {
		if _, err := s.Open(ctx, bad); !errors.Is(err, blob.ErrBadHash) {
			t.Errorf("Open(%q): %v", bad, err)
		}
		if _, err := s.Exists(ctx, bad); !errors.Is(err, blob.ErrBadHash) {
			t.Errorf("Exists(%q): %v", bad, err)
		}
		if err := s.Put(ctx, bad, strings.NewReader("x"), 1); !errors.Is(err, blob.ErrBadHash) {
			t.Errorf("Put(%q): %v", bad, err)
		}
		p, err := s.Create(ctx)
		if err != nil {
			t.Fatal(err)
		}
		p.Write([]byte("x"))
		if err := p.Commit(ctx, bad); !errors.Is(err, blob.ErrBadHash) {
			t.Errorf("Commit(%q): %v", bad, err)
		}
	}
	if fl := files(t, root); len(fl) != 0 {
		t.Fatalf("files = %v, want none", fl)
	}
}

func TestDirPendingCommitAbort(t *testing.T) {
	ctx := context.Background()
	root := t.TempDir()
	s, _ := blob.NewDir(root)

	p, err := s.Create(ctx)
	if err != nil {
		t.Fatal(err)
	}
	p.Write([]byte("part one, "))
	p.Write([]byte("part two"))
	if len(files(t, root)) != 1 {
		t.Fatal("pending blob should be a temp file")
	}
	if err := p.Abort(); err != nil {
		t.Fatal(err)
	}
	if fl := files(t, root); len(fl) != 0 {
		t.Fatalf("after Abort files = %v", fl)
	}

	p, _ = s.Create(ctx)
	p.Write([]byte("part one, "))
	p.Write([]byte("part two"))
	sha := sum([]byte("part one, part two"))
	if err := p.Commit(ctx, sha); err != nil {
		t.Fatal(err)
	}
	if err := p.Abort(); err != nil {
		t.Fatalf("Abort after Commit: %v", err)
	}
	if ok, _ := s.Exists(ctx, sha); !ok {
		t.Fatal("committed blob missing")
	}
	if _, err := p.Write([]byte("more")); err == nil {
		t.Fatal("Write after Commit accepted")
	}

	p, _ = s.Create(ctx)
	p.Write([]byte("abc"))
	if err := p.Commit(ctx, sum([]byte("abd"))); !errors.Is(err, blob.ErrMismatch) {
		t.Fatalf("Commit under the wrong hash: %v", err)
	}
	if fl := files(t, root); len(fl) != 1 {
		t.Fatalf("files = %v, want the one committed blob", fl)
	}

	cctx, cancel := context.WithCancel(ctx)
	p, _ = s.Create(ctx)
	p.Write([]byte("abc"))
	cancel()
	if err := p.Commit(cctx, sum([]byte("abc"))); !errors.Is(err, context.Canceled) {
		t.Fatalf("Commit with a cancelled context: %v", err)
	}
	if ok, _ := s.Exists(ctx, sum([]byte("abc"))); ok {
		t.Fatal("cancelled commit stored the blob")
	}
}

func TestNewDirErrors(t *testing.T) {
	if _, err := blob.NewDir(""); err == nil {
		t.Fatal("empty root accepted")
	}
	f := filepath.Join(t.TempDir(), "file")
	os.WriteFile(f, nil, 0o600)
	if _, err := blob.NewDir(f); err == nil {
		t.Fatal("root under a file accepted")
	}
}
