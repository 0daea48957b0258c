package lumio

import (
	"context"
	"fmt"
	"io"
	"sort"
	"strconv"
	"time"

	"github.com/a-h/templ"
	"github.com/gofiber/fiber/v2"

	"lumdesk/handlers/web"
	"lumdesk/internal/accounts"
	"lumdesk/internal/audit"
	"lumdesk/internal/marketplace"
	"lumdesk/internal/product"
	"lumdesk/internal/staff"
	"lumdesk/views/components"
	"lumdesk/views/layouts"
	accountsview "lumdesk/views/pages/accounts"
	view "lumdesk/views/pages/lumio"
)

// Service is what the Lumio pages need of internal/marketplace.
type Service interface {
	ReviewQueue(ctx context.Context, after *marketplace.QueueCursor, limit int) (marketplace.QueuePage, error)
	PendingCount(ctx context.Context) (int64, error)
	StatusCounts(ctx context.Context) (map[string]int64, error)
	ListConsole(ctx context.Context, f marketplace.ConsoleFilter) (marketplace.ConsolePage, error)
	AccountExtensions(ctx context.Context, accountID int64) ([]marketplace.AccountExtension, error)
	AccountName(ctx context.Context, accountID int64) string
	GetExtension(ctx context.Context, scope accounts.Scope, id string) (marketplace.Extension, error)
	ListVersions(ctx context.Context, scope accounts.Scope, extID string) ([]marketplace.VersionInfo, error)
	ListSecretNames(ctx context.Context, scope accounts.Scope, extID string) ([]marketplace.SecretName, error)
	InstallStats(ctx context.Context, scope accounts.Scope, extID string) (marketplace.InstallStats, error)
	InstallHistory(ctx context.Context, scope accounts.Scope, extID string, days int) (marketplace.InstallHistory, error)
	GetVersion(ctx context.Context, scope accounts.Scope, id string) (marketplace.VersionInfo, error)
	PreviousApproved(ctx context.Context, versionID string) (*marketplace.VersionInfo, error)
	OpenBundleSHA(ctx context.Context, sha string) (io.ReadCloser, error)
	Approve(ctx context.Context, actor audit.Actor, versionID string, rolloutPercent int) (marketplace.VersionInfo, error)
	Reject(ctx context.Context, actor audit.Actor, versionID, reason string) (marketplace.VersionInfo, error)
	SetRollout(ctx context.Context, actor audit.Actor, versionID string, rolloutPercent int) (marketplace.VersionInfo, error)
	Suspend(ctx context.Context, actor audit.Actor, extID, reason string) (marketplace.Extension, error)
	Unsuspend(ctx context.Context, actor audit.Actor, extID, reason string) (marketplace.Extension, error)
	Deprecate(ctx context.Context, actor audit.Actor, extID, reason, replacementID string) (marketplace.Extension, error)
	Undeprecate(ctx context.Context, actor audit.Actor, extID, reason string) (marketplace.Extension, error)
}

// Lumio is the route group.
type Lumio struct {
	app *web.App
	svc Service
}

// New makes the route group.
func New(svc Service) *Lumio { return &Lumio{svc: svc} }

const pageSize = 50

func (h *Lumio) page(c *fiber.Ctx, title string, crumbs ...layouts.Crumb) layouts.Page {
	return h.app.Page(c, title, "lumio", append([]layouts.Crumb{{Label: "Lumio", Href: view.OverviewPath}}, crumbs...)...)
}

// Counts are the area's live counts: the versions waiting for review, on
// the sidebar's Lumio entry.
func (h *Lumio) Counts() []web.Counter {
	return []web.Counter{{Key: view.PendingCountKey, Nav: "lumio", Permission: staff.PermMarketplaceView,
		Label: view.PendingCountLabel, Value: h.svc.PendingCount}}
}

func (h *Lumio) overview(c *fiber.Ctx) error {
	ctx := c.UserContext()
	pending, err := h.svc.PendingCount(ctx)
	if err != nil {
		return err
	}
	counts, err := h.svc.StatusCounts(ctx)
	if err != nil {
		return err
	}
	v := view.Overview{Pending: pending}
	for _, s := range marketplace.ConsoleStatuses {
		v.Counts = append(v.Counts, view.StatusCount{Status: s, N: counts[s]})
		v.Total += counts[s]
	}
	top, err := h.svc.ListConsole(ctx, marketplace.ConsoleFilter{Sort: marketplace.SortInstalls, Limit: 5})
	if err != nil {
		return err
	}
	v.Top = extRows(top.Extensions)
	return web.Render(c, fiber.StatusOK, view.OverviewPage(h.page(c, "Lumio"), v))
}

// age says how long something has waited: "5 min", "3 h", "2 d".
func age(since, now time.Time) string {
	d := now.Sub(since)
	switch {
	case d < time.Hour:
		return fmt.Sprintf("%d min", max(int(d.Minutes()), 0))
	case d < 48*time.Hour:
		return fmt.Sprintf("%d h", int(d.Hours()))
	}
	return fmt.Sprintf("%d d", int(d.Hours()/24))
}

func (h *Lumio) queue(c *fiber.Ctx) error {
	ctx := c.UserContext()
	q := view.Queue{}
	var after *marketplace.QueueCursor
	if cur := web.Field(c, "cursor"); cur != "" {
		if p, ok := marketplace.ParseQueueCursor(cur); ok {
			after, q.Cursor = &p, cur
		} else {
			q.Error = "That page link is not valid; showing the first page."
		}
	}
	page, err := h.svc.ReviewQueue(ctx, after, pageSize)
	if err != nil {
		return err
	}
	if q.Pending, err = h.svc.PendingCount(ctx); err != nil {
		return err
	}
	now := time.Now()
	for _, it := range page.Items {
		q.Rows = append(q.Rows, view.QueueRow{VersionID: it.VersionID, Version: it.Version, ExtensionID: it.ExtensionID,
			ExtensionName: it.ExtensionName, Slug: it.ExtensionSlug, AccountID: it.AccountID, AccountName: it.AccountName,
			Submitted: it.SubmittedAt, Age: age(it.SubmittedAt, now), Files: it.FileCount, Size: byteSize(it.BundleSize)})
	}
	if page.Next != nil {
		q.Next = page.Next.String()
	}
	return web.Render(c, fiber.StatusOK, view.ReviewPage(h.page(c, "Review queue", layouts.Crumb{Label: "Review queue"}), q))
}

// byteSize is a size for people: "812 B", "4.2 KiB", "1.5 MiB".
func byteSize(n int64) string {
	switch {
	case n < 1024:
		return strconv.FormatInt(n, 10) + " B"
	case n < 1<<20:
		return fmt.Sprintf("%.1f KiB", float64(n)/1024)
	}
	return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
}

func extRow(e marketplace.Extension, accountName string) view.ExtRow {
	return view.ExtRow{ID: e.ID, Name: e.Name, Slug: e.Slug, AccountID: e.AccountID, AccountName: accountName, Status: e.Status,
		Visibility: e.Visibility, Price: e.Pricing.PriceLabel(), Installs: components.Thousands(e.InstallCount),
		Deprecated: e.Deprecated, Updated: e.UpdatedAt}
}

func extRows(list []marketplace.ListedExtension) []view.ExtRow {
	out := make([]view.ExtRow, 0, len(list))
	for _, e := range list {
		out = append(out, extRow(e.Extension, e.AccountName))
	}
	return out
}

// AccountTabProduct: this group renders the marketplace's account tab.
func (h *Lumio) AccountTabProduct() string { return product.Marketplace }

// AccountTab is the account page's Lumio tab: the account's extensions
// with their status, pending versions and installs.
func (h *Lumio) AccountTab(c *fiber.Ctx, accountID int64) (templ.Component, error) {
	v := view.AccountTab{AccountID: accountID, CanSee: web.Can(c, staff.PermMarketplaceView)}
	if !v.CanSee {
		return view.AccountTabContent(v), nil
	}
	list, err := h.svc.AccountExtensions(c.UserContext(), accountID)
	if err != nil {
		return nil, err
	}
	for _, e := range list {
		v.Rows = append(v.Rows, view.AccountTabRow{ID: e.ID, Name: e.Name, Status: e.Status, Visibility: e.Visibility,
			Pending: e.PendingVersions, Installs: components.Thousands(e.InstallCount), Deprecated: e.Deprecated})
	}
	sort.SliceStable(v.Rows, func(i, j int) bool { return v.Rows[i].Pending > v.Rows[j].Pending })
	return view.AccountTabContent(v), nil
}

// AccountOverview is the Lumio card on the account's Overview tab.
func (h *Lumio) AccountOverview(c *fiber.Ctx, accountID int64) (accountsview.OverviewCard, error) {
	if !web.Can(c, staff.PermMarketplaceView) {
		return accountsview.OverviewCard{Empty: &accountsview.CardEmpty{Title: "You cannot see Lumio data."}}, nil
	}
	list, err := h.svc.AccountExtensions(c.UserContext(), accountID)
	if err != nil {
		return accountsview.OverviewCard{}, err
	}
	if len(list) == 0 {
		return accountsview.OverviewCard{Empty: &accountsview.CardEmpty{Title: "No Lumio extensions yet."}}, nil
	}
	var pending, installs, live int64
	for _, e := range list {
		pending += e.PendingVersions
		installs += e.InstallCount
		if e.Status == marketplace.StatusApproved {
			live++
		}
	}
	card := accountsview.OverviewCard{Figures: []accountsview.Figure{
		{Label: "Extensions", Value: components.Thousands(int64(len(list))), Key: "extensions"},
		{Label: "Approved", Value: components.Thousands(live), Key: "approved"},
		{Label: "Pending review", Value: components.Thousands(pending), Key: "pending"},
		{Label: "Installs", Value: components.Thousands(installs), Key: "installs"},
	}}
	if pending > 0 {
		card.Figures[2].Tone = "red"
	}
	return card, nil
}
