package products

import (
	"context"
	"errors"
	"time"

	"lumdesk/db/store"
	"lumdesk/internal/accounts"
	"lumdesk/internal/audit"
)

// RenewReport says what one auto-renew run did.
type RenewReport struct {
	Renewed int           `json:"renewed"`
	Failed  int           `json:"failed"`
	Skipped int           `json:"skipped"`
	Expired int           `json:"expired"` // past their expiry, not renewed: now 'expired'
	Items   []RenewResult `json:"items"`
}

// RenewResult is one item an auto-renew run looked at.
type RenewResult struct {
	Product   string `json:"product"` // domain, vps, proxy
	ID        int64  `json:"id"`
	AccountID int64  `json:"account_id"`
	Status    string `json:"status"` // renewed, failed, skipped
	Reason    string `json:"reason,omitempty"`
}

const renewBatch = 200

// DefaultAutoRenewDays is AUTO_RENEW_DAYS's default.
const DefaultAutoRenewDays = 7

// RenewDue renews (by 1 year / 1 month) every auto-renew item expiring
// within daysAhead of now. An item it cannot pay (or whose provider fails)
// is marked (renewal_failed_at, renewal_failed_reason, e.g. "insufficient
// funds") and audited, so the account page and lists can say so; one item
// failing does not stop the others. Two runs at once renew an item once.
func (s *Service) RenewDue(ctx context.Context, actor audit.Actor, daysAhead int, now time.Time) (_ RenewReport, err error) {
	defer wrap(&err, "renew items due in %d days", daysAhead)
	rep := RenewReport{Items: []RenewResult{}}
	if daysAhead < 0 {
		daysAhead = 0
	}
	until := now.UTC().AddDate(0, 0, daysAhead)
	svc := s.WithClock(func() time.Time { return now })

	type due struct {
		id, account int64
		exp         time.Time
	}
	run := func(product string, list func(after int64) ([]due, error), renew func(d due) error,
		mark func(q *store.Queries, id int64, at time.Time, reason string) error) error {
		var after int64
		for {
			items, err := list(after)
			if err != nil {
				return err
			}
			for _, d := range items {
				after = d.id
				res := RenewResult{Product: product, ID: d.id, AccountID: d.account, Status: "renewed"}
				err := renew(d)
				switch {
				case err == nil:
					rep.Renewed++
				case errors.Is(err, errSkipped):
					res.Status = "skipped"
					rep.Skipped++
				default:
					if ctx.Err() != nil {
						return ctx.Err()
					}
					reason := errText(err)
					if errors.Is(err, ErrInsufficientFunds) {
						reason = ReasonInsufficientFunds
					}
					res.Status, res.Reason = "failed", reason
					rep.Failed++
					merr := s.tx(ctx, func(q *store.Queries) error {
						if err := mark(q, d.id, now.UTC(), reason); err != nil {
							return err
						}
						return audit.Record(ctx, q, actor, audit.Event{Action: product + ".renewal_failed", EntityType: product,
							EntityID: idStr(d.id), Reason: reason, After: map[string]any{"renewal_failed_reason": reason}})
					})
					if merr != nil {
						return merr
					}
				}
				rep.Items = append(rep.Items, res)
			}
			if len(items) < renewBatch {
				return nil
			}
		}
	}
	err = run(ProductDomain, func(after int64) ([]due, error) {
		rows, err := s.db.LumiDueDomains(ctx, store.LumiDueDomainsParams{Until: until, After: after, Lim: renewBatch})
		out := make([]due, len(rows))
		for i, r := range rows {
			out[i] = due{r.ID, r.AccountID, *r.ExpiresAt}
		}
		return out, err
	}, func(d due) error {
		_, err := svc.renewDomain(ctx, actor, accounts.AllAccounts, d.id, 1, "", &d.exp)
		return err
	}, func(q *store.Queries, id int64, at time.Time, reason string) error {
		_, err := q.LumiMarkDomainRenewalFailed(ctx, store.LumiMarkDomainRenewalFailedParams{ID: id, RenewalFailedAt: &at, RenewalFailedReason: reason})
		return err
	})
	if err != nil {
		return rep, err
	}
	err = run(ProductVPS, func(after int64) ([]due, error) {
		rows, err := s.db.LumiDueVPS(ctx, store.LumiDueVPSParams{Until: until, After: after, Lim: renewBatch})
		out := make([]due, len(rows))
		for i, r := range rows {
			out[i] = due{r.ID, r.AccountID, *r.ExpiresAt}
		}
		return out, err
	}, func(d due) error {
		_, err := svc.renewVPS(ctx, actor, accounts.AllAccounts, d.id, 1, "", &d.exp)
		return err
	}, func(q *store.Queries, id int64, at time.Time, reason string) error {
		_, err := q.LumiMarkVPSRenewalFailed(ctx, store.LumiMarkVPSRenewalFailedParams{ID: id, RenewalFailedAt: &at, RenewalFailedReason: reason})
		return err
	})
	if err != nil {
		return rep, err
	}
	err = run(ProductProxy, func(after int64) ([]due, error) {
		rows, err := s.db.LumiDueProxies(ctx, store.LumiDueProxiesParams{Until: until, After: after, Lim: renewBatch})
		out := make([]due, len(rows))
		for i, r := range rows {
			out[i] = due{r.ID, r.AccountID, *r.ExpiresAt}
		}
		return out, err
	}, func(d due) error {
		_, err := svc.renewProxy(ctx, actor, accounts.AllAccounts, d.id, 1, "", &d.exp)
		return err
	}, func(q *store.Queries, id int64, at time.Time, reason string) error {
		_, err := q.LumiMarkProxyRenewalFailed(ctx, store.LumiMarkProxyRenewalFailedParams{ID: id, RenewalFailedAt: &at, RenewalFailedReason: reason})
		return err
	})
	if err != nil {
		return rep, err
	}
	return rep, s.expire(ctx, actor, now.UTC(), &rep)
}

// expire marks active items past their expiry (and not renewed) expired,
// one audit row each.
func (s *Service) expire(ctx context.Context, actor audit.Actor, now time.Time, rep *RenewReport) (err error) {
	defer wrap(&err, "expire lapsed items")
	steps := []struct {
		product string
		run     func(q *store.Queries) ([]int64, error)
	}{
		{ProductDomain, func(q *store.Queries) ([]int64, error) {
			rows, err := q.LumiExpireDomains(ctx, now)
			ids := make([]int64, len(rows))
			for i, r := range rows {
				ids[i] = r.ID
			}
			return ids, err
		}},
		{ProductVPS, func(q *store.Queries) ([]int64, error) {
			rows, err := q.LumiExpireVPS(ctx, now)
			ids := make([]int64, len(rows))
			for i, r := range rows {
				ids[i] = r.ID
			}
			return ids, err
		}},
		{ProductProxy, func(q *store.Queries) ([]int64, error) {
			rows, err := q.LumiExpireProxies(ctx, now)
			ids := make([]int64, len(rows))
			for i, r := range rows {
				ids[i] = r.ID
			}
			return ids, err
		}},
	}
	for _, st := range steps {
		for {
			var n int
			err := s.tx(ctx, func(q *store.Queries) error {
				ids, err := st.run(q)
				if err != nil {
					return err
				}
				n = len(ids)
				for _, id := range ids {
					if err := audit.Record(ctx, q, actor, audit.Event{Action: st.product + ".expire", EntityType: st.product,
						EntityID: idStr(id), Before: map[string]any{"status": StatusActive}, After: map[string]any{"status": StatusExpired}}); err != nil {
						return err
					}
				}
				return nil
			})
			if err != nil {
				return err
			}
			rep.Expired += n
			if n < 500 {
				break
			}
		}
	}
	return nil
}

// AutoRenewJob is the pass the daily River job runs: RenewDue with the
// system actor, daysAhead from AUTO_RENEW_DAYS.
func (s *Service) AutoRenewJob(daysAhead int) func(context.Context) error {
	return func(ctx context.Context) error {
		_, err := s.RenewDue(ctx, audit.System("auto-renew"), daysAhead, time.Now())
		return err
	}
}
