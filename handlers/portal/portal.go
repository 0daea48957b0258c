// Package portal is the customer portal's frame: sign-in, invitations,
// password resets, the home page and the layout every portal page uses
// (PortalPage). Product areas add their portal pages as route groups of
// their own with web.PortalGet/PortalPost rows under /portal/<brand>, and
// register an Area here for the sidebar and the home page's card.
//
// Every portal handler reads and writes through the services with
// web.PortalScope(c) as the account scope; nothing here builds a query.
package portal

import (
	"github.com/gofiber/fiber/v2"

	"lumdesk/handlers/web"
	"lumdesk/internal/customers"
	"lumdesk/internal/product"
	"lumdesk/views/components"
	"lumdesk/views/layouts"
	view "lumdesk/views/pages/portal"
)

// Area is a product's part of the portal: its sidebar entry and its card
// on the home page (figures counted within the account's scope).
type Area interface {
	PortalProduct() string // the registry key ("licensing")
	PortalHome(c *fiber.Ctx, accountID int64) (view.HomeProduct, error)
}

// Portal is the portal's frame (a web.RouteGroup).
type Portal struct {
	app   *web.App
	areas []Area
	// Activity lists the account's recent changes customers may see.
	activity Activity
}

// Activity is the recent-activity source of the home page.
type Activity func(c *fiber.Ctx, accountID int64, limit int) ([]view.Activity, error)

// New makes the portal with the product areas that have portal pages.
func New(activity Activity, areas ...Area) *Portal { return &Portal{areas: areas, activity: activity} }

// Areas are the product areas wired into the portal (for the wiring's tests).
func (h *Portal) Areas() []Area { return h.areas }

// nav is the portal's sidebar for u: home, each wired product, then the
// account's settings the role may open.
func (h *Portal) nav(u *web.Customer) []layouts.NavItem {
	items := []layouts.NavItem{{Key: "home", Label: "Home", Href: view.HomePath, Icon: "home"}}
	for _, a := range h.areas {
		if p, ok := product.Get(a.PortalProduct()); ok {
			items = append(items, layouts.NavItem{Key: p.Key, Label: p.Brand, Href: web.PortalPrefix + p.Path, Icon: p.Icon,
				IconClass: components.ProductIconClass(p.Hue)})
		}
	}
	items = append(items, layouts.NavItem{Key: "apikeys", Label: "API keys", Href: view.APIKeysPath, Icon: "key"})
	// Every user reads the team (owners change it); staff viewing too.
	if u != nil && u.Can(customers.PermView) {
		items = append(items, layouts.NavItem{Key: "team", Label: "Team", Href: view.TeamPath, Icon: "users"})
	}
	if u != nil && u.ViewedBy == nil {
		items = append(items, layouts.NavItem{Key: "security", Label: "Security", Href: view.SecurityPath, Icon: "lock"})
	}
	return items
}

// PortalPage is the layout view-model of a portal page (web.PortalShell).
func (h *Portal) PortalPage(c *fiber.Ctx, title, nav string, crumbs ...layouts.Crumb) layouts.Page {
	p := h.app.Page(c, title, nav, crumbs...)
	p.Products = nil
	u := web.CurrentCustomer(c)
	p.Portal = &layouts.Portal{Nav: h.nav(u)}
	if u == nil {
		return p
	}
	p.Portal.AccountName = u.AccountName
	p.User = &layouts.User{ID: u.ID, Name: u.DisplayName(), Email: u.Email, Role: u.Role.Label(), ReadOnly: !u.Can(customers.PermDevelop) && !u.Can(customers.PermBilling)}
	if u.ViewedBy != nil {
		p.Portal.ViewingAs = u.ViewedBy.Email
		p.User.ReadOnly = true
	}
	user := *u
	p.Can = func(perm string) bool {
		return user.ViewedBy == nil && user.Can(customers.Permission(perm))
	}
	return p
}
