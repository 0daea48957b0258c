package web

import (
	"lumdesk/views/layouts"

	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

func itoa(n int) string { return strconv.Itoa(n) }

func capitalize(s string) string {
	r, size := utf8.DecodeRuneInString(s)
	if r == utf8.RuneError {
		return s
	}
	return string(unicode.ToUpper(r)) + s[size:]
}

// ParseID reads a positive int64 path or query value.
func ParseID(s string) (int64, bool) {
	id, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
	return id, err == nil && id > 0
}

// crumb is a breadcrumb entry; the last one of a page needs no href.
func Crumb(label string, href ...string) layouts.Crumb {
	c := layouts.Crumb{Label: label}
	if len(href) > 0 {
		c.Href = href[0]
	}
	return c
}
