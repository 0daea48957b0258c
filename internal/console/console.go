// Package console answers the questions of the console's shell: the overview
// page's numbers and charts, and the global search behind the Cmd/Ctrl+K palette.
package console

import (
	"context"
	"fmt"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/jackc/pgx/v5/pgtype"
	"golang.org/x/sync/errgroup"

	"lumdesk/db/store"
	"lumdesk/internal/accounts"
	"lumdesk/internal/audit"
	"lumdesk/internal/platform/db"
	"lumdesk/internal/product"
	"lumdesk/internal/staff"
)

// Service reads across areas; it never writes.
type Service struct {
	db        *db.DB
	accounts  *accounts.Service // the accounts' totals, counted or estimated by their own rule
	now       func() time.Time
	searchers map[string]product.Searcher
	budget    time.Duration
}

// SearchBudget is how long the palette waits for a kind's partial matches.
// Exact lookups (a pasted key, HWID, email) answer from btrees well within
// it; a short fragment at a million keys can match thousands of rows, and
// the palette answers on time with the exact hits and a link to the list
// rather than keep support waiting.
const SearchBudget = 80 * time.Millisecond

// New makes the service.
func New(d *db.DB) *Service {
	return &Service{db: d, accounts: accounts.NewService(d), now: time.Now, budget: SearchBudget}
}

// WithSearchBudget changes the palette's time budget (SEARCH_BUDGET; 0
// keeps SearchBudget).
func (s *Service) WithSearchBudget(d time.Duration) *Service {
	if d > 0 {
		s.budget = d
	}
	return s
}

// Day is one point of a per-day series.
type Day struct {
	Day   time.Time
	Count int64
}

// Summary is the overview page.
type Summary struct {
	Counts        store.OverviewCountsRow
	Accounts      accounts.Stats // estimated past accounts.ExactCountLimit
	AccountsDaily []Day          // the asked days, zero-filled
	AuditDaily    []Day          // the asked days, zero-filled
	KeysByProduct []store.APIKeysPerProductRow
	Recent        []audit.Entry // newest first
	RecentNames   audit.Names   // what the recent events point at, by name
}

// MaxDays bounds the days a chart of the overview covers.
const MaxDays = 366

// Overview gathers the overview page, its charts covering days days from
// from (a UTC midnight).
func (s *Service) Overview(ctx context.Context, from time.Time, days int) (Summary, error) {
	var sum Summary
	var err error
	if days < 1 || days > MaxDays {
		return sum, fmt.Errorf("overview: %d days is not 1 to %d", days, MaxDays)
	}
	if sum.Counts, err = s.db.OverviewCounts(ctx); err != nil {
		return sum, fmt.Errorf("overview counts: %w", err)
	}
	if sum.Accounts, err = s.accounts.Stats(ctx); err != nil {
		return sum, err
	}
	from = from.UTC().Truncate(24 * time.Hour)
	// Rows after the last day fall outside fill's days and are left out.
	// From the sign-ups' daily roll-up: counting a million accounts'
	// created_at took 15 ms a load.
	acc, err := s.db.CountAccountSignupsPerDay(ctx, pgtype.Date{Time: from, Valid: true})
	if err != nil {
		return sum, fmt.Errorf("accounts per day: %w", err)
	}
	sum.AccountsDaily = fill(from, days, func(yield func(time.Time, int64)) {
		for _, r := range acc {
			yield(r.Day.Time, r.N)
		}
	})
	aud, err := s.db.CountAuditEventsPerDay(ctx, from)
	if err != nil {
		return sum, fmt.Errorf("audit per day: %w", err)
	}
	sum.AuditDaily = fill(from, days, func(yield func(time.Time, int64)) {
		for _, r := range aud {
			yield(r.Day.Time, r.N)
		}
	})
	if sum.KeysByProduct, err = s.db.APIKeysPerProduct(ctx); err != nil {
		return sum, fmt.Errorf("keys per product: %w", err)
	}
	if sum.Recent, _, err = audit.Query(ctx, s.db.Queries, audit.Filter{}, 8); err != nil {
		return sum, fmt.Errorf("recent events: %w", err)
	}
	if sum.RecentNames, err = audit.LookupNames(ctx, s.db.Queries, sum.Recent); err != nil {
		return sum, err
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
	Kind     string // the kind's name: account, license_key, domain...
	Group    string // the kind's label, the title of its group
	Icon     string
	Title    string
	Subtitle string
	Href     string
	Meta     string
	More     bool // the link to the kind's list when its partial matches ran out of time
}

// MaxQuery bounds the search text, in characters.
const MaxQuery = 100

// PerKind bounds the hits of each kind.
const PerKind = 5

// candidates is how many partial matches a kind fetches before ranking: the
// best PerKind of them are kept, so a common fragment cannot make a query
// read every matching row.
const candidates = 50

// kind is a search kind with its searcher.
type kind struct {
	product.SearchKind
	search product.Searcher
}

// consoleKinds are the console's own kinds, before the products'.
func (s *Service) consoleKinds(can func(string) bool) []kind {
	pages := func(_ context.Context, q product.Query, limit int) ([]product.SearchHit, error) {
		return searchPages(q, can), nil
	}
	return []kind{
		{product.SearchKind{Name: "page", Label: "Pages", Icon: "arrow-right"}, pages},
		{product.SearchKind{Name: "account", Label: "Accounts", Permission: string(staff.PermAccountsView), Icon: "users", List: "/accounts?q="}, s.searchAccounts},
		{product.SearchKind{Name: "api_key", Label: "API keys", Permission: string(staff.PermAPIKeysView), Icon: "key"}, s.searchAPIKeys},
		{product.SearchKind{Name: "staff", Label: "Staff", Permission: string(staff.PermStaffManage), Icon: "user"}, s.searchStaff},
	}
}

// Register wires the searchers of a product area by kind name. Kinds the
// registry declares without a searcher find nothing; a searcher whose kind
// the registry does not declare is never asked.
func (s *Service) Register(searchers map[string]product.Searcher) *Service {
	if s.searchers == nil {
		s.searchers = map[string]product.Searcher{}
	}
	for k, f := range searchers {
		s.searchers[k] = f
	}
	return s
}

// Unwired lists the kinds the registry declares that no searcher serves:
// each would be a palette group that never finds anything.
func (s *Service) Unwired() []string {
	var out []string
	for _, k := range product.SearchKindsOf() {
		if s.searchers[k.Name] == nil {
			out = append(out, k.Name)
		}
	}
	return out
}

// kinds are every kind with a searcher, in palette order.
func (s *Service) kinds(can func(string) bool) []kind {
	out := s.consoleKinds(can)
	for _, k := range product.SearchKindsOf() {
		if f := s.searchers[k.Name]; f != nil {
			out = append(out, kind{k, f})
		}
	}
	return out
}

// CleanQuery makes typed or pasted text safe to search: valid UTF-8, no
// control characters (Postgres refuses NUL), trimmed, at most MaxQuery
// characters.
func CleanQuery(q string) string {
	q = strings.ToValidUTF8(q, "")
	q = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return ' '
		}
		return r
	}, q)
	q = strings.TrimSpace(q)
	if utf8.RuneCountInString(q) > MaxQuery {
		q = strings.TrimSpace(string([]rune(q)[:MaxQuery]))
	}
	return q
}

// Search finds q in every kind the caller may see (can reports whether the
// caller holds a permission), grouped by kind in palette order, each kind
// ranked (exact, then prefix, then contains) and bounded to PerKind.
func (s *Service) Search(ctx context.Context, can func(perm string) bool, q string) ([]Hit, error) {
	q = CleanQuery(q)
	if q == "" {
		return nil, nil
	}
	query := product.Query{Text: q, Contains: utf8.RuneCountInString(q) >= 3}
	if can == nil {
		can = func(string) bool { return false }
	}
	var kinds []kind
	for _, k := range s.kinds(can) {
		if k.Permission == "" || can(k.Permission) {
			kinds = append(kinds, k)
		}
	}
	// Kinds run at once: the answer takes as long as the slowest, not the sum.
	found := make([][]product.SearchHit, len(kinds))
	late := make([]bool, len(kinds))
	g, gctx := errgroup.WithContext(ctx)
	for i, k := range kinds {
		g.Go(func() error {
			kctx, cancel := context.WithTimeout(gctx, s.budget)
			defer cancel()
			f, err := k.search(kctx, query, PerKind)
			if err != nil && kctx.Err() == context.DeadlineExceeded && gctx.Err() == nil {
				late[i], err = true, nil // f holds what was found in time
			}
			if err != nil {
				return fmt.Errorf("search %s: %w", k.Name, err)
			}
			// Stable: within a rank the searcher's order (exact lookups first) holds.
			sort.SliceStable(f, func(i, j int) bool { return f[i].Rank < f[j].Rank })
			found[i] = f[:min(len(f), PerKind)]
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	var hits []Hit
	for i, k := range kinds {
		for _, h := range found[i] {
			hits = append(hits, Hit{Kind: k.Name, Group: k.Label, Icon: k.Icon, Title: h.Title, Subtitle: h.Subtitle, Href: h.Href, Meta: h.Meta})
		}
		if late[i] && k.List != "" {
			hits = append(hits, Hit{Kind: k.Name, Group: k.Label, Icon: "search", Title: "Search all " + strings.ToLower(k.Label) + " for “" + q + "”",
				Subtitle: "Partial matches took too long here; type more to narrow, or open the list", Href: k.List + url.QueryEscape(q), More: true})
		}
	}
	return hits, nil
}

// searchPages finds console pages by title; a page the caller may not open
// is not offered.
func searchPages(q product.Query, can func(string) bool) []product.SearchHit {
	var out []product.SearchHit
	lq := strings.ToLower(q.Text)
	for _, p := range pages {
		if !strings.Contains(strings.ToLower(p.Title), lq) || (p.Permission != "" && !can(p.Permission)) {
			continue
		}
		out = append(out, product.SearchHit{Title: p.Title, Href: p.Href, Meta: "Page", Rank: product.Rank(q.Text, p.Title)})
	}
	return out
}

func (s *Service) searchAccounts(ctx context.Context, q product.Query, limit int) ([]product.SearchHit, error) {
	seen := map[int64]bool{}
	var out []product.SearchHit
	add := func(id int64, name, email, discord, status string) {
		if seen[id] {
			return
		}
		seen[id] = true
		meta := "#" + strconv.FormatInt(id, 10)
		if status != "active" {
			meta = status
		}
		sub := email
		if discord != "" {
			sub += " · Discord " + discord
		}
		out = append(out, product.SearchHit{Title: name, Subtitle: sub, Href: "/accounts/" + strconv.FormatInt(id, 10), Meta: meta, Rank: product.Rank(q.Text, name, email, discord)})
	}
	r := s.db.Reader(ctx) // the read replica when the request allows
	exact, err := r.SearchAccountsExact(ctx, store.SearchAccountsExactParams{Q: q.Text, Limit: int32(limit)})
	if err != nil {
		return nil, err
	}
	for _, r := range exact {
		add(r.ID, r.Name, r.Email, r.DiscordID, r.Status)
	}
	if !q.Contains {
		return out, nil
	}
	rows, err := r.SearchAccounts(ctx, store.SearchAccountsParams{Q: db.EscapeLike(q.Text), Limit: candidates})
	if err != nil {
		return out, err // the exact hits, when the budget ran out
	}
	for _, r := range rows {
		add(r.ID, r.Name, r.Email, r.DiscordID, r.Status)
	}
	return out, nil
}

func (s *Service) searchAPIKeys(ctx context.Context, q product.Query, limit int) ([]product.SearchHit, error) {
	if len(q.Text) < 3 {
		return nil, nil
	}
	rows, err := s.db.Reader(ctx).SearchAPIKeysByPrefix(ctx, store.SearchAPIKeysByPrefixParams{Q: db.EscapeLike(q.Text), Limit: int32(limit)})
	if err != nil {
		return nil, err
	}
	var out []product.SearchHit
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
		out = append(out, product.SearchHit{Title: r.Prefix + "…", Subtitle: sub, Href: "/apikeys/" + strconv.FormatInt(r.ID, 10), Meta: meta, Rank: product.Rank(q.Text, r.Prefix)})
	}
	return out, nil
}

func (s *Service) searchStaff(ctx context.Context, q product.Query, limit int) ([]product.SearchHit, error) {
	rows, err := s.db.Reader(ctx).SearchStaff(ctx, store.SearchStaffParams{Q: db.EscapeLike(q.Text), Limit: candidates})
	if err != nil {
		return nil, err
	}
	var out []product.SearchHit
	for _, r := range rows {
		out = append(out, product.SearchHit{Title: r.Name, Subtitle: r.Email, Href: "/staff/" + strconv.FormatInt(r.ID, 10), Meta: r.Role, Rank: product.Rank(q.Text, r.Name, r.Email)})
	}
	return out, nil
}

// page is a console page the search finds by title.
type page struct{ Title, Href, Permission string }

// pages are the console's own pages, then every product's navigation from
// the registry. Permission "" is any signed-in user.
var pages = func() []page {
	out := []page{
		{"Overview", "/", string(staff.PermDashboardView)}, {"Accounts", "/accounts", string(staff.PermAccountsView)},
		{"API keys", "/apikeys", string(staff.PermAPIKeysView)}, {"Audit log", "/audit", string(staff.PermAuditView)},
		{"Staff", "/staff", string(staff.PermStaffManage)},
		{"Your sessions", "/account/sessions", ""}, {"Security & two-factor", "/account/security", ""},
	}
	for _, p := range product.All() {
		for _, n := range p.Nav {
			out = append(out, page{n.Label, n.Href, n.Permission})
		}
	}
	return out
}()
