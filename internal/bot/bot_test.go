package bot_test

import (
	"crypto/ed25519"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"lumdesk/internal/accounts"
	"lumdesk/internal/bot"
	"lumdesk/internal/bot/discord"
	"lumdesk/internal/platform/apperr"
)

func TestVerifySignature(t *testing.T) {
	t.Parallel()
	pub, priv, _ := ed25519.GenerateKey(nil)
	otherPub, _, _ := ed25519.GenerateKey(nil)
	body := []byte(`{"type":1}`)
	sig, ts := discord.Sign(priv, time.Now(), body)
	if !discord.Verify(pub, sig, ts, body) {
		t.Fatal("a good signature is refused")
	}
	for name, c := range map[string]struct {
		pub     ed25519.PublicKey
		sig, ts string
		body    []byte
	}{
		"another key":       {otherPub, sig, ts, body},
		"tampered body":     {pub, sig, ts, []byte(`{"type":2}`)},
		"another timestamp": {pub, sig, ts + "1", body},
		"no signature":      {pub, "", ts, body},
		"no timestamp":      {pub, sig, "", body},
		"not hex":           {pub, strings.Repeat("z", 128), ts, body},
		"short signature":   {pub, sig[:64], ts, body},
		"no key":            {nil, sig, ts, body},
	} {
		if discord.Verify(c.pub, c.sig, c.ts, c.body) {
			t.Errorf("%s: accepted", name)
		}
	}
}

func TestPingIsPong(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	r := f.do(discord.Interaction{ID: "1", ApplicationID: appID, Type: discord.Ping, Token: "t", Version: 1})
	if r.Type != discord.Pong || r.Data != nil {
		t.Fatalf("ping answered %+v", r)
	}
}

func TestLuarmorSetupLinksWithAOneTimeCode(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	code, err := f.bot.NewLinkCode(bctx, bActor, accounts.Only(f.acct), bot.AreaLicensing, f.project.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(code.Command, "/luarmor setup project:"+f.project.ID) || code.ExpiresAt.Before(time.Now()) {
		t.Fatalf("code %+v", code)
	}
	// Another account cannot make a code for the project.
	if _, err := f.bot.NewLinkCode(bctx, bActor, accounts.Only(f.other), bot.AreaLicensing, f.project.ID); !isNotFound(err) {
		t.Fatalf("other account's code: %v", err)
	}
	setup := func(m *discord.Member, project, c string) string {
		return text(f.do(f.command(guild, m, "luarmor setup", opt("project", project), opt("code", c))))
	}
	// Refused attempts leave the code usable.
	if got := setup(alice(), f.project.ID, code.Code); !strings.Contains(got, "Manage Server") {
		t.Fatalf("without Manage Server: %q", got)
	}
	if got := setup(manager(), f.otherProject.ID, code.Code); !strings.Contains(got, "not valid") {
		t.Fatalf("code for another project: %q", got)
	}
	if got := setup(manager(), f.project.ID, "lnk_wrong"); !strings.Contains(got, "not valid") {
		t.Fatalf("unknown code: %q", got)
	}
	if got := setup(manager(), f.project.ID, code.Code); !strings.Contains(got, "now serves the Luarmor project **Nightfall Hub**") {
		t.Fatalf("setup: %q", got)
	}
	// Once only.
	if got := setup(manager(), f.project.ID, code.Code); !strings.Contains(got, "already used") {
		t.Fatalf("second use: %q", got)
	}
	links, err := f.bot.ListLinks(bctx, bot.LinkFilter{Scope: accounts.Only(f.acct)})
	if err != nil || len(links) != 1 || links[0].GuildID != guild || links[0].TargetID != f.project.ID || links[0].LinkedBy != manager().User.ID {
		t.Fatalf("links %+v, %v", links, err)
	}
	if other, _ := f.bot.ListLinks(bctx, bot.LinkFilter{Scope: accounts.Only(f.other)}); len(other) != 0 {
		t.Fatalf("the other account sees %d links", len(other))
	}
	var actor, kind string
	if err := f.db.Pool.QueryRow(bctx, "SELECT actor_kind, actor_id FROM audit_events WHERE action = 'bot_link.create'").Scan(&kind, &actor); err != nil ||
		kind != "discord" || actor != manager().User.ID {
		t.Fatalf("audit: %s %s %v", kind, actor, err)
	}
	want := []string{"/luarmor setup refused", "/luarmor setup ok", "/luarmor setup refused", "/luarmor setup refused", "/luarmor setup refused"}
	if got := f.outcomes(); !slices.Equal(got, want) {
		t.Fatalf("interactions log %v, want %v", got, want)
	}
}

func TestLinkCodeExpires(t *testing.T) {
	t.Parallel()
	now := time.Now()
	f := newFixture(t)
	f.bot.WithClock(func() time.Time { return now })
	code, err := f.bot.NewLinkCode(bctx, bActor, accounts.Only(f.acct), bot.AreaLicensing, f.project.ID)
	if err != nil {
		t.Fatal(err)
	}
	now = now.Add(bot.LinkCodeLife + time.Second)
	got := text(f.do(f.command(guild, manager(), "luarmor setup", opt("project", f.project.ID), opt("code", code.Code))))
	if !strings.Contains(got, "expired") {
		t.Fatalf("expired code: %q", got)
	}
}

func TestLumiraSetupByRobloxGroupID(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.linkGroup(guild, "555000000000000001")
	links, err := f.bot.ListLinks(bctx, bot.LinkFilter{Scope: accounts.Only(f.acct), GroupID: f.group.ID})
	if err != nil || len(links) != 1 || links[0].RankRoleID != "555000000000000001" || links[0].RobloxGroupID != 777 {
		t.Fatalf("links %+v, %v", links, err)
	}
	// The owner changes who may /rank; another account cannot.
	if _, err := f.bot.SetRankRole(bctx, bActor, accounts.Only(f.other), links[0].ID, "1"); !errors.Is(err, bot.ErrLinkNotFound) {
		t.Fatalf("other account: %v", err)
	}
	if _, err := f.bot.SetRankRole(bctx, bActor, accounts.Only(f.acct), links[0].ID, "role"); err == nil {
		t.Fatal("a non-id role was accepted")
	}
	l, err := f.bot.SetRankRole(bctx, bActor, accounts.Only(f.acct), links[0].ID, "555000000000000002")
	if err != nil || l.RankRoleID != "555000000000000002" {
		t.Fatalf("set rank role: %+v %v", l, err)
	}
}

func TestUnlinkStopsServing(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.linkProject(guild)
	links, _ := f.bot.ListLinks(bctx, bot.LinkFilter{Scope: accounts.AllAccounts})
	if err := f.bot.Unlink(bctx, bActor, accounts.Only(f.other), links[0].ID, "no"); !errors.Is(err, bot.ErrLinkNotFound) {
		t.Fatalf("other account unlinked: %v", err)
	}
	if err := f.bot.Unlink(bctx, bActor, accounts.Only(f.acct), links[0].ID, "moved servers"); err != nil {
		t.Fatal(err)
	}
	if left, _ := f.bot.ListLinks(bctx, bot.LinkFilter{Scope: accounts.AllAccounts}); len(left) != 0 {
		t.Fatalf("%d links left", len(left))
	}
}

func TestSlowWorkIsDeferredAndCompletedThroughTheWebhook(t *testing.T) {
	t.Parallel()
	// Every answer takes longer than a nanosecond: each is deferred.
	f := newFixture(t, func(s *bot.Settings) { s.DeferAfter = time.Nanosecond })
	code, err := f.bot.NewLinkCode(bctx, bActor, accounts.Only(f.acct), bot.AreaLicensing, f.project.ID)
	if err != nil {
		t.Fatal(err)
	}
	in := f.command(guild, manager(), "luarmor setup", opt("project", f.project.ID), opt("code", code.Code))
	r := f.do(in)
	if r.Type != discord.DeferredChannelMessageWithSource || r.Data == nil || r.Data.Flags != discord.FlagEphemeral {
		t.Fatalf("answer %+v", r)
	}
	msg := f.dc.WaitEdit(t, in.Token, 10*time.Second)
	if !strings.Contains(msg.Content, "now serves") || msg.AllowedMentions == nil || len(msg.AllowedMentions.Parse) != 0 {
		t.Fatalf("follow-up %+v", msg)
	}
	f.bot.Wait()
	var deferred bool
	if err := f.db.Pool.QueryRow(bctx, "SELECT deferred FROM bot_interactions ORDER BY id DESC LIMIT 1").Scan(&deferred); err != nil || !deferred {
		t.Fatalf("logged deferred=%v %v", deferred, err)
	}
}

func TestUnknownCommandAndDirectMessage(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	if got := text(f.do(f.command(guild, manager(), "nope"))); !strings.Contains(got, "does not know") {
		t.Fatalf("unknown: %q", got)
	}
	dm := f.command("", nil, "luarmor setup")
	dm.User = &discord.User{ID: "200000000000000001", Username: "alice"}
	if got := text(f.do(dm)); !strings.Contains(got, "in a server") {
		t.Fatalf("DM: %q", got)
	}
	// A known command that names nobody is refused as such, not as unknown.
	if got := text(f.do(f.command(guild, nil, "luarmor panel"))); !strings.Contains(got, "did not say who sent this") {
		t.Fatalf("no caller: %q", got)
	}
}

func TestRegisterCommands(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.dc.RateLimitNext(1) // a 429 is waited out
	got, err := f.bot.RegisterCommands(bctx)
	if err != nil {
		t.Fatal(err)
	}
	reg := f.dc.Commands(appID)
	if len(got) != len(bot.Commands()) || len(reg) != len(got) || got[0].ID == "" {
		t.Fatalf("registered %d, stored %d", len(got), len(reg))
	}
	names := map[string]discord.Command{}
	for _, c := range reg {
		names[c.Name] = c
	}
	for _, n := range []string{"luarmor", "lumira", "apikey", "rank"} {
		if _, ok := names[n]; !ok {
			t.Errorf("command %s not registered", n)
		}
	}
	if p := names["apikey"].DefaultMemberPermissions; p == nil || *p != "32" {
		t.Errorf("/apikey default permissions %v, want Manage Server (32)", p)
	}
	if names["rank"].DefaultMemberPermissions != nil {
		t.Error("/rank is limited by permission; the rank role decides")
	}
	// A wrong token is Discord's 401, reported.
	bad := bot.New(f.db, bot.Settings{Mode: bot.ModeDiscord, AppID: appID}, &discord.HTTPClient{BaseURL: f.dc.URL, Token: "wrong"}, bot.Deps{})
	var apiErr *discord.APIError
	if _, err := bad.RegisterCommands(bctx); !errors.As(err, &apiErr) || apiErr.Status != 401 {
		t.Fatalf("wrong token: %v", err)
	}
}

func isNotFound(err error) bool {
	var nf apperr.NotFound
	return errors.As(err, &nf)
}
