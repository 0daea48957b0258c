package products

import (
	"context"
	"strconv"

	"lumdesk/db/store"
	"lumdesk/internal/platform/db"
	"lumdesk/internal/platform/money"
	"lumdesk/internal/product"
)

// Searchers are Lumi's palette kinds (see product.SearchKind): domains by
// name, VPS by hostname or IP, proxies by host, deposits by their whole id. Exact values come from btree
// indexes, partial ones (three or more characters) from trigram indexes. The
// console asks them only for staff holding billing.view.
func Searchers(d *db.DB) map[string]product.Searcher {
	return map[string]product.Searcher{
		"deposit": func(ctx context.Context, q product.Query, limit int) ([]product.SearchHit, error) {
			rows, err := d.SearchDeposits(ctx, q.Text)
			if err != nil {
				return nil, err
			}
			out := make([]product.SearchHit, 0, len(rows))
			for _, r := range rows {
				// Deposits are listed on their account's Lumi tab.
				out = append(out, product.SearchHit{Title: r.PublicID, Subtitle: r.AccountName + " · " + money.Cents(r.AmountCents).String() + " USD",
					Href: "/accounts/" + strconv.FormatInt(r.AccountID, 10) + "?tab=lumi", Meta: r.Status, Rank: product.RankExact})
			}
			return out, nil
		},
		"domain": func(ctx context.Context, q product.Query, limit int) ([]product.SearchHit, error) {
			rows, err := d.SearchLumiDomains(ctx, store.SearchLumiDomainsParams{Exact: q.Text, Contains: q.Contains, Q: db.EscapeLike(q.Text), Limit: product.SearchCandidates})
			if err != nil {
				return nil, err
			}
			out := make([]product.SearchHit, 0, len(rows))
			for _, r := range rows {
				out = append(out, product.SearchHit{Title: r.Name, Subtitle: r.AccountName, Href: "/lumi/domains/" + strconv.FormatInt(r.ID, 10), Meta: r.Status,
					Rank: product.Rank(q.Text, r.Name)})
			}
			return out, nil
		},
		"vps": func(ctx context.Context, q product.Query, limit int) ([]product.SearchHit, error) {
			rows, err := d.SearchLumiVPS(ctx, store.SearchLumiVPSParams{Exact: q.Text, Contains: q.Contains, Q: db.EscapeLike(q.Text), Limit: product.SearchCandidates})
			if err != nil {
				return nil, err
			}
			out := make([]product.SearchHit, 0, len(rows))
			for _, r := range rows {
				title := r.Hostname
				if title == "" {
					title = "VPS #" + strconv.FormatInt(r.ID, 10)
				}
				sub := r.Plan + " · " + r.AccountName
				if r.Ip != "" {
					sub = r.Ip + " · " + sub
				}
				out = append(out, product.SearchHit{Title: title, Subtitle: sub, Href: "/lumi/vps/" + strconv.FormatInt(r.ID, 10), Meta: r.Status,
					Rank: product.Rank(q.Text, r.Hostname, r.Ip)})
			}
			return out, nil
		},
		"proxy": func(ctx context.Context, q product.Query, limit int) ([]product.SearchHit, error) {
			rows, err := d.SearchLumiProxies(ctx, store.SearchLumiProxiesParams{Exact: q.Text, Contains: q.Contains, Q: db.EscapeLike(q.Text), Limit: product.SearchCandidates})
			if err != nil {
				return nil, err
			}
			out := make([]product.SearchHit, 0, len(rows))
			for _, r := range rows {
				title := r.Host
				if r.Port != 0 {
					title += ":" + strconv.Itoa(int(r.Port))
				}
				if r.Host == "" {
					title = "Proxy #" + strconv.FormatInt(r.ID, 10)
				}
				out = append(out, product.SearchHit{Title: title, Subtitle: r.Type + " · " + r.Country + " · " + r.AccountName, Href: "/lumi/proxies/" + strconv.FormatInt(r.ID, 10), Meta: r.Status,
					Rank: product.Rank(q.Text, r.Host)})
			}
			return out, nil
		},
	}
}
