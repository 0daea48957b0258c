package billing

import (
	"context"
	"fmt"
	"slices"
	"time"

	"lumdesk/db/store"
	"lumdesk/internal/audit"
	"lumdesk/internal/platform/money"
)

// BulkEntry is one ledger entry of a bulk load. Bulk loads are for
// `lumdesk seed --scale --ledger` only (synthetic benchmark data): they skip
// the per-entry rules of Deposit, Charge and the adjustments (approval,
// idempotency, causes) and are audited once per call, not per entry. Every
// invariant Verify checks still holds after one: each entry's
// balance_after_cents continues its account's running balance, the balance
// row equals the ledger's sum, no balance goes below zero, and there are no
// refunds (a refund needs the entry it gives back).
type BulkEntry struct {
	AccountID int64
	Amount    money.Cents // > 0 for deposits, < 0 for purchases and renewals
	Kind      string      // deposit, purchase, renewal or adjustment
	Reason    string
	CreatedAt time.Time
}

// BulkLoadLedger appends entries with COPY, in order, continuing each
// account's current balance under its row lock, sets the balances to
// match, and returns how many entries it wrote. An entry that does not fit
// its kind's sign or would take a balance below zero fails the whole load.
func (s *Service) BulkLoadLedger(ctx context.Context, actor audit.Actor, entries []BulkEntry) (int64, error) {
	if actor.Kind == "" {
		actor.Kind = audit.KindSystem
	}
	var ids []int64
	seen := map[int64]bool{}
	for _, e := range entries {
		if !seen[e.AccountID] {
			seen[e.AccountID] = true
			ids = append(ids, e.AccountID)
		}
	}
	slices.Sort(ids)
	var n int64
	err := s.db.Tx(ctx, func(q *store.Queries) error {
		if err := q.EnsureBalances(ctx, ids); err != nil {
			return fmt.Errorf("bulk ledger: balances: %w", err)
		}
		locked, err := q.LockBalances(ctx, ids)
		if err != nil {
			return fmt.Errorf("bulk ledger: lock balances: %w", err)
		}
		bal := make(map[int64]int64, len(locked))
		for _, b := range locked {
			bal[b.AccountID] = b.BalanceCents
		}
		rows := make([]store.CopyLedgerEntriesParams, len(entries))
		for i, e := range entries {
			switch {
			case e.Amount == 0:
				return fmt.Errorf("bulk ledger: entry %d: zero amount", i)
			case e.Kind == KindDeposit && e.Amount < 0,
				(e.Kind == KindPurchase || e.Kind == KindRenewal) && e.Amount > 0:
				return fmt.Errorf("bulk ledger: entry %d: %s of %s has the wrong sign", i, e.Kind, e.Amount)
			case e.Kind != KindDeposit && e.Kind != KindPurchase && e.Kind != KindRenewal && e.Kind != KindAdjustment:
				return fmt.Errorf("bulk ledger: entry %d: kind %q cannot be bulk loaded", i, e.Kind)
			}
			after := bal[e.AccountID] + int64(e.Amount)
			if after < 0 {
				return fmt.Errorf("bulk ledger: entry %d: %w (account %d)", i, ErrInsufficientFunds, e.AccountID)
			}
			bal[e.AccountID] = after
			rows[i] = store.CopyLedgerEntriesParams{AccountID: e.AccountID, AmountCents: int64(e.Amount), Kind: e.Kind,
				ActorKind: actor.Kind, ActorID: actor.ID, ActorLabel: actor.Label, Reason: e.Reason,
				BalanceAfterCents: after, CreatedAt: e.CreatedAt}
		}
		if n, err = q.CopyLedgerEntries(ctx, rows); err != nil {
			return fmt.Errorf("bulk ledger: copy: %w", err)
		}
		cents := make([]int64, len(ids))
		for i, id := range ids {
			cents[i] = bal[id]
		}
		if err := q.SetBalances(ctx, store.SetBalancesParams{At: s.now().UTC(), AccountIds: ids, Cents: cents}); err != nil {
			return fmt.Errorf("bulk ledger: set balances: %w", err)
		}
		return audit.Record(ctx, q, actor, audit.Event{Action: "balance.bulk_load", EntityType: "account",
			After: map[string]any{"entries": n, "accounts": len(ids)}})
	})
	return n, err
}

// VacuumLedger vacuums and analyzes the ledger and the balances after a
// bulk load (see accounts.Service.Vacuum).
func (s *Service) VacuumLedger(ctx context.Context) error { return s.db.VacuumLedger(ctx) }
