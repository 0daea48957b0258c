package bundle_test

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"io/fs"
	"path/filepath"
	"strings"
	"testing"

	"lumdesk/internal/marketplace/blob"
	"lumdesk/internal/marketplace/bundle"
)

type entry struct {
	name     string
	typ      byte
	body     []byte
	size     int64 // declared size when it differs from len(body)
	linkname string
}

func file(name, body string) entry { return entry{name: name, typ: tar.TypeReg, body: []byte(body)} }
func dir(name string) entry        { return entry{name: name, typ: tar.TypeDir} }

func manifest(version string) entry {
	return file("manifest.json", `{"name":"Scores","version":"`+version+`","permissions":["storage"]}`)
}

// tarball builds a tar archive of es (no gzip), written as given: it does
// not refuse hostile entries, that is the point.
func tarball(t testing.TB, es ...entry) []byte {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, e := range es {
		size := int64(len(e.body))
		if e.size != 0 {
			size = e.size
		}
		if e.typ != tar.TypeReg {
			size = 0
		}
		h := &tar.Header{Name: e.name, Typeflag: e.typ, Size: size, Mode: 0o644, Linkname: e.linkname, Format: tar.FormatPAX}
		if e.typ == tar.TypeChar {
			h.Devmajor, h.Devminor = 1, 3
		}
		if err := tw.WriteHeader(h); err != nil {
			t.Fatalf("tar header %q: %v", e.name, err)
		}
		if _, err := tw.Write(e.body); err != nil && e.size == 0 {
			t.Fatalf("tar body %q: %v", e.name, err)
		}
	}
	if err := tw.Flush(); err != nil && !strings.Contains(err.Error(), "missed writing") {
		t.Fatal(err)
	}
	if len(es) == 0 || es[len(es)-1].size == 0 {
		tw.Close()
	}
	return buf.Bytes()
}

func gz(t testing.TB, b []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&buf, gzip.BestSpeed)
	zw.Write(b)
	zw.Close()
	return buf.Bytes()
}

func targz(t testing.TB, es ...entry) []byte { return gz(t, tarball(t, es...)) }

func sum(b []byte) string {
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:])
}

func random(t testing.TB, n int) []byte {
	b := make([]byte, n)
	rand.Read(b)
	return b
}

// countingReader counts what the validator read from the upload.
type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// upload validates data as an upload would: streamed into a pending blob,
// committed only when accepted.
func upload(t *testing.T, store blob.Store, data []byte, lim bundle.Limits, version string) (*bundle.Facts, int64, error) {
	t.Helper()
	ctx := context.Background()
	p, err := store.Create(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Abort()
	cr := &countingReader{r: bytes.NewReader(data)}
	facts, err := bundle.Validate(ctx, cr, lim, version, p)
	if err != nil {
		return nil, cr.n, err
	}
	if err := p.Commit(ctx, facts.SHA256); err != nil {
		t.Fatalf("commit: %v", err)
	}
	return facts, cr.n, nil
}

func storedFiles(t *testing.T, root string) []string {
	t.Helper()
	var out []string
	filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			out = append(out, p)
		}
		return nil
	})
	return out
}

func TestValidBundleFacts(t *testing.T) {
	root := t.TempDir()
	store, _ := blob.NewDir(root)
	big := random(t, 300<<10)
	minified := "var a=1;" + strings.Repeat("function f(){return a+1};", 100)
	data := targz(t,
		dir("./"),
		manifest("1.3.0"),
		dir("./dist/"),
		file("./dist/app.js", "console.log('hi');\nconsole.log('bye');\n"),
		file("dist/app.min.js", minified),
		entry{name: "dist/logo.png", typ: tar.TypeReg, body: big},
		file("README.md", ""),
		dir("assets"),
		dir("assets/icons/"),
	)
	facts, _, err := upload(t, store, data, bundle.DefaultLimits(), "1.3.0")
	if err != nil {
		t.Fatalf("valid bundle refused: %v", err)
	}
	if facts.SHA256 != sum(data) || facts.Size != int64(len(data)) {
		t.Fatalf("sha/size = %s/%d, want %s/%d", facts.SHA256, facts.Size, sum(data), len(data))
	}
	m := manifest("1.3.0").body
	wantFiles := []struct {
		path string
		body []byte
	}{{"manifest.json", m}, {"dist/app.js", []byte("console.log('hi');\nconsole.log('bye');\n")}, {"dist/app.min.js", []byte(minified)}, {"dist/logo.png", big}, {"README.md", nil}}
	if facts.FileCount != len(wantFiles) || len(facts.Files) != len(wantFiles) {
		t.Fatalf("FileCount %d, files %v", facts.FileCount, facts.Files)
	}
	var total int64
	for i, w := range wantFiles {
		f := facts.Files[i]
		if f.Path != w.path || f.Size != int64(len(w.body)) || f.SHA256 != sum(w.body) {
			t.Errorf("file %d = %+v, want %s (%d bytes, %s)", i, f, w.path, len(w.body), sum(w.body))
		}
		total += int64(len(w.body))
	}
	if facts.UncompressedSize != total {
		t.Errorf("UncompressedSize %d, want %d", facts.UncompressedSize, total)
	}
	if !bytes.Equal(facts.Manifest, m) {
		t.Errorf("manifest %s", facts.Manifest)
	}
	var mm map[string]any
	if err := json.Unmarshal(facts.Manifest, &mm); err != nil || mm["version"] != "1.3.0" {
		t.Errorf("manifest does not parse: %v", err)
	}
	js, minjs, png := facts.Files[1], facts.Files[2], facts.Files[3]
	if js.Binary || js.Minified() || js.Lines != 2 || js.MaxLine != 19 {
		t.Errorf("app.js = %+v: want text, not minified, 2 lines, longest 19", js)
	}
	if minjs.Binary || !minjs.Minified() {
		t.Errorf("app.min.js = %+v: want text, minified", minjs)
	}
	if !png.Binary || png.Minified() {
		t.Errorf("logo.png = %+v: want binary", png)
	}
	// The stored blob is the upload, byte for byte, under its hash.
	rc, err := store.Open(context.Background(), facts.SHA256)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(rc)
	rc.Close()
	if !bytes.Equal(got, data) {
		t.Fatal("stored blob differs from the upload")
	}
	if n := len(storedFiles(t, root)); n != 1 {
		t.Fatalf("%d files stored, want 1", n)
	}
}

// zeroMember is one gzip member inflating to n zero bytes; gzip readers
// read concatenated members as one stream, so copies make a cheap bomb.
func zeroMember(t testing.TB, n int) []byte {
	return gz(t, make([]byte, n))
}

func repeat(b []byte, n int) []byte { return bytes.Repeat(b, n) }

func TestHostileBundles(t *testing.T) {
	small := bundle.Limits{MaxCompressed: 64 << 10, MaxUncompressed: 1 << 20, MaxEntries: 10, MaxManifest: 256}
	valid := targz(t, manifest("1.0.0"), file("a.js", "x"))
	cases := []struct {
		name    string
		data    []byte
		lim     bundle.Limits
		version string
		entry   string // the *Error's Entry
		reason  string // substring of its message
		maxRead int64  // when set: the validator read no more than this
	}{
		{name: "not gzip", data: []byte("PK\x03\x04 this is a zip"), reason: "not a gzip stream"},
		{name: "empty upload", data: nil, reason: "truncated"},
		{name: "gzip of not tar", data: gz(t, []byte(strings.Repeat("hello world ", 100))), reason: "tar"},
		{name: "truncated archive", data: valid[:len(valid)/2], reason: "truncated"},
		{name: "truncated gzip trailer", data: valid[:len(valid)-4], reason: "truncated"},
		{name: "corrupt checksum", data: append(append([]byte{}, valid[:len(valid)-8]...), 0, 0, 0, 0, valid[len(valid)-4], valid[len(valid)-3], valid[len(valid)-2], valid[len(valid)-1]), reason: "checksum"},
		{name: "garbage after gzip", data: append(append([]byte{}, valid...), []byte("trailing junk")...), reason: "data after the end of the gzip stream"},
		{name: "dot-dot path", data: targz(t, manifest("1.0.0"), file("../evil.js", "x")), entry: "../evil.js", reason: "leaves the bundle"},
		{name: "dot-dot inside path", data: targz(t, manifest("1.0.0"), file("dist/../../evil.js", "x")), entry: "dist/../../evil.js", reason: ".."},
		{name: "absolute path", data: targz(t, manifest("1.0.0"), file("/etc/cron.d/evil", "x")), entry: "/etc/cron.d/evil", reason: "absolute path"},
		{name: "drive letter", data: targz(t, manifest("1.0.0"), file("C:/evil", "x")), entry: "C:/evil", reason: "absolute path"},
		{name: "backslash", data: targz(t, manifest("1.0.0"), file(`dist\..\evil.js`, "x")), entry: `dist\..\evil.js`, reason: "backslash"},
		{name: "unclean path", data: targz(t, manifest("1.0.0"), file("dist//a.js", "x")), entry: "dist//a.js", reason: "not clean"},
		{name: "control character", data: targz(t, manifest("1.0.0"), file("a\x1b[2J.js", "x")), entry: "a\x1b[2J.js", reason: "control character"},
		{name: "empty name", data: targz(t, manifest("1.0.0"), file("", "x")), reason: "empty entry name"},
		{name: "dot name for a file", data: targz(t, manifest("1.0.0"), file(".", "x")), entry: ".", reason: "empty entry name"},
		{name: "symlink", data: targz(t, manifest("1.0.0"), entry{name: "link", typ: tar.TypeSymlink, linkname: "/etc/passwd"}), entry: "link", reason: "symbolic links"},
		{name: "hard link", data: targz(t, manifest("1.0.0"), entry{name: "hard", typ: tar.TypeLink, linkname: "manifest.json"}), entry: "hard", reason: "hard links"},
		{name: "char device", data: targz(t, manifest("1.0.0"), entry{name: "null", typ: tar.TypeChar}), entry: "null", reason: "device"},
		{name: "block device", data: targz(t, manifest("1.0.0"), entry{name: "sda", typ: tar.TypeBlock}), entry: "sda", reason: "device"},
		{name: "fifo", data: targz(t, manifest("1.0.0"), entry{name: "pipe", typ: tar.TypeFifo}), entry: "pipe", reason: "FIFO"},
		{name: "duplicate entry", data: targz(t, manifest("1.0.0"), file("a.js", "1"), file("a.js", "2")), entry: "a.js", reason: "duplicate path"},
		{name: "duplicate after ./", data: targz(t, manifest("1.0.0"), file("a.js", "1"), file("./a.js", "2")), entry: "./a.js", reason: "duplicate path"},
		{name: "duplicate manifest", data: targz(t, manifest("1.0.0"), manifest("9.9.9")), entry: "manifest.json", reason: "duplicate"},
		{name: "duplicate directory", data: targz(t, manifest("1.0.0"), dir("d/"), dir("./d")), entry: "./d", reason: "duplicate"},
		{name: "file over directory", data: targz(t, manifest("1.0.0"), file("d/a.js", "1"), file("d", "2")), entry: "d", reason: "directory"},
		{name: "path under a file", data: targz(t, manifest("1.0.0"), file("d", "1"), file("d/a.js", "2")), entry: "d/a.js", reason: "which is a file"},
		{name: "wrong manifest version", data: targz(t, manifest("1.2.0")), version: "1.3.0", entry: "manifest.json", reason: `"version" is "1.2.0" but the upload is version "1.3.0"`},
		{name: "manifest without version", data: targz(t, file("manifest.json", `{"name":"x"}`)), entry: "manifest.json", reason: `no "version"`},
		{name: "manifest version a number", data: targz(t, file("manifest.json", `{"version":1}`)), entry: "manifest.json", reason: "not a string"},
		{name: "manifest not json", data: targz(t, file("manifest.json", `version: 1.0.0`)), entry: "manifest.json", reason: "not a JSON object"},
		{name: "manifest an array", data: targz(t, file("manifest.json", `["1.0.0"]`)), entry: "manifest.json", reason: "not a JSON object"},
		{name: "manifest null", data: targz(t, file("manifest.json", `null`)), entry: "manifest.json", reason: "not a JSON object"},
		{name: "manifest too large", data: targz(t, file("manifest.json", `{"version":"1.0.0","pad":"`+strings.Repeat("x", 300)+`"}`)), lim: small, entry: "manifest.json", reason: "over the 256 bytes limit"},
		{name: "manifest not at root", data: targz(t, dir("dist/"), file("dist/manifest.json", `{"version":"1.0.0"}`)), entry: "manifest.json", reason: `found "dist/manifest.json"`},
		{name: "manifest a directory", data: targz(t, dir("manifest.json/")), entry: "manifest.json", reason: "missing"},
		{name: "no manifest", data: targz(t, file("a.js", "x")), entry: "manifest.json", reason: "missing"},
		{name: "too many files", data: targz(t, manifest("1.0.0"), file("1", ""), file("2", ""), file("3", ""), file("4", ""), file("5", ""), file("6", ""), file("7", ""), file("8", ""), file("9", ""), file("10", "")), lim: small, entry: "10", reason: "more than 10 entries"},
		{name: "too many directories", data: targz(t, dir("1"), dir("2"), dir("3"), dir("4"), dir("5"), dir("6"), dir("7"), dir("8"), dir("9"), dir("10"), dir("11")), lim: small, entry: "11", reason: "more than 10 entries"},
		{name: "files over the uncompressed total", data: targz(t, manifest("1.0.0"), entry{name: "a.bin", typ: tar.TypeReg, body: make([]byte, 600<<10)}, entry{name: "b.bin", typ: tar.TypeReg, body: make([]byte, 600<<10)}), lim: small, entry: "b.bin", reason: "over 1 MiB uncompressed"},
		{name: "too large compressed", data: targz(t, manifest("1.0.0"), entry{name: "noise.bin", typ: tar.TypeReg, body: random(t, 200<<10)}), lim: small, reason: "larger than 64 KiB compressed", maxRead: 64<<10 + 1},
		{
			// A header declaring 1 GiB: refused on the header, nothing inflated.
			name: "gzip bomb, declared", entry: "bomb.bin", reason: "file of 1 GiB takes the bundle over 100 MiB uncompressed",
			data:    append(gz(t, tarball(t, manifest("1.0.0"), entry{name: "bomb.bin", typ: tar.TypeReg, size: 1 << 30})), repeat(zeroMember(t, 1<<20), 2000)...),
			maxRead: 64 << 10,
		},
		{
			// Zero padding after the tar end, inflating past any limit: stops at the limit.
			name: "gzip bomb, padding", reason: "inflates to more than 1 MiB", lim: small,
			data:    append(valid, repeat(zeroMember(t, 1<<20), 2000)...),
			maxRead: 64 << 10,
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			root := t.TempDir()
			store, _ := blob.NewDir(root)
			version := c.version
			if version == "" {
				version = "1.0.0"
			}
			lim := c.lim
			if lim == (bundle.Limits{}) {
				lim = bundle.DefaultLimits()
			}
			facts, read, err := upload(t, store, c.data, lim, version)
			var be *bundle.Error
			if !errors.As(err, &be) {
				t.Fatalf("err = %v (facts %+v), want a *bundle.Error", err, facts)
			}
			t.Logf("%s", err)
			if be.Entry != c.entry {
				t.Errorf("Entry = %q, want %q", be.Entry, c.entry)
			}
			if !strings.Contains(err.Error(), c.reason) {
				t.Errorf("message %q does not say %q", err, c.reason)
			}
			if c.entry != "" && !strings.Contains(err.Error(), c.entry[:1]) {
				t.Errorf("message %q does not name the entry", err)
			}
			if c.maxRead > 0 && read > c.maxRead {
				t.Errorf("read %d bytes of the upload (%d), want at most %d", read, len(c.data), c.maxRead)
			}
			if fl := storedFiles(t, root); len(fl) != 0 {
				t.Errorf("stored %v, want nothing", fl)
			}
		})
	}
}

func TestBombWithDefaultLimitsStopsAtLimit(t *testing.T) {
	// Padding after the tar end inflating to 400 MiB: the default limit
	// (100 MiB of files plus tar overhead) stops it long before the end.
	member := zeroMember(t, 1<<20)
	data := append(targz(t, manifest("1.0.0")), repeat(member, 400)...)
	cr := &countingReader{r: bytes.NewReader(data)}
	_, err := bundle.Validate(context.Background(), cr, bundle.Limits{}, "1.0.0", nil)
	var be *bundle.Error
	if !errors.As(err, &be) || !strings.Contains(err.Error(), "inflates to more than 100 MiB") {
		t.Fatalf("err = %v", err)
	}
	if cr.n > int64(len(data))/2 {
		t.Fatalf("read %d of %d bytes: the validator did not stop at the limit", cr.n, len(data))
	}
}

func TestNotValidationErrors(t *testing.T) {
	data := targz(t, manifest("1.0.0"), file("a.js", "x"))
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := bundle.Validate(ctx, bytes.NewReader(data), bundle.Limits{}, "1.0.0", nil)
	var be *bundle.Error
	if !errors.Is(err, context.Canceled) || errors.As(err, &be) {
		t.Errorf("cancelled: %v, want context.Canceled, not a validation error", err)
	}
	_, err = bundle.Validate(context.Background(), bytes.NewReader(data), bundle.Limits{}, "1.0.0", failingWriter{})
	if err == nil || errors.As(err, &be) || !strings.Contains(err.Error(), "disk full") {
		t.Errorf("sink failure: %v, want the sink's error, not a validation error", err)
	}
	_, err = bundle.Validate(context.Background(), io.MultiReader(bytes.NewReader(data[:20]), failingReader{}), bundle.Limits{}, "1.0.0", nil)
	if err == nil || errors.As(err, &be) || !strings.Contains(err.Error(), "connection reset") {
		t.Errorf("read failure: %v, want the reader's error, not a validation error", err)
	}
}

type failingWriter struct{}

func (failingWriter) Write([]byte) (int, error) { return 0, errors.New("disk full") }

type failingReader struct{}

func (failingReader) Read([]byte) (int, error) { return 0, errors.New("connection reset") }

func TestLimitsFromEnv(t *testing.T) {
	env := func(v string) func(string) string {
		return func(k string) string {
			if k == "LUMIO_MAX_BUNDLE" {
				return v
			}
			return ""
		}
	}
	for v, want := range map[string]int64{"": 25 << 20, "1048576": 1 << 20, "10 MiB": 10 << 20, "512KiB": 512 << 10} {
		l, err := bundle.LimitsFromEnv(env(v))
		if err != nil || l.MaxCompressed != want || l.MaxUncompressed != 100<<20 || l.MaxEntries != 5000 {
			t.Errorf("LUMIO_MAX_BUNDLE=%q: %+v, %v; want MaxCompressed %d", v, l, err, want)
		}
	}
	for _, v := range []string{"-1", "0", "lots", "1e6", "99999999999 GiB"} {
		if _, err := bundle.LimitsFromEnv(env(v)); err == nil || !strings.Contains(err.Error(), "LUMIO_MAX_BUNDLE") {
			t.Errorf("LUMIO_MAX_BUNDLE=%q accepted (%v)", v, err)
		}
	}
}

func TestLooksText(t *testing.T) {
	for s, want := range map[string]bool{
		"":                      true,
		"hello\nworld":          true,
		"héllo":                 true,
		"h\xc3":                 true, // rune cut at the sample's end
		"h\xc3x":                false,
		"bin\x00ary":            false,
		"\x89PNG\r\n\x1a\n\x00": false,
	} {
		if got := bundle.LooksText([]byte(s)); got != want {
			t.Errorf("LooksText(%q) = %v, want %v", s, got, want)
		}
	}
}
