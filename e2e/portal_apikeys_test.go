package e2e

import (
	"context"
	"strconv"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"lumdesk/handlers/server/servertest"
	"lumdesk/internal/accounts"
	"lumdesk/internal/audit"
	"lumdesk/internal/customers"
	"lumdesk/internal/mail"
)

// A customer's developer creates a Lumora key for their app in the portal
// and sees its secret once: the list and the key's page never show it again.
func TestPortalCustomerCreatesLumoraKey(t *testing.T) {
	b := start(t)
	env := b.Env
	acc := env.CreateAccount("Zephyr Games")
	app, err := env.Mail.CreateApp(context.Background(), audit.CLI("e2e"), accounts.Only(acc.ID), mail.AppInput{Name: "Storefront"})
	if err != nil {
		t.Fatal(err)
	}
	u := env.CreateCustomer(acc.ID, "dev@zephyr.test", customers.RoleDeveloper)

	b.open("/portal/login", `[data-testid="login-form"]`)
	b.fill(`[data-testid="login-form"] `, "email", u.Email)
	b.fill(`[data-testid="login-form"] `, "password", servertest.Password)
	b.click(`[data-testid="login-submit"]`)
	b.waitPath(`^/portal$`)

	b.open("/portal/account/api-keys", `[data-testid="new-apikey"]`)
	if !b.exists(`.empty-state`) {
		t.Error("no empty state on a new account's keys")
	}
	b.click(`[data-testid="new-apikey"]`)
	b.waitVisible(`[data-testid="apikey-form"]`)
	form := `[data-testid="apikey-form"] `
	// As a person choosing from the list: the value, then the change event
	// that shows the product's scope group (static/js/app.js). A scope
	// ticked under the product first chosen is not sent once it is hidden.
	choose := func(product string) {
		b.do("choose "+product, chromedp.SetValue(chromedp.CSS(form+`select[name=product]`), product),
			chromedp.Evaluate[chromedp.Void](`document.querySelector('[data-testid="apikey-form"] select[name=product]').dispatchEvent(new Event('change', {bubbles: true}))`))
	}
	choose("luarmor")
	b.click(form + `fieldset[data-scope-group="luarmor"] input[name=scope]`)
	choose("lumora")
	b.waitVisible(form + `select[name=app]`)
	b.do("choose app", chromedp.SetValue(chromedp.CSS(form+`select[name=app]`), strconv.FormatInt(app.ID, 10)))
	b.fill(form, "name", "Storefront mailer")
	b.click(form + `fieldset[data-scope-group="lumora"] input[name=scope]`)
	b.screenshot("form")
	b.click(`[data-testid="create-apikey"]`)

	b.waitVisible(`[data-testid="new-secret"]`)
	secret := run(b, "read the secret", chromedp.Value(chromedp.CSS(`[data-testid="new-secret"] input`)))
	if !strings.HasPrefix(secret, "lum_") || len(secret) < 30 {
		t.Fatalf("new secret %q: want a Lumora key", secret)
	}
	if !b.exists(`[data-testid="new-secret"] button[data-copy]`) {
		t.Error("no copy button next to the secret")
	}
	b.screenshot("secret")

	b.click(`[data-testid="done"]`)
	b.waitPath(`^/portal/account/api-keys/\d+$`)
	b.waitVisible(`[data-testid="scope-list"]`)
	if strings.Contains(b.html(), secret) {
		t.Error("the key's page shows the secret")
	}
	if got := b.text(`main`); !strings.Contains(got, "Storefront") {
		t.Errorf("the key's page does not name its app: %q", got)
	}
	if got := b.text(`[data-testid="scope-list"]`); !strings.Contains(got, "email:send") || strings.Contains(got, "keys:") {
		t.Errorf("scopes %q: want the ticked Lumora scope only", got)
	}
	// Loading the pages again never brings the secret back.
	b.open("/portal/account/api-keys", `[data-testid="apikey-row"]`)
	if strings.Contains(b.html(), secret) {
		t.Error("the list shows the secret")
	}
	if got := b.text(`[data-testid="apikey-row"]`); !strings.Contains(got, "Storefront mailer") || !strings.Contains(got, secret[:10]) {
		t.Errorf("list row: %q", got)
	}
	b.screenshot("list")

	// The pages fit a phone, in dark mode too.
	keyPage := eval[string](b, `document.querySelector('[data-testid="apikey-row"] a').getAttribute('href')`)
	for i := 0; i < 3 && !eval[bool](b, `document.documentElement.classList.contains('dark')`); i++ {
		b.click(`header [data-theme-toggle]`)
	}
	b.viewport(390, 844, true)
	for _, p := range []string{"/portal/account/api-keys", "/portal/account/api-keys/new", keyPage} {
		b.open(p, "#main")
		checkWidth(b, p+" on a 390px phone", true)
	}
	b.screenshot("phone-dark-key")

	// Rotate through its confirmation dialog: a new secret, shown once.
	b.click(`[data-testid="action-rotate"]`)
	b.waitVisible(`#apikey-rotate textarea[name=reason]`)
	b.click(`#apikey-rotate button[type=submit]`)
	b.waitVisible(`[data-testid="new-secret"]`)
	rotated := run(b, "read the new secret", chromedp.Value(chromedp.CSS(`[data-testid="new-secret"] input`)))
	if !strings.HasPrefix(rotated, "lum_") || rotated == secret {
		t.Errorf("rotated secret %q", rotated)
	}
	b.open("/portal/account/api-keys?status=revoked", `[data-testid="apikey-row"]`)
	if strings.Contains(b.html(), rotated) || !strings.Contains(b.text(`[data-testid="apikey-row"]`), secret[:10]) {
		t.Error("the revoked list does not show the rotated-out key (or shows the new secret)")
	}
}
