package billing

import (
	"context"

	"github.com/gofiber/fiber/v2"

	"lumdesk/handlers/web"
	lumiproducts "lumdesk/internal/billing/products"
	"lumdesk/views/layouts"
	view "lumdesk/views/pages/billing"
)

// PricesService is what the price list needs of internal/billing/products.
type PricesService interface {
	Prices(ctx context.Context) (lumiproducts.Catalog, error)
}

func (h *Products) prices(c *fiber.Ctx) error {
	cat, err := h.svc.Prices(c.UserContext())
	if err != nil {
		return err
	}
	return web.Render(c, fiber.StatusOK, view.PricesPage(h.page(c, "Prices", layouts.Crumb{Label: "Prices"}), view.Prices{C: cat, Sandbox: h.svc.Registrar().Sandbox()}))
}

// productPrice finds the current price label of an item.
func (h *Products) priceOf(ctx context.Context, product, key string) string {
	cat, err := h.svc.Prices(ctx)
	if err != nil {
		return ""
	}
	switch product {
	case lumiproducts.ProductDomain:
		for _, p := range cat.TLDs {
			if p.TLD == key {
				return p.Renew.String() + " / year"
			}
		}
	case lumiproducts.ProductVPS:
		for _, p := range cat.VPSPlans {
			if p.Plan == key {
				return p.Monthly.String() + " / month"
			}
		}
	case lumiproducts.ProductProxy:
		for _, p := range cat.ProxyPlans {
			if p.Plan == key {
				return p.Monthly.String() + " / month"
			}
		}
	}
	return "not sold any more"
}
