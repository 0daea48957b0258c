package mail

import (
	"lumdesk/handlers/web"
	"lumdesk/internal/customers"
	mv "lumdesk/views/pages/portal/mail"
)

// Routes implements web.RouteGroup: reads need customers.PermView, changes
// customers.PermDevelop.
func (h *Mail) Routes(a *web.App) []web.Route {
	h.app, h.tpl.App = a, a
	read, dev := customers.PermView, customers.PermDevelop
	const dom = mv.DomainsPath + "/:id<int>"
	const app = mv.AppsPath + "/:id<int>"
	api := mv.APIPrefix
	return []web.Route{
		web.PortalGet(mv.OverviewPath, read, h.overview),
		web.PortalGet(mv.DomainsPath, read, h.domains),
		web.PortalGet(mv.NewDomainPath, dev, h.domainForm),
		web.PortalPost(mv.DomainsPath, dev, h.addDomain),
		web.PortalGet(dom, read, h.domain),
		web.PortalGet(dom+"/setup", read, h.domainSetup),
		web.PortalPost(dom+"/verify", dev, h.verify),
		web.PortalGet(mv.AppsPath, read, h.apps),
		web.PortalGet(mv.NewAppPath, dev, h.appForm),
		web.PortalPost(mv.AppsPath, dev, h.createApp),
		web.PortalGet(app, read, h.appPage),
		web.PortalPost(app+"/webhooks", dev, h.createWebhook),
		web.PortalPost(app+"/keys", dev, h.createKeyForm),
		web.PortalGet(mv.WebhooksPath+"/:wid", read, h.webhook),
		web.PortalGet(mv.WebhooksPath+"/:wid/delete", dev, h.webhookConfirm),
		web.PortalPost(mv.WebhooksPath+"/:wid/delete", dev, h.deleteWebhook),
		web.PortalPost(mv.WebhooksPath+"/:wid/deliveries/:did<int>/replay", dev, h.replay),
		web.PortalGet(mv.SuppressionsPath, read, h.suppressions),
		web.PortalGet(mv.SuppressionsPath+"/export.csv", read, h.exportSuppressions),
		web.PortalPost(mv.ReactivatePath, dev, h.reactivate),
		web.PortalPost(mv.SuppressionsPath, dev, h.addSuppression),
		web.PortalGet(mv.MessagesPath, read, h.messages),
		web.PortalGet(mv.MessagesPath+"/export.csv", read, h.exportMessages),
		web.PortalGet(mv.MessagesPath+"/:id", read, h.message),
		web.PortalGet(mv.TemplatesPath, read, h.tpl.List),
		web.PortalGet(h.tpl.Face.New(), dev, h.tpl.NewForm),
		web.PortalPost(mv.TemplatesPath, dev, h.tpl.Create),
		web.PortalGet(mv.TemplatesPath+"/:id", read, h.tpl.Show),
		web.PortalGet(mv.TemplatesPath+"/:id/preview", read, h.tpl.Preview),
		web.PortalGet(mv.TemplatesPath+"/:id/diff", read, h.tpl.Diff),
		web.PortalPost(mv.TemplatesPath+"/:id/send", dev, h.tpl.SendTest),
		web.PortalGet(mv.TemplatesPath+"/:id/edit", dev, h.tpl.EditForm),
		web.PortalPost(mv.TemplatesPath+"/:id", dev, h.tpl.Update),

		web.PortalPost(api+"/domains", dev, h.apiAddDomain),
		web.PortalPost(api+"/domains/:id/verify", dev, h.apiVerify),
		web.PortalPost(api+"/apps/:appId/keys", dev, h.apiCreateKey),
		web.PortalGet(api+"/apps/:appId/keys", read, h.apiListKeys),
	}
}
