package audit

import "strings"

// Entity types, as stored in audit_events.entity_type. The writers in each
// area pass these strings (some through their own constants, such as
// products.ProductDomain); TestEveryWrittenEntityTypeIsKnown in this package
// scans the code for audit.Event literals and fails when one writes a type
// that is not listed here, so a new type cannot miss its label and its link.
const (
	EntityAccount             = "account"
	EntityAPIKey              = "api_key"
	EntityStaffUser           = "staff_user"
	EntityCustomerUser        = "customer_user"
	EntityBulkJob             = "bulk_job"
	EntityLicenseKey          = "license_key"
	EntityLicensingProject    = "licensing_project"
	EntityLicensingScript     = "licensing_script"
	EntityDomain              = "domain"
	EntityVPS                 = "vps"
	EntityProxy               = "proxy"
	EntityTLDPrice            = "tld_price"
	EntityPlanPrice           = "plan_price"
	EntityMailApp             = "mail_app"
	EntityMailDomain          = "mail_domain"
	EntityMailTemplate        = "mail_template"
	EntityMailWebhook         = "mail_webhook"
	EntityMailWebhookDelivery = "mail_webhook_delivery"
	EntityLumioExtension      = "lumio_extension" // by public id, ext_...
	EntityLumioVersion        = "lumio_version"   // by public id, ver_...
	EntityLumiraGroup         = "lumira_group"    // by public id, grp_...
	EntityLumiraAction        = "lumira_action"   // by public id, act_...
	EntityBotLink             = "bot_link"        // a Discord server linked to a project or group, by public id, gln_...
)

// Things the rows of an account record by id in their data (a ledger
// entry, a deposit, an approval request): not audit entities of their own,
// but linked from the change list to where the console shows them.
const (
	RefLedgerEntry = "ledger_entry"
	RefDeposit     = "deposit"
	RefApproval    = "adjustment_request"
)

// RefTypes lists the types a value may point at besides EntityTypes.
var RefTypes = []string{RefLedgerEntry, RefDeposit, RefApproval}

// EntityTypes lists every entity type the code records.
var EntityTypes = []string{
	EntityAccount, EntityAPIKey, EntityStaffUser, EntityCustomerUser, EntityBulkJob,
	EntityLicenseKey, EntityLicensingProject, EntityLicensingScript,
	EntityDomain, EntityVPS, EntityProxy, EntityTLDPrice, EntityPlanPrice,
	EntityMailApp, EntityMailDomain, EntityMailTemplate, EntityMailWebhook, EntityMailWebhookDelivery,
	EntityLumioExtension, EntityLumioVersion,
	EntityLumiraGroup, EntityLumiraAction,
	EntityBotLink,
}

// entityNouns name the types for people, as the pages do.
var entityNouns = map[string]string{
	EntityAccount:             "account",
	EntityAPIKey:              "API key",
	EntityStaffUser:           "staff user",
	EntityCustomerUser:        "portal user",
	EntityBulkJob:             "bulk job",
	EntityLicenseKey:          "license key",
	EntityLicensingProject:    "Luarmor project",
	EntityLicensingScript:     "Luarmor script",
	EntityDomain:              "domain",
	EntityVPS:                 "VPS",
	EntityProxy:               "proxy",
	EntityTLDPrice:            "domain price",
	EntityPlanPrice:           "plan price",
	EntityMailApp:             "Lumora app",
	EntityMailDomain:          "sending domain",
	EntityMailTemplate:        "Lumora template",
	EntityMailWebhook:         "webhook endpoint",
	EntityMailWebhookDelivery: "webhook delivery",
	EntityLumioExtension:      "Lumio extension",
	EntityLumioVersion:        "Lumio version",
	EntityLumiraGroup:         "Lumira group",
	EntityLumiraAction:        "Lumira action",
	EntityBotLink:             "Discord server link",
}

// EntityNoun names an entity type for people: "api_key" → "API key". An
// unknown type is shown with its underscores as spaces.
func EntityNoun(entityType string) string {
	if n, ok := entityNouns[entityType]; ok {
		return n
	}
	return spaced(entityType)
}

// EntityLabel is the entity noun capitalised, for a label standing alone
// (a filter's option): "license_key" → "License key".
func EntityLabel(entityType string) string { return capitalize(EntityNoun(entityType)) }

func capitalize(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// commonLabels name fields that mean the same on every entity. The
// per-type maps below win over these.
var commonLabels = map[string]string{
	"account_id":      "Account",
	"name":            "Name",
	"email":           "Email",
	"status":          "Status",
	"note":            "Note",
	"discord_id":      "Discord ID",
	"expires_at":      "Expires",
	"auto_renew":      "Auto-renew",
	"plan":            "Plan",
	"price":           "Price",
	"amount":          "Amount",
	"balance":         "Balance",
	"product":         "Product",
	"reason":          "Reason",
	"filters":         "Filters",
	"deposit":         "Deposit",
	"provider":        "Provider",
	"provider_ref":    "Provider reference",
	"request":         "Approval request",
	"requested_by":    "Requested by",
	"approval_note":   "Approval note",
	"entry_id":        "Ledger entry",
	"kind":            "Kind",
	"cause":           "Cause",
	"idempotency_key": "Idempotency key",
	"refunded":        "Refunded",
	"keys":            "Keys",
	"project_id":      "Project",
	"title":           "Title",
	"total":           "Items",
	"effective_from":  "Effective from",
}

// fieldLabels name each type's fields as its page names them.
var fieldLabels = map[string]map[string]string{
	EntityAccount: {
		"suspended_reason":       "Suspension reason",
		"max_users_per_project":  "Max users",
		"obfuscations_per_month": "Script updates",
	},
	EntityAPIKey: {
		"operator":              "Operator key",
		"prefix":                "Prefix",
		"scopes":                "Scopes",
		"rate_limit_per_minute": "Rate limit",
		"signing_secret":        "Request signing",
		"revoked":               "Revoked",
		"revoked_reason":        "Revocation reason",
		"daily_spend_cap":       "Daily spend cap",
		"rotated_from_id":       "Rotated from",
	},
	EntityStaffUser: {
		"role":         "Role",
		"totp_enabled": "Two-factor",
		"disabled":     "Disabled",
	},
	EntityCustomerUser: {
		"role":         "Role",
		"totp_enabled": "Two-factor",
		"disabled":     "Removed",
	},
	EntityLicenseKey: {
		"user_key":     "Key",
		"identifier":   "HWID",
		"banned":       "Blacklisted",
		"total_resets": "HWID resets",
		"key_days":     "Key days",
		"auth_expire":  "Expires",
		"activated_at": "Activated",
		"ban_reason":   "Ban reason",
		"ban_expire":   "Ban ends",
	},
	EntityLicensingProject: {
		"reset_cooldown_seconds": "HWID reset cooldown",
		"users_can_reset":        "Users can reset",
		"ffa_default":            "FFA for new scripts",
	},
	EntityLicensingScript: {
		"silent":    "Silent",
		"ffa":       "FFA",
		"heartbeat": "Heartbeat",
		"lightning": "Lightning",
		"version":   "Current version",
	},
	EntityDomain: {
		"years":       "Years",
		"locked":      "Transfer lock",
		"privacy":     "WHOIS privacy",
		"nameservers": "Nameservers",
	},
	EntityVPS: {
		"months": "Months",
		"power":  "Power",
		"ip":     "IP",
	},
	EntityTLDPrice: {
		"tld":      "TLD",
		"register": "Registration",
		"renew":    "Renewal",
		"transfer": "Transfer",
	},
	EntityPlanPrice: {
		"description": "Description",
		"monthly":     "Monthly price",
	},
	EntityMailTemplate: {
		"slug":       "Slug",
		"subject":    "Subject",
		"version":    "Current version",
		"html_bytes": "HTML size (bytes)",
		"text_bytes": "Text size (bytes)",
	},
	EntityLumioExtension: {
		"slug":              "Slug",
		"short_description": "Short description",
		"description":       "Description",
		"pricing":           "Pricing",
		"type":              "Type",
		"currency":          "Currency",
		"interval":          "Billing interval",
		"visibility":        "Visibility",
		"ever_public":       "Ever public",
		"deprecated":        "Deprecated",
		"replacement_id":    "Replacement",
		"current_version":   "Current version",
		"secret":            "Secret",
		"value":             "Value",
	},
	EntityLumioVersion: {
		"extension":        "Extension",
		"version":          "Version",
		"changelog":        "Changelog",
		"bundle_sha256":    "Bundle SHA-256",
		"bundle_size":      "Bundle size (bytes)",
		"unpacked_size":    "Unpacked size (bytes)",
		"file_count":       "Files",
		"rollout_percent":  "Rollout (%)",
		"rejection_reason": "Rejection reason",
		"reviewer_id":      "Reviewer",
		"approved_at":      "Approved",
	},
	EntityLumiraGroup: {
		"roblox_group_id": "Roblox group",
		"sandbox":         "Sandbox",
		"ceiling_rank":    "Ceiling (rank)",
		"webhook":         "Discord webhook",
		"webhook_status":  "Discord webhook status",
		"auto_promote":    "Auto-promotion",
		"key_scopes":      "Key scopes",
		"ladder":          "Ladder",
		"has_key":         "API key set",
		"content":         "Message",
	},
	EntityLumiraAction: {
		"group":        "Group",
		"user_id":      "Roblox user",
		"old_role":     "Old role",
		"old_rank":     "Old rank",
		"new_role":     "New role",
		"new_rank":     "New rank",
		"points_delta": "Points",
		"error":        "Roblox's answer",
	},
	EntityProxy: {
		"type":      "Type",
		"country":   "Country",
		"host":      "Host",
		"port":      "Port",
		"username":  "Username",
		"allow_ips": "Allowed IPs",
	},
}

// moneyFields hold amounts as decimal dollar strings ("1063.6" or "10.00",
// what money.Cents.String writes), on any entity.
var moneyFields = map[string]bool{
	"amount": true, "balance": true, "price": true, "refunded": true, "daily_spend_cap": true,
	"renewal_price": true, "register_price": true, "transfer_price": true, "monthly_price": true,
}

// refFields point at another entity: the value is its id.
var refFields = map[string]string{
	"account_id":      EntityAccount,
	"rotated_from_id": EntityAPIKey,
	"entry_id":        RefLedgerEntry,
	"deposit":         RefDeposit,
	"request":         RefApproval,
}

// FieldLabel names a field of an entity type for people: the page's label,
// else the common one, else the field humanized ("ban_expire" → "Ban
// expire"). Nested paths label their last part under the parent's label.
func FieldLabel(entityType, field string) string {
	if l, ok := fieldLabels[entityType][field]; ok {
		return l
	}
	if l, ok := commonLabels[field]; ok {
		return l
	}
	for i := len(field) - 1; i >= 0; i-- {
		if field[i] == '.' {
			return FieldLabel(entityType, field[:i]) + " › " + FieldLabel(entityType, field[i+1:])
		}
	}
	return humanize(field)
}

// actionNouns name the first part of an action ("api_key.revoke") where it
// differs from the entity noun.
var actionNouns = map[string]string{
	"staff":          "Staff",
	"balance":        "Balance",
	"deposit":        "Deposit",
	"price":          "Price",
	"audit":          "Audit log",
	"licensing_plan": "Luarmor plan",
	// A customer user's own actions in the portal.
	"customer": "Portal user",
	// Lumora suppressions are recorded on their account.
	"mail_suppression": "Mail suppression",
}

// actionVerbs say what happened, by the action's second part.
var actionVerbs = map[string]string{
	"lift": "lifted", "add": "added", "replay": "replayed", "create": "created", "update": "updated", "delete": "deleted", "set": "set",
	"suspend": "suspended", "reactivate": "reactivated", "note": "note added",
	"revoke": "revoked", "rotate": "rotated", "issue": "issued", "export": "exported", "import": "imported",
	"enable": "enabled", "disable": "disabled", "change_role": "role changed", "reset_password": "password reset",
	"reset_totp": "two-factor reset", "totp_enable": "two-factor turned on", "revoke_sessions": "sessions ended",
	"session_revoke": "session ended", "sign_out_everywhere": "signed out everywhere",
	"login": "signed in", "login_failed": "sign-in failed", "logout": "signed out",
	"adjust": "adjusted", "adjustment_request": "adjustment requested", "adjustment_approve": "adjustment approved",
	"adjustment_reject": "adjustment rejected", "debit": "debited", "refund": "refunded", "topup": "topped up",
	"deposit": "deposit credited", "cancel": "cancelled", "expire": "expired", "invoice": "invoiced", "paid": "paid",
	"sandbox_payment": "paid (sandbox)", "created": "created",
	"activate": "activated", "buy": "bought", "renew": "renewed", "renew_fail": "renewal failed",
	"renewal_failed": "renewal failed", "fail": "failed", "epp_reveal": "EPP code revealed",
	"password_reveal": "password revealed", "set_auto_renew": "auto-renew changed", "set_lock": "transfer lock changed",
	"set_nameservers": "nameservers changed", "set_privacy": "WHOIS privacy changed", "set_allow_list": "allowed IPs changed",
	"power_start": "started", "power_stop": "stopped", "power_reboot": "rebooted",
	"blacklist": "blacklisted", "unban": "unbanned", "extend": "extended", "generate": "generated",
	"bulk_load": "bulk-loaded", "hwid_assign": "HWID assigned", "link_discord": "Discord linked",
	"reset_hwid": "HWID reset", "reset_hwid_force": "HWID reset (forced)", "upload": "version uploaded",
	// Lumio: versions under review and an extension's write-only secrets.
	"submit": "submitted", "approve": "approved", "reject": "rejected", "rollout": "rollout changed",
	"secret_set": "secret set", "secret_delete": "secret deleted",
	// The customer portal: its users' own changes, invitations and staff viewing it.
	"password_change": "password changed", "password_reset": "password reset", "reset_request": "password reset requested",
	"totp_disable": "two-factor turned off", "role": "role changed", "remove": "removed",
}

// actionLabels name whole actions that the noun + verb rule would read badly.
var actionLabels = map[string]string{
	// Bulk loads (scale tests, imports) record one event for many rows.
	"account.bulk_load":     "Accounts bulk-loaded",
	"balance.bulk_load":     "Balances bulk-loaded",
	"license_key.bulk_load": "License keys bulk-loaded",
	"audit.bulk_load":       "Audit events bulk-loaded",
	"account.invite":        "Portal user invited",
	"account.invite_revoke": "Portal invitation revoked",
	"account.portal_view":   "Portal viewed by staff",
}

// ActionLabel says what an action did in words: "api_key.revoke" → "API key
// revoked". Unknown parts are humanized, so a new action still reads.
func ActionLabel(action string) string {
	if l, ok := actionLabels[action]; ok {
		return l
	}
	noun, verb, ok := strings.Cut(action, ".")
	n, found := actionNouns[noun]
	if !found {
		n = EntityNoun(noun)
	}
	n = capitalize(n)
	if !ok {
		return n
	}
	v, found := actionVerbs[verb]
	if !found {
		v = strings.ToLower(humanize(verb))
	}
	return n + " " + v
}
