package billing

import (
	"lumdesk/handlers/web"
	"lumdesk/internal/billing"
	"lumdesk/internal/staff"
	lumiview "lumdesk/views/pages/lumi"
)

// Routes implements RouteGroup.
func (h *Billing) Routes(a *web.App) []web.Route {
	h.app = a
	const acct = "/lumi/accounts/:id<int>"
	const dep = acct + "/deposits/:did<int>"
	const req = "/lumi/approvals/:rid<int>"
	return []web.Route{
		web.Get("/lumi", staff.PermBillingView, h.desk),
		web.Get("/lumi/ledger", staff.PermBillingView, h.ledger),
		web.Get("/lumi/ledger/export.csv", staff.PermBillingView, h.export),
		web.Get("/lumi/approvals", staff.PermBillingView, h.approvals),
		web.Get(req+"/approve", staff.PermBillingApprove, h.decideForm("approve")),
		web.Post(req+"/approve", staff.PermBillingApprove, h.decide("approve")),
		web.Get(req+"/reject", staff.PermBillingApprove, h.decideForm("reject")),
		web.Post(req+"/reject", staff.PermBillingApprove, h.decide("reject")),
		web.Get(acct, staff.PermBillingView, h.account),
		web.Get(acct+"/summary", staff.PermBillingView, h.summary),
		web.Get(acct+"/topup", staff.PermBillingCredit, h.form("topup")),
		web.Post(acct+"/topup", staff.PermBillingCredit, h.act("topup")),
		web.Get(acct+"/adjust", staff.PermBillingCredit, h.form("adjust")),
		web.Post(acct+"/adjust", staff.PermBillingCredit, h.act("adjust")),
		web.Get(acct+"/refund", staff.PermBillingCredit, h.form("refund")),
		web.Post(acct+"/refund", staff.PermBillingCredit, h.act("refund")),
		web.Get(acct+"/deposits/new", staff.PermBillingCredit, h.form("deposit")),
		web.Post(acct+"/deposits", staff.PermBillingCredit, h.act("deposit")),
		web.Get(dep+"/pay", staff.PermBillingCredit, h.form("pay")),
		web.Post(dep+"/pay", staff.PermBillingCredit, h.act("pay")),
		web.Get(dep+"/sandbox-pay", staff.PermBillingCredit, h.form("sandbox-pay")),
		web.Post(dep+"/sandbox-pay", staff.PermBillingCredit, h.act("sandbox-pay")),
		web.Get(dep+"/cancel", staff.PermBillingCredit, h.form("cancel")),
		web.Post(dep+"/cancel", staff.PermBillingCredit, h.act("cancel")),
		web.Post(billing.SandboxWebhookPath, staff.PermPublic, h.webhook),
	}
}

// Routes implements RouteGroup.
func (h *LumiProducts) Routes(a *web.App) []web.Route {
	h.app = a
	view_, manage := staff.PermBillingView, staff.PermProductsManage
	const dom, vps, px = "/lumi/domains/:id<int>", "/lumi/vps/:id<int>", "/lumi/proxies/:id<int>"
	return []web.Route{
		web.Get(lumiview.DomainsPath, view_, h.list("domains")),
		web.Get(lumiview.VPSPath, view_, h.list("vps")),
		web.Get(lumiview.ProxiesPath, view_, h.list("proxies")),
		web.Get(lumiview.PricesPath, view_, h.prices),
		web.Get("/lumi/accounts/:id<int>/products", view_, h.accountProducts),
		web.Post(lumiview.RenewPath, manage, h.renewDue),
		web.Get(dom, view_, h.domain),
		web.Post(dom+"/nameservers", manage, h.domainAction("nameservers")),
		web.Post(dom+"/lock", manage, h.domainAction("lock")),
		web.Post(dom+"/privacy", manage, h.domainAction("privacy")),
		web.Post(dom+"/auto-renew", manage, h.domainAction("auto-renew")),
		web.Post(dom+"/renew", manage, h.domainAction("renew")),
		web.Post(dom+"/epp", manage, h.domainAction("epp")),
		web.Get(vps, view_, h.vps),
		web.Post(vps+"/power", manage, h.vpsAction("power")),
		web.Post(vps+"/auto-renew", manage, h.vpsAction("auto-renew")),
		web.Post(vps+"/renew", manage, h.vpsAction("renew")),
		web.Get(px, view_, h.proxy),
		web.Post(px+"/allow-list", manage, h.proxyAction("allow-list")),
		web.Post(px+"/auto-renew", manage, h.proxyAction("auto-renew")),
		web.Post(px+"/renew", manage, h.proxyAction("renew")),
		web.Post(px+"/password", manage, h.proxyAction("password")),
	}
}
