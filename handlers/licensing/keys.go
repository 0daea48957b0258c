package licensing

// Key lists: every project's (/luarmor/keys) and one project's. Filters,
// sort, columns and the keyset position live in the URL; no page counts
// rows, so a list stays fast at a million keys.

import (
	"errors"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/utils"

	"lumdesk/handlers/web"
	"lumdesk/internal/licensing"
	"lumdesk/internal/platform/listcount"
	"lumdesk/internal/staff"
	"lumdesk/views/components"
	"lumdesk/views/layouts"
	view "lumdesk/views/pages/licensing"
)

// Key list page sizes.
const (
	licKeyPageSize = 50
	licKeyMaxPage  = 200
	// licProjectChoices: the project filter is a select up to this many projects.
	licProjectChoices = 50
)

// licKeySorts maps the URL's sort values to the service's sort and direction.
var licKeySorts = map[string]struct {
	sort string
	desc bool
}{
	"": {licensing.SortCreated, true}, "created": {licensing.SortCreated, false},
	"expires": {licensing.SortExpires, false}, "-expires": {licensing.SortExpires, true},
	"last_used": {licensing.SortLastUsed, false}, "-last_used": {licensing.SortLastUsed, true},
}

// licKeyQuery is a parsed key-list URL.
type licKeyQuery struct {
	view   view.KeyFilters
	filter licensing.KeyFilter
	cols   []string
	after  *licensing.Cursor
	before *licensing.Cursor
	errs   map[string]string
}

func licYesNo(errs map[string]string, name, label, v string) (*bool, string) {
	switch v {
	case "":
		return nil, ""
	case "yes", "no":
		b := v == "yes"
		return &b, v
	}
	errs[name] = label + " is yes or no; showing both."
	return nil, ""
}

// parseKeyQuery reads the list's URL. A bad value is dropped and reported
// (the page answers 422 with what it could show), never a 500.
func parseKeyQuery(c *fiber.Ctx, projectID string) licKeyQuery {
	r := parseKeyValues(func(k string) string { return licQuery(c, k) }, projectID)
	r.cols, r.view.Cols = parseKeyColumns(c, r.errs, r.view.Sort)
	return r
}

// parseKeyValues reads a key list's filters through q (a request's query,
// or the query a bulk action's "every key that matches" carries).
func parseKeyValues(q func(string) string, projectID string) licKeyQuery {
	r := licKeyQuery{errs: map[string]string{}}
	f := &r.view
	*f = view.KeyFilters{Q: q("q"), Status: q("status"), ExpFrom: q("exp_from"), ExpTo: q("exp_to"), Sort: q("sort"), Limit: q("limit")}
	r.filter = licensing.KeyFilter{ProjectID: projectID, Limit: licKeyPageSize}
	if projectID == "" {
		f.Project = q("project")
		r.filter.ProjectID = f.Project
		if f.Project != "" && (len(f.Project) > 64 || !isHexish(f.Project)) {
			r.errs["project"] = "That is not a project id; showing every project."
			f.Project, r.filter.ProjectID = "", ""
		}
	}
	if utf8.RuneCountInString(f.Q) > licensing.MaxSearchLen || strings.ContainsFunc(f.Q, func(r rune) bool { return r < 0x20 || r == 0x7f }) {
		r.errs["q"] = "Search for at most " + strconv.Itoa(licensing.MaxSearchLen) + " characters on one line."
		f.Q = ""
	}
	r.filter.Search = f.Q
	switch f.Status {
	case "", licensing.StatusActive, licensing.StatusReset, licensing.StatusBanned:
		r.filter.Status = f.Status
	default:
		r.errs["status"] = "Status is Active, Reset or Blacklisted; showing all."
		f.Status = ""
	}
	r.filter.Banned, f.Banned = licYesNo(r.errs, "banned", "Banned", q("banned"))
	// One meaning of "banned" in the console: the status filter agrees with
	// the Blacklisted filter. The spec's "banned" status is only a banned key
	// without HWID (a banned key with one stays "active"), so the console's
	// Blacklisted status is every key whose ban is in force, and Active and
	// Reset are the keys that are not blacklisted. The API keeps the spec's.
	if r.filter.Banned == nil {
		switch r.filter.Status {
		case licensing.StatusBanned:
			yes := true
			r.filter.Status, r.filter.Banned = "", &yes
		case licensing.StatusActive, licensing.StatusReset:
			no := false
			r.filter.Banned = &no
		}
	}
	r.filter.Expired, f.Expired = licYesNo(r.errs, "expired", "Expired", q("expired"))
	r.filter.NeverUsed, f.NeverUsed = licYesNo(r.errs, "never_used", "Never used", q("never_used"))
	r.filter.HasDiscord, f.Discord = licYesNo(r.errs, "discord", "Has Discord", q("discord"))
	day := func(name, v string) *time.Time { return web.FilterDay(r.errs, name, v) }
	r.filter.ExpiresFrom = day("exp_from", f.ExpFrom)
	if r.filter.ExpiresFrom == nil {
		f.ExpFrom = ""
	}
	if to := day("exp_to", f.ExpTo); to != nil {
		end := to.AddDate(0, 0, 1) // the "to" day is included
		r.filter.ExpiresTo = &end
	} else {
		f.ExpTo = ""
	}
	if r.filter.ExpiresFrom != nil && r.filter.ExpiresTo != nil && !r.filter.ExpiresFrom.Before(*r.filter.ExpiresTo) {
		r.errs["exp_from"] = "The expiry range starts after it ends; showing every expiry."
		f.ExpFrom, f.ExpTo, r.filter.ExpiresFrom, r.filter.ExpiresTo = "", "", nil, nil
	}
	if f.Sort == "-created" {
		f.Sort = ""
	}
	s, ok := licKeySorts[f.Sort]
	if !ok {
		r.errs["sort"] = "Unknown sort order; showing the newest first."
		f.Sort, s = "", licKeySorts[""]
	}
	r.filter.Sort, r.filter.Desc = s.sort, s.desc
	if f.Limit != "" {
		n, err := strconv.Atoi(f.Limit)
		if err != nil || n < 1 || n > licKeyMaxPage {
			r.errs["limit"] = "Page size is 1 to " + strconv.Itoa(licKeyMaxPage) + "; showing " + strconv.Itoa(licKeyPageSize) + "."
			f.Limit = ""
		} else {
			r.filter.Limit = n
		}
	}
	cursor := func(name string) *licensing.Cursor {
		v := q(name)
		if v == "" {
			return nil
		}
		cur, err := licensing.ParseCursor(v)
		if err != nil {
			r.errs["cursor"] = "That page link is not valid; showing the first page."
			return nil
		}
		return &cur
	}
	r.after, r.before = cursor("after"), cursor("before")
	if r.after != nil && r.before != nil {
		r.after, r.before = nil, nil
		r.errs["cursor"] = "That page link is not valid; showing the first page."
	}
	return r
}

func isHexish(s string) bool {
	return !strings.ContainsFunc(s, func(r rune) bool {
		return (r < '0' || r > '9') && (r < 'a' || r > 'z') && (r < 'A' || r > 'Z')
	})
}

// parseKeyColumns reads cols: comma separated and/or repeated (the column
// chooser's checkboxes); "" means the sort's default set
// (view.DefaultColumnsFor). It returns the columns and their canonical URL
// value ("" for the default).
func parseKeyColumns(c *fiber.Ctx, errs map[string]string, sort string) ([]string, string) {
	def := view.DefaultColumnsFor(sort)
	raw := c.Context().QueryArgs().PeekMulti("cols")
	if len(raw) == 0 {
		return def, ""
	}
	known := map[string]bool{}
	for _, col := range view.KeyColumns {
		known[col.Key] = true
	}
	chosen := map[string]bool{"key": true}
	for _, b := range raw {
		for _, p := range strings.Split(string(b), ",") {
			p = strings.TrimSpace(p)
			if p == "" {
				continue
			}
			if !known[p] {
				errs["cols"] = "Unknown column " + strconv.Quote(web.Truncate(p, 40)) + " left out."
				continue
			}
			chosen[p] = true
		}
	}
	var cols []string
	for _, col := range view.KeyColumns { // the table's order, whatever the URL's
		if chosen[col.Key] {
			cols = append(cols, col.Key)
		}
	}
	if slices.Equal(cols, def) {
		return cols, ""
	}
	return cols, strings.Join(cols, ",")
}

func (h *Licensing) keys(c *fiber.Ctx) error { return h.keyList(c, nil) }

func (h *Licensing) projectKeys(c *fiber.Ctx) error {
	p, err := h.svc.GetProject(c.UserContext(), c.Params("pid"))
	if err != nil {
		return err
	}
	return h.keyList(c, &p)
}

// keyList renders a key list. "Previous" lists in reverse from the first
// row shown (before=), reversed back; when that reaches the start the page
// is the first page.
func (h *Licensing) keyList(c *fiber.Ctx, proj *licensing.Project) error {
	ctx := c.UserContext()
	pid := ""
	base := view.KeysPath
	if proj != nil {
		pid, base = proj.ID, view.ProjectKeysHref(proj.ID)
	}
	r := parseKeyQuery(c, pid)
	if web.IsCountRequest(c) { // from the filters the list applied (a refused one is not)
		n, err := h.svc.CountKeys(c.UserContext(), r.filter, listcount.Cap)
		return web.RenderCount(c, n, err, "key", "keys")
	}
	v := view.KeyList{Base: base, Filters: r.view, Columns: r.cols, Errors: r.errs,
		CanManage: web.Can(c, staff.PermLicensingManage), CanReset: web.Can(c, staff.PermLicensingResetHWID),
		CanBan: web.Can(c, staff.PermLicensingBlacklist), CanDelete: web.Can(c, staff.PermLicensingDelete),
		Self: utils.CopyString(c.OriginalURL())}
	if proj != nil {
		v.ProjectID, v.ProjectName = proj.ID, proj.Name
	}
	f := r.filter
	var keys []licensing.Key
	hasPrev, hasNext := false, false
	run := func() error {
		page, err := h.svc.ListKeys(ctx, f)
		if err != nil {
			return err
		}
		keys, hasNext = page.Keys, page.Next != nil
		return nil
	}
	var err error
	switch {
	case r.before != nil:
		f.Reverse, f.After = true, r.before
		if err = run(); err == nil {
			slices.Reverse(keys)
			hasPrev, hasNext = hasNext, true
			if !hasPrev { // reached the start: show the real first page
				f.Reverse, f.After = false, nil
				err = run()
			}
		}
	case r.after != nil:
		f.After = r.after
		hasPrev = true
		err = run()
	default:
		err = run()
	}
	if errs := web.FieldErrors(err, nil); errs != nil {
		for k, m := range errs {
			v.Errors[k] = components.Humanize(k) + ": " + m
		}
		keys, hasPrev, hasNext, err = nil, false, false, nil
	}
	if errors.Is(err, licensing.ErrProjectNotFound) && proj == nil {
		v.Errors["project"] = "There is no project " + strconv.Quote(web.Truncate(v.Filters.Project, 40)) + "."
		v.Filters.Project = ""
		keys, hasPrev, hasNext, err = nil, false, false, nil
	}
	if err != nil {
		return err
	}
	for _, k := range keys {
		v.Rows = append(v.Rows, keyRow(k))
	}
	if len(keys) > 0 {
		if hasNext {
			v.NextHref = base + v.Filters.Query("after", licensing.KeyCursor(keys[len(keys)-1], f.Sort, f.Desc).String())
		}
		if hasPrev {
			v.PrevHref = base + v.Filters.Query("before", licensing.KeyCursor(keys[0], f.Sort, f.Desc).String())
			v.FirstHref = base + v.Filters.Query()
		}
	}
	// A refused filter (an unknown project) is not an empty list: "No keys
	// yet, generate some" would be wrong beside its message.
	v.Empty = len(keys) == 0 && !v.Filters.Any() && r.after == nil && r.before == nil && len(v.Errors) == 0
	if proj == nil {
		if err := h.projectChoices(c, &v); err != nil {
			return err
		}
	}
	v.Bar = h.app.ListBar(c, base, v.Filters.Query(), v.ActiveFilters())
	if n, ok := listcount.OfPage(len(v.Rows), hasPrev, hasNext); ok && len(v.Errors) == 0 {
		v.Bar.Count = web.Count(n, "key", "keys")
	} else if len(v.Rows) > 0 || r.after != nil || r.before != nil {
		// Counting a broad search reads up to listcount.SearchCap matches
		// from the word index (33 ms for "giveaway 7" at a million keys,
		// ten times its page): the rows show first, the count follows.
		v.Bar.CountFrom = v.Self
	} else if len(v.Errors) == 0 {
		v.Bar.Count = web.Count(listcount.Count{}, "key", "keys")
	}
	c.Vary("HX-Request")
	if web.IsHTMX(c) && c.Get("HX-Target") == "keys-results" && c.Get("HX-History-Restore-Request") != "true" {
		v.CSRF = web.CSRFToken(c)
		// htmx swaps only 2xx answers: the fragment says what was refused.
		return web.Render(c, fiber.StatusOK, view.KeyFragment(v))
	}
	title, nav := "License keys", "luarmor.keys"
	crumbs := []layouts.Crumb{luarmorCrumb, {Label: "Keys"}}
	if proj != nil {
		title = "Keys of " + proj.Name
		crumbs = []layouts.Crumb{luarmorCrumb, {Label: proj.Name, Href: view.ProjectHref(proj.ID)}, {Label: "Keys"}}
	}
	p := h.app.Page(c, title, nav, crumbs...)
	v.CSRF = p.CSRF
	status := fiber.StatusOK
	if len(v.Errors) > 0 {
		status = fiber.StatusUnprocessableEntity
	}
	return web.Render(c, status, view.KeysPage(p, v))
}

// projectChoices fills the project filter select when there are few
// projects; with many, the filter is still there through the URL.
func (h *Licensing) projectChoices(c *fiber.Ctx, v *view.KeyList) error {
	page, err := h.svc.ListProjects(c.UserContext(), licensing.ProjectFilter{Limit: licProjectChoices})
	if err != nil {
		return err
	}
	if page.Next != nil {
		if v.Filters.Project != "" {
			p, err := h.svc.GetProject(c.UserContext(), v.Filters.Project)
			if err == nil {
				v.Projects = []components.Option{{Value: p.ID, Label: p.Name}}
			}
		}
		return nil
	}
	for _, p := range page.Projects {
		v.Projects = append(v.Projects, components.Option{Value: p.ID, Label: p.Name + " · " + p.AccountName})
	}
	return nil
}

func keyRow(k licensing.Key) view.KeyRow {
	r := view.KeyRow{ID: k.ID, UserKey: k.UserKey, ProjectID: k.ProjectID, ProjectName: k.ProjectName, HWID: k.Identifier,
		DiscordID: k.DiscordID, Note: firstLine(k.Note), Status: k.Status, Banned: k.Banned, Expired: k.Expired,
		Executions: licNum(k.TotalExecutions), Resets: strconv.Itoa(k.TotalResets), Created: k.CreatedAt}
	r.Expires, r.ExpiresHint = keyExpiry(k)
	if k.AuthExpire != nil {
		r.ExpiresAt = *k.AuthExpire
	}
	if k.AuthExpire == nil && k.KeyDays != nil && k.ActivatedAt == nil {
		r.Expires, r.ExpiresNote = strconv.Itoa(*k.KeyDays)+" days", "after first use"
	}
	if k.KeyDays != nil {
		r.KeyDays = strconv.Itoa(*k.KeyDays)
	}
	if k.LastExecutionAt != nil {
		r.LastUsed = *k.LastExecutionAt
	}
	return r
}

// keyExpiry says when a key expires: a date, "N days after first use" for
// key days not started yet, or "Never".
func keyExpiry(k licensing.Key) (short, long string) {
	switch {
	case k.AuthExpire != nil:
		return components.Date(*k.AuthExpire), components.ExactTime(*k.AuthExpire)
	case k.KeyDays != nil && k.ActivatedAt == nil:
		s := strconv.Itoa(*k.KeyDays) + " days after first use"
		if *k.KeyDays == 1 {
			s = "1 day after first use"
		}
		return s, "The key's days start at its first execution or Discord link"
	}
	return "Never", ""
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return web.Truncate(line, 200)
}
