package accounts

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"lumdesk/db/store"
	"lumdesk/internal/platform/db"
	"lumdesk/internal/platform/listcount"
)

// Sort is a list order. Every order is a keyset on (column, id).
type Sort string

// The list orders.
const (
	SortNewest   Sort = "newest" // created_at DESC (default)
	SortOldest   Sort = "oldest" // created_at ASC
	SortNameAsc  Sort = "name"   // lower(name) ASC
	SortNameDesc Sort = "-name"  // lower(name) DESC
)

// Sorts lists the orders, default first.
var Sorts = []Sort{SortNewest, SortOldest, SortNameAsc, SortNameDesc}

// ParseSort accepts a sort name; "" is the default.
func ParseSort(s string) (Sort, bool) {
	if s == "" {
		return SortNewest, true
	}
	return Sort(s), slices.Contains(Sorts, Sort(s))
}

// Page sizes.
const (
	DefaultLimit = 25
	MaxLimit     = 100
	MaxQuery     = 200
)

// ListParams selects and orders accounts.
type ListParams struct {
	// Query matches a fragment of the name, email or Discord ID (ILIKE, served
	// by the trigram indexes), an account id ("42", "#42"), or exactly a whole
	// Discord ID.
	Query       string
	Status      string     // "", active, suspended
	CreatedFrom *time.Time // inclusive
	CreatedTo   *time.Time // exclusive
	Sort        Sort       // "" = newest
	Cursor      string     // from Page.Next or Page.Prev; "" = first page
	Limit       int        // 0 = DefaultLimit; capped at MaxLimit
}

// Page is one page of a list. Next and Prev are opaque cursors ("" = none).
type Page struct {
	Items []Account
	Next  string
	Prev  string
}

// ErrBadCursor is returned for a cursor that was not made by List for this sort.
var ErrBadCursor = errors.New("that page link is not valid (start from the first page)")

// cursor is the keyset position, serialised as base64url JSON.
type cursor struct {
	Sort Sort   `json:"s"`
	Back bool   `json:"b,omitempty"` // page backwards (Previous) from here
	Time int64  `json:"t,omitempty"` // created_at, unix microseconds
	Name string `json:"n,omitempty"` // lower(name)
	ID   int64  `json:"i"`
}

func (c cursor) encode() string {
	b, _ := json.Marshal(c)
	return base64.RawURLEncoding.EncodeToString(b)
}

func decodeCursor(s string, sort Sort) (cursor, error) {
	var c cursor
	if len(s) > 2048 {
		return c, ErrBadCursor
	}
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil || json.Unmarshal(b, &c) != nil || c.Sort != sort || c.ID <= 0 || !utf8.ValidString(c.Name) {
		return cursor{}, ErrBadCursor
	}
	return c, nil
}

// keyOf is the cursor position at row r.
func keyOf(sort Sort, r listRow, back bool) cursor {
	c := cursor{Sort: sort, Back: back, ID: r.Account.ID}
	if sort == SortNameAsc || sort == SortNameDesc {
		c.Name = r.NameKey
	} else {
		c.Time = r.Account.CreatedAt.UnixMicro()
	}
	return c
}

// filter is the shared WHERE clause of the list queries.
type filter struct {
	status, pattern, discord *string
	matchID                  *int64
	from, to                 *time.Time
}

// ValidateListParams checks what List would refuse, field by field.
func ValidateListParams(p ListParams) ValidationError {
	verr := ValidationError{}
	// U+001F separates the searched fields in accounts.search_text: a
	// search holding it could match across two of them.
	if utf8.RuneCountInString(p.Query) > MaxQuery || !utf8.ValidString(p.Query) || strings.ContainsAny(p.Query, "\x00\x1f") {
		verr["q"] = fmt.Sprintf("Search for at most %d characters.", MaxQuery)
	}
	if p.Status != "" && p.Status != StatusActive && p.Status != StatusSuspended {
		verr["status"] = "Status must be active or suspended."
	}
	if _, ok := ParseSort(string(p.Sort)); !ok {
		verr["sort"] = "Sort must be newest, oldest, name or -name."
	}
	if p.CreatedFrom != nil && p.CreatedTo != nil && !p.CreatedFrom.Before(*p.CreatedTo) {
		verr["created"] = "The start of the date range must be before its end."
	}
	return verr
}

func newFilter(p ListParams) filter {
	var f filter
	if p.Status != "" {
		f.status = &p.Status
	}
	f.from, f.to = p.CreatedFrom, p.CreatedTo
	q := strings.TrimSpace(p.Query)
	switch {
	case q == "":
	case IsDiscordID(q):
		// A whole snowflake: an exact match (the trigram index serves "=" too).
		f.discord = &q
	default:
		pattern := "%" + db.EscapeLike(q) + "%"
		f.pattern = &pattern
		if id, err := strconv.ParseInt(strings.TrimPrefix(q, "#"), 10, 64); err == nil && id > 0 {
			f.matchID = &id
		}
	}
	return f
}

// listRow is a row of any of the four list queries (they share one shape).
type listRow = store.ListAccountsCreatedDescRow

func convert[T any](rows []T, err error, f func(T) listRow) ([]listRow, error) {
	if err != nil {
		return nil, err
	}
	out := make([]listRow, len(rows))
	for i, r := range rows {
		out[i] = f(r)
	}
	return out, nil
}

// fetch runs the query for sort in one direction from c (nil = from the start).
func createdParams(f filter, ct *time.Time, cid *int64, limit int32) store.ListAccountsCreatedDescParams {
	return store.ListAccountsCreatedDescParams{Status: f.status, CreatedFrom: f.from, CreatedTo: f.to,
		Pattern: f.pattern, MatchID: f.matchID, DiscordID: f.discord, CursorTime: ct, CursorID: cid, Lim: limit}
}

// Count counts the accounts of p's filters (its cursor, sort and limit
// ignored) up to limitTo (listcount.Cap when below 1; listcount.SearchCap
// at most with a search), with the list's own
// params, so the count filters as the list does.
func (s *Service) Count(ctx context.Context, p ListParams, limitTo int) (listcount.Count, error) {
	p.Sort, p.Cursor, p.Limit = "", "", 0
	// A common word's matches come one by one from the trigram indexes
	// (10,000 of them cost 0.15 s at a million accounts).
	limitTo = listcount.Limit(limitTo, strings.TrimSpace(p.Query) != "")
	if verr := ValidateListParams(p); len(verr) > 0 {
		return listcount.Count{}, verr
	}
	f := newFilter(p)
	var out listcount.Count
	err := s.db.ReadCustomPlans(ctx, func(q *store.Queries) error {
		var err error
		out, err = listcount.Run(ctx, limitTo, func(ctx context.Context, lim int32) (int64, error) {
			return q.CountAccounts(ctx, store.CountAccountsParams(createdParams(f, nil, nil, lim)))
		})
		return err
	})
	if err != nil {
		return listcount.Count{}, fmt.Errorf("count accounts: %w", err)
	}
	return out, nil
}

func fetch(ctx context.Context, q *store.Queries, sort Sort, back bool, f filter, c *cursor, limit int) ([]listRow, error) {
	var ct *time.Time
	var cn *string
	var cid *int64
	if c != nil {
		t := time.UnixMicro(c.Time).UTC()
		ct, cn, cid = &t, &c.Name, &c.ID
	}
	created := createdParams(f, ct, cid, int32(limit))
	name := store.ListAccountsNameAscParams{Status: f.status, CreatedFrom: f.from, CreatedTo: f.to,
		Pattern: f.pattern, MatchID: f.matchID, DiscordID: f.discord, CursorName: cn, CursorID: cid, Lim: int32(limit)}
	// Going back on a descending order is going forward on the ascending one.
	desc := sort == SortNewest || sort == SortNameDesc
	if back {
		desc = !desc
	}
	switch {
	case (sort == SortNewest || sort == SortOldest) && desc:
		return q.ListAccountsCreatedDesc(ctx, created)
	case sort == SortNewest || sort == SortOldest:
		rows, err := q.ListAccountsCreatedAsc(ctx, store.ListAccountsCreatedAscParams(created))
		return convert(rows, err, func(r store.ListAccountsCreatedAscRow) listRow { return listRow(r) })
	case desc:
		rows, err := q.ListAccountsNameDesc(ctx, store.ListAccountsNameDescParams(name))
		return convert(rows, err, func(r store.ListAccountsNameDescRow) listRow { return listRow(r) })
	default:
		rows, err := q.ListAccountsNameAsc(ctx, name)
		return convert(rows, err, func(r store.ListAccountsNameAscRow) listRow { return listRow(r) })
	}
}

// List returns one page of accounts.
func (s *Service) List(ctx context.Context, p ListParams) (Page, error) {
	if verr := ValidateListParams(p); len(verr) > 0 {
		return Page{}, verr
	}
	sort, _ := ParseSort(string(p.Sort))
	limit := p.Limit
	if limit <= 0 {
		limit = DefaultLimit
	}
	limit = min(limit, MaxLimit)
	var cur *cursor
	if p.Cursor != "" {
		c, err := decodeCursor(p.Cursor, sort)
		if err != nil {
			return Page{}, err
		}
		cur = &c
	}
	f := newFilter(p)
	var page Page
	err := s.db.ReadCustomPlans(ctx, func(q *store.Queries) error {
		back := cur != nil && cur.Back
		rows, err := fetch(ctx, q, sort, back, f, cur, limit+1)
		if err != nil {
			return err
		}
		more := len(rows) > limit
		if more {
			rows = rows[:limit]
		}
		if back {
			if !more {
				// Reached the start: show the real first page (full, no Previous).
				if rows, err = fetch(ctx, q, sort, false, f, nil, limit+1); err != nil {
					return err
				}
				back, cur = false, nil
				if more = len(rows) > limit; more {
					rows = rows[:limit]
				}
			} else {
				slices.Reverse(rows)
			}
		}
		page.Items = make([]Account, len(rows))
		for i, r := range rows {
			page.Items[i] = fromRow(r.Account)
		}
		if len(rows) == 0 {
			return nil
		}
		first, last := rows[0], rows[len(rows)-1]
		if back {
			// Came backwards with more before: both directions exist.
			page.Prev = keyOf(sort, first, true).encode()
			page.Next = keyOf(sort, last, false).encode()
			return nil
		}
		if more {
			page.Next = keyOf(sort, last, false).encode()
		}
		if cur != nil {
			page.Prev = keyOf(sort, first, true).encode()
		}
		return nil
	})
	if err != nil {
		return Page{}, fmt.Errorf("list accounts: %w", err)
	}
	return page, nil
}

// ForEach calls fn for every account matching p (Cursor and Limit ignored),
// in p's order, reading keyset pages of 500: for exports.
func (s *Service) ForEach(ctx context.Context, p ListParams, fn func(Account) error) error {
	p.Cursor, p.Limit = "", 0
	if verr := ValidateListParams(p); len(verr) > 0 {
		return verr
	}
	sort, _ := ParseSort(string(p.Sort))
	f := newFilter(p)
	const batch = 500
	var cur *cursor
	for {
		var rows []listRow
		err := s.db.ReadCustomPlans(ctx, func(q *store.Queries) error {
			var err error
			rows, err = fetch(ctx, q, sort, false, f, cur, batch)
			return err
		})
		if err != nil {
			return fmt.Errorf("list accounts: %w", err)
		}
		for _, r := range rows {
			if err := fn(fromRow(r.Account)); err != nil {
				return err
			}
		}
		if len(rows) < batch {
			return nil
		}
		c := keyOf(sort, rows[len(rows)-1], false)
		cur = &c
	}
}
