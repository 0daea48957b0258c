package licensing

// The Luarmor dashboard: projects and their settings (this file), scripts
// (licensing_scripts.go), key lists (licensing_keys.go) and the key page with
// its support actions (licensing_key.go). Bulk work (generate, import,
// export, bulk actions, support signals) lives in licensing_bulk*.go.

import (
	"context"
	"errors"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/utils"

	"lumdesk/handlers/web"
	"lumdesk/internal/audit"
	"lumdesk/internal/licensing"
	"lumdesk/internal/platform/listcount"
	"lumdesk/internal/staff"
	"lumdesk/views/components"
	"lumdesk/views/layouts"
	view "lumdesk/views/pages/licensing"
)

// LicensingService is what the Luarmor pages need of internal/licensing.
type LicensingService interface {
	ResolveAccount(ctx context.Context, ref string) (licensing.Account, error)
	CreateProject(ctx context.Context, actor audit.Actor, in licensing.ProjectInput) (licensing.Project, error)
	UpdateProject(ctx context.Context, actor audit.Actor, projectID string, in licensing.ProjectInput) (licensing.Project, error)
	GetProject(ctx context.Context, projectID string) (licensing.Project, error)
	ListProjects(ctx context.Context, f licensing.ProjectFilter) (licensing.ProjectPage, error)
	ProjectKeyCounts(ctx context.Context, projectDBIDs []int64, limit int) (map[int64]int64, error)

	CreateScript(ctx context.Context, actor audit.Actor, projectID string, in licensing.ScriptInput) (licensing.Script, error)
	UpdateScript(ctx context.Context, actor audit.Actor, projectID, scriptID string, in licensing.ScriptUpdate) (licensing.Script, error)
	GetScript(ctx context.Context, projectID, scriptID string) (licensing.Script, error)
	ListScripts(ctx context.Context, projectID string) ([]licensing.Script, error)
	ScriptVersions(ctx context.Context, projectID, scriptID string) ([]licensing.ScriptVersion, error)
	ScriptVersion(ctx context.Context, projectID, scriptID string, version int) (licensing.ScriptVersion, error)

	ListKeys(ctx context.Context, f licensing.KeyFilter) (licensing.KeyPage, error)
	CountKeys(ctx context.Context, f licensing.KeyFilter, limitTo int) (listcount.Count, error)
	GetKeyByID(ctx context.Context, id int64) (licensing.Key, error)
	KeyExecutionsByDay(ctx context.Context, keyID int64, days int) ([]licensing.DayCount, error)
	Check(ctx context.Context, in licensing.CheckInput) (licensing.CheckResult, error)
	ResetHWID(ctx context.Context, actor audit.Actor, projectID, userKey string, opts licensing.ResetOpts) (licensing.Key, error)
	LinkDiscord(ctx context.Context, actor audit.Actor, projectID, userKey, discordID string, opts licensing.LinkOpts) (licensing.Key, error)
	Blacklist(ctx context.Context, actor audit.Actor, projectID, userKey string, in licensing.BlacklistInput) (licensing.Key, error)
	Unban(ctx context.Context, actor audit.Actor, projectID, userKey, reason string) (licensing.Key, error)
	UpdateKey(ctx context.Context, actor audit.Actor, projectID, userKey string, in licensing.KeyPatch) (licensing.Key, error)
	DeleteKey(ctx context.Context, actor audit.Actor, projectID, userKey, reason string) error

	PlanUsage(ctx context.Context, accountID int64) (licensing.PlanUsage, error)
	SetPlan(ctx context.Context, actor audit.Actor, accountID int64, in licensing.PlanInput) (licensing.Plan, error)
}

// Licensing serves the Luarmor pages.
type Licensing struct {
	svc     LicensingService
	app     *web.App
	now     func() time.Time
	scripts *Scripts // the script page, as the portal also serves it
}

// New makes the route group.
func New(svc LicensingService) *Licensing {
	h := &Licensing{svc: svc, now: time.Now}
	h.scripts = &Scripts{Face: view.ConsoleScripts,
		Project: func(c *fiber.Ctx, id string) (ScriptService, licensing.Project, error) {
			p, err := svc.GetProject(c.UserContext(), id)
			return svc, p, err
		},
		CanManage: func(c *fiber.Ctx) bool { return web.Can(c, staff.PermLicensingManage) },
		Page: func(c *fiber.Ctx, title string, crumbs ...layouts.Crumb) layouts.Page {
			return h.app.Page(c, title, "luarmor", append([]layouts.Crumb{luarmorCrumb}, crumbs...)...)
		}}
	return h
}

var luarmorCrumb = layouts.Crumb{Label: "Luarmor", Href: view.ProjectsPath}

const (
	// licInputFormat is what datetime-local inputs send (read as UTC).
	licInputFormat = "2006-01-02T15:04"
)

func licTimePtr(t *time.Time) string {
	if t == nil {
		return ""
	}
	return components.ExactTime(*t)
}

func licNum(n int64) string { return components.Thousands(n) }

// licHours is a cooldown as the form's hours ("24", "1.5").
func licHours(d time.Duration) string {
	return strconv.FormatFloat(d.Hours(), 'f', -1, 64)
}

// licParseHours reads the cooldown field: hours, 0 to 365 days, to the second.
func licParseHours(s string) (time.Duration, bool) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, true
	}
	h, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(h) || h < 0 || h > 365*24 {
		return 0, false
	}
	return time.Duration(math.Round(h*3600)) * time.Second, true
}

func licQuery(c *fiber.Ctx, name string) string {
	return strings.TrimSpace(utils.CopyString(c.Query(name)))
}

// ---------------------------------------------------------------- projects

func (h *Licensing) projectsRedirect(c *fiber.Ctx) error {
	q := string(c.Context().QueryArgs().QueryString())
	if q != "" {
		q = "?" + q
	}
	return c.Redirect(view.ProjectsPath+q, fiber.StatusFound)
}

func (h *Licensing) projects(c *fiber.Ctx) error {
	ctx := c.UserContext()
	v := view.ProjectList{Q: licQuery(c, "q"), Account: licQuery(c, "account"), Errors: map[string]string{},
		CanManage: web.Can(c, staff.PermLicensingManage)}
	f := licensing.ProjectFilter{Search: v.Q}
	if v.Account != "" {
		id, ok := web.ParseID(v.Account)
		if !ok {
			v.Errors["account"] = "The account filter must be an account id; showing every account."
			v.Account = ""
		}
		f.AccountID = id
	}
	if cur := licQuery(c, "before"); cur != "" {
		cr, err := licensing.ParseCursor(cur)
		if err != nil {
			v.Errors["cursor"] = "That page link is not valid; showing the newest projects."
		} else {
			f.Before = &cr
		}
	}
	page, err := h.svc.ListProjects(ctx, f)
	if errs := web.FieldErrors(err, map[string]string{"search": "q"}); errs != nil {
		for k, m := range errs {
			v.Errors[k] = "Search: " + m
		}
		v.Q, f.Search = "", ""
		page, err = h.svc.ListProjects(ctx, f)
	}
	if err != nil {
		return err
	}
	ids := make([]int64, len(page.Projects))
	for i, p := range page.Projects {
		ids[i] = p.DBID
	}
	counts, err := h.svc.ProjectKeyCounts(ctx, ids, licensing.MaxKeyCount)
	if err != nil {
		return err
	}
	for _, p := range page.Projects {
		v.Rows = append(v.Rows, view.ProjectRow{ID: p.ID, Name: p.Name, AccountID: p.AccountID, AccountName: p.AccountName,
			AccountEmail: p.AccountEmail, Keys: licKeyCount(counts[p.DBID]), Created: p.CreatedAt})
	}
	if page.Next != nil {
		v.NextHref = view.ProjectsPath + v.Query("before", page.Next.String())
	}
	if f.Before != nil {
		v.FirstHref = view.ProjectsPath + v.Query()
	}
	v.Empty = len(v.Rows) == 0 && v.Q == "" && v.Account == "" && f.Before == nil
	status := fiber.StatusOK
	if len(v.Errors) > 0 && !web.IsHTMX(c) {
		status = fiber.StatusUnprocessableEntity
	}
	c.Vary("HX-Request")
	return web.Render(c, status, view.ProjectsPage(h.app.Page(c, "Luarmor", "luarmor", layouts.Crumb{Label: "Luarmor"}), v))
}

func licKeyCount(n int64) string {
	if n >= licensing.MaxKeyCount {
		return licNum(licensing.MaxKeyCount) + "+"
	}
	return licNum(n)
}

func (h *Licensing) newProject(c *fiber.Ctx) error {
	f := view.ProjectForm{Account: licQuery(c, "account"), CooldownHours: licHours(licensing.DefaultResetCooldown), UsersCanReset: true}
	return h.projectForm(c, fiber.StatusOK, f)
}

func (h *Licensing) projectForm(c *fiber.Ctx, status int, f view.ProjectForm) error {
	p := h.app.Page(c, "New project", "luarmor", luarmorCrumb, layouts.Crumb{Label: "New project"})
	f.CSRF = p.CSRF
	return web.Render(c, status, view.NewProjectPage(p, f))
}

func (h *Licensing) createProject(c *fiber.Ctx) error {
	ctx := c.UserContext()
	f := view.ProjectForm{Account: strings.TrimSpace(web.FieldText(c, "account")), Name: web.FieldText(c, "name"),
		CooldownHours: strings.TrimSpace(web.FieldText(c, "cooldown_hours")), UsersCanReset: web.Checked(c, "users_can_reset"),
		FFADefault: web.Checked(c, "ffa_default"), Reason: web.FieldText(c, "reason"), Errors: map[string]string{}}
	cooldown, ok := licParseHours(f.CooldownHours)
	if !ok {
		f.Errors["reset_cooldown"] = "Give the cooldown in hours, from 0 to 8760."
	}
	acc, err := h.svc.ResolveAccount(ctx, f.Account)
	switch {
	case errors.Is(err, licensing.ErrAccountNotFound):
		f.Errors["account"] = "No account has that id or email."
	case err != nil:
		return err
	}
	if len(f.Errors) == 0 {
		p, err := h.svc.CreateProject(ctx, web.Actor(c), licensing.ProjectInput{AccountID: acc.ID, Name: f.Name, ResetCooldown: cooldown,
			UsersCanReset: f.UsersCanReset, FFADefault: f.FFADefault, Reason: f.Reason})
		if errs := web.FieldErrors(err, nil); errs != nil {
			f.Errors = errs
		} else if errors.Is(err, licensing.ErrAccountNotFound) {
			f.Errors["account"] = "No account has that id or email."
		} else if err != nil {
			return err
		} else {
			h.app.Toast(c, "success", "Project "+p.Name+" created.")
			return web.Redirect(c, view.ProjectHref(p.ID))
		}
	}
	return h.projectForm(c, fiber.StatusUnprocessableEntity, f)
}

func projectView(p licensing.Project, keys string) view.ProjectView {
	return view.ProjectView{ID: p.ID, Name: p.Name, AccountID: p.AccountID, AccountName: p.AccountName, AccountEmail: p.AccountEmail,
		Cooldown: components.Span(p.ResetCooldown), UsersCanReset: p.UsersCanReset, FFADefault: p.FFADefault, Keys: keys,
		Created: components.ExactTime(p.CreatedAt), Updated: components.ExactTime(p.UpdatedAt)}
}

// projectPage builds the project page; the settings form starts from the
// saved settings (callers replace it after a failed save).
func (h *Licensing) projectPage(c *fiber.Ctx, p licensing.Project) (view.ProjectPage, error) {
	ctx := c.UserContext()
	scripts, err := h.svc.ListScripts(ctx, p.ID)
	if err != nil {
		return view.ProjectPage{}, err
	}
	counts, err := h.svc.ProjectKeyCounts(ctx, []int64{p.DBID}, licensing.MaxKeyCount)
	if err != nil {
		return view.ProjectPage{}, err
	}
	v := view.ProjectPage{Project: projectView(p, licKeyCount(counts[p.DBID])), CanManage: web.Can(c, staff.PermLicensingManage),
		Settings: view.SettingsForm{Name: p.Name, CooldownHours: licHours(p.ResetCooldown), UsersCanReset: p.UsersCanReset, FFADefault: p.FFADefault},
		Tab:      "overview"}
	for _, s := range scripts {
		v.Scripts = append(v.Scripts, scriptRow(s))
	}
	return v, nil
}

func scriptRow(s licensing.Script) view.ScriptRow {
	last := "Never run"
	if s.LastExecutionAt != nil {
		last = "Last run " + components.ExactTime(*s.LastExecutionAt)
	}
	return view.ScriptRow{ProjectID: s.ProjectID, ID: s.ID, Name: s.Name, Version: s.Version, Silent: s.Silent, FFA: s.FFA,
		Heartbeat: s.Heartbeat, Lightning: s.Lightning, Executions: licNum(s.TotalExecutions), LastRun: last, Updated: components.ExactTime(s.UpdatedAt)}
}

func (h *Licensing) renderProject(c *fiber.Ctx, status int, v view.ProjectPage) error {
	p := h.app.Page(c, v.Project.Name, "luarmor", luarmorCrumb, layouts.Crumb{Label: v.Project.Name})
	v.CSRF = p.CSRF
	return web.Render(c, status, view.ProjectDetailPage(p, v))
}

func (h *Licensing) project(c *fiber.Ctx) error {
	p, err := h.svc.GetProject(c.UserContext(), c.Params("pid"))
	if err != nil {
		return err
	}
	v, err := h.projectPage(c, p)
	if err != nil {
		return err
	}
	if c.Query("tab") == "history" {
		v.Tab = "history"
	}
	return h.renderProject(c, fiber.StatusOK, v)
}

func (h *Licensing) updateProject(c *fiber.Ctx) error {
	ctx := c.UserContext()
	p, err := h.svc.GetProject(ctx, c.Params("pid"))
	if err != nil {
		return err
	}
	form := view.SettingsForm{Name: web.FieldText(c, "name"), CooldownHours: strings.TrimSpace(web.FieldText(c, "cooldown_hours")),
		UsersCanReset: web.Checked(c, "users_can_reset"), FFADefault: web.Checked(c, "ffa_default"), Reason: web.FieldText(c, "reason"),
		Errors: map[string]string{}}
	cooldown, ok := licParseHours(form.CooldownHours)
	if !ok {
		form.Errors["reset_cooldown"] = "Give the cooldown in hours, from 0 to 8760."
	} else {
		saved, err := h.svc.UpdateProject(ctx, web.Actor(c), p.ID, licensing.ProjectInput{Name: form.Name, ResetCooldown: cooldown,
			UsersCanReset: form.UsersCanReset, FFADefault: form.FFADefault, Reason: form.Reason})
		if errs := web.FieldErrors(err, nil); errs != nil {
			form.Errors = errs
		} else if err != nil {
			return err
		} else {
			h.app.Toast(c, "success", "Settings of "+saved.Name+" saved.")
			return web.Redirect(c, view.ProjectHref(saved.ID))
		}
	}
	v, err := h.projectPage(c, p)
	if err != nil {
		return err
	}
	v.Settings = form
	return h.renderProject(c, fiber.StatusUnprocessableEntity, v)
}

func (h *Licensing) createScript(c *fiber.Ctx) error {
	ctx := c.UserContext()
	p, err := h.svc.GetProject(ctx, c.Params("pid"))
	if err != nil {
		return err
	}
	form := view.ScriptForm{Name: web.FieldText(c, "name"), FFA: web.FieldText(c, "ffa"), Reason: web.FieldText(c, "reason"), Errors: map[string]string{}}
	in := licensing.ScriptInput{Name: form.Name, Reason: form.Reason}
	switch form.FFA {
	case "":
	case "on", "off":
		ffa := form.FFA == "on"
		in.FFA = &ffa
	default:
		form.Errors["ffa"] = "Choose yes, no or the project's default."
		form.FFA = ""
	}
	if len(form.Errors) == 0 {
		s, err := h.svc.CreateScript(ctx, web.Actor(c), p.ID, in)
		if errs := web.FieldErrors(err, nil); errs != nil {
			form.Errors = errs
		} else if errs := planRefusal(err, "name"); errs != nil {
			form.Errors = errs
		} else if err != nil {
			return err
		} else {
			h.app.Toast(c, "success", "Script "+s.Name+" added; upload its source next.")
			return web.Redirect(c, view.ScriptHref(p.ID, s.ID)+"?tab=upload")
		}
	}
	v, err := h.projectPage(c, p)
	if err != nil {
		return err
	}
	v.NewScript = form
	return h.renderProject(c, fiber.StatusUnprocessableEntity, v)
}
