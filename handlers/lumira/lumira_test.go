package lumira_test

import (
	"context"
	"encoding/csv"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"lumdesk/db/store"
	"lumdesk/handlers/server/servertest"
	"lumdesk/internal/accounts"
	"lumdesk/internal/audit"
	"lumdesk/internal/jobs"
	"lumdesk/internal/platform/config"
	"lumdesk/internal/ranking"
	"lumdesk/internal/ranking/discord"
	"lumdesk/internal/ranking/discord/discordtest"
	"lumdesk/internal/ranking/roblox/robloxtest"
)

var (
	lmCLI = audit.CLI("lumira console test")
	lmBG  = context.Background()
)

// Sandbox members (roblox.DemoMembers): alex is a Member (1), casey a
// Trainee (5), gray a Manager (200), the bot at 250 (the ceiling).
const (
	lmAlex  = 9_000_000_001
	lmCasey = 9_000_000_003
	lmGray  = 9_000_000_007
	lmBot   = 9_000_000_008
)

type lmFixture struct {
	env   *servertest.Env
	acc   int64
	group ranking.Group
	dc    *discordtest.Server
}

func newLumiraFixture(t *testing.T) *lmFixture {
	t.Helper()
	dc := discordtest.New(t)
	env := servertest.New(t, func(c *config.Config) { c.LumiraDiscordURL = dc.URL })
	a, err := env.Accounts.Create(lmBG, lmCLI, accounts.CreateInput{Name: "Nightfall Studios", Email: "ops@nightfall.test"})
	if err != nil {
		t.Fatal(err)
	}
	g, err := env.Ranking.AddGroup(lmBG, lmCLI, accounts.Only(a.ID), ranking.GroupInput{RobloxGroupID: 777, Name: "Night Guard"})
	if err != nil {
		t.Fatal(err)
	}
	return &lmFixture{env: env, acc: a.ID, group: g, dc: dc}
}

func (f *lmFixture) groupPath(tab string) string {
	p := "/lumira/groups/" + f.group.ID
	if tab != "" {
		p += "?tab=" + tab
	}
	return p
}

func (f *lmFixture) memberPath(uid int64) string {
	return "/lumira/groups/" + f.group.ID + "/members/" + strconv.FormatInt(uid, 10)
}

func (f *lmFixture) member(t *testing.T, uid int64) ranking.Member {
	t.Helper()
	m, err := f.env.Ranking.GetMember(lmBG, accounts.AllAccounts, f.group.ID, uid)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestLumiraPagesRender(t *testing.T) {
	t.Parallel()
	f := newLumiraFixture(t)
	if _, err := f.env.Ranking.Promote(lmBG, lmCLI, accounts.AllAccounts, f.group.ID, lmAlex, "seed"); err != nil {
		t.Fatal(err)
	}
	viewer := f.env.As("viewer")
	r := viewer.Get("/lumira")
	if r.Status != http.StatusOK || r.Text(`[data-testid="group-row"] [data-testid="group-status"]`) != "Sandbox" {
		t.Fatalf("list: %d %q", r.Status, r.Text(`[data-testid="group-row"]`))
	}
	if r.Has(`[data-testid="add-group-form"]`) {
		t.Error("a viewer is shown the add form")
	}
	for _, tab := range []string{"", "ladder", "members", "log", "discord", "reconciliation", "history"} {
		r := viewer.Get(f.groupPath(tab))
		if r.Status != http.StatusOK {
			t.Fatalf("tab %q: %d", tab, r.Status)
		}
		if !strings.Contains(r.Text(`[data-testid="group-header"]`), "Sandbox") {
			t.Errorf("tab %q: header does not say Sandbox", tab)
		}
		if r.Has(`[data-testid="save-ladder"]`) || r.Has(`[data-testid="send-test"]`) || r.Has(`[data-testid="reconcile-now"]`) {
			t.Errorf("tab %q: a viewer is shown forms", tab)
		}
	}
	r = viewer.Get(f.groupPath("ladder"))
	if n := r.Doc.Find(`[data-testid="role-row"]`).Length(); n != 9 {
		t.Errorf("ladder shows %d roles, want the sandbox's 9", n)
	}
	r = viewer.Get(f.groupPath("members") + "&q=sandbox_al")
	if got := r.Text(`[data-testid="member-row"] .cell-primary`); got != "sandbox_alex" {
		t.Errorf("member search: %q", got)
	}
	r = viewer.Get(f.groupPath("log"))
	if r.Doc.Find(`[data-testid="action-row"][data-kind="promote"]`).Length() != 1 {
		t.Errorf("log: %q", r.Text(`[data-testid="action-row"]`))
	}
	r = viewer.Get(f.groupPath("log") + "&kind=demote")
	if !r.Has(`[data-testid="log-empty"]`) {
		t.Error("kind filter shows a promote as a demote")
	}
	r = viewer.Get(f.groupPath("log") + "&kind=bogus&status=nope")
	if r.Status != http.StatusOK || !r.Has(`[data-testid="filter-error"]`) {
		t.Errorf("bad log filters: %d", r.Status)
	}
	r = viewer.Get(f.memberPath(lmAlex))
	if r.Status != http.StatusOK || !strings.Contains(r.Text(`[data-testid="member-role"]`), "Trainee") {
		t.Fatalf("member page: %d %q", r.Status, r.Text(`[data-testid="member-role"]`))
	}
	if r.Has(`[data-testid="promote"]`) {
		t.Error("a viewer is shown the rank forms")
	}
	href, _ := r.Doc.Find(`[data-testid="action-row"] a.cell-primary`).Attr("href")
	if !strings.HasPrefix(href, "/lumira/actions/act_") {
		t.Fatalf("member history links %q", href)
	}
	r = viewer.Get(href)
	if r.Status != http.StatusOK || !strings.Contains(r.Text(`[data-testid="action-change"]`), "Member (1) → Trainee (5)") {
		t.Errorf("action page: %d %q", r.Status, r.Text(`[data-testid="action-change"]`))
	}
}

func TestLumiraAddGroupForm(t *testing.T) {
	t.Parallel()
	f := newLumiraFixture(t)
	support := f.env.As("support")
	support.Get("/lumira")
	r := support.PostForm("/lumira", url.Values{"account": {"abc"}, "roblox_group_id": {"-3"}, "ceiling": {"900"}, "discord_webhook": {"http://evil.test/x"}})
	if r.Status != http.StatusUnprocessableEntity {
		t.Fatalf("bad add: %d", r.Status)
	}
	for _, name := range []string{"account", "roblox_group_id", "ceiling"} {
		if !r.Has(`[data-testid="add-group-form"] input[name="` + name + `"][aria-invalid="true"]`) {
			t.Errorf("%s has no message: %s", name, r.Text(`[data-testid="add-group-form"]`))
		}
	}
	r = support.PostForm("/lumira", url.Values{"account": {strconv.FormatInt(f.acc, 10)}, "roblox_group_id": {"888"}, "discord_webhook": {"http://evil.test/x"}})
	if r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Text(`[data-testid="add-group-form"]`), "Discord webhook URL") {
		t.Fatalf("bad webhook: %d %s", r.Status, r.Text(`[data-testid="add-group-form"]`))
	}
	r = support.PostForm("/lumira", url.Values{"account": {strconv.FormatInt(f.acc, 10)}, "roblox_group_id": {"777"}})
	if r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Text(`[data-testid="add-group-form"]`), "already has this Roblox group") {
		t.Fatalf("duplicate: %d %s", r.Status, r.Text(`[data-testid="add-group-form"]`))
	}
	// A name over the limit in characters is refused whole, however many
	// bytes each takes, and nothing is added (cut in bytes before the check,
	// 300 emoji were saved as 50, and mixed text failed as invalid UTF-8).
	for _, name := range []string{strings.Repeat("😀", 300), strings.Repeat("Ω😀<b>x</b>", 600)} {
		r = support.PostForm("/lumira", url.Values{"account": {strconv.FormatInt(f.acc, 10)}, "roblox_group_id": {"889"}, "name": {name}})
		if msg := r.Text(`[data-testid="add-group-form"]`); r.Status != http.StatusUnprocessableEntity || !strings.Contains(msg, "100 characters") {
			t.Errorf("a long name of %d bytes: %d %s", len(name), r.Status, msg)
		}
	}
	r = support.PostForm("/lumira", url.Values{"account": {strconv.FormatInt(f.acc, 10)}, "roblox_group_id": {"888"}, "name": {"Day Guard"}})
	if r.Status != http.StatusSeeOther || !strings.HasPrefix(r.Header.Get("Location"), "/lumira/groups/grp_") {
		t.Fatalf("add: %d %s", r.Status, r.Header.Get("Location"))
	}
	r = support.Get(r.Header.Get("Location"))
	if r.Text(`h1`) != "Day Guard" || r.Text(`[data-testid="group-header"] [data-testid="group-status"]`) != "Sandbox" {
		t.Errorf("new group page: %q %q", r.Text("h1"), r.Text(`[data-testid="group-status"]`))
	}
}

func TestLumiraLadderForm(t *testing.T) {
	t.Parallel()
	f := newLumiraFixture(t)
	support := f.env.As("support")
	page := support.Get(f.groupPath("ladder"))
	// A role Lumira cannot assign is not offered for the ladder; on a phone
	// each input keeps its column's label.
	for _, r := range f.group.Roles {
		box := page.Doc.Find(`[data-testid="role-row"][data-id="` + r.ID + `"] [data-testid="in-ladder"]`)
		if _, disabled := box.Attr("disabled"); disabled == r.Assignable && !r.InLadder {
			t.Errorf("role %s (assignable %v): in-ladder box disabled %v", r.Name, r.Assignable, disabled)
		}
	}
	if n := page.Doc.Find(`[data-testid="role-row"] td[data-label="Order"]`).Length(); n != len(f.group.Roles) {
		t.Errorf("%d order cells labelled, want %d", n, len(f.group.Roles))
	}
	roles := map[string]ranking.Role{}
	for _, r := range f.group.Roles {
		roles[r.Name] = r
	}
	ladder := func(extra url.Values) url.Values {
		v := url.Values{}
		for _, name := range []string{"Member", "Trainee", "Staff"} {
			v.Set("in_"+roles[name].ID, "1")
		}
		v.Set("pts_"+roles["Member"].ID, "0")
		v.Set("pts_"+roles["Trainee"].ID, "50")
		v.Set("pts_"+roles["Staff"].ID, "200")
		for k, x := range extra {
			v[k] = x
		}
		return v
	}
	// Bad input: each field says what is wrong; nothing changes.
	r := support.PostForm(f.groupPath("")+"/ladder", ladder(url.Values{"pts_" + roles["Trainee"].ID: {"lots"}, "pos_" + roles["Staff"].ID: {"0"}}))
	if r.Status != http.StatusUnprocessableEntity || r.Doc.Find(`[data-testid="field-error"]`).Length() != 2 || !r.Has(`[data-testid="ladder-error"]`) {
		t.Fatalf("bad ladder: %d %q", r.Status, r.Text(`[data-testid="ladder-form"]`))
	}
	if v, _ := r.Doc.Find(`input[name="pts_` + roles["Trainee"].ID + `"]`).Attr("value"); v != "lots" {
		t.Errorf("the refused value is not kept: %q", v)
	}
	// The service's rule: points never fall up the ladder.
	r = support.PostForm(f.groupPath("")+"/ladder", ladder(url.Values{"pts_" + roles["Staff"].ID: {"10"}}))
	if r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Text(`[data-testid="field-error"]`), "never fall") {
		t.Fatalf("falling points: %d %q", r.Status, r.Text(`[data-testid="ladder-form"]`))
	}
	// Order that makes ranks fall is refused too.
	r = support.PostForm(f.groupPath("")+"/ladder", ladder(url.Values{"pos_" + roles["Staff"].ID: {"1"}, "pts_" + roles["Staff"].ID: {"0"}}))
	if r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Text(`[data-testid="field-error"]`), "goes up") {
		t.Fatalf("falling ranks: %d %q", r.Status, r.Text(`[data-testid="ladder-form"]`))
	}
	g, _ := f.env.Ranking.GetGroup(lmBG, accounts.AllAccounts, f.group.ID)
	if len(g.Ladder()) != len(f.group.Ladder()) {
		t.Fatal("a refused ladder changed the group")
	}
	r = support.PostForm(f.groupPath("")+"/ladder", ladder(nil))
	if r.Status != http.StatusSeeOther {
		t.Fatalf("save: %d %q", r.Status, r.Text(`[data-testid="ladder-form"]`))
	}
	g, _ = f.env.Ranking.GetGroup(lmBG, accounts.AllAccounts, f.group.ID)
	var got []string
	for _, r := range g.Ladder() {
		got = append(got, r.Name+":"+strconv.FormatInt(r.PointsRequired, 10))
	}
	if strings.Join(got, ",") != "Member:0,Trainee:50,Staff:200" {
		t.Errorf("ladder = %v", got)
	}
	if f.env.AuditCount("lumira_group.ladder", f.group.ID) != 1 {
		t.Error("the ladder change is not audited")
	}
	// Settings: a bad ceiling is a message; a good one is saved.
	r = support.PostForm(f.groupPath("")+"/settings", url.Values{"ceiling": {"1"}})
	if r.Status != http.StatusUnprocessableEntity || !r.Has(`[data-testid="settings-form"] input[name="ceiling"][aria-invalid="true"]`) {
		t.Errorf("bad ceiling: %d", r.Status)
	}
	if r = support.PostForm(f.groupPath("")+"/settings", url.Values{"ceiling": {"240"}, "auto_promote": {"1"}}); r.Status != http.StatusSeeOther {
		t.Fatalf("settings: %d", r.Status)
	}
	g, _ = f.env.Ranking.GetGroup(lmBG, accounts.AllAccounts, f.group.ID)
	if g.Ceiling != 240 || !g.AutoPromote {
		t.Errorf("settings not saved: %d %v", g.Ceiling, g.AutoPromote)
	}
	if r = support.PostForm(f.groupPath("")+"/sync", nil); r.Status != http.StatusSeeOther {
		t.Errorf("sync: %d", r.Status)
	}
}

func TestLumiraMemberForms(t *testing.T) {
	t.Parallel()
	f := newLumiraFixture(t)
	support := f.env.As("support")
	support.Get(f.memberPath(lmAlex))
	post := func(uid int64, act string, v url.Values) *servertest.Response {
		t.Helper()
		return support.PostForm(f.memberPath(uid)+"/"+act, v)
	}
	// Promote works and lands in the member's history.
	r := post(lmAlex, "promote", url.Values{"reason": {"Passed training"}})
	if r.Status != http.StatusSeeOther {
		t.Fatalf("promote: %d %s", r.Status, r.Text(`[data-testid="promote-error"]`))
	}
	if m := f.member(t, lmAlex); m.RoleName != "Trainee" {
		t.Fatalf("after promote: %s", m.RoleName)
	}
	r = support.Get(f.memberPath(lmAlex))
	if !strings.Contains(r.Text(`[data-testid="action-row"]`), "Passed training") {
		t.Error("the promotion is not in the member's history")
	}
	// Each refusal is a message on the form, never a 500.
	for _, c := range []struct {
		uid      int64
		act      string
		form     url.Values
		testid   string
		contains string
	}{
		{lmAlex, "promote", url.Values{"reason": {""}}, "promote-error", "Give a reason"},
		{lmGray, "promote", url.Values{"reason": {"up"}}, "promote-error", "top of the ladder"},
		{lmBot, "demote", url.Values{"reason": {"down"}}, "demote-error", "ceiling"},
		{lmAlex, "set", url.Values{"reason": {"x"}, "role_id": {"1255"}}, "set-error", "cannot be assigned"},
		{lmAlex, "set", url.Values{"reason": {"x"}, "role_id": {"nope"}}, "set-error", "no such role"},
		{lmAlex, "set", url.Values{"reason": {"x"}}, "set-error", "Choose a role"},
		{lmAlex, "points", url.Values{"reason": {"x"}, "delta": {"ten"}}, "points-error", "whole number"},
		{lmAlex, "points", url.Values{"reason": {"x"}, "delta": {"0"}}, "points-error", "non-zero"},
	} {
		r := post(c.uid, c.act, c.form)
		if r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Text(`[data-testid="`+c.testid+`"]`), c.contains) {
			t.Errorf("%s %v: %d %q", c.act, c.form, r.Status, r.Text(`[data-testid="`+c.testid+`"]`))
		}
	}
	// Set, demote and points succeed.
	if r := post(lmAlex, "set", url.Values{"reason": {"Jump"}, "role_id": {"1050"}}); r.Status != http.StatusSeeOther {
		t.Fatalf("set: %d %s", r.Status, r.Text(`[data-testid="set-error"]`))
	}
	if r := post(lmAlex, "demote", url.Values{"reason": {"Back"}}); r.Status != http.StatusSeeOther {
		t.Fatalf("demote: %d", r.Status)
	}
	if m := f.member(t, lmAlex); m.RoleName != "Junior Staff" {
		t.Errorf("after set and demote: %s", m.RoleName)
	}
	if r := post(lmCasey, "points", url.Values{"reason": {"Event"}, "delta": {"+25"}}); r.Status != http.StatusSeeOther {
		t.Fatalf("points: %d %s", r.Status, r.Text(`[data-testid="points-error"]`))
	}
	if m := f.member(t, lmCasey); m.Points != 25 {
		t.Errorf("points = %d", m.Points)
	}
}

// A viewer may post nothing; every POST is 403 and changes nothing.
func TestLumiraViewerIsRefused(t *testing.T) {
	t.Parallel()
	f := newLumiraFixture(t)
	viewer := f.env.As("viewer")
	viewer.Get("/lumira")
	g := f.groupPath("")
	for _, p := range []string{"/lumira", g + "/ladder", g + "/sync", g + "/settings", g + "/webhook", g + "/webhook/test", g + "/reconcile",
		f.memberPath(lmAlex) + "/set", f.memberPath(lmAlex) + "/promote", f.memberPath(lmAlex) + "/demote", f.memberPath(lmAlex) + "/points"} {
		if r := viewer.PostForm(p, url.Values{"reason": {"x"}, "delta": {"5"}, "role_id": {"1050"}, "ceiling": {"100"}}); r.Status != http.StatusForbidden {
			t.Errorf("POST %s: %d", p, r.Status)
		}
	}
	if m := f.member(t, lmAlex); m.RoleName != "Member" || m.Points != 0 {
		t.Errorf("a viewer changed the member: %+v", m)
	}
}

func TestLumiraUnknownIDsAreNotFound(t *testing.T) {
	t.Parallel()
	f := newLumiraFixture(t)
	viewer := f.env.As("viewer")
	for _, p := range []string{"/lumira/groups/grp_aaaaaaaaaaaaaaaa", "/lumira/groups/nonsense", "/lumira/groups/grp_aaaaaaaaaaaaaaaa/members/1",
		f.memberPath(123), "/lumira/groups/" + f.group.ID + "/members/abc", "/lumira/actions/act_aaaaaaaaaaaaaaaa", "/lumira/actions/x"} {
		if r := viewer.Get(p); r.Status != http.StatusNotFound {
			t.Errorf("GET %s: %d", p, r.Status)
		}
	}
	support := f.env.As("support")
	support.Get("/lumira")
	for _, p := range []string{"/lumira/groups/grp_aaaaaaaaaaaaaaaa/ladder", "/lumira/groups/grp_aaaaaaaaaaaaaaaa/members/" + strconv.Itoa(lmAlex) + "/promote"} {
		if r := support.PostForm(p, url.Values{"reason": {"x"}}); r.Status != http.StatusNotFound {
			t.Errorf("POST %s: %d", p, r.Status)
		}
	}
	// A user who is not in the group has no member page: promoting one is a 404 too.
	if r := support.PostForm(f.memberPath(123)+"/promote", url.Values{"reason": {"x"}}); r.Status != http.StatusNotFound {
		t.Errorf("promote a stranger: %d", r.Status)
	}
}

func TestLumiraWebhookAndSendTest(t *testing.T) {
	t.Parallel()
	f := newLumiraFixture(t)
	f.env.Jobs.SetOptions(jobs.Options{TestOnly: true, PollInterval: 50 * time.Millisecond})
	if err := f.env.Jobs.Start(lmBG); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(lmBG, 10*time.Second)
		defer cancel()
		_ = f.env.Jobs.Stop(ctx)
	})
	support := f.env.As("support")
	support.Get(f.groupPath("discord"))
	if r := support.PostForm(f.groupPath("")+"/webhook/test", nil); r.Status != http.StatusSeeOther {
		t.Fatalf("test without a webhook: %d", r.Status)
	}
	if r := support.PostForm(f.groupPath("")+"/webhook", url.Values{"discord_webhook": {""}}); r.Status != http.StatusUnprocessableEntity {
		t.Errorf("empty webhook without Remove: %d", r.Status)
	}
	r := support.PostForm(f.groupPath("")+"/webhook", url.Values{"discord_webhook": {"https://example.com/hook"}})
	if r.Status != http.StatusUnprocessableEntity || !r.Has(`[data-testid="webhook-form"] input[aria-invalid="true"]`) {
		t.Fatalf("bad webhook: %d", r.Status)
	}
	if r = support.PostForm(f.groupPath("")+"/webhook", url.Values{"discord_webhook": {f.dc.WebhookURL()}}); r.Status != http.StatusSeeOther {
		t.Fatalf("webhook: %d %s", r.Status, r.Text(`[data-testid="webhook-form"]`))
	}
	r = support.Get(f.groupPath("discord"))
	if !strings.Contains(r.Text(`[data-testid="webhook-status"]`), "OK") || strings.Contains(r.Body, "tok_en-1") {
		t.Errorf("webhook status %q (or the URL is shown)", r.Text(`[data-testid="webhook-status"]`))
	}
	if r = support.PostForm(f.groupPath("")+"/webhook/test", nil); r.Status != http.StatusSeeOther {
		t.Fatalf("send test: %d", r.Status)
	}
	if m := lmWaitPosted(t, f.dc.Posted); !strings.Contains(m.Content, "Test message from Lumdesk") {
		t.Errorf("posted %q", m.Content)
	}
	// A promotion from the console reaches Discord as an embed.
	if r = support.PostForm(f.memberPath(lmAlex)+"/promote", url.Values{"reason": {"Console promotion"}}); r.Status != http.StatusSeeOther {
		t.Fatalf("promote: %d", r.Status)
	}
	m := lmWaitPosted(t, f.dc.Posted)
	if len(m.Embeds) != 1 || !strings.Contains(m.Embeds[0].Description+lmFields(m.Embeds[0]), "Console promotion") {
		t.Errorf("promotion embed: %+v", m)
	}
	// Remove takes the webhook away.
	if r = support.PostForm(f.groupPath("")+"/webhook", url.Values{"discord_webhook": {""}, "remove": {"1"}}); r.Status != http.StatusSeeOther {
		t.Fatalf("remove: %d", r.Status)
	}
	if g, _ := f.env.Ranking.GetGroup(lmBG, accounts.AllAccounts, f.group.ID); g.Webhook.Status != ranking.WebhookNone {
		t.Errorf("webhook after remove: %s", g.Webhook.Status)
	}
}

func lmFields(e discord.Embed) string {
	var b strings.Builder
	for _, f := range e.Fields {
		b.WriteString(f.Name + ": " + f.Value + "\n")
	}
	return b.String()
}

func lmWaitPosted(t *testing.T, ch chan discord.Message) discord.Message {
	t.Helper()
	select {
	case m := <-ch:
		return m
	case <-time.After(15 * time.Second):
		t.Fatal("nothing posted to Discord")
	}
	return discord.Message{}
}

func TestLumiraAccountTabListAndCSV(t *testing.T) {
	t.Parallel()
	f := newLumiraFixture(t)
	other, err := f.env.Accounts.Create(lmBG, lmCLI, accounts.CreateInput{Name: "Day Co", Email: "hi@day.test"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.env.Ranking.AddGroup(lmBG, lmCLI, accounts.Only(other.ID), ranking.GroupInput{RobloxGroupID: 4242, Name: "Day Watch"}); err != nil {
		t.Fatal(err)
	}
	viewer := f.env.As("viewer")
	ids := func(r *servertest.Response) []string {
		var out []string
		for _, n := range r.Doc.Find(`[data-testid="group-row"] a.cell-primary`).Nodes {
			out = append(out, strings.TrimSpace(n.FirstChild.Data))
		}
		return out
	}
	for q, want := range map[string]string{"": "Day Watch,Night Guard", "?q=night": "Night Guard", "?q=4242": "Day Watch",
		"?account=" + strconv.FormatInt(other.ID, 10): "Day Watch", "?status=connected": "", "?status=sandbox": "Day Watch,Night Guard"} {
		r := viewer.Get("/lumira" + q)
		if got := strings.Join(ids(r), ","); got != want {
			t.Errorf("list%s = %q, want %q", q, got, want)
		}
	}
	r := viewer.Get("/lumira?status=bogus&account=x")
	if r.Status != http.StatusOK || !r.Has(`[data-testid="filter-error"]`) || len(ids(r)) != 2 {
		t.Errorf("bad filters: %d", r.Status)
	}
	r = viewer.Get("/lumira/groups.csv?q=night")
	recs, err := csv.NewReader(strings.NewReader(r.Body)).ReadAll()
	if err != nil || len(recs) != 2 || recs[0][0] != "id" || recs[1][1] != "Night Guard" || recs[1][5] != "sandbox" || recs[1][4] != "Nightfall Studios" {
		t.Errorf("csv: %v %v", recs, err)
	}
	r = viewer.Get("/accounts/" + strconv.FormatInt(f.acc, 10) + "?tab=lumira")
	if r.Status != http.StatusOK || r.Text(`[data-testid="lumira-tab"] [data-testid="group-row"] a.cell-primary`) != "Night Guard" {
		t.Errorf("account tab: %d %q", r.Status, r.Text(`[data-testid="lumira-tab"]`))
	}
	r = viewer.Get("/accounts/" + strconv.FormatInt(f.acc, 10))
	if got := r.Text(`[data-testid="figure-lumira-sandbox"]`); got != "1" {
		t.Errorf("overview card sandbox = %q", got)
	}
}

// A rank changed on Roblox behind Lumira's back is found by "Reconcile
// now" and listed on the Reconciliation tab: who, from, to.
func TestLumiraReconcileNowFindsOutsideChange(t *testing.T) {
	t.Parallel()
	f := newLumiraFixture(t)
	if _, err := f.env.Ranking.Promote(lmBG, lmCLI, accounts.AllAccounts, f.group.ID, lmAlex, "seed"); err != nil {
		t.Fatal(err)
	}
	var gid int64
	if err := f.env.DB.Pool.QueryRow(lmBG, `select id from lumira_groups where public_id = $1`, f.group.ID).Scan(&gid); err != nil {
		t.Fatal(err)
	}
	if _, err := f.env.DB.SetLumiraSandboxMemberRole(lmBG, store.SetLumiraSandboxMemberRoleParams{GroupID: gid, UserID: lmAlex, RoleID: "1050"}); err != nil {
		t.Fatal(err)
	}
	support := f.env.As("support")
	r := support.Get(f.groupPath("reconciliation"))
	if !r.Has(`[data-testid="findings-empty"]`) {
		t.Fatal("a finding before reconciling")
	}
	if r = support.PostForm(f.groupPath("")+"/reconcile", nil); r.Status != http.StatusSeeOther {
		t.Fatalf("reconcile: %d", r.Status)
	}
	r = support.Get(f.groupPath("reconciliation"))
	row := r.Text(`[data-testid="finding-row"]`)
	if !strings.Contains(row, "9000000001") || !strings.Contains(row, "Trainee (5) → Staff (50)") {
		t.Errorf("finding: %q", row)
	}
	r = support.Get(f.groupPath("log") + "&kind=outside_change")
	if r.Doc.Find(`[data-testid="action-row"][data-kind="outside_change"]`).Length() != 1 {
		t.Errorf("the outside change is not in the log: %q", r.Text(`main`))
	}
}

// The log and the group list page by keyset: 50 a page, the next link
// continuing where the page ended.
func TestLumiraLogAndListPages(t *testing.T) {
	t.Parallel()
	f := newLumiraFixture(t)
	for i := 0; i < 55; i++ {
		if _, err := f.env.Ranking.AddPoints(lmBG, lmCLI, accounts.AllAccounts, f.group.ID, lmCasey, 1, "tick "+strconv.Itoa(i)); err != nil {
			t.Fatal(err)
		}
	}
	viewer := f.env.As("viewer")
	r := viewer.Get(f.groupPath("log"))
	seen := map[string]bool{}
	r.Doc.Find(`[data-testid="action-row"]`).Each(func(_ int, s *goquery.Selection) { seen[s.AttrOr("data-id", "")] = true })
	next, ok := r.Doc.Find(`a[rel="next"], [data-testid="pager-next"]`).Attr("href")
	if len(seen) != 50 || !ok {
		t.Fatalf("first log page: %d rows, next %q", len(seen), next)
	}
	r = viewer.Get(next)
	n := 0
	r.Doc.Find(`[data-testid="action-row"]`).Each(func(_ int, s *goquery.Selection) {
		n++
		if seen[s.AttrOr("data-id", "")] {
			t.Errorf("action %s on both pages", s.AttrOr("data-id", ""))
		}
	})
	if n != 5 {
		t.Errorf("second log page: %d rows", n)
	}
	if r = viewer.Get(f.groupPath("log") + "&cursor=garbage"); r.Status != http.StatusOK || !r.Has(`[data-testid="filter-error"]`) {
		t.Errorf("bad log cursor: %d", r.Status)
	}

	for i := 0; i < 50; i++ {
		if _, err := f.env.Ranking.AddGroup(lmBG, lmCLI, accounts.Only(f.acc), ranking.GroupInput{RobloxGroupID: int64(1000 + i)}); err != nil {
			t.Fatal(err)
		}
	}
	r = viewer.Get("/lumira")
	ids := map[string]bool{}
	r.Doc.Find(`[data-testid="group-row"]`).Each(func(_ int, s *goquery.Selection) { ids[s.AttrOr("data-id", "")] = true })
	next, ok = r.Doc.Find(`a[rel="next"], [data-testid="pager-next"]`).Attr("href")
	if len(ids) != 50 || !ok || ids[f.group.ID] {
		t.Fatalf("first list page: %d rows, next %q", len(ids), next)
	}
	r = viewer.Get(next)
	if got := r.Doc.Find(`[data-testid="group-row"]`).AttrOr("data-id", ""); got != f.group.ID || r.Doc.Find(`[data-testid="group-row"]`).Length() != 1 {
		t.Errorf("second list page: %q (%d rows)", got, r.Doc.Find(`[data-testid="group-row"]`).Length())
	}
	if r = viewer.Get("/lumira?cursor=grp_aaaaaaaaaaaaaaaa"); r.Status != http.StatusOK || !r.Has(`[data-testid="filter-error"]`) {
		t.Errorf("bad list cursor: %d", r.Status)
	}
}

// A group with a working key shows it (never the key itself) with its
// scopes; when Roblox stops answering, the member page says so and shows
// what Lumira last read, and a promotion is a form message, not a 500.
func TestLumiraRobloxUnavailable(t *testing.T) {
	t.Parallel()
	rbx := robloxtest.New(t)
	rbx.AddGroup(&robloxtest.Group{ID: 6060, Name: "Real Clan", BotRank: 100, Roles: []robloxtest.Role{
		{ID: "100", Name: "Guest", Rank: 0}, {ID: "101", Name: "Member", Rank: 1}, {ID: "105", Name: "Trainee", Rank: 5},
		{ID: "200", Name: "Bot", Rank: 100}, {ID: "255", Name: "Owner", Rank: 255}}})
	const key = "rbx-key-console-test"
	rbx.AddKey(key, robloxtest.Key{Write: true, ReadAudit: true})
	rbx.AddUser(6060, 77, "real_member", "101")
	env := servertest.New(t, func(c *config.Config) { c.RobloxAPIURL, c.RobloxUsersURL = rbx.URL, rbx.URL })
	a, err := env.Accounts.Create(lmBG, lmCLI, accounts.CreateInput{Name: "Real Co", Email: "ops@real.test"})
	if err != nil {
		t.Fatal(err)
	}
	support := env.As("support")
	support.Get("/lumira")
	r := support.PostForm("/lumira", url.Values{"account": {strconv.FormatInt(a.ID, 10)}, "roblox_group_id": {"6060"}, "roblox_key": {key}, "ceiling": {"100"}})
	if r.Status != http.StatusSeeOther {
		t.Fatalf("add: %d %s", r.Status, r.Text(`[data-testid="add-group-form"]`))
	}
	page := r.Header.Get("Location")
	r = support.Get(page)
	if r.Text(`[data-testid="group-header"] [data-testid="group-status"]`) != "Connected" || !strings.Contains(r.Text(`[data-testid="group-key"]`), "Working") ||
		!strings.Contains(r.Text(`[data-testid="key-scopes"]`), "group:read") || strings.Contains(r.Body, key) {
		t.Errorf("header: %q / %q", r.Text(`[data-testid="group-header"]`), r.Text(`[data-testid="key-scopes"]`))
	}
	member := page + "/members/77"
	if r = support.PostForm(member+"/promote", url.Values{"reason": {"Good work"}}); r.Status != http.StatusSeeOther {
		t.Fatalf("promote: %d %s", r.Status, r.Text(`[data-testid="promote-error"]`))
	}
	if rbx.RoleOf(6060, 77) != "105" {
		t.Fatalf("Roblox role after promote: %s", rbx.RoleOf(6060, 77))
	}
	rbx.Close()
	r = support.Get(member)
	if r.Status != http.StatusOK || !r.Has(`[data-testid="read-error"]`) || !strings.Contains(r.Text(`[data-testid="member-role"]`), "Trainee") {
		t.Fatalf("member page without Roblox: %d %q", r.Status, r.Text(`main`))
	}
	r = support.PostForm(member+"/demote", url.Values{"reason": {"Oops"}})
	if r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Text(`[data-testid="demote-error"]`), "Roblox") {
		t.Errorf("demote without Roblox: %d %q", r.Status, r.Text(`[data-testid="demote-error"]`))
	}
}
