package ranking

import (
	"context"
	"strconv"

	"lumdesk/db/store"
	"lumdesk/internal/platform/db"
	"lumdesk/internal/product"
)

// Searchers are Lumira's palette kinds (see product.SearchKind): groups by
// their whole id (grp_…) or Roblox group id, or by name, whole or (three or
// more characters) in part, from lumira_groups_name_trgm.
func Searchers(d *db.DB) map[string]product.Searcher {
	return map[string]product.Searcher{
		"group": func(ctx context.Context, q product.Query, limit int) ([]product.SearchHit, error) {
			p := store.SearchLumiraGroupsParams{Exact: q.Text, Contains: q.Contains, Q: db.EscapeLike(q.Text), Limit: product.SearchCandidates}
			if n, err := strconv.ParseInt(q.Text, 10, 64); err == nil && n > 0 {
				p.RobloxGroupID = &n
			}
			rows, err := d.SearchLumiraGroups(ctx, p)
			if err != nil {
				return nil, err
			}
			out := make([]product.SearchHit, 0, len(rows))
			for _, r := range rows {
				roblox := strconv.FormatInt(r.RobloxGroupID, 10)
				title := r.Name
				if title == "" {
					title = "Roblox group " + roblox
				}
				out = append(out, product.SearchHit{Title: title, Subtitle: r.AccountName + " · Roblox group " + roblox,
					Href: "/lumira/groups/" + r.PublicID, Meta: r.Status, Rank: product.Rank(q.Text, r.Name, r.PublicID, roblox)})
			}
			return out, nil
		},
	}
}
