package inspect

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
)

// BundleFile is one file for Build.
type BundleFile struct {
	Path string
	Body []byte
}

// Build packs files, in order, into a .tar.gz bundle (the demo seed and
// tests submit real bundles through it).
func Build(files ...BundleFile) ([]byte, error) {
	var buf bytes.Buffer
	gz := gzip.NewWriter(&buf)
	tw := tar.NewWriter(gz)
	for _, f := range files {
		if err := tw.WriteHeader(&tar.Header{Name: f.Path, Mode: 0o644, Size: int64(len(f.Body)), Typeflag: tar.TypeReg}); err != nil {
			return nil, err
		}
		if _, err := tw.Write(f.Body); err != nil {
			return nil, err
		}
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	if err := gz.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
