package apikeys_test

import (
	"bytes"
	"context"
	"errors"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/jackc/pgx/v5/pgxpool"

	"lumdesk/internal/apikeys"
	"lumdesk/internal/audit"
	"lumdesk/internal/platform/db"
	"lumdesk/internal/platform/ids"
	"lumdesk/internal/platform/secretbox"
	"lumdesk/internal/platform/testdb"
)

var actor = audit.CLI("apikeys test")

func newService(t *testing.T) (*apikeys.Service, *db.DB) {
	t.Helper()
	d := db.New(testdb.New(t))
	return serviceOn(d), d
}

func serviceOn(d *db.DB) *apikeys.Service {
	box, _ := secretbox.New(bytes.Repeat([]byte{7}, 32))
	return apikeys.NewService(d, box)
}

func newAccount(t *testing.T, d *db.DB, email string) int64 {
	t.Helper()
	var id int64
	err := d.Pool.QueryRow(context.Background(),
		"INSERT INTO accounts (name, email) VALUES ($1, $2) RETURNING id", "Acct "+email, email).Scan(&id)
	if err != nil {
		t.Fatal(err)
	}
	return id
}

func ptr[T any](v T) *T { return &v }

func mustCreate(t *testing.T, s *apikeys.Service, in apikeys.CreateInput) apikeys.Created {
	t.Helper()
	c, err := s.Create(context.Background(), actor, in)
	if err != nil {
		t.Fatalf("Create(%+v): %v", in, err)
	}
	return c
}

func TestCreateEveryProduct(t *testing.T) {
	t.Parallel()
	s, d := newService(t)
	ctx := context.Background()
	acc := newAccount(t, d, "owner@example.com")
	formats := map[string]struct {
		prefix string
		n      int
		chars  string
	}{
		"luarmor":      {"", 64, "0123456789abcdef"},
		"lumio":        {"lm_dev_", 40, ""},
		"lumi-domains": {"lumi_domains_", 40, ""},
		"lumi-hosting": {"lumi_hosting_", 40, ""},
		"lumi-proxy":   {"lumi_proxy_", 40, ""},
		"lumora":       {"lum_sk_", 40, ""},
		"lumira":       {"lumira_", 40, ""},
	}
	for _, p := range apikeys.Products {
		t.Run(p.ID, func(t *testing.T) {
			f, ok := formats[p.ID]
			if !ok {
				t.Fatalf("no expected format for %s", p.ID)
			}
			c := mustCreate(t, s, apikeys.CreateInput{Product: p.ID, AccountID: &acc, Name: "CI key", Scopes: []string{p.Scopes[0].Name}})
			if !strings.HasPrefix(c.Secret, f.prefix) || len(c.Secret) != len(f.prefix)+f.n {
				t.Fatalf("secret %q: want %q + %d chars", c.Secret, f.prefix, f.n)
			}
			for _, ch := range c.Secret[len(f.prefix):] {
				isAlnum := ch >= '0' && ch <= '9' || ch >= 'a' && ch <= 'z' || ch >= 'A' && ch <= 'Z'
				if f.chars != "" && !strings.ContainsRune(f.chars, ch) || !isAlnum {
					t.Fatalf("secret %q has character %q", c.Secret, ch)
				}
			}
			if want := c.Secret[:len(f.prefix)+6]; c.Key.Prefix != want {
				t.Fatalf("prefix %q, want %q", c.Key.Prefix, want)
			}
			if c.SigningSecret != "" {
				t.Fatal("signing secret issued without being asked for")
			}
			// Only the hash is stored: the secret appears nowhere in the row.
			var row string
			var hash []byte
			if err := d.Pool.QueryRow(ctx, "SELECT row_to_json(k)::text, secret_hash FROM api_keys k WHERE id = $1", c.Key.ID).Scan(&row, &hash); err != nil {
				t.Fatal(err)
			}
			if strings.Contains(row, c.Secret) || strings.Contains(row, c.Secret[len(c.Key.Prefix):]) {
				t.Fatalf("secret stored in the row: %s", row)
			}
			if !bytes.Equal(hash, ids.Hash(c.Secret)) {
				t.Fatal("secret_hash is not the SHA-256 of the secret")
			}
			got, err := s.Verify(ctx, p.ID, c.Secret, "192.0.2.1")
			if err != nil || got.ID != c.Key.ID {
				t.Fatalf("Verify = %+v, %v", got, err)
			}
			// The audit row never carries the secret either.
			var ev string
			if err := d.Pool.QueryRow(ctx, "SELECT after::text FROM audit_events WHERE action = 'api_key.create' AND entity_id = $1", itoa(c.Key.ID)).Scan(&ev); err != nil {
				t.Fatal(err)
			}
			if strings.Contains(ev, c.Secret) {
				t.Fatalf("secret in audit row: %s", ev)
			}
		})
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

func TestCreateResult(t *testing.T) {
	t.Parallel()
	s, d := newService(t)
	acc := newAccount(t, d, "r@example.com")
	exp := time.Now().Add(48 * time.Hour).UTC().Truncate(time.Microsecond)
	c := mustCreate(t, s, apikeys.CreateInput{
		Product: "lumi-domains", AccountID: &acc, Name: "  Billing bot ",
		Scopes:             []string{"domains:buy", "domains:read", "domains:read"},
		RateLimitPerMinute: 120, DailySpendCapCents: ptr(int64(2500)), WithSigningSecret: true, ExpiresAt: &exp,
	})
	got, err := s.Get(context.Background(), c.Key.ID)
	if err != nil {
		t.Fatal(err)
	}
	want := apikeys.Key{
		ID: c.Key.ID, Product: "lumi-domains", AccountID: &acc, AccountName: "Acct r@example.com", AccountEmail: "r@example.com",
		Name: "Billing bot", Prefix: c.Key.Prefix, Scopes: []string{"domains:read", "domains:buy"},
		RateLimitPerMinute: 120, DailySpendCapCents: ptr(int64(2500)), HasSigningSecret: true, ExpiresAt: &exp,
		CreatedAt: got.CreatedAt,
	}
	if diff := cmp.Diff(want, got, cmpopts.IgnoreUnexported(apikeys.Key{}), cmpopts.EquateApproxTime(time.Microsecond)); diff != "" {
		t.Fatalf("key (-want +got):\n%s", diff)
	}
	if !strings.HasPrefix(c.SigningSecret, "sig_") || len(c.SigningSecret) < 40 {
		t.Fatalf("signing secret %q", c.SigningSecret)
	}
	open, err := s.SigningSecret(got)
	if err != nil || open != c.SigningSecret {
		t.Fatalf("SigningSecret = %q, %v", open, err)
	}
	var sealed []byte
	if err := d.Pool.QueryRow(context.Background(), "SELECT signing_secret_sealed FROM api_keys WHERE id = $1", c.Key.ID).Scan(&sealed); err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(sealed, []byte(c.SigningSecret)) {
		t.Fatal("signing secret stored in clear")
	}
	// A sealed secret moved onto another key does not open (context = key id).
	other := mustCreate(t, s, apikeys.CreateInput{Product: "lumi-domains", AccountID: &acc, Scopes: []string{"domains:read"}, WithSigningSecret: true})
	if _, err := d.Pool.Exec(context.Background(), "UPDATE api_keys SET signing_secret_sealed = $1 WHERE id = $2", sealed, other.Key.ID); err != nil {
		t.Fatal(err)
	}
	moved, _ := s.Get(context.Background(), other.Key.ID)
	if _, err := s.SigningSecret(moved); err == nil {
		t.Fatal("sealed secret opened under another key")
	}
	if n := auditCount(t, d, "api_key.create"); n != 2 {
		t.Fatalf("audit rows = %d, want 2", n)
	}
}

func auditCount(t *testing.T, d *db.DB, action string) int {
	t.Helper()
	var n int
	if err := d.Pool.QueryRow(context.Background(), "SELECT count(*) FROM audit_events WHERE action = $1", action).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestCreateValidation(t *testing.T) {
	t.Parallel()
	s, d := newService(t)
	acc := newAccount(t, d, "v@example.com")
	susp := newAccount(t, d, "s@example.com")
	if _, err := d.Pool.Exec(context.Background(), "UPDATE accounts SET status = 'suspended' WHERE id = $1", susp); err != nil {
		t.Fatal(err)
	}
	past := time.Now().Add(-time.Hour)
	far := time.Now().AddDate(11, 0, 0)
	ok := apikeys.CreateInput{Product: "lumora", AccountID: &acc, Scopes: []string{"email:send"}}
	with := func(f func(*apikeys.CreateInput)) apikeys.CreateInput { in := ok; f(&in); return in }
	cases := []struct {
		name   string
		in     apikeys.CreateInput
		fields []string
	}{
		{"unknown product", with(func(in *apikeys.CreateInput) { in.Product = "lumi" }), []string{"product"}},
		{"no account", with(func(in *apikeys.CreateInput) { in.AccountID = nil }), []string{"account"}},
		{"operator with account", with(func(in *apikeys.CreateInput) { in.Operator = true }), []string{"account"}},
		{"missing account", with(func(in *apikeys.CreateInput) { in.AccountID = ptr(int64(999999)) }), []string{"account"}},
		{"suspended account", with(func(in *apikeys.CreateInput) { in.AccountID = &susp }), []string{"account"}},
		{"long name", with(func(in *apikeys.CreateInput) { in.Name = strings.Repeat("n", 101) }), []string{"name"}},
		{"control in name", with(func(in *apikeys.CreateInput) { in.Name = "a\nb" }), []string{"name"}},
		{"foreign scope", with(func(in *apikeys.CreateInput) { in.Scopes = []string{"domains:buy"} }), []string{"scopes"}},
		{"admin scope on reseller key", apikeys.CreateInput{Product: "lumi-proxy", AccountID: &acc, Scopes: []string{"admin:*"}}, []string{"scopes"}},
		{"rate limit too high", with(func(in *apikeys.CreateInput) { in.RateLimitPerMinute = 10001 }), []string{"rate_limit"}},
		{"rate limit negative", with(func(in *apikeys.CreateInput) { in.RateLimitPerMinute = -1 }), []string{"rate_limit"}},
		{"cap on non-money product", with(func(in *apikeys.CreateInput) { in.DailySpendCapCents = ptr(int64(100)) }), []string{"daily_spend_cap"}},
		{"negative cap", apikeys.CreateInput{Product: "lumi-hosting", AccountID: &acc, Scopes: []string{"vps:read"}, DailySpendCapCents: ptr(int64(-1))}, []string{"daily_spend_cap"}},
		{"signing on non-money product", with(func(in *apikeys.CreateInput) { in.WithSigningSecret = true }), []string{"signing_secret"}},
		{"expiry in the past", with(func(in *apikeys.CreateInput) { in.ExpiresAt = &past }), []string{"expires_at"}},
		{"expiry too far", with(func(in *apikeys.CreateInput) { in.ExpiresAt = &far }), []string{"expires_at"}},
		{"everything", apikeys.CreateInput{Product: "nope", RateLimitPerMinute: 99999, Name: strings.Repeat("x", 200), ExpiresAt: &past}, []string{"account", "expires_at", "name", "product", "rate_limit"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := s.Create(context.Background(), actor, tc.in)
			var verr apikeys.ValidationError
			if !errors.As(err, &verr) {
				t.Fatalf("err = %v, want ValidationError", err)
			}
			var got []string
			for k, msg := range verr {
				if msg == "" {
					t.Errorf("empty message for %s", k)
				}
				got = append(got, k)
			}
			if diff := cmp.Diff(tc.fields, got, cmpopts.SortSlices(func(a, b string) bool { return a < b })); diff != "" {
				t.Fatalf("fields (-want +got):\n%s\n%v", diff, verr)
			}
		})
	}
	var n int
	_ = d.Pool.QueryRow(context.Background(), "SELECT count(*) FROM api_keys").Scan(&n)
	if n != 0 {
		t.Fatalf("%d keys written by invalid input", n)
	}
	// Operator keys: no account, every scope implicitly (given scopes are dropped).
	op := mustCreate(t, s, apikeys.CreateInput{Product: "lumi-domains", Operator: true, Scopes: []string{"domains:read"}})
	if op.Key.AccountID != nil || len(op.Key.Scopes) != 0 || !op.Key.HasScope("domains:buy") || !op.Key.HasScope("admin:*") {
		t.Fatalf("operator key %+v", op.Key)
	}
	if op.Key.RateLimitPerMinute != apikeys.DefaultRateLimit {
		t.Fatalf("default rate limit %d", op.Key.RateLimitPerMinute)
	}
}

func TestCreateWithoutScopesGetsStandardScopes(t *testing.T) {
	t.Parallel()
	s, d := newService(t)
	acc := newAccount(t, d, "std@example.com")
	want := map[string][]string{
		apikeys.Luarmor:     {"keys:read", "keys:write", "scripts:write"},
		apikeys.LumiDomains: {"domains:read", "domains:write", "domains:buy", "deposits:write"},
		apikeys.Lumora:      {"email:send", "email:read", "domains:manage", "templates:manage"},
	}
	for _, p := range apikeys.Products {
		std := p.StandardScopes()
		if w, ok := want[p.ID]; ok {
			if diff := cmp.Diff(w, std); diff != "" {
				t.Errorf("%s standard scopes (-want +got):\n%s", p.ID, diff)
			}
		}
		if len(std) == 0 {
			t.Errorf("%s: no standard scopes", p.ID)
		}
		for _, sc := range [][]string{nil, {}, {" ", ""}} {
			c := mustCreate(t, s, apikeys.CreateInput{Product: p.ID, AccountID: &acc, Scopes: sc})
			if diff := cmp.Diff(std, c.Key.Scopes); diff != "" {
				t.Errorf("%s created with %q: scopes (-want +got):\n%s", p.ID, sc, diff)
			}
			if c.Key.HasScope("admin:*") {
				t.Errorf("%s: a default key holds the operator-only admin:*", p.ID)
			}
			// As stored: a key read back has the same scopes.
			got, err := s.Get(context.Background(), c.Key.ID)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(std, got.Scopes); diff != "" {
				t.Errorf("%s stored scopes (-want +got):\n%s", p.ID, diff)
			}
		}
	}
	// Chosen scopes are kept as chosen, not widened to the default.
	c := mustCreate(t, s, apikeys.CreateInput{Product: apikeys.Luarmor, AccountID: &acc, Scopes: []string{"keys:read"}})
	if diff := cmp.Diff([]string{"keys:read"}, c.Key.Scopes); diff != "" {
		t.Errorf("explicit scopes (-want +got):\n%s", diff)
	}
	// An invalid scope is still refused, not replaced by the default.
	if _, err := s.Create(context.Background(), actor, apikeys.CreateInput{Product: apikeys.Luarmor, AccountID: &acc, Scopes: []string{"nope"}}); err == nil {
		t.Error("unknown scope accepted")
	}
}

func TestHasScope(t *testing.T) {
	t.Parallel()
	k := apikeys.Key{Scopes: []string{"email:send", "admin:*"}}
	for s, want := range map[string]bool{"email:send": true, "email:read": false, "admin:users": true, "admin:*": true, "adminx": false, "": false} {
		if got := k.HasScope(s); got != want {
			t.Errorf("HasScope(%q) = %v", s, got)
		}
	}
}

func TestVerify(t *testing.T) {
	t.Parallel()
	s, d := newService(t)
	ctx := context.Background()
	acc := newAccount(t, d, "verify@example.com")
	domains := mustCreate(t, s, apikeys.CreateInput{Product: "lumi-domains", AccountID: &acc, Scopes: []string{"domains:read"}})
	revoked := mustCreate(t, s, apikeys.CreateInput{Product: "lumi-domains", AccountID: &acc, Scopes: []string{"domains:read"}})
	if _, err := s.Revoke(ctx, actor, revoked.Key.ID, "leaked"); err != nil {
		t.Fatal(err)
	}
	expired := mustCreate(t, s, apikeys.CreateInput{Product: "lumora", AccountID: &acc, Scopes: []string{"email:send"}})
	if _, err := d.Pool.Exec(ctx, "UPDATE api_keys SET expires_at = now() - interval '1 second' WHERE id = $1", expired.Key.ID); err != nil {
		t.Fatal(err)
	}
	lum := mustCreate(t, s, apikeys.CreateInput{Product: "lumora", AccountID: &acc, Scopes: []string{"email:send"}})
	if _, err := s.Verify(ctx, "lumora", lum.Secret, "ip"); err != nil {
		t.Fatalf("good key refused: %v", err)
	}
	// Hosting key with a domains secret's random part: right format, unknown hash.
	forged := "lumi_hosting_" + domains.Secret[len("lumi_domains_"):]
	cases := []struct{ name, product, secret string }{
		{"domains key on hosting", "lumi-hosting", domains.Secret},
		{"domains random part as hosting", "lumi-hosting", forged},
		{"revoked", "lumi-domains", revoked.Secret},
		{"expired", "lumora", expired.Secret},
		{"unknown", "lumora", "lum_sk_" + ids.Token(40)},
		{"empty", "lumora", ""},
		{"bad format", "lumora", "lum_sk_short"},
		{"luarmor upper-case hex", "luarmor", strings.ToUpper(ids.Hex(64))},
	}
	for _, tc := range cases {
		if _, err := s.Verify(ctx, tc.product, tc.secret, "ip"); !errors.Is(err, apikeys.ErrInvalidKey) {
			t.Errorf("%s: err = %v, want ErrInvalidKey", tc.name, err)
		}
	}
	// Keys of a suspended account stop working.
	if _, err := d.Pool.Exec(ctx, "UPDATE accounts SET status = 'suspended' WHERE id = $1", acc); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Verify(ctx, "lumora", lum.Secret, "ip"); !errors.Is(err, apikeys.ErrInvalidKey) {
		t.Errorf("suspended account: err = %v", err)
	}
	if _, err := s.Verify(ctx, "nope", lum.Secret, "ip"); err == nil || errors.Is(err, apikeys.ErrInvalidKey) {
		t.Errorf("unknown product: err = %v", err)
	}
}

func TestVerifyRecordsUseOncePerMinute(t *testing.T) {
	t.Parallel()
	s, d := newService(t)
	ctx := context.Background()
	acc := newAccount(t, d, "use@example.com")
	c := mustCreate(t, s, apikeys.CreateInput{Product: "lumira", AccountID: &acc, Scopes: []string{"ranking:read"}})
	lastUse := func() (time.Time, string) {
		var at time.Time
		var ip string
		if err := d.Pool.QueryRow(ctx, "SELECT last_used_at, last_used_ip FROM api_keys WHERE id = $1", c.Key.ID).Scan(&at, &ip); err != nil {
			t.Fatal(err)
		}
		return at, ip
	}
	if _, err := s.Verify(ctx, "lumira", c.Secret, "198.51.100.1"); err != nil {
		t.Fatal(err)
	}
	at1, ip1 := lastUse()
	if ip1 != "198.51.100.1" || time.Since(at1) > time.Minute {
		t.Fatalf("first use: %v %q", at1, ip1)
	}
	for i := 0; i < 20; i++ {
		if _, err := s.Verify(ctx, "lumira", c.Secret, "198.51.100.2"); err != nil {
			t.Fatal(err)
		}
	}
	at2, ip2 := lastUse()
	if !at2.Equal(at1) || ip2 != ip1 {
		t.Fatalf("use recorded again within the minute: %v %q", at2, ip2)
	}
	// A minute later the next request records its use.
	if _, err := d.Pool.Exec(ctx, "UPDATE api_keys SET last_used_at = now() - interval '61 seconds' WHERE id = $1", c.Key.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Verify(ctx, "lumira", c.Secret, "198.51.100.3"); err != nil {
		t.Fatal(err)
	}
	at3, ip3 := lastUse()
	if ip3 != "198.51.100.3" || time.Since(at3) > 10*time.Second {
		t.Fatalf("use after a minute: %v %q", at3, ip3)
	}
}

func TestRevokeAndRotate(t *testing.T) {
	t.Parallel()
	s, d := newService(t)
	ctx := context.Background()
	acc := newAccount(t, d, "rot@example.com")
	old := mustCreate(t, s, apikeys.CreateInput{Product: "lumi-proxy", AccountID: &acc, Name: "Proxy bot",
		Scopes: []string{"proxy:read", "proxy:buy"}, RateLimitPerMinute: 30, DailySpendCapCents: ptr(int64(500)), WithSigningSecret: true})

	var verr apikeys.ValidationError
	if _, err := s.Rotate(ctx, actor, old.Key.ID, "  "); !errors.As(err, &verr) || verr["reason"] == "" {
		t.Fatalf("rotate without reason: %v", err)
	}
	if _, err := s.Rotate(ctx, actor, 424242, "x"); !errors.Is(err, apikeys.ErrNotFound) {
		t.Fatalf("rotate missing key: %v", err)
	}
	nw, err := s.Rotate(ctx, actor, old.Key.ID, "scheduled rotation")
	if err != nil {
		t.Fatal(err)
	}
	if nw.Secret == old.Secret || nw.SigningSecret == "" || nw.SigningSecret == old.SigningSecret {
		t.Fatal("rotation must issue new secrets")
	}
	if _, err := s.Verify(ctx, "lumi-proxy", old.Secret, "ip"); !errors.Is(err, apikeys.ErrInvalidKey) {
		t.Fatalf("old key still works: %v", err)
	}
	got, err := s.Verify(ctx, "lumi-proxy", nw.Secret, "ip")
	if err != nil {
		t.Fatalf("new key refused: %v", err)
	}
	if sig, err := s.SigningSecret(got); err != nil || sig != nw.SigningSecret {
		t.Fatalf("new signing secret %q %v", sig, err)
	}
	oldNow, _ := s.Get(ctx, old.Key.ID)
	if oldNow.Status() != apikeys.StatusRevoked || oldNow.RevokedReason != "rotated: scheduled rotation" {
		t.Fatalf("old key after rotate: %+v", oldNow)
	}
	want := old.Key
	want.ID, want.Prefix, want.CreatedAt, want.RotatedFromID = got.ID, got.Prefix, got.CreatedAt, &old.Key.ID
	if diff := cmp.Diff(want, got, cmpopts.IgnoreUnexported(apikeys.Key{}), cmpopts.IgnoreFields(apikeys.Key{}, "LastUsedAt", "LastUsedIP")); diff != "" {
		t.Fatalf("rotated key settings (-want +got):\n%s", diff)
	}
	if _, err := s.Rotate(ctx, actor, old.Key.ID, "again"); !errors.Is(err, apikeys.ErrAlreadyRevoked) {
		t.Fatalf("rotate revoked: %v", err)
	}
	if _, err := s.Revoke(ctx, actor, old.Key.ID, "again"); !errors.Is(err, apikeys.ErrAlreadyRevoked) {
		t.Fatalf("revoke revoked: %v", err)
	}
	if _, err := s.Revoke(ctx, actor, nw.Key.ID, ""); !errors.As(err, &verr) {
		t.Fatalf("revoke without reason: %v", err)
	}
	if _, err := s.Revoke(ctx, actor, nw.Key.ID, strings.Repeat("r", 501)); !errors.As(err, &verr) {
		t.Fatalf("revoke with long reason: %v", err)
	}
	k, err := s.Revoke(ctx, actor, nw.Key.ID, "customer left")
	if err != nil || k.Status() != apikeys.StatusRevoked || k.RevokedReason != "customer left" {
		t.Fatalf("Revoke = %+v, %v", k, err)
	}
	if _, err := s.Revoke(ctx, actor, 999999, "x"); !errors.Is(err, apikeys.ErrNotFound) {
		t.Fatalf("revoke missing: %v", err)
	}
	for action, n := range map[string]int{"api_key.create": 2, "api_key.rotate": 1, "api_key.revoke": 1} {
		if got := auditCount(t, d, action); got != n {
			t.Errorf("%s audit rows = %d, want %d", action, got, n)
		}
	}
	var reason string
	_ = d.Pool.QueryRow(ctx, "SELECT reason FROM audit_events WHERE action = 'api_key.revoke'").Scan(&reason)
	if reason != "customer left" {
		t.Errorf("audit reason %q", reason)
	}
	// Expired keys are not rotated.
	exp := mustCreate(t, s, apikeys.CreateInput{Product: "lumio", AccountID: &acc, Scopes: []string{"extensions:read"}})
	_, _ = d.Pool.Exec(ctx, "UPDATE api_keys SET expires_at = now() - interval '1 minute' WHERE id = $1", exp.Key.ID)
	if _, err := s.Rotate(ctx, actor, exp.Key.ID, "x"); !errors.Is(err, apikeys.ErrExpired) {
		t.Fatalf("rotate expired: %v", err)
	}
}

func TestAllow(t *testing.T) {
	t.Parallel()
	s, d := newService(t)
	ctx := context.Background()
	acc := newAccount(t, d, "rl@example.com")
	k := mustCreate(t, s, apikeys.CreateInput{Product: "lumio", AccountID: &acc, Scopes: []string{"extensions:read"}}).Key

	for i := 1; i <= 5; i++ {
		ok, retry, err := s.Allow(ctx, k.ID, "minute", 5, time.Minute, 1)
		if err != nil || !ok || retry != 0 {
			t.Fatalf("request %d: %v %v %v", i, ok, retry, err)
		}
	}
	ok, retry, err := s.Allow(ctx, k.ID, "minute", 5, time.Minute, 1)
	if err != nil || ok {
		t.Fatalf("6th request allowed: %v %v", ok, err)
	}
	// One token comes back every 12 s; the first arrived just now.
	if retry < 10*time.Second || retry > 12*time.Second {
		t.Fatalf("retry after %v, want ~12s", retry)
	}
	// Buckets are independent.
	if ok, _, _ := s.Allow(ctx, k.ID, "money", 5, time.Minute, 1); !ok {
		t.Fatal("other bucket refused")
	}

	// Bulk: cost spends several tokens.
	costs := []struct {
		cost int
		ok   bool
	}{{4, true}, {4, true}, {4, false}, {2, true}, {1, false}, {11, false}}
	for i, c := range costs {
		ok, retry, err := s.Allow(ctx, k.ID, "bulk", 10, time.Hour, c.cost)
		if err != nil || ok != c.ok {
			t.Fatalf("bulk %d (cost %d): ok=%v err=%v", i, c.cost, ok, err)
		}
		if !ok && retry <= 0 {
			t.Fatalf("bulk %d: no retry-after", i)
		}
	}
	if _, _, err := s.Allow(ctx, k.ID, "x", 0, time.Minute, 1); !errors.Is(err, apikeys.ErrBadLimit) {
		t.Fatalf("limit 0: %v", err)
	}
	// After the window passes (simulated by moving tat back), tokens return.
	if _, err := d.Pool.Exec(ctx, "UPDATE api_rate_limits SET tat = tat - interval '1 minute' WHERE key_id = $1 AND bucket = 'minute'", k.ID); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 5; i++ {
		if ok, _, _ := s.Allow(ctx, k.ID, "minute", 5, time.Minute, 1); !ok {
			t.Fatalf("request %d after the window refused", i)
		}
	}
}

// Two services on two pools over one database stand for two server
// processes: 50 concurrent requests against a limit of 20 let exactly 20 in.
func TestAllowAcrossProcesses(t *testing.T) {
	t.Parallel()
	url := testdb.NewURL(t)
	ctx := context.Background()
	var services []*apikeys.Service
	var pools []*pgxpool.Pool
	for i := 0; i < 2; i++ {
		cfg, err := pgxpool.ParseConfig(url)
		if err != nil {
			t.Fatal(err)
		}
		cfg.MaxConns = 8
		pool, err := pgxpool.NewWithConfig(ctx, cfg)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(pool.Close)
		pools = append(pools, pool)
		services = append(services, serviceOn(db.New(pool)))
	}
	acc := newAccount(t, db.New(pools[0]), "many@example.com")
	k := mustCreate(t, services[0], apikeys.CreateInput{Product: "lumira", AccountID: &acc, Scopes: []string{"notify:send"}}).Key

	if n := allowedAtOnce(t, services, 50, func(s *apikeys.Service) (bool, time.Duration, error) {
		return s.Allow(ctx, k.ID, "minute", 20, time.Hour, 1)
	}); n != 20 {
		t.Fatalf("allowed %d of 50, want exactly 20", n)
	}
}

// A cost above the limit (a bulk request of more items than the bucket
// holds) is allowed on a full bucket and leaves the key in debt: the next
// requests wait until the whole cost has refilled, so one token per item
// still holds, and the big request itself is never refused forever.
func TestAllowCostAboveLimit(t *testing.T) {
	t.Parallel()
	s, d := newService(t)
	ctx := context.Background()
	acc := newAccount(t, d, "debt@example.com")
	k := mustCreate(t, s, apikeys.CreateInput{Product: "lumio", AccountID: &acc, Scopes: []string{"extensions:read"}}).Key

	// 5 a minute (one token every 12 s); 12 tokens on a full bucket.
	ok, retry, err := s.Allow(ctx, k.ID, "money", 5, time.Minute, 12)
	if err != nil || !ok || retry != 0 {
		t.Fatalf("cost 12 on a full bucket: %v %v %v", ok, retry, err)
	}
	// The debt: 12 × 12 s = 144 s spent, 60 s of it the bucket; the next
	// token is 12 s after that.
	ok, retry, err = s.Allow(ctx, k.ID, "money", 5, time.Minute, 1)
	if err != nil || ok {
		t.Fatalf("request in debt allowed: %v %v", ok, err)
	}
	if retry < 94*time.Second || retry > 96*time.Second {
		t.Fatalf("retry after %v, want ~96s", retry)
	}
	// Another big one waits for the bucket to be full again (tat = now).
	ok, retry, err = s.Allow(ctx, k.ID, "money", 5, time.Minute, 12)
	if err != nil || ok {
		t.Fatalf("second big request allowed in debt: %v %v", ok, err)
	}
	if retry < 142*time.Second || retry > 144*time.Second {
		t.Fatalf("big retry after %v, want ~144s", retry)
	}
	// Once the debt has refilled (96 s on, as the first refusal said), one
	// token fits again.
	if _, err := d.Pool.Exec(ctx, "UPDATE api_rate_limits SET tat = tat - interval '97 seconds' WHERE key_id = $1 AND bucket = 'money'", k.ID); err != nil {
		t.Fatal(err)
	}
	if ok, _, err := s.Allow(ctx, k.ID, "money", 5, time.Minute, 1); err != nil || !ok {
		t.Fatalf("after the debt: %v %v", ok, err)
	}
	// A bucket that is not full refuses the big request, however little is spent.
	if ok, _, _ := s.Allow(ctx, k.ID, "fresh", 5, time.Minute, 1); !ok {
		t.Fatal("first token refused")
	}
	ok, retry, err = s.Allow(ctx, k.ID, "fresh", 5, time.Minute, 6)
	if err != nil || ok || retry <= 0 || retry > 12*time.Second {
		t.Fatalf("cost 6 with 4 tokens left: %v %v %v", ok, retry, err)
	}
}

// Two processes: of 10 concurrent requests above the limit on one full
// bucket, exactly one is let in.
func TestAllowCostAboveLimitAcrossProcesses(t *testing.T) {
	t.Parallel()
	url := testdb.NewURL(t)
	ctx := context.Background()
	var services []*apikeys.Service
	var pools []*pgxpool.Pool
	for i := 0; i < 2; i++ {
		pool, err := pgxpool.New(ctx, url)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(pool.Close)
		pools = append(pools, pool)
		services = append(services, serviceOn(db.New(pool)))
	}
	acc := newAccount(t, db.New(pools[0]), "bigmany@example.com")
	k := mustCreate(t, services[0], apikeys.CreateInput{Product: "lumira", AccountID: &acc, Scopes: []string{"notify:send"}}).Key
	// One row first, so every request races on the same row's update.
	if ok, _, err := services[0].Allow(ctx, k.ID, "money", 20, time.Minute, 1); err != nil || !ok {
		t.Fatalf("first: %v %v", ok, err)
	}
	if _, err := pools[0].Exec(ctx, "UPDATE api_rate_limits SET tat = now() - interval '1 second' WHERE key_id = $1", k.ID); err != nil {
		t.Fatal(err)
	}
	if n := allowedAtOnce(t, services, 10, func(s *apikeys.Service) (bool, time.Duration, error) {
		return s.Allow(ctx, k.ID, "money", 20, time.Minute, 50)
	}); n != 1 {
		t.Fatalf("allowed %d of 10, want exactly 1", n)
	}
}

// allowedAtOnce runs n requests at once, alternately through each process's
// service, and counts the ones allow let in.
func allowedAtOnce(t *testing.T, services []*apikeys.Service, n int, allow func(*apikeys.Service) (bool, time.Duration, error)) int64 {
	t.Helper()
	var allowed atomic.Int64
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		wg.Add(1)
		go func(s *apikeys.Service) {
			defer wg.Done()
			<-start
			ok, _, err := allow(s)
			if err != nil {
				t.Error(err)
			}
			if ok {
				allowed.Add(1)
			}
		}(services[i%len(services)])
	}
	close(start)
	wg.Wait()
	return allowed.Load()
}
