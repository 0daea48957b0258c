package products

import (
	"context"
	"errors"
	"fmt"
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

// VPS power actions and states.
const (
	PowerStart   = "start"
	PowerStop    = "stop"
	PowerReboot  = "reboot"
	PowerRunning = "running"
	PowerStopped = "stopped"
)

// VPS is a virtual server.
type VPS struct {
	ID                  int64      `json:"id"`
	AccountID           int64      `json:"account_id"`
	Plan                string     `json:"plan"`
	Hostname            string     `json:"hostname"`
	Status              string     `json:"status"`
	Power               string     `json:"power"`
	IP                  string     `json:"ip"`
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

func vpsOf(r store.LumiVp) VPS {
	return VPS{ID: r.ID, AccountID: r.AccountID, Plan: r.Plan, Hostname: r.Hostname, Status: r.Status, Power: r.Power,
		IP: r.Ip, ProviderRef: r.ProviderRef, ExpiresAt: utcPtr(r.ExpiresAt), AutoRenew: r.AutoRenew,
		RenewalFailedAt: utcPtr(r.RenewalFailedAt), RenewalFailedReason: r.RenewalFailedReason, Failure: r.Failure,
		CreatedAt: r.CreatedAt.UTC(), UpdatedAt: r.UpdatedAt.UTC()}
}

// BuyVPSInput is one VPS purchase.
type BuyVPSInput struct {
	AccountID      int64
	Plan           string
	Months         int
	Hostname       string // optional; default vps-<id>
	AutoRenew      bool
	IdempotencyKey string
}

func checkMonths(verr ValidationError, months int) {
	if months < 1 || months > MaxMonths {
		verr["months"] = "Choose 1 to 36 months."
	}
}

func (s *Service) vpsReplay(ctx context.Context, in BuyVPSInput) (_ VPS, err error) {
	defer wrap(&err, "replay VPS purchase %q", in.IdempotencyKey)
	r, err := s.db.LumiVPSByIdempotencyKey(ctx, store.LumiVPSByIdempotencyKeyParams{AccountID: in.AccountID, IdempotencyKey: &in.IdempotencyKey})
	if err != nil {
		return VPS{}, err
	}
	if r.Plan != in.Plan {
		return VPS{}, ErrIdempotencyMismatch
	}
	v := vpsOf(r)
	v.Replayed = true
	if v.Status == StatusFailed {
		return v, &ProvisionError{Op: "create_vps", Err: errors.New(v.Failure), Refunded: true}
	}
	return v, nil
}

// BuyVPS creates a server on a plan for months, paid from the balance.
func (s *Service) BuyVPS(ctx context.Context, actor audit.Actor, in BuyVPSInput) (_ VPS, err error) {
	defer wrap(&err, "buy VPS for account %d", in.AccountID)
	ctx = context.WithoutCancel(ctx) // money moved: finish (and refund on failure) even if the client goes away
	verr := ValidationError{}
	in.Plan = strings.TrimSpace(in.Plan)
	in.Hostname = strings.ToLower(strings.TrimSpace(in.Hostname))
	checkMonths(verr, in.Months)
	checkKey(verr, in.IdempotencyKey)
	if in.Hostname != "" && (len(in.Hostname) > 63 || !hostLabel(in.Hostname)) {
		verr["hostname"] = "A hostname is letters, digits and hyphens (at most 63)."
	}
	p, found, err := s.planPrice(ctx, s.db.Queries, ProductVPS, in.Plan)
	if err != nil {
		return VPS{}, err
	}
	if !found {
		verr["plan"] = "Choose a VPS plan from the catalogue."
	}
	if len(verr) > 0 {
		return VPS{}, verr
	}
	if in.IdempotencyKey != "" {
		if v, err := s.vpsReplay(ctx, in); err == nil || !db.IsNotFound(err) {
			return v, err
		}
	}
	amount := price(p.Monthly, in.Months)
	var row store.LumiVp
	var entry billing.LedgerEntry
	err = s.tx(ctx, func(q *store.Queries) error {
		var err error
		row, err = q.LumiInsertVPS(ctx, store.LumiInsertVPSParams{AccountID: in.AccountID, Plan: in.Plan, Hostname: in.Hostname,
			AutoRenew: in.AutoRenew, IdempotencyKey: keyPtr(in.IdempotencyKey)})
		if db.IsUniqueViolation(err, "lumi_vps_idem") {
			return errReplay
		}
		if err != nil {
			return wrapAccount(err)
		}
		entry, err = s.billing.DebitTx(ctx, q, actor, billing.DebitInput{AccountID: in.AccountID, Amount: amount,
			Kind: billing.KindPurchase, CauseType: ProductVPS, CauseID: idStr(row.ID), IdempotencyKey: in.IdempotencyKey,
			Reason: "VPS " + in.Plan + ", " + plural.Of(in.Months, "month", "months")})
		if err != nil {
			return err
		}
		return audit.Record(ctx, q, actor, audit.Event{Action: "vps.buy", EntityType: ProductVPS, EntityID: idStr(row.ID),
			After: map[string]any{"account_id": in.AccountID, "plan": in.Plan, "months": in.Months, "price": amount.String(),
				"ledger_entry_id": entry.ID, "auto_renew": in.AutoRenew}})
	})
	if errors.Is(err, errReplay) {
		return s.vpsReplay(ctx, in)
	}
	if err != nil {
		return VPS{}, mapBillingErr(err)
	}
	host := in.Hostname
	if host == "" {
		host = fmt.Sprintf("vps-%d", row.ID)
	}
	res, perr0 := s.prov.CreateVPS(ctx, VPSRequest{ID: row.ID, Plan: in.Plan, Hostname: host, Months: in.Months})
	if perr0 != nil {
		err := s.failPurchase(ctx, actor, ProductVPS, row.ID, entry.ID, amount, "create_vps", "VPS creation failed: ", perr0, func(q *store.Queries) error {
			if _, err := q.LumiLockVPS(ctx, row.ID); err != nil {
				return err
			}
			var err error
			row, err = q.LumiFailVPS(ctx, store.LumiFailVPSParams{ID: row.ID, Failure: errText(perr0)})
			return err
		})
		return vpsOf(row), err
	}
	exp := s.clock().AddDate(0, in.Months, 0)
	err = s.tx(ctx, func(q *store.Queries) error {
		var err error
		row, err = q.LumiActivateVPS(ctx, store.LumiActivateVPSParams{ID: row.ID, ExpiresAt: &exp, ProviderRef: res.Ref, Ip: res.IP})
		if err != nil {
			return err
		}
		return audit.Record(ctx, q, actor, audit.Event{Action: "vps.activate", EntityType: ProductVPS, EntityID: idStr(row.ID),
			After: map[string]any{"status": StatusActive, "ip": res.IP, "expires_at": exp}})
	})
	if err == nil && row.Hostname == "" {
		row.Hostname = host
	}
	return vpsOf(row), err
}

// GetVPS returns a server; one outside scope is ErrVPSNotFound.
func (s *Service) GetVPS(ctx context.Context, scope accounts.Scope, id int64) (_ VPS, err error) {
	defer wrap(&err, "get VPS %d", id)
	r, err := s.db.LumiGetVPS(ctx, id)
	if db.IsNotFound(err) {
		return VPS{}, ErrVPSNotFound
	}
	if err != nil {
		return VPS{}, err
	}
	if err := owned(scope, r.AccountID, ErrVPSNotFound); err != nil {
		return VPS{}, err
	}
	return vpsOf(r), nil
}

// vpsParams are the list query's params of a filter (no position): ListVPS
// and CountVPS read a filter through it, so they agree.
func vpsParams(f ListFilter) store.LumiListVPSParams {
	return store.LumiListVPSParams{AccountID: f.Scope.Filter(), Status: f.Status, Q: strings.ToLower(strings.TrimSpace(f.Query)), RenewalFailed: f.RenewalFailed}
}

// CountVPS counts the VPS of a filter up to limitTo (listcount.Cap when
// below 1), for the console list's "1,234 VPS".
func (s *Service) CountVPS(ctx context.Context, f ListFilter, limitTo int) (_ listcount.Count, err error) {
	defer wrap(&err, "count VPS")
	p := vpsParams(f)
	return countItems(ctx, f, limitTo, func(ctx context.Context, lim int32) (int64, error) {
		if f.Sort == SortExpires { // that order lists only items with an expiry
			return s.db.LumiCountVPSByExpiry(ctx, store.LumiCountVPSByExpiryParams{AccountID: p.AccountID, Status: p.Status,
				Q: p.Q, RenewalFailed: p.RenewalFailed, Lim: lim})
		}
		p.Lim = lim
		return s.db.LumiCountVPS(ctx, store.LumiCountVPSParams(p))
	})
}

// ListVPS is one page of servers, newest first.
func (s *Service) ListVPS(ctx context.Context, f ListFilter) (_ Page[VPS], err error) {
	defer wrap(&err, "list VPS")
	q := strings.ToLower(strings.TrimSpace(f.Query))
	return listItems(f, func(cur cursor, lim int32) ([]store.LumiVp, error) {
		if f.Sort == SortExpires {
			return s.db.LumiListVPSByExpiry(ctx, store.LumiListVPSByExpiryParams{AccountID: f.Scope.Filter(), Status: f.Status,
				Q: q, RenewalFailed: f.RenewalFailed, AfterExpires: cur.expires, AfterID: cur.id, Lim: lim})
		}
		p := vpsParams(f)
		p.Before, p.Lim = cur.id, lim
		return s.db.LumiListVPS(ctx, p)
	}, vpsOf, func(v VPS) (*time.Time, int64) { return v.ExpiresAt, v.ID })
}

// RenewVPS extends a server by months, paid from the balance.
func (s *Service) RenewVPS(ctx context.Context, actor audit.Actor, accountID, id int64, months int, idemKey string) (VPS, error) {
	return s.renewVPS(ctx, actor, accounts.Only(accountID), id, months, idemKey, nil)
}

func (s *Service) renewVPS(ctx context.Context, actor audit.Actor, scope accounts.Scope, id int64, months int, idemKey string, expect *time.Time) (_ VPS, err error) {
	defer wrap(&err, "renew VPS %d", id)
	ctx = context.WithoutCancel(ctx) // money moved: finish (and refund on failure) even if the client goes away
	return renewItem(ctx, s, actor, scope, id, idemKey, expect, renewal[store.LumiVp, VPS]{
		product: ProductVPS, notFound: ErrVPSNotFound, months: months,
		checkTerm: func(verr ValidationError) { checkMonths(verr, months) },
		lock:      func(q *store.Queries) (store.LumiVp, error) { return q.LumiLockVPS(ctx, id) },
		state: func(r store.LumiVp) itemState {
			return itemState{AccountID: r.AccountID, ExpiresAt: r.ExpiresAt, Status: r.Status, AutoRenew: r.AutoRenew}
		},
		quote: func(q *store.Queries, before store.LumiVp) (money.Cents, string, error) {
			amt, err := s.renewPlanPrice(ctx, q, ProductVPS, before.Plan, months)
			return amt, "Renewal of VPS " + before.Hostname + ", " + plural.Of(months, "month", "months"), err
		},
		setExpiry: func(q *store.Queries, exp time.Time) (store.LumiVp, error) {
			return q.LumiSetVPSExpiry(ctx, store.LumiSetVPSExpiryParams{ID: id, ExpiresAt: &exp})
		},
		restore: func(q *store.Queries, before store.LumiVp) (store.LumiVp, error) {
			return q.LumiRestoreVPSExpiry(ctx, store.LumiRestoreVPSExpiryParams{ID: id, ExpiresAt: before.ExpiresAt, Status: before.Status})
		},
		provider:   func(r store.LumiVp) error { return s.prov.RenewVPS(ctx, r.ProviderRef, months) },
		failReason: func(store.LumiVp) string { return "VPS renewal failed: " },
		view: func(r store.LumiVp, replayed bool) VPS {
			v := vpsOf(r)
			v.Replayed = replayed
			return v
		},
	})
}

// changeVPS locks an active server, applies fn and audits action.
func (s *Service) changeVPS(ctx context.Context, actor audit.Actor, scope accounts.Scope, id int64, action string, needActive bool,
	fn func(q *store.Queries, v store.LumiVp) (store.LumiVp, error)) (VPS, error) {
	var row store.LumiVp
	err := s.tx(ctx, func(q *store.Queries) error {
		before, err := q.LumiLockVPS(ctx, id)
		if db.IsNotFound(err) {
			return ErrVPSNotFound
		}
		if err != nil {
			return err
		}
		if err := owned(scope, before.AccountID, ErrVPSNotFound); err != nil {
			return err
		}
		if needActive && before.Status != StatusActive || !needActive && before.Status != StatusActive && before.Status != StatusExpired {
			return ErrNotActive
		}
		if row, err = fn(q, before); err != nil {
			return err
		}
		return audit.Record(ctx, q, actor, audit.Event{Action: action, EntityType: ProductVPS, EntityID: idStr(id), Reason: reasonOf(ctx),
			Before: map[string]any{"power": before.Power, "auto_renew": before.AutoRenew},
			After:  map[string]any{"power": row.Power, "auto_renew": row.AutoRenew}})
	})
	if err != nil {
		return VPS{}, err
	}
	return vpsOf(row), nil
}

// PowerVPS starts, stops or reboots a server.
func (s *Service) PowerVPS(ctx context.Context, actor audit.Actor, scope accounts.Scope, id int64, action string) (_ VPS, err error) {
	defer wrap(&err, "power %s VPS %d", action, id)
	state := map[string]string{PowerStart: PowerRunning, PowerStop: PowerStopped, PowerReboot: PowerRunning}[action]
	if state == "" {
		return VPS{}, ValidationError{"action": "The action is start, stop or reboot."}
	}
	return s.changeVPS(ctx, actor, scope, id, "vps.power_"+action, true, func(q *store.Queries, v store.LumiVp) (store.LumiVp, error) {
		if err := s.prov.PowerVPS(ctx, v.ProviderRef, action); err != nil {
			return v, &ProvisionError{Op: "power_" + action, Err: err}
		}
		return q.LumiSetVPSPower(ctx, store.LumiSetVPSPowerParams{ID: v.ID, Power: state})
	})
}

// SetVPSAutoRenew turns auto-renewal of a server on or off.
func (s *Service) SetVPSAutoRenew(ctx context.Context, actor audit.Actor, scope accounts.Scope, id int64, on bool) (_ VPS, err error) {
	defer wrap(&err, "set auto-renew of VPS %d", id)
	return s.changeVPS(ctx, actor, scope, id, "vps.set_auto_renew", false, func(q *store.Queries, v store.LumiVp) (store.LumiVp, error) {
		return q.LumiSetVPSAutoRenew(ctx, store.LumiSetVPSAutoRenewParams{ID: v.ID, AutoRenew: on})
	})
}
