package e2e

import (
	"regexp"
	"testing"

	"lumdesk/handlers/server/servertest"
	"lumdesk/internal/customers"
)

// A customer tops up their Lumi balance from the portal: the amount opens a
// Crypto Pay invoice, which under the test server is the labelled sandbox;
// "Pay in sandbox" sends the provider's signed webhook, and the balance rises
// on the Lumi page. A bad amount is a message on the form first.
func TestPortalCustomerTopsUpInTheSandbox(t *testing.T) {
	b := start(t)
	b.allow(`status of 422 .*/portal/lumi/top-up\]$`) // the refused amount's form answer
	acc := b.Env.CreateAccount("Harbor Pixels")
	email := "owner@harborpixels.test"
	b.Env.CreateCustomer(acc.ID, email, customers.RoleBilling)

	b.open("/portal/login", `[data-testid="login-form"]`)
	b.fill(`[data-testid="login-form"] `, "email", email)
	b.fill(`[data-testid="login-form"] `, "password", servertest.Password)
	b.click(`[data-testid="login-submit"]`)
	b.waitVisible(`#sidebar`)

	b.open("/portal/lumi", `[data-testid="balance"]`)
	if got := b.text(`[data-testid="balance"]`); got != "$0.00" {
		t.Fatalf("balance before: %q", got)
	}
	b.screenshot("lumi-empty")
	b.click(`[data-testid="topup"]`)
	b.waitPath(`^/portal/lumi/top-up$`)
	b.waitVisible(`[data-testid="topup-form"]`)

	// A typo is a message on the form, not an error page.
	b.fill(`[data-testid="topup-form"] `, "amount", "ten dollars")
	b.click(`[data-testid="topup-submit"]`)
	b.waitText(`[data-testid="topup-form"] .field-error`, `USD`)

	b.fill(`[data-testid="topup-form"] `, "amount", "40.00")
	b.click(`[data-testid="topup-submit"]`)
	b.waitPath(`^/portal/lumi/deposits/\d+$`)
	b.waitVisible(`[data-testid="sandbox-pay"]`)
	if got := b.text(`[data-testid="deposit"]`); !regexp.MustCompile(`Sandbox`).MatchString(got) || !regexp.MustCompile(`\$40\.00`).MatchString(got) {
		t.Errorf("invoice does not say sandbox and the amount: %q", got)
	}
	b.screenshot("lumi-invoice")
	b.click(`[data-testid="sandbox-pay"]`)
	b.waitPath(`^/portal/lumi$`)
	b.waitText(`[data-testid="balance"]`, `^\$40\.00$`)
	b.toast(`Your balance is \$40\.00`)
	b.waitText(`[data-testid="ledger-row"] [data-testid="entry-balance"]`, `^\$40\.00$`)
	b.screenshot("lumi-paid")

	// Phone width: no sideways scroll.
	b.viewport(390, 844, true)
	b.open("/portal/lumi", `[data-testid="balance"]`)
	if w := eval[int](b, `document.documentElement.scrollWidth - document.documentElement.clientWidth`); w > 0 {
		t.Errorf("the Lumi page scrolls sideways by %dpx at 390px", w)
	}
	b.open("/portal/lumi/deposits", `[data-testid="deposit-row"]`)
	if w := eval[int](b, `document.documentElement.scrollWidth - document.documentElement.clientWidth`); w > 0 {
		t.Errorf("the deposits page scrolls sideways by %dpx at 390px", w)
	}
}
