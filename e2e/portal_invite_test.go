package e2e

import (
	"context"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// Support invites a portal user from the account's Portal tab; the
// invitation mail arrives in Lumora's sandbox inbox; its link, opened in a
// fresh browser (no console session), sets a password and lands on the
// portal home of the account.
func TestStaffInviteToPortal(t *testing.T) {
	b := start(t)
	ctx := context.Background()
	sctx, cancel := context.WithCancel(ctx)
	t.Cleanup(cancel)
	if err := b.Env.StartMailSandbox(sctx, b.Env.Config); err != nil {
		t.Fatalf("sandbox inbox: %v", err)
	}
	acc := b.Env.CreateAccount("Nightfall Studios")
	b.staff("support")

	tab := "/accounts/" + strconv.FormatInt(acc.ID, 10) + "?tab=portal"
	b.open(tab, `[data-testid="invite-form"]`)
	if !strings.Contains(b.text(`[data-testid="portal-tab"]`), "No portal users yet") {
		t.Errorf("no empty state on the Portal tab")
	}
	b.fill(`[data-testid="invite-form"] `, "email", "nora@nightfall.test")
	b.click(`[data-testid="role-owner"]`)
	b.click(`[data-testid="invite-submit"]`)
	b.waitVisible(`[data-testid="invite-sent"]`)
	shown := eval[string](b, `document.querySelector('#invite-url').value`)
	if !strings.Contains(shown, "/portal/invite/") {
		t.Fatalf("the link shown is %q", shown)
	}
	if !strings.Contains(b.text(`[data-testid="invite-sent"]`), "sandbox inbox") {
		t.Errorf("the notice does not say where the mail lands: %q", b.text(`[data-testid="invite-sent"]`))
	}
	if got := b.text(`[data-testid="portal-invitation"]`); !strings.Contains(got, "nora@nightfall.test") || !strings.Contains(got, "Owner") {
		t.Errorf("open invitation row %q", got)
	}
	// The tab with its link, table and form fits at 1280 px and on a phone (dark mode too).
	checkWidth(b, "portal tab at 1280px", true)
	b.shot("portal-tab")
	b.viewport(390, 844, true)
	b.open(tab, `[data-testid="invite-form"]`)
	checkWidth(b, "portal tab on a 390px phone", true)
	b.viewport(1280, 900, false)

	// The delivery job's work, done here rather than waiting for a worker.
	var msgID int64
	if err := b.Env.DB.Pool.QueryRow(ctx, `SELECT m.id FROM mail_messages m JOIN mail_recipients r ON r.message_id = m.id
		WHERE r.email = 'nora@nightfall.test' ORDER BY m.id DESC LIMIT 1`).Scan(&msgID); err != nil {
		t.Fatalf("no invitation mail queued: %v", err)
	}
	if _, err := b.Env.Mail.Deliver(ctx, msgID); err != nil {
		t.Fatal(err)
	}
	b.open("/lumora/sandbox", `[data-testid="sandbox-row"]`)
	if got := b.text(`[data-testid="sandbox-row"]`); !strings.Contains(got, "You are invited to Nightfall Studios") {
		t.Fatalf("sandbox inbox row %q", got)
	}
	b.click(`[data-testid="sandbox-row"] a`)
	body := b.waitText(`[data-testid="text-body"]`, `/portal/invite/`)
	link := regexp.MustCompile(`https?://\S+/portal/invite/[A-Za-z0-9]+`).FindString(body)
	if link == "" || link != shown {
		t.Fatalf("the mailed link %q is not the one shown %q", link, shown)
	}
	u, err := url.Parse(link)
	if err != nil {
		t.Fatal(err)
	}

	// A fresh browser context: no staff session, no cookies.
	fresh := &B{t: t, Env: b.Env, width: 1280, height: 900}
	fctx, fcancel := chromedp.NewContext(b.ctx, chromedp.WithNewBrowserContext(), chromedp.WithListener(fresh.onEvent))
	t.Cleanup(fcancel)
	fresh.ctx = fctx
	if err := chromedp.Do(fctx); err != nil { // the target lives as long as fctx
		t.Fatalf("new browser context: %v", err)
	}
	fresh.viewport(1280, 900, false)
	fresh.allow(`/favicon\.ico\]$`)
	t.Cleanup(fresh.finish)
	fresh.open("/accounts", `[data-testid="login-form"]`) // no staff session here
	fresh.open(u.Path, `[data-testid="password-form"]`)
	if got := fresh.text(`[data-testid="invite-for"]`); !strings.Contains(got, "Nightfall Studios") || !strings.Contains(got, "nora@nightfall.test") {
		t.Errorf("invitation page says %q", got)
	}
	fresh.fill(`[data-testid="password-form"] `, "name", "Nora Vance")
	fresh.fill(`[data-testid="password-form"] `, "password", "a long enough passphrase")
	fresh.click(`[data-testid="password-submit"]`)
	fresh.waitPath(`^/portal$`)
	fresh.waitVisible(`[data-testid="home-products"]`)
	if got := fresh.text(`[data-testid="portal-account"]`); got != "Nightfall Studios" {
		t.Errorf("portal account %q", got)
	}
	fresh.checkConsole("portal home")

	// The staff console now lists her as a portal user, and no open invitation.
	b.open(tab, `[data-testid="portal-user"]`)
	if got := b.text(`[data-testid="portal-user"]`); !strings.Contains(got, "Nora Vance") || !strings.Contains(got, "Owner") {
		t.Errorf("portal user row %q", got)
	}
	if b.exists(`[data-testid="portal-invitation"]`) {
		t.Errorf("the accepted invitation is still open")
	}
}
