package lumira_test

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"lumdesk/handlers/server/servertest"
	"lumdesk/internal/accounts"
	"lumdesk/internal/audit"
	"lumdesk/internal/customers"
	"lumdesk/internal/jobs"
	"lumdesk/internal/platform/config"
	"lumdesk/internal/ranking"
	"lumdesk/internal/ranking/discord/discordtest"
	"lumdesk/internal/ranking/roblox/robloxtest"
)

var lumiraCLI = audit.CLI("test")

const (
	lumiraRobloxGroup = 7070
	lumiraRobloxKey   = "rbx-portal-key-DO-NOT-SHOW-9f3c"
	// Sandbox members (roblox.DemoMembers): alex is a Member (1), gray a
	// Manager (200, the top of the sandbox ladder), lumira the bot (250).
	sandboxAlex   = 9_000_000_001
	sandboxGray   = 9_000_000_007
	sandboxLumira = 9_000_000_008
)

// lumiraWorld is the app with a test Roblox (one group, one key) and a
// test Discord, and an account with a sandbox group.
type lumiraWorld struct {
	env     *servertest.Env
	rbx     *robloxtest.Server
	dc      *discordtest.Server
	account accounts.Account
	sandbox ranking.Group
}

func newLumiraWorld(t *testing.T) *lumiraWorld {
	t.Helper()
	w := &lumiraWorld{rbx: robloxtest.New(t), dc: discordtest.New(t)}
	w.rbx.AddGroup(&robloxtest.Group{ID: lumiraRobloxGroup, Name: "Portal Clan", BotRank: 100, Roles: []robloxtest.Role{
		{ID: "100", Name: "Guest", Rank: 0}, {ID: "101", Name: "Member", Rank: 1}, {ID: "105", Name: "Trainee", Rank: 5},
		{ID: "110", Name: "Junior", Rank: 10}, {ID: "200", Name: "Bot", Rank: 100}, {ID: "255", Name: "Owner", Rank: 255}}})
	w.rbx.AddKey(lumiraRobloxKey, robloxtest.Key{Write: true, ReadAudit: true})
	w.env = servertest.New(t, func(c *config.Config) {
		c.RobloxAPIURL, c.RobloxUsersURL, c.LumiraDiscordURL = w.rbx.URL, w.rbx.URL, w.dc.URL
	})
	w.account = w.env.CreateAccount("Orbit")
	var err error
	w.sandbox, err = w.env.Ranking.AddGroup(context.Background(), lumiraCLI, accounts.Only(w.account.ID), ranking.GroupInput{RobloxGroupID: 111, Name: "Orbit Sandbox"})
	if err != nil {
		t.Fatal(err)
	}
	return w
}

func groupPath(id string) string { return "/portal/lumira/groups/" + id }

func memberPath(id string, user int64) string {
	return groupPath(id) + "/members/" + itoa(user)
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

func TestLumiraPortalPagesRender(t *testing.T) {
	t.Parallel()
	w := newLumiraWorld(t)
	ctx := context.Background()
	if _, err := w.env.Ranking.Promote(ctx, lumiraCLI, accounts.Only(w.account.ID), w.sandbox.ID, sandboxAlex, "Passed training"); err != nil {
		t.Fatal(err)
	}
	c := w.env.AsCustomer(w.account.ID, customers.RoleReadOnly)

	r := c.Get("/portal/lumira")
	r.Want(t, http.StatusOK, "list")
	row := r.Doc.Find(`[data-testid=group-row][data-id="` + w.sandbox.ID + `"]`)
	if row.Length() != 1 || !strings.Contains(row.Text(), "Orbit Sandbox") || row.Find("[data-testid=group-status]").Text() != "Sandbox" ||
		row.Find("[data-testid=roblox-group-id]").Text() != "111" || row.Find("[data-testid=group-members]").Text() != "1" ||
		!strings.Contains(row.Find("[data-testid=group-last-action]").Text(), "promote") {
		t.Errorf("list row: %q", row.Text())
	}
	if !r.Has(`[data-testid=api-key-help] a[href="/portal/account/api-keys/new?product=lumira"]`) {
		t.Error("the list does not point to Lumira API keys")
	}
	for _, s := range []string{"ranking:read", "ranking:write", "notify:send"} {
		if !strings.Contains(r.Text("[data-testid=api-key-help]"), s) {
			t.Errorf("API key help does not name %s", s)
		}
	}
	if r.Has("[data-testid=add-form]") {
		t.Error("a read-only user sees the add form")
	}

	// The API key link opens a form offering exactly Lumira's customer scopes.
	k := w.env.AsCustomer(w.account.ID, customers.RoleDeveloper).Get("/portal/account/api-keys/new?product=lumira")
	k.Want(t, http.StatusOK, "new key form")
	for _, s := range []string{"ranking:read", "ranking:write", "notify:send"} {
		if !k.Has(`input[name=scope][value="lumira|` + s + `"]`) {
			t.Errorf("the key form does not offer %s", s)
		}
	}

	r = c.Get(groupPath(w.sandbox.ID))
	r.Want(t, http.StatusOK, "group")
	if !strings.Contains(r.Text("[data-testid=group-badges]"), "Sandbox") || !strings.Contains(r.Text("[data-testid=group-facts]"), "No key: a sandbox group") {
		t.Errorf("group header: %q", r.Text("[data-testid=group-facts]"))
	}
	if n := r.Doc.Find("[data-testid=role-row][data-in-ladder=true]").Length(); n != 6 {
		t.Errorf("%d ladder roles, want the sandbox's 6", n)
	}
	// Each role's member count, as the sandbox (like Roblox) lists it.
	for role, want := range map[string]string{"1050": "1", "1200": "1", "1000": "0"} {
		if got := r.Text(`[data-testid=role-row][data-role="` + role + `"] [data-testid=role-members]`); got != want {
			t.Errorf("role %s: %q members, want %s", role, got, want)
		}
	}
	act := r.Doc.Find("[data-testid=action-row][data-kind=promote]")
	if act.Length() != 1 || act.AttrOr("data-status", "") != "done" || !strings.Contains(act.Text(), "Member (1)") ||
		!strings.Contains(act.Text(), "Trainee (5)") || act.Find("[data-testid=action-member]").Text() != "sandbox_alex" ||
		act.Find("[data-testid=action-reason]").Text() != "Passed training" {
		t.Errorf("log row: %q", act.Text())
	}
	if r.Doc.Find("[data-testid=member-row]").Length() != 1 {
		t.Error("the member seen is not listed")
	}
	for _, sel := range []string{"[data-testid=ladder-form]", "[data-testid=webhook-form]", "[data-testid=webhook-test]", `form[method=post]:not([action$="/logout"])`} {
		if r.Has(sel) {
			t.Errorf("a read-only user sees %s", sel)
		}
	}
	r = c.Get(memberPath(w.sandbox.ID, sandboxAlex))
	r.Want(t, http.StatusOK, "member")
	if !strings.Contains(r.Text("[data-testid=member-facts]"), "Trainee (rank 5)") || r.Doc.Find("[data-testid=action-row]").Length() != 1 {
		t.Errorf("member page: %q", r.Text("main"))
	}
	if r.Has(`form[method=post]:not([action$="/logout"])`) {
		t.Error("a read-only user sees the member forms")
	}

	// The home card counts the group.
	r = c.Get("/portal")
	if !strings.Contains(r.Body, "Need attention") || !r.Has(`a[href="/portal/lumira"]`) {
		t.Errorf("home has no Lumira card")
	}

	// An account without groups: the empty state, and the add form for developers.
	empty := w.env.CreateAccount("Empty")
	r = w.env.AsCustomer(empty.ID, customers.RoleDeveloper).Get("/portal/lumira")
	r.Want(t, http.StatusOK, "empty list")
	if !r.Has("[data-testid=groups-empty]") || !r.Has("[data-testid=add-form] input[name=roblox_key][type=password]") {
		t.Error("empty list without its empty state or add form")
	}
}

// Owners and developers change things; read-only and billing users get 403
// on every Lumira POST and see no forms.
func TestLumiraPortalRoleMatrix(t *testing.T) {
	t.Parallel()
	w := newLumiraWorld(t)
	posts := []string{"/portal/lumira/groups", groupPath(w.sandbox.ID) + "/ladder", groupPath(w.sandbox.ID) + "/webhook",
		groupPath(w.sandbox.ID) + "/webhook/test", groupPath(w.sandbox.ID) + "/webhook/remove"}
	for _, a := range []string{"promote", "demote", "rank", "points"} {
		posts = append(posts, memberPath(w.sandbox.ID, sandboxAlex)+"/"+a)
	}
	gets := []string{"/portal/lumira", groupPath(w.sandbox.ID), memberPath(w.sandbox.ID, sandboxAlex)}
	for _, role := range customers.Roles {
		c := w.env.AsCustomer(w.account.ID, role)
		canChange := role == customers.RoleOwner || role == customers.RoleDeveloper
		for _, p := range gets {
			r := c.Get(p)
			r.Want(t, http.StatusOK, string(role)+" GET "+p)
			if has := r.Has(`form[method=post]:not([action$="/logout"])`); has != canChange {
				t.Errorf("%s on %s: forms shown %v", role, p, has)
			}
		}
		for _, p := range posts {
			r := c.PostForm(p, url.Values{})
			switch {
			case !canChange && r.Status != http.StatusForbidden:
				t.Errorf("%s POST %s: %d, want 403", role, p, r.Status)
			case canChange && (r.Status == http.StatusForbidden || r.Status >= 500):
				t.Errorf("%s POST %s: %d", role, p, r.Status)
			}
		}
	}
}

// Another account's group is not found, on every page and form.
func TestLumiraPortalOtherAccountNotFound(t *testing.T) {
	t.Parallel()
	w := newLumiraWorld(t)
	b := w.env.AsCustomer(w.env.CreateAccount("Intruder").ID, customers.RoleOwner)
	for _, p := range []string{groupPath(w.sandbox.ID), groupPath(w.sandbox.ID) + "/members?q=sandbox_alex", memberPath(w.sandbox.ID, sandboxAlex)} {
		if r := b.Get(p); r.Status != http.StatusNotFound {
			t.Errorf("GET %s: %d, want 404", p, r.Status)
		}
	}
	forms := map[string]url.Values{
		"/ladder":       {"role": {"1001"}, "points_1001": {"0"}},
		"/webhook":      {"discord_webhook": {w.dc.WebhookURL()}},
		"/webhook/test": {}, "/webhook/remove": {},
		"/members/" + itoa(sandboxAlex) + "/promote": {"reason": {"x"}},
		"/members/" + itoa(sandboxAlex) + "/rank":    {"rank": {"5"}},
		"/members/" + itoa(sandboxAlex) + "/points":  {"delta": {"5"}},
	}
	for suffix, f := range forms {
		if r := b.PostForm(groupPath(w.sandbox.ID)+suffix, f); r.Status != http.StatusNotFound {
			t.Errorf("POST %s: %d, want 404", suffix, r.Status)
		}
	}
	// Nothing happened to A's group.
	page, err := w.env.Ranking.Logs(context.Background(), accounts.Only(w.account.ID), w.sandbox.ID, ranking.LogFilter{})
	if err != nil || len(page.Items) != 0 {
		t.Fatalf("A's log after B's attempts: %d actions, %v", len(page.Items), err)
	}
	g, _ := w.env.Ranking.GetGroup(context.Background(), accounts.Only(w.account.ID), w.sandbox.ID)
	if g.Webhook.Set {
		t.Fatal("B set A's webhook")
	}
}

// Connecting a group: bad input is a form message; a real group's key
// works and is never shown on any page.
func TestLumiraPortalAddGroup(t *testing.T) {
	t.Parallel()
	w := newLumiraWorld(t)
	c := w.env.AsCustomer(w.account.ID, customers.RoleDeveloper)
	c.Get("/portal/lumira")

	r := c.PostForm("/portal/lumira/groups", url.Values{"group_id": {"abc"}, "roblox_key": {lumiraRobloxKey}, "ceiling": {"300"}})
	r.Want(t, http.StatusUnprocessableEntity, "bad group ID and ceiling")
	if !strings.Contains(r.Text("[data-testid=add-form]"), "positive number") || !strings.Contains(r.Text("[data-testid=add-form]"), "2-255") {
		t.Errorf("add form messages: %q", r.Text("[data-testid=add-form]"))
	}
	if strings.Contains(r.Body, lumiraRobloxKey) {
		t.Fatal("the key was rendered back into the form")
	}
	r = c.PostForm("/portal/lumira/groups", url.Values{"group_id": {"7071"}, "roblox_key": {lumiraRobloxKey}, "discord_webhook": {"https://example.com/api/webhooks/1/x"}})
	r.Want(t, http.StatusUnprocessableEntity, "bad webhook")
	if r.Doc.Find("#f-discord_webhook-msg").Length() != 1 || strings.Contains(r.Body, lumiraRobloxKey) {
		t.Errorf("webhook message missing or key shown: %q", r.Text("[data-testid=add-form]"))
	}
	r = c.PostForm("/portal/lumira/groups", url.Values{"group_id": {"111"}})
	r.Want(t, http.StatusUnprocessableEntity, "the same group twice")
	if !strings.Contains(r.Text("[data-testid=add-form]"), "already has this Roblox group") {
		t.Errorf("duplicate message: %q", r.Text("[data-testid=add-form]"))
	}
	r = c.PostForm("/portal/lumira/groups", url.Values{"group_id": {"999999"}, "roblox_key": {lumiraRobloxKey}})
	r.Want(t, http.StatusUnprocessableEntity, "a group Roblox does not have")
	if !strings.Contains(r.Text("[data-testid=add-form]"), "Roblox has no group with this id") {
		t.Errorf("unknown group message: %q", r.Text("[data-testid=add-form]"))
	}

	r = c.PostForm("/portal/lumira/groups", url.Values{"group_id": {itoa(lumiraRobloxGroup)}, "roblox_key": {lumiraRobloxKey}, "ceiling": {"100"}})
	r.Want(t, http.StatusSeeOther, "connect")
	loc := r.Header.Get("Location")
	r = c.Get(loc)
	r.Want(t, http.StatusOK, "connected group")
	facts := r.Text("[data-testid=group-facts]")
	if r.Text("h1") != "Portal Clan" || !strings.Contains(facts, "Connected") || r.Text("[data-testid=key-works]") != "Yes" ||
		!strings.Contains(facts, "Rank 100") || !strings.Contains(facts, "group:read") {
		t.Errorf("connected group header: %q", facts)
	}
	id := strings.TrimPrefix(loc, "/portal/lumira/groups/")

	// A member read and changed outside Lumira shows as a finding.
	ctx := context.Background()
	w.rbx.AddUser(lumiraRobloxGroup, 501, "outside_olly", "101")
	if _, err := w.env.Ranking.GetMember(ctx, accounts.Only(w.account.ID), id, 501); err != nil {
		t.Fatal(err)
	}
	w.rbx.SetRoleOutside(lumiraRobloxGroup, 501, "110", 42, "SomeAdmin", time.Now().Add(-time.Minute))
	if _, err := w.env.Ranking.Reconcile(ctx, lumiraCLI, accounts.Only(w.account.ID), id); err != nil {
		t.Fatal(err)
	}
	r = c.Get(loc)
	f := r.Doc.Find("[data-testid=finding-row]").First()
	if f.Length() != 1 || !strings.Contains(f.Text(), "Member (1)") || !strings.Contains(f.Text(), "Junior (10)") {
		t.Errorf("findings: %q", r.Text("[data-testid=findings-table]"))
	}
	if r.Has("[data-testid=findings-table] form") {
		t.Error("findings are not read-only")
	}

	// A key Roblox refuses: the group is added, its key does not work.
	r = c.PostForm("/portal/lumira/groups", url.Values{"group_id": {"7072"}, "roblox_key": {"rbx-wrong-key-SECRET"}})
	r.Want(t, http.StatusSeeOther, "a wrong key")
	bad := c.Get(r.Header.Get("Location"))
	if bad.Text("[data-testid=key-works]") != "No" || !bad.Has("[data-testid=status-message]") {
		t.Errorf("key_invalid header: %q", bad.Text("[data-testid=group-facts]"))
	}

	// No page shows a key.
	for _, p := range []string{"/portal/lumira", loc, r.Header.Get("Location"), memberPath(id, 501), "/portal"} {
		page := c.Get(p)
		if page.Status != http.StatusOK || strings.Contains(page.Body, lumiraRobloxKey) || strings.Contains(page.Body, "rbx-wrong-key-SECRET") {
			t.Errorf("%s: status %d or a key shown", p, page.Status)
		}
	}
}

// A developer finds a sandbox member, promotes them, and every refused
// change is a form message.
func TestLumiraPortalSandboxRanking(t *testing.T) {
	t.Parallel()
	w := newLumiraWorld(t)
	c := w.env.AsCustomer(w.account.ID, customers.RoleDeveloper)
	gp := groupPath(w.sandbox.ID)
	c.Get(gp)

	r := c.Get(gp + "/members?q=sandbox_alex")
	r.Want(t, http.StatusSeeOther, "lookup by name")
	if r.Header.Get("Location") != memberPath(w.sandbox.ID, sandboxAlex) {
		t.Fatalf("lookup went to %s", r.Header.Get("Location"))
	}
	for q, want := range map[string]string{"nobody_here_at_all": "No Roblox user", "a b": "3-20 letters", "": "Enter a Roblox username", "123": "not in this group"} {
		r = c.Get(gp + "/members?q=" + url.QueryEscape(q))
		r.Want(t, http.StatusUnprocessableEntity, "lookup "+q)
		if !strings.Contains(r.Text("[data-testid=lookup-form]"), want) {
			t.Errorf("lookup %q: %q", q, r.Text("[data-testid=lookup-form]"))
		}
	}

	mp := memberPath(w.sandbox.ID, sandboxAlex)
	c.Get(mp)
	r = c.PostForm(mp+"/promote", url.Values{"reason": {"Passed training"}})
	r.Want(t, http.StatusSeeOther, "promote")
	r = c.Get(mp)
	if !strings.Contains(r.Text("[data-testid=member-facts]"), "Trainee (rank 5)") {
		t.Fatalf("after promote: %q", r.Text("[data-testid=member-facts]"))
	}
	if a := r.Doc.Find("[data-testid=action-row][data-kind=promote][data-status=done]"); a.Length() != 1 || !strings.Contains(a.Text(), "Passed training") {
		t.Errorf("history: %q", r.Text("[data-testid=log-table]"))
	}
	if w.env.AuditCount("lumira_action.promote", "") != 1 {
		t.Error("the promotion is not audited")
	}

	// Refused changes: form messages, nothing changed.
	cases := []struct {
		path string
		form url.Values
		sel  string
		want string
	}{
		{memberPath(w.sandbox.ID, sandboxGray) + "/promote", url.Values{}, "promote-form", "top of the ladder"},
		{memberPath(w.sandbox.ID, sandboxLumira) + "/demote", url.Values{}, "demote-form", "at or above the group's ceiling"},
		{mp + "/rank", url.Values{"rank": {"250"}}, "rank-form", "cannot be assigned"},
		{mp + "/rank", url.Values{"rank": {"7"}}, "rank-form", "no role of rank 7"},
		{mp + "/rank", url.Values{"rank": {""}}, "rank-form", "Choose a role"},
		{mp + "/points", url.Values{"delta": {"ten"}}, "points-form", "whole number"},
		{mp + "/points", url.Values{"delta": {"0"}}, "points-form", "non-zero"},
		{mp + "/demote", url.Values{"reason": {strings.Repeat("r", 501)}}, "demote-form", "At most 500"},
	}
	for _, tc := range cases {
		r = c.PostForm(tc.path, tc.form)
		r.Want(t, http.StatusUnprocessableEntity, tc.path+" "+tc.form.Encode())
		if !strings.Contains(r.Text("[data-testid="+tc.sel+"]"), tc.want) {
			t.Errorf("%s: %q, want %q", tc.path, r.Text("[data-testid="+tc.sel+"]"), tc.want)
		}
	}
	if r := c.PostForm(memberPath(w.sandbox.ID, 1)+"/promote", url.Values{}); r.Status != http.StatusUnprocessableEntity ||
		!strings.Contains(r.Text("[data-testid=promote-form]"), "not in the group") {
		t.Errorf("promote a non-member: %d %q", r.Status, r.Text("main"))
	}
	if r := c.Get(memberPath(w.sandbox.ID, 1)); r.Status != http.StatusNotFound {
		t.Errorf("a non-member's page: %d", r.Status)
	}
	if r := c.Get(memberPath(w.sandbox.ID, -3)); r.Status != http.StatusNotFound {
		t.Errorf("a bad user ID's page: %d", r.Status)
	}

	r = c.PostForm(mp+"/rank", url.Values{"rank": {"50"}, "reason": {"Staff now"}})
	r.Want(t, http.StatusSeeOther, "set rank")
	r = c.PostForm(mp+"/points", url.Values{"delta": {"+15"}, "reason": {"Event"}})
	r.Want(t, http.StatusSeeOther, "points")
	r = c.Get(mp)
	if !strings.Contains(r.Text("[data-testid=member-facts]"), "Staff (rank 50)") || !strings.Contains(r.Text("[data-testid=member-facts]"), "15") {
		t.Errorf("after set and points: %q", r.Text("[data-testid=member-facts]"))
	}

	// The log filters by kind and status, newest first.
	r = c.Get(gp + "?kind=promote")
	if n := r.Doc.Find("[data-testid=action-row]").Length(); n != 1 || r.Doc.Find("[data-testid=action-row][data-kind=promote]").Length() != 1 {
		t.Errorf("kind=promote: %d rows", n)
	}
	r = c.Get(gp + "?status=failed")
	if !r.Has("[data-testid=log-empty]") {
		t.Errorf("status=failed lists %d rows", r.Doc.Find("[data-testid=action-row]").Length())
	}
	r = c.Get(gp)
	kinds := r.Doc.Find("[data-testid=action-row]").Map(func(_ int, s *goquery.Selection) string { return s.AttrOr("data-kind", "") })
	if strings.Join(kinds, ",") != "points,set,promote" {
		t.Errorf("log order: %v", kinds)
	}
	r = c.Get(gp + "?kind=bogus&cursor=zzz")
	r.Want(t, http.StatusOK, "bad filter")
	if !strings.Contains(r.Text("[data-testid=log-filter-error]"), "no action kind") || !strings.Contains(r.Text("[data-testid=log-filter-error]"), "page link") {
		t.Errorf("bad filter messages: %q", r.Text("[data-testid=log-filter-error]"))
	}
}

// The log pages with its cursor ("Next") and keeps the filter.
func TestLumiraPortalLogPages(t *testing.T) {
	t.Parallel()
	w := newLumiraWorld(t)
	ctx := context.Background()
	scope := accounts.Only(w.account.ID)
	for i := range 30 {
		if _, err := w.env.Ranking.AddPoints(ctx, lumiraCLI, scope, w.sandbox.ID, sandboxAlex, int64(i+1), "tick"); err != nil {
			t.Fatal(err)
		}
	}
	c := w.env.AsCustomer(w.account.ID, customers.RoleReadOnly)
	r := c.Get(groupPath(w.sandbox.ID) + "?kind=points")
	first := r.Doc.Find("[data-testid=action-row]")
	if first.Length() != 25 || first.First().Find("[data-testid=action-points]").Text() != "+30 points" {
		t.Fatalf("first page: %d rows, first %q", first.Length(), first.First().Text())
	}
	next, ok := r.Doc.Find(`[data-testid=log-pager] a[rel=next]`).Attr("href")
	if !ok || !strings.Contains(next, "kind=points") {
		t.Fatalf("next link %q", next)
	}
	r = c.Get(next)
	second := r.Doc.Find("[data-testid=action-row]")
	if second.Length() != 5 || second.Last().Find("[data-testid=action-points]").Text() != "+1 points" || r.Has(`[data-testid=log-pager] a[rel=next]`) {
		t.Fatalf("second page: %d rows", second.Length())
	}
	if !r.Has(`[data-testid=log-pager] a[rel=prev]`) {
		t.Error("no way back to the newest actions")
	}
}

// The ladder form: bad points are a message on the role, a ladder the
// service refuses says why, a good one is saved.
func TestLumiraPortalLadder(t *testing.T) {
	t.Parallel()
	w := newLumiraWorld(t)
	c := w.env.AsCustomer(w.account.ID, customers.RoleOwner)
	gp := groupPath(w.sandbox.ID)
	c.Get(gp)
	r := c.PostForm(gp+"/ladder", url.Values{"role": {"1001", "1005"}, "points_1001": {"0"}, "points_1005": {"lots"}})
	r.Want(t, http.StatusUnprocessableEntity, "bad points")
	if e := r.Doc.Find(`[data-testid=role-row][data-role="1005"] [data-testid=role-error]`); !strings.Contains(e.Text(), "whole number") {
		t.Errorf("points message: %q", r.Text("[data-testid=ladder-table]"))
	}
	if v, _ := r.Doc.Find(`input[name=points_1005]`).Attr("value"); v != "lots" {
		t.Errorf("typed points not kept: %q", v)
	}
	r = c.PostForm(gp+"/ladder", url.Values{"role": {"1001", "1005"}, "points_1001": {"50"}, "points_1005": {"10"}})
	r.Want(t, http.StatusUnprocessableEntity, "falling points")
	if e := r.Doc.Find(`[data-testid=role-row][data-role="1005"] [data-testid=role-error]`); !strings.Contains(e.Text(), "never fall") {
		t.Errorf("falling points message: %q", r.Text("[data-testid=ladder-table]"))
	}
	r = c.PostForm(gp+"/ladder", url.Values{})
	r.Want(t, http.StatusUnprocessableEntity, "empty ladder")
	if !strings.Contains(r.Text("[data-testid=ladder-error]"), "at least one role") {
		t.Errorf("empty ladder message: %q", r.Text("[data-testid=ladder-error]"))
	}
	r = c.PostForm(gp+"/ladder", url.Values{"role": {"1001", "1050"}, "points_1001": {"0"}, "points_1050": {"40"}, "points_1005": {"9"}})
	r.Want(t, http.StatusSeeOther, "save ladder")
	g, err := w.env.Ranking.GetGroup(context.Background(), accounts.Only(w.account.ID), w.sandbox.ID)
	if err != nil {
		t.Fatal(err)
	}
	l := g.Ladder()
	if len(l) != 2 || l[0].ID != "1001" || l[1].ID != "1050" || l[1].PointsRequired != 40 {
		t.Fatalf("saved ladder: %+v", l)
	}
	r = c.Get(gp)
	if r.Text(`[data-testid=role-row][data-role="1050"] [data-testid=role-step]`) != "2" ||
		r.Doc.Find(`[data-testid=role-row][data-role="1005"]`).AttrOr("data-in-ladder", "") != "false" {
		t.Errorf("ladder table after save: %q", r.Text("[data-testid=ladder-table]"))
	}
	// Promote now skips the roles left out: Member (1) → Staff (50).
	mp := memberPath(w.sandbox.ID, sandboxAlex)
	c.Get(mp)
	c.PostForm(mp+"/promote", url.Values{"reason": {"skip"}}).Want(t, http.StatusSeeOther, "promote on the new ladder")
	if !strings.Contains(c.Get(mp).Text("[data-testid=member-facts]"), "Staff (rank 50)") {
		t.Error("promote did not follow the saved ladder")
	}
}

// The webhook: a URL that is not Discord's is refused, a good one saved
// (never shown), and the test message reaches Discord through the job.
func TestLumiraPortalWebhook(t *testing.T) {
	t.Parallel()
	w := newLumiraWorld(t)
	w.env.Jobs.SetOptions(jobs.Options{TestOnly: true, PollInterval: 50 * time.Millisecond})
	if err := w.env.Jobs.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = w.env.Jobs.Stop(ctx)
	})
	c := w.env.AsCustomer(w.account.ID, customers.RoleDeveloper)
	gp := groupPath(w.sandbox.ID)
	r := c.Get(gp)
	if r.Doc.Find("[data-testid=webhook-status]").AttrOr("data-status", "") != "none" || r.Has("[data-testid=webhook-test]") {
		t.Fatal("a group without a webhook offers a test")
	}
	r = c.PostForm(gp+"/webhook", url.Values{"discord_webhook": {"http://evil.test/api/webhooks/1/abc"}})
	r.Want(t, http.StatusUnprocessableEntity, "not Discord")
	if r.Doc.Find("[data-testid=webhook-form] #f-discord_webhook-msg.field-error").Length() != 1 || strings.Contains(r.Body, "evil.test") {
		t.Errorf("bad URL: %q", r.Text("[data-testid=webhook-form]"))
	}
	r = c.PostForm(gp+"/webhook", url.Values{"discord_webhook": {""}})
	r.Want(t, http.StatusUnprocessableEntity, "empty URL")

	hook := w.dc.WebhookURL()
	c.PostForm(gp+"/webhook", url.Values{"discord_webhook": {hook}}).Want(t, http.StatusSeeOther, "set webhook")
	r = c.Get(gp)
	if r.Doc.Find("[data-testid=webhook-status]").AttrOr("data-status", "") != "ok" || strings.Contains(r.Body, "tok_en-1") {
		t.Fatalf("webhook status %q, or its URL shown", r.Text("[data-testid=webhook-status]"))
	}
	c.PostForm(gp+"/webhook/test", url.Values{}).Want(t, http.StatusSeeOther, "test")
	select {
	case m := <-w.dc.Posted:
		if !strings.Contains(m.Content, "Test message from Lumira for Orbit Sandbox") {
			t.Errorf("posted %q", m.Content)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("the test message did not reach Discord")
	}

	// A promotion from the portal is logged there too.
	mp := memberPath(w.sandbox.ID, sandboxAlex)
	c.Get(mp)
	c.PostForm(mp+"/promote", url.Values{"reason": {"Logged"}}).Want(t, http.StatusSeeOther, "promote")
	select {
	case m := <-w.dc.Posted:
		if len(m.Embeds) == 0 {
			t.Errorf("rank change posted without an embed: %+v", m)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("the promotion was not posted to Discord")
	}

	// Discord forgets the webhook: the next post disables it, and the group
	// page says so and why.
	w.dc.Delete()
	c.PostForm(gp+"/webhook/test", url.Values{}).Want(t, http.StatusSeeOther, "test a deleted webhook")
	for deadline := time.Now().Add(20 * time.Second); ; {
		g, err := w.env.Ranking.GetGroup(context.Background(), accounts.Only(w.account.ID), w.sandbox.ID)
		if err != nil {
			t.Fatal(err)
		}
		if g.Webhook.Status == ranking.WebhookDisabled {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the webhook was not disabled: %+v", g.Webhook)
		}
		time.Sleep(50 * time.Millisecond)
	}
	r = c.Get(gp)
	if r.Doc.Find("[data-testid=webhook-status]").AttrOr("data-status", "") != "disabled" || r.Text("[data-testid=webhook-reason]") == "" {
		t.Errorf("disabled webhook: %q / %q", r.Text("[data-testid=webhook-status]"), r.Text("[data-testid=webhook-reason]"))
	}
	r = c.PostForm(gp+"/webhook/test", url.Values{})
	r.Want(t, http.StatusUnprocessableEntity, "test a disabled webhook")

	c.PostForm(gp+"/webhook/remove", url.Values{}).Want(t, http.StatusSeeOther, "remove")
	r = c.PostForm(gp+"/webhook/test", url.Values{})
	r.Want(t, http.StatusUnprocessableEntity, "test without a webhook")
	if !strings.Contains(r.Text("[data-testid=webhook-test-error]"), "no working Discord webhook") {
		t.Errorf("test without a webhook: %q", r.Text("[data-testid=webhook-test-error]"))
	}
	if r.Doc.Find("[data-testid=webhook-status]").AttrOr("data-status", "") != "none" {
		t.Error("the webhook was not removed")
	}
}
