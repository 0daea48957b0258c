package billing

import (
	"context"
	"fmt"

	"github.com/gofiber/fiber/v2"

	"lumdesk/handlers/web"
	"lumdesk/internal/audit"
	"lumdesk/internal/billing"
	"lumdesk/internal/staff"
	"lumdesk/views/components"
	"lumdesk/views/layouts"
	view "lumdesk/views/pages/billing"
)

// ApprovalsService is what the four-eyes approvals need of internal/billing.
type ApprovalsService interface {
	Approve(ctx context.Context, actor audit.Actor, id int64, note string) (billing.AdjustmentRequest, billing.LedgerEntry, error)
	Reject(ctx context.Context, actor audit.Actor, id int64, reason string) (billing.AdjustmentRequest, error)
	Request(ctx context.Context, id int64) (billing.AdjustmentRequest, error)
	PendingRequests(ctx context.Context, after int64, limit int) ([]billing.AdjustmentRequest, error)
	DecidedRequests(ctx context.Context, limit int) ([]billing.AdjustmentRequest, error)
}

func (h *Billing) approvalsView(c *fiber.Ctx) (view.Approvals, error) {
	ctx := c.UserContext()
	me := int64(0)
	if u := web.CurrentUser(c); u != nil {
		me = u.ID
	}
	v := view.Approvals{CanApprove: web.Can(c, staff.PermBillingApprove), Limit: components.Money(h.svc.ApprovalLimit())}
	pending, err := h.svc.PendingRequests(ctx, 0, billing.MaxLimit)
	if err != nil {
		return v, err
	}
	for _, r := range pending {
		v.Pending = append(v.Pending, requestRow(r, me))
	}
	// The queue is short by nature (each request waits for one decision), so
	// it is counted exactly; the page shows up to billing.MaxLimit of it.
	n, err := h.svc.PendingCount(ctx)
	if err != nil {
		return v, err
	}
	v.Bar = components.ListBar{Base: view.ApprovalsPath, Count: components.Counted(n, false, "request waiting", "requests waiting")}
	decided, err := h.svc.DecidedRequests(ctx, 20)
	if err != nil {
		return v, err
	}
	for _, r := range decided {
		v.Decided = append(v.Decided, requestRow(r, me))
	}
	return v, nil
}

func (h *Billing) approvals(c *fiber.Ctx) error {
	v, err := h.approvalsView(c)
	if err != nil {
		return err
	}
	return web.Render(c, fiber.StatusOK, view.ApprovalsPage(h.page(c, "Approvals", layouts.Crumb{Label: "Approvals"}), v))
}

func (h *Billing) requestAction(c *fiber.Ctx, kind string) (view.Action, error) {
	id, ok := web.ParseID(c.Params("rid"))
	if !ok {
		return view.Action{}, billing.ErrNotFound
	}
	r, err := h.svc.Request(c.UserContext(), id)
	if err != nil {
		return view.Action{}, err
	}
	// The balance now and after, as the top-up's review shows them: a debit
	// the balance does not cover is seen before approving, not after.
	bal, err := h.svc.Balance(c.UserContext(), r.AccountID)
	if err != nil {
		return view.Action{}, err
	}
	act := view.Action{Kind: kind, AccountID: r.AccountID, AccountName: r.AccountName, RequestID: r.ID, Target: "#approvals",
		Limit: components.Money(h.svc.ApprovalLimit()), Errors: map[string]string{}, Sum: components.Money(r.Amount),
		Balance: components.Money(bal.Amount), After: components.Money(bal.Amount + r.Amount),
		Request: fmt.Sprintf("%s of %s for %s (account #%d), asked by %s: “%s”", requestKind(r.Kind), components.Money(r.Amount), r.AccountName, r.AccountID, r.RequestedLabel, r.Reason)}
	switch {
	case r.Status != billing.RequestPending:
		act.FormError = "This request was already decided (" + r.Status + ")."
		act.Decided = true
	case web.CurrentUser(c) != nil && r.RequestedBy == web.CurrentUser(c).ID:
		act.FormError = web.Capitalize(billing.ErrSameApprover.Error()) + "."
	}
	return act, nil
}

func (h *Billing) approveForm(c *fiber.Ctx) error {
	act, err := h.requestAction(c, "approve")
	return h.showAction(c, act, err)
}

func (h *Billing) rejectForm(c *fiber.Ctx) error {
	act, err := h.requestAction(c, "reject")
	return h.showAction(c, act, err)
}

// approve applies a pending request (a second finance user, four eyes).
func (h *Billing) approve(c *fiber.Ctx) error {
	act, err := h.requestAction(c, "approve")
	if err != nil {
		return err
	}
	act.FormError = ""
	act.Reason = web.FieldText(c, "reason")
	r, e, err := h.svc.Approve(c.UserContext(), web.Actor(c), act.RequestID, act.Reason)
	if err != nil {
		return h.actionError(c, act, err)
	}
	return h.decided(c, fmt.Sprintf("Request #%d approved: %s applied to %s. Balance %s.", r.ID, components.Money(r.Amount), act.AccountName, components.Money(e.BalanceAfter)))
}

func (h *Billing) reject(c *fiber.Ctx) error {
	act, err := h.requestAction(c, "reject")
	if err != nil {
		return err
	}
	act.FormError = ""
	act.Reason = web.FieldText(c, "reason")
	if _, err := h.svc.Reject(c.UserContext(), web.Actor(c), act.RequestID, act.Reason); err != nil {
		return h.actionError(c, act, err)
	}
	return h.decided(c, fmt.Sprintf("Request #%d rejected; no money moved.", act.RequestID))
}

// decided answers a decision: the approvals page, or with htmx its panel and a toast.
func (h *Billing) decided(c *fiber.Ctx, msg string) error {
	if !web.IsHTMX(c) {
		h.app.Toast(c, "success", msg)
		return web.Redirect(c, view.ApprovalsPath)
	}
	v, err := h.approvalsView(c)
	if err != nil {
		return err
	}
	return web.Render(c, fiber.StatusOK, components.WithToast(view.ApprovalsPanel(v), components.Toast{Kind: "success", Message: msg}))
}
