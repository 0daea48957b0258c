// Package lumora is the Lumora console (transactional email): the overview,
// apps, sending domains with their DNS records and checks, the message log,
// webhook endpoints with their delivery log, suppressions and the sandbox
// inbox. routes.go is its route table: every path with the
// permission it needs.
package lumora

import (
	"lumdesk/handlers/web"
	"lumdesk/internal/staff"
	view "lumdesk/views/pages/lumora"
)

// Routes implements RouteGroup.
func (h *Lumora) Routes(a *web.App) []web.Route {
	h.app, h.tpl.App = a, a
	read, manage := staff.PermMailView, staff.PermMailManage
	const dom = view.DomainsPath + "/:id<int>"
	return []web.Route{
		web.Get(view.OverviewPath, read, h.overview),
		web.Get(view.DomainsPath, read, h.domains),
		web.Get(view.NewDomainPath, manage, h.domainForm),
		web.Post(view.DomainsPath, manage, h.addDomain),
		web.Get(dom, read, h.domain),
		web.Post(dom+"/verify", manage, h.verify),
		web.Get(view.AppsPath, read, h.apps),
		web.Get(view.AppsPath+"/:id<int>", read, h.appPage),
		web.Get(view.WebhooksPath+"/deliveries/:id<int>", read, h.delivery),
		web.Post(view.WebhooksPath+"/deliveries/:id<int>/replay", manage, h.replay),
		web.Get(view.WebhooksPath+"/:id", read, h.webhook),
		web.Post(view.WebhooksPath+"/:id/delete", manage, h.deleteWebhook),
		web.Get(view.SuppressionsPath, read, h.suppressions),
		web.Get(view.SuppressionsPath+"/export.csv", read, h.exportSuppressions),
		web.Post(view.SuppressionsPath, manage, h.addSuppression),
		web.Post(view.LiftPath, manage, h.liftSuppression),
		web.Get(view.MessagesPath, read, h.messages),
		web.Get(view.MessagesPath+"/export.csv", read, h.exportMessages),
		web.Get(view.MessagesPath+"/:id", read, h.message),
		web.Get(view.TemplatesPath, read, h.tpl.List),
		web.Get(view.ConsoleTemplates.New(), manage, h.tpl.NewForm),
		web.Post(view.TemplatesPath, manage, h.tpl.Create),
		web.Get(view.TemplatesPath+"/:id", read, h.tpl.Show),
		web.Get(view.TemplatesPath+"/:id/preview", read, h.tpl.Preview),
		web.Get(view.TemplatesPath+"/:id/diff", read, h.tpl.Diff),
		web.Post(view.TemplatesPath+"/:id/send", manage, h.tpl.SendTest),
		web.Get(view.TemplatesPath+"/:id/edit", manage, h.tpl.EditForm),
		web.Post(view.TemplatesPath+"/:id", manage, h.tpl.Update),
		web.Get(view.SandboxPath, read, h.sandbox),
		web.Get(view.SandboxPath+"/:id", read, h.sandboxMessage),
		web.Get(view.SandboxPath+"/:id/html", read, h.sandboxHTML),
	}
}
