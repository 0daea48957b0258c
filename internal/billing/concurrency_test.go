package billing_test

import (
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"

	"lumdesk/internal/accounts"
	"lumdesk/internal/billing"
	"lumdesk/internal/platform/db"
	"lumdesk/internal/platform/money"
	"lumdesk/internal/platform/testdb"
)

// twoProcesses is two services on two connection pools over one database:
// what two server processes are to each other.
func twoProcesses(t *testing.T) (*fixture, *billing.Service) {
	t.Helper()
	url := testdb.NewURL(t)
	open := func() *db.DB {
		cfg, err := pgxpool.ParseConfig(url)
		if err != nil {
			t.Fatal(err)
		}
		cfg.MaxConns = 8 // the shared server has 100 connections for everyone
		pool, err := pgxpool.NewWithConfig(ctx, cfg)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(pool.Close)
		return db.New(pool)
	}
	d1, d2 := open(), open()
	f := &fixture{t: t, db: d1, svc: billing.NewService(d1, testBox(t), limit), acc: accounts.NewService(d1)}
	return f, billing.NewService(d2, testBox(t), limit)
}

// run starts n goroutines at once, alternating between the two services.
func run(n int, a, b *billing.Service, fn func(i int, s *billing.Service)) {
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		s := a
		if i%2 == 1 {
			s = b
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			fn(i, s)
		}()
	}
	close(start)
	wg.Wait()
}

func TestOneIdempotencyKeyFromTwoHundredGoroutinesMovesMoneyOnce(t *testing.T) {
	t.Parallel()
	f, other := twoProcesses(t)
	id := f.account("Retry Storm")
	f.topUp(id, "100.00")

	var moved, replayed, failed atomic.Int64
	ids := sync.Map{}
	run(200, f.svc, other, func(i int, s *billing.Service) {
		e, err := s.Debit(ctx, api, billing.DebitInput{AccountID: id, Amount: 7_00, Kind: billing.KindPurchase,
			CauseType: "domain", CauseID: "1", IdempotencyKey: "order-storm-1"})
		switch {
		case err != nil:
			failed.Add(1)
			t.Errorf("debit %d: %v", i, err)
		case e.Replayed:
			replayed.Add(1)
		default:
			moved.Add(1)
		}
		ids.Store(e.ID, true)
	})
	if moved.Load() != 1 || replayed.Load() != 199 || failed.Load() != 0 {
		t.Fatalf("moved %d, replayed %d, failed %d; want 1, 199, 0", moved.Load(), replayed.Load(), failed.Load())
	}
	n := 0
	ids.Range(func(any, any) bool { n++; return true })
	if n != 1 {
		t.Fatalf("%d different entries returned", n)
	}
	if got := f.balance(id); got != 93_00 {
		t.Fatalf("balance = %s, want 93.00", got)
	}

	// The same for a credit: 200 refunds of one purchase with one key.
	buy := f.entries(id)[0]
	moved.Store(0)
	run(200, f.svc, other, func(i int, s *billing.Service) {
		e, err := s.Refund(ctx, cli, billing.RefundInput{EntryID: buy.ID, Amount: 3_00, Reason: "storm", IdempotencyKey: "refund-storm-1"})
		if err != nil {
			t.Errorf("refund %d: %v", i, err)
		} else if !e.Replayed {
			moved.Add(1)
		}
	})
	if moved.Load() != 1 {
		t.Fatalf("%d refunds moved money, want 1", moved.Load())
	}
	if got := f.balance(id); got != 96_00 {
		t.Fatalf("balance = %s, want 96.00", got)
	}
	if got := f.auditCount("balance.debit"); got != 1 {
		t.Fatalf("%d debit audit rows", got)
	}
	f.mustVerify()
}

func TestAThousandConcurrentDebitsAgainstAHundredDollars(t *testing.T) {
	t.Parallel()
	f, other := twoProcesses(t)
	id := f.account("Flash Sale")
	f.topUp(id, "100.00")

	var ok, broke atomic.Int64
	run(1000, f.svc, other, func(i int, s *billing.Service) {
		_, err := s.Debit(ctx, api, billing.DebitInput{AccountID: id, Amount: 1_00, Kind: billing.KindPurchase,
			CauseType: "proxy", CauseID: fmt.Sprint(i), IdempotencyKey: fmt.Sprintf("buy-%d", i)})
		switch {
		case err == nil:
			ok.Add(1)
		case errors.Is(err, billing.ErrInsufficientFunds):
			broke.Add(1)
		default:
			t.Errorf("debit %d: %v", i, err)
		}
	})
	if ok.Load() != 100 || broke.Load() != 900 {
		t.Fatalf("%d succeeded, %d refused; want 100, 900", ok.Load(), broke.Load())
	}
	if got := f.balance(id); got != 0 {
		t.Fatalf("balance = %s, want 0.00", got)
	}
	var negative int
	if err := f.db.Pool.QueryRow(ctx, `SELECT count(*) FROM ledger_entries WHERE balance_after_cents < 0`).Scan(&negative); err != nil || negative != 0 {
		t.Fatalf("negative balance_after rows: %d, %v", negative, err)
	}
	v := f.mustVerify()
	if v.Entries != 101 {
		t.Fatalf("entries = %d, want 101", v.Entries)
	}
}

func TestTwentyConcurrentWebhookDeliveriesCreditOnce(t *testing.T) {
	t.Parallel()
	f, other := twoProcesses(t)
	id := f.account("Crypto Whale")
	d, err := f.svc.CreateDeposit(ctx, api, billing.DepositInput{AccountID: id, Amount: "250.00", Provider: billing.ProviderSandboxCrypto})
	if err != nil {
		t.Fatal(err)
	}
	body, sig, err := f.svc.Sandbox().PaymentBody(ctx, d)
	if err != nil {
		t.Fatal(err)
	}
	var credited atomic.Int64
	run(20, f.svc, other, func(i int, s *billing.Service) {
		res, err := s.HandleWebhook(ctx, api, s.Sandbox(), sig, body)
		if err != nil {
			t.Errorf("delivery %d: %v", i, err)
		} else if res.Credited {
			credited.Add(1)
		}
	})
	if credited.Load() != 1 {
		t.Fatalf("%d deliveries credited, want 1", credited.Load())
	}
	if got := f.balance(id); got != money.Cents(250_00) {
		t.Fatalf("balance = %s", got)
	}
	if n := len(f.entries(id)); n != 1 {
		t.Fatalf("%d ledger entries", n)
	}
	f.mustVerify()
}

func TestConcurrentApprovalsApplyARequestOnce(t *testing.T) {
	t.Parallel()
	f, other := twoProcesses(t)
	id := f.account("Wire Co")
	alice, bob, carol := f.financeUser("alice@finance.test"), f.financeUser("bob@finance.test"), f.financeUser("carol@finance.test")
	out, err := f.svc.ManualTopUp(ctx, alice, billing.ManualInput{AccountID: id, Amount: "800", Reason: "wire"})
	if err != nil || !out.Pending() {
		t.Fatalf("%+v, %v", out, err)
	}
	var applied, refused atomic.Int64
	run(40, f.svc, other, func(i int, s *billing.Service) {
		approver := bob
		if i%4 >= 2 {
			approver = carol
		}
		_, _, err := s.Approve(ctx, approver, out.Request.ID, "")
		switch {
		case err == nil:
			applied.Add(1)
		case errors.Is(err, billing.ErrNotPending):
			refused.Add(1)
		default:
			t.Errorf("approve %d: %v", i, err)
		}
	})
	if applied.Load() != 1 || refused.Load() != 39 {
		t.Fatalf("applied %d, refused %d", applied.Load(), refused.Load())
	}
	if got := f.balance(id); got != 800_00 {
		t.Fatalf("balance = %s", got)
	}
	f.mustVerify()
}
