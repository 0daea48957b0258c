package billing

import (
	"context"
	"fmt"
	"time"

	"lumdesk/internal/platform/money"
	"lumdesk/internal/platform/refresh"
)

// Problem is one account whose balance its ledger does not explain.
type Problem struct {
	AccountID     int64       `json:"account_id"`
	Balance       money.Cents `json:"balance"`
	Ledger        money.Cents `json:"ledger_sum"`
	BrokenEntries int64       `json:"broken_entries,omitempty"`
	FirstBrokenID int64       `json:"first_broken_entry,omitempty"`
	Message       string      `json:"message"`
}

// Verification is the result of checking every balance against its ledger.
type Verification struct {
	Accounts  int       `json:"accounts"` // balances checked
	Entries   int64     `json:"entries"`  // ledger entries summed
	Problems  []Problem `json:"problems"`
	CheckedAt time.Time `json:"checked_at"`
}

// OK reports whether every balance matched.
func (v Verification) OK() bool { return len(v.Problems) == 0 }

// Verify checks, in one snapshot, that every balance equals the sum of its
// ledger entries, that every entry's balance_after continues the running sum
// in order, and that no purchase was refunded for more than it cost.
func (s *Service) Verify(ctx context.Context) (Verification, error) {
	v := Verification{Problems: []Problem{}, CheckedAt: s.now().UTC()}
	rows, err := s.db.VerifyBalances(ctx)
	if err != nil {
		return v, fmt.Errorf("verify balances: %w", err)
	}
	for _, r := range rows {
		v.Accounts++
		v.Entries += r.Entries
		p := Problem{AccountID: r.AccountID, Balance: money.Cents(r.BalanceCents), Ledger: money.Cents(r.LedgerCents),
			BrokenEntries: r.Broken, FirstBrokenID: r.FirstBrokenID}
		switch {
		case !r.HasBalance:
			p.Message = fmt.Sprintf("has %d ledger entries but no balance", r.Entries)
		case r.BalanceCents != r.LedgerCents:
			p.Message = fmt.Sprintf("balance %s but the ledger sums to %s", p.Balance, p.Ledger)
		case r.Broken > 0:
			p.Message = fmt.Sprintf("%d entries do not continue the running balance, from entry #%d", r.Broken, r.FirstBrokenID)
		default:
			continue
		}
		v.Problems = append(v.Problems, p)
	}
	over, err := s.db.RefundOverruns(ctx)
	if err != nil {
		return v, fmt.Errorf("verify refunds: %w", err)
	}
	for _, o := range over {
		v.Problems = append(v.Problems, Problem{AccountID: o.AccountID, Message: fmt.Sprintf("entry #%d (%s) was refunded %s",
			o.ID, money.Cents(o.AmountCents), money.Cents(o.Refunded))})
	}
	// A verification asked for by name is the desk's newest too.
	s.verified.Put(struct{}{}, v, v.CheckedAt)
	return v, nil
}

// VerifyMaxAge is how old a verification the desk page shows before it
// verifies again (in the background: VerifyCached).
const VerifyMaxAge = time.Minute

func newVerifyCache(s *Service) *refresh.Cache[struct{}, Verification] {
	c := refresh.New("balance verification", VerifyMaxAge, func(ctx context.Context, _ struct{}) (Verification, error) {
		return s.Verify(ctx)
	})
	c.SetClock(func() time.Time { return s.now() })
	return c
}

// VerifyCached returns the last verification. Once it is older than
// VerifyMaxAge it verifies again in the background and returns the last one
// meanwhile: at a million ledger entries a Verify takes a second, which a
// page load must not wait for every minute. Only a node's first call waits.
func (s *Service) VerifyCached(ctx context.Context) (Verification, error) {
	v, _, err := s.verified.Get(ctx, struct{}{})
	return v, err
}

// DayTotal is one UTC day's money movement.
type DayTotal struct {
	Day      time.Time   // midnight UTC
	Deposits money.Cents // credited deposits
	Spend    money.Cents // purchases and renewals (positive)
	Refunds  money.Cents
}

// DailyTotals returns the last days (today included), oldest first, with
// zero days filled in.
func (s *Service) DailyTotals(ctx context.Context, days int) ([]DayTotal, error) {
	if days < 1 || days > 366 {
		days = 30
	}
	today := s.now().UTC().Truncate(24 * time.Hour)
	return s.DailyTotalsFrom(ctx, today.AddDate(0, 0, -(days-1)), days)
}

// DailyTotalsFrom returns days days from since (a UTC day), oldest first,
// with zero days filled in (a chart's custom range).
func (s *Service) DailyTotalsFrom(ctx context.Context, since time.Time, days int) ([]DayTotal, error) {
	if days < 1 || days > 366 {
		return nil, fmt.Errorf("daily totals: %d days is not 1 to 366", days)
	}
	since = since.UTC().Truncate(24 * time.Hour)
	rows, err := s.db.DailyMoneyTotals(ctx, since)
	if err != nil {
		return nil, fmt.Errorf("daily totals: %w", err)
	}
	byDay := make(map[time.Time]DayTotal, len(rows))
	for _, r := range rows {
		d := r.Day.UTC()
		byDay[d] = DayTotal{Day: d, Deposits: money.Cents(r.DepositsCents), Spend: money.Cents(r.SpendCents), Refunds: money.Cents(r.RefundsCents)}
	}
	out := make([]DayTotal, days)
	for i := range out {
		d := since.AddDate(0, 0, i)
		out[i] = byDay[d]
		out[i].Day = d
	}
	return out, nil
}
