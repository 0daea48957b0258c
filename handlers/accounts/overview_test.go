package accounts_test

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"lumdesk/handlers/server/servertest"
	"lumdesk/internal/audit"
	"lumdesk/internal/billing"
	"lumdesk/internal/billing/products"
	"lumdesk/internal/licensing"
)

// The Overview tab sums up each product from the account's data, and an
// account without any says what to do instead.
func TestAccountOverviewCards(t *testing.T) {
	t.Parallel()
	env := servertest.New(t)
	ctx := context.Background()
	cli := audit.CLI("test")
	full := acctCreate(t, env, "Nightfall Studios", "ops@nightfall.gg", "")
	bare := acctCreate(t, env, "Quiet Co", "hi@quiet.co", "")

	p, err := env.Licensing.CreateProject(ctx, cli, licensing.ProjectInput{AccountID: full.ID, Name: "Hub", ResetCooldown: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	var keys []licensing.Key
	for _, hwid := range []string{"hwid-1", "", ""} {
		k, err := env.Licensing.CreateKey(ctx, cli, p.ID, licensing.KeyInput{Identifier: hwid})
		if err != nil {
			t.Fatal(err)
		}
		keys = append(keys, k)
	}
	if _, err := env.Licensing.Blacklist(ctx, cli, p.ID, keys[2].UserKey, licensing.BlacklistInput{BanReason: "chargeback"}); err != nil {
		t.Fatal(err)
	}
	// Three top-ups under the approval limit, then a $5.00 VPS: $1,063.60.
	for _, amt := range []string{"500.00", "500.00", "68.60"} {
		if _, err := env.Billing.ManualTopUp(ctx, cli, billing.ManualInput{AccountID: full.ID, Amount: amt, Reason: "seed"}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := env.Products.SetPlanPrice(ctx, cli, products.PlanPrice{Product: "vps", Plan: "s1", Title: "S1", Monthly: 5_00,
		EffectiveFrom: time.Now().Add(-time.Hour)}); err != nil {
		t.Fatal(err)
	}
	vps, err := env.Products.BuyVPS(ctx, cli, products.BuyVPSInput{AccountID: full.ID, Plan: "s1", Months: 1, Hostname: "web1"})
	if err != nil {
		t.Fatal(err)
	}

	support := env.As("support")
	r := support.Get(acctPath(full.ID, ""))
	if r.Status != 200 {
		t.Fatalf("overview: %d", r.Status)
	}
	for sel, want := range map[string]string{
		"figure-luarmor-projects":    "1",
		"figure-luarmor-keys":        "3",
		"figure-luarmor-active":      "1",
		"figure-luarmor-blacklisted": "1",
		"figure-lumi-balance":        "$1,063.60",
		"figure-lumi-domains":        "0",
		"figure-lumi-vps":            "1",
		"figure-lumi-proxies":        "0",
	} {
		if got := r.Text(`[data-testid="` + sel + `"]`); got != want {
			t.Errorf("%s = %q, want %q", sel, got, want)
		}
	}
	lumi := r.Text(`[data-testid="overview-card-lumi"]`)
	if vps.ExpiresAt == nil || !strings.Contains(lumi, vps.ExpiresAt.UTC().Format("Jan 2, 2006")+" · web1") {
		t.Errorf("next renewal missing from the Lumi card: %q", lumi)
	}
	if !strings.Contains(r.Text(`[data-testid="overview-card-luarmor"]`), "Last key activity") {
		t.Error("no last key activity")
	}
	// Every product is live: no card is the quiet not-live one, and Lumira's
	// is its own (this account has no group yet).
	if strings.Contains(r.Body, "not live yet") {
		t.Error("a card says its product is not live yet")
	}
	if got := r.Text(`[data-testid="overview-empty-lumira"]`); !strings.Contains(got, "No Lumira groups yet") {
		t.Errorf("empty Lumira card: %q", got)
	}

	r = support.Get(acctPath(bare.ID, ""))
	if got := r.Text(`[data-testid="overview-empty-luarmor"]`); !strings.Contains(got, "No Luarmor projects yet") {
		t.Errorf("empty Luarmor card: %q", got)
	}
	if !r.Has(`a[data-testid="overview-action-luarmor"][href="/luarmor/projects/new?account=` + lid(bare.ID) + `"]`) {
		t.Error("empty Luarmor card has no Create project action")
	}
	if got := r.Text(`[data-testid="overview-empty-lumi"]`); !strings.Contains(got, "No Lumi balance or purchases yet") {
		t.Errorf("empty Lumi card: %q", got)
	}
	if got := r.Text(`[data-testid="overview-empty-lumio"]`); !strings.Contains(got, "No Lumio extensions yet") {
		t.Errorf("empty Lumio card: %q", got)
	}
	if got := r.Text(`[data-testid="overview-empty-lumora"]`); !strings.Contains(got, "No sending domains yet") {
		t.Errorf("empty Lumora card: %q", got)
	}
	if r.Has(`[data-testid="figure-lumi-balance"]`) || r.Has(`[data-testid="figure-luarmor-keys"]`) {
		t.Error("an account without data shows figures")
	}
	// A project without keys asks for keys; the viewer gets no action.
	if _, err := env.Licensing.CreateProject(ctx, cli, licensing.ProjectInput{AccountID: bare.ID, Name: "Empty"}); err != nil {
		t.Fatal(err)
	}
	r = support.Get(acctPath(bare.ID, ""))
	if got := r.Text(`[data-testid="overview-empty-luarmor"]`); !strings.Contains(got, "No license keys yet") || r.Text(`[data-testid="overview-action-luarmor"]`) != "Generate keys" {
		t.Errorf("project without keys: %q", got)
	}
	r = env.As("viewer").Get(acctPath(bare.ID, ""))
	if r.Has(`[data-testid="overview-action-luarmor"]`) || r.Has(`[data-testid="overview-action-lumi"]`) {
		t.Error("viewer is offered actions it cannot take")
	}
}

func lid(id int64) string { return strconv.FormatInt(id, 10) }
