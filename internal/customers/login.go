package customers

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"lumdesk/db/store"
	"lumdesk/internal/audit"
	"lumdesk/internal/platform/clip"
	"lumdesk/internal/platform/db"
	"lumdesk/internal/platform/signin"
)

// LoginResult is the outcome of the password step.
type LoginResult struct {
	User      User
	NeedsTOTP bool // ask for a code before the session is signed in
}

// Portal throttle keys never collide with the console's ("acct:", "ip:").
func throttleKeys(email, ip string) (user, ipKey signin.Key) {
	return signin.Key{Name: "portal:acct:" + strings.ToLower(strings.TrimSpace(email)), Free: signin.UserFreeTries},
		signin.Key{Name: "portal:ip:" + ip, Free: signin.IPFreeTries}
}

func (s *Service) throttle() signin.Throttle { return signin.Throttle{DB: s.db, Now: s.now} }

// failLogin audits a failed attempt (Attempt has counted it already).
func (s *Service) failLogin(ctx context.Context, actor audit.Actor, email string, row store.CustomerUser, why string) error {
	err := s.db.Tx(ctx, func(q *store.Queries) error {
		ev := audit.Event{Action: "customer.login_failed", EntityType: audit.EntityCustomerUser, Reason: why,
			After: map[string]any{"email": clip.Chars(email, 254)}}
		if row.ID != 0 {
			ev.EntityID = idString(row.ID)
		}
		return audit.Record(ctx, q, actor, ev)
	})
	if err != nil {
		return err
	}
	return ErrBadCredentials
}

// Login checks email and password. Unknown email, wrong password and a
// disabled user all answer ErrBadCredentials after the same work; a
// suspended account answers ErrSuspended, but only to the right password.
func (s *Service) Login(ctx context.Context, actor audit.Actor, email, password string) (LoginResult, error) {
	userKey, ipKey := throttleKeys(email, actor.IP)
	if err := s.throttle().Attempt(ctx, userKey, ipKey); err != nil {
		return LoginResult{}, err
	}
	var row store.CustomerUser
	if norm, err := normalizeEmail(email); err == nil {
		row, err = s.db.GetCustomerUserByEmail(ctx, norm)
		if err != nil && !db.IsNotFound(err) {
			return LoginResult{}, fmt.Errorf("login: %w", err)
		}
	}
	ok, _ := signin.CheckPassword(row.PasswordHash, password)
	switch {
	case row.ID == 0:
		return LoginResult{}, s.failLogin(ctx, actor, email, row, "unknown email")
	case !ok:
		return LoginResult{}, s.failLogin(ctx, actor, email, row, "wrong password")
	case row.DisabledAt != nil:
		return LoginResult{}, s.failLogin(ctx, actor, email, row, "user removed")
	}
	if err := s.accountActive(ctx, s.db.Queries, row.AccountID); err != nil {
		return LoginResult{}, errors.Join(err, s.throttle().Forgive(ctx, s.db.Queries, userKey, ipKey))
	}
	u := fromRow(row)
	if u.TOTPEnabled {
		return LoginResult{User: u, NeedsTOTP: true}, s.throttle().Forgive(ctx, s.db.Queries, userKey, ipKey)
	}
	return LoginResult{User: u}, s.completeLogin(ctx, actor, u, userKey, ipKey, "password")
}

// completeLogin clears the user's throttle, takes the address's count of
// this attempt back and records the sign-in.
func (s *Service) completeLogin(ctx context.Context, actor audit.Actor, u User, userKey, ipKey signin.Key, method string) error {
	return s.db.Tx(ctx, func(q *store.Queries) error {
		if err := q.ClearLoginThrottle(ctx, userKey.Name); err != nil {
			return err
		}
		if err := s.throttle().Forgive(ctx, q, ipKey); err != nil {
			return err
		}
		if err := q.SetCustomerLastLogin(ctx, store.SetCustomerLastLoginParams{ID: u.ID, Now: s.clock()}); err != nil {
			return err
		}
		a := Actor(u)
		a.IP, a.UserAgent, a.RequestID = actor.IP, actor.UserAgent, actor.RequestID
		return audit.Record(ctx, q, a, audit.Event{Action: "customer.login", EntityType: audit.EntityCustomerUser, EntityID: idString(u.ID),
			After: map[string]any{"method": method}})
	})
}

// VerifySecondFactor completes a sign-in with a TOTP code or a recovery code.
func (s *Service) VerifySecondFactor(ctx context.Context, actor audit.Actor, id int64, code string) (User, error) {
	row, err := s.db.GetCustomerUser(ctx, id)
	if err != nil {
		return User{}, ErrBadCredentials
	}
	userKey, ipKey := throttleKeys(row.Email, actor.IP)
	if err := s.throttle().Attempt(ctx, userKey, ipKey); err != nil {
		return User{}, err
	}
	if row.DisabledAt != nil || !row.TotpEnabled {
		return User{}, ErrBadCredentials
	}
	if err := s.accountActive(ctx, s.db.Queries, row.AccountID); err != nil {
		return User{}, err
	}
	method, ok, err := signin.SecondFactor(code,
		func(code string) (bool, error) { return s.checkTOTP(ctx, row, code) },
		func(h []byte) (bool, error) {
			n, err := s.db.UseCustomerRecoveryCode(ctx, store.UseCustomerRecoveryCodeParams{CustomerID: row.ID, CodeHash: h})
			return n == 1, err
		})
	if err != nil {
		return User{}, err
	}
	if !ok {
		_ = s.failLogin(ctx, actor, row.Email, row, "wrong second factor")
		return User{}, ErrBadCode
	}
	u := fromRow(row)
	return u, s.completeLogin(ctx, actor, u, userKey, ipKey, method)
}

func totpContext(id int64) string { return "customer_totp:" + idString(id) }

func (s *Service) checkTOTP(ctx context.Context, row store.CustomerUser, code string) (bool, error) {
	if row.TotpSecretSealed == nil {
		return false, nil
	}
	secret, err := s.box.Open(row.TotpSecretSealed, totpContext(row.ID))
	if err != nil {
		return false, fmt.Errorf("open totp secret: %w", err)
	}
	return s.acceptStep(ctx, row.ID, string(secret), code)
}

func (s *Service) acceptStep(ctx context.Context, id int64, secret, code string) (bool, error) {
	step, ok, err := signin.MatchTOTP(secret, code, s.now())
	if !ok || err != nil {
		return false, err
	}
	n, err := s.db.AdvanceCustomerTOTPStep(ctx, store.AdvanceCustomerTOTPStepParams{ID: id, TotpLastStep: step})
	return n == 1, err
}

// RecordLogout writes the sign-out to the audit history.
func (s *Service) RecordLogout(ctx context.Context, actor audit.Actor, u User) error {
	return s.db.Tx(ctx, func(q *store.Queries) error {
		return audit.Record(ctx, q, actor, audit.Event{Action: "customer.logout", EntityType: audit.EntityCustomerUser,
			EntityID: idString(u.ID)})
	})
}
