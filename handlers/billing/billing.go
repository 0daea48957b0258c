package billing

// The Lumi finance desk (balances, ledger, approvals, an account's money
// page and its actions), the account page's Lumi tab, and the sandbox
// payment provider's webhook endpoint.

import (
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"lumdesk/handlers/web"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/utils"

	"lumdesk/internal/accounts"
	"lumdesk/internal/audit"
	"lumdesk/internal/billing"
	lumiproducts "lumdesk/internal/billing/products"
	"lumdesk/internal/platform/money"
	"lumdesk/internal/staff"
	"lumdesk/views/components"
	"lumdesk/views/layouts"
	view "lumdesk/views/pages/billing"
)

// BillingService is what the finance desk needs of internal/billing.
type BillingService interface {
	Balance(ctx context.Context, accountID int64) (billing.Balance, error)
	Entry(ctx context.Context, id int64) (billing.LedgerEntry, error)
	Refunded(ctx context.Context, entryID int64) (money.Cents, error)
	Ledger(ctx context.Context, f billing.LedgerFilter) (billing.LedgerPage, error)
	ForEachLedger(ctx context.Context, f billing.LedgerFilter, fn func(billing.LedgerEntry) error) error
	Balances(ctx context.Context, f billing.BalanceFilter) (billing.BalancePage, error)
	LowBalances(ctx context.Context, threshold money.Cents, limit int) ([]billing.BalanceRow, error)
	VerifyCached(ctx context.Context, maxAge time.Duration) (billing.Verification, error)
	DailyTotals(ctx context.Context, days int) ([]billing.DayTotal, error)
	Deposits(ctx context.Context, accountID, before int64, limit int) ([]billing.Deposit, error)
	GetDeposit(ctx context.Context, id int64) (billing.Deposit, error)
	CreateDeposit(ctx context.Context, actor audit.Actor, in billing.DepositInput) (billing.Deposit, error)
	MarkDepositPaid(ctx context.Context, actor audit.Actor, id int64, reason string) (billing.PayResult, error)
	CancelDeposit(ctx context.Context, actor audit.Actor, id int64, reason string) (billing.Deposit, error)
	SimulateSandboxPayment(ctx context.Context, actor audit.Actor, depositID int64, baseURL, note string) (billing.Deposit, error)
	ManualTopUp(ctx context.Context, actor audit.Actor, in billing.ManualInput) (billing.Outcome, error)
	Adjust(ctx context.Context, actor audit.Actor, in billing.ManualInput) (billing.Outcome, error)
	Refund(ctx context.Context, actor audit.Actor, in billing.RefundInput) (billing.LedgerEntry, error)
	Approve(ctx context.Context, actor audit.Actor, id int64, note string) (billing.AdjustmentRequest, billing.LedgerEntry, error)
	Reject(ctx context.Context, actor audit.Actor, id int64, reason string) (billing.AdjustmentRequest, error)
	Request(ctx context.Context, id int64) (billing.AdjustmentRequest, error)
	PendingRequests(ctx context.Context, after int64, limit int) ([]billing.AdjustmentRequest, error)
	DecidedRequests(ctx context.Context, limit int) ([]billing.AdjustmentRequest, error)
	AccountRequests(ctx context.Context, accountID int64, limit int) ([]billing.AdjustmentRequest, error)
	PendingCount(ctx context.Context) (int64, error)
	ApprovalLimit() money.Cents
	HandleWebhook(ctx context.Context, actor audit.Actor, p billing.Provider, signature string, body []byte) (billing.WebhookResult, error)
	Sandbox() *billing.Sandbox
}

// BillingAccounts is what the finance desk needs of internal/accounts.
type BillingAccounts interface {
	Get(ctx context.Context, id int64) (accounts.Account, error)
}

// Billing serves the finance desk.
type Billing struct {
	svc   BillingService
	accts BillingAccounts
	app   *web.App
	// Forecasts computes funds forecasts (products.Service.ForecastMany);
	// nil leaves the forecast off the pages.
	Forecasts func(ctx context.Context, accountIDs []int64, now time.Time) (map[int64]lumiproducts.Forecast, error)
}

// NewBilling makes the route group.
func NewBilling(svc BillingService, accts BillingAccounts) *Billing {
	return &Billing{svc: svc, accts: accts}
}

// LowBalanceThreshold marks balances shown in red and counted as low.
const LowBalanceThreshold money.Cents = 10_00

const (
	billingTimeFormat = "Jan 2, 15:04"
	billingFullTime   = "2006-01-02 15:04:05 UTC"
	verifyMaxAge      = time.Minute
)

// Routes implements RouteGroup.
func (h *Billing) Routes(a *web.App) []web.Route {
	h.app = a
	const acct = "/lumi/accounts/:id<int>"
	const dep = acct + "/deposits/:did<int>"
	const req = "/lumi/approvals/:rid<int>"
	return []web.Route{
		{"GET", "/lumi", staff.PermBillingView, h.desk},
		{"GET", "/lumi/ledger", staff.PermBillingView, h.ledger},
		{"GET", "/lumi/ledger/export.csv", staff.PermBillingView, h.export},
		{"GET", "/lumi/approvals", staff.PermBillingView, h.approvals},
		{"GET", req + "/approve", staff.PermBillingApprove, h.decideForm("approve")},
		{"POST", req + "/approve", staff.PermBillingApprove, h.decide("approve")},
		{"GET", req + "/reject", staff.PermBillingApprove, h.decideForm("reject")},
		{"POST", req + "/reject", staff.PermBillingApprove, h.decide("reject")},
		{"GET", acct, staff.PermBillingView, h.account},
		{"GET", acct + "/summary", staff.PermBillingView, h.summary},
		{"GET", acct + "/topup", staff.PermBillingCredit, h.form("topup")},
		{"POST", acct + "/topup", staff.PermBillingCredit, h.act("topup")},
		{"GET", acct + "/adjust", staff.PermBillingCredit, h.form("adjust")},
		{"POST", acct + "/adjust", staff.PermBillingCredit, h.act("adjust")},
		{"GET", acct + "/refund", staff.PermBillingCredit, h.form("refund")},
		{"POST", acct + "/refund", staff.PermBillingCredit, h.act("refund")},
		{"GET", acct + "/deposits/new", staff.PermBillingCredit, h.form("deposit")},
		{"POST", acct + "/deposits", staff.PermBillingCredit, h.act("deposit")},
		{"GET", dep + "/pay", staff.PermBillingCredit, h.form("pay")},
		{"POST", dep + "/pay", staff.PermBillingCredit, h.act("pay")},
		{"GET", dep + "/sandbox-pay", staff.PermBillingCredit, h.form("sandbox-pay")},
		{"POST", dep + "/sandbox-pay", staff.PermBillingCredit, h.act("sandbox-pay")},
		{"GET", dep + "/cancel", staff.PermBillingCredit, h.form("cancel")},
		{"POST", dep + "/cancel", staff.PermBillingCredit, h.act("cancel")},
		{"POST", billing.SandboxWebhookPath, staff.PermPublic, h.webhook},
	}
}

var lumiCrumb = layouts.Crumb{Label: "Lumi", Href: view.DeskPath}

func (h *Billing) page(c *fiber.Ctx, title string, crumbs ...layouts.Crumb) layouts.Page {
	return h.app.Page(c, title, "lumi", append([]layouts.Crumb{lumiCrumb}, crumbs...)...)
}

func billingTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(billingTimeFormat)
}

// dollars rounds cents to whole dollars for the charts' axes.
func dollars(c money.Cents) int64 { return (int64(c) + 50) / 100 }

// ---------------------------------------------------------------- desk

// addRenewals fills the balances list's 30-day renewals column (one query
// for the page).
func (h *Billing) addRenewals(ctx context.Context, rows []view.BalanceRow) error {
	if h.Forecasts == nil || len(rows) == 0 {
		return nil
	}
	ids := make([]int64, len(rows))
	for i, r := range rows {
		ids[i] = r.AccountID
	}
	m, err := h.Forecasts(ctx, ids, time.Now())
	if err != nil {
		return err
	}
	for i := range rows {
		w := forecastWindowView(m[rows[i].AccountID].Short30, "red")
		rows[i].Renewals = &w
	}
	return nil
}

// forecastWindowView: covered is green, a shortfall takes shortTone.
func forecastWindowView(w lumiproducts.ForecastWindow, shortTone string) view.ForecastWindowView {
	out := view.ForecastWindowView{Days: strconv.Itoa(w.Days), Due: w.Due.String(), Renewals: w.Renewals, Tone: "green"}
	if !w.Covered() {
		out.Short, out.Tone = w.Short.String(), shortTone
	}
	return out
}

func forecastView(f lumiproducts.Forecast) view.ForecastView {
	// Short within 30 days is red; short only later is amber.
	v := view.ForecastView{Windows: []view.ForecastWindowView{forecastWindowView(f.Short30, "red"), forecastWindowView(f.Long90, "amber")},
		Unpriced: f.Unpriced}
	if !f.Short30.Covered() {
		v.Windows[1].Tone = "red"
	}
	for i, it := range f.Items {
		if i == view.MaxForecastItems {
			v.More = len(f.Items) - i
			break
		}
		iv := view.ForecastItemView{Label: it.Label, Due: it.DueAt.Format("Jan 2, 2006"), Price: it.Price.String()}
		switch it.Product {
		case lumiproducts.ProductDomain:
			iv.Product, iv.Href = "Domain", "/lumi/domains/"+strconv.FormatInt(it.ID, 10)
		case lumiproducts.ProductVPS:
			iv.Product, iv.Href = "VPS", "/lumi/vps/"+strconv.FormatInt(it.ID, 10)
		default:
			iv.Product, iv.Href = "Proxy", "/lumi/proxies/"+strconv.FormatInt(it.ID, 10)
		}
		v.Items = append(v.Items, iv)
	}
	return v
}

func parseDeskQuery(c *fiber.Ctx) (view.DeskFilters, billing.BalanceFilter, map[string]string) {
	q := func(k string) string { return strings.TrimSpace(utils.CopyString(c.Query(k))) }
	f := view.DeskFilters{Q: q("q"), Below: q("below"), Sort: q("sort")}
	p := billing.BalanceFilter{Query: f.Q, Cursor: q("cursor")}
	errs := map[string]string{}
	if f.Sort == "-balance" {
		f.Sort = ""
	}
	switch f.Sort {
	case "":
		p.Sort = billing.SortBalanceDesc
	case "balance":
		p.Sort = billing.SortBalanceAsc
	default:
		errs["sort"] = "Unknown order; showing the largest balances first."
		f.Sort, p.Sort = "", billing.SortBalanceDesc
	}
	if f.Below != "" {
		v, err := money.Parse(strings.TrimPrefix(f.Below, "$"))
		if err != nil || v <= 0 || v > billing.MaxAmount {
			errs["below"] = "The low-balance threshold is an amount like 10.00; showing all balances."
			f.Below = ""
		} else {
			f.Below, p.Below = v.String(), &v
		}
	}
	for k, msg := range billing.ValidateBalanceFilter(p) {
		errs[k] = msg
		if k == "q" {
			f.Q, p.Query = "", ""
		}
	}
	return f, p, errs
}

func (h *Billing) desk(c *fiber.Ctx) error {
	ctx := c.UserContext()
	f, p, errs := parseDeskQuery(c)
	page, err := h.svc.Balances(ctx, p)
	if errors.Is(err, billing.ErrBadCursor) {
		p.Cursor = ""
		page, err = h.svc.Balances(ctx, p)
	}
	if err != nil {
		return err
	}
	v := view.Desk{Filters: f, Errors: errs, Limit: h.svc.ApprovalLimit().String()}
	for _, r := range page.Items {
		v.Rows = append(v.Rows, view.BalanceRow{AccountID: r.AccountID, Name: r.AccountName, Email: r.AccountEmail, Status: r.AccountStatus,
			Balance: r.Amount.String(), Low: r.Amount < LowBalanceThreshold, Updated: billingTime(r.UpdatedAt), UpdatedAt: r.UpdatedAt.Format(billingFullTime)})
	}
	if err := h.addRenewals(ctx, v.Rows); err != nil {
		return err
	}
	v.Empty = len(page.Items) == 0 && !f.Any() && p.Cursor == ""
	if page.Next != "" {
		v.NextHref = view.DeskPath + f.Query("cursor", page.Next)
	}
	if p.Cursor != "" {
		v.FirstHref = view.DeskPath + f.Query()
	}
	c.Vary("HX-Request")
	status := fiber.StatusOK
	if len(errs) > 0 {
		status = fiber.StatusUnprocessableEntity
	}
	if web.IsHTMX(c) && c.Get("HX-Target") == "balances-results" && c.Get("HX-History-Restore-Request") != "true" {
		return web.Render(c, fiber.StatusOK, view.DeskResults(v))
	}
	if v.Verify, err = h.verifyView(ctx); err != nil {
		return err
	}
	if v.Pending, err = h.svc.PendingCount(ctx); err != nil {
		return err
	}
	days, err := h.svc.DailyTotals(ctx, 30)
	if err != nil {
		return err
	}
	var dep, spend money.Cents
	for _, d := range days {
		label := d.Day.Format("Jan 2")
		v.Deposits = append(v.Deposits, components.ChartPoint{Label: label, Value: dollars(d.Deposits)})
		v.Spend = append(v.Spend, components.ChartPoint{Label: label, Value: dollars(d.Spend)})
		dep += d.Deposits
		spend += d.Spend
	}
	low, err := h.svc.LowBalances(ctx, LowBalanceThreshold, 100)
	if err != nil {
		return err
	}
	lowN := strconv.Itoa(len(low))
	if len(low) == 100 {
		lowN = "100+"
	}
	v.Stats = []view.StatView{
		{Label: "Deposits · 30 days", Value: dep.String(), Hint: "USD credited"},
		{Label: "Spend · 30 days", Value: spend.String(), Hint: "purchases and renewals"},
		{Label: "Waiting for approval", Value: strconv.FormatInt(v.Pending, 10), Hint: "above " + v.Limit},
		{Label: "Low balances", Value: lowN, Hint: "below " + LowBalanceThreshold.String()},
	}
	return web.Render(c, status, view.DeskPage(h.page(c, "Lumi finance desk"), v))
}

func (h *Billing) verifyView(ctx context.Context) (view.VerifyView, error) {
	ver, err := h.svc.VerifyCached(ctx, verifyMaxAge)
	if err != nil {
		return view.VerifyView{}, err
	}
	out := view.VerifyView{OK: ver.OK(), Accounts: components.Thousands(int64(ver.Accounts)), Entries: components.Thousands(ver.Entries),
		CheckedAt: ver.CheckedAt.Format("15:04:05 UTC")}
	for _, p := range ver.Problems {
		out.Problems = append(out.Problems, view.ProblemView{AccountID: p.AccountID, Message: p.Message})
	}
	return out, nil
}

// ---------------------------------------------------------------- ledger

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
	day := func(name, value string) *time.Time {
		if value == "" {
			return nil
		}
		t, err := time.Parse(time.DateOnly, value)
		if err != nil || t.Year() < 2000 || t.Year() > 9998 {
			errs[name] = "Dates look like 2026-01-31."
			return nil
		}
		return &t
	}
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
	return view.EntryRow{ID: e.ID, When: billingTime(e.CreatedAt), WhenFull: e.CreatedAt.Format(billingFullTime), AccountID: e.AccountID,
		AccountName: e.AccountName, Kind: e.Kind, Amount: e.Amount.String(), BalanceAfter: e.BalanceAfter.String(), Cause: e.Cause(),
		Actor: e.Actor(), Reason: e.Reason, RefundOf: e.RefundOfID,
		Refundable: canRefund && (e.Kind == billing.KindPurchase || e.Kind == billing.KindRenewal)}
}

func (h *Billing) ledger(c *fiber.Ctx) error {
	ctx := c.UserContext()
	f, p, errs := parseLedgerQuery(c)
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
	c.Vary("HX-Request")
	if web.IsHTMX(c) && c.Get("HX-Target") == "ledger-results" && c.Get("HX-History-Restore-Request") != "true" {
		return web.Render(c, fiber.StatusOK, view.LedgerResults(v))
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

// ---------------------------------------------------------------- account

func (h *Billing) accountOf(c *fiber.Ctx) (accounts.Account, error) {
	id, ok := web.ParseID(c.Params("id"))
	if !ok {
		return accounts.Account{}, accounts.ErrNotFound
	}
	return h.accts.Get(c.UserContext(), id)
}

func requestRow(r billing.AdjustmentRequest, me int64) view.RequestRow {
	kind := "Adjustment"
	if r.Kind == billing.RequestTopUp {
		kind = "Top-up"
	}
	row := view.RequestRow{ID: r.ID, AccountID: r.AccountID, AccountName: r.AccountName, Kind: kind, Amount: r.Amount.String(),
		Reason: r.Reason, Status: r.Status, By: r.RequestedLabel, When: billingTime(r.CreatedAt), Note: r.DecisionReason,
		Mine: me != 0 && r.RequestedBy == me}
	if r.DecidedAt != nil {
		row.Decided = r.DecidedLabel + " · " + billingTime(*r.DecidedAt)
	}
	if row.AccountName == "" {
		row.AccountName = "Account #" + strconv.FormatInt(r.AccountID, 10)
	}
	return row
}

func depositRow(d billing.Deposit, now time.Time) view.DepositRow {
	row := view.DepositRow{ID: d.ID, PublicID: d.PublicID, Amount: d.Amount.String(), Provider: billing.ProviderLabel(d.Provider),
		Sandbox: d.Sandbox(), Status: d.Status, Created: billingTime(d.CreatedAt)}
	expired := d.ExpiresAt != nil && !now.Before(*d.ExpiresAt)
	switch {
	case d.Status == billing.DepositPaid && d.PaidAt != nil:
		row.Closes = "paid " + billingTime(*d.PaidAt)
	case d.Status == billing.DepositPending && expired:
		row.Closes = "expired " + billingTime(*d.ExpiresAt)
	case d.Status == billing.DepositPending && d.ExpiresAt != nil:
		row.Closes = "until " + billingTime(*d.ExpiresAt)
	case d.ClosedAt != nil:
		row.Closes = billingTime(*d.ClosedAt)
	}
	row.CanPay = d.Status == billing.DepositPending && !expired
	row.CanCancel = d.Status == billing.DepositPending
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
	v := view.Account{ID: a.ID, Name: a.Name, Email: a.Email, Status: a.Status, Balance: bal.Amount.String(), Updated: billingTime(bal.UpdatedAt),
		Limit: h.svc.ApprovalLimit().String(), CanCredit: canCredit}
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
	v := view.Summary{ID: a.ID, Balance: bal.Amount.String(), Updated: billingTime(bal.UpdatedAt)}
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

// ---------------------------------------------------------------- actions

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
		done, err := h.svc.Refunded(ctx, e.ID)
		if err != nil {
			return act, err
		}
		act.EntryID = e.ID
		act.EntryText = fmt.Sprintf("%s #%d of %s", components.Humanize(e.Kind), e.ID, (-e.Amount).String())
		if e.Cause() != "" {
			act.EntryText += " (" + e.Cause() + ")"
		}
		act.Left = max(-e.Amount-done, 0).String()
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

// ---------------------------------------------------------------- approvals

func (h *Billing) approvalsView(c *fiber.Ctx) (view.Approvals, error) {
	ctx := c.UserContext()
	me := int64(0)
	if u := web.CurrentUser(c); u != nil {
		me = u.ID
	}
	v := view.Approvals{CanApprove: web.Can(c, staff.PermBillingApprove), Limit: h.svc.ApprovalLimit().String()}
	pending, err := h.svc.PendingRequests(ctx, 0, billing.MaxLimit)
	if err != nil {
		return v, err
	}
	for _, r := range pending {
		v.Pending = append(v.Pending, requestRow(r, me))
	}
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
	what := "Adjustment"
	if r.Kind == billing.RequestTopUp {
		what = "Top-up"
	}
	act := view.Action{Kind: kind, AccountID: r.AccountID, AccountName: r.AccountName, RequestID: r.ID, Target: "#approvals",
		Limit: h.svc.ApprovalLimit().String(), Errors: map[string]string{},
		Request: fmt.Sprintf("%s of %s for %s (account #%d), asked by %s: “%s”", what, r.Amount, r.AccountName, r.AccountID, r.RequestedLabel, r.Reason)}
	switch {
	case r.Status != billing.RequestPending:
		act.FormError = "This request was already decided (" + r.Status + ")."
	case web.CurrentUser(c) != nil && r.RequestedBy == web.CurrentUser(c).ID:
		act.FormError = web.Capitalize(billing.ErrSameApprover.Error()) + "."
	}
	return act, nil
}

func (h *Billing) decideForm(kind string) fiber.Handler {
	return func(c *fiber.Ctx) error {
		act, err := h.requestAction(c, kind)
		if err != nil {
			return err
		}
		return h.renderAction(c, fiber.StatusOK, act)
	}
}

func (h *Billing) decide(kind string) fiber.Handler {
	return func(c *fiber.Ctx) error {
		act, err := h.requestAction(c, kind)
		if err != nil {
			return err
		}
		act.FormError = ""
		act.Reason = c.FormValue("reason")
		ctx, actor := c.UserContext(), web.Actor(c)
		var msg string
		if kind == "approve" {
			var r billing.AdjustmentRequest
			var e billing.LedgerEntry
			r, e, err = h.svc.Approve(ctx, actor, act.RequestID, act.Reason)
			if err == nil {
				msg = fmt.Sprintf("Request #%d approved: %s applied to %s. Balance %s.", r.ID, r.Amount, act.AccountName, e.BalanceAfter)
			}
		} else {
			_, err = h.svc.Reject(ctx, actor, act.RequestID, act.Reason)
			msg = fmt.Sprintf("Request #%d rejected; no money moved.", act.RequestID)
		}
		if err != nil {
			return h.actionError(c, act, err)
		}
		if !web.IsHTMX(c) {
			h.app.Toast(c, "success", msg)
			return web.Redirect(c, view.ApprovalsPath)
		}
		v, err := h.approvalsView(c)
		if err != nil {
			return err
		}
		return web.Render(c, fiber.StatusOK, view.ApprovalsPanelWithToast(v, components.Toast{Kind: "success", Message: msg}))
	}
}

// ---------------------------------------------------------------- webhook

// webhookError writes the Lumi API's error envelope.
func webhookError(c *fiber.Ctx, status int, code, msg string) error {
	return c.Status(status).JSON(fiber.Map{"error": fiber.Map{"code": code, "message": msg}})
}

// webhook receives the sandbox provider's signed notifications. It answers
// 200 for a delivery it has acted on before, so the provider stops retrying.
func (h *Billing) webhook(c *fiber.Ctx) error {
	body := bytes.Clone(c.Body())
	if len(body) > billing.MaxWebhookBody {
		return webhookError(c, fiber.StatusRequestEntityTooLarge, "payload_too_large", "The webhook body is too large.")
	}
	sig := utils.CopyString(c.Get(billing.SandboxSignatureHeader))
	actor := audit.Actor{Kind: audit.KindSystem, Label: h.svc.Sandbox().Label() + " webhook", IP: c.IP(), RequestID: web.RequestID(c),
		UserAgent: utils.CopyString(web.Truncate(c.Get(fiber.HeaderUserAgent), 300))}
	res, err := h.svc.HandleWebhook(c.UserContext(), actor, h.svc.Sandbox(), sig, body)
	switch {
	case errors.Is(err, billing.ErrBadSignature):
		return webhookError(c, fiber.StatusUnauthorized, "invalid_signature", "The "+billing.SandboxSignatureHeader+" header is missing or does not match the body.")
	case errors.Is(err, billing.ErrBadWebhook), errors.Is(err, billing.ErrAmountMismatch):
		return webhookError(c, fiber.StatusUnprocessableEntity, "validation_error", web.Capitalize(err.Error())+".")
	case errors.Is(err, billing.ErrNotFound):
		return webhookError(c, fiber.StatusNotFound, "not_found", "No deposit has this invoice reference.")
	case errors.Is(err, billing.ErrDepositNotPending), errors.Is(err, billing.ErrDepositExpired):
		return webhookError(c, fiber.StatusConflict, "deposit_not_pending", web.Capitalize(err.Error())+".")
	case err != nil:
		h.app.Log().Error("sandbox webhook failed", "err", err, "request_id", web.RequestID(c))
		return webhookError(c, fiber.StatusInternalServerError, "internal_error", "The webhook could not be processed; retry later.")
	}
	status := "credited"
	switch {
	case res.Ignored:
		status = "ignored"
	case !res.Credited:
		status = "already_paid"
	}
	out := fiber.Map{"status": status}
	if res.Deposit.PublicID != "" {
		out["deposit"] = fiber.Map{"id": res.Deposit.PublicID, "status": res.Deposit.Status, "amount": res.Deposit.Amount.String()}
	}
	return c.JSON(out)
}
