package apikeys

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"lumdesk/db/store"
	"lumdesk/internal/platform/listcount"
)

// Page sizes of List.
const (
	DefaultPageSize = 50
	MaxPageSize     = 200
	// MaxPrefixSearch bounds the prefix search text.
	MaxPrefixSearch = 64
)

// ListParams filters and pages the key list (newest first).
type ListParams struct {
	Product      string // "" = all
	AccountID    *int64
	Status       string // "", active, revoked, expired
	PrefixSearch string // keys whose display prefix starts with this
	// Before: the page after this cursor (older keys). After: the page
	// before it (newer keys). At most one is set; neither = newest page.
	Before, After string
	Limit         int
}

// Page is one page of keys. Next/Prev are cursors for ListParams.Before /
// ListParams.After; "" when there is no such page.
type Page struct {
	Keys       []Key
	Next, Prev string
}

// Cursor is a position in the newest-first order: (created_at, id).
type Cursor struct {
	CreatedAt time.Time
	ID        int64
}

// String encodes the cursor as "<unix microseconds>-<id>".
func (c Cursor) String() string {
	return strconv.FormatInt(c.CreatedAt.UnixMicro(), 10) + "-" + strconv.FormatInt(c.ID, 10)
}

// ParseCursor reads a cursor made by Cursor.String.
func ParseCursor(s string) (Cursor, bool) {
	if len(s) > 48 {
		return Cursor{}, false
	}
	ts, id, ok := strings.Cut(s, "-")
	if !ok {
		return Cursor{}, false
	}
	us, err1 := strconv.ParseInt(ts, 10, 64)
	n, err2 := strconv.ParseInt(id, 10, 64)
	if err1 != nil || err2 != nil || n <= 0 || us < 0 || strings.HasPrefix(ts, "+") || strings.HasPrefix(id, "+") {
		return Cursor{}, false
	}
	return Cursor{CreatedAt: time.UnixMicro(us).UTC(), ID: n}, true
}

func cursorOf(k Key) string { return Cursor{CreatedAt: k.CreatedAt, ID: k.ID}.String() }

// ValidStatus reports whether s is a status filter List accepts.
func ValidStatus(s string) bool {
	return s == "" || s == StatusActive || s == StatusRevoked || s == StatusExpired
}

// likePrefix escapes s for LIKE and appends the wildcard.
func likePrefix(s string) string {
	if s == "" {
		return ""
	}
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s) + "%"
}

// checkList validates a list's filters (the search trimmed): List and
// Count read them through it, so they agree.
func checkList(p ListParams) (ListParams, ValidationError) {
	verr := ValidationError{}
	if p.Product != "" {
		if _, ok := LookupProduct(p.Product); !ok {
			verr["product"] = "unknown product"
		}
	}
	if !ValidStatus(p.Status) {
		verr["status"] = "status must be active, revoked or expired"
	}
	p.PrefixSearch = strings.TrimSpace(p.PrefixSearch)
	if len(p.PrefixSearch) > MaxPrefixSearch {
		verr["q"] = fmt.Sprintf("search at most %d characters of the key prefix", MaxPrefixSearch)
	}
	return p, verr
}

// Count counts the keys of p's filters (its cursors and limit ignored) up to
// limitTo (listcount.Cap when below 1), with the list's own params.
func (s *Service) Count(ctx context.Context, p ListParams, limitTo int) (listcount.Count, error) {
	p, verr := checkList(p)
	if len(verr) > 0 {
		return listcount.Count{}, verr
	}
	n, err := listcount.Run(ctx, limitTo, func(ctx context.Context, lim int32) (int64, error) {
		return s.db.CountAPIKeys(ctx, store.CountAPIKeysParams(store.ListAPIKeysOlderParams{Product: p.Product, AccountID: p.AccountID,
			Status: p.Status, PrefixLike: likePrefix(p.PrefixSearch), Lim: lim}))
	})
	if err != nil {
		return listcount.Count{}, fmt.Errorf("count api keys: %w", err)
	}
	return n, nil
}

// List returns one page of keys, newest first. Invalid filters are errors
// (ValidationError) so the page can say so; a malformed cursor is ignored.
func (s *Service) List(ctx context.Context, p ListParams) (Page, error) {
	p, verr := checkList(p)
	if len(verr) > 0 {
		return Page{}, verr
	}
	limit := p.Limit
	if limit <= 0 {
		limit = DefaultPageSize
	}
	limit = min(limit, MaxPageSize)

	var page Page
	if c, ok := ParseCursor(p.After); ok {
		rows, err := s.db.ListAPIKeysNewer(ctx, store.ListAPIKeysNewerParams{
			Product: p.Product, AccountID: p.AccountID, Status: p.Status, PrefixLike: likePrefix(p.PrefixSearch),
			CursorCreated: c.CreatedAt, CursorID: c.ID, Lim: int32(limit + 1),
		})
		if err != nil {
			return Page{}, fmt.Errorf("list api keys: %w", err)
		}
		more := len(rows) > limit
		rows = rows[:min(len(rows), limit)]
		for _, r := range rows {
			page.Keys = append(page.Keys, withAccount(r.ApiKey, r.AccountName, r.AccountEmail, r.AccountStatus))
		}
		slices.Reverse(page.Keys)
		if len(page.Keys) > 0 {
			page.Next = cursorOf(page.Keys[len(page.Keys)-1])
			if more {
				page.Prev = cursorOf(page.Keys[0])
			}
		}
		return page, nil
	}
	params := store.ListAPIKeysOlderParams{
		Product: p.Product, AccountID: p.AccountID, Status: p.Status, PrefixLike: likePrefix(p.PrefixSearch),
		Lim: int32(limit + 1),
	}
	before, hasBefore := ParseCursor(p.Before)
	if hasBefore {
		params.CursorCreated, params.CursorID = &before.CreatedAt, before.ID
	}
	rows, err := s.db.ListAPIKeysOlder(ctx, params)
	if err != nil {
		return Page{}, fmt.Errorf("list api keys: %w", err)
	}
	more := len(rows) > limit
	rows = rows[:min(len(rows), limit)]
	for _, r := range rows {
		page.Keys = append(page.Keys, withAccount(r.ApiKey, r.AccountName, r.AccountEmail, r.AccountStatus))
	}
	if more && len(page.Keys) > 0 {
		page.Next = cursorOf(page.Keys[len(page.Keys)-1])
	}
	if hasBefore && len(page.Keys) > 0 {
		page.Prev = cursorOf(page.Keys[0])
	}
	return page, nil
}
