package e2e

import (
	"context"
	"testing"

	"github.com/chromedp/chromedp"

	"lumdesk/internal/accounts"
	"lumdesk/internal/audit"
	"lumdesk/internal/billing"
)

// Approving a top-up updates the sidebar's Lumi badge and the Approvals
// pill on the same page, without a reload.
func TestApprovalUpdatesBadgesWithoutReload(t *testing.T) {
	b := start(t)
	ctx := context.Background()
	acc, err := b.Env.Accounts.Create(ctx, audit.CLI("e2e"), accounts.CreateInput{Name: "Bluebird Hosting", Email: "billing@bluebird.host"})
	if err != nil {
		t.Fatal(err)
	}
	out, err := b.Env.Billing.ManualTopUp(ctx, audit.CLI("e2e"), billing.ManualInput{AccountID: acc.ID, Amount: "750.00", Reason: "Quarterly prepayment"})
	if err != nil || !out.Pending() {
		t.Fatalf("top-up above the limit: %+v %v", out, err)
	}
	b.staff("finance")
	badge := `[data-nav="lumi"] [data-testid="count-lumi-approvals"]`
	pill := `.tabs [data-testid="count-lumi-approvals"]`
	b.open("/lumi/approvals", `[data-testid="pending-request"]`)
	b.screenshot("before-approval")
	if got, pillGot := b.text(badge), b.text(pill); got != "1" || pillGot != "1" {
		t.Fatalf("sidebar badge %q, Approvals pill %q; want 1 and 1", got, pillGot)
	}
	b.do("mark the page", chromedp.Evaluate[chromedp.Void](`window.__e2eSamePage = true`))
	b.click(`[data-testid="approve-request"]`)
	dialog := `dialog#billing-approve-dialog[open] `
	b.waitVisible(dialog + `textarea[name=reason]`)
	b.fill(dialog, "reason", "Checked the bank statement")
	b.click(dialog + `button[type=submit]`)
	b.waitVisible(`[data-testid="empty-pending"]`)
	b.do("the badges empty themselves", chromedp.WaitReady(chromedp.CSS(`[data-nav="lumi"] [data-testid="count-lumi-approvals"].hidden[data-count="0"]`)))
	b.do("the pill empties itself", chromedp.WaitReady(chromedp.CSS(`.tabs [data-testid="count-lumi-approvals"].hidden[data-count="0"]`)))
	if !eval[bool](b, `window.__e2eSamePage === true`) {
		t.Error("approving reloaded the page; the badges should refresh through htmx")
	}
	b.screenshot("after-approval")
}
