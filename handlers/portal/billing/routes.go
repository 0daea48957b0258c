package billing

import (
	"lumdesk/handlers/web"
	"lumdesk/internal/customers"
	view "lumdesk/views/pages/portal/billing"
)

// Routes implements web.RouteGroup: reading needs customers.PermView,
// moving money (top up, pay, renew, auto-renew) customers.PermBilling.
func (h *Lumi) Routes(a *web.App) []web.Route {
	h.app = a
	read, money := customers.PermView, customers.PermBilling
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
			web.PortalGet(item+"/renew", money, h.renewForm(k)),
			web.PortalPost(item+"/renew", money, h.renew(k)),
			web.PortalPost(item+"/auto-renew", money, h.autoRenew(k)),
		)
	}
	return rows
}
