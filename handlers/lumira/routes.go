// Package lumira is the Lumira console (Roblox group ranking): the group
// list with the add form and CSV export, the group page with its tabs
// (ladder, members, log, Discord, reconciliation, history), the member
// page with its rank and points forms, an action's page and the account
// tab. routes.go is its route table: every path with the permission it
// needs (viewers see; ranking.manage changes).
package lumira

import (
	"lumdesk/handlers/web"
	"lumdesk/internal/staff"
	view "lumdesk/views/pages/lumira"
)

// Routes implements RouteGroup.
func (h *Lumira) Routes(a *web.App) []web.Route {
	h.app = a
	read, manage := staff.PermRankingView, staff.PermRankingManage
	const grp = view.GroupPath + "/:id"
	const mem = grp + "/members/:user"
	return []web.Route{
		web.Get(view.GroupsPath, read, h.groups),
		web.Post(view.GroupsPath, manage, h.addGroup),
		web.Get(view.ExportPath, read, h.export),
		web.Get(grp, read, h.group),
		web.Post(grp+"/ladder", manage, h.setLadder),
		web.Post(grp+"/sync", manage, h.syncRoles),
		web.Post(grp+"/settings", manage, h.settings),
		web.Post(grp+"/webhook", manage, h.setWebhook),
		web.Post(grp+"/webhook/test", manage, h.sendTest),
		web.Post(grp+"/reconcile", manage, h.reconcile),
		web.Get(mem, read, h.member),
		web.Post(mem+"/set", manage, h.setRank),
		web.Post(mem+"/promote", manage, h.promote),
		web.Post(mem+"/demote", manage, h.demote),
		web.Post(mem+"/points", manage, h.points),
		web.Get(view.ActionsPath+"/:id", read, h.action),
	}
}
