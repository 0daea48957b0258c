// Package products is what Lumi sells against an account's balance: domains
// (through a Registrar), VPS and proxies (through a Provisioner), priced from
// a catalogue that keeps its history (a price applies from its
// effective_from on).
//
// A purchase is: validate; in one transaction insert the item as 'pending',
// debit its price (billing.DebitTx) and write the audit row; then ask the
// adapter to create it. If the adapter fails, one more transaction refunds
// the debit (billing.RefundTx) and marks the item 'failed', so money is never
// lost to a failed provisioning. Renewals debit and extend the expiry in one
// transaction and give both back the same way if the adapter refuses.
//
// Lock order: an item's own row first (inserted or SELECT … FOR UPDATE),
// then billing takes the audit-chain lock and the balance row.
package products

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/jackc/pgx/v5/pgconn"

	"lumdesk/db/store"
	"lumdesk/internal/accounts"
	"lumdesk/internal/audit"
	"lumdesk/internal/billing"
	"lumdesk/internal/platform/apperr"
	"lumdesk/internal/platform/db"
	"lumdesk/internal/platform/money"
	"lumdesk/internal/platform/secretbox"
)

// Item statuses.
const (
	StatusPending = "pending"
	StatusActive  = "active"
	StatusExpired = "expired"
	StatusFailed  = "failed"
)

// Statuses lists the item statuses (list filters).
var Statuses = []string{StatusPending, StatusActive, StatusExpired, StatusFailed}

// Product names (catalogue, ledger causes, audit entity types).
const (
	ProductDomain = "domain"
	ProductVPS    = "vps"
	ProductProxy  = "proxy"
)

// ReasonInsufficientFunds is what an auto-renewal that could not be paid says.
const ReasonInsufficientFunds = "insufficient funds"

// Limits on input.
const (
	MaxYears          = 10
	MaxMonths         = 36
	MaxNameservers    = 13
	MaxAllowIPs       = 50
	MaxIdempotencyKey = 200
	MaxLimit          = 200
	DefaultLimit      = 50
)

// ValidationError maps input fields to messages (422 in every layer).
type ValidationError = apperr.FieldErrors

// Errors. None of them moved money (a ProvisionError moved it back).
var (
	// ErrInsufficientFunds: the balance does not cover the price.
	ErrInsufficientFunds = billing.ErrInsufficientFunds
	// ErrIdempotencyMismatch: the key was used for a different purchase.
	ErrIdempotencyMismatch = billing.ErrIdempotencyMismatch
	// ErrDomainTaken: the name is registered already (here or elsewhere).
	ErrDomainTaken = errors.New("this domain is already registered")
	// ErrNotActive: the item is pending or failed; it cannot be changed or renewed.
	ErrNotActive = errors.New("this item is not active")

	ErrDomainNotFound  = apperr.NotFound("domain not found")
	ErrVPSNotFound     = apperr.NotFound("VPS not found")
	ErrProxyNotFound   = apperr.NotFound("proxy not found")
	ErrAccountNotFound = apperr.NotFound("account not found")
)

// IsNotFound reports whether err is one of the not-found errors.
func IsNotFound(err error) bool {
	var nf interface{ NotFound() bool }
	return errors.As(err, &nf) && nf.NotFound()
}

// ProvisionError: the registrar or provisioner failed. When it follows a
// debit, the debit was refunded (Refunded) and the item marked failed.
type ProvisionError struct {
	Op       string // "register", "renew", "create_vps", ...
	Err      error
	Refunded bool
}

func (e *ProvisionError) Error() string {
	msg := "the provider failed to " + strings.ReplaceAll(e.Op, "_", " ") + ": " + e.Err.Error()
	if e.Refunded {
		msg += " (the charge was refunded)"
	}
	return msg
}

func (e *ProvisionError) Unwrap() error { return e.Err }

// wrap says where an unexpected error came from: deferred at the top of a
// method (as pkgsite's derrors.Wrap), it turns a database or encoding error
// into "renew domain 7: <err>". The package's own outcomes (validation, not
// found, provider failure, conflict, the balance and idempotency errors) pass
// unchanged: callers show their text to people as it is. errors.Is and
// errors.As find every error either way.
func wrap(errp *error, format string, args ...any) {
	if *errp == nil || isOutcome(*errp) {
		return
	}
	*errp = fmt.Errorf(format+": %w", append(args, *errp)...)
}

// isOutcome reports whether err is one of the answers this package gives on
// purpose rather than a failure underneath it.
func isOutcome(err error) bool {
	var fe apperr.FieldErrors
	var pe *ProvisionError
	var conflict interface{ Conflict() bool }
	switch {
	case errors.As(err, &fe), errors.As(err, &pe), IsNotFound(err),
		errors.As(err, &conflict) && conflict.Conflict():
		return true
	}
	for _, e := range outcomes {
		if errors.Is(err, e) {
			return true
		}
	}
	return false
}

var outcomes = []error{ErrInsufficientFunds, ErrIdempotencyMismatch, ErrDomainTaken, ErrNotActive,
	billing.ErrBalanceTooLarge, billing.ErrRefundTooLarge, billing.ErrNotRefundable}

// Service sells and manages Lumi products.
type Service struct {
	db      *db.DB
	billing *billing.Service
	reg     Registrar
	prov    Provisioner
	box     *secretbox.Box
	now     func() time.Time
}

// NewService makes the service. reg and prov nil take the sandboxes.
func NewService(d *db.DB, b *billing.Service, reg Registrar, prov Provisioner) *Service {
	if reg == nil {
		reg = NewSandboxRegistrar()
	}
	if prov == nil {
		prov = NewSandboxProvisioner()
	}
	return &Service{db: d, billing: b, reg: reg, prov: prov, now: time.Now}
}

// WithBox sets the box that seals proxy passwords (required to sell proxies).
func (s *Service) WithBox(box *secretbox.Box) *Service { s.box = box; return s }

// WithClock returns a copy reading the time from now (tests, demo seed).
func (s *Service) WithClock(now func() time.Time) *Service {
	c := *s
	c.now = now
	return &c
}

// Registrar is the domain adapter in use.
func (s *Service) Registrar() Registrar { return s.reg }

// Provisioner is the VPS/proxy adapter in use.
func (s *Service) Provisioner() Provisioner { return s.prov }

// Sandbox reports whether either adapter is a sandbox (the UI labels it).
func (s *Service) Sandbox() bool { return s.reg.Sandbox() || s.prov.Sandbox() }

func (s *Service) clock() time.Time { return s.now().UTC().Truncate(time.Microsecond) }

// Page is one page of a keyset list.
type Page[T any] struct {
	Items      []T    `json:"items"`
	NextCursor string `json:"next_cursor,omitempty"`
	HasMore    bool   `json:"has_more"`
}

// ListFilter selects a page of items, newest first.
type ListFilter struct {
	Scope         accounts.Scope // whose items: one account or every account
	Cursor        string         // NextCursor of the previous page
	Limit         int            // 1..200, 0 = 50
	Status        string         // "" or one of Statuses
	Query         string         // domain name prefix, VPS hostname prefix or IP, proxy country/user/host
	RenewalFailed bool           // only items whose auto-renewal failed
	// Sort: "" newest first; SortExpires soonest expiry first (items
	// without an expiry, pending or failed, are left out).
	Sort string
}

// SortExpires orders a list by expiry, soonest first.
const SortExpires = "expires"

// cursor is a decoded list position.
type cursor struct {
	id      int64
	expires *time.Time // SortExpires lists
}

// encodeExpiryCursor makes the cursor of an expiry-sorted list.
func encodeExpiryCursor(t *time.Time, id int64) string {
	if t == nil {
		return EncodeCursor(id)
	}
	return base64.RawURLEncoding.EncodeToString([]byte("x:" + strconv.FormatInt(t.UnixMicro(), 10) + ":" + strconv.FormatInt(id, 10)))
}

func decodeCursor(c string, sort string) (cursor, error) {
	bad := ValidationError{"cursor": "The cursor is not valid; start from the first page."}
	if c == "" {
		return cursor{}, nil
	}
	if sort != SortExpires {
		id, err := DecodeCursor(c)
		return cursor{id: id}, err
	}
	b, err := base64.RawURLEncoding.DecodeString(c)
	parts := strings.Split(string(b), ":")
	if err != nil || len(parts) != 3 || parts[0] != "x" {
		return cursor{}, bad
	}
	micro, err1 := strconv.ParseInt(parts[1], 10, 64)
	id, err2 := strconv.ParseInt(parts[2], 10, 64)
	if err1 != nil || err2 != nil || id <= 0 {
		return cursor{}, bad
	}
	t := time.UnixMicro(micro).UTC()
	return cursor{id: id, expires: &t}, nil
}

// EncodeCursor makes an opaque cursor of an id.
func EncodeCursor(id int64) string {
	return base64.RawURLEncoding.EncodeToString([]byte("id:" + strconv.FormatInt(id, 10)))
}

// DecodeCursor reads a cursor; "" is the first page.
func DecodeCursor(c string) (int64, error) {
	if c == "" {
		return 0, nil
	}
	b, err := base64.RawURLEncoding.DecodeString(c)
	if err == nil && strings.HasPrefix(string(b), "id:") {
		if id, err := strconv.ParseInt(string(b[3:]), 10, 64); err == nil && id > 0 {
			return id, nil
		}
	}
	return 0, ValidationError{"cursor": "The cursor is not valid; start from the first page."}
}

func (f ListFilter) check() (cur cursor, limit int, err error) {
	verr := ValidationError{}
	if f.Sort != "" && f.Sort != SortExpires {
		verr["sort"] = "Sort by newest (empty) or expires."
	}
	cur, cerr := decodeCursor(f.Cursor, f.Sort)
	if cerr != nil {
		verr["cursor"] = cerr.(ValidationError)["cursor"]
	}
	limit = f.Limit
	if limit == 0 {
		limit = DefaultLimit
	}
	if limit < 1 || limit > MaxLimit {
		verr["limit"] = "The limit is between 1 and 200."
	}
	if f.Status != "" && !contains(Statuses, f.Status) {
		verr["status"] = "Choose a status: pending, active, expired or failed."
	}
	if len(f.Query) > 253 {
		verr["q"] = "The search is at most 253 characters."
	}
	if len(verr) > 0 {
		return cursor{}, 0, verr
	}
	return cur, limit, nil
}

// pageOf cuts the extra row off; next makes the cursor after an item.
func pageOf[T any](items []T, limit int, next func(T) string) Page[T] {
	p := Page[T]{Items: items}
	if len(items) > limit {
		p.Items = items[:limit]
		p.HasMore = true
		p.NextCursor = next(p.Items[limit-1])
	}
	if p.Items == nil {
		p.Items = []T{}
	}
	return p
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func checkKey(verr ValidationError, key string) {
	if len(key) > MaxIdempotencyKey {
		verr["idempotency_key"] = "An idempotency key is at most 200 characters."
		return
	}
	for _, r := range key {
		if !unicode.IsPrint(r) || r > unicode.MaxASCII {
			verr["idempotency_key"] = "An idempotency key is printable ASCII."
			return
		}
	}
}

func keyPtr(k string) *string {
	if k == "" {
		return nil
	}
	return &k
}

func idStr(id int64) string { return strconv.FormatInt(id, 10) }

// isFKViolation: the account does not exist.
func isFKViolation(err error) bool {
	var pg *pgconn.PgError
	return errors.As(err, &pg) && pg.Code == "23503"
}

// owned hides an item outside the scope as not found.
func owned(scope accounts.Scope, owner int64, nf error) error {
	if !scope.Allows(owner) {
		return nf
	}
	return nil
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n]
}

// tx runs fn in one transaction.
func (s *Service) tx(ctx context.Context, fn func(q *store.Queries) error) error {
	return s.db.Tx(ctx, fn)
}

// refund runs fn (which locks and marks the item) and gives back entryID in
// one transaction that survives a cancelled request.
func (s *Service) refund(ctx context.Context, actor audit.Actor, entryID int64, reason string,
	fn func(q *store.Queries) error) error {
	ctx = context.WithoutCancel(ctx)
	return s.tx(ctx, func(q *store.Queries) error {
		if err := fn(q); err != nil {
			return err
		}
		_, err := s.billing.RefundTx(ctx, q, actor, billing.RefundInput{EntryID: entryID, Reason: truncate(reason, billing.MaxReason)})
		return err
	})
}

func price(c money.Cents, n int) money.Cents { return c * money.Cents(n) }

func errText(err error) string { return truncate(err.Error(), 300) }

func wrapAccount(err error) error {
	if isFKViolation(err) {
		return ErrAccountNotFound
	}
	return err
}

type reasonKey struct{}

// WithReason attaches the reason a person gave for a change (the dashboard's
// confirm dialogs); the change's audit row records it.
func WithReason(ctx context.Context, reason string) context.Context {
	return context.WithValue(ctx, reasonKey{}, truncate(strings.TrimSpace(reason), billing.MaxReason))
}

func reasonOf(ctx context.Context) string {
	r, _ := ctx.Value(reasonKey{}).(string)
	return r
}
