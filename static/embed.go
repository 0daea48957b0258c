// Package static embeds the dashboard's assets (built CSS, vendored htmx, app.js).
package static

import (
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"io/fs"
)

//go:embed css/app.css js img
var FS embed.FS

// versions are the assets' content hashes, by path under static/.
var versions = func() map[string]string {
	out := map[string]string{}
	_ = fs.WalkDir(FS, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := FS.ReadFile(p)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(b)
		out[p] = hex.EncodeToString(sum[:6])
		return nil
	})
	return out
}()

// URL is an asset's address with its content hash ("/static/css/app.css?v=…"):
// the server lets browsers keep such a URL for a year, and a build that
// changes the file changes its URL.
func URL(name string) string {
	if v, ok := versions[name]; ok {
		return "/static/" + name + "?v=" + v
	}
	return "/static/" + name
}

// Current says whether v is the content hash of the asset at name.
func Current(name, v string) bool { return v != "" && versions[name] == v }
