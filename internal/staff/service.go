// Package staff holds staff users: roles and permissions, passwords, sign-in
// with throttling and TOTP, the Postgres-backed session store, and each
// staff user's saved views of the console lists.
package staff

import (
	"context"
	"errors"
	"fmt"
	"lumdesk/internal/platform/apperr"
	"net/mail"
	"slices"
	"strconv"
	"strings"
	"time"

	"lumdesk/db/store"
	"lumdesk/internal/audit"
	"lumdesk/internal/platform/db"
	"lumdesk/internal/platform/secretbox"
	"lumdesk/internal/platform/signin"
)

// Errors returned to the HTTP layer.
var (
	ErrBadCredentials = errors.New("email or password is incorrect")
	ErrBadCode        = errors.New("that code is not valid; codes work once, within their 30-second window")
	ErrNotFound       = apperr.NotFound("staff user not found")
	ErrEmailTaken     = errors.New("a staff user with that email already exists")
	ErrInvalidEmail   = errors.New("enter a valid email address")
	ErrInvalidRole    = errors.New("role must be admin, support, finance or viewer")
	ErrInvalidName    = errors.New("name must be at most 100 characters")
	ErrSelf           = errors.New("you cannot do that to your own account")
	ErrLastAdmin      = errors.New("at least one active admin must remain")
	ErrTOTPNotPending = errors.New("start two-factor enrolment again")
)

// ThrottledError says when to try again.
type ThrottledError = signin.ThrottledError

// Service is the staff domain service.
type Service struct {
	db  *db.DB
	box *secretbox.Box
	// Demo mode: TOTP is offered but not required.
	demo bool
	now  func() time.Time
}

// NewService makes the service.
func NewService(d *db.DB, box *secretbox.Box, demo bool) *Service {
	return &Service{db: d, box: box, demo: demo, now: time.Now}
}

// Demo reports whether TOTP enforcement is off.
func (s *Service) Demo() bool { return s.demo }

// User is the view of a staff user the rest of the program uses.
type User struct {
	ID          int64
	Email       string
	Name        string
	Role        Role
	TOTPEnabled bool
	Disabled    bool
	CreatedAt   time.Time
}

func fromRow(r store.StaffUser) User {
	return User{ID: r.ID, Email: r.Email, Name: r.Name, Role: Role(r.Role), TOTPEnabled: r.TotpEnabled,
		Disabled: r.DisabledAt != nil, CreatedAt: r.CreatedAt}
}

// Can reports whether the user may do p.
func (u User) Can(p Permission) bool { return !u.Disabled && u.Role.Can(p) }

// DisplayName is the name, or the email when there is no name.
func (u User) DisplayName() string {
	if u.Name != "" {
		return u.Name
	}
	return u.Email
}

// MustEnrolTOTP reports whether the user has to set up TOTP before working.
func (s *Service) MustEnrolTOTP(u User) bool {
	return !s.demo && u.Role.RequiresTOTP() && !u.TOTPEnabled
}

// auditView is what audit rows show of a staff user (never the hash or seed).
func auditView(r store.StaffUser) map[string]any {
	return map[string]any{"email": r.Email, "name": r.Name, "role": r.Role, "totp_enabled": r.TotpEnabled, "disabled": r.DisabledAt != nil}
}

// CreateInput is a new staff user.
type CreateInput struct {
	Email    string
	Name     string
	Role     string
	Password string
}

// ValidationError maps field names to messages.
type ValidationError = apperr.FieldErrors

func normalizeEmail(s string) (string, error) {
	s = strings.TrimSpace(s)
	a, err := mail.ParseAddress(s)
	if err != nil || a.Address != s || len(s) > 254 {
		return "", ErrInvalidEmail
	}
	return strings.ToLower(s), nil
}

// Create adds a staff user.
func (s *Service) Create(ctx context.Context, actor audit.Actor, in CreateInput) (User, error) {
	verr := ValidationError{}
	email, err := normalizeEmail(in.Email)
	if err != nil {
		verr["email"] = err.Error()
	}
	role, ok := ParseRole(in.Role)
	if !ok {
		verr["role"] = ErrInvalidRole.Error()
	}
	name := strings.TrimSpace(in.Name)
	if len(name) > 100 {
		verr["name"] = ErrInvalidName.Error()
	}
	if err := checkPasswordPolicy(in.Password); err != nil {
		verr["password"] = err.Error()
	}
	if len(verr) > 0 {
		return User{}, verr
	}
	hash, err := HashPassword(in.Password)
	if err != nil {
		return User{}, err
	}
	var out store.StaffUser
	err = s.db.Tx(ctx, func(q *store.Queries) error {
		var err error
		out, err = q.CreateStaffUser(ctx, store.CreateStaffUserParams{Email: email, Name: name, Role: string(role), PasswordHash: hash})
		if db.IsUniqueViolation(err, "") {
			return ValidationError{"email": ErrEmailTaken.Error()}
		}
		if err != nil {
			return fmt.Errorf("create staff user: %w", err)
		}
		return audit.Record(ctx, q, actor, audit.Event{Action: "staff.create", EntityType: "staff_user",
			EntityID: strconv.FormatInt(out.ID, 10), After: auditView(out)})
	})
	return fromRow(out), err
}

// Get loads a staff user.
func (s *Service) Get(ctx context.Context, id int64) (User, error) {
	r, err := s.db.GetStaffUser(ctx, id)
	if db.IsNotFound(err) {
		return User{}, ErrNotFound
	}
	if err != nil {
		return User{}, fmt.Errorf("get staff user %d: %w", id, err)
	}
	return fromRow(r), nil
}

// List returns every staff user (a small table).
func (s *Service) List(ctx context.Context) ([]User, error) {
	rows, err := s.db.ListStaffUsers(ctx)
	if err != nil {
		return nil, fmt.Errorf("list staff: %w", err)
	}
	out := make([]User, len(rows))
	for i, r := range rows {
		out[i] = fromRow(r)
	}
	return out, nil
}

// change runs one audited mutation of staff user ID.
func (s *Service) change(ctx context.Context, actor audit.Actor, id int64, action, reason string,
	fn func(q *store.Queries, before store.StaffUser) (store.StaffUser, error)) (User, error) {
	var after store.StaffUser
	err := s.db.Tx(ctx, func(q *store.Queries) error {
		before, err := q.GetStaffUser(ctx, id)
		if db.IsNotFound(err) {
			return ErrNotFound
		}
		if err != nil {
			return err
		}
		if after, err = fn(q, before); err != nil {
			return err
		}
		return audit.Record(ctx, q, actor, audit.Event{Action: action, EntityType: "staff_user",
			EntityID: strconv.FormatInt(id, 10), Reason: reason, Before: auditView(before), After: auditView(after)})
	})
	if err != nil {
		return User{}, fmt.Errorf("%s %d: %w", action, id, err)
	}
	return fromRow(after), nil
}

// otherActiveAdmins counts active admins other than id.
func otherActiveAdmins(ctx context.Context, q *store.Queries, id int64) (int, error) {
	rows, err := q.ListStaffUsers(ctx)
	n := 0
	for _, r := range rows {
		if r.ID != id && r.Role == string(RoleAdmin) && r.DisabledAt == nil {
			n++
		}
	}
	return n, err
}

// ChangeRole sets a user's role. The last active admin cannot be demoted.
func (s *Service) ChangeRole(ctx context.Context, actor audit.Actor, id int64, role, reason string) (User, error) {
	r, ok := ParseRole(role)
	if !ok {
		return User{}, ValidationError{"role": ErrInvalidRole.Error()}
	}
	return s.change(ctx, actor, id, "staff.change_role", reason, func(q *store.Queries, before store.StaffUser) (store.StaffUser, error) {
		if before.Role == string(RoleAdmin) && r != RoleAdmin {
			if n, err := otherActiveAdmins(ctx, q, id); err != nil || n == 0 {
				return before, errors.Join(ErrLastAdmin, err)
			}
		}
		return q.UpdateStaffRole(ctx, store.UpdateStaffRoleParams{ID: id, Role: string(r)})
	})
}

// Disable blocks a user and ends all their sessions.
func (s *Service) Disable(ctx context.Context, actor audit.Actor, id int64, reason string) (User, error) {
	if actor.StaffID() == id {
		return User{}, ErrSelf
	}
	return s.change(ctx, actor, id, "staff.disable", reason, func(q *store.Queries, before store.StaffUser) (store.StaffUser, error) {
		if before.Role == string(RoleAdmin) {
			if n, err := otherActiveAdmins(ctx, q, id); err != nil || n == 0 {
				return before, errors.Join(ErrLastAdmin, err)
			}
		}
		now := s.now()
		u, err := q.SetStaffDisabled(ctx, store.SetStaffDisabledParams{ID: id, DisabledAt: &now})
		if err != nil {
			return u, err
		}
		_, err = q.DeleteStaffSessionsOf(ctx, &id)
		return u, err
	})
}

// Enable lifts a disable.
func (s *Service) Enable(ctx context.Context, actor audit.Actor, id int64, reason string) (User, error) {
	return s.change(ctx, actor, id, "staff.enable", reason, func(q *store.Queries, _ store.StaffUser) (store.StaffUser, error) {
		return q.SetStaffDisabled(ctx, store.SetStaffDisabledParams{ID: id, DisabledAt: nil})
	})
}

// ResetPassword sets a new password and ends the user's sessions.
func (s *Service) ResetPassword(ctx context.Context, actor audit.Actor, id int64, password, reason string) (User, error) {
	if err := checkPasswordPolicy(password); err != nil {
		return User{}, ValidationError{"password": err.Error()}
	}
	hash, err := HashPassword(password)
	if err != nil {
		return User{}, err
	}
	return s.change(ctx, actor, id, "staff.reset_password", reason, func(q *store.Queries, before store.StaffUser) (store.StaffUser, error) {
		if err := q.SetStaffPassword(ctx, store.SetStaffPasswordParams{ID: id, PasswordHash: hash}); err != nil {
			return before, err
		}
		_, err := q.DeleteStaffSessionsOf(ctx, &id)
		return before, err
	})
}

// RevokeSessions signs a user out everywhere.
func (s *Service) RevokeSessions(ctx context.Context, actor audit.Actor, id int64, reason string) (int64, error) {
	var n int64
	_, err := s.change(ctx, actor, id, "staff.revoke_sessions", reason, func(q *store.Queries, before store.StaffUser) (store.StaffUser, error) {
		var err error
		n, err = q.DeleteStaffSessionsOf(ctx, &id)
		return before, err
	})
	return n, err
}

// Session is one of a user's open sessions.
type Session struct {
	Handle     string // opaque, for revoking
	Current    bool
	IP         string
	UserAgent  string
	CreatedAt  time.Time
	LastSeenAt time.Time
	ExpiresAt  time.Time
}

// ListSessions lists the user's sessions; currentHash marks the caller's own.
func (s *Service) ListSessions(ctx context.Context, staffID int64, currentHash []byte) ([]Session, error) {
	rows, err := s.db.ListStaffSessions(ctx, &staffID)
	if err != nil {
		return nil, fmt.Errorf("list sessions: %w", err)
	}
	out := make([]Session, len(rows))
	for i, r := range rows {
		out[i] = Session{Handle: EncodeHandle(r.IDHash), Current: string(r.IDHash) == string(currentHash), IP: r.Ip,
			UserAgent: r.UserAgent, CreatedAt: r.CreatedAt, LastSeenAt: r.LastSeenAt, ExpiresAt: r.ExpiresAt}
	}
	slices.SortStableFunc(out, func(a, b Session) int { return signin.CurrentFirst(a.Current, b.Current) })
	return out, nil
}

// RevokeOwnSession ends one of the actor's own sessions.
func (s *Service) RevokeOwnSession(ctx context.Context, actor audit.Actor, handle string) error {
	h, ok := DecodeHandle(handle)
	if !ok {
		return ErrNotFound
	}
	id := actor.StaffID()
	return s.db.Tx(ctx, func(q *store.Queries) error {
		n, err := q.DeleteStaffSessionByID(ctx, store.DeleteStaffSessionByIDParams{StaffID: &id, IDHash: h})
		if err != nil {
			return err
		}
		if n == 0 {
			return ErrNotFound
		}
		return audit.Record(ctx, q, actor, audit.Event{Action: "staff.session_revoke", EntityType: "staff_user", EntityID: actor.ID})
	})
}

// SignOutOthers ends every session of the actor except the current one.
func (s *Service) SignOutOthers(ctx context.Context, actor audit.Actor, currentHash []byte) (int64, error) {
	id := actor.StaffID()
	var n int64
	err := s.db.Tx(ctx, func(q *store.Queries) error {
		var err error
		if n, err = q.DeleteOtherStaffSessions(ctx, store.DeleteOtherStaffSessionsParams{StaffID: &id, IDHash: currentHash}); err != nil {
			return err
		}
		return audit.Record(ctx, q, actor, audit.Event{Action: "staff.sign_out_everywhere", EntityType: "staff_user",
			EntityID: actor.ID, After: map[string]any{"sessions_ended": n}})
	})
	return n, err
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}
