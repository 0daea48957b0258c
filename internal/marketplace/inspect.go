package marketplace

import (
	"context"
	"errors"
	"io"

	"lumdesk/internal/accounts"
)

// ErrNoBundleStore: the service's Bundles cannot read stored bundles back.
var ErrNoBundleStore = errors.New("stored bundles cannot be read back")

// bundleOpener is a Bundles that can read a stored bundle back.
type bundleOpener interface {
	Open(ctx context.Context, sha string) (io.ReadCloser, error)
}

// Open streams the stored bundle with this sha256 (the .tar.gz as uploaded).
func (b BlobBundles) Open(ctx context.Context, sha string) (io.ReadCloser, error) {
	return b.Blobs.Open(ctx, sha)
}

// OpenBundle streams the stored bundle of a version inside the scope (the
// caller closes it).
func (s *Service) OpenBundle(ctx context.Context, scope accounts.Scope, versionID string) (_ io.ReadCloser, err error) {
	defer wrap(&err, "open bundle of %s", versionID)
	v, err := s.GetVersion(ctx, scope, versionID)
	if err != nil {
		return nil, err
	}
	return s.OpenBundleSHA(ctx, v.BundleSHA256)
}

// OpenBundleSHA streams a stored bundle by its sha256.
func (s *Service) OpenBundleSHA(ctx context.Context, sha string) (io.ReadCloser, error) {
	o, ok := s.bundles.(bundleOpener)
	if !ok {
		return nil, ErrNoBundleStore
	}
	return o.Open(ctx, sha)
}
