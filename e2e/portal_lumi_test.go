package e2e

import (
	"context"
	"regexp"
	"strconv"
	"testing"
	"time"

	"lumdesk/handlers/server/servertest"
	"lumdesk/internal/accounts"
	"lumdesk/internal/audit"
	"lumdesk/internal/billing/products"
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
	// A ledger row there is when, what and how much, its amount in view
	// without scrolling the table inside its card.
	if out := eval[int](b, `Math.ceil(document.querySelector('[data-testid="entry-amount"]').getBoundingClientRect().right - document.documentElement.clientWidth)`); out > 0 {
		t.Errorf("the ledger's amount ends %dpx right of the 390px screen", out)
	}
	b.open("/portal/lumi/deposits", `[data-testid="deposit-row"]`)
	if w := eval[int](b, `document.documentElement.scrollWidth - document.documentElement.clientWidth`); w > 0 {
		t.Errorf("the deposits page scrolls sideways by %dpx at 390px", w)
	}

	// A domain bought with the balance is listed with its renewal; renewing
	// asks with the price first, then spends the balance.
	ctx := context.Background()
	past := time.Now().Add(-24 * time.Hour)
	if _, err := b.Env.Products.SetTLDPrice(ctx, audit.CLI("e2e"), products.TLDPrice{TLD: "com", Register: 10_00, Renew: 12_00, Transfer: 10_00, EffectiveFrom: past}); err != nil {
		t.Fatal(err)
	}
	d, err := b.Env.Products.BuyDomain(ctx, audit.CLI("e2e"), products.BuyDomainInput{AccountID: acc.ID, Domain: "harborpixels-store.com", Years: 1})
	if err != nil {
		t.Fatal(err)
	}
	b.open("/portal/lumi/domains", `[data-testid="item-row"]`)
	if w := eval[int](b, `document.documentElement.scrollWidth - document.documentElement.clientWidth`); w > 0 {
		t.Errorf("the domains page scrolls sideways by %dpx at 390px", w)
	}
	b.screenshot("lumi-domains-phone")
	b.viewport(1280, 900, false)
	b.open("/portal/lumi/domains", `[data-testid="item-row"]`)
	b.click(`[data-testid="item-row"][data-id="` + strconv.FormatInt(d.ID, 10) + `"] [data-testid="renew"]`)
	b.waitText(`[data-testid="renew-price"]`, `\$12\.00`)
	b.screenshot("lumi-renew")
	b.click(`[data-testid="renew-confirm"]`)
	b.waitPath(`^/portal/lumi/domains/` + strconv.FormatInt(d.ID, 10) + `$`)
	b.toast(`Renewed; it now expires`)
	b.open("/portal/lumi", `[data-testid="balance"]`)
	if got := b.text(`[data-testid="balance"]`); got != "$18.00" { // 40 - 10 - 12
		t.Errorf("balance after buying and renewing: %q", got)
	}

	// Buying in the portal: the name looked up first (the one already held
	// is taken), a free one chosen into the form; then the form sent twice
	// (a double click): its key makes the second send the first purchase
	// again, charged once; the browser lands on the new domain's page.
	b.open("/portal/lumi/domains", `[data-testid="buy"]`)
	b.click(`[data-testid="buy"]`)
	b.waitVisible(`[data-testid="buy-form"]`)
	b.fill(`[data-testid="domain-search"] `, "q", "harborpixels-store")
	b.click(`[data-testid="domain-search-submit"]`)
	b.waitVisible(`[data-testid="domain-option"][data-name="harborpixels-store.com"][data-status="taken"]`)
	b.fill(`[data-testid="domain-search"] `, "q", "harborpixels-shop")
	b.click(`[data-testid="domain-search-submit"]`)
	b.waitVisible(`[data-testid="domain-option"][data-name="harborpixels-shop.com"][data-status="available"] a`)
	b.screenshot("lumi-domain-search")
	b.click(`[data-testid="domain-option"][data-name="harborpixels-shop.com"] a`)
	b.waitVisible(`[data-testid="domain-option"][data-name="harborpixels-shop.com"] .badge`)
	if got := eval[string](b, `document.querySelector('[data-testid="buy-form"] input[name=domain]').value`); got != "harborpixels-shop.com" {
		t.Fatalf("the chosen name in the form: %q", got)
	}
	eval[bool](b, `(function () { var f = document.querySelector('[data-testid="buy-form"]'); f.requestSubmit(); f.requestSubmit(); return true; })()`)
	b.waitPath(`^/portal/lumi/domains/\d+$`)
	b.waitText(`#main h1`, `harborpixels-shop\.com`)
	b.open("/portal/lumi", `[data-testid="balance"]`)
	if got := b.text(`[data-testid="balance"]`); got != "$8.00" { // 18 - 10, once
		t.Errorf("balance after buying with the form sent twice: %q", got)
	}
	page, err := b.Env.Products.ListDomains(ctx, products.ListFilter{Scope: accounts.Only(acc.ID), Query: "harborpixels-shop", Limit: 5})
	if err != nil || len(page.Items) != 1 {
		t.Errorf("domains named harborpixels-shop: %d %v", len(page.Items), err)
	}
}
