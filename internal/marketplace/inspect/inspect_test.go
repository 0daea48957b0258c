package inspect

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"strings"
	"testing"

	"lumdesk/internal/marketplace"
)

type memStore map[string][]byte

func (m memStore) open(_ context.Context, sha string) (io.ReadCloser, error) {
	return io.NopCloser(bytes.NewReader(m[sha])), nil
}

func hexSum(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// version packs files into a stored bundle and returns the version as the
// service would record it.
func (m memStore) version(t *testing.T, id, ver string, files ...BundleFile) marketplace.VersionInfo {
	t.Helper()
	data, err := Build(files...)
	if err != nil {
		t.Fatal(err)
	}
	sha := hexSum(data)
	m[sha] = data
	v := marketplace.VersionInfo{ID: id, Version: ver, BundleSHA256: sha, BundleSize: int64(len(data)), FileCount: len(files)}
	for _, f := range files {
		v.Files = append(v.Files, marketplace.BundleFile{Path: f.Path, Size: int64(len(f.Body)), SHA256: hexSum(f.Body)})
		v.BundleUnpackedSize += int64(len(f.Body))
		if f.Path == "manifest.json" {
			v.Manifest = json.RawMessage(f.Body)
		}
	}
	return v
}

func TestInspectComparesWithTheApprovedVersion(t *testing.T) {
	m := memStore{}
	old := m.version(t, "ver_a", "1.0.0",
		BundleFile{"manifest.json", []byte(`{"version":"1.0.0","permissions":["storage"]}`)},
		BundleFile{"main.js", []byte("function a() {\n  return 1;\n}\n")},
		BundleFile{"gone.txt", []byte("bye\n")},
		BundleFile{"same.css", []byte("body{}\n")})
	minified := "var a=" + strings.Repeat("1+", 700) + "1;"
	cur := m.version(t, "ver_b", "1.1.0",
		BundleFile{"manifest.json", []byte(`{"version":"1.1.0","permissions":["storage","network"]}`)},
		BundleFile{"main.js", []byte("function a() {\n  return 2;\n}\n")},
		BundleFile{"same.css", []byte("body{}\n")},
		BundleFile{"vendor/min.js", []byte(minified)},
		BundleFile{"icon.png", []byte("\x89PNG\r\n\x1a\n\x00\x00\x00")})

	r, err := Inspect(context.Background(), m.open, cur, &old, "main.js")
	if err != nil {
		t.Fatal(err)
	}
	change := map[string]string{}
	for _, f := range r.Files {
		change[f.Path] = f.Change
	}
	want := map[string]string{"manifest.json": Changed, "main.js": Changed, "same.css": Unchanged, "vendor/min.js": Added, "icon.png": Added}
	for p, c := range want {
		if change[p] != c {
			t.Errorf("%s: %q, want %q", p, change[p], c)
		}
	}
	if len(r.Removed) != 1 || r.Removed[0].Path != "gone.txt" {
		t.Errorf("removed: %+v", r.Removed)
	}
	if r.Added != 2 || r.Changed != 2 {
		t.Errorf("added %d changed %d", r.Added, r.Changed)
	}
	var diff *Diff
	for i := range r.Diffs {
		if r.Diffs[i].Path == "main.js" {
			diff = &r.Diffs[i]
		}
	}
	if diff == nil || diff.Added != 1 || diff.Removed != 1 {
		t.Fatalf("main.js diff: %+v", diff)
	}
	var ops []string
	for _, l := range diff.Hunks[0].Lines {
		ops = append(ops, string(l.Op)+l.Text)
	}
	if got := strings.Join(ops, "|"); !strings.Contains(got, "-  return 1;|+  return 2;") {
		t.Errorf("diff lines: %s", got)
	}
	flags := map[string]string{}
	for _, f := range r.Flags {
		flags[f.Kind+":"+f.Path] = f.Detail
	}
	for _, k := range []string{"minified:vendor/min.js", "binary:icon.png", "permission:network"} {
		if flags[k] == "" {
			t.Errorf("no flag %s in %v", k, flags)
		}
	}
	if flags["permission:storage"] != "" || flags["minified:main.js"] != "" {
		t.Errorf("unexpected flags: %v", flags)
	}
	if r.Preview == nil || r.Preview.Text != "function a() {\n  return 2;\n}\n" || r.Preview.Truncated {
		t.Errorf("preview: %+v", r.Preview)
	}
	if !strings.Contains(r.Manifest, "\n  \"permissions\"") {
		t.Errorf("manifest not indented: %s", r.Manifest)
	}
}

// A preview keeps PreviewMax bytes of a large file, and a file over 1 MiB
// is flagged and not diffed.
func TestInspectBoundsLargeFiles(t *testing.T) {
	m := memStore{}
	big := bytes.Repeat([]byte("line of text\n"), (LargeFile/13)+10)
	old := m.version(t, "ver_a", "1.0.0", BundleFile{"manifest.json", []byte(`{"version":"1.0.0"}`)}, BundleFile{"data.txt", []byte("small\n")})
	cur := m.version(t, "ver_b", "1.1.0", BundleFile{"manifest.json", []byte(`{"version":"1.1.0"}`)}, BundleFile{"data.txt", big})
	r, err := Inspect(context.Background(), m.open, cur, &old, "data.txt")
	if err != nil {
		t.Fatal(err)
	}
	if r.Preview == nil || len(r.Preview.Text) != PreviewMax || !r.Preview.Truncated {
		t.Fatalf("preview of %d bytes, truncated %v", len(r.Preview.Text), r.Preview.Truncated)
	}
	large, noted := false, false
	for _, f := range r.Flags {
		large = large || (f.Kind == FlagLarge && f.Path == "data.txt")
	}
	for _, d := range r.Diffs {
		noted = noted || (d.Path == "data.txt" && d.Hunks == nil && strings.Contains(d.Note, "Too large"))
	}
	if !large || !noted {
		t.Errorf("large flagged %v, diff refused %v", large, noted)
	}
	// Without an approved version every file is new and every permission too.
	r, err = Inspect(context.Background(), m.open, old, nil, "")
	if err != nil || r.Added != 2 || r.Preview != nil {
		t.Errorf("first version: %+v %v", r, err)
	}
}

// Without a readable store the report still compares the file lists.
func TestInspectWithoutBundles(t *testing.T) {
	m := memStore{}
	old := m.version(t, "ver_a", "1.0.0", BundleFile{"manifest.json", []byte(`{"version":"1.0.0"}`)}, BundleFile{"a.js", []byte("1\n")})
	cur := m.version(t, "ver_b", "1.1.0", BundleFile{"manifest.json", []byte(`{"version":"1.1.0","permissions":["tabs"]}`)}, BundleFile{"b.js", []byte("2\n")})
	r, err := Inspect(context.Background(), nil, cur, &old, "b.js")
	if err != nil {
		t.Fatal(err)
	}
	if r.Added != 1 || r.Changed != 1 || len(r.Removed) != 1 || r.Preview != nil || len(r.NewPermissions) != 1 {
		t.Errorf("report: added %d changed %d removed %v preview %v perms %v", r.Added, r.Changed, r.Removed, r.Preview, r.NewPermissions)
	}
	if len(r.Diffs) != 1 || r.Diffs[0].Hunks != nil || !strings.Contains(r.Diffs[0].Note, "could not be read") {
		t.Errorf("diffs: %+v", r.Diffs)
	}
}
