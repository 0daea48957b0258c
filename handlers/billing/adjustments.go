package billing

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"

	"lumdesk/handlers/web"
	"lumdesk/internal/billing"
	"lumdesk/internal/platform/money"
	"lumdesk/views/components"
	"lumdesk/views/layouts"
	view "lumdesk/views/pages/billing"
)

// baseAction loads the account (and the entry or deposit) an action is about.
func (h *Billing) baseAction(c *fiber.Ctx, kind string) (view.Action, error) {
	ctx := c.UserContext()
	a, err := h.accountOf(c)
	if err != nil {
		return view.Action{}, err
	}
	bal, err := h.svc.Balance(ctx, a.ID)
	if err != nil {
		return view.Action{}, err
	}
	act := view.Action{Kind: kind, AccountID: a.ID, AccountName: a.Name, Balance: bal.Amount.String(),
		Limit: h.svc.ApprovalLimit().String(), Target: "#billing-account", Errors: map[string]string{}}
	switch kind {
	case "refund":
		id, ok := web.ParseID(c.Query("entry"))
		if !ok {
			return act, billing.NotFoundError{What: "ledger entry", Ref: "to refund (choose one in the ledger)"}
		}
		e, err := h.svc.Entry(ctx, id)
		if err != nil {
			return act, err
		}
		if e.AccountID != a.ID {
			return act, billing.NotFoundError{What: "ledger entry", Ref: "#" + strconv.FormatInt(id, 10) + " on this account"}
		}
		left, err := h.svc.RefundableLeft(ctx, e)
		if err != nil {
			return act, err
		}
		act.EntryID = e.ID
		act.EntryText = fmt.Sprintf("%s #%d of %s", components.Humanize(e.Kind), e.ID, (-e.Amount).String())
		if e.Cause() != "" {
			act.EntryText += " (" + e.Cause() + ")"
		}
		act.Left = left.String()
	case "pay", "sandbox-pay", "cancel":
		id, ok := web.ParseID(c.Params("did"))
		if !ok {
			return act, billing.ErrNotFound
		}
		d, err := h.svc.GetDeposit(ctx, id)
		if err != nil {
			return act, err
		}
		if d.AccountID != a.ID {
			return act, billing.NotFoundError{What: "deposit", Ref: "#" + strconv.FormatInt(id, 10) + " on this account"}
		}
		act.DepositID, act.Deposit, act.Sandbox = d.ID, d.PublicID+" · "+d.Amount.String(), d.Sandbox()
		if kind == "pay" && d.Sandbox() {
			act.Kind = "sandbox-pay" // sandbox deposits are paid through their webhook
		}
	case "deposit":
		act.Provider = billing.ProviderSandboxCrypto
	}
	return act, nil
}

func (h *Billing) form(kind string) fiber.Handler {
	return func(c *fiber.Ctx) error {
		act, err := h.baseAction(c, kind)
		if err != nil {
			return err
		}
		if kind == "refund" && act.Left == "0.00" {
			act.FormError = "This entry has been refunded in full."
		}
		return h.renderAction(c, fiber.StatusOK, act)
	}
}

func (h *Billing) renderAction(c *fiber.Ctx, status int, act view.Action) error {
	crumbs := []layouts.Crumb{{Label: act.AccountName, Href: view.AccountHref(act.AccountID)}, {Label: act.Submit()}}
	if act.Kind == "approve" || act.Kind == "reject" {
		crumbs = []layouts.Crumb{{Label: "Approvals", Href: view.ApprovalsPath}, {Label: act.Submit()}}
	}
	p := h.page(c, act.Title(), crumbs...)
	act.CSRF = p.CSRF
	if web.IsHTMX(c) {
		return web.Render(c, status, view.ActionDialog(act))
	}
	return web.Render(c, status, view.ActionPage(p, act))
}

// actionError answers a refused action with the form and its message: 422
// for input the person can fix, 409 when the object changed meanwhile, 403
// for the four-eyes rule. htmx only swaps 2xx answers, so it gets 200 with
// the dialog put back into #dialog-host.
func (h *Billing) actionError(c *fiber.Ctx, act view.Action, err error) error {
	var verr billing.ValidationError
	status := fiber.StatusUnprocessableEntity
	switch {
	case errors.As(err, &verr):
		for k, m := range verr {
			if k == "note" && act.ReasonName() != "note" {
				k = "reason"
			}
			act.Errors[k] = m
		}
		if act.Errors["cause"] != "" || act.Errors["kind"] != "" || act.Errors["idempotency_key"] != "" {
			act.FormError = "This action was refused: " + verr.Error()
		}
	case errors.Is(err, billing.ErrInsufficientFunds), errors.Is(err, billing.ErrRefundTooLarge), errors.Is(err, billing.ErrNotRefundable),
		errors.Is(err, billing.ErrBalanceTooLarge), errors.Is(err, billing.ErrNotSandbox):
		act.FormError = web.Capitalize(err.Error()) + "."
	case errors.Is(err, billing.ErrDepositNotPending), errors.Is(err, billing.ErrDepositExpired), errors.Is(err, billing.ErrNotPending):
		act.FormError, status = web.Capitalize(err.Error())+".", fiber.StatusConflict
	case errors.Is(err, billing.ErrSameApprover), errors.Is(err, billing.ErrApproverNotStaff):
		act.FormError, status = web.Capitalize(err.Error())+".", fiber.StatusForbidden
	default:
		return err
	}
	if web.IsHTMX(c) {
		c.Set("HX-Retarget", "#dialog-host")
		c.Set("HX-Reswap", "innerHTML")
		status = fiber.StatusOK
	}
	return h.renderAction(c, status, act)
}

func (h *Billing) act(kind string) fiber.Handler {
	return func(c *fiber.Ctx) error {
		act, err := h.baseAction(c, kind)
		if err != nil {
			return err
		}
		if kind == "pay" && act.Kind == "sandbox-pay" {
			act.Kind = "pay" // an explicit manual confirmation of a sandbox deposit is allowed
		}
		ctx, actor := c.UserContext(), web.Actor(c)
		act.Amount = strings.TrimSpace(c.FormValue("amount"))
		act.Reason = c.FormValue(act.ReasonName())
		act.Provider = c.FormValue("provider")
		in := billing.ManualInput{AccountID: act.AccountID, Amount: act.Amount, Reason: act.Reason}
		var msg string
		toast := "success"
		switch kind {
		case "topup", "adjust":
			var out billing.Outcome
			if kind == "topup" {
				out, err = h.svc.ManualTopUp(ctx, actor, in)
			} else {
				out, err = h.svc.Adjust(ctx, actor, in)
			}
			if err == nil {
				msg = outcomeMessage(kind, act.AccountName, out, h.svc.ApprovalLimit())
				if out.Pending() {
					toast = "info" // nothing moved yet
				}
			}
		case "refund":
			var amount money.Cents
			if act.Amount != "" {
				if amount, err = billing.ParseAmount("amount", act.Amount, false); err != nil {
					return h.actionError(c, act, err)
				}
			}
			var e billing.LedgerEntry
			e, err = h.svc.Refund(ctx, actor, billing.RefundInput{EntryID: act.EntryID, Amount: amount, Reason: act.Reason})
			if err == nil {
				msg = fmt.Sprintf("Refunded %s of entry #%d. Balance %s.", e.Amount, act.EntryID, e.BalanceAfter)
			}
		case "deposit":
			var d billing.Deposit
			d, err = h.svc.CreateDeposit(ctx, actor, billing.DepositInput{AccountID: act.AccountID, Amount: act.Amount, Provider: act.Provider, Note: act.Reason})
			if err == nil {
				msg = fmt.Sprintf("Deposit %s of %s created (%s). No money moves until it is paid.", d.PublicID, d.Amount, billing.ProviderLabel(d.Provider))
			}
		case "pay":
			var res billing.PayResult
			res, err = h.svc.MarkDepositPaid(ctx, actor, act.DepositID, act.Reason)
			if err == nil {
				msg = fmt.Sprintf("Deposit %s paid: %s credited. Balance %s.", res.Deposit.PublicID, res.Deposit.Amount, res.Entry.BalanceAfter)
			}
		case "sandbox-pay":
			var d billing.Deposit
			d, err = h.svc.SimulateSandboxPayment(ctx, actor, act.DepositID, "http://"+c.Context().LocalAddr().String(), act.Reason)
			if err == nil {
				msg = fmt.Sprintf("Sandbox payment sent: deposit %s is %s.", d.PublicID, d.Status)
			}
		case "cancel":
			var d billing.Deposit
			d, err = h.svc.CancelDeposit(ctx, actor, act.DepositID, act.Reason)
			if err == nil {
				msg = fmt.Sprintf("Deposit %s cancelled.", d.PublicID)
			}
		}
		if err != nil {
			return h.actionError(c, act, err)
		}
		return h.actionDone(c, act.AccountID, toast, msg)
	}
}

func outcomeMessage(kind, name string, out billing.Outcome, limit money.Cents) string {
	what := "Top-up"
	if kind == "adjust" {
		what = "Adjustment"
	}
	if out.Pending() {
		return fmt.Sprintf("%s of %s is above the approval limit of %s: request #%d waits for a second finance user.",
			what, out.Request.Amount, limit, out.Request.ID)
	}
	if kind == "topup" {
		return fmt.Sprintf("Credited %s to %s. Balance %s.", out.Entry.Amount, name, out.Entry.BalanceAfter)
	}
	return fmt.Sprintf("Adjusted %s by %s. Balance %s.", name, out.Entry.Amount, out.Entry.BalanceAfter)
}

// actionDone answers a successful action: with htmx the new account panel
// and a toast; otherwise a redirect to the account's page.
func (h *Billing) actionDone(c *fiber.Ctx, accountID int64, kind, msg string) error {
	if !web.IsHTMX(c) {
		h.app.Toast(c, kind, msg)
		return web.Redirect(c, view.AccountHref(accountID))
	}
	a, err := h.accts.Get(c.UserContext(), accountID)
	if err != nil {
		return err
	}
	v, err := h.accountView(c, a, "")
	if err != nil {
		return err
	}
	return web.Render(c, fiber.StatusOK, view.AccountPanelWithToast(v, components.Toast{Kind: kind, Message: msg}))
}
