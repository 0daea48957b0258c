package account_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"lumdesk/handlers/server/servertest"
	"lumdesk/internal/accounts"
	"lumdesk/internal/apikeys"
	"lumdesk/internal/audit"
	"lumdesk/internal/customers"
	"lumdesk/internal/mail"
)

const keysPath = "/portal/account/api-keys"

var ctx = context.Background()

func keyPath(id int64) string { return keysPath + "/" + strconv.FormatInt(id, 10) }

// issue makes a key of the account through the service (as staff would).
func issue(t *testing.T, env *servertest.Env, account int64, product string) apikeys.Created {
	t.Helper()
	c, err := env.APIKeys.Create(ctx, audit.CLI("test"), apikeys.CreateInput{Product: product, AccountID: &account})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func keysOf(t *testing.T, env *servertest.Env, account int64) []apikeys.Key {
	t.Helper()
	p, err := env.APIKeys.ListIn(ctx, accounts.Only(account), apikeys.ListParams{})
	if err != nil {
		t.Fatal(err)
	}
	return p.Keys
}

func secretOf(r *servertest.Response) string {
	v, _ := r.Doc.Find(`[data-testid="new-secret"] input`).Attr("value")
	return v
}

func TestCreateKeyByRoleShowsSecretOnce(t *testing.T) {
	t.Parallel()
	env := servertest.New(t)
	acc := env.CreateAccount("Roles")
	for _, role := range []customers.Role{customers.RoleDeveloper, customers.RoleOwner} {
		c := env.AsCustomer(acc.ID, role)
		if r := c.Get(keysPath + "/new"); r.Status != http.StatusOK || !r.Has(`[data-testid="apikey-form"]`) {
			t.Fatalf("%s: new form %d", role, r.Status)
		}
		r := c.PostForm(keysPath, url.Values{"product": {"luarmor"}, "name": {"Server " + string(role)},
			"scope": {"luarmor|keys:read"}, "rate_limit": {"90"}})
		secret := secretOf(r)
		if r.Status != http.StatusOK || secret == "" || r.Header.Get("Cache-Control") != "no-store" {
			t.Fatalf("%s: create %d %q secret %q", role, r.Status, r.Text("main"), secret)
		}
		var k apikeys.Key
		for _, x := range keysOf(t, env, acc.ID) {
			if x.Name == "Server "+string(role) {
				k = x
			}
		}
		if k.ID == 0 || k.Operator || strings.Join(k.Scopes, ",") != "keys:read" || k.RateLimitPerMinute != 90 || !strings.HasPrefix(secret, k.Prefix) {
			t.Fatalf("%s: stored key %+v", role, k)
		}
		// The secret is in that answer only: not in the list, nor the key's page.
		for _, p := range []string{keysPath, keyPath(k.ID), keysPath + "/new"} {
			if r := c.Get(p); r.Status != http.StatusOK || strings.Contains(r.Body, secret) {
				t.Errorf("%s: %s shows the secret again (status %d)", role, p, r.Status)
			}
		}
		if r := c.Get(keysPath); !strings.Contains(r.Text(`[data-testid="apikey-rows"]`), k.Prefix) {
			t.Errorf("%s: the list lacks %s", role, k.Prefix)
		}
		var kind, label string
		if err := env.DB.Pool.QueryRow(ctx, `SELECT actor_kind, actor_label FROM audit_events WHERE action = 'api_key.create' AND entity_id = $1`,
			strconv.FormatInt(k.ID, 10)).Scan(&kind, &label); err != nil || kind != string(audit.KindCustomer) || label != c.Customer.Email {
			t.Errorf("%s: audited as %s %s (%v)", role, kind, label, err)
		}
	}
	before := len(keysOf(t, env, acc.ID))
	for _, role := range []customers.Role{customers.RoleBilling, customers.RoleReadOnly} {
		c := env.AsCustomer(acc.ID, role)
		if r := c.Get(keysPath); r.Status != http.StatusOK || r.Has(`[data-testid="new-apikey"]`) || len(r.Doc.Find(`[data-testid="apikey-row"]`).Nodes) != before {
			t.Errorf("%s: list %d", role, r.Status)
		}
		if r := c.Get(keysPath + "/new"); r.Status != http.StatusForbidden {
			t.Errorf("%s: new form %d, want 403", role, r.Status)
		}
		if r := c.PostForm(keysPath, url.Values{"product": {"luarmor"}, "name": {"nope"}}); r.Status != http.StatusForbidden {
			t.Errorf("%s: create %d, want 403", role, r.Status)
		}
		k := keysOf(t, env, acc.ID)[0]
		for _, p := range []string{"/revoke", "/rotate", "/allowed-ips"} {
			if r := c.PostForm(keyPath(k.ID)+p, url.Values{"allowed_ips": {"10.0.0.1"}}); r.Status != http.StatusForbidden {
				t.Errorf("%s: %s %d, want 403", role, p, r.Status)
			}
		}
		if r := c.Get(keyPath(k.ID)); r.Status != http.StatusOK || r.Has(`[data-testid="action-revoke"]`) || r.Has(`[data-testid="allowed-ips-form"]`) {
			t.Errorf("%s: key page %d offers changes", role, r.Status)
		}
	}
	if n := len(keysOf(t, env, acc.ID)); n != before {
		t.Errorf("refused roles created keys: %d, want %d", n, before)
	}
}

func TestCreateLumoraKeyNeedsOwnApp(t *testing.T) {
	t.Parallel()
	env := servertest.New(t)
	a, b := env.CreateAccount("Mail A"), env.CreateAccount("Mail B")
	appA, err := env.Mail.CreateApp(ctx, audit.CLI("test"), accounts.Only(a.ID), mail.AppInput{Name: "Shop"})
	if err != nil {
		t.Fatal(err)
	}
	appB, err := env.Mail.CreateApp(ctx, audit.CLI("test"), accounts.Only(b.ID), mail.AppInput{Name: "Theirs"})
	if err != nil {
		t.Fatal(err)
	}
	c := env.AsCustomer(a.ID, customers.RoleDeveloper)
	r := c.Get(keysPath + "/new")
	if !strings.Contains(r.Text(`#f-app`), "Shop") || strings.Contains(r.Text(`#f-app`), "Theirs") {
		t.Errorf("app choices: %q", r.Text(`#f-app`))
	}
	for name, app := range map[string]string{"none": "", "B's app": strconv.FormatInt(appB.ID, 10), "garbage": "x1"} {
		r := c.PostForm(keysPath, url.Values{"product": {"lumora"}, "app": {app}})
		if r.Status != http.StatusUnprocessableEntity || r.Text(`[data-testid="app-error"]`) == "" {
			t.Errorf("%s: %d %q", name, r.Status, r.Text(`[data-testid="app-error"]`))
		}
	}
	r = c.PostForm(keysPath, url.Values{"product": {"lumora"}, "app": {strconv.FormatInt(appA.ID, 10)}, "rate_limit": {"30"}})
	if r.Status != http.StatusOK || !strings.HasPrefix(secretOf(r), "lum_") {
		t.Fatalf("create: %d %q", r.Status, r.Text("main"))
	}
	ks := keysOf(t, env, a.ID)
	if len(ks) != 1 || ks[0].MailAppID == nil || *ks[0].MailAppID != appA.ID || ks[0].RateLimitPerMinute != 30 {
		t.Fatalf("keys: %+v", ks)
	}
	if len(keysOf(t, env, b.ID)) != 0 {
		t.Error("B got a key")
	}
}

func TestBadInputIsAFormMessage(t *testing.T) {
	t.Parallel()
	env := servertest.New(t)
	acc := env.CreateAccount("Bad")
	c := env.AsCustomer(acc.ID, customers.RoleDeveloper)
	cases := map[string]struct {
		form  url.Values
		field string
	}{
		"no product":        {url.Values{}, "product"},
		"unknown product":   {url.Values{"product": {"nope"}}, "product"},
		"rate limit":        {url.Values{"product": {"luarmor"}, "rate_limit": {"0"}}, "rate_limit"},
		"rate limit text":   {url.Values{"product": {"luarmor"}, "rate_limit": {"lots"}}, "rate_limit"},
		"expiry format":     {url.Values{"product": {"luarmor"}, "expires_on": {"31/12/2030"}}, "expires_at"},
		"expiry past":       {url.Values{"product": {"luarmor"}, "expires_on": {"2001-01-01"}}, "expires_at"},
		"operator scope":    {url.Values{"product": {"lumi-domains"}, "scope": {"lumi-domains|admin:*"}}, "scopes"},
		"foreign scope":     {url.Values{"product": {"lumio"}, "scope": {"luarmor|keys:read"}}, "scopes"},
		"bare scope":        {url.Values{"product": {"lumio"}, "scope": {"extensions:read"}}, "scopes"},
		"name too long":     {url.Values{"product": {"luarmor"}, "name": {strings.Repeat("n", 101)}}, "name"},
		"name with newline": {url.Values{"product": {"luarmor"}, "name": {"a\nb"}}, "name"},
	}
	for name, tc := range cases {
		r := c.PostForm(keysPath, tc.form)
		msg := r.Text("#f-" + tc.field + "-msg")
		if tc.field == "scopes" {
			msg = r.Text(`[data-testid="scopes-error"]`)
		}
		if tc.field == "expires_at" || tc.field == "rate_limit" || tc.field == "name" {
			msg = r.Text(`.field-error`)
		}
		if r.Status != http.StatusUnprocessableEntity || msg == "" || !r.Has(`[role=alert]`) {
			t.Errorf("%s: %d message %q", name, r.Status, msg)
		}
	}
	if n := len(keysOf(t, env, acc.ID)); n != 0 {
		t.Fatalf("bad input created %d keys", n)
	}
	k := issue(t, env, acc.ID, apikeys.Luarmor)
	for name, v := range map[string]string{"not an ip": "10.0.0.1\nexample.com", "prefix": "10.0.0.0/40", "too many": strings.Repeat("10.0.0.1 ", 0) + manyIPs(101)} {
		r := c.PostForm(keyPath(k.Key.ID)+"/allowed-ips", url.Values{"allowed_ips": {v}})
		if r.Status != http.StatusUnprocessableEntity || r.Text("#f-allowed_ips-msg") == "" {
			t.Errorf("allowed ips %s: %d %q", name, r.Status, r.Text("#f-allowed_ips-msg"))
		}
	}
	if r := c.PostForm(keyPath(k.Key.ID)+"/revoke", url.Values{"reason": {strings.Repeat("r", 600)}}); r.Status != http.StatusUnprocessableEntity || r.Text(`[data-testid="action-error"]`) == "" {
		t.Errorf("long reason: %d %q", r.Status, r.Text(`[data-testid="action-error"]`))
	}
	if got := keysOf(t, env, acc.ID)[0]; got.Status() != apikeys.StatusActive || len(got.AllowedIPs) != 0 {
		t.Errorf("refused changes changed the key: %+v", got)
	}
	// A Lumio key keeps no allow list.
	lumio := issue(t, env, acc.ID, apikeys.Lumio)
	if r := c.PostForm(keyPath(lumio.Key.ID)+"/allowed-ips", url.Values{"allowed_ips": {"10.0.0.1"}}); r.Status != http.StatusUnprocessableEntity {
		t.Errorf("lumio allow list: %d", r.Status)
	}
	if r := c.Get(keyPath(lumio.Key.ID)); r.Has(`[data-testid="allowed-ips"]`) {
		t.Error("lumio key page shows an allow list")
	}
}

func manyIPs(n int) string {
	var b strings.Builder
	for i := range n {
		fmt.Fprintf(&b, "10.0.%d.%d\n", i/256, i%256)
	}
	return b.String()
}

func TestRevokeRotateAndAllowList(t *testing.T) {
	t.Parallel()
	env := servertest.New(t)
	acc := env.CreateAccount("Life")
	c := env.AsCustomer(acc.ID, customers.RoleOwner)
	k := issue(t, env, acc.ID, apikeys.Luarmor)

	r := c.PostForm(keyPath(k.Key.ID)+"/allowed-ips", url.Values{"allowed_ips": {"203.0.113.7, 10.1.2.3/8\n2001:DB8::/32"}})
	if r.Status != http.StatusSeeOther {
		t.Fatalf("allow list: %d %q", r.Status, r.Text("main"))
	}
	r = c.Get(keyPath(k.Key.ID))
	if got := r.Text(`[data-testid="allowed-ip-list"]`); !strings.Contains(got, "10.0.0.0/8") || !strings.Contains(got, "2001:db8::/32") || !strings.Contains(got, "203.0.113.7") {
		t.Errorf("allow list shown: %q", got)
	}
	if env.AuditCount("api_key.allowed_ips", strconv.FormatInt(k.Key.ID, 10)) != 1 {
		t.Error("allow list change not audited")
	}

	r = c.PostForm(keyPath(k.Key.ID)+"/rotate", url.Values{})
	newSecret := secretOf(r)
	if r.Status != http.StatusOK || newSecret == "" || newSecret == k.Secret || r.Header.Get("Cache-Control") != "no-store" {
		t.Fatalf("rotate: %d %q", r.Status, r.Text("main"))
	}
	old, err := env.APIKeys.Get(ctx, k.Key.ID)
	if err != nil || old.Status() != apikeys.StatusRevoked || old.ReplacedByID == nil {
		t.Fatalf("old key after rotate: %+v %v", old, err)
	}
	repl, err := env.APIKeys.Get(ctx, *old.ReplacedByID)
	if err != nil || len(repl.AllowedIPs) != 3 || !strings.HasPrefix(newSecret, repl.Prefix) {
		t.Fatalf("replacement: %+v %v", repl, err)
	}
	if r := c.Get(keyPath(repl.ID)); strings.Contains(r.Body, newSecret) {
		t.Error("the key page shows the rotated secret again")
	}
	if r := c.PostForm(keyPath(k.Key.ID)+"/rotate", url.Values{}); r.Status != http.StatusConflict || r.Text(`[data-testid="action-error"]`) == "" {
		t.Errorf("rotate revoked: %d", r.Status)
	}

	r = c.PostForm(keyPath(repl.ID)+"/revoke", url.Values{"reason": {"leaked"}})
	if r.Status != http.StatusSeeOther {
		t.Fatalf("revoke: %d %q", r.Status, r.Text("main"))
	}
	if got, _ := env.APIKeys.Get(ctx, repl.ID); got.Status() != apikeys.StatusRevoked || got.RevokedReason != "leaked" {
		t.Errorf("revoked: %s %q", got.Status(), got.RevokedReason)
	}
	if r := c.PostForm(keyPath(repl.ID)+"/revoke", url.Values{}); r.Status != http.StatusConflict || r.Text(`[data-testid="action-error"]`) == "" {
		t.Errorf("revoke twice: %d", r.Status)
	}
	var kind string
	if err := env.DB.Pool.QueryRow(ctx, `SELECT actor_kind FROM audit_events WHERE action = 'api_key.revoke' AND entity_id = $1`,
		strconv.FormatInt(repl.ID, 10)).Scan(&kind); err != nil || kind != string(audit.KindCustomer) {
		t.Errorf("revoke audited as %q (%v)", kind, err)
	}
	// The status filter finds the revoked keys; a bad filter is a message.
	r = c.Get(keysPath + "?status=revoked&product=luarmor")
	if n := len(r.Doc.Find(`[data-testid="apikey-row"]`).Nodes); n != 2 {
		t.Errorf("revoked filter: %d rows", n)
	}
	if r := c.Get(keysPath + "?status=asleep"); r.Status != http.StatusOK || r.Text(`[data-testid="filter-error"]`) == "" {
		t.Errorf("bad status filter: %d", r.Status)
	}
	if r := c.Get(keysPath + "?status=active"); !r.Has(".empty-state") {
		t.Error("no active keys: no empty state")
	}
}

func TestKeysPage(t *testing.T) {
	t.Parallel()
	env := servertest.New(t)
	acc := env.CreateAccount("Pages")
	for range 27 {
		issue(t, env, acc.ID, apikeys.Lumio)
	}
	c := env.AsCustomer(acc.ID, customers.RoleReadOnly)
	r := c.Get(keysPath)
	next, ok := r.Doc.Find(`[data-testid="next-page"]`).Attr("href")
	if n := len(r.Doc.Find(`[data-testid="apikey-row"]`).Nodes); n != 25 || !ok {
		t.Fatalf("first page: %d rows, next %q", n, next)
	}
	r = c.Get(next)
	if n := len(r.Doc.Find(`[data-testid="apikey-row"]`).Nodes); n != 2 || !r.Has(`[data-testid="prev-page"]`) || r.Has(`[data-testid="next-page"]`) {
		t.Errorf("second page: %d rows", n)
	}
}

// Account B's customers never see, revoke, rotate or edit account A's keys:
// each is "not found", exactly like an unknown id.
func TestAnotherAccountsKeysAreNotFound(t *testing.T) {
	t.Parallel()
	env := servertest.New(t)
	a, b := env.CreateAccount("Alpha"), env.CreateAccount("Bravo")
	ka := issue(t, env, a.ID, apikeys.Luarmor)
	op, err := env.APIKeys.Create(ctx, audit.CLI("test"), apikeys.CreateInput{Product: apikeys.Luarmor, Operator: true})
	if err != nil {
		t.Fatal(err)
	}
	issue(t, env, b.ID, apikeys.Lumio)
	cb := env.AsCustomer(b.ID, customers.RoleOwner)
	for _, id := range []int64{ka.Key.ID, op.Key.ID, 999999} {
		if r := cb.Get(keyPath(id)); r.Status != http.StatusNotFound || strings.Contains(r.Body, ka.Key.Prefix) {
			t.Errorf("GET %d: %d", id, r.Status)
		}
		for _, p := range []string{"/revoke", "/rotate", "/allowed-ips"} {
			if r := cb.PostForm(keyPath(id)+p, url.Values{"allowed_ips": {"10.0.0.1"}, "reason": {"x"}}); r.Status != http.StatusNotFound {
				t.Errorf("POST %d%s: %d", id, p, r.Status)
			}
		}
	}
	for _, p := range []string{keysPath, keysPath + "?account=" + strconv.FormatInt(a.ID, 10), keysPath + "?product=luarmor"} {
		r := cb.Get(p)
		if strings.Contains(r.Body, ka.Key.Prefix) || strings.Contains(r.Body, op.Key.Prefix) {
			t.Errorf("%s lists another account's key", p)
		}
	}
	if n := len(cb.Get(keysPath).Doc.Find(`[data-testid="apikey-row"]`).Nodes); n != 1 {
		t.Errorf("B's list: %d rows, want its own 1", n)
	}
	got, err := env.APIKeys.Get(ctx, ka.Key.ID)
	if err != nil || got.Status() != apikeys.StatusActive || len(got.AllowedIPs) != 0 {
		t.Errorf("A's key changed: %+v %v", got, err)
	}
	// A's own customers do see it.
	if r := env.AsCustomer(a.ID, customers.RoleReadOnly).Get(keyPath(ka.Key.ID)); r.Status != http.StatusOK {
		t.Errorf("A's own key: %d", r.Status)
	}
}
