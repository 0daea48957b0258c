// Package markdown renders Markdown that people wrote (an extension's
// description) as HTML safe to put in a page: goldmark (CommonMark with
// GitHub tables, strikethrough, autolinks and task lists) without raw HTML,
// then bluemonday's user-content policy, so no script, no event handler
// attribute and no javascript: or data: link survives whatever the input.
package markdown

import (
	"bytes"
	"html/template"

	"github.com/microcosm-cc/bluemonday"
	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/extension"
)

// MaxInput bounds the Markdown rendered (bytes); longer input is cut
// there first, so a page never renders an unbounded document.
const MaxInput = 256 << 10

var (
	md = goldmark.New(goldmark.WithExtensions(extension.GFM))
	// policy: user content; links open as nofollow noopener in a new tab.
	policy = func() *bluemonday.Policy {
		p := bluemonday.UGCPolicy()
		p.RequireNoFollowOnLinks(true)
		p.AddTargetBlankToFullyQualifiedLinks(true)
		p.AllowAttrs("type", "checked", "disabled").Matching(bluemonday.SpaceSeparatedTokens).OnElements("input")
		return p
	}()
)

// Render turns src into sanitised HTML (goldmark escapes raw HTML; the
// sanitiser removes whatever is left that could run code).
func Render(src string) template.HTML {
	if len(src) > MaxInput {
		src = src[:MaxInput]
	}
	var buf bytes.Buffer
	if err := md.Convert([]byte(src), &buf); err != nil {
		// goldmark only fails when the writer does; a bytes.Buffer does not.
		return template.HTML(template.HTMLEscapeString(src))
	}
	return template.HTML(policy.SanitizeBytes(buf.Bytes())) // #nosec: sanitised above
}
