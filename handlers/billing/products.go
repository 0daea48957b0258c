package billing

// The Lumi products pages: domains, VPS and proxies sold against balances
// (lists with filters and keyset pages, detail pages with their actions),
// the price catalogue, and the button that queues the auto-renew job.
// Reading needs billing.view; changing needs billing.lumiproducts.manage or
// billing.balance.credit (checked in the handlers, so either one will do).

import (
	"context"
	"errors"
	"maps"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/utils"

	"lumdesk/handlers/web"
	"lumdesk/internal/accounts"
	"lumdesk/internal/audit"
	lumiproducts "lumdesk/internal/billing/products"
	"lumdesk/internal/platform/listcount"
	"lumdesk/internal/staff"
	"lumdesk/views/components"
	"lumdesk/views/layouts"
	view "lumdesk/views/pages/billing"
)

// ProductsService is what the Lumi product pages need of
// internal/billing/products: each resource's file declares its part.
type ProductsService interface {
	DomainsService
	VPSService
	ProxiesService
	PricesService
	RenewDue(ctx context.Context, actor audit.Actor, daysAhead int, now time.Time) (lumiproducts.RenewReport, error)
	Registrar() lumiproducts.Registrar
	Provisioner() lumiproducts.Provisioner
}

// Products is the route group.
type Products struct {
	app *web.App
	svc ProductsService
	// enqueue queues an auto-renew run (jobs.Service.EnqueueAutoRenew); nil
	// runs it in the request instead.
	enqueue func(ctx context.Context) error
	// names finds the accounts' names (accounts.Service.Names): items show
	// whose they are by name, never as "#26".
	names web.AccountNames

	// The item pages' face: the console's (every account, staff
	// permissions) unless ForPortal set the portal's.
	face      view.ItemFace
	scope     func(c *fiber.Ctx) accounts.Scope
	canManage func(c *fiber.Ctx) bool // the item's actions
	canPay    func(c *fiber.Ctx) bool // renew and auto-renew
	itemPage  func(c *fiber.Ctx, title string, crumbs ...layouts.Crumb) layouts.Page
}

// NewProducts makes the route group.
func NewProducts(svc ProductsService, enqueue func(ctx context.Context) error,
	names web.AccountNames) *Products {
	h := &Products{svc: svc, enqueue: enqueue, names: names, face: view.ConsoleItems,
		scope: func(*fiber.Ctx) accounts.Scope { return accounts.AllAccounts }, canManage: canManageProducts, canPay: canManageProducts}
	h.itemPage = h.page
	return h
}

// PortalItems is the item pages in the portal's face: the same handlers
// over the session's account (scope), with the portal's permissions and
// frame. The portal's route table names each method it serves with its
// permission; the portal's renewal and auto-renew stay its own (a
// confirmation page with the price, and a toggle its list shares).
type PortalItems struct{ h *Products }

// ForPortal makes the portal's item pages over svc.
func ForPortal(svc ProductsService, names web.AccountNames, face view.ItemFace,
	scope func(*fiber.Ctx) accounts.Scope, canManage, canPay func(*fiber.Ctx) bool,
	page func(c *fiber.Ctx, title string, crumbs ...layouts.Crumb) layouts.Page) PortalItems {
	return PortalItems{&Products{svc: svc, names: names, face: face, scope: scope, canManage: canManage, canPay: canPay, itemPage: page}}
}

// SetApp gives the handlers the app (its toasts); the portal's Routes call it.
func (p PortalItems) SetApp(a *web.App) { p.h.app = a }

// The item pages and actions the portal serves.
func (p PortalItems) Domain(c *fiber.Ctx) error         { return p.h.domain(c) }
func (p PortalItems) SetNameservers(c *fiber.Ctx) error { return p.h.setNameservers(c) }
func (p PortalItems) SetLock(c *fiber.Ctx) error        { return p.h.setLock(c) }
func (p PortalItems) SetPrivacy(c *fiber.Ctx) error     { return p.h.setPrivacy(c) }
func (p PortalItems) RevealEPP(c *fiber.Ctx) error      { return p.h.revealEPP(c) }
func (p PortalItems) VPS(c *fiber.Ctx) error            { return p.h.vps(c) }
func (p PortalItems) PowerVPS(c *fiber.Ctx) error       { return p.h.powerVPS(c) }
func (p PortalItems) Proxy(c *fiber.Ctx) error          { return p.h.proxy(c) }
func (p PortalItems) SetAllowList(c *fiber.Ctx) error   { return p.h.setAllowList(c) }
func (p PortalItems) RevealPassword(c *fiber.Ctx) error { return p.h.revealProxyPassword(c) }
func (p PortalItems) ExportDomains(c *fiber.Ctx) error  { return p.h.export(c, "domains") }
func (p PortalItems) ExportVPS(c *fiber.Ctx) error      { return p.h.export(c, "vps") }
func (p PortalItems) ExportProxies(c *fiber.Ctx) error  { return p.h.export(c, "proxies") }

// canManageProducts shows the change buttons; the routes themselves require
// billing.products.manage, which every role with billing.balance.credit holds.
func canManageProducts(c *fiber.Ctx) bool {
	return web.Can(c, staff.PermProductsManage) || web.Can(c, staff.PermBillingCredit)
}

// sandbox reports whether a list's adapter is the offline sandbox: the
// registrar for domains, the provisioner for VPS and proxies.
func (h *Products) sandbox(kind string) bool {
	if kind == "domains" {
		return h.svc.Registrar().Sandbox()
	}
	return h.svc.Provisioner().Sandbox()
}

func (h *Products) page(c *fiber.Ctx, title string, crumbs ...layouts.Crumb) layouts.Page {
	return h.app.Page(c, title, "lumi", append([]layouts.Crumb{{Label: "Lumi", Href: "/lumi"}}, crumbs...)...)
}

// ItemsQuery is a domain, server or proxy list's filters as its URL gives
// them; the console's and the portal's lists and exports read the same.
type ItemsQuery struct {
	Q, Status, Sort string
	RenewalFailed   bool
	Account         int64 // the console's account filter (0: every account)
}

// ParseItemsQuery reads a list's filters (search, status, renewal failed,
// sort, and with withAccount the console's account) into the service's
// filter; problems say what was ignored. The portal passes withAccount
// false and sets the filter's scope to the session's account itself.
func ParseItemsQuery(c *fiber.Ctx, withAccount bool) (q ItemsQuery, f lumiproducts.ListFilter, problems []string) {
	q = ItemsQuery{Q: utils.CopyString(strings.TrimSpace(web.Truncate(c.Query("q"), 253))), RenewalFailed: c.Query("renewal_failed") != ""}
	f = lumiproducts.ListFilter{Query: q.Q, RenewalFailed: q.RenewalFailed, Limit: 50}
	if s := c.Query("status"); s != "" {
		if slicesContains(lumiproducts.Statuses, s) {
			q.Status, f.Status = utils.CopyString(s), utils.CopyString(s)
		} else {
			problems = append(problems, "Status must be pending, active, expired or failed; showing every status.")
		}
	}
	if a := c.Query("account"); a != "" && withAccount {
		if id, ok := web.ParseID(a); ok {
			q.Account, f.Scope = id, accounts.Only(id)
		} else {
			problems = append(problems, "The account filter must be an account id; showing every account.")
		}
	}
	switch s := c.Query("sort"); s {
	case "":
	case lumiproducts.SortExpires:
		q.Sort, f.Sort = lumiproducts.SortExpires, lumiproducts.SortExpires
	default:
		problems = append(problems, "Lists sort by newest or by expiry; showing the newest first.")
	}
	return q, f, problems
}

func (h *Products) list(c *fiber.Ctx, kind string) error {
	q, f, problems := ParseItemsQuery(c, true)
	l := view.List{Kind: kind, Q: q.Q, Status: q.Status, Sort: q.Sort, RenewalFailed: q.RenewalFailed, Account: q.Account,
		Sandbox: h.sandbox(kind), CanManage: canManageProducts(c), CSRF: web.CSRFToken(c)}
	if cur := c.Query("cursor"); cur != "" {
		probe := f
		probe.Cursor = utils.CopyString(cur)
		if _, err := h.probeCursor(c.UserContext(), kind, probe); err == nil {
			l.Cursor, f.Cursor = probe.Cursor, probe.Cursor
		} else {
			problems = append(problems, "That page link is not valid; showing the first page.")
		}
	}
	ctx := c.UserContext()
	var err error
	switch kind {
	case "vps":
		var p lumiproducts.Page[lumiproducts.VPS]
		p, err = h.svc.ListVPS(ctx, f)
		l.VPS, l.NextCursor = vpsRows(p.Items), p.NextCursor
	case "proxies":
		var p lumiproducts.Page[lumiproducts.Proxy]
		p, err = h.svc.ListProxies(ctx, f)
		l.Proxies, l.NextCursor = proxyRows(p.Items), p.NextCursor
	default:
		var p lumiproducts.Page[lumiproducts.Domain]
		p, err = h.svc.ListDomains(ctx, f)
		l.Domains, l.NextCursor = domainRows(p.Items), p.NextCursor
	}
	if err != nil {
		return err
	}
	ids := []int64{l.Account}
	for _, d := range l.Domains {
		ids = append(ids, d.AccountID)
	}
	for _, v := range l.VPS {
		ids = append(ids, v.AccountID)
	}
	for _, x := range l.Proxies {
		ids = append(ids, x.AccountID)
	}
	l.AccountNames = h.names.Of(ctx, ids...)
	l.Bar = h.app.ListBar(c, l.Path(), l.Query(), l.ActiveFilters())
	var n listcount.Count
	switch kind {
	case "vps":
		n, err = h.svc.CountVPS(ctx, f, listcount.Cap)
	case "proxies":
		n, err = h.svc.CountProxies(ctx, f, listcount.Cap)
	default:
		n, err = h.svc.CountDomains(ctx, f, listcount.Cap)
	}
	if err != nil {
		return err
	}
	l.Bar.Count = web.Count(n, productNouns[kind][0], productNouns[kind][1])
	l.Error = strings.Join(problems, " ")
	title := map[string]string{"domains": "Domains", "vps": "VPS", "proxies": "Proxies"}[kind]
	return web.Render(c, fiber.StatusOK, view.ListPage(h.page(c, title, layouts.Crumb{Label: title}), l))
}

// productNouns name a list's items in its count ("1 domain", "3 domains").
var productNouns = map[string][2]string{"domains": {"domain", "domains"}, "vps": {"server", "servers"}, "proxies": {"proxy", "proxies"}}

// probeCursor checks a cursor against the list's sort (a list call with
// limit 1 validates it without reading much).
func (h *Products) probeCursor(ctx context.Context, kind string, f lumiproducts.ListFilter) (bool, error) {
	f.Limit = 1
	var err error
	switch kind {
	case "vps":
		_, err = h.svc.ListVPS(ctx, f)
	case "proxies":
		_, err = h.svc.ListProxies(ctx, f)
	default:
		_, err = h.svc.ListDomains(ctx, f)
	}
	return err == nil, err
}

func slicesContains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// accountProducts is the account pages' fragment of an account's products.
func (h *Products) accountProducts(c *fiber.Ctx) error {
	id, ok := web.ParseID(c.Params("id"))
	if !ok {
		return lumiproducts.ErrAccountNotFound
	}
	ctx := c.UserContext()
	f := lumiproducts.ListFilter{Scope: accounts.Only(id), Limit: 20}
	doms, err := h.svc.ListDomains(ctx, f)
	if err != nil {
		return err
	}
	vps, err := h.svc.ListVPS(ctx, f)
	if err != nil {
		return err
	}
	pxs, err := h.svc.ListProxies(ctx, f)
	if err != nil {
		return err
	}
	return web.Render(c, fiber.StatusOK, view.AccountProducts(view.AccountProductsView{AccountID: id, Domains: domainRows(doms.Items), VPS: vpsRows(vps.Items), Proxies: proxyRows(pxs.Items)}))
}

func (h *Products) renewDue(c *fiber.Ctx) error {
	back := c.FormValue("back")
	if back != view.VPSPath && back != view.ProxiesPath {
		back = view.DomainsPath
	}
	back = utils.CopyString(back)
	ctx := c.UserContext()
	if h.enqueue != nil {
		if err := h.enqueue(ctx); err != nil {
			return err
		}
		h.app.Toast(c, "success", "Auto-renew queued; it runs in the background in a moment.")
	} else {
		rep, err := h.svc.RenewDue(ctx, web.Actor(c), lumiproducts.DefaultAutoRenewDays, time.Now())
		if err != nil {
			return err
		}
		h.app.Toast(c, "success", "Auto-renew: "+strconv.Itoa(rep.Renewed)+" renewed, "+strconv.Itoa(rep.Failed)+" failed.")
	}
	return web.Redirect(c, back)
}

func itemID(c *fiber.Ctx) (int64, error) {
	id, ok := web.ParseID(c.Params("id"))
	if !ok {
		return 0, lumiproducts.ErrDomainNotFound
	}
	return id, nil
}

// actionFailure turns a domain error into the form message and status, or
// returns ok=false for errors the error handler answers (not found, 500).
func actionFailure(err error, errs map[string]string) (string, int, bool) {
	var perr *lumiproducts.ProvisionError
	switch fe := web.FieldErrors(err, nil); {
	case fe != nil:
		maps.Copy(errs, fe)
		// A field shown on the item page has its message under it, once;
		// the banner says the others (a closed dialog's field).
		banner := maps.Clone(fe)
		maps.DeleteFunc(banner, func(k, _ string) bool { return inlineFields[k] })
		return web.FieldErrorsText(banner), fiber.StatusUnprocessableEntity, true
	case errors.Is(err, lumiproducts.ErrInsufficientFunds):
		return "The account's balance does not cover this; nothing was charged.", fiber.StatusUnprocessableEntity, true
	case errors.Is(err, lumiproducts.ErrIdempotencyMismatch):
		return "This page is out of date (the item was renewed meanwhile); reload it and try again.", fiber.StatusConflict, true
	case errors.Is(err, lumiproducts.ErrNotActive):
		return "This item is not active, so it cannot be changed.", fiber.StatusConflict, true
	case errors.As(err, &perr):
		return web.Capitalize(perr.Error()) + ".", fiber.StatusBadGateway, true
	}
	return "", 0, false
}

// inlineFields are the item pages' fields shown in the page itself (not in
// a dialog), whose messages show under them only.
var inlineFields = map[string]bool{"nameservers": true, "allow_ips": true}

// renewKey makes a double-submitted renew form (same item, same expiry
// shown) a replay; without a stamp every submit renews.
func renewKey(c *fiber.Ctx, product string, id int64) string {
	stamp := c.FormValue("stamp")
	if stamp == "" || len(stamp) > 32 {
		return ""
	}
	return "dashboard-renew-" + product + "-" + strconv.FormatInt(id, 10) + "-" + stamp
}

func formLines(s string) []string {
	var out []string
	for _, f := range strings.FieldsFunc(s, func(r rune) bool { return r == '\n' || r == ',' || r == ' ' || r == '\r' || r == '\t' }) {
		out = append(out, utils.CopyString(f))
	}
	return out
}

func (h *Products) listDomains(c *fiber.Ctx) error { return h.list(c, "domains") }
func (h *Products) listVPS(c *fiber.Ctx) error     { return h.list(c, "vps") }
func (h *Products) listProxies(c *fiber.Ctx) error { return h.list(c, "proxies") }

// domainRows, vpsRows and proxyRows fill the lists' view rows.
func domainRows(items []lumiproducts.Domain) []view.DomainRow {
	rows := make([]view.DomainRow, len(items))
	for i, d := range items {
		rows[i] = view.DomainRow{ID: d.ID, AccountID: d.AccountID, Name: d.Name, Status: d.Status,
			Expires: components.DatePtr(d.ExpiresAt), Bought: components.DatePtr(&d.CreatedAt),
			RenewalFailed: view.RenewalFailed(d.RenewalFailedAt, d.RenewalFailedReason), AutoRenew: d.AutoRenew, Locked: d.Locked}
	}
	return rows
}

func vpsRows(items []lumiproducts.VPS) []view.VPSRow {
	rows := make([]view.VPSRow, len(items))
	for i, v := range items {
		rows[i] = view.VPSRow{ID: v.ID, AccountID: v.AccountID, Hostname: v.Hostname, Plan: v.Plan, Status: v.Status, Power: v.Power,
			IP: v.IP, Expires: components.DatePtr(v.ExpiresAt), RenewalFailed: view.RenewalFailed(v.RenewalFailedAt, v.RenewalFailedReason)}
	}
	return rows
}

func proxyRows(items []lumiproducts.Proxy) []view.ProxyRow {
	rows := make([]view.ProxyRow, len(items))
	for i, x := range items {
		rows[i] = view.ProxyRow{ID: x.ID, AccountID: x.AccountID, Username: x.Username, Plan: x.Plan, Type: x.Type, Country: x.Country,
			Status: x.Status, Expires: components.DatePtr(x.ExpiresAt), RenewalFailed: view.RenewalFailed(x.RenewalFailedAt, x.RenewalFailedReason)}
	}
	return rows
}

// domainView, vpsView and proxyView fill the detail pages' view structs.
func domainView(d lumiproducts.Domain) view.Domain {
	return view.Domain{ID: d.ID, AccountID: d.AccountID, Name: d.Name, Status: d.Status, RegistrarRef: d.RegistrarRef,
		ExpiresAt: d.ExpiresAt, RenewalFailedAt: d.RenewalFailedAt, RenewalFailedReason: d.RenewalFailedReason, Failure: d.Failure,
		AutoRenew: d.AutoRenew, Locked: d.Locked, Privacy: d.Privacy, Nameservers: d.Nameservers, CreatedAt: d.CreatedAt}
}

func vpsView(v lumiproducts.VPS) view.VPS {
	return view.VPS{ID: v.ID, AccountID: v.AccountID, Plan: v.Plan, Hostname: v.Hostname, Status: v.Status, Power: v.Power, IP: v.IP,
		ProviderRef: v.ProviderRef, Failure: v.Failure, ExpiresAt: v.ExpiresAt, RenewalFailedAt: v.RenewalFailedAt,
		RenewalFailedReason: v.RenewalFailedReason, AutoRenew: v.AutoRenew, CreatedAt: v.CreatedAt}
}

func proxyView(p lumiproducts.Proxy) view.Proxy {
	return view.Proxy{ID: p.ID, AccountID: p.AccountID, Plan: p.Plan, Type: p.Type, Country: p.Country, Status: p.Status, Host: p.Host,
		Port: p.Port, Username: p.Username, Failure: p.Failure, AllowIPs: p.AllowIPs, ExpiresAt: p.ExpiresAt,
		RenewalFailedAt: p.RenewalFailedAt, RenewalFailedReason: p.RenewalFailedReason, AutoRenew: p.AutoRenew, CreatedAt: p.CreatedAt}
}
