package marketplace

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"lumdesk/db/store"
	"lumdesk/internal/accounts"
	"lumdesk/internal/platform/db"
)

// The staff console's reads: the review queue, the extension list with its
// filters and sorts, the overview's counts and an account's extensions.

// QueueItem is one pending version in the review queue.
type QueueItem struct {
	VersionID     string // ver_…
	Version       string
	SubmittedAt   time.Time
	FileCount     int
	BundleSize    int64
	ExtensionID   string // ext_…
	ExtensionName string
	ExtensionSlug string
	AccountID     int64
	AccountName   string
}

// QueueCursor continues the queue after the last item of a page.
type QueueCursor struct {
	SubmittedAt time.Time
	ID          int64
}

// String is the cursor as a page link carries it.
func (c QueueCursor) String() string {
	return strconv.FormatInt(c.SubmittedAt.UnixMicro(), 10) + "." + strconv.FormatInt(c.ID, 10)
}

// ParseQueueCursor reads QueueCursor.String.
func ParseQueueCursor(s string) (QueueCursor, bool) {
	a, b, ok := strings.Cut(s, ".")
	us, err1 := strconv.ParseInt(a, 10, 64)
	id, err2 := strconv.ParseInt(b, 10, 64)
	if !ok || err1 != nil || err2 != nil || id <= 0 {
		return QueueCursor{}, false
	}
	return QueueCursor{SubmittedAt: time.UnixMicro(us).UTC(), ID: id}, true
}

// QueuePage is a page of the queue and where the next one starts (nil
// after the last).
type QueuePage struct {
	Items []QueueItem
	Next  *QueueCursor
}

// ReviewQueue is the versions waiting for review, oldest submission first.
func (s *Service) ReviewQueue(ctx context.Context, after *QueueCursor, limit int) (_ QueuePage, err error) {
	defer wrap(&err, "review queue")
	if limit <= 0 {
		limit = DefaultLimit
	}
	limit = min(limit, MaxListLimit)
	p := store.ListMarketplaceReviewQueueParams{Limit: int32(limit + 1)}
	if after != nil {
		t, id := after.SubmittedAt, after.ID
		p.AfterSubmitted, p.AfterID = &t, &id
	}
	rows, err := s.db.ListMarketplaceReviewQueue(ctx, p)
	if err != nil {
		return QueuePage{}, err
	}
	var page QueuePage
	if len(rows) > limit {
		rows = rows[:limit]
		page.Next = &QueueCursor{SubmittedAt: rows[limit-1].SubmittedAt, ID: rows[limit-1].ID}
	}
	for _, r := range rows {
		page.Items = append(page.Items, QueueItem{VersionID: r.PublicID, Version: r.Version, SubmittedAt: r.SubmittedAt.UTC(),
			FileCount: int(r.FileCount), BundleSize: r.BundleSize, ExtensionID: r.ExtensionPublicID, ExtensionName: r.ExtensionName,
			ExtensionSlug: r.ExtensionSlug, AccountID: r.AccountID, AccountName: r.AccountName})
	}
	return page, nil
}

// PendingCount is how many versions wait for review (the sidebar's badge).
func (s *Service) PendingCount(ctx context.Context) (int64, error) {
	n, err := s.db.CountMarketplacePendingVersions(ctx)
	if err != nil {
		return 0, fmt.Errorf("count pending versions: %w", err)
	}
	return n, nil
}

// StatusCounts is how many extensions have each status.
func (s *Service) StatusCounts(ctx context.Context) (map[string]int64, error) {
	rows, err := s.db.CountMarketplaceExtensionsByStatus(ctx)
	if err != nil {
		return nil, fmt.Errorf("count extensions: %w", err)
	}
	out := map[string]int64{}
	for _, r := range rows {
		out[r.Status] = r.N
	}
	return out, nil
}

// Console list sorts.
const (
	SortUpdated  = "updated"
	SortInstalls = "installs"
)

// ConsoleFilter selects a page of the console's extension list. Empty
// fields do not filter.
type ConsoleFilter struct {
	Search     string // whole public id, or part of the name or slug
	Status     string
	Visibility string
	Pricing    string // pricing type
	AccountID  int64
	Sort       string // SortUpdated (default) or SortInstalls
	Cursor     string // ConsolePage.Next of the previous page
	Limit      int
}

// ListedExtension is a row of the console's list.
type ListedExtension struct {
	Extension
	AccountName string
}

// ConsolePage is a page of the console's list; Next is "" after the last.
type ConsolePage struct {
	Extensions []ListedExtension
	Next       string
}

// ConsoleSorts, ConsoleStatuses, ConsoleVisibilities and ConsolePricings
// are the values the list's filters take.
var (
	ConsoleSorts        = []string{SortUpdated, SortInstalls}
	ConsoleStatuses     = []string{StatusDraft, StatusPending, StatusApproved, StatusRejected, StatusSuspended}
	ConsoleVisibilities = []string{VisibilityPrivate, VisibilityUnlisted, VisibilityPublic}
	ConsolePricings     = []string{PricingFree, PricingOneTime, PricingSubscription}
)

func oneOf(v string, set []string) bool {
	for _, s := range set {
		if v == s {
			return true
		}
	}
	return false
}

func optional(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// ListConsole is the console's extension list. An unknown filter value or
// a malformed cursor is a ValidationError naming the field.
func (s *Service) ListConsole(ctx context.Context, f ConsoleFilter) (_ ConsolePage, err error) {
	defer wrap(&err, "list extensions")
	fe := ValidationError{}
	if f.Sort == "" {
		f.Sort = SortUpdated
	}
	if !oneOf(f.Sort, ConsoleSorts) {
		fe["sort"] = "Sort by updated or installs."
	}
	if f.Status != "" && !oneOf(f.Status, ConsoleStatuses) {
		fe["status"] = "Unknown status."
	}
	if f.Visibility != "" && !oneOf(f.Visibility, ConsoleVisibilities) {
		fe["visibility"] = "Unknown visibility."
	}
	if f.Pricing != "" && !oneOf(f.Pricing, ConsolePricings) {
		fe["pricing"] = "Unknown pricing."
	}
	f.Search = strings.TrimSpace(f.Search)
	if len(f.Search) > 200 {
		fe["q"] = "At most 200 characters."
	}
	var curKey, curID int64
	if f.Cursor != "" {
		a, b, ok := strings.Cut(f.Cursor, ".")
		k, err1 := strconv.ParseInt(a, 10, 64)
		id, err2 := strconv.ParseInt(b, 10, 64)
		if !ok || err1 != nil || err2 != nil || id <= 0 {
			fe["cursor"] = "That page link is not valid."
		}
		curKey, curID = k, id
	}
	if len(fe) > 0 {
		return ConsolePage{}, fe
	}
	limit := f.Limit
	if limit <= 0 {
		limit = DefaultLimit
	}
	limit = min(limit, MaxListLimit)
	var account *int64
	if f.AccountID != 0 {
		account = &f.AccountID
	}
	var q, qLike *string
	if f.Search != "" {
		q = &f.Search
		l := db.EscapeLike(f.Search)
		qLike = &l
	}
	// The list and what each row shows come from one place: the read
	// replica when the request allows it (db.Read), else the primary.
	var page ConsolePage
	err = s.db.Read(ctx, func(rq *store.Queries) error {
		page = ConsolePage{}
		var rows []store.ListMarketplaceExtensionsByUpdatedRow
		if f.Sort == SortInstalls {
			p := store.ListMarketplaceExtensionsByInstallsParams{Limit: int32(limit + 1), AccountID: account, Status: optional(f.Status),
				Visibility: optional(f.Visibility), PricingType: optional(f.Pricing), Q: q, QLike: qLike}
			if f.Cursor != "" {
				p.AfterInstalls, p.AfterID = &curKey, &curID
			}
			got, err := rq.ListMarketplaceExtensionsByInstalls(ctx, p)
			if err != nil {
				return err
			}
			for _, r := range got {
				rows = append(rows, store.ListMarketplaceExtensionsByUpdatedRow(r))
			}
		} else {
			p := store.ListMarketplaceExtensionsByUpdatedParams{Limit: int32(limit + 1), AccountID: account, Status: optional(f.Status),
				Visibility: optional(f.Visibility), PricingType: optional(f.Pricing), Q: q, QLike: qLike}
			if f.Cursor != "" {
				t := time.UnixMicro(curKey).UTC()
				p.AfterUpdated, p.AfterID = &t, &curID
			}
			got, err := rq.ListMarketplaceExtensionsByUpdated(ctx, p)
			if err != nil {
				return err
			}
			rows = got
		}
		if len(rows) > limit {
			rows = rows[:limit]
			last := rows[limit-1]
			key := last.UpdatedAt.UnixMicro()
			if f.Sort == SortInstalls {
				key = last.InstallCount
			}
			page.Next = strconv.FormatInt(key, 10) + "." + strconv.FormatInt(last.ID, 10)
		}
		for _, r := range rows {
			e, err := s.extensionFromRow(ctx, rq, store.MarketplaceExtension{ID: r.ID, PublicID: r.PublicID, AccountID: r.AccountID,
				Slug: r.Slug, Name: r.Name, ShortDescription: r.ShortDescription, Description: r.Description, PricingType: r.PricingType,
				PriceCents: r.PriceCents, Currency: r.Currency, BillingInterval: r.BillingInterval, Visibility: r.Visibility, Status: r.Status,
				InstallCount: r.InstallCount, RatingCount: r.RatingCount, CurrentVersionID: r.CurrentVersionID, Deprecated: r.Deprecated,
				ReplacementID: r.ReplacementID, EverPublic: r.EverPublic, CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt,
				ActiveInstalls: r.ActiveInstalls})
			if err != nil {
				return err
			}
			page.Extensions = append(page.Extensions, ListedExtension{Extension: e, AccountName: r.AccountName})
		}
		return nil
	})
	return page, err
}

// AccountExtension is an extension on its account's Lumio tab.
type AccountExtension struct {
	Extension
	PendingVersions int64
}

// AccountExtensions is the account's extensions (the first MaxListLimit,
// most recently updated first) with their pending versions.
func (s *Service) AccountExtensions(ctx context.Context, accountID int64) (_ []AccountExtension, err error) {
	defer wrap(&err, "extensions of account %d", accountID)
	page, err := s.ListExtensions(ctx, ListFilter{Scope: accounts.Only(accountID), Limit: MaxListLimit})
	if err != nil {
		return nil, err
	}
	counts, err := s.db.CountMarketplacePendingByAccount(ctx, accountID)
	if err != nil {
		return nil, err
	}
	pending := map[int64]int64{}
	for _, c := range counts {
		pending[c.ExtensionID] = c.N
	}
	out := make([]AccountExtension, len(page.Extensions))
	for i, e := range page.Extensions {
		out[i] = AccountExtension{Extension: e, PendingVersions: pending[e.id]}
	}
	return out, nil
}

// PreviousApproved is the extension's most recently approved version
// other than versionID (nil when there is none): what the inspector
// compares a submission with.
func (s *Service) PreviousApproved(ctx context.Context, versionID string) (_ *VersionInfo, err error) {
	defer wrap(&err, "previous approved version of %s", versionID)
	v, e, err := findVersion(ctx, s.db.Queries, accounts.AllAccounts, versionID, false)
	if err != nil {
		return nil, err
	}
	prev, err := s.db.LastApprovedMarketplaceVersion(ctx, store.LastApprovedMarketplaceVersionParams{ExtensionID: e.ID, ExceptID: v.ID})
	if db.IsNotFound(err) {
		return nil, nil
	} else if err != nil {
		return nil, err
	}
	out, err := versionFromRow(prev, e.PublicID)
	if err != nil {
		return nil, err
	}
	return &out, nil
}

// PriceLabel is the pricing as people read it: "Free", "$4.99",
// "$9.00 / month".
func (p Pricing) PriceLabel() string {
	if p.Type == PricingFree || p.Type == "" {
		return "Free"
	}
	s := p.Amount.String()
	if p.Currency == "USD" || p.Currency == "" {
		s = "$" + s
	} else {
		s += " " + p.Currency
	}
	if p.Interval != "" {
		s += " / " + p.Interval
	}
	return s
}

// accountName is the account's name ("" if it is gone).
func (s *Service) accountName(ctx context.Context, id int64) string {
	a, err := s.db.GetAccount(ctx, id)
	if err != nil {
		return ""
	}
	return a.Name
}

// AccountName is the name of the account the extension belongs to.
func (s *Service) AccountName(ctx context.Context, accountID int64) string {
	return s.accountName(ctx, accountID)
}
