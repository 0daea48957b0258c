package products_test

import (
	"errors"
	"fmt"
	"sync"
	"testing"

	"lumdesk/internal/billing/products"
)

// Many buyers of one name: one registration, one charge; the others are
// refused with nothing charged.
func TestConcurrentPurchasesOfOneName(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	const n = 8
	accs := make([]int64, n)
	for i := range accs {
		accs[i] = f.account(fmt.Sprintf("Racer%d", i), "20.00")
	}
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, errs[i] = f.svc.BuyDomain(ctx, cli, products.BuyDomainInput{AccountID: accs[i], Domain: "race.com", Years: 1})
		}()
	}
	wg.Wait()
	ok := 0
	for _, err := range errs {
		switch {
		case err == nil:
			ok++
		case !errors.Is(err, products.ErrDomainTaken):
			t.Fatalf("unexpected error %v", err)
		}
	}
	if ok != 1 || f.count(`SELECT count(*) FROM lumi_domains`) != 1 ||
		f.count(`SELECT count(*) FROM ledger_entries WHERE kind = 'purchase'`) != 1 {
		t.Fatalf("ok = %d", ok)
	}
}

// One idempotency key sent many times at once: one VPS, one charge.
func TestConcurrentRetriesWithOneKey(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	acc := f.account("Retrier", "100.00")
	const n = 10
	var wg sync.WaitGroup
	ids := make([]int64, n)
	errs := make([]error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			v, err := f.svc.BuyVPS(ctx, cli, products.BuyVPSInput{AccountID: acc, Plan: "small", Months: 1, IdempotencyKey: "retry-key-0001"})
			ids[i], errs[i] = v.ID, err
		}()
	}
	wg.Wait()
	for i := range n {
		if errs[i] != nil || ids[i] != ids[0] {
			t.Fatalf("attempt %d: id %d (want %d), %v", i, ids[i], ids[0], errs[i])
		}
	}
	if f.balance(acc) != 95_00 || f.count(`SELECT count(*) FROM lumi_vps`) != 1 {
		t.Fatalf("balance %s", f.balance(acc))
	}
	// The same key for another plan is refused.
	f.must(f.svc.SetPlanPrice(ctx, cli, products.PlanPrice{Product: "vps", Plan: "big", Monthly: 9_00}))
	if _, err := f.svc.BuyVPS(ctx, cli, products.BuyVPSInput{AccountID: acc, Plan: "big", Months: 1, IdempotencyKey: "retry-key-0001"}); !errors.Is(err, products.ErrIdempotencyMismatch) {
		t.Fatalf("other plan, same key: %v", err)
	}
}
