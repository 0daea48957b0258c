package billing_test

import (
	"errors"
	"testing"
	"time"

	"lumdesk/internal/billing"
	"lumdesk/internal/platform/money"
)

// A bulk load continues each account's balance (an account with money
// before it included), leaves every invariant Verify checks intact, is
// audited once, and an entry that would overdraw or has the wrong sign
// fails the whole load, moving nothing.
func TestBulkLoadLedgerKeepsBalances(t *testing.T) {
	f := newFixture(t)
	a, b, c := f.account("Bulk A"), f.account("Bulk B"), f.account("Bulk C")
	f.topUp(a, "10.00")
	at := time.Now().Add(-48 * time.Hour)
	var entries []billing.BulkEntry
	want := map[int64]money.Cents{a: 10_00}
	for i := range 3000 {
		id := []int64{a, b, c}[i%3]
		e := billing.BulkEntry{AccountID: id, Kind: billing.KindDeposit, Amount: 5_00, CreatedAt: at.Add(time.Duration(i) * time.Second)}
		if i%2 == 1 && want[id] >= 3_00 {
			e.Kind, e.Amount = []string{billing.KindPurchase, billing.KindRenewal, billing.KindAdjustment}[i%5%3], -3_00
		}
		want[id] += e.Amount
		entries = append(entries, e)
	}
	n, err := f.svc.BulkLoadLedger(ctx, cli, entries)
	if err != nil || n != 3000 {
		t.Fatalf("bulk load = %d, %v", n, err)
	}
	for id, w := range want {
		if got := f.balance(id); got != w {
			t.Errorf("balance of %d = %s, want %s", id, got, w)
		}
	}
	v := f.mustVerify()
	if v.Entries != 3001 {
		t.Errorf("verified %d entries, want 3001", v.Entries)
	}
	if got := f.auditCount("balance.bulk_load"); got != 1 {
		t.Errorf("%d balance.bulk_load events, want 1", got)
	}

	for name, bad := range map[string]billing.BulkEntry{
		"overdraw":   {AccountID: b, Kind: billing.KindPurchase, Amount: -(want[b] + 1), CreatedAt: at},
		"wrong sign": {AccountID: b, Kind: billing.KindDeposit, Amount: -1, CreatedAt: at},
		"refund":     {AccountID: b, Kind: billing.KindRefund, Amount: 1, CreatedAt: at},
	} {
		ok := billing.BulkEntry{AccountID: c, Kind: billing.KindDeposit, Amount: 1_00, CreatedAt: at}
		_, err := f.svc.BulkLoadLedger(ctx, cli, []billing.BulkEntry{ok, bad})
		if err == nil {
			t.Errorf("%s: loaded", name)
		}
		if name == "overdraw" && !errors.Is(err, billing.ErrInsufficientFunds) {
			t.Errorf("overdraw: %v, want ErrInsufficientFunds", err)
		}
	}
	if got := f.balance(c); got != want[c] {
		t.Errorf("balance of c after refused loads = %s, want %s", got, want[c])
	}
	f.mustVerify()
}
