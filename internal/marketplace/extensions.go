package marketplace

import (
	"context"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"lumdesk/db/store"
	"lumdesk/internal/accounts"
	"lumdesk/internal/audit"
	"lumdesk/internal/platform/db"
	"lumdesk/internal/platform/ids"
	"lumdesk/internal/platform/money"
)

// Limits on extension input.
const (
	MaxName             = 80
	MaxShortDescription = 132
	MaxDescription      = 20000
	MaxSlug             = 64
	MaxPrice            = money.Cents(1_000_000) // $10,000.00
	MaxListLimit        = 200
	DefaultLimit        = 50
)

// Pricing types and subscription intervals.
const (
	PricingFree         = "free"
	PricingOneTime      = "one_time"
	PricingSubscription = "subscription"
	IntervalMonth       = "month"
	IntervalYear        = "year"
)

// Pricing is what an extension costs: Amount, Currency and Interval are
// zero for free, Interval is set for a subscription only.
type Pricing struct {
	Type     string      `json:"type"`
	Amount   money.Cents `json:"amount,omitempty"`
	Currency string      `json:"currency,omitempty"`
	Interval string      `json:"interval,omitempty"`
}

// Extension is an account's extension.
type Extension struct {
	ID               string    `json:"id"` // ext_...
	AccountID        int64     `json:"account_id"`
	Slug             string    `json:"slug"`
	Name             string    `json:"name"`
	ShortDescription string    `json:"short_description"`
	Description      string    `json:"description"`
	Pricing          Pricing   `json:"pricing"`
	Visibility       string    `json:"visibility"`
	Status           string    `json:"status"`
	InstallCount     int64     `json:"install_count"`
	RatingCount      int64     `json:"rating_count"`
	CurrentVersionID string    `json:"current_version_id,omitempty"` // ver_..., "" before the first approval
	Deprecated       bool      `json:"deprecated"`
	ReplacementID    string    `json:"replacement_id,omitempty"` // ext_...
	EverPublic       bool      `json:"ever_public"`
	CreatedAt        time.Time `json:"created_at"`
	UpdatedAt        time.Time `json:"updated_at"`

	id        int64 // the row id, inside the package
	currentID *int64
}

// extensionFromRow needs the public ids of the current version and of the
// replacement, which the row holds as row ids.
func (s *Service) extensionFromRow(ctx context.Context, q *store.Queries, r store.MarketplaceExtension) (Extension, error) {
	e := Extension{ID: r.PublicID, AccountID: r.AccountID, Slug: r.Slug, Name: r.Name, ShortDescription: r.ShortDescription,
		Description: r.Description, Pricing: Pricing{Type: r.PricingType}, Visibility: r.Visibility, Status: r.Status,
		InstallCount: r.InstallCount, RatingCount: r.RatingCount, Deprecated: r.Deprecated, EverPublic: r.EverPublic,
		CreatedAt: r.CreatedAt.UTC(), UpdatedAt: r.UpdatedAt.UTC(), id: r.ID, currentID: r.CurrentVersionID}
	if r.PriceCents != nil {
		e.Pricing.Amount = money.Cents(*r.PriceCents)
	}
	if r.Currency != nil {
		e.Pricing.Currency = *r.Currency
	}
	if r.BillingInterval != nil {
		e.Pricing.Interval = *r.BillingInterval
	}
	if r.CurrentVersionID != nil {
		v, err := q.GetMarketplaceVersionByID(ctx, *r.CurrentVersionID)
		if err != nil {
			return Extension{}, fmt.Errorf("current version: %w", err)
		}
		e.CurrentVersionID = v.PublicID
	}
	if r.ReplacementID != nil {
		x, err := q.GetMarketplaceExtensionByID(ctx, *r.ReplacementID)
		if err != nil {
			return Extension{}, fmt.Errorf("replacement: %w", err)
		}
		e.ReplacementID = x.PublicID
	}
	return e, nil
}

// extensionAudit is what the history keeps of an extension.
func extensionAudit(e Extension) map[string]any {
	p := map[string]any{"type": e.Pricing.Type}
	if e.Pricing.Type != PricingFree {
		p["amount"] = e.Pricing.Amount.String()
		p["currency"] = e.Pricing.Currency
	}
	if e.Pricing.Interval != "" {
		p["interval"] = e.Pricing.Interval
	}
	v := map[string]any{"account_id": e.AccountID, "slug": e.Slug, "name": e.Name, "short_description": e.ShortDescription,
		"description": e.Description, "pricing": p, "visibility": e.Visibility, "status": e.Status,
		"ever_public": e.EverPublic, "deprecated": e.Deprecated}
	if e.CurrentVersionID != "" {
		v["current_version"] = e.CurrentVersionID
	}
	if e.ReplacementID != "" {
		v["replacement_id"] = e.ReplacementID
	}
	return v
}

// PricingInput is pricing as people and the API give it: the amount as a
// decimal string ("4.99").
type PricingInput struct {
	Type     string
	Amount   string
	Currency string // "" means USD
	Interval string
}

// ExtensionInput creates an extension. Slug and Visibility are judged as
// UpdateExtension judges them (the API's POST takes the fields of PATCH).
type ExtensionInput struct {
	AccountID        *int64 // the account (staff); a one-account scope acts on its own
	Name             string
	Slug             *string // nil: made from the name, the first free one
	ShortDescription string
	Description      string
	Pricing          *PricingInput // nil: free
	Visibility       *string       // nil: private
}

var slugRE = regexp.MustCompile(`^[a-z0-9]+(-[a-z0-9]+)*$`)

// errSlugTaken is the answer to a slug another extension has (its unique
// constraint decides, so two requests racing for one get the same words).
var errSlugTaken = ValidationError{"slug": "This slug is taken by another extension."}

// checkSlug judges a slug the developer chose.
func checkSlug(fe ValidationError, slug string) {
	if len(slug) > MaxSlug || !slugRE.MatchString(slug) {
		fe["slug"] = fmt.Sprintf("Lower-case letters, digits and single hyphens, at most %d characters.", MaxSlug)
	}
}

// checkVisibility judges a visibility; public needs an approved version of
// an extension that is not suspended (approved).
func checkVisibility(fe ValidationError, v string, approved bool) {
	switch v {
	case VisibilityPrivate, VisibilityUnlisted:
	case VisibilityPublic:
		if !approved {
			fe["visibility"] = "An extension can be public only once a version is approved."
		}
	default:
		fe["visibility"] = "Choose private, unlisted or public."
	}
}

// Slugify makes a slug from a name: lower-case ASCII letters and digits,
// anything else a single hyphen; "extension" when nothing is left.
func Slugify(name string) string {
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(name) {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' {
			if dash && b.Len() > 0 {
				b.WriteByte('-')
			}
			dash = false
			b.WriteRune(r)
			if b.Len() >= MaxSlug-8 { // room for a "-N" suffix
				break
			}
			continue
		}
		dash = true
	}
	if b.Len() == 0 {
		return "extension"
	}
	return b.String()
}

func checkText(fe ValidationError, field, v string, max int, required bool) {
	switch {
	case !utf8.ValidString(v):
		fe[field] = "Must be valid UTF-8 text."
	case required && strings.TrimSpace(v) == "":
		fe[field] = "Required."
	case utf8.RuneCountInString(v) > max:
		fe[field] = fmt.Sprintf("At most %d characters.", max)
	case strings.ContainsRune(v, 0):
		fe[field] = "Must not contain NUL characters."
	}
}

// parsePricing checks pricing input; nil means free.
func parsePricing(fe ValidationError, in *PricingInput) Pricing {
	if in == nil {
		return Pricing{Type: PricingFree}
	}
	p := Pricing{Type: strings.TrimSpace(in.Type)}
	amount, currency, interval := strings.TrimSpace(in.Amount), strings.ToUpper(strings.TrimSpace(in.Currency)), strings.TrimSpace(in.Interval)
	switch p.Type {
	case PricingFree:
		if amount != "" {
			fe["pricing.amount"] = "A free extension has no amount."
		}
		if interval != "" {
			fe["pricing.interval"] = "Only a subscription has an interval."
		}
		return p
	case PricingOneTime, PricingSubscription:
	default:
		fe["pricing.type"] = "Choose free, one_time or subscription."
		return p
	}
	c, err := money.Parse(amount)
	switch {
	case amount == "":
		fe["pricing.amount"] = "Required for a paid extension."
	case err != nil:
		fe["pricing.amount"] = "Must be a decimal amount such as 4.99."
	case c <= 0:
		fe["pricing.amount"] = "Must be more than 0."
	case c > MaxPrice:
		fe["pricing.amount"] = "At most " + MaxPrice.String() + "."
	}
	p.Amount = c
	if currency == "" {
		currency = "USD"
	}
	if currency != "USD" {
		fe["pricing.currency"] = "Only USD is supported."
	}
	p.Currency = currency
	if p.Type == PricingSubscription {
		if interval != IntervalMonth && interval != IntervalYear {
			fe["pricing.interval"] = "Choose month or year."
		}
		p.Interval = interval
	} else if interval != "" {
		fe["pricing.interval"] = "Only a subscription has an interval."
	}
	return p
}

func (p Pricing) columns() (cents *int64, currency, interval *string) {
	if p.Type == PricingFree {
		return nil, nil, nil
	}
	c, cur := int64(p.Amount), p.Currency
	cents, currency = &c, &cur
	if p.Interval != "" {
		i := p.Interval
		interval = &i
	}
	return
}

// freeSlug is base, else base-2, base-3, ... whichever is not taken.
func freeSlug(ctx context.Context, q *store.Queries, base string) (string, error) {
	taken, err := q.MarketplaceSlugsLike(ctx, base)
	if err != nil {
		return "", err
	}
	set := make(map[string]bool, len(taken))
	for _, t := range taken {
		set[t] = true
	}
	if !set[base] {
		return base, nil
	}
	for n := 2; ; n++ {
		if s := base + "-" + strconv.Itoa(n); !set[s] {
			return s, nil
		}
	}
}

// CreateExtension makes a draft extension of the scope's account (staff
// name the account), private unless in says unlisted (public needs an
// approved version, which a new extension has not), with the slug in gives
// or else a unique one made from its name.
func (s *Service) CreateExtension(ctx context.Context, actor audit.Actor, scope accounts.Scope, in ExtensionInput) (_ Extension, err error) {
	defer wrap(&err, "create extension")
	target, err := scope.Target(in.AccountID)
	if err != nil {
		return Extension{}, ErrAccountNotFound
	}
	in.Name = strings.TrimSpace(in.Name)
	in.ShortDescription = strings.TrimSpace(in.ShortDescription)
	var slug string // "": made from the name
	visibility := VisibilityPrivate
	fe := ValidationError{}
	if target == nil {
		fe["account"] = "Choose the account the extension belongs to."
	}
	checkText(fe, "name", in.Name, MaxName, true)
	if in.Slug != nil {
		slug = strings.TrimSpace(*in.Slug)
		checkSlug(fe, slug)
	}
	if in.Visibility != nil {
		visibility = strings.TrimSpace(*in.Visibility)
		checkVisibility(fe, visibility, false)
	}
	checkText(fe, "short_description", in.ShortDescription, MaxShortDescription, false)
	checkText(fe, "description", in.Description, MaxDescription, false)
	pricing := parsePricing(fe, in.Pricing)
	if len(fe) > 0 {
		return Extension{}, fe
	}
	cents, currency, interval := pricing.columns()
	var out Extension
	// Two creations racing for one slug made from the name: the loser picks
	// again (a slug the input gives is not replaced: errSlugTaken).
	for attempt := 0; ; attempt++ {
		err = s.db.Tx(ctx, func(q *store.Queries) error {
			if _, err := q.GetAccount(ctx, *target); db.IsNotFound(err) {
				return ErrAccountNotFound
			} else if err != nil {
				return err
			}
			pick := slug
			if pick == "" {
				free, err := freeSlug(ctx, q, Slugify(in.Name))
				if err != nil {
					return err
				}
				pick = free
			}
			row, err := q.InsertMarketplaceExtension(ctx, store.InsertMarketplaceExtensionParams{PublicID: ids.Public("ext_"),
				AccountID: *target, Slug: pick, Name: in.Name, ShortDescription: in.ShortDescription, Description: in.Description,
				PricingType: pricing.Type, PriceCents: cents, Currency: currency, BillingInterval: interval, Visibility: visibility,
				Now: s.clock()})
			if in.Slug != nil && db.IsUniqueViolation(err, "marketplace_extensions_slug") {
				return errSlugTaken
			} else if err != nil {
				return err
			}
			if out, err = s.extensionFromRow(ctx, q, row); err != nil {
				return err
			}
			return audit.Record(ctx, q, actor, audit.Event{Action: "lumio_extension.create", EntityType: audit.EntityLumioExtension,
				EntityID: out.ID, After: extensionAudit(out)})
		})
		if db.IsUniqueViolation(err, "marketplace_extensions_slug") && attempt < 3 {
			continue
		}
		break
	}
	if err != nil {
		return Extension{}, err
	}
	return out, nil
}

// findExtension is the extension with public id id inside the scope;
// anything else is ErrExtensionNotFound. lock takes the row for update.
func findExtension(ctx context.Context, q *store.Queries, scope accounts.Scope, id string, lock bool) (store.MarketplaceExtension, error) {
	if !ids.ValidPublic("ext_", id) {
		return store.MarketplaceExtension{}, ErrExtensionNotFound
	}
	get := q.GetMarketplaceExtension
	if lock {
		get = q.LockMarketplaceExtension
	}
	row, err := get(ctx, id)
	if db.IsNotFound(err) || (err == nil && !scope.Allows(row.AccountID)) {
		return store.MarketplaceExtension{}, ErrExtensionNotFound
	}
	return row, err
}

// GetExtension is the extension, if it is inside the scope.
func (s *Service) GetExtension(ctx context.Context, scope accounts.Scope, id string) (_ Extension, err error) {
	defer wrap(&err, "get extension %s", id)
	row, err := findExtension(ctx, s.db.Queries, scope, id, false)
	if err != nil {
		return Extension{}, err
	}
	return s.extensionFromRow(ctx, s.db.Queries, row)
}

// Cursor continues a list after the last extension of the previous page.
type Cursor struct {
	UpdatedAt time.Time
	ID        int64
}

// ExtensionPage is one page of a list and where the next one starts (nil
// after the last page).
type ExtensionPage struct {
	Extensions []Extension
	Next       *Cursor
}

// ListFilter selects a page of extensions.
type ListFilter struct {
	Scope accounts.Scope
	After *Cursor // nil: from the most recently updated
	Limit int     // 0: DefaultLimit; at most MaxListLimit
}

// ListExtensions is the scope's extensions, most recently updated first.
func (s *Service) ListExtensions(ctx context.Context, f ListFilter) (_ ExtensionPage, err error) {
	defer wrap(&err, "list extensions")
	limit := f.Limit
	if limit <= 0 {
		limit = DefaultLimit
	}
	limit = min(limit, MaxListLimit)
	p := store.ListMarketplaceExtensionsParams{Limit: int32(limit + 1), AccountID: f.Scope.Filter()}
	if f.After != nil {
		t, id := f.After.UpdatedAt, f.After.ID
		p.AfterUpdated, p.AfterID = &t, &id
	}
	rows, err := s.db.ListMarketplaceExtensions(ctx, p)
	if err != nil {
		return ExtensionPage{}, err
	}
	var page ExtensionPage
	if len(rows) > limit {
		rows = rows[:limit]
		last := rows[limit-1]
		page.Next = &Cursor{UpdatedAt: last.UpdatedAt, ID: last.ID}
	}
	page.Extensions = make([]Extension, 0, len(rows))
	for _, r := range rows {
		e, err := s.extensionFromRow(ctx, s.db.Queries, r)
		if err != nil {
			return ExtensionPage{}, err
		}
		page.Extensions = append(page.Extensions, e)
	}
	return page, nil
}

// ExtensionPatch changes the fields that are not nil (PATCH semantics).
type ExtensionPatch struct {
	Name             *string
	Slug             *string
	ShortDescription *string
	Description      *string
	Pricing          *PricingInput
	Visibility       *string
}

// UpdateExtension changes the fields given. Public visibility needs an
// approved version and marks the extension as ever public, which freezes
// its slug for good.
func (s *Service) UpdateExtension(ctx context.Context, actor audit.Actor, scope accounts.Scope, id string, in ExtensionPatch) (_ Extension, err error) {
	defer wrap(&err, "update extension %s", id)
	var out Extension
	err = s.db.Tx(ctx, func(q *store.Queries) error {
		row, err := findExtension(ctx, q, scope, id, true)
		if err != nil {
			return err
		}
		before, err := s.extensionFromRow(ctx, q, row)
		if err != nil {
			return err
		}
		p := store.UpdateMarketplaceExtensionParams{ID: row.ID, Slug: row.Slug, Name: row.Name, ShortDescription: row.ShortDescription,
			Description: row.Description, PricingType: row.PricingType, PriceCents: row.PriceCents, Currency: row.Currency,
			BillingInterval: row.BillingInterval, Visibility: row.Visibility, EverPublic: row.EverPublic,
			Deprecated: row.Deprecated, ReplacementID: row.ReplacementID, Now: s.clock()}
		fe := ValidationError{}
		if in.Name != nil {
			p.Name = strings.TrimSpace(*in.Name)
			checkText(fe, "name", p.Name, MaxName, true)
		}
		if in.Slug != nil {
			p.Slug = strings.TrimSpace(*in.Slug)
			switch {
			case p.Slug == row.Slug:
			case row.EverPublic:
				fe["slug"] = "The slug cannot change: the extension has been public."
			default:
				checkSlug(fe, p.Slug)
			}
		}
		if in.ShortDescription != nil {
			p.ShortDescription = strings.TrimSpace(*in.ShortDescription)
			checkText(fe, "short_description", p.ShortDescription, MaxShortDescription, false)
		}
		if in.Description != nil {
			p.Description = *in.Description
			checkText(fe, "description", p.Description, MaxDescription, false)
		}
		if in.Pricing != nil {
			pr := parsePricing(fe, in.Pricing)
			p.PricingType = pr.Type
			p.PriceCents, p.Currency, p.BillingInterval = pr.columns()
		}
		if in.Visibility != nil {
			p.Visibility = strings.TrimSpace(*in.Visibility)
			checkVisibility(fe, p.Visibility, row.CurrentVersionID != nil && row.Status != StatusSuspended)
			if p.Visibility == VisibilityPublic {
				p.EverPublic = true
			}
		}
		if len(fe) > 0 {
			return fe
		}
		updated, err := q.UpdateMarketplaceExtension(ctx, p)
		if db.IsUniqueViolation(err, "marketplace_extensions_slug") {
			return errSlugTaken
		} else if err != nil {
			return err
		}
		if out, err = s.extensionFromRow(ctx, q, updated); err != nil {
			return err
		}
		return audit.Record(ctx, q, actor, audit.Event{Action: "lumio_extension.update", EntityType: audit.EntityLumioExtension,
			EntityID: out.ID, Before: extensionAudit(before), After: extensionAudit(out)})
	})
	if err != nil {
		return Extension{}, err
	}
	return out, nil
}

// DeleteExtension removes an extension, its versions and secrets; one that
// was ever public stays (ErrExtensionWasPublic): people may have it installed.
func (s *Service) DeleteExtension(ctx context.Context, actor audit.Actor, scope accounts.Scope, id string) (err error) {
	defer wrap(&err, "delete extension %s", id)
	return s.db.Tx(ctx, func(q *store.Queries) error {
		row, err := findExtension(ctx, q, scope, id, true)
		if err != nil {
			return err
		}
		if row.EverPublic {
			return ErrExtensionWasPublic
		}
		before, err := s.extensionFromRow(ctx, q, row)
		if err != nil {
			return err
		}
		if err := q.DeleteMarketplaceExtension(ctx, row.ID); err != nil {
			return err
		}
		return audit.Record(ctx, q, actor, audit.Event{Action: "lumio_extension.delete", EntityType: audit.EntityLumioExtension,
			EntityID: row.PublicID, Before: extensionAudit(before)})
	})
}
