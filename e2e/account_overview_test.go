package e2e

import (
	"context"
	"strconv"
	"testing"
	"time"

	"lumdesk/internal/accounts"
	"lumdesk/internal/audit"
	"lumdesk/internal/billing"
	"lumdesk/internal/licensing"
)

// A support user opens an account with Luarmor keys and a Lumi balance: the
// Overview tab shows both products' figures, and the card leads to the tab.
func TestAccountOverviewCards(t *testing.T) {
	b := start(t)
	ctx, cli := context.Background(), audit.CLI("e2e")
	acc, err := b.Env.Accounts.Create(ctx, cli, accounts.CreateInput{Name: "Nightfall Studios", Email: "ops@nightfall.gg"})
	if err != nil {
		t.Fatal(err)
	}
	p, err := b.Env.Licensing.CreateProject(ctx, cli, licensing.ProjectInput{AccountID: acc.ID, Name: "Nightfall Hub", ResetCooldown: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	for _, hwid := range []string{"hwid-a", "hwid-b", ""} {
		if _, err := b.Env.Licensing.CreateKey(ctx, cli, p.ID, licensing.KeyInput{Identifier: hwid}); err != nil {
			t.Fatal(err)
		}
	}
	for _, amt := range []string{"400.00", "400.00", "263.60"} {
		if _, err := b.Env.Billing.ManualTopUp(ctx, cli, billing.ManualInput{AccountID: acc.ID, Amount: amt, Reason: "wire"}); err != nil {
			t.Fatal(err)
		}
	}
	id := strconv.FormatInt(acc.ID, 10)
	b.staff("support")
	b.open("/accounts/"+id, `[data-testid="overview-card-luarmor"]`)
	for sel, want := range map[string]string{
		"figure-luarmor-projects":    "1",
		"figure-luarmor-keys":        "3",
		"figure-luarmor-active":      "2",
		"figure-luarmor-blacklisted": "0",
		"figure-lumi-balance":        "$1,063.60",
		"figure-lumi-vps":            "0",
	} {
		if got := b.text(`[data-testid="` + sel + `"]`); got != want {
			t.Errorf("%s = %q, want %q", sel, got, want)
		}
	}
	b.waitText(`[data-testid="overview-empty-lumira"]`, `No Lumira groups yet`)
	b.screenshot("account-overview")
	// An account without data says what to do instead.
	bare, err := b.Env.Accounts.Create(ctx, cli, accounts.CreateInput{Name: "Quiet Co", Email: "hi@quiet.co"})
	if err != nil {
		t.Fatal(err)
	}
	b.open("/accounts/"+strconv.FormatInt(bare.ID, 10), `[data-testid="overview-empty-luarmor"]`)
	b.waitText(`[data-testid="overview-empty-luarmor"]`, `No Luarmor projects yet`)
	b.waitText(`[data-testid="overview-empty-lumi"]`, `No Lumi balance or purchases yet`)
	b.screenshot("account-overview-empty")
	b.open("/accounts/"+id, `[data-testid="overview-card-luarmor"]`)
	b.click(`[data-testid="overview-card-luarmor"] a.card-header`)
	b.waitPath(`^/accounts/` + id + `\?tab=luarmor$`)
	b.waitVisible(`[data-testid="tab-luarmor"]`)
}
