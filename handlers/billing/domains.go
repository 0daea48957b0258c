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

// DomainsService is what the domain pages need of internal/billing/products.
type DomainsService interface {
	ListDomains(ctx context.Context, f lumiproducts.ListFilter) (lumiproducts.Page[lumiproducts.Domain], error)
	CountDomains(ctx context.Context, f lumiproducts.ListFilter, limitTo int) (listcount.Count, error)
	GetDomain(ctx context.Context, scope accounts.Scope, id int64) (lumiproducts.Domain, error)
	SetNameservers(ctx context.Context, actor audit.Actor, scope accounts.Scope, id int64, ns []string) (lumiproducts.Domain, error)
	SetLock(ctx context.Context, actor audit.Actor, scope accounts.Scope, id int64, locked bool) (lumiproducts.Domain, error)
	SetPrivacy(ctx context.Context, actor audit.Actor, scope accounts.Scope, id int64, on bool) (lumiproducts.Domain, error)
	SetAutoRenew(ctx context.Context, actor audit.Actor, scope accounts.Scope, id int64, on bool) (lumiproducts.Domain, error)
	RenewDomain(ctx context.Context, actor audit.Actor, accountID, domainID int64, years int, idemKey string) (lumiproducts.Domain, error)
	RevealEPP(ctx context.Context, actor audit.Actor, scope accounts.Scope, id int64) (string, error)
}

func (h *Products) domainPage(c *fiber.Ctx, d lumiproducts.Domain) view.DomainPage {
	return view.DomainPage{D: domainView(d), Owner: h.names.One(c.UserContext(), d.AccountID), Tab: utils.CopyString(c.Query("tab")), Face: h.face, CanManage: h.canManage(c), CanPay: h.canPay(c), CSRF: web.CSRFToken(c),
		Sandbox: h.svc.Registrar().Sandbox(), Errors: map[string]string{}, NSText: strings.Join(d.Nameservers, "\n"),
		Price: h.priceOf(c.UserContext(), lumiproducts.ProductDomain, d.TLD())}
}

func (h *Products) domain(c *fiber.Ctx) error {
	id, err := itemID(c)
	if err != nil {
		return err
	}
	d, err := h.svc.GetDomain(c.UserContext(), h.scope(c), id)
	if err != nil {
		return err
	}
	v := h.domainPage(c, d)
	return web.Render(c, fiber.StatusOK, view.DomainDetail(h.itemPage(c, d.Name, web.Crumb("Domains", h.face.ListHref("domains")), web.Crumb(d.Name)), v))
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

// productInput is what every product action starts from: the id, and a
// context carrying the form's reason for the audit record.
func productInput(c *fiber.Ctx) (context.Context, int64, error) {
	id, err := itemID(c)
	return lumiproducts.WithReason(c.UserContext(), c.FormValue("reason")), id, err
}

func (h *Products) setNameservers(c *fiber.Ctx) error {
	ctx, id, err := productInput(c)
	if err != nil {
		return err
	}
	nsText := utils.CopyString(web.Truncate(c.FormValue("nameservers"), 4000))
	d, err := h.svc.SetNameservers(ctx, web.Actor(c), h.scope(c), id, formLines(nsText))
	if err != nil {
		return h.domainFailed(c, ctx, id, err, func(v *view.DomainPage) {
			if nsText != "" {
				v.NSText = nsText
			}
		})
	}
	return h.domainDone(c, id, d, "Nameservers saved.", "")
}

// domainSwitch turns one of a domain's switches (lock, privacy, auto-renew) on or off.
func (h *Products) domainSwitch(c *fiber.Ctx, name string,
	set func(ctx context.Context, actor audit.Actor, scope accounts.Scope, id int64, on bool) (lumiproducts.Domain, error)) error {
	ctx, id, err := productInput(c)
	if err != nil {
		return err
	}
	on, err := onValue(c)
	var d lumiproducts.Domain
	if err == nil {
		d, err = set(ctx, web.Actor(c), h.scope(c), id, on)
	}
	if err != nil {
		return h.domainFailed(c, ctx, id, err, nil)
	}
	return h.domainDone(c, id, d, name+" turned "+map[bool]string{true: "on", false: "off"}[on]+".", "")
}

func (h *Products) setLock(c *fiber.Ctx) error { return h.domainSwitch(c, "Lock", h.svc.SetLock) }
func (h *Products) setPrivacy(c *fiber.Ctx) error {
	return h.domainSwitch(c, "Privacy", h.svc.SetPrivacy)
}
func (h *Products) setDomainAutoRenew(c *fiber.Ctx) error {
	return h.domainSwitch(c, "Auto renew", h.svc.SetAutoRenew)
}

func (h *Products) renewDomain(c *fiber.Ctx) error {
	ctx, id, err := productInput(c)
	if err != nil {
		return err
	}
	cur, err := h.svc.GetDomain(ctx, h.scope(c), id)
	var d lumiproducts.Domain
	if err == nil {
		years, perr := strconv.Atoi(c.FormValue("period"))
		if perr != nil {
			years = 0
		}
		d, err = h.svc.RenewDomain(ctx, web.Actor(c), cur.AccountID, id, years, renewKey(c, "domain", id))
	}
	if err != nil {
		return h.domainFailed(c, ctx, id, err, func(v *view.DomainPage) {
			if v.Errors["years"] != "" {
				v.FormError = "Choose a renewal period: " + v.Errors["years"]
			}
		})
	}
	return h.domainDone(c, id, d, "Renewed; the domain now expires "+components.DatePtr(d.ExpiresAt)+".", "")
}

// revealEPP shows the domain's transfer code once (and audits that it was shown).
func (h *Products) revealEPP(c *fiber.Ctx) error {
	ctx, id, err := productInput(c)
	if err != nil {
		return err
	}
	epp, err := h.svc.RevealEPP(ctx, web.Actor(c), h.scope(c), id)
	var d lumiproducts.Domain
	if err == nil {
		d, err = h.svc.GetDomain(ctx, h.scope(c), id)
	}
	if err != nil {
		return h.domainFailed(c, ctx, id, err, nil)
	}
	return h.domainDone(c, id, d, "EPP code revealed; it is shown once.", epp)
}

// domainFailed answers a refused domain action with the domain's page (or
// panel) and the message; adjust puts back what was typed.
func (h *Products) domainFailed(c *fiber.Ctx, ctx context.Context, id int64, err error, adjust func(*view.DomainPage)) error {
	cur, gerr := h.svc.GetDomain(ctx, h.scope(c), id)
	if gerr != nil {
		return gerr
	}
	v := h.domainPage(c, cur)
	formErr, status, ok := actionFailure(err, v.Errors)
	if !ok {
		return err
	}
	v.FormError = formErr
	if adjust != nil {
		adjust(&v)
	}
	if web.IsHTMX(c) {
		return web.Render(c, fiber.StatusOK, view.DomainPanel(v))
	}
	return web.Render(c, status, view.DomainDetail(h.itemPage(c, cur.Name, web.Crumb("Domains", h.face.ListHref("domains")), web.Crumb(cur.Name)), v))
}

// domainDone answers a done domain action; a revealed EPP code is shown on
// the page itself (never through a redirect).
func (h *Products) domainDone(c *fiber.Ctx, id int64, d lumiproducts.Domain, msg, epp string) error {
	v := h.domainPage(c, d)
	v.EPP = epp
	if web.IsHTMX(c) {
		return web.Render(c, fiber.StatusOK, components.WithToast(view.DomainPanel(v), components.Toast{Kind: "success", Message: msg}))
	}
	if epp != "" {
		return web.Render(c, fiber.StatusOK, view.DomainDetail(h.itemPage(c, d.Name, web.Crumb("Domains", h.face.ListHref("domains")), web.Crumb(d.Name)), v))
	}
	h.app.Toast(c, "success", msg)
	return web.Redirect(c, h.face.DomainHref(id))
}
