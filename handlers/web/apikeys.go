package web

import (
	"fmt"
	"strings"

	"github.com/gofiber/fiber/v2"

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

// APIKeyFormScopes reads an API key form's ticked scopes ("product|scope",
// one fieldset a product) for product, marking each in checked so the form
// shows them again. A ticked scope of another product is refused rather
// than dropped: were every tick dropped, the key would get all its product's
// scopes (none ticked means the standard ones), so a Luarmor scope ticked
// before the product became Lumio made a full Lumio key.
func APIKeyFormScopes(c *fiber.Ctx, product apikeys.Product, checked map[string]bool) (scopes []string, problem string) {
	var foreign []string
	for _, v := range c.Request().PostArgs().PeekMulti("scope") {
		val := string(v)
		checked[val] = true
		if p, s, ok := strings.Cut(val, "|"); ok && p == product.ID {
			scopes = append(scopes, s)
		} else {
			foreign = append(foreign, Truncate(val, 60))
		}
	}
	if len(foreign) > 0 && product.ID != "" {
		problem = fmt.Sprintf("%s keys have no scope %s: tick %s's scopes only.", product.Label, strings.Join(foreign, ", "), product.Label)
	}
	return scopes, problem
}
