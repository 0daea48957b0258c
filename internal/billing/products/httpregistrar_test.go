package products_test

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"lumdesk/internal/billing/products"
)

// fakeGateway speaks the HTTPRegistrar wire format.
func fakeGateway(t *testing.T) (*httptest.Server, *[]string) {
	var calls []string
	mux := http.NewServeMux()
	fail := func(w http.ResponseWriter, status int, code, msg string) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		_ = json.NewEncoder(w).Encode(map[string]any{"error": map[string]string{"code": code, "message": msg}})
	}
	ok := func(w http.ResponseWriter, status int, v any) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		_ = json.NewEncoder(w).Encode(v)
	}
	auth := func(h http.HandlerFunc) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			calls = append(calls, r.Method+" "+r.URL.EscapedPath())
			if r.Header.Get("Authorization") != "Bearer good-key" {
				fail(w, 401, "unauthorized", "bad key")
				return
			}
			h(w, r)
		}
	}
	mux.HandleFunc("POST /domains/check", auth(func(w http.ResponseWriter, r *http.Request) {
		var in struct{ Name string }
		_ = json.NewDecoder(r.Body).Decode(&in)
		ok(w, 200, map[string]bool{"available": in.Name != "taken.com"})
	}))
	mux.HandleFunc("POST /domains", auth(func(w http.ResponseWriter, r *http.Request) {
		var in products.RegisterRequest
		if err := json.NewDecoder(r.Body).Decode(&in); err != nil || r.Header.Get("Content-Type") != "application/json" {
			fail(w, 400, "bad_request", "bad body")
			return
		}
		switch in.Name {
		case "refused.com":
			fail(w, 422, "invalid_name", "the registry refuses this name")
		case "boom.com":
			fail(w, 503, "maintenance", "try later")
		default:
			ok(w, 201, map[string]string{"ref": "R-" + in.Name + "-" + strings.Join(in.Nameservers, ",")})
		}
	}))
	mux.HandleFunc("POST /domains/{name}/renew", auth(func(w http.ResponseWriter, r *http.Request) { ok(w, 200, map[string]any{}) }))
	mux.HandleFunc("PUT /domains/{name}/nameservers", auth(func(w http.ResponseWriter, r *http.Request) { ok(w, 200, map[string]any{}) }))
	mux.HandleFunc("PUT /domains/{name}/lock", auth(func(w http.ResponseWriter, r *http.Request) {
		if r.PathValue("name") == "stuck.com" {
			fail(w, 409, "locked", "pending transfer")
			return
		}
		ok(w, 200, map[string]any{})
	}))
	mux.HandleFunc("PUT /domains/{name}/privacy", auth(func(w http.ResponseWriter, r *http.Request) { ok(w, 200, map[string]any{}) }))
	mux.HandleFunc("GET /domains/{name}/epp", auth(func(w http.ResponseWriter, r *http.Request) {
		ok(w, 200, map[string]string{"epp_code": "EPP-" + r.PathValue("name")})
	}))
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv, &calls
}

func TestHTTPRegistrarSuccess(t *testing.T) {
	t.Parallel()
	srv, calls := fakeGateway(t)
	r := &products.HTTPRegistrar{BaseURL: srv.URL + "/", APIKey: "good-key", Client: srv.Client()}
	if r.Sandbox() {
		t.Fatal("HTTP registrar claims to be a sandbox")
	}
	avail, err := r.Check(ctx, "free.com")
	if err != nil || !avail {
		t.Fatalf("check free: %v %v", avail, err)
	}
	if avail, err := r.Check(ctx, "taken.com"); err != nil || avail {
		t.Fatalf("check taken: %v %v", avail, err)
	}
	ref, err := r.Register(ctx, products.RegisterRequest{Name: "free.com", Years: 1, Nameservers: []string{"ns1.a.net", "ns2.a.net"}})
	if err != nil || ref != "R-free.com-ns1.a.net,ns2.a.net" {
		t.Fatalf("register: %q %v", ref, err)
	}
	for _, err := range []error{r.Renew(ctx, "free.com", 2), r.SetNameservers(ctx, "free.com", []string{"ns1.b.net", "ns2.b.net"}),
		r.SetLock(ctx, "free.com", true), r.SetPrivacy(ctx, "free.com", false)} {
		if err != nil {
			t.Fatal(err)
		}
	}
	code, err := r.GetEPP(ctx, "free.com")
	if err != nil || code != "EPP-free.com" {
		t.Fatalf("epp %q %v", code, err)
	}
	want := []string{"POST /domains/check", "POST /domains/check", "POST /domains", "POST /domains/free.com/renew",
		"PUT /domains/free.com/nameservers", "PUT /domains/free.com/lock", "PUT /domains/free.com/privacy", "GET /domains/free.com/epp"}
	if diff := cmp.Diff(want, *calls); diff != "" {
		t.Fatal(diff)
	}
}

func TestHTTPRegistrarErrors(t *testing.T) {
	t.Parallel()
	srv, _ := fakeGateway(t)
	r := &products.HTTPRegistrar{BaseURL: srv.URL, APIKey: "good-key", Client: srv.Client()}
	var rerr *products.RegistrarError

	_, err := r.Register(ctx, products.RegisterRequest{Name: "refused.com", Years: 1})
	if !errors.As(err, &rerr) || rerr.Status != 422 || rerr.Code != "invalid_name" || !errors.Is(err, products.ErrRegistrarRefused) || rerr.Temporary() {
		t.Fatalf("refused: %#v", err)
	}
	_, err = r.Register(ctx, products.RegisterRequest{Name: "boom.com", Years: 1})
	if !errors.As(err, &rerr) || rerr.Status != 503 || !rerr.Temporary() || errors.Is(err, products.ErrRegistrarRefused) {
		t.Fatalf("outage: %#v", err)
	}
	if err := r.SetLock(ctx, "stuck.com", false); !errors.As(err, &rerr) || rerr.Code != "locked" || !errors.Is(err, products.ErrRegistrarRefused) {
		t.Fatalf("lock: %#v", err)
	}
	bad := &products.HTTPRegistrar{BaseURL: srv.URL, APIKey: "wrong", Client: srv.Client()}
	if _, err := bad.Check(ctx, "x.com"); !errors.Is(err, products.ErrRegistrarAuth) || errors.Is(err, products.ErrRegistrarRefused) {
		t.Fatalf("auth: %#v", err)
	}
	if err := r.Renew(ctx, "x.com", 1); err != nil {
		t.Fatal(err)
	}
	// Unknown path: 404 without our envelope still maps to a typed refusal.
	odd := &products.HTTPRegistrar{BaseURL: srv.URL + "/nope", APIKey: "good-key", Client: srv.Client()}
	if _, err := odd.GetEPP(ctx, "x.com"); !errors.As(err, &rerr) || rerr.Status != 404 || rerr.Code != "http_404" {
		t.Fatalf("404: %#v", err)
	}
	// Unreachable.
	srv.Close()
	if _, err := r.Check(ctx, "x.com"); err == nil || errors.As(err, &rerr) {
		t.Fatalf("closed: %#v", err)
	}
}

// The service over the HTTP registrar: a refusal refunds.
func TestServiceOverHTTPRegistrar(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	srv, _ := fakeGateway(t)
	svc := products.NewService(f.db, f.bill, &products.HTTPRegistrar{BaseURL: srv.URL, APIKey: "good-key", Client: srv.Client()}, nil)
	acc := f.account("Gateway", "100.00")
	if _, err := svc.BuyDomain(ctx, cli, products.BuyDomainInput{AccountID: acc, Domain: "taken.com", Years: 1}); !errors.Is(err, products.ErrDomainTaken) {
		t.Fatalf("taken: %v", err)
	}
	d, err := svc.BuyDomain(ctx, cli, products.BuyDomainInput{AccountID: acc, Domain: "refused.com", Years: 1})
	if !errors.Is(err, products.ErrRegistrarRefused) || d.Status != products.StatusFailed || f.balance(acc) != 100_00 {
		t.Fatalf("refused: %v %+v %s", err, d, f.balance(acc))
	}
	d, err = svc.BuyDomain(ctx, cli, products.BuyDomainInput{AccountID: acc, Domain: "fine.com", Years: 1})
	if err != nil || d.Status != products.StatusActive || f.balance(acc) != 88_00 {
		t.Fatalf("fine: %v %+v", err, d)
	}
}
