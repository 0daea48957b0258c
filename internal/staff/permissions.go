package staff

import "slices"

// Role is a staff role.
type Role string

// The four roles.
const (
	RoleAdmin   Role = "admin"
	RoleSupport Role = "support"
	RoleFinance Role = "finance"
	RoleViewer  Role = "viewer"
)

// Roles lists every role, most powerful first.
var Roles = []Role{RoleAdmin, RoleSupport, RoleFinance, RoleViewer}

// ParseRole accepts a role name.
func ParseRole(s string) (Role, bool) {
	r := Role(s)
	return r, slices.Contains(Roles, r)
}

// RequiresTOTP reports whether the role must use a second factor (outside demo mode).
func (r Role) RequiresTOTP() bool { return r == RoleAdmin || r == RoleFinance }

// Permission is a named action. Routes declare the one they need.
type Permission string

// Route-level markers that are not granted by roles.
const (
	// PermPublic: no sign-in needed (login page, health checks, static files).
	PermPublic Permission = "public"
	// PermSignedIn: any signed-in staff user (own sessions, own security, search).
	PermSignedIn Permission = "signed_in"
)

// Permissions granted by roles.
const (
	PermDashboardView   Permission = "dashboard.view"
	PermAccountsView    Permission = "accounts.view"
	PermAccountsManage  Permission = "accounts.manage"
	PermAccountsSuspend Permission = "accounts.suspend"
	PermAPIKeysView     Permission = "apikeys.view"
	PermAPIKeysManage   Permission = "apikeys.manage"
	PermAuditView       Permission = "audit.view"
	PermAuditExport     Permission = "audit.export"
	PermStaffManage     Permission = "staff.manage"

	PermLicensingView       Permission = "licensing.view"
	PermLicensingManage     Permission = "licensing.manage"
	PermLicensingResetHWID  Permission = "licensing.key.reset_hwid"
	PermLicensingForceReset Permission = "licensing.key.reset_hwid_force"
	PermLicensingBlacklist  Permission = "licensing.key.blacklist"
	PermLicensingDelete     Permission = "licensing.key.delete"
	PermLicensingPlanEdit   Permission = "licensing.plan.edit" // set an account's Luarmor plan (max users, script updates)
	PermBillingView         Permission = "billing.view"
	PermBillingCredit       Permission = "billing.balance.credit"
	PermBillingApprove      Permission = "billing.balance.approve"
	PermProductsManage      Permission = "billing.products.manage" // change Lumi domains, VPS, proxies; every holder of billing.balance.credit has it too
	PermMarketplaceView     Permission = "marketplace.view"
	PermMarketplaceReview   Permission = "marketplace.review"
	PermMailView            Permission = "mail.view"
	PermMailManage          Permission = "mail.manage"
	PermRankingView         Permission = "ranking.view"
	PermRankingManage       Permission = "ranking.manage"
)

var viewPerms = []Permission{
	PermDashboardView, PermAccountsView, PermAPIKeysView, PermAuditView,
	PermLicensingView, PermBillingView, PermMarketplaceView, PermMailView, PermRankingView,
}

var rolePerms = map[Role][]Permission{
	RoleAdmin: append(slices.Clone(viewPerms),
		PermAccountsManage, PermAccountsSuspend, PermAPIKeysManage, PermAuditExport, PermStaffManage,
		PermLicensingManage, PermLicensingResetHWID, PermLicensingForceReset, PermLicensingBlacklist, PermLicensingDelete,
		PermLicensingPlanEdit, PermBillingCredit, PermBillingApprove, PermMarketplaceReview, PermMailManage, PermRankingManage, PermProductsManage),
	RoleSupport: append(slices.Clone(viewPerms),
		PermAccountsManage, PermAccountsSuspend,
		PermLicensingManage, PermLicensingResetHWID, PermLicensingBlacklist,
		PermMarketplaceReview, PermMailManage, PermRankingManage, PermProductsManage),
	RoleFinance: append(slices.Clone(viewPerms),
		PermAuditExport, PermBillingCredit, PermBillingApprove, PermProductsManage),
	RoleViewer: slices.Clone(viewPerms),
}

// Can reports whether role r holds permission p. PermPublic and PermSignedIn
// are route markers and are checked by the router, not here.
func (r Role) Can(p Permission) bool {
	return slices.Contains(rolePerms[r], p)
}

// PermissionsOf lists what a role may do (for the staff page).
func PermissionsOf(r Role) []Permission { return slices.Clone(rolePerms[r]) }
