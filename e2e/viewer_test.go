package e2e

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// A viewer sees the accounts but no "New account" action, and a POST made
// from the page with the session's own CSRF token is refused with 403.
func TestViewerIsRefusedMutations(t *testing.T) {
	b := start(t)
	seedAccounts(t, b, 3)
	b.staff("viewer")

	b.open("/accounts", `[data-testid="accounts-results"] tbody tr`)
	if b.exists(`[data-testid="new-account"]`) || b.exists(`a[href="/accounts/new"]`) {
		t.Error("a viewer is offered a New account action on /accounts")
	}
	b.screenshot("accounts")

	// The request the form would send, from the page, with a valid token:
	// the 403 must come from the permission check, not from CSRF.
	b.allow(`status of 403 .*/accounts(/new)?\]$`)
	type answer struct {
		Status int    `json:"status"`
		Body   string `json:"body"`
	}
	got := eval[answer](b, `fetch('/accounts', {
		method: 'POST',
		headers: {
			'X-CSRF-Token': document.querySelector('meta[name=csrf-token]').content,
			'Content-Type': 'application/x-www-form-urlencoded',
		},
		body: new URLSearchParams({name: 'Sneaky Co', email: 'sneaky@customer.example'}).toString(),
		redirect: 'manual',
	}).then(async r => ({status: r.status, body: await r.text()}))`)
	if got.Status != 403 {
		t.Errorf("viewer POST /accounts: status %d, want 403", got.Status)
	}
	if !strings.Contains(got.Body, "permission") {
		t.Errorf("viewer POST /accounts: the 403 does not say it is about permission (a CSRF refusal?):\n%.400s", got.Body)
	}
	if n := b.Env.AuditCount("account.create", ""); n != 3 {
		t.Errorf("account.create audit rows = %d, want the 3 seeded", n)
	}

	// Typing the form's address answers 403 too, with the error page.
	resp := run(b, "open /accounts/new", chromedp.NavigateResponse(b.Env.URL+"/accounts/new"))
	if resp.Status != 403 {
		t.Errorf("viewer GET /accounts/new: status %d, want 403", resp.Status)
	}
	b.waitVisible(`#main`)
	b.screenshot("forbidden")
}
