package luarmor_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"lumdesk/handlers/api/luarmor"
	"lumdesk/handlers/server/servertest"
	"lumdesk/internal/accounts"
	"lumdesk/internal/apikeys"
	"lumdesk/internal/audit"
	"lumdesk/internal/licensing"
)

var (
	ctx   = context.Background()
	actor = audit.CLI("luarmor api test")
	all   = []string{"keys:read", "keys:write", "scripts:write"}
)

// world is a running app with one account, its project and script, an API
// key of that account, and a second account with its own project.
type world struct {
	t       *testing.T
	env     *servertest.Env
	account accounts.Account
	project licensing.Project
	script  licensing.Script
	key     string
	foreign licensing.Project
}

func newWorld(t *testing.T, opts ...servertest.Option) *world {
	t.Helper()
	env := servertest.New(t, opts...)
	t.Cleanup(env.Licensing.Close) // before the database goes
	w := &world{t: t, env: env}
	w.account = w.newAccount("ops@nightfall.test")
	other := w.newAccount("team@kestrel.test")
	var err error
	if w.project, err = env.Licensing.CreateProject(ctx, actor, licensing.ProjectInput{AccountID: w.account.ID, Name: "Hub", ResetCooldown: time.Hour}); err != nil {
		t.Fatal(err)
	}
	if w.script, err = env.Licensing.CreateScript(ctx, actor, w.project.ID, licensing.ScriptInput{Name: "Main"}); err != nil {
		t.Fatal(err)
	}
	if w.foreign, err = env.Licensing.CreateProject(ctx, actor, licensing.ProjectInput{AccountID: other.ID, Name: "Theirs"}); err != nil {
		t.Fatal(err)
	}
	w.key = w.apiKey(w.account.ID, all, 0)
	return w
}

func (w *world) newAccount(email string) accounts.Account {
	w.t.Helper()
	a, err := w.env.Accounts.Create(ctx, actor, accounts.CreateInput{Name: email, Email: email})
	if err != nil {
		w.t.Fatal(err)
	}
	return a
}

func (w *world) apiKey(account int64, scopes []string, perMinute int) string {
	w.t.Helper()
	k, err := w.env.APIKeys.Create(ctx, actor, apikeys.CreateInput{Product: apikeys.Luarmor, AccountID: &account, Scopes: scopes, RateLimitPerMinute: perMinute})
	if err != nil {
		w.t.Fatal(err)
	}
	return k.Secret
}

// resp is a decoded answer.
type resp struct {
	Status int
	Header http.Header
	Body   map[string]any
	Raw    string
}

func (r resp) str(k string) string { s, _ := r.Body[k].(string); return s }

// call sends a request; body may be nil, a string (sent raw) or a value
// (sent as JSON). Bodies get Content-Type: application/json unless hdr sets one.
func (w *world) call(method, path, key string, body any, hdr ...string) resp {
	w.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	default:
		raw, _ := json.Marshal(b)
		rd = bytes.NewReader(raw)
	}
	req, _ := http.NewRequest(method, w.env.URL+path, rd)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if key != "" {
		req.Header.Set("Authorization", key)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		w.t.Fatal(err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	out := resp{Status: res.StatusCode, Header: res.Header, Raw: string(raw)}
	if err := json.Unmarshal(raw, &out.Body); err != nil {
		w.t.Fatalf("%s %s: status %d, body is not a JSON object: %q", method, path, res.StatusCode, raw)
	}
	// Every answer is Luarmor's envelope.
	if _, ok := out.Body["success"].(bool); !ok {
		w.t.Errorf("%s %s: no success field: %s", method, path, raw)
	}
	if _, ok := out.Body["message"].(string); !ok {
		w.t.Errorf("%s %s: no message field: %s", method, path, raw)
	}
	if res.StatusCode >= 500 {
		w.t.Errorf("%s %s: status %d: %s", method, path, res.StatusCode, raw)
	}
	return out
}

func (w *world) users() string { return "/api/luarmor/v3/projects/" + w.project.ID + "/users" }

func (w *world) createUser(body map[string]any) map[string]any {
	w.t.Helper()
	r := w.call("POST", w.users(), w.key, body)
	if r.Status != 200 || r.Body["success"] != true {
		w.t.Fatalf("create user: %d %s", r.Status, r.Raw)
	}
	return r.Body["user"].(map[string]any)
}

func (w *world) check(userKey, hwid string) resp {
	w.t.Helper()
	return w.call("POST", "/api/luarmor/v3/projects/"+w.project.ID+"/scripts/"+w.script.ID+"/check", "",
		map[string]any{"script_key": userKey, "hwid": hwid})
}

// want asserts status, success and (when given) the message.
func want(t *testing.T, name string, r resp, status int, message string) {
	t.Helper()
	if r.Status != status || r.Body["success"] != (status < 300) || (message != "" && r.str("message") != message) {
		t.Errorf("%s: got %d %s; want %d %q", name, r.Status, r.Raw, status, message)
	}
}

func TestStatusAndOpenAPI(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	r := w.call("GET", "/api/luarmor/status", "", nil)
	want(t, "status", r, 200, "")
	if r.str("version") != "v3" {
		t.Errorf("status: %s", r.Raw)
	}
	// The OpenAPI document names exactly the routes served.
	res, err := http.Get(w.env.URL + "/api/luarmor/openapi.json")
	if err != nil || res.StatusCode != 200 {
		t.Fatalf("openapi: %v %v", res, err)
	}
	var doc struct {
		OpenAPI string                    `json:"openapi"`
		Paths   map[string]map[string]any `json:"paths"`
	}
	if err := json.NewDecoder(res.Body).Decode(&doc); err != nil || doc.OpenAPI != "3.1.0" {
		t.Fatalf("openapi decode: %v %q", err, doc.OpenAPI)
	}
	var documented []string
	for path, ops := range doc.Paths {
		for m := range ops {
			if m != "parameters" {
				documented = append(documented, strings.ToUpper(m)+" "+path)
			}
		}
	}
	param := regexp.MustCompile(`:([a-z_]+)`)
	var served []string
	for _, rt := range w.env.Handlers.Table() {
		if strings.HasPrefix(rt.Path, luarmor.Prefix+"/") && !strings.HasSuffix(rt.Path, "*") {
			served = append(served, rt.Method+" "+param.ReplaceAllString(strings.TrimPrefix(rt.Path, luarmor.Prefix), "{$1}"))
		}
	}
	slices.Sort(documented)
	slices.Sort(served)
	if diff := cmp.Diff(served, documented); diff != "" {
		t.Errorf("openapi paths (-served +documented):\n%s", diff)
	}
	want(t, "unknown path", w.call("GET", "/api/luarmor/v3/nothing", "", nil), 404, "")
}

func TestAuthErrors(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	readOnly := w.apiKey(w.account.ID, []string{"keys:read"}, 0)
	revokedKey, err := w.env.APIKeys.Create(ctx, actor, apikeys.CreateInput{Product: apikeys.Luarmor, AccountID: &w.account.ID, Scopes: all})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.env.APIKeys.Revoke(ctx, actor, revokedKey.Key.ID, "test"); err != nil {
		t.Fatal(err)
	}
	lumio, _ := w.env.APIKeys.Create(ctx, actor, apikeys.CreateInput{Product: apikeys.Lumio, AccountID: &w.account.ID, Scopes: []string{"extensions:read"}})
	foreign := "/api/luarmor/v3/projects/" + w.foreign.ID + "/users"
	unknown := "/api/luarmor/v3/projects/0123456789abcdef012345/users"
	cases := []struct {
		name, method, path, key string
		body                    any
		status                  int
		message                 string
	}{
		{"no key", "GET", w.users(), "", nil, 401, "No API key: send it in the Authorization header."},
		{"bad key", "GET", w.users(), "nope", nil, 401, "API key is unknown, revoked or expired."},
		{"revoked key", "GET", w.users(), revokedKey.Secret, nil, 401, "API key is unknown, revoked or expired."},
		{"another product's key", "GET", w.users(), lumio.Secret, nil, 401, "API key is unknown, revoked or expired."},
		{"bearer tolerated", "GET", w.users(), "Bearer " + w.key, nil, 200, ""},
		{"foreign project", "GET", foreign, w.key, nil, 404, "Project not found."},
		{"unknown project", "GET", unknown, w.key, nil, 404, "Project not found."},
		{"foreign project write", "POST", foreign, w.key, map[string]any{}, 404, "Project not found."},
		{"missing scope", "POST", w.users(), readOnly, map[string]any{}, 403, `This API key lacks the scope "keys:write".`},
		{"bad key on details", "GET", "/api/luarmor/v3/keys/abc/details", "", nil, 401, ""},
	}
	for _, c := range cases {
		want(t, c.name, w.call(c.method, c.path, c.key, c.body), c.status, c.message)
	}
	// Content-Type must be JSON on bodies.
	r := w.call("POST", w.users(), w.key, `{"note":"x"}`, "Content-Type", "text/plain")
	want(t, "content type", r, 415, "Content-Type header must be set to application/json.")
}

func TestBadBodies(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	u := w.createUser(map[string]any{})
	uk := u["user_key"].(string)
	p := "/api/luarmor/v3/projects/" + w.project.ID
	cases := []struct {
		name, method, path string
		body               any
		message            string
	}{
		{"not json", "POST", w.users(), `{"note": `, "The request body is not valid JSON."},
		{"trailing data", "POST", w.users(), `{} {}`, "The request body must hold exactly one JSON value; something follows it."},
		{"trailing braces", "PATCH", w.users(), `{"user_key":"` + uk + `","note":"x"}}}x`, "The request body must hold exactly one JSON value; something follows it."},
		{"array", "POST", w.users(), `[]`, "Request body must be a JSON object."},
		{"empty", "POST", w.users(), ``, "Request body must be a JSON object."},
		{"identifier type", "POST", w.users(), map[string]any{"identifier": 5}, "identifier must be a string."},
		{"auth_expire type", "POST", w.users(), map[string]any{"auth_expire": "tomorrow"}, "auth_expire must be a number."},
		{"auth_expire fraction", "POST", w.users(), map[string]any{"auth_expire": 1.5}, "auth_expire must be a whole number."},
		{"key_days type", "POST", w.users(), map[string]any{"key_days": true}, "key_days must be a number."},
		{"note type", "POST", w.users(), map[string]any{"note": []int{1}}, "note must be a string."},
		{"discord_id digits", "POST", w.users(), map[string]any{"discord_id": "abc"}, "discord_id must be a Discord user ID (digits only)."},
		{"key_days range", "POST", w.users(), map[string]any{"key_days": 0}, "key_days must be a whole number of days from 1 to 36500."},
		{"both expiries", "POST", w.users(), map[string]any{"key_days": 3, "auth_expire": time.Now().Add(time.Hour).Unix()}, "auth_expire cannot be combined with key_days."},
		{"patch without user_key", "PATCH", w.users(), map[string]any{"note": "x"}, "user_key is required."},
		{"patch user_key type", "PATCH", w.users(), map[string]any{"user_key": 12}, "user_key must be a string."},
		{"reset without user_key", "POST", p + "/users/resethwid", map[string]any{}, "user_key is required."},
		{"reset force type", "POST", p + "/users/resethwid", map[string]any{"user_key": uk, "force": "yes"}, "force must be true or false."},
		{"link without discord", "POST", p + "/users/linkdiscord", map[string]any{"user_key": uk}, "discord_id is required."},
		{"blacklist expire type", "POST", p + "/users/blacklist", map[string]any{"user_key": uk, "ban_expire": "never"}, "ban_expire must be a number."},
		{"blacklist past expire", "POST", p + "/users/blacklist", map[string]any{"user_key": uk, "ban_expire": 100}, "ban_expire must be in the future (or -1 for a ban without end)."},
		{"script missing", "PUT", p + "/scripts/" + w.script.ID, map[string]any{"ffa": true}, "script is required."},
		{"script flag type", "PUT", p + "/scripts/" + w.script.ID, map[string]any{"script": "x", "silent": 1}, "silent must be true or false."},
		{"delete without user_key", "DELETE", w.users(), nil, "user_key is required."},
		{"list from", "GET", w.users() + "?from=-1", nil, "from must be a whole number, 0 or more."},
		{"list until", "GET", w.users() + "?from=5&until=2", nil, "until must not be less than from."},
		{"list until garbage", "GET", w.users() + "?until=x", nil, "until must be a whole number, 0 or more."},
		{"stats noUsers", "GET", "/api/luarmor/v3/keys/" + w.key + "/stats?noUsers=maybe", nil, "noUsers must be true or false."},
		{"check hwid type", "POST", p + "/scripts/" + w.script.ID + "/check", map[string]any{"hwid": 1}, "hwid must be a string."},
	}
	for _, c := range cases {
		r := w.call(c.method, c.path, w.key, c.body)
		want(t, c.name, r, 400, c.message)
	}
	// Nothing half-written: the key is as created.
	r := w.call("GET", w.users()+"?user_key="+uk, w.key, nil)
	if got := r.Body["users"].([]any)[0].(map[string]any); got["banned"] != false || got["note"] != "" {
		t.Errorf("key changed by refused requests: %v", got)
	}
}

func TestRateLimit(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	// A key's limit spreads its requests evenly over the minute (GCRA), so a
	// burst of exactly the limit passes and the next is refused until one
	// emission interval has gone by. A limit of 3 makes that interval 20 s, so
	// the outcome does not depend on how fast this machine sends the burst.
	key := w.apiKey(w.account.ID, all, 3)
	for i := 0; i < 3; i++ {
		if r := w.call("GET", w.users()+"?until=1", key, nil); r.Status != 200 {
			t.Fatalf("request %d: %d %s", i+1, r.Status, r.Raw)
		}
	}
	r := w.call("GET", w.users(), key, nil)
	want(t, "4th request", r, 429, "")
	if s, err := strconv.Atoi(r.Header.Get("Retry-After")); err != nil || s < 1 || s > 20 {
		t.Errorf("Retry-After %q, want 1-20 seconds", r.Header.Get("Retry-After"))
	}
	// Another key of the same account is not affected.
	other := w.apiKey(w.account.ID, all, 0)
	want(t, "other key", w.call("GET", w.users(), other, nil), 200, "")
}

// The spec's default is 60 requests a minute per key.
func TestRateLimitDefault(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	k, err := w.env.APIKeys.Create(ctx, actor, apikeys.CreateInput{Product: apikeys.Luarmor, AccountID: &w.account.ID, Scopes: all})
	if err != nil {
		t.Fatal(err)
	}
	if k.Key.RateLimitPerMinute != 60 {
		t.Fatalf("default rate limit %d, want 60", k.Key.RateLimitPerMinute)
	}
}

func TestUsers(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	exp := time.Now().Add(48 * time.Hour).Unix()
	full := w.createUser(map[string]any{"identifier": "HWID-1", "discord_id": "123456789012345678", "note": "vip", "auth_expire": exp})
	if full["identifier"] != "HWID-1" || full["status"] != "active" || full["auth_expire"] != float64(exp) || full["key_days"] != float64(-1) ||
		len(full["user_key"].(string)) != 32 || full["banned"] != false || full["ban_expire"] != float64(-1) {
		t.Fatalf("full user: %v", full)
	}
	stock := w.createUser(map[string]any{"key_days": 30, "note": "stock"})
	if stock["status"] != "reset" || stock["key_days"] != float64(30) || stock["auth_expire"] != float64(-1) {
		t.Fatalf("stock user: %v", stock)
	}
	conv := w.createUser(map[string]any{"auth_expire": time.Now().Add(72*time.Hour - time.Minute).Unix()})
	if conv["key_days"] != float64(3) || conv["auth_expire"] != float64(-1) {
		t.Fatalf("auth_expire without identifier/discord: %v", conv)
	}
	plain := w.createUser(map[string]any{})

	list := func(query string) []string {
		t.Helper()
		r := w.call("GET", w.users()+query, w.key, nil)
		want(t, "list "+query, r, 200, "")
		var out []string
		for _, u := range r.Body["users"].([]any) {
			out = append(out, u.(map[string]any)["user_key"].(string))
		}
		return out
	}
	k := func(u map[string]any) string { return u["user_key"].(string) }
	// searched is what a search for term lists: the users named, and any
	// other whose random user_key holds term by chance (for three letters,
	// about one run in a thousand), in the list's order.
	searched := func(term string, named ...string) []string {
		var out []string
		for _, u := range []map[string]any{full, stock, conv, plain} {
			if slices.Contains(named, k(u)) || strings.Contains(strings.ToLower(k(u)), strings.ToLower(term)) {
				out = append(out, k(u))
			}
		}
		return out
	}
	checks := map[string][]string{
		"":                                  {k(full), k(stock), k(conv), k(plain)},
		"?discord_id=123456789012345678":    {k(full)},
		"?identifier=HWID-1":                {k(full)},
		"?user_key=" + k(plain):             {k(plain)},
		"?search=toc":                       searched("toc", k(stock)), // inside a note's word: the spec's "anywhere"
		"?search=STO":                       searched("STO", k(stock)),
		"?search=" + k(conv)[3:12]:          searched(k(conv)[3:12], k(conv)),
		"?search=hwid":                      searched("hwid", k(full)),
		"?from=1&until=3":                   {k(stock), k(conv)},
		"?from=3":                           {k(plain)},
		"?from=9":                           nil,
		"?until=0":                          nil,
		"?identifier=nope":                  nil,
		"?search=vip&discord_id=1234567890": nil,
	}
	for q, wantKeys := range checks {
		if diff := cmp.Diff(wantKeys, list(q)); diff != "" {
			t.Errorf("GET users%s (-want +got):\n%s", q, diff)
		}
	}
	// has_more says whether users lie past the range, an empty one too.
	for q, more := range map[string]bool{"?from=1&until=3": true, "?from=2&until=4": false, "?from=3": false,
		"?until=0": true, "?from=3&until=3": true, "?from=4&until=4": false, "?from=9&until=9": false} {
		if r := w.call("GET", w.users()+q, w.key, nil); r.Body["has_more"] != more {
			t.Errorf("GET users%s: has_more %v, want %v", q, r.Body["has_more"], more)
		}
	}

	// PATCH: absent fields stay, -1 is never.
	r := w.call("PATCH", w.users(), w.key, map[string]any{"user_key": k(full), "note": "vip+", "auth_expire": -1})
	want(t, "patch", r, 200, "User has been updated.")
	got := r.Body["user"].(map[string]any)
	if got["note"] != "vip+" || got["auth_expire"] != float64(-1) || got["identifier"] != "HWID-1" || got["discord_id"] != "123456789012345678" {
		t.Errorf("patched: %v", got)
	}
	want(t, "patch unknown", w.call("PATCH", w.users(), w.key, map[string]any{"user_key": "nope"}), 404, "Key not found.")

	// DELETE
	want(t, "delete", w.call("DELETE", w.users()+"?user_key="+k(plain), w.key, nil), 200, "User has been deleted.")
	want(t, "delete again", w.call("DELETE", w.users()+"?user_key="+k(plain), w.key, nil), 404, "Key not found.")
	if diff := cmp.Diff([]string(nil), list("?user_key="+k(plain))); diff != "" {
		t.Error(diff)
	}
	// Audited as the API key.
	var n int
	if err := w.env.DB.Pool.QueryRow(ctx, "SELECT count(*) FROM audit_events WHERE actor_kind = 'api_key' AND action LIKE 'license_key.%'").Scan(&n); err != nil || n != 6 {
		t.Errorf("api_key audit rows: %d %v", n, err)
	}
}

func TestResetLinkBlacklistUnban(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	p := "/api/luarmor/v3/projects/" + w.project.ID
	u := w.createUser(map[string]any{"key_days": 10})
	uk := u["user_key"].(string)

	// Reset before any HWID: nothing to reset.
	want(t, "reset unassigned", w.call("POST", p+"/users/resethwid", w.key, map[string]any{"user_key": uk}), 409, "This key has no HWID to reset.")
	if r := w.check(uk, "hw-1"); r.Status != 200 || r.Body["assigned"] != true {
		t.Fatalf("first check: %s", r.Raw)
	}
	r := w.call("POST", p+"/users/resethwid", w.key, map[string]any{"user_key": uk})
	want(t, "reset", r, 200, "HWID has been reset.")
	if got := r.Body["user"].(map[string]any); got["status"] != "reset" || got["identifier"] != "" || got["total_resets"] != float64(1) || got["last_reset"] == float64(0) {
		t.Errorf("after reset: %v", got)
	}
	w.check(uk, "hw-2")
	r = w.call("POST", p+"/users/resethwid", w.key, map[string]any{"user_key": uk})
	want(t, "cooldown", r, 409, "")
	if ends, _ := r.Body["cooldown_ends"].(float64); ends < float64(time.Now().Add(59*time.Minute).Unix()) {
		t.Errorf("cooldown_ends %v", r.Body["cooldown_ends"])
	}
	want(t, "forced", w.call("POST", p+"/users/resethwid", w.key, map[string]any{"user_key": uk, "force": true}), 200, "")

	// Link Discord (force to overwrite).
	r = w.call("POST", p+"/users/linkdiscord", w.key, map[string]any{"user_key": uk, "discord_id": "111"})
	want(t, "link", r, 200, "Discord ID has been linked.")
	want(t, "link other", w.call("POST", p+"/users/linkdiscord", w.key, map[string]any{"user_key": uk, "discord_id": "222"}), 409, "")
	r = w.call("POST", p+"/users/linkdiscord", w.key, map[string]any{"user_key": uk, "discord_id": "222", "force": true})
	if got := r.Body["user"].(map[string]any); r.Status != 200 || got["discord_id"] != "222" {
		t.Errorf("force link: %s", r.Raw)
	}

	// Blacklist: the check refuses with the reason; unban by token, once.
	w.check(uk, "hw-3")
	r = w.call("POST", p+"/users/blacklist", w.key, map[string]any{"user_key": uk, "ban_reason": "chargeback", "ban_expire": -1})
	want(t, "blacklist", r, 200, "User has been blacklisted.")
	token := r.str("unban_token")
	bu := r.Body["user"].(map[string]any)
	if len(token) != 32 || bu["banned"] != true || bu["status"] != "active" || bu["unban_token"] != token || bu["ban_reason"] != "chargeback" {
		t.Fatalf("blacklisted user: %s", r.Raw)
	}
	if c := w.check(uk, "hw-3"); c.Status != 403 || c.str("code") != "banned" || c.str("ban_reason") != "chargeback" || c.Body["ban_expire"] != float64(-1) {
		t.Errorf("check of banned key: %s", c.Raw)
	}
	// GET users shows the token.
	lr := w.call("GET", w.users()+"?user_key="+uk, w.key, nil)
	if lr.Body["users"].([]any)[0].(map[string]any)["unban_token"] != token {
		t.Errorf("token not listed: %s", lr.Raw)
	}
	want(t, "unban without token", w.call("GET", p+"/users/unban", "", nil), 400, "unban_token is required.")
	want(t, "unban", w.call("GET", p+"/users/unban?unban_token="+token, "", nil), 200, "User has been unbanned.")
	want(t, "unban twice", w.call("GET", p+"/users/unban?unban_token="+token, "", nil), 404, "Unban token is invalid or was already used.")
	want(t, "unban in another project", w.call("GET", "/api/luarmor/v3/projects/"+w.foreign.ID+"/users/unban?unban_token="+token, "", nil), 404, "")
	if c := w.check(uk, "hw-3"); c.Status != 200 {
		t.Errorf("check after unban: %s", c.Raw)
	}
	// Blacklist with an expiry.
	until := time.Now().Add(time.Hour).Unix()
	r = w.call("POST", p+"/users/blacklist", w.key, map[string]any{"user_key": uk, "ban_expire": until})
	if r.Body["user"].(map[string]any)["ban_expire"] != float64(until) {
		t.Errorf("ban_expire: %s", r.Raw)
	}
	want(t, "reset banned", w.call("POST", p+"/users/resethwid", w.key, map[string]any{"user_key": uk, "force": true}), 409, "This key is blacklisted; unban it first.")
}

func TestScriptsAndCheck(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	sp := "/api/luarmor/v3/projects/" + w.project.ID + "/scripts/" + w.script.ID
	r := w.call("PUT", sp, w.key, map[string]any{"script": "print('v1')", "silent": true, "heartbeat": true})
	want(t, "put", r, 200, "Script has been updated.")
	if s := r.Body["script"].(map[string]any); s["version"] != float64(1) || s["silent"] != true || s["ffa"] != false {
		t.Errorf("script: %v", s)
	}
	w.call("PUT", sp, w.key, map[string]any{"script": "print('v2')"})
	vs, err := w.env.Licensing.ScriptVersions(ctx, w.project.ID, w.script.ID)
	if err != nil || len(vs) != 2 {
		t.Fatalf("versions: %v %v", vs, err)
	}
	want(t, "put unknown script", w.call("PUT", "/api/luarmor/v3/projects/"+w.project.ID+"/scripts/ffffffffffffffffffffffffffffffff", w.key, map[string]any{"script": "x"}), 404, "Script not found.")
	want(t, "put foreign", w.call("PUT", "/api/luarmor/v3/projects/"+w.foreign.ID+"/scripts/"+w.script.ID, w.key, map[string]any{"script": "x"}), 404, "Project not found.")
	noScripts := w.apiKey(w.account.ID, []string{"keys:read", "keys:write"}, 0)
	want(t, "put without scope", w.call("PUT", sp, noScripts, map[string]any{"script": "x"}), 403, "")

	u := w.createUser(map[string]any{"key_days": 1})
	uk := u["user_key"].(string)
	// The answer's fields: a known key's with its expiry, note and count;
	// without one, none of those (absent, not null or zero).
	withKey := "assigned auth_expire code message note success total_executions"
	cases := []struct {
		name, key, hwid string
		status          int
		code            string
		fields          string
	}{
		{"first execution binds", uk, "pc-1", 200, "ok", withKey},
		{"same hwid", uk, "pc-1", 200, "ok", withKey},
		{"other hwid", uk, "pc-2", 403, "hwid_mismatch", withKey},
		{"unknown key", "nope", "pc-1", 403, "unknown_key", "assigned code message success"},
		{"no key", "", "pc-1", 403, "key_required", "assigned code message success"},
	}
	for _, c := range cases {
		r := w.check(c.key, c.hwid)
		if r.Status != c.status || r.str("code") != c.code {
			t.Errorf("%s: %d %s", c.name, r.Status, r.Raw)
		}
		if got := strings.Join(slices.Sorted(maps.Keys(r.Body)), " "); got != c.fields {
			t.Errorf("%s: fields %q, want %q", c.name, got, c.fields)
		}
	}
	if got := w.call("GET", w.users()+"?user_key="+uk, w.key, nil).Body["users"].([]any)[0].(map[string]any); got["auth_expire"].(float64) < float64(time.Now().Add(23*time.Hour).Unix()) {
		t.Errorf("key_days clock not started: %v", got)
	}
	want(t, "check unknown script", w.call("POST", "/api/luarmor/v3/projects/"+w.project.ID+"/scripts/00000000000000000000000000000000/check", "", map[string]any{"hwid": "x"}), 404, "Script not found.")
	r = w.call("POST", sp+"/check", "", `{"hwid":"x"}`, "Content-Type", "text/plain")
	want(t, "check content type", r, 415, "")
	// FFA: no key needed.
	w.call("PUT", sp, w.key, map[string]any{"script": "print('v3')", "ffa": true})
	if r := w.check("", "anyone"); r.Status != 200 || r.str("code") != "ffa" {
		t.Errorf("ffa: %s", r.Raw)
	}
	// Executions are counted in batches.
	if err := w.env.Licensing.FlushExecutions(ctx); err != nil {
		t.Fatal(err)
	}
	got := w.call("GET", w.users()+"?user_key="+uk, w.key, nil).Body["users"].([]any)[0].(map[string]any)
	if got["total_executions"] != float64(2) || got["last_execution"] == float64(0) {
		t.Errorf("executions: %v", got)
	}
}

// The first-execution race through HTTP: twenty loaders, twenty HWIDs.
func TestCheckFirstExecutionRaceOverHTTP(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	uk := w.createUser(map[string]any{})["user_key"].(string)
	var mu sync.Mutex
	var winners []string
	var wg sync.WaitGroup
	for i := range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			hw := fmt.Sprintf("pc-%d", i)
			r := w.check(uk, hw)
			if r.Status == 200 {
				mu.Lock()
				winners = append(winners, hw)
				mu.Unlock()
			} else if r.str("code") != "hwid_mismatch" {
				t.Errorf("loser: %s", r.Raw)
			}
		}()
	}
	wg.Wait()
	if len(winners) != 1 {
		t.Fatalf("winners %v", winners)
	}
	got := w.call("GET", w.users()+"?user_key="+uk, w.key, nil).Body["users"].([]any)[0].(map[string]any)
	if got["identifier"] != winners[0] {
		t.Fatalf("bound %v, winner %s", got["identifier"], winners[0])
	}
}

func TestKeyDetailsAndStats(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.createUser(map[string]any{})
	uk := w.createUser(map[string]any{})["user_key"].(string)
	w.check(uk, "pc")
	w.call("POST", "/api/luarmor/v3/projects/"+w.project.ID+"/users/blacklist", w.key, map[string]any{"user_key": uk})
	if err := w.env.Licensing.FlushExecutions(ctx); err != nil {
		t.Fatal(err)
	}
	r := w.call("GET", "/api/luarmor/v3/keys/"+w.key+"/details", "", nil)
	want(t, "details", r, 200, "API key details.")
	projects := r.Body["projects"].([]any)
	if r.str("email") != "ops@nightfall.test" || len(projects) != 1 {
		t.Fatalf("details: %s", r.Raw)
	}
	p := projects[0].(map[string]any)
	s := p["scripts"].([]any)[0].(map[string]any)
	if p["id"] != w.project.ID || s["script_id"] != w.script.ID || s["script_name"] != "Main" || s["executions"] != float64(1) {
		t.Errorf("details project: %v", p)
	}
	r = w.call("GET", "/api/luarmor/v3/keys/"+w.key+"/stats", "", nil)
	want(t, "stats", r, 200, "API key stats.")
	st := r.Body["stats"].(map[string]any)
	users := st["users"].(map[string]any)
	daily := st["execution_data"].(map[string]any)["executions"].([]any)
	if users["total"] != float64(2) || users["banned"] != float64(1) || users["whitelisted"] != float64(1) || users["active"] != float64(1) ||
		len(daily) != 30 || daily[29] != float64(1) || st["total_executions"] != float64(1) || st["scripts"] != float64(1) {
		t.Errorf("stats: %s", r.Raw)
	}
	r = w.call("GET", "/api/luarmor/v3/keys/"+w.key+"/stats?noUsers=true", "", nil)
	if _, has := r.Body["stats"].(map[string]any)["users"]; has || r.Status != 200 {
		t.Errorf("noUsers: %s", r.Raw)
	}
}

// Garbage never makes a 500.
func TestGarbageNever500(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	p := "/api/luarmor/v3/projects/" + w.project.ID
	bodies := []string{`{"user_key": {"a": 1}}`, `{"identifier": "` + strings.Repeat("x", 5000) + `"}`, `{"note": "\u0000"}`,
		`{"auth_expire": 99999999999999999999}`, `{"auth_expire": -5}`, `{"key_days": 1e300}`, `{"discord_id": "1` + strings.Repeat("0", 40) + `"}`,
		`{"user_key": "` + strings.Repeat("k", 300) + `"}`, `{"script": 5}`, `{"hwid": "a\nb"}`, `{"ban_expire": -2}`, "{\"note\": \"\xff\"}"}
	paths := []struct{ method, path string }{{"POST", p + "/users"}, {"PATCH", p + "/users"}, {"POST", p + "/users/resethwid"},
		{"POST", p + "/users/linkdiscord"}, {"POST", p + "/users/blacklist"}, {"PUT", p + "/scripts/" + w.script.ID},
		{"POST", p + "/scripts/" + w.script.ID + "/check"}}
	key := w.apiKey(w.account.ID, all, 10000)
	for _, pa := range paths {
		for _, b := range bodies {
			r := w.call(pa.method, pa.path, key, b)
			if r.Status >= 500 {
				t.Errorf("%s %s %.40s: %d", pa.method, pa.path, b, r.Status)
			}
		}
	}
	for _, q := range []string{"?search=" + strings.Repeat("%25", 200), "?from=99999999999999999999", "?identifier=%00", "?search=%E0%80"} {
		if r := w.call("GET", w.users()+q, key, nil); r.Status >= 500 || r.Status == 200 && q == "?from=99999999999999999999" {
			t.Errorf("GET users%s: %d %s", q, r.Status, r.Raw)
		}
	}
}

// Errors raised before our handlers run still use Luarmor's envelope.
func TestOversizedAndUnknownUseEnvelope(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	key := w.apiKey(w.account.ID, all, 10000)
	// Announce a body over the limit and send none of it: the server must
	// refuse on the header alone (a real upload races the early close).
	conn, err := net.Dial("tcp", strings.TrimPrefix(w.env.URL, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	fmt.Fprintf(conn, "POST /api/luarmor/v3/projects/%s/users HTTP/1.1\r\nHost: x\r\nAuthorization: %s\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n", w.project.ID, key, 5<<20)
	_ = conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	res, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := io.ReadAll(res.Body)
	var body map[string]any
	if res.StatusCode != 413 || json.Unmarshal(raw, &body) != nil || body["success"] != false || body["message"] == "" {
		t.Fatalf("oversized body: %d %.200s", res.StatusCode, raw)
	}
	r := w.call("GET", "/api/luarmor/v9/nothing", key, nil)
	if r.Status != 404 || r.Body["success"] != false {
		t.Fatalf("unknown path: %d %.200s", r.Status, r.Raw)
	}
}

// The account's plan: stats report it, and creating a user past max users
// or uploading past the month's obfuscations is refused in the envelope.
func TestPlanLimitsAndStats(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	stats := func() map[string]any {
		t.Helper()
		r := w.call("GET", "/api/luarmor/v3/keys/"+w.key+"/stats?noUsers=true", "", nil)
		want(t, "stats", r, 200, "API key stats.")
		return r.Body["stats"].(map[string]any)
	}
	// No plan yet: no limits, but the world's script creation is counted.
	st := stats()
	if diff := cmp.Diff(map[string]any{"used": float64(1), "remaining": float64(-1), "max": float64(-1)}, st["obfuscations"]); diff != "" || st["max_users"] != float64(-1) {
		t.Errorf("stats without a plan (-want +got):\n%s\n%s", diff, st)
	}

	if _, err := w.env.Licensing.SetPlan(ctx, actor, w.account.ID, licensing.PlanInput{MaxUsers: 2, Obfuscations: 3, Reason: "starter"}); err != nil {
		t.Fatal(err)
	}
	sp := "/api/luarmor/v3/projects/" + w.project.ID + "/scripts/" + w.script.ID
	want(t, "upload 2 of 3", w.call("PUT", sp, w.key, map[string]any{"script": "print(1)"}), 200, "Script has been updated.")
	st = stats()
	if diff := cmp.Diff(map[string]any{"used": float64(2), "remaining": float64(1), "max": float64(3)}, st["obfuscations"]); diff != "" || st["max_users"] != float64(2) {
		t.Errorf("stats with a plan (-want +got):\n%s\nmax_users %v", diff, st["max_users"])
	}
	want(t, "upload 3 of 3", w.call("PUT", sp, w.key, map[string]any{"script": "print(2)"}), 200, "Script has been updated.")
	next := time.Now().UTC().AddDate(0, 1, 1-time.Now().UTC().Day()).Format("2006-01-02")
	r := w.call("PUT", sp, w.key, map[string]any{"script": "print(3)"})
	want(t, "upload past the quota", r, 403, "The plan's 3 script updates for this month are used up; the quota resets on "+next+" 00:00 UTC.")
	if vs, _ := w.env.Licensing.ScriptVersions(ctx, w.project.ID, w.script.ID); len(vs) != 2 {
		t.Errorf("%d versions after a refused upload", len(vs))
	}
	if st := stats(); st["obfuscations"].(map[string]any)["remaining"] != float64(0) {
		t.Errorf("remaining after the quota: %v", st["obfuscations"])
	}

	w.createUser(map[string]any{"note": "one"})
	w.createUser(map[string]any{"note": "two"})
	r = w.call("POST", w.users(), w.key, map[string]any{"note": "three"})
	want(t, "user past max users", r, 403, "The project has 2 of the 2 users its plan allows; delete keys or raise the plan's limit.")
	if got := w.call("GET", w.users(), w.key, nil).Body["users"].([]any); len(got) != 2 {
		t.Errorf("%d users after a refused create", len(got))
	}
	// The other account's plan is its own: no limits there.
	other := w.apiKey(w.foreign.AccountID, all, 0)
	for range 3 {
		r := w.call("POST", "/api/luarmor/v3/projects/"+w.foreign.ID+"/users", other, map[string]any{})
		want(t, "foreign account's user", r, 200, "")
	}
}

// A 404 names the method and path, but not the API key that /v3/keys/...
// paths carry: the message lands in the client's logs.
func TestNotFoundHidesTheKeyInThePath(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	for _, path := range []string{"/api/luarmor/v3/keys/" + w.key + "/bogus", "/api/luarmor/v3/keys/" + w.key + "/stats/more"} {
		r := w.call("GET", path, "", nil)
		msg, _ := r.Body["message"].(string)
		if r.Status != 404 || strings.Contains(msg, w.key) || strings.Contains(msg, w.key[4:12]) || !strings.Contains(msg, "/api/luarmor/v3/keys/"+w.key[:4]+"…/") {
			t.Errorf("GET %s…: %d %q", path[:30], r.Status, msg)
		}
	}
	if r := w.call("GET", "/api/luarmor/v3/nothing", w.key, nil); r.Body["message"] != "Not found: GET /api/luarmor/v3/nothing" {
		t.Errorf("a path without a key: %q", r.Body["message"])
	}
}
