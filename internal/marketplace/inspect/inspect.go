// Package inspect is the reviewer's view of a Lumio version's bundle: the
// manifest, the file tree with sizes, what changed since the extension's
// last approved version (by the versions' file lists, without reading a
// bundle), line diffs of the changed text files, a bounded preview of one
// file and the flags a reviewer should look at (minified or obfuscated
// JavaScript, binary files, very large files, permissions the manifest
// asks for that the approved version did not).
//
// Bundles are read as streams from the blob store; no file is ever held
// whole: a preview keeps the first PreviewMax bytes and a diff at most
// DiffMax bytes of each side, for at most MaxDiffFiles files.
package inspect

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"io"
	"path"
	"sort"
	"strings"

	"lumdesk/internal/marketplace"
	"lumdesk/internal/marketplace/bundle"
	"lumdesk/internal/platform/textdiff"
)

// Bounds on what the inspector reads into memory.
const (
	PreviewMax   = 64 << 10  // bytes of a file shown in its preview
	DiffMax      = 256 << 10 // bytes of each side a diff reads; larger files are not diffed
	LargeFile    = 1 << 20   // a file above this is flagged
	MaxDiffFiles = 50        // changed files diffed; the others are listed only
	headSniff    = 8 << 10   // bytes judged for text or binary
	DiffContext  = 3
)

// Opener streams a stored bundle by its sha256.
type Opener func(ctx context.Context, sha string) (io.ReadCloser, error)

// Changes of a file against the last approved version.
const (
	Added     = "added"
	Changed   = "changed"
	Unchanged = "unchanged"
	Removed   = "removed"
)

// Flag kinds.
const (
	FlagMinified   = "minified"
	FlagBinary     = "binary"
	FlagLarge      = "large"
	FlagPermission = "permission"
)

// File is one file of the bundle with what the stream found.
type File struct {
	Path     string
	Size     int64
	SHA256   string
	Change   string // Added, Changed, Unchanged (everything is Added without an approved version)
	Binary   bool
	Minified bool
	Large    bool
	Lines    int64
}

// Flag is one thing a reviewer should look at.
type Flag struct {
	Kind   string // FlagMinified, FlagBinary, FlagLarge, FlagPermission
	Path   string // the file, or the permission for FlagPermission
	Detail string
}

// Diff is one changed file's line diff, or why there is none.
type Diff struct {
	Path           string
	Hunks          []textdiff.Hunk
	Added, Removed int
	Note           string // "" when Hunks hold the diff
}

// Preview is the start of one file.
type Preview struct {
	Path      string
	Size      int64
	Text      string // at most PreviewMax bytes; "" for a binary file
	Binary    bool
	Truncated bool
}

// Report is everything the inspector shows.
type Report struct {
	SHA256         string
	Size           int64 // compressed
	UnpackedSize   int64
	FileCount      int
	Manifest       string // indented JSON
	Files          []File
	Removed        []marketplace.BundleFile
	Previous       *marketplace.VersionInfo // the last approved version compared with, nil without one
	Added, Changed int
	Diffs          []Diff
	Flags          []Flag
	NewPermissions []string
	Preview        *Preview // nil unless a file was asked for (and exists)
}

// Inspect builds the report of cur compared with prev (nil: none approved
// yet), with a preview of previewPath when it names a file of cur. A nil
// open reads no bundle: the report holds the file lists' comparison only.
func Inspect(ctx context.Context, open Opener, cur marketplace.VersionInfo, prev *marketplace.VersionInfo, previewPath string) (*Report, error) {
	r := &Report{SHA256: cur.BundleSHA256, Size: cur.BundleSize, UnpackedSize: cur.BundleUnpackedSize, FileCount: cur.FileCount,
		Previous: prev, Manifest: prettyJSON(cur.Manifest)}
	old := map[string]marketplace.BundleFile{}
	if prev != nil {
		for _, f := range prev.Files {
			old[f.Path] = f
		}
	}
	seen := map[string]bool{}
	index := map[string]int{}
	for _, f := range cur.Files {
		ch := Added
		if o, ok := old[f.Path]; ok {
			ch = Unchanged
			if o.SHA256 != f.SHA256 {
				ch = Changed
			}
		}
		switch ch {
		case Added:
			r.Added++
		case Changed:
			r.Changed++
		}
		seen[f.Path] = true
		index[f.Path] = len(r.Files)
		r.Files = append(r.Files, File{Path: f.Path, Size: f.Size, SHA256: f.SHA256, Change: ch, Large: f.Size > LargeFile})
	}
	if prev != nil {
		for _, f := range prev.Files {
			if !seen[f.Path] {
				r.Removed = append(r.Removed, f)
			}
		}
		sort.Slice(r.Removed, func(i, j int) bool { return r.Removed[i].Path < r.Removed[j].Path })
		r.NewPermissions = newPermissions(prev.Manifest, cur.Manifest)
	} else {
		r.NewPermissions = permissions(cur.Manifest)
	}

	// The files to diff: changed ones, at most MaxDiffFiles, each at most DiffMax.
	want := map[string]bool{}
	for _, f := range r.Files {
		if f.Change != Changed {
			continue
		}
		switch {
		case len(want) >= MaxDiffFiles:
			r.Diffs = append(r.Diffs, Diff{Path: f.Path, Note: "Not diffed: the inspector diffs the first 50 changed files."})
		case f.Size > DiffMax || old[f.Path].Size > DiffMax:
			r.Diffs = append(r.Diffs, Diff{Path: f.Path, Note: "Too large to diff (over 256 KiB)."})
		default:
			want[f.Path] = true
		}
	}

	// One pass over the submitted bundle: every file's text statistics,
	// the new sides of the diffs and the preview.
	newSide := map[string][]byte{}
	err := walk(ctx, open, cur.BundleSHA256, func(name string, size int64, rd io.Reader) error {
		i, ok := index[name]
		if !ok {
			return nil
		}
		st := &bundle.TextStats{}
		var keep *bytes.Buffer
		limit := int64(0)
		if want[name] {
			limit = DiffMax
		}
		if name == previewPath {
			limit = max(limit, PreviewMax)
		}
		w := io.Writer(st)
		if limit > 0 {
			keep = &bytes.Buffer{}
			w = io.MultiWriter(st, &capWriter{buf: keep, max: limit})
		}
		if _, err := io.Copy(w, rd); err != nil {
			return err
		}
		f := &r.Files[i]
		f.Binary = st.Binary()
		f.Lines = st.Lines()
		f.Minified = bundle.File{Path: name, Size: size, Binary: f.Binary, Lines: f.Lines, MaxLine: st.MaxLine()}.Minified()
		if keep != nil {
			if want[name] {
				newSide[name] = keep.Bytes()
			}
			if name == previewPath {
				p := &Preview{Path: name, Size: size, Binary: f.Binary, Truncated: size > PreviewMax}
				if !f.Binary {
					b := keep.Bytes()
					p.Text = string(b[:min(len(b), PreviewMax)])
				}
				r.Preview = p
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	for _, f := range r.Files {
		switch {
		case f.Minified:
			r.Flags = append(r.Flags, Flag{Kind: FlagMinified, Path: f.Path, Detail: "JavaScript looks minified or obfuscated."})
		case f.Binary:
			r.Flags = append(r.Flags, Flag{Kind: FlagBinary, Path: f.Path, Detail: "Binary file: its content cannot be reviewed as text."})
		}
		if f.Large {
			r.Flags = append(r.Flags, Flag{Kind: FlagLarge, Path: f.Path, Detail: "Over 1 MiB."})
		}
	}
	for _, p := range r.NewPermissions {
		r.Flags = append(r.Flags, Flag{Kind: FlagPermission, Path: p, Detail: "New permission in manifest.json."})
	}

	// The old sides, from the approved version's bundle.
	if open == nil {
		for _, f := range r.Files {
			if want[f.Path] {
				r.Diffs = append(r.Diffs, Diff{Path: f.Path, Note: "Not diffed: the stored bundles could not be read."})
			}
		}
	} else if len(want) > 0 && prev != nil {
		oldSide := map[string][]byte{}
		err := walk(ctx, open, prev.BundleSHA256, func(name string, size int64, rd io.Reader) error {
			if !want[name] {
				return nil
			}
			b := &bytes.Buffer{}
			if _, err := io.Copy(&capWriter{buf: b, max: DiffMax}, rd); err != nil {
				return err
			}
			oldSide[name] = b.Bytes()
			return nil
		})
		if err != nil {
			return nil, err
		}
		for _, f := range r.Files {
			if !want[f.Path] {
				continue
			}
			a, b := oldSide[f.Path], newSide[f.Path]
			d := Diff{Path: f.Path}
			switch {
			case f.Binary || !bundle.LooksText(head(a)) || bytes.IndexByte(a, 0) >= 0:
				d.Note = "Binary file: not diffed."
			default:
				hunks, added, removed, ok := textdiff.LineDiff(string(a), string(b), DiffContext)
				if ok {
					d.Hunks, d.Added, d.Removed = hunks, added, removed
				} else {
					d.Note = "Too many changed lines to diff."
				}
			}
			r.Diffs = append(r.Diffs, d)
		}
	}
	sort.SliceStable(r.Diffs, func(i, j int) bool { return r.Diffs[i].Path < r.Diffs[j].Path })
	return r, nil
}

func head(b []byte) []byte { return b[:min(len(b), headSniff)] }

// walk streams the bundle's regular files to fn, each as a reader of its
// content (fn may read part of it).
func walk(ctx context.Context, open Opener, sha string, fn func(name string, size int64, r io.Reader) error) error {
	if open == nil {
		return nil // the file lists alone
	}
	rc, err := open(ctx, sha)
	if err != nil {
		return err
	}
	defer rc.Close()
	gz, err := gzip.NewReader(rc)
	if err != nil {
		return err
	}
	tr := tar.NewReader(gz)
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		if hdr.Typeflag != tar.TypeReg {
			continue
		}
		name := hdr.Name
		for strings.HasPrefix(name, "./") {
			name = name[2:]
		}
		if err := fn(path.Clean(name), hdr.Size, tr); err != nil {
			return err
		}
	}
}

// capWriter keeps the first max bytes written and discards the rest.
type capWriter struct {
	buf *bytes.Buffer
	max int64
}

func (c *capWriter) Write(p []byte) (int, error) {
	if room := c.max - int64(c.buf.Len()); room > 0 {
		c.buf.Write(p[:min(int64(len(p)), room)])
	}
	return len(p), nil
}

func prettyJSON(raw json.RawMessage) string {
	var b bytes.Buffer
	if err := json.Indent(&b, raw, "", "  "); err != nil {
		return string(raw)
	}
	return b.String()
}

// permissions is the manifest's "permissions" list (strings only).
func permissions(raw json.RawMessage) []string {
	var m struct {
		Permissions []any `json:"permissions"`
	}
	if json.Unmarshal(raw, &m) != nil {
		return nil
	}
	var out []string
	seen := map[string]bool{}
	for _, p := range m.Permissions {
		if s, ok := p.(string); ok && !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	sort.Strings(out)
	return out
}

// newPermissions are the permissions of cur that old did not ask for.
func newPermissions(old, cur json.RawMessage) []string {
	had := map[string]bool{}
	for _, p := range permissions(old) {
		had[p] = true
	}
	var out []string
	for _, p := range permissions(cur) {
		if !had[p] {
			out = append(out, p)
		}
	}
	return out
}
