package products

import (
	"context"

	"lumdesk/internal/accounts"
)

// Holdings is what one account holds in Lumi: the account page's overview card.
type Holdings struct {
	Domains, VPS, Proxies int64
	// Next is the active item that expires soonest; nil when none has an expiry.
	Next *ForecastItem
}

// Holdings counts the scope's account's domains, VPS and proxies (failed
// orders left out) and finds its next renewal.
func (s *Service) Holdings(ctx context.Context, scope accounts.Scope) (_ Holdings, err error) {
	if scope.All() {
		return Holdings{}, ErrAccountNotFound // it summarises one account
	}
	id := scope.AccountID()
	defer wrap(&err, "holdings of account %d", id)
	c, err := s.db.LumiAccountHoldings(ctx, id)
	if err != nil {
		return Holdings{}, err
	}
	h := Holdings{Domains: c.Domains, VPS: c.Vps, Proxies: c.Proxies}
	next, err := s.db.LumiAccountNextRenewal(ctx, id)
	if err != nil {
		return Holdings{}, err
	}
	if len(next) > 0 {
		h.Next = &ForecastItem{Product: next[0].Product, Label: next[0].Label, DueAt: next[0].ExpiresAt.UTC()}
	}
	return h, nil
}

// Total is every item held.
func (h Holdings) Total() int64 { return h.Domains + h.VPS + h.Proxies }
