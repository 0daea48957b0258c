package e2e

import (
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

// Support works a list from the keyboard, as in Gmail or GitHub: j and k
// (or the arrows on a row) move between rows, x selects one for the bulk
// bar, o opens it; ? lists the keys. None of them fire while typing.
func TestListKeyboard(t *testing.T) {
	b := start(t)
	seedKeys(t, b, "Keyboard", 3)
	b.staff("support")
	b.open("/luarmor/keys", `[data-testid="key-row"]`)
	ids := eval[[]string](b, `Array.from(document.querySelectorAll('[data-testid="key-row"]')).map(r => r.dataset.id)`)
	if len(ids) != 3 {
		t.Fatalf("the list shows %d keys, want 3", len(ids))
	}
	focused := func() string {
		t.Helper()
		return eval[string](b, `document.activeElement.closest('[data-testid="key-row"]')?.dataset.id ?? ''`)
	}
	press := func(key, want string) {
		t.Helper()
		b.keys(key)
		if got := focused(); got != want {
			t.Fatalf("after %q the focused row is %q, want %q (rows %v)", key, got, want, ids)
		}
	}
	press("j", ids[0]) // from nowhere, the first row
	press("j", ids[1])
	press(kb.ArrowDown, ids[2])
	press("j", ids[2]) // the last row stays
	press("k", ids[1])
	press(kb.ArrowUp, ids[0])

	// x selects the focused row for the bulk bar, and x again clears it.
	selected := func() string {
		t.Helper()
		return b.text(`[data-selected-count]`)
	}
	box := `[data-testid="key-row"][data-id="` + ids[0] + `"] input[data-select-row]`
	b.keys("x")
	if !eval[bool](b, `document.querySelector('`+box+`').checked`) || selected() != "1" {
		t.Fatalf("x left the row unselected (bar says %q)", selected())
	}
	press("j", ids[1])
	b.keys("x")
	if selected() != "2" {
		t.Fatalf("x on the second row: the bar says %q selected, want 2", selected())
	}
	b.keys("x")
	if selected() != "1" {
		t.Fatalf("x again: the bar says %q selected, want 1", selected())
	}
	// Shift+x sets every row from the last box toggled (the second row's)
	// to this one's state; a shift-click does the same with the mouse.
	press("j", ids[2])
	b.keys("X", chromedp.ModifierShift)
	if selected() != "3" {
		t.Fatalf("Shift+x from the second row to the third: the bar says %q selected, want 3", selected())
	}
	eval[bool](b, `document.querySelector('`+box+`').dispatchEvent(new MouseEvent('click', {bubbles: true, cancelable: true, shiftKey: true}))`)
	if selected() != "0" {
		t.Fatalf("a shift-click on the first row's box: the bar says %q selected, want 0 (the range cleared)", selected())
	}

	// In the search box the letters are text.
	search := `[data-testid="key-filters"] input[name=q]`
	b.click(search)
	b.do("type in the search box", chromedp.SendKeys(chromedp.CSS(search), "jkx?"))
	if got := eval[string](b, `document.querySelector('`+search+`').value`); got != "jkx?" {
		t.Fatalf("the search box holds %q, want the letters typed", got)
	}
	if b.exists(`dialog#shortcuts[open]`) {
		t.Fatal("? in the search box opened the shortcuts")
	}

	// ? lists the keys; Escape closes the list.
	b.open("/luarmor/keys", `[data-testid="key-row"]`)
	b.keys("?")
	b.waitVisible(`dialog#shortcuts[open] [data-testid="shortcuts"]`)
	for _, what := range []string{"Search everything", "Next row of a list", "Select the row, for a bulk action", "Show these shortcuts"} {
		if eval[int](b, `Array.from(document.querySelectorAll('dialog#shortcuts dt')).filter(d => d.textContent === '`+what+`').length`) != 1 {
			t.Errorf("the shortcuts do not list %q", what)
		}
	}
	b.screenshot("shortcuts")
	// j does not move the list behind an open dialog.
	b.keys("j")
	if focused() != "" {
		t.Error("j moved the list behind the shortcuts dialog")
	}
	b.keys(kb.Escape)
	b.do("shortcuts closed", chromedp.WaitNotPresent(chromedp.CSS(`dialog#shortcuts[open]`)))

	// The account menu opens the same list.
	b.click(`details[data-menu] summary`)
	b.click(`[data-testid="shortcuts-open"]`)
	b.waitVisible(`dialog#shortcuts[open]`)
	b.keys(kb.Escape)
	b.do("shortcuts closed", chromedp.WaitNotPresent(chromedp.CSS(`dialog#shortcuts[open]`)))

	// o opens the focused row.
	press("j", ids[0])
	press("j", ids[1])
	b.keys("o")
	b.waitPath("^/luarmor/keys/" + ids[1] + "$")
}
