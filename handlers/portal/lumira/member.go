package lumira

import (
	"errors"
	"fmt"
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

// historyRead is how many of a member's actions the member page shows.
const historyRead = 50

var errNoMember = fiber.NewError(fiber.StatusNotFound, "There is no such member of this group.")

// lookup finds a member by username or user ID and opens their page; what
// it cannot find is a message on the group page.
func (h *Portal) lookup(c *fiber.Ctx) error {
	ctx := c.UserContext()
	scope := web.PortalScope(c)
	g, err := h.svc.GetGroup(ctx, scope, c.Params("id"))
	if err != nil {
		return err
	}
	q := web.Truncate(web.Field(c, "q"), 40)
	fail := func(msg string) error {
		return h.renderGroup(c, fiber.StatusUnprocessableEntity, groupForms{lookup: q, lookupError: msg})
	}
	if q == "" {
		return fail("Enter a Roblox username or user ID.")
	}
	var userID int64
	if n, err := strconv.ParseInt(q, 10, 64); err == nil {
		if n <= 0 {
			return fail("A Roblox user ID is a positive number.")
		}
		userID = n
	} else {
		u, err := h.svc.LookupUsername(ctx, scope, q)
		if errors.Is(err, ranking.ErrUserNotFound) {
			return fail("No Roblox user is named " + q + ".")
		}
		if fields, msg, ok := formProblem(err, nil); ok {
			return fail(firstOf(fields, msg))
		}
		if err != nil {
			return err
		}
		userID = u.UserID
	}
	_, err = h.svc.GetMember(ctx, scope, g.ID, userID)
	if errors.Is(err, ranking.ErrUserNotInGroup) {
		return fail(q + " is not in this group.")
	}
	if fields, msg, ok := formProblem(err, nil); ok {
		return fail(firstOf(fields, msg))
	}
	if err != nil {
		return err
	}
	return web.Redirect(c, view.MemberHref(g.ID, userID))
}

func firstOf(fields map[string]string, msg string) string {
	if msg != "" {
		return msg
	}
	for _, m := range components.SortedMessages(fields) {
		return m
	}
	return "That did not work."
}

// memberGroup is the group of the request and the member's user ID (an id
// that is not one is not found).
func (h *Portal) memberGroup(c *fiber.Ctx) (ranking.Group, int64, error) {
	g, err := h.svc.GetGroup(c.UserContext(), web.PortalScope(c), c.Params("id"))
	if err != nil {
		return g, 0, err
	}
	id, err := strconv.ParseInt(c.Params("user"), 10, 64)
	if err != nil || id <= 0 || id > 1<<53 {
		return g, 0, errNoMember
	}
	return g, id, nil
}

func (h *Portal) member(c *fiber.Ctx) error {
	g, userID, err := h.memberGroup(c)
	if err != nil {
		return err
	}
	return h.renderMember(c, fiber.StatusOK, g, userID, view.MemberForms{})
}

func (h *Portal) renderMember(c *fiber.Ctx, status int, g ranking.Group, userID int64, forms view.MemberForms) error {
	ctx := c.UserContext()
	scope := web.PortalScope(c)
	v := view.MemberPage{GroupID: g.ID, GroupName: g.Name, Sandbox: g.Sandbox, UserID: userID, Points: "0", Forms: forms,
		CanDevelop: web.CustomerMay(c, customers.PermDevelop), CSRF: web.CSRFToken(c)}
	m, err := h.svc.GetMember(ctx, scope, g.ID, userID)
	switch {
	case err == nil:
	case errors.Is(err, ranking.ErrUserNotInGroup) && web.IsGet(c):
		return errNoMember
	default:
		if _, _, ok := formProblem(err, nil); !ok && !errors.Is(err, ranking.ErrUserNotInGroup) {
			return err
		}
		// Roblox could not be asked (or the member left): what Lumira last saw.
		v.Error = "The member's rank could not be read from Roblox: " + message(err) + " Showing what Lumira last saw."
		cached, lerr := h.svc.ListMembers(ctx, scope, g.ID, strconv.FormatInt(userID, 10), 0, 1)
		if lerr != nil {
			return lerr
		}
		if len(cached) == 0 || cached[0].UserID != userID {
			if web.IsGet(c) {
				return errNoMember
			}
		} else {
			m = cached[0]
		}
	}
	v.Username, v.Role, v.Rank, v.Points, v.LastChange = m.Username, m.RoleName, m.Rank, num(m.Points), m.LastChangeAt
	for _, r := range g.Roles {
		if r.Assignable {
			v.Roles = append(v.Roles, view.RoleOption{Value: strconv.Itoa(r.Rank), Label: fmt.Sprintf("%s (rank %d)", r.Name, r.Rank)})
		}
	}
	if v.Forms.Rank.Rank == "" && m.RoleName != "" {
		v.Forms.Rank.Rank = strconv.Itoa(m.Rank)
	}
	for _, f := range []*view.MemberForm{&v.Forms.Promote, &v.Forms.Demote, &v.Forms.Rank, &v.Forms.Points} {
		if f.Errors == nil {
			f.Errors = map[string]string{}
		}
	}
	page, err := h.svc.Logs(ctx, scope, g.ID, ranking.LogFilter{UserID: userID, Limit: historyRead})
	if err != nil {
		return err
	}
	names := map[int64]string{userID: m.Username}
	for _, a := range page.Items {
		v.History = append(v.History, actionRow(g, a, names))
	}
	title := v.Username
	if title == "" {
		title = "User " + strconv.FormatInt(userID, 10)
	}
	return web.Render(c, status, view.MemberDetail(h.page(c, title, crumb, layouts.Crumb{Label: g.Name, Href: view.GroupHref(g.ID)},
		layouts.Crumb{Label: title}), v))
}

// changeResult answers a member form: a refused change is that form's
// message on the member page, a done one a toast and the member page.
func (h *Portal) changeResult(c *fiber.Ctx, g ranking.Group, userID int64, forms *view.MemberForms, form *view.MemberForm,
	ch ranking.Change, err error, verb string) error {
	if fields, msg, ok := formProblem(err, map[string]string{"role_id": "rank"}); ok || errors.Is(err, ranking.ErrUserNotInGroup) {
		if errors.Is(err, ranking.ErrUserNotInGroup) {
			msg = "The user is not in the group (any more)."
		}
		form.Errors, form.FormError = fields, msg
		if form.Errors == nil {
			form.Errors = map[string]string{}
		}
		if form.FormError == "" {
			form.FormError = "Nothing was changed: " + strings.TrimSuffix(firstOf(fields, ""), ".") + "."
			if fields["reason"] != "" || fields["delta"] != "" || fields["rank"] != "" {
				form.FormError = "Nothing was changed: fix the highlighted field."
			}
		}
		return h.renderMember(c, fiber.StatusUnprocessableEntity, g, userID, *forms)
	}
	if err != nil {
		return err
	}
	who := h.memberName(c, g, userID)
	switch {
	case ch.Changed:
		h.app.Toast(c, "success", fmt.Sprintf("%s %s: %s (%d) → %s (%d).", who, verb, ch.OldRole.Name, ch.OldRole.Rank, ch.NewRole.Name, ch.NewRole.Rank))
	case ch.PointsAction != nil:
		h.app.Toast(c, "success", fmt.Sprintf("%s now has %d points.", who, ch.Points))
	default:
		h.app.Toast(c, "info", fmt.Sprintf("%s already holds %s (%d): nothing changed.", who, ch.NewRole.Name, ch.NewRole.Rank))
	}
	return web.Redirect(c, view.MemberHref(g.ID, userID))
}

func reasonOf(c *fiber.Ctx) string {
	return web.Truncate(web.Field(c, "reason"), 4*ranking.MaxReason+1)
}

func (h *Portal) promote(c *fiber.Ctx) error {
	g, userID, err := h.memberGroup(c)
	if err != nil {
		return err
	}
	var forms view.MemberForms
	forms.Promote.Reason = reasonOf(c)
	ch, err := h.svc.Promote(c.UserContext(), web.Actor(c), web.PortalScope(c), g.ID, userID, forms.Promote.Reason)
	return h.changeResult(c, g, userID, &forms, &forms.Promote, ch, err, "promoted")
}

func (h *Portal) demote(c *fiber.Ctx) error {
	g, userID, err := h.memberGroup(c)
	if err != nil {
		return err
	}
	var forms view.MemberForms
	forms.Demote.Reason = reasonOf(c)
	ch, err := h.svc.Demote(c.UserContext(), web.Actor(c), web.PortalScope(c), g.ID, userID, forms.Demote.Reason)
	return h.changeResult(c, g, userID, &forms, &forms.Demote, ch, err, "demoted")
}

func (h *Portal) setRank(c *fiber.Ctx) error {
	g, userID, err := h.memberGroup(c)
	if err != nil {
		return err
	}
	var forms view.MemberForms
	forms.Rank.Reason, forms.Rank.Rank = reasonOf(c), web.Truncate(web.Field(c, "rank"), 10)
	rank, perr := strconv.Atoi(forms.Rank.Rank)
	if perr != nil {
		forms.Rank.Errors = map[string]string{"rank": "Choose a role."}
		forms.Rank.FormError = "Nothing was changed: fix the highlighted field."
		return h.renderMember(c, fiber.StatusUnprocessableEntity, g, userID, forms)
	}
	ch, err := h.svc.SetRank(c.UserContext(), web.Actor(c), web.PortalScope(c), g.ID, userID, ranking.RankInput{Rank: &rank, Reason: forms.Rank.Reason})
	return h.changeResult(c, g, userID, &forms, &forms.Rank, ch, err, "ranked")
}

func (h *Portal) addPoints(c *fiber.Ctx) error {
	g, userID, err := h.memberGroup(c)
	if err != nil {
		return err
	}
	var forms view.MemberForms
	forms.Points.Reason, forms.Points.Delta = reasonOf(c), web.Truncate(web.Field(c, "delta"), 20)
	delta, perr := strconv.ParseInt(strings.TrimPrefix(forms.Points.Delta, "+"), 10, 64)
	if perr != nil {
		forms.Points.Errors = map[string]string{"delta": "Enter a whole number of points, such as 10 or -5."}
		forms.Points.FormError = "Nothing was changed: fix the highlighted field."
		return h.renderMember(c, fiber.StatusUnprocessableEntity, g, userID, forms)
	}
	ch, err := h.svc.AddPoints(c.UserContext(), web.Actor(c), web.PortalScope(c), g.ID, userID, delta, forms.Points.Reason)
	return h.changeResult(c, g, userID, &forms, &forms.Points, ch, err, "auto-promoted")
}

// memberName is the member's username as last seen, else their user ID.
func (h *Portal) memberName(c *fiber.Ctx, g ranking.Group, userID int64) string {
	id := strconv.FormatInt(userID, 10)
	ms, err := h.svc.ListMembers(c.UserContext(), web.PortalScope(c), g.ID, id, 0, 1)
	if err == nil && len(ms) == 1 && ms[0].UserID == userID && ms[0].Username != "" {
		return ms[0].Username
	}
	return id
}
