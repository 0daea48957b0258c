// Package billing is Lumi in the customer portal (/portal/lumi): the
// account's balance and ledger (with its CSV export), top-ups through the
// payment provider (the sandbox pays them from the page), and the domains,
// VPS and proxies the account owns: buying them (buy.go), renew and
// auto-renew, and each item's page (nameservers, lock, privacy, EPP code,
// power, allow list, password), which is the console's in the portal's
// face (billinghttp.ForPortal). Every service call carries
// web.PortalScope(c): another account's deposit or item is "not found"
// like an unknown one. routes.go is its route table.
package billing

import (
	"context"
	"errors"

	"github.com/gofiber/fiber/v2"

	billinghttp "lumdesk/handlers/billing"
	"lumdesk/handlers/web"
	"lumdesk/internal/accounts"
	"lumdesk/internal/audit"
	"lumdesk/internal/billing"
	lumiproducts "lumdesk/internal/billing/products"
	"lumdesk/internal/customers"
	"lumdesk/internal/platform/money"
	"lumdesk/internal/product"
	"lumdesk/views/components"
	"lumdesk/views/layouts"
	billview "lumdesk/views/pages/billing"
	portalview "lumdesk/views/pages/portal"
	view "lumdesk/views/pages/portal/billing"
)

// BillingService is what the portal's Lumi pages need of internal/billing:
// only its account-scoped methods.
type BillingService interface {
	BalanceIn(ctx context.Context, scope accounts.Scope) (billing.Balance, error)
	LedgerIn(ctx context.Context, scope accounts.Scope, f billing.LedgerFilter) (billing.LedgerPage, error)
	ForEachLedgerIn(ctx context.Context, scope accounts.Scope, f billing.LedgerFilter, fn func(billing.LedgerEntry) error) error
	DepositsIn(ctx context.Context, scope accounts.Scope, before int64, limit int) ([]billing.Deposit, error)
	DepositIn(ctx context.Context, scope accounts.Scope, id int64) (billing.Deposit, error)
	CreateDepositIn(ctx context.Context, actor audit.Actor, scope accounts.Scope, in billing.DepositInput) (billing.Deposit, error)
	SimulateSandboxPaymentIn(ctx context.Context, actor audit.Actor, scope accounts.Scope, depositID int64, baseURL, note string) (billing.Deposit, error)
	CryptoPay() *billing.CryptoPay
}

// ProductsService is what the portal's Lumi pages need of
// internal/billing/products: the item pages it shares with the console
// (billinghttp.ProductsService), and its lists and renewals.
type ProductsService interface {
	billinghttp.ProductsService
	Holdings(ctx context.Context, scope accounts.Scope) (lumiproducts.Holdings, error)
	ListDomains(ctx context.Context, f lumiproducts.ListFilter) (lumiproducts.Page[lumiproducts.Domain], error)
	ListVPS(ctx context.Context, f lumiproducts.ListFilter) (lumiproducts.Page[lumiproducts.VPS], error)
	ListProxies(ctx context.Context, f lumiproducts.ListFilter) (lumiproducts.Page[lumiproducts.Proxy], error)
	GetDomain(ctx context.Context, scope accounts.Scope, id int64) (lumiproducts.Domain, error)
	GetVPS(ctx context.Context, scope accounts.Scope, id int64) (lumiproducts.VPS, error)
	GetProxy(ctx context.Context, scope accounts.Scope, id int64) (lumiproducts.Proxy, error)
	Quote(ctx context.Context, scope accounts.Scope, product string, id int64, in lumiproducts.QuoteInput) (money.Cents, error)
	RenewDomainIn(ctx context.Context, actor audit.Actor, scope accounts.Scope, id int64, years int, idemKey string) (lumiproducts.Domain, error)
	RenewVPSIn(ctx context.Context, actor audit.Actor, scope accounts.Scope, id int64, months int, idemKey string) (lumiproducts.VPS, error)
	RenewProxyIn(ctx context.Context, actor audit.Actor, scope accounts.Scope, id int64, months int, idemKey string) (lumiproducts.Proxy, error)
	SetAutoRenew(ctx context.Context, actor audit.Actor, scope accounts.Scope, id int64, on bool) (lumiproducts.Domain, error)
	SetVPSAutoRenew(ctx context.Context, actor audit.Actor, scope accounts.Scope, id int64, on bool) (lumiproducts.VPS, error)
	SetProxyAutoRenew(ctx context.Context, actor audit.Actor, scope accounts.Scope, id int64, on bool) (lumiproducts.Proxy, error)
	BuyDomain(ctx context.Context, actor audit.Actor, in lumiproducts.BuyDomainInput) (lumiproducts.Domain, error)
	SearchDomains(ctx context.Context, q string) ([]lumiproducts.DomainOption, error)
	BuyVPS(ctx context.Context, actor audit.Actor, in lumiproducts.BuyVPSInput) (lumiproducts.VPS, error)
	BuyProxy(ctx context.Context, actor audit.Actor, in lumiproducts.BuyProxyInput) (lumiproducts.Proxy, error)
}

// Lumi is the portal's Lumi route group and its portal.Area.
type Lumi struct {
	app   *web.App
	bill  BillingService
	prods ProductsService
	pages billinghttp.PortalItems // the console's item pages, in the portal's face
}

// New makes the route group; names finds accounts' names (the item
// pages name the account).
func New(bill BillingService, prods ProductsService, names web.AccountNames) *Lumi {
	h := &Lumi{bill: bill, prods: prods}
	h.pages = billinghttp.ForPortal(prods, names, billview.ItemFace{Path: view.Path, Portal: true},
		web.PortalScope,
		func(c *fiber.Ctx) bool { return web.CustomerMay(c, customers.PermDevelop) },
		func(c *fiber.Ctx) bool { return web.CustomerMay(c, customers.PermBilling) },
		func(c *fiber.Ctx, title string, crumbs ...layouts.Crumb) layouts.Page {
			return h.page(c, title, crumbs...)
		})
	return h
}

// PortalProduct implements portal.Area.
func (h *Lumi) PortalProduct() string { return product.Billing }

// PortalHome implements portal.Area: the balance, what the account holds
// and its next renewal.
func (h *Lumi) PortalHome(c *fiber.Ctx, _ int64) (portalview.HomeProduct, error) {
	ctx, scope := c.UserContext(), web.PortalScope(c)
	bal, err := h.bill.BalanceIn(ctx, scope)
	if err != nil {
		return portalview.HomeProduct{}, err
	}
	held, err := h.prods.Holdings(ctx, scope)
	if err != nil {
		return portalview.HomeProduct{}, err
	}
	n := components.Thousands
	return portalview.HomeProduct{Figures: []portalview.Figure{
		{Label: "Balance", Value: components.Money(bal.Amount)},
		{Label: "Domains", Value: n(held.Domains)},
		{Label: "VPS", Value: n(held.VPS)},
		{Label: "Proxies", Value: n(held.Proxies)},
		{Label: "Next renewal", Value: nextRenewal(held)},
	}}, nil
}

func nextRenewal(held lumiproducts.Holdings) string {
	if held.Next == nil {
		return "Nothing due"
	}
	return components.Date(held.Next.DueAt)
}

// page is the layout of a Lumi page.
func (h *Lumi) page(c *fiber.Ctx, title string, crumbs ...layouts.Crumb) layouts.Page {
	return h.app.PortalPage(c, title, product.Billing, append([]layouts.Crumb{{Label: "Lumi", Href: view.Path}}, crumbs...)...)
}

// header loads what every Lumi page shows on top.
func (h *Lumi) header(c *fiber.Ctx, active string) (view.Header, money.Cents, error) {
	bal, err := h.bill.BalanceIn(c.UserContext(), web.PortalScope(c))
	if err != nil {
		return view.Header{}, 0, err
	}
	return view.Header{Balance: components.Money(bal.Amount), Low: billing.IsLow(bal.Amount), Active: active, CanBilling: web.CustomerMay(c, customers.PermBilling)}, bal.Amount, nil
}

// overview is /portal/lumi: balance, holdings and the ledger (keyset pages).
func (h *Lumi) overview(c *fiber.Ctx) error {
	ctx, scope := c.UserContext(), web.PortalScope(c)
	hd, _, err := h.header(c, "ledger")
	if err != nil {
		return err
	}
	held, err := h.prods.Holdings(ctx, scope)
	if err != nil {
		return err
	}
	n := components.Thousands
	v := view.Overview{Header: hd, Domains: n(held.Domains), VPS: n(held.VPS), Proxies: n(held.Proxies), NextRenewal: nextRenewal(held)}
	if held.Next != nil {
		v.NextRenewal += " · " + held.Next.Label
	}
	f := billing.LedgerFilter{Cursor: web.Field(c, "cursor"), Limit: 25}
	page, err := h.bill.LedgerIn(ctx, scope, f)
	if errors.Is(err, billing.ErrBadCursor) {
		f.Cursor = ""
		page, err = h.bill.LedgerIn(ctx, scope, f)
	}
	if err != nil {
		return err
	}
	for _, e := range page.Items {
		v.Entries = append(v.Entries, view.Entry{ID: e.ID, When: e.CreatedAt, Kind: e.Kind, Amount: components.Money(e.Amount),
			BalanceAfter: components.Money(e.BalanceAfter), Reason: e.Reason})
	}
	if page.Next != "" {
		v.NextHref = view.Path + "?cursor=" + page.Next
	}
	if f.Cursor != "" {
		v.FirstHref = view.Path
	}
	return web.Render(c, fiber.StatusOK, view.OverviewPage(h.page(c, "Lumi"), v))
}

// itemID is the :id of an item or deposit path; a malformed one is not found.
func itemID(c *fiber.Ctx, nf error) (int64, error) {
	id, ok := web.ParseID(c.Params("id"))
	if !ok {
		return 0, nf
	}
	return id, nil
}
