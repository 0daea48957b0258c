// Package console answers the questions of the console's shell: the overview
// page's numbers and charts, and the global search behind the Cmd/Ctrl+K palette.
package console

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"lumdesk/db/store"
	"lumdesk/internal/platform/db"
	"lumdesk/internal/product"
)

// Service reads across areas; it never writes.
type Service struct {
	db  *db.DB
	now func() time.Time
}

// New makes the service.
func New(d *db.DB) *Service { return &Service{db: d, now: time.Now} }

// Day is one point of a per-day series.
type Day struct {
	Day   time.Time
	Count int64
}

// Summary is the overview page.
type Summary struct {
	Counts        store.OverviewCountsRow
	AccountsDaily []Day // last 30 days, zero-filled
	AuditDaily    []Day // last 14 days, zero-filled
	KeysByProduct []store.APIKeysPerProductRow
	Recent        []store.RecentAuditEventsRow
}

// Overview gathers the overview page.
func (s *Service) Overview(ctx context.Context) (Summary, error) {
	var sum Summary
	var err error
	if sum.Counts, err = s.db.OverviewCounts(ctx); err != nil {
		return sum, fmt.Errorf("overview counts: %w", err)
	}
	today := s.now().UTC().Truncate(24 * time.Hour)
	since30 := today.AddDate(0, 0, -29)
	acc, err := s.db.AccountsCreatedPerDay(ctx, since30)
	if err != nil {
		return sum, fmt.Errorf("accounts per day: %w", err)
	}
	sum.AccountsDaily = fill(since30, 30, func(yield func(time.Time, int64)) {
		for _, r := range acc {
			yield(r.Day.Time, r.N)
		}
	})
	since14 := today.AddDate(0, 0, -13)
	aud, err := s.db.CountAuditEventsPerDay(ctx, since14)
	if err != nil {
		return sum, fmt.Errorf("audit per day: %w", err)
	}
	sum.AuditDaily = fill(since14, 14, func(yield func(time.Time, int64)) {
		for _, r := range aud {
			yield(r.Day.Time, r.N)
		}
	})
	if sum.KeysByProduct, err = s.db.APIKeysPerProduct(ctx); err != nil {
		return sum, fmt.Errorf("keys per product: %w", err)
	}
	if sum.Recent, err = s.db.RecentAuditEvents(ctx, 8); err != nil {
		return sum, fmt.Errorf("recent events: %w", err)
	}
	return sum, nil
}

// fill makes n consecutive days from start, with counts where rows exist.
func fill(start time.Time, n int, rows func(yield func(time.Time, int64))) []Day {
	out := make([]Day, n)
	for i := range out {
		out[i].Day = start.AddDate(0, 0, i)
	}
	rows(func(d time.Time, c int64) {
		i := int(d.UTC().Sub(start).Hours() / 24)
		if i >= 0 && i < n {
			out[i].Count = c
		}
	})
	return out
}

// Hit is one search result.
type Hit struct {
	Kind     string // account, api_key, staff, page
	Title    string
	Subtitle string
	Href     string
	Meta     string
}

// Scope says which kinds the caller may see.
type Scope struct{ Accounts, APIKeys, Staff bool }

// MaxQuery bounds the search text.
const MaxQuery = 100

// Search finds accounts by name/email/Discord id, API keys by prefix, staff
// by name/email (each only when scope allows) and console pages by title.
func (s *Service) Search(ctx context.Context, scope Scope, q string) ([]Hit, error) {
	q = strings.TrimSpace(q)
	if q == "" {
		return nil, nil
	}
	if len(q) > MaxQuery {
		q = q[:MaxQuery]
	}
	like := escapeLike(q)
	var hits []Hit
	for _, p := range pages {
		if strings.Contains(strings.ToLower(p.Title), strings.ToLower(q)) {
			hits = append(hits, Hit{Kind: "page", Title: p.Title, Href: p.Href, Meta: "Page"})
		}
	}
	if scope.Accounts {
		rows, err := s.db.SearchAccounts(ctx, store.SearchAccountsParams{Q: like, Limit: 6})
		if err != nil {
			return nil, fmt.Errorf("search accounts: %w", err)
		}
		for _, r := range rows {
			meta := "#" + strconv.FormatInt(r.ID, 10)
			if r.Status != "active" {
				meta = r.Status
			}
			hits = append(hits, Hit{Kind: "account", Title: r.Name, Subtitle: r.Email, Href: "/accounts/" + strconv.FormatInt(r.ID, 10), Meta: meta})
		}
	}
	if scope.APIKeys && len(q) >= 3 {
		rows, err := s.db.SearchAPIKeysByPrefix(ctx, store.SearchAPIKeysByPrefixParams{Q: like, Limit: 6})
		if err != nil {
			return nil, fmt.Errorf("search api keys: %w", err)
		}
		for _, r := range rows {
			sub := r.Product
			if _, ap, ok := product.OfAPIProduct(r.Product); ok {
				sub = ap.Label
			}
			if r.AccountName != nil {
				sub += " · " + *r.AccountName
			}
			meta := "active"
			if r.RevokedAt != nil {
				meta = "revoked"
			}
			hits = append(hits, Hit{Kind: "api_key", Title: r.Prefix + "…", Subtitle: sub, Href: "/apikeys/" + strconv.FormatInt(r.ID, 10), Meta: meta})
		}
	}
	if scope.Staff {
		rows, err := s.db.SearchStaff(ctx, store.SearchStaffParams{Q: like, Limit: 4})
		if err != nil {
			return nil, fmt.Errorf("search staff: %w", err)
		}
		for _, r := range rows {
			hits = append(hits, Hit{Kind: "staff", Title: r.Name, Subtitle: r.Email, Href: "/staff/" + strconv.FormatInt(r.ID, 10), Meta: r.Role})
		}
	}
	return hits, nil
}

// escapeLike makes q match literally inside LIKE patterns.
func escapeLike(q string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(q)
}

// pages are the console's pages the search finds by title: the console's
// own, then every product's navigation from the registry.
var pages = func() []struct{ Title, Href string } {
	out := []struct{ Title, Href string }{
		{"Overview", "/"}, {"Accounts", "/accounts"}, {"API keys", "/apikeys"}, {"Audit log", "/audit"},
		{"Staff", "/staff"}, {"Your sessions", "/account/sessions"}, {"Security & two-factor", "/account/security"},
	}
	for _, p := range product.All() {
		for _, n := range p.Nav {
			out = append(out, struct{ Title, Href string }{n.Label, n.Href})
		}
	}
	return out
}()
