package licensing

// A key and its actions. Each action calls the same service method as the
// Luarmor API (ResetHWID with the API's force option, Blacklist, Unban,
// UpdateKey as its PATCH, DeleteKey), so the same rules and cooldowns apply. A refusal is the key page again with
// the message on top (422 for bad input and the cooldown, 409 when the
// key's state does not allow it); success redirects back with a toast.

import (
	"errors"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	console "lumdesk/handlers/licensing"
	"lumdesk/handlers/web"
	"lumdesk/internal/customers"
	"lumdesk/internal/licensing"
	"lumdesk/views/components"
	"lumdesk/views/layouts"
	view "lumdesk/views/pages/portal/licensing"
)

// inputTime is what datetime-local inputs send (read as UTC).
const inputTime = "2006-01-02T15:04"

// loadKey finds the key named by :id within the account, with its project.
func (h *Portal) loadKey(c *fiber.Ctx) (licensing.Scoped, licensing.Key, licensing.Project, error) {
	ctx := c.UserContext()
	id, ok := web.ParseID(c.Params("id"))
	if !ok {
		return licensing.Scoped{}, licensing.Key{}, licensing.Project{}, licensing.ErrKeyNotFound
	}
	k, err := h.scoped(c).GetKeyByID(ctx, id)
	if err != nil {
		return licensing.Scoped{}, k, licensing.Project{}, err
	}
	svc, p, err := h.scoped(c).Project(ctx, k.ProjectID)
	if errors.Is(err, licensing.ErrProjectNotFound) {
		err = licensing.ErrKeyNotFound
	}
	return svc, k, p, err
}

func (h *Portal) keyPage(c *fiber.Ctx, k licensing.Key, p licensing.Project) view.KeyPage {
	v := view.KeyView{ID: k.ID, UserKey: k.UserKey, ProjectID: k.ProjectID, ProjectName: p.Name, HWID: k.Identifier,
		Discord: k.DiscordID, Note: k.Note, Status: k.Status, Banned: k.Banned, Expired: k.Expired, BanReason: k.BanReason,
		BanExpire: timePtr(k.BanExpire), Expires: keyExpiry(k), Resets: strconv.Itoa(k.TotalResets), LastReset: timePtr(k.LastResetAt),
		Executions: num(k.TotalExecutions), LastExecution: timePtr(k.LastExecutionAt), Created: components.ExactTime(k.CreatedAt),
		CooldownLength: components.Span(p.ResetCooldown)}
	if ends := licensing.ResetCooldownEnds(p, k); ends.After(h.now()) {
		v.OnCooldown, v.CooldownEnds = true, components.ExactTime(ends)
	}
	f := console.KeyEditOf(k)
	return view.KeyPage{Key: v, CanDevelop: web.CustomerMay(c, customers.PermDevelop), Errors: map[string]string{},
		Edit: view.KeyEditForm{Note: f.Note, DiscordID: k.DiscordID, AuthExpire: f.AuthExpire, KeyDays: f.KeyDays}}
}

func (h *Portal) renderKey(c *fiber.Ctx, status int, v view.KeyPage) error {
	p := h.page(c, "Key "+v.Key.ShortKey()+"…", crumb, layouts.Crumb{Label: v.Key.ProjectName, Href: view.ProjectHref(v.Key.ProjectID)},
		layouts.Crumb{Label: v.Key.ShortKey() + "…"})
	v.CSRF = p.CSRF
	return web.Render(c, status, view.KeyDetailPage(p, v))
}

func (h *Portal) key(c *fiber.Ctx) error {
	_, k, p, err := h.loadKey(c)
	if err != nil {
		return err
	}
	return h.renderKey(c, fiber.StatusOK, h.keyPage(c, k, p))
}

// resetHWID resets the key's HWID: the project's cooldown applies unless
// force is ticked, exactly as the API's force option.
func (h *Portal) resetHWID(c *fiber.Ctx) error {
	svc, k, p, err := h.loadKey(c)
	if err != nil {
		return err
	}
	force := web.Checked(c, "force")
	_, err = svc.ResetHWID(c.UserContext(), web.Actor(c), p.ID, k.UserKey, licensing.ResetOpts{Force: force})
	return h.actionDone(c, k, p, "reset-hwid", "HWID of key "+short(k)+"… reset.", err, func(v *view.KeyPage) { v.Force = force })
}

func (h *Portal) blacklist(c *fiber.Ctx) error {
	svc, k, p, err := h.loadKey(c)
	if err != nil {
		return err
	}
	reason, expire := strings.TrimSpace(web.FieldText(c, "ban_reason")), web.Field(c, "ban_expire")
	keep := func(v *view.KeyPage) { v.BanReason, v.BanExpire = reason, expire }
	in := licensing.BlacklistInput{BanReason: reason}
	errs := map[string]string{}
	if reason == "" {
		errs["ban_reason"] = "Give the reason the user will see."
	}
	if expire != "" {
		t, ok := parseTime(expire)
		switch {
		case !ok:
			errs["ban_expire"] = "Give a date and time (UTC), or leave it empty for a ban without end."
		case !t.After(h.now()):
			errs["ban_expire"] = "The ban must end in the future, or leave it empty for a ban without end."
		default:
			in.Expire = &t
		}
	}
	if len(errs) > 0 {
		return h.actionFailed(c, k, p, "blacklist", fiber.StatusUnprocessableEntity, "The key was not blacklisted: fix the highlighted fields.", errs, keep)
	}
	_, err = svc.Blacklist(c.UserContext(), web.Actor(c), p.ID, k.UserKey, in)
	return h.actionDone(c, k, p, "blacklist", "Key "+short(k)+"… blacklisted.", err, keep)
}

func (h *Portal) unban(c *fiber.Ctx) error {
	svc, k, p, err := h.loadKey(c)
	if err != nil {
		return err
	}
	_, err = svc.Unban(c.UserContext(), web.Actor(c), p.ID, k.UserKey, "")
	return h.actionDone(c, k, p, "unban", "Key "+short(k)+"… unbanned.", err, nil)
}

// edit saves the note, Discord ID and expiry, as the API's PATCH: the
// same form reader as the console's edit page.
func (h *Portal) edit(c *fiber.Ctx) error {
	svc, k, p, err := h.loadKey(c)
	if err != nil {
		return err
	}
	f, patch, errs := console.ReadKeyEdit(c, k)
	discord := strings.TrimSpace(web.FieldText(c, "discord_id"))
	if discord != k.DiscordID {
		patch.DiscordID = &discord
	}
	keep := func(v *view.KeyPage) {
		v.Edit = view.KeyEditForm{Note: f.Note, DiscordID: discord, AuthExpire: f.AuthExpire, KeyDays: f.KeyDays}
	}
	if len(errs) > 0 {
		return h.actionFailed(c, k, p, "edit", fiber.StatusUnprocessableEntity, "The key was not saved: fix the highlighted fields.", errs, keep)
	}
	_, err = svc.UpdateKey(c.UserContext(), web.Actor(c), p.ID, k.UserKey, patch)
	return h.actionDone(c, k, p, "edit", "Key "+short(k)+"… saved.", err, keep)
}

// delete deletes the key once its first 8 characters are typed, as the
// console asks (the dialog's submit stays disabled until they are).
func (h *Portal) delete(c *fiber.Ctx) error {
	svc, k, p, err := h.loadKey(c)
	if err != nil {
		return err
	}
	if strings.TrimSpace(web.FieldText(c, "confirm")) != short(k) {
		return h.actionFailed(c, k, p, "delete", fiber.StatusUnprocessableEntity, "Type "+short(k)+" to confirm.", nil, nil)
	}
	if err := svc.DeleteKey(c.UserContext(), web.Actor(c), p.ID, k.UserKey, ""); err != nil {
		return err
	}
	// A flash, not a toast: the browser goes to the project, the key gone.
	h.app.Flash(c, "success", "Key "+short(k)+"… deleted.")
	return web.Redirect(c, view.ProjectHref(p.ID))
}

func short(k licensing.Key) string {
	if len(k.UserKey) > 8 {
		return k.UserKey[:8]
	}
	return k.UserKey
}

func parseTime(s string) (time.Time, bool) {
	for _, layout := range []string{inputTime, "2006-01-02T15:04:05", time.DateOnly} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC(), t.Year() >= 1970 && t.Year() <= 9998
		}
	}
	return time.Time{}, false
}

// actionDone answers an action: back to the key with a toast, or the key
// page with why it was refused.
func (h *Portal) actionDone(c *fiber.Ctx, k licensing.Key, p licensing.Project, kind, msg string, err error, keep func(*view.KeyPage)) error {
	if errs := web.FieldErrors(err, map[string]string{"expire": "ban_expire"}); errs != nil {
		return h.actionFailed(c, k, p, kind, fiber.StatusUnprocessableEntity, "Fix the highlighted fields.", errs, keep)
	}
	var cooldown *licensing.ResetCooldownError
	switch {
	case errors.As(err, &cooldown):
		m := "This key's HWID was reset recently: with the project's cooldown of " + components.Span(p.ResetCooldown) + ", it can be reset again at " +
			components.ExactTime(cooldown.Ends) + ". Tick Force to reset it anyway."
		return h.actionFailed(c, k, p, kind, fiber.StatusUnprocessableEntity, m, nil, keep)
	case licensing.StateRefusal(err):
		return h.actionFailed(c, k, p, kind, fiber.StatusConflict, web.Capitalize(err.Error())+".", nil, keep)
	case err != nil:
		return err
	}
	h.app.Toast(c, "success", msg)
	return web.Redirect(c, view.KeyHref(k.ID))
}

func (h *Portal) actionFailed(c *fiber.Ctx, k licensing.Key, p licensing.Project, kind string, status int, msg string, errs map[string]string, keep func(*view.KeyPage)) error {
	// The key as it is now (the action changed nothing).
	if fresh, err := h.scoped(c).GetKeyByID(c.UserContext(), k.ID); err == nil {
		k = fresh
	}
	v := h.keyPage(c, k, p)
	v.Action, v.Error = kind, msg
	if errs != nil {
		v.Errors = errs
	}
	if keep != nil {
		keep(&v)
	}
	return h.renderKey(c, status, v)
}
