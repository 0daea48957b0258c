package billing

// Buying a domain, a server or a proxy from the balance: the same service
// calls, checks and prices as the Lumi API's buy endpoints. The form
// carries an idempotency key made when it is shown, so a second submit of
// it (a double click, a reload) returns the first purchase instead of
// paying twice.

import (
	"errors"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"

	"lumdesk/handlers/web"
	lumiproducts "lumdesk/internal/billing/products"
	"lumdesk/internal/platform/ids"
	"lumdesk/views/components"
	view "lumdesk/views/pages/portal/billing"
)

// monthChoices are the months a server or a proxy is bought for.
var monthChoices = []int{1, 2, 3, 6, 12, 24, 36}

// buyView is the form of kind with the catalogue's choices.
func (h *Lumi) buyView(c *fiber.Ctx, kind string) (view.Buy, error) {
	hd, _, err := h.header(c, kind)
	if err != nil {
		return view.Buy{}, err
	}
	cat, err := h.prods.Prices(c.UserContext())
	if err != nil {
		return view.Buy{}, err
	}
	v := view.Buy{Header: hd, Kind: kind, CSRF: web.CSRFToken(c), Errors: map[string]string{}, Period: 1, AutoRenew: true, Type: lumiproducts.ProxyHTTP}
	plans := cat.VPSPlans
	if kind == view.KindProxies {
		plans = cat.ProxyPlans
	}
	for _, p := range plans {
		v.Plans = append(v.Plans, components.Option{Value: p.Plan, Label: p.Title + " · " + components.Money(p.Monthly) + " a month"})
	}
	for _, t := range cat.TLDs {
		v.Prices = append(v.Prices, view.TLDPrice{TLD: t.TLD, Register: components.Money(t.Register), Renew: components.Money(t.Renew)})
	}
	if kind == view.KindDomains {
		for n := 1; n <= lumiproducts.MaxYears; n++ {
			v.Periods = append(v.Periods, components.Option{Value: strconv.Itoa(n), Label: view.Units(n, "year")})
		}
	} else {
		for _, n := range monthChoices {
			v.Periods = append(v.Periods, components.Option{Value: strconv.Itoa(n), Label: view.Units(n, "month")})
		}
	}
	for _, t := range lumiproducts.ProxyTypes {
		v.Types = append(v.Types, components.Option{Value: t, Label: strings.ToUpper(t)})
	}
	return v, nil
}

func (h *Lumi) buyPage(c *fiber.Ctx, status int, v view.Buy) error {
	return web.Render(c, status, view.BuyPage(h.page(c, view.BuyLabel(v.Kind), web.Crumb(view.KindLabel(v.Kind), view.Path+"/"+v.Kind),
		web.Crumb(view.BuyLabel(v.Kind))), v))
}

func (h *Lumi) buyForm(kind string) fiber.Handler {
	return func(c *fiber.Ctx) error {
		v, err := h.buyView(c, kind)
		if err != nil {
			return err
		}
		v.Key = ids.Token(24)
		if kind == view.KindDomains {
			// The search above the form (?q=), and a name chosen from its
			// results (?domain=) filled in.
			v.Domain = web.Truncate(c.Query("domain"), 253)
			if err := h.searchDomains(c, &v); err != nil {
				return err
			}
		}
		return h.buyPage(c, fiber.StatusOK, v)
	}
}

// searchDomains answers the form's domain search: each name with its
// state and price, or why the search cannot be made.
func (h *Lumi) searchDomains(c *fiber.Ctx, v *view.Buy) error {
	v.Query = web.Truncate(strings.TrimSpace(c.Query("q")), 300)
	if v.Query == "" {
		return nil
	}
	opts, err := h.prods.SearchDomains(c.UserContext(), v.Query)
	if errs := web.FieldErrors(err, nil); errs != nil {
		v.Errors["q"] = errs["q"]
		return nil
	} else if err != nil {
		return err
	}
	v.Searched = true
	for _, o := range opts {
		v.Options = append(v.Options, view.DomainOption{Name: o.Name, Status: o.Status, Register: components.Money(o.Register),
			Renew: components.Money(o.Renew), Chosen: o.Name == v.Domain})
	}
	return nil
}

// buy buys from the form; a refusal is the form again with why.
func (h *Lumi) buy(kind string) fiber.Handler {
	return func(c *fiber.Ctx) error {
		v, err := h.buyView(c, kind)
		if err != nil {
			return err
		}
		formKey := web.Truncate(web.Field(c, "key"), 64)
		v.Domain, v.Hostname = web.Truncate(web.Field(c, "domain"), 253), web.Truncate(web.Field(c, "hostname"), 63)
		v.Plan, v.Type = web.Truncate(web.Field(c, "plan"), 64), web.Truncate(web.Field(c, "type"), 16)
		v.Country = strings.ToUpper(web.Truncate(web.Field(c, "country"), 2))
		v.AutoRenew = web.Checked(c, "auto_renew")
		v.Period, _ = strconv.Atoi(web.Truncate(web.Field(c, "period"), 4))
		if formKey == "" {
			// The form's one-time key is what makes a second click charge
			// once; a request without one is refused, and the form shown
			// again carries a new one.
			v.Key = ids.Token(24)
			v.FormError = "Nothing was bought: this form was sent without its one-time key. Check the details and buy again."
			return h.buyPage(c, fiber.StatusUnprocessableEntity, v)
		}
		v.Key = formKey
		idem := "portal-buy-" + v.Key
		ctx, actor, account := c.UserContext(), web.Actor(c), web.PortalScope(c).AccountID()
		var id int64
		var name string
		switch kind {
		case view.KindDomains:
			var d lumiproducts.Domain
			d, err = h.prods.BuyDomain(ctx, actor, lumiproducts.BuyDomainInput{AccountID: account, Domain: v.Domain, Years: v.Period,
				AutoRenew: v.AutoRenew, IdempotencyKey: idem})
			id, name = d.ID, d.Name
		case view.KindVPS:
			var s lumiproducts.VPS
			s, err = h.prods.BuyVPS(ctx, actor, lumiproducts.BuyVPSInput{AccountID: account, Plan: v.Plan, Months: v.Period,
				Hostname: v.Hostname, AutoRenew: v.AutoRenew, IdempotencyKey: idem})
			id, name = s.ID, s.Hostname
		default:
			var p lumiproducts.Proxy
			p, err = h.prods.BuyProxy(ctx, actor, lumiproducts.BuyProxyInput{AccountID: account, Plan: v.Plan, Type: v.Type,
				Country: v.Country, Months: v.Period, AutoRenew: v.AutoRenew, IdempotencyKey: idem})
			id, name = p.ID, "Proxy #"+strconv.FormatInt(p.ID, 10)
		}
		if err == nil {
			h.app.Toast(c, "success", name+" bought; it is paid from your balance.")
			return web.Redirect(c, view.ItemHref(kind, id))
		}
		status := fiber.StatusUnprocessableEntity
		var perr *lumiproducts.ProvisionError
		switch errs := web.FieldErrors(err, map[string]string{"years": "period", "months": "period"}); {
		case errs != nil:
			v.Errors, v.FormError = errs, "Nothing was bought: fix the highlighted fields."
		case errors.Is(err, lumiproducts.ErrDomainTaken):
			v.Errors["domain"] = "This domain is registered already; try another name."
		case errors.Is(err, lumiproducts.ErrInsufficientFunds):
			v.FormError = "Your balance (" + v.Balance + ") does not cover this purchase; nothing was charged. Top up first."
		case errors.Is(err, lumiproducts.ErrIdempotencyMismatch):
			v.FormError, status = "This form was sent already with other values; reload it to buy again.", fiber.StatusConflict
		case errors.As(err, &perr):
			v.FormError, status = "The provider refused this purchase; the amount went back to your balance. Try again later.", fiber.StatusBadGateway
		default:
			return err
		}
		return h.buyPage(c, status, v)
	}
}
