package bot

import (
	"context"
	"html"
	"io"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/a-h/templ"

	"lumdesk/views/components"
)

// Markdown renders the little of Discord's markdown the bot writes:
// **bold**, *italic*, `code`, ```code blocks```, line breaks, and
// mentions (<@id>, <@&id>, <#id>) as Discord shows them. Everything is
// escaped first; only these tags are ever produced.
func Markdown(s string) templ.Component {
	return templ.ComponentFunc(func(_ context.Context, w io.Writer) error {
		_, err := io.WriteString(w, renderMarkdown(s))
		return err
	})
}

var (
	mdFence   = regexp.MustCompile("(?s)```(?:[a-zA-Z0-9_+-]*\\n)?(.*?)```")
	mdCode    = regexp.MustCompile("`([^`\\n]+)`")
	mdBold    = regexp.MustCompile(`\*\*([^*\n]+)\*\*`)
	mdItalic  = regexp.MustCompile(`(^|[^*\w])\*([^*\n]+)\*`)
	mdRole    = regexp.MustCompile(`&lt;@&amp;(\d+)&gt;`)
	mdUser    = regexp.MustCompile(`&lt;@!?(\d+)&gt;`)
	mdChannel = regexp.MustCompile(`&lt;#(\d+)&gt;`)
	mdTime    = regexp.MustCompile(`&lt;t:(-?\d{1,12})(?::([tTdDfFR]))?&gt;`)
)

const (
	codeBlockClass = "my-1 overflow-x-auto whitespace-pre-wrap break-all rounded border border-slate-200 bg-slate-100 p-2 font-mono text-[0.8125rem] text-slate-800 dark:border-slate-700 dark:bg-slate-900 dark:text-slate-200"
	codeClass      = "rounded bg-slate-100 px-1 py-0.5 font-mono text-[0.8125rem] text-slate-800 dark:bg-slate-900 dark:text-slate-200"
	timeClass      = "rounded bg-slate-200/70 px-1 dark:bg-slate-700/70"
	mentionClass   = "rounded bg-indigo-100 px-0.5 font-medium text-indigo-700 dark:bg-indigo-500/20 dark:text-indigo-200"
)

// mdEscaped is a character the bot escaped (mdText) to show it as itself.
var mdEscaped = regexp.MustCompile("\\\\([\\\\*_`~|<])")

// PlainText is a message as text, its markdown markers dropped and escapes
// undone: the interactions log's one-line summary, where "**Hub**" would
// show its asterisks.
func PlainText(s string) string {
	s = strings.NewReplacer("```", "", "**", "", "`", "").Replace(s)
	return mdEscaped.ReplaceAllString(s, "$1")
}

func renderMarkdown(s string) string {
	var out strings.Builder
	// Code blocks first: nothing inside them is formatted.
	last := 0
	for _, m := range mdFence.FindAllStringSubmatchIndex(s, -1) {
		out.WriteString(inline(s[last:m[0]]))
		out.WriteString(`<pre class="` + codeBlockClass + `" data-testid="dc-codeblock"><code>`)
		out.WriteString(html.EscapeString(strings.TrimSuffix(s[m[2]:m[3]], "\n")))
		out.WriteString(`</code></pre>`)
		last = m[1]
	}
	out.WriteString(inline(s[last:]))
	return out.String()
}

// inline formats text outside code blocks.
func inline(s string) string {
	if s == "" {
		return ""
	}
	// Inline code is cut out before the other rules run over the rest.
	var out strings.Builder
	last := 0
	for _, m := range mdCode.FindAllStringSubmatchIndex(s, -1) {
		out.WriteString(spans(s[last:m[0]]))
		out.WriteString(`<code class="` + codeClass + `">` + html.EscapeString(s[m[2]:m[3]]) + `</code>`)
		last = m[1]
	}
	out.WriteString(spans(s[last:]))
	return out.String()
}

func spans(s string) string {
	e := html.EscapeString(s)
	e = mdBold.ReplaceAllString(e, `<strong>$1</strong>`)
	e = mdItalic.ReplaceAllString(e, `$1<em>$2</em>`)
	e = mdRole.ReplaceAllString(e, `<span class="`+mentionClass+`">@role $1</span>`)
	e = mdUser.ReplaceAllString(e, `<span class="`+mentionClass+`">@user $1</span>`)
	e = mdChannel.ReplaceAllString(e, `<span class="`+mentionClass+`">#channel $1</span>`)
	e = mdTime.ReplaceAllStringFunc(e, timestamp)
	return strings.ReplaceAll(e, "\n", "<br/>")
}

// timestamp renders Discord's <t:unix:style> as Discord does: relative for
// R, a date and time otherwise (in UTC here; Discord uses the reader's zone).
func timestamp(m string) string {
	sub := mdTime.FindStringSubmatch(m)
	sec, err := strconv.ParseInt(sub[1], 10, 64)
	if err != nil {
		return m
	}
	t := time.Unix(sec, 0).UTC()
	var text string
	switch sub[2] {
	case "R":
		text = components.RelTime(t, time.Now())
	case "t":
		text = t.Format("15:04")
	case "T":
		text = t.Format("15:04:05")
	case "d":
		text = t.Format("2006-01-02")
	case "D":
		text = t.Format("January 2, 2006")
	default:
		text = t.Format("January 2, 2006 15:04") + " UTC"
	}
	return `<time class="` + timeClass + `" datetime="` + t.Format(time.RFC3339) + `" title="` + components.ExactTime(t) + `">` + html.EscapeString(text) + `</time>`
}
