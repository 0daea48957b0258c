package portal

import (
	"lumdesk/handlers/web"
	"lumdesk/internal/customers"
	view "lumdesk/views/pages/portal"
)

// Routes implements web.RouteGroup: the portal's frame. Every row declares
// the customer permission it needs (customers.PermPublic for sign-in and
// the mailed links).
func (h *Portal) Routes(a *web.App) []web.Route {
	h.app = a
	pub := customers.PermPublic
	return []web.Route{
		web.PortalGet(view.LoginPath, pub, h.loginPage),
		web.PortalPost(view.LoginPath, pub, h.login),
		web.PortalGet(view.LoginPath+"/totp", pub, h.totpPage),
		web.PortalPost(view.LoginPath+"/totp", pub, h.totp),
		web.PortalPost("/portal/logout", customers.PermView, h.logout),
		web.PortalGet(view.ForgotPath, pub, h.forgotPage),
		web.PortalPost(view.ForgotPath, pub, h.forgot),
		web.PortalGet(customers.InvitePath+":token", pub, h.invitePage),
		web.PortalPost(customers.InvitePath+":token", pub, h.acceptInvite),
		web.PortalGet(customers.ResetPath+":token", pub, h.resetPage),
		web.PortalPost(customers.ResetPath+":token", pub, h.reset),
		web.PortalGet(view.HomePath, customers.PermView, h.home),
	}
}
