package mail

import (
	"context"

	"lumdesk/db/store"
	"lumdesk/internal/platform/db"
	"lumdesk/internal/product"
)

// Searchers are Lumora's palette kinds (see product.SearchKind): messages by
// their whole id or a recipient's whole address. Apps and sending domains
// find nothing yet: their names have no index that a search could use
// without reading the whole table.
func Searchers(d *db.DB) map[string]product.Searcher {
	return map[string]product.Searcher{
		"message": func(ctx context.Context, q product.Query, limit int) ([]product.SearchHit, error) {
			rows, err := d.SearchMailMessages(ctx, store.SearchMailMessagesParams{Exact: q.Text, Limit: int32(limit)})
			if err != nil {
				return nil, err
			}
			out := make([]product.SearchHit, 0, len(rows))
			for _, r := range rows {
				title := r.Subject
				if title == "" {
					title = "(no subject)"
				}
				out = append(out, product.SearchHit{Title: title, Subtitle: r.PublicID + " · " + r.AccountName,
					Href: "/lumora/messages/" + r.PublicID, Meta: r.Status, Rank: product.RankExact}) // both lookups match whole values
			}
			return out, nil
		},
	}
}
