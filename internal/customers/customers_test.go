package customers_test

import (
	"bytes"
	"context"
	"errors"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"

	"lumdesk/internal/accounts"
	"lumdesk/internal/audit"
	"lumdesk/internal/customers"
	"lumdesk/internal/platform/apperr"
	"lumdesk/internal/platform/db"
	"lumdesk/internal/platform/secretbox"
	"lumdesk/internal/platform/signin"
	"lumdesk/internal/platform/testdb"
)

var ctx = context.Background()

// outbox records the mail the service sends (the real pipeline is Lumora's,
// tested in internal/mail and through the portal's HTTP tests).
type outbox struct {
	mu   sync.Mutex
	sent []string // "to|text"
}

func (o *outbox) send(_ context.Context, to, _, text, _ string) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.sent = append(o.sent, to+"|"+text)
	return nil
}

// token is the token of the newest link mailed to addr.
func (o *outbox) token(t *testing.T, addr string) string {
	t.Helper()
	o.mu.Lock()
	defer o.mu.Unlock()
	for i := len(o.sent) - 1; i >= 0; i-- {
		to, text, _ := strings.Cut(o.sent[i], "|")
		if to != addr {
			continue
		}
		for _, f := range strings.Fields(text) {
			for _, p := range []string{customers.InvitePath, customers.ResetPath} {
				if i := strings.Index(f, p); i >= 0 {
					return f[i+len(p):]
				}
			}
		}
	}
	t.Fatalf("no link mailed to %s", addr)
	return ""
}

type fixture struct {
	svc  *customers.Service
	d    *db.DB
	mail *outbox
	acc  accounts.Account
	now  time.Time
}

func newFixture(t *testing.T) *fixture {
	d := db.New(testdb.New(t))
	box, _ := secretbox.New(bytes.Repeat([]byte{3}, 32))
	f := &fixture{d: d, mail: &outbox{}, now: time.Now().UTC()}
	f.svc = customers.NewService(d, box, f.mail.send, "https://desk.test").WithClock(func() time.Time { return f.now })
	acc, err := accounts.NewService(d).Create(ctx, audit.CLI("test"), accounts.CreateInput{Name: "Acme", Email: "billing@acme.test"})
	if err != nil {
		t.Fatal(err)
	}
	f.acc = acc
	return f
}

func (f *fixture) user(t *testing.T, email string, role customers.Role) customers.User {
	t.Helper()
	if _, err := f.svc.Invite(ctx, audit.CLI("test"), f.acc.ID, email, role); err != nil {
		t.Fatal(err)
	}
	u, err := f.svc.AcceptInvite(ctx, audit.Actor{Kind: audit.KindAnonymous}, f.mail.token(t, email), "", "correct horse battery")
	if err != nil {
		t.Fatal(err)
	}
	return u
}

func TestInvitationExpiresAndIsReplacedByANewerOne(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	inv, err := f.svc.Invite(ctx, audit.CLI("t"), f.acc.ID, "ana@acme.test", customers.RoleDeveloper)
	if err != nil || !strings.HasPrefix(inv.URL, "https://desk.test/portal/invite/") {
		t.Fatalf("invite: %v %q", err, inv.URL)
	}
	first := f.mail.token(t, "ana@acme.test")
	if _, err := f.svc.Invite(ctx, audit.CLI("t"), f.acc.ID, "ana@acme.test", customers.RoleOwner); err != nil {
		t.Fatal(err)
	}
	second := f.mail.token(t, "ana@acme.test")
	if _, _, err := f.svc.InvitationFor(ctx, first); !errors.Is(err, customers.ErrLinkInvalid) {
		t.Fatalf("replaced invitation still works: %v", err)
	}
	f.now = f.now.Add(customers.InviteTTL + time.Second)
	if _, err := f.svc.AcceptInvite(ctx, audit.Actor{}, second, "Ana", "correct horse battery"); !errors.Is(err, customers.ErrLinkInvalid) {
		t.Fatalf("expired invitation accepted: %v", err)
	}
}

func TestInviteRefusesBadInputAndTakenAddresses(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.user(t, "owner@acme.test", customers.RoleOwner)
	var fe apperr.FieldErrors
	for _, email := range []string{"", "not-an-email", "a@b.test\r\nBcc: x@y.test", "Ana <ana@acme.test>", strings.Repeat("a", 300) + "@x.test", "OWNER@acme.test"} {
		if _, err := f.svc.Invite(ctx, audit.CLI("t"), f.acc.ID, email, customers.RoleReadOnly); !errors.As(err, &fe) {
			t.Errorf("Invite(%q) = %v, want a field error", email, err)
		}
	}
	if _, err := f.svc.Invite(ctx, audit.CLI("t"), f.acc.ID, "x@acme.test", customers.Role("god")); !errors.As(err, &fe) {
		t.Errorf("bad role: %v", err)
	}
	if _, err := f.svc.Invite(ctx, audit.CLI("t"), 999999, "x@acme.test", customers.RoleOwner); !errors.Is(err, customers.ErrNotFound) {
		t.Errorf("unknown account: %v", err)
	}
}

func TestResetLinkLastsThirtyMinutesAndWorksOnce(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	u := f.user(t, "bo@acme.test", customers.RoleBilling)
	if err := f.svc.RequestReset(ctx, audit.Actor{}, "nobody@acme.test"); err != nil {
		t.Fatalf("unknown address must answer like a known one: %v", err)
	}
	if err := f.svc.RequestReset(ctx, audit.Actor{}, "BO@acme.test"); err != nil {
		t.Fatal(err)
	}
	tok := f.mail.token(t, "bo@acme.test")
	f.now = f.now.Add(customers.ResetTTL + time.Second)
	if _, err := f.svc.ResetPassword(ctx, audit.Actor{}, tok, "a new long password"); !errors.Is(err, customers.ErrLinkInvalid) {
		t.Fatalf("expired reset link: %v", err)
	}
	if err := f.svc.RequestReset(ctx, audit.Actor{}, "bo@acme.test"); err != nil {
		t.Fatal(err)
	}
	tok = f.mail.token(t, "bo@acme.test")
	if _, err := f.svc.ResetPassword(ctx, audit.Actor{}, tok, "a new long password"); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.ResetPassword(ctx, audit.Actor{}, tok, "yet another password"); !errors.Is(err, customers.ErrLinkInvalid) {
		t.Fatalf("reset link reused: %v", err)
	}
	if _, err := f.svc.Login(ctx, audit.Actor{IP: "192.0.2.1"}, u.Email, "a new long password"); err != nil {
		t.Fatalf("new password: %v", err)
	}
}

func TestResetMailsAreCapped(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.user(t, "cap@acme.test", customers.RoleReadOnly)
	before := len(f.mail.sent)
	for range 8 {
		if err := f.svc.RequestReset(ctx, audit.Actor{}, "cap@acme.test"); err != nil {
			t.Fatal(err)
		}
	}
	if n := len(f.mail.sent) - before; n != 5 {
		t.Fatalf("%d reset mails in an hour, want 5", n)
	}
}

func TestTheLastOwnerStays(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	owner := f.user(t, "o1@acme.test", customers.RoleOwner)
	dev := f.user(t, "d1@acme.test", customers.RoleDeveloper)
	actor := customers.Actor(owner)
	if _, err := f.svc.SetRole(ctx, actor, f.acc.ID, owner.ID, owner.ID, customers.RoleReadOnly); !errors.Is(err, customers.ErrSelf) {
		t.Fatalf("own role: %v", err)
	}
	if _, err := f.svc.SetRole(ctx, actor, f.acc.ID, owner.ID, 0, customers.RoleReadOnly); !errors.Is(err, customers.ErrLastOwner) {
		t.Fatalf("demoting the last owner: %v", err)
	}
	if _, err := f.svc.SetRole(ctx, actor, f.acc.ID, dev.ID, owner.ID, customers.RoleOwner); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.Remove(ctx, actor, f.acc.ID, owner.ID, 0); err != nil {
		t.Fatalf("removing one of two owners: %v", err)
	}
	if _, err := f.svc.Login(ctx, audit.Actor{IP: "192.0.2.2"}, owner.Email, "correct horse battery"); !errors.Is(err, customers.ErrBadCredentials) {
		t.Fatalf("removed user signs in: %v", err)
	}
	// Another account's user is not found.
	other, _ := accounts.NewService(f.d).Create(ctx, audit.CLI("t"), accounts.CreateInput{Name: "Other", Email: "o@other.test"})
	if _, err := f.svc.Remove(ctx, actor, other.ID, dev.ID, 0); !errors.Is(err, customers.ErrNotFound) {
		t.Fatalf("cross-account remove: %v", err)
	}
}

func TestTOTPSignInAndRecoveryCodes(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	u := f.user(t, "t@acme.test", customers.RoleDeveloper)
	e, err := f.svc.BeginTOTP(ctx, u)
	if err != nil {
		t.Fatal(err)
	}
	code := func(at time.Time) string {
		c, _ := totp.GenerateCodeCustom(e.Secret, at, totp.ValidateOpts{Period: 30, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1})
		return c
	}
	// Two sessions: this one, and one signed in with the password alone.
	for _, h := range []string{"this", "other"} {
		if _, err := f.d.Pool.Exec(ctx, "INSERT INTO customer_sessions (id_hash, customer_id, data, expires_at) VALUES ($1, $2, '', now() + interval '1 hour')", []byte(h), u.ID); err != nil {
			t.Fatal(err)
		}
	}
	codes, err := f.svc.ConfirmTOTP(ctx, customers.Actor(u), u, code(f.now.Add(-30*time.Second)), []byte("this"))
	if err != nil || len(codes) != 10 {
		t.Fatalf("confirm: %v %d", err, len(codes))
	}
	var left []string
	if err := f.d.Pool.QueryRow(ctx, "SELECT array_agg(convert_from(id_hash, 'UTF8')) FROM customer_sessions WHERE customer_id = $1", u.ID).Scan(&left); err != nil || len(left) != 1 || left[0] != "this" {
		t.Fatalf("sessions after turning two-factor on: %v %v, want this one only", left, err)
	}
	res, err := f.svc.Login(ctx, audit.Actor{IP: "192.0.2.3"}, u.Email, "correct horse battery")
	if err != nil || !res.NeedsTOTP {
		t.Fatalf("login with TOTP on: %v %+v", err, res)
	}
	if _, err := f.svc.VerifySecondFactor(ctx, audit.Actor{IP: "192.0.2.3"}, u.ID, code(f.now)); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.VerifySecondFactor(ctx, audit.Actor{IP: "192.0.2.3"}, u.ID, code(f.now)); !errors.Is(err, customers.ErrBadCode) {
		t.Fatalf("a TOTP code worked twice: %v", err)
	}
	if _, err := f.svc.VerifySecondFactor(ctx, audit.Actor{IP: "192.0.2.4"}, u.ID, strings.ToUpper(codes[0])); err != nil {
		t.Fatalf("recovery code: %v", err)
	}
	if _, err := f.svc.VerifySecondFactor(ctx, audit.Actor{IP: "192.0.2.5"}, u.ID, codes[0]); !errors.Is(err, customers.ErrBadCode) {
		t.Fatalf("a recovery code worked twice: %v", err)
	}
	if n, _ := f.svc.RecoveryCodesLeft(ctx, u.ID); n != 9 {
		t.Fatalf("%d recovery codes left, want 9", n)
	}
}

// Concurrent acceptances of one invitation make one user.
func TestAnInvitationIsAcceptedOnceUnderRace(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	if _, err := f.svc.Invite(ctx, audit.CLI("t"), f.acc.ID, "race@acme.test", customers.RoleOwner); err != nil {
		t.Fatal(err)
	}
	tok := f.mail.token(t, "race@acme.test")
	var wg sync.WaitGroup
	var mu sync.Mutex
	ok := 0
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := f.svc.AcceptInvite(ctx, audit.Actor{}, tok, "R", "correct horse battery"); err == nil {
				mu.Lock()
				ok++
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	users, err := f.svc.Users(ctx, f.acc.ID)
	if err != nil || ok != 1 || len(users) != 1 {
		t.Fatalf("%d acceptances, %d users (%v)", ok, len(users), err)
	}
}

// Changing the password or turning two-factor off asks for the password, and
// those checks count against the user's sign-in throttle: a session someone
// else holds cannot guess the password without limit.
func TestOwnPasswordChecksAreThrottled(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	u := f.user(t, "guessed@acme.test", customers.RoleOwner)
	for i := range 3 {
		err := f.svc.ChangePassword(ctx, customers.Actor(u), u, "wrong guess "+strconv.Itoa(i), "a new long passphrase", nil)
		var fe apperr.FieldErrors
		if !errors.As(err, &fe) || fe["current"] != "The current password is not right." {
			t.Fatalf("guess %d: %v", i+1, err)
		}
	}
	for _, check := range []func() error{
		func() error {
			return f.svc.ChangePassword(ctx, customers.Actor(u), u, "correct horse battery", "a new long passphrase", nil)
		},
		func() error { return f.svc.DisableTOTP(ctx, customers.Actor(u), u, "correct horse battery") },
	} {
		var fe apperr.FieldErrors
		if err := check(); !errors.As(err, &fe) || !strings.HasPrefix(fe["current"]+fe["password"], "Too many wrong passwords; try again in ") {
			t.Fatalf("after three wrong guesses even the right password should wait: %v", err)
		}
	}
	// Past the lock the right password works, and takes its count back.
	f.now = f.now.Add(signin.LockMax)
	if err := f.svc.ChangePassword(ctx, customers.Actor(u), u, "correct horse battery", "a new long passphrase", nil); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.Login(ctx, audit.Actor{Kind: audit.KindAnonymous, IP: "10.9.9.9"}, "guessed@acme.test", "a new long passphrase"); err != nil {
		t.Fatalf("sign-in with the new password: %v", err)
	}
}
