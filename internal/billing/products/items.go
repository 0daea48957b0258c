package products

import (
	"context"
	"errors"
	"fmt"
	"time"

	"lumdesk/db/store"
	"lumdesk/internal/accounts"
	"lumdesk/internal/audit"
	"lumdesk/internal/billing"
	"lumdesk/internal/platform/db"
	"lumdesk/internal/platform/listcount"
	"lumdesk/internal/platform/money"
)

// This file holds the steps that domains, VPS and proxies share: listing a
// page and renewing. The per-product files say only what differs (which
// query, which price, which adapter call).

// listItems checks f, runs query (which picks the expiry or the id keyset
// query by f.Sort) and cuts the page; key gives an item's expiry and id for
// the next cursor.
func listItems[R, T any](f ListFilter, query func(cur cursor, lim int32) ([]R, error),
	of func(R) T, key func(T) (*time.Time, int64)) (Page[T], error) {
	cur, limit, err := f.check()
	if err != nil {
		return Page[T]{}, err
	}
	rows, err := query(cur, int32(limit+1))
	if err != nil {
		return Page[T]{}, err
	}
	items := make([]T, len(rows))
	for i, r := range rows {
		items[i] = of(r)
	}
	return pageOf(items, limit, func(t T) string {
		exp, id := key(t)
		if f.Sort == SortExpires {
			return encodeExpiryCursor(exp, id)
		}
		return EncodeCursor(id)
	}), nil
}

// countItems counts the items of a list's filter (its cursor and limit
// ignored) up to limitTo (listcount.Cap when below 1), refusing what
// listItems refuses.
func countItems(ctx context.Context, f ListFilter, limitTo int, query func(ctx context.Context, lim int32) (int64, error)) (listcount.Count, error) {
	f.Cursor, f.Limit = "", 0
	if _, _, err := f.check(); err != nil {
		return listcount.Count{}, err
	}
	return listcount.Run(ctx, limitTo, query)
}

// itemState is what renewItem reads from a locked row.
type itemState struct {
	AccountID int64
	ExpiresAt *time.Time
	Status    string
	AutoRenew bool
}

// renewal is what renewing one product differs in; the closures already
// know the item id. R is the store row, T the public item.
type renewal[R, T any] struct {
	product       string // ProductDomain, ProductVPS or ProductProxy: audit entity and ledger cause
	notFound      error
	years, months int // the term: one of them is set
	checkTerm     func(verr ValidationError)
	lock          func(q *store.Queries) (R, error)
	state         func(R) itemState
	// quote prices the term for the locked row and gives the ledger reason;
	// a ValidationError when the product is no longer sold.
	quote     func(q *store.Queries, before R) (amount money.Cents, reason string, err error)
	setExpiry func(q *store.Queries, exp time.Time) (R, error)
	restore   func(q *store.Queries, before R) (R, error)
	// provider is the adapter call after the charge is committed; failReason
	// starts the refund's ledger reason when it fails.
	provider   func(row R) error
	failReason func(row R) string
	// auditRefunded adds the refunded amount to the renew_fail audit row.
	auditRefunded bool
	view          func(row R, replayed bool) T
}

// renewItem charges the balance for one term and extends the expiry in one
// transaction, then asks the provider; if that fails the charge is refunded
// and the old expiry restored. expect set (auto-renew) skips an item whose
// expiry moved or whose auto-renew was turned off since it was found due
// (errSkipped). A repeat with the same idemKey charges nothing and returns
// the item marked replayed.
func renewItem[R, T any](ctx context.Context, s *Service, actor audit.Actor, scope accounts.Scope, id int64,
	idemKey string, expect *time.Time, k renewal[R, T]) (T, error) {
	var zero T
	verr := ValidationError{}
	k.checkTerm(verr)
	checkKey(verr, idemKey)
	if len(verr) > 0 {
		return zero, verr
	}
	var row, before R
	var amt money.Cents
	var entry billing.LedgerEntry
	skipped := false
	err := s.tx(ctx, func(q *store.Queries) error {
		var err error
		before, err = k.lock(q)
		if db.IsNotFound(err) {
			return k.notFound
		}
		if err != nil {
			return err
		}
		st := k.state(before)
		if err := owned(scope, st.AccountID, k.notFound); err != nil {
			return err
		}
		row = before
		if expect != nil && (st.ExpiresAt == nil || !st.ExpiresAt.Equal(*expect) || !st.AutoRenew) {
			skipped = true
			return nil
		}
		if st.Status != StatusActive && st.Status != StatusExpired {
			return ErrNotActive
		}
		var reason string
		if amt, reason, err = k.quote(q, before); err != nil {
			return err
		}
		entry, err = s.billing.DebitTx(ctx, q, actor, billing.DebitInput{AccountID: st.AccountID, Amount: amt,
			Kind: billing.KindRenewal, CauseType: k.product, CauseID: idStr(id), IdempotencyKey: idemKey, Reason: reason})
		if err != nil || entry.Replayed {
			return err
		}
		exp := extend(s.clock(), st.ExpiresAt, k.years, k.months)
		if row, err = k.setExpiry(q, exp); err != nil {
			return err
		}
		after := map[string]any{"expires_at": exp, "price": amt.String(), "ledger_entry_id": entry.ID}
		if k.years > 0 {
			after["years"] = k.years
		} else {
			after["months"] = k.months
		}
		return audit.Record(ctx, q, actor, audit.Event{Action: k.product + ".renew", EntityType: k.product, EntityID: idStr(id), Reason: reasonOf(ctx),
			Before: map[string]any{"expires_at": st.ExpiresAt, "status": st.Status}, After: after})
	})
	if err != nil {
		return zero, mapBillingErr(err)
	}
	if skipped {
		return k.view(row, false), errSkipped
	}
	if entry.Replayed {
		return k.view(row, true), nil
	}
	if rerr := k.provider(row); rerr != nil {
		perr := &ProvisionError{Op: "renew", Err: rerr}
		err := s.refund(ctx, actor, entry.ID, k.failReason(row)+errText(rerr), func(q *store.Queries) error {
			if _, err := k.lock(q); err != nil {
				return err
			}
			var err error
			if row, err = k.restore(q, before); err != nil {
				return err
			}
			after := map[string]any{"expires_at": k.state(before).ExpiresAt}
			if k.auditRefunded {
				after["refunded"] = amt.String()
			}
			return audit.Record(ctx, q, actor, audit.Event{Action: k.product + ".renew_fail", EntityType: k.product, EntityID: idStr(id),
				Reason: errText(rerr), After: after})
		})
		if err != nil {
			return k.view(row, false), errors.Join(perr, fmt.Errorf("refund failed: %w", err))
		}
		perr.Refunded = true
		return k.view(row, false), perr
	}
	return k.view(row, false), nil
}

// failPurchase refunds entryID after the provider could not create a bought
// item: mark (which locks the item and marks it failed), the audit row
// product.fail and the refund are one transaction. The answer is the
// ProvisionError, Refunded when the refund went through.
func (s *Service) failPurchase(ctx context.Context, actor audit.Actor, product string, id, entryID int64, amount money.Cents,
	op, reason string, cause error, mark func(q *store.Queries) error) error {
	perr := &ProvisionError{Op: op, Err: cause}
	err := s.refund(ctx, actor, entryID, reason+errText(cause), func(q *store.Queries) error {
		if err := mark(q); err != nil {
			return err
		}
		return audit.Record(ctx, q, actor, audit.Event{Action: product + ".fail", EntityType: product, EntityID: idStr(id),
			Reason: errText(cause), After: map[string]any{"status": StatusFailed, "refunded": amount.String()}})
	})
	if err != nil {
		return errors.Join(perr, fmt.Errorf("refund failed: %w", err))
	}
	perr.Refunded = true
	return perr
}

// renewPlanPrice is the price of months of a VPS or proxy plan; a
// ValidationError when the plan is no longer sold.
func (s *Service) renewPlanPrice(ctx context.Context, q *store.Queries, product, plan string, months int) (_ money.Cents, err error) {
	defer wrap(&err, "renewal price of %s plan %s", product, plan)
	p, found, err := s.planPrice(ctx, q, product, plan)
	if err != nil {
		return 0, err
	}
	if !found {
		return 0, ValidationError{"plan": "The plan " + plan + " is no longer sold."}
	}
	return price(p.Monthly, months), nil
}
