// Package audit is the console's audit log: filters, keyset pages, event
// detail, CSV export, and the History fragment every entity page embeds.
// routes.go is its route table: every path with the permission it needs.
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
