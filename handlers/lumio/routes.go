// Package lumio is the Lumio console (the extension marketplace): the
// overview, the review queue, the version inspector with the review
// decisions, the extension list and page with moderation, and the
// account tab. routes.go is its route table: every path with the
// permission it needs (viewers see; reviewers decide).
package lumio

import (
	"lumdesk/handlers/web"
	"lumdesk/internal/staff"
	view "lumdesk/views/pages/lumio"
)

// Routes implements RouteGroup.
func (h *Lumio) Routes(a *web.App) []web.Route {
	h.app = a
	read, review := staff.PermMarketplaceView, staff.PermMarketplaceReview
	const ext = view.ExtensionsPath + "/:id"
	const ver = view.VersionsPath + "/:id"
	return []web.Route{
		web.Get(view.OverviewPath, read, h.overview),
		web.Get(view.ReviewPath, read, h.queue),
		web.Get(view.ExportPath, read, h.export),
		web.Get(view.ExtensionsPath, read, h.extensions),
		web.Get(ext, read, h.extension),
		web.Post(ext+"/suspend", review, h.suspend),
		web.Post(ext+"/unsuspend", review, h.unsuspend),
		web.Post(ext+"/deprecate", review, h.deprecate),
		web.Post(ext+"/undeprecate", review, h.undeprecate),
		web.Get(ver, read, h.version),
		web.Post(ver+"/approve", review, h.approve),
		web.Post(ver+"/reject", review, h.reject),
		web.Post(ver+"/rollout", review, h.rollout),
	}
}
