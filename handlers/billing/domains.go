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

func (h *LumiProducts) domainPage(c *fiber.Ctx, d lumiproducts.Domain) view.DomainPage {
	return view.DomainPage{D: d, Tab: utils.CopyString(c.Query("tab")), CanManage: canManageProducts(c), CSRF: web.CSRFToken(c),
		Sandbox: h.svc.Registrar().Sandbox(), Errors: map[string]string{}, NSText: strings.Join(d.Nameservers, "\n"),
		Price: h.priceOf(c.UserContext(), lumiproducts.ProductDomain, d.TLD())}
}

func (h *LumiProducts) domain(c *fiber.Ctx) error {
	id, err := itemID(c)
	if err != nil {
		return err
	}
	d, err := h.svc.GetDomain(c.UserContext(), nil, id)
	if err != nil {
		return err
	}
	v := h.domainPage(c, d)
	return web.Render(c, fiber.StatusOK, view.DomainDetail(h.page(c, d.Name, web.Crumb("Domains", view.DomainsPath), web.Crumb(d.Name)), v))
}

func onValue(c *fiber.Ctx) (bool, error) {
	switch c.FormValue("value") {
	case "on", "true", "1":
		return true, nil
	case "off", "false", "0":
		return false, nil
	}
	return false, lumiproducts.ValidationError{"value": "Choose on or off."}
}

func (h *LumiProducts) domainAction(kind string) fiber.Handler {
	return func(c *fiber.Ctx) error {
		id, err := itemID(c)
		if err != nil {
			return err
		}
		ctx := lumiproducts.WithReason(c.UserContext(), c.FormValue("reason"))
		actor := web.Actor(c)
		var d lumiproducts.Domain
		var epp, msg string
		nsText := ""
		switch kind {
		case "nameservers":
			nsText = utils.CopyString(web.Truncate(c.FormValue("nameservers"), 4000))
			d, err = h.svc.SetNameservers(ctx, actor, nil, id, formLines(nsText))
			msg = "Nameservers saved."
		case "lock", "privacy", "auto-renew":
			var on bool
			if on, err = onValue(c); err == nil {
				switch kind {
				case "lock":
					d, err = h.svc.SetLock(ctx, actor, nil, id, on)
				case "privacy":
					d, err = h.svc.SetPrivacy(ctx, actor, nil, id, on)
				default:
					d, err = h.svc.SetAutoRenew(ctx, actor, nil, id, on)
				}
			}
			msg = web.Capitalize(strings.ReplaceAll(kind, "-", " ")) + " turned " + map[bool]string{true: "on", false: "off"}[on] + "."
		case "renew":
			var cur lumiproducts.Domain
			if cur, err = h.svc.GetDomain(ctx, nil, id); err == nil {
				years, perr := strconv.Atoi(c.FormValue("period"))
				if perr != nil {
					years = 0
				}
				d, err = h.svc.RenewDomain(ctx, actor, cur.AccountID, id, years, renewKey(c, "domain", id))
				msg = "Renewed; the domain now expires " + view.Date(d.ExpiresAt) + "."
			}
		case "epp":
			epp, err = h.svc.RevealEPP(ctx, actor, nil, id)
			if err == nil {
				d, err = h.svc.GetDomain(ctx, nil, id)
			}
			msg = "EPP code revealed; it is shown once."
		}
		if err != nil {
			cur, gerr := h.svc.GetDomain(ctx, nil, id)
			if gerr != nil {
				return gerr
			}
			v := h.domainPage(c, cur)
			if nsText != "" {
				v.NSText = nsText
			}
			formErr, status, ok := actionFailure(err, v.Errors)
			if !ok {
				return err
			}
			v.FormError = formErr
			if kind == "renew" && v.Errors["years"] != "" {
				v.FormError = "Choose a renewal period: " + v.Errors["years"]
			}
			if web.IsHTMX(c) {
				return web.Render(c, fiber.StatusOK, view.DomainPanel(v))
			}
			return web.Render(c, status, view.DomainDetail(h.page(c, cur.Name, web.Crumb("Domains", view.DomainsPath), web.Crumb(cur.Name)), v))
		}
		v := h.domainPage(c, d)
		if epp != "" {
			v.EPP = epp
			if web.IsHTMX(c) {
				return web.Render(c, fiber.StatusOK, view.DomainPanelWithToast(v, components.Toast{Kind: "success", Message: msg}))
			}
			return web.Render(c, fiber.StatusOK, view.DomainDetail(h.page(c, d.Name, web.Crumb("Domains", view.DomainsPath), web.Crumb(d.Name)), v))
		}
		if web.IsHTMX(c) {
			return web.Render(c, fiber.StatusOK, view.DomainPanelWithToast(v, components.Toast{Kind: "success", Message: msg}))
		}
		h.app.Toast(c, "success", msg)
		return web.Redirect(c, view.DomainHref(id))
	}
}
