package staff

import (
	"lumdesk/handlers/web"
	"lumdesk/internal/staff"
	staffviews "lumdesk/views/pages/staff"
)

// Routes implements RouteGroup.
func (h *StaffPages) Routes(a *web.App) []web.Route {
	h.app = a
	p := staff.PermStaffManage
	routes := []web.Route{
		web.Get("/staff", p, h.list),
		web.Get("/staff/new", p, h.newPage),
		web.Post("/staff", p, h.create),
		web.Get("/staff/:id", p, h.detail),
	}
	for _, kind := range staffviews.ActionKinds {
		routes = append(routes,
			web.Get("/staff/:id/"+kind, p, h.actionForm(kind)),
			web.Post("/staff/:id/"+kind, p, h.action(kind)))
	}
	return routes
}

// Routes implements RouteGroup. The /account/security paths are also listed
// in enrolmentPaths (routes.go): they stay reachable while TOTP enrolment is due.
func (h *AccountSecurity) Routes(a *web.App) []web.Route {
	h.app = a
	return []web.Route{
		web.Get("/account/sessions", staff.PermSignedIn, h.sessions),
		web.Post("/account/sessions/revoke-others", staff.PermSignedIn, h.revokeOthers),
		web.Post("/account/sessions/:handle/revoke", staff.PermSignedIn, h.revokeOne),
		web.Get("/account/security", staff.PermSignedIn, h.security),
		web.Post("/account/security/totp", staff.PermSignedIn, h.beginTOTP),
		web.Post("/account/security/totp/confirm", staff.PermSignedIn, h.confirmTOTP),
	}
}
