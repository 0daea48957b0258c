package staff

import (
	"slices"

	"lumdesk/internal/product"
)

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

// Console permissions granted by roles. Product permissions are declared in
// the product registry (internal/product) with the roles that hold them; the
// constants below only give route tables a typed name for them.
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
	// PermPortalView: open an account's customer portal read-only (support).
	PermPortalView Permission = "accounts.portal_view"
	// PermPortalInvite: invite an account's portal users (its first owner).
	PermPortalInvite Permission = "accounts.portal_invite"
	// PermBotManage: the Discord bot's links (unlink, link codes) and the sandbox console's sends.
	PermBotManage Permission = "bot.manage"
)

// Product permissions, named by the registry.
const (
	PermLicensingView       Permission = product.PermLicensingView
	PermLicensingManage     Permission = product.PermLicensingManage
	PermLicensingResetHWID  Permission = product.PermLicensingResetHWID
	PermLicensingForceReset Permission = product.PermLicensingForceReset
	PermLicensingBlacklist  Permission = product.PermLicensingBlacklist
	PermLicensingDelete     Permission = product.PermLicensingDelete
	PermLicensingPlanEdit   Permission = product.PermLicensingPlanEdit
	PermBillingView         Permission = product.PermBillingView
	PermBillingCredit       Permission = product.PermBillingCredit
	PermBillingApprove      Permission = product.PermBillingApprove
	PermProductsManage      Permission = product.PermBillingProducts // every holder of billing.balance.credit has it too
	PermMarketplaceView     Permission = product.PermMarketplaceView
	PermMarketplaceReview   Permission = product.PermMarketplaceReview
	PermMailView            Permission = product.PermMailView
	PermMailManage          Permission = product.PermMailManage
	PermRankingView         Permission = product.PermRankingView
	PermRankingManage       Permission = product.PermRankingManage
)

// consoleDescriptions say what each console permission allows, as the
// registry says it of each product's (product.Permission.Description).
var consoleDescriptions = map[Permission]string{
	PermDashboardView:   "See the overview",
	PermAccountsView:    "View customer accounts",
	PermAccountsManage:  "Edit customer accounts",
	PermAccountsSuspend: "Suspend and restore accounts",
	PermAPIKeysView:     "View API keys",
	PermAPIKeysManage:   "Issue and revoke API keys",
	PermAuditView:       "Read the audit log",
	PermAuditExport:     "Export the audit log",
	PermStaffManage:     "Manage staff and their access",
	PermPortalView:      "Open an account's customer portal, read-only",
	PermPortalInvite:    "Invite an account's portal users",
	PermBotManage:       "Manage the Discord bot's server links",
}

// Describe says what p allows, in words for the staff pages: the console's
// own, else the product registry's.
func Describe(p Permission) string {
	if d := consoleDescriptions[p]; d != "" {
		return d
	}
	for _, rp := range product.Permissions() {
		if rp.Name == string(p) {
			return rp.Description
		}
	}
	return string(p)
}

// consolePerms are the permissions of the console itself, by role.
var consolePerms = map[Role][]Permission{
	RoleAdmin: {PermDashboardView, PermAccountsView, PermAPIKeysView, PermAuditView,
		PermAccountsManage, PermAccountsSuspend, PermAPIKeysManage, PermAuditExport, PermStaffManage, PermPortalView, PermPortalInvite, PermBotManage},
	RoleSupport: {PermDashboardView, PermAccountsView, PermAPIKeysView, PermAuditView,
		PermAccountsManage, PermAccountsSuspend, PermPortalView, PermPortalInvite, PermBotManage},
	RoleFinance: {PermDashboardView, PermAccountsView, PermAPIKeysView, PermAuditView,
		PermAuditExport},
	RoleViewer: {PermDashboardView, PermAccountsView, PermAPIKeysView, PermAuditView},
}

// rolePerms is what each role holds: the console's permissions, then each
// product's in registry order.
var rolePerms = func() map[Role][]Permission {
	out := make(map[Role][]Permission, len(Roles))
	for _, r := range Roles {
		out[r] = slices.Clone(consolePerms[r])
	}
	for _, p := range product.Permissions() {
		for _, name := range p.Roles {
			out[Role(name)] = append(out[Role(name)], Permission(p.Name))
		}
	}
	return out
}()

// AllPermissions lists every permission a role can hold: the console's and
// every product's.
func AllPermissions() []Permission {
	var out []Permission
	for _, r := range Roles {
		for _, p := range rolePerms[r] {
			if !slices.Contains(out, p) {
				out = append(out, p)
			}
		}
	}
	return out
}

// Can reports whether role r holds permission p. PermPublic and PermSignedIn
// are route markers and are checked by the router, not here.
func (r Role) Can(p Permission) bool {
	return slices.Contains(rolePerms[r], p)
}

// PermissionsOf lists what a role may do (for the staff page).
func PermissionsOf(r Role) []Permission { return slices.Clone(rolePerms[r]) }
