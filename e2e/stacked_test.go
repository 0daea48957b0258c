package e2e

import (
	"slices"
	"testing"
)

// On a phone a StackedTable's row is a list item: the key first, then its
// values, each that does not say what it is named by its label; of the
// header row only the select-all box and the sort links stay, and they work.
// From 768 px the same list is a table again.
func TestStackedListOnAPhone(t *testing.T) {
	b := start(t)
	seedKeys(t, b, "Phone", 3)
	visible := func(sel string) bool {
		t.Helper()
		return eval[bool](b, `(function () { var e = document.querySelector('`+sel+`'); return !!e && !!e.offsetParent; })()`)
	}
	b.staff("support")
	b.viewport(390, 844, true)
	b.open("/luarmor/keys", `[data-testid="key-row"]`)
	row := `[data-testid="key-row"]`
	if d := eval[string](b, `getComputedStyle(document.querySelector('`+row+`')).display`); d != "flex" {
		t.Errorf("a key's row is display %q on a phone, want a list item (flex)", d)
	}
	// The key's cell comes first and has its own line.
	if !eval[bool](b, `(function () {
		var r = document.querySelector('`+row+`'), key = r.querySelector('td:has(.cell-primary)');
		var status = r.querySelector('[data-testid="key-status"]');
		return key.getBoundingClientRect().bottom <= status.getBoundingClientRect().top + 1;
	})()`) {
		t.Error("the key's status is not on a line below the key")
	}
	// A bare value names itself; a badge does not need to.
	labels := eval[[]string](b, `Array.from(document.querySelector('`+row+`').querySelectorAll('td')).filter(function (d) { return d.offsetParent; }).map(function (d) { return getComputedStyle(d, '::before').content; })`)
	if !slices.Contains(labels, `"Expires"`) || !slices.Contains(labels, `"Executions"`) {
		t.Errorf("the row's labels on a phone are %v, want Expires and Executions among them", labels)
	}
	// The header row keeps the select-all box, which selects the page.
	if !visible(`thead [data-select-all]`) {
		t.Fatal("the select-all box is gone on a phone")
	}
	if eval[bool](b, `Array.from(document.querySelectorAll('thead th')).some(function (h) { return h.offsetParent && h.textContent.trim() === 'Status'; })`) {
		t.Error("a plain column header (Status) shows on a phone")
	}
	b.click(`thead [data-select-all]`)
	if got := b.text(`[data-selected-count]`); got != "3" {
		t.Errorf("select-all on a phone: the bar says %q selected, want 3", got)
	}
	// A phone held sideways (700 px) still gets the list: below 768 px the
	// lists were wider than their cards as tables.
	b.viewport(700, 390, true)
	b.open("/luarmor/keys", `[data-testid="key-row"]`)
	if d := eval[string](b, `getComputedStyle(document.querySelector('`+row+`')).display`); d != "flex" {
		t.Errorf("a key's row is display %q at 700 px, want a list item (flex)", d)
	}
	// The same list at 1024 px is a table with its header.
	b.viewport(1024, 800, false)
	b.open("/luarmor/keys", `[data-testid="key-row"]`)
	if d := eval[string](b, `getComputedStyle(document.querySelector('`+row+`')).display`); d != "table-row" {
		t.Errorf("a key's row is display %q at 1024 px, want table-row", d)
	}
	if !visible(`thead th[data-col="status"]`) {
		t.Error("the Status header is hidden at 1024 px")
	}
}
