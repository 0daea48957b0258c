package apikit_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http/httptest"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/google/go-cmp/cmp"
	"github.com/jackc/pgx/v5/pgxpool"

	"lumdesk/handlers/api/apikit"
	"lumdesk/internal/apikeys"
	"lumdesk/internal/audit"
	"lumdesk/internal/platform/db"
	"lumdesk/internal/platform/secretbox"
	"lumdesk/internal/platform/testdb"
)

// writeErr is a stand-in product envelope: {"code": ..., "message": ...}.
func writeErr(c *fiber.Ctx, status int, code, msg string) error {
	return c.Status(status).JSON(fiber.Map{"code": code, "message": msg})
}

// newApp is one "server process": its own pool and service over the shared
// database, and a throwaway product API guarded by apikit.
func newApp(t *testing.T, url, product string, style apikit.Style) (*fiber.App, *apikeys.Service, *db.DB) {
	t.Helper()
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		t.Fatal(err)
	}
	cfg.MaxConns = 8
	pool, err := pgxpool.NewWithConfig(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	d := db.New(pool)
	box, _ := secretbox.New(bytes.Repeat([]byte{3}, 32))
	svc := apikeys.NewService(d, box)
	app := fiber.New(fiber.Config{DisableStartupMessage: true})
	api := app.Group("/api", apikit.Auth(svc, product, style, writeErr))
	api.Get("/whoami", func(c *fiber.Ctx) error {
		k, ok := apikit.KeyOf(c)
		if !ok {
			return c.SendStatus(500)
		}
		a := apikit.Actor(c)
		return c.JSON(fiber.Map{"id": k.ID, "prefix": k.Prefix, "actor_kind": a.Kind, "actor_id": a.ID})
	})
	api.Post("/send", apikit.RequireScope("email:send", writeErr), func(c *fiber.Ctx) error { return c.SendString("sent") })
	api.Post("/templates", apikit.RequireScope("templates:manage", writeErr), func(c *fiber.Ctx) error { return c.SendString("ok") })
	return app, svc, d
}

type result struct {
	Status     int
	Code       string
	RetryAfter string
}

func call(t *testing.T, app *fiber.App, method, path string, header map[string]string) result {
	t.Helper()
	req := httptest.NewRequest(method, path, nil)
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := app.Test(req, 10_000)
	if err != nil {
		t.Error(err)
		return result{}
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	var env struct{ Code string }
	_ = json.Unmarshal(body, &env)
	return result{Status: resp.StatusCode, Code: env.Code, RetryAfter: resp.Header.Get("Retry-After")}
}

func newAccount(t *testing.T, d *db.DB) int64 {
	t.Helper()
	var id int64
	if err := d.Pool.QueryRow(context.Background(), "INSERT INTO accounts (name, email) VALUES ('A', 'a@example.com') RETURNING id").Scan(&id); err != nil {
		t.Fatal(err)
	}
	return id
}

func TestKeyFromRequest(t *testing.T) {
	app := fiber.New()
	var got string
	for _, style := range []apikit.Style{apikit.Raw, apikit.Bearer, apikit.APIKeyOrBearer} {
		app.Get("/"+strconv.Itoa(int(style)), func(c *fiber.Ctx) error { got = apikit.KeyFromRequest(c, style); return nil })
	}
	cases := []struct {
		style  apikit.Style
		header map[string]string
		want   string
	}{
		{apikit.Raw, map[string]string{"Authorization": "abc123"}, "abc123"},
		{apikit.Raw, map[string]string{"Authorization": "Bearer abc123"}, "abc123"},
		{apikit.Raw, nil, ""},
		{apikit.Bearer, map[string]string{"Authorization": "Bearer lm_dev_x"}, "lm_dev_x"},
		{apikit.Bearer, map[string]string{"Authorization": "bearer  lm_dev_x "}, "lm_dev_x"},
		{apikit.Bearer, map[string]string{"Authorization": "lm_dev_x"}, ""},
		{apikit.Bearer, map[string]string{"Authorization": "Basic dXNlcg=="}, ""},
		{apikit.Bearer, map[string]string{"X-Api-Key": "lum_sk_x"}, ""},
		{apikit.APIKeyOrBearer, map[string]string{"x-api-key": "lum_sk_x"}, "lum_sk_x"},
		{apikit.APIKeyOrBearer, map[string]string{"Authorization": "Bearer lum_sk_y"}, "lum_sk_y"},
		{apikit.APIKeyOrBearer, map[string]string{"x-api-key": "lum_sk_x", "Authorization": "Bearer lum_sk_y"}, "lum_sk_x"},
		{apikit.APIKeyOrBearer, map[string]string{"Authorization": "lum_sk_y"}, ""},
	}
	for i, tc := range cases {
		got = "unset"
		req := httptest.NewRequest("GET", "/"+strconv.Itoa(int(tc.style)), nil)
		for k, v := range tc.header {
			req.Header.Set(k, v)
		}
		if _, err := app.Test(req); err != nil {
			t.Fatal(err)
		}
		if got != tc.want {
			t.Errorf("case %d: got %q, want %q", i, got, tc.want)
		}
	}
}

func TestAuthAndScopes(t *testing.T) {
	url := testdb.NewURL(t)
	app, svc, d := newApp(t, url, "lumora", apikit.APIKeyOrBearer)
	ctx := context.Background()
	acc := newAccount(t, d)
	actor := audit.CLI("apikit test")
	sender, err := svc.Create(ctx, actor, apikeys.CreateInput{Product: "lumora", AccountID: &acc, Scopes: []string{"email:send"}})
	if err != nil {
		t.Fatal(err)
	}
	other, _ := svc.Create(ctx, actor, apikeys.CreateInput{Product: "lumira", AccountID: &acc, Scopes: []string{"notify:send"}})
	revoked, _ := svc.Create(ctx, actor, apikeys.CreateInput{Product: "lumora", AccountID: &acc, Scopes: []string{"email:send"}})
	if _, err := svc.Revoke(ctx, actor, revoked.Key.ID, "test"); err != nil {
		t.Fatal(err)
	}
	op, _ := svc.Create(ctx, actor, apikeys.CreateInput{Product: "lumora", Operator: true})

	cases := []struct {
		name, method, path string
		header             map[string]string
		want               result
	}{
		{"no key", "GET", "/api/whoami", nil, result{Status: 401, Code: "missing_bearer"}},
		{"x-api-key", "GET", "/api/whoami", map[string]string{"x-api-key": sender.Secret}, result{Status: 200}},
		{"bearer", "GET", "/api/whoami", map[string]string{"Authorization": "Bearer " + sender.Secret}, result{Status: 200}},
		{"other product's key", "GET", "/api/whoami", map[string]string{"x-api-key": other.Secret}, result{Status: 401, Code: "invalid_key"}},
		{"revoked", "GET", "/api/whoami", map[string]string{"x-api-key": revoked.Secret}, result{Status: 401, Code: "invalid_key"}},
		{"garbage", "GET", "/api/whoami", map[string]string{"x-api-key": "lum_sk_nope"}, result{Status: 401, Code: "invalid_key"}},
		{"scope held", "POST", "/api/send", map[string]string{"x-api-key": sender.Secret}, result{Status: 200}},
		{"scope missing", "POST", "/api/templates", map[string]string{"x-api-key": sender.Secret}, result{Status: 403, Code: "forbidden_scope"}},
		{"operator holds all", "POST", "/api/templates", map[string]string{"x-api-key": op.Secret}, result{Status: 200}},
	}
	for _, tc := range cases {
		if diff := cmp.Diff(tc.want, call(t, app, tc.method, tc.path, tc.header)); diff != "" {
			t.Errorf("%s (-want +got):\n%s", tc.name, diff)
		}
	}

	// KeyOf and Actor carry the key.
	req := httptest.NewRequest("GET", "/api/whoami", nil)
	req.Header.Set("x-api-key", sender.Secret)
	resp, _ := app.Test(req)
	var who map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&who)
	want := map[string]any{"id": float64(sender.Key.ID), "prefix": sender.Key.Prefix, "actor_kind": "api_key", "actor_id": strconv.FormatInt(sender.Key.ID, 10)}
	if diff := cmp.Diff(want, who); diff != "" {
		t.Errorf("whoami (-want +got):\n%s", diff)
	}
}

func TestRateLimit(t *testing.T) {
	url := testdb.NewURL(t)
	app, svc, d := newApp(t, url, "lumio", apikit.Bearer)
	acc := newAccount(t, d)
	k, err := svc.Create(context.Background(), audit.CLI("t"), apikeys.CreateInput{Product: "lumio", AccountID: &acc, Scopes: []string{"extensions:read"}, RateLimitPerMinute: 3})
	if err != nil {
		t.Fatal(err)
	}
	h := map[string]string{"Authorization": "Bearer " + k.Secret}
	for i := 0; i < 3; i++ {
		if r := call(t, app, "GET", "/api/whoami", h); r.Status != 200 {
			t.Fatalf("request %d: %+v", i, r)
		}
	}
	r := call(t, app, "GET", "/api/whoami", h)
	// 3 per minute: the next token is due ~20 s after the first request.
	if r.Status != 429 || r.Code != "rate_limited" {
		t.Fatalf("4th request: %+v", r)
	}
	secs, err := strconv.Atoi(r.RetryAfter)
	if err != nil || secs < 15 || secs > 20 {
		t.Fatalf("Retry-After %q, want ~20", r.RetryAfter)
	}
	// Refused keys are not charged: an invalid key gets 401, not 429.
	if r := call(t, app, "GET", "/api/whoami", map[string]string{"Authorization": "Bearer lm_dev_" + "x"}); r.Status != 401 {
		t.Fatalf("invalid key: %+v", r)
	}
}

// Two apps, each with its own pool over one database, are two server
// processes: 50 concurrent requests against a key limited to 20/minute let
// exactly 20 through, whichever process serves them.
func TestRateLimitAcrossProcesses(t *testing.T) {
	url := testdb.NewURL(t)
	app1, svc, d := newApp(t, url, "lumira", apikit.Bearer)
	app2, _, _ := newApp(t, url, "lumira", apikit.Bearer)
	acc := newAccount(t, d)
	k, err := svc.Create(context.Background(), audit.CLI("t"), apikeys.CreateInput{Product: "lumira", AccountID: &acc, Scopes: []string{"ranking:read"}, RateLimitPerMinute: 20})
	if err != nil {
		t.Fatal(err)
	}
	h := map[string]string{"Authorization": "Bearer " + k.Secret}
	var ok, limited atomic.Int64
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := 0; i < 50; i++ {
		app := app1
		if i%2 == 1 {
			app = app2
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			switch r := call(t, app, "GET", "/api/whoami", h); r.Status {
			case 200:
				ok.Add(1)
			case 429:
				if r.RetryAfter == "" {
					t.Error("429 without Retry-After")
				}
				limited.Add(1)
			default:
				t.Errorf("status %d", r.Status)
			}
		}()
	}
	began := time.Now()
	close(start)
	wg.Wait()
	// GCRA refills one token every 3 s at 20/minute: on a slow machine the
	// burst may earn a few more, but never more than elapsed time allows.
	extra := int64(time.Since(began) / (3 * time.Second))
	if ok.Load() < 20 || ok.Load() > 20+extra || ok.Load()+limited.Load() != 50 {
		t.Fatalf("allowed %d, limited %d in %s; want 20 (+%d refilled) allowed and the rest limited", ok.Load(), limited.Load(), time.Since(began), extra)
	}
	// Use was recorded once, not per request.
	var ip string
	if err := d.Pool.QueryRow(context.Background(), "SELECT last_used_ip FROM api_keys WHERE id = $1", k.Key.ID).Scan(&ip); err != nil || ip == "" {
		t.Fatalf("last_used_ip %q %v", ip, err)
	}
}

func TestRetryAfterSeconds(t *testing.T) {
	for d, want := range map[int64]int{0: 1, 1: 1, 999_999_999: 1, 1_000_000_000: 1, 1_000_000_001: 2, 12_300_000_000: 13} {
		if got := apikit.RetryAfterSeconds(time.Duration(d)); got != want {
			t.Errorf("RetryAfterSeconds(%dns) = %d, want %d", d, got, want)
		}
	}
}

// AuthOnly spends none of the key's per-minute limit; Spend spends its
// own bucket and answers 429 with Retry-After.
func TestAuthOnlyWithOwnBucket(t *testing.T) {
	url := testdb.NewURL(t)
	_, svc, d := newApp(t, url, "lumio", apikit.Bearer)
	app := fiber.New(fiber.Config{DisableStartupMessage: true})
	app.Get("/api/read", apikit.AuthOnly(svc, "lumio", apikit.Bearer, writeErr), func(c *fiber.Ctx) error {
		if ok, err := apikit.Spend(c, svc, apikit.Limit{Bucket: "reads", Requests: 2, Window: time.Hour}, writeErr); !ok {
			return err
		}
		return c.SendString("ok")
	})
	acc := newAccount(t, d)
	k, err := svc.Create(context.Background(), audit.CLI("t"), apikeys.CreateInput{Product: "lumio", AccountID: &acc, Scopes: []string{"extensions:read"}, RateLimitPerMinute: 1})
	if err != nil {
		t.Fatal(err)
	}
	h := map[string]string{"Authorization": "Bearer " + k.Secret}
	for i := 0; i < 2; i++ {
		if r := call(t, app, "GET", "/api/read", h); r.Status != 200 {
			t.Fatalf("request %d (the key's own limit is 1/minute and must not apply): %+v", i, r)
		}
	}
	r := call(t, app, "GET", "/api/read", h)
	secs, _ := strconv.Atoi(r.RetryAfter)
	if r.Status != 429 || r.Code != "rate_limited" || secs < 1700 || secs > 1800 {
		t.Fatalf("3rd request: %+v", r)
	}
	if r := call(t, app, "GET", "/api/read", map[string]string{"Authorization": "Bearer lm_dev_x"}); r.Status != 401 || r.Code != "invalid_key" {
		t.Fatalf("invalid key: %+v", r)
	}
}
