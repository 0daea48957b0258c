package web

import (
	"lumdesk/internal/product"
	"lumdesk/views/components"
	"lumdesk/views/layouts"
)

// productNav is the sidebar's product entries, from the product registry
// (views never import it; they get these plain structs).
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
