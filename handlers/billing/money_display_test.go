package billing_test

import (
	"context"
	"strconv"
	"strings"
	"testing"

	"lumdesk/handlers/server/servertest"
	"lumdesk/internal/billing"
)

// The finance desk shows money as people read it ("$1,063.60"), right-aligned
// in its column, while the ledger CSV keeps the plain decimal machines parse.
func TestDeskShowsMoneyWithCurrencyAndSeparators(t *testing.T) {
	t.Parallel()
	env := servertest.New(t)
	ctx := context.Background()
	acc := billAccount(t, env, "Copperline Labs", "ops@copperline.dev")
	// Three top-ups within the approval limit of 500.00, so each moves at once.
	for _, amt := range []string{"500", "500", "63.60"} {
		if _, err := env.Billing.ManualTopUp(ctx, billCLI, billing.ManualInput{AccountID: acc.ID, Amount: amt, Reason: "wire"}); err != nil {
			t.Fatal(err)
		}
	}
	fin := env.As("finance")
	desk := fin.Get("/lumi")
	if got := desk.Text(`[data-testid="balance-row"] [data-testid="balance"]`); got != "$1,063.60" {
		t.Fatalf("desk balance %q, want $1,063.60", got)
	}
	if !desk.Has(`th.cell-num a[href*="sort=balance"]`) || !desk.Doc.Find(`[data-testid="balance"]`).Closest("td").HasClass("cell-num") {
		t.Error("the balance column is not right-aligned (th/td.cell-num)")
	}
	// Its last movement is a <time>: relative text, exact UTC on hover.
	if tm := desk.Doc.Find(`[data-testid="balance-row"] time`); tm.Text() != "just now" || !strings.HasSuffix(tm.AttrOr("title", ""), " UTC") || tm.AttrOr("datetime", "") == "" {
		t.Errorf("desk last movement: %q title %q", tm.Text(), tm.AttrOr("title", ""))
	}
	if got := fin.Get(billPath(acc.ID, "")).Text(`[data-testid="account-balance"]`); got != "$1,063.60" {
		t.Errorf("account page balance %q", got)
	}
	csv := fin.Get("/lumi/ledger/export.csv?account=" + strconv.FormatInt(acc.ID, 10))
	if csv.Status != 200 || !strings.Contains(csv.Body, ",63.60,1063.60,") {
		t.Errorf("ledger CSV should keep plain decimals: %d %q", csv.Status, csv.Body)
	}
}
