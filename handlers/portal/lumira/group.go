package lumira

import (
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"

	"lumdesk/handlers/web"
	"lumdesk/internal/customers"
	"lumdesk/internal/ranking"
	"lumdesk/views/components"
	"lumdesk/views/layouts"
	view "lumdesk/views/pages/portal/lumira"
)

// Page sizes of the group page.
const (
	logPage      = 25
	membersPage  = 25
	findingsRead = 50
	// namesRead bounds the members read to name the log's users.
	namesRead = ranking.MaxLogLimit
)

// groupForms are the forms of a group's page as they stand.
type groupForms struct {
	ladder      *ladderState // nil: the ladder as saved
	webhook     view.WebhookForm
	lookup      string
	lookupError string
}

// ladderState is a refused ladder form: what was checked and typed.
type ladderState struct {
	checked   map[string]bool
	points    map[string]string
	errors    map[string]string
	formError string
}

func (h *Portal) group(c *fiber.Ctx) error {
	return h.renderGroup(c, fiber.StatusOK, groupForms{})
}

func kindOptions() []components.Option {
	out := []components.Option{{Value: "", Label: "Every kind"}}
	for _, k := range ranking.ActionKinds {
		out = append(out, components.Option{Value: k, Label: components.Humanize(k)})
	}
	return out
}

func statusOptions() []components.Option {
	out := []components.Option{{Value: "", Label: "Every status"}}
	for _, s := range ranking.ActionStatuses {
		out = append(out, components.Option{Value: s, Label: components.Humanize(s)})
	}
	return out
}

// roleText is "Member (1)" for a role ID of the group.
func roleText(g ranking.Group, id string, rank *int) string {
	if r, ok := g.RoleByID(id); ok {
		return fmt.Sprintf("%s (%d)", r.Name, r.Rank)
	}
	if rank != nil {
		return fmt.Sprintf("rank %d", *rank)
	}
	if id == "" {
		return ""
	}
	return "role " + id
}

func actionRow(g ranking.Group, a ranking.Action, names map[int64]string) view.ActionRow {
	r := view.ActionRow{ID: a.ID, UserID: a.UserID, Username: names[a.UserID], Kind: a.Kind, Reason: a.Reason, Actor: a.ActorLabel,
		Status: a.Status, Error: a.Error, CreatedAt: a.CreatedAt}
	if a.Kind == ranking.KindPoints {
		r.Points = strconv.FormatInt(a.PointsDelta, 10)
		if a.PointsDelta > 0 {
			r.Points = "+" + r.Points
		}
	} else {
		r.From, r.To = roleText(g, a.OldRoleID, a.OldRank), roleText(g, a.NewRoleID, a.NewRank)
		if a.Kind == ranking.KindOutsideChange && r.To == "" {
			r.To = "left the group"
		}
	}
	return r
}

// logQuery is the log's filter as a query string (without the cursor).
func logQuery(kind, status string) string {
	v := url.Values{}
	if kind != "" {
		v.Set("kind", kind)
	}
	if status != "" {
		v.Set("status", status)
	}
	if len(v) == 0 {
		return ""
	}
	return "?" + v.Encode()
}

func withParam(href, key, value string) string {
	sep := "?"
	if strings.Contains(href, "?") {
		sep = "&"
	}
	return href + sep + key + "=" + url.QueryEscape(value)
}

func (h *Portal) renderGroup(c *fiber.Ctx, status int, forms groupForms) error {
	ctx := c.UserContext()
	scope := web.PortalScope(c)
	g, err := h.svc.GetGroup(ctx, scope, c.Params("id"))
	if err != nil {
		return err
	}
	v := view.GroupPage{ID: g.ID, Name: g.Name, RobloxGroupID: g.RobloxGroupID, Status: g.Status, StatusMessage: g.StatusMessage,
		Sandbox: g.Sandbox, KeyScopes: g.KeyScopes, Ceiling: g.Ceiling, AutoPromote: g.AutoPromote, LastSync: g.LastSyncAt,
		LastReconciled: g.LastReconciledAt, Created: g.CreatedAt, WebhookStatus: g.Webhook.Status, WebhookReason: g.Webhook.DisabledReason,
		WebhookDisabled: g.Webhook.DisabledAt, Webhook: forms.webhook, Lookup: forms.lookup, LookupError: forms.lookupError,
		CanDevelop: web.CustomerMay(c, customers.PermDevelop), CSRF: web.CSRFToken(c), KindOptions: kindOptions(), StatusOptions: statusOptions()}
	switch {
	case g.Sandbox:
		v.KeyWorks = "No key: a sandbox group"
	case g.Status == ranking.StatusConnected:
		v.KeyWorks = "Yes"
	default:
		v.KeyWorks = "No"
	}
	for _, r := range g.Roles {
		row := view.RoleRow{ID: r.ID, Name: r.Name, Rank: r.Rank, InLadder: r.InLadder, Assignable: r.Assignable,
			Points: strconv.FormatInt(r.PointsRequired, 10)}
		if r.LadderPosition != nil {
			row.Position = *r.LadderPosition
		}
		if r.MemberCount != nil {
			row.Members = num(*r.MemberCount)
		}
		if l := forms.ladder; l != nil {
			row.InLadder, row.Points, row.Error = l.checked[r.ID], l.points[r.ID], l.errors[r.ID]
		}
		v.Roles = append(v.Roles, row)
	}
	if forms.ladder != nil {
		v.Ladder.FormError = forms.ladder.formError
	}

	// Usernames for the log, from the members Lumira has seen.
	seen, err := h.svc.ListMembers(ctx, scope, g.ID, "", 0, namesRead)
	if err != nil {
		return err
	}
	names := map[int64]string{}
	for _, m := range seen {
		names[m.UserID] = m.Username
	}

	if err := h.fillLog(c, g, names, &v); err != nil {
		return err
	}

	findings, err := h.svc.Findings(ctx, scope, g.ID, findingsRead)
	if err != nil {
		return err
	}
	for _, f := range findings {
		row := view.FindingRow{UserID: f.UserID, From: roleText(g, f.FromRoleID, f.FromRank), To: roleText(g, f.ToRoleID, f.ToRank),
			ChangedBy: f.ChangedByName, ChangedAt: f.ChangedAt, Source: f.Source, FoundAt: f.FoundAt}
		if row.ChangedBy == "" && f.ChangedByID != nil {
			row.ChangedBy = "user " + strconv.FormatInt(*f.ChangedByID, 10)
		}
		if row.To == "" {
			row.To = "left the group"
		}
		v.Findings = append(v.Findings, row)
	}

	var after int64
	if a := c.Query("members_after"); a != "" && web.IsGet(c) {
		if n, err := strconv.ParseInt(a, 10, 64); err == nil && n > 0 {
			after = n
		}
	}
	members, err := h.svc.ListMembers(ctx, scope, g.ID, "", after, membersPage)
	if err != nil {
		return err
	}
	for _, m := range members {
		row := view.MemberRow{UserID: m.UserID, Username: m.Username, Points: num(m.Points), LastChange: m.LastChangeAt}
		if m.RoleName != "" {
			row.Role = fmt.Sprintf("%s (%d)", m.RoleName, m.Rank)
		}
		v.Members = append(v.Members, row)
	}
	if len(members) == membersPage {
		v.MembersNext = view.GroupHref(g.ID) + "?members_after=" + strconv.FormatInt(members[len(members)-1].UserID, 10)
	}
	// A page that may have held a webhook URL in a form is never cached.
	c.Set(fiber.HeaderCacheControl, "no-store")
	return web.Render(c, status, view.GroupDetail(h.page(c, g.Name, crumb, layouts.Crumb{Label: g.Name}), v))
}

// fillLog reads the log's page by the query's filter and cursor; a filter
// or cursor it cannot use is left out and said.
func (h *Portal) fillLog(c *fiber.Ctx, g ranking.Group, names map[int64]string, v *view.GroupPage) error {
	f := ranking.LogFilter{Limit: logPage}
	if web.IsGet(c) {
		f.Kind, f.Status, f.Cursor = web.Truncate(c.Query("kind"), 40), web.Truncate(c.Query("status"), 40), web.Truncate(c.Query("cursor"), 100)
	}
	if f.Kind != "" && !slices.Contains(ranking.ActionKinds, f.Kind) {
		v.Filter.Errors = append(v.Filter.Errors, "There is no action kind by that name; showing every kind.")
		f.Kind = ""
	}
	if f.Status != "" && !slices.Contains(ranking.ActionStatuses, f.Status) {
		v.Filter.Errors = append(v.Filter.Errors, "There is no action status by that name; showing every status.")
		f.Status = ""
	}
	v.Filter.Kind, v.Filter.Status = f.Kind, f.Status
	base := view.GroupHref(g.ID) + logQuery(f.Kind, f.Status)
	page, err := h.svc.Logs(c.UserContext(), web.PortalScope(c), g.ID, f)
	if web.FieldErrors(err, nil) != nil && f.Cursor != "" {
		v.Filter.Errors = append(v.Filter.Errors, "That page link is not valid; showing the newest actions.")
		f.Cursor = ""
		page, err = h.svc.Logs(c.UserContext(), web.PortalScope(c), g.ID, f)
	}
	if err != nil {
		return err
	}
	for _, a := range page.Items {
		v.Actions = append(v.Actions, actionRow(g, a, names))
	}
	if page.NextCursor != "" {
		v.NextHref = withParam(base, "cursor", page.NextCursor) + "#log"
	}
	if f.Cursor != "" {
		v.NewestHref = base + "#log"
	}
	return nil
}

// setLadder saves the ladder form: the checked roles, lowest rank first,
// with their points.
func (h *Portal) setLadder(c *fiber.Ctx) error {
	ctx := c.UserContext()
	scope := web.PortalScope(c)
	g, err := h.svc.GetGroup(ctx, scope, c.Params("id"))
	if err != nil {
		return err
	}
	st := &ladderState{checked: map[string]bool{}, points: map[string]string{}, errors: map[string]string{}}
	for _, id := range web.FieldValues(c, "role") {
		st.checked[id] = true
	}
	var steps []ranking.LadderStep
	for _, r := range g.Roles { // lowest rank first
		p := web.Truncate(web.Field(c, "points_"+r.ID), 20)
		st.points[r.ID] = p
		if !st.checked[r.ID] {
			continue
		}
		pts := int64(0)
		if p != "" {
			n, err := strconv.ParseInt(p, 10, 64)
			if err != nil || n < 0 {
				st.errors[r.ID] = "Points required are a whole number, 0 or more."
			}
			pts = n
		}
		steps = append(steps, ranking.LadderStep{RoleID: r.ID, PointsRequired: pts})
	}
	if len(st.errors) == 0 {
		_, err = h.svc.SetLadder(ctx, web.Actor(c), scope, g.ID, steps)
		fields, msg, ok := formProblem(err, nil)
		if !ok && err != nil {
			return err
		}
		for k, m := range fields {
			var i int
			if _, perr := fmt.Sscanf(k, "ladder.%d", &i); perr == nil && i >= 0 && i < len(steps) {
				st.errors[steps[i].RoleID] = m
			} else {
				st.formError = m
			}
		}
		if msg != "" {
			st.formError = msg
		}
	}
	if len(st.errors) > 0 || st.formError != "" {
		if st.formError == "" {
			st.formError = "The ladder was not saved: fix the highlighted roles."
		}
		return h.renderGroup(c, fiber.StatusUnprocessableEntity, groupForms{ladder: st})
	}
	h.app.Toast(c, "success", fmt.Sprintf("Ladder of %s saved: %d roles.", g.Name, len(steps)))
	return web.Redirect(c, view.GroupHref(g.ID))
}

// setWebhook sets or replaces the Discord webhook; the URL is never
// rendered back.
func (h *Portal) setWebhook(c *fiber.Ctx) error {
	ctx := c.UserContext()
	scope := web.PortalScope(c)
	g, err := h.svc.GetGroup(ctx, scope, c.Params("id"))
	if err != nil {
		return err
	}
	u := web.Truncate(web.Field(c, "discord_webhook"), 2000)
	var form view.WebhookForm
	if u == "" {
		form.Error = "Paste the webhook URL (https://discord.com/api/webhooks/…)."
	} else {
		_, err = h.svc.SetWebhook(ctx, web.Actor(c), scope, g.ID, u)
		fields, msg, ok := formProblem(err, nil)
		if !ok && err != nil {
			return err
		}
		form.Error, form.FormError = fields["discord_webhook"], msg
	}
	if form.Error != "" || form.FormError != "" {
		if form.FormError == "" {
			form.FormError = "The webhook was not saved (enter the URL again)."
		}
		return h.renderGroup(c, fiber.StatusUnprocessableEntity, groupForms{webhook: form})
	}
	h.app.Toast(c, "success", "Discord webhook of "+g.Name+" saved. Send a test message to check it.")
	return web.Redirect(c, view.GroupHref(g.ID))
}

func (h *Portal) removeWebhook(c *fiber.Ctx) error {
	ctx := c.UserContext()
	scope := web.PortalScope(c)
	g, err := h.svc.GetGroup(ctx, scope, c.Params("id"))
	if err != nil {
		return err
	}
	if _, err := h.svc.SetWebhook(ctx, web.Actor(c), scope, g.ID, ""); err != nil {
		return err
	}
	h.app.Toast(c, "success", "Discord webhook of "+g.Name+" removed: rank changes are no longer posted.")
	return web.Redirect(c, view.GroupHref(g.ID))
}

// testWebhook queues a test message to the group's Discord.
func (h *Portal) testWebhook(c *fiber.Ctx) error {
	ctx := c.UserContext()
	scope := web.PortalScope(c)
	g, err := h.svc.GetGroup(ctx, scope, c.Params("id"))
	if err != nil {
		return err
	}
	who := "the customer portal"
	if u := web.CurrentCustomer(c); u != nil {
		who = u.DisplayName() + " in the customer portal"
	}
	err = h.svc.Notify(ctx, web.Actor(c), scope, g.ID, ranking.NotifyInput{
		Content: "Test message from Lumira for " + g.Name + ", sent by " + who + ". Rank changes will be logged here."})
	if _, msg, ok := formProblem(err, nil); ok {
		if msg == "" {
			msg = "The test message was not sent."
		}
		return h.renderGroup(c, fiber.StatusUnprocessableEntity, groupForms{webhook: view.WebhookForm{TestError: msg}})
	}
	if err != nil {
		return err
	}
	h.app.Toast(c, "success", "Test message queued for "+g.Name+"'s Discord channel.")
	return web.Redirect(c, view.GroupHref(g.ID))
}
