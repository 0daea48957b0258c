// Package customers holds the customer portal's users: each belongs to one
// account with a role (owner, developer, billing, read-only) whose named
// permissions the portal's route table checks; sign-in with throttling and
// optional TOTP; the single-use links mailed to them (invitations, password
// resets); their sessions. The mechanics shared with staff sign-in live in
// internal/platform/signin.
package customers

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"lumdesk/db/store"
	"lumdesk/internal/audit"
	"lumdesk/internal/mail/address"
	"lumdesk/internal/platform/apperr"
	"lumdesk/internal/platform/db"
	"lumdesk/internal/platform/secretbox"
	"lumdesk/internal/platform/signin"
)

// Role is a customer user's role within their account.
type Role string

// Roles, from most to least able.
const (
	RoleOwner     Role = "owner"
	RoleDeveloper Role = "developer"
	RoleBilling   Role = "billing"
	RoleReadOnly  Role = "read_only"
)

// Roles lists every role in the order forms show them.
var Roles = []Role{RoleOwner, RoleDeveloper, RoleBilling, RoleReadOnly}

// Label is the role as people read it.
func (r Role) Label() string {
	switch r {
	case RoleOwner:
		return "Owner"
	case RoleDeveloper:
		return "Developer"
	case RoleBilling:
		return "Billing"
	case RoleReadOnly:
		return "Read-only"
	}
	return string(r)
}

// About says what the role may do (the invitation form's help).
func (r Role) About() string {
	switch r {
	case RoleOwner:
		return "everything, including users and invitations"
	case RoleDeveloper:
		return "API keys and every product's settings; no money"
	case RoleBilling:
		return "the balance, top-ups and renewals; reads the rest"
	case RoleReadOnly:
		return "reads everything, changes nothing"
	}
	return ""
}

// ParseRole reads a role from a form or flag.
func ParseRole(s string) (Role, bool) {
	r := Role(strings.TrimSpace(s))
	return r, slices.Contains(Roles, r)
}

// Permission is what a portal route needs. Each route declares exactly one.
type Permission string

// Portal permissions.
const (
	// PermPublic: sign-in, invitations and password resets.
	PermPublic Permission = "public"
	// PermView: any signed-in user (and staff viewing as the customer) reads.
	PermView Permission = "view"
	// PermSelf: one's own password, two-factor and sessions (not staff viewing).
	PermSelf Permission = "self"
	// PermDevelop: API keys and products' settings (keys, domains, templates, scripts).
	PermDevelop Permission = "develop"
	// PermBilling: money: top-ups, renewals, auto-renew.
	PermBilling Permission = "billing"
	// PermUsers: the account's users and invitations.
	PermUsers Permission = "users"
)

var grants = map[Role][]Permission{
	RoleOwner:     {PermView, PermSelf, PermDevelop, PermBilling, PermUsers},
	RoleDeveloper: {PermView, PermSelf, PermDevelop},
	RoleBilling:   {PermView, PermSelf, PermBilling},
	RoleReadOnly:  {PermView, PermSelf},
}

// Can reports whether role holds p.
func (r Role) Can(p Permission) bool { return slices.Contains(grants[r], p) }

// Errors the portal turns into form messages.
var (
	ErrBadCredentials = errors.New("email or password is incorrect")
	ErrBadCode        = errors.New("that code is not valid; codes work once, within their 30-second window")
	ErrSuspended      = errors.New("this account is suspended; contact support")
	ErrNotFound       = apperr.NotFound("user not found")
	ErrLinkInvalid    = errors.New("this link is not valid: it was used, replaced by a newer one, or has expired")
	ErrEmailTaken     = errors.New("someone with that email already has a portal sign-in")
	ErrLastOwner      = errors.New("an account needs at least one active owner")
	ErrSelf           = errors.New("you cannot do that to your own sign-in")
	ErrTOTPNotPending = errors.New("start two-factor set-up again")
	ErrTOTPOn         = errors.New("two-factor sign-in is already on")
	ErrTooMany        = errors.New("too many emails sent to this address; wait an hour")
)

// MinPasswordLength is the shortest password a customer may choose.
const MinPasswordLength = 10

// ErrWeakPassword is the password rule.
var ErrWeakPassword = fmt.Errorf("use %d to %d characters", MinPasswordLength, signin.MaxPasswordLength)

// ThrottledError says when to try again.
type ThrottledError = signin.ThrottledError

// Link lifetimes.
const (
	InviteTTL = 7 * 24 * time.Hour
	ResetTTL  = 30 * time.Minute
)

// Mailer sends lumdesk's own mail (mail.Service.SendPlatform: through
// Lumora's pipeline as platform mail).
type Mailer func(ctx context.Context, to, subject, text, html string) error

// Service is the customer users' domain service.
type Service struct {
	db      *db.DB
	box     *secretbox.Box
	mail    Mailer
	baseURL string // PUBLIC_URL: links in mail start here
	now     func() time.Time
}

// NewService makes the service; baseURL is where the portal is reached.
func NewService(d *db.DB, box *secretbox.Box, mailer Mailer, baseURL string) *Service {
	return &Service{db: d, box: box, mail: mailer, baseURL: strings.TrimRight(baseURL, "/"), now: time.Now}
}

// WithClock returns a copy that reads time from now (tests of expiry).
func (s *Service) WithClock(now func() time.Time) *Service {
	c := *s
	c.now = now
	return &c
}

func (s *Service) clock() time.Time { return s.now().UTC() }

// User is a customer user as the portal sees it.
type User struct {
	ID            int64
	AccountID     int64
	AccountName   string // set by Get and ViewAs (the portal shows it on every page)
	Email         string
	Name          string
	Role          Role
	TOTPEnabled   bool
	Disabled      bool
	EmailVerified bool
	LastLoginAt   *time.Time
	CreatedAt     time.Time
}

// DisplayName is the name, or the email when there is none.
func (u User) DisplayName() string {
	if u.Name != "" {
		return u.Name
	}
	return u.Email
}

// Can reports whether the user holds p.
func (u User) Can(p Permission) bool { return !u.Disabled && u.Role.Can(p) }

func fromRow(r store.CustomerUser) User {
	return User{ID: r.ID, AccountID: r.AccountID, Email: r.Email, Name: r.Name, Role: Role(r.Role), TOTPEnabled: r.TotpEnabled,
		Disabled: r.DisabledAt != nil, EmailVerified: r.EmailVerifiedAt != nil, LastLoginAt: r.LastLoginAt, CreatedAt: r.CreatedAt}
}

// Actor is a customer user acting in the portal.
func Actor(u User) audit.Actor {
	return audit.Actor{Kind: audit.KindCustomer, ID: strconv.FormatInt(u.ID, 10), Label: u.Email}
}

// Get loads a user with their account's status: a user of a suspended
// account answers ErrSuspended, so its sessions end at their next request.
func (s *Service) Get(ctx context.Context, id int64) (User, error) {
	row, err := s.db.GetCustomerUser(ctx, id)
	if db.IsNotFound(err) {
		return User{}, ErrNotFound
	}
	if err != nil {
		return User{}, fmt.Errorf("get customer user: %w", err)
	}
	acc, err := s.db.GetAccount(ctx, row.AccountID)
	if err != nil {
		return User{}, fmt.Errorf("get account: %w", err)
	}
	if acc.Status != "active" {
		return User{}, ErrSuspended
	}
	u := fromRow(row)
	u.AccountName = acc.Name
	return u, nil
}

// ViewAs is the read-only stand-in user of a staff member viewing an
// account's portal: no id of its own, role read-only.
func (s *Service) ViewAs(ctx context.Context, accountID int64, staffEmail string) (User, error) {
	acc, err := s.db.GetAccount(ctx, accountID)
	if db.IsNotFound(err) {
		return User{}, ErrNotFound
	}
	if err != nil {
		return User{}, fmt.Errorf("get account: %w", err)
	}
	return User{AccountID: acc.ID, AccountName: acc.Name, Email: staffEmail, Name: staffEmail, Role: RoleReadOnly, EmailVerified: true}, nil
}

func (s *Service) accountActive(ctx context.Context, q *store.Queries, accountID int64) error {
	acc, err := q.GetAccount(ctx, accountID)
	if err != nil {
		return fmt.Errorf("get account: %w", err)
	}
	if acc.Status != "active" {
		return ErrSuspended
	}
	return nil
}

// normalizeEmail checks an address the way Lumora does (one address, no
// display name, no header tricks) and lower-cases it.
func normalizeEmail(s string) (string, error) {
	a, err := address.Parse(strings.TrimSpace(s))
	if err != nil || a.Name != "" {
		return "", apperr.FieldErrors{"email": "Enter one email address, like ana@example.com."}
	}
	return strings.ToLower(a.Email), nil
}

func checkPassword(pw string) error {
	if len(pw) < MinPasswordLength || len(pw) > signin.MaxPasswordLength {
		return apperr.FieldErrors{"password": "Password: " + ErrWeakPassword.Error() + "."}
	}
	return nil
}

func idString(id int64) string { return strconv.FormatInt(id, 10) }

func fieldError(field, msg string) error { return apperr.FieldErrors{field: msg} }
