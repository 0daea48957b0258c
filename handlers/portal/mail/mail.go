// Package mail is Lumora (transactional email) in the customer portal,
// under /portal/lumora: the overview, sending domains with the Add domain
// wizard, apps and the message log; and the portal's JSON endpoints under
// /portal/api/lumora (session-authenticated, CSRF through X-CSRF-Token,
// errors in Lumora's envelope). Every service call passes
// web.PortalScope(c): another account's objects are "not found".
// routes.go is the route table.
package mail

import (
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/gofiber/fiber/v2"

	"lumdesk/handlers/lumora"
	"lumdesk/handlers/web"
	"lumdesk/internal/apikeys"
	"lumdesk/internal/customers"
	mailsvc "lumdesk/internal/mail"
	"lumdesk/internal/mail/templates"
	"lumdesk/internal/mail/webhooks"
	"lumdesk/internal/product"
	"lumdesk/views/components"
	"lumdesk/views/layouts"
	lumoraview "lumdesk/views/pages/lumora"
	view "lumdesk/views/pages/portal"
	mv "lumdesk/views/pages/portal/mail"
)

const pageSize = 50

// appsCounted bounds the apps read for the account's overview (their stats
// are summed; an account with more sees the first ones counted).
const appsCounted = 200

// Mail is Lumora in the portal (a web.RouteGroup and a portal.Area).
type Mail struct {
	app   *web.App
	svc   *mailsvc.Service
	keys  *apikeys.Service
	tpl   *lumora.Templates // the console's template pages, over the session's account
	hooks *webhooks.Service // nil: the webhook pages answer 404
}

// WithTemplates adds the template pages; without it they answer 404.
func (h *Mail) WithTemplates(t *templates.Service) *Mail { h.tpl.Svc = t; return h }

// WithWebhooks adds the webhook pages.
func (h *Mail) WithWebhooks(w *webhooks.Service) *Mail { h.hooks = w; return h }

// New makes the route group.
func New(svc *mailsvc.Service, keys *apikeys.Service) *Mail {
	h := &Mail{svc: svc, keys: keys}
	h.tpl = &lumora.Templates{Mail: svc, Page: h.page, MessageHref: mv.MessageHref,
		Face:      lumoraview.TemplatesFace{Path: mv.TemplatesPath, Portal: true, Tabs: mv.AreaTabs},
		Scope:     web.PortalScope,
		CanManage: func(c *fiber.Ctx) bool { return web.CustomerMay(c, customers.PermDevelop) }}
	return h
}

// PortalProduct is the registry key of the portal area.
func (h *Mail) PortalProduct() string { return product.Mail }

// PortalHome is Lumora's card on the portal's home: apps, verified
// domains and messages of the last 30 days, within the account.
func (h *Mail) PortalHome(c *fiber.Ctx, accountID int64) (view.HomeProduct, error) {
	ctx := c.UserContext()
	scope := web.PortalScope(c)
	apps, err := h.svc.ListApps(ctx, scope, 0, mailsvc.MaxListLimit)
	if err != nil {
		return view.HomeProduct{}, err
	}
	doms, err := h.svc.ListDomains(ctx, mailsvc.DomainFilter{Scope: scope, Limit: mailsvc.MaxListLimit})
	if err != nil {
		return view.HomeProduct{}, err
	}
	verified := 0
	for _, d := range doms {
		if d.Status == mailsvc.StatusVerified {
			verified++
		}
	}
	since := time.Now().UTC().AddDate(0, 0, -30)
	n, err := h.svc.CountMessages(ctx, mailsvc.MessageFilter{Scope: scope, Since: &since}, 10000)
	if err != nil {
		return view.HomeProduct{}, err
	}
	msgs := components.Thousands(n.N)
	if n.More {
		msgs += "+"
	}
	card := view.HomeProduct{Figures: []view.Figure{
		{Label: "Apps", Value: strconv.Itoa(len(apps))},
		{Label: "Verified domains", Value: fmt.Sprintf("%d of %d", verified, len(doms))},
		{Label: "Messages, last 30 days", Value: msgs},
	}}
	if len(apps) == 0 && len(doms) == 0 {
		card.Empty = "Add a sending domain and create an app to start sending."
	}
	return card, nil
}

func (h *Mail) page(c *fiber.Ctx, title string, crumbs ...layouts.Crumb) layouts.Page {
	return h.app.PortalPage(c, title, product.Mail, append([]layouts.Crumb{{Label: "Lumora", Href: mv.OverviewPath}}, crumbs...)...)
}

func (h *Mail) overview(c *fiber.Ctx) error {
	ctx := c.UserContext()
	scope := web.PortalScope(c)
	rng := web.ParseChartRange(c, "30d", time.Now())
	v := mv.Overview{CanDevelop: web.CustomerMay(c, customers.PermDevelop), Range: rng.View(mv.OverviewPath, mv.ChartsTarget)}
	apps, err := h.svc.ListApps(ctx, scope, 0, appsCounted)
	if err != nil {
		return err
	}
	doms, err := h.svc.ListDomains(ctx, mailsvc.DomainFilter{Scope: scope, Limit: mailsvc.MaxListLimit})
	if err != nil {
		return err
	}
	v.Apps, v.Domains = len(apps), len(doms)
	for _, d := range doms {
		if d.Status == mailsvc.StatusVerified {
			v.Verified++
		}
	}
	// The account's per-day counts are its apps' stats summed.
	days := rng.Days()
	from := rng.From
	until := from.AddDate(0, 0, days)
	sent, delivered, bounced := make([]int64, days), make([]int64, days), make([]int64, days)
	var totSent, totDelivered, totBounced int64
	for _, a := range apps {
		st, err := h.svc.Stats(ctx, scope, a.ID, &from, &until)
		if err != nil {
			return err
		}
		totSent += st.Totals[mailsvc.RcptQueued]
		totDelivered += st.Totals[mailsvc.RcptDelivered]
		totBounced += st.Totals[mailsvc.RcptBounced]
		for _, d := range st.Days {
			i := int(d.Day.Sub(from).Hours() / 24)
			if i < 0 || i >= days {
				continue
			}
			sent[i] += d.Counts[mailsvc.RcptQueued]
			delivered[i] += d.Counts[mailsvc.RcptDelivered]
			bounced[i] += d.Counts[mailsvc.RcptBounced]
		}
	}
	v.Sent, v.Delivered, v.Bounced = components.Thousands(totSent), components.Thousands(totDelivered), components.Thousands(totBounced)
	for i := 0; i < days; i++ {
		label := from.AddDate(0, 0, i).Format("Jan 2")
		v.SentDays = append(v.SentDays, components.ChartPoint{Label: label, Value: sent[i]})
		v.DeliveredDays = append(v.DeliveredDays, components.ChartPoint{Label: label, Value: delivered[i]})
		v.BouncedDays = append(v.BouncedDays, components.ChartPoint{Label: label, Value: bounced[i]})
	}
	c.Vary("HX-Request")
	if web.IsHTMX(c) && c.Get("HX-Target") == mv.ChartsTarget && c.Get("HX-History-Restore-Request") != "true" {
		return web.Render(c, fiber.StatusOK, mv.OverviewCharts(v))
	}
	status := fiber.StatusOK
	if rng.Error != "" {
		status = fiber.StatusUnprocessableEntity
	}
	return web.Render(c, status, mv.OverviewPage(h.page(c, "Lumora"), v))
}

// cursorParam reads a list's cursor (the previous page's last id).
func cursorParam(c *fiber.Ctx, problems *[]string) (int64, string) {
	cur := web.Field(c, "cursor")
	if cur == "" {
		return 0, ""
	}
	if id, ok := web.ParseID(cur); ok {
		return id, cur
	}
	*problems = append(*problems, "That page link is not valid; showing the first page.")
	return 0, ""
}

func isNotFound(err error) bool {
	var nf web.NotFoundError
	return errors.As(err, &nf) && nf.NotFound()
}
