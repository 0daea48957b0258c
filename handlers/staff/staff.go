package staff

import (
	"context"
	"errors"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/utils"

	"lumdesk/handlers/web"
	"lumdesk/internal/audit"
	"lumdesk/internal/product"
	"lumdesk/internal/staff"
	"lumdesk/views/components"
	"lumdesk/views/layouts"
	staffviews "lumdesk/views/pages/staff"
)

// StaffAdmin is what the staff pages need of the staff service.
type StaffAdmin interface {
	Create(ctx context.Context, actor audit.Actor, in staff.CreateInput) (staff.User, error)
	Get(ctx context.Context, id int64) (staff.User, error)
	List(ctx context.Context) ([]staff.User, error)
	ChangeRole(ctx context.Context, actor audit.Actor, id int64, role, reason string) (staff.User, error)
	Disable(ctx context.Context, actor audit.Actor, id int64, reason string) (staff.User, error)
	Enable(ctx context.Context, actor audit.Actor, id int64, reason string) (staff.User, error)
	ResetPassword(ctx context.Context, actor audit.Actor, id int64, password, reason string) (staff.User, error)
	RevokeSessions(ctx context.Context, actor audit.Actor, id int64, reason string) (int64, error)
	ResetTOTP(ctx context.Context, actor audit.Actor, id int64, reason string) (staff.User, error)
	ListSessions(ctx context.Context, staffID int64, currentHash []byte) ([]staff.Session, error)
	MustEnrolTOTP(u staff.User) bool
	Demo() bool
}

// Pages serves /staff: the list, invites, and a staff member's page with
// its actions (role, disable/enable, password, sessions, two-factor).
type Pages struct {
	app *web.App
	svc StaffAdmin
}

// NewPages makes the route group.
func NewPages(svc StaffAdmin) *Pages { return &Pages{svc: svc} }

const maxReason = 500

func (h *Pages) row(u staff.User, self int64) staffviews.Row {
	return staffviews.Row{ID: u.ID, Name: u.Name, Email: u.Email, Role: string(u.Role), TOTP: u.TOTPEnabled,
		TOTPRequired: !h.svc.Demo() && u.Role.RequiresTOTP() && !u.TOTPEnabled, Disabled: u.Disabled,
		Created: u.CreatedAt, Self: u.ID == self}
}

func (h *Pages) list(c *fiber.Ctx) error {
	me := web.CurrentUser(c)
	all, err := h.svc.List(c.UserContext())
	if err != nil {
		return err
	}
	l := staffviews.List{Q: strings.TrimSpace(web.Truncate(c.Query("q"), 200)), Total: len(all)}
	if r, ok := staff.ParseRole(c.Query("role")); ok {
		l.Role = string(r)
	}
	switch s := c.Query("sort"); s {
	case "name", "-name", "created", "-created":
		l.Sort = s
	}
	l.Q = utils.CopyString(l.Q)
	q := strings.ToLower(l.Q)
	for _, u := range all {
		if l.Role != "" && string(u.Role) != l.Role {
			continue
		}
		if q != "" && !strings.Contains(strings.ToLower(u.Name), q) && !strings.Contains(strings.ToLower(u.Email), q) {
			continue
		}
		l.Rows = append(l.Rows, h.row(u, me.ID))
	}
	sortRows(l.Rows, all, l.Sort)
	// Staff are few and filtered here in full, so the count is exact.
	l.Bar = h.app.ListBar(c, "/staff", strings.TrimPrefix(l.Href(l.Sort), "/staff"), l.ActiveFilters())
	l.Bar.Count = components.Counted(int64(len(l.Rows)), false, "staff user", "staff users")
	p := h.app.Page(c, "Staff", "staff", layouts.Crumb{Label: "Staff"})
	return web.Render(c, fiber.StatusOK, staffviews.ListPage(p, l))
}

// sortRows orders the list; the default (service) order is active first, by email.
func sortRows(rows []staffviews.Row, all []staff.User, sort string) {
	created := make(map[int64]time.Time, len(all))
	for _, u := range all {
		created[u.ID] = u.CreatedAt
	}
	key := strings.TrimPrefix(sort, "-")
	desc := strings.HasPrefix(sort, "-")
	slices.SortStableFunc(rows, func(a, b staffviews.Row) int {
		var n int
		switch key {
		case "name":
			n = strings.Compare(strings.ToLower(a.DisplayName()), strings.ToLower(b.DisplayName()))
		case "created":
			n = created[a.ID].Compare(created[b.ID])
		default:
			return 0
		}
		if n == 0 {
			n = int(a.ID - b.ID)
		}
		if desc {
			return -n
		}
		return n
	})
}

func (h *Pages) newForm() staffviews.NewForm {
	return staffviews.NewForm{Errors: map[string]string{}, TOTPEnforced: !h.svc.Demo()}
}

func (h *Pages) newPage(c *fiber.Ctx) error {
	return h.renderNew(c, fiber.StatusOK, h.newForm())
}

func (h *Pages) renderNew(c *fiber.Ctx, status int, f staffviews.NewForm) error {
	p := h.app.Page(c, "Invite staff", "staff", layouts.Crumb{Label: "Staff", Href: "/staff"}, layouts.Crumb{Label: "Invite"})
	return web.Render(c, status, staffviews.NewPage(p, f))
}

func (h *Pages) create(c *fiber.Ctx) error {
	f := h.newForm()
	f.Email = utils.CopyString(web.Truncate(strings.TrimSpace(c.FormValue("email")), 300))
	f.Name = utils.CopyString(web.Truncate(strings.TrimSpace(c.FormValue("name")), 300))
	f.Role = utils.CopyString(web.Truncate(c.FormValue("role"), 20))
	password := c.FormValue("password")
	// The service checks every field at once (and writes nothing when one
	// fails), so each wrong field is marked on the first try; the form's
	// own words replace its for an empty email and an unchosen role.
	u, err := h.svc.Create(c.UserContext(), web.Actor(c), staff.CreateInput{Email: f.Email, Name: f.Name, Role: f.Role, Password: password})
	var verr staff.ValidationError
	switch {
	case errors.As(err, &verr):
		maps.Copy(f.Errors, web.FieldErrors(err, nil))
	case err != nil:
		return err
	default:
		h.app.Toast(c, "success", u.DisplayName()+" can now sign in as "+string(u.Role)+".")
		return web.Redirect(c, "/staff/"+strconv.FormatInt(u.ID, 10))
	}
	if f.Email == "" {
		f.Errors["email"] = "Enter their email address."
	}
	if _, ok := staff.ParseRole(f.Role); !ok {
		f.Errors["role"] = "Choose a role."
		f.Role = ""
	}
	if f.Errors["password"] == "" && (len(password) < staff.MinPasswordLength || len(password) > 256) {
		f.Errors["password"] = web.Capitalize(staff.ErrWeakPassword.Error()) + "."
	}
	f.Error = "Fix the highlighted fields and try again."
	return h.renderNew(c, fiber.StatusUnprocessableEntity, f)
}

// target loads the staff user named by :id; bogus and unknown ids are 404.
func (h *Pages) target(c *fiber.Ctx) (staff.User, error) {
	id, ok := web.ParseID(c.Params("id"))
	if !ok {
		return staff.User{}, errStaffNotFound
	}
	u, err := h.svc.Get(c.UserContext(), id)
	if errors.Is(err, staff.ErrNotFound) {
		return u, errStaffNotFound
	}
	return u, err
}

var errStaffNotFound = fiber.NewError(fiber.StatusNotFound, "There is no staff user with that id.")

func tabOf(s string) string {
	switch s {
	case "sessions", "history":
		return s
	}
	return ""
}

// areaLabels name the console's own areas; a product's is its brand.
var areaLabels = map[string]string{
	"dashboard": "Overview", "accounts": "Accounts", "apikeys": "API keys", "audit": "Audit log", "staff": "Staff", "bot": "Discord bot",
}

// groupPermissions groups a role's permissions by area, in the order given,
// each described in words (staff.Describe).
func groupPermissions(perms []staff.Permission) []staffviews.PermGroup {
	var out []staffviews.PermGroup
	idx := map[string]int{}
	for _, p := range perms {
		area, _, _ := strings.Cut(string(p), ".")
		label := areaLabels[area]
		if pr, ok := product.Get(area); ok {
			label = pr.Brand
		} else if label == "" {
			label = components.Humanize(area)
		}
		i, ok := idx[label]
		if !ok {
			i = len(out)
			idx[label] = i
			out = append(out, staffviews.PermGroup{Area: label})
		}
		out[i].Perms = append(out[i].Perms, staffviews.Perm{Name: string(p), Label: staff.Describe(p)})
	}
	return out
}

func (h *Pages) detailView(c *fiber.Ctx, u staff.User, tab string) (staffviews.Detail, error) {
	sessions, err := h.svc.ListSessions(c.UserContext(), u.ID, web.CurrentSessionHash(c))
	if err != nil {
		return staffviews.Detail{}, err
	}
	return staffviews.Detail{User: h.row(u, web.CurrentUser(c).ID), Tab: tab, Permissions: groupPermissions(staff.PermissionsOf(u.Role)),
		Sessions: sessionRows(sessions), CSRF: web.CSRFToken(c), TOTPEnforced: !h.svc.Demo()}, nil
}

func (h *Pages) detail(c *fiber.Ctx) error {
	u, err := h.target(c)
	if err != nil {
		return err
	}
	d, err := h.detailView(c, u, tabOf(c.Query("tab")))
	if err != nil {
		return err
	}
	p := h.app.Page(c, u.DisplayName(), "staff", layouts.Crumb{Label: "Staff", Href: "/staff"}, layouts.Crumb{Label: u.DisplayName()})
	return web.Render(c, fiber.StatusOK, staffviews.DetailPage(p, d))
}

// actionForm serves an action's dialog (htmx) or its page (plain link).
func (h *Pages) actionForm(c *fiber.Ctx, kind string) error {
	u, err := h.target(c)
	if err != nil {
		return err
	}
	f := staffviews.ActionForm{Kind: kind, User: h.row(u, web.CurrentUser(c).ID), Tab: tabOf(c.Query("tab")), Role: string(u.Role)}
	// Opened by its URL, an action the detail page greys out says why,
	// rather than offer a form the service refuses.
	if why := f.User.SelfRefusal(kind); why != "" {
		f.Error, f.Refused = why, true
	}
	if web.IsHTMX(c) {
		return web.Render(c, fiber.StatusOK, staffviews.ActionDialog(web.CSRFToken(c), f))
	}
	return h.renderAction(c, fiber.StatusOK, f)
}

func (h *Pages) renderAction(c *fiber.Ctx, status int, f staffviews.ActionForm) error {
	p := h.app.Page(c, f.Meta().Title, "staff", layouts.Crumb{Label: "Staff", Href: "/staff"},
		layouts.Crumb{Label: f.User.DisplayName(), Href: f.User.Href()}, layouts.Crumb{Label: f.Meta().Submit})
	return web.Render(c, status, staffviews.ActionPage(p, f))
}

// Staff actions: input errors and refusals (yourself, the last admin)
// answer 422: a toast for htmx (the dialog stays open), the form with its
// messages otherwise.

// actionInput loads the staff user of an action and checks the fields
// every action has (the reason) and the ones of its kind (role, password).
// A form with problems comes back with ok false, already answered.
func (h *Pages) actionInput(c *fiber.Ctx, kind string) (u staff.User, f staffviews.ActionForm, password string, ok bool, err error) {
	u, err = h.target(c)
	if err != nil {
		return u, f, "", false, err
	}
	me := web.CurrentUser(c)
	f = staffviews.ActionForm{Kind: kind, User: h.row(u, me.ID), Tab: tabOf(c.FormValue("tab")), Errors: map[string]string{},
		Role:   utils.CopyString(web.Truncate(c.FormValue("role"), 20)),
		Reason: utils.CopyString(strings.TrimSpace(c.FormValue("reason")))}
	password = c.FormValue("password")
	switch {
	case f.Reason == "":
		f.Errors["reason"] = "Say why; the reason is recorded in the audit log."
	case len(f.Reason) > maxReason:
		f.Errors["reason"] = "Keep the reason under " + strconv.Itoa(maxReason) + " characters."
		f.Reason = web.Truncate(f.Reason, maxReason)
	}
	if kind == "role" {
		if _, ok := staff.ParseRole(f.Role); !ok {
			f.Errors["role"] = web.Capitalize(staff.ErrInvalidRole.Error()) + "."
			f.Role = string(u.Role)
		} else if f.Role == string(u.Role) {
			f.Errors["role"] = u.DisplayName() + " already has this role."
		}
	}
	if kind == "password" && (len(password) < staff.MinPasswordLength || len(password) > 256) {
		f.Errors["password"] = web.Capitalize(staff.ErrWeakPassword.Error()) + "."
	}
	if len(f.Errors) > 0 {
		return u, f, password, false, h.actionFailed(c, f)
	}
	return u, f, password, true, nil
}

func (h *Pages) changeRole(c *fiber.Ctx) error {
	u, f, _, ok, err := h.actionInput(c, "role")
	if !ok {
		return err
	}
	u, err = h.svc.ChangeRole(c.UserContext(), web.Actor(c), u.ID, f.Role, f.Reason)
	return h.actionDone(c, f, u, u.DisplayName()+" is now "+components.Humanize(string(u.Role))+".", false, err)
}

func (h *Pages) disable(c *fiber.Ctx) error {
	u, f, _, ok, err := h.actionInput(c, "disable")
	if !ok {
		return err
	}
	u, err = h.svc.Disable(c.UserContext(), web.Actor(c), u.ID, f.Reason)
	return h.actionDone(c, f, u, u.DisplayName()+" is disabled and signed out everywhere.", false, err)
}

func (h *Pages) enable(c *fiber.Ctx) error {
	u, f, _, ok, err := h.actionInput(c, "enable")
	if !ok {
		return err
	}
	u, err = h.svc.Enable(c.UserContext(), web.Actor(c), u.ID, f.Reason)
	return h.actionDone(c, f, u, u.DisplayName()+" can sign in again.", false, err)
}

func (h *Pages) resetPassword(c *fiber.Ctx) error {
	u, f, password, ok, err := h.actionInput(c, "password")
	if !ok {
		return err
	}
	u, err = h.svc.ResetPassword(c.UserContext(), web.Actor(c), u.ID, password, f.Reason)
	return h.actionDone(c, f, u, "Password reset; "+u.DisplayName()+" is signed out everywhere.", u.ID == web.CurrentUser(c).ID, err)
}

func (h *Pages) revokeSessions(c *fiber.Ctx) error {
	u, f, _, ok, err := h.actionInput(c, "revoke-sessions")
	if !ok {
		return err
	}
	n, err := h.svc.RevokeSessions(c.UserContext(), web.Actor(c), u.ID, f.Reason)
	msg := "Ended " + strconv.FormatInt(n, 10) + " session" + pluralS(n) + " of " + u.DisplayName() + "."
	return h.actionDone(c, f, u, msg, u.ID == web.CurrentUser(c).ID, err)
}

func (h *Pages) resetTOTP(c *fiber.Ctx) error {
	u, f, _, ok, err := h.actionInput(c, "reset-totp")
	if !ok {
		return err
	}
	u, err = h.svc.ResetTOTP(c.UserContext(), web.Actor(c), u.ID, f.Reason)
	return h.actionDone(c, f, u, "Two-factor reset; "+u.DisplayName()+" sets it up again at their next sign-in.", false, err)
}

// actionDone answers a staff action: its refusal as the form, or the new
// detail (htmx) or a redirect. An action that ended this very session (a
// password reset or sessions revoked on oneself) signs out.
func (h *Pages) actionDone(c *fiber.Ctx, f staffviews.ActionForm, u staff.User, msg string, endsOwnSession bool, err error) error {
	var verr staff.ValidationError
	switch {
	case errors.As(err, &verr):
		maps.Copy(f.Errors, web.FieldErrors(err, nil))
		return h.actionFailed(c, f)
	case errors.Is(err, staff.ErrSelf), errors.Is(err, staff.ErrLastAdmin), errors.Is(err, staff.ErrTOTPOff):
		f.Error = refusal(err)
		return h.actionFailed(c, f)
	case errors.Is(err, staff.ErrNotFound):
		return errStaffNotFound
	case err != nil:
		return err
	}
	if endsOwnSession {
		// This session's row is gone; do not save it back with a flash.
		if err := h.app.EndCurrentSession(c); err != nil {
			return err
		}
		return web.Redirect(c, "/login")
	}
	h.app.Toast(c, "success", msg)
	if !web.IsHTMX(c) {
		return web.Redirect(c, f.User.Href()+tabSuffix(f.Tab))
	}
	d, err := h.detailView(c, u, f.Tab)
	if err != nil {
		return err
	}
	return web.Render(c, fiber.StatusOK, staffviews.DetailBody(d))
}

func pluralS(n int64) string {
	if n == 1 {
		return ""
	}
	return "s"
}

func tabSuffix(tab string) string {
	if tab == "" {
		return ""
	}
	return "?tab=" + tab
}

func refusal(err error) string {
	for _, e := range []error{staff.ErrSelf, staff.ErrLastAdmin, staff.ErrTOTPOff} {
		if errors.Is(err, e) {
			return web.Capitalize(e.Error()) + "."
		}
	}
	return web.Capitalize(err.Error())
}

func (h *Pages) actionFailed(c *fiber.Ctx, f staffviews.ActionForm) error {
	if web.IsHTMX(c) {
		msg := f.Error
		if msg == "" {
			for _, k := range []string{"role", "password", "reason"} {
				if m := f.Errors[k]; m != "" {
					msg = m
					break
				}
			}
		}
		c.Set("HX-Trigger", web.ToastTrigger("error", msg))
		c.Set("HX-Reswap", "none")
		return c.Status(fiber.StatusUnprocessableEntity).SendString(msg)
	}
	return h.renderAction(c, fiber.StatusUnprocessableEntity, f)
}

func (h *Pages) roleForm(c *fiber.Ctx) error     { return h.actionForm(c, "role") }
func (h *Pages) disableForm(c *fiber.Ctx) error  { return h.actionForm(c, "disable") }
func (h *Pages) enableForm(c *fiber.Ctx) error   { return h.actionForm(c, "enable") }
func (h *Pages) passwordForm(c *fiber.Ctx) error { return h.actionForm(c, "password") }
func (h *Pages) revokeSessionsForm(c *fiber.Ctx) error {
	return h.actionForm(c, "revoke-sessions")
}
func (h *Pages) resetTOTPForm(c *fiber.Ctx) error { return h.actionForm(c, "reset-totp") }
