package mail_test

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"
	"github.com/jackc/pgx/v5"

	"lumdesk/db/store"
	"lumdesk/handlers/server/servertest"
	"lumdesk/internal/accounts"
	"lumdesk/internal/audit"
	"lumdesk/internal/customers"
	"lumdesk/internal/mail"
	"lumdesk/internal/platform/config"
)

var cli = audit.CLI("portal lumora test")

// tenant is an account with a developer signed in to the portal, an app,
// a sending domain and a message.
type tenant struct {
	acc    accounts.Account
	dev    *servertest.Client
	app    mail.App
	domain mail.Domain
	msgID  string
}

func newTenant(t *testing.T, env *servertest.Env, name, slug string) tenant {
	t.Helper()
	ctx := context.Background()
	acc := env.CreateAccount(name)
	scope := accounts.Only(acc.ID)
	app, err := env.Mail.CreateApp(ctx, cli, scope, mail.AppInput{Name: name + " receipts", DefaultFromEmail: "shop@" + slug + ".test"})
	if err != nil {
		t.Fatal(err)
	}
	d, err := env.Mail.AddDomain(ctx, cli, scope, mail.DomainInput{Name: "mail." + slug + ".test"})
	if err != nil {
		t.Fatal(err)
	}
	tn := tenant{acc: acc, app: app, domain: d, msgID: "msg_" + slug + "0000001"}
	tn.message(t, env, tn.msgID, "one@example.net", "bounced", time.Now().UTC().Add(-time.Hour), "queued", "bounced")
	tn.dev = env.AsCustomer(acc.ID, customers.RoleDeveloper)
	return tn
}

// message stores a message with one recipient and its events, as a send
// and its delivery would have left them.
func (tn tenant) message(t *testing.T, env *servertest.Env, publicID, to, status string, at time.Time, events ...string) {
	t.Helper()
	ctx := context.Background()
	q := env.DB.Queries
	m, err := q.InsertMailMessage(ctx, store.InsertMailMessageParams{PublicID: publicID, AccountID: tn.acc.ID, AppID: tn.app.ID,
		FromEmail: tn.app.DefaultFromEmail, Subject: "Receipt " + publicID, TextBody: "hi", Headers: json.RawMessage(`{}`),
		Tags: json.RawMessage(`[]`), ReplyTo: []string{}, Now: at})
	if err != nil {
		t.Fatal(err)
	}
	if err := q.SetMailMessageStatus(ctx, store.SetMailMessageStatusParams{ID: m.ID, Status: status, SmtpMessageID: "<" + publicID + "@test>", Now: at}); err != nil {
		t.Fatal(err)
	}
	if _, err := q.InsertMailRecipient(ctx, store.InsertMailRecipientParams{MessageID: m.ID, Email: to, Kind: "to", Status: status, Now: at}); err != nil {
		t.Fatal(err)
	}
	for _, e := range events {
		if err := q.InsertMailEvent(ctx, store.InsertMailEventParams{MessageID: m.ID, AppID: tn.app.ID, AccountID: tn.acc.ID,
			Recipient: to, Type: e, Detail: "250 ok", At: at}); err != nil {
			t.Fatal(err)
		}
	}
}

func id(n int64) string { return strconv.FormatInt(n, 10) }

func TestPagesRenderForCustomer(t *testing.T) {
	t.Parallel()
	env := servertest.New(t)
	a := newTenant(t, env, "Acme", "acme")
	for _, role := range []customers.Role{customers.RoleDeveloper, customers.RoleReadOnly} {
		c := a.dev
		if role != customers.RoleDeveloper {
			c = env.AsCustomer(a.acc.ID, role)
		}
		pages := map[string]string{
			"/portal/lumora":                                       `[data-testid="lumora-counters"]`,
			"/portal/lumora/domains":                               `[data-testid="domain-row"]`,
			"/portal/lumora/domains/" + id(a.domain.ID):            `[data-testid="record"]`,
			"/portal/lumora/domains/" + id(a.domain.ID) + "/setup": `[data-testid="wizard-steps"]`,
			"/portal/lumora/apps":                                  `[data-testid="app-row"]`,
			"/portal/lumora/apps/" + id(a.app.ID):                  `[data-testid="app-stats"]`,
			"/portal/lumora/messages":                              `[data-testid="message-row"]`,
			"/portal/lumora/messages/" + a.msgID:                   `[data-testid="event"][data-type="bounced"]`,
		}
		for path, sel := range pages {
			r := c.Get(path)
			if r.Status != http.StatusOK || !r.Has(sel) {
				t.Errorf("%s as %s: %d, has %s: %v", path, role, r.Status, sel, r.Has(sel))
			}
		}
		// Change buttons only for those who may change.
		r := c.Get("/portal/lumora/domains/" + id(a.domain.ID))
		if r.Has(`[data-testid="verify-now"]`) != (role == customers.RoleDeveloper) {
			t.Errorf("verify button as %s: %v", role, r.Has(`[data-testid="verify-now"]`))
		}
	}
	r := a.dev.Get("/portal/lumora")
	if got := r.Text(`[data-testid="counter-sent"]`); !strings.Contains(got, "1") {
		t.Errorf("sent counter %q", got)
	}
	if got := r.Text(`[data-testid="counter-bounced"]`); !strings.Contains(got, "1") {
		t.Errorf("bounced counter %q", got)
	}
	// The sidebar links Lumora in the portal, and home shows its card with figures.
	if !r.Has(`a[href="/portal/lumora"]`) {
		t.Error("no Lumora link in the portal's sidebar")
	}
	home := a.dev.Get("/portal")
	if body := home.Text("main"); !strings.Contains(body, "Verified domains") || !strings.Contains(body, "Messages, last 30 days") {
		t.Errorf("home card: %q", body)
	}
	for _, path := range []string{"/portal/lumora/domains/new", "/portal/lumora/apps/new"} {
		if r := a.dev.Get(path); r.Status != http.StatusOK || !r.Has("form") {
			t.Errorf("%s: %d", path, r.Status)
		}
	}
	// Filters: by status and recipient; a bad filter is a message, never a 500.
	for q, want := range map[string]int{"?status=bounced": 1, "?status=delivered": 0, "?recipient=ONE@example.net": 1, "?recipient=x@y.z": 0} {
		if n := a.dev.Get("/portal/lumora/messages" + q).Doc.Find(`[data-testid="message-row"]`).Length(); n != want {
			t.Errorf("messages%s: %d rows, want %d", q, n, want)
		}
	}
	r = a.dev.Get("/portal/lumora/messages?status=nope&since=yesterday&cursor=x")
	if r.Status != http.StatusOK || r.Text(`[data-testid="filter-error"]`) == "" {
		t.Errorf("bad filters: %d", r.Status)
	}
	for _, p := range []string{"/portal/lumora/messages/msg_unknown", "/portal/lumora/messages/nope", "/portal/lumora/domains/999999", "/portal/lumora/apps/999999"} {
		if r := a.dev.Get(p); r.Status != http.StatusNotFound {
			t.Errorf("%s: %d", p, r.Status)
		}
	}
}

// The message log's CSV export: this account's messages as the log
// filters them, without the account's columns; an account= in the URL is
// not read; a bad filter is refused.
func TestMessageExport(t *testing.T) {
	t.Parallel()
	env := servertest.New(t)
	a := newTenant(t, env, "Exporter", "exporter")
	b := newTenant(t, env, "Bystander", "bystander")
	a.message(t, env, "msg_exporter0000002", "two@example.net", "delivered", time.Now().UTC(), "queued", "delivered")
	c := env.AsCustomer(a.acc.ID, customers.RoleReadOnly)
	if href := c.Get("/portal/lumora/messages?status=bounced").Doc.Find(`[data-testid="export-csv"]`).AttrOr("href", ""); href != "/portal/lumora/messages/export.csv?status=bounced" {
		t.Errorf("export link %q", href)
	}
	read := func(q string) [][]string {
		t.Helper()
		r := c.Get("/portal/lumora/messages/export.csv" + q)
		r.Want(t, http.StatusOK, "export"+q)
		recs, err := csv.NewReader(strings.NewReader(r.Body)).ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		return recs
	}
	all := read("?account=" + id(b.acc.ID))
	if len(all) != 3 || all[0][4] != "app_id" || slices.Contains(all[0], "account_id") || all[1][0] != "msg_exporter0000002" || all[2][0] != a.msgID {
		t.Fatalf("export: %v", all)
	}
	if got := read("?status=bounced"); len(got) != 2 || got[1][0] != a.msgID || got[1][5] != "Exporter receipts" {
		t.Errorf("bounced: %v", got)
	}
	c.Get("/portal/lumora/messages/export.csv?status=nope").Want(t, http.StatusUnprocessableEntity, "a bad status")
}

func TestAddDomainWizardVerifies(t *testing.T) {
	t.Parallel()
	env := servertest.New(t)
	acc := env.CreateAccount("Wizard Co")
	c := env.AsCustomer(acc.ID, customers.RoleDeveloper)
	c.Get("/portal/lumora/domains/new")
	// Bad input is a form message.
	for _, name := range []string{"", "not a domain", strings.Repeat("a", 300)} {
		r := c.PostForm("/portal/lumora/domains", url.Values{"domain": {name}})
		if r.Status != http.StatusUnprocessableEntity || r.Text(`[data-testid="domain-form"]`) == "" || !r.Has(`[role=alert]`) && r.Text(".field-error") == "" {
			t.Errorf("domain %q: %d", name, r.Status)
		}
	}
	r := c.PostForm("/portal/lumora/domains", url.Values{"domain": {"Mail.Wizard.test"}})
	if r.Status != http.StatusSeeOther || !strings.HasSuffix(r.Header.Get("Location"), "/setup") {
		t.Fatalf("add: %d %s", r.Status, r.Header.Get("Location"))
	}
	setup := r.Header.Get("Location")
	r = c.Get(setup)
	if r.Doc.Find(`[data-testid="record"]`).Length() != 4 || r.Doc.Find(`[data-testid="record"] [data-copy], [data-testid="record"] button`).Length() < 8 {
		t.Fatalf("setup: %d records, %d buttons", r.Doc.Find(`[data-testid="record"]`).Length(), r.Doc.Find(`[data-testid="record"] button`).Length())
	}
	if r.Has(`[data-testid="verify-result"]`) {
		t.Error("a result before any check")
	}
	// A second time is refused with a message.
	if r := c.PostForm("/portal/lumora/domains", url.Values{"domain": {"mail.wizard.test"}}); r.Status != http.StatusUnprocessableEntity {
		t.Errorf("duplicate: %d", r.Status)
	}
	domains, err := env.Mail.ListDomains(context.Background(), mail.DomainFilter{Scope: accounts.Only(acc.ID)})
	if err != nil || len(domains) != 1 {
		t.Fatalf("domains %v %v", domains, err)
	}
	d, err := env.Mail.GetDomain(context.Background(), accounts.Only(acc.ID), domains[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	// Three of four published: the result names what to fix.
	for _, rec := range d.Records {
		if rec.Kind != mail.KindDMARC {
			env.DNS.Publish(rec.Type, rec.Name, rec.Value)
		}
	}
	verify := "/portal/lumora/domains/" + id(d.ID) + "/verify"
	r = c.PostForm(verify, url.Values{"next": {"setup"}})
	if r.Status != http.StatusSeeOther || r.Header.Get("Location") != setup {
		t.Fatalf("verify: %d %s", r.Status, r.Header.Get("Location"))
	}
	r = c.Get(setup)
	if st, _ := r.Doc.Find(`[data-testid="verify-result"]`).Attr("data-status"); st == mail.StatusVerified {
		t.Errorf("verified with DMARC missing")
	}
	if fix := r.Text(`[data-testid="record"][data-kind="dmarc"] [data-testid="record-fix"]`); !strings.Contains(fix, "_dmarc.mail.wizard.test") {
		t.Errorf("DMARC fix %q", fix)
	}
	if r.Has(`[data-testid="record"][data-kind="spf"] [data-testid="record-fix"]`) {
		t.Error("a fix for a verified record")
	}
	for _, rec := range d.Records {
		if rec.Kind == mail.KindDMARC {
			env.DNS.Publish(rec.Type, rec.Name, rec.Value)
		}
	}
	c.PostForm(verify, url.Values{"next": {"setup"}})
	r = c.Get(setup)
	if st, _ := r.Doc.Find(`[data-testid="verify-result"]`).Attr("data-status"); st != mail.StatusVerified {
		t.Errorf("after publishing all: %q", st)
	}
	if r.Doc.Find(`[data-testid="record"][data-status="verified"]`).Length() != 4 {
		t.Error("not every record verified")
	}
}

func TestCreateApp(t *testing.T) {
	t.Parallel()
	env := servertest.New(t)
	acc := env.CreateAccount("Apps Co")
	c := env.AsCustomer(acc.ID, customers.RoleOwner)
	c.Get("/portal/lumora/apps/new")
	r := c.PostForm("/portal/lumora/apps", url.Values{"name": {""}, "default_from_email": {"not an address"}})
	if r.Status != http.StatusUnprocessableEntity || r.Text(`[data-testid="app-form"]`) == "" {
		t.Fatalf("bad app: %d", r.Status)
	}
	r = c.PostForm("/portal/lumora/apps", url.Values{"name": {"Shop"}, "default_from_email": {"shop@apps.test"}, "default_from_name": {"Apps Shop"}})
	if r.Status != http.StatusSeeOther || !strings.HasPrefix(r.Header.Get("Location"), "/portal/lumora/apps/") {
		t.Fatalf("create: %d %s", r.Status, r.Header.Get("Location"))
	}
	r = c.Get(r.Header.Get("Location"))
	if r.Status != http.StatusOK || !strings.Contains(r.Text("main"), "Apps Shop <shop@apps.test>") || !r.Has(`[data-testid="app-keys-empty"]`) {
		t.Errorf("app page: %d %q", r.Status, r.Text("main"))
	}
	if r := c.PostForm("/portal/lumora/apps", url.Values{"name": {"Shop"}}); r.Status != http.StatusUnprocessableEntity {
		t.Errorf("duplicate name: %d", r.Status)
	}
	// A key from the app page: refused with a message, then shown once.
	app := r.Doc.Find(`form[data-testid="key-form"]`).AttrOr("action", "")
	if app == "" {
		t.Fatal("no key form on the app page")
	}
	for _, bad := range []url.Values{{"name": {""}, "scopes": {"email:send"}}, {"name": {"k"}}, {"name": {"k"}, "scopes": {"lumi:buy"}}, {"name": {"k"}, "scopes": {"email:send"}, "rate": {"many"}}} {
		if r := c.PostForm(app, bad); r.Status != http.StatusUnprocessableEntity || !r.Has(`[data-testid="key-form"] .field-error`) {
			t.Errorf("bad key %v: %d", bad, r.Status)
		}
	}
	r = c.PostForm(app, url.Values{"name": {"Server key"}, "scopes": {"email:send", "email:read"}, "rate": {"30"}})
	secret := r.Text(`[data-testid="key-secret-value"]`)
	if r.Status != http.StatusOK || !strings.HasPrefix(secret, "lum_sk_") || r.Doc.Find(`[data-testid="app-key"]`).Length() != 1 {
		t.Fatalf("create key: %d %q", r.Status, secret)
	}
	if r := c.Get(strings.TrimSuffix(app, "/keys")); strings.Contains(r.Body, secret) || r.Doc.Find(`[data-testid="app-key"]`).Length() != 1 {
		t.Error("the key's secret is shown again, or the key is not listed")
	}
}

func TestChangesRefusedForReadOnlyAndBilling(t *testing.T) {
	t.Parallel()
	env := servertest.New(t)
	a := newTenant(t, env, "Roles", "roles")
	for _, role := range []customers.Role{customers.RoleReadOnly, customers.RoleBilling} {
		c := env.AsCustomer(a.acc.ID, role)
		for _, p := range []string{"/portal/lumora/domains", "/portal/lumora/apps", "/portal/lumora/domains/" + id(a.domain.ID) + "/verify"} {
			if r := c.PostForm(p, url.Values{"domain": {"x.roles.test"}, "name": {"X"}}); r.Status != http.StatusForbidden {
				t.Errorf("POST %s as %s: %d", p, role, r.Status)
			}
		}
		for _, p := range []string{"/portal/lumora/domains/new", "/portal/lumora/apps/new"} {
			if r := c.Get(p); r.Status != http.StatusForbidden {
				t.Errorf("GET %s as %s: %d", p, role, r.Status)
			}
		}
		r := postJSON(c, "/portal/api/lumora/domains", `{"domain":"y.roles.test"}`, nil)
		if r.Status != http.StatusForbidden || errCode(t, r) != "forbidden" {
			t.Errorf("JSON add as %s: %d %s", role, r.Status, r.Body)
		}
		// Reading the keys is allowed.
		if r := c.Get("/portal/api/lumora/apps/" + id(a.app.ID) + "/keys"); r.Status != http.StatusOK {
			t.Errorf("list keys as %s: %d", role, r.Status)
		}
	}
	ds, _ := env.Mail.ListDomains(context.Background(), mail.DomainFilter{Scope: accounts.Only(a.acc.ID)})
	apps, _ := env.Mail.ListApps(context.Background(), accounts.Only(a.acc.ID), 0, 50)
	if len(ds) != 1 || len(apps) != 1 {
		t.Errorf("refused changes made rows: %d domains, %d apps", len(ds), len(apps))
	}
}

func postJSON(c *servertest.Client, path, body string, h http.Header) *servertest.Response {
	if h == nil {
		h = http.Header{}
	}
	if h.Get("Content-Type") == "" {
		h.Set("Content-Type", "application/json")
	}
	return c.Do(http.MethodPost, path, strings.NewReader(body), h)
}

func errCode(t *testing.T, r *servertest.Response) string {
	t.Helper()
	var e struct {
		Error   string `json:"error"`
		Message string `json:"message"`
	}
	if err := json.Unmarshal([]byte(r.Body), &e); err != nil || e.Message == "" {
		t.Errorf("not Lumora's error shape: %d %s", r.Status, r.Body)
	}
	return e.Error
}

func TestJSONEndpoints(t *testing.T) {
	t.Parallel()
	env := servertest.New(t)
	a := newTenant(t, env, "Json", "json")
	c := a.dev
	// Add a domain: 201 with its four records.
	r := postJSON(c, "/portal/api/lumora/domains", `{"domain": "mail.acme.com"}`, nil)
	if r.Status != http.StatusCreated {
		t.Fatalf("add: %d %s", r.Status, r.Body)
	}
	var d struct {
		ID      int64  `json:"id"`
		Domain  string `json:"domain"`
		Status  string `json:"status"`
		Records []struct {
			Kind, Type, Name, Value, Status string
		} `json:"records"`
	}
	if err := json.Unmarshal([]byte(r.Body), &d); err != nil || d.Domain != "mail.acme.com" || d.Status != "pending" || len(d.Records) != 4 {
		t.Fatalf("domain %+v %v", d, err)
	}
	for _, bad := range []struct {
		body, ct string
		status   int
		code     string
	}{
		{`{"domain": ""}`, "", 422, "validation_error"},
		{`{}`, "", 422, "validation_error"},
		{`{"domain": "not a domain"}`, "", 422, "validation_error"},
		{`{"domain": "mail.acme.com"}`, "", 422, "validation_error"}, // already added
		{`{"domain": `, "", 400, "invalid_json"},
		{`["x"]`, "", 400, "invalid_json"},
		{`{"domain": 5}`, "", 422, "validation_error"}, // a wrong type, as the public API answers it
		{`domain=x`, "application/x-www-form-urlencoded", 415, "unsupported_media_type"},
	} {
		r := postJSON(c, "/portal/api/lumora/domains", bad.body, http.Header{"Content-Type": {bad.ct}})
		if r.Status != bad.status || errCode(t, r) != bad.code {
			t.Errorf("%s: %d %s", bad.body, r.Status, r.Body)
		}
	}
	// Verify: each record's status.
	for _, rec := range d.Records {
		if rec.Kind != mail.KindDKIM {
			env.DNS.Publish(rec.Type, rec.Name, rec.Value)
		}
	}
	r = postJSON(c, "/portal/api/lumora/domains/"+id(d.ID)+"/verify", ``, http.Header{"Content-Type": {"application/json"}})
	if r.Status != http.StatusOK {
		t.Fatalf("verify: %d %s", r.Status, r.Body)
	}
	var v struct {
		Status  string `json:"status"`
		Records []struct {
			Kind   string `json:"kind"`
			Status string `json:"status"`
			Found  string `json:"found"`
			Fix    string `json:"fix"`
		} `json:"records"`
	}
	if err := json.Unmarshal([]byte(r.Body), &v); err != nil || v.Status == mail.StatusVerified || len(v.Records) != 4 {
		t.Fatalf("verify %+v %v", v, err)
	}
	for _, rec := range v.Records {
		if (rec.Status == mail.StatusVerified) == (rec.Kind == mail.KindDKIM) || (rec.Kind == mail.KindDKIM && rec.Fix == "") {
			t.Errorf("record %+v", rec)
		}
	}
	if r := postJSON(c, "/portal/api/lumora/domains/999999/verify", ``, nil); r.Status != 404 || errCode(t, r) != "not_found" {
		t.Errorf("unknown domain: %d %s", r.Status, r.Body)
	}
	// Keys: created once with the secret, listed without it.
	keys := "/portal/api/lumora/apps/" + id(a.app.ID) + "/keys"
	r = postJSON(c, keys, `{"name": "Server key", "rateLimitPerMinute": 60, "scopes": {"email:send": true, "email:read": false}}`, nil)
	if r.Status != http.StatusCreated {
		t.Fatalf("create key: %d %s", r.Status, r.Body)
	}
	var k struct {
		ID     int64    `json:"id"`
		Name   string   `json:"name"`
		Prefix string   `json:"prefix"`
		Secret string   `json:"secret"`
		Status string   `json:"status"`
		Scopes []string `json:"scopes"`
		Rate   int      `json:"rateLimitPerMinute"`
	}
	if err := json.Unmarshal([]byte(r.Body), &k); err != nil || !strings.HasPrefix(k.Secret, "lum_sk_") || k.Name != "Server key" ||
		k.Rate != 60 || len(k.Scopes) != 1 || k.Scopes[0] != "email:send" || k.Status != "active" {
		t.Fatalf("key %+v %v", k, err)
	}
	// The key sends as the app through the Lumora API (its account's).
	got, err := env.APIKeys.Verify(context.Background(), "lumora", k.Secret, "127.0.0.1")
	if err != nil || got.MailAppID == nil || *got.MailAppID != a.app.ID || got.AccountID == nil || *got.AccountID != a.acc.ID {
		t.Errorf("created key %+v %v", got, err)
	}
	r = c.Get(keys)
	if r.Status != http.StatusOK || strings.Contains(r.Body, k.Secret) || !strings.Contains(r.Body, k.Prefix) || !strings.Contains(r.Body, `"status":"active"`) {
		t.Errorf("list keys: %d %s", r.Status, r.Body)
	}
	for body, code := range map[string]string{
		`{"name": "x", "scopes": {"lumi:buy": true}}`:                               "validation_error",
		`{"name": "x", "scopes": {}}`:                                               "validation_error",
		`{"name": "", "scopes": {"email:send": true}}`:                              "validation_error",
		`{"name": "x", "rateLimitPerMinute": -1, "scopes": {"email:send": true}}`:   "validation_error",
		`{"name": "x", "scopes": ["email:send"]}`:                                   "validation_error", // wrong types: 422, as the public API
		`{"name": "x", "rateLimitPerMinute": "60", "scopes": {"email:send": true}}`: "validation_error",
		`{"name": "x", "scopes": `:                                                  "invalid_json",
	} {
		r := postJSON(c, keys, body, nil)
		if errCode(t, r) != code || r.Status >= 500 {
			t.Errorf("%s: %d %s", body, r.Status, r.Body)
		}
	}
	// CSRF missing: 403 in Lumora's shape; nothing added.
	r = postJSON(c, "/portal/api/lumora/domains", `{"domain": "csrf.acme.com"}`, http.Header{"X-Csrf-Token": {""}})
	if r.Status != http.StatusForbidden || errCode(t, r) != "forbidden" {
		t.Errorf("no CSRF: %d %s", r.Status, r.Body)
	}
	// Not signed in: 401; unknown path: 404; both in Lumora's shape.
	anon := env.Anonymous()
	if r := anon.Get(keys); r.Status != http.StatusUnauthorized || errCode(t, r) != "unauthorized" {
		t.Errorf("anonymous: %d %s", r.Status, r.Body)
	}
	// A write too: no session is "sign in", not a stale form's CSRF refusal.
	if r := postJSON(anon, "/portal/api/lumora/domains", `{"domain": "anon.acme.com"}`, nil); r.Status != http.StatusUnauthorized || errCode(t, r) != "unauthorized" {
		t.Errorf("anonymous write: %d %s", r.Status, r.Body)
	}
	if r := c.Get("/portal/api/lumora/nope"); r.Status != http.StatusNotFound || errCode(t, r) != "not_found" {
		t.Errorf("unknown: %d %s", r.Status, r.Body)
	}
}

func TestIsolation(t *testing.T) {
	t.Parallel()
	env := servertest.New(t)
	a := newTenant(t, env, "Alpha", "alpha")
	b := newTenant(t, env, "Beta", "beta")
	c := b.dev
	for _, p := range []string{
		"/portal/lumora/domains/" + id(a.domain.ID),
		"/portal/lumora/domains/" + id(a.domain.ID) + "/setup",
		"/portal/lumora/apps/" + id(a.app.ID),
		"/portal/lumora/messages/" + a.msgID,
	} {
		if r := c.Get(p); r.Status != http.StatusNotFound {
			t.Errorf("B GET %s: %d", p, r.Status)
		}
	}
	if r := c.PostForm("/portal/lumora/domains/"+id(a.domain.ID)+"/verify", nil); r.Status != http.StatusNotFound {
		t.Errorf("B verify A's domain: %d", r.Status)
	}
	if r := postJSON(c, "/portal/api/lumora/domains/"+id(a.domain.ID)+"/verify", ``, nil); r.Status != http.StatusNotFound || errCode(t, r) != "not_found" {
		t.Errorf("B JSON verify A's domain: %d %s", r.Status, r.Body)
	}
	keys := "/portal/api/lumora/apps/" + id(a.app.ID) + "/keys"
	if r := postJSON(c, keys, `{"name": "steal", "scopes": {"email:send": true}}`, nil); r.Status != http.StatusNotFound || errCode(t, r) != "not_found" {
		t.Errorf("B key on A's app: %d %s", r.Status, r.Body)
	}
	if r := c.Get(keys); r.Status != http.StatusNotFound {
		t.Errorf("B lists A's app keys: %d", r.Status)
	}
	// B's lists hold none of A's rows.
	for _, p := range []string{"/portal/lumora", "/portal/lumora/domains", "/portal/lumora/apps", "/portal/lumora/messages", "/portal/lumora/messages?recipient=one@example.net"} {
		r := c.Get(p)
		body := r.Text("main")
		if r.Status != http.StatusOK || strings.Contains(body, "alpha") || strings.Contains(body, "Alpha") || strings.Contains(r.Body, a.msgID) {
			t.Errorf("B %s shows A's data: %d", p, r.Status)
		}
	}
	if n := c.Get("/portal/lumora/messages").Doc.Find(`[data-testid="message-row"]`).Length(); n != 1 {
		t.Errorf("B sees %d messages, want its 1", n)
	}
	if env.AuditCount("mail_domain.check", id(a.domain.ID)) != 0 {
		t.Error("B's verify touched A's domain")
	}
}

func TestTemplates(t *testing.T) {
	t.Parallel()
	env := servertest.New(t)
	a := newTenant(t, env, "Tpl", "tpl")
	b := newTenant(t, env, "Other", "other")
	c := a.dev
	if r := c.Get("/portal/lumora/templates"); r.Status != http.StatusOK || !r.Has(`[data-testid="templates-empty"]`) {
		t.Fatalf("empty list: %d", r.Status)
	}
	// The console's pages over the session's account: no account to name.
	if r := c.Get("/portal/lumora/templates/new"); r.Status != http.StatusOK || r.Has(`input[name="account"]`) ||
		r.Doc.Find(`[data-testid="template-form"]`).AttrOr("action", "") != "/portal/lumora/templates" {
		t.Fatalf("new form: %d, action %q", r.Status, r.Doc.Find(`[data-testid="template-form"]`).AttrOr("action", ""))
	}
	r := c.PostForm("/portal/lumora/templates", url.Values{"slug": {"Bad Slug!"}, "name": {""}})
	if r.Status != http.StatusUnprocessableEntity || !r.Has(`[data-testid="template-form"]`) {
		t.Fatalf("bad template: %d", r.Status)
	}
	r = c.PostForm("/portal/lumora/templates", url.Values{"slug": {"welcome"}, "name": {"Welcome"}, "subject": {"Hi {{name}}"},
		"html": {"<p>Hello {{name}}</p><script>alert(1)</script>"}, "text": {"Hello {{name}}"}})
	if r.Status != http.StatusSeeOther {
		t.Fatalf("create: %d %s", r.Status, r.Text("main"))
	}
	page := r.Header.Get("Location")
	if !strings.HasPrefix(page, "/portal/lumora/templates/tpl_") {
		t.Fatalf("location %s", page)
	}
	tplID := strings.TrimPrefix(page, "/portal/lumora/templates/")
	if r := c.Get("/portal/lumora/templates"); r.Doc.Find(`[data-testid="template-row"]`).AttrOr("data-href", "") != page ||
		strings.Contains(r.Text("thead"), "Account") || r.Has(`a[href^="/accounts/"]`) {
		t.Errorf("list: row %q, head %q", r.Doc.Find(`[data-testid="template-row"]`).AttrOr("data-href", ""), r.Text("thead"))
	}
	r = c.Get(page + "?vars=" + url.QueryEscape(`{"name":"Ada"}`))
	if r.Status != http.StatusOK || !r.Has(`iframe[sandbox][data-testid="preview-frame"]`) {
		t.Fatalf("template page: %d", r.Status)
	}
	src, _ := r.Doc.Find(`[data-testid="preview-frame"]`).Attr("src")
	if !strings.HasPrefix(src, page+"/preview") {
		t.Errorf("preview src %q", src)
	}
	r = c.Get(src)
	if r.Status != http.StatusOK || !strings.Contains(r.Header.Get("Content-Security-Policy"), "sandbox") || !strings.Contains(r.Body, "Hello Ada") {
		t.Errorf("preview: %d %q %q", r.Status, r.Header.Get("Content-Security-Policy"), r.Body)
	}
	if r := c.Get(page + "/preview?vars=nope"); r.Status != http.StatusUnprocessableEntity {
		t.Errorf("bad vars preview: %d", r.Status)
	}
	// Edit keeps versions; the diff shows what changed.
	c.Get(page + "/edit")
	r = c.PostForm(page, url.Values{"slug": {"welcome"}, "name": {"Welcome"}, "subject": {"Hello {{name}}"},
		"html": {"<p>Hello {{name}}</p>"}, "text": {"Hello {{name}}"}})
	if r.Status != http.StatusSeeOther {
		t.Fatalf("edit: %d", r.Status)
	}
	r = c.Get(page)
	if r.Doc.Find(`[data-testid="version-row"]`).Length() != 2 {
		t.Errorf("versions: %d", r.Doc.Find(`[data-testid="version-row"]`).Length())
	}
	r = c.Get(page + "/diff?from=1")
	if r.Status != http.StatusOK || !r.Has(`[data-testid="part-diff"][data-part="Subject"][data-changed="true"]`) {
		t.Errorf("diff: %d", r.Status)
	}
	if r := c.Get(page + "/diff?from=x"); r.Status != http.StatusNotFound {
		t.Errorf("bad diff: %d", r.Status)
	}
	// The test send names a problem in the form, never a 500.
	r = c.PostForm(page+"/send", url.Values{"app": {id(b.app.ID)}, "to": {"x@example.net"}, "variables": {`{"name":"Ada"}`}})
	if got := r.Text(`#f-app-msg`); r.Status != http.StatusUnprocessableEntity || got != "Choose one of your apps." {
		t.Errorf("send with another account's app: %d %q", r.Status, got)
	}
	r = c.PostForm(page+"/send", url.Values{"app": {id(a.app.ID)}, "to": {""}})
	if r.Status != http.StatusUnprocessableEntity {
		t.Errorf("send without to: %d", r.Status)
	}
	// Roles and isolation.
	ro := env.AsCustomer(a.acc.ID, customers.RoleReadOnly)
	if r := ro.PostForm(page, url.Values{"name": {"x"}}); r.Status != http.StatusForbidden {
		t.Errorf("read-only edit: %d", r.Status)
	}
	for _, p := range []string{page, page + "/preview", page + "/diff?from=1", page + "/edit"} {
		if r := b.dev.Get(p); r.Status != http.StatusNotFound {
			t.Errorf("B GET %s: %d", p, r.Status)
		}
	}
	if r := b.dev.PostForm(page, url.Values{"slug": {"x"}, "name": {"x"}}); r.Status != http.StatusNotFound {
		t.Errorf("B edits A's template: %d", r.Status)
	}
	if r := b.dev.Get("/portal/lumora/templates"); strings.Contains(r.Body, tplID) || !r.Has(`[data-testid="templates-empty"]`) {
		t.Error("B's list shows A's template")
	}
}

func TestSuppressions(t *testing.T) {
	t.Parallel()
	env := servertest.New(t)
	a := newTenant(t, env, "Supp", "supp")
	b := newTenant(t, env, "Else", "else")
	ctx := context.Background()
	for email, reason := range map[string]string{"gone@example.net": mail.ReasonHardBounce, "unsub@example.net": mail.ReasonUnsubscribe} {
		if err := env.Mail.Suppress(ctx, a.acc.ID, email, reason, "test"); err != nil {
			t.Fatal(err)
		}
	}
	if err := env.Mail.Suppress(ctx, b.acc.ID, "b-only@example.net", mail.ReasonUnsubscribe, "test"); err != nil {
		t.Fatal(err)
	}
	c := a.dev
	r := c.Get("/portal/lumora/suppressions")
	if r.Status != http.StatusOK || r.Doc.Find(`[data-testid="suppression-row"]`).Length() != 2 || strings.Contains(r.Body, "b-only@") {
		t.Fatalf("list: %d %d rows", r.Status, r.Doc.Find(`[data-testid="suppression-row"]`).Length())
	}
	if r.Doc.Find(`[data-testid="reactivate"]`).Length() != 1 {
		t.Error("only the unsubscribe may be reactivated")
	}
	for email, want := range map[string]int{"gone@example.net": 422, "b-only@example.net": 422, "": 422, "unsub@example.net": 303} {
		if r := c.PostForm("/portal/lumora/suppressions/reactivate", url.Values{"email": {email}}); r.Status != want {
			t.Errorf("reactivate %q: %d, want %d", email, r.Status, want)
		}
	}
	if n := c.Get("/portal/lumora/suppressions").Doc.Find(`[data-testid="suppression-row"]`).Length(); n != 1 {
		t.Errorf("%d left, want the hard bounce", n)
	}
	if n := b.dev.Get("/portal/lumora/suppressions").Doc.Find(`[data-testid="suppression-row"]`).Length(); n != 1 {
		t.Errorf("B's suppression was touched: %d", n)
	}
	ro := env.AsCustomer(a.acc.ID, customers.RoleReadOnly)
	if r := ro.PostForm("/portal/lumora/suppressions/reactivate", url.Values{"email": {"gone@example.net"}}); r.Status != http.StatusForbidden {
		t.Errorf("read-only reactivate: %d", r.Status)
	}

	// Suppressing an address by hand: bad input stays in the form with its
	// message; the address lands on A's list only.
	for _, bad := range []url.Values{{"email": {"not an address"}, "reason": {"asked"}}, {"email": {"ok@example.net"}},
		{"email": {"gone@example.net"}, "reason": {"again"}}} {
		r := c.PostForm("/portal/lumora/suppressions", bad)
		if r.Status != http.StatusUnprocessableEntity || r.Text(`[data-testid="suppress-form"] .field-error`) == "" ||
			r.Doc.Find(`[data-testid="suppress-form"] input[name=email]`).AttrOr("value", "") != bad.Get("email") {
			t.Errorf("suppress %v: %d %q", bad, r.Status, r.Text(`[data-testid="suppress-form"] .field-error`))
		}
	}
	// Text that is no address gets the example once, not "such as
	// name@example.com (not an address like name@example.com)".
	for email, want := range map[string]string{"not an address": "Enter one plain address such as name@example.com.",
		"a@b@example.net": "Enter one plain address such as name@example.com."} {
		r := c.PostForm("/portal/lumora/suppressions", url.Values{"email": {email}, "reason": {"asked"}})
		if got := r.Text(`[data-testid="suppress-form"] .field-error`); got != want {
			t.Errorf("suppress %q: %q, want %q", email, got, want)
		}
	}
	r = c.PostForm("/portal/lumora/suppressions", url.Values{"email": {"Asked@Example.net"}, "reason": {"asked by phone"}})
	if r.Status != http.StatusSeeOther {
		t.Fatalf("suppress: %d %q", r.Status, r.Text("[role=alert]"))
	}
	if n := c.Get("/portal/lumora/suppressions").Doc.Find(`[data-testid="suppression-row"]`).Length(); n != 2 {
		t.Errorf("%d suppressed after adding one, want 2", n)
	}
	if n := b.dev.Get("/portal/lumora/suppressions").Doc.Find(`[data-testid="suppression-row"]`).Length(); n != 1 {
		t.Errorf("B's list changed: %d", n)
	}
	if r := ro.PostForm("/portal/lumora/suppressions", url.Values{"email": {"x@example.net"}, "reason": {"x"}}); r.Status != http.StatusForbidden {
		t.Errorf("read-only suppress: %d", r.Status)
	}
	if ro.Get("/portal/lumora/suppressions").Has(`[data-testid="suppress-form"]`) {
		t.Error("read-only sees the suppress form")
	}
}

// The suppression list searches any part of an address and filters by
// reason, the pages keep the filters, and its CSV export holds what the
// list shows, of this account only.
func TestSuppressionSearchAndExport(t *testing.T) {
	t.Parallel()
	env := servertest.New(t)
	a := newTenant(t, env, "Finder", "finder")
	b := newTenant(t, env, "Other", "other")
	ctx := context.Background()
	for i := range 55 {
		if err := env.Mail.Suppress(ctx, a.acc.ID, fmt.Sprintf("user%02d@bounce.example", i), mail.ReasonHardBounce, "test"); err != nil {
			t.Fatal(err)
		}
	}
	if err := env.Mail.Suppress(ctx, a.acc.ID, "left@Shop.example", mail.ReasonUnsubscribe, "test"); err != nil {
		t.Fatal(err)
	}
	if err := env.Mail.Suppress(ctx, b.acc.ID, "user01@bounce.example", mail.ReasonUnsubscribe, "test"); err != nil {
		t.Fatal(err)
	}
	c := env.AsCustomer(a.acc.ID, customers.RoleReadOnly)
	rows := func(r *servertest.Response) []string {
		var out []string
		r.Doc.Find(`[data-testid="suppression-row"] .cell-primary`).Each(func(_ int, s *goquery.Selection) { out = append(out, s.Text()) })
		return out
	}
	if got := rows(c.Get("/portal/lumora/suppressions?q=SHOP")); strings.Join(got, " ") != "left@Shop.example" {
		t.Errorf("search: %v", got)
	}
	// A reason that is not one is said so, and the list shows every reason.
	if r := c.Get("/portal/lumora/suppressions?reason=spam"); r.Status != http.StatusOK || !strings.Contains(r.Text(`[data-testid="suppressions-error"]`), "showing every reason") {
		t.Errorf("an unknown reason: %d %q", r.Status, r.Text(`[data-testid="suppressions-error"]`))
	}
	if got := rows(c.Get("/portal/lumora/suppressions?reason=unsubscribe")); strings.Join(got, " ") != "left@Shop.example" {
		t.Errorf("reason: %v", got)
	}
	r := c.Get("/portal/lumora/suppressions?q=bounce")
	next := r.Doc.Find(`nav.pager a[rel=next]`).AttrOr("href", "")
	if len(rows(r)) != 50 || !strings.Contains(next, "q=bounce") {
		t.Fatalf("first page: %d rows, next %q", len(rows(r)), next)
	}
	if got := rows(c.Get(next)); len(got) != 5 {
		t.Errorf("second page: %v", got)
	}
	r = c.Get("/portal/lumora/suppressions?q=nobody-here")
	if !r.Has(`[data-testid="suppressions-empty"] a[href="/portal/lumora/suppressions"]`) {
		t.Error("a search matching nothing has no Clear filters")
	}
	// A search longer than an address is cut to its longest, at a whole
	// character (é is two bytes): never an error. (A query that is not
	// UTF-8 at all is refused at the edge, for every face.)
	for _, q := range []string{strings.Repeat("%C3%A9", 200), "x" + strings.Repeat("%C3%A9", 200)} {
		if r := c.Get("/portal/lumora/suppressions?q=" + q); r.Status != http.StatusOK || r.Has(`[data-testid="suppressions-error"]`) {
			t.Errorf("q=%.20s: %d %q", q, r.Status, r.Text(`[data-testid="suppressions-error"]`))
		}
	}
	if r := c.Get("/portal/lumora/suppressions?reason=spam"); r.Status != http.StatusOK || r.Text(`[data-testid="suppressions-error"]`) == "" || len(rows(r)) != 50 {
		t.Errorf("a bad reason: %d %q", r.Status, r.Text(`[data-testid="suppressions-error"]`))
	}
	if href := c.Get("/portal/lumora/suppressions?q=bounce").Doc.Find(`[data-testid="export-csv"]`).AttrOr("href", ""); href != "/portal/lumora/suppressions/export.csv?q=bounce" {
		t.Errorf("export link %q", href)
	}
	r = c.Get("/portal/lumora/suppressions/export.csv?q=user01")
	r.Want(t, http.StatusOK, "export")
	recs, err := csv.NewReader(strings.NewReader(r.Body)).ReadAll()
	if err != nil || len(recs) != 2 || recs[1][0] != "user01@bounce.example" || recs[1][1] != mail.ReasonHardBounce {
		t.Errorf("export: %v %v", recs, err)
	}
	all, _ := csv.NewReader(strings.NewReader(c.Get("/portal/lumora/suppressions/export.csv").Body)).ReadAll()
	if len(all) != 1+56 {
		t.Errorf("the whole list: %d records, want 57", len(all))
	}
	c.Get("/portal/lumora/suppressions/export.csv?reason=spam").Want(t, http.StatusUnprocessableEntity, "a bad reason's export")
}

func TestWebhooks(t *testing.T) {
	t.Parallel()
	env := servertest.New(t, func(c *config.Config) { c.WebhookAllowPrivate = true })
	a := newTenant(t, env, "Hooks", "hooks")
	b := newTenant(t, env, "Nosy", "nosy")
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(204) }))
	defer srv.Close()
	c := a.dev
	app := "/portal/lumora/apps/" + id(a.app.ID)
	r := c.Get(app)
	if !r.Has(`[data-testid="webhook-form"]`) || !r.Has(`[data-testid="app-webhooks-empty"]`) {
		t.Fatal("no webhook form on the app page")
	}
	for _, bad := range []url.Values{{"url": {"not a url"}, "events": {"email.delivered"}}, {"url": {srv.URL}}, {"url": {srv.URL}, "events": {"email.nope"}}} {
		if r := c.PostForm(app+"/webhooks", bad); r.Status != http.StatusUnprocessableEntity || !r.Has(`[data-testid="webhook-form"] .field-error, [data-testid="webhook-form"] [role=alert]`) {
			t.Errorf("bad endpoint %v: %d", bad, r.Status)
		}
	}
	r = c.PostForm(app+"/webhooks", url.Values{"url": {srv.URL + "/hooks"}, "events": {"email.delivered", "email.bounced"}})
	secret := r.Text(`[data-testid="webhook-secret-value"]`)
	if r.Status != http.StatusOK || !strings.HasPrefix(secret, "whsec_") {
		t.Fatalf("create: %d %q", r.Status, r.Text("main"))
	}
	eps, err := env.Webhooks.ListEndpoints(context.Background(), accounts.Only(a.acc.ID), a.app.ID)
	if err != nil || len(eps) != 1 {
		t.Fatalf("endpoints %v %v", eps, err)
	}
	ep := eps[0]
	// The secret is shown once.
	if r := c.Get(app); strings.Contains(r.Body, secret) || r.Doc.Find(`[data-testid="webhook-row"]`).Length() != 1 {
		t.Error("the secret is shown again, or the endpoint is not listed")
	}
	// A delivery: listed; a replay while it is pending is refused with a message.
	err = pgx.BeginFunc(context.Background(), env.DB.Pool, func(tx pgx.Tx) error {
		_, err := env.Webhooks.Enqueue(context.Background(), tx, a.app.ID, "email.delivered", map[string]any{"messageId": a.msgID})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	page := "/portal/lumora/webhooks/" + ep.ID
	r = c.Get(page)
	if r.Status != http.StatusOK || r.Doc.Find(`[data-testid="delivery-row"]`).Length() != 1 {
		t.Fatalf("endpoint page: %d", r.Status)
	}
	did, _ := r.Doc.Find(`[data-testid="delivery-row"]`).Attr("data-id")
	if r := c.PostForm(page+"/deliveries/"+did+"/replay", nil); r.Status != http.StatusSeeOther {
		t.Errorf("replay pending: %d", r.Status)
	}
	// Another account sees none of it.
	for _, p := range []string{page, page + "/delete"} {
		if r := b.dev.Get(p); r.Status != http.StatusNotFound {
			t.Errorf("B GET %s: %d", p, r.Status)
		}
	}
	for _, p := range []string{page + "/delete", page + "/deliveries/" + did + "/replay", app + "/webhooks"} {
		if r := b.dev.PostForm(p, url.Values{"url": {srv.URL}, "events": {"email.delivered"}}); r.Status != http.StatusNotFound {
			t.Errorf("B POST %s: %d", p, r.Status)
		}
	}
	// Delete: a confirmation first, then gone.
	r = c.Get(page + "/delete")
	if !r.Has(`[data-testid="webhook-confirm"]`) {
		t.Error("no confirmation")
	}
	if r := c.PostForm(page+"/delete", nil); r.Status != http.StatusSeeOther {
		t.Errorf("delete: %d", r.Status)
	}
	if r := c.Get(page); r.Status != http.StatusNotFound {
		t.Errorf("deleted endpoint: %d", r.Status)
	}
}
