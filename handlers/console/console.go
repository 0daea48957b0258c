package console

import (
	"context"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"lumdesk/handlers/web"
	"lumdesk/internal/audit"
	"lumdesk/internal/console"
	"lumdesk/internal/platform/money"
	"lumdesk/internal/product"
	"lumdesk/internal/staff"
	"lumdesk/views/components"
	"lumdesk/views/layouts"
	auditpages "lumdesk/views/pages/audit"
	view "lumdesk/views/pages/console"
)

// ConsoleService is what the overview page and the global search need.
type ConsoleService interface {
	Overview(ctx context.Context, from time.Time, days int) (console.Summary, error)
	Search(ctx context.Context, can func(perm string) bool, q string) ([]console.Hit, error)
}

// Console serves the overview, the product landing pages and global search.
type Console struct {
	svc ConsoleService
	app *web.App
}

// New makes the route group.
func New(svc ConsoleService) *Console { return &Console{svc: svc} }

// chartsTarget is the id of the overview's charts and their range picker,
// which the picker's links swap.
const chartsTarget = "overview-charts"

func (h *Console) overview(c *fiber.Ctx) error {
	a := h.app
	rng := web.ParseChartRange(c, "30d", time.Now())
	sum, err := h.svc.Overview(c.UserContext(), rng.From, rng.Days())
	if err != nil {
		return err
	}
	n := components.Thousands
	m := view.Model{
		Range: rng.View("/", chartsTarget),
		Stats: []view.Stat{
			{Label: "Accounts", Value: n(sum.Accounts.Total), Hint: components.EstimateHint(sum.Accounts.Estimated, n(sum.Accounts.Suspended)+" suspended"), Href: "/accounts"},
			{Label: "Active API keys", Value: n(sum.Counts.ActiveApiKeys), Hint: "across all products", Href: "/apikeys"},
			{Label: "License keys", Value: n(sum.Counts.LicenseKeys), Hint: components.EstimateHint(sum.Counts.LicenseKeysEstimated, "Luarmor"), Href: "/luarmor/keys"},
			{Label: "Lumi balances", Value: components.MoneyTile(money.Cents(sum.Counts.LumiBalanceCents)), Hint: n(sum.Counts.PendingApprovals) + " waiting for approval", Href: "/lumi"},
			{Label: "Changes · 24 h", Value: n(sum.Counts.AuditLastDay), Hint: n(sum.Counts.ActiveStaff) + " active staff", Href: "/audit"},
		},
	}
	for _, d := range sum.AccountsDaily {
		m.AccountsDaily = append(m.AccountsDaily, components.ChartPoint{Label: d.Day.Format("Jan 2"), Value: d.Count})
	}
	for _, d := range sum.AuditDaily {
		m.AuditDaily = append(m.AuditDaily, components.ChartPoint{Label: d.Day.Format("Jan 2"), Value: d.Count})
	}
	for _, k := range sum.KeysByProduct {
		label := k.Product
		if _, ap, ok := product.OfAPIProduct(k.Product); ok {
			label = ap.Label
		}
		m.KeysByProduct = append(m.KeysByProduct, components.KV{Key: label, Value: n(k.N)})
	}
	for _, e := range sum.Recent {
		ev := view.Event{ID: e.ID, When: e.OccurredAt, Action: e.Action, ActionLabel: auditpages.ActionLabel(e.Action),
			Actor: auditpages.ActorName(e, sum.RecentNames), ActorHref: auditpages.ActorHref(e, sum.RecentNames)}
		if e.EntityType != "" {
			ref := audit.Ref{Type: e.EntityType, ID: e.EntityID}
			ev.EntityNoun = auditpages.EntityNoun(e.EntityType)
			if e.EntityID != "" {
				ev.Entity = auditpages.EntityName(ref, sum.RecentNames)
				ev.EntityHref = auditpages.EntityHref(ref, sum.RecentNames)
			}
		}
		m.Recent = append(m.Recent, ev)
	}
	c.Vary("HX-Request")
	// The range picker swaps only the charts. htmx does not swap 4xx
	// answers, so its requests get 200 even when a range was refused.
	if web.IsHTMX(c) && c.Get("HX-Target") == chartsTarget && c.Get("HX-History-Restore-Request") != "true" {
		return web.Render(c, fiber.StatusOK, view.Charts(m))
	}
	status := fiber.StatusOK
	if rng.Error != "" {
		status = fiber.StatusUnprocessableEntity
	}
	return web.Render(c, status, view.Page(a.Page(c, "Overview", "overview"), m))
}

func (h *Console) search(c *fiber.Ctx) error {
	q := console.CleanQuery(c.Query("q"))
	can := func(perm string) bool { return web.Can(c, staff.Permission(perm)) }
	hits, err := h.svc.Search(c.UserContext(), can, q)
	if err != nil {
		return err
	}
	if len(hits) == 0 {
		if strings.TrimSpace(q) == "" {
			return web.Render(c, fiber.StatusOK, components.SearchResults(layouts.QuickLinks(h.app.Page(c, "", ""))))
		}
		return web.Render(c, fiber.StatusOK, components.SearchEmpty(q))
	}
	var groups []components.SearchGroup
	idx := map[string]int{}
	for _, hit := range hits {
		i, ok := idx[hit.Kind]
		if !ok {
			i = len(groups)
			idx[hit.Kind] = i
			groups = append(groups, components.SearchGroup{Title: hit.Group})
		}
		groups[i].Items = append(groups[i].Items, components.SearchItem{Title: hit.Title, Subtitle: hit.Subtitle, Href: hit.Href, Meta: hit.Meta, Icon: hit.Icon})
	}
	return web.Render(c, fiber.StatusOK, components.SearchResults(groups))
}
