package billing

import (
	"context"
	"encoding/csv"
	"errors"
	"strconv"
	"time"

	"github.com/gofiber/fiber/v2"

	"lumdesk/handlers/web"
	"lumdesk/internal/billing"
	"lumdesk/views/components"
	view "lumdesk/views/pages/portal/billing"
)

// export streams the account's ledger as CSV (only its own entries: the
// scope decides, not a filter).
func (h *Lumi) export(c *fiber.Ctx) error {
	svc, scope, log, reqID := h.bill, web.PortalScope(c), h.app.Log(), web.RequestID(c)
	web.StreamCSV(c, "lumi-ledger-"+time.Now().UTC().Format("20060102-1504")+".csv", func(ctx context.Context, w *csv.Writer) error {
		if err := w.Write([]string{"id", "created_at", "kind", "amount", "balance_after", "cause_type", "cause_id", "refund_of", "reason"}); err != nil {
			return err
		}
		return svc.ForEachLedgerIn(ctx, scope, billing.LedgerFilter{}, func(e billing.LedgerEntry) error {
			refundOf := ""
			if e.RefundOfID != 0 {
				refundOf = strconv.FormatInt(e.RefundOfID, 10)
			}
			return w.Write([]string{strconv.FormatInt(e.ID, 10), e.CreatedAt.Format(time.RFC3339Nano), e.Kind, e.Amount.String(),
				e.BalanceAfter.String(), web.CsvCell(e.CauseType), web.CsvCell(e.CauseID), refundOf, web.CsvCell(e.Reason)})
		})
	}, func(err error) { log.Warn("portal ledger export stopped", "err", err, "request_id", reqID) })
	return nil
}

// provider is the top-ups' provider: Crypto Pay, a labelled sandbox when
// no token is configured (make run, tests).
func (h *Lumi) provider() (id, label string, sandbox bool) {
	p := h.bill.CryptoPay()
	return billing.ProviderCryptoBot, p.Label(), p.Sandbox()
}

func (h *Lumi) topUpView(c *fiber.Ctx) (view.TopUp, error) {
	hd, _, err := h.header(c, "deposits")
	_, label, sandbox := h.provider()
	return view.TopUp{Header: hd, Errors: map[string]string{}, Provider: label, Sandbox: sandbox}, err
}

func (h *Lumi) topUpForm(c *fiber.Ctx) error {
	v, err := h.topUpView(c)
	if err != nil {
		return err
	}
	return web.Render(c, fiber.StatusOK, view.TopUpPage(h.page(c, "Top up", web.Crumb("Top up")), v))
}

// topUp opens a deposit invoice for the amount with the provider.
func (h *Lumi) topUp(c *fiber.Ctx) error {
	v, err := h.topUpView(c)
	if err != nil {
		return err
	}
	v.Amount = web.Truncate(web.Field(c, "amount"), 40)
	prov, _, _ := h.provider()
	d, err := h.bill.CreateDepositIn(c.UserContext(), web.Actor(c), web.PortalScope(c),
		billing.DepositInput{Amount: v.Amount, Provider: prov, Note: "Top-up from the portal"})
	var verr billing.ValidationError
	status := fiber.StatusUnprocessableEntity
	switch {
	case err == nil:
		h.app.Toast(c, "success", "Invoice "+d.PublicID+" of "+components.Money(d.Amount)+" opened. Your balance rises when it is paid.")
		return web.Redirect(c, view.DepositHref(d.ID))
	case errors.As(err, &verr):
		for k, m := range verr {
			if k != "amount" {
				v.Error = m
				continue
			}
			v.Errors[k] = m
		}
	case errors.Is(err, billing.ErrProviderUnavailable):
		v.Error, status = "The payment provider could not open the invoice; nothing was charged. Try again in a minute.", fiber.StatusBadGateway
	default:
		return err
	}
	return web.Render(c, status, view.TopUpPage(h.page(c, "Top up", web.Crumb("Top up")), v))
}

func depositView(d billing.Deposit, now time.Time) view.Deposit {
	out := view.Deposit{ID: d.ID, PublicID: d.PublicID, Amount: components.Money(d.Amount), Provider: billing.ProviderLabel(d.Provider),
		Status: d.Status, Sandbox: d.Sandbox(), Created: d.CreatedAt, PayURL: d.PayURL}
	if d.Sandbox() {
		out.Provider += " (sandbox)"
	}
	expired := d.ExpiresAt != nil && !now.Before(*d.ExpiresAt)
	if d.Status == billing.DepositPending && expired {
		out.Status = billing.DepositExpired
	}
	if d.ExpiresAt != nil && d.Status == billing.DepositPending {
		out.Expires = components.ExactTime(*d.ExpiresAt)
	}
	if d.PaidAt != nil {
		out.Paid = components.ExactTime(*d.PaidAt)
	}
	out.CanPay = d.Status == billing.DepositPending && !expired
	return out
}

// deposits lists the account's deposits, newest first (keyset on id).
func (h *Lumi) deposits(c *fiber.Ctx) error {
	hd, _, err := h.header(c, "deposits")
	if err != nil {
		return err
	}
	const size = 25
	before, _ := web.ParseID(web.Field(c, "before"))
	ds, err := h.bill.DepositsIn(c.UserContext(), web.PortalScope(c), before, size+1)
	if err != nil {
		return err
	}
	v := view.Deposits{Header: hd}
	if len(ds) > size {
		ds = ds[:size]
		v.NextHref = view.DepositsURL + "?before=" + strconv.FormatInt(ds[size-1].ID, 10)
	}
	if before > 0 {
		v.FirstHref = view.DepositsURL
	}
	now := time.Now()
	for _, d := range ds {
		v.Rows = append(v.Rows, depositView(d, now))
	}
	return web.Render(c, fiber.StatusOK, view.DepositsPage(h.page(c, "Deposits", web.Crumb("Deposits", view.DepositsURL)), v))
}

func (h *Lumi) depositPage(c *fiber.Ctx, status int, d billing.Deposit, formErr string) error {
	hd, _, err := h.header(c, "deposits")
	if err != nil {
		return err
	}
	dv := depositView(d, time.Now())
	dv.FormError = formErr
	return web.Render(c, status, view.DepositPage(h.page(c, "Invoice "+d.PublicID, web.Crumb("Deposits", view.DepositsURL), web.Crumb(d.PublicID)), hd, dv))
}

func (h *Lumi) deposit(c *fiber.Ctx) error {
	id, err := itemID(c, billing.ErrNotFound)
	if err != nil {
		return err
	}
	d, err := h.bill.DepositIn(c.UserContext(), web.PortalScope(c), id)
	if err != nil {
		return err
	}
	return h.depositPage(c, fiber.StatusOK, d, "")
}

// sandboxPay pays a sandbox invoice: the sandbox sends the provider's
// signed webhook to this server, which credits the balance. A deposit of
// a real provider is refused.
func (h *Lumi) sandboxPay(c *fiber.Ctx) error {
	id, err := itemID(c, billing.ErrNotFound)
	if err != nil {
		return err
	}
	ctx, scope := c.UserContext(), web.PortalScope(c)
	d, err := h.bill.SimulateSandboxPaymentIn(ctx, web.Actor(c), scope, id, "http://"+c.Context().LocalAddr().String(), "Paid in the portal's sandbox")
	status := fiber.StatusConflict
	switch {
	case err == nil:
		bal, berr := h.bill.BalanceIn(ctx, scope)
		if berr != nil {
			return berr
		}
		h.app.Toast(c, "success", "Invoice "+d.PublicID+" is "+d.Status+". Your balance is "+components.Money(bal.Amount)+".")
		return web.Redirect(c, view.Path)
	case errors.Is(err, billing.ErrNotSandbox), errors.Is(err, billing.ErrDepositNotPending), errors.Is(err, billing.ErrDepositExpired):
	default:
		return err
	}
	cur, gerr := h.bill.DepositIn(ctx, scope, id)
	if gerr != nil {
		return gerr
	}
	return h.depositPage(c, status, cur, web.Capitalize(err.Error())+".")
}
