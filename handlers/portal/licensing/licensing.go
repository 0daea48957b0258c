// Package licensing is the customer portal's Luarmor area (/portal/luarmor):
// the account's projects, their scripts and license keys, the key actions
// the Luarmor API offers (reset HWID with its cooldown and force,
// blacklist, unban), generating keys, CSV export and script versions.
//
// Every call goes through licensing.Service.In(web.PortalScope(c)): another
// account's project, script or key is "not found" exactly like an unknown
// one. Reads need customers.PermView, changes customers.PermDevelop (the
// route table says which).
package licensing

import (
	"time"

	"github.com/gofiber/fiber/v2"

	console "lumdesk/handlers/licensing"
	"lumdesk/handlers/web"
	"lumdesk/internal/accounts"
	"lumdesk/internal/customers"
	"lumdesk/internal/licensing"
	"lumdesk/internal/product"
	"lumdesk/views/components"
	"lumdesk/views/layouts"
	cview "lumdesk/views/pages/licensing"
	portalview "lumdesk/views/pages/portal"
	view "lumdesk/views/pages/portal/licensing"
)

// Service is what the portal's Luarmor pages need: the licensing service
// limited to one account.
type Service interface {
	In(scope accounts.Scope) licensing.Scoped
}

// Portal serves /portal/luarmor (a web.RouteGroup and a portal.Area).
type Portal struct {
	svc     Service
	app     *web.App
	now     func() time.Time
	scripts *console.Scripts // the console's script page, in the portal's face
}

// New makes the route group.
func New(svc Service) *Portal {
	h := &Portal{svc: svc, now: time.Now}
	h.scripts = &console.Scripts{Face: cview.ScriptFace{Path: view.Path, Portal: true},
		Project: func(c *fiber.Ctx, id string) (console.ScriptService, licensing.Project, error) {
			return h.scoped(c).Project(c.UserContext(), id)
		},
		CanManage: func(c *fiber.Ctx) bool { return web.CustomerMay(c, customers.PermDevelop) },
		Page: func(c *fiber.Ctx, title string, crumbs ...layouts.Crumb) layouts.Page {
			return h.page(c, title, append([]layouts.Crumb{crumb}, crumbs...)...)
		}}
	return h
}

// Routes implements web.RouteGroup. Key ids are numeric.
func (h *Portal) Routes(a *web.App) []web.Route {
	h.app, h.scripts.App = a, a
	const project = view.Path + "/projects/:pid"
	const key = view.Path + "/keys/:id<int>"
	return []web.Route{
		web.PortalGet(view.Path, customers.PermView, h.projects),
		web.PortalGet(project, customers.PermView, h.project),
		web.PortalGet(project+"/keys.csv", customers.PermView, h.export),
		web.PortalGet(project+"/generate", customers.PermDevelop, h.generateForm),
		web.PortalPost(project+"/keys/bulk", customers.PermDevelop, h.bulk),
		web.PortalPost(project+"/generate", customers.PermDevelop, h.generate),
		web.PortalGet(project+"/scripts/:sid", customers.PermView, h.scripts.Show),
		web.PortalPost(project+"/scripts/:sid", customers.PermDevelop, h.scripts.UpdateFlags),
		web.PortalPost(project+"/scripts/:sid/versions", customers.PermDevelop, h.scripts.Upload),
		web.PortalGet(key, customers.PermView, h.key),
		web.PortalPost(key+"/reset-hwid", customers.PermDevelop, h.resetHWID),
		web.PortalPost(key+"/blacklist", customers.PermDevelop, h.blacklist),
		web.PortalPost(key+"/unban", customers.PermDevelop, h.unban),
		web.PortalPost(key+"/edit", customers.PermDevelop, h.edit),
		web.PortalPost(key+"/delete", customers.PermDevelop, h.delete),
	}
}

// PortalProduct implements portal.Area.
func (h *Portal) PortalProduct() string { return product.Licensing }

// PortalHome implements portal.Area: the account's projects and keys.
func (h *Portal) PortalHome(c *fiber.Ctx, accountID int64) (portalview.HomeProduct, error) {
	o, err := h.svc.In(accounts.Only(accountID)).Overview(c.UserContext())
	if err != nil {
		return portalview.HomeProduct{}, err
	}
	if o.Projects == 0 {
		return portalview.HomeProduct{Empty: "No Luarmor projects yet. Ask us to create one, then manage its scripts and keys here."}, nil
	}
	return portalview.HomeProduct{Figures: []portalview.Figure{
		{Label: "Projects", Value: num(int64(o.Projects))},
		{Label: "Keys", Value: num(o.Keys.Total)},
		{Label: "Active", Value: num(o.Keys.Active)},
		{Label: "Blacklisted", Value: num(o.Keys.Banned)},
	}}, nil
}

func (h *Portal) scoped(c *fiber.Ctx) licensing.Scoped { return h.svc.In(web.PortalScope(c)) }

var crumb = layouts.Crumb{Label: "Luarmor", Href: view.Path}

func (h *Portal) page(c *fiber.Ctx, title string, crumbs ...layouts.Crumb) layouts.Page {
	return h.app.PortalPage(c, title, view.Nav, crumbs...)
}

func num(n int64) string { return components.Thousands(n) }

func timePtr(t *time.Time) string {
	if t == nil {
		return ""
	}
	return components.ExactTime(*t)
}

// keyCount is a capped count ("1,000+").
func keyCount(n int64) string {
	if n >= licensing.MaxKeyCount {
		return num(licensing.MaxKeyCount) + "+"
	}
	return num(n)
}

// projects is /portal/luarmor: the account's projects, newest first.
func (h *Portal) projects(c *fiber.Ctx) error {
	ctx := c.UserContext()
	svc := h.scoped(c)
	v := view.ProjectList{}
	f := licensing.ProjectFilter{}
	if cur := c.Query("before"); cur != "" {
		cr, err := licensing.ParseCursor(cur)
		if err != nil {
			v.Error = "That page link is not valid; showing the newest projects."
		} else {
			f.Before = &cr
		}
	}
	page, err := svc.ListProjects(ctx, f)
	if err != nil {
		return err
	}
	counts, err := svc.ProjectKeyCounts(ctx, page.Projects, licensing.MaxKeyCount)
	if err != nil {
		return err
	}
	for _, p := range page.Projects {
		v.Rows = append(v.Rows, view.ProjectRow{ID: p.ID, Name: p.Name, Keys: keyCount(counts[p.DBID]), Cooldown: components.Span(p.ResetCooldown), Created: p.CreatedAt})
	}
	if page.Next != nil {
		v.NextHref = view.Path + "?before=" + page.Next.String()
	}
	if f.Before != nil {
		v.FirstHref = view.Path
	}
	status := fiber.StatusOK
	if v.Error != "" {
		status = fiber.StatusUnprocessableEntity
	}
	return web.Render(c, status, view.ProjectsPage(h.page(c, "Luarmor", layouts.Crumb{Label: "Luarmor"}), v))
}
