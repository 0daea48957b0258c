// Package pack turns a directory into a Lumio bundle: a reproducible
// .tar.gz that internal/marketplace/bundle accepts.
//
// The same files give the same bytes, whoever packs them and whenever:
// entries in lexical walk order (a directory before what it holds),
// paths relative with forward slashes, every modification time FixedTime,
// uid and gid 0 with empty owner names, mode 0644 for files and 0755 for
// directories, and a gzip header with no name and no time. Symbolic links
// and other special files are refused (the validator refuses them too), so
// a bundle never depends on what lies outside the directory.
//
// Files are streamed into the writer one buffer at a time: the archive is
// never held in memory.
package pack

import (
	"archive/tar"
	"compress/gzip"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// FixedTime is every entry's modification time: 2000-01-01 UTC.
var FixedTime = time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)

// Entry is one file or directory to pack.
type Entry struct {
	Path string // relative, forward slashes, no trailing slash
	Dir  bool
	Size int64 // files only, as scanned
}

// Scan lists dir's entries in packing order, refusing symbolic links and
// special files with an error naming the path.
func Scan(dir string) ([]Entry, error) {
	st, err := os.Stat(dir)
	if err != nil {
		return nil, fmt.Errorf("pack: %w", err)
	}
	if !st.IsDir() {
		return nil, fmt.Errorf("pack: %s is not a directory", dir)
	}
	var out []Entry
	err = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if p == dir {
			return nil
		}
		rel, err := filepath.Rel(dir, p)
		if err != nil {
			return err
		}
		rel = filepath.ToSlash(rel)
		switch t := d.Type(); {
		case t&fs.ModeSymlink != 0:
			target, _ := os.Readlink(p)
			return fmt.Errorf("pack: %s is a symbolic link (to %s): bundles cannot hold links; copy the file into the directory instead", rel, target)
		case t.IsDir():
			out = append(out, Entry{Path: rel, Dir: true})
		case t.IsRegular():
			info, err := d.Info()
			if err != nil {
				return err
			}
			out = append(out, Entry{Path: rel, Size: info.Size()})
		default:
			return fmt.Errorf("pack: %s is not a regular file or directory (%s)", rel, t.Type())
		}
		return nil
	})
	if err != nil {
		if strings.HasPrefix(err.Error(), "pack: ") {
			return nil, err
		}
		return nil, fmt.Errorf("pack: %w", err)
	}
	return out, nil
}

// Write writes the .tar.gz of entries (from Scan) of dir to w.
func Write(w io.Writer, dir string, entries []Entry) error {
	gz, err := gzip.NewWriterLevel(w, gzip.BestCompression)
	if err != nil {
		return err
	}
	tw := tar.NewWriter(gz)
	buf := make([]byte, 32<<10)
	for _, e := range entries {
		hdr := &tar.Header{Name: e.Path, ModTime: FixedTime}
		if e.Dir {
			hdr.Typeflag, hdr.Name, hdr.Mode = tar.TypeDir, e.Path+"/", 0o755
			if err := tw.WriteHeader(hdr); err != nil {
				return fmt.Errorf("pack: %s: %w", e.Path, err)
			}
			continue
		}
		hdr.Typeflag, hdr.Mode, hdr.Size = tar.TypeReg, 0o644, e.Size
		if err := writeFile(tw, hdr, filepath.Join(dir, filepath.FromSlash(e.Path)), buf); err != nil {
			return fmt.Errorf("pack: %s: %w", e.Path, err)
		}
	}
	if err := tw.Close(); err != nil {
		return err
	}
	return gz.Close()
}

func writeFile(tw *tar.Writer, hdr *tar.Header, name string, buf []byte) error {
	f, err := os.Open(name)
	if err != nil {
		return err
	}
	defer f.Close()
	if err := tw.WriteHeader(hdr); err != nil {
		return err
	}
	n, err := io.CopyBuffer(tw, io.LimitReader(f, hdr.Size), buf)
	if err != nil {
		return err
	}
	if n != hdr.Size {
		return errors.New("file shrank while it was packed")
	}
	var one [1]byte
	if k, _ := f.Read(one[:]); k > 0 {
		return errors.New("file grew while it was packed")
	}
	return nil
}

// Pack scans dir and writes its .tar.gz to w.
func Pack(w io.Writer, dir string) error {
	entries, err := Scan(dir)
	if err != nil {
		return err
	}
	return Write(w, dir, entries)
}

// ManifestVersion reads the "version" of dir's manifest.json, so a
// mismatch is caught before an upload.
func ManifestVersion(dir string) (string, error) {
	b, err := os.ReadFile(filepath.Join(dir, "manifest.json"))
	if errors.Is(err, fs.ErrNotExist) {
		return "", fmt.Errorf("%s has no manifest.json at its root", dir)
	} else if err != nil {
		return "", err
	}
	var m struct {
		Version *string `json:"version"`
	}
	if err := json.Unmarshal(b, &m); err != nil {
		return "", fmt.Errorf("%s: not a JSON object: %v", filepath.Join(dir, "manifest.json"), err)
	}
	if m.Version == nil {
		return "", fmt.Errorf("%s has no \"version\" field", filepath.Join(dir, "manifest.json"))
	}
	return *m.Version, nil
}
