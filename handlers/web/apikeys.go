package web

import (
	"lumdesk/internal/apikeys"
	"lumdesk/views/components"
)

// APIKeyProducts is the API products as a select's options, first the
// choice of none (the console's and the portal's API key lists and forms).
func APIKeyProducts(first string) []components.Option {
	opts := []components.Option{{Value: "", Label: first}}
	for _, p := range apikeys.Products {
		opts = append(opts, components.Option{Value: p.ID, Label: p.Label})
	}
	return opts
}
