package billing

import (
	"context"
	"errors"
	"fmt"
	"strconv"

	"github.com/gofiber/fiber/v2"

	"lumdesk/handlers/web"
	"lumdesk/internal/audit"
	"lumdesk/internal/billing"
	"lumdesk/internal/platform/money"
	"lumdesk/views/components"
	"lumdesk/views/layouts"
	view "lumdesk/views/pages/billing"
)

// AdjustmentsService is what top-ups, adjustments and refunds need of internal/billing.
type AdjustmentsService interface {
	Entry(ctx context.Context, id int64) (billing.LedgerEntry, error)
	RefundableLeft(ctx context.Context, e billing.LedgerEntry) (money.Cents, error)
	CheckManual(in billing.ManualInput, signed bool) (money.Cents, error)
	NeedsApproval(amount money.Cents) bool
	ManualTopUp(ctx context.Context, actor audit.Actor, in billing.ManualInput) (billing.Outcome, error)
	Adjust(ctx context.Context, actor audit.Actor, in billing.ManualInput) (billing.Outcome, error)
	Refund(ctx context.Context, actor audit.Actor, in billing.RefundInput) (billing.LedgerEntry, error)
}

// baseAction loads the account an action is about, with its balance.
func (h *Billing) baseAction(c *fiber.Ctx, kind string) (view.Action, error) {
	a, err := h.accountOf(c)
	if err != nil {
		return view.Action{}, err
	}
	bal, err := h.svc.Balance(c.UserContext(), a.ID)
	if err != nil {
		return view.Action{}, err
	}
	return view.Action{Kind: kind, AccountID: a.ID, AccountName: a.Name, Balance: components.Money(bal.Amount),
		Limit: components.Money(h.svc.ApprovalLimit()), Target: "#billing-account", Errors: map[string]string{}}, nil
}

// entryAction is a refund's action: the account and the ledger entry
// (?entry=) with what is left to refund of it.
func (h *Billing) entryAction(c *fiber.Ctx) (view.Action, error) {
	act, err := h.baseAction(c, "refund")
	if err != nil {
		return act, err
	}
	ctx := c.UserContext()
	id, ok := web.ParseID(c.Query("entry"))
	if !ok {
		return act, billing.NotFoundError{What: "ledger entry", Ref: "to refund (choose one in the ledger)"}
	}
	e, err := h.svc.Entry(ctx, id)
	if err != nil {
		return act, err
	}
	if e.AccountID != act.AccountID {
		return act, billing.NotFoundError{What: "ledger entry", Ref: "#" + strconv.FormatInt(id, 10) + " on this account"}
	}
	left, err := h.svc.RefundableLeft(ctx, e)
	if err != nil {
		return act, err
	}
	act.EntryID = e.ID
	act.EntryText = fmt.Sprintf("%s #%d of %s", components.Humanize(e.Kind), e.ID, components.Money(-e.Amount))
	if e.Cause() != "" {
		act.EntryText += " (" + e.Cause() + ")"
	}
	act.Left, act.LeftInput, act.LeftCents = components.Money(left), left.String(), left
	return act, nil
}

// showAction renders an action's form, or the error that stopped it.
func (h *Billing) showAction(c *fiber.Ctx, act view.Action, err error) error {
	if err != nil {
		return err
	}
	return h.renderAction(c, fiber.StatusOK, act)
}

func (h *Billing) topUpForm(c *fiber.Ctx) error {
	act, err := h.baseAction(c, "topup")
	return h.showAction(c, act, err)
}

func (h *Billing) adjustForm(c *fiber.Ctx) error {
	act, err := h.baseAction(c, "adjust")
	return h.showAction(c, act, err)
}

func (h *Billing) refundForm(c *fiber.Ctx) error {
	act, err := h.entryAction(c)
	if act.LeftInput == "0.00" {
		act.FormError = "This entry has been refunded in full."
	}
	return h.showAction(c, act, err)
}

func (h *Billing) renderAction(c *fiber.Ctx, status int, act view.Action) error {
	crumbs := []layouts.Crumb{{Label: act.AccountName, Href: view.AccountHref(act.AccountID)}, {Label: act.Submit()}}
	if act.Kind == "approve" || act.Kind == "reject" {
		last := act.Submit()
		if act.Decided {
			last = "Request #" + strconv.FormatInt(act.RequestID, 10)
		}
		crumbs = []layouts.Crumb{{Label: "Approvals", Href: view.ApprovalsPath}, {Label: last}}
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
	case errors.Is(err, billing.ErrDepositNotPending), errors.Is(err, billing.ErrDepositExpired), errors.Is(err, billing.ErrNotPending),
		errors.Is(err, billing.ErrDepositAwaitsApproval):
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

// readAction reads the fields every money action's form has.
func readAction(c *fiber.Ctx, act *view.Action) {
	act.Amount = web.Field(c, "amount")
	act.Reason = web.FieldText(c, act.ReasonName())
	act.Provider = web.Field(c, "provider")
	act.Confirm = web.Field(c, "confirm_amount")
}

// review is the confirmation of a money action: unless the form confirms
// exactly this amount, it answers with the amount, the account and the
// balance after read back, and reports true. A finance user thus sees
// "Top up Nightfall by $2,500.00?" before any money moves, and a typo
// (25000 for 250.00) is caught where it is made.
func (h *Billing) review(c *fiber.Ctx, act view.Action, balance, amount money.Cents, pending bool) (bool, error) {
	if act.Confirm == amount.String() {
		return false, nil
	}
	act.Review, act.Sum, act.Confirm, act.After = true, components.Money(amount), amount.String(), ""
	if !pending {
		act.After = components.Money(balance + amount)
	}
	if web.IsHTMX(c) {
		c.Set("HX-Retarget", "#dialog-host")
		c.Set("HX-Reswap", "innerHTML")
	}
	return true, h.renderAction(c, fiber.StatusOK, act)
}

// moved answers a top-up or an adjustment: above the approval limit it
// only files a request (an "info" toast: nothing moved yet).
func (h *Billing) moved(c *fiber.Ctx, act view.Action, out billing.Outcome, err error) error {
	if err != nil {
		return h.actionError(c, act, err)
	}
	toast := "success"
	if out.Pending() {
		toast = "info"
	}
	return h.actionDone(c, act.AccountID, toast, outcomeMessage(act.Kind, act.AccountName, out, h.svc.ApprovalLimit()))
}

func (h *Billing) topUp(c *fiber.Ctx) error {
	act, err := h.baseAction(c, "topup")
	if err != nil {
		return err
	}
	readAction(c, &act)
	in := billing.ManualInput{AccountID: act.AccountID, Amount: act.Amount, Reason: act.Reason}
	if done, err := h.reviewManual(c, act, in, false); done || err != nil {
		return err
	}
	out, err := h.svc.ManualTopUp(c.UserContext(), web.Actor(c), in)
	return h.moved(c, act, out, err)
}

func (h *Billing) adjust(c *fiber.Ctx) error {
	act, err := h.baseAction(c, "adjust")
	if err != nil {
		return err
	}
	readAction(c, &act)
	in := billing.ManualInput{AccountID: act.AccountID, Amount: act.Amount, Reason: act.Reason}
	if done, err := h.reviewManual(c, act, in, true); done || err != nil {
		return err
	}
	out, err := h.svc.Adjust(c.UserContext(), web.Actor(c), in)
	return h.moved(c, act, out, err)
}

// reviewManual validates a top-up or an adjustment and, until confirmed,
// answers with its review (done).
func (h *Billing) reviewManual(c *fiber.Ctx, act view.Action, in billing.ManualInput, signed bool) (bool, error) {
	amount, err := h.svc.CheckManual(in, signed)
	if err != nil {
		return true, h.actionError(c, act, err)
	}
	bal, err := h.svc.Balance(c.UserContext(), act.AccountID)
	if err != nil {
		return true, err
	}
	pending := h.svc.NeedsApproval(amount)
	if !pending && bal.Amount+amount < 0 {
		return true, h.actionError(c, act, billing.ErrInsufficientFunds)
	}
	return h.review(c, act, bal.Amount, amount, pending)
}

func (h *Billing) refund(c *fiber.Ctx) error {
	act, err := h.entryAction(c)
	if err != nil {
		return err
	}
	readAction(c, &act)
	var amount money.Cents // empty: everything left
	if act.Amount != "" {
		if amount, err = billing.ParseAmount("amount", act.Amount, false); err != nil {
			return h.actionError(c, act, err)
		}
	}
	if _, err := billing.CheckReason(act.Reason, true); err != nil {
		return h.actionError(c, act, err)
	}
	// The review names what will be refunded: all that is left when the
	// amount is empty (the refund itself still checks under the lock).
	shown := amount
	if act.Amount == "" {
		shown = act.LeftCents
	}
	if shown > act.LeftCents {
		return h.actionError(c, act, billing.ErrRefundTooLarge)
	}
	bal, err := h.svc.Balance(c.UserContext(), act.AccountID)
	if err != nil {
		return err
	}
	if done, err := h.review(c, act, bal.Amount, shown, false); done || err != nil {
		return err
	}
	e, err := h.svc.Refund(c.UserContext(), web.Actor(c), billing.RefundInput{EntryID: act.EntryID, Amount: amount, Reason: act.Reason})
	if err != nil {
		return h.actionError(c, act, err)
	}
	return h.actionDone(c, act.AccountID, "success", fmt.Sprintf("Refunded %s of entry #%d. Balance %s.", components.Money(e.Amount), act.EntryID, components.Money(e.BalanceAfter)))
}

func outcomeMessage(kind, name string, out billing.Outcome, limit money.Cents) string {
	what := "Top-up"
	if kind == "adjust" {
		what = "Adjustment"
	}
	if out.Pending() {
		return fmt.Sprintf("%s of %s is above the approval limit of %s: request #%d waits for a second finance user.",
			what, components.Money(out.Request.Amount), components.Money(limit), out.Request.ID)
	}
	if kind == "topup" {
		return fmt.Sprintf("Credited %s to %s. Balance %s.", components.Money(out.Entry.Amount), name, components.Money(out.Entry.BalanceAfter))
	}
	return fmt.Sprintf("Adjusted %s by %s. Balance %s.", name, components.Money(out.Entry.Amount), components.Money(out.Entry.BalanceAfter))
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
	return web.Render(c, fiber.StatusOK, components.WithToast(view.AccountPanel(v), components.Toast{Kind: kind, Message: msg}))
}
