package apikeys

import (
	"slices"
	"strings"

	"lumdesk/internal/platform/ids"
	"lumdesk/internal/product"
)

// Product ids as stored in api_keys.product; the registry declares them.
const (
	Luarmor     = product.APILuarmor
	Lumio       = product.APILumio
	LumiDomains = product.APILumiDomains
	LumiHosting = product.APILumiHosting
	LumiProxy   = product.APILumiProxy
	Lumora      = product.APILumora
	Lumira      = product.APILumira
)

// Scope is one permission a key can hold (declared in the registry).
type Scope = product.Scope

// Product is one product's keys as the registry declares them (what the
// secret customers paste looks like, which scopes it can carry), with the
// secret handling this package adds.
type Product struct{ product.APIProduct }

// displayRandom is how many random characters the display prefix keeps.
const displayRandom = 6

// Products is every key product, in the order the dashboard lists them.
var Products = func() []Product {
	var out []Product
	for _, ap := range product.APIProducts() {
		out = append(out, Product{ap})
	}
	return out
}()

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
		if !s.OperatorOnly {
			out = append(out, s.Name)
		}
	}
	return out
}

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
