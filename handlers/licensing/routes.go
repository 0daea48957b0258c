// Package licensing is the Luarmor console: projects, scripts, license keys
// and their support actions, plans, bulk jobs, import, export and support
// signals. routes.go is its route table: every path with the permission it
// needs.
package licensing

import (
	"lumdesk/handlers/web"
	"lumdesk/internal/staff"
	view "lumdesk/views/pages/licensing"
)

// Routes implements RouteGroup.
func (h *Bulk) Routes(a *web.App) []web.Route {
	h.app = a
	return []web.Route{
		web.Get("/luarmor/keys/export.csv", staff.PermLicensingView, h.export),
		web.Get(view.BulkPath, staff.PermLicensingView, h.bulkDispatch),
		web.Post(view.BulkPath, staff.PermLicensingView, h.bulkDispatch),
		web.Get(view.BulkPath+"/blacklist", staff.PermLicensingBlacklist, h.blacklistForm),
		web.Post(view.BulkPath+"/blacklist", staff.PermLicensingBlacklist, h.blacklist),
		web.Get(view.BulkPath+"/unban", staff.PermLicensingBlacklist, h.unbanForm),
		web.Post(view.BulkPath+"/unban", staff.PermLicensingBlacklist, h.unban),
		web.Get(view.BulkPath+"/reset-hwid", staff.PermLicensingResetHWID, h.resetForm),
		web.Post(view.BulkPath+"/reset-hwid", staff.PermLicensingResetHWID, h.reset),
		web.Get(view.BulkPath+"/extend", staff.PermLicensingManage, h.extendForm),
		web.Post(view.BulkPath+"/extend", staff.PermLicensingManage, h.extend),
		web.Get(view.BulkPath+"/delete", staff.PermLicensingDelete, h.deleteForm),
		web.Post(view.BulkPath+"/delete", staff.PermLicensingDelete, h.delete),
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
	h.app, h.scripts.App = a, a
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
		web.Get("/luarmor/projects/:pid/scripts/:sid", staff.PermLicensingView, h.scripts.Show),
		web.Post("/luarmor/projects/:pid/scripts/:sid", staff.PermLicensingManage, h.scripts.UpdateFlags),
		web.Post("/luarmor/projects/:pid/scripts/:sid/versions", staff.PermLicensingManage, h.scripts.Upload),
		web.Get("/luarmor/keys", staff.PermLicensingView, h.keys),
		web.Get(key, staff.PermLicensingView, h.key),
		web.Get(key+"/check", staff.PermLicensingView, h.check),
		web.Get(key+"/reset-hwid", staff.PermLicensingResetHWID, h.resetHWIDForm),
		web.Post(key+"/reset-hwid", staff.PermLicensingResetHWID, h.resetHWID),
		web.Post(key+"/reset-hwid/force", staff.PermLicensingForceReset, h.forceResetHWID),
		web.Get(key+"/link-discord", staff.PermLicensingManage, h.linkDiscordForm),
		web.Post(key+"/link-discord", staff.PermLicensingManage, h.linkDiscord),
		web.Get(key+"/blacklist", staff.PermLicensingBlacklist, h.blacklistForm),
		web.Post(key+"/blacklist", staff.PermLicensingBlacklist, h.blacklist),
		web.Get(key+"/unban", staff.PermLicensingBlacklist, h.unbanForm),
		web.Post(key+"/unban", staff.PermLicensingBlacklist, h.unban),
		web.Get(key+"/edit", staff.PermLicensingManage, h.editForm),
		web.Post(key+"/edit", staff.PermLicensingManage, h.edit),
		web.Get(key+"/delete", staff.PermLicensingDelete, h.deleteForm),
		web.Post(key+"/delete", staff.PermLicensingDelete, h.delete),
		web.Get("/luarmor/accounts/:id<int>/plan", staff.PermLicensingView, h.plan),
		web.Post("/luarmor/accounts/:id<int>/plan", staff.PermLicensingPlanEdit, h.setPlan),
	}
}
