package billing

import (
	"context"
	"errors"
	"strconv"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/utils"

	"lumdesk/handlers/web"
	"lumdesk/internal/accounts"
	"lumdesk/internal/billing"
	lumiproducts "lumdesk/internal/billing/products"
	"lumdesk/internal/staff"
	"lumdesk/views/components"
	"lumdesk/views/layouts"
	accountsview "lumdesk/views/pages/accounts"
	view "lumdesk/views/pages/billing"
)

// AccountService is what an account's finance page need of internal/billing.
type AccountService interface {
	Balance(ctx context.Context, accountID int64) (billing.Balance, error)
	Deposits(ctx context.Context, accountID, before int64, limit int) ([]billing.Deposit, error)
	AccountRequests(ctx context.Context, accountID int64, limit int) ([]billing.AdjustmentRequest, error)
}

func (h *Billing) accountOf(c *fiber.Ctx) (accounts.Account, error) {
	id, ok := web.ParseID(c.Params("id"))
	if !ok {
		return accounts.Account{}, accounts.ErrNotFound
	}
	return h.accts.Get(c.UserContext(), id)
}

// requestKind names a request's kind for people.
func requestKind(kind string) string {
	switch kind {
	case billing.RequestTopUp:
		return "Top-up"
	case billing.RequestDeposit:
		return "Deposit marked paid"
	}
	return "Adjustment"
}

func requestRow(r billing.AdjustmentRequest, me int64) view.RequestRow {
	row := view.RequestRow{ID: r.ID, AccountID: r.AccountID, AccountName: r.AccountName, Kind: requestKind(r.Kind), Amount: components.Money(r.Amount),
		Reason: r.Reason, Status: r.Status, By: r.RequestedLabel, When: r.CreatedAt, Note: r.DecisionReason,
		Mine: me != 0 && r.RequestedBy == me}
	if r.DecidedAt != nil {
		row.DecidedBy, row.DecidedAt = r.DecidedLabel, *r.DecidedAt
	}
	if row.AccountName == "" {
		row.AccountName = "Account #" + strconv.FormatInt(r.AccountID, 10)
	}
	return row
}

// accountView loads everything the account's finance page shows.
func (h *Billing) accountView(c *fiber.Ctx, a accounts.Account, cursor string) (view.Account, error) {
	ctx := c.UserContext()
	canCredit := web.Can(c, staff.PermBillingCredit)
	bal, err := h.svc.Balance(ctx, a.ID)
	if err != nil {
		return view.Account{}, err
	}
	v := view.Account{ID: a.ID, Name: a.Name, Email: a.Email, Status: a.Status, Balance: components.Money(bal.Amount), Updated: bal.UpdatedAt,
		Limit: components.Money(h.svc.ApprovalLimit()), CanCredit: canCredit}
	f := billing.LedgerFilter{AccountID: a.ID, Cursor: cursor, Limit: 25}
	page, err := h.svc.Ledger(ctx, f)
	if errors.Is(err, billing.ErrBadCursor) {
		f.Cursor = ""
		page, err = h.svc.Ledger(ctx, f)
	}
	if err != nil {
		return v, err
	}
	for _, e := range page.Items {
		v.Entries = append(v.Entries, entryRow(e, canCredit))
	}
	if page.Next != "" {
		v.NextHref = view.AccountHref(a.ID) + "?cursor=" + page.Next
	}
	if f.Cursor != "" {
		v.FirstHref = view.AccountHref(a.ID)
	}
	deps, err := h.svc.Deposits(ctx, a.ID, 0, 20)
	if err != nil {
		return v, err
	}
	now := time.Now()
	for _, d := range deps {
		v.Deposits = append(v.Deposits, depositRow(d, now))
	}
	if h.Forecasts != nil {
		m, err := h.Forecasts(ctx, []int64{a.ID}, now)
		if err != nil {
			return v, err
		}
		fv := forecastView(m[a.ID])
		v.Forecast = &fv
	}
	reqs, err := h.svc.AccountRequests(ctx, a.ID, 50)
	if err != nil {
		return v, err
	}
	me := int64(0)
	if u := web.CurrentUser(c); u != nil {
		me = u.ID
	}
	for _, r := range reqs {
		if r.Status == billing.RequestPending {
			v.Requests = append(v.Requests, requestRow(r, me))
		}
	}
	return v, nil
}

func (h *Billing) account(c *fiber.Ctx) error {
	a, err := h.accountOf(c)
	if err != nil {
		return err
	}
	v, err := h.accountView(c, a, utils.CopyString(c.Query("cursor")))
	if err != nil {
		return err
	}
	return web.Render(c, fiber.StatusOK, view.AccountPage(h.page(c, a.Name, layouts.Crumb{Label: a.Name}), v))
}

// summary is the account page's Lumi tab (an htmx fragment).
func (h *Billing) summary(c *fiber.Ctx) error {
	a, err := h.accountOf(c)
	if err != nil {
		return err
	}
	if !web.IsHTMX(c) {
		return c.Redirect(view.AccountHref(a.ID), fiber.StatusSeeOther)
	}
	ctx := c.UserContext()
	bal, err := h.svc.Balance(ctx, a.ID)
	if err != nil {
		return err
	}
	page, err := h.svc.Ledger(ctx, billing.LedgerFilter{AccountID: a.ID, Limit: 5})
	if err != nil {
		return err
	}
	v := view.Summary{ID: a.ID, Balance: components.Money(bal.Amount), Updated: bal.UpdatedAt}
	for _, e := range page.Items {
		v.Entries = append(v.Entries, entryRow(e, false))
	}
	reqs, err := h.svc.AccountRequests(ctx, a.ID, 50)
	if err != nil {
		return err
	}
	for _, r := range reqs {
		if r.Status == billing.RequestPending {
			v.Pending++
		}
	}
	c.Vary("HX-Request")
	return web.Render(c, fiber.StatusOK, view.SummaryFragment(v))
}

// AccountOverview is the Lumi card on the account's Overview tab: the
// balance and what the account holds.
func (h *Billing) AccountOverview(c *fiber.Ctx, accountID int64) (accountsview.OverviewCard, error) {
	if !web.Can(c, staff.PermBillingView) {
		return accountsview.OverviewCard{Empty: &accountsview.CardEmpty{Title: "You cannot see Lumi data."}}, nil
	}
	ctx := c.UserContext()
	bal, err := h.svc.Balance(ctx, accountID)
	if err != nil {
		return accountsview.OverviewCard{}, err
	}
	var held lumiproducts.Holdings
	if h.Holdings != nil {
		if held, err = h.Holdings(ctx, accounts.Only(accountID)); err != nil {
			return accountsview.OverviewCard{}, err
		}
	}
	if bal.UpdatedAt.IsZero() && held.Total() == 0 {
		e := &accountsview.CardEmpty{Title: "No Lumi balance or purchases yet."}
		if web.Can(c, staff.PermBillingCredit) {
			e.Title, e.ActionLabel, e.ActionHref = "No Lumi balance or purchases yet — top up the balance to start.", "Top up", view.AccountHref(accountID)+"/topup"
		}
		return accountsview.OverviewCard{Empty: e}, nil
	}
	n, balTone := components.Thousands, ""
	if bal.Amount < 0 {
		balTone = "red"
	}
	card := accountsview.OverviewCard{Figures: []accountsview.Figure{
		{Label: "Balance", Value: components.Money(bal.Amount), Key: "balance", Tone: balTone},
		{Label: "Domains", Value: n(held.Domains), Key: "domains"},
		{Label: "VPS", Value: n(held.VPS), Key: "vps"},
		{Label: "Proxies", Value: n(held.Proxies), Key: "proxies"},
	}}
	next := "Nothing due"
	if held.Next != nil {
		next = components.Date(held.Next.DueAt) + " · " + held.Next.Label
	}
	card.Facts = append(card.Facts, accountsview.Fact{Label: "Next renewal", Value: next})
	return card, nil
}
