package licensing

// Luarmor bulk work: actions on selected keys (blacklist, unban, HWID
// reset, extend, delete),
// generating keys, importing keys from CSV, the background job pages that
// follow them, the streamed CSV export of a key list, the support signals
// and the account page's Luarmor tab. Long work runs in internal/jobs.

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"lumdesk/handlers/web"
	"lumdesk/internal/accounts"
	"lumdesk/internal/audit"
	"lumdesk/internal/jobs"
	"lumdesk/internal/licensing"
	"lumdesk/internal/staff"
	"lumdesk/views/components"
	"lumdesk/views/layouts"
	view "lumdesk/views/pages/licensing"
)

// BulkService is what the bulk pages need of internal/licensing.
type BulkService interface {
	GetProject(ctx context.Context, projectID string) (licensing.Project, error)
	ListProjects(ctx context.Context, f licensing.ProjectFilter) (licensing.ProjectPage, error)
	ListKeys(ctx context.Context, f licensing.KeyFilter) (licensing.KeyPage, error)
	GetKeyByID(ctx context.Context, id int64) (licensing.Key, error)
	TopResets(ctx context.Context, projectID string, since time.Time, limit int) ([]licensing.ResetCount, error)
	SharedHWIDs(ctx context.Context, projectID string, limit int) ([]licensing.SharedHWID, time.Time, error)
	AccountDetails(ctx context.Context, accountID int64) (licensing.Account, []licensing.ProjectDetail, error)
	ProjectKeyCounts(ctx context.Context, projectDBIDs []int64, limit int) (map[int64]int64, error)
	RecordKeyExport(ctx context.Context, actor audit.Actor, filters map[string]string) error
	In(scope accounts.Scope) licensing.Scoped
}

// JobsService is what the bulk pages need of internal/jobs.
type JobsService interface {
	EnqueueKeyAction(ctx context.Context, actor audit.Actor, in jobs.KeyAction) (jobs.Job, error)
	EnqueueGenerate(ctx context.Context, actor audit.Actor, in jobs.Generate) (jobs.Job, error)
	EnqueueImport(ctx context.Context, actor audit.Actor, in jobs.Import) (jobs.Job, error)
	Get(ctx context.Context, id int64) (jobs.Job, error)
	Items(ctx context.Context, jobID int64, afterSeq int, failedOnly bool, limit int) ([]jobs.Item, error)
	EachItem(ctx context.Context, jobID int64, fn func(jobs.Item) error) error
	List(ctx context.Context, before int64, limit int) ([]jobs.Job, error)
}

// Bulk serves the Luarmor bulk pages.
type Bulk struct {
	lic  BulkService
	jobs JobsService
	app  *web.App
	now  func() time.Time
}

// NewBulk makes the route group.
func NewBulk(lic BulkService, j JobsService) *Bulk {
	return &Bulk{lic: lic, jobs: j, now: time.Now}
}

// bulkActions are the actions on a selection; each has its own route
// (POST /luarmor/keys/bulk/<action>) with its own permission.
var bulkActions = map[string]bool{"blacklist": true, "unban": true, "reset-hwid": true, "extend": true, "delete": true}

var (
	bulkKeysCrumb = layouts.Crumb{Label: "Keys", Href: view.KeysPath}
	bulkJobsCrumb = layouts.Crumb{Label: "Jobs", Href: view.JobsPath}
)

// bulkErrors turns a validation error into field messages (nil for others).
func bulkErrors(err error) map[string]string {
	var verr licensing.ValidationError
	if !errors.As(err, &verr) {
		return nil
	}
	out := make(map[string]string, len(verr))
	for k, m := range verr {
		out[k] = components.Humanize(k) + " " + m + "."
	}
	return out
}

// localPath accepts a same-site path to return to ("" otherwise).
func localPath(s string) string {
	if s == "" || len(s) > 2000 || !strings.HasPrefix(s, "/") || strings.HasPrefix(s, "//") || strings.ContainsAny(s, "\\\r\n") {
		return ""
	}
	return s
}

// parseIDs reads the selected key ids: repeated and/or comma separated.
func parseIDs(values []string) ([]int64, string) {
	var ids []int64
	seen := map[int64]bool{}
	for _, v := range values {
		for _, part := range strings.Split(v, ",") {
			part = strings.TrimSpace(part)
			if part == "" {
				continue
			}
			id, ok := web.ParseID(part)
			if !ok {
				return nil, "The selection contains " + strconv.Quote(web.Truncate(part, 20)) + ", which is not a key id."
			}
			if !seen[id] {
				seen[id] = true
				ids = append(ids, id)
			}
		}
	}
	return ids, ""
}

// parseWhen reads a time from a form: empty or -1 is none; unix seconds,
// RFC 3339, a datetime-local value or a date (all UTC).
func parseWhen(s string) (*time.Time, bool) {
	s = strings.TrimSpace(s)
	if s == "" || s == "-1" {
		return nil, true
	}
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		if n < 0 || n > 253402300799 {
			return nil, false
		}
		t := time.Unix(n, 0).UTC()
		return &t, true
	}
	for _, layout := range []string{time.RFC3339, "2006-01-02T15:04:05", "2006-01-02T15:04", time.DateOnly} {
		if t, err := time.Parse(layout, s); err == nil {
			if t.Year() < 1970 || t.Year() > 9998 {
				return nil, false
			}
			t = t.UTC()
			return &t, true
		}
	}
	return nil, false
}

// ---- bulk actions on selected keys ----

// bulkPreviewSize is how many selected keys the confirmation lists.
const bulkPreviewSize = 10

// bulkInput reads a selection for action, which comes from the route (never
// from the form, so that a form cannot pick an action its route does not allow).
func (h *Bulk) bulkInput(c *fiber.Ctx, action string) (view.BulkAction, []int64, map[string]string, error) {
	v := view.BulkAction{Action: action, Reason: web.Field(c, "reason"), BanReason: web.Field(c, "ban_reason"),
		BanExpire: web.Field(c, "ban_expire"), Days: web.Field(c, "days"), Back: localPath(web.Field(c, "back"))}
	errs := map[string]string{}
	ids, msg := parseIDs(web.FieldValues(c, "ids"))
	if match := web.Field(c, "match"); match != "" {
		// "Every key that matches": the list's filters, read again here
		// and resolved to the keys now; the confirmation then carries
		// those ids, so what runs is what was confirmed.
		var err error
		if ids, msg, err = h.matching(c.UserContext(), match); err != nil {
			return v, nil, nil, err
		}
	}
	switch {
	case msg != "":
		errs["ids"] = msg
	case len(ids) == 0:
		errs["ids"] = "No key is selected. Go back to the list and tick the keys first."
	case len(ids) > jobs.MaxSelection:
		errs["ids"] = fmt.Sprintf("%s keys are selected; one bulk action takes at most %s. Narrow the filter or split the selection.",
			components.Thousands(int64(len(ids))), components.Thousands(jobs.MaxSelection))
	}
	if action == "reset-hwid" {
		// Only who may force one key's reset sees (and may send) the box.
		v.CanForce = web.Can(c, staff.PermLicensingForceReset)
		v.Force = web.Field(c, "force") != ""
	}
	if action == "blacklist" {
		// A blacklist asks for the user's reason (ban_reason, also the
		// audit reason) and an optional internal note, like one key's.
		v.Reason = web.Field(c, "note")
	}
	v.IDs = ids
	v.Blocked = errs["ids"] != ""
	return v, ids, errs, nil
}

// matching is the ids of the keys a list's filters (query, as the list's
// "every key that matches" sends them) select now, in the list's order:
// at most jobs.MaxSelection+1, so that one too many is named as such.
func (h *Bulk) matching(ctx context.Context, query string) ([]int64, string, error) {
	const unreadable = "The list's filters could not be read; go back to the list and select again."
	vals, err := url.ParseQuery(web.Truncate(query, 4096))
	if err != nil {
		return nil, unreadable, nil
	}
	r := parseKeyValues(func(k string) string { return strings.TrimSpace(vals.Get(k)) }, "")
	if len(r.errs) > 0 {
		return nil, unreadable, nil
	}
	f := r.filter
	f.Limit, f.After, f.Reverse = licensing.MaxPageSize, nil, false
	var ids []int64
	for len(ids) <= jobs.MaxSelection {
		page, err := h.lic.ListKeys(ctx, f)
		if err != nil {
			return nil, "", err
		}
		for _, k := range page.Keys {
			ids = append(ids, k.ID)
		}
		if page.Next == nil {
			break
		}
		f.After = page.Next
	}
	if len(ids) > jobs.MaxSelection {
		return ids, fmt.Sprintf("More than %s keys match the filter; one bulk action takes at most %s. Narrow the filter, or act on part of the list.",
			components.Thousands(jobs.MaxSelection), components.Thousands(jobs.MaxSelection)), nil
	}
	return ids, "", nil
}

// preview loads the first selected keys for the confirmation.
func (h *Bulk) preview(ctx context.Context, v *view.BulkAction) {
	for _, id := range v.IDs[:min(len(v.IDs), bulkPreviewSize)] {
		k, err := h.lic.GetKeyByID(ctx, id)
		if err != nil {
			v.Preview = append(v.Preview, view.BulkPreviewKey{ID: id, Project: "not found"})
			continue
		}
		v.Preview = append(v.Preview, view.BulkPreviewKey{ID: id, UserKey: k.UserKey, Project: k.ProjectName})
	}
}

func (h *Bulk) bulkPage(c *fiber.Ctx, status int, v view.BulkAction) error {
	h.preview(c.UserContext(), &v)
	p := h.app.Page(c, v.Title(), "luarmor", luarmorCrumb, bulkKeysCrumb, layouts.Crumb{Label: v.Title()})
	return web.Render(c, status, view.BulkActionPage(p, v))
}

// bulkDispatch keeps the key list's bulk bar working: it posts (or links)
// to /luarmor/keys/bulk with the action as a field, and is sent on to that
// action's own route (307 keeps the method and the body).
func (h *Bulk) bulkDispatch(c *fiber.Ctx) error {
	action := web.Field(c, "action")
	if !bulkActions[action] {
		v, _, errs, err := h.bulkInput(c, "")
		if err != nil {
			return err
		}
		errs["action"] = "Choose blacklist, unban, reset HWID, extend or delete."
		v.Errors, v.Blocked = errs, true
		return h.bulkPage(c, fiber.StatusUnprocessableEntity, v)
	}
	to := view.BulkPath + "/" + action
	if q := c.Request().URI().QueryString(); len(q) > 0 {
		to += "?" + string(q)
	}
	return c.Redirect(to, fiber.StatusTemporaryRedirect)
}

func (h *Bulk) blacklistForm(c *fiber.Ctx) error { return h.bulkForm(c, "blacklist") }
func (h *Bulk) unbanForm(c *fiber.Ctx) error     { return h.bulkForm(c, "unban") }
func (h *Bulk) unban(c *fiber.Ctx) error         { return h.bulk(c, "unban") }
func (h *Bulk) resetForm(c *fiber.Ctx) error     { return h.bulkForm(c, "reset-hwid") }
func (h *Bulk) reset(c *fiber.Ctx) error         { return h.bulk(c, "reset-hwid") }
func (h *Bulk) extendForm(c *fiber.Ctx) error    { return h.bulkForm(c, "extend") }
func (h *Bulk) deleteForm(c *fiber.Ctx) error    { return h.bulkForm(c, "delete") }
func (h *Bulk) blacklist(c *fiber.Ctx) error     { return h.bulk(c, "blacklist") }
func (h *Bulk) extend(c *fiber.Ctx) error        { return h.bulk(c, "extend") }
func (h *Bulk) delete(c *fiber.Ctx) error        { return h.bulk(c, "delete") }

// bulkForm is the confirmation of a bulk action (GET ?ids=).
func (h *Bulk) bulkForm(c *fiber.Ctx, action string) error {
	v, _, errs, err := h.bulkInput(c, action)
	if err != nil {
		return err
	}
	v.Errors = errs
	status := fiber.StatusOK
	if len(errs) > 0 {
		status = fiber.StatusUnprocessableEntity
	}
	return h.bulkPage(c, status, v)
}

// bulk takes a key list's selection. Without step=confirm (the list's own
// bulk bar) it shows the confirmation asking for the reason; with it, it
// queues the job and sends the browser to the job's page.
func (h *Bulk) bulk(c *fiber.Ctx, action string) error {
	v, ids, errs, err := h.bulkInput(c, action)
	if err != nil {
		return err
	}
	if web.Field(c, "step") != "confirm" {
		v.Errors = errs
		status := fiber.StatusOK
		if len(errs) > 0 {
			status = fiber.StatusUnprocessableEntity
		}
		return h.bulkPage(c, status, v)
	}
	in := jobs.KeyAction{Action: v.Action, IDs: ids, Reason: v.Reason, BanReason: v.BanReason, Force: v.Force}
	if v.Force && !v.CanForce {
		errs["force"] = "Your role may not skip the reset cooldown; untick Force."
	}
	if v.Action == "blacklist" {
		t, ok := parseWhen(v.BanExpire)
		switch {
		case !ok:
			errs["ban_expire"] = "Give a date and time (UTC), or leave it empty for a ban without end."
		case t != nil && !t.After(h.now()):
			errs["ban_expire"] = "Must be in the future, or empty for a ban without end."
		}
		in.BanExpire = t
	}
	if v.Action == "extend" {
		n, err := strconv.Atoi(v.Days)
		if err != nil || n < 1 || n > licensing.MaxExtendDays {
			errs["days"] = fmt.Sprintf("Give a whole number of days from 1 to %d.", licensing.MaxExtendDays)
		}
		in.Days = n
	}
	if len(errs) == 0 {
		job, err := h.jobs.EnqueueKeyAction(c.UserContext(), web.Actor(c), in)
		if e := bulkErrors(err); e != nil {
			errs = e
		} else if err != nil {
			return err
		} else {
			h.app.Toast(c, "success", job.Title+": started.")
			return web.Redirect(c, view.JobHref(job.ID))
		}
	}
	v.Errors = errs
	if web.IsHTMX(c) {
		// A dialog posting with htmx keeps its fields; the problem comes as a toast.
		msgs := slices.Collect(mapValues(errs))
		c.Set("HX-Trigger", web.ToastTrigger("error", strings.Join(msgs, " ")))
		c.Set("HX-Reswap", "none")
		return c.Status(fiber.StatusUnprocessableEntity).SendString(strings.Join(msgs, " "))
	}
	return h.bulkPage(c, fiber.StatusUnprocessableEntity, v)
}

func mapKeys(m map[string]string) func(func(string) bool) {
	return func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

func mapValues(m map[string]string) func(func(string) bool) {
	return func(yield func(string) bool) {
		for _, k := range slices.Sorted(mapKeys(m)) {
			if !yield(m[k]) {
				return
			}
		}
	}
}

// bulkDuration is a cooldown for people: "24 hours", "90 minutes", "none".
func bulkDuration(d time.Duration) string {
	switch {
	case d <= 0:
		return "none"
	case d%(24*time.Hour) == 0 && d >= 48*time.Hour:
		return strconv.Itoa(int(d/(24*time.Hour))) + " days"
	case d%time.Hour == 0:
		if d == time.Hour {
			return "1 hour"
		}
		return strconv.Itoa(int(d/time.Hour)) + " hours"
	case d%time.Minute == 0:
		return strconv.Itoa(int(d/time.Minute)) + " minutes"
	}
	return d.String()
}
