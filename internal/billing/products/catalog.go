package products

import (
	"context"
	"regexp"
	"strings"
	"time"

	"lumdesk/db/store"
	"lumdesk/internal/audit"
	"lumdesk/internal/platform/db"
	"lumdesk/internal/platform/money"
)

// TLDPrice is what a TLD costs per year from EffectiveFrom on.
type TLDPrice struct {
	TLD           string      `json:"tld"`
	Register      money.Cents `json:"register"`
	Renew         money.Cents `json:"renew"`
	Transfer      money.Cents `json:"transfer"`
	EffectiveFrom time.Time   `json:"effective_from"`
}

// PlanPrice is what a VPS or proxy plan costs per month from EffectiveFrom on.
type PlanPrice struct {
	Product       string      `json:"product"` // vps or proxy
	Plan          string      `json:"plan"`
	Title         string      `json:"title"`
	Description   string      `json:"description"`
	Monthly       money.Cents `json:"monthly"`
	EffectiveFrom time.Time   `json:"effective_from"`
}

// Catalog is the current prices and every price ever set (newest first
// within each TLD or plan), including future ones.
type Catalog struct {
	TLDs        []TLDPrice  `json:"tlds"`
	VPSPlans    []PlanPrice `json:"vps_plans"`
	ProxyPlans  []PlanPrice `json:"proxy_plans"`
	TLDHistory  []TLDPrice  `json:"tld_history"`
	PlanHistory []PlanPrice `json:"plan_history"`
	At          time.Time   `json:"at"`
}

// PriceState says where a history row stands: in force now, scheduled for
// later, or replaced.
type PriceState string

const (
	PriceCurrent   PriceState = "current"
	PriceScheduled PriceState = "scheduled"
	PricePast      PriceState = "past"
)

// TLDState is where a TLD price of the history stands.
func (c Catalog) TLDState(r TLDPrice) PriceState {
	for _, cur := range c.TLDs {
		if cur.TLD == r.TLD && cur.EffectiveFrom.Equal(r.EffectiveFrom) {
			return PriceCurrent
		}
	}
	return c.laterOrPast(r.EffectiveFrom)
}

// PlanState is where a plan price of the history stands.
func (c Catalog) PlanState(r PlanPrice) PriceState {
	for _, cur := range append(append([]PlanPrice{}, c.VPSPlans...), c.ProxyPlans...) {
		if cur.Product == r.Product && cur.Plan == r.Plan && cur.EffectiveFrom.Equal(r.EffectiveFrom) {
			return PriceCurrent
		}
	}
	return c.laterOrPast(r.EffectiveFrom)
}

func (c Catalog) laterOrPast(from time.Time) PriceState {
	if from.After(c.At) {
		return PriceScheduled
	}
	return PricePast
}

func tldOf(r store.LumiTldPrice) TLDPrice {
	return TLDPrice{TLD: r.Tld, Register: money.Cents(r.RegisterCents), Renew: money.Cents(r.RenewCents),
		Transfer: money.Cents(r.TransferCents), EffectiveFrom: r.EffectiveFrom.UTC()}
}

func planOf(r store.LumiPlanPrice) PlanPrice {
	return PlanPrice{Product: r.Product, Plan: r.Plan, Title: r.Title, Description: r.Description,
		Monthly: money.Cents(r.MonthlyCents), EffectiveFrom: r.EffectiveFrom.UTC()}
}

// Prices is the catalogue as of now.
func (s *Service) Prices(ctx context.Context) (_ Catalog, err error) {
	defer wrap(&err, "read prices")
	now := s.clock()
	c := Catalog{TLDs: []TLDPrice{}, VPSPlans: []PlanPrice{}, ProxyPlans: []PlanPrice{}, At: now}
	tlds, err := s.db.LumiCurrentTLDPrices(ctx, now)
	if err != nil {
		return c, err
	}
	for _, r := range tlds {
		c.TLDs = append(c.TLDs, tldOf(r))
	}
	plans, err := s.db.LumiCurrentPlanPrices(ctx, now)
	if err != nil {
		return c, err
	}
	for _, r := range plans {
		if r.Product == ProductVPS {
			c.VPSPlans = append(c.VPSPlans, planOf(r))
		} else {
			c.ProxyPlans = append(c.ProxyPlans, planOf(r))
		}
	}
	th, err := s.db.LumiTLDPriceHistory(ctx)
	if err != nil {
		return c, err
	}
	for _, r := range th {
		c.TLDHistory = append(c.TLDHistory, tldOf(r))
	}
	ph, err := s.db.LumiPlanPriceHistory(ctx)
	if err != nil {
		return c, err
	}
	for _, r := range ph {
		c.PlanHistory = append(c.PlanHistory, planOf(r))
	}
	return c, nil
}

// TLDPriceAt is the price of tld in force at t (ErrNoPrice if none).
func (s *Service) tldPrice(ctx context.Context, q *store.Queries, tld string) (_ TLDPrice, _ bool, err error) {
	defer wrap(&err, "price of .%s", tld)
	r, err := q.LumiCurrentTLDPrice(ctx, store.LumiCurrentTLDPriceParams{Tld: tld, At: s.clock()})
	if db.IsNotFound(err) {
		return TLDPrice{}, false, nil
	}
	if err != nil {
		return TLDPrice{}, false, err
	}
	return tldOf(r), true, nil
}

func (s *Service) planPrice(ctx context.Context, q *store.Queries, product, plan string) (_ PlanPrice, _ bool, err error) {
	defer wrap(&err, "price of %s plan %s", product, plan)
	r, err := q.LumiCurrentPlanPrice(ctx, store.LumiCurrentPlanPriceParams{Product: product, Plan: plan, At: s.clock()})
	if db.IsNotFound(err) {
		return PlanPrice{}, false, nil
	}
	if err != nil {
		return PlanPrice{}, false, err
	}
	return planOf(r), true, nil
}

var (
	tldRe  = regexp.MustCompile(`^[a-z][a-z0-9-]{0,23}$`)
	planRe = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,39}$`)
)

// SetTLDPrice adds (or, for the same instant, replaces) a TLD price taking
// effect at from. Earlier prices stay as history.
func (s *Service) SetTLDPrice(ctx context.Context, actor audit.Actor, p TLDPrice) (_ TLDPrice, err error) {
	defer wrap(&err, "set price of .%s", p.TLD)
	p.TLD = strings.TrimPrefix(strings.ToLower(strings.TrimSpace(p.TLD)), ".")
	verr := ValidationError{}
	if !tldRe.MatchString(p.TLD) {
		verr["tld"] = "A TLD is letters, digits and hyphens, like com."
	}
	if p.Register <= 0 || p.Renew <= 0 || p.Transfer <= 0 {
		verr["price"] = "Prices must be positive."
	}
	if p.EffectiveFrom.IsZero() {
		p.EffectiveFrom = s.clock()
	}
	if len(verr) > 0 {
		return p, verr
	}
	var out TLDPrice
	err = s.tx(ctx, func(q *store.Queries) error {
		r, err := q.LumiInsertTLDPrice(ctx, store.LumiInsertTLDPriceParams{Tld: p.TLD, RegisterCents: int64(p.Register),
			RenewCents: int64(p.Renew), TransferCents: int64(p.Transfer), EffectiveFrom: p.EffectiveFrom.UTC().Truncate(time.Microsecond)})
		if err != nil {
			return err
		}
		out = tldOf(r)
		return audit.Record(ctx, q, actor, audit.Event{Action: "price.set", EntityType: "tld_price", EntityID: p.TLD, After: out})
	})
	return out, err
}

// SetPlanPrice adds a VPS or proxy plan price taking effect at from.
func (s *Service) SetPlanPrice(ctx context.Context, actor audit.Actor, p PlanPrice) (_ PlanPrice, err error) {
	defer wrap(&err, "set price of %s plan %s", p.Product, p.Plan)
	verr := ValidationError{}
	if p.Product != ProductVPS && p.Product != ProductProxy {
		verr["product"] = "A plan is for vps or proxy."
	}
	if !planRe.MatchString(p.Plan) {
		verr["plan"] = "A plan id is lower-case letters, digits and hyphens."
	}
	if p.Monthly <= 0 {
		verr["price"] = "The price must be positive."
	}
	if len(p.Title) > 100 || len(p.Description) > 500 {
		verr["title"] = "The title is at most 100 and the description 500 characters."
	}
	if p.EffectiveFrom.IsZero() {
		p.EffectiveFrom = s.clock()
	}
	if len(verr) > 0 {
		return p, verr
	}
	var out PlanPrice
	err = s.tx(ctx, func(q *store.Queries) error {
		r, err := q.LumiInsertPlanPrice(ctx, store.LumiInsertPlanPriceParams{Product: p.Product, Plan: p.Plan, Title: p.Title,
			Description: p.Description, MonthlyCents: int64(p.Monthly), EffectiveFrom: p.EffectiveFrom.UTC().Truncate(time.Microsecond)})
		if err != nil {
			return err
		}
		out = planOf(r)
		return audit.Record(ctx, q, actor, audit.Event{Action: "price.set", EntityType: "plan_price", EntityID: p.Product + "/" + p.Plan, After: out})
	})
	return out, err
}
