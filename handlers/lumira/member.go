package lumira

import (
	"errors"
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

// userParam is the page's Roblox user ID: anything else is a 404.
func userParam(c *fiber.Ctx) (int64, error) {
	id, ok := web.ParseID(c.Params("user"))
	if !ok {
		return 0, fiber.NewError(fiber.StatusNotFound, "There is no member at this address.")
	}
	return id, nil
}

func (h *Lumira) member(c *fiber.Ctx) error {
	return h.renderMember(c, fiber.StatusOK, view.MemberForm{})
}

// renderMember is the member page: the member as Roblox says now (or as
// last read when Roblox does not answer), the rank forms and the history.
func (h *Lumira) renderMember(c *fiber.Ctx, status int, form view.MemberForm) error {
	uid, err := userParam(c)
	if err != nil {
		return err
	}
	g, _, err := h.loadGroup(c)
	if err != nil {
		return err
	}
	ctx := c.UserContext()
	v := view.MemberPage{GroupID: g.ID, GroupName: g.Name, Sandbox: g.Sandbox, UserID: uid, CanManage: web.Can(c, staff.PermRankingManage),
		CSRF: web.CSRFToken(c), Form: form}
	m, err := h.svc.GetMember(ctx, all, g.ID, uid)
	if err != nil {
		if errors.Is(err, ranking.ErrUserNotInGroup) || errors.Is(err, ranking.ErrGroupNotFound) {
			return err
		}
		e := rankErr(err)
		if e == nil {
			return err
		}
		// Roblox did not answer: show what Lumira last read.
		v.ReadError = "Roblox could not be read, so this is what Lumira last saw: " + e.Error()
		list, lerr := h.svc.ListMembers(ctx, all, g.ID, strconv.FormatInt(uid, 10), 0, 1)
		if lerr != nil {
			return lerr
		}
		if len(list) == 0 || list[0].UserID != uid {
			return err
		}
		m = list[0]
	}
	v.Username, v.RoleName, v.Rank, v.Points, v.LastChange, v.RoleID = m.Username, m.RoleName, m.Rank, m.Points, m.LastChangeAt, m.RoleID
	for _, r := range g.Roles {
		if r.Assignable {
			v.Roles = append(v.Roles, components.Option{Value: r.ID, Label: r.Name + " (" + strconv.Itoa(r.Rank) + ")"})
		}
	}
	page, err := h.svc.Logs(ctx, all, g.ID, ranking.LogFilter{UserID: uid, Limit: pageSize})
	if err != nil {
		return err
	}
	names := map[int64]string{uid: m.Username}
	for _, a := range page.Items {
		v.Actions = append(v.Actions, actionRow(g, a, names))
	}
	name := m.Username
	if name == "" {
		name = "User " + strconv.FormatInt(uid, 10)
	}
	return web.Render(c, status, view.MemberDetail(h.page(c, name, layouts.Crumb{Label: g.Name, Href: view.GroupTabHref(g.ID, "members")},
		layouts.Crumb{Label: name}), v))
}

// change runs one of the member page's forms: a refusal (bad input, a
// rule, Roblox not answering) re-renders the page with the form's
// message; an unknown group or member is a 404.
func (h *Lumira) change(c *fiber.Ctx, form view.MemberForm, run func(uid int64) (ranking.Change, error), done func(ranking.Change) string) error {
	uid, err := userParam(c)
	if err != nil {
		return err
	}
	var ch ranking.Change
	if form.Reason == "" {
		// The service takes changes without one (the API's callers); the
		// console asks staff to say why.
		err = ranking.ValidationError{"reason": "Give a reason: it is kept in the member's history."}
	} else {
		ch, err = run(uid)
	}
	fields, msg := refused(err, map[string]string{"rank": "role_id"})
	if fields != nil || msg != "" {
		form.Errors = fields
		if msg == "" {
			msg = strings.TrimSuffix(web.FieldErrorsText(fields), ".") + "."
		}
		form.Error = "Nothing changed: " + strings.TrimSuffix(msg, ".") + "."
		return h.renderMember(c, fiber.StatusUnprocessableEntity, form)
	}
	if err != nil {
		return err
	}
	h.app.Toast(c, "success", done(ch))
	return web.Redirect(c, view.MemberHref(c.Params("id"), uid))
}

func reasonOf(c *fiber.Ctx) string {
	return web.Truncate(strings.TrimSpace(web.FieldText(c, "reason")), ranking.MaxReason+10)
}

func rankDone(verb string) func(ranking.Change) string {
	return func(ch ranking.Change) string {
		if !ch.Changed {
			return "Nothing to change: the member already holds " + ch.NewRole.Name + "."
		}
		if ch.Action != nil && ch.Action.Status == ranking.ActionPending {
			return verb + " sent to Roblox; waiting for its answer."
		}
		return verb + ": now " + ch.NewRole.Name + "."
	}
}

func (h *Lumira) setRank(c *fiber.Ctx) error {
	form := view.MemberForm{Action: "set", Role: web.Truncate(web.Field(c, "role_id"), 100), Reason: reasonOf(c)}
	return h.change(c, form, func(uid int64) (ranking.Change, error) {
		if form.Role == "" {
			return ranking.Change{}, ranking.ValidationError{"role_id": "Choose a role."}
		}
		return h.svc.SetRank(c.UserContext(), web.Actor(c), all, c.Params("id"), uid, ranking.RankInput{RoleID: form.Role, Reason: form.Reason})
	}, rankDone("Rank set"))
}

func (h *Lumira) promote(c *fiber.Ctx) error {
	form := view.MemberForm{Action: "promote", Reason: reasonOf(c)}
	return h.change(c, form, func(uid int64) (ranking.Change, error) {
		return h.svc.Promote(c.UserContext(), web.Actor(c), all, c.Params("id"), uid, form.Reason)
	}, rankDone("Promoted"))
}

func (h *Lumira) demote(c *fiber.Ctx) error {
	form := view.MemberForm{Action: "demote", Reason: reasonOf(c)}
	return h.change(c, form, func(uid int64) (ranking.Change, error) {
		return h.svc.Demote(c.UserContext(), web.Actor(c), all, c.Params("id"), uid, form.Reason)
	}, rankDone("Demoted"))
}

func (h *Lumira) points(c *fiber.Ctx) error {
	form := view.MemberForm{Action: "points", Delta: web.Truncate(strings.TrimSpace(web.Field(c, "delta")), 20), Reason: reasonOf(c)}
	return h.change(c, form, func(uid int64) (ranking.Change, error) {
		d, err := strconv.ParseInt(strings.TrimPrefix(form.Delta, "+"), 10, 64)
		if err != nil {
			return ranking.Change{}, ranking.ValidationError{"delta": "Enter a whole number of points, negative to take some away."}
		}
		return h.svc.AddPoints(c.UserContext(), web.Actor(c), all, c.Params("id"), uid, d, form.Reason)
	}, func(ch ranking.Change) string {
		msg := "Points changed: now " + strconv.FormatInt(ch.Points, 10) + "."
		if ch.Changed {
			msg += " Auto-promoted to " + ch.NewRole.Name + "."
		}
		return msg
	})
}

func (h *Lumira) action(c *fiber.Ctx) error {
	ctx := c.UserContext()
	a, err := h.svc.GetAction(ctx, all, c.Params("id"))
	if err != nil {
		return err
	}
	g, err := h.svc.GetGroup(ctx, all, a.GroupID)
	if err != nil {
		return err
	}
	names := map[int64]string{}
	if list, err := h.svc.ListMembers(ctx, all, g.ID, strconv.FormatInt(a.UserID, 10), 0, 1); err == nil && len(list) == 1 {
		names[a.UserID] = list[0].Username
	}
	v := view.ActionPage{A: actionRow(g, a, names), GroupName: g.Name}
	title := view.KindLabel(a.Kind) + " " + a.ID
	return web.Render(c, fiber.StatusOK, view.ActionDetail(h.page(c, title, layouts.Crumb{Label: g.Name, Href: view.GroupTabHref(g.ID, "log")},
		layouts.Crumb{Label: a.ID}), v))
}
