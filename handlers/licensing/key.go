package licensing

// The key page and its support actions. Each action is a confirmation (a
// dialog for htmx, a page otherwise) that asks for a reason, and a POST that
// calls one service method: with htmx the answer is the new #key-header and
// a toast, otherwise a redirect back to the key.

import (
	"errors"
	"maps"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/utils"

	"lumdesk/handlers/web"
	"lumdesk/internal/licensing"
	"lumdesk/internal/staff"
	"lumdesk/views/components"
	"lumdesk/views/layouts"
	view "lumdesk/views/pages/licensing"
)

// licChartDays is the span of the key page's execution chart.
const licChartDays = 30

// licKey loads the key named by :id (a malformed id is not found).
func (h *Licensing) licKey(c *fiber.Ctx) (licensing.Key, error) {
	id, ok := web.ParseID(c.Params("id"))
	if !ok {
		return licensing.Key{}, licensing.ErrKeyNotFound
	}
	return h.svc.GetKeyByID(c.UserContext(), id)
}

func keyView(c *fiber.Ctx, k licensing.Key) view.KeyView {
	v := view.KeyView{ID: k.ID, UserKey: k.UserKey, ProjectID: k.ProjectID, ProjectName: k.ProjectName, HWID: k.Identifier,
		DiscordID: k.DiscordID, Note: k.Note, Status: k.Status, Banned: k.Banned, BanReason: k.BanReason,
		BanExpire: licTimePtr(k.BanExpire), Expired: k.Expired, AuthExpire: licTimePtr(k.AuthExpire), Activated: licTimePtr(k.ActivatedAt),
		Resets: strconv.Itoa(k.TotalResets), LastReset: licTimePtr(k.LastResetAt), Executions: licNum(k.TotalExecutions),
		LastExecution: licTimePtr(k.LastExecutionAt), Created: components.ExactTime(k.CreatedAt), Updated: components.ExactTime(k.UpdatedAt)}
	if web.Can(c, staff.PermLicensingBlacklist) {
		v.UnbanToken = k.UnbanToken
	}
	if k.KeyDays != nil {
		v.KeyDays = strconv.Itoa(*k.KeyDays)
	}
	short, long := keyExpiry(k)
	v.ExpiresSummary = short
	if k.AuthExpire != nil {
		v.ExpiresSummary = long
		if k.Expired {
			v.ExpiresSummary += " (expired)"
		}
	}
	return v
}

func cooldownView(p licensing.Project, k licensing.Key, now time.Time) view.Cooldown {
	cd := view.Cooldown{Length: components.Span(p.ResetCooldown), LastReset: licTimePtr(k.LastResetAt)}
	if ends := licensing.ResetCooldownEnds(p, k); ends.After(now) {
		cd.Active, cd.Ends = true, components.ExactTime(ends)
	}
	return cd
}

// keyPage builds the key page (header, chart, cooldown, check form).
func (h *Licensing) keyPage(c *fiber.Ctx, k licensing.Key) (view.KeyPage, error) {
	ctx := c.UserContext()
	p, err := h.svc.GetProject(ctx, k.ProjectID)
	if err != nil {
		return view.KeyPage{}, err
	}
	v := view.KeyPage{Key: keyView(c, k), Cooldown: cooldownView(p, k, h.now()), Tab: "overview",
		CanManage: web.Can(c, staff.PermLicensingManage), CanReset: web.Can(c, staff.PermLicensingResetHWID),
		CanForce: web.Can(c, staff.PermLicensingForceReset), CanBan: web.Can(c, staff.PermLicensingBlacklist), CanDelete: web.Can(c, staff.PermLicensingDelete)}
	return v, nil
}

// keyOverview adds what only the Overview tab shows.
func (h *Licensing) keyOverview(c *fiber.Ctx, v *view.KeyPage) error {
	ctx := c.UserContext()
	days, err := h.svc.KeyExecutionsByDay(ctx, v.Key.ID, licChartDays)
	if err != nil {
		return err
	}
	var total int64
	for _, d := range days {
		v.Daily = append(v.Daily, components.ChartPoint{Label: d.Day.Format("Jan 2"), Value: d.Count})
		total += d.Count
	}
	v.Total30 = licNum(total)
	scripts, err := h.svc.ListScripts(ctx, v.Key.ProjectID)
	if err != nil {
		return err
	}
	for _, s := range scripts {
		v.Check.Scripts = append(v.Check.Scripts, components.Option{Value: s.ID, Label: s.Name})
	}
	if len(scripts) > 0 {
		v.Check.Script = scripts[0].ID
	}
	return nil
}

func (h *Licensing) renderKey(c *fiber.Ctx, status int, v view.KeyPage) error {
	p := h.app.Page(c, "Key "+v.Key.ShortKey()+"…", "luarmor.keys", luarmorCrumb,
		layouts.Crumb{Label: v.Key.ProjectName, Href: view.ProjectHref(v.Key.ProjectID)},
		layouts.Crumb{Label: "Keys", Href: view.ProjectKeysHref(v.Key.ProjectID)}, layouts.Crumb{Label: v.Key.ShortKey() + "…"})
	v.CSRF = p.CSRF
	return web.Render(c, status, view.KeyDetailPage(p, v))
}

func (h *Licensing) key(c *fiber.Ctx) error {
	k, err := h.licKey(c)
	if err != nil {
		return err
	}
	v, err := h.keyPage(c, k)
	if err != nil {
		return err
	}
	if c.Query("tab") == "history" {
		v.Tab = "history"
	} else if err := h.keyOverview(c, &v); err != nil {
		return err
	}
	return h.renderKey(c, fiber.StatusOK, v)
}

// licCheckReasons explain the loader check's answers to support staff.
var licCheckReasons = map[licensing.Reason]struct{ label, explain string }{
	licensing.ReasonOK:           {"valid", "If the user still cannot run the script, look at their side: the loader, the executor or the network."},
	licensing.ReasonFFA:          {"free for all", "The script is free for all: it runs without looking at the key. Turn FFA off on the script to require keys."},
	licensing.ReasonKeyRequired:  {"no key", "The loader sent no key and the script is not free for all. The user must put script_key = \"KEY\"; on top of the loader."},
	licensing.ReasonUnknownKey:   {"unknown key", "No key with this value exists in this project. Check that the user copied the whole key and runs a script of this project."},
	licensing.ReasonBanned:       {"blacklisted", "The key is blacklisted; the user sees the ban reason. Unban it if the ban was a mistake."},
	licensing.ReasonHWIDBanned:   {"device blacklisted", "Another key of this project was blacklisted on this HWID, so the device is refused whatever key it uses. Search the key list for the HWID to find that key."},
	licensing.ReasonExpired:      {"expired", "The key's time ran out. Edit the key to give it a new expiry."},
	licensing.ReasonHWIDMismatch: {"other device", "The key is bound to another HWID. If the user changed their device, reset the HWID (the project's cooldown applies unless forced)."},
	licensing.ReasonHWIDRequired: {"no HWID", "The key is not bound to a device yet and the loader sent no HWID; the loader is probably outdated."},
}

// check runs the loader check as a dry run for the key ("why is this key
// refused?"): the answer fragment for htmx, the key page with it otherwise.
func (h *Licensing) check(c *fiber.Ctx) error {
	k, err := h.licKey(c)
	if err != nil {
		return err
	}
	v, err := h.keyPage(c, k)
	if err != nil {
		return err
	}
	if err := h.keyOverview(c, &v); err != nil {
		return err
	}
	script, hwid := licQuery(c, "script"), licQuery(c, "hwid")
	v.Check.HWID = hwid
	res := &view.CheckResult{HWID: hwid}
	var name string
	for _, o := range v.Check.Scripts {
		if o.Value == script {
			name = o.Label
		}
	}
	status := fiber.StatusOK
	if name == "" {
		res.Error = "Choose one of the project's scripts."
		status = fiber.StatusUnprocessableEntity
	} else {
		v.Check.Script = script
		ans, err := h.svc.Check(c.UserContext(), licensing.CheckInput{ProjectID: k.ProjectID, ScriptID: script, ScriptKey: k.UserKey,
			HWID: hwid, DryRun: true, Actor: web.Actor(c)})
		if errs := web.FieldErrors(err, nil); errs != nil {
			res.Error = "The HWID " + strings.ToLower(errs["hwid"])
			status = fiber.StatusUnprocessableEntity
		} else if err != nil {
			return err
		} else {
			res.Allowed, res.Reason, res.Message, res.ScriptName = ans.Allowed, string(ans.Reason), ans.Message, name
			if ans.ScriptName != "" {
				res.ScriptName = ans.ScriptName
			}
			r, ok := licCheckReasons[ans.Reason]
			res.ReasonLabel, res.Explain = r.label, r.explain
			if !ok {
				res.ReasonLabel = components.Humanize(string(ans.Reason))
			}
		}
	}
	v.Check.Result = res
	if web.IsHTMX(c) {
		return web.Render(c, fiber.StatusOK, view.CheckAnswer(*res))
	}
	return h.renderKey(c, status, v)
}

// newKeyAction is an action's form for key k, with the cooldown for a reset.
func (h *Licensing) newKeyAction(c *fiber.Ctx, kind string, k licensing.Key) (view.KeyAction, error) {
	a := view.KeyAction{Kind: kind, Key: keyView(c, k), CanForce: web.Can(c, staff.PermLicensingForceReset), CSRF: web.CSRFToken(c),
		Errors: map[string]string{}}
	if kind == "reset-hwid" {
		p, err := h.svc.GetProject(c.UserContext(), k.ProjectID)
		if err != nil {
			return a, err
		}
		a.Cooldown = cooldownView(p, k, h.now())
	}
	return a, nil
}

// keyForm shows the form of one key action (a dialog for htmx).
func (h *Licensing) keyForm(c *fiber.Ctx, kind string) error {
	k, err := h.licKey(c)
	if err != nil {
		return err
	}
	a, err := h.newKeyAction(c, kind, k)
	if err != nil {
		return err
	}
	switch kind {
	case "edit":
		f := KeyEditOf(k)
		a.Note, a.AuthExpire, a.KeyDays = f.Note, f.AuthExpire, f.KeyDays
	case "link-discord":
		a.DiscordID = k.DiscordID
	}
	if web.IsHTMX(c) {
		return web.Render(c, fiber.StatusOK, view.KeyActionDialog(a))
	}
	return h.renderKeyAction(c, fiber.StatusOK, a)
}

func (h *Licensing) resetHWIDForm(c *fiber.Ctx) error   { return h.keyForm(c, "reset-hwid") }
func (h *Licensing) linkDiscordForm(c *fiber.Ctx) error { return h.keyForm(c, "link-discord") }
func (h *Licensing) blacklistForm(c *fiber.Ctx) error   { return h.keyForm(c, "blacklist") }
func (h *Licensing) unbanForm(c *fiber.Ctx) error       { return h.keyForm(c, "unban") }
func (h *Licensing) editForm(c *fiber.Ctx) error        { return h.keyForm(c, "edit") }
func (h *Licensing) deleteForm(c *fiber.Ctx) error      { return h.keyForm(c, "delete") }

func (h *Licensing) renderKeyAction(c *fiber.Ctx, status int, a view.KeyAction) error {
	p := h.app.Page(c, a.Title(), "luarmor.keys", luarmorCrumb,
		layouts.Crumb{Label: a.Key.ProjectName, Href: view.ProjectHref(a.Key.ProjectID)},
		layouts.Crumb{Label: a.Key.ShortKey() + "…", Href: view.KeyHref(a.Key.ID)}, layouts.Crumb{Label: a.Submit()})
	if a.CSRF == "" {
		a.CSRF = p.CSRF
	}
	return web.Render(c, status, view.KeyActionPage(p, a))
}

// licParseTime reads a datetime-local value (or a date) as UTC.
func licParseTime(s string) (time.Time, bool) {
	for _, layout := range []string{licInputFormat, "2006-01-02T15:04:05", time.DateOnly} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC(), t.Year() >= 1970 && t.Year() <= 9998
		}
	}
	return time.Time{}, false
}

// keyActionInput loads the key of a key action and reads the fields every
// action has (reason, force).
func (h *Licensing) keyActionInput(c *fiber.Ctx, kind string) (licensing.Key, view.KeyAction, error) {
	k, err := h.licKey(c)
	if err != nil {
		return k, view.KeyAction{}, err
	}
	a, err := h.newKeyAction(c, kind, k)
	if err != nil {
		return k, a, err
	}
	a.Reason, a.Force = web.FieldText(c, "reason"), web.Checked(c, "force")
	return k, a, nil
}

// resetHWID resets a key's HWID. The form's "force" box belongs to the
// force route, which has its own permission: a ticked box is sent there
// (307 keeps the method and the body).
func (h *Licensing) resetHWID(c *fiber.Ctx) error {
	if web.Checked(c, "force") {
		return c.Redirect(utils.CopyString(c.Path())+"/force", fiber.StatusTemporaryRedirect)
	}
	return h.reset(c, false)
}

// forceResetHWID resets a key's HWID even during its cooldown.
func (h *Licensing) forceResetHWID(c *fiber.Ctx) error { return h.reset(c, true) }

func (h *Licensing) reset(c *fiber.Ctx, force bool) error {
	k, a, err := h.keyActionInput(c, "reset-hwid")
	if err != nil {
		return err
	}
	a.Force = force
	changed, err := h.svc.ResetHWID(c.UserContext(), web.Actor(c), k.ProjectID, k.UserKey, licensing.ResetOpts{Force: force, Reason: a.Reason})
	return h.keyActionDone(c, k, a, changed, "HWID of key "+a.Key.ShortKey()+"… reset.", err)
}

func (h *Licensing) linkDiscord(c *fiber.Ctx) error {
	k, a, err := h.keyActionInput(c, "link-discord")
	if err != nil {
		return err
	}
	a.DiscordID = strings.TrimSpace(web.FieldText(c, "discord_id"))
	changed, err := h.svc.LinkDiscord(c.UserContext(), web.Actor(c), k.ProjectID, k.UserKey, a.DiscordID, licensing.LinkOpts{Force: a.Force, Reason: a.Reason})
	return h.keyActionDone(c, k, a, changed, "Discord ID "+a.DiscordID+" linked to key "+a.Key.ShortKey()+"….", err)
}

func (h *Licensing) blacklist(c *fiber.Ctx) error {
	k, a, err := h.keyActionInput(c, "blacklist")
	if err != nil {
		return err
	}
	a.BanReason, a.BanExpire = strings.TrimSpace(web.FieldText(c, "ban_reason")), strings.TrimSpace(web.FieldText(c, "ban_expire"))
	in := licensing.BlacklistInput{BanReason: a.BanReason, Note: a.Reason}
	if a.BanExpire != "" {
		t, ok := licParseTime(a.BanExpire)
		if !ok {
			a.Errors["ban_expire"] = "Give a date and time (UTC), or leave it empty for a ban without end."
			return h.keyActionFailed(c, fiber.StatusUnprocessableEntity, a)
		}
		in.Expire = &t
	}
	if a.BanReason == "" {
		// The one reason this form asks for is the user's; the note is extra.
		a.Errors["ban_reason"] = "Give the reason the user will see; it is also recorded in the audit log."
		return h.keyActionFailed(c, fiber.StatusUnprocessableEntity, a)
	}
	changed, err := h.svc.Blacklist(c.UserContext(), web.Actor(c), k.ProjectID, k.UserKey, in)
	var verr licensing.ValidationError
	if errors.As(err, &verr) && verr["ban_expire"] != "" {
		verr["ban_expire"] += ", or leave it empty for a ban without end" // the field is a date: no -1 here
	}
	return h.keyActionDone(c, k, a, changed, "Key "+a.Key.ShortKey()+"… blacklisted.", err)
}

func (h *Licensing) unban(c *fiber.Ctx) error {
	k, a, err := h.keyActionInput(c, "unban")
	if err != nil {
		return err
	}
	changed, err := h.svc.Unban(c.UserContext(), web.Actor(c), k.ProjectID, k.UserKey, a.Reason)
	return h.keyActionDone(c, k, a, changed, "Key "+a.Key.ShortKey()+"… unbanned.", err)
}

func (h *Licensing) edit(c *fiber.Ctx) error {
	k, a, err := h.keyActionInput(c, "edit")
	if err != nil {
		return err
	}
	patch, ok := h.keyPatch(c, k, &a)
	if !ok {
		return h.keyActionFailed(c, fiber.StatusUnprocessableEntity, a)
	}
	changed, err := h.svc.UpdateKey(c.UserContext(), web.Actor(c), k.ProjectID, k.UserKey, patch)
	return h.keyActionDone(c, k, a, changed, "Key "+a.Key.ShortKey()+"… saved.", err)
}

func (h *Licensing) delete(c *fiber.Ctx) error {
	k, a, err := h.keyActionInput(c, "delete")
	if err != nil {
		return err
	}
	a.Confirm = strings.TrimSpace(web.FieldText(c, "confirm"))
	if a.Confirm != a.Key.ShortKey() {
		a.Errors["confirm"] = "Type " + a.Key.ShortKey() + " to confirm."
		a.FormError = a.Errors["confirm"]
		return h.keyActionFailed(c, fiber.StatusUnprocessableEntity, a)
	}
	err = h.svc.DeleteKey(c.UserContext(), web.Actor(c), k.ProjectID, k.UserKey, a.Reason)
	if err == nil {
		// A flash, not an HX-Trigger toast: the browser navigates away.
		h.app.Flash(c, "success", "Key "+a.Key.ShortKey()+"… deleted.")
		return web.Redirect(c, view.ProjectKeysHref(k.ProjectID))
	}
	return h.keyActionDone(c, k, a, licensing.Key{}, "", err)
}

// keyActionDone answers a key action. Refusals come back as the form with
// its message: 422 for bad input and the reset cooldown, 409 when the key's
// state does not allow it; with htmx the dialog is shown again (200, as
// htmx swaps only 2xx answers).
func (h *Licensing) keyActionDone(c *fiber.Ctx, k licensing.Key, a view.KeyAction, changed licensing.Key, msg string, err error) error {
	if errs := web.FieldErrors(err, map[string]string{"expire": "ban_expire"}); errs != nil {
		a.Errors = errs
		return h.keyActionFailed(c, fiber.StatusUnprocessableEntity, a)
	}
	var cooldown *licensing.ResetCooldownError
	switch {
	case errors.As(err, &cooldown):
		a.FormError = "HWID reset is on cooldown until " + components.ExactTime(cooldown.Ends) + "."
		if a.CanForce {
			a.FormError += " Tick Force to reset anyway."
		}
		return h.keyActionFailed(c, fiber.StatusUnprocessableEntity, a)
	case licensing.StateRefusal(err):
		a.FormError = web.Capitalize(err.Error()) + "."
		return h.keyActionFailed(c, fiber.StatusConflict, a)
	case err != nil:
		return err
	}
	if !web.IsHTMX(c) {
		h.app.Toast(c, "success", msg)
		return web.Redirect(c, view.KeyHref(k.ID))
	}
	v, err := h.keyPage(c, changed)
	if err != nil {
		return err
	}
	// Tells an open History tab to reload itself.
	c.Set("HX-Trigger", "licensing-changed")
	onOverview := !strings.Contains(c.Get("HX-Current-URL"), "tab=history")
	return web.Render(c, fiber.StatusOK, components.WithToast(view.KeyHeaderUpdate(v, onOverview), components.Toast{Kind: "success", Message: msg}))
}

// keyPatch turns the edit form into a patch of what changed: the note; the
// expiry (empty: never expires); the key days (empty with an empty expiry:
// never expires).
func (h *Licensing) keyPatch(c *fiber.Ctx, k licensing.Key, a *view.KeyAction) (licensing.KeyPatch, bool) {
	f, patch, errs := ReadKeyEdit(c, k)
	a.Note, a.AuthExpire, a.KeyDays = f.Note, f.AuthExpire, f.KeyDays
	patch.Reason = a.Reason
	maps.Copy(a.Errors, errs)
	return patch, len(a.Errors) == 0
}

// KeyEdit is the key edit form's fields as sent: the console's edit page
// and the portal's edit dialog read them through ReadKeyEdit.
type KeyEdit struct {
	Note       string
	AuthExpire string // datetime-local, UTC; "" is never
	KeyDays    string // days after first use
}

// KeyEditOf is the edit form of a key as it is.
func KeyEditOf(k licensing.Key) KeyEdit {
	f := KeyEdit{Note: k.Note}
	if k.AuthExpire != nil {
		f.AuthExpire = k.AuthExpire.UTC().Format(licInputFormat)
	}
	if k.KeyDays != nil {
		f.KeyDays = strconv.Itoa(*k.KeyDays)
	}
	return f
}

// ReadKeyEdit reads the edit form (note, auth_expire, key_days) into a
// patch of what it changes on k; errs holds the fields it could not read.
func ReadKeyEdit(c *fiber.Ctx, k licensing.Key) (KeyEdit, licensing.KeyPatch, map[string]string) {
	f := KeyEdit{Note: web.FieldText(c, "note"), AuthExpire: strings.TrimSpace(web.FieldText(c, "auth_expire")),
		KeyDays: strings.TrimSpace(web.FieldText(c, "key_days"))}
	cur := KeyEditOf(k)
	var patch licensing.KeyPatch
	errs := map[string]string{}
	if f.Note != cur.Note {
		patch.Note = &f.Note
	}
	expChanged, daysChanged := f.AuthExpire != cur.AuthExpire, f.KeyDays != cur.KeyDays
	if daysChanged && f.KeyDays != "" {
		if f.AuthExpire != "" {
			// The days count from the first use: a fixed date beside them
			// is a choice between the two, which the form cannot make.
			errs["key_days"] = "Clear Expires to count days from the first use, or leave Days as it was."
			return f, patch, errs
		}
		// Expires cleared for a day count: the days replace the date
		// (the service's KeyDays clears it), not "never".
		expChanged = false
	}
	if expChanged && f.AuthExpire == "" && f.KeyDays != "" {
		// Expires cleared with Days kept: never expiring takes both empty
		// (as the hint says), and keeping the days would need their date.
		errs["auth_expire"] = "Clear Key days too for a key that never expires, or leave Expires as it was."
		return f, patch, errs
	}
	if expChanged {
		if f.AuthExpire == "" {
			patch.AuthExpire = &licensing.Expiry{Never: true}
		} else if t, ok := licParseTime(f.AuthExpire); ok {
			patch.AuthExpire = &licensing.Expiry{At: t}
		} else {
			errs["auth_expire"] = "Give a date and time (UTC), or leave it empty for never."
		}
	}
	if daysChanged {
		switch n, err := strconv.Atoi(f.KeyDays); {
		case f.KeyDays == "" && !expChanged && cur.AuthExpire == "":
			// Day budget removed from a key without expiry: never expires.
			patch.AuthExpire = &licensing.Expiry{Never: true}
		case f.KeyDays == "":
		case err != nil:
			errs["key_days"] = "Give a whole number of days."
		default:
			patch.KeyDays = &n
		}
	}
	return f, patch, errs
}

func (h *Licensing) keyActionFailed(c *fiber.Ctx, status int, a view.KeyAction) error {
	if web.IsHTMX(c) {
		c.Set("HX-Retarget", "#dialog-host")
		c.Set("HX-Reswap", "innerHTML")
		return web.Render(c, fiber.StatusOK, view.KeyActionDialog(a))
	}
	return h.renderKeyAction(c, status, a)
}
