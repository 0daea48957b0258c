package licensing

import (
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/gofiber/fiber/v2"

	console "lumdesk/handlers/licensing"
	"lumdesk/handlers/web"
	"lumdesk/internal/customers"
	"lumdesk/internal/licensing"
	"lumdesk/internal/platform/listcount"
	"lumdesk/views/components"
	"lumdesk/views/layouts"
	view "lumdesk/views/pages/portal/licensing"
)

// keyPageSize is how many keys a project page lists.
const keyPageSize = 50

// keyQuery reads the key list's filters; a refused value is dropped and
// reported by parameter, never a 500.
func keyQuery(c *fiber.Ctx, projectID string) (view.KeyFilters, licensing.KeyFilter, map[string]string) {
	errs := map[string]string{}
	fv := view.KeyFilters{Q: web.Field(c, "q"), Status: web.Field(c, "status")}
	f := licensing.KeyFilter{ProjectID: projectID, Limit: keyPageSize, Sort: licensing.SortCreated, Desc: true}
	if utf8.RuneCountInString(fv.Q) > licensing.MaxSearchLen || strings.ContainsFunc(fv.Q, func(r rune) bool { return r < 0x20 || r == 0x7f }) {
		errs["q"] = "Search for at most " + strconv.Itoa(licensing.MaxSearchLen) + " characters on one line."
		fv.Q = ""
	}
	f.Search = fv.Q
	// As in the console: Blacklisted is every key whose ban is in force,
	// Active and Reset the keys that are not blacklisted.
	yes, no := true, false
	switch fv.Status {
	case "":
	case licensing.StatusActive, licensing.StatusReset:
		f.Status, f.Banned = fv.Status, &no
	case licensing.StatusBanned:
		f.Banned = &yes
	default:
		errs["status"] = "Status is Active, Reset or Blacklisted; showing all."
		fv.Status = ""
	}
	return fv, f, errs
}

func (h *Portal) project(c *fiber.Ctx) error {
	ctx := c.UserContext()
	svc, p, err := h.scoped(c).Project(ctx, c.Params("pid"))
	if err != nil {
		return err
	}
	fv, f, errs := keyQuery(c, p.ID)
	if web.IsCountRequest(c) {
		n, err := svc.CountKeys(ctx, f, listcount.Cap)
		return web.RenderCount(c, n, err, "key", "keys")
	}
	scripts, err := svc.ListScripts(ctx, p.ID)
	if err != nil {
		return err
	}
	counts, err := svc.ProjectKeyCounts(ctx, []licensing.Project{p}, licensing.MaxKeyCount)
	if err != nil {
		return err
	}
	v := view.ProjectPage{ID: p.ID, Name: p.Name, Cooldown: components.Span(p.ResetCooldown), Keys: keyCount(counts[p.DBID]),
		UsersCanReset: p.UsersCanReset, Created: components.ExactTime(p.CreatedAt), Filters: fv, Errors: errs, CanDevelop: web.CustomerMay(c, customers.PermDevelop), CSRF: web.CSRFToken(c)}
	for _, s := range scripts {
		v.Scripts = append(v.Scripts, scriptRow(s))
	}
	after := c.Query("after")
	if after != "" {
		cur, err := licensing.ParseCursor(after)
		if err != nil {
			v.Errors["cursor"] = "That page link is not valid; showing the first page."
			after = ""
		} else {
			f.After = &cur
		}
	}
	page, err := svc.ListKeys(ctx, f)
	if fe := web.FieldErrors(err, nil); fe != nil {
		for k, m := range fe {
			v.Errors[k] = components.Humanize(k) + ": " + m
		}
		page, err = licensing.KeyPage{}, nil
	}
	if err != nil {
		return err
	}
	for _, k := range page.Keys {
		v.Rows = append(v.Rows, keyRow(k))
	}
	if page.Next != nil {
		v.NextHref = view.ProjectHref(p.ID) + fv.Query("after", page.Next.String())
	}
	if after != "" {
		v.FirstHref = view.ProjectHref(p.ID) + fv.Query()
	}
	v.Empty = len(v.Rows) == 0 && fv.Q == "" && fv.Status == "" && after == ""
	// As in the console, a count the page does not give follows the rows.
	if n, ok := listcount.OfPage(len(v.Rows), after != "", page.Next != nil); ok && len(v.Rows) > 0 {
		v.Bar.Count = web.Count(n, "key", "keys")
	} else if len(v.Rows) > 0 {
		v.Bar.CountFrom = c.OriginalURL()
	}
	status := fiber.StatusOK
	if len(v.Errors) > 0 {
		status = fiber.StatusUnprocessableEntity
	}
	return web.Render(c, status, view.ProjectDetailPage(h.page(c, p.Name, crumb, layouts.Crumb{Label: p.Name}), v))
}

func scriptRow(s licensing.Script) view.ScriptRow {
	last := "never run"
	if s.LastExecutionAt != nil {
		last = "last run " + components.ExactTime(*s.LastExecutionAt)
	}
	r := view.ScriptRow{ProjectID: s.ProjectID, ID: s.ID, Name: s.Name, Version: s.Version, Executions: num(s.TotalExecutions), LastRun: last}
	for _, f := range []struct {
		on   bool
		name string
	}{{s.Silent, "Silent"}, {s.FFA, "FFA"}, {s.Heartbeat, "Heartbeat"}, {s.Lightning, "Lightning"}} {
		if f.on {
			r.Flags = append(r.Flags, f.name)
		}
	}
	return r
}

func keyRow(k licensing.Key) view.KeyRow {
	return view.KeyRow{ID: k.ID, UserKey: k.UserKey, HWID: k.Identifier, Discord: k.DiscordID, Note: firstLine(k.Note),
		Status: k.Status, Banned: k.Banned, Expired: k.Expired, Expires: keyExpiry(k), Executions: num(k.TotalExecutions), Created: k.CreatedAt}
}

// keyExpiry says when a key expires.
func keyExpiry(k licensing.Key) string {
	switch {
	case k.AuthExpire != nil:
		s := components.ExactTime(*k.AuthExpire)
		if k.Expired {
			s += " (expired)"
		}
		return s
	case k.KeyDays != nil && k.ActivatedAt == nil:
		if *k.KeyDays == 1 {
			return "1 day after first use"
		}
		return strconv.Itoa(*k.KeyDays) + " days after first use"
	}
	return "Never"
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return web.Truncate(line, 200)
}

// exportPage is how many keys one query of the export reads.
const exportPage = 1000

// export streams the project's keys (with the list's filters) as CSV. The
// first page is read before answering, so a bad filter is a message, not a
// broken download.
func (h *Portal) export(c *fiber.Ctx) error {
	ctx := c.UserContext()
	svc, p, err := h.scoped(c).Project(ctx, c.Params("pid"))
	if err != nil {
		return err
	}
	fv, f, errs := keyQuery(c, p.ID)
	if len(errs) > 0 {
		return fiber.NewError(fiber.StatusUnprocessableEntity, web.FieldErrorsText(errs))
	}
	f.Limit = exportPage
	first, err := svc.ListKeys(ctx, f)
	if fe := web.FieldErrors(err, nil); fe != nil {
		return fiber.NewError(fiber.StatusUnprocessableEntity, web.FieldErrorsText(fe))
	}
	if err != nil {
		return err
	}
	if err := svc.RecordKeyExport(ctx, web.Actor(c), p.ID, map[string]string{"q": fv.Q, "status": fv.Status}); err != nil {
		return err
	}
	console.StreamKeyCSV(c, h.app.Log(), h.now(), first, f, svc.ListKeys, false)
	return nil
}
