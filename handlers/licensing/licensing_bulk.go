package licensing

// Luarmor bulk work: actions on selected keys (blacklist, extend, delete),
// generating keys, importing keys from CSV, the background job pages that
// follow them, the streamed CSV export of a key list, the support signals
// and the account page's Luarmor tab. Long work runs in internal/jobs.

import (
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"lumdesk/handlers/web"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/utils"

	"lumdesk/internal/audit"
	"lumdesk/internal/jobs"
	"lumdesk/internal/licensing"
	"lumdesk/internal/staff"
	"lumdesk/views/components"
	"lumdesk/views/layouts"
	view "lumdesk/views/pages/licensing"
)

// LicensingBulkService is what the bulk pages need of internal/licensing.
type LicensingBulkService interface {
	GetProject(ctx context.Context, projectID string) (licensing.Project, error)
	ListProjects(ctx context.Context, f licensing.ProjectFilter) (licensing.ProjectPage, error)
	ListKeys(ctx context.Context, f licensing.KeyFilter) (licensing.KeyPage, error)
	GetKeyByID(ctx context.Context, id int64) (licensing.Key, error)
	TopResets(ctx context.Context, projectID string, since time.Time, limit int) ([]licensing.ResetCount, error)
	SharedHWIDs(ctx context.Context, projectID string, limit int) ([]licensing.SharedHWID, error)
	AccountDetails(ctx context.Context, accountID int64) (licensing.Account, []licensing.ProjectDetail, error)
	ProjectKeyCounts(ctx context.Context, projectDBIDs []int64, limit int) (map[int64]int64, error)
	RecordKeyExport(ctx context.Context, actor audit.Actor, filters map[string]string) error
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

// LicensingBulk serves the Luarmor bulk pages.
type LicensingBulk struct {
	lic  LicensingBulkService
	jobs JobsService
	app  *web.App
	now  func() time.Time
}

// NewLicensingBulk makes the route group.
func NewLicensingBulk(lic LicensingBulkService, j JobsService) *LicensingBulk {
	return &LicensingBulk{lic: lic, jobs: j, now: time.Now}
}

// bulkActionPerms is the permission each bulk action needs. The bulk route
// declares the least of them (licensing.view) and checks the action's own.
var bulkActionPerms = map[string]staff.Permission{
	"blacklist": staff.PermLicensingBlacklist,
	"extend":    staff.PermLicensingManage,
	"delete":    staff.PermLicensingDelete,
}

// Routes implements RouteGroup.
func (h *LicensingBulk) Routes(a *web.App) []web.Route {
	h.app = a
	return []web.Route{
		{"GET", "/luarmor/keys/export.csv", staff.PermLicensingView, h.export},
		{"GET", view.BulkPath, staff.PermLicensingView, h.bulkForm},
		{"POST", view.BulkPath, staff.PermLicensingView, h.bulk}, // + bulkActionPerms[action]
		{"GET", view.GeneratePath, staff.PermLicensingManage, h.generateForm},
		{"POST", view.GeneratePath, staff.PermLicensingManage, h.generate},
		{"GET", view.ImportPath, staff.PermLicensingManage, h.importForm},
		{"POST", view.ImportPath, staff.PermLicensingManage, h.importFile},
		{"GET", view.JobsPath, staff.PermLicensingView, h.jobList},
		{"GET", view.JobsPath + "/:id<int>", staff.PermLicensingView, h.job},
		{"GET", view.JobsPath + "/:id<int>/results.csv", staff.PermLicensingView, h.jobCSV},
		{"GET", view.SignalsPath, staff.PermLicensingView, h.signals},
		{"GET", "/luarmor/accounts/:id<int>/projects", staff.PermLicensingView, h.accountProjects},
	}
}

var (
	bulkKeysCrumb = layouts.Crumb{Label: "Keys", Href: view.KeysPath}
	bulkJobsCrumb = layouts.Crumb{Label: "Jobs", Href: view.JobsPath}
)

const bulkTimeFormat = "Jan 2, 2006 15:04 UTC"

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

// formValues returns every value of a (repeatable) form field, from a
// urlencoded or multipart body, or from the query of a GET.
func formValues(c *fiber.Ctx, name string) []string {
	var out []string
	if c.Method() == fiber.MethodGet {
		for _, v := range c.Context().QueryArgs().PeekMulti(name) {
			out = append(out, string(v))
		}
		return out
	}
	if strings.HasPrefix(string(c.Request().Header.ContentType()), fiber.MIMEMultipartForm) {
		if mf, err := c.MultipartForm(); err == nil {
			return slices.Clone(mf.Value[name])
		}
		return nil
	}
	for _, v := range c.Request().PostArgs().PeekMulti(name) {
		out = append(out, string(v))
	}
	return out
}

// field reads a single form (or, for GET, query) value, copied.
func field(c *fiber.Ctx, name string) string {
	if c.Method() == fiber.MethodGet {
		return strings.TrimSpace(utils.CopyString(c.Query(name)))
	}
	return strings.TrimSpace(utils.CopyString(c.FormValue(name)))
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

func (h *LicensingBulk) bulkInput(c *fiber.Ctx) (view.BulkAction, []int64, map[string]string) {
	v := view.BulkAction{Action: field(c, "action"), Reason: field(c, "reason"), BanReason: field(c, "ban_reason"),
		BanExpire: field(c, "ban_expire"), Days: field(c, "days"), Back: localPath(field(c, "back"))}
	errs := map[string]string{}
	ids, msg := parseIDs(formValues(c, "ids"))
	switch {
	case msg != "":
		errs["ids"] = msg
	case len(ids) == 0:
		errs["ids"] = "No key is selected. Go back to the list and tick the keys first."
	case len(ids) > jobs.MaxSelection:
		errs["ids"] = fmt.Sprintf("%s keys are selected; one bulk action takes at most %s. Narrow the filter or split the selection.",
			components.Thousands(int64(len(ids))), components.Thousands(jobs.MaxSelection))
	}
	v.IDs = ids
	v.Blocked = errs["ids"] != ""
	if _, ok := bulkActionPerms[v.Action]; !ok {
		errs["action"] = "Choose blacklist, extend or delete."
		v.Blocked = true
	}
	return v, ids, errs
}

// preview loads the first selected keys for the confirmation.
func (h *LicensingBulk) preview(ctx context.Context, v *view.BulkAction) {
	for _, id := range v.IDs[:min(len(v.IDs), bulkPreviewSize)] {
		k, err := h.lic.GetKeyByID(ctx, id)
		if err != nil {
			v.Preview = append(v.Preview, view.BulkPreviewKey{ID: id, Project: "not found"})
			continue
		}
		v.Preview = append(v.Preview, view.BulkPreviewKey{ID: id, UserKey: k.UserKey, Project: k.ProjectName})
	}
}

func (h *LicensingBulk) bulkPage(c *fiber.Ctx, status int, v view.BulkAction) error {
	h.preview(c.UserContext(), &v)
	p := h.app.Page(c, v.Title(), "luarmor", luarmorCrumb, bulkKeysCrumb, layouts.Crumb{Label: v.Title()})
	return web.Render(c, status, view.BulkActionPage(p, v))
}

// bulkForm is the confirmation of a bulk action (GET ?action=&ids=).
func (h *LicensingBulk) bulkForm(c *fiber.Ctx) error {
	v, _, errs := h.bulkInput(c)
	if perm, ok := bulkActionPerms[v.Action]; ok && !web.Can(c, perm) {
		return web.ErrForbidden
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
func (h *LicensingBulk) bulk(c *fiber.Ctx) error {
	v, ids, errs := h.bulkInput(c)
	if perm, ok := bulkActionPerms[v.Action]; ok && !web.Can(c, perm) {
		return web.ErrForbidden
	}
	if field(c, "step") != "confirm" {
		v.Errors = errs
		status := fiber.StatusOK
		if len(errs) > 0 {
			status = fiber.StatusUnprocessableEntity
		}
		return h.bulkPage(c, status, v)
	}
	in := jobs.KeyAction{Action: v.Action, IDs: ids, Reason: v.Reason, BanReason: v.BanReason}
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

// ---- generate ----

// projectOptions are the choices of the project pickers: the newest
// projects, plus the chosen one if it is older.
const bulkProjectChoices = 200

func (h *LicensingBulk) projectOptions(ctx context.Context, chosen string) ([]components.Option, error) {
	page, err := h.lic.ListProjects(ctx, licensing.ProjectFilter{Limit: bulkProjectChoices})
	if err != nil {
		return nil, err
	}
	var out []components.Option
	found := false
	for _, p := range page.Projects {
		out = append(out, components.Option{Value: p.ID, Label: bulkProjectLabel(p)})
		found = found || p.ID == chosen
	}
	if chosen != "" && !found {
		if p, err := h.lic.GetProject(ctx, chosen); err == nil {
			out = append([]components.Option{{Value: p.ID, Label: bulkProjectLabel(p)}}, out...)
		}
	}
	return out, nil
}

func bulkProjectLabel(p licensing.Project) string {
	if p.AccountName != "" {
		return p.Name + " · " + p.AccountName
	}
	return p.Name
}

func (h *LicensingBulk) generatePage(c *fiber.Ctx, status int, v view.BulkGenerate) error {
	opts, err := h.projectOptions(c.UserContext(), v.Project)
	if err != nil {
		return err
	}
	v.Projects, v.Max = opts, licensing.MaxGenerate
	p := h.app.Page(c, "Generate keys", "luarmor", luarmorCrumb, bulkKeysCrumb, layouts.Crumb{Label: "Generate"})
	return web.Render(c, status, view.BulkGeneratePage(p, v))
}

func (h *LicensingBulk) generateForm(c *fiber.Ctx) error {
	return h.generatePage(c, fiber.StatusOK, view.BulkGenerate{Project: field(c, "project"), Count: "10"})
}

func (h *LicensingBulk) generate(c *fiber.Ctx) error {
	v := view.BulkGenerate{Project: field(c, "project"), Count: field(c, "count"), KeyDays: field(c, "key_days"),
		Expires: field(c, "expires"), Note: utils.CopyString(c.FormValue("note")), Reason: field(c, "reason")}
	errs := map[string]string{}
	in := jobs.Generate{ProjectID: v.Project, KeyInput: licensing.KeyInput{Note: strings.TrimSpace(v.Note), Reason: v.Reason}}
	if v.Project == "" {
		errs["project"] = "Choose the project the keys belong to."
	}
	n, err := strconv.Atoi(v.Count)
	if err != nil || n < 1 || n > licensing.MaxGenerate {
		errs["count"] = fmt.Sprintf("Give a number from 1 to %d.", licensing.MaxGenerate)
	}
	in.Count = n
	if v.KeyDays != "" {
		d, err := strconv.Atoi(v.KeyDays)
		if err != nil {
			errs["key_days"] = "Give a whole number of days, or leave it empty."
		}
		in.KeyDays = &d
	}
	if v.Expires != "" {
		t, err := time.Parse(time.DateOnly, v.Expires)
		switch {
		case err != nil:
			errs["auth_expire"] = "Dates look like 2026-12-31."
		case in.KeyDays != nil:
			errs["auth_expire"] = "Give key days or an expiry date, not both."
		default:
			in.AuthExpire = &licensing.Expiry{At: t.UTC()}
		}
	}
	if len(errs) == 0 {
		job, err := h.jobs.EnqueueGenerate(c.UserContext(), web.Actor(c), in)
		if e := bulkErrors(err); e != nil {
			errs = e
		} else if err != nil {
			return err
		} else {
			return web.Redirect(c, view.JobHref(job.ID))
		}
	}
	v.Errors = errs
	return h.generatePage(c, fiber.StatusUnprocessableEntity, v)
}

// ---- import ----

// Limits of an import file. The body limit of the whole app (BodyLimit)
// is above the file limit, so an oversized file gets the form's message.
const (
	importMaxBytes = 3 << 20
	importMaxSize  = "3 MB"
)

// importIgnored are columns of a key export that an import skips.
var importIgnored = map[string]bool{"id": true, "project_id": true, "project": true, "status": true, "banned": true,
	"ban_reason": true, "ban_expire": true, "expired": true, "total_resets": true, "last_reset_at": true,
	"total_executions": true, "last_execution_at": true, "activated_at": true, "created_at": true}

// errImport is a problem with the whole file.
type errImport string

func (e errImport) Error() string { return string(e) }

// parseImportCSV reads an import file: a header line naming known
// columns, then data rows. A row it cannot read gets its Err; a file it
// cannot read at all is an errImport.
func parseImportCSV(r io.Reader) ([]jobs.ImportRow, error) {
	data, err := io.ReadAll(io.LimitReader(r, importMaxBytes+1))
	if err != nil {
		return nil, fmt.Errorf("read upload: %w", err)
	}
	if len(data) > importMaxBytes {
		return nil, errImport("The file is larger than " + importMaxSize + ". Split it into smaller files.")
	}
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	if len(bytes.TrimSpace(data)) == 0 {
		return nil, errImport("The file is empty.")
	}
	if !utf8.Valid(data) || bytes.IndexByte(data, 0) >= 0 {
		return nil, errImport("This is not a CSV text file (it is binary or not UTF-8).")
	}
	cr := csv.NewReader(bytes.NewReader(data))
	cr.FieldsPerRecord = -1
	header, err := cr.Read()
	if err != nil {
		return nil, errImport("This is not a readable CSV file: " + csvProblem(err))
	}
	cols := map[string]int{}
	for i, name := range header {
		name = strings.ToLower(strings.TrimSpace(name))
		switch {
		case slices.Contains(view.ImportColumns, name):
			if _, dup := cols[name]; dup {
				return nil, errImport("The header names the column " + name + " twice.")
			}
			cols[name] = i
		case importIgnored[name]:
		case name == "":
			return nil, errImport("The header has an empty column name. The first line must name the columns: " + strings.Join(view.ImportColumns, ", ") + ".")
		default:
			return nil, errImport("The header has an unknown column " + strconv.Quote(web.Truncate(name, 40)) + ". The columns are: " + strings.Join(view.ImportColumns, ", ") + ".")
		}
	}
	if len(cols) == 0 {
		return nil, errImport("The first line must name the columns (" + strings.Join(view.ImportColumns, ", ") + ").")
	}
	get := func(rec []string, name string) string {
		if i, ok := cols[name]; ok && i < len(rec) {
			return strings.TrimSpace(rec[i])
		}
		return ""
	}
	var rows []jobs.ImportRow
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, errImport("The file is not valid CSV: " + csvProblem(err))
		}
		line, _ := cr.FieldPos(0)
		if len(rows) == jobs.MaxImportRows {
			return nil, errImport(fmt.Sprintf("The file has more than %s rows; one import takes at most %s.",
				components.Thousands(jobs.MaxImportRows), components.Thousands(jobs.MaxImportRows)))
		}
		row := jobs.ImportRow{Line: line}
		if len(rec) != len(header) {
			row.Err = fmt.Sprintf("Has %d fields; the header has %d.", len(rec), len(header))
			rows = append(rows, row)
			continue
		}
		row.UserKey, row.Identifier, row.DiscordID, row.Note = get(rec, "user_key"), get(rec, "identifier"), get(rec, "discord_id"), get(rec, "note")
		var bad []string
		if s := get(rec, "key_days"); s != "" {
			if n, err := strconv.Atoi(s); err == nil {
				row.KeyDays = &n
			} else {
				bad = append(bad, "key_days must be a whole number of days")
			}
		}
		if s := get(rec, "auth_expire"); s != "" {
			if s == "-1" {
				row.AuthExpire = &licensing.Expiry{Never: true}
			} else if t, ok := parseWhen(s); ok && t != nil {
				row.AuthExpire = &licensing.Expiry{At: *t}
			} else {
				bad = append(bad, "auth_expire must be unix seconds, a date like 2026-12-31, RFC 3339, or -1")
			}
		}
		if len(bad) > 0 {
			row.Err = strings.Join(bad, "; ") + "."
		}
		rows = append(rows, row)
	}
	if len(rows) == 0 {
		return nil, errImport("The file has a header but no data rows.")
	}
	return rows, nil
}

func csvProblem(err error) string {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		return fmt.Sprintf("line %d: %v.", pe.Line, pe.Err)
	}
	return err.Error() + "."
}

func (h *LicensingBulk) importPage(c *fiber.Ctx, status int, v view.BulkImport) error {
	opts, err := h.projectOptions(c.UserContext(), v.Project)
	if err != nil {
		return err
	}
	v.Projects, v.MaxRows, v.MaxSize = opts, jobs.MaxImportRows, importMaxSize
	p := h.app.Page(c, "Import keys", "luarmor", luarmorCrumb, bulkKeysCrumb, layouts.Crumb{Label: "Import"})
	return web.Render(c, status, view.BulkImportPage(p, v))
}

func (h *LicensingBulk) importForm(c *fiber.Ctx) error {
	return h.importPage(c, fiber.StatusOK, view.BulkImport{Project: field(c, "project")})
}

func (h *LicensingBulk) importFile(c *fiber.Ctx) error {
	v := view.BulkImport{Project: field(c, "project"), Reason: field(c, "reason")}
	errs := map[string]string{}
	if v.Project == "" {
		errs["project"] = "Choose the project the keys go into."
	}
	var in jobs.Import
	fh, err := c.FormFile("file")
	switch {
	case err != nil:
		errs["file"] = "Choose a CSV file to import."
	case fh.Size > importMaxBytes:
		errs["file"] = "The file is larger than " + importMaxSize + ". Split it into smaller files."
	default:
		f, err := fh.Open()
		if err != nil {
			return fmt.Errorf("open upload: %w", err)
		}
		in.Rows, err = parseImportCSV(f)
		f.Close()
		var ie errImport
		if errors.As(err, &ie) {
			errs["file"] = string(ie)
		} else if err != nil {
			return err
		}
		in.FileName = web.Truncate(strings.ToValidUTF8(fh.Filename, ""), 100)
	}
	if len(errs) == 0 {
		in.ProjectID, in.Reason = v.Project, v.Reason
		job, err := h.jobs.EnqueueImport(c.UserContext(), web.Actor(c), in)
		if e := bulkErrors(err); e != nil {
			errs = e
		} else if err != nil {
			return err
		} else {
			return web.Redirect(c, view.JobHref(job.ID))
		}
	}
	v.Errors = errs
	return h.importPage(c, fiber.StatusUnprocessableEntity, v)
}

// ---- jobs ----

// jobPageSize is how many results the job page shows at once.
const jobPageSize = 100

func (h *LicensingBulk) loadJob(c *fiber.Ctx) (jobs.Job, error) {
	id, ok := web.ParseID(c.Params("id"))
	if !ok {
		return jobs.Job{}, jobs.ErrJobNotFound
	}
	return h.jobs.Get(c.UserContext(), id)
}

func jobView(j jobs.Job) view.BulkJob {
	v := view.BulkJob{ID: j.ID, Title: j.Title, Kind: j.Kind, Status: j.Status, CreatedBy: j.CreatedByLabel,
		Created: j.CreatedAt.Format(bulkTimeFormat), Total: j.Total, Done: j.Done, OK: j.OK, Failed: j.Failed,
		Percent: j.Percent(), Error: j.Error, Live: !j.Finished(), ProjectID: j.ProjectID,
		CSVHref: view.JobHref(j.ID) + "/results.csv"}
	if j.FinishedAt != nil {
		v.Finished = j.FinishedAt.Format(bulkTimeFormat)
	}
	return v
}

func itemView(it jobs.Item) view.BulkItem {
	v := view.BulkItem{N: it.Seq + 1, Ref: it.Ref, KeyID: it.KeyID, UserKey: it.UserKey, OK: it.OK, Message: it.Message,
		Note: it.Detail.Note}
	if it.Detail.KeyDays != nil {
		v.KeyDays = strconv.Itoa(*it.Detail.KeyDays)
	}
	if it.Detail.AuthExpire != nil {
		v.Expires = it.Detail.AuthExpire.Format(bulkTimeFormat)
	}
	return v
}

// job is the job's page; htmx's polling (HX-Target bulk-job-live) gets the
// live fragment. The results (when finished) page by item with ?after=.
func (h *LicensingBulk) job(c *fiber.Ctx) error {
	j, err := h.loadJob(c)
	if err != nil {
		return err
	}
	v := jobView(j)
	self := view.JobHref(j.ID)
	if !v.Live {
		after := -1
		if s := c.Query("after"); s != "" {
			if n, err := strconv.Atoi(s); err == nil && n >= 0 {
				after = n
			}
		}
		v.FailedOnly = c.Query("failed") == "1"
		items, err := h.jobs.Items(c.UserContext(), j.ID, after, v.FailedOnly, jobPageSize+1)
		if err != nil {
			return err
		}
		q := url.Values{}
		if v.FailedOnly {
			q.Set("failed", "1")
		}
		if len(items) > jobPageSize {
			items = items[:jobPageSize]
			q.Set("after", strconv.Itoa(items[len(items)-1].Seq))
			v.NextHref = self + "?" + q.Encode()
			q.Del("after")
		}
		if after >= 0 {
			v.FirstHref = self
			if len(q) > 0 {
				v.FirstHref += "?" + q.Encode()
			}
		}
		for _, it := range items {
			v.Items = append(v.Items, itemView(it))
		}
		v.AllHref, v.FailedHref = self, self+"?failed=1"
	}
	c.Vary("HX-Request")
	if web.IsHTMX(c) && c.Get("HX-Target") == "bulk-job-live" && c.Get("HX-History-Restore-Request") != "true" {
		return web.Render(c, fiber.StatusOK, view.BulkJobLive(v))
	}
	p := h.app.Page(c, j.Title, "luarmor", luarmorCrumb, bulkJobsCrumb, layouts.Crumb{Label: "#" + strconv.FormatInt(j.ID, 10)})
	return web.Render(c, fiber.StatusOK, view.BulkJobPage(p, v))
}

// jobCSV streams a job's results: the generated keys of a generate job,
// else one line per item with its result.
func (h *LicensingBulk) jobCSV(c *fiber.Ctx) error {
	j, err := h.loadJob(c)
	if err != nil {
		return err
	}
	header := []string{"key_id", "user_key", "ok", "message"}
	row := func(it jobs.Item) []string {
		return []string{idOrEmpty(it.KeyID), web.CsvCell(it.UserKey), strconv.FormatBool(it.OK), web.CsvCell(it.Message)}
	}
	switch j.Kind {
	case jobs.KindGenerate:
		header = []string{"user_key", "note", "key_days", "auth_expire"}
		row = func(it jobs.Item) []string {
			return []string{web.CsvCell(it.UserKey), web.CsvCell(it.Detail.Note), intPtrCell(it.Detail.KeyDays), timeCell(it.Detail.AuthExpire)}
		}
	case jobs.KindImport:
		header = []string{"line", "user_key", "ok", "message", "key_id"}
		row = func(it jobs.Item) []string {
			return []string{it.Ref, web.CsvCell(it.UserKey), strconv.FormatBool(it.OK), web.CsvCell(it.Message), idOrEmpty(it.KeyID)}
		}
	}
	name := fmt.Sprintf("job-%d-results.csv", j.ID)
	if j.Kind == jobs.KindGenerate {
		name = fmt.Sprintf("keys-job-%d.csv", j.ID)
	}
	svc, log, reqID := h.jobs, h.app.Log(), web.RequestID(c)
	web.StreamCSV(c, name, func(ctx context.Context, w *csv.Writer) error {
		if err := w.Write(header); err != nil {
			return err
		}
		return svc.EachItem(ctx, j.ID, func(it jobs.Item) error { return w.Write(row(it)) })
	}, func(err error) {
		log.Warn("job results export stopped", "err", err, "job_id", j.ID, "request_id", reqID)
	})
	return nil
}

func (h *LicensingBulk) jobList(c *fiber.Ctx) error {
	var before int64
	if s := c.Query("before"); s != "" {
		before, _ = web.ParseID(s)
	}
	const size = 50
	list, err := h.jobs.List(c.UserContext(), before, size+1)
	if err != nil {
		return err
	}
	var v view.BulkJobs
	if len(list) > size {
		list = list[:size]
		v.NextHref = view.JobsPath + "?before=" + strconv.FormatInt(list[size-1].ID, 10)
	}
	if before > 0 {
		v.FirstHref = view.JobsPath
	}
	for _, j := range list {
		v.Rows = append(v.Rows, view.BulkJobRow{ID: j.ID, Title: j.Title, Status: j.Status, Total: j.Total, Done: j.Done,
			OK: j.OK, Failed: j.Failed, CreatedBy: j.CreatedByLabel, Created: j.CreatedAt.Format("Jan 2, 15:04")})
	}
	p := h.app.Page(c, "Jobs", "luarmor", luarmorCrumb, layouts.Crumb{Label: "Jobs"})
	return web.Render(c, fiber.StatusOK, view.BulkJobsPage(p, v))
}

// ---- export ----

// exportPage is how many keys one query of the export reads.
const exportPage = 1000

// export streams the filtered key list as CSV, reading keyset pages as it
// writes. The first page is read before answering, so a bad filter or an
// unknown project is an error page, not a broken download.
func (h *LicensingBulk) export(c *fiber.Ctx) error {
	fv, f, errs := parseKeyFilter(c)
	if len(errs) > 0 {
		msgs := make([]string, 0, len(errs))
		for _, k := range slices.Sorted(mapKeys(errs)) {
			msgs = append(msgs, errs[k])
		}
		return fiber.NewError(fiber.StatusUnprocessableEntity, strings.Join(msgs, " "))
	}
	f.Limit = exportPage
	ctx := c.UserContext()
	first, err := h.lic.ListKeys(ctx, f)
	if e := bulkErrors(err); e != nil {
		return fiber.NewError(fiber.StatusUnprocessableEntity, strings.Join(slices.Collect(mapValues(e)), " "))
	}
	if err != nil {
		return err
	}
	filters := map[string]string{}
	for k, v := range fv.Values() {
		filters[k] = v[0]
	}
	if err := h.lic.RecordKeyExport(ctx, web.Actor(c), filters); err != nil {
		return err
	}
	name := "luarmor-keys-" + h.now().UTC().Format("20060102-1504") + ".csv"
	svc, log, reqID := h.lic, h.app.Log(), web.RequestID(c)
	web.StreamCSV(c, name, func(ctx context.Context, w *csv.Writer) error {
		if err := w.Write(keyExportHeader); err != nil {
			return err
		}
		page := first
		for {
			for _, k := range page.Keys {
				if err := w.Write(keyExportRow(k)); err != nil {
					return err
				}
			}
			if page.Next == nil {
				return nil
			}
			f.After = page.Next
			var err error
			if page, err = svc.ListKeys(ctx, f); err != nil {
				return err
			}
		}
	}, func(err error) { log.Warn("key export stopped", "err", err, "request_id", reqID) })
	return nil
}

var keyExportHeader = []string{"id", "project_id", "project", "user_key", "identifier", "discord_id", "note", "status",
	"banned", "ban_reason", "ban_expire", "key_days", "auth_expire", "expired", "total_resets", "last_reset_at",
	"total_executions", "last_execution_at", "created_at"}

func keyExportRow(k licensing.Key) []string {
	return []string{strconv.FormatInt(k.ID, 10), k.ProjectID, web.CsvCell(k.ProjectName), web.CsvCell(k.UserKey), web.CsvCell(k.Identifier),
		web.CsvCell(k.DiscordID), web.CsvCell(k.Note), k.Status, strconv.FormatBool(k.Banned), web.CsvCell(k.BanReason), timeCell(k.BanExpire),
		intPtrCell(k.KeyDays), timeCell(k.AuthExpire), strconv.FormatBool(k.Expired), strconv.Itoa(k.TotalResets),
		timeCell(k.LastResetAt), strconv.FormatInt(k.TotalExecutions, 10), timeCell(k.LastExecutionAt), k.CreatedAt.Format(time.RFC3339)}
}

func timeCell(t *time.Time) string {
	if t == nil {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}

func intPtrCell(n *int) string {
	if n == nil {
		return ""
	}
	return strconv.Itoa(*n)
}

func idOrEmpty(id int64) string {
	if id == 0 {
		return ""
	}
	return strconv.FormatInt(id, 10)
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

// ---- support signals ----

const (
	signalDays  = 30
	signalLimit = 25
)

func (h *LicensingBulk) signals(c *fiber.Ctx) error {
	ctx := c.UserContext()
	v := view.Signals{Project: field(c, "project"), Days: signalDays, Errors: map[string]string{}}
	if v.Project != "" {
		if _, err := h.lic.GetProject(ctx, v.Project); err != nil {
			var nf web.NotFoundError
			if !errors.As(err, &nf) {
				return err
			}
			v.Errors["project"] = "There is no such project; showing every project."
			v.Project = ""
		}
	}
	opts, err := h.projectOptions(ctx, v.Project)
	if err != nil {
		return err
	}
	v.Projects = opts
	resets, err := h.lic.TopResets(ctx, v.Project, h.now().Add(-signalDays*24*time.Hour), signalLimit)
	if err != nil {
		return err
	}
	for _, r := range resets {
		v.Resets = append(v.Resets, view.SignalReset{KeyID: r.Key.ID, UserKey: r.Key.UserKey, ProjectID: r.Key.ProjectID,
			ProjectName: r.Key.ProjectName, Status: r.Key.Status, Banned: r.Key.Banned, DiscordID: r.Key.DiscordID,
			Resets: r.Resets, LastReset: r.LastResetAt.Format("Jan 2, 15:04")})
	}
	shared, err := h.lic.SharedHWIDs(ctx, v.Project, signalLimit)
	if err != nil {
		return err
	}
	names := map[string]string{}
	for _, s := range shared {
		if _, ok := names[s.ProjectID]; !ok {
			if p, err := h.lic.GetProject(ctx, s.ProjectID); err == nil {
				names[s.ProjectID] = p.Name
			}
		}
		v.Shared = append(v.Shared, view.SignalShared{ProjectID: s.ProjectID, ProjectName: names[s.ProjectID],
			Identifier: s.Identifier, Keys: s.Keys, KeyIDs: s.KeyIDs})
	}
	status := fiber.StatusOK
	if len(v.Errors) > 0 {
		status = fiber.StatusUnprocessableEntity
	}
	p := h.app.Page(c, "Support signals", "luarmor", luarmorCrumb, layouts.Crumb{Label: "Support signals"})
	return web.Render(c, status, view.SignalsPage(p, v))
}

// ---- the account page's Luarmor tab ----

func (h *LicensingBulk) accountTab(c *fiber.Ctx, accountID int64) (view.AccountTab, error) {
	ctx := c.UserContext()
	acc, details, err := h.lic.AccountDetails(ctx, accountID)
	if err != nil {
		return view.AccountTab{}, err
	}
	ids := make([]int64, len(details))
	for i, d := range details {
		ids[i] = d.Project.DBID
	}
	counts, err := h.lic.ProjectKeyCounts(ctx, ids, licensing.MaxKeyCount)
	if err != nil {
		return view.AccountTab{}, err
	}
	v := view.AccountTab{AccountID: acc.ID, AccountName: acc.Name, CanManage: web.Can(c, staff.PermLicensingManage)}
	for _, d := range details {
		keys := components.Thousands(counts[d.Project.DBID])
		if counts[d.Project.DBID] >= licensing.MaxKeyCount {
			keys += "+"
		}
		v.Projects = append(v.Projects, view.AccountTabProject{ID: d.Project.ID, Name: d.Project.Name, Keys: keys,
			Scripts: strconv.Itoa(len(d.Scripts)), Cooldown: bulkDuration(d.Project.ResetCooldown),
			Created: d.Project.CreatedAt.Format("Jan 2, 2006")})
	}
	return v, nil
}

// AccountTab fills the account page's Luarmor tab (Accounts.LuarmorTab):
// the page renders the projects at once. A user without licensing.view
// gets the tab's loader, which the fragment route then refuses.
func (h *LicensingBulk) AccountTab(c *fiber.Ctx, accountID int64) error {
	if !web.Can(c, staff.PermLicensingView) {
		return nil
	}
	v, err := h.accountTab(c, accountID)
	if err != nil {
		return err
	}
	c.SetUserContext(view.WithAccountTab(c.UserContext(), v))
	return nil
}

// accountProjects is an account's Luarmor projects: the fragment the
// account page's Luarmor tab loads, or a page of its own.
func (h *LicensingBulk) accountProjects(c *fiber.Ctx) error {
	id, ok := web.ParseID(c.Params("id"))
	if !ok {
		return licensing.ErrAccountNotFound
	}
	v, err := h.accountTab(c, id)
	if err != nil {
		return err
	}
	c.Vary("HX-Request")
	if web.IsHTMX(c) && c.Get("HX-History-Restore-Request") != "true" {
		return web.Render(c, fiber.StatusOK, view.AccountTabContent(v))
	}
	p := h.app.Page(c, "Luarmor projects of "+v.AccountName, "accounts", layouts.Crumb{Label: "Accounts", Href: "/accounts"},
		layouts.Crumb{Label: v.AccountName, Href: "/accounts/" + strconv.FormatInt(v.AccountID, 10) + "?tab=luarmor"}, layouts.Crumb{Label: "Luarmor"})
	return web.Render(c, fiber.StatusOK, view.AccountTabPage(p, v))
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
