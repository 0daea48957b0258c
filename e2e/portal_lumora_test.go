package e2e

import (
	"strings"
	"testing"

	"lumdesk/handlers/server/servertest"
	"lumdesk/internal/customers"
	"lumdesk/internal/mail"
)

// A customer adds a sending domain in the portal's Add domain wizard,
// copies its four records with their copy buttons, publishes what was
// copied in the app's DNS server, and Verify DNS says the domain is
// verified, each record with its result.
func TestPortalLumoraAddDomainWizard(t *testing.T) {
	b := start(t)
	acc := b.Env.CreateAccount("Wizard Games")
	email := "dev@wizard-games.test"
	b.Env.CreateCustomer(acc.ID, email, customers.RoleDeveloper)

	b.open("/portal/login", `[data-testid="login-form"]`)
	b.fill(`[data-testid="login-form"] `, "email", email)
	b.fill(`[data-testid="login-form"] `, "password", servertest.Password)
	b.click(`[data-testid="login-submit"]`)
	b.waitPath(`^/portal$`)

	// Home → Lumora → Add domain.
	b.click(`#sidebar a[href="/portal/lumora"]`)
	b.waitPath(`^/portal/lumora$`)
	b.click(`[data-testid="add-domain"]`)
	b.waitVisible(`[data-testid="domain-form"]`)
	b.fill(`[data-testid="domain-form"] `, "domain", "mail.wizard-games.test")
	b.click(`[data-testid="domain-submit"]`)
	loc := b.waitPath(`^/portal/lumora/domains/[0-9]+/setup$`)
	b.toast("Domain mail.wizard-games.test added")
	if step := eval[string](b, `document.querySelector('[data-testid="wizard-steps"]').dataset.step`); step != "2" {
		t.Errorf("wizard step %q, want 2", step)
	}

	// Copy each record's name and value with its button.
	eval[bool](b, `(window.copied = [], navigator.clipboard.writeText = function (t) { window.copied.push(t); return Promise.resolve(); }, true)`)
	type rec struct{ Kind, Type, Name, Value string }
	recs := eval[[]rec](b, `Array.from(document.querySelectorAll('[data-testid="record"]')).map(r => ({
		Kind: r.dataset.kind, Type: r.querySelector('.badge').textContent.trim(),
		Name: r.querySelector('[data-testid="record-name"]').textContent.trim(),
		Value: r.querySelector('[data-testid="record-value"]').textContent.trim()}))`)
	if len(recs) != 4 {
		t.Fatalf("%d records on the wizard's page", len(recs))
	}
	for i, r := range recs {
		for _, field := range []string{"record-name", "record-value"} {
			sel := `[data-testid="record"][data-kind="` + r.Kind + `"] [data-testid="` + field + `"] + button[data-copy-text]`
			b.click(sel)
			b.waitVisible(sel + `.is-copied`)
		}
		_ = i
	}
	copied := eval[[]string](b, `window.copied`)
	if len(copied) != 8 {
		t.Fatalf("copied %d values, want 8: %q", len(copied), copied)
	}
	// Publish what was copied (name, value pairs) under each record's type.
	for i, r := range recs {
		name, value := copied[2*i], copied[2*i+1]
		if name != r.Name || value != r.Value {
			t.Errorf("%s: copied %q = %q, shown %q = %q", r.Kind, name, value, r.Name, r.Value)
		}
		b.Env.DNS.Publish(r.Type, name, value)
	}

	b.click(`[data-testid="verify-now"]`)
	b.waitPath(`^` + loc + `$`)
	b.waitVisible(`[data-testid="verify-result"][data-status="verified"]`)
	b.toast(`4 of 4 records verified; the domain is verified`)
	n := eval[int](b, `document.querySelectorAll('[data-testid="record"][data-status="verified"]').length`)
	if n != 4 {
		t.Errorf("%d records verified on the page, want 4", n)
	}
	if got := b.text(`[data-testid="record"][data-kind="dkim"] [data-testid="record-found"]`); got == "" || strings.Contains(got, "Not checked") {
		t.Errorf("DKIM record found %q", got)
	}
	// The domain's list says so too.
	b.open("/portal/lumora/domains", `[data-testid="domain-row"]`)
	if st := eval[string](b, `document.querySelector('[data-testid="domain-row"] .badge[data-status]').dataset.status`); st != mail.StatusVerified {
		t.Errorf("the list says %q", st)
	}

	// At phone width the wizard's records page does not scroll sideways.
	b.viewport(390, 844, true)
	b.open(loc, `[data-testid="records"]`)
	if w := eval[int](b, `document.documentElement.scrollWidth - window.innerWidth`); w > 0 {
		t.Errorf("the records page scrolls sideways by %dpx at 390px", w)
	}
}
