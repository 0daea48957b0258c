package billing

import (
	"strconv"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/utils"

	"lumdesk/handlers/web"
	lumiproducts "lumdesk/internal/billing/products"
	"lumdesk/views/components"
	view "lumdesk/views/pages/lumi"
)

func (h *LumiProducts) vpsPage(c *fiber.Ctx, v lumiproducts.VPS) view.VPSPage {
	return view.VPSPage{V: v, Tab: utils.CopyString(c.Query("tab")), CanManage: canManageProducts(c), CSRF: web.CSRFToken(c),
		Sandbox: h.svc.Provisioner().Sandbox(), Errors: map[string]string{}, Price: h.priceOf(c.UserContext(), lumiproducts.ProductVPS, v.Plan)}
}

func (h *LumiProducts) vps(c *fiber.Ctx) error {
	id, err := itemID(c)
	if err != nil {
		return err
	}
	v, err := h.svc.GetVPS(c.UserContext(), nil, id)
	if err != nil {
		return err
	}
	return web.Render(c, fiber.StatusOK, view.VPSDetail(h.page(c, v.Hostname, web.Crumb("VPS", view.VPSPath), web.Crumb(v.Hostname)), h.vpsPage(c, v)))
}

func (h *LumiProducts) vpsAction(kind string) fiber.Handler {
	return func(c *fiber.Ctx) error {
		id, err := itemID(c)
		if err != nil {
			return err
		}
		ctx := lumiproducts.WithReason(c.UserContext(), c.FormValue("reason"))
		actor := web.Actor(c)
		var v lumiproducts.VPS
		var msg string
		switch kind {
		case "power":
			action := utils.CopyString(c.FormValue("action"))
			v, err = h.svc.PowerVPS(ctx, actor, nil, id, action)
			msg = "Power: " + action + " sent."
		case "auto-renew":
			var on bool
			if on, err = onValue(c); err == nil {
				v, err = h.svc.SetVPSAutoRenew(ctx, actor, nil, id, on)
			}
			msg = "Auto-renew turned " + map[bool]string{true: "on", false: "off"}[on] + "."
		case "renew":
			var cur lumiproducts.VPS
			if cur, err = h.svc.GetVPS(ctx, nil, id); err == nil {
				months, _ := strconv.Atoi(c.FormValue("period"))
				v, err = h.svc.RenewVPS(ctx, actor, cur.AccountID, id, months, renewKey(c, "vps", id))
				msg = "Renewed; the server now expires " + view.Date(v.ExpiresAt) + "."
			}
		}
		if err != nil {
			cur, gerr := h.svc.GetVPS(ctx, nil, id)
			if gerr != nil {
				return gerr
			}
			page := h.vpsPage(c, cur)
			formErr, status, ok := actionFailure(err, page.Errors)
			if !ok {
				return err
			}
			page.FormError = formErr
			if web.IsHTMX(c) {
				return web.Render(c, fiber.StatusOK, view.VPSPanel(page))
			}
			return web.Render(c, status, view.VPSDetail(h.page(c, cur.Hostname, web.Crumb("VPS", view.VPSPath), web.Crumb(cur.Hostname)), page))
		}
		if web.IsHTMX(c) {
			return web.Render(c, fiber.StatusOK, view.VPSPanelWithToast(h.vpsPage(c, v), components.Toast{Kind: "success", Message: msg}))
		}
		h.app.Toast(c, "success", msg)
		return web.Redirect(c, view.VPSHref(id))
	}
}
