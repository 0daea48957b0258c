package staff

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"lumdesk/db/store"
	"lumdesk/internal/audit"
	"lumdesk/internal/platform/db"
	"lumdesk/internal/platform/signin"
)

// LockMax is the longest a throttled sign-in waits.
const LockMax = signin.LockMax

// LoginResult is the outcome of the password step.
type LoginResult struct {
	User      User
	NeedsTOTP bool // ask for a code before the session is signed in
}

func throttleKeys(email, ip string) (acct, ipKey signin.Key) {
	return signin.Key{Name: "acct:" + strings.ToLower(strings.TrimSpace(email)), Free: signin.UserFreeTries},
		signin.Key{Name: "ip:" + ip, Free: signin.IPFreeTries}
}

func (s *Service) throttle() signin.Throttle { return signin.Throttle{DB: s.db, Now: s.now} }

// failLogin audits a failed attempt (Attempt has counted it already).
func (s *Service) failLogin(ctx context.Context, actor audit.Actor, email string, userID int64, why string) error {
	err := s.db.Tx(ctx, func(q *store.Queries) error {
		entityID := ""
		if userID != 0 {
			entityID = strconv.FormatInt(userID, 10)
		}
		return audit.Record(ctx, q, actor, audit.Event{Action: "staff.login_failed", EntityType: "staff_user", EntityID: entityID,
			Reason: why, After: map[string]any{"email": truncate(email, 254)}})
	})
	if err != nil {
		return err
	}
	return ErrBadCredentials
}

// Login checks email and password. actor carries the request's IP and user
// agent (Kind anonymous). Unknown email, wrong password and disabled user
// all answer ErrBadCredentials after the same amount of work.
func (s *Service) Login(ctx context.Context, actor audit.Actor, email, password string) (LoginResult, error) {
	acctKey, ipKey := throttleKeys(email, actor.IP)
	if err := s.throttle().Attempt(ctx, acctKey, ipKey); err != nil {
		return LoginResult{}, err
	}
	norm, _ := normalizeEmail(email)
	row, err := s.db.GetStaffUserByEmail(ctx, norm)
	if err != nil && !db.IsNotFound(err) {
		return LoginResult{}, fmt.Errorf("login: %w", err)
	}
	ok, _ := signin.CheckPassword(row.PasswordHash, password)
	switch {
	case row.ID == 0:
		return LoginResult{}, s.failLogin(ctx, actor, email, 0, "unknown email")
	case !ok:
		return LoginResult{}, s.failLogin(ctx, actor, email, row.ID, "wrong password")
	case row.DisabledAt != nil:
		return LoginResult{}, s.failLogin(ctx, actor, email, row.ID, "user disabled")
	}
	u := fromRow(row)
	if u.TOTPEnabled {
		return LoginResult{User: u, NeedsTOTP: true}, s.throttle().Forgive(ctx, s.db.Queries, acctKey, ipKey)
	}
	return LoginResult{User: u}, s.completeLogin(ctx, actor, u, acctKey, ipKey, "password")
}

// completeLogin clears the account's throttle, takes the address's count of
// this attempt back and records the sign-in.
func (s *Service) completeLogin(ctx context.Context, actor audit.Actor, u User, acctKey, ipKey signin.Key, method string) error {
	return s.db.Tx(ctx, func(q *store.Queries) error {
		if err := q.ClearLoginThrottle(ctx, acctKey.Name); err != nil {
			return err
		}
		if err := s.throttle().Forgive(ctx, q, ipKey); err != nil {
			return err
		}
		a := actor
		a.Kind, a.ID, a.Label = audit.KindStaff, strconv.FormatInt(u.ID, 10), u.Email
		return audit.Record(ctx, q, a, audit.Event{Action: "staff.login", EntityType: "staff_user", EntityID: a.ID,
			After: map[string]any{"method": method}})
	})
}

// VerifySecondFactor completes a sign-in with a TOTP code or a recovery code.
func (s *Service) VerifySecondFactor(ctx context.Context, actor audit.Actor, staffID int64, code string) (User, error) {
	row, err := s.db.GetStaffUser(ctx, staffID)
	if err != nil {
		return User{}, ErrBadCredentials
	}
	acctKey, ipKey := throttleKeys(row.Email, actor.IP)
	if err := s.throttle().Attempt(ctx, acctKey, ipKey); err != nil {
		return User{}, err
	}
	if row.DisabledAt != nil || !row.TotpEnabled {
		return User{}, ErrBadCredentials
	}
	method, ok, err := signin.SecondFactor(code,
		func(code string) (bool, error) { return s.checkTOTP(ctx, row, code) },
		func(h []byte) (bool, error) {
			n, err := s.db.UseRecoveryCode(ctx, store.UseRecoveryCodeParams{StaffID: row.ID, CodeHash: h})
			return n == 1, err
		})
	if err != nil {
		return User{}, err
	}
	if !ok {
		_ = s.failLogin(ctx, actor, row.Email, row.ID, "wrong second factor")
		return User{}, ErrBadCode
	}
	u := fromRow(row)
	return u, s.completeLogin(ctx, actor, u, acctKey, ipKey, method)
}

// checkTOTP accepts a code for the current step or one step either side,
// and only if that step is newer than the last one used (single use).
func (s *Service) checkTOTP(ctx context.Context, row store.StaffUser, code string) (bool, error) {
	if len(code) != 6 || row.TotpSecretSealed == nil {
		return false, nil
	}
	secret, err := s.box.Open(row.TotpSecretSealed, totpContext(row.ID))
	if err != nil {
		return false, fmt.Errorf("open totp secret: %w", err)
	}
	return s.acceptStep(ctx, row.ID, string(secret), code)
}

func (s *Service) acceptStep(ctx context.Context, staffID int64, secret, code string) (bool, error) {
	step, ok, err := signin.MatchTOTP(secret, code, s.now())
	if !ok || err != nil {
		return false, err
	}
	n, err := s.db.AdvanceStaffTOTPStep(ctx, store.AdvanceStaffTOTPStepParams{ID: staffID, TotpLastStep: step})
	return n == 1, err
}

func totpContext(id int64) string { return "totp:" + strconv.FormatInt(id, 10) }

// Enrolment is what the enrolment page shows.
type Enrolment = signin.Enrolment

// BeginTOTP makes a new secret, stores it sealed but not yet enabled, and
// returns what the user scans. Calling it again replaces the pending secret.
func (s *Service) BeginTOTP(ctx context.Context, u User) (Enrolment, error) {
	if u.TOTPEnabled {
		return Enrolment{}, fmt.Errorf("two-factor sign-in is already on")
	}
	e, err := signin.NewTOTP("lumdesk", u.Email)
	if err != nil {
		return Enrolment{}, err
	}
	if err := s.db.SetStaffTOTP(ctx, store.SetStaffTOTPParams{ID: u.ID, TotpSecretSealed: s.box.Seal([]byte(e.Secret), totpContext(u.ID)), TotpEnabled: false}); err != nil {
		return Enrolment{}, fmt.Errorf("store totp secret: %w", err)
	}
	return e, nil
}

// PendingTOTP returns the enrolment for a secret begun but not confirmed.
func (s *Service) PendingTOTP(ctx context.Context, u User) (Enrolment, bool, error) {
	row, err := s.db.GetStaffUser(ctx, u.ID)
	if err != nil || row.TotpEnabled || row.TotpSecretSealed == nil {
		return Enrolment{}, false, err
	}
	secret, err := s.box.Open(row.TotpSecretSealed, totpContext(u.ID))
	if err != nil {
		return Enrolment{}, false, err
	}
	e, err := signin.EnrolmentFor("lumdesk", u.Email, string(secret))
	return e, err == nil, err
}

// ConfirmTOTP turns TOTP on once the user proves the authenticator works,
// and returns ten single-use recovery codes (shown once).
func (s *Service) ConfirmTOTP(ctx context.Context, actor audit.Actor, u User, code string, keepSession []byte) ([]string, error) {
	row, err := s.db.GetStaffUser(ctx, u.ID)
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
	ok, err := s.acceptStep(ctx, u.ID, string(secret), strings.TrimSpace(code))
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, ErrBadCode
	}
	codes := signin.NewRecoveryCodes()
	err = s.db.Tx(ctx, func(q *store.Queries) error {
		if err := q.DeleteRecoveryCodes(ctx, u.ID); err != nil {
			return err
		}
		for _, c := range codes {
			if err := q.InsertRecoveryCode(ctx, store.InsertRecoveryCodeParams{StaffID: u.ID, CodeHash: signin.RecoveryHash(c)}); err != nil {
				return err
			}
		}
		if err := q.EnableStaffTOTP(ctx, u.ID); err != nil {
			return err
		}
		// A session signed in with the password alone (perhaps a stolen
		// one: the reason to turn two-factor on) ends here.
		ended, err := q.DeleteOtherStaffSessions(ctx, store.DeleteOtherStaffSessionsParams{StaffID: &u.ID, IDHash: keepSession})
		if err != nil {
			return err
		}
		return audit.Record(ctx, q, actor, audit.Event{Action: "staff.totp_enable", EntityType: "staff_user", EntityID: strconv.FormatInt(u.ID, 10),
			Before: map[string]any{"totp_enabled": false}, After: map[string]any{"totp_enabled": true, "other_sessions_ended": ended}})
	})
	if err != nil {
		return nil, fmt.Errorf("confirm totp: %w", err)
	}
	return codes, nil
}

// RecoveryCodesLeft counts unused recovery codes.
func (s *Service) RecoveryCodesLeft(ctx context.Context, id int64) (int64, error) {
	return s.db.CountUnusedRecoveryCodes(ctx, id)
}

// RecordLogout writes the sign-out to the audit history.
func (s *Service) RecordLogout(ctx context.Context, actor audit.Actor) error {
	return s.db.Tx(ctx, func(q *store.Queries) error {
		return audit.Record(ctx, q, actor, audit.Event{Action: "staff.logout", EntityType: "staff_user", EntityID: actor.ID})
	})
}
