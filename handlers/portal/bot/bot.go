// Package bot is the customer portal's Discord section (/portal/discord):
// the Discord servers linked to the account's Luarmor projects and Lumira
// groups, shown on each project's and group's page, with "Make link
// code", Unlink and a Lumira link's rank role. It is the console's Links
// handler over the customer's scope (web.PortalScope): another account's
// project, group or link is "not found". Reads need customers.PermView,
// changes customers.PermDevelop; read-only and billing users see no forms.
package bot

import (
	"github.com/gofiber/fiber/v2"

	bothttp "lumdesk/handlers/bot"
	"lumdesk/handlers/web"
	"lumdesk/internal/accounts"
	"lumdesk/internal/bot"
	"lumdesk/internal/customers"
	"lumdesk/views/layouts"
	view "lumdesk/views/pages/bot"
	licensingview "lumdesk/views/pages/portal/licensing"
	lumiraview "lumdesk/views/pages/portal/lumira"
)

// Portal is the route group.
type Portal struct {
	links *bothttp.Links
}

// New makes the route group.
func New(svc bothttp.Service) *Portal {
	h := &Portal{}
	h.links = &bothttp.Links{Svc: svc, Base: view.PortalPath, Portal: true,
		Scope:     func(c *fiber.Ctx) accounts.Scope { return web.PortalScope(c) },
		CanManage: func(c *fiber.Ctx) bool { return web.CustomerMay(c, customers.PermDevelop) },
		Page: func(c *fiber.Ctx, title string) layouts.Page {
			return h.links.App.PortalPage(c, title, "", layouts.Crumb{Label: title})
		},
		Target: func(area, id string) string {
			if area == bot.AreaRanking {
				return lumiraview.GroupHref(id)
			}
			return licensingview.ProjectHref(id)
		},
	}
	return h
}

// Routes implements web.RouteGroup.
func (h *Portal) Routes(a *web.App) []web.Route {
	h.links.App = a
	read, dev := customers.PermView, customers.PermDevelop
	return []web.Route{
		web.PortalGet(view.PortalPath+"/links", read, h.links.Section),
		web.PortalPost(view.PortalPath+"/links/code", dev, h.links.MakeCode),
		web.PortalPost(view.PortalPath+"/links/:id/unlink", dev, h.links.Unlink),
		web.PortalPost(view.PortalPath+"/links/:id/rank-role", dev, h.links.SetRankRole),
	}
}
