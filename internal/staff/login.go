package staff

import (
	"bytes"
	"context"
	"crypto/subtle"
	"encoding/base64"
	"fmt"
	"image/png"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"

	"lumdesk/db/store"
	"lumdesk/internal/audit"
	"lumdesk/internal/platform/db"
	"lumdesk/internal/platform/ids"
)

// Throttling: failures are counted per account and per IP within a window.
// From the Nth failure on, each further attempt must wait twice as long as
// the one before (1 s, 2 s, 4 s ...), capped at LockMax. Locks always end by
// themselves, so an attacker cannot lock a user out for good, and the
// per-account threshold is low enough to stop guessing long before it pays.
const (
	throttleWindow   = 15 * time.Minute
	accountFreeTries = 3
	ipFreeTries      = 10
	LockMax          = 15 * time.Minute
)

func lockFor(failures, free int) time.Duration {
	if failures < free {
		return 0
	}
	d := time.Second * time.Duration(math.Pow(2, float64(min(failures-free, 20))))
	return min(d, LockMax)
}

// LoginResult is the outcome of the password step.
type LoginResult struct {
	User      User
	NeedsTOTP bool // ask for a code before the session is signed in
}

func throttleKeys(email, ip string) (acct, ipKey string) {
	return "acct:" + strings.ToLower(strings.TrimSpace(email)), "ip:" + ip
}

// checkThrottle returns a ThrottledError while either key is locked.
func (s *Service) checkThrottle(ctx context.Context, keys ...string) error {
	var wait time.Duration
	for _, k := range keys {
		t, err := s.db.GetLoginThrottle(ctx, k)
		if db.IsNotFound(err) {
			continue
		}
		if err != nil {
			return fmt.Errorf("check throttle: %w", err)
		}
		if t.LockedUntil != nil {
			wait = max(wait, t.LockedUntil.Sub(s.now()))
		}
	}
	if wait > 0 {
		return &ThrottledError{RetryAfter: wait}
	}
	return nil
}

func (s *Service) recordFailure(ctx context.Context, q *store.Queries, key string, free int) error {
	t, err := q.RecordLoginFailure(ctx, store.RecordLoginFailureParams{Key: key, WindowSeconds: throttleWindow.Seconds()})
	if err != nil {
		return fmt.Errorf("record failure: %w", err)
	}
	if d := lockFor(int(t.Failures), free); d > 0 {
		until := s.now().Add(d)
		return q.LockLoginThrottle(ctx, store.LockLoginThrottleParams{Key: key, LockedUntil: &until})
	}
	return nil
}

// failLogin records a failed attempt (throttle counters and audit row).
func (s *Service) failLogin(ctx context.Context, actor audit.Actor, acctKey, ipKey, email string, userID int64, why string) error {
	err := s.db.Tx(ctx, func(q *store.Queries) error {
		if err := s.recordFailure(ctx, q, acctKey, accountFreeTries); err != nil {
			return err
		}
		if err := s.recordFailure(ctx, q, ipKey, ipFreeTries); err != nil {
			return err
		}
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
	if err := s.checkThrottle(ctx, acctKey, ipKey); err != nil {
		return LoginResult{}, err
	}
	norm, _ := normalizeEmail(email)
	row, err := s.db.GetStaffUserByEmail(ctx, norm)
	if err != nil && !db.IsNotFound(err) {
		return LoginResult{}, fmt.Errorf("login: %w", err)
	}
	hash := row.PasswordHash
	if hash == "" {
		hash = dummyHash
	}
	ok, _ := CheckPassword(hash, password)
	switch {
	case row.ID == 0:
		return LoginResult{}, s.failLogin(ctx, actor, acctKey, ipKey, email, 0, "unknown email")
	case !ok:
		return LoginResult{}, s.failLogin(ctx, actor, acctKey, ipKey, email, row.ID, "wrong password")
	case row.DisabledAt != nil:
		return LoginResult{}, s.failLogin(ctx, actor, acctKey, ipKey, email, row.ID, "user disabled")
	}
	u := fromRow(row)
	if u.TOTPEnabled {
		return LoginResult{User: u, NeedsTOTP: true}, nil
	}
	return LoginResult{User: u}, s.completeLogin(ctx, actor, u, acctKey, "password")
}

// completeLogin clears the account's throttle and records the sign-in.
func (s *Service) completeLogin(ctx context.Context, actor audit.Actor, u User, acctKey, method string) error {
	return s.db.Tx(ctx, func(q *store.Queries) error {
		if err := q.ClearLoginThrottle(ctx, acctKey); err != nil {
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
	if err := s.checkThrottle(ctx, acctKey, ipKey); err != nil {
		return User{}, err
	}
	if row.DisabledAt != nil || !row.TotpEnabled {
		return User{}, ErrBadCredentials
	}
	code = strings.ReplaceAll(strings.TrimSpace(code), " ", "")
	method := "totp"
	ok, err := s.checkTOTP(ctx, row, code)
	if err != nil {
		return User{}, err
	}
	if !ok && len(code) > 6 {
		method = "recovery_code"
		n, err := s.db.UseRecoveryCode(ctx, store.UseRecoveryCodeParams{StaffID: row.ID, CodeHash: ids.Hash(normalizeRecovery(code))})
		if err != nil {
			return User{}, err
		}
		ok = n == 1
	}
	if !ok {
		_ = s.failLogin(ctx, actor, acctKey, ipKey, row.Email, row.ID, "wrong second factor")
		return User{}, ErrBadCode
	}
	u := fromRow(row)
	return u, s.completeLogin(ctx, actor, u, acctKey, method)
}

var totpOpts = totp.ValidateOpts{Period: 30, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1}

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
	now := s.now()
	for _, off := range []int64{0, -1, 1} {
		t := now.Add(time.Duration(off) * 30 * time.Second)
		want, err := totp.GenerateCodeCustom(secret, t, totpOpts)
		if err != nil {
			return false, err
		}
		if subtle.ConstantTimeCompare([]byte(want), []byte(code)) == 1 {
			n, err := s.db.AdvanceStaffTOTPStep(ctx, store.AdvanceStaffTOTPStepParams{ID: staffID, TotpLastStep: t.Unix() / 30})
			return n == 1, err
		}
	}
	return false, nil
}

func totpContext(id int64) string { return "totp:" + strconv.FormatInt(id, 10) }

// Enrolment is what the enrolment page shows.
type Enrolment struct {
	Secret string // base32, for manual entry
	URL    string // otpauth:// URL
	QRPNG  string // data: URL of the QR code
}

// BeginTOTP makes a new secret, stores it sealed but not yet enabled, and
// returns what the user scans. Calling it again replaces the pending secret.
func (s *Service) BeginTOTP(ctx context.Context, u User) (Enrolment, error) {
	if u.TOTPEnabled {
		return Enrolment{}, fmt.Errorf("two-factor sign-in is already on")
	}
	key, err := totp.Generate(totp.GenerateOpts{Issuer: "lumdesk", AccountName: u.Email, Period: 30, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1})
	if err != nil {
		return Enrolment{}, err
	}
	if err := s.db.SetStaffTOTP(ctx, store.SetStaffTOTPParams{ID: u.ID, TotpSecretSealed: s.box.Seal([]byte(key.Secret()), totpContext(u.ID)), TotpEnabled: false}); err != nil {
		return Enrolment{}, fmt.Errorf("store totp secret: %w", err)
	}
	return enrolmentFor(key)
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
	key, err := otp.NewKeyFromURL(fmt.Sprintf("otpauth://totp/lumdesk:%s?secret=%s&issuer=lumdesk&period=30&digits=6&algorithm=SHA1", u.Email, secret))
	if err != nil {
		return Enrolment{}, false, err
	}
	e, err := enrolmentFor(key)
	return e, err == nil, err
}

func enrolmentFor(key *otp.Key) (Enrolment, error) {
	img, err := key.Image(200, 200)
	if err != nil {
		return Enrolment{}, err
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		return Enrolment{}, err
	}
	return Enrolment{Secret: key.Secret(), URL: key.URL(), QRPNG: "data:image/png;base64," + base64.StdEncoding.EncodeToString(buf.Bytes())}, nil
}

// ConfirmTOTP turns TOTP on once the user proves the authenticator works,
// and returns ten single-use recovery codes (shown once).
func (s *Service) ConfirmTOTP(ctx context.Context, actor audit.Actor, u User, code string) ([]string, error) {
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
	codes := make([]string, 10)
	err = s.db.Tx(ctx, func(q *store.Queries) error {
		if err := q.DeleteRecoveryCodes(ctx, u.ID); err != nil {
			return err
		}
		for i := range codes {
			c := ids.Token(10)
			codes[i] = strings.ToLower(c[:5] + "-" + c[5:])
			if err := q.InsertRecoveryCode(ctx, store.InsertRecoveryCodeParams{StaffID: u.ID, CodeHash: ids.Hash(normalizeRecovery(codes[i]))}); err != nil {
				return err
			}
		}
		if err := q.EnableStaffTOTP(ctx, u.ID); err != nil {
			return err
		}
		return audit.Record(ctx, q, actor, audit.Event{Action: "staff.totp_enable", EntityType: "staff_user", EntityID: strconv.FormatInt(u.ID, 10),
			Before: map[string]any{"totp_enabled": false}, After: map[string]any{"totp_enabled": true}})
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

func normalizeRecovery(c string) string {
	return strings.ToLower(strings.ReplaceAll(strings.TrimSpace(c), "-", ""))
}

// RecordLogout writes the sign-out to the audit history.
func (s *Service) RecordLogout(ctx context.Context, actor audit.Actor) error {
	return s.db.Tx(ctx, func(q *store.Queries) error {
		return audit.Record(ctx, q, actor, audit.Event{Action: "staff.logout", EntityType: "staff_user", EntityID: actor.ID})
	})
}
