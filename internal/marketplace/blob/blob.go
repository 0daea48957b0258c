// Package blob stores Lumio bundles content-addressed by their sha256.
//
// Bundles are streamed, never held whole in memory: an upload is written to
// a pending blob (a temporary file) while the bundle validator reads it, and
// only once it is accepted is the pending blob committed under its hash,
// which the pending blob computed itself from the bytes written, so a blob's
// name always matches its content. A refused upload is aborted and leaves
// nothing behind. Readers stream a blob back with Open.
package blob

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"io/fs"
	"os"
	"path/filepath"
)

// ErrNotFound: no blob has that hash.
var ErrNotFound = errors.New("blob: not found")

// ErrBadHash: the name is not 64 lower-case hex characters.
var ErrBadHash = errors.New("blob: malformed sha256 (want 64 lower-case hex characters)")

// ErrMismatch: the bytes written do not hash (or measure) to what the caller
// said.
var ErrMismatch = errors.New("blob: content does not match its sha256 or size")

// Store is a content-addressed blob store.
type Store interface {
	// Put stores size bytes from r under sha, checking that they hash to it.
	Put(ctx context.Context, sha string, r io.Reader, size int64) error
	// Open streams the blob; ErrNotFound when absent.
	Open(ctx context.Context, sha string) (io.ReadCloser, error)
	// Exists reports whether the blob is stored.
	Exists(ctx context.Context, sha string) (bool, error)
	// Create starts a pending blob: write to it, then Commit or Abort.
	Create(ctx context.Context) (Pending, error)
}

// Pending is a blob being written. Exactly one of Commit or Abort ends it
// (Abort after Commit is a no-op, so `defer p.Abort()` is safe).
type Pending interface {
	io.Writer
	// Commit stores the written bytes under sha, which must be their
	// sha256 (ErrMismatch otherwise, and nothing is stored).
	Commit(ctx context.Context, sha string) error
	// Abort discards the written bytes.
	Abort() error
}

// ValidHash reports whether s is a sha256 in lower-case hex.
func ValidHash(s string) bool {
	if len(s) != 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

// put is Put in terms of Create, shared by the implementations.
func put(ctx context.Context, s Store, sha string, r io.Reader, size int64) error {
	if !ValidHash(sha) {
		return ErrBadHash
	}
	p, err := s.Create(ctx)
	if err != nil {
		return err
	}
	defer p.Abort()
	n, err := io.Copy(p, io.LimitReader(r, size+1))
	if err != nil {
		return err
	}
	if n != size {
		return fmt.Errorf("%w: read %d bytes, want %d", ErrMismatch, n, size)
	}
	return p.Commit(ctx, sha)
}

// Dir is a Store in a directory: blobs at root/ab/cd/<sha>, pending ones in
// root/tmp, renamed into place (atomic on one file system).
type Dir struct {
	root string
}

// NewDir opens (creating) a directory store.
func NewDir(root string) (*Dir, error) {
	if root == "" {
		return nil, errors.New("blob: empty directory")
	}
	if err := os.MkdirAll(filepath.Join(root, "tmp"), 0o750); err != nil {
		return nil, fmt.Errorf("blob: %w", err)
	}
	return &Dir{root: root}, nil
}

func (d *Dir) path(sha string) string {
	return filepath.Join(d.root, sha[:2], sha[2:4], sha)
}

// Put implements Store.
func (d *Dir) Put(ctx context.Context, sha string, r io.Reader, size int64) error {
	return put(ctx, d, sha, r, size)
}

// Open implements Store.
func (d *Dir) Open(ctx context.Context, sha string) (io.ReadCloser, error) {
	if !ValidHash(sha) {
		return nil, ErrBadHash
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	f, err := os.Open(d.path(sha))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("blob: %w", err)
	}
	return f, nil
}

// Exists implements Store.
func (d *Dir) Exists(ctx context.Context, sha string) (bool, error) {
	if !ValidHash(sha) {
		return false, ErrBadHash
	}
	if err := ctx.Err(); err != nil {
		return false, err
	}
	_, err := os.Stat(d.path(sha))
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("blob: %w", err)
	}
	return true, nil
}

// Create implements Store.
func (d *Dir) Create(ctx context.Context) (Pending, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	f, err := os.CreateTemp(filepath.Join(d.root, "tmp"), "pending-*")
	if err != nil {
		return nil, fmt.Errorf("blob: %w", err)
	}
	return &dirPending{d: d, f: f, h: sha256.New()}, nil
}

type dirPending struct {
	d    *Dir
	f    *os.File
	h    hash.Hash
	done bool
}

func (p *dirPending) Write(b []byte) (int, error) {
	if p.done {
		return 0, errors.New("blob: write after commit or abort")
	}
	n, err := p.f.Write(b)
	p.h.Write(b[:n])
	return n, err
}

func (p *dirPending) Commit(ctx context.Context, sha string) error {
	if p.done {
		return errors.New("blob: commit after commit or abort")
	}
	if !ValidHash(sha) {
		p.Abort()
		return ErrBadHash
	}
	if got := hex.EncodeToString(p.h.Sum(nil)); got != sha {
		p.Abort()
		return fmt.Errorf("%w: content is %s, not %s", ErrMismatch, got, sha)
	}
	if err := ctx.Err(); err != nil {
		p.Abort()
		return err
	}
	if err := p.f.Sync(); err != nil {
		p.Abort()
		return fmt.Errorf("blob: %w", err)
	}
	if err := p.f.Close(); err != nil {
		p.Abort()
		return fmt.Errorf("blob: %w", err)
	}
	dst := p.d.path(sha)
	if err := os.MkdirAll(filepath.Dir(dst), 0o750); err != nil {
		p.Abort()
		return fmt.Errorf("blob: %w", err)
	}
	// Same content, same name: replacing an existing blob is harmless.
	if err := os.Rename(p.f.Name(), dst); err != nil {
		p.Abort()
		return fmt.Errorf("blob: %w", err)
	}
	p.done = true
	return nil
}

func (p *dirPending) Abort() error {
	if p.done {
		return nil
	}
	p.done = true
	p.f.Close()
	if err := os.Remove(p.f.Name()); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("blob: %w", err)
	}
	return nil
}
