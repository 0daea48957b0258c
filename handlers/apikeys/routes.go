// Package apikeys is the console's API key pages for every product: list,
// issue (the secret shown once), detail, revoke and rotate. routes.go is its
// route table: every path with the permission it needs.
package apikeys

import (
	"lumdesk/handlers/web"
	"lumdesk/internal/staff"
)

// Routes implements RouteGroup.
func (h *APIKeys) Routes(a *web.App) []web.Route {
	h.app = a
	view, manage := staff.PermAPIKeysView, staff.PermAPIKeysManage
	return []web.Route{
		web.Get("/apikeys", view, h.list),
		web.Get("/apikeys/new", manage, h.newPage),
		web.Post("/apikeys", manage, h.create),
		web.Get("/apikeys/:id", view, h.detail),
		web.Get("/apikeys/:id/revoke", manage, h.revokeForm),
		web.Post("/apikeys/:id/revoke", manage, h.revoke),
		web.Get("/apikeys/:id/rotate", manage, h.rotateForm),
		web.Post("/apikeys/:id/rotate", manage, h.rotate),
		web.Post("/apikeys/:id/allowed-ips", manage, h.setAllowedIPs),
	}
}
