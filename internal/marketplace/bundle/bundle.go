// Package bundle validates a Lumio version bundle (a .tar.gz) while it
// streams.
//
// Bundles arrive as a multipart upload of up to 25 MiB compressed that may
// inflate to anything (a gzip bomb), so the validator never holds a bundle,
// or any one of its files, in memory: it reads the compressed bytes once,
// passes them through to a sink (a blob store's pending write, so the upload
// is stored while it is checked), hashes them, inflates them through tar with
// hard limits that stop reading the moment one is crossed, and keeps only the
// facts (hashes, sizes, the file list, the manifest, which is bounded to
// 1 MiB). Memory use is therefore a few fixed buffers plus the file list,
// whatever the size of the bundle.
//
// Every refusal is an *Error naming the problem and the entry; any other
// error (the sink failed, the context ended) is not the uploader's fault.
package bundle

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"io"
	"path"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"archive/tar"
	"compress/gzip"
)

const (
	// DefaultMaxCompressed is the default LUMIO_MAX_BUNDLE: 25 MiB.
	DefaultMaxCompressed = 25 << 20
	// DefaultMaxUncompressed bounds the sum of the files' sizes: 100 MiB.
	DefaultMaxUncompressed = 100 << 20
	// DefaultMaxEntries bounds the number of tar entries (files, directories).
	DefaultMaxEntries = 5000
	// DefaultMaxManifest bounds manifest.json: 1 MiB.
	DefaultMaxManifest = 1 << 20
	// MaxPathLen bounds an entry's path in bytes.
	MaxPathLen = 1024
	// ManifestName is the manifest's path at the root of a bundle.
	ManifestName = "manifest.json"
)

// Limits bound a bundle. Zero fields take the defaults.
type Limits struct {
	MaxCompressed   int64 // compressed bytes read from the upload
	MaxUncompressed int64 // sum of the regular files' sizes
	MaxEntries      int   // tar entries, directories included
	MaxManifest     int64 // size of manifest.json
}

// DefaultLimits are the limits of the Lumio API.
func DefaultLimits() Limits {
	return Limits{
		MaxCompressed:   DefaultMaxCompressed,
		MaxUncompressed: DefaultMaxUncompressed,
		MaxEntries:      DefaultMaxEntries,
		MaxManifest:     DefaultMaxManifest,
	}
}

// LimitsFromEnv returns DefaultLimits with MaxCompressed taken from
// LUMIO_MAX_BUNDLE (bytes, or with a KiB / MiB suffix) when set.
func LimitsFromEnv(getenv func(string) string) (Limits, error) {
	l := DefaultLimits()
	v := strings.TrimSpace(getenv("LUMIO_MAX_BUNDLE"))
	if v == "" {
		return l, nil
	}
	mult := int64(1)
	for _, s := range []struct {
		suffix string
		mult   int64
	}{{"KiB", 1 << 10}, {"MiB", 1 << 20}, {"GiB", 1 << 30}} {
		if strings.HasSuffix(v, s.suffix) {
			v, mult = strings.TrimSpace(strings.TrimSuffix(v, s.suffix)), s.mult
			break
		}
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n <= 0 || n > (1<<40)/mult {
		return l, fmt.Errorf("LUMIO_MAX_BUNDLE: %q is not a positive size in bytes (or KiB, MiB, GiB)", getenv("LUMIO_MAX_BUNDLE"))
	}
	l.MaxCompressed = n * mult
	return l, nil
}

func (l Limits) withDefaults() Limits {
	d := DefaultLimits()
	if l.MaxCompressed <= 0 {
		l.MaxCompressed = d.MaxCompressed
	}
	if l.MaxUncompressed <= 0 {
		l.MaxUncompressed = d.MaxUncompressed
	}
	if l.MaxEntries <= 0 {
		l.MaxEntries = d.MaxEntries
	}
	if l.MaxManifest <= 0 {
		l.MaxManifest = d.MaxManifest
	}
	return l
}

// Error is a refused bundle: the uploader's fault, a 422 validation_error.
type Error struct {
	Entry  string // the tar entry concerned, "" for the bundle as a whole
	Reason string
}

func (e *Error) Error() string {
	if e.Entry == "" {
		return "bundle: " + e.Reason
	}
	return fmt.Sprintf("bundle: %s: %s", quoteEntry(e.Entry), e.Reason)
}

// quoteEntry shows an entry name safely (it may hold NUL or control bytes).
func quoteEntry(s string) string {
	if len(s) > 200 {
		s = s[:200] + "…"
	}
	return strconv.Quote(s)
}

func refuse(entry, format string, a ...any) *Error {
	return &Error{Entry: entry, Reason: fmt.Sprintf(format, a...)}
}

// File is one regular file of a bundle.
type File struct {
	Path   string `json:"path"`
	Size   int64  `json:"size"`
	SHA256 string `json:"sha256"`
	// Binary: the file holds a NUL byte or is not UTF-8 (judged on its
	// first 8 KiB).
	Binary bool `json:"binary"`
	// Lines and MaxLine (longest line in bytes) feed the minified heuristic.
	Lines   int64 `json:"lines"`
	MaxLine int64 `json:"maxLine"`
}

// Minified reports whether a JavaScript file looks minified or obfuscated:
// a line longer than 1,000 bytes, or more than 300 bytes per line on average
// in a file over 2 KiB.
func (f File) Minified() bool {
	ext := strings.ToLower(path.Ext(f.Path))
	if f.Binary || (ext != ".js" && ext != ".mjs" && ext != ".cjs") {
		return false
	}
	if f.MaxLine > 1000 {
		return true
	}
	return f.Size > 2048 && f.Size/max(f.Lines, 1) > 300
}

// Facts describe an accepted bundle.
type Facts struct {
	SHA256           string          // hex sha256 of the compressed bytes
	Size             int64           // compressed size in bytes
	UncompressedSize int64           // sum of the regular files' sizes
	FileCount        int             // regular files
	Manifest         json.RawMessage // manifest.json as uploaded
	Files            []File          // regular files in archive order
}

// LooksText reports whether b (a file's start) reads as text: no NUL byte
// and valid UTF-8 (a rune cut at the end of b is allowed).
func LooksText(b []byte) bool {
	if bytes.IndexByte(b, 0) >= 0 {
		return false
	}
	for len(b) > 0 {
		r, n := utf8.DecodeRune(b)
		if r == utf8.RuneError && n <= 1 {
			return len(b) < utf8.UTFMax && !utf8.FullRune(b)
		}
		b = b[n:]
	}
	return true
}

// Validate reads a .tar.gz bundle from r, writing every compressed byte
// read to sink (nil: discarded), and returns its facts when it is an
// acceptable bundle for version. A refusal is an *Error; it stops reading
// at the first problem, so the sink then holds a prefix of the upload and
// must be discarded by the caller.
func Validate(ctx context.Context, r io.Reader, lim Limits, version string, sink io.Writer) (*Facts, error) {
	lim = lim.withDefaults()
	if sink == nil {
		sink = io.Discard
	}
	v := &validator{ctx: ctx, lim: lim, version: version, seen: map[string]byte{}}
	v.comp = &compressedReader{ctx: ctx, r: r, sink: sink, h: sha256.New(), max: lim.MaxCompressed}
	facts, err := v.run()
	if err != nil {
		return nil, v.explain(err)
	}
	return facts, nil
}

type validator struct {
	ctx     context.Context
	lim     Limits
	version string
	comp    *compressedReader
	inflate *inflatedReader
	seen    map[string]byte // cleaned path: 'f' file, 'D' directory entry, 'd' implied directory
	entries int
	total   int64
	buf     []byte
	stats   TextStats // reused for each file
}

// explain turns a low-level read error into the limit or fault behind it.
func (v *validator) explain(err error) error {
	var be *Error
	switch {
	case v.comp.sinkErr != nil:
		return fmt.Errorf("bundle: storing upload: %w", v.comp.sinkErr)
	case v.comp.readErr != nil && !errors.Is(v.comp.readErr, io.EOF):
		return fmt.Errorf("bundle: reading upload: %w", v.comp.readErr)
	case v.ctx.Err() != nil:
		return v.ctx.Err()
	case v.comp.over:
		return refuse("", "bundle is larger than %s compressed", size(v.lim.MaxCompressed))
	case v.inflate != nil && v.inflate.over:
		return refuse("", "bundle inflates to more than %s", size(v.lim.MaxUncompressed))
	case errors.As(err, &be):
		return be
	case errors.Is(err, gzip.ErrHeader):
		return refuse("", "not a gzip stream (a bundle is a .tar.gz)")
	case errors.Is(err, gzip.ErrChecksum):
		return refuse("", "gzip checksum mismatch: the archive is corrupt")
	case errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF):
		return refuse("", "archive is truncated")
	case errors.Is(err, tar.ErrHeader) || errors.Is(err, tar.ErrFieldTooLong) || errors.Is(err, tar.ErrInsecurePath):
		return refuse("", "not a valid tar archive inside the gzip stream (%v)", err)
	default:
		// Other decoder errors (flate corruption, malformed tar fields).
		return refuse("", "malformed archive: %v", err)
	}
}

func (v *validator) run() (*Facts, error) {
	br := bufio.NewReaderSize(v.comp, 32<<10)
	gz, err := gzip.NewReader(br)
	if err != nil {
		return nil, err
	}
	// Headers, padding and PAX records inflate too: bound the whole
	// inflated stream, not only the files' declared sizes.
	overhead := int64(v.lim.MaxEntries+2)*2048 + 2<<20
	v.inflate = &inflatedReader{r: gz, max: v.lim.MaxUncompressed + overhead}
	tr := tar.NewReader(v.inflate)
	v.buf = make([]byte, 32<<10)

	facts := &Facts{}
	var nested string
	for {
		if err := v.ctx.Err(); err != nil {
			return nil, err
		}
		hdr, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
		v.entries++
		if v.entries > v.lim.MaxEntries {
			return nil, refuse(hdr.Name, "bundle has more than %d entries", v.lim.MaxEntries)
		}
		if hdr.Typeflag == tar.TypeXGlobalHeader {
			continue // archive-wide PAX metadata (git archive writes one)
		}
		name, err := v.checkEntry(hdr)
		if err != nil {
			return nil, err
		}
		if name == "" || hdr.Typeflag == tar.TypeDir {
			continue
		}
		if hdr.Size > v.lim.MaxUncompressed-v.total {
			return nil, refuse(name, "file of %s takes the bundle over %s uncompressed", size(hdr.Size), size(v.lim.MaxUncompressed))
		}
		v.total += hdr.Size
		isManifest := name == ManifestName
		if isManifest && hdr.Size > v.lim.MaxManifest {
			return nil, refuse(name, "manifest is %s, over the %s limit", size(hdr.Size), size(v.lim.MaxManifest))
		}
		if !isManifest && path.Base(name) == ManifestName && nested == "" {
			nested = name
		}
		var manifest *bytes.Buffer
		if isManifest {
			manifest = bytes.NewBuffer(make([]byte, 0, hdr.Size))
		}
		f, err := v.readFile(tr, name, hdr.Size, manifest)
		if err != nil {
			return nil, err
		}
		facts.Files = append(facts.Files, f)
		if isManifest {
			if err := v.checkManifest(manifest.Bytes()); err != nil {
				return nil, err
			}
			facts.Manifest = json.RawMessage(manifest.Bytes())
		}
	}
	// The tar end marker is read; drain the gzip stream to its end (checking
	// its CRC and the inflate bound) and make sure nothing follows it, so the
	// hash covers every byte of the upload.
	if _, err := io.CopyBuffer(io.Discard, v.inflate, v.buf); err != nil {
		if errors.Is(err, gzip.ErrHeader) {
			// a further gzip member was expected: junk follows the stream
			return nil, refuse("", "data after the end of the gzip stream")
		}
		return nil, err
	}
	if err := gz.Close(); err != nil {
		return nil, err
	}
	if _, err := br.ReadByte(); err != io.EOF {
		if err == nil {
			return nil, refuse("", "data after the end of the gzip stream")
		}
		return nil, err
	}
	if facts.Manifest == nil {
		if nested != "" {
			return nil, refuse(ManifestName, "missing at the root of the bundle (found %s: pack the directory's contents, not the directory)", quoteEntry(nested))
		}
		return nil, refuse(ManifestName, "missing: a bundle needs manifest.json at its root")
	}
	facts.SHA256 = hex.EncodeToString(v.comp.h.Sum(nil))
	facts.Size = v.comp.n
	facts.UncompressedSize = v.total
	facts.FileCount = len(facts.Files)
	return facts, nil
}

// checkEntry refuses an entry's type or name and returns its cleaned path
// ("" for the archive's root directory entry).
func (v *validator) checkEntry(hdr *tar.Header) (string, error) {
	raw := hdr.Name
	switch hdr.Typeflag {
	case tar.TypeReg, tar.TypeDir:
	case tar.TypeSymlink:
		return "", refuse(raw, "symbolic links are not allowed (points to %s)", quoteEntry(hdr.Linkname))
	case tar.TypeLink:
		return "", refuse(raw, "hard links are not allowed (links to %s)", quoteEntry(hdr.Linkname))
	case tar.TypeChar, tar.TypeBlock:
		return "", refuse(raw, "device files are not allowed")
	case tar.TypeFifo:
		return "", refuse(raw, "named pipes (FIFOs) are not allowed")
	default:
		return "", refuse(raw, "entry type %q is not allowed: only regular files and directories", string(hdr.Typeflag))
	}
	switch {
	case raw == "":
		return "", refuse(raw, "empty entry name")
	case len(raw) > MaxPathLen:
		return "", refuse(raw, "path longer than %d bytes", MaxPathLen)
	case strings.IndexByte(raw, 0) >= 0:
		return "", refuse(raw, "NUL byte in the path")
	case strings.Contains(raw, `\`):
		return "", refuse(raw, "backslash in the path (use / between directories)")
	case strings.HasPrefix(raw, "/"):
		return "", refuse(raw, "absolute path")
	case !utf8.ValidString(raw):
		return "", refuse(raw, "path is not valid UTF-8")
	}
	for _, r := range raw {
		if unicode.IsControl(r) {
			return "", refuse(raw, "control character in the path")
		}
	}
	name := raw
	for strings.HasPrefix(name, "./") {
		name = name[2:]
	}
	name = strings.TrimSuffix(name, "/")
	if name == "" || name == "." {
		if hdr.Typeflag == tar.TypeDir {
			return "", nil // "./", the root itself
		}
		return "", refuse(raw, "empty entry name")
	}
	if len(name) >= 2 && name[1] == ':' {
		return "", refuse(raw, "absolute path (drive letter)")
	}
	for _, seg := range strings.Split(name, "/") {
		switch seg {
		case "..":
			return "", refuse(raw, "path leaves the bundle (.. segment)")
		case "", ".":
			return "", refuse(raw, "path is not clean (empty or . segment)")
		}
	}
	kind := byte('f')
	if hdr.Typeflag == tar.TypeDir {
		kind = 'D'
	}
	switch prev := v.seen[name]; {
	case prev == 'f' || prev == 'D':
		return "", refuse(raw, "duplicate path %s", quoteEntry(name))
	case prev == 'd' && kind == 'f':
		return "", refuse(raw, "file has the path of a directory holding earlier entries")
	}
	for dir := path.Dir(name); dir != "."; dir = path.Dir(dir) {
		if v.seen[dir] == 'f' {
			return "", refuse(raw, "path is inside %s, which is a file", quoteEntry(dir))
		}
	}
	for dir := path.Dir(name); dir != "." && v.seen[dir] == 0; dir = path.Dir(dir) {
		v.seen[dir] = 'd' // implicit directory
	}
	v.seen[name] = kind
	return name, nil
}

// readFile streams one file's content through its hash and the text
// statistics, copying it into manifest when that is not nil.
func (v *validator) readFile(tr *tar.Reader, name string, n int64, manifest *bytes.Buffer) (File, error) {
	h := sha256.New()
	st := &v.stats
	*st = TextStats{}
	var w io.Writer = io.MultiWriter(h, st)
	if manifest != nil {
		w = io.MultiWriter(h, st, manifest)
	}
	got, err := io.CopyBuffer(w, &ctxReader{ctx: v.ctx, r: tr}, v.buf)
	if err != nil {
		return File{}, err
	}
	if got != n {
		return File{}, refuse(name, "archive is truncated")
	}
	return File{Path: name, Size: n, SHA256: hex.EncodeToString(h.Sum(nil)), Binary: st.Binary(), Lines: st.Lines(), MaxLine: st.MaxLine()}, nil
}

func (v *validator) checkManifest(b []byte) error {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(b, &m); err != nil || m == nil {
		return refuse(ManifestName, "not a JSON object")
	}
	raw, ok := m["version"]
	if !ok {
		return refuse(ManifestName, `no "version" field (want %q)`, v.version)
	}
	var got string
	if err := json.Unmarshal(raw, &got); err != nil {
		return refuse(ManifestName, `"version" is not a string (want %q)`, v.version)
	}
	if got != v.version {
		return refuse(ManifestName, `"version" is %q but the upload is version %q`, got, v.version)
	}
	return nil
}

// compressedReader reads the upload: it stops past max, writes what it
// read to sink and hashes it.
type compressedReader struct {
	ctx     context.Context
	r       io.Reader
	sink    io.Writer
	h       hash.Hash
	n, max  int64
	over    bool
	sinkErr error
	readErr error
}

func (c *compressedReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	if c.over {
		return 0, errLimit
	}
	// Read at most one byte past the limit: enough to know it is crossed.
	if room := c.max + 1 - c.n; int64(len(p)) > room {
		p = p[:room]
	}
	n, err := c.r.Read(p)
	if n > 0 {
		if c.n+int64(n) > c.max {
			c.over = true
			return 0, errLimit
		}
		c.n += int64(n)
		c.h.Write(p[:n])
		if _, werr := c.sink.Write(p[:n]); werr != nil {
			c.sinkErr = werr
			return 0, werr
		}
	}
	if err != nil {
		c.readErr = err
	}
	return n, err
}

var errLimit = errors.New("bundle: limit reached")

// inflatedReader bounds the inflated stream.
type inflatedReader struct {
	r      io.Reader
	n, max int64
	over   bool
}

func (c *inflatedReader) Read(p []byte) (int, error) {
	if c.over {
		return 0, errLimit
	}
	if room := c.max + 1 - c.n; int64(len(p)) > room {
		p = p[:room]
	}
	n, err := c.r.Read(p)
	c.n += int64(n)
	if c.n > c.max {
		c.over = true
		return 0, errLimit
	}
	return n, err
}

type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c *ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}

// TextStats watches a file stream (write the file to it): NUL bytes, UTF-8
// validity of the first 8 KiB, line count and longest line. The validator
// and the reviewer's inspector (marketplace/inspect) judge files by it.
type TextStats struct {
	head     [8 << 10]byte
	headN    int
	nul      bool
	newlines int64
	cur, mx  int64
}

func (s *TextStats) Write(p []byte) (int, error) {
	if s.headN < len(s.head) {
		s.headN += copy(s.head[s.headN:], p)
	}
	if !s.nul && bytes.IndexByte(p, 0) >= 0 {
		s.nul = true
	}
	rest := p
	for {
		i := bytes.IndexByte(rest, '\n')
		if i < 0 {
			s.cur += int64(len(rest))
			break
		}
		s.cur += int64(i)
		s.mx = max(s.mx, s.cur)
		s.cur = 0
		s.newlines++
		rest = rest[i+1:]
	}
	return len(p), nil
}

// Binary: a NUL byte, or a head that is not text.
func (s *TextStats) Binary() bool { return s.nul || !LooksText(s.head[:s.headN]) }

// MaxLine is the longest line in bytes.
func (s *TextStats) MaxLine() int64 {
	return max(s.mx, s.cur)
}

// Lines counts lines, a last one without a newline included.
func (s *TextStats) Lines() int64 {
	if s.cur > 0 {
		return s.newlines + 1
	}
	return s.newlines
}

func size(n int64) string {
	switch {
	case n >= 1<<30 && n%(1<<30) == 0:
		return fmt.Sprintf("%d GiB", n>>30)
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%d MiB", n>>20)
	case n >= 1<<10 && n%(1<<10) == 0:
		return fmt.Sprintf("%d KiB", n>>10)
	}
	return fmt.Sprintf("%d bytes", n)
}
