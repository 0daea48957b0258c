package billing

import (
	"lumdesk/handlers/web"
	"lumdesk/internal/customers"
	view "lumdesk/views/pages/portal/billing"
)

// Routes implements web.RouteGroup: reading needs customers.PermView,
// moving money (top up, pay, renew, auto-renew) customers.PermBilling,
// the items' other actions (nameservers, lock, privacy, EPP code, power,
// allow list, proxy password) customers.PermDevelop.
func (h *Lumi) Routes(a *web.App) []web.Route {
	h.app = a
	h.pages.SetApp(a)
	read, money, dev := customers.PermView, customers.PermBilling, customers.PermDevelop
	dom, vps, px := view.Path+"/"+view.KindDomains+"/:id<int>", view.Path+"/"+view.KindVPS+"/:id<int>", view.Path+"/"+view.KindProxies+"/:id<int>"
	const dep = view.DepositsURL + "/:id<int>"
	rows := []web.Route{
		web.PortalGet(view.Path, read, h.overview),
		web.PortalGet(view.LedgerCSV, read, h.export),
		web.PortalGet(view.TopUpPath, money, h.topUpForm),
		web.PortalPost(view.TopUpPath, money, h.topUp),
		web.PortalGet(view.DepositsURL, read, h.deposits),
		web.PortalGet(dep, read, h.deposit),
		web.PortalPost(dep+"/sandbox-pay", money, h.sandboxPay),
	}
	for _, k := range []string{view.KindDomains, view.KindVPS, view.KindProxies} {
		item := view.Path + "/" + k + "/:id<int>"
		rows = append(rows,
			web.PortalGet(view.Path+"/"+k, read, h.items(k)),
			web.PortalGet(view.BuyHref(k), money, h.buyForm(k)),
			web.PortalPost(view.Path+"/"+k, money, h.buy(k)),
			web.PortalGet(item+"/renew", money, h.renewForm(k)),
			web.PortalPost(item+"/renew", money, h.renew(k)),
			web.PortalPost(item+"/auto-renew", money, h.autoRenew(k)),
		)
	}
	return append(rows,
		web.PortalGet(dom, read, h.pages.Domain),
		web.PortalPost(dom+"/nameservers", dev, h.pages.SetNameservers),
		web.PortalPost(dom+"/lock", dev, h.pages.SetLock),
		web.PortalPost(dom+"/privacy", dev, h.pages.SetPrivacy),
		web.PortalPost(dom+"/epp", dev, h.pages.RevealEPP),
		web.PortalGet(vps, read, h.pages.VPS),
		web.PortalPost(vps+"/power", dev, h.pages.PowerVPS),
		web.PortalGet(view.Path+"/"+view.KindDomains+"/export.csv", read, h.pages.ExportDomains),
		web.PortalGet(view.Path+"/"+view.KindVPS+"/export.csv", read, h.pages.ExportVPS),
		web.PortalGet(view.Path+"/"+view.KindProxies+"/export.csv", read, h.pages.ExportProxies),
		web.PortalGet(px, read, h.pages.Proxy),
		web.PortalPost(px+"/allow-list", dev, h.pages.SetAllowList),
		web.PortalPost(px+"/password", dev, h.pages.RevealPassword),
	)
}
