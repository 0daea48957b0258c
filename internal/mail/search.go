package mail

import (
	"context"
	"strconv"

	"lumdesk/db/store"
	"lumdesk/internal/platform/db"
	"lumdesk/internal/product"
)

// Searchers are Lumora's palette kinds (see product.SearchKind): messages by
// their whole id or a recipient's whole address; apps, sending domains and
// templates (these also by id and slug) by their whole name or (three or
// more characters) part of it, from the trigram indexes on their names.
func Searchers(d *db.DB) map[string]product.Searcher {
	return map[string]product.Searcher{
		"mail_app": func(ctx context.Context, q product.Query, limit int) ([]product.SearchHit, error) {
			rows, err := d.SearchMailApps(ctx, store.SearchMailAppsParams{Exact: q.Text, Contains: q.Contains,
				Q: db.EscapeLike(q.Text), Limit: product.SearchCandidates})
			if err != nil {
				return nil, err
			}
			out := make([]product.SearchHit, 0, len(rows))
			for _, r := range rows {
				out = append(out, product.SearchHit{Title: r.Name, Subtitle: r.AccountName + " · #" + strconv.FormatInt(r.AccountID, 10),
					Href: "/lumora/apps/" + strconv.FormatInt(r.ID, 10), Rank: product.Rank(q.Text, r.Name)})
			}
			return out, nil
		},
		"sending_domain": func(ctx context.Context, q product.Query, limit int) ([]product.SearchHit, error) {
			rows, err := d.SearchMailDomains(ctx, store.SearchMailDomainsParams{Exact: q.Text, Contains: q.Contains,
				Q: db.EscapeLike(q.Text), Limit: product.SearchCandidates})
			if err != nil {
				return nil, err
			}
			out := make([]product.SearchHit, 0, len(rows))
			for _, r := range rows {
				out = append(out, product.SearchHit{Title: r.Name, Subtitle: r.AccountName + " · #" + strconv.FormatInt(r.AccountID, 10),
					Href: "/lumora/domains/" + strconv.FormatInt(r.ID, 10), Meta: r.Status, Rank: product.Rank(q.Text, r.Name)})
			}
			return out, nil
		},
		"template": func(ctx context.Context, q product.Query, limit int) ([]product.SearchHit, error) {
			rows, err := d.SearchMailTemplates(ctx, store.SearchMailTemplatesParams{Exact: q.Text, Contains: q.Contains,
				Q: db.EscapeLike(q.Text), Limit: product.SearchCandidates})
			if err != nil {
				return nil, err
			}
			out := make([]product.SearchHit, 0, len(rows))
			for _, r := range rows {
				out = append(out, product.SearchHit{Title: r.Name, Subtitle: r.Slug + " · " + r.AccountName,
					Href: "/lumora/templates/" + r.PublicID, Rank: product.Rank(q.Text, r.Name, r.Slug, r.PublicID)})
			}
			return out, nil
		},
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
