package billing

import (
	"context"
	"strconv"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/utils"

	"lumdesk/handlers/web"
	"lumdesk/internal/accounts"
	"lumdesk/internal/audit"
	lumiproducts "lumdesk/internal/billing/products"
	"lumdesk/internal/platform/listcount"
	"lumdesk/views/components"
	view "lumdesk/views/pages/billing"
)

// VPSService is what the VPS pages need of internal/billing/products.
type VPSService interface {
	ListVPS(ctx context.Context, f lumiproducts.ListFilter) (lumiproducts.Page[lumiproducts.VPS], error)
	CountVPS(ctx context.Context, f lumiproducts.ListFilter, limitTo int) (listcount.Count, error)
	GetVPS(ctx context.Context, scope accounts.Scope, id int64) (lumiproducts.VPS, error)
	PowerVPS(ctx context.Context, actor audit.Actor, scope accounts.Scope, id int64, action string) (lumiproducts.VPS, error)
	SetVPSAutoRenew(ctx context.Context, actor audit.Actor, scope accounts.Scope, id int64, on bool) (lumiproducts.VPS, error)
	RenewVPS(ctx context.Context, actor audit.Actor, accountID, id int64, months int, idemKey string) (lumiproducts.VPS, error)
}

func (h *Products) vpsPage(c *fiber.Ctx, v lumiproducts.VPS) view.VPSPage {
	return view.VPSPage{V: vpsView(v), Owner: h.names.One(c.UserContext(), v.AccountID), Tab: utils.CopyString(c.Query("tab")), Face: h.face, CanManage: h.canManage(c), CanPay: h.canPay(c), CSRF: web.CSRFToken(c),
		Sandbox: h.svc.Provisioner().Sandbox(), Errors: map[string]string{}, Price: h.priceOf(c.UserContext(), lumiproducts.ProductVPS, v.Plan)}
}

func (h *Products) vps(c *fiber.Ctx) error {
	id, err := itemID(c)
	if err != nil {
		return err
	}
	v, err := h.svc.GetVPS(c.UserContext(), h.scope(c), id)
	if err != nil {
		return err
	}
	return web.Render(c, fiber.StatusOK, view.VPSDetail(h.itemPage(c, v.Hostname, web.Crumb("VPS", h.face.ListHref("vps")), web.Crumb(v.Hostname)), h.vpsPage(c, v)))
}

func (h *Products) powerVPS(c *fiber.Ctx) error {
	ctx, id, err := productInput(c)
	if err != nil {
		return err
	}
	action := utils.CopyString(c.FormValue("action"))
	v, err := h.svc.PowerVPS(ctx, web.Actor(c), h.scope(c), id, action)
	return h.vpsDone(c, ctx, id, v, "Power: "+action+" sent.", err)
}

func (h *Products) setVPSAutoRenew(c *fiber.Ctx) error {
	ctx, id, err := productInput(c)
	if err != nil {
		return err
	}
	on, err := onValue(c)
	var v lumiproducts.VPS
	if err == nil {
		v, err = h.svc.SetVPSAutoRenew(ctx, web.Actor(c), h.scope(c), id, on)
	}
	return h.vpsDone(c, ctx, id, v, "Auto-renew turned "+map[bool]string{true: "on", false: "off"}[on]+".", err)
}

func (h *Products) renewVPS(c *fiber.Ctx) error {
	ctx, id, err := productInput(c)
	if err != nil {
		return err
	}
	cur, err := h.svc.GetVPS(ctx, h.scope(c), id)
	var v lumiproducts.VPS
	if err == nil {
		months, _ := strconv.Atoi(c.FormValue("period"))
		v, err = h.svc.RenewVPS(ctx, web.Actor(c), cur.AccountID, id, months, renewKey(c, "vps", id))
	}
	return h.vpsDone(c, ctx, id, v, "Renewed; the server now expires "+components.DatePtr(v.ExpiresAt)+".", err)
}

// vpsDone answers a VPS action: the server's page (or panel) with the
// refusal, or a toast.
func (h *Products) vpsDone(c *fiber.Ctx, ctx context.Context, id int64, v lumiproducts.VPS, msg string, err error) error {
	if err != nil {
		cur, gerr := h.svc.GetVPS(ctx, h.scope(c), id)
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
		return web.Render(c, status, view.VPSDetail(h.itemPage(c, cur.Hostname, web.Crumb("VPS", h.face.ListHref("vps")), web.Crumb(cur.Hostname)), page))
	}
	if web.IsHTMX(c) {
		return web.Render(c, fiber.StatusOK, components.WithToast(view.VPSPanel(h.vpsPage(c, v)), components.Toast{Kind: "success", Message: msg}))
	}
	h.app.Toast(c, "success", msg)
	return web.Redirect(c, h.face.VPSHref(id))
}
