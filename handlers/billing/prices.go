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
	v := view.Prices{Sandbox: h.svc.Registrar().Sandbox()}
	for _, r := range cat.TLDHistory {
		v.TLDs = append(v.TLDs, view.TLDPriceRow{TLD: r.TLD, Register: r.Register.String(), Renew: r.Renew.String(),
			Transfer: r.Transfer.String(), Effective: r.EffectiveFrom, State: string(cat.TLDState(r))})
	}
	for _, r := range cat.PlanHistory {
		v.Plans = append(v.Plans, view.PlanPriceRow{Product: r.Product, Plan: r.Plan, Title: r.Title, Description: r.Description,
			Monthly: r.Monthly.String(), Effective: r.EffectiveFrom, State: string(cat.PlanState(r))})
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
