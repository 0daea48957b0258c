// Package accounts is the console's customer account pages: list, search,
// create, edit, suspend, and the account page whose product tabs the product
// areas render (AccountTab). routes.go is its route table: every path with the
// permission it needs.
package accounts

import (
	"lumdesk/handlers/web"
	"lumdesk/internal/staff"
)

// Routes implements RouteGroup. Fixed paths come before /accounts/:id.
func (h *Accounts) Routes(a *web.App) []web.Route {
	h.app = a
	if h.portal == nil {
		h.portal = a.Customers()
	}
	return []web.Route{
		web.Get("/accounts", staff.PermAccountsView, h.list),
		web.Get("/accounts/export.csv", staff.PermAccountsView, h.export),
		web.Get("/accounts/new", staff.PermAccountsManage, h.newForm),
		web.Post("/accounts", staff.PermAccountsManage, h.create),
		web.Get("/accounts/:id", staff.PermAccountsView, h.detail),
		web.Get("/accounts/:id/edit", staff.PermAccountsManage, h.editForm),
		web.Post("/accounts/:id", staff.PermAccountsManage, h.update),
		web.Get("/accounts/:id/suspend", staff.PermAccountsSuspend, h.suspendForm),
		web.Post("/accounts/:id/suspend", staff.PermAccountsSuspend, h.suspend),
		web.Get("/accounts/:id/reactivate", staff.PermAccountsSuspend, h.reactivateForm),
		web.Post("/accounts/:id/reactivate", staff.PermAccountsSuspend, h.reactivate),
		web.Post("/accounts/:id/portal/invitations", staff.PermPortalInvite, h.invite),
		web.Post("/accounts/:id/portal/invitations/:inv/revoke", staff.PermPortalInvite, h.revokeInvitation),
		web.Post("/accounts/:id/portal/view", staff.PermPortalView, h.viewPortal),
	}
}
