package billing

import (
	"context"
	"encoding/csv"
	"errors"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/utils"

	"lumdesk/handlers/web"
	"lumdesk/internal/billing"
	"lumdesk/internal/platform/listcount"
	"lumdesk/views/components"
	"lumdesk/views/layouts"
	view "lumdesk/views/pages/billing"
)

// LedgerService is what the ledger pages and export need of internal/billing.
type LedgerService interface {
	Ledger(ctx context.Context, f billing.LedgerFilter) (billing.LedgerPage, error)
	CountLedger(ctx context.Context, f billing.LedgerFilter, limitTo int) (listcount.Count, error)
	ForEachLedger(ctx context.Context, f billing.LedgerFilter, fn func(billing.LedgerEntry) error) error
}

func parseLedgerQuery(c *fiber.Ctx) (view.LedgerFilters, billing.LedgerFilter, map[string]string) {
	q := func(k string) string { return strings.TrimSpace(utils.CopyString(c.Query(k))) }
	f := view.LedgerFilters{Account: q("account"), Kind: q("kind"), From: q("from"), To: q("to")}
	p := billing.LedgerFilter{Cursor: q("cursor")}
	errs := map[string]string{}
	if f.Account != "" {
		id, ok := web.ParseID(strings.TrimPrefix(f.Account, "#"))
		if !ok {
			errs["account"] = "The account is its id, like 42; showing every account."
			f.Account = ""
		} else {
			f.Account, p.AccountID = strconv.FormatInt(id, 10), id
		}
	}
	if f.Kind != "" {
		if !slices.Contains(billing.Kinds, f.Kind) {
			errs["kind"] = "Unknown kind; showing every kind."
			f.Kind = ""
		} else {
			p.Kind = f.Kind
		}
	}
	day := func(name, v string) *time.Time { return web.FilterDay(errs, name, v) }
	if p.Since = day("from", f.From); p.Since == nil {
		f.From = ""
	}
	if to := day("to", f.To); to != nil {
		end := to.AddDate(0, 0, 1) // the "to" day is included
		p.Until = &end
	} else {
		f.To = ""
	}
	if p.Since != nil && p.Until != nil && !p.Since.Before(*p.Until) {
		errs["dates"] = "The start date must not be after the end date."
		f.From, f.To, p.Since, p.Until = "", "", nil, nil
	}
	return f, p, errs
}

func entryRow(e billing.LedgerEntry, canRefund bool) view.EntryRow {
	return view.EntryRow{ID: e.ID, When: e.CreatedAt, AccountID: e.AccountID,
		AccountName: e.AccountName, Kind: e.Kind, Amount: components.Money(e.Amount), BalanceAfter: components.Money(e.BalanceAfter), Cause: e.Cause(),
		Actor: e.Actor(), Reason: e.Reason, RefundOf: e.RefundOfID,
		Refundable: canRefund && e.Refundable()}
}

func (h *Billing) ledger(c *fiber.Ctx) error {
	ctx := c.UserContext()
	f, p, errs := parseLedgerQuery(c)
	if web.IsCountRequest(c) { // the count web.PageCount deferred: of the filters the list applied
		n, err := h.svc.CountLedger(ctx, p, listcount.Cap)
		return web.RenderCount(c, n, err, "entry", "entries")
	}
	page, err := h.svc.Ledger(ctx, p)
	if errors.Is(err, billing.ErrBadCursor) {
		p.Cursor = ""
		page, err = h.svc.Ledger(ctx, p)
	}
	if err != nil {
		return err
	}
	v := view.Ledger{Filters: f, Errors: errs}
	for _, e := range page.Items {
		v.Rows = append(v.Rows, entryRow(e, false))
	}
	if page.Next != "" {
		v.NextHref = view.LedgerPath + f.Query("cursor", page.Next)
	}
	if p.Cursor != "" {
		v.FirstHref = view.LedgerPath + f.Query()
	}
	v.Bar = h.app.ListBar(c, view.LedgerPath, f.Query(), f.ActiveFilters())
	web.PageCount(c, &v.Bar, len(v.Rows), p.Cursor != "", page.Next != "", "entry", "entries")
	c.Vary("HX-Request")
	if web.IsHTMX(c) && c.Get("HX-Target") == "ledger-results" && c.Get("HX-History-Restore-Request") != "true" {
		return web.Render(c, fiber.StatusOK, view.LedgerFragment(v))
	}
	if v.Pending, err = h.svc.PendingCount(ctx); err != nil {
		return err
	}
	status := fiber.StatusOK
	if len(errs) > 0 {
		status = fiber.StatusUnprocessableEntity
	}
	return web.Render(c, status, view.LedgerPage(h.page(c, "Lumi ledger", layouts.Crumb{Label: "Ledger"}), v))
}

// export streams the filtered ledger as CSV for reconciliation, reading
// keyset pages as it writes.
func (h *Billing) export(c *fiber.Ctx) error {
	_, p, errs := parseLedgerQuery(c)
	if len(errs) > 0 {
		return fiber.NewError(fiber.StatusUnprocessableEntity, web.FieldErrorsText(errs))
	}
	svc, log, reqID := h.svc, h.app.Log(), web.RequestID(c)
	web.StreamCSV(c, "lumi-ledger-"+time.Now().UTC().Format("20060102-1504")+".csv", func(ctx context.Context, w *csv.Writer) error {
		if err := w.Write([]string{"id", "created_at", "account_id", "account_name", "account_email", "kind", "amount", "balance_after",
			"cause_type", "cause_id", "refund_of", "idempotency_key", "actor_kind", "actor_id", "actor_label", "reason"}); err != nil {
			return err
		}
		return svc.ForEachLedger(ctx, p, func(e billing.LedgerEntry) error {
			refundOf := ""
			if e.RefundOfID != 0 {
				refundOf = strconv.FormatInt(e.RefundOfID, 10)
			}
			return w.Write([]string{strconv.FormatInt(e.ID, 10), e.CreatedAt.Format(time.RFC3339Nano), strconv.FormatInt(e.AccountID, 10),
				web.CsvCell(e.AccountName), web.CsvCell(e.AccountEmail), e.Kind, e.Amount.String(), e.BalanceAfter.String(),
				web.CsvCell(e.CauseType), web.CsvCell(e.CauseID), refundOf, web.CsvCell(e.IdempotencyKey), e.ActorKind, web.CsvCell(e.ActorID),
				web.CsvCell(e.ActorLabel), web.CsvCell(e.Reason)})
		})
	}, func(err error) { log.Warn("ledger export stopped", "err", err, "request_id", reqID) })
	return nil
}
