package billing

// The Lumi products pages: domains, VPS and proxies sold against balances
// (lists with filters and keyset pages, detail pages with their actions),
// the price catalogue, and the button that queues the auto-renew job.
// Reading needs billing.view; changing needs billing.lumiproducts.manage or
// billing.balance.credit (checked in the handlers, so either one will do).

import (
	"context"
	"errors"
	"lumdesk/handlers/web"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/utils"

	lumiproducts "lumdesk/internal/billing/products"
	"lumdesk/internal/staff"
	"lumdesk/views/components"
	"lumdesk/views/layouts"
	view "lumdesk/views/pages/lumi"
)

// LumiProducts is the route group.
type LumiProducts struct {
	app *web.App
	svc *lumiproducts.Service
	// enqueue queues an auto-renew run (jobs.Service.EnqueueAutoRenew); nil
	// runs it in the request instead.
	enqueue func(ctx context.Context) error
}

// NewLumiProducts makes the route group.
func NewLumiProducts(svc *lumiproducts.Service, enqueue func(ctx context.Context) error) *LumiProducts {
	return &LumiProducts{svc: svc, enqueue: enqueue}
}

// Routes implements RouteGroup.
func (h *LumiProducts) Routes(a *web.App) []web.Route {
	h.app = a
	view_, manage := staff.PermBillingView, staff.PermProductsManage
	const dom, vps, px = "/lumi/domains/:id<int>", "/lumi/vps/:id<int>", "/lumi/proxies/:id<int>"
	return []web.Route{
		{"GET", view.DomainsPath, view_, h.list("domains")},
		{"GET", view.VPSPath, view_, h.list("vps")},
		{"GET", view.ProxiesPath, view_, h.list("proxies")},
		{"GET", view.PricesPath, view_, h.prices},
		{"GET", "/lumi/accounts/:id<int>/products", view_, h.accountProducts},
		{"POST", view.RenewPath, manage, h.renewDue},
		{"GET", dom, view_, h.domain},
		{"POST", dom + "/nameservers", manage, h.domainAction("nameservers")},
		{"POST", dom + "/lock", manage, h.domainAction("lock")},
		{"POST", dom + "/privacy", manage, h.domainAction("privacy")},
		{"POST", dom + "/auto-renew", manage, h.domainAction("auto-renew")},
		{"POST", dom + "/renew", manage, h.domainAction("renew")},
		{"POST", dom + "/epp", manage, h.domainAction("epp")},
		{"GET", vps, view_, h.vps},
		{"POST", vps + "/power", manage, h.vpsAction("power")},
		{"POST", vps + "/auto-renew", manage, h.vpsAction("auto-renew")},
		{"POST", vps + "/renew", manage, h.vpsAction("renew")},
		{"GET", px, view_, h.proxy},
		{"POST", px + "/allow-list", manage, h.proxyAction("allow-list")},
		{"POST", px + "/auto-renew", manage, h.proxyAction("auto-renew")},
		{"POST", px + "/renew", manage, h.proxyAction("renew")},
		{"POST", px + "/password", manage, h.proxyAction("password")},
	}
}

// canManageProducts: billing.lumiproducts.manage or billing.balance.credit.
func canManageProducts(c *fiber.Ctx) bool {
	return web.Can(c, staff.PermProductsManage) || web.Can(c, staff.PermBillingCredit)
}

// sandbox reports whether a list's adapter is the offline sandbox: the
// registrar for domains, the provisioner for VPS and proxies.
func (h *LumiProducts) sandbox(kind string) bool {
	if kind == "domains" {
		return h.svc.Registrar().Sandbox()
	}
	return h.svc.Provisioner().Sandbox()
}

func (h *LumiProducts) page(c *fiber.Ctx, title string, crumbs ...layouts.Crumb) layouts.Page {
	return h.app.Page(c, title, "lumi", append([]layouts.Crumb{{Label: "Lumi", Href: "/lumi"}}, crumbs...)...)
}

func (h *LumiProducts) list(kind string) fiber.Handler {
	return func(c *fiber.Ctx) error {
		l := view.List{Kind: kind, Sandbox: h.sandbox(kind), CanManage: canManageProducts(c), CSRF: web.CSRFToken(c),
			Q: utils.CopyString(strings.TrimSpace(web.Truncate(c.Query("q"), 253))), RenewalFailed: c.Query("renewal_failed") != ""}
		var problems []string
		f := lumiproducts.ListFilter{Query: l.Q, RenewalFailed: l.RenewalFailed, Limit: 50}
		if s := c.Query("status"); s != "" {
			if slicesContains(lumiproducts.Statuses, s) {
				l.Status, f.Status = utils.CopyString(s), utils.CopyString(s)
			} else {
				problems = append(problems, "Status must be pending, active, expired or failed; showing every status.")
			}
		}
		if a := c.Query("account"); a != "" {
			if id, ok := web.ParseID(a); ok {
				l.Account, f.AccountID = id, &id
			} else {
				problems = append(problems, "The account filter must be an account id; showing every account.")
			}
		}
		switch s := c.Query("sort"); s {
		case "":
		case lumiproducts.SortExpires:
			l.Sort, f.Sort = lumiproducts.SortExpires, lumiproducts.SortExpires
		default:
			problems = append(problems, "Lists sort by newest or by expiry; showing the newest first.")
		}
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
			l.VPS, l.NextCursor = p.Items, p.NextCursor
		case "proxies":
			var p lumiproducts.Page[lumiproducts.Proxy]
			p, err = h.svc.ListProxies(ctx, f)
			l.Proxies, l.NextCursor = p.Items, p.NextCursor
		default:
			var p lumiproducts.Page[lumiproducts.Domain]
			p, err = h.svc.ListDomains(ctx, f)
			l.Domains, l.NextCursor = p.Items, p.NextCursor
		}
		if err != nil {
			return err
		}
		l.Error = strings.Join(problems, " ")
		title := map[string]string{"domains": "Domains", "vps": "VPS", "proxies": "Proxies"}[kind]
		return web.Render(c, fiber.StatusOK, view.ListPage(h.page(c, title, layouts.Crumb{Label: title}), l))
	}
}

// probeCursor checks a cursor against the list's sort (a list call with
// limit 1 validates it without reading much).
func (h *LumiProducts) probeCursor(ctx context.Context, kind string, f lumiproducts.ListFilter) (bool, error) {
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

func (h *LumiProducts) prices(c *fiber.Ctx) error {
	cat, err := h.svc.Prices(c.UserContext())
	if err != nil {
		return err
	}
	return web.Render(c, fiber.StatusOK, view.PricesPage(h.page(c, "Prices", layouts.Crumb{Label: "Prices"}), view.Prices{C: cat, Sandbox: h.svc.Registrar().Sandbox()}))
}

// accountProducts is the account pages' fragment of an account's products.
func (h *LumiProducts) accountProducts(c *fiber.Ctx) error {
	id, ok := web.ParseID(c.Params("id"))
	if !ok {
		return lumiproducts.ErrAccountNotFound
	}
	ctx := c.UserContext()
	f := lumiproducts.ListFilter{AccountID: &id, Limit: 20}
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
	return web.Render(c, fiber.StatusOK, view.AccountProducts(view.AccountProductsView{AccountID: id, Domains: doms.Items, VPS: vps.Items, Proxies: pxs.Items}))
}

func (h *LumiProducts) renewDue(c *fiber.Ctx) error {
	if !canManageProducts(c) {
		return web.ErrForbidden
	}
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

// productPrice finds the current price label of an item.
func (h *LumiProducts) priceOf(ctx context.Context, product, key string) string {
	cat, err := h.svc.Prices(ctx)
	if err != nil {
		return ""
	}
	switch product {
	case lumiproducts.ProductDomain:
		for _, p := range cat.TLDs {
			if p.TLD == key {
				return p.Renew.String() + " / year"
			}
		}
	case lumiproducts.ProductVPS:
		for _, p := range cat.VPSPlans {
			if p.Plan == key {
				return p.Monthly.String() + " / month"
			}
		}
	case lumiproducts.ProductProxy:
		for _, p := range cat.ProxyPlans {
			if p.Plan == key {
				return p.Monthly.String() + " / month"
			}
		}
	}
	return "not sold any more"
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
	var verr lumiproducts.ValidationError
	var perr *lumiproducts.ProvisionError
	switch {
	case errors.As(err, &verr):
		for k, m := range verr {
			errs[k] = m
		}
		return "Please correct the highlighted field: " + verr.Error() + ".", fiber.StatusUnprocessableEntity, true
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

// ---- domains

func (h *LumiProducts) domainPage(c *fiber.Ctx, d lumiproducts.Domain) view.DomainPage {
	return view.DomainPage{D: d, Tab: utils.CopyString(c.Query("tab")), CanManage: canManageProducts(c), CSRF: web.CSRFToken(c),
		Sandbox: h.svc.Registrar().Sandbox(), Errors: map[string]string{}, NSText: strings.Join(d.Nameservers, "\n"),
		Price: h.priceOf(c.UserContext(), lumiproducts.ProductDomain, d.TLD())}
}

func (h *LumiProducts) domain(c *fiber.Ctx) error {
	id, err := itemID(c)
	if err != nil {
		return err
	}
	d, err := h.svc.GetDomain(c.UserContext(), nil, id)
	if err != nil {
		return err
	}
	v := h.domainPage(c, d)
	return web.Render(c, fiber.StatusOK, view.DomainDetail(h.page(c, d.Name, web.Crumb("Domains", view.DomainsPath), web.Crumb(d.Name)), v))
}

func onValue(c *fiber.Ctx) (bool, error) {
	switch c.FormValue("value") {
	case "on", "true", "1":
		return true, nil
	case "off", "false", "0":
		return false, nil
	}
	return false, lumiproducts.ValidationError{"value": "Choose on or off."}
}

func (h *LumiProducts) domainAction(kind string) fiber.Handler {
	return func(c *fiber.Ctx) error {
		if !canManageProducts(c) {
			return web.ErrForbidden
		}
		id, err := itemID(c)
		if err != nil {
			return err
		}
		ctx := lumiproducts.WithReason(c.UserContext(), c.FormValue("reason"))
		actor := web.Actor(c)
		var d lumiproducts.Domain
		var epp, msg string
		nsText := ""
		switch kind {
		case "nameservers":
			nsText = utils.CopyString(web.Truncate(c.FormValue("nameservers"), 4000))
			d, err = h.svc.SetNameservers(ctx, actor, nil, id, formLines(nsText))
			msg = "Nameservers saved."
		case "lock", "privacy", "auto-renew":
			var on bool
			if on, err = onValue(c); err == nil {
				switch kind {
				case "lock":
					d, err = h.svc.SetLock(ctx, actor, nil, id, on)
				case "privacy":
					d, err = h.svc.SetPrivacy(ctx, actor, nil, id, on)
				default:
					d, err = h.svc.SetAutoRenew(ctx, actor, nil, id, on)
				}
			}
			msg = web.Capitalize(strings.ReplaceAll(kind, "-", " ")) + " turned " + map[bool]string{true: "on", false: "off"}[on] + "."
		case "renew":
			var cur lumiproducts.Domain
			if cur, err = h.svc.GetDomain(ctx, nil, id); err == nil {
				years, perr := strconv.Atoi(c.FormValue("period"))
				if perr != nil {
					years = 0
				}
				d, err = h.svc.RenewDomain(ctx, actor, cur.AccountID, id, years, renewKey(c, "domain", id))
				msg = "Renewed; the domain now expires " + view.Date(d.ExpiresAt) + "."
			}
		case "epp":
			epp, err = h.svc.RevealEPP(ctx, actor, nil, id)
			if err == nil {
				d, err = h.svc.GetDomain(ctx, nil, id)
			}
			msg = "EPP code revealed; it is shown once."
		}
		if err != nil {
			cur, gerr := h.svc.GetDomain(ctx, nil, id)
			if gerr != nil {
				return gerr
			}
			v := h.domainPage(c, cur)
			if nsText != "" {
				v.NSText = nsText
			}
			formErr, status, ok := actionFailure(err, v.Errors)
			if !ok {
				return err
			}
			v.FormError = formErr
			if kind == "renew" && v.Errors["years"] != "" {
				v.FormError = "Choose a renewal period: " + v.Errors["years"]
			}
			if web.IsHTMX(c) {
				return web.Render(c, fiber.StatusOK, view.DomainPanel(v))
			}
			return web.Render(c, status, view.DomainDetail(h.page(c, cur.Name, web.Crumb("Domains", view.DomainsPath), web.Crumb(cur.Name)), v))
		}
		v := h.domainPage(c, d)
		if epp != "" {
			v.EPP = epp
			if web.IsHTMX(c) {
				return web.Render(c, fiber.StatusOK, view.DomainPanelWithToast(v, components.Toast{Kind: "success", Message: msg}))
			}
			return web.Render(c, fiber.StatusOK, view.DomainDetail(h.page(c, d.Name, web.Crumb("Domains", view.DomainsPath), web.Crumb(d.Name)), v))
		}
		if web.IsHTMX(c) {
			return web.Render(c, fiber.StatusOK, view.DomainPanelWithToast(v, components.Toast{Kind: "success", Message: msg}))
		}
		h.app.Toast(c, "success", msg)
		return web.Redirect(c, view.DomainHref(id))
	}
}

// ---- VPS

func (h *LumiProducts) vpsPage(c *fiber.Ctx, v lumiproducts.VPS) view.VPSPage {
	return view.VPSPage{V: v, Tab: utils.CopyString(c.Query("tab")), CanManage: canManageProducts(c), CSRF: web.CSRFToken(c),
		Sandbox: h.svc.Provisioner().Sandbox(), Errors: map[string]string{}, Price: h.priceOf(c.UserContext(), lumiproducts.ProductVPS, v.Plan)}
}

func (h *LumiProducts) vps(c *fiber.Ctx) error {
	id, err := itemID(c)
	if err != nil {
		return err
	}
	v, err := h.svc.GetVPS(c.UserContext(), nil, id)
	if err != nil {
		return err
	}
	return web.Render(c, fiber.StatusOK, view.VPSDetail(h.page(c, v.Hostname, web.Crumb("VPS", view.VPSPath), web.Crumb(v.Hostname)), h.vpsPage(c, v)))
}

func (h *LumiProducts) vpsAction(kind string) fiber.Handler {
	return func(c *fiber.Ctx) error {
		if !canManageProducts(c) {
			return web.ErrForbidden
		}
		id, err := itemID(c)
		if err != nil {
			return err
		}
		ctx := lumiproducts.WithReason(c.UserContext(), c.FormValue("reason"))
		actor := web.Actor(c)
		var v lumiproducts.VPS
		var msg string
		switch kind {
		case "power":
			action := utils.CopyString(c.FormValue("action"))
			v, err = h.svc.PowerVPS(ctx, actor, nil, id, action)
			msg = "Power: " + action + " sent."
		case "auto-renew":
			var on bool
			if on, err = onValue(c); err == nil {
				v, err = h.svc.SetVPSAutoRenew(ctx, actor, nil, id, on)
			}
			msg = "Auto-renew turned " + map[bool]string{true: "on", false: "off"}[on] + "."
		case "renew":
			var cur lumiproducts.VPS
			if cur, err = h.svc.GetVPS(ctx, nil, id); err == nil {
				months, _ := strconv.Atoi(c.FormValue("period"))
				v, err = h.svc.RenewVPS(ctx, actor, cur.AccountID, id, months, renewKey(c, "vps", id))
				msg = "Renewed; the server now expires " + view.Date(v.ExpiresAt) + "."
			}
		}
		if err != nil {
			cur, gerr := h.svc.GetVPS(ctx, nil, id)
			if gerr != nil {
				return gerr
			}
			page := h.vpsPage(c, cur)
			formErr, status, ok := actionFailure(err, page.Errors)
			if !ok {
				return err
			}
			page.FormError = formErr
			if web.IsHTMX(c) {
				return web.Render(c, fiber.StatusOK, view.VPSPanel(page))
			}
			return web.Render(c, status, view.VPSDetail(h.page(c, cur.Hostname, web.Crumb("VPS", view.VPSPath), web.Crumb(cur.Hostname)), page))
		}
		if web.IsHTMX(c) {
			return web.Render(c, fiber.StatusOK, view.VPSPanelWithToast(h.vpsPage(c, v), components.Toast{Kind: "success", Message: msg}))
		}
		h.app.Toast(c, "success", msg)
		return web.Redirect(c, view.VPSHref(id))
	}
}

// ---- proxies

func (h *LumiProducts) proxyPage(c *fiber.Ctx, p lumiproducts.Proxy) view.ProxyPage {
	return view.ProxyPage{P: p, Tab: utils.CopyString(c.Query("tab")), CanManage: canManageProducts(c), CSRF: web.CSRFToken(c),
		Sandbox: h.svc.Provisioner().Sandbox(), Errors: map[string]string{}, IPsText: strings.Join(p.AllowIPs, "\n"),
		Price: h.priceOf(c.UserContext(), lumiproducts.ProductProxy, p.Plan)}
}

func (h *LumiProducts) proxy(c *fiber.Ctx) error {
	id, err := itemID(c)
	if err != nil {
		return err
	}
	p, err := h.svc.GetProxy(c.UserContext(), nil, id)
	if err != nil {
		return err
	}
	title := "Proxy #" + strconv.FormatInt(p.ID, 10)
	return web.Render(c, fiber.StatusOK, view.ProxyDetail(h.page(c, title, web.Crumb("Proxies", view.ProxiesPath), web.Crumb(title)), h.proxyPage(c, p)))
}

func (h *LumiProducts) proxyAction(kind string) fiber.Handler {
	return func(c *fiber.Ctx) error {
		if !canManageProducts(c) {
			return web.ErrForbidden
		}
		id, err := itemID(c)
		if err != nil {
			return err
		}
		ctx := lumiproducts.WithReason(c.UserContext(), c.FormValue("reason"))
		actor := web.Actor(c)
		var p lumiproducts.Proxy
		var msg, password, ipsText string
		switch kind {
		case "allow-list":
			ipsText = utils.CopyString(web.Truncate(c.FormValue("allow_ips"), 8000))
			p, err = h.svc.SetProxyAllowList(ctx, actor, nil, id, formLines(ipsText))
			msg = "Allow list saved."
		case "auto-renew":
			var on bool
			if on, err = onValue(c); err == nil {
				p, err = h.svc.SetProxyAutoRenew(ctx, actor, nil, id, on)
			}
			msg = "Auto-renew turned " + map[bool]string{true: "on", false: "off"}[on] + "."
		case "renew":
			var cur lumiproducts.Proxy
			if cur, err = h.svc.GetProxy(ctx, nil, id); err == nil {
				months, _ := strconv.Atoi(c.FormValue("period"))
				p, err = h.svc.RenewProxy(ctx, actor, cur.AccountID, id, months, renewKey(c, "proxy", id))
				msg = "Renewed; the proxy now expires " + view.Date(p.ExpiresAt) + "."
			}
		case "password":
			password, err = h.svc.RevealProxyPassword(ctx, actor, nil, id)
			if err == nil {
				p, err = h.svc.GetProxy(ctx, nil, id)
			}
			msg = "Password revealed; it is shown once."
		}
		title := "Proxy #" + strconv.FormatInt(id, 10)
		if err != nil {
			cur, gerr := h.svc.GetProxy(ctx, nil, id)
			if gerr != nil {
				return gerr
			}
			page := h.proxyPage(c, cur)
			if ipsText != "" {
				page.IPsText = ipsText
			}
			formErr, status, ok := actionFailure(err, page.Errors)
			if !ok {
				return err
			}
			page.FormError = formErr
			if web.IsHTMX(c) {
				return web.Render(c, fiber.StatusOK, view.ProxyPanel(page))
			}
			return web.Render(c, status, view.ProxyDetail(h.page(c, title, web.Crumb("Proxies", view.ProxiesPath), web.Crumb(title)), page))
		}
		page := h.proxyPage(c, p)
		page.Password = password
		if web.IsHTMX(c) {
			return web.Render(c, fiber.StatusOK, view.ProxyPanelWithToast(page, components.Toast{Kind: "success", Message: msg}))
		}
		if password != "" {
			return web.Render(c, fiber.StatusOK, view.ProxyDetail(h.page(c, title, web.Crumb("Proxies", view.ProxiesPath), web.Crumb(title)), page))
		}
		h.app.Toast(c, "success", msg)
		return web.Redirect(c, view.ProxyHref(id))
	}
}
