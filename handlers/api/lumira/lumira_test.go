package lumira_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"lumdesk/handlers/server/servertest"
	"lumdesk/internal/accounts"
	"lumdesk/internal/apikeys"
	"lumdesk/internal/audit"
	"lumdesk/internal/jobs"
	"lumdesk/internal/platform/config"
	"lumdesk/internal/ranking"
	"lumdesk/internal/ranking/discord/discordtest"
	"lumdesk/internal/ranking/roblox/robloxtest"
)

var (
	lrCtx   = context.Background()
	lrActor = audit.CLI("lumira-api-test")
	lrAll   = []string{"ranking:read", "ranking:write", "notify:send"}
)

const (
	lrRobloxGroup = 4242
	lrRobloxKey   = "rbx-key-api-test"
)

// lrWorld is the app over a test Roblox and a test Discord: account Acme
// owns Roblox group 4242 (roles Guest 0, Member 1, Trainee 5, Junior 10,
// Off-ladder 20, Senior 50, Bot 100, Admin 150, Owner 255; ceiling 100;
// ladder Member, Trainee, Junior, Senior) with a Discord webhook; account
// Globex owns a sandbox group. Keys: Acme's with every scope, Acme's
// read-only, Globex's with every scope, an operator key.
type lrWorld struct {
	t        *testing.T
	env      *servertest.Env
	rbx      *robloxtest.Server
	dc       *discordtest.Server
	acct     int64
	other    int64
	group    ranking.Group
	sandbox  ranking.Group
	key      string
	readKey  string
	otherKey string
	operator string
}

func newLrWorld(t *testing.T) *lrWorld {
	t.Helper()
	w := &lrWorld{t: t, rbx: robloxtest.New(t), dc: discordtest.New(t)}
	w.rbx.AddGroup(&robloxtest.Group{ID: lrRobloxGroup, Name: "Test Clan", BotRank: 100, Roles: []robloxtest.Role{
		{ID: "100", Name: "Guest", Rank: 0}, {ID: "101", Name: "Member", Rank: 1}, {ID: "105", Name: "Trainee", Rank: 5},
		{ID: "110", Name: "Junior", Rank: 10}, {ID: "120", Name: "Off-ladder", Rank: 20}, {ID: "150", Name: "Senior", Rank: 50},
		{ID: "200", Name: "Bot", Rank: 100}, {ID: "250", Name: "Admin", Rank: 150}, {ID: "255", Name: "Owner", Rank: 255}}})
	w.rbx.AddKey(lrRobloxKey, robloxtest.Key{Write: true, ReadAudit: true})
	w.env = servertest.New(t, func(c *config.Config) {
		c.RobloxAPIURL, c.RobloxUsersURL, c.LumiraDiscordURL = w.rbx.URL, w.rbx.URL, w.dc.URL
	})
	w.acct = w.account("Acme")
	w.other = w.account("Globex")
	svc := w.env.Services.Ranking
	var err error
	w.group, err = svc.AddGroup(lrCtx, lrActor, accounts.Only(w.acct), ranking.GroupInput{RobloxGroupID: lrRobloxGroup, RobloxKey: lrRobloxKey,
		Ceiling: 100, DiscordWebhook: w.dc.WebhookURL()})
	if err != nil {
		t.Fatal(err)
	}
	if w.group, err = svc.SetLadder(lrCtx, lrActor, accounts.Only(w.acct), w.group.ID, []ranking.LadderStep{{RoleID: "101"},
		{RoleID: "105", PointsRequired: 10}, {RoleID: "110", PointsRequired: 30}, {RoleID: "150", PointsRequired: 100}}); err != nil {
		t.Fatal(err)
	}
	if w.sandbox, err = svc.AddGroup(lrCtx, lrActor, accounts.Only(w.other), ranking.GroupInput{RobloxGroupID: 777}); err != nil {
		t.Fatal(err)
	}
	w.key = w.apiKey(&w.acct, lrAll, 0)
	w.readKey = w.apiKey(&w.acct, []string{"ranking:read"}, 0)
	w.otherKey = w.apiKey(&w.other, lrAll, 0)
	w.operator = w.apiKey(nil, nil, 0)
	return w
}

func (w *lrWorld) account(name string) int64 {
	w.t.Helper()
	a, err := w.env.Services.Accounts.Create(lrCtx, lrActor, accounts.CreateInput{Name: name, Email: "ops@" + strings.ToLower(name) + ".test"})
	if err != nil {
		w.t.Fatal(err)
	}
	return a.ID
}

// apiKey is a Lumira key of acct (nil: an operator key) with scopes and a
// per-minute limit (0: the default).
func (w *lrWorld) apiKey(acct *int64, scopes []string, perMinute int) string {
	w.t.Helper()
	c, err := w.env.Services.APIKeys.Create(lrCtx, lrActor, apikeys.CreateInput{Product: apikeys.Lumira, AccountID: acct, Operator: acct == nil,
		Scopes: scopes, RateLimitPerMinute: perMinute})
	if err != nil {
		w.t.Fatal(err)
	}
	return c.Secret
}

// member puts a user in the Roblox group with a role.
func (w *lrWorld) member(userID int64, name, roleID string) {
	w.rbx.AddUser(lrRobloxGroup, userID, name, roleID)
}

type lrResp struct {
	Status int
	Header http.Header
	Raw    string
	Body   map[string]any
}

func (r lrResp) obj(k string) map[string]any { m, _ := r.Body[k].(map[string]any); return m }
func (r lrResp) list(k string) []any         { l, _ := r.Body[k].([]any); return l }

// num reads a number at a dotted path (new_role.rank).
func (r lrResp) num(path string) float64 {
	var v any = r.Body
	for _, p := range strings.Split(path, ".") {
		m, _ := v.(map[string]any)
		v = m[p]
	}
	f, _ := v.(float64)
	return f
}

func (w *lrWorld) call(method, path, key, body string) lrResp {
	w.t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, w.env.URL+path, rd)
	if err != nil {
		w.t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		w.t.Fatal(err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	r := lrResp{Status: res.StatusCode, Header: res.Header, Raw: string(raw)}
	_ = json.Unmarshal(raw, &r.Body)
	return r
}

// wantLrErr asserts the status and the envelope: exactly {error, message}.
func wantLrErr(t *testing.T, name string, r lrResp, status int, code string) {
	t.Helper()
	if r.Status != status || r.Body["error"] != code || r.Body["message"] == "" || r.Body["message"] == nil || len(r.Body) != 2 {
		t.Errorf("%s: %d %s; want %d %s in {error, message}", name, r.Status, r.Raw, status, code)
	}
}

func wantLrOK(t *testing.T, name string, r lrResp) {
	t.Helper()
	if r.Status != 200 {
		t.Fatalf("%s: %d %s", name, r.Status, r.Raw)
	}
}

func (w *lrWorld) userPath(groupRef string, userID int64) string {
	return fmt.Sprintf("/api/lumira/v1/groups/%s/users/%d", groupRef, userID)
}

// Keys, scopes, the envelope on unknown paths, wrong methods, bad JSON and
// oversized bodies; the OpenAPI document is public.
func TestLumiraAuthScopesAndEnvelope(t *testing.T) {
	t.Parallel()
	w := newLrWorld(t)
	w.member(1, "alpha", "101")
	g := "/api/lumira/v1/groups/" + w.group.ID

	wantLrErr(t, "no key", w.call("GET", "/api/lumira/v1/groups", "", ""), 401, "unauthorized")
	wantLrErr(t, "unknown key", w.call("GET", "/api/lumira/v1/groups", "lumira_"+strings.Repeat("x", 40), ""), 401, "unauthorized")
	lumioKey, err := w.env.Services.APIKeys.Create(lrCtx, lrActor, apikeys.CreateInput{Product: apikeys.Lumio, AccountID: &w.acct, Scopes: []string{"extensions:read"}})
	if err != nil {
		t.Fatal(err)
	}
	wantLrErr(t, "another product's key", w.call("GET", "/api/lumira/v1/groups", lumioKey.Secret, ""), 401, "unauthorized")

	// Scopes: a read-only key reads but changes nothing; notify needs notify:send.
	wantLrOK(t, "read with ranking:read", w.call("GET", g, w.readKey, ""))
	for _, p := range []string{"/rank", "/promote", "/demote", "/points"} {
		wantLrErr(t, "read key "+p, w.call("POST", w.userPath(w.group.ID, 1)+p, w.readKey, `{"rank": 5}`), 403, "forbidden")
	}
	wantLrErr(t, "read key batch", w.call("POST", g+"/ranks/batch", w.readKey, `{"actions": [{"userId": 1, "action": "promote"}]}`), 403, "forbidden")
	wantLrErr(t, "read key notify", w.call("POST", g+"/notify", w.readKey, `{"content": "hi"}`), 403, "forbidden")
	writeOnly := w.apiKey(&w.acct, []string{"ranking:write"}, 0)
	wantLrErr(t, "write key reads", w.call("GET", g+"/logs", writeOnly, ""), 403, "forbidden")
	wantLrErr(t, "write key notify", w.call("POST", g+"/notify", writeOnly, `{"content": "hi"}`), 403, "forbidden")
	if w.rbx.RoleOf(lrRobloxGroup, 1) != "101" {
		t.Fatal("a refused change reached Roblox")
	}

	wantLrErr(t, "unknown path", w.call("GET", "/api/lumira/v1/nope", w.key, ""), 404, "not_found")
	wantLrErr(t, "unknown path outside v1", w.call("GET", "/api/lumira/nope", "", ""), 404, "not_found")
	r := w.call("DELETE", "/api/lumira/v1/groups", w.key, "")
	wantLrErr(t, "405", r, 405, "method_not_allowed")
	if r.Header.Get("Allow") != "GET" {
		t.Errorf("Allow %q", r.Header.Get("Allow"))
	}
	if r := w.call("GET", w.userPath(w.group.ID, 1)+"/promote", w.key, ""); r.Status != 405 || r.Header.Get("Allow") != "POST" {
		t.Errorf("GET promote: %d %s", r.Status, r.Header.Get("Allow"))
	}
	for _, body := range []string{`{"rank": `, `[1]`, `"x"`, `null`, `{"rank": "five"}`, `{"rank": 5} {}`, `{"rank": 5, "reason": "a\u0000b"}`, "{\"rank\": 5, \"reason\": \"\xff\"}"} {
		wantLrErr(t, "malformed "+body, w.call("POST", w.userPath(w.group.ID, 1)+"/rank", w.key, body), 400, "validation_error")
	}
	wantLrErr(t, "bad user ID", w.call("POST", w.userPath(w.group.ID, 1)[:len(w.userPath(w.group.ID, 1))-1]+"x/promote", w.key, ""), 400, "validation_error")
	wantLrErr(t, "unknown method", w.call("PROPFIND", "/api/lumira/v1/groups", w.key, ""), 405, "method_not_allowed")
	// Announce a body over the limit and send none of it: refused on the header alone.
	conn, err := net.Dial("tcp", strings.TrimPrefix(w.env.URL, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	fmt.Fprintf(conn, "POST %s/promote HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n",
		w.userPath(w.group.ID, 1), w.key, 5<<20)
	_ = conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	res, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := io.ReadAll(res.Body)
	big := lrResp{Status: res.StatusCode, Raw: string(raw)}
	_ = json.Unmarshal(raw, &big.Body)
	wantLrErr(t, "oversized", big, 413, "payload_too_large")

	doc := w.call("GET", "/api/lumira/openapi.json", "", "")
	if doc.Status != 200 || doc.Body["openapi"] == nil || doc.obj("paths")["/v1/groups/{groupId}/ranks/batch"] == nil {
		t.Fatalf("openapi: %d %.200s", doc.Status, doc.Raw)
	}
}

// The key's groups; a group by its grp_ id or Roblox id, with its ladder
// and roles; another account's group is not found either way.
func TestLumiraGroupReads(t *testing.T) {
	t.Parallel()
	w := newLrWorld(t)
	r := w.call("GET", "/api/lumira/v1/groups", w.key, "")
	wantLrOK(t, "groups", r)
	if items := r.list("items"); len(items) != 1 || items[0].(map[string]any)["id"] != w.group.ID || r.Body["next_cursor"] != nil {
		t.Fatalf("account key's groups: %s", r.Raw)
	}
	r = w.call("GET", "/api/lumira/v1/groups?limit=1", w.operator, "")
	wantLrOK(t, "operator groups", r)
	cur, _ := r.Body["next_cursor"].(string)
	if len(r.list("items")) != 1 || cur == "" {
		t.Fatalf("operator page 1: %s", r.Raw)
	}
	r2 := w.call("GET", "/api/lumira/v1/groups?limit=1&cursor="+cur, w.operator, "")
	wantLrOK(t, "operator page 2", r2)
	if len(r2.list("items")) != 1 || r2.Body["next_cursor"] != nil || r2.list("items")[0].(map[string]any)["id"] == r.list("items")[0].(map[string]any)["id"] {
		t.Fatalf("operator page 2: %s", r2.Raw)
	}
	wantLrErr(t, "limit 0", w.call("GET", "/api/lumira/v1/groups?limit=0", w.key, ""), 400, "validation_error")

	for _, ref := range []string{w.group.ID, strconv.Itoa(lrRobloxGroup)} {
		r := w.call("GET", "/api/lumira/v1/groups/"+ref, w.key, "")
		wantLrOK(t, "group "+ref, r)
		grp := r.obj("group")
		ladder, _ := grp["ladder"].([]any)
		var ranks []float64
		for _, x := range ladder {
			ranks = append(ranks, x.(map[string]any)["rank"].(float64))
		}
		if grp["id"] != w.group.ID || grp["ceiling"] != 100.0 || fmt.Sprint(ranks) != "[1 5 10 50]" || grp["name"] != "Test Clan" {
			t.Fatalf("group %s: %s", ref, r.Raw)
		}
		r = w.call("GET", "/api/lumira/v1/groups/"+ref+"/roles", w.readKey, "")
		wantLrOK(t, "roles "+ref, r)
		if items := r.list("items"); len(items) != 9 || items[0].(map[string]any)["rank"] != 0.0 || items[8].(map[string]any)["assignable"] != false {
			t.Fatalf("roles: %s", r.Raw)
		}
	}
	for name, ref := range map[string]string{"other's grp id": w.sandbox.ID, "other's roblox id": "777", "unknown": "grp_aaaaaaaaaaaaaaaa", "junk": "nope", "unknown number": "999"} {
		wantLrErr(t, name, w.call("GET", "/api/lumira/v1/groups/"+ref, w.key, ""), 404, "group_not_found")
		wantLrErr(t, name+" roles", w.call("GET", "/api/lumira/v1/groups/"+ref+"/roles", w.key, ""), 404, "group_not_found")
		wantLrErr(t, name+" promote", w.call("POST", w.userPath(ref, 1)+"/promote", w.key, ""), 404, "group_not_found")
		wantLrErr(t, name+" logs", w.call("GET", "/api/lumira/v1/groups/"+ref+"/logs", w.key, ""), 404, "group_not_found")
	}
	// The operator reaches both accounts' groups.
	wantLrOK(t, "operator other's group", w.call("GET", "/api/lumira/v1/groups/777", w.operator, ""))
	// A sandbox group ranks through the API as a real one does.
	r = w.call("POST", "/api/lumira/v1/groups/777/users/9000000001/promote", w.otherKey, `{"reason": "sandbox"}`)
	if r.Status != 200 || r.num("old_role.rank") != 1 || r.num("new_role.rank") != 5 || r.Body["changed"] != true {
		t.Fatalf("sandbox promote: %s", r.Raw)
	}
	if r := w.call("GET", "/api/lumira/v1/groups/777/users/9000000001", w.otherKey, ""); r.Status != 200 || r.num("member.rank") != 5 || r.obj("last_change")["kind"] != "promote" {
		t.Fatalf("sandbox member: %s", r.Raw)
	}
}

// A member (role, rank, points, last change), a user not in the group,
// and a username lookup.
func TestLumiraMemberAndUsername(t *testing.T) {
	t.Parallel()
	w := newLrWorld(t)
	w.member(1, "alpha", "105")
	w.rbx.AddUser(0, 2, "stranger", "")
	r := w.call("GET", w.userPath(strconv.Itoa(lrRobloxGroup), 1), w.readKey, "")
	wantLrOK(t, "member", r)
	m := r.obj("member")
	if m["user_id"] != 1.0 || m["rank"] != 5.0 || m["role_id"] != "105" || m["points"] != 0.0 || r.Body["last_change"] != nil || r.Body["group_id"] != w.group.ID {
		t.Fatalf("member: %s", r.Raw)
	}
	wantLrOK(t, "points", w.call("POST", w.userPath(w.group.ID, 1)+"/points", w.key, `{"delta": 7, "reason": "event"}`))
	r = w.call("GET", w.userPath(w.group.ID, 1), w.key, "")
	if r.obj("member")["points"] != 7.0 || r.obj("last_change")["kind"] != "points" || r.obj("last_change")["points_delta"] != 7.0 {
		t.Fatalf("member after points: %s", r.Raw)
	}
	wantLrErr(t, "not in group", w.call("GET", w.userPath(w.group.ID, 2), w.key, ""), 404, "user_not_in_group")
	wantLrErr(t, "user ID 0", w.call("GET", w.userPath(w.group.ID, 0), w.key, ""), 400, "validation_error")

	r = w.call("GET", "/api/lumira/v1/users/by-username/stranger", w.readKey, "")
	wantLrOK(t, "username", r)
	if r.obj("user")["user_id"] != 2.0 || r.obj("user")["username"] != "stranger" {
		t.Fatalf("username: %s", r.Raw)
	}
	wantLrErr(t, "unknown username", w.call("GET", "/api/lumira/v1/users/by-username/nobody_here", w.key, ""), 404, "user_not_found")
	wantLrErr(t, "bad username", w.call("GET", "/api/lumira/v1/users/by-username/a!", w.key, ""), 400, "validation_error")
}

// Set, promote, demote and their rules: the ceiling, 0 and 255, the top and
// bottom of the ladder, the same rank twice, a member above the ceiling.
func TestLumiraRankRules(t *testing.T) {
	t.Parallel()
	w := newLrWorld(t)
	w.member(1, "alpha", "101")
	w.member(2, "admin", "250")
	u1 := w.userPath(w.group.ID, 1)

	r := w.call("POST", u1+"/rank", w.key, `{"rank": 5, "reason": "trial passed"}`)
	wantLrOK(t, "set 5", r)
	if r.Body["changed"] != true || r.num("old_role.rank") != 1 || r.num("new_role.rank") != 5 || w.rbx.RoleOf(lrRobloxGroup, 1) != "105" ||
		r.obj("action")["reason"] != "trial passed" || r.obj("action")["status"] != "done" || r.obj("action")["actor_kind"] == "" {
		t.Fatalf("set 5: %s (roblox %s)", r.Raw, w.rbx.RoleOf(lrRobloxGroup, 1))
	}
	assigns, patches := w.rbx.AssignCalls, w.rbx.PatchCalls
	r = w.call("POST", u1+"/rank", w.key, `{"rank": 5}`)
	wantLrOK(t, "set 5 again", r)
	if r.Body["changed"] != false || r.num("new_role.rank") != 5 || r.Body["action"] != nil || w.rbx.AssignCalls != assigns || w.rbx.PatchCalls != patches {
		t.Fatalf("same rank: %s (assign calls %d → %d)", r.Raw, assigns, w.rbx.AssignCalls)
	}
	r = w.call("POST", u1+"/rank", w.key, `{"roleId": "110"}`)
	if r.Status != 200 || r.num("new_role.rank") != 10 || w.rbx.RoleOf(lrRobloxGroup, 1) != "110" {
		t.Fatalf("set by roleId: %s", r.Raw)
	}
	for _, body := range []string{`{"rank": 0}`, `{"rank": 255}`, `{"rank": 100}`, `{"rank": 150}`, `{"roleId": "255"}`} {
		wantLrErr(t, "set "+body, w.call("POST", u1+"/rank", w.key, body), 403, "rank_not_assignable")
	}
	for _, body := range []string{`{}`, `{"rank": 5, "roleId": "105"}`, `{"rank": 7}`, `{"rank": 300}`, `{"roleId": ""}`, `{"roleId": "999"}`} {
		wantLrErr(t, "set "+body, w.call("POST", u1+"/rank", w.key, body), 400, "validation_error")
	}
	if w.rbx.RoleOf(lrRobloxGroup, 1) != "110" {
		t.Fatal("a refused set reached Roblox")
	}

	// Promote skips Off-ladder (20) to Senior (50), the top below the ceiling.
	r = w.call("POST", u1+"/promote", w.key, `{"reason": "great"}`)
	if r.Status != 200 || r.num("new_role.rank") != 50 || r.obj("action")["kind"] != "promote" {
		t.Fatalf("promote: %s", r.Raw)
	}
	wantLrErr(t, "top", w.call("POST", u1+"/promote", w.key, ""), 409, "top_of_ladder")
	for _, want := range []float64{10, 5, 1} {
		if r := w.call("POST", u1+"/demote", w.key, ""); r.Status != 200 || r.num("new_role.rank") != want {
			t.Fatalf("demote to %v: %s", want, r.Raw)
		}
	}
	wantLrErr(t, "bottom", w.call("POST", u1+"/demote", w.key, `{"reason": "x"}`), 409, "bottom_of_ladder")

	u2 := w.userPath(w.group.ID, 2)
	wantLrErr(t, "above ceiling promote", w.call("POST", u2+"/promote", w.key, ""), 403, "member_above_ceiling")
	wantLrErr(t, "above ceiling demote", w.call("POST", u2+"/demote", w.key, ""), 403, "member_above_ceiling")
	wantLrErr(t, "above ceiling set", w.call("POST", u2+"/rank", w.key, `{"rank": 5}`), 403, "member_above_ceiling")
	if w.rbx.RoleOf(lrRobloxGroup, 2) != "250" {
		t.Fatal("a member above the ceiling was changed")
	}
	wantLrErr(t, "not in group", w.call("POST", w.userPath(w.group.ID, 3)+"/promote", w.key, ""), 404, "user_not_in_group")

	// Points: the delta is required and bounded.
	wantLrErr(t, "points without delta", w.call("POST", u1+"/points", w.key, `{"reason": "x"}`), 400, "validation_error")
	wantLrErr(t, "points 0", w.call("POST", u1+"/points", w.key, `{"delta": 0}`), 400, "validation_error")
	r = w.call("POST", u1+"/points", w.key, `{"delta": -3}`)
	if r.Status != 200 || r.num("points") != -3 || r.obj("points_action")["kind"] != "points" {
		t.Fatalf("points: %s", r.Raw)
	}
}

// A batch: 1-100 items, each with its own outcome, not atomic.
func TestLumiraBatch(t *testing.T) {
	t.Parallel()
	w := newLrWorld(t)
	w.member(1, "alpha", "101")
	w.member(2, "bravo", "150")
	w.member(3, "admin", "250")
	b := "/api/lumira/v1/groups/" + strconv.Itoa(lrRobloxGroup) + "/ranks/batch"

	var many []string
	for i := range 101 {
		many = append(many, fmt.Sprintf(`{"userId": %d, "action": "promote"}`, i+1))
	}
	wantLrErr(t, "101 items", w.call("POST", b, w.key, `{"actions": [`+strings.Join(many, ",")+`]}`), 400, "validation_error")
	wantLrErr(t, "no items", w.call("POST", b, w.key, `{"actions": []}`), 400, "validation_error")
	wantLrErr(t, "no actions", w.call("POST", b, w.key, `{}`), 400, "validation_error")
	if w.rbx.RoleOf(lrRobloxGroup, 1) != "101" {
		t.Fatal("a refused batch changed someone")
	}

	r := w.call("POST", b, w.key, `{"actions": [
		{"userId": 1, "action": "promote", "ref": "p1"},
		{"userId": 2, "action": "promote"},
		{"userId": 1, "action": "set", "rank": 10, "reason": "batch"},
		{"userId": 3, "action": "demote"},
		{"userId": 4, "action": "promote"},
		{"userId": 1, "action": "set", "rank": 255},
		{"userId": 1, "action": "fly"},
		{"userId": 1, "action": "points", "delta": 5},
		{"userId": 1, "action": "set", "roleId": "110"}]}`)
	wantLrOK(t, "batch", r)
	if r.Body["total"] != 9.0 || r.Body["ok"] != 4.0 || r.Body["failed"] != 5.0 {
		t.Fatalf("counts: %s", r.Raw)
	}
	type item struct {
		ref, status, code string
		httpStatus        float64
		rank              float64
		changed           any
	}
	var got []item
	for _, x := range r.list("items") {
		m := x.(map[string]any)
		it := item{ref: fmt.Sprint(m["ref"]), status: fmt.Sprint(m["status"])}
		if e, ok := m["error"].(map[string]any); ok {
			it.code, it.httpStatus = fmt.Sprint(e["code"]), e["http_status"].(float64)
			if e["message"] == "" || m["result"] != nil {
				t.Errorf("item %v: %v", it.ref, m)
			}
		}
		if res, ok := m["result"].(map[string]any); ok {
			it.rank, it.changed = res["new_role"].(map[string]any)["rank"].(float64), res["changed"]
		}
		got = append(got, it)
	}
	want := []item{
		{"p1", "ok", "", 0, 5, true},
		{"1", "error", "top_of_ladder", 409, 0, nil},
		{"2", "ok", "", 0, 10, true},
		{"3", "error", "member_above_ceiling", 403, 0, nil},
		{"4", "error", "user_not_in_group", 404, 0, nil},
		{"5", "error", "rank_not_assignable", 403, 0, nil},
		{"6", "error", "validation_error", 400, 0, nil},
		{"7", "ok", "", 0, 10, false},
		{"8", "ok", "", 0, 10, false},
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("items:\n got %v\nwant %v", got, want)
	}
	if w.rbx.RoleOf(lrRobloxGroup, 1) != "110" || w.rbx.RoleOf(lrRobloxGroup, 2) != "150" {
		t.Fatal("Roblox does not hold the batch's outcome")
	}
	wantLrErr(t, "other's group", w.call("POST", "/api/lumira/v1/groups/"+w.sandbox.ID+"/ranks/batch", w.key, `{"actions": [{"userId": 1, "action": "promote"}]}`), 404, "group_not_found")
}

// The key's own per-minute limit (60 by default): 429 rate_limited with
// Retry-After; another key is not held back.
func TestLumiraRateLimit(t *testing.T) {
	t.Parallel()
	w := newLrWorld(t)
	k := w.apiKey(&w.acct, lrAll, 0)
	start := time.Now()
	for i := range 60 {
		if r := w.call("GET", "/api/lumira/v1/groups", k, ""); r.Status != 200 {
			t.Fatalf("call %d: %d %s", i+1, r.Status, r.Raw)
		}
	}
	// The bucket refills at one call a second: on a loaded machine the 60
	// calls may take seconds, and each second earns one more call.
	r := w.call("POST", w.userPath(w.group.ID, 1)+"/promote", k, "")
	for extra := 0; r.Status != 429; extra++ {
		if allowed := int(time.Since(start)/time.Second) + 1; extra >= allowed {
			t.Fatalf("%d calls past 60 allowed in %s", extra+1, time.Since(start))
		}
		r = w.call("POST", w.userPath(w.group.ID, 1)+"/promote", k, "")
	}
	wantLrErr(t, "past 60 calls a minute", r, 429, "rate_limited")
	if s, err := strconv.Atoi(r.Header.Get("Retry-After")); err != nil || s < 1 || s > 60 {
		t.Fatalf("Retry-After %q", r.Header.Get("Retry-After"))
	}
	wantLrOK(t, "another key", w.call("GET", "/api/lumira/v1/groups", w.key, ""))
	slow := w.apiKey(&w.acct, lrAll, 2)
	for i := range 2 {
		wantLrOK(t, fmt.Sprint("limited key call ", i), w.call("GET", "/api/lumira/v1/groups", slow, ""))
	}
	wantLrErr(t, "over a key's own limit", w.call("GET", "/api/lumira/v1/groups", slow, ""), 429, "rate_limited")
}

// Roblox failing is 502 roblox_unavailable; a group whose key Roblox
// refuses is 403 group_not_set_up; nothing is changed.
func TestLumiraRobloxFailures(t *testing.T) {
	t.Parallel()
	w := newLrWorld(t)
	w.member(1, "alpha", "101")
	w.rbx.Force429(1, "3600") // longer than the client waits
	wantLrErr(t, "roblox 429 for an hour", w.call("POST", w.userPath(w.group.ID, 1)+"/promote", w.key, ""), 502, "roblox_unavailable")
	w.rbx.Force429(1, "3600")
	wantLrErr(t, "member read", w.call("GET", w.userPath(w.group.ID, 1), w.key, ""), 502, "roblox_unavailable")
	if w.rbx.RoleOf(lrRobloxGroup, 1) != "101" {
		t.Fatal("changed while Roblox failed")
	}

	bad, err := w.env.Services.Ranking.AddGroup(lrCtx, lrActor, accounts.Only(w.acct), ranking.GroupInput{RobloxGroupID: 5151, RobloxKey: "rbx-key-unknown"})
	if err != nil || bad.Status != ranking.StatusKeyInvalid {
		t.Fatalf("group with a refused key: %+v %v", bad, err)
	}
	wantLrErr(t, "not set up", w.call("POST", w.userPath(bad.ID, 1)+"/promote", w.key, ""), 403, "group_not_set_up")
	wantLrErr(t, "not set up batch", w.call("POST", "/api/lumira/v1/groups/5151/ranks/batch", w.key, `{"actions": [{"userId": 1, "action": "promote"}]}`), 403, "group_not_set_up")
	wantLrErr(t, "no webhook", w.call("POST", "/api/lumira/v1/groups/5151/notify", w.key, `{"content": "hi"}`), 403, "group_not_set_up")
}

// Roblox out of reach is 502 roblox_unavailable too, saying so without the
// network's detail (a resolver's or a server's address is the operator's
// business, and goes to the log).
func TestLumiraRobloxUnreachable(t *testing.T) {
	t.Parallel()
	w := newLrWorld(t)
	w.member(1, "alpha", "101")
	w.rbx.Close()
	for what, r := range map[string]lrResp{
		"username": w.call("GET", "/api/lumira/v1/users/by-username/alpha", w.key, ""),
		"member":   w.call("GET", w.userPath(w.group.ID, 1), w.key, ""),
		"promote":  w.call("POST", w.userPath(w.group.ID, 1)+"/promote", w.key, ""),
	} {
		wantLrErr(t, what, r, 502, "roblox_unavailable")
		msg, _ := r.Body["message"].(string)
		if !strings.Contains(msg, "Roblox") || strings.Contains(msg, "127.0.0.1") || strings.Contains(msg, "dial") || strings.Contains(msg, "connect") {
			t.Errorf("%s: message %q", what, msg)
		}
	}
}

// Notify reaches the group's Discord through the River job.
func TestLumiraNotifyReachesDiscord(t *testing.T) {
	t.Parallel()
	w := newLrWorld(t)
	w.env.Jobs.SetOptions(jobs.Options{TestOnly: true, PollInterval: 50 * time.Millisecond})
	if err := w.env.Jobs.Start(lrCtx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = w.env.Jobs.Stop(sctx)
	})
	g := "/api/lumira/v1/groups/" + strconv.Itoa(lrRobloxGroup)
	wantLrErr(t, "empty", w.call("POST", g+"/notify", w.key, `{}`), 400, "validation_error")
	wantLrErr(t, "embed not an object", w.call("POST", g+"/notify", w.key, `{"embed": "x"}`), 400, "validation_error")
	r := w.call("POST", g+"/notify", w.key, `{"content": "Shift starts @everyone", "embed": {"title": "Training", "description": "At 18:00", "fields": [{"name": "Host", "value": "alpha"}]}}`)
	if r.Status != 202 || r.Body["queued"] != true {
		t.Fatalf("notify: %d %s", r.Status, r.Raw)
	}
	select {
	case m := <-w.dc.Posted:
		if m.Content != "Shift starts @everyone" || len(m.Embeds) != 1 || m.Embeds[0].Title != "Training" || len(m.Embeds[0].Fields) != 1 ||
			m.AllowedMentions == nil || len(m.AllowedMentions.Parse) != 0 {
			t.Fatalf("posted %+v", m)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("nothing reached Discord")
	}
	if n := w.env.AuditCount("lumira_group.notify", w.group.ID); n != 1 {
		t.Fatalf("%d notify audit events", n)
	}
}

// Logs: newest first, limit and cursor, next_cursor null on the last page;
// filtered by member.
func TestLumiraLogsPaging(t *testing.T) {
	t.Parallel()
	w := newLrWorld(t)
	w.member(1, "alpha", "101")
	w.member(2, "bravo", "101")
	u1 := w.userPath(w.group.ID, 1)
	for _, p := range []string{"/promote", "/promote", "/demote", "/promote"} {
		wantLrOK(t, p, w.call("POST", u1+p, w.key, `{"reason": "step"}`))
	}
	wantLrOK(t, "points 2", w.call("POST", w.userPath(w.group.ID, 2)+"/points", w.key, `{"delta": 3}`))
	g := "/api/lumira/v1/groups/" + w.group.ID + "/logs"
	var kinds []string
	cursor, pages := "", 0
	for {
		path := g + "?limit=2"
		if cursor != "" {
			path += "&cursor=" + cursor
		}
		r := w.call("GET", path, w.readKey, "")
		wantLrOK(t, "logs page", r)
		pages++
		for _, x := range r.list("items") {
			m := x.(map[string]any)
			kinds = append(kinds, fmt.Sprintf("%v:%v", m["kind"], m["user_id"]))
		}
		if r.Body["next_cursor"] == nil {
			break
		}
		cursor = r.Body["next_cursor"].(string)
		if pages > 5 {
			t.Fatal("too many pages")
		}
	}
	if got := strings.Join(kinds, " "); got != "points:2 promote:1 demote:1 promote:1 promote:1" || pages != 3 {
		t.Fatalf("%d pages: %s", pages, got)
	}
	r := w.call("GET", g+"?userId=2", w.key, "")
	if items := r.list("items"); r.Status != 200 || len(items) != 1 || r.Body["next_cursor"] != nil {
		t.Fatalf("member's logs: %s", r.Raw)
	}
	for _, q := range []string{"?limit=0", "?limit=201", "?limit=x", "?cursor=nope!", "?userId=-1"} {
		wantLrErr(t, "logs "+q, w.call("GET", g+q, w.key, ""), 400, "validation_error")
	}
	if r := w.call("GET", g+"?limit=200", w.key, ""); r.Status != 200 || len(r.list("items")) != 5 {
		t.Fatalf("limit 200: %s", r.Raw)
	}
}
