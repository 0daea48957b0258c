package lumira

import (
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"

	"lumdesk/handlers/web"
	"lumdesk/internal/ranking"
	"lumdesk/internal/staff"
	"lumdesk/views/components"
	"lumdesk/views/layouts"
	view "lumdesk/views/pages/lumira"
)

func header(g ranking.Group, accountName string) view.Header {
	return view.Header{ID: g.ID, Name: g.Name, RobloxGroupID: g.RobloxGroupID, AccountID: g.AccountID, AccountName: accountName,
		Status: g.Status, StatusMessage: g.StatusMessage, Sandbox: g.Sandbox, HasKey: g.HasKey, KeyScopes: g.KeyScopes, Ceiling: g.Ceiling,
		AutoPromote: g.AutoPromote, Webhook: g.Webhook.Status, WebhookReason: g.Webhook.DisabledReason, LastSync: g.LastSyncAt,
		LastReconcile: g.LastReconciledAt}
}

func roleRows(g ranking.Group) []view.RoleRow {
	out := make([]view.RoleRow, 0, len(g.Roles))
	for _, r := range g.Roles {
		row := view.RoleRow{ID: r.ID, Name: r.Name, Rank: r.Rank, InLadder: r.InLadder, Assignable: r.Assignable,
			Points: strconv.FormatInt(r.PointsRequired, 10)}
		if r.LadderPosition != nil {
			row.Position = strconv.Itoa(*r.LadderPosition)
		}
		if r.MemberCount != nil {
			row.MemberCount = strconv.FormatInt(*r.MemberCount, 10)
		}
		out = append(out, row)
	}
	return out
}

func roleLabel(g ranking.Group, id string, rank *int) string {
	if id == "" && rank == nil {
		return ""
	}
	name := ""
	if r, ok := g.RoleByID(id); ok {
		name = r.Name
	}
	switch {
	case rank == nil:
		return name
	case name == "":
		return "Rank " + strconv.Itoa(*rank)
	}
	return name + " (" + strconv.Itoa(*rank) + ")"
}

func actionRow(g ranking.Group, a ranking.Action, usernames map[int64]string) view.ActionRow {
	return view.ActionRow{ID: a.ID, GroupID: a.GroupID, UserID: a.UserID, Username: usernames[a.UserID], Kind: a.Kind,
		From: roleLabel(g, a.OldRoleID, a.OldRank), To: roleLabel(g, a.NewRoleID, a.NewRank), Delta: a.PointsDelta, Reason: a.Reason,
		Actor: a.ActorLabel, Status: a.Status, Error: a.Error, Created: a.CreatedAt}
}

// groupOrNotFound loads the page's group: an unknown one is a 404.
func (h *Lumira) loadGroup(c *fiber.Ctx) (ranking.Group, string, error) {
	ctx := c.UserContext()
	g, err := h.svc.GetGroup(ctx, all, c.Params("id"))
	if err != nil {
		return ranking.Group{}, "", err
	}
	names := h.accountNames(ctx, []ranking.Group{g})
	return g, accountName(names, g.AccountID), nil
}

func (h *Lumira) group(c *fiber.Ctx) error {
	return h.renderGroup(c, fiber.StatusOK, nil)
}

// renderGroup is the group page; edit (when not nil) sets up a refused
// form's state before the page is filled.
func (h *Lumira) renderGroup(c *fiber.Ctx, status int, edit func(v *view.GroupPage)) error {
	g, acct, err := h.loadGroup(c)
	if err != nil {
		return err
	}
	ctx := c.UserContext()
	v := view.GroupPage{H: header(g, acct), Tab: web.Field(c, "tab"), CanManage: web.Can(c, staff.PermRankingManage), CSRF: web.CSRFToken(c),
		Roles: roleRows(g), Ceiling: strconv.Itoa(g.Ceiling)}
	if edit != nil {
		edit(&v)
	}
	switch v.Tab {
	case "members":
		v.MemberQ = web.Truncate(strings.TrimSpace(web.Field(c, "q")), 100)
		var after int64
		if a := web.Field(c, "after"); a != "" {
			if n, ok := web.ParseID(a); ok {
				after = n
			} else {
				v.Error = "That page link is not valid; showing the first page."
			}
		}
		list, err := h.svc.ListMembers(ctx, all, g.ID, v.MemberQ, after, pageSize+1)
		if err != nil {
			return err
		}
		if len(list) > pageSize {
			list = list[:pageSize]
			v.MemberNext = strconv.FormatInt(list[pageSize-1].UserID, 10)
		}
		for _, m := range list {
			v.Members = append(v.Members, view.MemberRow{UserID: m.UserID, Username: m.Username, RoleName: m.RoleName, Rank: m.Rank,
				Points: m.Points, LastChange: m.LastChangeAt})
		}
	case "log":
		if err := h.fillLog(c, g, &v); err != nil {
			return err
		}
	case "reconciliation":
		fs, err := h.svc.Findings(ctx, all, g.ID, ranking.MaxLogLimit)
		if err != nil {
			return err
		}
		for _, f := range fs {
			row := view.FindingRow{UserID: f.UserID, From: roleLabel(g, f.FromRoleID, f.FromRank), To: roleLabel(g, f.ToRoleID, f.ToRank),
				By: f.ChangedByName, Changed: f.ChangedAt, Source: f.Source, ActionID: f.ActionID, Found: f.FoundAt}
			if row.To == "" {
				row.To = "left the group"
			}
			if row.By == "" && f.ChangedByID != nil {
				row.By = "User " + strconv.FormatInt(*f.ChangedByID, 10)
			}
			if row.By == "" {
				row.By = "Unknown"
			}
			v.Findings = append(v.Findings, row)
		}
	case "discord", "history":
	default:
		v.Tab = "ladder"
	}
	return web.Render(c, status, view.GroupDetail(h.page(c, g.Name, layouts.Crumb{Label: g.Name}), v))
}

// fillLog reads the Log tab. The service pages by action; the kind and
// status filters are applied here to whole pages of it, read on (at most
// logScan pages) until the page has rows, so the keyset cursor is always
// the service's own.
func (h *Lumira) fillLog(c *fiber.Ctx, g ranking.Group, v *view.GroupPage) error {
	ctx := c.UserContext()
	v.Kind, v.ActionStatus = web.Field(c, "kind"), web.Field(c, "status")
	var problems []string
	if !validOption(view.KindOptions, v.Kind) {
		v.Kind = ""
		problems = append(problems, "Unknown kind filter; showing every kind.")
	}
	if !validOption(view.ActionStatusOptions, v.ActionStatus) {
		v.ActionStatus = ""
		problems = append(problems, "Unknown status filter; showing every status.")
	}
	cursor := web.Field(c, "cursor")
	v.LogCursor = cursor
	f := ranking.LogFilter{Cursor: cursor, Limit: pageSize, Kind: v.Kind, Status: v.ActionStatus}
	page, err := h.svc.Logs(ctx, all, g.ID, f)
	if web.FieldErrors(err, nil) != nil && cursor != "" {
		problems = append(problems, "That page link is not valid; showing the first page.")
		f.Cursor, v.LogCursor = "", ""
		page, err = h.svc.Logs(ctx, all, g.ID, f)
	}
	if err != nil {
		return err
	}
	rows := page.Items
	v.LogNext = page.NextCursor
	v.Error = strings.Join(problems, " ")
	usernames := h.usernames(c, g.ID)
	for _, a := range rows {
		v.Actions = append(v.Actions, actionRow(g, a, usernames))
	}
	return nil
}

func validOption(opts []components.Option, v string) bool {
	for _, o := range opts {
		if o.Value == v {
			return true
		}
	}
	return false
}

// usernames are the group's members' names Lumira knows (the first page
// of members), for the log's rows.
func (h *Lumira) usernames(c *fiber.Ctx, groupID string) map[int64]string {
	out := map[int64]string{}
	list, err := h.svc.ListMembers(c.UserContext(), all, groupID, "", 0, ranking.MaxLogLimit)
	if err != nil {
		return out
	}
	for _, m := range list {
		if m.Username != "" {
			out[m.UserID] = m.Username
		}
	}
	return out
}

// refused says how a form's post failed: field messages, a message for
// the whole form (one of the service's outcomes), or neither (err is
// returned as is: nil, a 404, or a failure).
func refused(err error, rename map[string]string) (fields map[string]string, msg string) {
	if fe := web.FieldErrors(err, rename); fe != nil {
		return fe, ""
	}
	if e := rankErr(err); e != nil && !errors.Is(err, ranking.ErrGroupNotFound) && !errors.Is(err, ranking.ErrActionNotFound) {
		return nil, web.Capitalize(strings.TrimSuffix(e.Error(), ".")) + "."
	}
	return nil, ""
}

func (h *Lumira) done(c *fiber.Ctx, groupID, tab, msg string) error {
	h.app.Toast(c, "success", msg)
	return web.Redirect(c, view.GroupTabHref(groupID, tab))
}

// setLadder saves the Ladder tab's form: the checked roles, in the order
// given (then by rank), with their points thresholds.
func (h *Lumira) setLadder(c *fiber.Ctx) error {
	g, _, err := h.loadGroup(c)
	if err != nil {
		return err
	}
	rows := roleRows(g)
	type step struct {
		pos  int
		rank int
		st   ranking.LadderStep
		row  int
	}
	var steps []step
	bad := false
	for i := range rows {
		r := &rows[i]
		r.InLadder = web.Field(c, "in_"+r.ID) != ""
		r.Position = web.Truncate(web.Field(c, "pos_"+r.ID), 10)
		r.Points = web.Truncate(web.Field(c, "pts_"+r.ID), 20)
		if !r.InLadder {
			continue
		}
		pos := r.Rank
		if r.Position != "" {
			n, err := strconv.Atoi(r.Position)
			if err != nil || n < 1 || n > 255 {
				r.PositionErr, bad = "Enter a whole number from 1 to 255, or leave it empty.", true
			}
			pos = n
		}
		pts := int64(0)
		if r.Points != "" {
			n, err := strconv.ParseInt(r.Points, 10, 64)
			if err != nil || n < 0 {
				r.PointsErr, bad = "Enter 0 or a whole number of points above it.", true
			}
			pts = n
		}
		steps = append(steps, step{pos: pos, rank: r.Rank, st: ranking.LadderStep{RoleID: r.ID, PointsRequired: pts}, row: i})
	}
	sort.SliceStable(steps, func(i, j int) bool {
		if steps[i].pos != steps[j].pos {
			return steps[i].pos < steps[j].pos
		}
		return steps[i].rank < steps[j].rank
	})
	msg := ""
	if !bad {
		in := make([]ranking.LadderStep, len(steps))
		for i, s := range steps {
			in[i] = s.st
		}
		_, err := h.svc.SetLadder(c.UserContext(), web.Actor(c), all, g.ID, in)
		fields, m := refused(err, nil)
		switch {
		case fields != nil:
			for k, e := range fields {
				var i int
				if _, err := fmt.Sscanf(k, "Ladder.%d", &i); err == nil && i < len(steps) {
					rows[steps[i].row].PointsErr = e
				} else if _, err := fmt.Sscanf(k, "ladder.%d", &i); err == nil && i < len(steps) {
					rows[steps[i].row].PointsErr = e
				} else {
					msg = strings.TrimSpace(msg + " " + e)
				}
			}
		case m != "":
			msg = m
		case err != nil:
			return err
		default:
			return h.done(c, g.ID, "ladder", "Ladder saved.")
		}
	}
	if msg == "" {
		msg = "The ladder was not saved: fix the fields marked below."
	}
	return h.renderGroup(c, fiber.StatusUnprocessableEntity, func(v *view.GroupPage) {
		v.Tab, v.Roles, v.LadderError = "ladder", rows, msg
	})
}

func (h *Lumira) syncRoles(c *fiber.Ctx) error {
	id := c.Params("id")
	_, err := h.svc.SyncRoles(c.UserContext(), web.Actor(c), all, id)
	if _, m := refused(err, nil); m != "" {
		h.app.Toast(c, "error", "Roles not synced: "+m)
		return web.Redirect(c, view.GroupTabHref(id, "ladder"))
	}
	if err != nil {
		return err
	}
	return h.done(c, id, "ladder", "Roles synced.")
}

func (h *Lumira) settings(c *fiber.Ctx) error {
	g, _, err := h.loadGroup(c)
	if err != nil {
		return err
	}
	ceiling := web.Truncate(web.Field(c, "ceiling"), 10)
	fail := func(fields map[string]string, msg string) error {
		return h.renderGroup(c, fiber.StatusUnprocessableEntity, func(v *view.GroupPage) {
			v.Tab, v.Ceiling, v.SettingsErrors, v.LadderError = "ladder", ceiling, fields, msg
		})
	}
	n, perr := strconv.Atoi(ceiling)
	if perr != nil || n < 2 || n > 255 {
		return fail(map[string]string{"ceiling": "Enter a rank from 2 to 255."}, "Settings not saved: the ceiling is not a rank.")
	}
	ctx, actor := c.UserContext(), web.Actor(c)
	if n != g.Ceiling {
		_, err := h.svc.SetCeiling(ctx, actor, all, g.ID, n)
		if fields, m := refused(err, nil); fields != nil || m != "" {
			return fail(fields, "Settings not saved. "+m)
		} else if err != nil {
			return err
		}
	}
	if on := web.Field(c, "auto_promote") != ""; on != g.AutoPromote {
		_, err := h.svc.SetAutoPromote(ctx, actor, all, g.ID, on)
		if fields, m := refused(err, nil); fields != nil || m != "" {
			return fail(fields, "Settings not saved. "+m)
		} else if err != nil {
			return err
		}
	}
	return h.done(c, g.ID, "ladder", "Settings saved.")
}

func (h *Lumira) setWebhook(c *fiber.Ctx) error {
	id := c.Params("id")
	url := web.Truncate(strings.TrimSpace(web.Field(c, "discord_webhook")), 600)
	remove := web.Field(c, "remove") != ""
	if remove {
		url = ""
	}
	var err error
	if url == "" && !remove {
		// Removing takes its own button: an empty field is a slip.
		err = ranking.ValidationError{"discord_webhook": "Enter the webhook URL."}
	} else {
		_, err = h.svc.SetWebhook(c.UserContext(), web.Actor(c), all, id, url)
	}
	if fields, m := refused(err, nil); fields != nil || m != "" {
		return h.renderGroup(c, fiber.StatusUnprocessableEntity, func(v *view.GroupPage) {
			v.Tab, v.WebhookURL = "discord", url
			v.WebhookError = fields["discord_webhook"]
			if v.WebhookError == "" {
				v.WebhookError = strings.TrimSpace(m + " " + web.FieldErrorsText(fields))
			}
			v.Error = "The webhook was not saved."
		})
	}
	if err != nil {
		return err
	}
	if url == "" {
		return h.done(c, id, "discord", "Webhook removed.")
	}
	return h.done(c, id, "discord", "Webhook saved.")
}

func (h *Lumira) sendTest(c *fiber.Ctx) error {
	id := c.Params("id")
	err := h.svc.Notify(c.UserContext(), web.Actor(c), all, id, ranking.NotifyInput{
		Content: "Test message from Lumdesk: this channel receives the group's rank changes."})
	if _, m := refused(err, nil); m != "" {
		h.app.Toast(c, "error", "Test not sent: "+m)
		return web.Redirect(c, view.GroupTabHref(id, "discord"))
	}
	if err != nil {
		return err
	}
	return h.done(c, id, "discord", "Test message queued for Discord.")
}

func (h *Lumira) reconcile(c *fiber.Ctx) error {
	id := c.Params("id")
	res, err := h.svc.Reconcile(c.UserContext(), web.Actor(c), all, id)
	if _, m := refused(err, nil); m != "" {
		h.app.Toast(c, "error", "Reconciliation failed: "+m)
		return web.Redirect(c, view.GroupTabHref(id, "reconciliation"))
	}
	if err != nil {
		return err
	}
	return h.done(c, id, "reconciliation", fmt.Sprintf("Reconciled: %d members checked, %d outside changes found.", res.Checked, len(res.Findings)))
}
