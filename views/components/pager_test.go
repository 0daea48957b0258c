package components

import (
	"context"
	"strings"
	"testing"
)

// A cursor list's pager: "First page" back to the first page only past it,
// Next only while the list gave a next cursor, and the rows counted.
func TestCursorPager(t *testing.T) {
	t.Parallel()
	render := func(cursor, next string, n int) string {
		var b strings.Builder
		if err := CursorPager(cursor, "/lumora/apps?q=x", next, "/lumora/apps?q=x&cursor="+next, n).Render(context.Background(), &b); err != nil {
			t.Fatal(err)
		}
		return b.String()
	}
	first := render("", "c2", 50)
	if strings.Contains(first, `data-testid="first-page"`) || !strings.Contains(first, `href="/lumora/apps?q=x&amp;cursor=c2" rel="next"`) ||
		!strings.Contains(first, "50 shown<") {
		t.Errorf("first page: %s", first)
	}
	last := render("c2", "", 3)
	if !strings.Contains(last, `href="/lumora/apps?q=x" data-testid="first-page">`) || strings.Contains(last, "Previous") || strings.Contains(last, `rel="next"`) ||
		!strings.Contains(last, "3 shown (older page)") {
		t.Errorf("last page: %s", last)
	}
}
