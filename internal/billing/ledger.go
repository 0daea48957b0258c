package billing

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/jackc/pgx/v5/pgconn"

	"lumdesk/db/store"
	"lumdesk/internal/audit"
	"lumdesk/internal/platform/db"
	"lumdesk/internal/platform/money"
)

// move is one balance change.
type move struct {
	accountID int64
	amount    money.Cents // signed
	kind      string
	causeType string
	causeID   string
	refundOf  *int64
	idemKey   string
	reason    string
	action    string         // audit action
	extra     map[string]any // more audit detail
	// check runs under the balance lock, before anything is written.
	check func(q *store.Queries, balance money.Cents) error
}

// apply makes one ledger entry and the matching balance change through q,
// which must be a transaction that already holds the audit-chain lock.
func (s *Service) apply(ctx context.Context, q *store.Queries, actor audit.Actor, m move) (LedgerEntry, error) {
	if err := accountExists(ctx, q, m.accountID); err != nil {
		return LedgerEntry{}, err
	}
	if err := q.EnsureBalance(ctx, m.accountID); err != nil {
		return LedgerEntry{}, fmt.Errorf("create balance: %w", err)
	}
	bal, err := q.LockBalance(ctx, m.accountID)
	if err != nil {
		return LedgerEntry{}, fmt.Errorf("lock balance: %w", err)
	}
	// Under the lock every earlier move of this account has committed, so a
	// retry finds the first entry here rather than moving money again.
	if m.idemKey != "" {
		prev, err := q.GetLedgerEntryByIdempotencyKey(ctx, store.GetLedgerEntryByIdempotencyKeyParams{
			AccountID: m.accountID, Kind: m.kind, IdempotencyKey: m.idemKey})
		switch {
		case err == nil:
			e := entryOf(prev)
			if e.Amount != m.amount || e.CauseType != m.causeType || e.CauseID != m.causeID ||
				(m.refundOf != nil && e.RefundOfID != *m.refundOf) {
				return LedgerEntry{}, ErrIdempotencyMismatch
			}
			e.Replayed = true
			return e, nil
		case !db.IsNotFound(err):
			return LedgerEntry{}, fmt.Errorf("look up idempotency key: %w", err)
		}
	}
	before := money.Cents(bal.BalanceCents)
	if m.check != nil {
		if err := m.check(q, before); err != nil {
			return LedgerEntry{}, err
		}
	}
	if m.amount > 0 && int64(before) > math.MaxInt64-int64(m.amount) {
		return LedgerEntry{}, ErrBalanceTooLarge
	}
	after := before + m.amount
	if after < 0 {
		return LedgerEntry{}, ErrInsufficientFunds
	}
	var key *string
	if m.idemKey != "" {
		key = &m.idemKey
	}
	now := s.now().UTC().Truncate(time.Microsecond)
	row, err := q.InsertLedgerEntry(ctx, store.InsertLedgerEntryParams{
		AccountID: m.accountID, AmountCents: int64(m.amount), Kind: m.kind, CauseType: m.causeType, CauseID: m.causeID,
		RefundOfID: m.refundOf, IdempotencyKey: key, ActorKind: actorKind(actor), ActorID: actor.ID, ActorLabel: actor.Label,
		Reason: m.reason, BalanceAfterCents: int64(after), CreatedAt: now})
	if err != nil {
		return LedgerEntry{}, fmt.Errorf("insert ledger entry: %w", mapConstraint(err))
	}
	nb, err := q.AddToBalance(ctx, store.AddToBalanceParams{AccountID: m.accountID, Delta: int64(m.amount), At: now})
	if err != nil {
		return LedgerEntry{}, fmt.Errorf("update balance: %w", mapConstraint(err))
	}
	if nb.BalanceCents != int64(after) {
		// Impossible while the row is locked; refuse rather than commit a broken chain.
		return LedgerEntry{}, fmt.Errorf("balance of account %d moved under its lock (%d, want %d)", m.accountID, nb.BalanceCents, after)
	}
	e := entryOf(row)
	detail := map[string]any{"balance": after.String(), "entry_id": e.ID, "amount": m.amount.String(), "kind": m.kind}
	if m.causeType != "" {
		detail["cause"] = m.causeType + "/" + m.causeID
	}
	if m.idemKey != "" {
		detail["idempotency_key"] = m.idemKey
	}
	for k, v := range m.extra {
		detail[k] = v
	}
	if err := audit.Record(ctx, q, actor, audit.Event{Action: m.action, EntityType: "account", EntityID: idStr(m.accountID),
		Reason: m.reason, Before: map[string]any{"balance": before.String()}, After: detail}); err != nil {
		return LedgerEntry{}, err
	}
	return e, nil
}

// mapConstraint turns the database's last line of defence into domain errors.
func mapConstraint(err error) error {
	var pg *pgconn.PgError
	if errors.As(err, &pg) {
		switch {
		case pg.Code == "23514" && (pg.ConstraintName == "balances_balance_cents_check" || pg.ConstraintName == "ledger_entries_balance_after_cents_check"):
			return ErrInsufficientFunds
		case pg.Code == "23505" && pg.ConstraintName == "ledger_entries_idempotency":
			return ErrIdempotencyMismatch
		}
	}
	return err
}

// DebitInput takes money from an account for something sold.
type DebitInput struct {
	AccountID int64
	Amount    money.Cents // > 0: how much to take
	Kind      string      // KindPurchase or KindRenewal
	// What was bought: ("domain", "77"), ("vps", "12") ...; shown in the ledger
	// and used to find the entry again (refunds copy it).
	CauseType, CauseID string
	// IdempotencyKey (optional, at most 200 characters): a second debit with
	// the same account, kind and key returns the first entry (Replayed) and
	// moves nothing; with another amount or cause it fails with
	// ErrIdempotencyMismatch.
	IdempotencyKey string
	Reason         string // optional note
}

func (in DebitInput) validate() error {
	verr := ValidationError{}
	if in.Amount <= 0 || in.Amount > MaxAmount {
		verr["amount"] = "The amount must be positive and at most " + MaxAmount.String() + "."
	}
	if in.Kind != KindPurchase && in.Kind != KindRenewal {
		verr["kind"] = "A debit is a purchase or a renewal."
	}
	if err := checkToken("cause", in.CauseType+in.CauseID, MaxCause); err != nil {
		verr["cause"] = "The cause is at most 100 printable characters."
	}
	if err := checkToken("idempotency_key", in.IdempotencyKey, MaxIdempotencyKey); err != nil {
		verr["idempotency_key"] = "An idempotency key is at most 200 printable characters."
	}
	if _, err := CheckReason(in.Reason, false); err != nil {
		verr["reason"] = err.(ValidationError)["reason"]
	}
	if len(verr) > 0 {
		return verr
	}
	return nil
}

// Debit takes money for a purchase or renewal in its own transaction.
// It returns ErrInsufficientFunds (nothing moved) when the balance does not
// cover it; the balance never goes negative.
func (s *Service) Debit(ctx context.Context, actor audit.Actor, in DebitInput) (LedgerEntry, error) {
	var e LedgerEntry
	err := s.tx(ctx, func(q *store.Queries) error {
		var err error
		e, err = s.DebitTx(ctx, q, actor, in)
		return err
	})
	return e, err
}

// DebitTx is Debit inside the caller's transaction q, so that what was sold,
// its debit and both audit rows commit (or roll back) together. Lock your own
// rows before calling it (see the package comment). On any error the caller
// must roll back.
func (s *Service) DebitTx(ctx context.Context, q *store.Queries, actor audit.Actor, in DebitInput) (LedgerEntry, error) {
	if err := in.validate(); err != nil {
		return LedgerEntry{}, err
	}
	reason, _ := CheckReason(in.Reason, false)
	if err := q.LockAuditChain(ctx); err != nil {
		return LedgerEntry{}, fmt.Errorf("lock: %w", err)
	}
	e, err := s.apply(ctx, q, actor, move{accountID: in.AccountID, amount: -in.Amount, kind: in.Kind,
		causeType: in.CauseType, causeID: in.CauseID, idemKey: in.IdempotencyKey, reason: reason, action: "balance.debit"})
	if err != nil {
		return e, err
	}
	if err := runCommitHook(ctx, q); err != nil {
		return LedgerEntry{}, err
	}
	return e, nil
}

// RefundInput gives back (part of) a purchase or renewal.
type RefundInput struct {
	EntryID        int64       // the purchase or renewal
	Amount         money.Cents // 0: everything not yet refunded
	Reason         string      // required
	IdempotencyKey string      // optional, as for DebitInput
}

// Refund credits back a purchase or renewal, at most what is left of it
// after earlier refunds; the refund names the entry and copies its cause.
func (s *Service) Refund(ctx context.Context, actor audit.Actor, in RefundInput) (LedgerEntry, error) {
	var e LedgerEntry
	err := s.tx(ctx, func(q *store.Queries) error {
		var err error
		e, err = s.RefundTx(ctx, q, actor, in)
		return err
	})
	return e, err
}

// RefundTx is Refund inside the caller's transaction (e.g. a failed
// provisioning that gives the money back).
func (s *Service) RefundTx(ctx context.Context, q *store.Queries, actor audit.Actor, in RefundInput) (LedgerEntry, error) {
	reason, err := CheckReason(in.Reason, true)
	if err != nil {
		return LedgerEntry{}, err
	}
	if in.Amount < 0 || in.Amount > MaxAmount {
		return LedgerEntry{}, ValidationError{"amount": "The amount must be positive and at most " + MaxAmount.String() + "."}
	}
	if err := checkToken("idempotency_key", in.IdempotencyKey, MaxIdempotencyKey); err != nil {
		return LedgerEntry{}, err
	}
	if err := q.LockAuditChain(ctx); err != nil {
		return LedgerEntry{}, fmt.Errorf("lock: %w", err)
	}
	orig, err := q.GetLedgerEntry(ctx, in.EntryID)
	if db.IsNotFound(err) {
		return LedgerEntry{}, notFound("ledger entry", in.EntryID)
	}
	if err != nil {
		return LedgerEntry{}, fmt.Errorf("get ledger entry %d: %w", in.EntryID, err)
	}
	if !slices.Contains([]string{KindPurchase, KindRenewal}, orig.Kind) {
		return LedgerEntry{}, ErrNotRefundable
	}
	amount := in.Amount
	m := move{accountID: orig.AccountID, kind: KindRefund, causeType: orig.CauseType, causeID: orig.CauseID,
		refundOf: &orig.ID, idemKey: in.IdempotencyKey, reason: reason, action: "balance.refund",
		extra: map[string]any{"refund_of": orig.ID}}
	// What is left to refund is read under the balance lock: every refund of
	// this entry credits this account, so they serialise there.
	var left money.Cents
	m.check = func(q *store.Queries, _ money.Cents) error {
		done, err := q.SumRefundsOf(ctx, &orig.ID)
		if err != nil {
			return fmt.Errorf("sum refunds: %w", err)
		}
		left = money.Cents(-orig.AmountCents - done)
		if left <= 0 || amount > left {
			return ErrRefundTooLarge
		}
		return nil
	}
	if amount == 0 {
		// "Everything left": a retry of an earlier full refund must find that
		// refund, not fail because nothing is left now.
		if in.IdempotencyKey != "" {
			prev, err := q.GetLedgerEntryByIdempotencyKey(ctx, store.GetLedgerEntryByIdempotencyKeyParams{
				AccountID: orig.AccountID, Kind: KindRefund, IdempotencyKey: in.IdempotencyKey})
			if err == nil {
				if prev.RefundOfID == nil || *prev.RefundOfID != orig.ID {
					return LedgerEntry{}, ErrIdempotencyMismatch
				}
				e := entryOf(prev)
				e.Replayed = true
				return e, nil
			}
			if !db.IsNotFound(err) {
				return LedgerEntry{}, fmt.Errorf("look up idempotency key: %w", err)
			}
		}
		done, err := q.SumRefundsOf(ctx, &orig.ID)
		if err != nil {
			return LedgerEntry{}, fmt.Errorf("sum refunds: %w", err)
		}
		amount = money.Cents(-orig.AmountCents - done)
		if amount <= 0 {
			return LedgerEntry{}, ErrRefundTooLarge
		}
	}
	m.amount = amount
	return s.apply(ctx, q, actor, m)
}
