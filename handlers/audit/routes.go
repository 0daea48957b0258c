package audit

import (
	"lumdesk/handlers/web"
	"lumdesk/internal/staff"
)

// Routes implements RouteGroup. The export route comes before /audit/:id.
func (h *Audit) Routes(a *web.App) []web.Route {
	h.app = a
	return []web.Route{
		web.Get("/audit", staff.PermAuditView, h.list),
		web.Get("/audit/export.csv", staff.PermAuditExport, h.export),
		web.Get("/audit/:id", staff.PermAuditView, h.detail),
		web.Get("/history/:entity_type/:entity_id", staff.PermAuditView, h.history),
	}
}
