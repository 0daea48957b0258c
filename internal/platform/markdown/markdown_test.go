package markdown_test

import (
	"strings"
	"testing"

	"lumdesk/internal/platform/markdown"
)

func TestRenderFormats(t *testing.T) {
	got := string(markdown.Render("# Scoreboard\n\nShows **live** scores. See [docs](https://example.com/docs).\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\n- [x] done\n"))
	for _, want := range []string{"<h1", "Scoreboard</h1>", "<strong>live</strong>", `href="https://example.com/docs"`, `rel="nofollow noopener"`, "<table>", "<td>1</td>", `type="checkbox"`} {
		if !strings.Contains(got, want) {
			t.Errorf("rendered HTML lacks %q:\n%s", want, got)
		}
	}
}

func TestRenderStripsActiveContent(t *testing.T) {
	cases := []string{
		"<script>alert(1)</script>",
		"hello <script>alert(1)</script> world",
		"[click](javascript:alert(1))",
		"[click](JaVaScRiPt:alert(1))",
		"![x](javascript:alert(1))",
		"<a href=\"javascript:alert(1)\">x</a>",
		"<img src=x onerror=alert(1)>",
		"<div onclick=\"alert(1)\">x</div>",
		"<p onmouseover=alert(1)>x</p>",
		"<iframe src=\"https://evil.example\"></iframe>",
		"[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
		"<svg onload=alert(1)>",
		"<style>body{display:none}</style>",
	}
	for _, in := range cases {
		out := strings.ToLower(string(markdown.Render(in)))
		for _, bad := range []string{"<script", "javascript:", "onerror", "onclick", "onmouseover", "onload", "<iframe", "data:text/html", "<style", "<svg"} {
			if strings.Contains(out, bad) {
				t.Errorf("Render(%q) = %q: contains %q", in, out, bad)
			}
		}
	}
	// The words stay, as text.
	if out := string(markdown.Render("hello <script>alert(1)</script> world")); !strings.Contains(out, "hello") || !strings.Contains(out, "world") {
		t.Errorf("text around raw HTML lost: %q", out)
	}
}

func TestRenderBoundsInput(t *testing.T) {
	out := markdown.Render(strings.Repeat("a", markdown.MaxInput*2))
	if n := strings.Count(string(out), "a"); n > markdown.MaxInput {
		t.Errorf("rendered %d characters of input, want at most %d", n, markdown.MaxInput)
	}
}
