package billing

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
	"lumdesk/internal/platform/listcount"
	"lumdesk/internal/platform/money"
)

// Page sizes.
const (
	DefaultLimit = 50
	MaxLimit     = 200
	MaxQuery     = 200
)

// ErrBadCursor is returned for a cursor that this list did not make.
var ErrBadCursor = errors.New("that page link is not valid (start from the first page)")

// LedgerFilter selects ledger entries, newest first. Every field is optional.
type LedgerFilter struct {
	AccountID int64
	Kind      string
	Since     *time.Time // inclusive
	Until     *time.Time // exclusive
	Cursor    string     // LedgerPage.Next of the previous page
	Limit     int        // 0: DefaultLimit; at most MaxLimit
}

// LedgerPage is one page of entries; Next is "" on the last page.
type LedgerPage struct {
	Items []LedgerEntry
	Next  string
}

// ledgerCursor is the last entry of a page: its created_at (Unix
// microseconds, the column's precision) and id, the list's order.
type ledgerCursor struct {
	At *int64 `json:"t"`
	ID int64  `json:"i"`
}

func encodeCursor(v any) string {
	b, _ := json.Marshal(v)
	return base64.RawURLEncoding.EncodeToString(b)
}

func decodeCursor(s string, v any) error {
	if len(s) > 512 {
		return ErrBadCursor
	}
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil || json.Unmarshal(b, v) != nil {
		return ErrBadCursor
	}
	return nil
}

// ValidateLedgerFilter reports what Ledger would refuse, field by field.
func ValidateLedgerFilter(f LedgerFilter) ValidationError {
	verr := ValidationError{}
	if f.Kind != "" && !slices.Contains(Kinds, f.Kind) {
		verr["kind"] = "Kind is one of " + strings.Join(Kinds, ", ") + "."
	}
	if f.AccountID < 0 {
		verr["account"] = "An account id is a positive number."
	}
	if f.Since != nil && f.Until != nil && !f.Since.Before(*f.Until) {
		verr["dates"] = "The start date must not be after the end date."
	}
	if f.Limit < 0 || f.Limit > MaxLimit {
		verr["limit"] = fmt.Sprintf("A page holds 1 to %d entries.", MaxLimit)
	}
	return verr
}

// ledgerParams are the ledger query's params of a filter: Ledger and
// CountLedger read a filter through it, so they agree.
func ledgerParams(f LedgerFilter, limit int) (store.ListLedgerPageParams, error) {
	p := store.ListLedgerPageParams{Since: f.Since, Until: f.Until, Lim: int32(limit + 1)}
	if f.AccountID > 0 {
		p.AccountID = &f.AccountID
	}
	if f.Kind != "" {
		p.Kind = &f.Kind
	}
	if f.Cursor != "" {
		var c ledgerCursor
		if err := decodeCursor(f.Cursor, &c); err != nil || c.At == nil || c.ID <= 0 {
			return p, ErrBadCursor
		}
		at := time.UnixMicro(*c.At).UTC()
		p.CursorAt, p.CursorID = &at, &c.ID
	}
	return p, nil
}

// CountLedger counts the entries of a filter (its cursor and limit ignored)
// up to limitTo (listcount.Cap when below 1).
func (s *Service) CountLedger(ctx context.Context, f LedgerFilter, limitTo int) (listcount.Count, error) {
	f.Cursor, f.Limit = "", 0
	if verr := ValidateLedgerFilter(f); len(verr) > 0 {
		return listcount.Count{}, verr
	}
	p, err := ledgerParams(f, 0)
	if err != nil {
		return listcount.Count{}, err
	}
	var out listcount.Count
	err = s.db.ReadCustomPlans(ctx, func(q *store.Queries) error {
		var err error
		out, err = listcount.Run(ctx, limitTo, func(ctx context.Context, lim int32) (int64, error) {
			p.Lim = lim
			return q.CountLedger(ctx, store.CountLedgerParams(p))
		})
		return err
	})
	if err != nil {
		return listcount.Count{}, fmt.Errorf("count ledger: %w", err)
	}
	return out, nil
}

// Ledger lists entries newest first (by created_at, then id),
// keyset-paginated on both.
func (s *Service) Ledger(ctx context.Context, f LedgerFilter) (LedgerPage, error) {
	if verr := ValidateLedgerFilter(f); len(verr) > 0 {
		return LedgerPage{}, verr
	}
	limit := f.Limit
	if limit == 0 {
		limit = DefaultLimit
	}
	p, err := ledgerParams(f, limit)
	if err != nil {
		return LedgerPage{}, err
	}
	var rows []store.ListLedgerPageRow
	err = s.db.ReadCustomPlans(ctx, func(q *store.Queries) error {
		var err error
		rows, err = q.ListLedgerPage(ctx, p)
		return err
	})
	if err != nil {
		return LedgerPage{}, fmt.Errorf("list ledger: %w", err)
	}
	var page LedgerPage
	if len(rows) > limit {
		rows = rows[:limit]
		last := rows[limit-1].LedgerEntry
		at := last.CreatedAt.UnixMicro()
		page.Next = encodeCursor(ledgerCursor{At: &at, ID: last.ID})
	}
	page.Items = make([]LedgerEntry, len(rows))
	for i, r := range rows {
		e := entryOf(r.LedgerEntry)
		e.AccountName, e.AccountEmail = r.AccountName, r.AccountEmail
		page.Items[i] = e
	}
	return page, nil
}

// ForEachLedger calls fn for every entry the filter selects (ignoring its
// cursor and limit), newest first, reading keyset pages as it goes: the CSV
// export streams through it.
func (s *Service) ForEachLedger(ctx context.Context, f LedgerFilter, fn func(LedgerEntry) error) error {
	f.Cursor, f.Limit = "", MaxLimit
	for {
		page, err := s.Ledger(ctx, f)
		if err != nil {
			return err
		}
		for _, e := range page.Items {
			if err := fn(e); err != nil {
				return err
			}
		}
		if page.Next == "" {
			return nil
		}
		f.Cursor = page.Next
	}
}

// BalanceSort orders the balances list.
type BalanceSort string

// Balance list orders.
const (
	SortBalanceDesc BalanceSort = "-balance" // largest first (default)
	SortBalanceAsc  BalanceSort = "balance"  // smallest first
)

// BalanceFilter selects balances.
type BalanceFilter struct {
	Query  string       // part of the account's name or email, or its id
	Below  *money.Cents // only balances under this amount
	Sort   BalanceSort
	Cursor string
	Limit  int
}

// BalanceRow is a balance with its account.
type BalanceRow struct {
	AccountID     int64
	AccountName   string
	AccountEmail  string
	AccountStatus string
	Amount        money.Cents
	UpdatedAt     time.Time
}

// BalancePage is one page of balances.
type BalancePage struct {
	Items []BalanceRow
	Next  string
}

type balanceCursor struct {
	Sort    BalanceSort `json:"s"`
	Balance int64       `json:"v"`
	ID      int64       `json:"i"`
}

// ValidateBalanceFilter reports what Balances would refuse.
func ValidateBalanceFilter(f BalanceFilter) ValidationError {
	verr := ValidationError{}
	if utf8.RuneCountInString(f.Query) > MaxQuery || !utf8.ValidString(f.Query) || strings.ContainsRune(f.Query, 0) {
		verr["q"] = fmt.Sprintf("Search for at most %d characters.", MaxQuery)
	}
	if f.Sort != "" && f.Sort != SortBalanceAsc && f.Sort != SortBalanceDesc {
		verr["sort"] = "Sort by balance or -balance."
	}
	if f.Below != nil && (*f.Below <= 0 || *f.Below > MaxAmount) {
		verr["below"] = "The low-balance threshold is a positive amount."
	}
	if f.Limit < 0 || f.Limit > MaxLimit {
		verr["limit"] = fmt.Sprintf("A page holds 1 to %d rows.", MaxLimit)
	}
	return verr
}

// likePattern escapes LIKE wildcards and wraps q for a substring match.
func likePattern(q string) string {
	r := strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)
	return "%" + r.Replace(q) + "%"
}

// balanceParams are the balance queries' params of a filter (its sort
// set): Balances and CountBalances read a filter through it, so they agree.
func balanceParams(f BalanceFilter, limit int) (store.ListBalancesDescParams, error) {
	var pattern *string
	var matchID *int64
	if q := strings.TrimSpace(f.Query); q != "" {
		p := likePattern(q)
		pattern = &p
		if id, err := strconv.ParseInt(strings.TrimPrefix(q, "#"), 10, 64); err == nil && id > 0 {
			matchID = &id
		}
	}
	var below, curBal, curID *int64
	if f.Below != nil {
		v := int64(*f.Below)
		below = &v
	}
	if f.Cursor != "" {
		var c balanceCursor
		if err := decodeCursor(f.Cursor, &c); err != nil || c.Sort != f.Sort || c.ID <= 0 {
			return store.ListBalancesDescParams{}, ErrBadCursor
		}
		curBal, curID = &c.Balance, &c.ID
	}
	return store.ListBalancesDescParams{Pattern: pattern, MatchID: matchID, Below: below,
		CursorBalance: curBal, CursorID: curID, Lim: int32(limit + 1)}, nil
}

// CountBalances counts the balances of a filter (its cursor and limit
// ignored) up to limitTo (listcount.Cap when below 1; listcount.SearchCap
// at most with a search, as the other lists count theirs).
func (s *Service) CountBalances(ctx context.Context, f BalanceFilter, limitTo int) (listcount.Count, error) {
	f.Cursor, f.Limit = "", 0
	limitTo = listcount.Limit(limitTo, strings.TrimSpace(f.Query) != "")
	if verr := ValidateBalanceFilter(f); len(verr) > 0 {
		return listcount.Count{}, verr
	}
	p, err := balanceParams(f, 0)
	if err != nil {
		return listcount.Count{}, err
	}
	var out listcount.Count
	err = s.db.ReadCustomPlans(ctx, func(q *store.Queries) error {
		var err error
		out, err = listcount.Run(ctx, limitTo, func(ctx context.Context, lim int32) (int64, error) {
			p.Lim = lim
			if p.Pattern != nil {
				return q.CountBalancesMatching(ctx, store.CountBalancesMatchingParams(p))
			}
			return q.CountBalances(ctx, store.CountBalancesParams(p))
		})
		return err
	})
	if err != nil {
		return listcount.Count{}, fmt.Errorf("count balances: %w", err)
	}
	return out, nil
}

// Balances lists balances with their accounts.
func (s *Service) Balances(ctx context.Context, f BalanceFilter) (BalancePage, error) {
	if verr := ValidateBalanceFilter(f); len(verr) > 0 {
		return BalancePage{}, verr
	}
	if f.Sort == "" {
		f.Sort = SortBalanceDesc
	}
	limit := f.Limit
	if limit == 0 {
		limit = DefaultLimit
	}
	p, err := balanceParams(f, limit)
	if err != nil {
		return BalancePage{}, err
	}
	var items []BalanceRow
	err = s.db.ReadCustomPlans(ctx, func(q *store.Queries) error {
		if f.Sort == SortBalanceAsc {
			rows, err := q.ListBalancesAsc(ctx, store.ListBalancesAscParams(p))
			for _, r := range rows {
				items = append(items, BalanceRow{AccountID: r.AccountID, AccountName: r.AccountName, AccountEmail: r.AccountEmail,
					AccountStatus: r.AccountStatus, Amount: money.Cents(r.BalanceCents), UpdatedAt: r.UpdatedAt.UTC()})
			}
			return err
		}
		rows, err := q.ListBalancesDesc(ctx, p)
		for _, r := range rows {
			items = append(items, BalanceRow{AccountID: r.AccountID, AccountName: r.AccountName, AccountEmail: r.AccountEmail,
				AccountStatus: r.AccountStatus, Amount: money.Cents(r.BalanceCents), UpdatedAt: r.UpdatedAt.UTC()})
		}
		return err
	})
	if err != nil {
		return BalancePage{}, fmt.Errorf("list balances: %w", err)
	}
	var page BalancePage
	if len(items) > limit {
		items = items[:limit]
		last := items[limit-1]
		page.Next = encodeCursor(balanceCursor{Sort: f.Sort, Balance: int64(last.Amount), ID: last.AccountID})
	}
	page.Items = items
	if page.Items == nil {
		page.Items = []BalanceRow{}
	}
	return page, nil
}

// LowBalances lists balances under threshold, smallest first.
func (s *Service) LowBalances(ctx context.Context, threshold money.Cents, limit int) ([]BalanceRow, error) {
	page, err := s.Balances(ctx, BalanceFilter{Below: &threshold, Sort: SortBalanceAsc, Limit: min(clampLimit(limit), MaxLimit)})
	return page.Items, err
}
