package products

import (
	"context"
	"fmt"
	"time"

	"lumdesk/db/store"
	"lumdesk/internal/platform/money"
)

// Forecast windows, in days.
const (
	ForecastShortDays = 30
	ForecastLongDays  = 90
	// maxForecastAccounts bounds one ForecastMany call (a page of a list).
	maxForecastAccounts = 500
)

// ForecastItem is one renewal falling due within the longest window.
type ForecastItem struct {
	Product string    // domain, vps, proxy
	ID      int64     // the item
	Label   string    // domain name, VPS hostname or plan, proxy plan · country
	DueAt   time.Time // when this renewal is due (its current or a later expiry)
	Price   money.Cents
}

// ForecastWindow sums the renewals due within Days of now.
type ForecastWindow struct {
	Days     int
	Due      money.Cents // what the renewals cost at current prices
	Renewals int         // how many renewals
	Short    money.Cents // Due minus the balance when positive; 0: covered
}

// Covered reports whether the balance pays every renewal of the window.
func (w ForecastWindow) Covered() bool { return w.Short == 0 }

// Forecast is an account's auto-renewals in the next 30 and 90 days against
// its balance. A domain renews for a year at its TLD's renew price; a VPS or
// proxy for a month at its plan's monthly price, so one falling due in 20
// days counts at 20, ~50 and ~80 days. Items whose TLD or plan is no longer
// sold cannot renew: they are counted in Unpriced, not in the sums.
type Forecast struct {
	AccountID int64
	Balance   money.Cents
	Short30   ForecastWindow // ForecastShortDays
	Long90    ForecastWindow // ForecastLongDays
	Items     []ForecastItem // the renewals within ForecastLongDays, soonest first
	Unpriced  int
}

// Tone is the forecast's colour: "green" covered for 90 days, "amber" short
// within 90 days only, "red" short within 30 days.
func (f Forecast) Tone() string {
	switch {
	case !f.Short30.Covered():
		return "red"
	case !f.Long90.Covered():
		return "amber"
	}
	return "green"
}

// Forecast computes accountID's funds forecast as of now (zero: the
// service's clock).
func (s *Service) Forecast(ctx context.Context, accountID int64, now time.Time) (_ Forecast, err error) {
	defer wrap(&err, "forecast account %d", accountID)
	bal, err := s.billing.Balance(ctx, accountID)
	if IsNotFound(err) {
		return Forecast{}, ErrAccountNotFound
	}
	if err != nil {
		return Forecast{}, err
	}
	m, err := s.forecast(ctx, []int64{accountID}, map[int64]money.Cents{accountID: bal.Amount}, now)
	if err != nil {
		return Forecast{}, err
	}
	return m[accountID], nil
}

// ForecastMany computes the forecast of several accounts at once (a page of
// the balances list); accounts without a balance row have 0. At most 500.
func (s *Service) ForecastMany(ctx context.Context, accountIDs []int64, now time.Time) (_ map[int64]Forecast, err error) {
	defer wrap(&err, "forecast %d accounts", len(accountIDs))
	if len(accountIDs) > maxForecastAccounts {
		return nil, fmt.Errorf("forecast: at most %d accounts at once", maxForecastAccounts)
	}
	rows, err := s.db.LumiForecastBalances(ctx, accountIDs)
	if err != nil {
		return nil, fmt.Errorf("forecast balances: %w", err)
	}
	bal := make(map[int64]money.Cents, len(rows))
	for _, r := range rows {
		bal[r.AccountID] = money.Cents(r.BalanceCents)
	}
	return s.forecast(ctx, accountIDs, bal, now)
}

func (s *Service) forecast(ctx context.Context, ids []int64, bal map[int64]money.Cents, now time.Time) (map[int64]Forecast, error) {
	if now.IsZero() {
		now = s.clock()
	}
	now = now.UTC()
	short, long := now.AddDate(0, 0, ForecastShortDays), now.AddDate(0, 0, ForecastLongDays)
	out := make(map[int64]Forecast, len(ids))
	for _, id := range ids {
		out[id] = Forecast{AccountID: id, Balance: bal[id], Items: []ForecastItem{},
			Short30: ForecastWindow{Days: ForecastShortDays}, Long90: ForecastWindow{Days: ForecastLongDays}}
	}
	if len(ids) == 0 {
		return out, nil
	}
	rows, err := s.db.LumiForecastItems(ctx, store.LumiForecastItemsParams{At: now, AccountIds: ids, Until: long})
	if err != nil {
		return nil, fmt.Errorf("forecast items: %w", err)
	}
	for _, r := range rows {
		f, ok := out[r.AccountID]
		if !ok {
			continue
		}
		if r.RenewCents <= 0 {
			f.Unpriced++
			out[r.AccountID] = f
			continue
		}
		months := 1
		if r.Product == ProductDomain {
			months = 12
		}
		// Each period's renewal falls due at the end of the one before.
		due := r.ExpiresAt.UTC()
		for n := 0; !due.After(long) && n < 120; n++ {
			it := ForecastItem{Product: r.Product, ID: r.ID, Label: r.Label, DueAt: due, Price: money.Cents(r.RenewCents)}
			f.Items = append(f.Items, it)
			f.Long90.Due += it.Price
			f.Long90.Renewals++
			if !due.After(short) {
				f.Short30.Due += it.Price
				f.Short30.Renewals++
			}
			due = due.AddDate(0, months, 0)
		}
		out[r.AccountID] = f
	}
	for id, f := range out {
		f.Short30.Short = max(0, f.Short30.Due-f.Balance)
		f.Long90.Short = max(0, f.Long90.Due-f.Balance)
		sortItems(f.Items)
		out[id] = f
	}
	return out, nil
}

func sortItems(items []ForecastItem) {
	// insertion sort: a handful of items, already nearly in order
	for i := 1; i < len(items); i++ {
		for j := i; j > 0 && items[j].DueAt.Before(items[j-1].DueAt); j-- {
			items[j], items[j-1] = items[j-1], items[j]
		}
	}
}
