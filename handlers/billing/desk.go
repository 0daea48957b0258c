package billing

// The Lumi finance desk (balances, ledger, approvals, an account's money
// page and its actions), the account page's Lumi tab, and the sandbox
// payment provider's webhook endpoint.

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"time"

	"github.com/a-h/templ"
	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/utils"

	"lumdesk/handlers/web"
	"lumdesk/internal/accounts"
	"lumdesk/internal/billing"
	lumiproducts "lumdesk/internal/billing/products"
	"lumdesk/internal/platform/listcount"
	"lumdesk/internal/platform/money"
	"lumdesk/internal/product"
	"lumdesk/views/components"
	"lumdesk/views/layouts"
	view "lumdesk/views/pages/billing"
)

// DeskService is what the desk (balances, totals, the ledger check) need of internal/billing.
type DeskService interface {
	Balances(ctx context.Context, f billing.BalanceFilter) (billing.BalancePage, error)
	CountBalances(ctx context.Context, f billing.BalanceFilter, limitTo int) (listcount.Count, error)
	LowBalances(ctx context.Context, threshold money.Cents, limit int) ([]billing.BalanceRow, error)
	VerifyCached(ctx context.Context) (billing.Verification, error)
	DailyTotalsFrom(ctx context.Context, since time.Time, days int) ([]billing.DayTotal, error)
	PendingCount(ctx context.Context) (int64, error)
	ApprovalLimit() money.Cents
}

// BillingService is what the finance desk needs of internal/billing; each
// page's file declares its part.
type BillingService interface {
	DeskService
	LedgerService
	AccountService
	DepositsService
	AdjustmentsService
	ApprovalsService
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
	// Holdings counts an account's domains, VPS and proxies
	// (products.Service.Holdings) for its overview card; nil leaves them off.
	Holdings func(ctx context.Context, scope accounts.Scope) (lumiproducts.Holdings, error)
}

// AccountTabProduct: Billing renders the billing product's account tab.
func (h *Billing) AccountTabProduct() string { return product.Billing }

// AccountTab is the account page's Lumi tab: a loader that fetches the
// balance and the products.
func (h *Billing) AccountTab(_ *fiber.Ctx, accountID int64) (templ.Component, error) {
	return view.AccountTabLoader(accountID), nil
}

// NewDesk makes the route group.
func NewDesk(svc BillingService, accts BillingAccounts) *Billing {
	return &Billing{svc: svc, accts: accts}
}

var lumiCrumb = layouts.Crumb{Label: "Lumi", Href: view.DeskPath}

func (h *Billing) page(c *fiber.Ctx, title string, crumbs ...layouts.Crumb) layouts.Page {
	return h.app.Page(c, title, "lumi", append([]layouts.Crumb{lumiCrumb}, crumbs...)...)
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
	out := view.ForecastWindowView{Days: strconv.Itoa(w.Days), Due: components.Money(w.Due), Renewals: w.Renewals, Tone: "green"}
	if !w.Covered() {
		out.Short, out.Tone = components.Money(w.Short), shortTone
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
		iv := view.ForecastItemView{Label: it.Label, Due: components.Date(it.DueAt), Price: components.Money(it.Price)}
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
	if web.IsCountRequest(c) { // the count web.PageCount deferred: of the filters the list applied
		n, err := h.svc.CountBalances(ctx, p, listcount.Cap)
		return web.RenderCount(c, n, err, "balance", "balances")
	}
	page, err := h.svc.Balances(ctx, p)
	if errors.Is(err, billing.ErrBadCursor) {
		p.Cursor = ""
		page, err = h.svc.Balances(ctx, p)
	}
	if err != nil {
		return err
	}
	v := view.Desk{Filters: f, Errors: errs, Limit: components.Money(h.svc.ApprovalLimit())}
	for _, r := range page.Items {
		v.Rows = append(v.Rows, view.BalanceRow{AccountID: r.AccountID, Name: r.AccountName, Email: r.AccountEmail, Status: r.AccountStatus,
			Balance: components.Money(r.Amount), Low: billing.IsLow(r.Amount), Updated: r.UpdatedAt})
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
	v.Bar = h.app.ListBar(c, view.DeskPath, f.Query(), f.ActiveFilters())
	web.PageCount(c, &v.Bar, len(v.Rows), p.Cursor != "", page.Next != "", "balance", "balances")
	c.Vary("HX-Request")
	rng := web.ParseChartRange(c, "30d", time.Now())
	status := fiber.StatusOK
	if len(errs) > 0 || rng.Error != "" {
		status = fiber.StatusUnprocessableEntity
	}
	if web.IsHTMX(c) && c.Get("HX-Target") == "balances-results" && c.Get("HX-History-Restore-Request") != "true" {
		return web.Render(c, fiber.StatusOK, view.DeskResults(v))
	}
	if err := h.deskCharts(c, &v, rng); err != nil {
		return err
	}
	// The range picker swaps only the charts (200 even for a refused range:
	// htmx swaps no 4xx).
	if web.IsHTMX(c) && c.Get("HX-Target") == deskChartsTarget && c.Get("HX-History-Restore-Request") != "true" {
		return web.Render(c, fiber.StatusOK, view.DeskCharts(v))
	}
	if v.Verify, err = h.verifyView(ctx); err != nil {
		return err
	}
	if v.Pending, err = h.svc.PendingCount(ctx); err != nil {
		return err
	}
	today := time.Now().UTC().Truncate(24 * time.Hour)
	days, err := h.svc.DailyTotalsFrom(ctx, today.AddDate(0, 0, -29), 30)
	if err != nil {
		return err
	}
	var dep, spend money.Cents
	for _, d := range days {
		dep += d.Deposits
		spend += d.Spend
	}
	low, err := h.svc.LowBalances(ctx, billing.LowBalanceThreshold, 100)
	if err != nil {
		return err
	}
	lowN := strconv.Itoa(len(low))
	if len(low) == 100 {
		lowN = "100+"
	}
	v.Stats = []view.StatView{
		{Label: "Deposits · 30 days", Value: components.Money(dep), Hint: "USD credited"},
		{Label: "Spend · 30 days", Value: components.Money(spend), Hint: "purchases and renewals"},
		{Label: "Waiting for approval", Value: strconv.FormatInt(v.Pending, 10), Hint: "above " + v.Limit},
		{Label: "Low balances", Value: lowN, Hint: "below " + components.Money(billing.LowBalanceThreshold)},
	}
	return web.Render(c, status, view.DeskPage(h.page(c, "Lumi finance desk"), v))
}

// deskChartsTarget is the id of the desk's money charts and their range
// picker, which the picker's links swap.
const deskChartsTarget = "desk-charts"

// deskCharts fills the money charts for the chosen range.
func (h *Billing) deskCharts(c *fiber.Ctx, v *view.Desk, rng web.ChartRange) error {
	days, err := h.svc.DailyTotalsFrom(c.UserContext(), rng.From, rng.Days())
	if err != nil {
		return err
	}
	v.Range = rng.View(view.DeskPath, deskChartsTarget)
	for _, d := range days {
		label := d.Day.Format("Jan 2")
		v.Deposits = append(v.Deposits, components.ChartPoint{Label: label, Value: dollars(d.Deposits)})
		v.Spend = append(v.Spend, components.ChartPoint{Label: label, Value: dollars(d.Spend)})
	}
	return nil
}

func (h *Billing) verifyView(ctx context.Context) (view.VerifyView, error) {
	ver, err := h.svc.VerifyCached(ctx)
	if err != nil {
		return view.VerifyView{}, err
	}
	out := view.VerifyView{OK: ver.OK(), Accounts: components.Thousands(int64(ver.Accounts)), Entries: components.Thousands(ver.Entries),
		CheckedAt: components.RelTime(ver.CheckedAt, time.Now())}
	for _, p := range ver.Problems {
		out.Problems = append(out.Problems, view.ProblemView{AccountID: p.AccountID, Message: p.Message})
	}
	return out, nil
}
