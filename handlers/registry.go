package handlers

import (
	"lumdesk/internal/product"
	"lumdesk/views/components"
	"lumdesk/views/layouts"
	accountsview "lumdesk/views/pages/accounts"
)

// The product registry (internal/product) turned into the plain structs the
// views take. Views never import the registry; they get these.

// productNav is the sidebar's product entries.
var productNav = func() []layouts.NavItem {
	var out []layouts.NavItem
	for _, p := range product.All() {
		for _, n := range p.Nav {
			out = append(out, layouts.NavItem{Key: n.Key, Label: n.Label, Href: n.Href, Icon: n.Icon,
				IconClass: components.ProductIconClass(p.Hue), Permission: n.Permission})
		}
	}
	return out
}()

// apiProductHue is the colour of an API key product's chip ("" if unknown).
func apiProductHue(id string) string {
	p, _, _ := product.OfAPIProduct(id)
	return p.Hue
}

// accountProductTabs are the product tabs of the account page.
var accountProductTabs = func() []accountsview.Product {
	var out []accountsview.Product
	for _, p := range product.All() {
		t := p.AccountTab
		out = append(out, accountsview.Product{Tab: t.Tab, Name: t.Label, Icon: p.Icon,
			IconClass: components.ProductIconClass(p.Hue), EmptyTitle: t.EmptyTitle, EmptyBody: t.EmptyBody})
	}
	return out
}()
