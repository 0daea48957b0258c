package customers

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"lumdesk/db/store"
	"lumdesk/internal/audit"
	"lumdesk/internal/platform/db"
	"lumdesk/internal/platform/signin"
)

// Users lists an account's portal users (owners first, removed last).
func (s *Service) Users(ctx context.Context, accountID int64) ([]User, error) {
	rows, err := s.db.ListAccountCustomerUsers(ctx, accountID)
	if err != nil {
		return nil, fmt.Errorf("list users: %w", err)
	}
	out := make([]User, len(rows))
	for i, r := range rows {
		out[i] = fromRow(r)
	}
	return out, nil
}

// Invitations lists an account's open invitations.
func (s *Service) Invitations(ctx context.Context, accountID int64) ([]Invitation, error) {
	rows, err := s.db.ListPendingInvitations(ctx, store.ListPendingInvitationsParams{AccountID: accountID, Now: s.clock()})
	if err != nil {
		return nil, fmt.Errorf("list invitations: %w", err)
	}
	out := make([]Invitation, len(rows))
	for i, r := range rows {
		out[i] = invitationFrom(r)
	}
	return out, nil
}

// RevokeInvitation cancels an open invitation of accountID.
func (s *Service) RevokeInvitation(ctx context.Context, actor audit.Actor, accountID, id int64) error {
	return s.db.Tx(ctx, func(q *store.Queries) error {
		n, err := q.RevokeCustomerToken(ctx, store.RevokeCustomerTokenParams{ID: id, AccountID: accountID, Now: s.clock()})
		if err != nil {
			return err
		}
		if n == 0 {
			return ErrNotFound
		}
		return audit.Record(ctx, q, actor, audit.Event{Action: "account.invite_revoke", EntityType: audit.EntityAccount,
			EntityID: idString(accountID), After: map[string]any{"invitation": id}})
	})
}

// change runs fn on a user of accountID under the one-active-owner rule and
// audits it; self is the acting user (0 for staff), who may not change
// their own role or remove themselves.
func (s *Service) change(ctx context.Context, actor audit.Actor, accountID, userID, self int64, action, reason string,
	fn func(q *store.Queries, before store.CustomerUser) (store.CustomerUser, error)) (User, error) {
	if userID == self {
		return User{}, ErrSelf
	}
	var out store.CustomerUser
	err := s.db.Tx(ctx, func(q *store.Queries) error {
		before, err := q.GetAccountCustomerUser(ctx, store.GetAccountCustomerUserParams{ID: userID, AccountID: accountID})
		if db.IsNotFound(err) {
			return ErrNotFound
		}
		if err != nil {
			return err
		}
		if out, err = fn(q, before); err != nil {
			return err
		}
		if n, err := q.CountActiveOwners(ctx, accountID); err != nil {
			return err
		} else if n == 0 {
			return ErrLastOwner
		}
		return audit.Record(ctx, q, actor, audit.Event{Action: action, EntityType: audit.EntityCustomerUser, EntityID: idString(userID),
			Reason: reason, Before: auditView(before), After: auditView(out)})
	})
	if err != nil {
		return User{}, err
	}
	return fromRow(out), nil
}

// SetRole changes a user's role.
func (s *Service) SetRole(ctx context.Context, actor audit.Actor, accountID, userID, self int64, role Role) (User, error) {
	if _, ok := ParseRole(string(role)); !ok {
		return User{}, fieldError("role", "Choose a role")
	}
	return s.change(ctx, actor, accountID, userID, self, "customer.role", "", func(q *store.Queries, _ store.CustomerUser) (store.CustomerUser, error) {
		return q.UpdateCustomerRole(ctx, store.UpdateCustomerRoleParams{ID: userID, AccountID: accountID, Role: string(role)})
	})
}

// Remove disables a user and ends their sessions (the row stays for the
// audit history; the address may be invited again only by staff).
func (s *Service) Remove(ctx context.Context, actor audit.Actor, accountID, userID, self int64) (User, error) {
	now := s.clock()
	return s.change(ctx, actor, accountID, userID, self, "customer.remove", "", func(q *store.Queries, _ store.CustomerUser) (store.CustomerUser, error) {
		if _, err := q.DeleteCustomerSessionsOf(ctx, &userID); err != nil {
			return store.CustomerUser{}, err
		}
		return q.SetCustomerDisabled(ctx, store.SetCustomerDisabledParams{ID: userID, AccountID: accountID, DisabledAt: &now})
	})
}

// Session is one of a user's signed-in sessions.
type Session struct {
	Handle     string // revokes it without revealing the cookie
	Current    bool
	IP         string
	UserAgent  string
	CreatedAt  time.Time
	LastSeenAt time.Time
}

// Sessions lists a user's sessions; currentHash marks "this one".
func (s *Service) Sessions(ctx context.Context, userID int64, currentHash []byte) ([]Session, error) {
	rows, err := s.db.ListCustomerSessions(ctx, &userID)
	if err != nil {
		return nil, fmt.Errorf("list sessions: %w", err)
	}
	out := make([]Session, len(rows))
	for i, r := range rows {
		out[i] = Session{Handle: signin.EncodeHandle(r.IDHash), Current: string(r.IDHash) == string(currentHash), IP: r.Ip,
			UserAgent: r.UserAgent, CreatedAt: r.CreatedAt, LastSeenAt: r.LastSeenAt}
	}
	slices.SortStableFunc(out, func(a, b Session) int { return signin.CurrentFirst(a.Current, b.Current) })
	return out, nil
}

// RevokeSession ends one of the user's own sessions.
func (s *Service) RevokeSession(ctx context.Context, actor audit.Actor, userID int64, handle string) error {
	h, ok := signin.DecodeHandle(handle)
	if !ok {
		return ErrNotFound
	}
	return s.db.Tx(ctx, func(q *store.Queries) error {
		n, err := q.DeleteCustomerSessionByID(ctx, store.DeleteCustomerSessionByIDParams{CustomerID: &userID, IDHash: h})
		if err != nil {
			return err
		}
		if n == 0 {
			return ErrNotFound
		}
		return audit.Record(ctx, q, actor, audit.Event{Action: "customer.session_revoke", EntityType: audit.EntityCustomerUser, EntityID: idString(userID)})
	})
}

// RevokeOtherSessions ends every session of the user but currentHash.
func (s *Service) RevokeOtherSessions(ctx context.Context, actor audit.Actor, userID int64, currentHash []byte) (int64, error) {
	var n int64
	err := s.db.Tx(ctx, func(q *store.Queries) error {
		var err error
		if n, err = q.DeleteOtherCustomerSessions(ctx, store.DeleteOtherCustomerSessionsParams{CustomerID: &userID, IDHash: currentHash}); err != nil {
			return err
		}
		return audit.Record(ctx, q, actor, audit.Event{Action: "customer.session_revoke", EntityType: audit.EntityCustomerUser,
			EntityID: idString(userID), After: map[string]any{"sessions": n}})
	})
	return n, err
}

// checkOwnPassword checks a signed-in user's password (to change it, to turn
// two-factor off) against the user's sign-in throttle, so that a session
// someone else holds cannot guess the password without limit.
func (s *Service) checkOwnPassword(ctx context.Context, row store.CustomerUser, pw, field, wrong string) error {
	key, _ := throttleKeys(row.Email, "")
	var throttled *ThrottledError
	switch err := s.throttle().Attempt(ctx, key); {
	case errors.As(err, &throttled):
		return fieldError(field, "Too many wrong passwords; try again in "+signin.Wait(throttled.RetryAfter)+".")
	case err != nil:
		return err
	}
	if ok, _ := signin.CheckPassword(row.PasswordHash, pw); !ok {
		return fieldError(field, wrong)
	}
	return s.throttle().Forgive(ctx, s.db.Queries, key)
}

// ChangePassword sets a new password after checking the current one, and
// ends the user's other sessions.
func (s *Service) ChangePassword(ctx context.Context, actor audit.Actor, u User, current, next string, currentHash []byte) error {
	row, err := s.db.GetCustomerUser(ctx, u.ID)
	if err != nil {
		return err
	}
	if err := s.checkOwnPassword(ctx, row, current, "current", "The current password is not right."); err != nil {
		return err
	}
	if err := checkPassword(next); err != nil {
		return err
	}
	hash, err := signin.HashPassword(next)
	if err != nil {
		return err
	}
	return s.db.Tx(ctx, func(q *store.Queries) error {
		if err := q.SetCustomerPassword(ctx, store.SetCustomerPasswordParams{ID: u.ID, PasswordHash: hash}); err != nil {
			return err
		}
		if _, err := q.DeleteOtherCustomerSessions(ctx, store.DeleteOtherCustomerSessionsParams{CustomerID: &u.ID, IDHash: currentHash}); err != nil {
			return err
		}
		return audit.Record(ctx, q, actor, audit.Event{Action: "customer.password_change", EntityType: audit.EntityCustomerUser, EntityID: idString(u.ID)})
	})
}

// BeginTOTP makes a new secret, stored sealed but not yet enabled.
func (s *Service) BeginTOTP(ctx context.Context, u User) (signin.Enrolment, error) {
	if u.TOTPEnabled {
		return signin.Enrolment{}, ErrTOTPOn
	}
	e, err := signin.NewTOTP("lumdesk portal", u.Email)
	if err != nil {
		return signin.Enrolment{}, err
	}
	if err := s.db.SetCustomerTOTP(ctx, store.SetCustomerTOTPParams{ID: u.ID, TotpSecretSealed: s.box.Seal([]byte(e.Secret), totpContext(u.ID))}); err != nil {
		return signin.Enrolment{}, fmt.Errorf("store totp secret: %w", err)
	}
	return e, nil
}

// PendingTOTP returns the enrolment begun but not confirmed.
func (s *Service) PendingTOTP(ctx context.Context, u User) (signin.Enrolment, bool, error) {
	row, err := s.db.GetCustomerUser(ctx, u.ID)
	if err != nil || row.TotpEnabled || row.TotpSecretSealed == nil {
		return signin.Enrolment{}, false, err
	}
	secret, err := s.box.Open(row.TotpSecretSealed, totpContext(u.ID))
	if err != nil {
		return signin.Enrolment{}, false, err
	}
	e, err := signin.EnrolmentFor("lumdesk portal", u.Email, string(secret))
	return e, err == nil, err
}

// ConfirmTOTP turns TOTP on once a code proves the authenticator works and
// returns ten single-use recovery codes (shown once).
func (s *Service) ConfirmTOTP(ctx context.Context, actor audit.Actor, u User, code string, keepSession []byte) ([]string, error) {
	row, err := s.db.GetCustomerUser(ctx, u.ID)
	if err != nil {
		return nil, err
	}
	if row.TotpEnabled || row.TotpSecretSealed == nil {
		return nil, ErrTOTPNotPending
	}
	secret, err := s.box.Open(row.TotpSecretSealed, totpContext(u.ID))
	if err != nil {
		return nil, err
	}
	ok, err := s.acceptStep(ctx, u.ID, string(secret), code)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, ErrBadCode
	}
	codes := signin.NewRecoveryCodes()
	err = s.db.Tx(ctx, func(q *store.Queries) error {
		if err := q.DeleteCustomerRecoveryCodes(ctx, u.ID); err != nil {
			return err
		}
		for _, c := range codes {
			if err := q.InsertCustomerRecoveryCode(ctx, store.InsertCustomerRecoveryCodeParams{CustomerID: u.ID, CodeHash: signin.RecoveryHash(c)}); err != nil {
				return err
			}
		}
		if err := q.EnableCustomerTOTP(ctx, u.ID); err != nil {
			return err
		}
		// A session signed in with the password alone (perhaps a stolen
		// one: the reason to turn two-factor on) ends here.
		ended, err := q.DeleteOtherCustomerSessions(ctx, store.DeleteOtherCustomerSessionsParams{CustomerID: &u.ID, IDHash: keepSession})
		if err != nil {
			return err
		}
		return audit.Record(ctx, q, actor, audit.Event{Action: "customer.totp_enable", EntityType: audit.EntityCustomerUser, EntityID: idString(u.ID),
			Before: map[string]any{"totp_enabled": false}, After: map[string]any{"totp_enabled": true, "other_sessions_ended": ended}})
	})
	if err != nil {
		return nil, fmt.Errorf("confirm totp: %w", err)
	}
	return codes, nil
}

// DisableTOTP turns two-factor off after checking the password.
func (s *Service) DisableTOTP(ctx context.Context, actor audit.Actor, u User, password string) error {
	row, err := s.db.GetCustomerUser(ctx, u.ID)
	if err != nil {
		return err
	}
	if err := s.checkOwnPassword(ctx, row, password, "password", "The password is not right."); err != nil {
		return err
	}
	return s.db.Tx(ctx, func(q *store.Queries) error {
		if err := q.SetCustomerTOTP(ctx, store.SetCustomerTOTPParams{ID: u.ID}); err != nil {
			return err
		}
		if err := q.DeleteCustomerRecoveryCodes(ctx, u.ID); err != nil {
			return err
		}
		return audit.Record(ctx, q, actor, audit.Event{Action: "customer.totp_disable", EntityType: audit.EntityCustomerUser, EntityID: idString(u.ID),
			Before: map[string]any{"totp_enabled": true}, After: map[string]any{"totp_enabled": false}})
	})
}

// RecoveryCodesLeft counts unused recovery codes.
func (s *Service) RecoveryCodesLeft(ctx context.Context, id int64) (int64, error) {
	return s.db.CountUnusedCustomerRecoveryCodes(ctx, id)
}

// RecordViewAs audits a staff member opening an account's portal read-only.
func (s *Service) RecordViewAs(ctx context.Context, actor audit.Actor, accountID int64, reason string) error {
	if err := s.accountActive(ctx, s.db.Queries, accountID); err != nil {
		if _, e := s.db.GetAccount(ctx, accountID); db.IsNotFound(e) {
			return ErrNotFound
		}
	}
	return s.db.Tx(ctx, func(q *store.Queries) error {
		return audit.Record(ctx, q, actor, audit.Event{Action: "account.portal_view", EntityType: audit.EntityAccount,
			EntityID: idString(accountID), Reason: reason})
	})
}
