package bot_test

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/json"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"lumdesk/internal/accounts"
	"lumdesk/internal/apikeys"
	"lumdesk/internal/audit"
	"lumdesk/internal/bot"
	"lumdesk/internal/bot/discord"
	"lumdesk/internal/bot/discord/discordtest"
	"lumdesk/internal/licensing"
	"lumdesk/internal/platform/db"
	"lumdesk/internal/platform/secretbox"
	"lumdesk/internal/platform/testdb"
	"lumdesk/internal/ranking"
	"lumdesk/internal/ranking/roblox"
)

var (
	bctx   = context.Background()
	bActor = audit.CLI("bot test")
)

// The test application and guilds.
const (
	appID      = "1100000000000000001"
	botToken   = "test-bot-token"
	guild      = "900000000000000001"
	otherGuild = "900000000000000002"
	// Manage Server, and none.
	permManage = discord.PermManageGuild
	permNone   = int64(0)
)

// fixture is a bot over a fresh database (so every test runs in parallel): two accounts, a Luarmor project
// with a script in each (the first with a one-hour reset cooldown and
// users allowed to reset), a Lumira sandbox group in the first, and a test
// Discord the bot's deferred answers go to.
type fixture struct {
	t            testing.TB
	db           *db.DB
	bot          *bot.Service
	lic          *licensing.Service
	rank         *ranking.Service
	keys         *apikeys.Service
	dc           *discordtest.Server
	key          ed25519.PrivateKey
	acct, other  int64
	project      licensing.Project
	script       licensing.Script
	otherProject licensing.Project
	group        ranking.Group
	seq          atomic.Int64
}

func newFixture(t testing.TB, opts ...func(*bot.Settings)) *fixture {
	t.Helper()
	d := db.New(testdb.New(t))
	box, err := secretbox.New(bytes.Repeat([]byte{9}, 32))
	if err != nil {
		t.Fatal(err)
	}
	f := &fixture{t: t, db: d, dc: discordtest.New(t, botToken)}
	pub, priv, err := ed25519.GenerateKey(nil)
	if err != nil {
		t.Fatal(err)
	}
	f.key = priv
	f.lic = licensing.NewService(d)
	t.Cleanup(f.lic.Close)
	f.rank = ranking.NewService(d, box, ranking.Settings{Roblox: roblox.Settings{APIURL: "http://127.0.0.1:1", UsersURL: "http://127.0.0.1:1"}})
	f.keys = apikeys.NewService(d, box)
	acc := accounts.NewService(d)
	for _, p := range []struct {
		id          *int64
		name, email string
	}{{&f.acct, "Nightfall", "ops@nightfall.test"}, {&f.other, "Other", "ops@other.test"}} {
		a, err := acc.Create(bctx, bActor, accounts.CreateInput{Name: p.name, Email: p.email})
		if err != nil {
			t.Fatal(err)
		}
		*p.id = a.ID
	}
	if f.project, err = f.lic.CreateProject(bctx, bActor, licensing.ProjectInput{AccountID: f.acct, Name: "Nightfall Hub",
		ResetCooldown: time.Hour, UsersCanReset: true}); err != nil {
		t.Fatal(err)
	}
	if f.script, err = f.lic.CreateScript(bctx, bActor, f.project.ID, licensing.ScriptInput{Name: "Main"}); err != nil {
		t.Fatal(err)
	}
	if f.otherProject, err = f.lic.CreateProject(bctx, bActor, licensing.ProjectInput{AccountID: f.other, Name: "Other Hub"}); err != nil {
		t.Fatal(err)
	}
	if f.group, err = f.rank.AddGroup(bctx, bActor, accounts.Only(f.acct), ranking.GroupInput{RobloxGroupID: 777, Name: "Nightfall Clan"}); err != nil {
		t.Fatal(err)
	}
	set := bot.Settings{Mode: bot.ModeDiscord, AppID: appID, PublicKey: pub, DeferAfter: 2 * time.Second, PublicURL: "https://desk.test"}
	for _, o := range opts {
		o(&set)
	}
	rest := &discord.HTTPClient{BaseURL: f.dc.URL, Token: botToken, MaxWait: time.Second}
	f.bot = bot.New(d, set, rest, bot.Deps{Licensing: f.lic, Ranking: f.rank, APIKeys: f.keys})
	t.Cleanup(f.bot.Wait)
	return f
}

// user is a guild member: a Discord user ID, name, permission bits and roles.
func user(id, name string, perms int64, roles ...string) *discord.Member {
	if roles == nil {
		roles = []string{}
	}
	return &discord.Member{User: &discord.User{ID: id, Username: name}, Roles: roles, Permissions: strconv.FormatInt(perms, 10)}
}

// Members the tests use.
var (
	manager = func() *discord.Member { return user("100000000000000001", "manager", permManage) }
	alice   = func() *discord.Member { return user("200000000000000001", "alice", permNone) }
	bob     = func() *discord.Member { return user("200000000000000002", "bob", permNone) }
)

// interaction is the envelope Discord would send from the guild.
func (f *fixture) interaction(g string, m *discord.Member, typ discord.InteractionType, data *discord.Data) discord.Interaction {
	n := f.seq.Add(1)
	return discord.Interaction{ID: strconv.FormatInt(3000+n, 10), ApplicationID: appID, Type: typ, Data: data, GuildID: g,
		ChannelID: "800000000000000001", Member: m, Token: "itok-" + strconv.FormatInt(n, 10), Version: 1}
}

// command is a slash command: path "luarmor setup" is the command with its subcommand.
func (f *fixture) command(g string, m *discord.Member, path string, opts ...discord.Option) discord.Interaction {
	var name, sub string
	for i := range path {
		if path[i] == ' ' {
			name, sub = path[:i], path[i+1:]
			break
		}
	}
	data := &discord.Data{ID: "1", Name: path, Type: 1, Options: opts}
	if sub != "" {
		data = &discord.Data{ID: "1", Name: name, Type: 1, Options: []discord.Option{{Name: sub, Type: discord.OptionSubCommand, Options: opts}}}
	}
	return f.interaction(g, m, discord.ApplicationCommand, data)
}

// button is a click on a message component.
func (f *fixture) button(g string, m *discord.Member, customID string) discord.Interaction {
	return f.interaction(g, m, discord.MessageComponent, &discord.Data{CustomID: customID, ComponentType: discord.ComponentButton})
}

// modal is a submitted modal with its text inputs.
func (f *fixture) modal(g string, m *discord.Member, customID string, fields map[string]string) discord.Interaction {
	d := &discord.Data{CustomID: customID}
	for id, v := range fields {
		d.Components = append(d.Components, discord.Row(discord.Component{Type: discord.ComponentTextInput, CustomID: id, Value: v}))
	}
	return f.interaction(g, m, discord.ModalSubmit, d)
}

// opt is a string option; intOpt an integer one.
func opt(name, value string) discord.Option {
	v, _ := json.Marshal(value)
	return discord.Option{Name: name, Type: discord.OptionString, Value: v}
}

func intOpt(name string, value int) discord.Option {
	return discord.Option{Name: name, Type: discord.OptionInteger, Value: json.RawMessage(strconv.Itoa(value))}
}

// do sends an interaction straight to the service.
func (f *fixture) do(in discord.Interaction) discord.Response { return f.bot.Interact(bctx, in) }

// text is a response's message text ("" for a modal).
func text(r discord.Response) string {
	if r.Data == nil {
		return ""
	}
	out := r.Data.Content
	for _, e := range r.Data.Embeds {
		out += "\n" + e.Title + "\n" + e.Description
		for _, fl := range e.Fields {
			out += "\n" + fl.Name + ": " + fl.Value
		}
	}
	return out
}

// linkProject links guild g to the fixture's project through a code and /luarmor setup.
func (f *fixture) linkProject(g string) {
	f.t.Helper()
	code, err := f.bot.NewLinkCode(bctx, bActor, accounts.Only(f.acct), bot.AreaLicensing, f.project.ID)
	if err != nil {
		f.t.Fatal(err)
	}
	r := f.do(f.command(g, manager(), "luarmor setup", opt("project", f.project.ID), opt("code", code.Code)))
	if !contains(text(r), "now serves") {
		f.t.Fatalf("setup: %q", text(r))
	}
}

// linkGroup links guild g to the fixture's Lumira group; rankRole may be "".
func (f *fixture) linkGroup(g, rankRole string) {
	f.t.Helper()
	code, err := f.bot.NewLinkCode(bctx, bActor, accounts.Only(f.acct), bot.AreaRanking, f.group.ID)
	if err != nil {
		f.t.Fatal(err)
	}
	opts := []discord.Option{opt("group", strconv.FormatInt(f.group.RobloxGroupID, 10)), opt("code", code.Code)}
	if rankRole != "" {
		opts = append(opts, discord.Option{Name: "rank_role", Type: discord.OptionRole, Value: mustJSON(rankRole)})
	}
	r := f.do(f.command(g, manager(), "lumira setup", opts...))
	if !contains(text(r), "now serves") {
		f.t.Fatalf("setup: %q", text(r))
	}
}

func mustJSON(v any) json.RawMessage {
	b, _ := json.Marshal(v)
	return b
}

// interactions are the logged interactions' outcomes, newest first.
func (f *fixture) outcomes() []string {
	f.t.Helper()
	rows, err := f.db.Pool.Query(bctx, "SELECT name || ' ' || outcome FROM bot_interactions ORDER BY id DESC")
	if err != nil {
		f.t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			f.t.Fatal(err)
		}
		out = append(out, s)
	}
	return out
}

func contains(s, sub string) bool { return bytes.Contains([]byte(s), []byte(sub)) }
