package components

import "strconv"

// FirstPageHref is a cursor list's link back to its first page (first), or
// "" on the first page itself, where Pager disables Previous.
func FirstPageHref(cursor, first string) string {
	if cursor == "" {
		return ""
	}
	return first
}

// nextPageHref is href while the list gave a next cursor, else "".
func nextPageHref(next, href string) string {
	if next == "" {
		return ""
	}
	return href
}

func shownOn(n int, cursor string) string {
	s := strconv.Itoa(n) + " shown"
	if cursor != "" {
		s += " (older page)"
	}
	return s
}
