package lumi

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"lumdesk/internal/accounts"
	"lumdesk/internal/audit"
	"lumdesk/internal/billing"
	"lumdesk/internal/billing/products"
	"lumdesk/internal/platform/jsonin"
	"lumdesk/internal/platform/money"
)

// ProductsShop is the Shop over internal/billing/products.
type ProductsShop struct{ P *products.Service }

var _ Shop = ProductsShop{}

// decode reads in into v; a wrong type names the field (422).
func decode(in json.RawMessage, v any) error {
	if len(in) == 0 {
		return nil
	}
	if err := jsonin.Decode(in, v); err != nil {
		return invalid("%s", err.Error())
	}
	return nil
}

type priceView struct {
	TLD           string `json:"tld,omitempty"`
	Plan          string `json:"plan,omitempty"`
	Title         string `json:"title,omitempty"`
	Register      string `json:"register_usd,omitempty"`
	Renew         string `json:"renew_usd,omitempty"`
	Transfer      string `json:"transfer_usd,omitempty"`
	Monthly       string `json:"monthly_usd,omitempty"`
	EffectiveFrom string `json:"effective_from"`
}

// Prices: the current prices of the kind, money as strings.
func (s ProductsShop) Prices(ctx context.Context, kind string) (any, error) {
	c, err := s.P.Prices(ctx)
	if err != nil {
		return nil, err
	}
	items := []priceView{}
	switch kind {
	case KindDomain:
		for _, t := range c.TLDs {
			items = append(items, priceView{TLD: t.TLD, Register: t.Register.String(), Renew: t.Renew.String(),
				Transfer: t.Transfer.String(), EffectiveFrom: t.EffectiveFrom.Format(time.RFC3339)})
		}
	default:
		plans := c.VPSPlans
		if kind == KindProxy {
			plans = c.ProxyPlans
		}
		for _, p := range plans {
			items = append(items, priceView{Plan: p.Plan, Title: p.Title, Monthly: p.Monthly.String(),
				EffectiveFrom: p.EffectiveFrom.Format(time.RFC3339)})
		}
	}
	return map[string]any{"currency": "USD", "items": items}, nil
}

type domainBuy struct {
	Domain      string   `json:"domain"`
	Years       int      `json:"years"`
	AutoRenew   bool     `json:"auto_renew"`
	Nameservers []string `json:"nameservers"`
}

type termBody struct {
	Years    int    `json:"years"`
	Months   int    `json:"months"`
	Plan     string `json:"plan"`
	Hostname string `json:"hostname"`
	Type     string `json:"type"`
	Country  string `json:"country"`
	Auto     bool   `json:"auto_renew"`
}

func orOne(n int) int {
	if n == 0 {
		return 1
	}
	return n
}

// Quote prices a purchase or renewal (the products service decides; an
// item of another account is not found there).
func (s ProductsShop) Quote(ctx context.Context, kind string, accountID, id int64, in json.RawMessage) (money.Cents, error) {
	var t termBody
	if err := decode(in, &t); err != nil {
		return 0, err
	}
	var b domainBuy
	if kind == KindDomain && id == 0 {
		if err := decode(in, &b); err != nil {
			return 0, err
		}
	}
	return s.P.Quote(ctx, accounts.Only(accountID), kind, id, products.QuoteInput{Domain: b.Domain, Plan: t.Plan, Years: t.Years, Months: t.Months})
}

// Buy makes one purchase.
func (s ProductsShop) Buy(ctx context.Context, actor audit.Actor, kind string, accountID int64, in json.RawMessage, idemKey string) (any, bool, error) {
	switch kind {
	case KindDomain:
		var b domainBuy
		if err := decode(in, &b); err != nil {
			return nil, false, err
		}
		d, err := s.P.BuyDomain(ctx, actor, products.BuyDomainInput{AccountID: accountID, Domain: b.Domain, Years: orOne(b.Years),
			AutoRenew: b.AutoRenew, Nameservers: b.Nameservers, IdempotencyKey: idemKey})
		return d, !d.Replayed, err
	case KindVPS:
		var t termBody
		if err := decode(in, &t); err != nil {
			return nil, false, err
		}
		v, err := s.P.BuyVPS(ctx, actor, products.BuyVPSInput{AccountID: accountID, Plan: t.Plan, Months: orOne(t.Months),
			Hostname: t.Hostname, AutoRenew: t.Auto, IdempotencyKey: idemKey})
		return v, !v.Replayed, err
	case KindProxy:
		var t termBody
		if err := decode(in, &t); err != nil {
			return nil, false, err
		}
		p, err := s.P.BuyProxy(ctx, actor, products.BuyProxyInput{AccountID: accountID, Plan: t.Plan, Type: t.Type,
			Country: t.Country, Months: orOne(t.Months), AutoRenew: t.Auto, IdempotencyKey: idemKey})
		return p, !p.Replayed, err
	}
	return nil, false, fmt.Errorf("unknown kind %q", kind)
}

// Renew renews one item.
func (s ProductsShop) Renew(ctx context.Context, actor audit.Actor, kind string, accountID, id int64, in json.RawMessage, idemKey string) (any, bool, error) {
	var t termBody
	if err := decode(in, &t); err != nil {
		return nil, false, err
	}
	switch kind {
	case KindDomain:
		d, err := s.P.RenewDomain(ctx, actor, accountID, id, orOne(t.Years), idemKey)
		return d, !d.Replayed, err
	case KindVPS:
		v, err := s.P.RenewVPS(ctx, actor, accountID, id, orOne(t.Months), idemKey)
		return v, !v.Replayed, err
	case KindProxy:
		p, err := s.P.RenewProxy(ctx, actor, accountID, id, orOne(t.Months), idemKey)
		return p, !p.Replayed, err
	}
	return nil, false, fmt.Errorf("unknown kind %q", kind)
}

// List is one page of items.
func (s ProductsShop) List(ctx context.Context, kind string, scope accounts.Scope, cursor string, limit int) (any, string, error) {
	f := products.ListFilter{Scope: scope, Cursor: cursor, Limit: limit}
	switch kind {
	case KindDomain:
		p, err := s.P.ListDomains(ctx, f)
		return p.Items, p.NextCursor, err
	case KindVPS:
		p, err := s.P.ListVPS(ctx, f)
		return p.Items, p.NextCursor, err
	case KindProxy:
		p, err := s.P.ListProxies(ctx, f)
		return p.Items, p.NextCursor, err
	}
	return nil, "", fmt.Errorf("unknown kind %q", kind)
}

// Get is one item.
func (s ProductsShop) Get(ctx context.Context, kind string, scope accounts.Scope, id int64) (any, error) {
	switch kind {
	case KindDomain:
		return s.P.GetDomain(ctx, scope, id)
	case KindVPS:
		return s.P.GetVPS(ctx, scope, id)
	case KindProxy:
		return s.P.GetProxy(ctx, scope, id)
	}
	return nil, fmt.Errorf("unknown kind %q", kind)
}

type domainPatch struct {
	Nameservers *[]string `json:"nameservers"`
	Lock        *bool     `json:"lock"`
	Privacy     *bool     `json:"privacy"`
	AutoRenew   *bool     `json:"auto_renew"`
}

// Update applies a change.
func (s ProductsShop) Update(ctx context.Context, actor audit.Actor, kind, action string, scope accounts.Scope, id int64, in json.RawMessage) (any, error) {
	switch kind + "/" + action {
	case KindDomain + "/patch":
		var p domainPatch
		if err := decode(in, &p); err != nil {
			return nil, err
		}
		if p.Nameservers == nil && p.Lock == nil && p.Privacy == nil && p.AutoRenew == nil {
			return nil, invalid("Send at least one of nameservers, lock, privacy, auto_renew.")
		}
		d, err := s.P.GetDomain(ctx, scope, id)
		if err != nil {
			return nil, err
		}
		if p.Nameservers != nil {
			if d, err = s.P.SetNameservers(ctx, actor, scope, id, *p.Nameservers); err != nil {
				return nil, err
			}
		}
		if p.Lock != nil {
			if d, err = s.P.SetLock(ctx, actor, scope, id, *p.Lock); err != nil {
				return nil, err
			}
		}
		if p.Privacy != nil {
			if d, err = s.P.SetPrivacy(ctx, actor, scope, id, *p.Privacy); err != nil {
				return nil, err
			}
		}
		if p.AutoRenew != nil {
			if d, err = s.P.SetAutoRenew(ctx, actor, scope, id, *p.AutoRenew); err != nil {
				return nil, err
			}
		}
		return d, nil
	case KindVPS + "/power":
		var b struct {
			Action string `json:"action"`
		}
		if err := decode(in, &b); err != nil {
			return nil, err
		}
		return s.P.PowerVPS(ctx, actor, scope, id, strings.TrimSpace(b.Action))
	case KindProxy + "/allow_ips":
		var b struct {
			IPs *[]string `json:"ips"`
		}
		if err := decode(in, &b); err != nil {
			return nil, err
		}
		if b.IPs == nil {
			return nil, invalid("ips is required (an array of IPs or CIDR prefixes).")
		}
		return s.P.SetProxyAllowList(ctx, actor, scope, id, *b.IPs)
	}
	return nil, fmt.Errorf("unknown update %s/%s", kind, action)
}

// Wire builds the API over the products service p (or, when the shop is
// given, over that shop — tests); p also stores the bulk batches.
func Wire(b *billing.Service, keys Keys, p *products.Service, shop Shop) *API {
	if shop == nil {
		shop = ProductsShop{P: p}
	}
	return New(b, keys, shop, p, Flags{})
}
