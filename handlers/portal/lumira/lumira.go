// Package lumira is the customer portal's Lumira area (/portal/lumira):
// the account's Roblox groups with the add form, a group's page (status,
// whether its key works, the ladder, the action log, the Discord webhook,
// findings of reconciliation, members seen, member lookup) and a member's
// page with the promote, demote, set-rank and points forms.
//
// Every call passes web.PortalScope(c) to ranking.Service, and every
// handler of a group reads the group first: another account's group is
// "not found" exactly like an unknown one, whatever the form says. Reads
// need customers.PermView, changes customers.PermDevelop (the route table
// says which); read-only and billing users see no forms. The group's
// Roblox key and webhook URL go to the service and are never rendered.
package lumira

import (
	"context"
	"errors"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"

	"lumdesk/handlers/web"
	"lumdesk/internal/accounts"
	"lumdesk/internal/audit"
	"lumdesk/internal/customers"
	"lumdesk/internal/product"
	"lumdesk/internal/ranking"
	"lumdesk/views/components"
	"lumdesk/views/layouts"
	portalview "lumdesk/views/pages/portal"
	view "lumdesk/views/pages/portal/lumira"
)

// Service is what the portal's Lumira pages need of ranking.Service.
type Service interface {
	ListGroups(ctx context.Context, f ranking.GroupFilter) ([]ranking.Group, error)
	GetGroup(ctx context.Context, scope accounts.Scope, groupID string) (ranking.Group, error)
	AddGroup(ctx context.Context, actor audit.Actor, scope accounts.Scope, in ranking.GroupInput) (ranking.Group, error)
	SetLadder(ctx context.Context, actor audit.Actor, scope accounts.Scope, groupID string, steps []ranking.LadderStep) (ranking.Group, error)
	SetWebhook(ctx context.Context, actor audit.Actor, scope accounts.Scope, groupID, url string) (ranking.Group, error)
	Notify(ctx context.Context, actor audit.Actor, scope accounts.Scope, groupID string, in ranking.NotifyInput) error
	Logs(ctx context.Context, scope accounts.Scope, groupID string, f ranking.LogFilter) (ranking.LogPage, error)
	Findings(ctx context.Context, scope accounts.Scope, groupID string, limit int) ([]ranking.Finding, error)
	ListMembers(ctx context.Context, scope accounts.Scope, groupID, search string, afterUserID int64, limit int) ([]ranking.Member, error)
	GetMember(ctx context.Context, scope accounts.Scope, groupID string, userID int64) (ranking.Member, error)
	LookupUsername(ctx context.Context, scope accounts.Scope, username string) (ranking.RobloxUser, error)
	SetRank(ctx context.Context, actor audit.Actor, scope accounts.Scope, groupID string, userID int64, in ranking.RankInput) (ranking.Change, error)
	Promote(ctx context.Context, actor audit.Actor, scope accounts.Scope, groupID string, userID int64, reason string) (ranking.Change, error)
	Demote(ctx context.Context, actor audit.Actor, scope accounts.Scope, groupID string, userID int64, reason string) (ranking.Change, error)
	AddPoints(ctx context.Context, actor audit.Actor, scope accounts.Scope, groupID string, userID, delta int64, reason string) (ranking.Change, error)
}

// Portal serves /portal/lumira (a web.RouteGroup and a portal.Area).
type Portal struct {
	svc Service
	app *web.App
}

// New makes the route group.
func New(svc Service) *Portal { return &Portal{svc: svc} }

// Routes implements web.RouteGroup.
func (h *Portal) Routes(a *web.App) []web.Route {
	h.app = a
	read, dev := customers.PermView, customers.PermDevelop
	const group = view.GroupsPath + "/:id"
	const member = group + "/members/:user"
	return []web.Route{
		web.PortalGet(view.Path, read, h.list),
		web.PortalPost(view.GroupsPath, dev, h.add),
		web.PortalGet(group, read, h.group),
		web.PortalPost(group+"/ladder", dev, h.setLadder),
		web.PortalPost(group+"/webhook", dev, h.setWebhook),
		web.PortalPost(group+"/webhook/test", dev, h.testWebhook),
		web.PortalPost(group+"/webhook/remove", dev, h.removeWebhook),
		web.PortalGet(group+"/members", read, h.lookup),
		web.PortalGet(member, read, h.member),
		web.PortalPost(member+"/promote", dev, h.promote),
		web.PortalPost(member+"/demote", dev, h.demote),
		web.PortalPost(member+"/rank", dev, h.setRank),
		web.PortalPost(member+"/points", dev, h.addPoints),
	}
}

// PortalProduct implements portal.Area.
func (h *Portal) PortalProduct() string { return product.Ranking }

// homeRead bounds the groups counted for the home card.
const homeRead = ranking.MaxLogLimit

// PortalHome implements portal.Area: the account's groups, how many are
// connected or sandboxes, and how many need attention (a key Roblox
// refuses, a disabled webhook).
func (h *Portal) PortalHome(c *fiber.Ctx, accountID int64) (portalview.HomeProduct, error) {
	groups, err := h.svc.ListGroups(c.UserContext(), ranking.GroupFilter{Scope: accounts.Only(accountID), Limit: homeRead})
	if err != nil {
		return portalview.HomeProduct{}, err
	}
	if len(groups) == 0 {
		return portalview.HomeProduct{Empty: "No Roblox groups yet. Connect one with an Open Cloud key, or try Lumira on a sandbox group."}, nil
	}
	var connected, sandbox, attention int64
	for _, g := range groups {
		switch g.Status {
		case ranking.StatusConnected:
			connected++
		case ranking.StatusSandbox:
			sandbox++
		}
		if g.Status == ranking.StatusKeyInvalid || g.Webhook.Status == ranking.WebhookDisabled {
			attention++
		}
	}
	n := num(int64(len(groups)))
	if len(groups) == homeRead {
		n += "+"
	}
	return portalview.HomeProduct{Figures: []portalview.Figure{
		{Label: "Groups", Value: n},
		{Label: "Connected", Value: num(connected)},
		{Label: "Sandbox", Value: num(sandbox)},
		{Label: "Need attention", Value: num(attention)},
	}}, nil
}

var crumb = layouts.Crumb{Label: "Lumira", Href: view.Path}

func (h *Portal) page(c *fiber.Ctx, title string, crumbs ...layouts.Crumb) layouts.Page {
	return h.app.PortalPage(c, title, view.Nav, crumbs...)
}

func num(n int64) string { return components.Thousands(n) }

// message is a ranking error as a form message: its sentence, capitalised
// and ended. Only the service's own answers get here.
func message(err error) string {
	return web.Capitalize(strings.TrimSuffix(err.Error(), ".")) + "."
}

// formProblem says whether err is an answer a form shows (a validation
// error or one of the service's rule errors that is not "not found"); the
// field messages, if any, and the form's message.
func formProblem(err error, rename map[string]string) (fields map[string]string, msg string, ok bool) {
	if fe := web.FieldErrors(err, rename); fe != nil {
		return fe, "", true
	}
	var re *ranking.Error
	if errors.As(err, &re) && !re.NotFound() {
		return map[string]string{}, message(err), true
	}
	return nil, "", false
}

// groupsPage is the list's page size.
const groupsPage = 50

// list is /portal/lumira.
func (h *Portal) list(c *fiber.Ctx) error {
	return h.renderList(c, fiber.StatusOK, view.AddForm{Errors: map[string]string{}})
}

func (h *Portal) renderList(c *fiber.Ctx, status int, form view.AddForm) error {
	ctx := c.UserContext()
	scope := web.PortalScope(c)
	v := view.GroupList{CanDevelop: web.CustomerMay(c, customers.PermDevelop), CSRF: web.CSRFToken(c), Add: form}
	f := ranking.GroupFilter{Scope: scope, Limit: groupsPage}
	if b := web.Truncate(c.Query("before"), 40); b != "" && web.IsGet(c) {
		f.BeforeID = b
		v.FirstHref = view.Path
	}
	groups, err := h.svc.ListGroups(ctx, f)
	if web.FieldErrors(err, nil) != nil {
		v.Error, v.FirstHref = "That page link is not valid; showing the first page.", ""
		status = fiber.StatusUnprocessableEntity
		f.BeforeID = ""
		groups, err = h.svc.ListGroups(ctx, f)
	}
	if err != nil {
		return err
	}
	for _, g := range groups {
		r := view.GroupRow{ID: g.ID, Name: g.Name, RobloxGroupID: g.RobloxGroupID, Status: g.Status, Sandbox: g.Sandbox, Webhook: g.Webhook.Status}
		members, err := h.svc.ListMembers(ctx, scope, g.ID, "", 0, ranking.MaxLogLimit)
		if err != nil {
			return err
		}
		r.Members = num(int64(len(members)))
		if len(members) == ranking.MaxLogLimit {
			r.Members += "+"
		}
		last, err := h.svc.Logs(ctx, scope, g.ID, ranking.LogFilter{Limit: 1})
		if err != nil {
			return err
		}
		if len(last.Items) > 0 {
			r.LastAction, r.LastKind = &last.Items[0].CreatedAt, last.Items[0].Kind
		}
		v.Rows = append(v.Rows, r)
	}
	if len(groups) == groupsPage {
		v.NextHref = view.Path + "?before=" + groups[len(groups)-1].ID
	}
	c.Set(fiber.HeaderCacheControl, "no-store")
	return web.Render(c, status, view.GroupsPage(h.page(c, "Lumira", layouts.Crumb{Label: "Lumira"}), v))
}

// add connects a group (a sandbox group without a key). The key goes to
// the service and nowhere else, not even back into the form.
func (h *Portal) add(c *fiber.Ctx) error {
	form := view.AddForm{GroupID: web.Truncate(web.Field(c, "group_id"), 40), Ceiling: web.Truncate(web.Field(c, "ceiling"), 40),
		Name: web.Truncate(web.Field(c, "name"), 4*ranking.MaxGroupName+1), Errors: map[string]string{}}
	key := c.FormValue("roblox_key")
	if len(key) > ranking.MaxKey+1 {
		key = key[:ranking.MaxKey+1] // still too long: the service says so
	}
	in := ranking.GroupInput{RobloxKey: key, Name: form.Name, DiscordWebhook: web.Truncate(web.Field(c, "discord_webhook"), 2000)}
	if form.GroupID == "" {
		form.Errors["group_id"] = "Enter the Roblox group ID (a positive number)."
	} else if n, err := strconv.ParseInt(form.GroupID, 10, 64); err != nil || n <= 0 {
		form.Errors["group_id"] = "Enter the Roblox group ID (a positive number)."
	} else {
		in.RobloxGroupID = n
	}
	if form.Ceiling != "" {
		if n, err := strconv.Atoi(form.Ceiling); err != nil || n < 2 || n > 255 {
			form.Errors["ceiling"] = "Enter the rank of the integration's Roblox account (2-255)."
		} else {
			in.Ceiling = n
		}
	}
	if len(form.Errors) > 0 {
		form.FormError = "The group was not connected: fix the highlighted fields (enter the key again)."
		return h.renderList(c, fiber.StatusUnprocessableEntity, form)
	}
	g, err := h.svc.AddGroup(c.UserContext(), web.Actor(c), web.PortalScope(c), in)
	if fields, msg, ok := formProblem(err, nil); ok {
		form.Errors = fields
		form.FormError = "The group was not connected: fix the highlighted fields (enter the key again)."
		if msg != "" {
			form.FormError = msg
		}
		if fields["account"] != "" {
			form.FormError = fields["account"]
		}
		return h.renderList(c, fiber.StatusUnprocessableEntity, form)
	}
	if err != nil {
		return err
	}
	switch g.Status {
	case ranking.StatusKeyInvalid:
		h.app.Toast(c, "error", "Group "+g.Name+" added, but Roblox refused the key: "+g.StatusMessage)
	case ranking.StatusSandbox:
		h.app.Toast(c, "success", "Sandbox group "+g.Name+" created with demo roles and members.")
	default:
		h.app.Toast(c, "success", "Group "+g.Name+" connected; its roles were read from Roblox.")
	}
	return web.Redirect(c, view.GroupHref(g.ID))
}
