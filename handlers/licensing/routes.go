package licensing

import (
	"lumdesk/handlers/web"
	"lumdesk/internal/staff"
	view "lumdesk/views/pages/licensing"
)

// Routes implements RouteGroup.
func (h *LicensingBulk) Routes(a *web.App) []web.Route {
	h.app = a
	return []web.Route{
		web.Get("/luarmor/keys/export.csv", staff.PermLicensingView, h.export),
		web.Get(view.BulkPath, staff.PermLicensingView, h.bulkForm),
		web.Post(view.BulkPath, staff.PermLicensingView, h.bulk), // + bulkActionPerms[action]
		web.Get(view.GeneratePath, staff.PermLicensingManage, h.generateForm),
		web.Post(view.GeneratePath, staff.PermLicensingManage, h.generate),
		web.Get(view.ImportPath, staff.PermLicensingManage, h.importForm),
		web.Post(view.ImportPath, staff.PermLicensingManage, h.importFile),
		web.Get(view.JobsPath, staff.PermLicensingView, h.jobList),
		web.Get(view.JobsPath+"/:id<int>", staff.PermLicensingView, h.job),
		web.Get(view.JobsPath+"/:id<int>/results.csv", staff.PermLicensingView, h.jobCSV),
		web.Get(view.SignalsPath, staff.PermLicensingView, h.signals),
		web.Get("/luarmor/accounts/:id<int>/projects", staff.PermLicensingView, h.accountProjects),
	}
}

// Routes implements RouteGroup. Key ids are numeric (:id<int>), so the bulk
// pages under /luarmor/keys/ (generate, import, export.csv, bulk) never
// match the key routes, whatever order the groups register in.
func (h *Licensing) Routes(a *web.App) []web.Route {
	h.app = a
	const key = "/luarmor/keys/:id<int>"
	return []web.Route{
		web.Get("/luarmor", staff.PermLicensingView, h.projects),
		web.Get("/luarmor/projects", staff.PermLicensingView, h.projectsRedirect),
		web.Get("/luarmor/projects/new", staff.PermLicensingManage, h.newProject),
		web.Post("/luarmor/projects", staff.PermLicensingManage, h.createProject),
		web.Get("/luarmor/projects/:pid", staff.PermLicensingView, h.project),
		web.Post("/luarmor/projects/:pid", staff.PermLicensingManage, h.updateProject),
		web.Get("/luarmor/projects/:pid/keys", staff.PermLicensingView, h.projectKeys),
		web.Post("/luarmor/projects/:pid/scripts", staff.PermLicensingManage, h.createScript),
		web.Get("/luarmor/projects/:pid/scripts/:sid", staff.PermLicensingView, h.script),
		web.Post("/luarmor/projects/:pid/scripts/:sid", staff.PermLicensingManage, h.updateFlags),
		web.Post("/luarmor/projects/:pid/scripts/:sid/versions", staff.PermLicensingManage, h.uploadVersion),
		web.Get("/luarmor/keys", staff.PermLicensingView, h.keys),
		web.Get(key, staff.PermLicensingView, h.key),
		web.Get(key+"/check", staff.PermLicensingView, h.check),
		web.Get(key+"/reset-hwid", staff.PermLicensingResetHWID, h.keyActionForm("reset-hwid")),
		web.Post(key+"/reset-hwid", staff.PermLicensingResetHWID, h.keyAction("reset-hwid")),
		web.Get(key+"/link-discord", staff.PermLicensingManage, h.keyActionForm("link-discord")),
		web.Post(key+"/link-discord", staff.PermLicensingManage, h.keyAction("link-discord")),
		web.Get(key+"/blacklist", staff.PermLicensingBlacklist, h.keyActionForm("blacklist")),
		web.Post(key+"/blacklist", staff.PermLicensingBlacklist, h.keyAction("blacklist")),
		web.Get(key+"/unban", staff.PermLicensingBlacklist, h.keyActionForm("unban")),
		web.Post(key+"/unban", staff.PermLicensingBlacklist, h.keyAction("unban")),
		web.Get(key+"/edit", staff.PermLicensingManage, h.keyActionForm("edit")),
		web.Post(key+"/edit", staff.PermLicensingManage, h.keyAction("edit")),
		web.Get(key+"/delete", staff.PermLicensingDelete, h.keyActionForm("delete")),
		web.Post(key+"/delete", staff.PermLicensingDelete, h.keyAction("delete")),
	}
}
