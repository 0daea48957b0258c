package lumi_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"lumdesk/handlers/server"
	"lumdesk/handlers/server/servertest"
	"lumdesk/handlers/web"
	"lumdesk/internal/accounts"
	"lumdesk/internal/apikeys"
	"lumdesk/internal/audit"
	"lumdesk/internal/billing"
	"lumdesk/internal/billing/products"
	"lumdesk/internal/platform/config"
	"lumdesk/internal/platform/money"
)

// tapp is one server process (its own pool and services) over a database.
type tapp struct {
	t      testing.TB
	URL    string
	Svc    *server.Services
	Routes []web.Route
}

var actor = audit.CLI("lumi-api-test")

// newDBURL makes a fresh migrated database with room for concurrent tests.
func newDBURL(t testing.TB) string { return servertest.NewDBURL(t) }

// startApp runs the whole app on loopback over dbURL, as cmd/web serve would.
func startApp(t testing.TB, dbURL string, opts ...func(*config.Config)) *tapp {
	t.Helper()
	all := []servertest.Option{func(c *config.Config) { c.BillingApprovalLimit = money.Cents(1_000_000_00) }}
	for _, o := range opts {
		all = append(all, o)
	}
	env := servertest.NewOn(t, dbURL, all...)
	return &tapp{t: t, URL: env.URL, Svc: env.Services, Routes: env.Handlers.Table()}
}

func (a *tapp) products() *products.Service { return a.Svc.Products }

func (a *tapp) account(name string) int64 {
	a.t.Helper()
	acc, err := a.Svc.Accounts.Create(context.Background(), actor, accounts.CreateInput{Name: name,
		Email: strings.ToLower(name) + "-" + time.Now().Format("150405.000000") + "@example.test"})
	if err != nil {
		a.t.Fatal(err)
	}
	return acc.ID
}

func (a *tapp) topUp(acc int64, amount string) {
	a.t.Helper()
	if _, err := a.Svc.Billing.ManualTopUp(context.Background(), actor, billing.ManualInput{AccountID: acc, Amount: amount, Reason: "test top-up"}); err != nil {
		a.t.Fatal(err)
	}
}

func (a *tapp) balance(acc int64) money.Cents {
	a.t.Helper()
	b, err := a.Svc.Billing.Balance(context.Background(), acc)
	if err != nil {
		a.t.Fatal(err)
	}
	return b.Amount
}

// prices sets .com at 10.00/12.00, VPS plan "small" at 5.00/month and proxy
// plan "res" at 2.00/month.
func (a *tapp) prices() {
	a.t.Helper()
	ctx, p := context.Background(), a.products()
	from := time.Now().Add(-time.Hour)
	if _, err := p.SetTLDPrice(ctx, actor, products.TLDPrice{TLD: "com", Register: 1000, Renew: 1200, Transfer: 1000, EffectiveFrom: from}); err != nil {
		a.t.Fatal(err)
	}
	if _, err := p.SetPlanPrice(ctx, actor, products.PlanPrice{Product: products.ProductVPS, Plan: "small", Title: "Small", Monthly: 500, EffectiveFrom: from}); err != nil {
		a.t.Fatal(err)
	}
	if _, err := p.SetPlanPrice(ctx, actor, products.PlanPrice{Product: products.ProductProxy, Plan: "res", Title: "Residential", Monthly: 200, EffectiveFrom: from}); err != nil {
		a.t.Fatal(err)
	}
}

type keyOpt func(*apikeys.CreateInput)

func withCap(c money.Cents) keyOpt {
	return func(in *apikeys.CreateInput) { v := int64(c); in.DailySpendCapCents = &v }
}
func withSigning(in *apikeys.CreateInput) { in.WithSigningSecret = true }
func withRate(n int) keyOpt               { return func(in *apikeys.CreateInput) { in.RateLimitPerMinute = n } }
func withScopes(s ...string) keyOpt       { return func(in *apikeys.CreateInput) { in.Scopes = s } }
func operatorKey(in *apikeys.CreateInput) { in.Operator, in.AccountID, in.Scopes = true, nil, nil }

var allScopes = map[string][]string{
	apikeys.LumiDomains: {"domains:read", "domains:write", "domains:buy", "deposits:write"},
	apikeys.LumiHosting: {"vps:read", "vps:write", "vps:buy", "deposits:write"},
	apikeys.LumiProxy:   {"proxy:read", "proxy:write", "proxy:buy", "deposits:write"},
}

func (a *tapp) key(product string, acc int64, opts ...keyOpt) apikeys.Created {
	a.t.Helper()
	in := apikeys.CreateInput{Product: product, AccountID: &acc, Name: "test", Scopes: allScopes[product]}
	for _, o := range opts {
		o(&in)
	}
	c, err := a.Svc.APIKeys.Create(context.Background(), actor, in)
	if err != nil {
		a.t.Fatal(err)
	}
	return c
}

// resp is an API answer.
type resp struct {
	Status int
	Header http.Header
	Raw    []byte
	JSON   map[string]any
}

func (r resp) code() string {
	e, _ := r.JSON["error"].(map[string]any)
	s, _ := e["code"].(string)
	return s
}

func (r resp) message() string {
	e, _ := r.JSON["error"].(map[string]any)
	s, _ := e["message"].(string)
	return s
}

var client = &http.Client{Timeout: 120 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 200, MaxConnsPerHost: 300}}

// do sends a request; secret "" sends no Authorization; hdr are extra
// headers as name, value pairs.
func (a *tapp) do(method, path, secret, body string, hdr ...string) resp {
	a.t.Helper()
	r, err := a.try(method, path, secret, body, hdr...)
	if err != nil {
		a.t.Fatal(err)
	}
	return r
}

func (a *tapp) try(method, path, secret, body string, hdr ...string) (resp, error) {
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, a.URL+path, rd)
	if err != nil {
		return resp{}, err
	}
	if secret != "" {
		req.Header.Set("Authorization", "Bearer "+secret)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	res, err := client.Do(req)
	if err != nil {
		return resp{}, err
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(res.Body)
	if err != nil {
		return resp{}, err
	}
	out := resp{Status: res.StatusCode, Header: res.Header, Raw: raw}
	_ = json.Unmarshal(raw, &out.JSON)
	return out, nil
}

func (a *tapp) ledgerCount(acc int64, kind string) int {
	a.t.Helper()
	var n int
	if err := a.Svc.DB.Pool.QueryRow(context.Background(),
		"SELECT count(*) FROM ledger_entries WHERE account_id = $1 AND kind = $2", acc, kind).Scan(&n); err != nil {
		a.t.Fatal(err)
	}
	return n
}

func expect(t testing.TB, r resp, status int, code string) {
	t.Helper()
	if r.Status != status || r.code() != code {
		t.Fatalf("got %d %q (%s), want %d %q", r.Status, r.code(), r.Raw, status, code)
	}
}
