package e2e

import (
	"context"
	"strconv"
	"strings"
	"testing"

	"lumdesk/internal/accounts"
	"lumdesk/internal/demo"
)

// Create a template in the console, send a test email of it from its page,
// and find it in the message log and, delivered, in the sandbox inbox.
func TestTemplateCreateAndTestSend(t *testing.T) {
	b := start(t)
	ctx := context.Background()
	// The demo's Harbor account has an app and a sending domain verified
	// through DNS, which a send needs.
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
	sctx, cancel := context.WithCancel(ctx)
	t.Cleanup(cancel)
	if err := b.Env.StartMailSandbox(sctx, b.Env.Config); err != nil {
		t.Fatalf("sandbox inbox: %v", err)
	}
	b.staff("admin")

	b.open("/lumora/templates", `[data-testid="add-template"]`)
	b.click(`[data-testid="add-template"]`)
	b.waitVisible(`[data-testid="template-form"]`)
	form := `[data-testid="template-form"] `
	b.fill(form+"input", "account", strconv.FormatInt(account, 10))
	b.fill(form+"input", "slug", "e2e-welcome")
	b.fill(form+"input", "name", "E2E welcome")
	b.fill(form+"input", "subject", "Welcome aboard, {{name}}")
	b.fill(form+"textarea", "html", "<p>Hello {{name}}, welcome.</p>")
	b.fill(form+"textarea", "text", "Hello {{name}}, welcome.")
	b.click(`[data-testid="template-submit"]`)
	b.waitPath(`^/lumora/templates/tpl_[A-Za-z0-9]+$`)
	b.toast("Template E2E welcome created")
	// No variables yet: the preview says what is missing instead of framing.
	b.waitText(`[data-testid="preview-form"] + *`, `"name" is missing`)

	b.fill(`[data-testid="send-form"] input`, "to", "ada@example.net")
	b.fill(`[data-testid="send-form"] textarea`, "variables", `{"name": "Ada"}`)
	b.click(`[data-testid="send-submit"]`)
	loc := b.waitPath(`^/lumora/messages/msg_[A-Za-z0-9]+$`)
	b.toast("Test email queued as msg_")
	msgID := strings.TrimPrefix(loc, "/lumora/messages/")

	// The delivery job's work, done here rather than waiting for a worker.
	m, err := b.Env.Mail.GetMessage(ctx, accounts.AllAccounts, msgID)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := b.Env.Mail.Deliver(ctx, m.Message.ID); err != nil {
		t.Fatal(err)
	}
	b.open("/lumora/messages", `[data-testid="message-row"]`)
	if !strings.Contains(b.text(`#main table`), "Welcome aboard, Ada") {
		t.Errorf("the log does not list the test email")
	}
	b.open("/lumora/sandbox", `[data-testid="sandbox-row"]`)
	if got := b.text(`[data-testid="sandbox-row"]`); !strings.Contains(got, "Welcome aboard, Ada") {
		t.Errorf("sandbox inbox row %q", got)
	}
}
