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
		web.Get("/apikeys/:id/revoke", manage, h.actionForm("revoke")),
		web.Post("/apikeys/:id/revoke", manage, h.action("revoke")),
		web.Get("/apikeys/:id/rotate", manage, h.actionForm("rotate")),
		web.Post("/apikeys/:id/rotate", manage, h.action("rotate")),
	}
}
