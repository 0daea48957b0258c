// Package product is the one registry of product areas. Each of the five
// products is declared here once: its functional key, brand name, URL area,
// navigation, permissions, API key products and scopes, account tab and search
// kinds. The sidebar, the account page, the API key forms, the overview, the
// palette and the permission list all read it, so adding a product is adding
// one entry here and its packages.
//
// It imports nothing of the project: internal packages read it directly,
// handlers turn it into the plain structs views take.
package product

import (
	"cmp"
	"slices"
	"strings"
)

// Keys are the functional names: packages, permissions and queries use them.
const (
	Licensing   = "licensing"
	Marketplace = "marketplace"
	Billing     = "billing"
	Mail        = "mail"
	Ranking     = "ranking"
)

// API key product ids, as stored in api_keys.product and typed in the CLI.
const (
	APILuarmor     = "luarmor"
	APILumio       = "lumio"
	APILumiDomains = "lumi-domains"
	APILumiHosting = "lumi-hosting"
	APILumiProxy   = "lumi-proxy"
	APILumora      = "lumora"
	APILumira      = "lumira"
)

// Permission names a product defines; internal/staff grants them to roles
// (Permission.Roles) and route tables name them through staff's constants.
const (
	PermLicensingView       = "licensing.view"
	PermLicensingManage     = "licensing.manage"
	PermLicensingResetHWID  = "licensing.key.reset_hwid"
	PermLicensingForceReset = "licensing.key.reset_hwid_force"
	PermLicensingBlacklist  = "licensing.key.blacklist"
	PermLicensingDelete     = "licensing.key.delete"
	PermLicensingPlanEdit   = "licensing.plan.edit"
	PermBillingView         = "billing.view"
	PermBillingCredit       = "billing.balance.credit"
	PermBillingApprove      = "billing.balance.approve"
	PermBillingProducts     = "billing.products.manage"
	PermMarketplaceView     = "marketplace.view"
	PermMarketplaceReview   = "marketplace.review"
	PermMailView            = "mail.view"
	PermMailManage          = "mail.manage"
	PermRankingView         = "ranking.view"
	PermRankingManage       = "ranking.manage"
)

// Status says whether a product's area is built.
type Status string

const (
	// Live: the console area and the API exist.
	Live Status = "live"
	// Coming: the console shows a landing page saying what will be there.
	Coming Status = "coming"
)

// Staff role names, as internal/staff spells them (a test there checks them).
const (
	RoleAdmin   = "admin"
	RoleSupport = "support"
	RoleFinance = "finance"
	RoleViewer  = "viewer"
)

// everyRole holds view permissions: every staff member may look.
var everyRole = []string{RoleAdmin, RoleSupport, RoleFinance, RoleViewer}

// Product is one product area.
type Product struct {
	Key     string // functional name ("licensing")
	Brand   string // what customers and staff read ("Luarmor")
	Path    string // the console area and the API prefix under /api ("/luarmor")
	Status  Status
	Tagline string   // one line under the brand on its landing page
	About   []string // what the area holds (the landing page of a coming product)
	Icon    string   // components.Icon name
	Hue     string   // Tailwind colour family of its icon and chips ("violet")
	// Nav are the sidebar entries; the first is the area's own entry.
	Nav         []NavEntry
	Permissions []Permission
	APIKeys     []APIProduct
	AccountTab  AccountTab
	// SearchKinds are what the palette finds in this area; a kind without a
	// searcher wired (see console.Service.Register) finds nothing yet.
	SearchKinds []SearchKind
}

// NavEntry is one sidebar link.
type NavEntry struct {
	Key        string // the active-nav key pages pass ("luarmor"; "luarmor.keys" is inside it)
	Label      string
	Href       string
	Permission string // needed to see the entry
	Icon       string
}

// Permission is one permission the product defines and the roles that hold it.
type Permission struct {
	Name        string
	Description string
	Roles       []string
}

// APIProduct is one kind of API key: its id, how its secret looks and the
// scopes it can carry.
type APIProduct struct {
	ID    string // stored in api_keys.product
	Label string // "Lumi Domains"
	// SecretPrefix starts every secret ("lum_sk_"); empty for Luarmor.
	SecretPrefix string
	// SecretLen random characters follow the prefix.
	SecretLen int
	// Hex: the random part is lowercase hex, else [A-Za-z0-9].
	Hex bool
	// KeyHeader carries the key in requests ("Authorization", "x-api-key"),
	// after "Bearer " when Bearer (from the product's spec).
	KeyHeader string
	Bearer    bool
	Scopes    []Scope
	// Money: the product's API moves money, so daily spend caps and request
	// signing apply to its keys.
	Money bool
}

// Scope is one permission an API key can hold.
type Scope struct {
	Name        string
	Description string
	// OperatorOnly: only operator keys (bound to no account) may hold it.
	OperatorOnly bool
}

// AccountTab is the product's tab on a customer account's page.
type AccountTab struct {
	Tab        string // the ?tab= value on /accounts/:id
	Label      string
	EmptyTitle string // shown while the product has no account view yet
	EmptyBody  string
}

// Scopes shared by the three Lumi key products.
var (
	scopeDeposits = Scope{Name: "deposits:write", Description: "Create top-up invoices"}
	scopeAdmin    = Scope{Name: "admin:*", Description: "Cross-user operations (operator keys only)", OperatorOnly: true}
)

// all is every product, in the order the console lists them.
var all = []Product{
	{
		Key: Licensing, Brand: "Luarmor", Path: "/luarmor", Status: Live,
		Tagline: "Script licensing", Icon: "code", Hue: "violet",
		About: []string{"Projects and scripts", "License keys bound to a HWID or Discord ID", "Blacklists and HWID resets"},
		Nav:   []NavEntry{{Key: "luarmor", Label: "Luarmor", Href: "/luarmor", Permission: PermLicensingView, Icon: "code"}},
		Permissions: []Permission{
			{PermLicensingView, "See projects, scripts and license keys", everyRole},
			{PermLicensingManage, "Create and edit projects, scripts and keys; run bulk jobs", []string{RoleAdmin, RoleSupport}},
			{PermLicensingResetHWID, "Reset a key's HWID within the cooldown", []string{RoleAdmin, RoleSupport}},
			{PermLicensingForceReset, "Reset a key's HWID despite the cooldown", []string{RoleAdmin}},
			{PermLicensingBlacklist, "Blacklist and unblacklist keys", []string{RoleAdmin, RoleSupport}},
			{PermLicensingDelete, "Delete license keys", []string{RoleAdmin}},
			{PermLicensingPlanEdit, "Set an account's Luarmor plan (max users, script updates)", []string{RoleAdmin}},
		},
		APIKeys: []APIProduct{
			{ID: APILuarmor, Label: "Luarmor", SecretLen: 64, Hex: true, KeyHeader: "Authorization", Scopes: []Scope{
				{Name: "keys:read", Description: "Read license keys and users"},
				{Name: "keys:write", Description: "Create, edit, reset and blacklist license keys"},
				{Name: "scripts:write", Description: "Upload and update scripts"},
			}},
		},
		AccountTab: AccountTab{Tab: "luarmor", Label: "Luarmor", EmptyTitle: "No Luarmor projects yet",
			EmptyBody: "Script projects, license keys and blacklists of this account will be listed here."},
		SearchKinds: []SearchKind{
			{Name: "license_key", Label: "License keys", Permission: PermLicensingView, Icon: "key", List: "/luarmor/keys?q="},
			{Name: "project", Label: "Luarmor projects", Permission: PermLicensingView, Icon: "code"},
			{Name: "script", Label: "Scripts", Permission: PermLicensingView, Icon: "code"},
		},
	},
	{
		Key: Marketplace, Brand: "Lumio", Path: "/lumio", Status: Live,
		Tagline: "Extension marketplace", Icon: "puzzle", Hue: "sky",
		About: []string{"Extensions and versions under review", "Installs and extension secrets"},
		Nav:   []NavEntry{{Key: "lumio", Label: "Lumio", Href: "/lumio", Permission: PermMarketplaceView, Icon: "puzzle"}},
		Permissions: []Permission{
			{PermMarketplaceView, "See extensions, versions and installs", everyRole},
			{PermMarketplaceReview, "Approve and reject extension versions", []string{RoleAdmin, RoleSupport}},
		},
		APIKeys: []APIProduct{
			{ID: APILumio, Label: "Lumio", SecretPrefix: "lm_dev_", SecretLen: 40, KeyHeader: "Authorization", Bearer: true, Scopes: []Scope{
				{Name: "extensions:read", Description: "Read extensions, versions, installs and secret names"},
				{Name: "extensions:write", Description: "Create, edit and delete extensions; upload versions"},
				{Name: "secrets:write", Description: "Set and delete extension secrets (values are write-only)"},
				{Name: "installs:write", Description: "Report store install events (operator keys only)", OperatorOnly: true},
			}},
		},
		AccountTab: AccountTab{Tab: "lumio", Label: "Lumio", EmptyTitle: "No Lumio extensions yet",
			EmptyBody: "Extensions this account publishes on the marketplace, with their versions and reviews, will be listed here."},
		SearchKinds: []SearchKind{
			{Name: "extension", Label: "Extensions", Permission: PermMarketplaceView, Icon: "puzzle"},
			{Name: "extension_version", Label: "Extension versions", Permission: PermMarketplaceView, Icon: "puzzle"},
		},
	},
	{
		Key: Billing, Brand: "Lumi", Path: "/lumi", Status: Live,
		Tagline: "Domain, VPS and proxy reseller", Icon: "globe", Hue: "emerald",
		About: []string{"Balances, ledger, deposits and approvals", "Domains, VPS and proxies"},
		Nav:   []NavEntry{{Key: "lumi", Label: "Lumi", Href: "/lumi", Permission: PermBillingView, Icon: "globe"}},
		Permissions: []Permission{
			{PermBillingView, "See balances, the ledger, deposits and products", everyRole},
			{PermBillingCredit, "Top up and adjust balances", []string{RoleAdmin, RoleFinance}},
			{PermBillingApprove, "Approve another user's top-ups above the limit", []string{RoleAdmin, RoleFinance}},
			// Every holder of billing.balance.credit has it too.
			{PermBillingProducts, "Change Lumi domains, VPS and proxies", []string{RoleAdmin, RoleSupport, RoleFinance}},
		},
		APIKeys: []APIProduct{
			{ID: APILumiDomains, Label: "Lumi Domains", SecretPrefix: "lumi_domains_", SecretLen: 40, KeyHeader: "Authorization", Bearer: true, Money: true, Scopes: []Scope{
				{Name: "domains:read", Description: "Lists, statuses, prices, catalog"},
				{Name: "domains:write", Description: "Manage own domains"},
				{Name: "domains:buy", Description: "Buy and renew domains (debits balance)"},
				scopeDeposits, scopeAdmin,
			}},
			{ID: APILumiHosting, Label: "Lumi Hosting", SecretPrefix: "lumi_hosting_", SecretLen: 40, KeyHeader: "Authorization", Bearer: true, Money: true, Scopes: []Scope{
				{Name: "vps:read", Description: "Lists, statuses, prices, catalog"},
				{Name: "vps:write", Description: "Manage own servers"},
				{Name: "vps:buy", Description: "Buy and renew servers (debits balance)"},
				scopeDeposits, scopeAdmin,
			}},
			{ID: APILumiProxy, Label: "Lumi Proxy", SecretPrefix: "lumi_proxy_", SecretLen: 40, KeyHeader: "Authorization", Bearer: true, Money: true, Scopes: []Scope{
				{Name: "proxy:read", Description: "Lists, statuses, prices, catalog"},
				{Name: "proxy:write", Description: "Manage own proxies"},
				{Name: "proxy:buy", Description: "Buy and renew proxies (debits balance)"},
				scopeDeposits, scopeAdmin,
			}},
		},
		AccountTab: AccountTab{Tab: "lumi", Label: "Lumi", EmptyTitle: "No Lumi purchases yet",
			EmptyBody: "The balance and the domains, VPS and proxies bought through the reseller API will be listed here."},
		SearchKinds: []SearchKind{
			{Name: "domain", Label: "Domains", Permission: PermBillingView, Icon: "globe", List: "/lumi/domains?q="},
			{Name: "vps", Label: "VPS", Permission: PermBillingView, Icon: "globe", List: "/lumi/vps?q="},
			{Name: "proxy", Label: "Proxies", Permission: PermBillingView, Icon: "globe", List: "/lumi/proxies?q="},
			{Name: "deposit", Label: "Deposits", Permission: PermBillingView, Icon: "globe"},
		},
	},
	{
		Key: Mail, Brand: "Lumora", Path: "/lumora", Status: Live,
		Tagline: "Transactional email", Icon: "envelope", Hue: "amber",
		About: []string{"Apps, sending domains (SPF, DKIM, DMARC)", "Templates, messages and delivery logs"},
		Nav:   []NavEntry{{Key: "lumora", Label: "Lumora", Href: "/lumora", Permission: PermMailView, Icon: "envelope"}},
		Permissions: []Permission{
			{PermMailView, "See apps, sending domains, templates and messages", everyRole},
			{PermMailManage, "Change apps, sending domains and templates", []string{RoleAdmin, RoleSupport}},
		},
		APIKeys: []APIProduct{
			{ID: APILumora, Label: "Lumora", SecretPrefix: "lum_sk_", SecretLen: 40, KeyHeader: "x-api-key", Scopes: []Scope{
				{Name: "email:send", Description: "Send email"},
				{Name: "email:read", Description: "Read messages, logs and stats"},
				{Name: "domains:manage", Description: "Add and verify sending domains"},
				{Name: "templates:manage", Description: "Create and edit templates"},
			}},
		},
		AccountTab: AccountTab{Tab: "lumora", Label: "Lumora", EmptyTitle: "No Lumora apps yet",
			EmptyBody: "Sending apps, verified domains and message logs of this account will be listed here."},
		SearchKinds: []SearchKind{
			{Name: "mail_app", Label: "Mail apps", Permission: PermMailView, Icon: "envelope"},
			{Name: "sending_domain", Label: "Sending domains", Permission: PermMailView, Icon: "envelope"},
			{Name: "message", Label: "Messages", Permission: PermMailView, Icon: "envelope"},
			{Name: "template", Label: "Mail templates", Permission: PermMailView, Icon: "envelope"},
		},
	},
	{
		Key: Ranking, Brand: "Lumira", Path: "/lumira", Status: Live,
		Tagline: "Roblox group rank automation", Icon: "chevron-double-up", Hue: "rose",
		About: []string{"Groups and rank ladders", "Promotions and notifications"},
		Nav:   []NavEntry{{Key: "lumira", Label: "Lumira", Href: "/lumira", Permission: PermRankingView, Icon: "chevron-double-up"}},
		Permissions: []Permission{
			{PermRankingView, "See groups, rank ladders and promotions", everyRole},
			{PermRankingManage, "Change groups and rank ladders; promote and demote", []string{RoleAdmin, RoleSupport}},
		},
		APIKeys: []APIProduct{
			{ID: APILumira, Label: "Lumira", SecretPrefix: "lumira_", SecretLen: 40, KeyHeader: "Authorization", Bearer: true, Scopes: []Scope{
				{Name: "ranking:write", Description: "Promote, demote and set ranks"},
				{Name: "ranking:read", Description: "Read groups, ladders and ranks"},
				{Name: "notify:send", Description: "Send notifications"},
			}},
		},
		AccountTab: AccountTab{Tab: "lumira", Label: "Lumira", EmptyTitle: "No Lumira groups yet",
			EmptyBody: "Roblox groups, their rank ladders and promotions will be listed here."},
		SearchKinds: []SearchKind{
			{Name: "group", Label: "Roblox groups", Permission: PermRankingView, Icon: "chevron-double-up", List: "/lumira?q="},
		},
	},
}

// All returns every product in console order. The slice is a copy; the
// entries share their inner slices, which callers must not change.
func All() []Product { return slices.Clone(all) }

// Get finds a product by its key.
func Get(key string) (Product, bool) {
	i := slices.IndexFunc(all, func(p Product) bool { return p.Key == key })
	if i < 0 {
		return Product{}, false
	}
	return all[i], true
}

// ByTab finds the product whose account tab is tab.
func ByTab(tab string) (Product, bool) {
	i := slices.IndexFunc(all, func(p Product) bool { return p.AccountTab.Tab == tab })
	if i < 0 {
		return Product{}, false
	}
	return all[i], true
}

// ForNav finds the product whose area holds the page's nav key ("lumi",
// "luarmor.keys").
func ForNav(nav string) (Product, bool) {
	area, _, _ := strings.Cut(nav, ".")
	i := slices.IndexFunc(all, func(p Product) bool {
		return slices.ContainsFunc(p.Nav, func(n NavEntry) bool { return n.Key == area || n.Key == nav })
	})
	if i < 0 {
		return Product{}, false
	}
	return all[i], true
}

// ChangePermissions are the permissions that change something in the
// product's area: all but those its sidebar entries need to be seen.
func (p Product) ChangePermissions() []string {
	var out []string
	for _, perm := range p.Permissions {
		if !slices.ContainsFunc(p.Nav, func(n NavEntry) bool { return n.Permission == perm.Name }) {
			out = append(out, perm.Name)
		}
	}
	return out
}

// APIProducts lists every API key product, in console order.
func APIProducts() []APIProduct {
	var out []APIProduct
	for _, p := range all {
		out = append(out, p.APIKeys...)
	}
	return out
}

// OfAPIProduct finds the product an API key product id belongs to.
func OfAPIProduct(id string) (Product, APIProduct, bool) {
	for _, p := range all {
		for _, ap := range p.APIKeys {
			if ap.ID == id {
				return p, ap, true
			}
		}
	}
	return Product{}, APIProduct{}, false
}

// KeyUsage is how the API product's clients send a key of that prefix
// ("x-api-key: lum_sk_ab12…"), for the key's page: the header its spec
// names, after "Bearer " where the spec says so.
func KeyUsage(apiProduct, prefix string) string {
	_, ap, _ := OfAPIProduct(apiProduct)
	header := cmp.Or(ap.KeyHeader, "Authorization")
	if ap.Bearer {
		return header + ": Bearer " + prefix + "…"
	}
	return header + ": " + prefix + "…"
}

// Permissions lists every permission the products define, in console order.
func Permissions() []Permission {
	var out []Permission
	for _, p := range all {
		out = append(out, p.Permissions...)
	}
	return out
}
