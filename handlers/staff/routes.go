// Package staff is the console's staff management and each user's own security
// pages (sessions, two-factor). routes.go is its route table: every path with
// the permission it needs.
package staff

import (
	"lumdesk/handlers/web"
	"lumdesk/internal/staff"
)

// Routes implements RouteGroup.
func (h *Pages) Routes(a *web.App) []web.Route {
	h.app = a
	p := staff.PermStaffManage
	return []web.Route{
		web.Get("/staff", p, h.list),
		web.Get("/staff/new", p, h.newPage),
		web.Post("/staff", p, h.create),
		web.Get("/staff/:id", p, h.detail),
		web.Get("/staff/:id/role", p, h.roleForm),
		web.Post("/staff/:id/role", p, h.changeRole),
		web.Get("/staff/:id/disable", p, h.disableForm),
		web.Post("/staff/:id/disable", p, h.disable),
		web.Get("/staff/:id/enable", p, h.enableForm),
		web.Post("/staff/:id/enable", p, h.enable),
		web.Get("/staff/:id/password", p, h.passwordForm),
		web.Post("/staff/:id/password", p, h.resetPassword),
		web.Get("/staff/:id/revoke-sessions", p, h.revokeSessionsForm),
		web.Post("/staff/:id/revoke-sessions", p, h.revokeSessions),
		web.Get("/staff/:id/reset-totp", p, h.resetTOTPForm),
		web.Post("/staff/:id/reset-totp", p, h.resetTOTP),
	}
}

// Routes implements RouteGroup. The /account/security paths are also listed
// in enrolmentPaths (routes.go): they stay reachable while TOTP enrolment is due.
func (h *Security) Routes(a *web.App) []web.Route {
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
