package billing

import (
	"context"
	"strconv"
	"strings"

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

// ProxiesService is what the proxy pages need of internal/billing/products.
type ProxiesService interface {
	ListProxies(ctx context.Context, f lumiproducts.ListFilter) (lumiproducts.Page[lumiproducts.Proxy], error)
	CountProxies(ctx context.Context, f lumiproducts.ListFilter, limitTo int) (listcount.Count, error)
	GetProxy(ctx context.Context, scope accounts.Scope, id int64) (lumiproducts.Proxy, error)
	SetProxyAllowList(ctx context.Context, actor audit.Actor, scope accounts.Scope, id int64, ips []string) (lumiproducts.Proxy, error)
	SetProxyAutoRenew(ctx context.Context, actor audit.Actor, scope accounts.Scope, id int64, on bool) (lumiproducts.Proxy, error)
	RenewProxy(ctx context.Context, actor audit.Actor, accountID, id int64, months int, idemKey string) (lumiproducts.Proxy, error)
	RevealProxyPassword(ctx context.Context, actor audit.Actor, scope accounts.Scope, id int64) (string, error)
}

func (h *Products) proxyPage(c *fiber.Ctx, p lumiproducts.Proxy) view.ProxyPage {
	return view.ProxyPage{P: proxyView(p), Owner: h.names.One(c.UserContext(), p.AccountID), Tab: utils.CopyString(c.Query("tab")), Face: h.face, CanManage: h.canManage(c), CanPay: h.canPay(c), CSRF: web.CSRFToken(c),
		Sandbox: h.svc.Provisioner().Sandbox(), Errors: map[string]string{}, IPsText: strings.Join(p.AllowIPs, "\n"),
		Price: h.priceOf(c.UserContext(), lumiproducts.ProductProxy, p.Plan)}
}

func (h *Products) proxy(c *fiber.Ctx) error {
	id, err := itemID(c)
	if err != nil {
		return err
	}
	p, err := h.svc.GetProxy(c.UserContext(), h.scope(c), id)
	if err != nil {
		return err
	}
	title := "Proxy #" + strconv.FormatInt(p.ID, 10)
	return web.Render(c, fiber.StatusOK, view.ProxyDetail(h.itemPage(c, title, web.Crumb("Proxies", h.face.ListHref("proxies")), web.Crumb(title)), h.proxyPage(c, p)))
}

func (h *Products) setAllowList(c *fiber.Ctx) error {
	ctx, id, err := productInput(c)
	if err != nil {
		return err
	}
	ipsText := utils.CopyString(web.Truncate(c.FormValue("allow_ips"), 8000))
	p, err := h.svc.SetProxyAllowList(ctx, web.Actor(c), h.scope(c), id, formLines(ipsText))
	return h.proxyDone(c, ctx, id, p, "Allow list saved.", "", ipsText, err)
}

func (h *Products) setProxyAutoRenew(c *fiber.Ctx) error {
	ctx, id, err := productInput(c)
	if err != nil {
		return err
	}
	on, err := onValue(c)
	var p lumiproducts.Proxy
	if err == nil {
		p, err = h.svc.SetProxyAutoRenew(ctx, web.Actor(c), h.scope(c), id, on)
	}
	return h.proxyDone(c, ctx, id, p, "Auto-renew turned "+map[bool]string{true: "on", false: "off"}[on]+".", "", "", err)
}

func (h *Products) renewProxy(c *fiber.Ctx) error {
	ctx, id, err := productInput(c)
	if err != nil {
		return err
	}
	cur, err := h.svc.GetProxy(ctx, h.scope(c), id)
	var p lumiproducts.Proxy
	if err == nil {
		months, _ := strconv.Atoi(c.FormValue("period"))
		p, err = h.svc.RenewProxy(ctx, web.Actor(c), cur.AccountID, id, months, renewKey(c, "proxy", id))
	}
	return h.proxyDone(c, ctx, id, p, "Renewed; the proxy now expires "+components.DatePtr(p.ExpiresAt)+".", "", "", err)
}

// revealProxyPassword shows the proxy's password once (and audits that it was shown).
func (h *Products) revealProxyPassword(c *fiber.Ctx) error {
	ctx, id, err := productInput(c)
	if err != nil {
		return err
	}
	password, err := h.svc.RevealProxyPassword(ctx, web.Actor(c), h.scope(c), id)
	var p lumiproducts.Proxy
	if err == nil {
		p, err = h.svc.GetProxy(ctx, h.scope(c), id)
	}
	return h.proxyDone(c, ctx, id, p, "Password revealed; it is shown once.", password, "", err)
}

// proxyDone answers a proxy action: the page (or panel) with the refusal
// and what was typed (ipsText), or the result; a revealed password is shown
// on the page itself (never through a redirect).
func (h *Products) proxyDone(c *fiber.Ctx, ctx context.Context, id int64, p lumiproducts.Proxy, msg, password, ipsText string, err error) error {
	title := "Proxy #" + strconv.FormatInt(id, 10)
	if err != nil {
		cur, gerr := h.svc.GetProxy(ctx, h.scope(c), id)
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
		return web.Render(c, status, view.ProxyDetail(h.itemPage(c, title, web.Crumb("Proxies", h.face.ListHref("proxies")), web.Crumb(title)), page))
	}
	page := h.proxyPage(c, p)
	page.Password = password
	if web.IsHTMX(c) {
		return web.Render(c, fiber.StatusOK, components.WithToast(view.ProxyPanel(page), components.Toast{Kind: "success", Message: msg}))
	}
	if password != "" {
		return web.Render(c, fiber.StatusOK, view.ProxyDetail(h.itemPage(c, title, web.Crumb("Proxies", h.face.ListHref("proxies")), web.Crumb(title)), page))
	}
	h.app.Toast(c, "success", msg)
	return web.Redirect(c, h.face.ProxyHref(id))
}
