package products

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"strings"
	"time"

	"lumdesk/db/store"
	"lumdesk/internal/accounts"
	"lumdesk/internal/audit"
	"lumdesk/internal/billing"
	"lumdesk/internal/platform/db"
	"lumdesk/internal/platform/listcount"
	"lumdesk/internal/platform/money"
	"lumdesk/internal/platform/plural"
)

// Proxy types.
const (
	ProxyHTTP   = "http"
	ProxySOCKS5 = "socks5"
)

// ProxyTypes lists the proxy types.
var ProxyTypes = []string{ProxyHTTP, ProxySOCKS5}

// Proxy is a rented proxy. The password is sealed; RevealProxyPassword opens it.
type Proxy struct {
	ID                  int64      `json:"id"`
	AccountID           int64      `json:"account_id"`
	Plan                string     `json:"plan"`
	Type                string     `json:"type"`
	Country             string     `json:"country"`
	Status              string     `json:"status"`
	Host                string     `json:"host"`
	Port                int        `json:"port"`
	Username            string     `json:"username"`
	AllowIPs            []string   `json:"allow_ips"`
	ProviderRef         string     `json:"-"`
	ExpiresAt           *time.Time `json:"expires_at"`
	AutoRenew           bool       `json:"auto_renew"`
	RenewalFailedAt     *time.Time `json:"renewal_failed_at"`
	RenewalFailedReason string     `json:"renewal_failed_reason,omitempty"`
	Failure             string     `json:"failure,omitempty"`
	CreatedAt           time.Time  `json:"created_at"`
	UpdatedAt           time.Time  `json:"updated_at"`
	Replayed            bool       `json:"-"`
}

func proxyOf(r store.LumiProxy) Proxy {
	ips := r.AllowIps
	if ips == nil {
		ips = []string{}
	}
	return Proxy{ID: r.ID, AccountID: r.AccountID, Plan: r.Plan, Type: r.Type, Country: r.Country, Status: r.Status,
		Host: r.Host, Port: int(r.Port), Username: r.Username, AllowIPs: ips, ProviderRef: r.ProviderRef,
		ExpiresAt: utcPtr(r.ExpiresAt), AutoRenew: r.AutoRenew, RenewalFailedAt: utcPtr(r.RenewalFailedAt),
		RenewalFailedReason: r.RenewalFailedReason, Failure: r.Failure, CreatedAt: r.CreatedAt.UTC(), UpdatedAt: r.UpdatedAt.UTC()}
}

// BuyProxyInput is one proxy purchase.
type BuyProxyInput struct {
	AccountID      int64
	Plan           string
	Type           string // http or socks5; empty is http
	Country        string // ISO 3166 alpha-2
	Months         int
	AutoRenew      bool
	IdempotencyKey string
}

const proxySealContext = "lumi-proxy-password"

// NormalizeAllowList checks IPs and CIDR prefixes (at most 50).
func NormalizeAllowList(in []string) ([]string, error) {
	out := []string{}
	for _, s := range in {
		s = strings.TrimSpace(s)
		if s == "" {
			continue
		}
		var norm string
		if p, err := netip.ParsePrefix(s); err == nil {
			norm = p.Masked().String()
		} else if a, err := netip.ParseAddr(s); err == nil {
			norm = a.String()
		} else {
			return nil, ValidationError{"allow_ips": fmt.Sprintf("%q is not an IP address or CIDR range.", truncate(s, 60))}
		}
		if !contains(out, norm) {
			out = append(out, norm)
		}
	}
	if len(out) > MaxAllowIPs {
		return nil, ValidationError{"allow_ips": "At most 50 addresses or ranges."}
	}
	return out, nil
}

func (s *Service) proxyReplay(ctx context.Context, in BuyProxyInput) (_ Proxy, err error) {
	defer wrap(&err, "replay proxy purchase %q", in.IdempotencyKey)
	r, err := s.db.LumiProxyByIdempotencyKey(ctx, store.LumiProxyByIdempotencyKeyParams{AccountID: in.AccountID, IdempotencyKey: &in.IdempotencyKey})
	if err != nil {
		return Proxy{}, err
	}
	if r.Plan != in.Plan || r.Type != in.Type || r.Country != in.Country {
		return Proxy{}, ErrIdempotencyMismatch
	}
	p := proxyOf(r)
	p.Replayed = true
	if p.Status == StatusFailed {
		return p, &ProvisionError{Op: "create_proxy", Err: errors.New(p.Failure), Refunded: true}
	}
	return p, nil
}

// BuyProxy rents a proxy for months, paid from the balance.
func (s *Service) BuyProxy(ctx context.Context, actor audit.Actor, in BuyProxyInput) (_ Proxy, err error) {
	defer wrap(&err, "buy proxy for account %d", in.AccountID)
	ctx = context.WithoutCancel(ctx) // money moved: finish (and refund on failure) even if the client goes away
	verr := ValidationError{}
	in.Plan = strings.TrimSpace(in.Plan)
	in.Type = strings.ToLower(strings.TrimSpace(in.Type))
	if in.Type == "" {
		// Optional in the reseller API's schema, which documents http as the
		// default; before the replay check, so a repeat without it still matches.
		in.Type = ProxyHTTP
	}
	in.Country = strings.ToUpper(strings.TrimSpace(in.Country))
	checkMonths(verr, in.Months)
	checkKey(verr, in.IdempotencyKey)
	if !contains(ProxyTypes, in.Type) {
		verr["type"] = "The type is http or socks5."
	}
	if len(in.Country) != 2 || in.Country[0] < 'A' || in.Country[0] > 'Z' || in.Country[1] < 'A' || in.Country[1] > 'Z' {
		verr["country"] = "The country is a two-letter code, like US."
	}
	p, found, err := s.planPrice(ctx, s.db.Queries, ProductProxy, in.Plan)
	if err != nil {
		return Proxy{}, err
	}
	if !found {
		verr["plan"] = "Choose a proxy plan from the catalogue."
	}
	if len(verr) > 0 {
		return Proxy{}, verr
	}
	if s.box == nil {
		return Proxy{}, errors.New("products: no secret box to seal proxy passwords")
	}
	if in.IdempotencyKey != "" {
		if px, err := s.proxyReplay(ctx, in); err == nil || !db.IsNotFound(err) {
			return px, err
		}
	}
	amount := price(p.Monthly, in.Months)
	var row store.LumiProxy
	var entry billing.LedgerEntry
	err = s.tx(ctx, func(q *store.Queries) error {
		var err error
		row, err = q.LumiInsertProxy(ctx, store.LumiInsertProxyParams{AccountID: in.AccountID, Plan: in.Plan, Type: in.Type,
			Country: in.Country, AutoRenew: in.AutoRenew, IdempotencyKey: keyPtr(in.IdempotencyKey)})
		if db.IsUniqueViolation(err, "lumi_proxies_idem") {
			return errReplay
		}
		if err != nil {
			return wrapAccount(err)
		}
		entry, err = s.billing.DebitTx(ctx, q, actor, billing.DebitInput{AccountID: in.AccountID, Amount: amount,
			Kind: billing.KindPurchase, CauseType: ProductProxy, CauseID: idStr(row.ID), IdempotencyKey: in.IdempotencyKey,
			Reason: fmt.Sprintf("Proxy %s %s %s, %s", in.Plan, in.Type, in.Country, plural.Of(in.Months, "month", "months"))})
		if err != nil {
			return err
		}
		return audit.Record(ctx, q, actor, audit.Event{Action: "proxy.buy", EntityType: ProductProxy, EntityID: idStr(row.ID),
			After: map[string]any{"account_id": in.AccountID, "plan": in.Plan, "type": in.Type, "country": in.Country,
				"months": in.Months, "price": amount.String(), "ledger_entry_id": entry.ID}})
	})
	if errors.Is(err, errReplay) {
		return s.proxyReplay(ctx, in)
	}
	if err != nil {
		return Proxy{}, mapBillingErr(err)
	}
	res, perr0 := s.prov.CreateProxy(ctx, ProxyRequest{ID: row.ID, Plan: in.Plan, Type: in.Type, Country: in.Country, Months: in.Months, AllowIPs: []string{}})
	if perr0 != nil {
		err := s.failPurchase(ctx, actor, ProductProxy, row.ID, entry.ID, amount, "create_proxy", "Proxy creation failed: ", perr0, func(q *store.Queries) error {
			if _, err := q.LumiLockProxy(ctx, row.ID); err != nil {
				return err
			}
			var err error
			row, err = q.LumiFailProxy(ctx, store.LumiFailProxyParams{ID: row.ID, Failure: errText(perr0)})
			return err
		})
		return proxyOf(row), err
	}
	exp := s.clock().AddDate(0, in.Months, 0)
	sealed := s.box.Seal([]byte(res.Password), proxySealContext)
	err = s.tx(ctx, func(q *store.Queries) error {
		var err error
		row, err = q.LumiActivateProxy(ctx, store.LumiActivateProxyParams{ID: row.ID, ExpiresAt: &exp, ProviderRef: res.Ref,
			Host: res.Host, Port: int32(res.Port), Username: res.Username, PasswordSealed: sealed})
		if err != nil {
			return err
		}
		return audit.Record(ctx, q, actor, audit.Event{Action: "proxy.activate", EntityType: ProductProxy, EntityID: idStr(row.ID),
			After: map[string]any{"status": StatusActive, "host": res.Host, "port": res.Port, "username": res.Username, "expires_at": exp}})
	})
	return proxyOf(row), err
}

// GetProxy returns a proxy; one outside scope is ErrProxyNotFound.
func (s *Service) GetProxy(ctx context.Context, scope accounts.Scope, id int64) (_ Proxy, err error) {
	defer wrap(&err, "get proxy %d", id)
	r, err := s.db.LumiGetProxy(ctx, id)
	if db.IsNotFound(err) {
		return Proxy{}, ErrProxyNotFound
	}
	if err != nil {
		return Proxy{}, err
	}
	if err := owned(scope, r.AccountID, ErrProxyNotFound); err != nil {
		return Proxy{}, err
	}
	return proxyOf(r), nil
}

// proxyParams are the list query's params of a filter (no position): ListProxies
// and CountProxies read a filter through it, so they agree.
func proxyParams(f ListFilter) store.LumiListProxiesParams {
	return store.LumiListProxiesParams{AccountID: f.Scope.Filter(), Status: f.Status, Q: strings.TrimSpace(f.Query), RenewalFailed: f.RenewalFailed}
}

// CountProxies counts the proxies of a filter up to limitTo (listcount.Cap when
// below 1), for the console list's "1,234 proxies".
func (s *Service) CountProxies(ctx context.Context, f ListFilter, limitTo int) (_ listcount.Count, err error) {
	defer wrap(&err, "count proxies")
	p := proxyParams(f)
	return countItems(ctx, f, limitTo, func(ctx context.Context, lim int32) (int64, error) {
		if f.Sort == SortExpires { // that order lists only items with an expiry
			return s.db.LumiCountProxiesByExpiry(ctx, store.LumiCountProxiesByExpiryParams{AccountID: p.AccountID, Status: p.Status,
				Q: p.Q, RenewalFailed: p.RenewalFailed, Lim: lim})
		}
		p.Lim = lim
		return s.db.LumiCountProxies(ctx, store.LumiCountProxiesParams(p))
	})
}

// ListProxies is one page of proxies, newest first.
func (s *Service) ListProxies(ctx context.Context, f ListFilter) (_ Page[Proxy], err error) {
	defer wrap(&err, "list proxies")
	q := strings.TrimSpace(f.Query)
	return listItems(f, func(cur cursor, lim int32) ([]store.LumiProxy, error) {
		if f.Sort == SortExpires {
			return s.db.LumiListProxiesByExpiry(ctx, store.LumiListProxiesByExpiryParams{AccountID: f.Scope.Filter(), Status: f.Status,
				Q: q, RenewalFailed: f.RenewalFailed, AfterExpires: cur.expires, AfterID: cur.id, Lim: lim})
		}
		p := proxyParams(f)
		p.Before, p.Lim = cur.id, lim
		return s.db.LumiListProxies(ctx, p)
	}, proxyOf, func(p Proxy) (*time.Time, int64) { return p.ExpiresAt, p.ID })
}

// RenewProxy extends a proxy by months, paid from the balance.
func (s *Service) RenewProxy(ctx context.Context, actor audit.Actor, accountID, id int64, months int, idemKey string) (Proxy, error) {
	return s.renewProxy(ctx, actor, accounts.Only(accountID), id, months, idemKey, nil)
}

func (s *Service) renewProxy(ctx context.Context, actor audit.Actor, scope accounts.Scope, id int64, months int, idemKey string, expect *time.Time) (_ Proxy, err error) {
	defer wrap(&err, "renew proxy %d", id)
	ctx = context.WithoutCancel(ctx) // money moved: finish (and refund on failure) even if the client goes away
	return renewItem(ctx, s, actor, scope, id, idemKey, expect, renewal[store.LumiProxy, Proxy]{
		product: ProductProxy, notFound: ErrProxyNotFound, months: months,
		checkTerm: func(verr ValidationError) { checkMonths(verr, months) },
		lock:      func(q *store.Queries) (store.LumiProxy, error) { return q.LumiLockProxy(ctx, id) },
		state: func(r store.LumiProxy) itemState {
			return itemState{AccountID: r.AccountID, ExpiresAt: r.ExpiresAt, Status: r.Status, AutoRenew: r.AutoRenew}
		},
		quote: func(q *store.Queries, before store.LumiProxy) (money.Cents, string, error) {
			amt, err := s.renewPlanPrice(ctx, q, ProductProxy, before.Plan, months)
			return amt, fmt.Sprintf("Renewal of proxy #%d, %s", id, plural.Of(months, "month", "months")), err
		},
		setExpiry: func(q *store.Queries, exp time.Time) (store.LumiProxy, error) {
			return q.LumiSetProxyExpiry(ctx, store.LumiSetProxyExpiryParams{ID: id, ExpiresAt: &exp})
		},
		restore: func(q *store.Queries, before store.LumiProxy) (store.LumiProxy, error) {
			return q.LumiRestoreProxyExpiry(ctx, store.LumiRestoreProxyExpiryParams{ID: id, ExpiresAt: before.ExpiresAt, Status: before.Status})
		},
		provider:   func(r store.LumiProxy) error { return s.prov.RenewProxy(ctx, r.ProviderRef, months) },
		failReason: func(store.LumiProxy) string { return "Proxy renewal failed: " },
		view: func(r store.LumiProxy, replayed bool) Proxy {
			p := proxyOf(r)
			p.Replayed = replayed
			return p
		},
	})
}

func (s *Service) changeProxy(ctx context.Context, actor audit.Actor, scope accounts.Scope, id int64, action string,
	fn func(q *store.Queries, p store.LumiProxy) (store.LumiProxy, error)) (Proxy, error) {
	var row store.LumiProxy
	err := s.tx(ctx, func(q *store.Queries) error {
		before, err := q.LumiLockProxy(ctx, id)
		if db.IsNotFound(err) {
			return ErrProxyNotFound
		}
		if err != nil {
			return err
		}
		if err := owned(scope, before.AccountID, ErrProxyNotFound); err != nil {
			return err
		}
		if before.Status != StatusActive && before.Status != StatusExpired {
			return ErrNotActive
		}
		if row, err = fn(q, before); err != nil {
			return err
		}
		return audit.Record(ctx, q, actor, audit.Event{Action: action, EntityType: ProductProxy, EntityID: idStr(id), Reason: reasonOf(ctx),
			Before: map[string]any{"allow_ips": before.AllowIps, "auto_renew": before.AutoRenew},
			After:  map[string]any{"allow_ips": row.AllowIps, "auto_renew": row.AutoRenew}})
	})
	if err != nil {
		return Proxy{}, err
	}
	return proxyOf(row), nil
}

// SetProxyAllowList replaces the IPs (or CIDR ranges) allowed to use the proxy.
func (s *Service) SetProxyAllowList(ctx context.Context, actor audit.Actor, scope accounts.Scope, id int64, ips []string) (_ Proxy, err error) {
	defer wrap(&err, "set allow list of proxy %d", id)
	ips, err = NormalizeAllowList(ips)
	if err != nil {
		return Proxy{}, err
	}
	return s.changeProxy(ctx, actor, scope, id, "proxy.set_allow_list", func(q *store.Queries, p store.LumiProxy) (store.LumiProxy, error) {
		if err := s.prov.SetProxyAllowList(ctx, p.ProviderRef, ips); err != nil {
			return p, &ProvisionError{Op: "set_allow_list", Err: err}
		}
		return q.LumiSetProxyAllowList(ctx, store.LumiSetProxyAllowListParams{ID: p.ID, AllowIps: ips})
	})
}

// SetProxyAutoRenew turns auto-renewal of a proxy on or off.
func (s *Service) SetProxyAutoRenew(ctx context.Context, actor audit.Actor, scope accounts.Scope, id int64, on bool) (_ Proxy, err error) {
	defer wrap(&err, "set auto-renew of proxy %d", id)
	return s.changeProxy(ctx, actor, scope, id, "proxy.set_auto_renew", func(q *store.Queries, p store.LumiProxy) (store.LumiProxy, error) {
		return q.LumiSetProxyAutoRenew(ctx, store.LumiSetProxyAutoRenewParams{ID: p.ID, AutoRenew: on})
	})
}

// RevealProxyPassword opens the sealed proxy password; audited.
func (s *Service) RevealProxyPassword(ctx context.Context, actor audit.Actor, scope accounts.Scope, id int64) (_ string, err error) {
	defer wrap(&err, "reveal password of proxy %d", id)
	var pw string
	err = s.tx(ctx, func(q *store.Queries) error {
		p, err := q.LumiLockProxy(ctx, id)
		if db.IsNotFound(err) {
			return ErrProxyNotFound
		}
		if err != nil {
			return err
		}
		if err := owned(scope, p.AccountID, ErrProxyNotFound); err != nil {
			return err
		}
		if len(p.PasswordSealed) == 0 || s.box == nil {
			return ErrNotActive
		}
		b, err := s.box.Open(p.PasswordSealed, proxySealContext)
		if err != nil {
			return fmt.Errorf("open proxy password: %w", err)
		}
		pw = string(b)
		return audit.Record(ctx, q, actor, audit.Event{Action: "proxy.password_reveal", EntityType: ProductProxy, EntityID: idStr(id), Reason: reasonOf(ctx)})
	})
	return pw, err
}
