package billing

import (
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/utils"

	"lumdesk/handlers/web"
	lumiproducts "lumdesk/internal/billing/products"
	"lumdesk/views/components"
	view "lumdesk/views/pages/lumi"
)

func (h *LumiProducts) proxyPage(c *fiber.Ctx, p lumiproducts.Proxy) view.ProxyPage {
	return view.ProxyPage{P: p, Tab: utils.CopyString(c.Query("tab")), CanManage: canManageProducts(c), CSRF: web.CSRFToken(c),
		Sandbox: h.svc.Provisioner().Sandbox(), Errors: map[string]string{}, IPsText: strings.Join(p.AllowIPs, "\n"),
		Price: h.priceOf(c.UserContext(), lumiproducts.ProductProxy, p.Plan)}
}

func (h *LumiProducts) proxy(c *fiber.Ctx) error {
	id, err := itemID(c)
	if err != nil {
		return err
	}
	p, err := h.svc.GetProxy(c.UserContext(), nil, id)
	if err != nil {
		return err
	}
	title := "Proxy #" + strconv.FormatInt(p.ID, 10)
	return web.Render(c, fiber.StatusOK, view.ProxyDetail(h.page(c, title, web.Crumb("Proxies", view.ProxiesPath), web.Crumb(title)), h.proxyPage(c, p)))
}

func (h *LumiProducts) proxyAction(kind string) fiber.Handler {
	return func(c *fiber.Ctx) error {
		id, err := itemID(c)
		if err != nil {
			return err
		}
		ctx := lumiproducts.WithReason(c.UserContext(), c.FormValue("reason"))
		actor := web.Actor(c)
		var p lumiproducts.Proxy
		var msg, password, ipsText string
		switch kind {
		case "allow-list":
			ipsText = utils.CopyString(web.Truncate(c.FormValue("allow_ips"), 8000))
			p, err = h.svc.SetProxyAllowList(ctx, actor, nil, id, formLines(ipsText))
			msg = "Allow list saved."
		case "auto-renew":
			var on bool
			if on, err = onValue(c); err == nil {
				p, err = h.svc.SetProxyAutoRenew(ctx, actor, nil, id, on)
			}
			msg = "Auto-renew turned " + map[bool]string{true: "on", false: "off"}[on] + "."
		case "renew":
			var cur lumiproducts.Proxy
			if cur, err = h.svc.GetProxy(ctx, nil, id); err == nil {
				months, _ := strconv.Atoi(c.FormValue("period"))
				p, err = h.svc.RenewProxy(ctx, actor, cur.AccountID, id, months, renewKey(c, "proxy", id))
				msg = "Renewed; the proxy now expires " + view.Date(p.ExpiresAt) + "."
			}
		case "password":
			password, err = h.svc.RevealProxyPassword(ctx, actor, nil, id)
			if err == nil {
				p, err = h.svc.GetProxy(ctx, nil, id)
			}
			msg = "Password revealed; it is shown once."
		}
		title := "Proxy #" + strconv.FormatInt(id, 10)
		if err != nil {
			cur, gerr := h.svc.GetProxy(ctx, nil, id)
			if gerr != nil {
				return gerr
			}
			page := h.proxyPage(c, cur)
			if ipsText != "" {
				page.IPsText = ipsText
			}
			formErr, status, ok := actionFailure(err, page.Errors)
			if !ok {
				return err
			}
			page.FormError = formErr
			if web.IsHTMX(c) {
				return web.Render(c, fiber.StatusOK, view.ProxyPanel(page))
			}
			return web.Render(c, status, view.ProxyDetail(h.page(c, title, web.Crumb("Proxies", view.ProxiesPath), web.Crumb(title)), page))
		}
		page := h.proxyPage(c, p)
		page.Password = password
		if web.IsHTMX(c) {
			return web.Render(c, fiber.StatusOK, view.ProxyPanelWithToast(page, components.Toast{Kind: "success", Message: msg}))
		}
		if password != "" {
			return web.Render(c, fiber.StatusOK, view.ProxyDetail(h.page(c, title, web.Crumb("Proxies", view.ProxiesPath), web.Crumb(title)), page))
		}
		h.app.Toast(c, "success", msg)
		return web.Redirect(c, view.ProxyHref(id))
	}
}
