package marketplace

import (
	"context"
	"strconv"

	"lumdesk/db/store"
	"lumdesk/internal/platform/db"
	"lumdesk/internal/product"
)

// Searchers are Lumio's palette kinds: extensions by public id, name or
// slug, versions by public id.
func Searchers(d *db.DB) map[string]product.Searcher {
	return map[string]product.Searcher{
		"extension": func(ctx context.Context, q product.Query, limit int) ([]product.SearchHit, error) {
			rows, err := d.SearchMarketplaceExtensions(ctx, store.SearchMarketplaceExtensionsParams{Exact: q.Text, Contains: q.Contains,
				Q: db.EscapeLike(q.Text), Limit: product.SearchCandidates})
			if err != nil {
				return nil, err
			}
			out := make([]product.SearchHit, 0, len(rows))
			for _, r := range rows {
				rank := product.Rank(q.Text, r.PublicID, r.Name, r.Slug)
				out = append(out, product.SearchHit{Title: r.Name, Subtitle: r.Slug + " · " + r.AccountName + " · #" + strconv.FormatInt(r.AccountID, 10),
					Href: "/lumio/extensions/" + r.PublicID, Meta: r.Status, Rank: rank})
			}
			return out, nil
		},
		"extension_version": func(ctx context.Context, q product.Query, limit int) ([]product.SearchHit, error) {
			rows, err := d.SearchMarketplaceVersions(ctx, store.SearchMarketplaceVersionsParams{Exact: q.Text, Limit: int32(limit)})
			if err != nil {
				return nil, err
			}
			out := make([]product.SearchHit, 0, len(rows))
			for _, r := range rows {
				out = append(out, product.SearchHit{Title: r.ExtensionName + " " + r.Version, Subtitle: r.PublicID + " · " + r.AccountName,
					Href: "/lumio/versions/" + r.PublicID, Meta: r.Status, Rank: product.RankExact})
			}
			return out, nil
		},
	}
}
