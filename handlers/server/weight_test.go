package server_test

import (
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"lumdesk/handlers/server/servertest"
)

// The console's first page after sign-in, with everything it loads, is at
// most 60 KB over the wire (compressed), and loads nothing from another
// origin; its assets have content-hashed URLs that may be cached for a year.
func TestFirstPageWeight(t *testing.T) {
	t.Parallel()
	e := servertest.New(t, servertest.Demo)
	c := e.As("admin")
	// The client's own transport without transparent decompression: the
	// bytes counted are the bytes sent.
	raw := &http.Client{Jar: c.HTTP.Jar, Transport: &http.Transport{DisableCompression: true}}
	get := func(path string) (*http.Response, []byte) {
		t.Helper()
		req, _ := http.NewRequest(http.MethodGet, e.URL+path, nil)
		req.Header.Set("Accept-Encoding", "gzip, br")
		resp, err := raw.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != 200 {
			t.Fatalf("%s: %d", path, resp.StatusCode)
		}
		return resp, b
	}
	resp, page := get("/")
	if enc := resp.Header.Get("Content-Encoding"); enc != "gzip" && enc != "br" {
		t.Fatalf("the page is not compressed (Content-Encoding %q)", enc)
	}
	html := c.Get("/").Body
	if m := regexp.MustCompile(`(?:src|href)="((?:https?:)?//[^"]*)"`).FindStringSubmatch(html); m != nil {
		t.Errorf("the page loads %s from another origin", m[1])
	}
	total := len(page)
	assets := regexp.MustCompile(`(?:src|href)="(/static/[^"]+)"`).FindAllStringSubmatch(html, -1)
	if len(assets) < 4 {
		t.Fatalf("found %d assets", len(assets))
	}
	fetched := map[string]bool{}
	for _, m := range assets {
		// A browser fetches an asset once, however many icons refer
		// into the sprite (href="…/icons.svg?v=…#name").
		path, _, _ := strings.Cut(strings.ReplaceAll(m[1], "&amp;", "&"), "#")
		if fetched[path] {
			continue
		}
		fetched[path] = true
		resp, body := get(path)
		if !strings.Contains(path, "?v=") || resp.Header.Get("Cache-Control") != "public, max-age=31536000, immutable" {
			t.Errorf("%s: not a content-hashed URL cached for good (Cache-Control %q)", path, resp.Header.Get("Cache-Control"))
		}
		total += len(body)
	}
	t.Logf("first page: %d bytes compressed with its %d assets", total, len(fetched))
	if total > 60_000 {
		t.Errorf("the first page weighs %d bytes compressed, over 60 KB", total)
	}
	// An asset without its hash (or an old one) is cached briefly only.
	if resp, _ := get("/static/css/app.css?v=0000"); resp.Header.Get("Cache-Control") != "public, max-age=300" {
		t.Errorf("stale hash cached as %q", resp.Header.Get("Cache-Control"))
	}
}
