package apikeys

import (
	"slices"
	"strings"

	"lumdesk/internal/platform/ids"
)

// Product ids as stored in api_keys.product.
const (
	Luarmor     = "luarmor"
	Lumio       = "lumio"
	LumiDomains = "lumi-domains"
	LumiHosting = "lumi-hosting"
	LumiProxy   = "lumi-proxy"
	Lumora      = "lumora"
	Lumira      = "lumira"
)

// Scope is one permission a key can hold.
type Scope struct {
	Name        string
	Description string
}

// Product describes one product's keys: what the secret customers paste
// looks like, and which scopes it can carry.
type Product struct {
	ID    string
	Label string
	// SecretPrefix starts every secret ("lum_sk_"); empty for Luarmor.
	SecretPrefix string
	// SecretLen random characters follow the prefix.
	SecretLen int
	// Hex: the random part is lowercase hex, else [A-Za-z0-9].
	Hex    bool
	Scopes []Scope
	// Money: the product's API moves money (Lumi), so daily spend caps and
	// request signing apply to its keys.
	Money bool
}

// displayRandom is how many random characters the display prefix keeps.
const displayRandom = 6

// Scopes shared by the three Lumi products.
var (
	scopeDeposits = Scope{"deposits:write", "Create top-up invoices"}
	scopeAdmin    = Scope{"admin:*", "Cross-user operations (operator keys only)"}
)

// Products is every product, in the order the dashboard lists them.
var Products = []Product{
	{ID: Luarmor, Label: "Luarmor", SecretLen: 64, Hex: true, Scopes: []Scope{
		{"keys:read", "Read license keys and users"},
		{"keys:write", "Create, edit, reset and blacklist license keys"},
		{"scripts:write", "Upload and update scripts"},
	}},
	{ID: Lumio, Label: "Lumio", SecretPrefix: "lm_dev_", SecretLen: 40, Scopes: []Scope{
		{"extensions:read", "Read extensions, versions and installs"},
		{"extensions:write", "Create extensions and upload versions"},
		{"secrets:read", "Read extension secret names"},
	}},
	{ID: LumiDomains, Label: "Lumi Domains", SecretPrefix: "lumi_domains_", SecretLen: 40, Money: true, Scopes: []Scope{
		{"domains:read", "Lists, statuses, prices, catalog"},
		{"domains:write", "Manage own domains"},
		{"domains:buy", "Buy and renew domains (debits balance)"},
		scopeDeposits, scopeAdmin,
	}},
	{ID: LumiHosting, Label: "Lumi Hosting", SecretPrefix: "lumi_hosting_", SecretLen: 40, Money: true, Scopes: []Scope{
		{"vps:read", "Lists, statuses, prices, catalog"},
		{"vps:write", "Manage own servers"},
		{"vps:buy", "Buy and renew servers (debits balance)"},
		scopeDeposits, scopeAdmin,
	}},
	{ID: LumiProxy, Label: "Lumi Proxy", SecretPrefix: "lumi_proxy_", SecretLen: 40, Money: true, Scopes: []Scope{
		{"proxy:read", "Lists, statuses, prices, catalog"},
		{"proxy:write", "Manage own proxies"},
		{"proxy:buy", "Buy and renew proxies (debits balance)"},
		scopeDeposits, scopeAdmin,
	}},
	{ID: Lumora, Label: "Lumora", SecretPrefix: "lum_sk_", SecretLen: 40, Scopes: []Scope{
		{"email:send", "Send email"},
		{"email:read", "Read messages, logs and stats"},
		{"domains:manage", "Add and verify sending domains"},
		{"templates:manage", "Create and edit templates"},
	}},
	{ID: Lumira, Label: "Lumira", SecretPrefix: "lumira_", SecretLen: 40, Scopes: []Scope{
		{"ranking:write", "Promote, demote and set ranks"},
		{"ranking:read", "Read groups, ladders and ranks"},
		{"notify:send", "Send notifications"},
	}},
}

// LookupProduct finds a product by id.
func LookupProduct(id string) (Product, bool) {
	for _, p := range Products {
		if p.ID == id {
			return p, true
		}
	}
	return Product{}, false
}

// ProductIDs lists the product ids.
func ProductIDs() []string {
	out := make([]string, len(Products))
	for i, p := range Products {
		out[i] = p.ID
	}
	return out
}

// ProductLabel is the product's display name (the id if unknown).
func ProductLabel(id string) string {
	if p, ok := LookupProduct(id); ok {
		return p.Label
	}
	return id
}

// HasScope reports whether the product defines the scope.
func (p Product) HasScope(name string) bool {
	return slices.ContainsFunc(p.Scopes, func(s Scope) bool { return s.Name == name })
}

// StandardScopes are the scopes a key of the product gets when it is created
// without any: every scope except the operator-only ones (admin:*), in the
// product table's order. The CLI and the console both rely on this default
// (the Luarmor spec has no scopes at all, so its keys need none chosen).
func (p Product) StandardScopes() []string {
	out := make([]string, 0, len(p.Scopes))
	for _, s := range p.Scopes {
		if !operatorOnly(s.Name) {
			out = append(out, s.Name)
		}
	}
	return out
}

// operatorOnly reports whether only operator keys may hold the scope.
func operatorOnly(name string) bool { return name == scopeAdmin.Name }

// newSecret makes a secret in the product's format.
func (p Product) newSecret() string {
	if p.Hex {
		return p.SecretPrefix + ids.Hex(p.SecretLen)
	}
	return p.SecretPrefix + ids.Token(p.SecretLen)
}

// displayPrefix is what is stored and shown to identify a key: the format
// prefix plus the first random characters.
func (p Product) displayPrefix(secret string) string {
	return secret[:len(p.SecretPrefix)+displayRandom]
}

// Matches reports whether secret has this product's format (checked before
// any database lookup, so garbage never reaches the database).
func (p Product) Matches(secret string) bool {
	if len(secret) != len(p.SecretPrefix)+p.SecretLen || !strings.HasPrefix(secret, p.SecretPrefix) {
		return false
	}
	for _, c := range []byte(secret[len(p.SecretPrefix):]) {
		switch {
		case c >= '0' && c <= '9', c >= 'a' && c <= 'f':
		case !p.Hex && (c >= 'g' && c <= 'z' || c >= 'A' && c <= 'Z'):
		default:
			return false
		}
	}
	return true
}
