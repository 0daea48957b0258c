package e2e

import (
	"fmt"
	"strings"
	"testing"
)

// Dark mode through the theme button (it cycles light → dark → system and
// the choice survives a reload), and the accounts list on a 390x844 phone.
func TestDarkModeAndPhone(t *testing.T) {
	b := start(t)
	seedAccounts(t, b, 6)
	b.staff("support")
	b.open("/", `[data-testid="overview-stats"]`)

	for i := 0; i < 3 && !eval[bool](b, `document.documentElement.classList.contains('dark')`); i++ {
		b.click(`header [data-theme-toggle]`)
	}
	if !eval[bool](b, `document.documentElement.classList.contains('dark')`) {
		t.Fatal("three clicks on the theme button never turned dark mode on")
	}
	if pref := eval[string](b, `localStorage.getItem('theme') || ''`); pref != "dark" {
		t.Errorf("stored theme = %q, want dark", pref)
	}
	// The page background (body's, else html's) must be dark: every channel low.
	bg := eval[string](b, `(function () {
		var b = getComputedStyle(document.body).backgroundColor;
		return b === 'rgba(0, 0, 0, 0)' ? getComputedStyle(document.documentElement).backgroundColor : b;
	})()`)
	if !darkColor(bg) {
		t.Errorf("dark mode page background is %s", bg)
	}
	b.screenshot("overview-dark")

	// The choice is applied before paint on the next page (theme.js).
	b.open("/accounts", `[data-testid="accounts-results"] tbody tr`)
	if !eval[bool](b, `document.documentElement.classList.contains('dark')`) {
		t.Error("dark mode was lost on the next page")
	}
	b.screenshot("accounts-dark")

	b.viewport(390, 844, true)
	b.open("/accounts", `[data-testid="accounts-results"] tbody tr`)
	b.screenshot("accounts-phone-dark")
	checkNoSideScroll(b, "/accounts (phone, dark)")

	// Back to light: cycle dark → system → light.
	for i := 0; i < 3 && eval[string](b, `document.documentElement.getAttribute('data-theme-pref')`) != "light"; i++ {
		b.click(`header [data-theme-toggle]`)
	}
	if eval[bool](b, `document.documentElement.classList.contains('dark')`) {
		t.Error("the theme button never went back to light")
	}
	b.screenshot("accounts-phone")
	b.open("/", `[data-testid="overview-stats"]`)
	checkNoSideScroll(b, "/ (phone)")
	b.screenshot("overview-phone")
}

// checkNoSideScroll fails when the page is wider than the viewport (wide
// tables must scroll inside their own container, not the page).
func checkNoSideScroll(b *B, where string) {
	b.t.Helper()
	type dims struct {
		Scroll int `json:"scroll"`
		Inner  int `json:"inner"`
	}
	d := eval[dims](b, `({scroll: document.documentElement.scrollWidth, inner: window.innerWidth})`)
	if d.Scroll > d.Inner {
		b.t.Errorf("%s: the page scrolls sideways (%dpx wide in a %dpx viewport)", where, d.Scroll, d.Inner)
	}
}

// darkColor reports whether a CSS rgb()/rgba() colour is dark (each channel < 80).
func darkColor(css string) bool {
	var r, g, bl int
	if _, err := fmt.Sscanf(strings.NewReplacer("rgba(", "rgb(").Replace(css), "rgb(%d, %d, %d", &r, &g, &bl); err != nil {
		return false
	}
	return r < 80 && g < 80 && bl < 80
}
