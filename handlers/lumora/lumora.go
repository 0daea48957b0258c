package lumora

import (
	"context"
	"fmt"
	"time"

	"github.com/gofiber/fiber/v2"

	"lumdesk/handlers/web"
	"lumdesk/internal/accounts"
	"lumdesk/internal/audit"
	"lumdesk/internal/mail"
	"lumdesk/internal/mail/sandbox"
	"lumdesk/internal/platform/listcount"
	"lumdesk/internal/staff"
	"lumdesk/views/components"
	"lumdesk/views/layouts"
	view "lumdesk/views/pages/lumora"
)

// Service is what the Lumora pages need of internal/mail.
type Service interface {
	OverviewCounts(ctx context.Context) (mail.Overview, error)
	DailyTotals(ctx context.Context, from time.Time, days int) ([]mail.DayTotals, error)
	ListDomains(ctx context.Context, f mail.DomainFilter) ([]mail.Domain, error)
	CountDomains(ctx context.Context, f mail.DomainFilter, limitTo int) (listcount.Count, error)
	GetDomain(ctx context.Context, scope accounts.Scope, id int64) (mail.Domain, error)
	AddDomain(ctx context.Context, actor audit.Actor, scope accounts.Scope, in mail.DomainInput) (mail.Domain, error)
	Verify(ctx context.Context, actor audit.Actor, scope accounts.Scope, id int64) (mail.Domain, error)
	ListMessages(ctx context.Context, f mail.MessageFilter) ([]mail.Message, error)
	CountMessages(ctx context.Context, f mail.MessageFilter, limitTo int) (listcount.Count, error)
	GetMessage(ctx context.Context, scope accounts.Scope, publicID string) (mail.MessageDetail, error)
	GetApp(ctx context.Context, scope accounts.Scope, id int64) (mail.App, error)
	Send(ctx context.Context, scope accounts.Scope, appID int64, in mail.SendInput) (mail.SendResult, error)
	ListApps(ctx context.Context, scope accounts.Scope, beforeID int64, limit int) ([]mail.App, error)
	CountApps(ctx context.Context, scope accounts.Scope, limitTo int) (listcount.Count, error)
	SuppressionLister
	LiftSuppression(ctx context.Context, actor audit.Actor, scope accounts.Scope, accountID int64, email, reason string) error
	AddSuppression(ctx context.Context, actor audit.Actor, scope accounts.Scope, accountID int64, email, reason string) error
}

// Lumora is the route group.
type Lumora struct {
	app *web.App
	svc Service
	// keys and hooks fill an app's page; nil shows none.
	keys  KeysService
	hooks HooksService
	// inbox is the sandbox inbox's messages; nil when mail goes to a relay.
	inbox func() sandbox.Store
	// tpl is the template pages (WithTemplates; without, they answer 404).
	tpl *Templates
	// names names the accounts of the lists (WithAccountNames); nil: "#id".
	names web.AccountNames
}

// WithAccountNames has the apps and templates lists name their accounts.
func (h *Lumora) WithAccountNames(n web.AccountNames) *Lumora {
	h.names, h.tpl.Names = n, n
	return h
}

// New makes the route group; inbox returns the sandbox inbox's store, or
// nil when Lumora delivers through a relay (LUMORA_SMTP_URL).
func New(svc Service, keys KeysService, hooks HooksService, inbox func() sandbox.Store) *Lumora {
	h := &Lumora{svc: svc, keys: keys, hooks: hooks, inbox: inbox}
	h.tpl = &Templates{Mail: svc, Face: view.ConsoleTemplates, Page: h.page, MessageHref: view.MessageHref,
		Scope:     func(*fiber.Ctx) accounts.Scope { return accounts.AllAccounts },
		CanManage: func(c *fiber.Ctx) bool { return web.Can(c, staff.PermMailManage) }}
	return h
}

// WithTemplates adds the template pages; without it they answer 404.
func (h *Lumora) WithTemplates(t TemplatesService) *Lumora {
	h.tpl.Svc = t
	return h
}

func (h *Lumora) page(c *fiber.Ctx, title string, crumbs ...layouts.Crumb) layouts.Page {
	return h.app.Page(c, title, "lumora", append([]layouts.Crumb{{Label: "Lumora", Href: view.OverviewPath}}, crumbs...)...)
}

func (h *Lumora) store() sandbox.Store {
	if h.inbox == nil {
		return nil
	}
	return h.inbox()
}

func (h *Lumora) overview(c *fiber.Ctx) error {
	o, err := h.svc.OverviewCounts(c.UserContext())
	if err != nil {
		return err
	}
	v := view.Overview{MessagesToday: components.Thousands(o.MessagesToday.N), BounceRate: "—",
		RateHint: fmt.Sprintf("Nothing delivered or bounced in the last %d days", o.RateDays), FailingDomains: o.FailingDomains,
		Sandbox: h.store() != nil}
	if o.MessagesToday.More {
		v.MessagesToday += "+"
	}
	if r, ok := o.BounceRate(); ok {
		v.BounceRate = fmt.Sprintf("%.1f%%", r*100)
		v.RateHint = fmt.Sprintf("%s bounced of %s over the last %d days", components.Thousands(o.Bounced),
			components.Thousands(o.Bounced+o.Delivered), o.RateDays)
	}
	rng := web.ParseChartRange(c, "30d", time.Now())
	if err := h.charts(c, &v, rng); err != nil {
		return err
	}
	// The range picker swaps only the charts (200 even for a refused range:
	// htmx swaps no 4xx).
	c.Vary("HX-Request")
	if web.IsHTMX(c) && c.Get("HX-Target") == view.ChartsTarget && c.Get("HX-History-Restore-Request") != "true" {
		return web.Render(c, fiber.StatusOK, view.OverviewCharts(v))
	}
	status := fiber.StatusOK
	if rng.Error != "" {
		status = fiber.StatusUnprocessableEntity
	}
	return web.Render(c, status, view.OverviewPage(h.page(c, "Lumora"), v))
}

// charts fills the overview's per-day charts over the range.
func (h *Lumora) charts(c *fiber.Ctx, v *view.Overview, rng web.ChartRange) error {
	days, err := h.svc.DailyTotals(c.UserContext(), rng.From, rng.Days())
	if err != nil {
		return err
	}
	v.Range = rng.View(view.OverviewPath, view.ChartsTarget)
	for _, d := range days {
		label := d.Day.Format("Jan 2")
		v.Sent = append(v.Sent, components.ChartPoint{Label: label, Value: d.Sent})
		v.Delivered = append(v.Delivered, components.ChartPoint{Label: label, Value: d.Delivered})
		v.Bounced = append(v.Bounced, components.ChartPoint{Label: label, Value: d.Bounced})
	}
	return nil
}
