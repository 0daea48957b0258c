package billing

import (
	"context"

	"github.com/gofiber/fiber/v2"

	"lumdesk/handlers/web"
	lumiproducts "lumdesk/internal/billing/products"
	"lumdesk/views/components"
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
	v := view.Prices{Sandbox: h.svc.Registrar().Sandbox()}
	for _, r := range cat.TLDHistory {
		v.TLDs = append(v.TLDs, view.TLDPriceRow{TLD: r.TLD, Register: components.Money(r.Register), Renew: components.Money(r.Renew),
			Transfer: components.Money(r.Transfer), Effective: r.EffectiveFrom, State: string(cat.TLDState(r))})
	}
	for _, r := range cat.PlanHistory {
		v.Plans = append(v.Plans, view.PlanPriceRow{Product: r.Product, Plan: r.Plan, Title: r.Title, Description: r.Description,
			Monthly: components.Money(r.Monthly), Effective: r.EffectiveFrom, State: string(cat.PlanState(r))})
	}
	return web.Render(c, fiber.StatusOK, view.PricesPage(h.page(c, "Prices", layouts.Crumb{Label: "Prices"}), v))
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
				return components.Money(p.Renew) + " / year"
			}
		}
	case lumiproducts.ProductVPS:
		for _, p := range cat.VPSPlans {
			if p.Plan == key {
				return components.Money(p.Monthly) + " / month"
			}
		}
	case lumiproducts.ProductProxy:
		for _, p := range cat.ProxyPlans {
			if p.Plan == key {
				return components.Money(p.Monthly) + " / month"
			}
		}
	}
	return "not sold any more"
}
