package pack_test

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"lumdesk/internal/marketplace/bundle"
	"lumdesk/internal/marketplace/pack"
)

// packTestDir makes a small extension directory with nested folders and
// an empty one.
func packTestDir(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	files := map[string]string{
		"manifest.json":        `{"name":"scoreboard","version":"1.3.0"}`,
		"index.js":             "console.log('hi')\n",
		"assets/logo.svg":      "<svg></svg>\n",
		"assets/css/app.css":   "body{}\n",
		"a.txt":                "a\n",
		"z/deeper/last.js":     "// last\n",
		"assets/zzz/empty.txt": "",
	}
	for name, body := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Mkdir(filepath.Join(dir, "emptydir"), 0o700); err != nil {
		t.Fatal(err)
	}
	return dir
}

func packBytes(t *testing.T, dir string) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := pack.Pack(&buf, dir); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestPackIsReproducible(t *testing.T) {
	dir := packTestDir(t)
	first := packBytes(t, dir)
	if second := packBytes(t, dir); !bytes.Equal(first, second) {
		t.Fatal("packing the same directory twice gave different bytes")
	}
	// New modification times and modes change nothing.
	later := time.Now().Add(-37 * time.Hour)
	err := filepath.Walk(dir, func(p string, info os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		if !info.IsDir() {
			if err := os.Chmod(p, 0o755); err != nil {
				return err
			}
		}
		return os.Chtimes(p, later, later)
	})
	if err != nil {
		t.Fatal(err)
	}
	if third := packBytes(t, dir); !bytes.Equal(first, third) {
		t.Fatal("touching mtimes and modes changed the archive")
	}
	// A copy of the directory elsewhere packs to the same bytes.
	other := packTestDir(t)
	if !bytes.Equal(first, packBytes(t, other)) {
		t.Fatal("the same files in another directory gave different bytes")
	}
	// A changed file changes the archive.
	if err := os.WriteFile(filepath.Join(other, "index.js"), []byte("console.log('bye')\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if bytes.Equal(first, packBytes(t, other)) {
		t.Fatal("a changed file did not change the archive")
	}
}

func TestPackHeaders(t *testing.T) {
	b := packBytes(t, packTestDir(t))
	gz, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	if !gz.ModTime.IsZero() || gz.Name != "" {
		t.Errorf("gzip header has name %q time %v, want neither", gz.Name, gz.ModTime)
	}
	tr := tar.NewReader(gz)
	var names []string
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		names = append(names, h.Name)
		if !h.ModTime.Equal(pack.FixedTime) || h.Uid != 0 || h.Gid != 0 || h.Uname != "" || h.Gname != "" {
			t.Errorf("%s: mtime %v uid %d gid %d uname %q gname %q", h.Name, h.ModTime, h.Uid, h.Gid, h.Uname, h.Gname)
		}
		want := int64(0o644)
		if h.Typeflag == tar.TypeDir {
			want = 0o755
		}
		if h.Mode != want {
			t.Errorf("%s: mode %o, want %o", h.Name, h.Mode, want)
		}
		if strings.HasPrefix(h.Name, "/") || strings.Contains(h.Name, `\`) || strings.HasPrefix(h.Name, "./") {
			t.Errorf("%s: not a clean relative path", h.Name)
		}
	}
	want := "a.txt assets/ assets/css/ assets/css/app.css assets/logo.svg assets/zzz/ assets/zzz/empty.txt emptydir/ index.js manifest.json z/ z/deeper/ z/deeper/last.js"
	if got := strings.Join(names, " "); got != want {
		t.Errorf("entries\n got %s\nwant %s", got, want)
	}
}

func TestPackPassesValidate(t *testing.T) {
	b := packBytes(t, packTestDir(t))
	facts, err := bundle.Validate(context.Background(), bytes.NewReader(b), bundle.DefaultLimits(), "1.3.0", nil)
	if err != nil {
		t.Fatalf("the validator refused a packed bundle: %v", err)
	}
	if facts.FileCount != 7 || facts.Size != int64(len(b)) {
		t.Errorf("facts: %d files, %d bytes; want 7 files, %d bytes", facts.FileCount, facts.Size, len(b))
	}
}

func TestPackRefusesSymlinks(t *testing.T) {
	dir := packTestDir(t)
	if err := os.Symlink("/etc/passwd", filepath.Join(dir, "assets", "passwd")); err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	err := pack.Pack(&buf, dir)
	if err == nil || !strings.Contains(err.Error(), "assets/passwd is a symbolic link") {
		t.Fatalf("err = %v, want the symlink named", err)
	}
	if buf.Len() != 0 {
		t.Error("wrote bytes before refusing the symlink")
	}
}

func TestManifestVersion(t *testing.T) {
	dir := packTestDir(t)
	if v, err := pack.ManifestVersion(dir); err != nil || v != "1.3.0" {
		t.Fatalf("ManifestVersion = %q, %v", v, err)
	}
	if _, err := pack.ManifestVersion(t.TempDir()); err == nil || !strings.Contains(err.Error(), "no manifest.json") {
		t.Fatalf("err = %v, want no manifest.json", err)
	}
}
