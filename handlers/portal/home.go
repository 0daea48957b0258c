package portal

import (
	"github.com/gofiber/fiber/v2"

	"lumdesk/handlers/web"
	"lumdesk/internal/product"
	view "lumdesk/views/pages/portal"
)

func (h *Portal) home(c *fiber.Ctx) error {
	u := web.CurrentCustomer(c)
	v := view.Home{AccountName: u.AccountName, UserName: u.DisplayName(), Role: u.Role.Label()}
	if u.ViewedBy != nil {
		v.UserName, v.Role = u.AccountName, "viewed by "+u.ViewedBy.Email+", read-only"
	}
	wired := map[string]bool{}
	for _, a := range h.areas {
		card, err := a.PortalHome(c, u.AccountID)
		if err != nil {
			return err
		}
		if p, ok := product.Get(a.PortalProduct()); ok {
			card.Brand, card.Tagline, card.Icon, card.Hue = p.Brand, p.Tagline, p.Icon, p.Hue
			card.Href = web.PortalPrefix + p.Path
			wired[p.Key] = true
		}
		v.Products = append(v.Products, card)
	}
	// Live products without portal pages still show what they are; coming
	// ones are one quiet line.
	for _, p := range product.All() {
		switch {
		case wired[p.Key]:
		case p.Status != product.Live:
			v.Coming = append(v.Coming, p.Brand)
		default:
			v.Products = append(v.Products, view.HomeProduct{Brand: p.Brand, Tagline: p.Tagline, Icon: p.Icon, Hue: p.Hue,
				Empty: "Not in your portal yet: ask us and we will set it up."})
		}
	}
	if h.activity != nil {
		act, err := h.activity(c, u.AccountID, 10)
		if err != nil {
			return err
		}
		v.Activity = act
	}
	return web.Render(c, fiber.StatusOK, view.HomePage(h.PortalPage(c, "Home", "home"), v))
}
