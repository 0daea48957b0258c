package e2e

import "testing"

// A burst of toasts keeps the newest three, at the bottom of the screen,
// clear of the top bar and the page header's buttons.
func TestToastsStackAndStayClearOfActions(t *testing.T) {
	b := start(t)
	b.staff("admin")
	b.open("/accounts", `main`)
	eval[bool](b, `(() => { for (let i = 1; i <= 5; i++) document.dispatchEvent(new CustomEvent('toast', {detail: {message: 'Saved ' + i, kind: 'success'}})); return true })()`)
	live := eval[[]string](b, `Array.from(document.querySelectorAll('#toasts [data-toast]:not(.is-leaving)')).map(e => e.textContent.trim())`)
	if len(live) != 3 || live[0] != "Saved 3" || live[2] != "Saved 5" {
		t.Errorf("live toasts %q, want the newest three", live)
	}
	type box struct{ Top, Header float64 }
	bx := eval[box](b, `(() => { const s = document.getElementById('toasts').getBoundingClientRect(); const h = document.querySelector('main h1').getBoundingClientRect(); return {top: s.top, header: h.bottom}; })()`)
	if bx.Top < bx.Header {
		t.Errorf("the toast stack (top %.0f) reaches over the page header (bottom %.0f)", bx.Top, bx.Header)
	}
}
