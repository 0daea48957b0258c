package lumora

import (
	"context"
	"fmt"

	"github.com/gofiber/fiber/v2"

	"lumdesk/handlers/web"
	"lumdesk/internal/accounts"
	"lumdesk/internal/audit"
	"lumdesk/internal/mail"
	"lumdesk/internal/mail/sandbox"
	"lumdesk/internal/platform/listcount"
	"lumdesk/views/components"
	"lumdesk/views/layouts"
	view "lumdesk/views/pages/lumora"
)

// Service is what the Lumora pages need of internal/mail.
type Service interface {
	OverviewCounts(ctx context.Context) (mail.Overview, error)
	ListDomains(ctx context.Context, f mail.DomainFilter) ([]mail.Domain, error)
	CountDomains(ctx context.Context, f mail.DomainFilter, limitTo int) (listcount.Count, error)
	GetDomain(ctx context.Context, scope accounts.Scope, id int64) (mail.Domain, error)
	AddDomain(ctx context.Context, actor audit.Actor, scope accounts.Scope, in mail.DomainInput) (mail.Domain, error)
	Verify(ctx context.Context, actor audit.Actor, scope accounts.Scope, id int64) (mail.Domain, error)
	ListMessages(ctx context.Context, f mail.MessageFilter) ([]mail.Message, error)
	CountMessages(ctx context.Context, f mail.MessageFilter, limitTo int) (listcount.Count, error)
	GetMessage(ctx context.Context, scope accounts.Scope, publicID string) (mail.MessageDetail, error)
	ListApps(ctx context.Context, scope accounts.Scope, beforeID int64, limit int) ([]mail.App, error)
	CountApps(ctx context.Context, scope accounts.Scope, limitTo int) (listcount.Count, error)
	ListSuppressions(ctx context.Context, scope accounts.Scope, accountID, beforeID int64, limit int) ([]mail.Suppression, error)
	CountSuppressions(ctx context.Context, scope accounts.Scope, accountID int64, limitTo int) (listcount.Count, error)
}

// Lumora is the route group.
type Lumora struct {
	app *web.App
	svc Service
	// inbox is the sandbox inbox's messages; nil when mail goes to a relay.
	inbox func() sandbox.Store
}

// New makes the route group; inbox returns the sandbox inbox's store, or
// nil when Lumora delivers through a relay (LUMORA_SMTP_URL).
func New(svc Service, inbox func() sandbox.Store) *Lumora {
	return &Lumora{svc: svc, inbox: inbox}
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
	return web.Render(c, fiber.StatusOK, view.OverviewPage(h.page(c, "Lumora"), v))
}
