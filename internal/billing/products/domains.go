package products

import (
	"context"
	"errors"
	"fmt"
	"net"
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

// DefaultNameservers are used when a purchase names none.
var DefaultNameservers = []string{"ns1.lumi-dns.net", "ns2.lumi-dns.net"}

// Domain is a registered (or pending, expired, failed) domain.
type Domain struct {
	ID                  int64      `json:"id"`
	AccountID           int64      `json:"account_id"`
	Name                string     `json:"name"`
	Status              string     `json:"status"`
	ExpiresAt           *time.Time `json:"expires_at"`
	AutoRenew           bool       `json:"auto_renew"`
	Locked              bool       `json:"locked"`
	Privacy             bool       `json:"privacy"`
	Nameservers         []string   `json:"nameservers"`
	RegistrarRef        string     `json:"-"`
	RenewalFailedAt     *time.Time `json:"renewal_failed_at"`
	RenewalFailedReason string     `json:"renewal_failed_reason,omitempty"`
	Failure             string     `json:"failure,omitempty"`
	CreatedAt           time.Time  `json:"created_at"`
	UpdatedAt           time.Time  `json:"updated_at"`
	// Replayed: an earlier purchase or renewal with the same idempotency key
	// is returned; nothing was charged now.
	Replayed bool `json:"-"`
}

func utcPtr(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	u := t.UTC()
	return &u
}

func domainOf(r store.LumiDomain) Domain {
	ns := r.Nameservers
	if ns == nil {
		ns = []string{}
	}
	return Domain{ID: r.ID, AccountID: r.AccountID, Name: r.Name, Status: r.Status, ExpiresAt: utcPtr(r.ExpiresAt),
		AutoRenew: r.AutoRenew, Locked: r.Locked, Privacy: r.Privacy, Nameservers: ns, RegistrarRef: r.RegistrarRef,
		RenewalFailedAt: utcPtr(r.RenewalFailedAt), RenewalFailedReason: r.RenewalFailedReason, Failure: r.Failure,
		CreatedAt: r.CreatedAt.UTC(), UpdatedAt: r.UpdatedAt.UTC()}
}

// TLD is the part after the first dot.
func (d Domain) TLD() string {
	if i := strings.IndexByte(d.Name, '.'); i >= 0 {
		return d.Name[i+1:]
	}
	return ""
}

// BuyDomainInput is one domain purchase.
type BuyDomainInput struct {
	AccountID      int64
	Domain         string
	Years          int
	AutoRenew      bool
	Nameservers    []string // empty: DefaultNameservers
	IdempotencyKey string
}

// NormalizeDomain lower-cases and checks a domain name; it returns the name
// and its TLD (everything after the first label).
func NormalizeDomain(s string) (name, tld string, ok bool) {
	name = strings.TrimSuffix(strings.ToLower(strings.TrimSpace(s)), ".")
	if len(name) < 3 || len(name) > 253 {
		return name, "", false
	}
	labels := strings.Split(name, ".")
	if len(labels) < 2 {
		return name, "", false
	}
	for _, l := range labels {
		if !hostLabel(l) {
			return name, "", false
		}
	}
	// No top-level domain is all digits (RFC 3696, 2): "1.2.3.4" is an
	// address, which no registrar takes as a name or a nameserver.
	if !strings.ContainsFunc(labels[len(labels)-1], func(r rune) bool { return r >= 'a' && r <= 'z' }) {
		return name, "", false
	}
	return name, strings.Join(labels[1:], "."), true
}

func hostLabel(l string) bool {
	if len(l) == 0 || len(l) > 63 || l[0] == '-' || l[len(l)-1] == '-' {
		return false
	}
	for _, r := range l {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-') {
			return false
		}
	}
	return true
}

// NormalizeNameservers checks a nameserver list: 2 to 13 host names, no
// duplicates; empty stays empty.
func NormalizeNameservers(in []string) ([]string, error) {
	out := []string{}
	for _, n := range in {
		n = strings.TrimSuffix(strings.ToLower(strings.TrimSpace(n)), ".")
		if n == "" {
			continue
		}
		if _, _, ok := NormalizeDomain(n); !ok {
			if net.ParseIP(n) != nil {
				return nil, ValidationError{"nameservers": fmt.Sprintf("%q is an IP address: give the nameserver's host name.", truncate(n, 60))}
			}
			return nil, ValidationError{"nameservers": fmt.Sprintf("%q is not a host name.", truncate(n, 60))}
		}
		if contains(out, n) {
			return nil, ValidationError{"nameservers": "Each nameserver once, please."}
		}
		out = append(out, n)
	}
	if len(out) == 1 || len(out) > MaxNameservers {
		return nil, ValidationError{"nameservers": "Give 2 to 13 nameservers."}
	}
	return out, nil
}

func (s *Service) domainReplay(ctx context.Context, accountID int64, key, name string) (_ Domain, err error) {
	defer wrap(&err, "replay domain purchase %q", key)
	r, err := s.db.LumiDomainByIdempotencyKey(ctx, store.LumiDomainByIdempotencyKeyParams{AccountID: accountID, IdempotencyKey: &key})
	if err != nil {
		return Domain{}, err
	}
	if r.Name != name {
		return Domain{}, ErrIdempotencyMismatch
	}
	d := domainOf(r)
	d.Replayed = true
	if d.Status == StatusFailed {
		return d, &ProvisionError{Op: "register", Err: errors.New(d.Failure), Refunded: true}
	}
	return d, nil
}

// BuyDomain registers a domain for the account, paid from its balance.
// Errors: ValidationError, ErrAccountNotFound, ErrDomainTaken,
// ErrInsufficientFunds (nothing written), *ProvisionError (registrar failed;
// refunded, domain marked failed), ErrIdempotencyMismatch.
func (s *Service) BuyDomain(ctx context.Context, actor audit.Actor, in BuyDomainInput) (_ Domain, err error) {
	defer wrap(&err, "buy domain %s for account %d", in.Domain, in.AccountID)
	ctx = context.WithoutCancel(ctx) // money moved: finish (and refund on failure) even if the client goes away
	verr := ValidationError{}
	name, tld, ok := NormalizeDomain(in.Domain)
	if !ok {
		verr["domain"] = "Enter a domain name like example.com."
	}
	if in.Years < 1 || in.Years > MaxYears {
		verr["years"] = "Register for 1 to 10 years."
	}
	ns, err := NormalizeNameservers(in.Nameservers)
	if err != nil {
		verr["nameservers"] = err.(ValidationError)["nameservers"]
	}
	if len(ns) == 0 {
		ns = DefaultNameservers
	}
	checkKey(verr, in.IdempotencyKey)
	var p TLDPrice
	if ok {
		var found bool
		if p, found, err = s.tldPrice(ctx, s.db.Queries, tld); err != nil {
			return Domain{}, err
		} else if !found {
			verr["domain"] = "Lumi does not sell ." + tld + " domains."
		}
	}
	if len(verr) > 0 {
		return Domain{}, verr
	}
	if in.IdempotencyKey != "" {
		if d, err := s.domainReplay(ctx, in.AccountID, in.IdempotencyKey, name); err == nil || !db.IsNotFound(err) {
			return d, err
		}
	}
	avail, err := s.reg.Check(ctx, name)
	if err != nil {
		return Domain{}, &ProvisionError{Op: "check", Err: err}
	}
	if !avail {
		return Domain{}, ErrDomainTaken
	}
	amount := price(p.Register, in.Years)
	var row store.LumiDomain
	var entry billing.LedgerEntry
	err = s.tx(ctx, func(q *store.Queries) error {
		var err error
		row, err = q.LumiInsertDomain(ctx, store.LumiInsertDomainParams{AccountID: in.AccountID, Name: name,
			AutoRenew: in.AutoRenew, Nameservers: ns, IdempotencyKey: keyPtr(in.IdempotencyKey)})
		if db.IsUniqueViolation(err, "lumi_domains_idem") {
			return errReplay
		}
		if db.IsUniqueViolation(err, "lumi_domains_name") {
			return ErrDomainTaken
		}
		if err != nil {
			return wrapAccount(err)
		}
		entry, err = s.billing.DebitTx(ctx, q, actor, billing.DebitInput{AccountID: in.AccountID, Amount: amount,
			Kind: billing.KindPurchase, CauseType: ProductDomain, CauseID: idStr(row.ID), IdempotencyKey: in.IdempotencyKey,
			Reason: "Domain " + name + ", " + plural.Of(in.Years, "year", "years")})
		if err != nil {
			return err
		}
		return audit.Record(ctx, q, actor, audit.Event{Action: "domain.buy", EntityType: ProductDomain, EntityID: idStr(row.ID),
			After: map[string]any{"account_id": in.AccountID, "name": name, "years": in.Years, "price": amount.String(),
				"ledger_entry_id": entry.ID, "auto_renew": in.AutoRenew, "nameservers": ns}})
	})
	if errors.Is(err, errReplay) {
		return s.domainReplay(ctx, in.AccountID, in.IdempotencyKey, name)
	}
	if err != nil {
		return Domain{}, mapBillingErr(err)
	}
	ref, rerr := s.reg.Register(ctx, RegisterRequest{Name: name, Years: in.Years, Nameservers: ns, Locked: row.Locked, Privacy: row.Privacy})
	if rerr != nil {
		err := s.failPurchase(ctx, actor, ProductDomain, row.ID, entry.ID, amount, "register", "Registration of "+name+" failed: ", rerr, func(q *store.Queries) error {
			if _, err := q.LumiLockDomain(ctx, row.ID); err != nil {
				return err
			}
			var err error
			row, err = q.LumiFailDomain(ctx, store.LumiFailDomainParams{ID: row.ID, Failure: errText(rerr)})
			return err
		})
		return domainOf(row), err
	}
	exp := s.clock().AddDate(in.Years, 0, 0)
	err = s.tx(ctx, func(q *store.Queries) error {
		var err error
		row, err = q.LumiActivateDomain(ctx, store.LumiActivateDomainParams{ID: row.ID, ExpiresAt: &exp, RegistrarRef: ref})
		if err != nil {
			return err
		}
		return audit.Record(ctx, q, actor, audit.Event{Action: "domain.activate", EntityType: ProductDomain, EntityID: idStr(row.ID),
			After: map[string]any{"status": StatusActive, "expires_at": exp}})
	})
	return domainOf(row), err
}

var errReplay = errors.New("replay")

// mapBillingErr turns billing's not-found (the account) into ours.
func mapBillingErr(err error) error {
	if errors.Is(err, billing.ErrNotFound) {
		return ErrAccountNotFound
	}
	return err
}

// GetDomain returns a domain; one outside scope is ErrDomainNotFound.
func (s *Service) GetDomain(ctx context.Context, scope accounts.Scope, id int64) (_ Domain, err error) {
	defer wrap(&err, "get domain %d", id)
	r, err := s.db.LumiGetDomain(ctx, id)
	if db.IsNotFound(err) {
		return Domain{}, ErrDomainNotFound
	}
	if err != nil {
		return Domain{}, err
	}
	if err := owned(scope, r.AccountID, ErrDomainNotFound); err != nil {
		return Domain{}, err
	}
	return domainOf(r), nil
}

// domainParams are the list query's params of a filter (no position): ListDomains
// and CountDomains read a filter through it, so they agree.
func domainParams(f ListFilter) store.LumiListDomainsParams {
	return store.LumiListDomainsParams{AccountID: f.Scope.Filter(), Status: f.Status, Q: strings.ToLower(strings.TrimSpace(f.Query)), RenewalFailed: f.RenewalFailed}
}

// CountDomains counts the domains of a filter up to limitTo (listcount.Cap when
// below 1), for the console list's "1,234 domains".
func (s *Service) CountDomains(ctx context.Context, f ListFilter, limitTo int) (_ listcount.Count, err error) {
	defer wrap(&err, "count domains")
	p := domainParams(f)
	return countItems(ctx, f, limitTo, func(ctx context.Context, lim int32) (int64, error) {
		if f.Sort == SortExpires { // that order lists only items with an expiry
			return s.db.LumiCountDomainsByExpiry(ctx, store.LumiCountDomainsByExpiryParams{AccountID: p.AccountID, Status: p.Status,
				Q: p.Q, RenewalFailed: p.RenewalFailed, Lim: lim})
		}
		p.Lim = lim
		return s.db.LumiCountDomains(ctx, store.LumiCountDomainsParams(p))
	})
}

// ListDomains is one page of domains, newest first.
func (s *Service) ListDomains(ctx context.Context, f ListFilter) (_ Page[Domain], err error) {
	defer wrap(&err, "list domains")
	q := strings.ToLower(strings.TrimSpace(f.Query))
	return listItems(f, func(cur cursor, lim int32) ([]store.LumiDomain, error) {
		if f.Sort == SortExpires {
			return s.db.LumiListDomainsByExpiry(ctx, store.LumiListDomainsByExpiryParams{AccountID: f.Scope.Filter(), Status: f.Status,
				Q: q, RenewalFailed: f.RenewalFailed, AfterExpires: cur.expires, AfterID: cur.id, Lim: lim})
		}
		p := domainParams(f)
		p.Before, p.Lim = cur.id, lim
		return s.db.LumiListDomains(ctx, p)
	}, domainOf, func(d Domain) (*time.Time, int64) { return d.ExpiresAt, d.ID })
}

// RenewDomain extends a domain by years, paid from the account's balance.
// A repeat with the same idemKey returns the domain (Replayed) and charges
// nothing.
func (s *Service) RenewDomain(ctx context.Context, actor audit.Actor, accountID, domainID int64, years int, idemKey string) (Domain, error) {
	return s.renewDomain(ctx, actor, accounts.Only(accountID), domainID, years, idemKey, nil)
}

// renewDomain: expect set (auto-renew) skips a domain whose expiry moved
// since it was found due (another process renewed it).
func (s *Service) renewDomain(ctx context.Context, actor audit.Actor, scope accounts.Scope, id int64, years int, idemKey string, expect *time.Time) (_ Domain, err error) {
	defer wrap(&err, "renew domain %d", id)
	ctx = context.WithoutCancel(ctx) // money moved: finish (and refund on failure) even if the client goes away
	return renewItem(ctx, s, actor, scope, id, idemKey, expect, renewal[store.LumiDomain, Domain]{
		product: ProductDomain, notFound: ErrDomainNotFound, years: years,
		checkTerm: func(verr ValidationError) {
			if years < 1 || years > MaxYears {
				verr["years"] = "Renew for 1 to 10 years."
			}
		},
		lock: func(q *store.Queries) (store.LumiDomain, error) { return q.LumiLockDomain(ctx, id) },
		state: func(r store.LumiDomain) itemState {
			return itemState{AccountID: r.AccountID, ExpiresAt: r.ExpiresAt, Status: r.Status, AutoRenew: r.AutoRenew}
		},
		quote: func(q *store.Queries, before store.LumiDomain) (money.Cents, string, error) {
			_, tld, _ := NormalizeDomain(before.Name)
			p, found, err := s.tldPrice(ctx, q, tld)
			if err != nil {
				return 0, "", err
			}
			if !found {
				return 0, "", ValidationError{"domain": "Lumi no longer sells ." + tld + " domains."}
			}
			return price(p.Renew, years), "Renewal of " + before.Name + ", " + plural.Of(years, "year", "years"), nil
		},
		setExpiry: func(q *store.Queries, exp time.Time) (store.LumiDomain, error) {
			return q.LumiSetDomainExpiry(ctx, store.LumiSetDomainExpiryParams{ID: id, ExpiresAt: &exp})
		},
		restore: func(q *store.Queries, before store.LumiDomain) (store.LumiDomain, error) {
			return q.LumiRestoreDomainExpiry(ctx, store.LumiRestoreDomainExpiryParams{ID: id, ExpiresAt: before.ExpiresAt, Status: before.Status})
		},
		provider:      func(r store.LumiDomain) error { return s.reg.Renew(ctx, r.Name, years) },
		failReason:    func(r store.LumiDomain) string { return "Renewal of " + r.Name + " failed: " },
		auditRefunded: true,
		view: func(r store.LumiDomain, replayed bool) Domain {
			d := domainOf(r)
			d.Replayed = replayed
			return d
		},
	})
}

var errSkipped = errors.New("skipped: renewed meanwhile")

// extend adds years and months to the later of now and the current expiry.
func extend(now time.Time, cur *time.Time, years, months int) time.Time {
	base := now
	if cur != nil && cur.After(now) {
		base = cur.UTC()
	}
	return base.AddDate(years, months, 0)
}

// changeDomain locks an active domain, calls apply (registrar call and
// update), and audits action.
func (s *Service) changeDomain(ctx context.Context, actor audit.Actor, scope accounts.Scope, id int64, action string,
	apply func(q *store.Queries, d store.LumiDomain) (store.LumiDomain, error)) (Domain, error) {
	var row store.LumiDomain
	err := s.tx(ctx, func(q *store.Queries) error {
		before, err := q.LumiLockDomain(ctx, id)
		if db.IsNotFound(err) {
			return ErrDomainNotFound
		}
		if err != nil {
			return err
		}
		if err := owned(scope, before.AccountID, ErrDomainNotFound); err != nil {
			return err
		}
		if before.Status != StatusActive && before.Status != StatusExpired {
			return ErrNotActive
		}
		row, err = apply(q, before)
		if err != nil {
			return err
		}
		return audit.Record(ctx, q, actor, audit.Event{Action: action, EntityType: ProductDomain, EntityID: idStr(id), Reason: reasonOf(ctx),
			Before: settingsOf(before), After: settingsOf(row)})
	})
	if err != nil {
		return Domain{}, err
	}
	return domainOf(row), nil
}

func settingsOf(d store.LumiDomain) map[string]any {
	return map[string]any{"nameservers": d.Nameservers, "locked": d.Locked, "privacy": d.Privacy, "auto_renew": d.AutoRenew}
}

func updateSettings(ctx context.Context, q *store.Queries, d store.LumiDomain) (store.LumiDomain, error) {
	return q.LumiUpdateDomainSettings(ctx, store.LumiUpdateDomainSettingsParams{ID: d.ID, Nameservers: d.Nameservers,
		Locked: d.Locked, Privacy: d.Privacy, AutoRenew: d.AutoRenew})
}

// SetNameservers replaces a domain's nameservers (2 to 13 host names).
func (s *Service) SetNameservers(ctx context.Context, actor audit.Actor, scope accounts.Scope, id int64, ns []string) (_ Domain, err error) {
	defer wrap(&err, "set nameservers of domain %d", id)
	ns, err = NormalizeNameservers(ns)
	if err != nil {
		return Domain{}, err
	}
	if len(ns) == 0 {
		return Domain{}, ValidationError{"nameservers": "Give 2 to 13 nameservers."}
	}
	return s.changeDomain(ctx, actor, scope, id, "domain.set_nameservers", func(q *store.Queries, d store.LumiDomain) (store.LumiDomain, error) {
		if err := s.reg.SetNameservers(ctx, d.Name, ns); err != nil {
			return d, &ProvisionError{Op: "set_nameservers", Err: err}
		}
		d.Nameservers = ns
		return updateSettings(ctx, q, d)
	})
}

// SetLock turns the registrar transfer lock on or off.
func (s *Service) SetLock(ctx context.Context, actor audit.Actor, scope accounts.Scope, id int64, locked bool) (_ Domain, err error) {
	defer wrap(&err, "set lock of domain %d", id)
	return s.changeDomain(ctx, actor, scope, id, "domain.set_lock", func(q *store.Queries, d store.LumiDomain) (store.LumiDomain, error) {
		if err := s.reg.SetLock(ctx, d.Name, locked); err != nil {
			return d, &ProvisionError{Op: "set_lock", Err: err}
		}
		d.Locked = locked
		return updateSettings(ctx, q, d)
	})
}

// SetPrivacy turns WHOIS privacy on or off.
func (s *Service) SetPrivacy(ctx context.Context, actor audit.Actor, scope accounts.Scope, id int64, on bool) (_ Domain, err error) {
	defer wrap(&err, "set privacy of domain %d", id)
	return s.changeDomain(ctx, actor, scope, id, "domain.set_privacy", func(q *store.Queries, d store.LumiDomain) (store.LumiDomain, error) {
		if err := s.reg.SetPrivacy(ctx, d.Name, on); err != nil {
			return d, &ProvisionError{Op: "set_privacy", Err: err}
		}
		d.Privacy = on
		return updateSettings(ctx, q, d)
	})
}

// SetAutoRenew turns auto-renewal on or off.
func (s *Service) SetAutoRenew(ctx context.Context, actor audit.Actor, scope accounts.Scope, id int64, on bool) (_ Domain, err error) {
	defer wrap(&err, "set auto-renew of domain %d", id)
	return s.changeDomain(ctx, actor, scope, id, "domain.set_auto_renew", func(q *store.Queries, d store.LumiDomain) (store.LumiDomain, error) {
		d.AutoRenew = on
		return updateSettings(ctx, q, d)
	})
}

// RevealEPP fetches the transfer code from the registrar; the reveal is
// audited (the code itself is not written anywhere).
func (s *Service) RevealEPP(ctx context.Context, actor audit.Actor, scope accounts.Scope, id int64) (_ string, err error) {
	defer wrap(&err, "reveal EPP code of domain %d", id)
	var code string
	err = s.tx(ctx, func(q *store.Queries) error {
		d, err := q.LumiLockDomain(ctx, id)
		if db.IsNotFound(err) {
			return ErrDomainNotFound
		}
		if err != nil {
			return err
		}
		if err := owned(scope, d.AccountID, ErrDomainNotFound); err != nil {
			return err
		}
		if d.Status != StatusActive {
			return ErrNotActive
		}
		if code, err = s.reg.GetEPP(ctx, d.Name); err != nil {
			return &ProvisionError{Op: "get_epp", Err: err}
		}
		return audit.Record(ctx, q, actor, audit.Event{Action: "domain.epp_reveal", EntityType: ProductDomain, EntityID: idStr(id), Reason: reasonOf(ctx),
			After: map[string]any{"name": d.Name}})
	})
	return code, err
}
