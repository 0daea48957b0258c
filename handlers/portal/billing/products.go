package billing

import (
	"context"
	"errors"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"

	billinghttp "lumdesk/handlers/billing"
	"lumdesk/handlers/web"
	"lumdesk/internal/accounts"
	"lumdesk/internal/audit"
	lumiproducts "lumdesk/internal/billing/products"
	"lumdesk/views/components"
	billview "lumdesk/views/pages/billing"
	view "lumdesk/views/pages/portal/billing"
)

// kind is one product's differences for the lists and actions.
type kind struct {
	key, product string
	notFound     error
	unit         string // "year" or "month"
	max          int
}

var kinds = map[string]kind{
	view.KindDomains: {view.KindDomains, lumiproducts.ProductDomain, lumiproducts.ErrDomainNotFound, "year", lumiproducts.MaxYears},
	view.KindVPS:     {view.KindVPS, lumiproducts.ProductVPS, lumiproducts.ErrVPSNotFound, "month", 12},
	view.KindProxies: {view.KindProxies, lumiproducts.ProductProxy, lumiproducts.ErrProxyNotFound, "month", 12},
}

func renewable(status string) bool {
	return status == lumiproducts.StatusActive || status == lumiproducts.StatusExpired
}

func domainItem(d lumiproducts.Domain) view.Item {
	return view.Item{ID: d.ID, Name: d.Name, Status: d.Status, Expires: components.DatePtr(d.ExpiresAt), AutoRenew: d.AutoRenew,
		RenewalFailed: d.RenewalFailedReason, CanRenew: renewable(d.Status)}
}

func vpsItem(v lumiproducts.VPS) view.Item {
	detail := v.Plan
	if v.IP != "" {
		detail += " · " + v.IP
	}
	return view.Item{ID: v.ID, Name: v.Hostname, Detail: detail, Status: v.Status, Expires: components.DatePtr(v.ExpiresAt),
		AutoRenew: v.AutoRenew, RenewalFailed: v.RenewalFailedReason, CanRenew: renewable(v.Status)}
}

func proxyItem(p lumiproducts.Proxy) view.Item {
	name := p.Host
	if p.Port != 0 {
		name += ":" + strconv.Itoa(p.Port)
	}
	if p.Host == "" {
		name = "Proxy #" + strconv.FormatInt(p.ID, 10)
	}
	return view.Item{ID: p.ID, Name: name, Detail: p.Plan + " · " + p.Type + " · " + p.Country, Status: p.Status,
		Expires: components.DatePtr(p.ExpiresAt), AutoRenew: p.AutoRenew, RenewalFailed: p.RenewalFailedReason, CanRenew: renewable(p.Status)}
}

// listPage lists one kind as the filter says (keyset pages).
func (h *Lumi) listPage(ctx context.Context, f lumiproducts.ListFilter, k kind) ([]view.Item, string, error) {
	var items []view.Item
	var next string
	var err error
	switch k.key {
	case view.KindVPS:
		var p lumiproducts.Page[lumiproducts.VPS]
		p, err = h.prods.ListVPS(ctx, f)
		for _, it := range p.Items {
			items = append(items, vpsItem(it))
		}
		next = p.NextCursor
	case view.KindProxies:
		var p lumiproducts.Page[lumiproducts.Proxy]
		p, err = h.prods.ListProxies(ctx, f)
		for _, it := range p.Items {
			items = append(items, proxyItem(it))
		}
		next = p.NextCursor
	default:
		var p lumiproducts.Page[lumiproducts.Domain]
		p, err = h.prods.ListDomains(ctx, f)
		for _, it := range p.Items {
			items = append(items, domainItem(it))
		}
		next = p.NextCursor
	}
	return items, next, err
}

func (h *Lumi) items(key string) fiber.Handler {
	k := kinds[key]
	return func(c *fiber.Ctx) error {
		hd, _, err := h.header(c, k.key)
		if err != nil {
			return err
		}
		// The console's filters, within the session's account.
		q, f, problems := billinghttp.ParseItemsQuery(c, false)
		ctx, cur := c.UserContext(), strings.Clone(web.Truncate(c.Query("cursor"), 200))
		f.Scope, f.Cursor, f.Limit = web.PortalScope(c), cur, 25
		rows, next, err := h.listPage(ctx, f, k)
		var verr lumiproducts.ValidationError
		if errors.As(err, &verr) && cur != "" { // a bad page link: the first page
			problems = append(problems, "That page link is not valid; showing the first page.")
			cur, f.Cursor = "", ""
			rows, next, err = h.listPage(ctx, f, k)
		}
		if err != nil {
			return err
		}
		v := view.Items{Header: hd, Kind: k.key, Rows: rows, CSRF: web.CSRFToken(c), Q: q.Q, Status: q.Status, Sort: q.Sort,
			RenewalFailed: q.RenewalFailed, Statuses: billview.StatusOptions, SearchHint: billview.SearchHint(k.key), Problems: problems}
		if next != "" {
			v.NextHref = v.PageHref(next)
		}
		if cur != "" {
			v.FirstHref = v.PageHref("")
		}
		return web.Render(c, fiber.StatusOK, view.ItemsPage(h.page(c, view.KindLabel(k.key), web.Crumb(view.KindLabel(k.key), v.Base())), v))
	}
}

// item loads one item of k within the scope.
func (h *Lumi) item(ctx context.Context, scope accounts.Scope, k kind, id int64) (view.Item, *int64, error) {
	var stamp *int64
	switch k.key {
	case view.KindVPS:
		v, err := h.prods.GetVPS(ctx, scope, id)
		if v.ExpiresAt != nil {
			t := v.ExpiresAt.UnixMicro()
			stamp = &t
		}
		return vpsItem(v), stamp, err
	case view.KindProxies:
		p, err := h.prods.GetProxy(ctx, scope, id)
		if p.ExpiresAt != nil {
			t := p.ExpiresAt.UnixMicro()
			stamp = &t
		}
		return proxyItem(p), stamp, err
	}
	d, err := h.prods.GetDomain(ctx, scope, id)
	if d.ExpiresAt != nil {
		t := d.ExpiresAt.UnixMicro()
		stamp = &t
	}
	return domainItem(d), stamp, err
}

// hasExpiry reports whether the item has an expiry, which its renew form
// sends back as its stamp.
func (h *Lumi) hasExpiry(ctx context.Context, scope accounts.Scope, k kind, id int64) bool {
	_, stamp, err := h.item(ctx, scope, k, id)
	return err == nil && stamp != nil
}

// renewView is the renewal confirmation of :id for period units.
func (h *Lumi) renewView(c *fiber.Ctx, k kind, id int64, period int) (view.Renew, error) {
	ctx, scope := c.UserContext(), web.PortalScope(c)
	it, stamp, err := h.item(ctx, scope, k, id)
	if err != nil {
		return view.Renew{}, err
	}
	hd, bal, err := h.header(c, k.key)
	if err != nil {
		return view.Renew{}, err
	}
	v := view.Renew{Header: hd, Kind: k.key, Item: it, Unit: k.unit, Period: period, CSRF: web.CSRFToken(c), Stamp: "0"}
	for n := 1; n <= k.max; n++ {
		v.Periods = append(v.Periods, n)
	}
	if stamp != nil {
		v.Stamp = strconv.FormatInt(*stamp, 10)
	}
	q := lumiproducts.QuoteInput{Years: period}
	if k.unit == "month" {
		q = lumiproducts.QuoteInput{Months: period}
	}
	price, err := h.prods.Quote(ctx, scope, k.product, id, q)
	if err != nil {
		return v, err
	}
	if price <= 0 {
		v.NoPrice, v.Error = true, "This "+k.product+" can no longer be renewed: Lumi does not sell it any more. Contact us."
	}
	v.Price, v.Enough = components.Money(price), bal >= price
	if !it.CanRenew {
		v.NoPrice, v.Error = true, "Only active or expired items can be renewed; this one is "+components.Humanize(it.Status)+"."
	}
	return v, nil
}

// period reads the renewal period; a bad one is 0 (refused by the service)
// or, on the confirmation page, 1.
func period(s string, k kind) (int, bool) {
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 || n > k.max {
		return 0, false
	}
	return n, true
}

func (h *Lumi) renewForm(key string) fiber.Handler {
	k := kinds[key]
	return func(c *fiber.Ctx) error {
		id, err := itemID(c, k.notFound)
		if err != nil {
			return err
		}
		p, ok := period(web.Field(c, "period"), k)
		if !ok {
			p = 1
		}
		v, err := h.renewView(c, k, id, p)
		if err != nil {
			return err
		}
		if !ok && web.Field(c, "period") != "" {
			v.Error = "Choose a period of 1 to " + strconv.Itoa(k.max) + " " + k.unit + "s; showing 1 " + k.unit + "."
		}
		return web.Render(c, fiber.StatusOK, view.RenewPage(h.page(c, "Renew "+v.Item.Name, web.Crumb(view.KindLabel(k.key), view.Path+"/"+k.key), web.Crumb("Renew")), v))
	}
}

// renew renews :id for the form's period, paid from the balance; a
// double-submitted form (same period, same expiry shown) charges once.
func (h *Lumi) renew(key string) fiber.Handler {
	k := kinds[key]
	return func(c *fiber.Ctx) error {
		id, err := itemID(c, k.notFound)
		if err != nil {
			return err
		}
		ctx, scope, actor := c.UserContext(), web.PortalScope(c), web.Actor(c)
		n, ok := period(web.Field(c, "period"), k)
		key := ""
		if stamp := web.Field(c, "stamp"); stamp != "" && len(stamp) <= 24 {
			key = "portal-renew-" + k.product + "-" + strconv.FormatInt(id, 10) + "-" + strconv.Itoa(n) + "-" + stamp
		}
		var exp string
		switch {
		case !ok:
			err = lumiproducts.ValidationError{"period": "Choose a period of 1 to " + strconv.Itoa(k.max) + " " + k.unit + "s."}
		case key == "" && h.hasExpiry(ctx, scope, k, id):
			// The form's stamp (the expiry it showed) is what makes a second
			// click charge once: without it, refuse as for a stale page.
			err = lumiproducts.ErrIdempotencyMismatch
		default:
			switch k.key {
			case view.KindVPS:
				var v lumiproducts.VPS
				v, err = h.prods.RenewVPSIn(ctx, actor, scope, id, n, key)
				exp = components.DatePtr(v.ExpiresAt)
			case view.KindProxies:
				var p lumiproducts.Proxy
				p, err = h.prods.RenewProxyIn(ctx, actor, scope, id, n, key)
				exp = components.DatePtr(p.ExpiresAt)
			default:
				var d lumiproducts.Domain
				d, err = h.prods.RenewDomainIn(ctx, actor, scope, id, n, key)
				exp = components.DatePtr(d.ExpiresAt)
			}
		}
		if err == nil {
			h.app.Toast(c, "success", "Renewed; it now expires "+exp+".")
			return web.Redirect(c, view.ItemHref(k.key, id))
		}
		msg, status, known := failure(err)
		if !known {
			return err
		}
		if n == 0 {
			n = 1
		}
		v, verr := h.renewView(c, k, id, n)
		if verr != nil {
			return verr
		}
		v.Error = msg
		return web.Render(c, status, view.RenewPage(h.page(c, "Renew "+v.Item.Name, web.Crumb(view.KindLabel(k.key), view.Path+"/"+k.key), web.Crumb("Renew")), v))
	}
}

// failure is a refused product action's message and status (known false:
// an error the page cannot explain, left to the error handler).
func failure(err error) (string, int, bool) {
	var verr lumiproducts.ValidationError
	var perr *lumiproducts.ProvisionError
	switch {
	case errors.As(err, &verr):
		return web.FieldErrorsText(verr), fiber.StatusUnprocessableEntity, true
	case errors.Is(err, lumiproducts.ErrInsufficientFunds):
		return "Your balance does not cover this renewal; nothing was charged. Top up first.", fiber.StatusUnprocessableEntity, true
	case errors.Is(err, lumiproducts.ErrIdempotencyMismatch):
		return "This page is out of date (the item was renewed meanwhile); check the price and try again.", fiber.StatusConflict, true
	case errors.Is(err, lumiproducts.ErrNotActive):
		return "This item is not active, so it cannot be renewed.", fiber.StatusConflict, true
	case errors.As(err, &perr):
		return "The provider refused the renewal; nothing was charged (the amount went back to your balance). Try again later.", fiber.StatusBadGateway, true
	}
	return "", 0, false
}

// autoRenew turns an item's auto-renew on or off.
func (h *Lumi) autoRenew(key string) fiber.Handler {
	k := kinds[key]
	return func(c *fiber.Ctx) error {
		id, err := itemID(c, k.notFound)
		if err != nil {
			return err
		}
		var on bool
		switch web.Field(c, "value") {
		case "on":
			on = true
		case "off":
		default:
			return fiber.NewError(fiber.StatusUnprocessableEntity, "Choose whether auto-renew is on or off.")
		}
		ctx, scope, actor := c.UserContext(), web.PortalScope(c), web.Actor(c)
		set := map[string]func(context.Context, audit.Actor, accounts.Scope, int64, bool) error{
			view.KindDomains: func(ctx context.Context, a audit.Actor, s accounts.Scope, id int64, on bool) error {
				_, err := h.prods.SetAutoRenew(ctx, a, s, id, on)
				return err
			},
			view.KindVPS: func(ctx context.Context, a audit.Actor, s accounts.Scope, id int64, on bool) error {
				_, err := h.prods.SetVPSAutoRenew(ctx, a, s, id, on)
				return err
			},
			view.KindProxies: func(ctx context.Context, a audit.Actor, s accounts.Scope, id int64, on bool) error {
				_, err := h.prods.SetProxyAutoRenew(ctx, a, s, id, on)
				return err
			},
		}[k.key]
		if err := set(ctx, actor, scope, id, on); err != nil {
			if msg, status, known := failure(err); known {
				return fiber.NewError(status, msg)
			}
			return err
		}
		h.app.Toast(c, "success", "Auto-renew turned "+map[bool]string{true: "on", false: "off"}[on]+".")
		if web.Field(c, "from") == "item" { // the item's page, rather than the list
			return web.Redirect(c, view.ItemHref(k.key, id))
		}
		return web.Redirect(c, view.Path+"/"+k.key)
	}
}
