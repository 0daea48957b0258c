package billing_test

import (
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

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

// The ledger lists newest first by (created_at, id): paging in small pages
// through runs of entries that share an instant returns every entry once,
// in that order, whichever order their ids came in; a time range returns
// exactly the entries inside it, paged the same way; a cursor of the
// id-only form the list used before is refused as any malformed one is.
func TestLedgerPagesByTimeThroughEqualInstants(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	a, b := f.account("Instants A"), f.account("Instants B")
	base := time.Now().Add(-72 * time.Hour).Truncate(time.Second)
	// Five instants, loaded out of time order, each shared by several
	// entries of both accounts.
	var entries []billing.BulkEntry
	for i := range 40 {
		at := base.Add(time.Duration([]int{3, 0, 4, 1, 2}[i%5]) * time.Hour)
		entries = append(entries, billing.BulkEntry{AccountID: []int64{a, b}[i%3%2], Kind: billing.KindDeposit, Amount: money.Cents(100 + i), CreatedAt: at})
	}
	if _, err := f.svc.BulkLoadLedger(ctx, cli, entries); err != nil {
		t.Fatal(err)
	}
	page := func(filter billing.LedgerFilter) []billing.LedgerEntry {
		t.Helper()
		var out []billing.LedgerEntry
		for range 100 {
			p, err := f.svc.Ledger(ctx, filter)
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, p.Items...)
			if p.Next == "" {
				return out
			}
			filter.Cursor = p.Next
		}
		t.Fatal("paging did not end")
		return nil
	}
	// want: the entries of filter straight from the table, in the order.
	want := func(where string, args ...any) []int64 {
		t.Helper()
		rows, err := f.db.Pool.Query(ctx, `SELECT id FROM ledger_entries WHERE `+where+` ORDER BY created_at DESC, id DESC`, args...)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		var ids []int64
		for rows.Next() {
			var id int64
			if err := rows.Scan(&id); err != nil {
				t.Fatal(err)
			}
			ids = append(ids, id)
		}
		return ids
	}
	ids := func(es []billing.LedgerEntry) []int64 {
		out := make([]int64, len(es))
		for i, e := range es {
			out[i] = e.ID
		}
		return out
	}

	all := page(billing.LedgerFilter{Limit: 3})
	if len(all) != 40 {
		t.Fatalf("paged %d entries, want 40", len(all))
	}
	if diff := cmp.Diff(want("true"), ids(all)); diff != "" {
		t.Fatalf("all, paged by 3 (-want +got):\n%s", diff)
	}
	for i := 1; i < len(all); i++ {
		if all[i].CreatedAt.After(all[i-1].CreatedAt) {
			t.Fatalf("entry %d is newer than the one before it: %v after %v", i, all[i].CreatedAt, all[i-1].CreatedAt)
		}
	}
	if diff := cmp.Diff(want("account_id = $1", a), ids(page(billing.LedgerFilter{AccountID: a, Limit: 2}))); diff != "" {
		t.Fatalf("account, paged by 2 (-want +got):\n%s", diff)
	}
	since, until := base.Add(time.Hour), base.Add(3*time.Hour)
	got := page(billing.LedgerFilter{Since: &since, Until: &until, Limit: 4})
	if diff := cmp.Diff(want("created_at >= $1 AND created_at < $2", since, until), ids(got)); diff != "" {
		t.Fatalf("range, paged by 4 (-want +got):\n%s", diff)
	}
	if len(got) != 16 { // the instants base+1h and base+2h, 8 entries each
		t.Fatalf("range: %d entries, want 16", len(got))
	}
	for _, e := range got {
		if e.CreatedAt.Before(since) || !e.CreatedAt.Before(until) {
			t.Fatalf("entry %d at %v outside [%v, %v)", e.ID, e.CreatedAt, since, until)
		}
	}
	n, err := f.svc.CountLedger(ctx, billing.LedgerFilter{Since: &since, Until: &until, Kind: billing.KindDeposit}, 0)
	if err != nil || n.N != 16 {
		t.Fatalf("count of the range = %+v, %v", n, err)
	}
	for _, cursor := range []string{"eyJiIjo1fQ", "eyJpIjo1fQ", "eyJ0IjoxLCJpIjowfQ"} { // {"b":5}, {"i":5}, {"t":1,"i":0}
		if _, err := f.svc.Ledger(ctx, billing.LedgerFilter{Cursor: cursor}); !errors.Is(err, billing.ErrBadCursor) {
			t.Errorf("cursor %s: %v, want ErrBadCursor", cursor, err)
		}
	}
}
