package marketplace

import (
	"context"
	"errors"
	"fmt"
	"io"

	"lumdesk/internal/marketplace/blob"
	"lumdesk/internal/marketplace/bundle"
)

// BlobBundles is the Bundles of a running server: the upload streams
// through marketplace/bundle's validator into a pending blob, which is
// committed under the bundle's sha256 only when every check passed, so a
// refused bundle leaves nothing stored and no upload is ever whole in memory.
type BlobBundles struct {
	Blobs  blob.Store
	Limits bundle.Limits
}

// invalidBundle is a refusal: its text names the problem and the entry,
// and errors.Is(err, ErrBundleInvalid) holds.
type invalidBundle struct{ msg string }

func (e invalidBundle) Error() string        { return e.msg }
func (e invalidBundle) Is(target error) bool { return target == ErrBundleInvalid }

// Store implements Bundles.
func (b BlobBundles) Store(ctx context.Context, r io.Reader, version string) (BundleFacts, error) {
	p, err := b.Blobs.Create(ctx)
	if err != nil {
		return BundleFacts{}, fmt.Errorf("bundle: start blob: %w", err)
	}
	defer p.Abort() // a no-op once committed
	facts, err := bundle.Validate(ctx, r, b.Limits, version, p)
	var refused *bundle.Error
	if errors.As(err, &refused) {
		return BundleFacts{}, invalidBundle{refused.Error()}
	}
	if err != nil {
		return BundleFacts{}, err
	}
	if err := p.Commit(ctx, facts.SHA256); err != nil {
		return BundleFacts{}, fmt.Errorf("bundle: store blob: %w", err)
	}
	out := BundleFacts{SHA256: facts.SHA256, Size: facts.Size, UnpackedSize: facts.UncompressedSize, FileCount: facts.FileCount,
		Manifest: facts.Manifest, Files: make([]BundleFile, len(facts.Files))}
	for i, f := range facts.Files {
		out.Files[i] = BundleFile{Path: f.Path, Size: f.Size, SHA256: f.SHA256}
	}
	return out, nil
}
