package e2e

import (
	"regexp"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// A list's header: the count, a chip that removes its filter (from the
// keyboard), and a saved view made through the Views menu, in light and
// dark mode.
func TestListHeaderChipsAndSavedViews(t *testing.T) {
	b := start(t)
	seedAccounts(t, b, 8)
	b.staff("support")
	b.open("/accounts?status=active&q=a&sort=name", `[data-testid="result-count"]:not([data-pending])`)
	if got := b.text(`[data-testid="result-count"]`); !strings.HasSuffix(got, " accounts") {
		t.Errorf("count reads %q", got)
	}
	if n := eval[int](b, `document.querySelectorAll('[data-testid="filter-chip"]').length`); n != 2 {
		t.Fatalf("%d chips, want search and status", n)
	}

	// Save the current filters as a view.
	b.click(`[data-testid="views-menu"] summary`)
	b.fill(`[data-testid="save-view-form"] `, "name", "Active with a")
	b.click(`[data-testid="save-view-form"] button[type="submit"]`)
	b.waitVisible(`[data-testid="list-bar"]`)
	b.toast(`View “Active with a” saved`)
	b.click(`[data-testid="views-menu"] summary`)
	b.waitVisible(`[data-testid="saved-view"]`)
	b.screenshot("views-menu")

	// Remove the status chip with the keyboard: focus it, press Enter.
	eval[bool](b, `(document.querySelector('[data-testid="filter-chip"][data-param="status"]').focus(), true)`)
	b.keys("\r")
	loc := b.waitPath(`^/accounts\?q=a&sort=name$`)
	if strings.Contains(loc, "status") {
		t.Errorf("status chip left %s", loc)
	}
	// The saved view brings it back.
	b.click(`[data-testid="views-menu"] summary`)
	b.click(`[data-testid="saved-view"]`)
	b.waitPath(`^/accounts\?q=a&sort=name&status=active$`)

	eval[bool](b, `(document.documentElement.classList.add('dark'), true)`)
	b.click(`[data-testid="views-menu"] summary`)
	b.screenshot("list-header-dark")
}

// Back after two filter changes shows the filters of the page it returns
// to: htmx restores its markup snapshot, which app.js fills with the
// controls' current values first (a chosen option, typed text). Without
// that the Status select read "All statuses" over suspended rows, and the
// next change dropped the filter.
func TestListBackKeepsFilterControls(t *testing.T) {
	b := start(t)
	seedAccounts(t, b, 3)
	b.staff("support")
	b.open("/accounts", `[data-testid="account-filters"]`)
	b.fill(`[data-testid="account-filters"] `, "q", "North")
	b.waitPath(`[?&]q=North(&|$)`)
	b.selectValue(`[data-testid="account-filters"] select[name=status]`, "suspended")
	b.waitPath(`[?&]status=suspended(&|$)`)
	b.selectValue(`[data-testid="account-filters"] select[name=sort]`, "name")
	b.waitPath(`[?&]sort=name(&|$)`)

	b.do("back", chromedp.NavigateBack())
	loc := b.waitPath(`^/accounts\?q=North&status=suspended(&sort=)?(&from=)?(&to=)?$`)
	controls := `(() => { const f = document.querySelector('[data-testid="account-filters"]');
		return [f.q.value, f.status.value, f.sort.value].join('|'); })()`
	if got := eval[string](b, controls); got != "North|suspended|" {
		t.Errorf("after Back to %s the filters read %q, want North|suspended|", loc, got)
	}
	// The next change keeps the restored filters.
	b.selectValue(`[data-testid="account-filters"] select[name=sort]`, "-name")
	b.waitPath(`^/accounts\?q=North&status=suspended&sort=-name`)
}

// A list's filter form pushes a URL without its empty fields (as the
// server's pager links read), keeping repeated fields such as cols.
func TestListFilterURLLeavesOutEmptyFields(t *testing.T) {
	b := start(t)
	seedKeys(t, b, "Clean", 2)
	b.staff("support")
	b.open("/luarmor/keys", `[data-testid="key-filters"]`)
	b.selectValue(`[data-testid="key-filters"] select[name=status]`, "banned")
	loc := b.waitPath(`[?&]status=banned(&|$)`)
	if ok, _ := regexp.MatchString(`^/luarmor/keys\?status=banned&cols=key(&cols=[a-z_]+)*$`, loc); !ok {
		t.Errorf("pushed %s, want /luarmor/keys?status=banned and the columns only", loc)
	}
}
