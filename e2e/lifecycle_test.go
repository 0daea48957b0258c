package e2e

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// The main flow, as an admin in one browser: create an account
// through its form, issue an API key for it (the secret is shown once and
// never again), revoke the key through its confirmation dialog, find all of
// it in the audit log and the History tabs, and reach the account again
// through the command palette.
func TestAccountAndAPIKeyLifecycle(t *testing.T) {
	b := start(t)
	b.staff("admin")

	// 2. Create an account through /accounts/new.
	b.open("/accounts", `[data-testid="accounts-results"]`)
	b.click(`[data-testid="new-account"]`)
	b.waitPath(`^/accounts/new$`)
	form := `[data-testid="account-form"] `
	b.fill(form, "name", "Zéphyrine Robotics")
	b.fill(form, "email", "ops@zephyrine.example")
	b.fill(form, "discord_id", "345678901234567890")
	b.fill(form, "note", "Created by the browser tests.")
	b.screenshot("account-form")
	b.click(form + `button[type=submit]`)
	accountPath := b.waitPath(`^/accounts/\d+$`)
	accountID := strings.TrimPrefix(accountPath, "/accounts/")
	b.waitVisible(`[data-testid="account-header"]`)
	b.toast(`(?i)created`)
	if h := b.text(`[data-testid="account-header"]`); !strings.Contains(h, "Zéphyrine Robotics") || !strings.Contains(h, "ops@zephyrine.example") {
		t.Errorf("account header does not show the new account:\n%s", h)
	}
	b.screenshot("account")

	// 3. Issue a Lumora key for it. The secret is on the answer page, once.
	b.open("/apikeys/new?account="+accountID, `[data-testid="apikey-form"]`)
	keyForm := `[data-testid="apikey-form"] `
	// As a person choosing from the list: the value, then the change event
	// that shows the product's scope group (static/js/app.js).
	b.do("choose product", chromedp.SetValue(chromedp.CSS(keyForm+`select[name=product]`), "lumora"),
		chromedp.Evaluate[chromedp.Void](`document.querySelector('[data-testid="apikey-form"] select[name=product]').dispatchEvent(new Event('change', {bubbles: true}))`))
	if v := run(b, "account field", chromedp.Value(chromedp.CSS(keyForm+`input[name=account]`))); v == "" {
		b.fill(keyForm, "account", accountID)
	}
	b.fill(keyForm, "name", "Zephyrine CI")
	b.click(keyForm + `fieldset[data-scope-group="lumora"] input[name=scope]`)
	b.screenshot("apikey-form")
	b.click(`[data-testid="create-apikey"]`)
	b.waitVisible(`[data-testid="new-secret"]`)
	secret := run(b, "read the secret", chromedp.Value(chromedp.CSS(`[data-testid="new-secret"] input`)))
	if !strings.HasPrefix(secret, "lum_sk_") || len(secret) < 30 {
		t.Fatalf("new secret %q: want a lum_sk_ key", secret)
	}
	b.screenshot("apikey-secret")

	// Past the answer page the secret is gone: not on the key's page (either
	// tab), not in the list. The display prefix keeps a few characters of it,
	// so look for the part no page should ever have.
	hidden := secret[len(secret)-20:]
	noSecret := func(where string) {
		t.Helper()
		if html := b.html(); strings.Contains(html, hidden) {
			t.Errorf("%s: the page HTML contains the secret", where)
		}
	}
	b.click(`[data-testid="done"]`)
	keyPath := b.waitPath(`^/apikeys/\d+$`)
	keyID := strings.TrimPrefix(keyPath, "/apikeys/")
	b.waitVisible(`[data-testid="apikey-header"]`)
	noSecret(keyPath)
	b.screenshot("apikey")
	b.open("/apikeys", fmt.Sprintf(`[data-testid="apikey-row"][data-id="%s"]`, keyID))
	noSecret("/apikeys")
	b.open("/apikeys?account="+accountID, fmt.Sprintf(`[data-testid="apikey-row"][data-id="%s"]`, keyID))
	noSecret("/apikeys?account=" + accountID)
	b.screenshot("apikeys")

	// 4. Revoke it through the confirmation dialog, which asks for a reason;
	// the header card changes in place (htmx), without a page load.
	b.open(keyPath, `[data-testid="action-revoke"]`)
	b.do("mark the page", chromedp.Evaluate[chromedp.Void](`window.__e2eSamePage = true`))
	b.click(`[data-testid="action-revoke"]`)
	dialog := `dialog#apikey-revoke[open] `
	b.waitVisible(dialog + `textarea[name=reason]`)
	if txt := b.text(dialog); !strings.Contains(txt, "Zephyrine CI") && !strings.Contains(txt, secret[:13]) {
		t.Errorf("the revoke dialog does not name the key:\n%s", txt)
	}
	b.fill(dialog, "reason", "Leaked in a CI log")
	b.screenshot("revoke-dialog")
	b.click(dialog + `button[type=submit]`)
	b.do("wait for the dialog to close", chromedp.WaitNotPresent(chromedp.CSS(`dialog#apikey-revoke[open]`)))
	b.waitText(`[data-testid="apikey-header"]`, `(?s)Revoked.*Leaked in a CI log`)
	if b.exists(`[data-testid="action-revoke"]`) {
		t.Error("a revoked key still offers Revoke")
	}
	if !eval[bool](b, `window.__e2eSamePage === true`) {
		t.Error("revoking reloaded the page; it should swap the header with htmx")
	}
	b.toast(`(?i)revoked`)
	b.screenshot("revoked")
	b.checkConsole("after revoke")

	// 5. All of it is in the audit log ...
	b.open("/audit", `[data-testid="audit-row"]`)
	actions := run(b, "audit actions", chromedp.Evaluate[[]string](
		`Array.from(document.querySelectorAll('[data-testid="audit-action"]')).map(e => e.dataset.action)`))
	for _, want := range []string{"account.create", "api_key.create", "api_key.revoke"} {
		if !slices.Contains(actions, want) {
			t.Errorf("/audit has no %s row; actions: %v", want, actions)
		}
	}
	b.screenshot("audit")

	// ... in the account's History tab (a fragment htmx loads) ...
	b.open(accountPath+"?tab=history", `[data-testid="history-fragment"] [data-testid="history-item"]`)
	if acts := historyActions(b, `[data-testid="history-fragment"]`); !slices.Contains(acts, "account.create") {
		t.Errorf("account History tab: actions %v, want account.create", acts)
	}
	b.screenshot("account-history")

	// ... and in the key's, with the reason.
	b.open(keyPath+"?tab=history", `[data-testid="history"] [data-testid="history-item"]`)
	acts := historyActions(b, `[data-testid="history"]`)
	for _, want := range []string{"api_key.create", "api_key.revoke"} {
		if !slices.Contains(acts, want) {
			t.Errorf("key History tab: actions %v, want %s", acts, want)
		}
	}
	if r := b.text(`[data-testid="history"] [data-testid="history-reason"]`); !strings.Contains(r, "Leaked in a CI log") {
		t.Errorf("key History tab: reason %q, want the revoke reason", r)
	}
	b.screenshot("apikey-history")

	// 7. The command palette: Ctrl+K, type part of the name, Enter opens it.
	b.open("/", `[data-testid="overview-stats"]`)
	b.keys("k", chromedp.ModifierCtrl)
	b.waitVisible(`dialog#palette[open] input[name=q]`)
	b.do("type in the palette", chromedp.SendKeys(chromedp.CSS(`dialog#palette input[name=q]`), "Zéphyr"))
	b.waitVisible(`#palette-results a[href="` + accountPath + `"]`)
	b.screenshot("palette")
	b.keys("\r")
	b.waitPath("^" + accountPath + "$")
	b.waitVisible(`[data-testid="account-header"]`)
}

// historyActions lists the actions of the history items inside scope.
func historyActions(b *B, scope string) []string {
	b.t.Helper()
	return run(b, "history actions", chromedp.Evaluate[[]string](
		`Array.from(document.querySelectorAll('`+scope+` [data-testid="history-action"]')).map(e => e.dataset.action)`))
}
