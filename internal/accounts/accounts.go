// Package accounts holds the customer accounts shared by all five products:
// creation and edits with validation, suspension, search and keyset-paginated
// lists, and the counts the overview shows. Every change is audited in the
// transaction that makes it.
package accounts

import (
	"context"
	"errors"
	"fmt"
	"lumdesk/internal/platform/apperr"
	"net/mail"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"lumdesk/db/store"
	"lumdesk/internal/audit"
	"lumdesk/internal/platform/db"
)

// Statuses of an account.
const (
	StatusActive    = "active"
	StatusSuspended = "suspended"
)

// Limits on input.
const (
	MaxName   = 200
	MaxEmail  = 254
	MaxNote   = 2000
	MaxReason = 500
)

// PlatformMailEmail is the address of the built-in account that sends
// lumdesk's own mail (Lumora's platform app, made on first use by
// internal/mail). It is an account row like any other, listed and counted,
// and shown as "Platform" so nobody takes it for a customer. .invalid
// (RFC 2606) is a name no customer can own.
const PlatformMailEmail = "platform-mail@lumdesk.invalid"

// Account is a customer.
type Account struct {
	ID              int64     `json:"id"`
	Name            string    `json:"name"`
	Email           string    `json:"email"`
	DiscordID       string    `json:"discord_id"`
	Note            string    `json:"note"`
	Status          string    `json:"status"`
	SuspendedReason string    `json:"suspended_reason,omitempty"`
	CreatedAt       time.Time `json:"created_at"`
	UpdatedAt       time.Time `json:"updated_at"`
}

// BuiltIn reports whether the account is lumdesk's own (the platform mail
// account), not a customer's.
func (a Account) BuiltIn() bool { return strings.EqualFold(a.Email, PlatformMailEmail) }

// Suspended reports whether the account is suspended.
func (a Account) Suspended() bool { return a.Status == StatusSuspended }

func fromRow(r store.Account) Account {
	return Account{ID: r.ID, Name: r.Name, Email: r.Email, DiscordID: r.DiscordID, Note: r.Note,
		Status: r.Status, SuspendedReason: r.SuspendedReason, CreatedAt: r.CreatedAt.UTC(), UpdatedAt: r.UpdatedAt.UTC()}
}

// auditView is what the audit history keeps of an account.
func auditView(r store.Account) map[string]any {
	return map[string]any{"name": r.Name, "email": r.Email, "discord_id": r.DiscordID, "note": r.Note,
		"status": r.Status, "suspended_reason": r.SuspendedReason}
}

// NotFoundError is returned when no account matches; the dashboard answers 404.
type NotFoundError struct{ Ref string }

func (e NotFoundError) Error() string {
	if e.Ref == "" {
		return "account not found"
	}
	return "there is no account " + e.Ref
}

// NotFound marks the error for the HTTP layer.
func (NotFoundError) NotFound() bool { return true }

// Is makes every NotFoundError match ErrNotFound.
func (NotFoundError) Is(target error) bool { _, ok := target.(NotFoundError); return ok }

// ErrNotFound matches (errors.Is) any "no such account" error.
var ErrNotFound = NotFoundError{}

func notFound(id int64) error { return NotFoundError{Ref: "#" + strconv.FormatInt(id, 10)} }

// ValidationError maps field names (name, email, discord_id, note, reason,
// status) to messages for the person who typed them.
type ValidationError = apperr.FieldErrors

// Service is the accounts domain service.
type Service struct {
	db  *db.DB
	now func() time.Time
}

// NewService makes the service.
func NewService(d *db.DB) *Service { return &Service{db: d, now: time.Now} }

// CreateInput is a new account.
type CreateInput struct {
	Name      string
	Email     string
	DiscordID string
	Note      string
}

// UpdateInput replaces an account's editable fields.
type UpdateInput CreateInput

type cleanInput struct{ name, email, discord, note string }

// validate trims and checks the editable fields.
func validate(in CreateInput) (cleanInput, ValidationError) {
	verr := ValidationError{}
	c := cleanInput{
		name:    strings.TrimSpace(in.Name),
		email:   strings.TrimSpace(in.Email),
		discord: strings.TrimSpace(in.DiscordID),
		note:    strings.TrimSpace(strings.ReplaceAll(in.Note, "\r\n", "\n")),
	}
	switch n := utf8.RuneCountInString(c.name); {
	case !utf8.ValidString(c.name) || hasControl(c.name, false):
		verr["name"] = "Name contains characters that are not allowed."
	case n == 0:
		verr["name"] = "Enter a name."
	case n > MaxName:
		verr["name"] = fmt.Sprintf("Name must be at most %d characters (it has %d).", MaxName, n)
	}
	if c.email == "" {
		verr["email"] = "Enter an email address."
	} else if e, ok := normalizeEmail(c.email); !ok {
		verr["email"] = "Enter a valid email address, like name@example.com."
	} else {
		c.email = e
	}
	if c.discord != "" && !IsDiscordID(c.discord) {
		verr["discord_id"] = "A Discord ID is 17 to 20 digits (leave it empty if unknown)."
	}
	switch n := utf8.RuneCountInString(c.note); {
	case !utf8.ValidString(c.note) || hasControl(c.note, true):
		verr["note"] = "Note contains characters that are not allowed."
	case n > MaxNote:
		verr["note"] = fmt.Sprintf("Note must be at most %d characters (it has %d).", MaxNote, n)
	}
	return c, verr
}

// hasControl reports control characters (newlines and tabs allowed in multiline text).
func hasControl(s string, multiline bool) bool {
	for _, r := range s {
		if multiline && (r == '\n' || r == '\t') {
			continue
		}
		if unicode.IsControl(r) {
			return true
		}
	}
	return false
}

func normalizeEmail(s string) (string, bool) {
	if len(s) > MaxEmail || !utf8.ValidString(s) {
		return "", false
	}
	a, err := mail.ParseAddress(s)
	if err != nil || a.Address != s || !strings.Contains(s[strings.LastIndexByte(s, '@'):], ".") {
		return "", false
	}
	return strings.ToLower(s), true
}

// IsDiscordID reports whether s looks like a Discord user ID (a snowflake: 17–20 digits).
func IsDiscordID(s string) bool {
	if len(s) < 17 || len(s) > 20 {
		return false
	}
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	// A snowflake is a uint64: twenty nines are digits, not an ID.
	_, err := strconv.ParseUint(s, 10, 64)
	return err == nil
}

func emailTaken(id int64) ValidationError {
	return ValidationError{"email": fmt.Sprintf("This email is already used by account #%d.", id)}
}

// checkEmailFree returns a validation error when another account has email.
func checkEmailFree(ctx context.Context, q *store.Queries, email string, self int64) error {
	other, err := q.GetAccountByEmail(ctx, email)
	switch {
	case db.IsNotFound(err):
		return nil
	case err != nil:
		return fmt.Errorf("look up email: %w", err)
	case other.ID != self:
		return emailTaken(other.ID)
	}
	return nil
}

// uniqueEmailErr turns a race on the unique email into the same message as the pre-check.
func (s *Service) uniqueEmailErr(ctx context.Context, err error, email string) error {
	if !db.IsUniqueViolation(err, "") {
		return err
	}
	if other, lerr := s.db.GetAccountByEmail(ctx, email); lerr == nil {
		return emailTaken(other.ID)
	}
	return ValidationError{"email": "This email is already used by another account."}
}

func entityID(id int64) string { return strconv.FormatInt(id, 10) }

// Create adds an account.
func (s *Service) Create(ctx context.Context, actor audit.Actor, in CreateInput) (Account, error) {
	c, verr := validate(in)
	if len(verr) > 0 {
		return Account{}, verr
	}
	var out store.Account
	err := s.db.Tx(ctx, func(q *store.Queries) error {
		if err := checkEmailFree(ctx, q, c.email, 0); err != nil {
			return err
		}
		var err error
		out, err = q.CreateAccount(ctx, store.CreateAccountParams{Name: c.name, Email: c.email, DiscordID: c.discord, Note: c.note})
		if err != nil {
			return err
		}
		return audit.Record(ctx, q, actor, audit.Event{Action: "account.create", EntityType: "account",
			EntityID: entityID(out.ID), After: auditView(out)})
	})
	if err != nil {
		err = s.uniqueEmailErr(ctx, err, c.email)
		var v ValidationError
		if errors.As(err, &v) {
			return Account{}, v
		}
		return Account{}, fmt.Errorf("create account: %w", err)
	}
	return fromRow(out), nil
}

// change runs one audited mutation of account id under a row lock. fn returns
// the new row, or the unchanged one (then nothing is written or audited).
func (s *Service) change(ctx context.Context, actor audit.Actor, id int64, action, reason string,
	fn func(q *store.Queries, before store.Account) (store.Account, error)) (Account, error) {
	var after store.Account
	err := s.db.Tx(ctx, func(q *store.Queries) error {
		before, err := q.GetAccountForUpdate(ctx, id)
		if db.IsNotFound(err) {
			return notFound(id)
		}
		if err != nil {
			return err
		}
		if after, err = fn(q, before); err != nil {
			return err
		}
		if after == before {
			return nil
		}
		return audit.Record(ctx, q, actor, audit.Event{Action: action, EntityType: "account",
			EntityID: entityID(id), Reason: reason, Before: auditView(before), After: auditView(after)})
	})
	var v ValidationError
	switch {
	case err == nil:
		return fromRow(after), nil
	case errors.Is(err, ErrNotFound), errors.As(err, &v), errors.Is(err, ErrAlreadySuspended), errors.Is(err, ErrNotSuspended):
		return Account{}, err
	default:
		return Account{}, fmt.Errorf("%s %d: %w", action, id, err)
	}
}

// Update replaces name, email, Discord ID and note. reason is optional. An
// update that changes nothing writes nothing.
func (s *Service) Update(ctx context.Context, actor audit.Actor, id int64, in UpdateInput, reason string) (Account, error) {
	c, verr := validate(CreateInput(in))
	reason = strings.TrimSpace(reason)
	if utf8.RuneCountInString(reason) > MaxReason || !utf8.ValidString(reason) {
		verr["reason"] = fmt.Sprintf("Reason must be at most %d characters.", MaxReason)
	}
	if len(verr) > 0 {
		return Account{}, verr
	}
	a, err := s.change(ctx, actor, id, "account.update", reason, func(q *store.Queries, before store.Account) (store.Account, error) {
		if before.Name == c.name && before.Email == c.email && before.DiscordID == c.discord && before.Note == c.note {
			return before, nil
		}
		if !strings.EqualFold(before.Email, c.email) {
			if err := checkEmailFree(ctx, q, c.email, id); err != nil {
				return before, err
			}
		}
		return q.UpdateAccount(ctx, store.UpdateAccountParams{ID: id, Name: c.name, Email: c.email, DiscordID: c.discord, Note: c.note})
	})
	if err != nil && db.IsUniqueViolation(err, "") {
		return Account{}, s.uniqueEmailErr(ctx, err, c.email)
	}
	return a, err
}

// ErrAlreadySuspended and ErrNotSuspended refuse a status change that makes no sense.
var (
	ErrAlreadySuspended = errors.New("this account is already suspended")
	ErrNotSuspended     = errors.New("this account is not suspended")
)

func checkReason(reason string) (string, error) {
	reason = strings.TrimSpace(reason)
	switch n := utf8.RuneCountInString(reason); {
	case !utf8.ValidString(reason) || hasControl(reason, true):
		return "", ValidationError{"reason": "Reason contains characters that are not allowed."}
	case n == 0:
		return "", ValidationError{"reason": "Give a reason; it is kept in the audit history."}
	case n > MaxReason:
		return "", ValidationError{"reason": fmt.Sprintf("Reason must be at most %d characters (it has %d).", MaxReason, n)}
	}
	return reason, nil
}

// Suspend marks an account suspended. The reason is required and audited.
func (s *Service) Suspend(ctx context.Context, actor audit.Actor, id int64, reason string) (Account, error) {
	reason, err := checkReason(reason)
	if err != nil {
		return Account{}, err
	}
	return s.change(ctx, actor, id, "account.suspend", reason, func(q *store.Queries, before store.Account) (store.Account, error) {
		if before.Status == StatusSuspended {
			return before, ErrAlreadySuspended
		}
		// The account's portal users are signed out with it.
		if _, err := q.DeleteAccountCustomerSessions(ctx, id); err != nil {
			return before, err
		}
		return q.SetAccountStatus(ctx, store.SetAccountStatusParams{ID: id, Status: StatusSuspended, SuspendedReason: reason})
	})
}

// Reactivate lifts a suspension. The reason is required and audited.
func (s *Service) Reactivate(ctx context.Context, actor audit.Actor, id int64, reason string) (Account, error) {
	reason, err := checkReason(reason)
	if err != nil {
		return Account{}, err
	}
	return s.change(ctx, actor, id, "account.reactivate", reason, func(q *store.Queries, before store.Account) (store.Account, error) {
		if before.Status != StatusSuspended {
			return before, ErrNotSuspended
		}
		return q.SetAccountStatus(ctx, store.SetAccountStatusParams{ID: id, Status: StatusActive, SuspendedReason: ""})
	})
}

// Get loads an account.
func (s *Service) Get(ctx context.Context, id int64) (Account, error) {
	r, err := s.db.GetAccount(ctx, id)
	if db.IsNotFound(err) {
		return Account{}, notFound(id)
	}
	if err != nil {
		return Account{}, fmt.Errorf("get account %d: %w", id, err)
	}
	return fromRow(r), nil
}

// Names maps account ids to their names, for pages that list other
// objects by account (an id not found is absent).
func (s *Service) Names(ctx context.Context, ids []int64) (map[int64]string, error) {
	out := make(map[int64]string, len(ids))
	if len(ids) == 0 {
		return out, nil
	}
	rows, err := s.db.AccountNames(ctx, ids)
	if err != nil {
		return nil, fmt.Errorf("account names: %w", err)
	}
	for _, r := range rows {
		out[r.ID] = r.Name
	}
	return out, nil
}

// GetByEmail loads an account by email (case-insensitive).
func (s *Service) GetByEmail(ctx context.Context, email string) (Account, error) {
	email = strings.TrimSpace(email)
	if email == "" || len(email) > MaxEmail || !utf8.ValidString(email) || strings.ContainsRune(email, 0) {
		return Account{}, NotFoundError{Ref: strconv.Quote(email)}
	}
	r, err := s.db.GetAccountByEmail(ctx, email)
	if db.IsNotFound(err) {
		return Account{}, NotFoundError{Ref: email}
	}
	if err != nil {
		return Account{}, fmt.Errorf("get account by email: %w", err)
	}
	return fromRow(r), nil
}

// Resolve finds an account by "ID", "#ID" or "EMAIL" (the --account flag of the CLIs).
func (s *Service) Resolve(ctx context.Context, ref string) (Account, error) {
	ref = strings.TrimSpace(ref)
	if strings.Contains(ref, "@") {
		return s.GetByEmail(ctx, ref)
	}
	id, err := strconv.ParseInt(strings.TrimPrefix(ref, "#"), 10, 64)
	if err != nil || id <= 0 {
		return Account{}, NotFoundError{Ref: strconv.Quote(ref) + " (give an account id or email)"}
	}
	return s.Get(ctx, id)
}
