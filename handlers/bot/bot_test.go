package bot_test

import (
	"context"
	"crypto/ed25519"
	"encoding/hex"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"lumdesk/db/store"
	"lumdesk/handlers/server/servertest"
	"lumdesk/internal/accounts"
	"lumdesk/internal/audit"
	"lumdesk/internal/bot"
	"lumdesk/internal/customers"
	"lumdesk/internal/licensing"
	"lumdesk/internal/platform/config"
	"lumdesk/internal/ranking"
)

var bg = context.Background()

// project makes an account with a Luarmor project.
func project(t *testing.T, env *servertest.Env, name string) (accounts.Account, licensing.Project) {
	t.Helper()
	acc := env.CreateAccount(name)
	p, err := env.Licensing.CreateProject(bg, audit.CLI("test"), licensing.ProjectInput{AccountID: acc.ID, Name: name + " Hub",
		ResetCooldown: time.Hour, UsersCanReset: true})
	if err != nil {
		t.Fatal(err)
	}
	return acc, p
}

// link links guild to the project through the sandbox console, as the
// demo manager, with a code made on the project's section; it returns the
// link.
func link(t *testing.T, env *servertest.Env, admin *servertest.Client, p licensing.Project, guild string) bot.Link {
	t.Helper()
	r := admin.HTMX(http.MethodPost, "/discord/links/code", url.Values{"project": {p.ID}})
	if r.Status != 200 {
		t.Fatalf("make link code: %d %s", r.Status, r.Body)
	}
	cmd := r.Text(`[data-testid="link-command"]`)
	code := r.Text(`[data-testid="link-code-value"]`)
	if want := "/luarmor setup project:" + p.ID + " code:" + code; cmd != want || !strings.HasPrefix(code, "lnk_") {
		t.Fatalf("link command %q, want %q", cmd, want)
	}
	if txt := r.Text("body"); !strings.Contains(txt, " UTC.") || strings.Contains(txt, "UTC UTC") {
		t.Errorf("the code's expiry: %q", txt)
	}
	r = admin.HTMX(http.MethodPost, "/discord/sandbox/command", url.Values{"user": {"manager"}, "guild": {guild},
		"command": {"luarmor setup"}, "opt_project": {p.ID}, "opt_code": {code}})
	if r.Status != 200 {
		t.Fatalf("sandbox send: %d %s", r.Status, r.Body)
	}
	if got := r.Text(`[data-testid="message-content"]`); !strings.Contains(got, "now serves the Luarmor project "+p.Name) {
		t.Fatalf("setup answer: %q", got)
	}
	if !r.Has(`[data-testid="ephemeral"]`) || r.Doc.Find(`[data-testid="exchange-action"] span`).First().Text() != "manager" {
		t.Errorf("setup answer should be ephemeral, for manager: %s", r.Body)
	}
	links, err := env.Bot.ListLinks(bg, bot.LinkFilter{Scope: accounts.AllAccounts, ProjectID: p.ID})
	if err != nil || len(links) != 1 || links[0].GuildID != guild {
		t.Fatalf("links after setup: %+v, %v", links, err)
	}
	return links[0]
}

func TestStatusPageForEachMode(t *testing.T) {
	t.Parallel()
	t.Run("off", func(t *testing.T) {
		env := servertest.New(t)
		r := env.As("viewer").Get("/discord")
		if r.Status != 200 {
			t.Fatalf("status %d", r.Status)
		}
		if m := r.Text(`[data-testid="bot-mode"]`); m != "Off" {
			t.Errorf("mode %q", m)
		}
		setup := r.Text(`[data-testid="bot-setup"]`)
		for _, want := range []string{"DISCORD_APP_ID", "DISCORD_PUBLIC_KEY", "DISCORD_BOT_TOKEN", "DISCORD_API_URL", "/api/discord/interactions", "lumdesk discord register-commands"} {
			if !strings.Contains(setup, want) {
				t.Errorf("setup card lacks %q: %q", want, setup)
			}
		}
		if !strings.Contains(r.Text(`[data-testid="discord-links"]`), "No Discord server linked") || !strings.Contains(r.Body, "No interactions yet") {
			t.Errorf("empty states missing")
		}
		// Sidebar entry under Admin.
		if !r.Has(`a.nav-link[data-nav="discord"][href="/discord"]`) {
			t.Errorf("no sidebar entry")
		}
		// The sandbox console explains it is for demo mode only.
		r = env.As("admin").Get("/discord/sandbox")
		if r.Status != 200 || !r.Has(`[data-testid="sandbox-off"]`) || r.Has(`[data-testid="sandbox-form"]`) {
			t.Errorf("sandbox when off: %d", r.Status)
		}
	})
	t.Run("sandbox", func(t *testing.T) {
		env := servertest.New(t, servertest.Demo)
		r := env.As("viewer").Get("/discord")
		if m := r.Text(`[data-testid="bot-mode"]`); !strings.HasPrefix(m, "Sandbox") {
			t.Errorf("mode %q", m)
		}
		if !r.Has(`[data-testid="sandbox-note"]`) || r.Has(`[data-testid="bot-setup"]`) || !r.Has(`[data-testid="open-sandbox"]`) {
			t.Errorf("sandbox status card: %s", r.Text(`[data-testid="bot-status"]`))
		}
		if r.Text(`[data-testid="bot-public-key"]`) != "Set" {
			t.Errorf("public key %q", r.Text(`[data-testid="bot-public-key"]`))
		}
		// A viewer sees the sandbox console but cannot send.
		r = env.As("viewer").Get("/discord/sandbox")
		if !r.Has(`[data-testid="sandbox-form"]`) || r.Has(`[data-testid="sandbox-send"]`) {
			t.Errorf("viewer's sandbox console")
		}
		if st := env.As("viewer").PostForm("/discord/sandbox/command", url.Values{"user": {"manager"}, "guild": {bot.DemoGuildID}, "command": {"luarmor panel"}}).Status; st != 403 {
			t.Errorf("viewer send: %d", st)
		}
	})
	t.Run("discord", func(t *testing.T) {
		pub, _, _ := ed25519.GenerateKey(nil)
		env := servertest.New(t, func(c *config.Config) {
			c.DiscordAppID, c.DiscordPublicKey, c.DiscordBotToken = "123456789012345678", hex.EncodeToString(pub), "bot-token"
		})
		r := env.As("viewer").Get("/discord")
		if m := r.Text(`[data-testid="bot-mode"]`); m != "Discord" {
			t.Errorf("mode %q", m)
		}
		if r.Text(`[data-testid="bot-app-id"]`) != "123456789012345678" || r.Has(`[data-testid="bot-setup"]`) || r.Has(`[data-testid="sandbox-note"]`) {
			t.Errorf("discord status card: %s", r.Text(`[data-testid="bot-status"]`))
		}
		if strings.Contains(r.Body, "bot-token") {
			t.Error("the bot token is rendered")
		}
	})
}

func TestSandboxRoundTripAndLog(t *testing.T) {
	t.Parallel()
	env := servertest.New(t, servertest.Demo)
	admin := env.As("admin")
	_, p := project(t, env, "Round Trip")
	l := link(t, env, admin, p, bot.DemoGuildID)

	// The project's Discord section lists the link; the status page too.
	r := admin.Get("/discord/links?project=" + p.ID)
	if r.Status != 200 || r.Text(`[data-testid="discord-link"] [data-testid="guild-id"]`) != bot.DemoGuildID {
		t.Fatalf("section: %d %q", r.Status, r.Text(`[data-testid="discord-links"]`))
	}
	if !r.Has(`[data-testid="make-link-code"]`) || !r.Has(`[data-testid="unlink"]`) {
		t.Error("admin's section lacks its actions")
	}
	r = env.As("viewer").Get("/discord/links?project=" + p.ID)
	if r.Has(`[data-testid="make-link-code"]`) || r.Has(`[data-testid="unlink"]`) {
		t.Error("viewer's section offers changes")
	}
	r = admin.Get("/discord")
	if r.Text(`[data-testid="discord-link"][data-link="`+l.ID+`"] [data-testid="link-target"]`) != p.Name {
		t.Errorf("status page links: %q", r.Text(`[data-testid="discord-links"]`))
	}
	if r.Text(`[data-testid="bot-total"]`) != "1" || r.Text(`[data-testid="interaction"] [data-testid="interaction-name"]`) != "/luarmor setup" {
		t.Errorf("status: total %q, log %q", r.Text(`[data-testid="bot-total"]`), r.Text(`[data-testid="interactions"]`))
	}

	// The same code again is refused, and the log's filter finds the refusal.
	r = admin.HTMX(http.MethodPost, "/discord/sandbox/command", url.Values{"user": {"alice"}, "guild": {bot.DemoGuildID},
		"command": {"luarmor setup"}, "opt_project": {p.ID}, "opt_code": {"lnk_nope"}})
	if got := r.Text(`[data-testid="message-content"]`); !strings.Contains(got, "Manage Server") {
		t.Errorf("alice's setup: %q", got)
	}
	r = admin.Get("/discord?outcome=refused")
	if n := r.Doc.Find(`[data-testid="interaction"]`).Length(); n != 1 || r.Text(`[data-testid="interaction"]`) == "" {
		t.Errorf("refused interactions: %d", n)
	}
	if r.Text(`[data-testid="filter-chip"]`) == "" {
		t.Error("no filter chip")
	}
	if r := admin.Get("/discord?outcome=bogus"); r.Status != 200 || !strings.Contains(r.Body, "Unknown outcome filter") {
		t.Errorf("bogus filter: %d", r.Status)
	}

	// The sandbox console: the form lists the demo members and commands;
	// a command's options come as fields.
	r = admin.Get("/discord/sandbox")
	if !r.Has(`#sandbox-user option[value="alice"]`) || !r.Has(`#sandbox-cmd option[value="luarmor panel"]`) || !r.Has(`#sandbox-guild option[value="`+bot.DemoGuildID+`"]`) {
		t.Errorf("sandbox form: %s", r.Text(`[data-testid="sandbox-form"]`))
	}
	r = admin.HTMX(http.MethodGet, "/discord/sandbox/options?command="+url.QueryEscape("lumira setup"), nil)
	if !r.Has(`input[name="opt_group"]`) || !r.Has(`input[name="opt_code"]`) || !r.Has(`input[name="opt_rank_role"]`) {
		t.Errorf("lumira setup options: %s", r.Body)
	}
}

func TestUnlinkNeedsPermissionAndReason(t *testing.T) {
	t.Parallel()
	env := servertest.New(t, servertest.Demo)
	admin := env.As("admin")
	_, p := project(t, env, "Unlinkable")
	l := link(t, env, admin, p, bot.DemoGuildID)
	path := "/discord/links/" + l.ID + "/unlink"

	for _, role := range []string{"viewer", "finance"} {
		if st := env.As(role).PostForm(path, url.Values{"reason": {"no"}}).Status; st != 403 {
			t.Errorf("%s unlink: %d", role, st)
		}
	}
	r := admin.PostForm(path, url.Values{"project": {p.ID}})
	if r.Status != 422 || !strings.Contains(r.Text(`[data-testid="discord-links-error"]`), "Give a reason") {
		t.Errorf("unlink without reason: %d %q", r.Status, r.Text(`[data-testid="discord-links-error"]`))
	}
	if n := env.AuditCount("bot_link.delete", l.ID); n != 0 {
		t.Fatalf("unlinked without a reason")
	}
	r = env.As("support").HTMX(http.MethodPost, path, url.Values{"project": {p.ID}, "reason": {"Customer asked"}})
	if r.Status != 200 || !r.Has(`[data-testid="discord-links-notice"]`) || r.Has(`[data-testid="discord-link"]`) {
		t.Errorf("unlink: %d %s", r.Status, r.Body)
	}
	if n := env.AuditCount("bot_link.delete", l.ID); n != 1 {
		t.Errorf("audit rows: %d", n)
	}
	if st := admin.PostForm(path, url.Values{"reason": {"again"}}).Status; st != 404 {
		t.Errorf("unlink twice: %d", st)
	}
}

func TestPortalSectionIsScopedToTheAccount(t *testing.T) {
	t.Parallel()
	env := servertest.New(t, servertest.Demo)
	admin := env.As("admin")
	accA, pA := project(t, env, "Alpha")
	accB, pB := project(t, env, "Beta")
	lA := link(t, env, admin, pA, bot.DemoGuildID)

	owner := env.AsCustomer(accA.ID, customers.RoleOwner)
	r := owner.Get("/portal/discord/links?project=" + pA.ID)
	if r.Status != 200 || r.Text(`[data-testid="discord-link"] [data-testid="guild-id"]`) != bot.DemoGuildID {
		t.Fatalf("owner's section: %d %q", r.Status, r.Text(`[data-testid="discord-links"]`))
	}
	if !r.Has(`[data-testid="make-link-code"]`) || !r.Has(`[data-testid="unlink"]`) {
		t.Error("owner's section lacks its actions")
	}
	// The project page loads the section.
	if r := owner.Get("/portal/luarmor/projects/" + pA.ID); !r.Has(`[data-testid="discord-links-loader"][hx-get="/portal/discord/links?project=` + pA.ID + `"]`) {
		t.Errorf("project page has no Discord section loader")
	}
	ro := env.AsCustomer(accA.ID, customers.RoleReadOnly)
	r = ro.Get("/portal/discord/links?project=" + pA.ID)
	if r.Status != 200 || !r.Has(`[data-testid="discord-link"]`) || r.Has(`[data-testid="unlink"]`) || r.Has(`[data-testid="make-link-code"]`) {
		t.Errorf("read-only section: %d", r.Status)
	}
	if st := ro.PostForm("/portal/discord/links/"+lA.ID+"/unlink", url.Values{}).Status; st != 403 {
		t.Errorf("read-only unlink: %d", st)
	}

	// Another account: A's project, A's link and a code for A's project are not found.
	other := env.AsCustomer(accB.ID, customers.RoleOwner)
	if st := other.Get("/portal/discord/links?project=" + pA.ID).Status; st != 404 {
		t.Errorf("other account's project section: %d", st)
	}
	if st := other.PostForm("/portal/discord/links/"+lA.ID+"/unlink", url.Values{}).Status; st != 404 {
		t.Errorf("other account's unlink: %d", st)
	}
	if st := other.PostForm("/portal/discord/links/code", url.Values{"project": {pA.ID}}).Status; st != 404 {
		t.Errorf("other account's link code: %d", st)
	}
	if r := other.Get("/portal/discord/links"); r.Has(`[data-testid="discord-link"]`) {
		t.Errorf("other account sees A's links")
	} else if sub := r.Text(`.page-subtitle`); strings.Contains(sub, "Luarmor project") {
		t.Errorf("the page of every link is titled as one project's: %q", sub)
	}
	// B makes a code for its own project, shown once with the command.
	r = other.HTMX(http.MethodPost, "/portal/discord/links/code", url.Values{"project": {pB.ID}})
	if r.Status != 200 || !strings.HasPrefix(r.Text(`[data-testid="link-command"]`), "/luarmor setup project:"+pB.ID+" code:lnk_") {
		t.Errorf("B's link code: %d %q", r.Status, r.Text(`[data-testid="link-code"]`))
	}
	// The owner unlinks (no reason asked in the portal).
	r = owner.HTMX(http.MethodPost, "/portal/discord/links/"+lA.ID+"/unlink", url.Values{"project": {pA.ID}})
	if r.Status != 200 || r.Has(`[data-testid="discord-link"]`) || env.AuditCount("bot_link.delete", lA.ID) != 1 {
		t.Errorf("owner unlink: %d", r.Status)
	}
}

// The panel's buttons press as the chosen member; Redeem key opens a modal
// rendered as a form, and its submission is a ModalSubmit with the field.
func TestSandboxButtonsAndModal(t *testing.T) {
	t.Parallel()
	env := servertest.New(t, servertest.Demo)
	admin := env.As("admin")
	_, p := project(t, env, "Panel")
	link(t, env, admin, p, bot.DemoGuildID)
	days := 7
	k, err := env.Licensing.CreateKey(bg, audit.CLI("test"), p.ID, licensing.KeyInput{KeyDays: &days})
	if err != nil {
		t.Fatal(err)
	}

	r := admin.HTMX(http.MethodPost, "/discord/sandbox/command", url.Values{"user": {"manager"}, "guild": {bot.DemoGuildID}, "command": {"luarmor panel"}})
	var ids []string
	r.Doc.Find(`[data-testid="dc-button"]`).Each(func(_ int, s *goquery.Selection) { ids = append(ids, s.AttrOr("data-custom-id", "")) })
	if strings.Join(ids, " ") != "luarmor:redeem luarmor:reset luarmor:script luarmor:info" || r.Has(`[data-testid="ephemeral"]`) {
		t.Fatalf("panel buttons %v (the panel is public)", ids)
	}
	vals := r.Doc.Find(`[data-custom-id="luarmor:redeem"]`).AttrOr("hx-vals", "")
	if !strings.Contains(vals, `"custom_id":"luarmor:redeem"`) {
		t.Errorf("button vals %s", vals)
	}

	r = admin.HTMX(http.MethodPost, "/discord/sandbox/component", url.Values{"user": {"alice"}, "guild": {bot.DemoGuildID}, "custom_id": {"luarmor:redeem"}, "label": {"Redeem key"}})
	form := r.Doc.Find(`[data-testid="dc-modal"]`)
	if form.Length() != 1 || form.Find(`input[name="modal"]`).AttrOr("value", "") != "luarmor:redeem-modal" || form.Find(`input[name="user"]`).AttrOr("value", "") != "alice" {
		t.Fatalf("redeem modal: %s", r.Body)
	}
	field, ok := form.Find(`input:not([type=hidden])`).Attr("name")
	if !ok || !strings.HasPrefix(field, "field_") {
		t.Fatalf("modal field %q", field)
	}
	el := form.AttrOr("id", "")
	r = admin.HTMX(http.MethodPost, "/discord/sandbox/modal", url.Values{"user": {"alice"}, "guild": {bot.DemoGuildID}, "modal": {"luarmor:redeem-modal"},
		"element": {el}, field: {k.UserKey}})
	if !r.Has(`[data-testid="bot-message"][data-ephemeral]`) || !strings.Contains(r.Text(`[data-testid="bot-message"]`), "Expires") {
		t.Errorf("redeem answer: %s", r.Text(`[data-testid="bot-message"]`))
	}
	if r.Doc.Find(`#`+el+`[hx-swap-oob]`).Length() != 1 {
		t.Errorf("the submitted modal is not closed")
	}
	keys, err := env.Licensing.ListKeys(bg, licensing.KeyFilter{UserKey: k.UserKey, Limit: 1})
	if err != nil || keys.Keys[0].DiscordID != "100000000000000002" {
		t.Errorf("after the redeem: %+v %v", keys.Keys, err)
	}
	// The panel's use shows on the project's section.
	if r := admin.Get("/discord/links?project=" + p.ID); r.Text(`[data-testid="panel-last-used"]`) == "Never" {
		t.Errorf("panel last used: %q", r.Text(`[data-testid="panel-last-used"]`))
	}

	// A follow-up that never comes: the poller asks again, then gives up.
	r = admin.Get("/discord/sandbox/followup?token=sbx_none&user=alice&try=1")
	if !r.Has(`[data-testid="thinking"][hx-get*="try=2"]`) {
		t.Errorf("poller: %s", r.Body)
	}
	if r := admin.Get("/discord/sandbox/followup?token=sbx_none&user=alice&try=30"); !r.Has(`[data-testid="thinking-gave-up"]`) {
		t.Errorf("poller does not give up: %s", r.Body)
	}
	// One that came (as the sandbox Discord keeps a deferred answer's edit).
	if err := env.DB.InsertBotSandboxMessage(bg, store.InsertBotSandboxMessageParams{InteractionToken: "sbx_done",
		Body: []byte(`{"content":"Done: **3** keys","flags":64}`), CreatedAt: time.Now()}); err != nil {
		t.Fatal(err)
	}
	r = admin.Get("/discord/sandbox/followup?token=sbx_done&user=alice&try=3")
	if r.Text(`[data-testid="bot-message"] [data-testid="message-content"]`) != "Done: 3 keys" || !r.Has(`[data-testid="ephemeral"]`) || r.Has(`[data-testid="thinking"]`) {
		t.Errorf("follow-up: %s", r.Body)
	}
}

// A Lumira group's link shows its rank role below 1280 px too, where the
// Rank role column is hidden.
func TestGroupLinkShowsItsRankRole(t *testing.T) {
	t.Parallel()
	env := servertest.New(t, servertest.Demo)
	admin := env.As("admin")
	acc := env.CreateAccount("Rank Role Co")
	g, err := env.Ranking.AddGroup(bg, audit.CLI("test"), accounts.Only(acc.ID), ranking.GroupInput{RobloxGroupID: 4242, Name: "Role Clan"})
	if err != nil {
		t.Fatal(err)
	}
	admin.Get("/discord/links?group=" + g.ID)
	r := admin.HTMX(http.MethodPost, "/discord/links/code", url.Values{"group": {g.ID}})
	code := r.Text(`[data-testid="link-code-value"]`)
	if r.Status != 200 || code == "" {
		t.Fatalf("link code: %d %s", r.Status, r.Body)
	}
	const role = "555000000000000009"
	r = admin.HTMX(http.MethodPost, "/discord/sandbox/command", url.Values{"user": {"manager"}, "guild": {bot.DemoGuildID},
		"command": {"lumira setup"}, "opt_group": {"4242"}, "opt_code": {code}, "opt_rank_role": {role}})
	if !strings.Contains(r.Text(`[data-testid="message-content"]`), "now serves") {
		t.Fatalf("setup: %d %q", r.Status, r.Text("body"))
	}
	r = admin.Get("/discord/links?group=" + g.ID)
	if got := r.Text(`[data-testid="discord-link"] [data-testid="rank-role-sub"]`); !strings.Contains(got, role) {
		t.Errorf("rank role under the server: %q", got)
	}
}
