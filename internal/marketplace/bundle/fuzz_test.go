package bundle_test

import (
	"archive/tar"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"runtime"
	"testing"

	"lumdesk/internal/marketplace/bundle"
)

// FuzzValidate: whatever the bytes, Validate never panics, never reads past
// the compressed limit, and what it accepts respects every limit and
// describes exactly the bytes it was given.
func FuzzValidate(f *testing.F) {
	seeds := [][]byte{
		targz(f, manifest("1.0.0"), file("a.js", "console.log(1)\n")),
		targz(f, dir("./"), manifest("1.0.0"), dir("dist/"), file("dist/a.js", "x"), file("dist/b.css", "body{}")),
		targz(f, manifest("1.0.0"), file("../x", "x")),
		targz(f, manifest("1.0.0"), entry{name: "l", typ: tar.TypeSymlink, linkname: "/etc/passwd"}),
		targz(f, manifest("1.0.0"), entry{name: "h", typ: tar.TypeLink, linkname: "manifest.json"}),
		targz(f, manifest("1.0.0"), file("a", "1"), file("./a", "2")),
		targz(f, manifest("2.0.0")),
		targz(f, file("manifest.json", "[]")),
		append(targz(f, manifest("1.0.0")), zeroMember(f, 64<<10)...),
		gz(f, tarball(f, manifest("1.0.0"), entry{name: "big", typ: tar.TypeReg, size: 1 << 30})),
		[]byte("not gzip"),
		{0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff},
	}
	for _, s := range seeds {
		f.Add(s)
	}
	lim := bundle.Limits{MaxCompressed: 32 << 10, MaxUncompressed: 128 << 10, MaxEntries: 20, MaxManifest: 1 << 10}
	f.Fuzz(func(t *testing.T, data []byte) {
		cr := &countingReader{r: bytes.NewReader(data)}
		var sink bytes.Buffer
		facts, err := bundle.Validate(context.Background(), cr, lim, "1.0.0", &sink)
		if cr.n > lim.MaxCompressed+1 {
			t.Fatalf("read %d bytes, past the %d limit", cr.n, lim.MaxCompressed)
		}
		if !bytes.Equal(sink.Bytes(), data[:cr.n]) {
			t.Fatal("sink does not hold exactly the bytes read")
		}
		if err != nil {
			var be *bundle.Error
			if !errors.As(err, &be) || be.Reason == "" {
				t.Fatalf("refusal %v is not a *bundle.Error with a reason", err)
			}
			return
		}
		h := sha256.Sum256(data)
		if facts.SHA256 != hex.EncodeToString(h[:]) || facts.Size != int64(len(data)) || cr.n != int64(len(data)) {
			t.Fatalf("accepted facts %s/%d do not describe the %d bytes", facts.SHA256, facts.Size, len(data))
		}
		var total int64
		seen := map[string]bool{}
		for _, fl := range facts.Files {
			total += fl.Size
			if seen[fl.Path] || fl.Path == "" || fl.Path[0] == '/' {
				t.Fatalf("accepted bad path %q", fl.Path)
			}
			seen[fl.Path] = true
		}
		if total != facts.UncompressedSize || total > lim.MaxUncompressed || facts.FileCount > lim.MaxEntries || facts.FileCount != len(facts.Files) {
			t.Fatalf("accepted facts break the limits: %d bytes, %d files", total, facts.FileCount)
		}
		if !seen["manifest.json"] || len(facts.Manifest) > int(lim.MaxManifest) {
			t.Fatal("accepted without a root manifest within its limit")
		}
	})
}

// allocated is the bytes allocated while validating data.
func allocated(t testing.TB, data []byte) uint64 {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	if _, err := bundle.Validate(context.Background(), bytes.NewReader(data), bundle.Limits{}, "1.0.0", io.Discard); err != nil {
		t.Fatal(err)
	}
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

// oneFileBundle is a bundle holding manifest.json and one incompressible
// file of n bytes.
func oneFileBundle(t testing.TB, n int) []byte {
	return targz(t, manifest("1.0.0"), entry{name: "dist/payload.bin", typ: tar.TypeReg, body: random(t, n)})
}

// TestMemoryDoesNotGrowWithBundle: validating a 8 MiB bundle allocates
// about what a 1 MiB one does (fixed buffers), nowhere near its size.
func TestMemoryDoesNotGrowWithBundle(t *testing.T) {
	small, large := oneFileBundle(t, 1<<20), oneFileBundle(t, 8<<20)
	allocated(t, small) // warm up lazily initialised tables
	a, b := allocated(t, small), allocated(t, large)
	t.Logf("allocated: 1 MiB bundle %d bytes, 8 MiB bundle %d bytes", a, b)
	if b > a+256<<10 || b > 1<<20 {
		t.Fatalf("8 MiB bundle allocated %d bytes against %d for 1 MiB: memory grows with the bundle", b, a)
	}
}

func benchmarkValidate(b *testing.B, n int) {
	data := oneFileBundle(b, n)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if _, err := bundle.Validate(context.Background(), bytes.NewReader(data), bundle.Limits{}, "1.0.0", io.Discard); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkValidate1MiB and BenchmarkValidate20MiB: B/op stays flat while
// the bundle grows twentyfold.
func BenchmarkValidate1MiB(b *testing.B)  { benchmarkValidate(b, 1<<20) }
func BenchmarkValidate20MiB(b *testing.B) { benchmarkValidate(b, 20<<20) }
