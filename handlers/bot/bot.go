// Package bot is the console's Discord bot area (/discord): the bot's
// status (mode, application, last interaction, errors) with how to set it
// up when it is off, every linked guild with Unlink, the recent
// interactions, the Discord section of a Luarmor project's or Lumira
// group's page (its links and "Make link code"), and the sandbox console
// that sends signed interactions as a demo member in demo mode.
//
// Viewing needs dashboard.view; changes (unlink, link codes, rank roles,
// sandbox sends) need bot.manage. The portal's section is the same
// Links handler over the customer's scope (handlers/portal/bot).
package bot

import (
	"context"
	"time"

	"github.com/gofiber/fiber/v2"

	"lumdesk/handlers/web"
	"lumdesk/internal/accounts"
	"lumdesk/internal/audit"
	"lumdesk/internal/bot"
	"lumdesk/internal/bot/discord"
	"lumdesk/internal/staff"
	"lumdesk/views/layouts"
	view "lumdesk/views/pages/bot"
	licensingview "lumdesk/views/pages/licensing"
	lumiraview "lumdesk/views/pages/lumira"
)

// Service is what the Discord pages need of bot.Service.
type Service interface {
	Mode() string
	Settings() bot.Settings
	Stats(ctx context.Context, scope accounts.Scope, since time.Time) (bot.Stats, error)
	Interactions(ctx context.Context, f bot.InteractionFilter) ([]bot.Interaction, error)
	ListLinks(ctx context.Context, f bot.LinkFilter) ([]bot.Link, error)
	NewLinkCode(ctx context.Context, actor audit.Actor, scope accounts.Scope, area, ref string) (bot.LinkCode, error)
	Unlink(ctx context.Context, actor audit.Actor, scope accounts.Scope, id, reason string) error
	SetRankRole(ctx context.Context, actor audit.Actor, scope accounts.Scope, id, roleID string) (bot.Link, error)
	SandboxSend(ctx context.Context, in discord.Interaction) (discord.Response, error)
	SandboxFollowUps(ctx context.Context, token string) ([]discord.ResponseData, error)
}

// Bot is the console's route group.
type Bot struct {
	app   *web.App
	svc   Service
	links *Links
}

// New makes the route group.
func New(svc Service) *Bot {
	b := &Bot{svc: svc}
	b.links = &Links{Svc: svc, Base: view.Path, AskReason: true,
		Scope:     func(*fiber.Ctx) accounts.Scope { return accounts.AllAccounts },
		CanManage: func(c *fiber.Ctx) bool { return web.Can(c, staff.PermBotManage) },
		Page: func(c *fiber.Ctx, title string) layouts.Page {
			return b.app.Page(c, title, "discord", layouts.Crumb{Label: "Discord bot", Href: view.Path}, layouts.Crumb{Label: title})
		},
		Target: func(area, id string) string {
			if area == bot.AreaRanking {
				return lumiraview.GroupHref(id)
			}
			return licensingview.ProjectHref(id)
		},
	}
	return b
}

// Routes implements web.RouteGroup.
func (b *Bot) Routes(a *web.App) []web.Route {
	b.app = a
	b.links.App = a
	read, manage := staff.PermDashboardView, staff.PermBotManage
	return []web.Route{
		web.Get(view.Path, read, b.status),
		web.Get(view.Path+"/links", read, b.links.Section),
		web.Post(view.Path+"/links/code", manage, b.links.MakeCode),
		web.Post(view.Path+"/links/:id/unlink", manage, b.links.Unlink),
		web.Post(view.Path+"/links/:id/rank-role", manage, b.links.SetRankRole),
		web.Get(view.SandboxPath, read, b.sandbox),
		web.Get(view.SandboxPath+"/options", read, b.options),
		web.Post(view.SandboxPath+"/command", manage, b.command),
		web.Post(view.SandboxPath+"/component", manage, b.component),
		web.Post(view.SandboxPath+"/modal", manage, b.modal),
		web.Get(view.SandboxPath+"/followup", manage, b.followUp),
	}
}

func (b *Bot) page(c *fiber.Ctx, title string, crumbs ...layouts.Crumb) layouts.Page {
	return b.app.Page(c, title, "discord", append([]layouts.Crumb{{Label: "Discord bot", Href: view.Path}}, crumbs...)...)
}
