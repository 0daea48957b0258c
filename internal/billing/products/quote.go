package products

import (
	"context"
	"fmt"

	"lumdesk/internal/accounts"
	"lumdesk/internal/platform/money"
)

// QuoteInput is what a purchase or renewal asks for; zero Years or Months
// mean one, as in the purchase itself.
type QuoteInput struct {
	Domain string // purchase of a domain
	Plan   string // purchase of a VPS or proxy
	Years  int    // domains
	Months int    // VPS and proxies
}

// Quote is what buying (id 0) or renewing item id of product would cost
// now, from the current catalogue, for the daily spend caps. It is 0 when the
// input is invalid: the purchase then fails validation and nothing is
// spent. A renewal looks the item up within scope (another account's item
// is not found).
func (s *Service) Quote(ctx context.Context, scope accounts.Scope, product string, id int64, in QuoteInput) (money.Cents, error) {
	c, err := s.Prices(ctx)
	if err != nil {
		return 0, fmt.Errorf("quote %s: %w", product, err)
	}
	switch product {
	case ProductDomain:
		tld := ""
		if id == 0 {
			_, tld, _ = NormalizeDomain(in.Domain)
		} else {
			d, err := s.GetDomain(ctx, scope, id)
			if err != nil {
				return 0, err
			}
			tld = d.TLD()
		}
		if in.Years < 0 || in.Years > MaxYears {
			return 0, nil
		}
		for _, p := range c.TLDs {
			if p.TLD == tld {
				per := p.Register
				if id != 0 {
					per = p.Renew
				}
				return per * money.Cents(max(in.Years, 1)), nil
			}
		}
		return 0, nil
	case ProductVPS, ProductProxy:
		plans, plan := c.VPSPlans, in.Plan
		if product == ProductProxy {
			plans = c.ProxyPlans
		}
		if id != 0 {
			if product == ProductVPS {
				v, err := s.GetVPS(ctx, scope, id)
				if err != nil {
					return 0, err
				}
				plan = v.Plan
			} else {
				p, err := s.GetProxy(ctx, scope, id)
				if err != nil {
					return 0, err
				}
				plan = p.Plan
			}
		}
		if in.Months < 0 || in.Months > MaxMonths {
			return 0, nil
		}
		for _, p := range plans {
			if p.Plan == plan {
				return p.Monthly * money.Cents(max(in.Months, 1)), nil
			}
		}
		return 0, nil
	}
	return 0, fmt.Errorf("quote: unknown product %q", product)
}
