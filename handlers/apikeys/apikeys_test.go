package apikeys_test

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"lumdesk/handlers/server/servertest"
	"lumdesk/internal/apikeys"
	"lumdesk/internal/audit"
)

var akActor = audit.CLI("apikeys handler test")

func akAccount(t *testing.T, env *servertest.Env, name, email string) int64 {
	t.Helper()
	var id int64
	if err := env.DB.Pool.QueryRow(context.Background(), "INSERT INTO accounts (name, email) VALUES ($1, $2) RETURNING id", name, email).Scan(&id); err != nil {
		t.Fatal(err)
	}
	return id
}

func akCreate(t *testing.T, env *servertest.Env, in apikeys.CreateInput) apikeys.Created {
	t.Helper()
	c, err := env.APIKeys.Create(context.Background(), akActor, in)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func akCount(t *testing.T, env *servertest.Env) int {
	t.Helper()
	var n int
	if err := env.DB.Pool.QueryRow(context.Background(), "SELECT count(*) FROM api_keys").Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func akPrefixes(r *servertest.Response) []string {
	var out []string
	r.Doc.Find(`[data-testid="apikey-prefix"]`).Each(func(_ int, s *goquery.Selection) {
		out = append(out, strings.TrimSuffix(strings.TrimSpace(s.Text()), "…"))
	})
	return out
}

func TestAPIKeysList(t *testing.T) {
	t.Parallel()
	env := servertest.New(t)
	ctx := context.Background()
	acc := akAccount(t, env, "Harbor Analytics", "dev@harbor.io")
	other := akAccount(t, env, "Kestrel Labs", "team@kestrel.dev")
	mail := akCreate(t, env, apikeys.CreateInput{Product: "lumora", AccountID: &acc, Name: "Alert mailer", Scopes: []string{"email:send", "email:read", "templates:manage", "domains:manage"}})
	lumio := akCreate(t, env, apikeys.CreateInput{Product: "lumio", AccountID: &other, Scopes: []string{"extensions:read"}})
	op := akCreate(t, env, apikeys.CreateInput{Product: "lumi-domains", Operator: true, Name: "Ops"})
	if _, err := env.APIKeys.Revoke(ctx, akActor, lumio.Key.ID, "test"); err != nil {
		t.Fatal(err)
	}
	if _, err := env.APIKeys.Verify(ctx, "lumora", mail.Secret, "203.0.113.9"); err != nil {
		t.Fatal(err)
	}

	admin := env.As("admin")
	r := admin.Get("/apikeys")
	if r.Status != 200 {
		t.Fatalf("/apikeys: %d", r.Status)
	}
	if diff := cmp.Diff([]string{op.Key.Prefix, lumio.Key.Prefix, mail.Key.Prefix}, akPrefixes(r)); diff != "" {
		t.Fatalf("rows newest first (-want +got):\n%s", diff)
	}
	if !r.Has(`a[data-testid="new-apikey"][href="/apikeys/new"]`) {
		t.Fatal("no New API key action for admin")
	}
	row := r.Doc.Find(`[data-testid="apikey-row"][data-id="` + strconv.FormatInt(mail.Key.ID, 10) + `"]`)
	if got := strings.Join(row.Find("[data-scope]").Map(func(_ int, s *goquery.Selection) string { return s.Text() }), ","); got != "email:send,email:read,domains:manage" {
		t.Errorf("scope chips %q", got)
	}
	if !strings.Contains(row.Text(), "+1") || !strings.Contains(row.Text(), "203.0.113.9") || !strings.Contains(row.Text(), "just now") {
		t.Errorf("row text %q", row.Text())
	}
	if row.Find(`a[href="/accounts/`+strconv.FormatInt(acc, 10)+`"]`).Length() != 1 || row.Find(`[data-status="active"]`).Length() != 1 {
		t.Errorf("account link / status missing: %q", row.Text())
	}
	opRow := r.Doc.Find(`[data-testid="apikey-row"][data-id="` + strconv.FormatInt(op.Key.ID, 10) + `"]`)
	if opRow.Find(`[data-testid="operator"]`).Length() != 1 || !strings.Contains(opRow.Text(), "all scopes") {
		t.Errorf("operator row %q", opRow.Text())
	}
	if r.Doc.Find(`[data-status="revoked"]`).Length() != 1 {
		t.Error("no revoked badge")
	}
	for _, secret := range []string{mail.Secret, lumio.Secret, op.Secret} {
		if strings.Contains(r.Body, secret) {
			t.Fatal("list shows a secret")
		}
	}

	filters := []struct {
		query string
		want  []string
	}{
		{"?product=lumora", []string{mail.Key.Prefix}},
		{"?status=revoked", []string{lumio.Key.Prefix}},
		{"?status=active&product=lumi-domains", []string{op.Key.Prefix}},
		{"?account=" + strconv.FormatInt(other, 10), []string{lumio.Key.Prefix}},
		{"?q=" + url.QueryEscape(mail.Key.Prefix), []string{mail.Key.Prefix}},
		{"?q=lum", []string{op.Key.Prefix, mail.Key.Prefix}},
		{"?q=lum_", []string{mail.Key.Prefix}},
		{"?q=nothing-like-this", nil},
	}
	for _, f := range filters {
		r := admin.Get("/apikeys" + f.query)
		if r.Status != 200 {
			t.Fatalf("%s: %d", f.query, r.Status)
		}
		if diff := cmp.Diff(f.want, akPrefixes(r)); diff != "" {
			t.Errorf("%s (-want +got):\n%s", f.query, diff)
		}
	}
	r = admin.Get("/apikeys?account=" + strconv.FormatInt(other, 10))
	if !strings.Contains(r.Text(`[data-testid="account-filter"]`), "Kestrel Labs") || !r.Has(`a[href="/apikeys/new?account=`+strconv.FormatInt(other, 10)+`"]`) {
		t.Errorf("account filter chip / preset new link missing")
	}
	// Junk filters never 500: they are dropped with a message.
	r = admin.Get("/apikeys?product=%27%3Bdrop&status=weird&account=abc&before=zzz&after=-1-1&q=" + strings.Repeat("x", 500))
	if r.Status != 200 || !r.Has(".alert-error") {
		t.Fatalf("junk filters: %d", r.Status)
	}
	r = admin.Get("/apikeys?q=zzz")
	if !r.Has(`[data-testid="apikeys-empty"]`) {
		t.Error("no empty state")
	}

	// Viewers see the list but not the action.
	viewer := env.As("viewer")
	r = viewer.Get("/apikeys")
	if r.Status != 200 || r.Has(`[data-testid="new-apikey"]`) || len(akPrefixes(r)) != 3 {
		t.Fatalf("viewer list: %d", r.Status)
	}
}

func TestAPIKeysListPaging(t *testing.T) {
	t.Parallel()
	env := servertest.New(t)
	acc := akAccount(t, env, "Many Keys", "many@example.com")
	var prefixes []string // newest first
	for i := 0; i < 53; i++ {
		c := akCreate(t, env, apikeys.CreateInput{Product: "lumira", AccountID: &acc, Scopes: []string{"ranking:read"}})
		prefixes = append([]string{c.Key.Prefix}, prefixes...)
	}
	admin := env.As("admin")
	r := admin.Get("/apikeys?product=lumira")
	if diff := cmp.Diff(prefixes[:50], akPrefixes(r)); diff != "" {
		t.Fatalf("page 1 (-want +got):\n%s", diff)
	}
	next, ok := r.Doc.Find(`a[rel="next"]`).Attr("href")
	if !ok || r.Has(`a[rel="prev"]`) || !strings.Contains(next, "product=lumira") {
		t.Fatalf("page 1 pager: next=%q", next)
	}
	r = admin.Get(next)
	if diff := cmp.Diff(prefixes[50:], akPrefixes(r)); diff != "" {
		t.Fatalf("page 2 (-want +got):\n%s", diff)
	}
	prev, ok := r.Doc.Find(`a[rel="prev"]`).Attr("href")
	if !ok || r.Has(`a[rel="next"]`) {
		t.Fatalf("page 2 pager: prev=%q", prev)
	}
	r = admin.Get(prev)
	if diff := cmp.Diff(prefixes[:50], akPrefixes(r)); diff != "" {
		t.Fatalf("back to page 1 (-want +got):\n%s", diff)
	}
}

func newKeyForm(acc string) url.Values {
	return url.Values{
		"product":    {"lumi-domains"},
		"account":    {acc},
		"name":       {"Billing bot"},
		"scope":      {"lumi-domains|domains:read", "lumi-domains|domains:buy"},
		"rate_limit": {"120"},
		"spend_cap":  {"25.00"},
		"signing":    {"1"},
		"expires_on": {time.Now().UTC().AddDate(0, 1, 0).Format(time.DateOnly)},
	}
}

func TestAPIKeysCreateShowsSecretOnce(t *testing.T) {
	t.Parallel()
	env := servertest.New(t)
	ctx := context.Background()
	acc := akAccount(t, env, "Atlas Domains", "registrar@atlasdomains.io")
	admin := env.As("admin")

	r := admin.Get("/apikeys/new?account=" + strconv.FormatInt(acc, 10))
	if r.Status != 200 || !r.Has(`form[data-testid="apikey-form"]`) {
		t.Fatalf("new form: %d", r.Status)
	}
	if v, _ := r.Doc.Find(`input[name="account"]`).Attr("value"); v != strconv.FormatInt(acc, 10) {
		t.Errorf("account preset %q", v)
	}
	if n := r.Doc.Find(`[data-scope-group]`).Length(); n != len(apikeys.Products) {
		t.Errorf("%d scope groups", n)
	}

	r = admin.PostForm("/apikeys", newKeyForm("registrar@atlasdomains.io"))
	if r.Status != 200 {
		t.Fatalf("create: %d %s", r.Status, r.Text(".field-error, [role=alert]"))
	}
	if cc := r.Header.Get("Cache-Control"); cc != "no-store" {
		t.Errorf("Cache-Control %q", cc)
	}
	secret, _ := r.Doc.Find(`[data-testid="new-secret"] input`).Attr("value")
	signing, _ := r.Doc.Find(`[data-testid="new-signing-secret"] input`).Attr("value")
	if !strings.HasPrefix(secret, "lumi_domains_") || len(secret) != len("lumi_domains_")+40 || signing == "" {
		t.Fatalf("secret %q signing %q", secret, signing)
	}
	if !strings.Contains(r.Text(`[role=alert]`), "only time the secret is shown") {
		t.Error("no one-time warning")
	}
	if strings.Count(r.Body, secret) != 1 {
		t.Errorf("secret appears %d times in the page", strings.Count(r.Body, secret))
	}
	k, err := env.APIKeys.Verify(ctx, "lumi-domains", secret, "127.0.0.1")
	if err != nil {
		t.Fatalf("new secret does not verify: %v", err)
	}
	want := apikeys.Key{ID: k.ID, Product: "lumi-domains", AccountID: &acc, AccountName: "Atlas Domains", AccountEmail: "registrar@atlasdomains.io",
		Name: "Billing bot", Prefix: secret[:len("lumi_domains_")+6], Scopes: []string{"domains:read", "domains:buy"}, RateLimitPerMinute: 120,
		DailySpendCapCents: ptrInt64(2500), HasSigningSecret: true}
	got := k
	got.CreatedAt, got.ExpiresAt, got.LastUsedAt, got.LastUsedIP = time.Time{}, nil, nil, ""
	if diff := cmp.Diff(want, got, cmpopts.IgnoreUnexported(apikeys.Key{})); diff != "" {
		t.Errorf("created key (-want +got):\n%s", diff)
	}
	if k.ExpiresAt == nil {
		t.Error("expiry not set")
	}
	if env.AuditCount("api_key.create", strconv.FormatInt(k.ID, 10)) != 1 {
		t.Error("create not audited")
	}

	// The secret is never shown again: not on the key page, the list, or history.
	for _, path := range []string{"/apikeys/" + strconv.FormatInt(k.ID, 10), "/apikeys", "/apikeys/" + strconv.FormatInt(k.ID, 10) + "?tab=history"} {
		r := admin.Get(path)
		if r.Status != 200 || strings.Contains(r.Body, secret) || strings.Contains(r.Body, signing) || r.Has(`[data-testid="new-secret"]`) {
			t.Errorf("%s: %d, shows the secret again", path, r.Status)
		}
	}
	var auditJSON string
	_ = env.DB.Pool.QueryRow(ctx, "SELECT string_agg(coalesce(after::text, ''), ' ') FROM audit_events").Scan(&auditJSON)
	if strings.Contains(auditJSON, secret) || strings.Contains(auditJSON, signing) {
		t.Error("secret in the audit log")
	}

	// Operator key through the form.
	r = admin.PostForm("/apikeys", url.Values{"product": {"lumira"}, "operator": {"1"}, "name": {"Ops"}})
	if r.Status != 200 || !r.Has(`[data-testid="new-secret"]`) {
		t.Fatalf("operator create: %d %s", r.Status, r.Text(".field-error"))
	}

	// No scope chosen: the product's standard scopes, never the
	// operator-only admin:*.
	r = admin.PostForm("/apikeys", url.Values{"product": {"lumi-proxy"}, "account": {strconv.FormatInt(acc, 10)}})
	secret, _ = r.Doc.Find(`[data-testid="new-secret"] input`).Attr("value")
	if r.Status != 200 || secret == "" {
		t.Fatalf("create without scopes: %d %s", r.Status, r.Text(".field-error"))
	}
	k, err = env.APIKeys.Verify(ctx, "lumi-proxy", secret, "127.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"proxy:read", "proxy:write", "proxy:buy", "deposits:write"}, k.Scopes); diff != "" {
		t.Errorf("default scopes (-want +got):\n%s", diff)
	}
}

func ptrInt64(v int64) *int64 { return &v }

func TestAPIKeysCreateBadInput(t *testing.T) {
	t.Parallel()
	env := servertest.New(t)
	acc := akAccount(t, env, "Atlas Domains", "registrar@atlasdomains.io")
	admin := env.As("admin")
	cases := []struct {
		name  string
		edit  func(url.Values)
		field string
	}{
		{"no product", func(v url.Values) { v.Del("product") }, "product"},
		{"unknown product", func(v url.Values) { v.Set("product", "lumi") }, "product"},
		{"unknown account", func(v url.Values) { v.Set("account", "nobody@example.com") }, "account"},
		{"no account", func(v url.Values) { v.Del("account") }, "account"},
		{"operator and account", func(v url.Values) { v.Set("operator", "1") }, "account"},
		{"rate limit text", func(v url.Values) { v.Set("rate_limit", "lots") }, "rate_limit"},
		{"rate limit too high", func(v url.Values) { v.Set("rate_limit", "10001") }, "rate_limit"},
		{"cap with 3 decimals", func(v url.Values) { v.Set("spend_cap", "1.234") }, "spend_cap"},
		{"negative cap", func(v url.Values) { v.Set("spend_cap", "-5") }, "spend_cap"},
		{"expiry in the past", func(v url.Values) { v.Set("expires_on", "2001-01-01") }, "expires_on"},
		{"expiry not a date", func(v url.Values) { v.Set("expires_on", "next week") }, "expires_on"},
		{"forged scope", func(v url.Values) { v["scope"] = []string{"lumi-domains|root"} }, "scopes"},
		{"admin scope on reseller key", func(v url.Values) { v["scope"] = []string{"lumi-domains|admin:*"} }, "scopes"},
		// Dropped, another product's ticks would leave none: every scope.
		{"another product's scope", func(v url.Values) { v["scope"] = []string{"luarmor|keys:read"} }, "scopes"},
		{"a scope without its product", func(v url.Values) { v["scope"] = []string{"domains:read"} }, "scopes"},
		{"long name", func(v url.Values) { v.Set("name", strings.Repeat("n", 150)) }, "name"},
		{"huge name", func(v url.Values) { v.Set("name", strings.Repeat("n", 100_000)) }, "name"},
	}
	for _, tc := range cases {
		v := newKeyForm(strconv.FormatInt(acc, 10))
		tc.edit(v)
		r := admin.PostForm("/apikeys", v)
		if r.Status != http.StatusUnprocessableEntity {
			t.Errorf("%s: status %d", tc.name, r.Status)
			continue
		}
		var msg string
		if tc.field == "scopes" {
			msg = r.Text(`[data-testid="scopes-error"]`)
		} else {
			msg = r.Text(`#f-` + tc.field + `-msg.field-error`)
		}
		if msg == "" {
			t.Errorf("%s: no message at %s; form error %q", tc.name, tc.field, r.Text(`.field-error`))
		}
		if r.Has(`[data-testid="new-secret"]`) {
			t.Errorf("%s: secret shown", tc.name)
		}
		// The form keeps what was typed.
		if name, _ := r.Doc.Find(`input[name="name"]`).Attr("value"); tc.name != "huge name" && name != v.Get("name") {
			t.Errorf("%s: name not kept: %q", tc.name, name)
		}
	}
	if n := akCount(t, env); n != 0 {
		t.Fatalf("%d keys created by bad input", n)
	}
}

func TestAPIKeysPermissions(t *testing.T) {
	t.Parallel()
	env := servertest.New(t)
	acc := akAccount(t, env, "A", "a@example.com")
	k := akCreate(t, env, apikeys.CreateInput{Product: "lumora", AccountID: &acc, Scopes: []string{"email:send"}})
	id := strconv.FormatInt(k.Key.ID, 10)
	for _, role := range []string{"viewer", "support", "finance"} {
		c := env.As(role)
		if r := c.Get("/apikeys/" + id); r.Status != 200 || r.Has(`[data-testid="action-revoke"]`) || r.Has(`[data-testid="action-rotate"]`) {
			t.Errorf("%s: detail %d or shows actions", role, r.Status)
		}
		for _, req := range []struct{ method, path string }{
			{"POST", "/apikeys"}, {"GET", "/apikeys/new"},
			{"GET", "/apikeys/" + id + "/revoke"}, {"POST", "/apikeys/" + id + "/revoke"},
			{"GET", "/apikeys/" + id + "/rotate"}, {"POST", "/apikeys/" + id + "/rotate"},
		} {
			var r *servertest.Response
			if req.method == "POST" {
				r = c.PostForm(req.path, url.Values{"product": {"lumora"}, "account": {strconv.FormatInt(acc, 10)}, "scope": {"lumora|email:send"}, "reason": {"x"}})
			} else {
				r = c.Get(req.path)
			}
			if r.Status != http.StatusForbidden {
				t.Errorf("%s %s %s: %d, want 403", role, req.method, req.path, r.Status)
			}
		}
	}
	if n := akCount(t, env); n != 1 {
		t.Fatalf("%d keys", n)
	}
	if k2, _ := env.APIKeys.Get(context.Background(), k.Key.ID); k2.RevokedAt != nil {
		t.Fatal("revoked by a role without apikeys.manage")
	}
	// Signed out: sent to sign in.
	if r := env.Anonymous().Get("/apikeys"); r.Status != http.StatusSeeOther {
		t.Fatalf("anonymous: %d", r.Status)
	}
}

func TestAPIKeyDetail(t *testing.T) {
	t.Parallel()
	env := servertest.New(t)
	acc := akAccount(t, env, "Harbor", "dev@harbor.io")
	k := akCreate(t, env, apikeys.CreateInput{Product: "lumora", AccountID: &acc, Name: "Mailer", Scopes: []string{"email:send"}})
	admin := env.As("admin")
	id := strconv.FormatInt(k.Key.ID, 10)
	r := admin.Get("/apikeys/" + id)
	if r.Status != 200 {
		t.Fatalf("detail: %d", r.Status)
	}
	header := r.Text(`[data-testid="apikey-header"]`)
	for _, want := range []string{k.Key.Prefix, "Lumora", "Harbor", "email:send", "60 / minute", "Never", "Active"} {
		if !strings.Contains(header, want) {
			t.Errorf("header lacks %q: %q", want, header)
		}
	}
	if !strings.Contains(r.Body, "x-api-key: "+k.Key.Prefix) {
		t.Error("usage hint missing")
	}
	if !r.Has(`[data-testid="action-revoke"]`) || !r.Has(`[data-testid="action-rotate"]`) {
		t.Error("admin sees no actions")
	}
	r = admin.Get("/apikeys/" + id + "?tab=history")
	if hx, _ := r.Doc.Find(`[data-testid="history"]`).Attr("hx-get"); hx != "/history/api_key/"+id {
		t.Errorf("history include %q", hx)
	}
	if !r.Has(`a[href="/audit?entity_type=api_key&entity_id=` + id + `"]`) {
		t.Error("no audit fallback link")
	}
	for _, path := range []string{"/apikeys/999999", "/apikeys/abc", "/apikeys/-1", "/apikeys/999999/revoke"} {
		if r := admin.Get(path); r.Status != 404 {
			t.Errorf("%s: %d", path, r.Status)
		}
	}
}

func TestAPIKeyRevoke(t *testing.T) {
	t.Parallel()
	env := servertest.New(t)
	ctx := context.Background()
	acc := akAccount(t, env, "Harbor", "dev@harbor.io")
	a := akCreate(t, env, apikeys.CreateInput{Product: "lumora", AccountID: &acc, Scopes: []string{"email:send"}})
	b := akCreate(t, env, apikeys.CreateInput{Product: "lumora", AccountID: &acc, Scopes: []string{"email:send"}})
	admin := env.As("admin")
	aID, bID := strconv.FormatInt(a.Key.ID, 10), strconv.FormatInt(b.Key.ID, 10)

	// htmx: dialog, then the header card comes back with a toast.
	r := admin.HTMX("GET", "/apikeys/"+aID+"/revoke", nil)
	if r.Status != 200 || !r.Has(`dialog#apikey-revoke form[hx-post="/apikeys/`+aID+`/revoke"]`) || !r.Has(`textarea[name="reason"]`) {
		t.Fatalf("revoke dialog: %d %s", r.Status, r.Body)
	}
	if r := admin.HTMX("POST", "/apikeys/"+aID+"/revoke", url.Values{"reason": {" "}}); r.Status != 422 || !strings.Contains(r.Header.Get("HX-Trigger"), "reason") {
		t.Fatalf("htmx revoke without reason: %d %q", r.Status, r.Header.Get("HX-Trigger"))
	}
	r = admin.HTMX("POST", "/apikeys/"+aID+"/revoke", url.Values{"reason": {"Leaked in a screenshot"}})
	if r.Status != 200 || !r.Has(`#apikey-header [data-status="revoked"]`) || !strings.Contains(r.Header.Get("HX-Trigger"), "revoked") {
		t.Fatalf("htmx revoke: %d %q", r.Status, r.Header.Get("HX-Trigger"))
	}
	if r.Has(`[data-testid="action-revoke"]`) {
		t.Error("revoked key still offers revoke")
	}
	if _, err := env.APIKeys.Verify(ctx, "lumora", a.Secret, "ip"); err == nil {
		t.Fatal("revoked key still verifies")
	}
	if env.AuditCount("api_key.revoke", aID) != 1 {
		t.Error("revoke not audited")
	}
	var reason string
	_ = env.DB.Pool.QueryRow(ctx, "SELECT reason FROM audit_events WHERE action = 'api_key.revoke'").Scan(&reason)
	if reason != "Leaked in a screenshot" {
		t.Errorf("audit reason %q", reason)
	}
	// Again: 409.
	if r := admin.HTMX("POST", "/apikeys/"+aID+"/revoke", url.Values{"reason": {"again"}}); r.Status != 409 {
		t.Errorf("revoke twice: %d", r.Status)
	}
	if r := admin.HTMX("GET", "/apikeys/"+aID+"/revoke", nil); r.Status != 409 {
		t.Errorf("revoke dialog of revoked key: %d", r.Status)
	}

	// Plain POST: the page form, 422 without a reason, 303 to the key after.
	if r := admin.Get("/apikeys/" + bID + "/revoke"); r.Status != 200 || !r.Has(`form[data-testid="action-form"]`) {
		t.Fatalf("revoke page: %d", r.Status)
	}
	r = admin.PostForm("/apikeys/"+bID+"/revoke", url.Values{})
	if r.Status != 422 || r.Text(`#f-reason-msg`) == "" {
		t.Fatalf("plain revoke without reason: %d", r.Status)
	}
	r = admin.PostForm("/apikeys/"+bID+"/revoke", url.Values{"reason": {strings.Repeat("r", 501)}})
	if r.Status != 422 {
		t.Fatalf("plain revoke with long reason: %d", r.Status)
	}
	r = admin.PostForm("/apikeys/"+bID+"/revoke", url.Values{"reason": {"customer left"}})
	if r.Status != http.StatusSeeOther || r.Header.Get("Location") != "/apikeys/"+bID {
		t.Fatalf("plain revoke: %d %q", r.Status, r.Header.Get("Location"))
	}
	r = admin.Get("/apikeys/" + bID)
	if !r.Has(`[data-status="revoked"]`) || !strings.Contains(r.Body, "customer left") || !strings.Contains(r.Body, "revoked.") {
		t.Errorf("detail after revoke lacks status, reason or toast")
	}
}

func TestAPIKeyRotate(t *testing.T) {
	t.Parallel()
	env := servertest.New(t)
	ctx := context.Background()
	acc := akAccount(t, env, "Atlas", "registrar@atlasdomains.io")
	old := akCreate(t, env, apikeys.CreateInput{Product: "lumi-domains", AccountID: &acc, Name: "Bulk", Scopes: []string{"domains:read"}, WithSigningSecret: true})
	admin := env.As("admin")
	oldID := strconv.FormatInt(old.Key.ID, 10)

	r := admin.HTMX("GET", "/apikeys/"+oldID+"/rotate", nil)
	if r.Status != 200 || !r.Has(`dialog#apikey-rotate form[hx-target="#dialog-host"]`) {
		t.Fatalf("rotate dialog: %d", r.Status)
	}
	r = admin.HTMX("POST", "/apikeys/"+oldID+"/rotate", url.Values{"reason": {"yearly rotation"}})
	if r.Status != 200 {
		t.Fatalf("htmx rotate: %d %s", r.Status, r.Body)
	}
	secret, _ := r.Doc.Find(`[data-testid="rotated-dialog"] [data-testid="new-secret"] input`).Attr("value")
	signing, _ := r.Doc.Find(`[data-testid="rotated-dialog"] [data-testid="new-signing-secret"] input`).Attr("value")
	if secret == "" || secret == old.Secret || signing == "" || signing == old.SigningSecret {
		t.Fatalf("rotated secrets %q %q", secret, signing)
	}
	if !r.Has(`#apikey-header[hx-swap-oob] [data-status="revoked"]`) {
		t.Error("old key's header not swapped out of band")
	}
	nk, err := env.APIKeys.Verify(ctx, "lumi-domains", secret, "ip")
	if err != nil || nk.RotatedFromID == nil || *nk.RotatedFromID != old.Key.ID {
		t.Fatalf("new key %+v %v", nk, err)
	}
	if sig, _ := env.APIKeys.SigningSecret(nk); sig != signing {
		t.Error("signing secret shown is not the stored one")
	}
	if _, err := env.APIKeys.Verify(ctx, "lumi-domains", old.Secret, "ip"); err == nil {
		t.Fatal("old key still works")
	}
	if env.AuditCount("api_key.rotate", oldID) != 1 {
		t.Error("rotate not audited")
	}
	r = admin.Get("/apikeys/" + strconv.FormatInt(nk.ID, 10))
	if href, _ := r.Doc.Find(`[data-testid="rotated-from"]`).Attr("href"); href != "/apikeys/"+oldID || strings.Contains(r.Body, secret) {
		t.Errorf("new key page: rotated-from %q, or shows the secret", href)
	}

	// Plain POST: the secret page answers the POST.
	newID := strconv.FormatInt(nk.ID, 10)
	r = admin.PostForm("/apikeys/"+newID+"/rotate", url.Values{"reason": {"again"}})
	third, _ := r.Doc.Find(`[data-testid="new-secret"] input`).Attr("value")
	if r.Status != 200 || third == "" || r.Header.Get("Cache-Control") != "no-store" {
		t.Fatalf("plain rotate: %d %q", r.Status, third)
	}
	if _, err := env.APIKeys.Verify(ctx, "lumi-domains", third, "ip"); err != nil {
		t.Fatalf("third key: %v", err)
	}
	r = admin.Get("/apikeys/" + newID)
	if href, _ := r.Doc.Find(`[data-testid="replaced-by"]`).Attr("href"); href == "" || href == "/apikeys/"+newID {
		t.Errorf("rotated key does not link to its replacement: %q", href)
	}
	if r := admin.PostForm("/apikeys/"+oldID+"/rotate", url.Values{"reason": {"x"}}); r.Status != 409 {
		t.Errorf("rotate revoked key: %d", r.Status)
	}
}
