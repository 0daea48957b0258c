package e2e

import (
	"context"
	"strconv"
	"strings"
	"testing"

	"lumdesk/internal/accounts"
	"lumdesk/internal/demo"
	"lumdesk/internal/mail"
)

// Add a sending domain for a demo account in the console, publish its
// records in the app's DNS server (servertest's, the app's DNS_RESOLVER)
// with one of them wrong, verify: the wrong record fails and says what was
// found; fix it, verify again: the domain is verified.
func TestSendingDomainAddAndVerify(t *testing.T) {
	b := start(t)
	ctx := context.Background()
	if _, err := demo.Seed(ctx, b.Env.DemoDeps()); err != nil {
		t.Fatalf("demo seed: %v", err)
	}
	apps, err := b.Env.Mail.ListApps(ctx, accounts.AllAccounts, 0, 100)
	if err != nil {
		t.Fatal(err)
	}
	var account int64
	for _, a := range apps {
		if a.Name == "Harbor alerts" {
			account = a.AccountID
		}
	}
	if account == 0 {
		t.Fatal("the demo has no Harbor alerts app")
	}
	b.staff("admin")

	// Lumora → Sending domains → Add domain.
	b.open("/lumora", `a[href="/lumora/domains"]`)
	b.click(`a[href="/lumora/domains"]`)
	b.waitPath(`^/lumora/domains$`)
	b.click(`[data-testid="add-domain"]`)
	b.waitVisible(`[data-testid="domain-form"]`)
	form := `[data-testid="domain-form"] `
	b.fill(form+"input", "account", strconv.FormatInt(account, 10))
	b.fill(form+"input", "name", "e2e-mail.example.com")
	b.click(`[data-testid="domain-submit"]`)
	loc := b.waitPath(`^/lumora/domains/[0-9]+$`)
	b.toast("Domain e2e-mail.example.com added")
	id, _ := strconv.ParseInt(strings.TrimPrefix(loc, "/lumora/domains/"), 10, 64)

	// The four records, each name and value with its copy button, none checked yet.
	type rec struct{ Kind, Type, Name, Value, Status, Found, CopyName, CopyValue string }
	records := func() map[string]rec {
		rows := eval[[]rec](b, `Array.from(document.querySelectorAll('[data-testid="record"]')).map(r => ({
			Kind: r.dataset.kind, Status: r.dataset.status,
			Type: r.querySelector('.badge').textContent.trim(),
			Name: r.querySelector('[data-testid="record-name"]').textContent.trim(),
			Value: r.querySelector('[data-testid="record-value"]').textContent.trim(),
			Found: r.querySelector('[data-testid="record-found"]').textContent.trim(),
			CopyName: (r.querySelector('[data-testid="record-name"] + .copy-btn') || {}).dataset?.copyText || '',
			CopyValue: (r.querySelector('[data-testid="record-value"] + .copy-btn') || {}).dataset?.copyText || '',
		}))`)
		out := map[string]rec{}
		for _, r := range rows {
			out[r.Kind] = r
		}
		return out
	}
	shown := records()
	for _, kind := range []string{"spf", "dkim", "return_path", "dmarc"} {
		r, ok := shown[kind]
		if !ok {
			t.Fatalf("the page lists no %s record: %+v", kind, shown)
		}
		if r.Name == "" || r.Value == "" || r.CopyName != r.Name || r.CopyValue != r.Value {
			t.Errorf("%s record: name %q value %q, copy buttons %q / %q", kind, r.Name, r.Value, r.CopyName, r.CopyValue)
		}
		if r.Status != mail.StatusPending || r.Found != "Not checked yet" {
			t.Errorf("%s record before any check: %s, %q", kind, r.Status, r.Found)
		}
	}
	// What the page shows is what the service asks for.
	d, err := b.Env.Mail.GetDomain(ctx, accounts.AllAccounts, id)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range d.Records {
		if s := shown[r.Kind]; s.Type != r.Type || s.Name != r.Name || s.Value != r.Value {
			t.Errorf("%s record shown as %s %s %q, the service has %s %s %q", r.Kind, s.Type, s.Name, s.Value, r.Type, r.Name, r.Value)
		}
	}

	// Publish what the page says, except DMARC, published with a policy that does not exist.
	dmarc := shown["dmarc"]
	for _, r := range shown {
		if r.Kind != "dmarc" {
			b.Env.DNS.Publish(r.Type, r.Name, r.Value)
		}
	}
	b.Env.DNS.TXT(dmarc.Name, "v=DMARC1; p=monitor")
	b.click(`[data-testid="verify-now"]`)
	b.toast(`Checked just now: 3 of 4 records verified; the domain is pending\.`)
	b.waitVisible(`[data-testid="record"][data-kind="dmarc"][data-status="failing"]`)
	got := records()
	for kind, r := range got {
		if kind != "dmarc" && r.Status != mail.StatusVerified {
			t.Errorf("%s record after the check: %s, %q", kind, r.Status, r.Found)
		}
	}
	if f := got["dmarc"].Found; !strings.Contains(f, `v=DMARC1; p=monitor`) || !strings.Contains(f, "invalid policy p=monitor") {
		t.Errorf("the failing DMARC record says %q, not what was found", f)
	}
	if st := b.text(`.page-header .badge[data-status]`); st != "Pending" {
		t.Errorf("the page header says the domain is %q with a record failing, want Pending", st)
	}

	// Fix the record, verify again.
	b.Env.DNS.Publish(dmarc.Type, dmarc.Name, dmarc.Value)
	b.click(`[data-testid="verify-now"]`)
	b.toast(`Checked just now: 4 of 4 records verified; the domain is verified\.`)
	b.waitVisible(`[data-testid="record"][data-kind="dmarc"][data-status="verified"]`)
	for kind, r := range records() {
		if r.Status != mail.StatusVerified {
			t.Errorf("%s record after the fix: %s, %q", kind, r.Status, r.Found)
		}
	}
	if st := b.text(`.page-header .badge[data-status]`); st != "Verified" {
		t.Errorf("the page header says the domain is %q, want Verified", st)
	}
	if d, err = b.Env.Mail.GetDomain(ctx, accounts.AllAccounts, id); err != nil {
		t.Fatal(err)
	} else if d.Status != mail.StatusVerified || d.VerifiedAt == nil {
		t.Errorf("the domain is %s (verified at %v) after every record verified", d.Status, d.VerifiedAt)
	}
	b.screenshot("verified")
}
