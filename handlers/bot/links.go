package bot

import (
	"net/url"
	"strings"

	"github.com/gofiber/fiber/v2"

	"lumdesk/handlers/web"
	"lumdesk/internal/accounts"
	"lumdesk/internal/bot"
	"lumdesk/views/layouts"
	view "lumdesk/views/pages/bot"
)

// Links serves the linked-guilds section over one scope: the console's
// (every account) and the portal's (the customer's account) differ only
// in these fields. A project's or group's page loads the section with
// ?project=ID or ?group=ID; without either it lists every link in scope.
type Links struct {
	App       *web.App
	Svc       Service
	Base      string // "/discord" or "/portal/discord"
	Portal    bool
	AskReason bool // an unlink needs a reason (staff)
	Scope     func(c *fiber.Ctx) accounts.Scope
	CanManage func(c *fiber.Ctx) bool
	Page      func(c *fiber.Ctx, title string) layouts.Page
	Target    func(area, id string) string // a project's or group's page
}

// target reads which project or group a request is about.
func target(c *fiber.Ctx) (area, ref string) {
	if g := web.Truncate(web.Field(c, "group"), 64); g != "" {
		return bot.AreaRanking, g
	}
	if p := web.Truncate(web.Field(c, "project"), 64); p != "" {
		return bot.AreaLicensing, p
	}
	return "", ""
}

// build lists the section's links.
func (h *Links) build(c *fiber.Ctx, area, ref string) (view.Links, error) {
	l := view.Links{Base: h.Base, Area: area, Ref: ref, Portal: h.Portal, CanManage: h.CanManage(c), AskReason: h.AskReason, CSRF: web.CSRFToken(c)}
	f := bot.LinkFilter{Scope: h.Scope(c)}
	if area == bot.AreaRanking {
		f.GroupID = ref
	} else if area == bot.AreaLicensing {
		f.ProjectID = ref
	}
	links, err := h.Svc.ListLinks(c.UserContext(), f)
	if err != nil {
		return l, err
	}
	for _, k := range links {
		l.Rows = append(l.Rows, view.LinkRow{ID: k.ID, GuildID: k.GuildID, GuildName: GuildName(k.GuildID), AccountID: k.AccountID,
			AccountName: k.AccountName, Area: k.Area, TargetID: k.TargetID, TargetName: k.TargetName, TargetHref: h.Target(k.Area, k.TargetID),
			RobloxGroupID: k.RobloxGroupID, RankRoleID: k.RankRoleID, LinkedBy: k.LinkedBy, LinkedByName: k.LinkedByName,
			Created: k.CreatedAt, PanelLastUsed: k.PanelLastUsedAt})
	}
	return l, nil
}

// GuildName is how a guild is shown: Discord does not tell an
// interactions-only bot guild names, so only the sandbox's demo guild has one.
func GuildName(id string) string {
	if id == bot.DemoGuildID {
		return bot.DemoGuildName
	}
	return "Discord server"
}

// render answers with the section: the fragment for htmx, else a page.
func (h *Links) render(c *fiber.Ctx, status int, l view.Links) error {
	if web.IsHTMX(c) {
		// htmx swaps only 2xx answers; the section carries its own error.
		return web.Render(c, fiber.StatusOK, view.LinksSection(l))
	}
	return web.Render(c, status, view.LinksPage(h.Page(c, "Discord servers"), l))
}

// Section is GET {base}/links.
func (h *Links) Section(c *fiber.Ctx) error {
	area, ref := target(c)
	l, err := h.build(c, area, ref)
	if err != nil {
		return err
	}
	return h.render(c, fiber.StatusOK, l)
}

// MakeCode is POST {base}/links/code: a one-time link code for the
// project or group, shown once with the command to type.
func (h *Links) MakeCode(c *fiber.Ctx) error {
	area, ref := target(c)
	if ref == "" {
		return fiber.NewError(fiber.StatusUnprocessableEntity, "Say which Luarmor project or Lumira group the code is for.")
	}
	code, err := h.Svc.NewLinkCode(c.UserContext(), web.Actor(c), h.Scope(c), area, ref)
	if err != nil {
		return err
	}
	l, err := h.build(c, area, ref)
	if err != nil {
		return err
	}
	l.Code = &view.Code{Code: code.Code, Command: code.Command, Target: code.Target, Expires: code.ExpiresAt}
	return h.render(c, fiber.StatusOK, l)
}

// Unlink is POST {base}/links/:id/unlink (staff give a reason).
func (h *Links) Unlink(c *fiber.Ctx) error {
	area, ref := target(c)
	reason := web.Truncate(web.Field(c, "reason"), 500)
	if h.AskReason && reason == "" {
		l, err := h.build(c, area, ref)
		if err != nil {
			return err
		}
		l.Error = "Give a reason for the unlink; it is recorded in the audit log. Nothing was unlinked."
		return h.render(c, fiber.StatusUnprocessableEntity, l)
	}
	if reason == "" {
		reason = "Unlinked in the portal"
	}
	if err := h.Svc.Unlink(c.UserContext(), web.Actor(c), h.Scope(c), c.Params("id"), reason); err != nil {
		return err
	}
	return h.after(c, area, ref, "Server unlinked. Its panel and commands no longer serve this account.")
}

// SetRankRole is POST {base}/links/:id/rank-role (Lumira links).
func (h *Links) SetRankRole(c *fiber.Ctx) error {
	area, ref := target(c)
	_, err := h.Svc.SetRankRole(c.UserContext(), web.Actor(c), h.Scope(c), c.Params("id"), web.Truncate(web.Field(c, "rank_role_id"), 40))
	if errs := web.FieldErrors(err, nil); errs != nil {
		l, err := h.build(c, area, ref)
		if err != nil {
			return err
		}
		l.Error = "The rank role was not saved: " + strings.TrimSuffix(web.FieldErrorsText(errs), ".") + "."
		return h.render(c, fiber.StatusUnprocessableEntity, l)
	}
	if err != nil {
		return err
	}
	return h.after(c, area, ref, "Rank role saved: its members may use /rank.")
}

// after answers a change: the section again (htmx), or back to it.
func (h *Links) after(c *fiber.Ctx, area, ref, msg string) error {
	if !web.IsHTMX(c) {
		h.App.Toast(c, "success", msg)
		l := view.Links{Base: h.Base, Area: area, Ref: ref}
		back := h.Base + "/links"
		if q := linksQuery(l); q != "" {
			back += q
		}
		if h.Base == view.Path && ref == "" {
			back = view.Path
		}
		return web.Redirect(c, back)
	}
	l, err := h.build(c, area, ref)
	if err != nil {
		return err
	}
	l.Notice = msg
	return web.Render(c, fiber.StatusOK, view.LinksSection(l))
}

func linksQuery(l view.Links) string {
	switch {
	case l.Ref == "":
		return ""
	case l.Area == bot.AreaRanking:
		return "?group=" + url.QueryEscape(l.Ref)
	}
	return "?project=" + url.QueryEscape(l.Ref)
}
