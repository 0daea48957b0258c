package billing_test

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"lumdesk/internal/audit"
	"lumdesk/internal/billing"
	"lumdesk/internal/platform/money"
)

// A seeded random walk of 500 operations (deposits paid by webhook or by
// hand, top-ups and adjustments below and above the approval limit with
// approvals and rejections, purchases and renewals, refunds, replays of
// idempotency keys) over 5 accounts. After every step each balance equals
// a model of what should have happened and the sum of its ledger, and
// Verify finds nothing.
func TestRandomMoneyWalksKeepEveryBalanceEqualToItsLedger(t *testing.T) {
	t.Parallel()
	seeds := []uint64{1, uint64(time.Now().UnixNano())}
	if testing.Short() {
		seeds = seeds[:1]
	}
	for _, seed := range seeds {
		t.Run(fmt.Sprint(seed), func(t *testing.T) { randomWalk(t, seed, 500) })
	}
}

func randomWalk(t *testing.T, seed uint64, steps int) {
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	f := newFixture(t)
	alice, bob := f.financeUser("alice@finance.test"), f.financeUser("bob@finance.test")
	users := []audit.Actor{alice, bob}
	accts := make([]int64, 5)
	model := map[int64]money.Cents{}
	for i := range accts {
		accts[i] = f.account(fmt.Sprintf("Walker %d", i))
	}
	type buy struct {
		id       int64
		account  int64
		left     money.Cents
		refunded money.Cents
	}
	var buys []*buy
	var pendingDeposits []billing.Deposit
	type req struct {
		id      int64
		account int64
		amount  money.Cents
		by      audit.Actor
	}
	var pending []req
	var keys []billing.DebitInput // debits made with a key, for replays
	ops := map[string]int{}
	amount := func(max int64) money.Cents { return money.Cents(1 + rng.Int64N(max)) }

	for step := range steps {
		acc := accts[rng.IntN(len(accts))]
		who := users[rng.IntN(2)]
		var op string
		switch k := rng.IntN(100); {
		case k < 15:
			op = "deposit"
			d, err := f.svc.CreateDeposit(ctx, api, billing.DepositInput{AccountID: acc, Amount: amount(300_00).String(), Provider: billing.ProviderSandboxCrypto})
			if err != nil {
				t.Fatalf("step %d %s: %v", step, op, err)
			}
			pendingDeposits = append(pendingDeposits, d)
		case k < 25 && len(pendingDeposits) > 0:
			op = "pay deposit"
			i := rng.IntN(len(pendingDeposits))
			d := pendingDeposits[i]
			var err error
			credited := false
			if rng.IntN(2) == 0 {
				body, sig, perr := f.svc.Sandbox().PaymentBody(ctx, d)
				if perr != nil {
					t.Fatal(perr)
				}
				var res billing.WebhookResult
				res, err = f.svc.HandleWebhook(ctx, audit.Actor{}, f.svc.Sandbox(), sig, body)
				credited = res.Credited
			} else {
				_, err = f.svc.MarkDepositPaid(ctx, who, d.ID, "seen")
				credited = err == nil
			}
			if err != nil && !errors.Is(err, billing.ErrDepositNotPending) {
				t.Fatalf("step %d %s: %v", step, op, err)
			}
			if credited {
				model[d.AccountID] += d.Amount
			}
			if rng.IntN(3) > 0 { // sometimes pay it again later
				pendingDeposits = append(pendingDeposits[:i], pendingDeposits[i+1:]...)
			}
		case k < 35:
			op = "top-up"
			a := amount(700_00) // about a third above the limit
			out, err := f.svc.ManualTopUp(ctx, who, billing.ManualInput{AccountID: acc, Amount: a.String(), Reason: "walk"})
			if err != nil {
				t.Fatalf("step %d %s: %v", step, op, err)
			}
			if out.Pending() {
				pending = append(pending, req{out.Request.ID, acc, a, who})
			} else {
				model[acc] += a
			}
		case k < 45:
			op = "adjust"
			a := amount(700_00)
			if rng.IntN(2) == 0 {
				a = -a
			}
			out, err := f.svc.Adjust(ctx, who, billing.ManualInput{AccountID: acc, Amount: a.String(), Reason: "walk"})
			switch {
			case errors.Is(err, billing.ErrInsufficientFunds):
				if model[acc]+a >= 0 {
					t.Fatalf("step %d: adjust %s of %s refused", step, a, model[acc])
				}
			case err != nil:
				t.Fatalf("step %d %s: %v", step, op, err)
			case out.Pending():
				pending = append(pending, req{out.Request.ID, acc, a, who})
			default:
				model[acc] += a
			}
		case k < 55 && len(pending) > 0:
			op = "decide"
			i := rng.IntN(len(pending))
			r := pending[i]
			decider := alice
			if r.by == alice {
				decider = bob
			}
			if rng.IntN(4) == 0 {
				if _, _, err := f.svc.Approve(ctx, r.by, r.id, ""); !errors.Is(err, billing.ErrSameApprover) {
					t.Fatalf("step %d: self-approval: %v", step, err)
				}
			}
			if rng.IntN(3) == 0 {
				if _, err := f.svc.Reject(ctx, decider, r.id, "no"); err != nil {
					t.Fatalf("step %d reject: %v", step, err)
				}
			} else {
				_, _, err := f.svc.Approve(ctx, decider, r.id, "")
				switch {
				case errors.Is(err, billing.ErrInsufficientFunds):
					if model[r.account]+r.amount >= 0 {
						t.Fatalf("step %d: approval of %s on %s refused", step, r.amount, model[r.account])
					}
					continue // stays pending
				case err != nil:
					t.Fatalf("step %d approve: %v", step, err)
				}
				model[r.account] += r.amount
				if _, _, err := f.svc.Approve(ctx, decider, r.id, ""); !errors.Is(err, billing.ErrNotPending) {
					t.Fatalf("step %d: second approval: %v", step, err)
				}
			}
			pending = append(pending[:i], pending[i+1:]...)
		case k < 80:
			op = "debit"
			kind := billing.KindPurchase
			if rng.IntN(3) == 0 {
				kind = billing.KindRenewal
			}
			in := billing.DebitInput{AccountID: acc, Amount: amount(120_00), Kind: kind, CauseType: "domain", CauseID: fmt.Sprint(step)}
			if rng.IntN(2) == 0 {
				in.IdempotencyKey = fmt.Sprintf("walk-%d", step)
			}
			if len(keys) > 0 && rng.IntN(5) == 0 {
				in = keys[rng.IntN(len(keys))] // a retry
			}
			e, err := f.svc.Debit(ctx, api, in)
			switch {
			case errors.Is(err, billing.ErrInsufficientFunds):
				if model[in.AccountID] >= in.Amount {
					t.Fatalf("step %d: debit %s of %s refused", step, in.Amount, model[in.AccountID])
				}
			case err != nil:
				t.Fatalf("step %d %s: %v", step, op, err)
			case e.Replayed:
				if in.IdempotencyKey == "" {
					t.Fatalf("step %d: replay without a key", step)
				}
			default:
				model[in.AccountID] -= in.Amount
				buys = append(buys, &buy{id: e.ID, account: in.AccountID, left: in.Amount})
				if in.IdempotencyKey != "" {
					keys = append(keys, in)
				}
			}
		case len(buys) > 0:
			op = "refund"
			b := buys[rng.IntN(len(buys))]
			a := amount(int64(b.left) + 500) // sometimes too much
			if rng.IntN(4) == 0 {
				a = 0 // the rest
			}
			e, err := f.svc.Refund(ctx, who, billing.RefundInput{EntryID: b.id, Amount: a, Reason: "walk"})
			switch {
			case errors.Is(err, billing.ErrRefundTooLarge):
				if a != 0 && a <= b.left || a == 0 && b.left > 0 {
					t.Fatalf("step %d: refund %s of %s left refused", step, a, b.left)
				}
			case err != nil:
				t.Fatalf("step %d %s: %v", step, op, err)
			default:
				if a == 0 && e.Amount != b.left || a != 0 && e.Amount != a {
					t.Fatalf("step %d: refunded %s, asked %s, %s left", step, e.Amount, a, b.left)
				}
				b.left -= e.Amount
				model[b.account] += e.Amount
			}
		default:
			continue
		}
		ops[op]++
		checkModel(t, f, step, op, model, accts)
	}
	t.Logf("operations: %v", ops)
}

func checkModel(t *testing.T, f *fixture, step int, op string, model map[int64]money.Cents, accts []int64) {
	t.Helper()
	v, err := f.svc.Verify(ctx)
	if err != nil || !v.OK() {
		t.Fatalf("step %d (%s): verify: %+v, %v", step, op, v.Problems, err)
	}
	for _, a := range accts {
		var sum int64
		if err := f.db.Pool.QueryRow(ctx, `SELECT coalesce(sum(amount_cents), 0)::bigint FROM ledger_entries WHERE account_id = $1`, a).Scan(&sum); err != nil {
			t.Fatal(err)
		}
		if got := f.balance(a); got != model[a] || got != money.Cents(sum) || got < 0 {
			t.Fatalf("step %d (%s): account %d balance %s, ledger %s, model %s", step, op, a, got, money.Cents(sum), model[a])
		}
	}
}
