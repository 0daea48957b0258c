package billing_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"lumdesk/internal/billing"
)

// The finance desk's account page shows the funds forecast: a domain due in
// 20 days (renews at 12.00) and a monthly VPS due in 45 days (5.00 at ~45
// and ~75 days) against the balance; the balances list and the tabs too.
func TestLumiForecastOnAccountPageAndBalances(t *testing.T) {
	t.Parallel()
	f := newLumiFixture(t)
	ctx := context.Background()
	now := time.Now().UTC()
	// The fixture's account: 100 - 10 (shop.com) - 5 (VPS) - 2 (proxy) = 83.00.
	if _, err := f.env.DB.Pool.Exec(ctx, `UPDATE lumi_domains SET auto_renew = true, expires_at = $2 WHERE id = $1`, f.domain.ID, now.AddDate(0, 0, 20)); err != nil {
		t.Fatal(err)
	}
	if _, err := f.env.DB.Pool.Exec(ctx, `UPDATE lumi_vps SET auto_renew = true, expires_at = $2 WHERE id = $1`, f.vps.ID, now.AddDate(0, 0, 45)); err != nil {
		t.Fatal(err)
	}
	c := f.env.As("finance")
	r := c.Get(billPath(f.acc, ""))
	if r.Status != http.StatusOK || !r.Has(`[data-testid="forecast"]`) {
		t.Fatalf("account page: %d, no forecast", r.Status)
	}
	check := func(r interface{ Text(string) string }, days, due, verdict string) {
		t.Helper()
		sel := `[data-testid="forecast-` + days + `"] `
		if got := r.Text(sel + `[data-testid="forecast-due"]`); got != due {
			t.Errorf("%s days due = %q, want %q", days, got, due)
		}
		if got := r.Text(sel + `[data-testid="forecast-verdict"]`); got != verdict {
			t.Errorf("%s days verdict = %q, want %q", days, got, verdict)
		}
	}
	check(r, "30", "$12.00", "Covered")
	check(r, "90", "$22.00", "Covered")
	if n := r.Doc.Find(`[data-testid="forecast-item"]`).Length(); n != 3 {
		t.Errorf("forecast items = %d", n)
	}

	// Down to 14.00: short within 90 days (amber), not within 30.
	if _, err := f.env.Billing.Adjust(ctx, billCLI, billing.ManualInput{AccountID: f.acc, Amount: "-69.00", Reason: "forecast test"}); err != nil {
		t.Fatal(err)
	}
	r = c.Get(billPath(f.acc, ""))
	check(r, "30", "$12.00", "Covered")
	check(r, "90", "$22.00", "Short by $8.00")
	if tone, _ := r.Doc.Find(`[data-testid="forecast-90"]`).Attr("data-tone"); tone != "amber" {
		t.Errorf("90-day tone = %q", tone)
	}

	// The balances list says it per row.
	r = c.Get("/lumi?q=buyer")
	cell := r.Doc.Find(`[data-testid="balance-row"][data-id="` + lid(f.acc) + `"] [data-testid="renewals-30"]`)
	if tone, _ := cell.Attr("data-tone"); tone != "green" || strings.TrimSpace(cell.Text()) != "Covered" {
		t.Errorf("balances column: tone %q text %q", tone, cell.Text())
	}
	// The tab bar reaches the products half.
	for _, href := range []string{"/lumi/domains", "/lumi/vps", "/lumi/proxies", "/lumi/prices"} {
		if !r.Has(`a[href="` + href + `"]`) {
			t.Errorf("desk tabs: no link to %s", href)
		}
	}
	// The account page's Lumi tab loads the products fragment too.
	acct := c.Get("/accounts/" + lid(f.acc) + "?tab=lumi")
	if !acct.Has(`[data-testid="lumi-products-tab"][hx-get="`+billPath(f.acc, "/products")+`"]`) || !acct.Has(`[data-testid="lumi-products-link"]`) {
		t.Error("Lumi tab: no products loader")
	}
	if frag := c.HTMX("GET", billPath(f.acc, "/products"), nil); frag.Status != 200 || !frag.Has(`[data-testid="account-products"]`) {
		t.Errorf("products fragment: %d", frag.Status)
	}
}
