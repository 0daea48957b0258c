package bot

import (
	"testing"
	"time"
)

func TestMarkdownEscapesAndFormats(t *testing.T) {
	at := time.Date(2027, 1, 4, 6, 40, 0, 0, time.UTC)
	for _, c := range []struct{ in, want string }{
		{"<script>x</script> **bold**", "&lt;script&gt;x&lt;/script&gt; <strong>bold</strong>"},
		{"a `**not bold**` b", `a <code class="` + codeClass + `">**not bold**</code> b`},
		{"```lua\nscript_key = \"<k>\";\n```", `<pre class="` + codeBlockClass + `" data-testid="dc-codeblock"><code>script_key = &#34;&lt;k&gt;&#34;;</code></pre>`},
		{"line\nnext *it*", "line<br/>next <em>it</em>"},
		{"<@&42> may", `<span class="` + mentionClass + `">@role 42</span> may`},
		{"<t:1799044800:D>", `<time class="` + timeClass + `" datetime="` + at.Format(time.RFC3339) + `" title="2027-01-04 06:40:00 UTC">January 4, 2027</time>`},
	} {
		if got := renderMarkdown(c.in); got != c.want {
			t.Errorf("%q:\n got %s\nwant %s", c.in, got, c.want)
		}
	}
}

func TestPlainText(t *testing.T) {
	for in, want := range map[string]string{
		"This server now serves the Luarmor project **Nightfall Hub**.": "This server now serves the Luarmor project Nightfall Hub.",
		"Post it with `/luarmor panel`.":                                "Post it with /luarmor panel.",
		"(**\\*\\*Bold\\*\\* Hub @\u200beveryone**)":                    "(**Bold** Hub @\u200beveryone)",
		"```lua\nprint(1)```":                                           "lua\nprint(1)",
	} {
		if got := PlainText(in); got != want {
			t.Errorf("PlainText(%q) = %q, want %q", in, got, want)
		}
	}
}
