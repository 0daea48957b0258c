package apikeys

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5/pgtype"

	"lumdesk/db/store"
	"lumdesk/internal/platform/money"
)

// Daily spend cap (Lumi money keys). A key with DailySpendCapCents may spend
// at most that much per UTC day; operator keys and keys without a cap are
// exempt. ReserveSpend adds the amount with one conditional UPDATE (… WHERE
// spent + amount <= cap), so concurrent requests on every process can never
// pass the cap together. The API reserves before the debit and releases the
// reservation when the debit did not happen; a crash in between leaves the
// amount counted (the cap errs on the safe side) until the next UTC day.

// SpendReservation is money counted against a key's day; Release undoes it.
type SpendReservation struct {
	KeyID  int64
	Day    time.Time
	Amount money.Cents
	// Exempt: nothing was counted (operator key or no cap).
	Exempt bool
}

// SpendDay is the UTC day t falls in.
func SpendDay(t time.Time) time.Time {
	y, m, d := t.UTC().Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

func pgDay(t time.Time) pgtype.Date { return pgtype.Date{Time: SpendDay(t), Valid: true} }

// ReserveSpend counts amount against the key's cap for today. ok is false
// (nothing counted) when it would pass the cap.
func (s *Service) ReserveSpend(ctx context.Context, k Key, amount money.Cents) (SpendReservation, bool, error) {
	return s.ReserveSpendTx(ctx, s.db.Queries, k, amount)
}

// ReserveSpendTx is ReserveSpend through q (e.g. inside the debit's transaction).
func (s *Service) ReserveSpendTx(ctx context.Context, q *store.Queries, k Key, amount money.Cents) (SpendReservation, bool, error) {
	r := SpendReservation{KeyID: k.ID, Day: SpendDay(s.now()), Amount: amount}
	if k.DailySpendCapCents == nil && s.defaultCap > 0 {
		def := int64(s.defaultCap) // the deployment's default cap
		k.DailySpendCapCents = &def
	}
	if k.Operator || k.DailySpendCapCents == nil || amount <= 0 {
		r.Exempt = true
		return r, true, nil
	}
	if amount > money.Cents(*k.DailySpendCapCents) {
		return r, false, nil
	}
	day := pgDay(r.Day)
	if err := q.EnsureSpend(ctx, store.EnsureSpendParams{KeyID: k.ID, Day: day}); err != nil {
		return r, false, fmt.Errorf("spend cap: %w", err)
	}
	n, err := q.ReserveSpend(ctx, store.ReserveSpendParams{Amount: int64(amount), KeyID: k.ID, Day: day, Cap: *k.DailySpendCapCents})
	if err != nil {
		return r, false, fmt.Errorf("spend cap: %w", err)
	}
	return r, n == 1, nil
}

// ReleaseSpend gives back a reservation whose debit did not happen.
func (s *Service) ReleaseSpend(ctx context.Context, r SpendReservation) error {
	if r.Exempt || r.Amount <= 0 {
		return nil
	}
	if err := s.db.ReleaseSpend(ctx, store.ReleaseSpendParams{Amount: int64(r.Amount), KeyID: r.KeyID, Day: pgDay(r.Day)}); err != nil {
		return fmt.Errorf("release spend: %w", err)
	}
	return nil
}

// SpentToday is what the key has spent (reserved) today, UTC.
func (s *Service) SpentToday(ctx context.Context, keyID int64) (money.Cents, error) {
	n, err := s.db.GetSpend(ctx, store.GetSpendParams{KeyID: keyID, Day: pgDay(s.now())})
	if err != nil {
		if isNoRows(err) {
			return 0, nil
		}
		return 0, fmt.Errorf("spent today: %w", err)
	}
	return money.Cents(n), nil
}
