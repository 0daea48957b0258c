package accounts

import (
	"context"
	"fmt"
	"math"
	"time"

	"github.com/jackc/pgx/v5/pgtype"
)

// ExactCountLimit is the table size up to which Stats counts exactly; above
// it the totals come from the planner's statistics.
const ExactCountLimit = 10_000

// StatsDays is how many days of sign-ups Stats returns.
const StatsDays = 30

// Stats are the headline numbers of the accounts table.
type Stats struct {
	Total     int64
	Active    int64
	Suspended int64
	// Estimated is true when the totals come from table statistics, not count(*).
	Estimated bool
	// Daily are the accounts created per UTC day, oldest first, StatsDays
	// entries ending today (days without sign-ups are 0).
	Daily []DayCount
}

// DayCount is the number of accounts created on one UTC day.
type DayCount struct {
	Day   time.Time
	Count int64
}

// NewInPeriod is the sum of Daily.
func (s Stats) NewInPeriod() int64 {
	var n int64
	for _, d := range s.Daily {
		n += d.Count
	}
	return n
}

// Stats counts accounts: exactly while the table is small, from the
// planner's statistics once it has more than ExactCountLimit rows.
func (s *Service) Stats(ctx context.Context) (Stats, error) {
	var st Stats
	est, err := s.db.EstimateRows(ctx, "accounts")
	if err != nil {
		return st, fmt.Errorf("estimate accounts: %w", err)
	}
	if est > ExactCountLimit {
		share, err := s.db.EstimateSuspendedShare(ctx)
		if err != nil {
			return st, fmt.Errorf("estimate suspended accounts: %w", err)
		}
		st.Estimated = true
		st.Total = est
		st.Suspended = int64(math.Round(float64(est) * share))
		st.Active = st.Total - st.Suspended
	} else {
		c, err := s.db.CountAccountsByStatus(ctx)
		if err != nil {
			return st, fmt.Errorf("count accounts: %w", err)
		}
		st.Total, st.Active, st.Suspended = c.Total, c.Active, c.Suspended
	}

	today := s.now().UTC().Truncate(24 * time.Hour)
	since := today.AddDate(0, 0, -(StatsDays - 1))
	rows, err := s.db.CountAccountSignupsPerDay(ctx, pgtype.Date{Time: since, Valid: true})
	if err != nil {
		return st, fmt.Errorf("count sign-ups: %w", err)
	}
	byDay := make(map[string]int64, len(rows))
	for _, r := range rows {
		byDay[r.Day.Time.Format(time.DateOnly)] += r.N
	}
	st.Daily = make([]DayCount, StatsDays)
	for i := range st.Daily {
		d := since.AddDate(0, 0, i)
		st.Daily[i] = DayCount{Day: d, Count: byDay[d.Format(time.DateOnly)]}
	}
	return st, nil
}
