package bot_test

import (
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"lumdesk/internal/accounts"
	"lumdesk/internal/bot"
	"lumdesk/internal/bot/discord"
	"lumdesk/internal/licensing"
)

// carol is a member with no key anywhere.
var carol = func() *discord.Member { return user("200000000000000003", "carol", permNone) }

// newKey makes a key in the fixture's project.
func (f *fixture) newKey(in licensing.KeyInput) licensing.Key {
	f.t.Helper()
	k, err := f.lic.CreateKey(bctx, bActor, f.project.ID, in)
	if err != nil {
		f.t.Fatal(err)
	}
	return k
}

// getKey reloads a key of a project.
func (f *fixture) getKey(projectID, userKey string) licensing.Key {
	f.t.Helper()
	k, err := f.lic.GetKey(bctx, projectID, userKey)
	if err != nil {
		f.t.Fatal(err)
	}
	return k
}

// redeem submits the redeem modal with a key.
func (f *fixture) redeem(g string, m *discord.Member, key string) discord.Response {
	return f.do(f.modal(g, m, bot.PanelRedeemModal, map[string]string{bot.RedeemKeyField: key}))
}

// execute runs the fixture's script with a key from a HWID, as a loader would.
func (f *fixture) execute(userKey, hwid string) {
	f.t.Helper()
	r, err := f.lic.Check(bctx, licensing.CheckInput{ProjectID: f.project.ID, ScriptID: f.script.ID, ScriptKey: userKey, HWID: hwid})
	if err != nil || !r.Allowed {
		f.t.Fatalf("execute: %+v %v", r, err)
	}
}

// auditActor is who the newest audit row of an action on a key names.
func (f *fixture) auditActor(action string, keyID int64) (kind, id string) {
	f.t.Helper()
	if err := f.db.Pool.QueryRow(bctx, `SELECT actor_kind, actor_id FROM audit_events WHERE action = $1 AND entity_id = $2
		ORDER BY id DESC LIMIT 1`, action, fmt.Sprint(keyID)).Scan(&kind, &id); err != nil {
		f.t.Fatalf("audit %s of key %d: %v", action, keyID, err)
	}
	return kind, id
}

// panelLastUsed is the guild link's panel_last_used_at.
func (f *fixture) panelLastUsed(g string) *time.Time {
	f.t.Helper()
	var at *time.Time
	if err := f.db.Pool.QueryRow(bctx, "SELECT panel_last_used_at FROM bot_links WHERE guild_id = $1 AND area = 'licensing'", g).Scan(&at); err != nil {
		f.t.Fatal(err)
	}
	return at
}

// noKeysLogged fails when the interactions log holds any of the keys.
func (f *fixture) noKeysLogged(keys ...licensing.Key) {
	f.t.Helper()
	rows, err := f.db.Pool.Query(bctx, "SELECT name || ' ' || message FROM bot_interactions")
	if err != nil {
		f.t.Fatal(err)
	}
	defer rows.Close()
	n := 0
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			f.t.Fatal(err)
		}
		n++
		for _, k := range keys {
			if strings.Contains(s, k.UserKey) {
				f.t.Fatalf("the interactions log holds a key: %q", s)
			}
		}
	}
	if n == 0 {
		f.t.Fatal("nothing logged")
	}
}

// wantText fails unless the response is ephemeral and says every part.
func wantText(t *testing.T, what string, r discord.Response, parts ...string) string {
	t.Helper()
	got := text(r)
	if r.Data == nil || r.Data.Flags&discord.FlagEphemeral == 0 {
		t.Fatalf("%s: not ephemeral: %+v", what, r)
	}
	for _, p := range parts {
		if !strings.Contains(got, p) {
			t.Fatalf("%s: %q does not say %q", what, got, p)
		}
	}
	return got
}

// unixText is how the bot writes a time: a Discord timestamp and UTC text.
func unixText(t time.Time) string {
	return fmt.Sprintf("<t:%d:R> (%s)", t.Unix(), t.UTC().Format("2006-01-02 15:04 UTC"))
}

func TestLuarmorPanel(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	// A guild without a link is told how to set it up.
	r := f.do(f.command(guild, manager(), "luarmor panel"))
	wantText(t, "unlinked panel", r, "not linked to a Luarmor project", "/luarmor setup")
	for _, id := range []string{bot.PanelRedeem, bot.PanelReset, bot.PanelScript, bot.PanelInfo} {
		wantText(t, "unlinked "+id, f.do(f.button(guild, alice(), id)), "not linked to a Luarmor project")
	}
	wantText(t, "unlinked modal", f.redeem(guild, alice(), "whatever"), "not linked to a Luarmor project")

	f.linkProject(guild)
	wantText(t, "panel without Manage Server", f.do(f.command(guild, alice(), "luarmor panel")), "Manage Server")

	r = f.do(f.command(guild, manager(), "luarmor panel"))
	if r.Type != discord.ChannelMessageWithSource || r.Data == nil || r.Data.Flags&discord.FlagEphemeral != 0 {
		t.Fatalf("panel is not a public message: %+v", r)
	}
	if len(r.Data.Embeds) != 1 || r.Data.Embeds[0].Title != "Nightfall Hub" {
		t.Fatalf("panel embed: %+v", r.Data.Embeds)
	}
	if len(r.Data.Components) != 1 || r.Data.Components[0].Type != discord.ComponentActionRow {
		t.Fatalf("panel components: %+v", r.Data.Components)
	}
	var got []string
	for _, b := range r.Data.Components[0].Components {
		if b.Type != discord.ComponentButton {
			t.Fatalf("not a button: %+v", b)
		}
		got = append(got, b.Label+"="+b.CustomID)
	}
	want := "Redeem key=luarmor:redeem Reset HWID=luarmor:reset Get script=luarmor:script Key info=luarmor:info"
	if strings.Join(got, " ") != want {
		t.Fatalf("buttons %q", got)
	}
	if f.panelLastUsed(guild) != nil {
		t.Fatal("posting the panel counted as a use")
	}

	// Redeem key opens the modal, and counts as a use of the panel.
	before := time.Now().Add(-time.Second)
	r = f.do(f.button(guild, alice(), bot.PanelRedeem))
	if r.Type != discord.ModalResponse || r.Data.CustomID != bot.PanelRedeemModal || len(r.Data.Components) != 1 {
		t.Fatalf("redeem: %+v", r)
	}
	in := r.Data.Components[0].Components
	if len(in) != 1 || in[0].Type != discord.ComponentTextInput || in[0].CustomID != bot.RedeemKeyField || !in[0].Required {
		t.Fatalf("redeem modal input: %+v", in)
	}
	used := f.panelLastUsed(guild)
	if used == nil || used.Before(before) {
		t.Fatalf("panel_last_used_at %v", used)
	}

	// Every other button touches it too, even when it refuses.
	for _, id := range []string{bot.PanelReset, bot.PanelScript, bot.PanelInfo} {
		if _, err := f.db.Pool.Exec(bctx, "UPDATE bot_links SET panel_last_used_at = NULL"); err != nil {
			t.Fatal(err)
		}
		wantText(t, id+" without key", f.do(f.button(guild, carol(), id)), "no key linked in **Nightfall Hub**", "Press **Redeem key** first")
		if f.panelLastUsed(guild) == nil {
			t.Fatalf("%s did not touch the panel", id)
		}
	}
	if _, err := f.db.Pool.Exec(bctx, "UPDATE bot_links SET panel_last_used_at = NULL"); err != nil {
		t.Fatal(err)
	}
	f.redeem(guild, carol(), "nope")
	if f.panelLastUsed(guild) == nil {
		t.Fatal("the redeem modal did not touch the panel")
	}
}

func TestRedeemKey(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.linkProject(guild)
	days := 30
	k := f.newKey(licensing.KeyInput{KeyDays: &days})
	if k.AuthExpire != nil || k.ActivatedAt != nil {
		t.Fatalf("new key already counts: %+v", k)
	}

	// Pasted with the loader line around it: the key is found.
	before := time.Now().Add(-time.Second)
	r := f.redeem(guild, alice(), ` script_key = "`+k.UserKey+`"; `)
	after := time.Now().Add(time.Second)
	got := f.getKey(f.project.ID, k.UserKey)
	if got.DiscordID != alice().User.ID || got.ActivatedAt == nil || got.ActivatedAt.Before(before) || got.ActivatedAt.After(after) {
		t.Fatalf("redeemed key: %+v", got)
	}
	// key_days start at the redeem.
	if got.AuthExpire == nil || !got.AuthExpire.Equal(got.ActivatedAt.Add(30*24*time.Hour)) {
		t.Fatalf("expiry %v, activated %v", got.AuthExpire, got.ActivatedAt)
	}
	wantText(t, "redeem", r, "Key redeemed", "Expires: "+unixText(*got.AuthExpire), "…"+k.UserKey[len(k.UserKey)-4:])
	if strings.Contains(text(r), k.UserKey) {
		t.Fatalf("the answer repeats the whole key: %q", text(r))
	}
	if kind, id := f.auditActor("license_key.link_discord", k.ID); kind != "discord" || id != alice().User.ID {
		t.Fatalf("audited as %s %s", kind, id)
	}

	// Redeeming it again is fine for its holder; another user is refused.
	wantText(t, "again", f.redeem(guild, alice(), k.UserKey), "Key redeemed")
	wantText(t, "bob", f.redeem(guild, bob(), k.UserKey), "already linked to another Discord account")
	if f.getKey(f.project.ID, k.UserKey).DiscordID != alice().User.ID {
		t.Fatal("bob took alice's key")
	}

	// A lifetime key never expires.
	life := f.newKey(licensing.KeyInput{})
	wantText(t, "lifetime", f.redeem(guild, bob(), life.UserKey), "Key redeemed", "Expires: Never")

	// Unknown keys, and keys of another project (another account's), are not found.
	wantText(t, "unknown", f.redeem(guild, bob(), "0123456789abcdef0123456789abcdef"), "no such key in this project")
	// The project's name is text in Discord's markdown, not markup or a mention.
	p := f.project
	if _, err := f.lic.UpdateProject(bctx, bActor, p.ID, licensing.ProjectInput{Name: "**Bold** Hub @everyone", ResetCooldown: p.ResetCooldown,
		UsersCanReset: p.UsersCanReset, FFADefault: p.FFADefault, Reason: "test"}); err != nil {
		t.Fatal(err)
	}
	wantText(t, "a name with markdown", f.redeem(guild, bob(), "0123456789abcdef0123456789abcdef"), "(**\\*\\*Bold\\*\\* Hub @\u200beveryone**)")
	if _, err := f.lic.UpdateProject(bctx, bActor, p.ID, licensing.ProjectInput{Name: p.Name, ResetCooldown: p.ResetCooldown,
		UsersCanReset: p.UsersCanReset, FFADefault: p.FFADefault, Reason: "test"}); err != nil {
		t.Fatal(err)
	}
	other, err := f.lic.CreateKey(bctx, bActor, f.otherProject.ID, licensing.KeyInput{})
	if err != nil {
		t.Fatal(err)
	}
	wantText(t, "other project's key", f.redeem(guild, bob(), other.UserKey), "no such key in this project")
	if f.getKey(f.otherProject.ID, other.UserKey).DiscordID != "" {
		t.Fatal("another project's key was linked")
	}
	wantText(t, "empty", f.redeem(guild, bob(), "  "), "Paste your key")

	// A blacklisted key is refused with the ban reason, and stays unclaimed.
	banned := f.newKey(licensing.KeyInput{KeyDays: &days})
	if _, err := f.lic.Blacklist(bctx, bActor, f.project.ID, banned.UserKey, licensing.BlacklistInput{BanReason: "chargeback on order 88"}); err != nil {
		t.Fatal(err)
	}
	wantText(t, "banned", f.redeem(guild, carol(), banned.UserKey), "blacklisted", "chargeback on order 88")
	if g := f.getKey(f.project.ID, banned.UserKey); g.DiscordID != "" || g.ActivatedAt != nil {
		t.Fatalf("banned key claimed: %+v", g)
	}
	f.noKeysLogged(k, life, other, banned)
}

func TestRedeemRaceHasOneWinner(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.linkProject(guild)
	for round := range 4 {
		k := f.newKey(licensing.KeyInput{})
		members := []*discord.Member{alice(), bob()}
		answers := make([]string, len(members))
		start := make(chan struct{})
		var wg sync.WaitGroup
		for i, m := range members {
			in := f.modal(guild, m, bot.PanelRedeemModal, map[string]string{bot.RedeemKeyField: k.UserKey})
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				answers[i] = text(f.do(in))
			}()
		}
		close(start)
		wg.Wait()
		winner := -1
		for i, a := range answers {
			switch {
			case strings.Contains(a, "Key redeemed") && winner == -1:
				winner = i
			case strings.Contains(a, "Key redeemed"):
				t.Fatalf("round %d: both redeemed: %q", round, answers)
			case !strings.Contains(a, "already linked to another Discord account"):
				t.Fatalf("round %d: %q", round, a)
			}
		}
		if winner == -1 {
			t.Fatalf("round %d: nobody won: %q", round, answers)
		}
		if got := f.getKey(f.project.ID, k.UserKey).DiscordID; got != members[winner].User.ID {
			t.Fatalf("round %d: key linked to %s, winner %s", round, got, members[winner].User.ID)
		}
	}
}

func TestResetHWID(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.linkProject(guild)
	wantText(t, "no key", f.do(f.button(guild, carol(), bot.PanelReset)), "Press **Redeem key** first")

	k := f.newKey(licensing.KeyInput{})
	wantText(t, "redeem", f.redeem(guild, alice(), k.UserKey), "Key redeemed")
	wantText(t, "nothing to reset", f.do(f.button(guild, alice(), bot.PanelReset)), "no HWID linked", "nothing to reset")

	f.execute(k.UserKey, "HWID-ALICE-PC-0001")
	r := f.do(f.button(guild, alice(), bot.PanelReset))
	got := f.getKey(f.project.ID, k.UserKey)
	if got.Identifier != "" || got.TotalResets != 1 || got.LastResetAt == nil {
		t.Fatalf("after reset: %+v", got)
	}
	next := got.LastResetAt.Add(time.Hour)
	wantText(t, "reset", r, "HWID reset", "Next reset possible: "+unixText(next))
	if strings.Contains(text(r), "HWID-ALICE-PC-0001") {
		t.Fatalf("the answer shows the HWID: %q", text(r))
	}
	if kind, id := f.auditActor("license_key.reset_hwid", k.ID); kind != "discord" || id != alice().User.ID {
		t.Fatalf("reset audited as %s %s", kind, id)
	}

	// Within the project's cooldown: refused, saying when.
	f.execute(k.UserKey, "HWID-ALICE-LAPTOP")
	wantText(t, "cooldown", f.do(f.button(guild, alice(), bot.PanelReset)), "reset it again "+unixText(next))
	if f.getKey(f.project.ID, k.UserKey).Identifier != "HWID-ALICE-LAPTOP" {
		t.Fatal("a reset within the cooldown went through")
	}

	// Another user's key is not theirs to reset: bob has none.
	wantText(t, "bob", f.do(f.button(guild, bob(), bot.PanelReset)), "Press **Redeem key** first")

	// A blacklisted key: the ban reason.
	b := f.newKey(licensing.KeyInput{DiscordID: bob().User.ID})
	f.execute(b.UserKey, "HWID-BOB")
	if _, err := f.lic.Blacklist(bctx, bActor, f.project.ID, b.UserKey, licensing.BlacklistInput{BanReason: "sharing the key"}); err != nil {
		t.Fatal(err)
	}
	wantText(t, "banned", f.do(f.button(guild, bob(), bot.PanelReset)), "blacklisted", "sharing the key")
	if f.getKey(f.project.ID, b.UserKey).Identifier != "HWID-BOB" {
		t.Fatal("a banned key was reset")
	}

	// With several keys, the newest active one is reset, and the answer says which.
	k2 := f.newKey(licensing.KeyInput{DiscordID: alice().User.ID})
	f.execute(k2.UserKey, "HWID-ALICE-NEW")
	wantText(t, "several", f.do(f.button(guild, alice(), bot.PanelReset)), "HWID reset", "You have 2 keys",
		"…"+k2.UserKey[len(k2.UserKey)-4:])
	if f.getKey(f.project.ID, k2.UserKey).Identifier != "" || f.getKey(f.project.ID, k.UserKey).Identifier != "HWID-ALICE-LAPTOP" {
		t.Fatal("the wrong key was reset")
	}

	// A project whose users may not reset refuses, whatever the cooldown.
	if _, err := f.lic.UpdateProject(bctx, bActor, f.project.ID, licensing.ProjectInput{Name: f.project.Name,
		ResetCooldown: time.Hour}); err != nil {
		t.Fatal(err)
	}
	k3 := f.newKey(licensing.KeyInput{DiscordID: carol().User.ID})
	f.execute(k3.UserKey, "HWID-CAROL")
	wantText(t, "users may not reset", f.do(f.button(guild, carol(), bot.PanelReset)), "does not let users reset")
	if f.getKey(f.project.ID, k3.UserKey).Identifier != "HWID-CAROL" {
		t.Fatal("reset although users may not")
	}
	f.noKeysLogged(k, k2, k3, b)
}

func TestGetScript(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.linkProject(guild)
	wantText(t, "no key", f.do(f.button(guild, alice(), bot.PanelScript)), "Press **Redeem key** first")
	k := f.newKey(licensing.KeyInput{DiscordID: alice().User.ID})

	// Before any upload the script has no loader.
	wantText(t, "no upload", f.do(f.button(guild, alice(), bot.PanelScript)), "**Main**: no loader uploaded yet")

	src := "-- Nightfall loader\nloadstring(game:HttpGet(\"https://cdn.nightfall.test/hub.lua\"))()\n"
	if _, err := f.lic.UpdateScript(bctx, bActor, f.project.ID, f.script.ID, licensing.ScriptUpdate{Source: &src}); err != nil {
		t.Fatal(err)
	}
	want := "```lua\nscript_key = \"" + k.UserKey + "\";\n" + strings.TrimRight(src, "\n") + "\n```"
	got := wantText(t, "script", f.do(f.button(guild, alice(), bot.PanelScript)), want)
	if strings.Contains(got, "cut to fit") {
		t.Fatalf("a short script was cut: %q", got)
	}

	// Long sources are cut to fit Discord's 2000 characters, the key line kept.
	var long strings.Builder
	for i := 0; long.Len() < 6000; i++ {
		fmt.Fprintf(&long, "print(\"line %d of a very long loader that does not fit\")\n", i)
	}
	big := long.String()
	if _, err := f.lic.UpdateScript(bctx, bActor, f.project.ID, f.script.ID, licensing.ScriptUpdate{Source: &big}); err != nil {
		t.Fatal(err)
	}
	second, err := f.lic.CreateScript(bctx, bActor, f.project.ID, licensing.ScriptInput{Name: "Extras"})
	if err != nil {
		t.Fatal(err)
	}
	fenced := "print(1)\n```\nprint(2)"
	if _, err := f.lic.UpdateScript(bctx, bActor, f.project.ID, second.ID, licensing.ScriptUpdate{Source: &fenced}); err != nil {
		t.Fatal(err)
	}
	r := f.do(f.button(guild, alice(), bot.PanelScript))
	got = wantText(t, "long", r, "**Main**\n```lua\nscript_key = \""+k.UserKey+"\";\nprint(\"line 0 of", "cut to fit",
		"**Extras**\n```lua\nscript_key = \""+k.UserKey+"\";\nprint(1)")
	if n := utf8.RuneCountInString(r.Data.Content); n > discord.MaxContent || n < discord.MaxContent-200 {
		t.Fatalf("message of %d characters", n)
	}
	if strings.Count(got, "```") != 4 || !strings.HasSuffix(got, "```") {
		t.Fatalf("code blocks are not closed: %q", got)
	}

	// A blacklisted key gets the ban reason, not the loader.
	if _, err := f.lic.Blacklist(bctx, bActor, f.project.ID, k.UserKey, licensing.BlacklistInput{BanReason: "refund abuse"}); err != nil {
		t.Fatal(err)
	}
	got = wantText(t, "banned", f.do(f.button(guild, alice(), bot.PanelScript)), "blacklisted", "refund abuse")
	if strings.Contains(got, k.UserKey) {
		t.Fatalf("a banned key got its loader: %q", got)
	}

	// A project without scripts says so.
	code, err := f.bot.NewLinkCode(bctx, bActor, accounts.Only(f.other), bot.AreaLicensing, f.otherProject.ID)
	if err != nil {
		t.Fatal(err)
	}
	wantText(t, "setup", f.do(f.command(otherGuild, manager(), "luarmor setup", opt("project", f.otherProject.ID), opt("code", code.Code))), "now serves")
	if _, err := f.lic.CreateKey(bctx, bActor, f.otherProject.ID, licensing.KeyInput{DiscordID: bob().User.ID}); err != nil {
		t.Fatal(err)
	}
	wantText(t, "no scripts", f.do(f.button(otherGuild, bob(), bot.PanelScript)), "**Other Hub** has no script yet")
	// alice's key in the first project is nothing in the other guild.
	wantText(t, "other guild", f.do(f.button(otherGuild, alice(), bot.PanelScript)), "no key linked in **Other Hub**")
	f.noKeysLogged(k)
}

func TestKeyInfo(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.linkProject(guild)
	wantText(t, "no key", f.do(f.button(guild, alice(), bot.PanelInfo)), "Press **Redeem key** first")

	// Linked by staff, never used: its days have not started.
	days := 7
	k := f.newKey(licensing.KeyInput{DiscordID: alice().User.ID, KeyDays: &days})
	wantText(t, "not activated", f.do(f.button(guild, alice(), bot.PanelInfo)), "Status: Not yet activated",
		"Expires: 7 days after the first use", "HWID linked: No", "Total executions: 0", "Last reset: Never", "Next reset possible: Now")

	for range 3 {
		f.execute(k.UserKey, "HWID-ALICE-PC-0001")
	}
	if err := f.lic.FlushExecutions(bctx); err != nil {
		t.Fatal(err)
	}
	got := f.getKey(f.project.ID, k.UserKey)
	r := f.do(f.button(guild, alice(), bot.PanelInfo))
	info := wantText(t, "active", r, "Your key in Nightfall Hub", "Status: Active", "Expires: "+unixText(*got.AuthExpire),
		"HWID linked: Yes (`HWID…`)", "Total executions: 3", "Key: `…"+k.UserKey[len(k.UserKey)-4:]+"`")
	if strings.Contains(info, "HWID-ALICE-PC-0001") || strings.Contains(info, k.UserKey) {
		t.Fatalf("info shows the HWID or the key: %q", info)
	}

	// After a reset: when it was, and when the next one is possible.
	wantText(t, "reset", f.do(f.button(guild, alice(), bot.PanelReset)), "HWID reset")
	got = f.getKey(f.project.ID, k.UserKey)
	wantText(t, "after reset", f.do(f.button(guild, alice(), bot.PanelInfo)), "HWID linked: No",
		"Last reset: "+unixText(*got.LastResetAt), "Next reset possible: "+unixText(got.LastResetAt.Add(time.Hour)))

	// Expired.
	if _, err := f.db.Pool.Exec(bctx, "UPDATE license_keys SET auth_expire = now() - interval '1 day' WHERE id = $1", k.ID); err != nil {
		t.Fatal(err)
	}
	wantText(t, "expired", f.do(f.button(guild, alice(), bot.PanelInfo)), "Status: Expired")

	// Banned, with the reason and the ban's end.
	end := time.Now().Add(48 * time.Hour).UTC().Truncate(time.Second)
	if _, err := f.lic.Blacklist(bctx, bActor, f.project.ID, k.UserKey, licensing.BlacklistInput{BanReason: "reselling", Expire: &end}); err != nil {
		t.Fatal(err)
	}
	wantText(t, "banned", f.do(f.button(guild, alice(), bot.PanelInfo)), "Status: Banned: reselling (until "+unixText(end)+")")

	// Where users may not reset, the answer says so.
	if _, err := f.lic.UpdateProject(bctx, bActor, f.project.ID, licensing.ProjectInput{Name: f.project.Name}); err != nil {
		t.Fatal(err)
	}
	wantText(t, "no user resets", f.do(f.button(guild, alice(), bot.PanelInfo)), "Next reset possible: Resets are done by the project's support")

	// The log keeps the embed's title, never the key.
	f.noKeysLogged(k)
	if o := f.outcomes(); len(o) == 0 || o[0] != bot.PanelInfo+" ok" {
		t.Fatalf("outcomes %q", o)
	}
}
