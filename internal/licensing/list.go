package licensing

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"lumdesk/db/store"
	"lumdesk/internal/platform/db"
	"lumdesk/internal/platform/listcount"
)

// Cursor is a keyset position: the sort value and id of the last row shown.
type Cursor struct {
	At time.Time
	ID int64
}

// String encodes the cursor for a URL query.
func (c Cursor) String() string {
	return base64.RawURLEncoding.EncodeToString([]byte(strconv.FormatInt(c.At.UnixMicro(), 10) + "." + strconv.FormatInt(c.ID, 10)))
}

// ErrBadCursor is returned by ParseCursor for a value it did not make.
var ErrBadCursor = errors.New("invalid page cursor")

// ParseCursor decodes Cursor.String.
func ParseCursor(s string) (Cursor, error) {
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil || len(b) > 64 {
		return Cursor{}, ErrBadCursor
	}
	at, id, ok := strings.Cut(string(b), ".")
	us, err1 := strconv.ParseInt(at, 10, 64)
	n, err2 := strconv.ParseInt(id, 10, 64)
	if !ok || err1 != nil || err2 != nil || n <= 0 {
		return Cursor{}, ErrBadCursor
	}
	return Cursor{At: time.UnixMicro(us).UTC(), ID: n}, nil
}

// Sort orders of key lists.
const (
	SortCreated  = "created"   // created_at (indexed per project and overall)
	SortExpires  = "expires"   // auth_expire, never-expiring last (indexed per project)
	SortLastUsed = "last_used" // last execution, never-used last either way (license_key_activity, indexed per project and overall)
)

// Sentinels the queries put in place of NULL sort values. A key never used
// sorts as the epoch newest first and as neverExpires oldest first: after
// the used keys either way, as a spreadsheet puts its blanks (lastUsed).
var (
	neverExpires = time.Date(9999, 12, 31, 0, 0, 0, 0, time.UTC)
	neverUsed    = time.Unix(0, 0).UTC()
)

// KeyFilter selects keys, for the API's GET users (exact filters, search,
// from/until as Offset/Limit) and the dashboard (status and other filters,
// sort, keyset cursor). Zero values mean "any".
type KeyFilter struct {
	ProjectID  string // public id; "" = every project
	AccountID  int64
	UserKey    string // exact
	Identifier string // exact HWID
	DiscordID  string // exact
	// Search matches anywhere in user_key, identifier or discord_id (a
	// trigram index serves it from 3 characters on), or the note's words:
	// every word of the term must start a word of the note (noteWords; a
	// word index serves it). A fragment inside a note's word ("rder" of
	// "order") does not match the note, unless NoteInside.
	Search string
	// NoteInside makes Search match anywhere in the note as well, as the
	// Luarmor API's spec defines its search ("contains the value anywhere
	// in ... note"). No index serves that; the API always names a project.
	NoteInside  bool
	Status      string // StatusActive, StatusReset, StatusBanned
	Banned      *bool  // ban in force now
	Expired     *bool
	NeverUsed   *bool // never executed
	HasDiscord  *bool
	ExpiresFrom *time.Time // auth_expire in [ExpiresFrom, ExpiresTo)
	ExpiresTo   *time.Time
	Sort        string // SortCreated (default), SortExpires, SortLastUsed
	Desc        bool
	// Reverse lists in the exact reverse of Sort and Desc: from After
	// backwards, for the page before a cursor (a page's first row). It is
	// not !Desc: never-used keys come last either way in the sort by last
	// use, so that sort's two directions are not each other's reverse.
	Reverse bool
	After   *Cursor // keyset: rows after this one in the sort order
	Offset  int     // the API's from (use After for deep pages)
	Limit   int     // 1..MaxPageSize, default DefaultPageSize
}

// KeyPage is one page of keys; Next is the cursor of the following page (nil
// on the last one).
type KeyPage struct {
	Keys []Key
	Next *Cursor
}

// MaxOffset bounds the API's from.
const MaxOffset = 10_000_000

// keyParams turns a filter into the list queries' params (the project,
// found by public id, is set inside the transaction) and the page size:
// ListKeys and CountKeys read a filter through it, so they agree.
func (s *Service) keyParams(f KeyFilter) (p store.ListLicenseKeysCreatedDescParams, limit int, verr ValidationError) {
	verr = ValidationError{}
	limit = f.Limit
	if limit == 0 {
		limit = DefaultPageSize
	}
	if limit < 1 || limit > MaxPageSize {
		verr["limit"] = fmt.Sprintf("must be between 1 and %d", MaxPageSize)
	}
	if f.Offset < 0 || f.Offset > MaxOffset {
		verr["from"] = fmt.Sprintf("must be between 0 and %d", MaxOffset)
	}
	now := s.clock()
	p = store.ListLicenseKeysCreatedDescParams{Now: &now, Off: int32(f.Offset), Lim: int32(limit + 1),
		Banned: f.Banned, Expired: f.Expired, NeverUsed: f.NeverUsed, HasDiscord: f.HasDiscord,
		ExpiresFrom: f.ExpiresFrom, ExpiresTo: f.ExpiresTo}
	if f.AccountID != 0 {
		p.AccountID = &f.AccountID
	}
	exact := func(field, v string, max int) *string {
		if v == "" {
			return nil
		}
		if len(v) > max || !plainLine(v) {
			verr[field] = fmt.Sprintf("must be text on one line, at most %d bytes", max)
		}
		return &v
	}
	p.UserKey = exact("user_key", f.UserKey, MaxUserKeyLen)
	p.Identifier = exact("identifier", f.Identifier, MaxIdentifierLen)
	p.DiscordID = exact("discord_id", f.DiscordID, MaxDiscordIDLen)
	if q := strings.TrimSpace(f.Search); q != "" {
		if utf8.RuneCountInString(q) > MaxSearchLen || !plainLine(q) {
			verr["search"] = fmt.Sprintf("must be text on one line, at most %d characters", MaxSearchLen)
		}
		pat := "%" + db.EscapeLike(q) + "%"
		p.Search = &pat
		if f.NoteInside {
			p.NoteLike = &pat
		} else {
			p.Words = noteWords(q)
		}
	}
	switch f.Status {
	case "":
	case StatusActive, StatusReset, StatusBanned:
		st := f.Status
		p.Status = &st
	default:
		verr["status"] = "must be active, reset or banned"
	}
	if f.Sort == "" {
		f.Sort = SortCreated
	}
	if f.Sort != SortCreated && f.Sort != SortExpires && f.Sort != SortLastUsed {
		verr["sort"] = "must be created, expires or last_used"
	}
	if f.After != nil {
		p.AfterAt, p.AfterID = &f.After.At, &f.After.ID
		// The API pages by offset, the dashboard by cursor; one page by
		// both would be counted twice (and lastUsed counts an offset from
		// the list's start).
		if f.Offset != 0 {
			verr["from"] = "cannot be combined with a cursor"
		}
	}
	return p, limit, verr
}

// ListKeys lists keys. Each sort and direction has its own query so it can
// walk its index; deep pages should use After rather than Offset.
func (s *Service) ListKeys(ctx context.Context, f KeyFilter) (KeyPage, error) {
	p, limit, verr := s.keyParams(f)
	if f.Sort == "" {
		f.Sort = SortCreated
	}
	if len(verr) > 0 {
		return KeyPage{}, verr
	}
	var rows []store.ListLicenseKeysCreatedDescRow
	acts := map[int64]store.LicenseKeyActivity{}
	err := s.db.ReadCustomPlans(ctx, func(q *store.Queries) error {
		if err := q.NoParallelWorkers(ctx); err != nil {
			return err
		}
		if f.ProjectID != "" {
			proj, err := s.project(ctx, q, f.ProjectID)
			if err != nil {
				return err
			}
			p.ProjectID = &proj.ID
		}
		var err error
		if rows, err = listQuery(ctx, q, f, p, s.sortMatches); err != nil || len(rows) == 0 {
			return err
		}
		// The page's executions, in the same snapshot (the keys' activity rows).
		ids := make([]int64, len(rows))
		for i, r := range rows {
			ids[i] = r.LicenseKey.ID
		}
		as, err := q.LicenseKeyActivities(ctx, ids)
		for _, a := range as {
			acts[a.KeyID] = a
		}
		return err
	})
	if err != nil {
		if errors.Is(err, ErrProjectNotFound) {
			return KeyPage{}, err
		}
		return KeyPage{}, fmt.Errorf("list keys: %w", err)
	}
	var out KeyPage
	out.Keys = make([]Key, 0, min(len(rows), limit))
	for i, r := range rows {
		if i == limit {
			out.Next = cursorOf(out.Keys[limit-1], f.Sort, f.Desc)
			break
		}
		out.Keys = append(out.Keys, keyFromRow(r.LicenseKey, acts[r.LicenseKey.ID], r.ProjectPublicID, r.ProjectName, *p.Now))
	}
	return out, nil
}

// CountKeys counts the keys of a filter (its page position ignored) up to
// limitTo (listcount.Cap when below 1; listcount.SearchCap at most when
// the filter searches), for the list's "1,234 keys".
func (s *Service) CountKeys(ctx context.Context, f KeyFilter, limitTo int) (listcount.Count, error) {
	f.After, f.Offset, f.Limit = nil, 0, 0
	limitTo = listcount.Limit(limitTo, strings.TrimSpace(f.Search) != "")
	p, _, verr := s.keyParams(f)
	if len(verr) > 0 {
		return listcount.Count{}, verr
	}
	var out listcount.Count
	err := s.db.ReadCustomPlans(ctx, func(q *store.Queries) error {
		if err := q.NoParallelWorkers(ctx); err != nil {
			return err
		}
		if f.ProjectID != "" {
			proj, err := s.project(ctx, q, f.ProjectID)
			if err != nil {
				return err
			}
			p.ProjectID = &proj.ID
		}
		var err error
		out, err = listcount.Run(ctx, limitTo, func(ctx context.Context, lim int32) (int64, error) {
			p.Lim = lim
			// The same params type as the list's: the count filters as the list does.
			return q.CountLicenseKeys(ctx, store.CountLicenseKeysParams(p))
		})
		return err
	})
	if err != nil {
		if errors.Is(err, ErrProjectNotFound) {
			return listcount.Count{}, err
		}
		return listcount.Count{}, fmt.Errorf("count keys: %w", err)
	}
	return out, nil
}

// cursorOf is k's position in the sort (desc: the sort's direction, not
// the walk's, which Reverse turns).
func cursorOf(k Key, sort string, desc bool) *Cursor {
	c := &Cursor{At: k.CreatedAt, ID: k.ID}
	switch sort {
	case SortExpires:
		c.At = neverExpires
		if k.AuthExpire != nil {
			c.At = *k.AuthExpire
		}
	case SortLastUsed:
		c.At = neverUsedAt(desc)
		if k.LastExecutionAt != nil {
			c.At = lastUsedSort(*k.LastExecutionAt)
		}
	}
	return c
}

// lastUsedSort is where a key last run at t sorts by last use: the minute
// of t, as license_key_activity.last_execution_minute holds it (migration
// 00054, date_bin from the epoch; Truncate counts from year 1, and both
// start whole minutes). Keys of one minute sort by id.
func lastUsedSort(t time.Time) time.Time { return t.Truncate(time.Minute) }

// sortMatchesUpTo is, per sort, how many keys a search may match, by the
// planner's estimate, for the sort to read the matches and sort them rather
// than walk the sort's index. Reading a match costs about the same either
// way; a walk passes about limit × keys / matches keys before its page is
// full, and what a key passed costs is the sort's (docs/scaling.md, 1M
// keys): about 1.2 µs by expiry, which the key's own index gives, against
// 5.7 µs a match read and sorted; by last use 6.7 µs, the walk reading the
// activity index and then the key, against 10 µs a match, whose activity
// row is looked up. A walk also costs more when the matches sit far along
// it; the matches cost what they number. By last use the two meet near
// 5,800 matches at a million keys, and the planner's estimate of a key or
// HWID fragment runs high ("HWID-ab": 5,008 for 2,798 matches, which the
// walk took 120 ms to page and the matches 28 – 43 ms), so its bound is
// 7,500.
//
// By creation a walk passes keys at 0.55 µs, and the planner's own choice
// serves the console's searches (keys lie in the table in that order). It
// misprices the API's search, a substring of the note as well (note_like):
// "order #12", 621 matches estimated at 4,150, walked 97,000 keys of one
// project in 54 ms where its matches took 7.6 ms. That search reads its
// matches up to 5,000 (about 28 ms at 5.7 µs a match, the bound of the
// walk's cost being every key of the project).
var sortMatchesUpTo = map[string]int64{SortExpires: 5000, SortLastUsed: 7500, SortCreated: 5000}

// neverUsedAt is the sort value of a never-used key in the sort by last use
// (desc: the sort's direction): the low end newest first, the high end
// oldest first, so last either way.
func neverUsedAt(desc bool) time.Time {
	if desc {
		return neverUsed
	}
	return neverExpires
}

// listQuery runs the query of the sort and direction. The generated params
// and row types of the six walks are identical, so they convert.
// sortMatches (sortMatchesUpTo; tests set it to choose a plan) applies to
// a search sorted by expiry or last use.
func listQuery(ctx context.Context, q *store.Queries, f KeyFilter, p store.ListLicenseKeysCreatedDescParams, sortMatches map[string]int64) ([]store.ListLicenseKeysCreatedDescRow, error) {
	sort, desc := f.Sort, f.Desc != f.Reverse // desc: the walk's direction
	// A sort's walk is priced as if a search's matches were spread evenly
	// along the index; an estimate (no key read) of a search of few keys
	// reads the matches and sorts them instead. The sort by creation keeps
	// the planner's choice: keys lie in the table in that order, so its
	// walk reads consecutive pages, unless the search is the API's
	// (note_like, sortMatchesUpTo says why).
	if p.Search != nil && (sort != SortCreated || p.NoteLike != nil) {
		n, err := q.EstimateKeySearch(ctx, store.EstimateKeySearchParams{Pattern: *p.Search, Words: p.Words, NoteLike: p.NoteLike})
		if err != nil {
			return nil, err
		}
		if n <= sortMatches[sort] {
			return rowsAs(q.ListLicenseKeysMatches(ctx, matchesParams(p, sort, desc, neverUsedAt(f.Desc))))
		}
	}
	switch {
	case sort == SortCreated && desc:
		return q.ListLicenseKeysCreatedDesc(ctx, p)
	case sort == SortCreated:
		return rowsAs(q.ListLicenseKeysCreatedAsc(ctx, store.ListLicenseKeysCreatedAscParams(p)))
	case sort == SortExpires && desc:
		return rowsAs(q.ListLicenseKeysExpiresDesc(ctx, store.ListLicenseKeysExpiresDescParams(p)))
	case sort == SortExpires:
		return rowsAs(q.ListLicenseKeysExpiresAsc(ctx, store.ListLicenseKeysExpiresAscParams(p)))
	default:
		return lastUsed(ctx, q, p, f.Desc, f.Reverse)
	}
}

// lastUsed lists by last use (desc: the sort's direction), the never-used
// keys after the used ones, or everything walked back from the cursor
// (reverse, never-used keys first). It takes two walks of
// license_key_activity's index: the used keys' (past the epoch, where the
// index holds a never-used key) and the never-used keys' (at the epoch, by
// id). One walk of the index in its own order would, oldest first, pass
// every never-used key before the first used one, and test each against a
// filter most of them fail (status active or banned, expired): 150,000
// keys and 0.4-1 s at a million keys. Now only the page where the used
// keys end walks them. A cursor at neverUsedAt(desc) is among the
// never-used keys.
func lastUsed(ctx context.Context, q *store.Queries, p store.ListLicenseKeysCreatedDescParams, desc, reverse bool) ([]store.ListLicenseKeysCreatedDescRow, error) {
	walk := func(p store.ListLicenseKeysCreatedDescParams) ([]store.ListLicenseKeysCreatedDescRow, error) {
		if desc != reverse {
			return rowsAs(q.ListLicenseKeysLastUsedDesc(ctx, store.ListLicenseKeysLastUsedDescParams(p)))
		}
		return rowsAs(q.ListLicenseKeysLastUsedAsc(ctx, store.ListLicenseKeysLastUsedAscParams(p)))
	}
	phases := []bool{false, true} // never used: the used keys, then the others
	if reverse {
		phases = []bool{true, false}
	}
	// The phase the cursor is in: the one before it is passed.
	if p.AfterAt != nil {
		inNever := p.AfterAt.Equal(neverUsedAt(desc))
		if inNever {
			p.AfterAt = &neverUsed
		}
		if phases[0] != inNever {
			phases = phases[1:]
		}
	}
	var rows []store.ListLicenseKeysCreatedDescRow
	lim := p.Lim
	for i, phase := range phases {
		if i > 0 { // a later phase from its start
			p.AfterAt, p.AfterID = nil, nil
		}
		if p.NeverUsed != nil && *p.NeverUsed != phase {
			continue
		}
		ph := p
		ph.NeverUsed, ph.Lim = &phase, lim-int32(len(rows))
		more, err := walk(ph)
		if err != nil {
			return nil, err
		}
		rows = append(rows, more...)
		if len(rows) == int(lim) {
			break
		}
		// What the offset leaves of the next phase (keyParams allows an
		// offset only without a cursor).
		if len(more) > 0 {
			p.Off = 0
		} else if p.Off > 0 {
			ph.Off, ph.Lim = 0, p.Off
			n, err := q.CountLicenseKeys(ctx, store.CountLicenseKeysParams(ph))
			if err != nil {
				return nil, err
			}
			p.Off -= int32(n)
		}
	}
	return rows, nil
}

// matchesParams gives ListLicenseKeysMatches the walks' params and its own
// two: its struct is not the walks' (it has those two more), so it cannot
// convert, and TestMatchesParamsCopyEveryFilter checks no field is left out.
func matchesParams(p store.ListLicenseKeysCreatedDescParams, sort string, desc bool, neverUsedAt time.Time) store.ListLicenseKeysMatchesParams {
	return store.ListLicenseKeysMatchesParams{
		SortBy: sort, Descending: desc, NeverUsedAt: neverUsedAt,
		ProjectID: p.ProjectID, AccountID: p.AccountID, UserKey: p.UserKey, Identifier: p.Identifier,
		DiscordID: p.DiscordID, Search: p.Search, Words: p.Words, NoteLike: p.NoteLike, Status: p.Status,
		Now: p.Now, Banned: p.Banned, Expired: p.Expired, NeverUsed: p.NeverUsed, HasDiscord: p.HasDiscord,
		ExpiresFrom: p.ExpiresFrom, ExpiresTo: p.ExpiresTo, AfterAt: p.AfterAt, AfterID: p.AfterID,
		Off: p.Off, Lim: p.Lim}
}

// listRow is the row type of every key list query but the first, whose row
// type they convert to.
type listRow interface {
	store.ListLicenseKeysCreatedAscRow | store.ListLicenseKeysExpiresDescRow |
		store.ListLicenseKeysExpiresAscRow | store.ListLicenseKeysLastUsedDescRow |
		store.ListLicenseKeysLastUsedAscRow | store.ListLicenseKeysMatchesRow
}

func rowsAs[R listRow](rows []R, err error) ([]store.ListLicenseKeysCreatedDescRow, error) {
	out := make([]store.ListLicenseKeysCreatedDescRow, len(rows))
	for i, r := range rows {
		out[i] = store.ListLicenseKeysCreatedDescRow(r)
	}
	return out, err
}
