package licensing

// The Luarmor keys list's filters, shared by the list pages and the bulk
// pages (CSV export), so a filter means the same thing everywhere. The one
// parser is parseKeyQuery (licensing_keys.go); the bulk pages read the list's
// URL through parseKeyFilter.

import (
	"github.com/gofiber/fiber/v2"

	"lumdesk/internal/licensing"
	view "lumdesk/views/pages/licensing"
)

// keyListOnlyParams are list parameters that do not filter (page position,
// size, columns): an export ignores them, and their mistakes.
var keyListOnlyParams = []string{"limit", "cols", "cursor"}

// parseKeyFilter reads the keys list's filters from the URL query (project
// from ?project=): the values as the filter bar shows them, the service
// filter (without page position), and messages for refused values by
// parameter (a refused value is dropped, never a 500).
func parseKeyFilter(c *fiber.Ctx) (view.KeyFilters, licensing.KeyFilter, map[string]string) {
	r := parseKeyQuery(c, "")
	for _, k := range keyListOnlyParams {
		delete(r.errs, k)
	}
	f := r.filter
	f.After, f.Offset, f.Limit = nil, 0, 0
	return r.view, f, r.errs
}
