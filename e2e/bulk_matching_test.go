package e2e

import (
	"strings"
	"testing"
)

// Support acts on every key a filter selects, past the page: once the
// page's boxes are all ticked the bar offers every key that matches, and
// the action's confirmation names them all; unticking a box takes it back.
func TestBulkEveryKeyThatMatches(t *testing.T) {
	b := start(t)
	seedKeys(t, b, "Matching", 60) // more than a page (50)
	b.staff("admin")
	b.open("/luarmor/keys", `[data-testid="key-row"]`)
	hidden := func() bool { return eval[bool](b, `document.querySelector('[data-testid="select-matching"]').hidden`) }
	if !hidden() {
		t.Fatal("every key that matches is offered before the page is selected")
	}
	b.click(`input[data-select-all]`)
	b.waitVisible(`[data-testid="select-matching"]`)
	b.screenshot("bar")
	b.click(`[data-testid="select-matching"]`)
	b.screenshot("bar-matching")
	if got := b.text(`[data-selected-count]`); got != "Every matching key" {
		t.Fatalf("the bar says %q selected", got)
	}
	// Unticking one box takes "every key" back.
	row := `[data-testid="key-row"] input[data-select-row]`
	b.click(row)
	if got := b.text(`[data-selected-count]`); got != "49" || !hidden() {
		t.Fatalf("after unticking a row the bar says %q", got)
	}
	b.click(row)
	b.waitVisible(`[data-testid="select-matching"]`)
	b.click(`[data-testid="select-matching"]`)
	b.click(`[data-testid="bulk-extend"]`)
	b.waitVisible(`[data-testid="bulk-action-form"]`)
	if got := b.text(`h1`); !strings.Contains(got, "60 keys") {
		t.Fatalf("the confirmation reads %q, want the 60 keys that match", got)
	}
	b.screenshot("bulk-matching")
}
