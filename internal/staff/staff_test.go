package staff_test

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"

	"lumdesk/internal/audit"
	"lumdesk/internal/platform/db"
	"lumdesk/internal/platform/secretbox"
	"lumdesk/internal/platform/testdb"
	"lumdesk/internal/staff"
)

var ctx = context.Background()

func newService(t *testing.T) (*staff.Service, *db.DB) {
	d := db.New(testdb.New(t))
	box, _ := secretbox.New(bytes.Repeat([]byte{1}, 32))
	return staff.NewService(d, box, false), d
}

func mustCreate(t *testing.T, s *staff.Service, email, role string) staff.User {
	t.Helper()
	u, err := s.Create(ctx, audit.CLI("test"), staff.CreateInput{Email: email, Role: role, Password: "correct horse battery"})
	if err != nil {
		t.Fatal(err)
	}
	return u
}

func anon(ip string) audit.Actor { return audit.Actor{Kind: audit.KindAnonymous, IP: ip} }

func countAudit(t *testing.T, d *db.DB, action string) int {
	var n int
	if err := d.Pool.QueryRow(ctx, "SELECT count(*) FROM audit_events WHERE action = $1", action).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestCreateValidates(t *testing.T) {
	t.Parallel()
	s, _ := newService(t)
	_, err := s.Create(ctx, audit.CLI("t"), staff.CreateInput{Email: "not-an-email", Role: "god", Password: "short"})
	var verr staff.ValidationError
	if !errors.As(err, &verr) || verr["email"] == "" || verr["role"] == "" || verr["password"] == "" {
		t.Fatalf("err = %v", err)
	}
	mustCreate(t, s, "a@x.test", "admin")
	_, err = s.Create(ctx, audit.CLI("t"), staff.CreateInput{Email: "A@X.test", Role: "viewer", Password: "correct horse battery"})
	if !errors.As(err, &verr) || verr["email"] != staff.ErrEmailTaken.Error() {
		t.Fatalf("duplicate (case-insensitive) email: err = %v", err)
	}
}

func TestLoginAndNoEnumeration(t *testing.T) {
	t.Parallel()
	s, d := newService(t)
	u := mustCreate(t, s, "sup@x.test", "support")
	res, err := s.Login(ctx, anon("10.0.0.1"), "SUP@x.test", "correct horse battery")
	if err != nil || res.User.ID != u.ID || res.NeedsTOTP {
		t.Fatalf("Login = %+v, %v", res, err)
	}
	_, errWrongPw := s.Login(ctx, anon("10.0.0.2"), "sup@x.test", "wrong password!!")
	_, errNoUser := s.Login(ctx, anon("10.0.0.3"), "nobody@x.test", "wrong password!!")
	if !errors.Is(errWrongPw, staff.ErrBadCredentials) || !errors.Is(errNoUser, staff.ErrBadCredentials) || errWrongPw.Error() != errNoUser.Error() {
		t.Fatalf("wrong pw: %v; unknown user: %v; want the same ErrBadCredentials", errWrongPw, errNoUser)
	}
	if countAudit(t, d, "staff.login") != 1 || countAudit(t, d, "staff.login_failed") != 2 {
		t.Fatal("sign-ins not audited")
	}
}

func TestDisabledUserCannotLogInAndLosesSessions(t *testing.T) {
	t.Parallel()
	s, d := newService(t)
	admin := mustCreate(t, s, "admin@x.test", "admin")
	u := mustCreate(t, s, "v@x.test", "viewer")
	uid := u.ID
	if _, err := d.Pool.Exec(ctx, "INSERT INTO staff_sessions (id_hash, staff_id, data, expires_at) VALUES ('\\x01', $1, '', now() + interval '1 hour')", uid); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Disable(ctx, audit.Staff(admin.ID, admin.Email), u.ID, "left the company"); err != nil {
		t.Fatal(err)
	}
	var n int
	_ = d.Pool.QueryRow(ctx, "SELECT count(*) FROM staff_sessions WHERE staff_id = $1", uid).Scan(&n)
	if n != 0 {
		t.Fatalf("%d sessions survive disabling", n)
	}
	if _, err := s.Login(ctx, anon("10.0.0.9"), "v@x.test", "correct horse battery"); !errors.Is(err, staff.ErrBadCredentials) {
		t.Fatalf("disabled login err = %v", err)
	}
}

func TestLastAdminIsProtected(t *testing.T) {
	t.Parallel()
	s, _ := newService(t)
	a := mustCreate(t, s, "a@x.test", "admin")
	other := mustCreate(t, s, "b@x.test", "support")
	if _, err := s.ChangeRole(ctx, audit.Staff(other.ID, other.Email), a.ID, "viewer", "x"); !errors.Is(err, staff.ErrLastAdmin) {
		t.Fatalf("demote last admin: err = %v", err)
	}
	if _, err := s.Disable(ctx, audit.Staff(a.ID, a.Email), a.ID, "x"); !errors.Is(err, staff.ErrSelf) {
		t.Fatalf("disable self: err = %v", err)
	}
}

func TestThrottleSlowsThenLocksPerAccountAndIP(t *testing.T) {
	t.Parallel()
	s, _ := newService(t)
	mustCreate(t, s, "t@x.test", "support")
	var throttled *staff.ThrottledError
	// Three free failures, then the account is locked for a while.
	for i := 0; i < 3; i++ {
		if _, err := s.Login(ctx, anon("10.1.0.1"), "t@x.test", "nope nope nope"); errors.As(err, &throttled) {
			t.Fatalf("attempt %d already throttled", i+1)
		}
	}
	_, err := s.Login(ctx, anon("10.1.0.2"), "t@x.test", "correct horse battery")
	if !errors.As(err, &throttled) || throttled.RetryAfter <= 0 || throttled.RetryAfter > staff.LockMax {
		t.Fatalf("after 3 failures even the right password from another IP should wait: %v", err)
	}
	// Per IP: many accounts from one address.
	for i := 0; i < 10; i++ {
		_, _ = s.Login(ctx, anon("10.2.0.1"), "user"+string(rune('a'+i))+"@x.test", "guess guess guess")
	}
	if _, err := s.Login(ctx, anon("10.2.0.1"), "fresh@x.test", "guess guess guess"); !errors.As(err, &throttled) {
		t.Fatalf("IP not throttled after 10 failures: %v", err)
	}
}

func TestTOTPEnrolSingleUseAndRecoveryCodes(t *testing.T) {
	t.Parallel()
	s, d := newService(t)
	u := mustCreate(t, s, "fin@x.test", "finance")
	if !s.MustEnrolTOTP(u) {
		t.Fatal("finance without TOTP must enrol")
	}
	enr, err := s.BeginTOTP(ctx, u)
	if err != nil || enr.Secret == "" || len(enr.QRPNG) < 100 {
		t.Fatalf("BeginTOTP = %+v, %v", enr, err)
	}
	// Two sessions: this one, and one signed in with the password alone.
	for _, h := range []string{"this", "other"} {
		if _, err := d.Pool.Exec(ctx, "INSERT INTO staff_sessions (id_hash, staff_id, data, expires_at) VALUES ($1, $2, '', now() + interval '1 hour')", []byte(h), u.ID); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s.ConfirmTOTP(ctx, audit.Staff(u.ID, u.Email), u, "000000", []byte("this")); !errors.Is(err, staff.ErrBadCode) {
		t.Fatalf("bad code accepted: %v", err)
	}
	// Use the previous step's code to confirm, so the current step is still fresh for sign-in.
	prev, _ := totp.GenerateCodeCustom(enr.Secret, time.Now().Add(-30*time.Second), totp.ValidateOpts{Period: 30, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1})
	codes, err := s.ConfirmTOTP(ctx, audit.Staff(u.ID, u.Email), u, prev, []byte("this"))
	if err != nil || len(codes) != 10 {
		t.Fatalf("ConfirmTOTP = %v, %v", codes, err)
	}
	var left []string
	if err := d.Pool.QueryRow(ctx, "SELECT array_agg(convert_from(id_hash, 'UTF8')) FROM staff_sessions WHERE staff_id = $1", u.ID).Scan(&left); err != nil || len(left) != 1 || left[0] != "this" {
		t.Fatalf("sessions after turning two-factor on: %v %v, want this one only", left, err)
	}
	res, err := s.Login(ctx, anon("10.3.0.1"), "fin@x.test", "correct horse battery")
	if err != nil || !res.NeedsTOTP {
		t.Fatalf("Login with TOTP on = %+v, %v", res, err)
	}
	now, _ := totp.GenerateCode(enr.Secret, time.Now())
	if _, err := s.VerifySecondFactor(ctx, anon("10.3.0.1"), u.ID, now); err != nil {
		t.Fatalf("current code refused: %v", err)
	}
	if _, err := s.VerifySecondFactor(ctx, anon("10.3.0.1"), u.ID, now); !errors.Is(err, staff.ErrBadCode) {
		t.Fatalf("replayed code: err = %v", err)
	}
	if _, err := s.VerifySecondFactor(ctx, anon("10.3.0.1"), u.ID, codes[0]); err != nil {
		t.Fatalf("recovery code refused: %v", err)
	}
	if _, err := s.VerifySecondFactor(ctx, anon("10.3.0.1"), u.ID, codes[0]); !errors.Is(err, staff.ErrBadCode) {
		t.Fatalf("reused recovery code: err = %v", err)
	}
	if left, _ := s.RecoveryCodesLeft(ctx, u.ID); left != 9 {
		t.Fatalf("recovery codes left = %d", left)
	}
}

func TestSessionStoreRotationAndTimeouts(t *testing.T) {
	t.Parallel()
	svc, d := newService(t)
	u5 := mustCreate(t, svc, "five@x.test", "viewer").ID
	u6 := mustCreate(t, svc, "six@x.test", "viewer").ID
	st := staff.NewSessionStore(d, true, 30*time.Minute, 12*time.Hour)
	if st.CookieName != "__Host-lumdesk" {
		t.Fatalf("secure cookie name = %q", st.CookieName)
	}
	now := time.Now()
	st.SetClock(func() time.Time { return now })

	save := func(r *http.Request, set func(map[interface{}]interface{})) *http.Cookie {
		s, _ := st.New(r, st.CookieName)
		set(s.Values)
		w := httptest.NewRecorder()
		if err := st.Save(r, w, s); err != nil {
			t.Fatal(err)
		}
		cs := w.Result().Cookies()
		if len(cs) != 1 || !cs[0].HttpOnly || !cs[0].Secure || cs[0].SameSite != http.SameSiteLaxMode {
			t.Fatalf("cookie = %+v", cs)
		}
		return cs[0]
	}
	load := func(c *http.Cookie) map[interface{}]interface{} {
		r := httptest.NewRequest("GET", "/", nil)
		r.AddCookie(c)
		s, err := st.New(r, st.CookieName)
		if err != nil {
			t.Fatal(err)
		}
		return s.Values
	}
	c1 := save(httptest.NewRequest("GET", "/", nil), func(v map[interface{}]interface{}) { v[staff.KeyStaffID] = u5 })
	if got := load(c1)[staff.KeyStaffID]; got != u5 {
		t.Fatalf("loaded staff id = %v", got)
	}
	// The database holds the hash, not the cookie value.
	var n int
	_ = d.Pool.QueryRow(ctx, "SELECT count(*) FROM staff_sessions WHERE id_hash = convert_to($1, 'UTF8')", c1.Value).Scan(&n)
	if n != 0 {
		t.Fatal("session id stored in clear")
	}

	// Rotation: new id, old one dead.
	r := httptest.NewRequest("GET", "/", nil)
	r.AddCookie(c1)
	s, _ := st.New(r, st.CookieName)
	if err := st.Rotate(ctx, s); err != nil {
		t.Fatal(err)
	}
	w := httptest.NewRecorder()
	if err := st.Save(r, w, s); err != nil {
		t.Fatal(err)
	}
	c2 := w.Result().Cookies()[0]
	if c2.Value == c1.Value || len(load(c1)) != 0 || load(c2)[staff.KeyStaffID] != u5 {
		t.Fatal("rotation did not replace the id")
	}

	// Idle timeout: nothing for 31 minutes ends it.
	now = now.Add(31 * time.Minute)
	if len(load(c2)) != 0 {
		t.Fatal("session survived the idle timeout")
	}

	// Absolute timeout: activity every 20 minutes does not extend past 12 h.
	now = time.Now()
	c3 := save(httptest.NewRequest("GET", "/", nil), func(v map[interface{}]interface{}) { v[staff.KeyStaffID] = u6 })
	for i := 0; i < 35; i++ { // 35 * 20 min = 11h40m
		now = now.Add(20 * time.Minute)
		if load(c3)[staff.KeyStaffID] != u6 {
			t.Fatalf("session ended early at step %d", i)
		}
	}
	now = now.Add(25 * time.Minute)
	if len(load(c3)) != 0 {
		t.Fatal("session survived the absolute timeout")
	}
}

// Every permission a role can hold is described in words on the staff
// pages, not shown by its name.
func TestEveryPermissionIsDescribed(t *testing.T) {
	for _, p := range staff.AllPermissions() {
		if d := staff.Describe(p); d == "" || d == string(p) {
			t.Errorf("%s has no description", p)
		}
	}
}
