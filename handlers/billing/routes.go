// Package billing is the Lumi console (finance desk and products): balances,
// ledger, deposits, adjustments and four-eyes approvals; domains, VPS, proxies
// and prices. routes.go is its route table: every path with the permission it
// needs.
package billing

import (
	"lumdesk/handlers/web"
	"lumdesk/internal/billing"
	"lumdesk/internal/staff"
	view "lumdesk/views/pages/billing"
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
		web.Get(req+"/approve", staff.PermBillingApprove, h.approveForm),
		web.Post(req+"/approve", staff.PermBillingApprove, h.approve),
		web.Get(req+"/reject", staff.PermBillingApprove, h.rejectForm),
		web.Post(req+"/reject", staff.PermBillingApprove, h.reject),
		web.Get(acct, staff.PermBillingView, h.account),
		web.Get(acct+"/summary", staff.PermBillingView, h.summary),
		web.Get(acct+"/topup", staff.PermBillingCredit, h.topUpForm),
		web.Post(acct+"/topup", staff.PermBillingCredit, h.topUp),
		web.Get(acct+"/adjust", staff.PermBillingCredit, h.adjustForm),
		web.Post(acct+"/adjust", staff.PermBillingCredit, h.adjust),
		web.Get(acct+"/refund", staff.PermBillingCredit, h.refundForm),
		web.Post(acct+"/refund", staff.PermBillingCredit, h.refund),
		web.Get(acct+"/deposits/new", staff.PermBillingCredit, h.depositForm),
		web.Post(acct+"/deposits", staff.PermBillingCredit, h.createDeposit),
		web.Get(dep+"/pay", staff.PermBillingCredit, h.payForm),
		web.Post(dep+"/pay", staff.PermBillingCredit, h.payDeposit),
		web.Get(dep+"/sandbox-pay", staff.PermBillingCredit, h.sandboxPayForm),
		web.Post(dep+"/sandbox-pay", staff.PermBillingCredit, h.sandboxPay),
		web.Get(dep+"/cancel", staff.PermBillingCredit, h.cancelForm),
		web.Post(dep+"/cancel", staff.PermBillingCredit, h.cancelDeposit),
		web.Post(billing.SandboxWebhookPath, staff.PermPublic, h.sandboxWebhook),
		web.Post(billing.CryptoPayWebhookPath, staff.PermPublic, h.cryptoPayWebhook),
	}
}

// Routes implements RouteGroup.
func (h *Products) Routes(a *web.App) []web.Route {
	h.app = a
	view_, manage := staff.PermBillingView, staff.PermProductsManage
	const dom, vps, px = "/lumi/domains/:id<int>", "/lumi/vps/:id<int>", "/lumi/proxies/:id<int>"
	return []web.Route{
		web.Get(view.DomainsPath, view_, h.listDomains),
		web.Get(view.VPSPath, view_, h.listVPS),
		web.Get(view.ProxiesPath, view_, h.listProxies),
		web.Get(view.DomainsPath+"/export.csv", view_, h.exportDomains),
		web.Get(view.VPSPath+"/export.csv", view_, h.exportVPS),
		web.Get(view.ProxiesPath+"/export.csv", view_, h.exportProxies),
		web.Get(view.PricesPath, view_, h.prices),
		web.Get("/lumi/accounts/:id<int>/products", view_, h.accountProducts),
		web.Post(view.RenewPath, manage, h.renewDue),
		web.Get(dom, view_, h.domain),
		web.Post(dom+"/nameservers", manage, h.setNameservers),
		web.Post(dom+"/lock", manage, h.setLock),
		web.Post(dom+"/privacy", manage, h.setPrivacy),
		web.Post(dom+"/auto-renew", manage, h.setDomainAutoRenew),
		web.Post(dom+"/renew", manage, h.renewDomain),
		web.Post(dom+"/epp", manage, h.revealEPP),
		web.Get(vps, view_, h.vps),
		web.Post(vps+"/power", manage, h.powerVPS),
		web.Post(vps+"/auto-renew", manage, h.setVPSAutoRenew),
		web.Post(vps+"/renew", manage, h.renewVPS),
		web.Get(px, view_, h.proxy),
		web.Post(px+"/allow-list", manage, h.setAllowList),
		web.Post(px+"/auto-renew", manage, h.setProxyAutoRenew),
		web.Post(px+"/renew", manage, h.renewProxy),
		web.Post(px+"/password", manage, h.revealProxyPassword),
	}
}
