// Package console is the console's overview, the landing pages of coming
// products, and global search. routes.go is its route table: every path with
// the permission it needs.
package console

import (
	"github.com/gofiber/fiber/v2"

	"lumdesk/handlers/web"
	"lumdesk/internal/product"
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
	// A product that is not built yet has a landing page saying what is coming.
	for _, p := range product.All() {
		if p.Status != product.Coming {
			continue
		}
		nav := p.Nav[0]
		page := view.Product{Key: nav.Key, Name: p.Brand, Tagline: p.Tagline, Features: p.About}
		routes = append(routes, web.Get(p.Path, staff.Permission(nav.Permission), func(c *fiber.Ctx) error {
			return web.Render(c, fiber.StatusOK, view.ProductPage(a.Page(c, page.Name, page.Key, web.Crumb(page.Name)), page))
		}))
	}
	return routes
}
