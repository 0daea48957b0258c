// Package billing is Lumi's money: a balance per account explained by an
// append-only ledger; deposits (top-up invoices) paid through a provider's
// signed webhook or marked paid by finance; the finance desk's manual
// top-ups, adjustments and refunds, with a second finance user's approval
// above a limit (four-eyes); debits for the products sold; and the check that
// proves every balance equals the sum of its ledger.
//
// Every balance change is one transaction that takes, in this order, the
// audit-chain lock, the balance row (SELECT … FOR UPDATE, created with 0 if
// missing), then inserts the ledger entry with the balance after it, updates
// the balance and records the audit row. Taking the audit lock first (audit
// rows are written in the same transaction anyway, and that lock is held to
// commit) gives every money transaction the same lock order, so they cannot
// deadlock one another. Code that moves money inside its own transaction
// (DebitTx, RefundTx) must lock its own rows before calling in, and must not
// lock them after.
package billing

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"time"
	"unicode"
	"unicode/utf8"

	"lumdesk/db/store"
	"lumdesk/internal/audit"
	"lumdesk/internal/platform/apperr"
	"lumdesk/internal/platform/db"
	"lumdesk/internal/platform/money"
	"lumdesk/internal/platform/refresh"
	"lumdesk/internal/platform/secretbox"
)

// Ledger entry kinds. Deposits and refunds are credits, purchases and
// renewals debits, adjustments either.
const (
	KindDeposit    = "deposit"
	KindPurchase   = "purchase"
	KindRenewal    = "renewal"
	KindRefund     = "refund"
	KindAdjustment = "adjustment"
)

// Kinds lists the ledger entry kinds.
var Kinds = []string{KindDeposit, KindPurchase, KindRenewal, KindRefund, KindAdjustment}

// Limits on input.
const (
	MaxReason         = 500
	MaxIdempotencyKey = 200
	MaxCause          = 100
	// MaxAmount caps one money move (1,000,000.00 USD): a typo guard, not a business rule.
	MaxAmount money.Cents = 1_000_000_00
)

// Cause types written by this package.
const (
	CauseDeposit           = "deposit"
	CauseAdjustmentRequest = "adjustment_request"
)

// LedgerEntry is one line of an account's ledger.
type LedgerEntry struct {
	ID             int64       `json:"id"`
	AccountID      int64       `json:"account_id"`
	Amount         money.Cents `json:"amount"` // signed: credits > 0, debits < 0
	Kind           string      `json:"kind"`
	CauseType      string      `json:"cause_type,omitempty"`
	CauseID        string      `json:"cause_id,omitempty"`
	RefundOfID     int64       `json:"refund_of_id,omitempty"`
	IdempotencyKey string      `json:"idempotency_key,omitempty"`
	ActorKind      string      `json:"actor_kind"`
	ActorID        string      `json:"actor_id,omitempty"`
	ActorLabel     string      `json:"actor_label,omitempty"`
	Reason         string      `json:"reason,omitempty"`
	BalanceAfter   money.Cents `json:"balance_after"`
	CreatedAt      time.Time   `json:"created_at"`

	// Lists across accounts fill these.
	AccountName  string `json:"account_name,omitempty"`
	AccountEmail string `json:"account_email,omitempty"`
	// Replayed: no money moved now; an earlier entry with the same
	// idempotency key (same account, kind, amount and cause) is returned.
	Replayed bool `json:"-"`
}

// Cause is "deposit #12" or "domain nightfall.gg" for display, or "".
func (e LedgerEntry) Cause() string {
	if e.CauseType == "" {
		return ""
	}
	if _, err := strconv.ParseInt(e.CauseID, 10, 64); err == nil {
		return e.CauseType + " #" + e.CauseID
	}
	return strings.TrimSpace(e.CauseType + " " + e.CauseID)
}

// Actor is who made the entry, for display.
func (e LedgerEntry) Actor() string {
	if e.ActorLabel != "" {
		return e.ActorLabel
	}
	return e.ActorKind
}

func entryOf(r store.LedgerEntry) LedgerEntry {
	e := LedgerEntry{ID: r.ID, AccountID: r.AccountID, Amount: money.Cents(r.AmountCents), Kind: r.Kind,
		CauseType: r.CauseType, CauseID: r.CauseID, ActorKind: r.ActorKind, ActorID: r.ActorID, ActorLabel: r.ActorLabel,
		Reason: r.Reason, BalanceAfter: money.Cents(r.BalanceAfterCents), CreatedAt: r.CreatedAt.UTC()}
	if r.RefundOfID != nil {
		e.RefundOfID = *r.RefundOfID
	}
	if r.IdempotencyKey != nil {
		e.IdempotencyKey = *r.IdempotencyKey
	}
	return e
}

// Balance is an account's balance. UpdatedAt is zero when no money ever moved.
type Balance struct {
	AccountID int64       `json:"account_id"`
	Amount    money.Cents `json:"balance"`
	UpdatedAt time.Time   `json:"updated_at"`
}

// NotFoundError is returned when the account, deposit, request or entry does
// not exist; the dashboard answers 404.
type NotFoundError struct{ What, Ref string }

func (e NotFoundError) Error() string { return "there is no " + e.What + " " + e.Ref }

// NotFound marks the error for the HTTP layer.
func (NotFoundError) NotFound() bool { return true }

// Is makes every NotFoundError match ErrNotFound.
func (NotFoundError) Is(target error) bool { _, ok := target.(NotFoundError); return ok }

// ErrNotFound matches (errors.Is) any NotFoundError.
var ErrNotFound = NotFoundError{}

func notFound(what string, id int64) error {
	return NotFoundError{What: what, Ref: "#" + strconv.FormatInt(id, 10)}
}

// ValidationError maps input fields (amount, reason, kind, provider,
// idempotency_key, cause, entry) to messages for the person who typed them.
type ValidationError = apperr.FieldErrors

// Domain errors. None of them moved any money.
var (
	// ErrInsufficientFunds: the balance does not cover the debit.
	ErrInsufficientFunds = errors.New("the balance does not cover this amount")
	// ErrIdempotencyMismatch: the key was used before for a different amount or cause.
	ErrIdempotencyMismatch = errors.New("this idempotency key was already used for a different amount or cause")
	// ErrSameApprover: four-eyes; the requester cannot decide their own request.
	ErrSameApprover = errors.New("a second finance user must decide this request; you made it")
	// ErrApproverNotStaff: requests are decided by a staff user in the dashboard.
	ErrApproverNotStaff = errors.New("requests are approved or rejected by a finance user in the dashboard")
	// ErrNotPending: the request was already approved or rejected.
	ErrNotPending = errors.New("this request was already decided")
	// ErrDepositNotPending: the deposit is paid, expired or cancelled.
	ErrDepositNotPending = errors.New("this deposit is no longer pending")
	// ErrDepositAwaitsApproval: the deposit was marked paid already, above
	// the approval limit, and that request waits for a second user.
	ErrDepositAwaitsApproval = errors.New("marking this deposit paid already waits for a second finance user's approval")
	// ErrDepositExpired: the deposit's time to pay has run out.
	ErrDepositExpired = errors.New("this deposit has expired")
	// ErrNotRefundable: only purchases and renewals can be refunded.
	ErrNotRefundable = errors.New("only purchases and renewals can be refunded")
	// ErrRefundTooLarge: the refund would give back more than was paid.
	ErrRefundTooLarge = errors.New("the refund is larger than what is left to refund of this entry")
	// ErrBalanceTooLarge: the credit would overflow the balance.
	ErrBalanceTooLarge = errors.New("the balance would become too large")
)

// Service is the billing domain service.
type Service struct {
	db        *db.DB
	box       *secretbox.Box
	limit     money.Cents
	now       func() time.Time
	sandbox   *Sandbox
	cryptopay *CryptoPay

	verified *refresh.Cache[struct{}, Verification] // the desk's (VerifyCached)
}

// NewService makes the service. approvalLimit is BILLING_APPROVAL_LIMIT:
// manual top-ups and adjustments above it wait for a second finance user.
func NewService(d *db.DB, box *secretbox.Box, approvalLimit money.Cents) *Service {
	s := &Service{db: d, box: box, limit: approvalLimit, now: time.Now}
	s.verified = newVerifyCache(s)
	s.sandbox = newSandbox(s)
	s.cryptopay = newCryptoPay(s, "", "")
	return s
}

// WithClock returns a service that reads the time from now: the demo seed
// writes a past month with it. It shares the database and the limit.
func (s *Service) WithClock(now func() time.Time) *Service {
	c := &Service{db: s.db, box: s.box, limit: s.limit, now: now}
	c.verified = newVerifyCache(c)
	c.sandbox = newSandbox(c)
	c.cryptopay = newCryptoPay(c, s.cryptopay.baseURL, s.cryptopay.token)
	return c
}

// ApprovalLimit is the amount above which manual money moves need approval.
func (s *Service) ApprovalLimit() money.Cents { return s.limit }

// tx runs fn in one transaction that first takes the audit-chain lock (see
// the package comment for why every money transaction starts with it).
func (s *Service) tx(ctx context.Context, fn func(q *store.Queries) error) error {
	return s.db.Tx(ctx, func(q *store.Queries) error {
		if err := q.LockAuditChain(ctx); err != nil {
			return fmt.Errorf("lock: %w", err)
		}
		return fn(q)
	})
}

func idStr(id int64) string { return strconv.FormatInt(id, 10) }

// ParseAmount reads a decimal USD amount typed by a person or sent by a
// client ("10", "10.5", "10.50"); field names the input in the error.
// Signed amounts are allowed only when signed is true; zero never is.
func ParseAmount(field, s string, signed bool) (money.Cents, error) {
	s = strings.TrimSpace(s)
	s = strings.TrimPrefix(s, "$")
	if s == "" {
		return 0, ValidationError{field: "Enter an amount, like 10.00."}
	}
	c, err := money.Parse(s)
	if err != nil {
		whole, frac, _ := strings.Cut(strings.TrimLeft(s, "+-"), ".")
		switch {
		case strings.Contains(s, ","):
			return 0, ValidationError{field: "Write the amount without thousands separators, like 1000.00."}
		case digitsOnly(whole) && digitsOnly(frac) && len(frac) <= 2:
			// A number this parser cannot hold: far above the limit.
			return 0, ValidationError{field: "The amount must be at most " + audit.FormatMoney(MaxAmount) + "."}
		}
		return 0, ValidationError{field: "Enter an amount in USD with at most 2 decimals, like 10.00."}
	}
	switch {
	case c == 0:
		return 0, ValidationError{field: "The amount must not be zero."}
	case c < 0 && !signed:
		return 0, ValidationError{field: "The amount must be positive."}
	case c > MaxAmount || c < -MaxAmount:
		return 0, ValidationError{field: "The amount must be at most " + audit.FormatMoney(MaxAmount) + "."}
	}
	return c, nil
}

// CheckReason trims a reason and checks it; required reasons must not be empty.
func CheckReason(reason string, required bool) (string, error) {
	reason = strings.TrimSpace(strings.ReplaceAll(reason, "\r\n", "\n"))
	switch n := utf8.RuneCountInString(reason); {
	case !utf8.ValidString(reason) || hasControl(reason):
		return "", ValidationError{"reason": "The reason contains characters that are not allowed."}
	case n == 0 && required:
		return "", ValidationError{"reason": "Give a reason; it is kept in the ledger and the audit history."}
	case n > MaxReason:
		return "", ValidationError{"reason": fmt.Sprintf("The reason must be at most %d characters (it has %d).", MaxReason, n)}
	}
	return reason, nil
}

func hasControl(s string) bool {
	for _, r := range s {
		if r != '\n' && r != '\t' && unicode.IsControl(r) {
			return true
		}
	}
	return false
}

// checkToken validates short machine strings (idempotency keys, causes).
func checkToken(field, s string, max int) error {
	if len(s) > max || !utf8.ValidString(s) || strings.IndexFunc(s, unicode.IsControl) >= 0 {
		return ValidationError{field: fmt.Sprintf("At most %d printable characters.", max)}
	}
	return nil
}

// accountExists returns NotFound for an unknown account.
func accountExists(ctx context.Context, q *store.Queries, id int64) error {
	if id <= 0 {
		return notFound("account", id)
	}
	_, err := q.GetAccount(ctx, id)
	if db.IsNotFound(err) {
		return notFound("account", id)
	}
	if err != nil {
		return fmt.Errorf("get account %d: %w", id, err)
	}
	return nil
}

// Balance returns an account's balance (0 when no money ever moved).
func (s *Service) Balance(ctx context.Context, accountID int64) (Balance, error) {
	return s.BalanceTx(ctx, s.db.Queries, accountID)
}

// BalanceTx is Balance through q (inside a caller's transaction it sees
// the caller's own uncommitted moves).
func (s *Service) BalanceTx(ctx context.Context, q *store.Queries, accountID int64) (Balance, error) {
	b, err := q.GetBalance(ctx, accountID)
	if db.IsNotFound(err) {
		if err := accountExists(ctx, q, accountID); err != nil {
			return Balance{}, err
		}
		return Balance{AccountID: accountID}, nil
	}
	if err != nil {
		return Balance{}, fmt.Errorf("get balance %d: %w", accountID, err)
	}
	return Balance{AccountID: b.AccountID, Amount: money.Cents(b.BalanceCents), UpdatedAt: b.UpdatedAt.UTC()}, nil
}

// Entry returns one ledger entry.
func (s *Service) Entry(ctx context.Context, id int64) (LedgerEntry, error) {
	r, err := s.db.GetLedgerEntry(ctx, id)
	if db.IsNotFound(err) {
		return LedgerEntry{}, notFound("ledger entry", id)
	}
	if err != nil {
		return LedgerEntry{}, fmt.Errorf("get ledger entry %d: %w", id, err)
	}
	return entryOf(r), nil
}

// Refunded returns how much of a purchase or renewal was refunded so far.
func (s *Service) Refunded(ctx context.Context, entryID int64) (money.Cents, error) {
	n, err := s.db.SumRefundsOf(ctx, &entryID)
	if err != nil {
		return 0, fmt.Errorf("sum refunds of %d: %w", entryID, err)
	}
	return money.Cents(n), nil
}

// RefundableLeft is what is left to refund of entry e: its amount less the
// refunds already made, never below zero, and zero for an entry that is not
// refundable at all (only purchases and renewals are).
func (s *Service) RefundableLeft(ctx context.Context, e LedgerEntry) (money.Cents, error) {
	if !e.Refundable() {
		return 0, nil
	}
	done, err := s.Refunded(ctx, e.ID)
	if err != nil {
		return 0, err
	}
	return max(-e.Amount-done, 0), nil
}

// Refundable reports whether the entry's kind can be refunded (purchases and renewals).
func (e LedgerEntry) Refundable() bool { return e.Kind == KindPurchase || e.Kind == KindRenewal }

// LowBalanceThreshold marks a balance as low: shown in red on the desk and
// counted on the overview.
const LowBalanceThreshold money.Cents = 10_00

// IsLow reports whether a balance is below LowBalanceThreshold.
func IsLow(amount money.Cents) bool { return amount < LowBalanceThreshold }

// auditActor fills an empty actor kind (the audit writer would say "system").
func actorKind(a audit.Actor) string {
	if a.Kind == "" {
		return audit.KindSystem
	}
	return a.Kind
}

// digitsOnly: s is "" or ASCII digits.
func digitsOnly(s string) bool {
	return strings.Trim(s, "0123456789") == ""
}
