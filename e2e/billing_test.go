package e2e

import (
	"context"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"lumdesk/handlers/server/servertest"
	"lumdesk/internal/accounts"
	"lumdesk/internal/audit"
)

// The finance desk's four-eyes flow: a finance user tops an account up below
// the approval limit (the money moves at once) and asks for a top-up above it
// (a request, no money); a second finance user approves it; both are in the
// ledger and in the account's History tab. A support user sees the balance
// but no money buttons.
func TestFinanceTopUpAndFourEyesApproval(t *testing.T) {
	b := start(t)
	acc, err := b.Env.Accounts.Create(context.Background(), audit.CLI("e2e"), accounts.CreateInput{Name: "Bluebird Hosting", Email: "billing@bluebird.host"})
	if err != nil {
		t.Fatal(err)
	}
	id := strconv.FormatInt(acc.ID, 10)
	deskPath := "/lumi/accounts/" + id
	b.staff("finance")

	// 1. From the account's Lumi tab to its finance page.
	b.open("/accounts/"+id+"?tab=lumi", `[data-testid="lumi-summary"]`)
	if got := b.text(`[data-testid="summary-balance"]`); got != "$0.00" {
		t.Errorf("Lumi tab balance %q, want $0.00", got)
	}
	b.click(`[data-testid="summary-link"]`)
	b.waitPath("^" + deskPath + "$")
	b.waitVisible(`[data-testid="billing-account"]`)
	b.do("mark the page", chromedp.Evaluate[chromedp.Void](`window.__e2eSamePage = true`))

	// 2. A top-up below the limit moves the money at once.
	b.click(`[data-testid="action-topup"]`)
	dialog := `dialog#billing-topup-dialog[open] `
	b.waitVisible(dialog + `input[name=amount]`)
	b.fill(dialog, "amount", "120.00")
	b.fill(dialog, "reason", "Wire 4411 from Bluebird")
	b.screenshot("topup-dialog")
	b.click(dialog + `button[type=submit]`)
	// The review names the amount and the account before money moves.
	b.waitVisible(dialog + `[data-testid="action-review"]`)
	if got := b.text(dialog + `[data-testid="review-amount"]`); !strings.Contains(got, "120.00") {
		t.Errorf("review amount %q", got)
	}
	if got := b.text(dialog + `.dialog-title`); !strings.Contains(got, "Bluebird Hosting") || !strings.Contains(got, "120.00") {
		t.Errorf("review title %q does not name the account and the amount", got)
	}
	if b.exists(dialog + `button[type=submit].btn-danger`) {
		t.Error("a top-up is confirmed with a red button; red is for what cannot be undone")
	}
	b.screenshot("topup-review")
	b.click(dialog + `button[type=submit]`)
	b.do("top-up dialog closes", chromedp.WaitNotPresent(chromedp.CSS(`dialog#billing-topup-dialog[open]`)))
	b.waitText(`[data-testid="account-balance"]`, `^\$120\.00$`)
	b.toast(`Credited \$120\.00 to Bluebird Hosting`)

	// 3. Above the limit: a request, and the balance stays.
	b.click(`[data-testid="action-topup"]`)
	b.waitVisible(dialog + `input[name=amount]`)
	b.fill(dialog, "amount", "750.00")
	b.fill(dialog, "reason", "Quarterly prepayment BB-2291")
	b.click(dialog + `button[type=submit]`)
	b.waitVisible(dialog + `[data-testid="action-review"]`)
	b.click(dialog + `button[type=submit]`)
	b.do("second dialog closes", chromedp.WaitNotPresent(chromedp.CSS(`dialog#billing-topup-dialog[open]`)))
	b.toast(`above the approval limit of \$500\.00: request #\d+ waits for a second finance user`)
	b.waitVisible(`[data-testid="account-request"]`)
	if got := b.text(`[data-testid="account-balance"]`); got != "$120.00" {
		t.Errorf("balance %q after a request above the limit, want $120.00", got)
	}
	if !eval[bool](b, `window.__e2eSamePage === true`) {
		t.Error("a money action reloaded the page; it should swap the panel with htmx")
	}
	b.screenshot("pending")
	// The requester cannot approve it.
	b.open("/lumi/approvals", `[data-testid="pending-request"]`)
	if b.exists(`[data-testid="approve-request"]`) || !b.exists(`[data-testid="own-request"]`) {
		t.Error("the requester is offered to approve their own request")
	}
	b.checkConsole("as the first finance user")

	// 4. A second finance user approves it.
	signOut(b)
	_, secret := b.Env.CreateStaff("finance2@e2e.test", "finance")
	b.signIn("finance2@e2e.test", servertest.Password, secret)
	b.open("/lumi/approvals", `[data-testid="pending-request"]`)
	b.screenshot("approvals")
	b.click(`[data-testid="approve-request"]`)
	dialog = `dialog#billing-approve-dialog[open] `
	b.waitVisible(dialog + `textarea[name=reason]`)
	if txt := b.text(dialog); !strings.Contains(txt, "$750.00") || !strings.Contains(txt, "Bluebird Hosting") {
		t.Errorf("approve dialog does not name the money and the account: %q", txt)
	}
	b.fill(dialog, "reason", "Checked the bank statement")
	b.screenshot("approve-dialog")
	b.click(dialog + `button[type=submit]`)
	b.do("approve dialog closes", chromedp.WaitNotPresent(chromedp.CSS(`dialog#billing-approve-dialog[open]`)))
	b.toast(`Request #\d+ approved: \$750\.00 applied to Bluebird Hosting\. Balance \$870\.00\.`)
	b.waitVisible(`[data-testid="empty-pending"]`)
	b.waitVisible(`[data-testid="decided-request"]`)

	// 5. Both in the ledger.
	b.open("/lumi/ledger?account="+id, `[data-testid="ledger-row"]`)
	amounts := eval[[]string](b, `Array.from(document.querySelectorAll('[data-testid="ledger-row"] [data-testid="entry-amount"]')).map(e => e.textContent.trim())`)
	if !slices.Equal(amounts, []string{"$750.00", "$120.00"}) {
		t.Errorf("ledger amounts %v, want [$750.00 $120.00]", amounts)
	}
	if txt := b.text(`[data-testid="ledger-results"]`); !strings.Contains(txt, "Wire 4411 from Bluebird") || !strings.Contains(txt, "Quarterly prepayment BB-2291") {
		t.Errorf("ledger reasons missing: %q", txt)
	}
	b.screenshot("ledger")
	// The kind filter swaps the rows in place; the export link follows it
	// (sent out of band beside the results the form selects).
	// Both moves are deposits: purchases are none.
	b.selectValue(`[data-testid="ledger-filters"] select[name="kind"]`, "purchase")
	b.waitVisible(`#export-link[href="/lumi/ledger/export.csv?account=` + id + `&kind=purchase"]`)
	b.waitVisible(`[data-testid="ledger-results"] [data-testid="empty-filtered"]`)
	b.open(deskPath, `[data-testid="ledger-row"]`)
	if got := b.text(`[data-testid="account-balance"]`); got != "$870.00" {
		t.Errorf("balance %q, want $870.00", got)
	}
	b.screenshot("account")

	// 6. And in the account's History tab.
	b.open("/accounts/"+id+"?tab=history", `[data-testid="history-fragment"] [data-testid="history-item"]`)
	acts := historyActions(b, `[data-testid="history-fragment"]`)
	for _, want := range []string{"balance.topup", "balance.adjustment_request", "balance.adjustment_approve"} {
		if !slices.Contains(acts, want) {
			t.Errorf("History tab: actions %v, want %s", acts, want)
		}
	}
	if txt := b.text(`[data-testid="history-fragment"]`); !strings.Contains(txt, "Wire 4411 from Bluebird") || !strings.Contains(txt, "Quarterly prepayment BB-2291") {
		t.Errorf("History tab lacks the reasons: %q", txt)
	}
	b.screenshot("history")

	// 7. The desk, also on a phone.
	b.open("/lumi", `[data-testid="balance-row"]`)
	if txt := b.text(`[data-testid="verify-status"]`); !strings.Contains(txt, "All 1 balances match their ledgers") {
		t.Errorf("verify status %q", txt)
	}
	b.screenshot("desk")
	b.viewport(390, 844, true)
	b.open("/lumi", `[data-testid="balance-row"]`)
	b.screenshot("desk-phone")
	b.open(deskPath, `[data-testid="ledger-row"]`)
	b.screenshot("account-phone")
	b.viewport(1280, 900, false)

	// 8. Support sees the balance but cannot move money.
	signOut(b)
	_, _ = b.Env.CreateStaff("support@e2e.test", "support")
	b.signIn("support@e2e.test", servertest.Password, "")
	b.open(deskPath, `[data-testid="account-balance"]`)
	for _, sel := range []string{`[data-testid="action-topup"]`, `[data-testid="action-adjust"]`, `[data-testid="action-deposit"]`} {
		if b.exists(sel) {
			t.Errorf("support sees %s", sel)
		}
	}
}

// signOut uses the user menu.
func signOut(b *B) {
	b.t.Helper()
	b.open("/", `#sidebar`)
	b.click(`details[data-menu] > summary`)
	b.click(`form[action="/logout"] button[type=submit]`)
	b.waitVisible(`[data-testid="login-form"]`)
}
