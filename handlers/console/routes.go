package console

import (
	"github.com/gofiber/fiber/v2"

	"lumdesk/handlers/web"
	"lumdesk/internal/staff"
	view "lumdesk/views/pages/console"
)

// Routes implements RouteGroup.
func (h *Console) Routes(a *web.App) []web.Route {
	h.app = a
	routes := []web.Route{
		web.Get("/", staff.PermDashboardView, h.overview),
		web.Get("/search", staff.PermSignedIn, h.search),
	}
	for _, p := range products {
		p := p
		routes = append(routes, web.Get("/"+p.page.Key, p.perm, func(c *fiber.Ctx) error {
			return web.Render(c, fiber.StatusOK, view.ProductPage(a.Page(c, p.page.Name, p.page.Key, web.Crumb(p.page.Name)), p.page))
		}))
	}
	return routes
}
