package bot_test

import (
	"bytes"
	"crypto/ed25519"
	"errors"
	"log/slog"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"lumdesk/internal/accounts"
	"lumdesk/internal/apikeys"
	"lumdesk/internal/bot"
	"lumdesk/internal/bot/discord"
	"lumdesk/internal/platform/secretbox"
	"lumdesk/internal/platform/syncbuf"
	"lumdesk/internal/ranking"
	"lumdesk/internal/ranking/roblox"
	"lumdesk/internal/ranking/roblox/robloxtest"
)

// The Discord role whose members may /rank, and a member holding it.
const rkRole = "555000000000000009"

var rkRanker = func() *discord.Member { return user("300000000000000001", "ranker", permNone, rkRole) }

// rkSecretRE finds a Lumira secret in a message.
var rkSecretRE = regexp.MustCompile(`lumira_[0-9A-Za-z]{40}`)

// rkAudit is the actor of the audit rows of an action on an entity.
func (f *fixture) rkAudit(action, entityID string) (kind, id string) {
	f.t.Helper()
	if err := f.db.Pool.QueryRow(bctx, "SELECT actor_kind, actor_id FROM audit_events WHERE action = $1 AND entity_id = $2",
		action, entityID).Scan(&kind, &id); err != nil {
		f.t.Fatalf("audit %s %s: %v", action, entityID, err)
	}
	return kind, id
}

func rkEphemeral(t *testing.T, what string, r discord.Response) {
	t.Helper()
	if r.Type != discord.ChannelMessageWithSource || r.Data == nil || r.Data.Flags != discord.FlagEphemeral {
		t.Fatalf("%s: not an immediate ephemeral answer: %+v", what, r)
	}
}

func TestAPIKeyCommands(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	logs := &syncbuf.Buffer{}
	f.bot.SetLogger(slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})))
	apikey := func(g string, m *discord.Member, path string, opts ...discord.Option) discord.Response {
		return f.do(f.command(g, m, "apikey "+path, opts...))
	}

	// Not linked yet.
	if got := text(apikey(guild, manager(), "create", opt("name", "CI"))); !strings.Contains(got, "not linked to a Lumira group") {
		t.Fatalf("unlinked: %q", got)
	}
	f.linkGroup(guild, "")
	// A Luarmor link is not a Lumira link.
	f.linkProject(otherGuild)
	if got := text(apikey(otherGuild, manager(), "list")); !strings.Contains(got, "not linked to a Lumira group") {
		t.Fatalf("Luarmor-only guild: %q", got)
	}

	// Manage Server only, for each of the three.
	for _, c := range []struct {
		path string
		opts []discord.Option
	}{{"create", []discord.Option{opt("name", "CI")}}, {"list", nil}, {"revoke", []discord.Option{opt("prefix", "lumira_abcdef")}}} {
		if got := text(apikey(guild, alice(), c.path, c.opts...)); !strings.Contains(got, "Manage Server") {
			t.Errorf("/apikey %s without Manage Server: %q", c.path, got)
		}
	}
	// The empty list says how to make one.
	r := apikey(guild, manager(), "list")
	rkEphemeral(t, "empty list", r)
	if got := text(r); !strings.Contains(got, "no API keys yet") || !strings.Contains(got, "/apikey create") {
		t.Fatalf("empty list: %q", got)
	}

	// Create: shown once, ephemerally, with its prefix and scopes.
	r = apikey(guild, manager(), "create", opt("name", "Rank bot"))
	rkEphemeral(t, "create", r)
	secret := rkSecretRE.FindString(text(r))
	if secret == "" {
		t.Fatalf("no secret in %q", text(r))
	}
	k, err := f.keys.Verify(bctx, apikeys.Lumira, secret, "203.0.113.9")
	if err != nil {
		t.Fatal(err)
	}
	lumira, _ := apikeys.LookupProduct(apikeys.Lumira)
	wantScopes := []string{"ranking:write", "ranking:read", "notify:send"}
	if k.Product != apikeys.Lumira || k.AccountID == nil || *k.AccountID != f.acct || k.Operator || k.Name != "Rank bot" ||
		!slices.Equal(k.Scopes, wantScopes) || !slices.Equal(k.Scopes, lumira.StandardScopes()) {
		t.Fatalf("key %+v", k)
	}
	if got := text(r); !strings.Contains(got, k.Prefix) || !strings.Contains(got, "ranking:write") || !strings.Contains(got, "shown only this once") {
		t.Fatalf("create answer %q", got)
	}
	if kind, id := f.rkAudit("api_key.create", itoa(k.ID)); kind != "discord" || id != manager().User.ID {
		t.Fatalf("create audited as %s %s", kind, id)
	}
	// A name is required.
	if got := text(apikey(guild, manager(), "create", opt("name", "  "))); !strings.Contains(got, "Give the key a name") {
		t.Fatalf("no name: %q", got)
	}

	// Keys of another account, and another product of this account, are not listed or revocable.
	otherAcct := f.other
	otherKey, err := f.keys.Create(bctx, bActor, apikeys.CreateInput{Product: apikeys.Lumira, AccountID: &otherAcct, Name: "Other's"})
	if err != nil {
		t.Fatal(err)
	}
	acct := f.acct
	luarmorKey, err := f.keys.Create(bctx, bActor, apikeys.CreateInput{Product: apikeys.Luarmor, AccountID: &acct, Name: "Luarmor"})
	if err != nil {
		t.Fatal(err)
	}

	r = apikey(guild, manager(), "list")
	rkEphemeral(t, "list", r)
	got := text(r)
	if !strings.Contains(got, k.Prefix) || !strings.Contains(got, "Rank bot") || !strings.Contains(got, "active") ||
		!strings.Contains(got, "last used <t:") || strings.Contains(got, secret) || rkSecretRE.MatchString(got) ||
		strings.Contains(got, otherKey.Key.Prefix) || strings.Contains(got, luarmorKey.Key.Prefix) {
		t.Fatalf("list %q", got)
	}

	// Revoke: unknown and another account's prefixes are not found.
	for _, p := range []string{"lumira_zzzzzz", otherKey.Key.Prefix, luarmorKey.Key.Prefix, "lumira_"} {
		if got := text(apikey(guild, manager(), "revoke", opt("prefix", p))); !strings.Contains(got, "not found") {
			t.Errorf("revoke %s: %q", p, got)
		}
	}
	if _, err := f.keys.Verify(bctx, apikeys.Lumira, otherKey.Secret, "203.0.113.9"); err != nil {
		t.Fatalf("the other account's key was touched: %v", err)
	}
	r = apikey(guild, manager(), "revoke", opt("prefix", k.Prefix))
	rkEphemeral(t, "revoke", r)
	if got := text(r); !strings.Contains(got, "Revoked") || !strings.Contains(got, k.Prefix) {
		t.Fatalf("revoke: %q", got)
	}
	if _, err := f.keys.Verify(bctx, apikeys.Lumira, secret, "203.0.113.9"); !errors.Is(err, apikeys.ErrInvalidKey) {
		t.Fatalf("revoked key still verifies: %v", err)
	}
	if kind, id := f.rkAudit("api_key.revoke", itoa(k.ID)); kind != "discord" || id != manager().User.ID {
		t.Fatalf("revoke audited as %s %s", kind, id)
	}
	// The prefix as listed, copied with its backticks, finds it too: already revoked.
	if got := text(apikey(guild, manager(), "revoke", opt("prefix", "`"+k.Prefix+"`"))); !strings.Contains(got, "already revoked") {
		t.Fatalf("second revoke: %q", got)
	}
	if got := text(apikey(guild, manager(), "list")); !strings.Contains(got, k.Prefix) || !strings.Contains(got, "revoked") {
		t.Fatalf("list after revoke: %q", got)
	}

	// The secret is in neither the interactions log nor the server log.
	var leaked int
	if err := f.db.Pool.QueryRow(bctx, "SELECT count(*) FROM bot_interactions WHERE position($1 in message) > 0", secret).Scan(&leaked); err != nil || leaked != 0 {
		t.Fatalf("secret in the interactions log: %d %v", leaked, err)
	}
	var logged string
	if err := f.db.Pool.QueryRow(bctx, "SELECT message FROM bot_interactions WHERE name = '/apikey create' AND outcome = 'ok'").Scan(&logged); err != nil ||
		logged != "Lumira API key created" {
		t.Fatalf("logged %q %v", logged, err)
	}
	if strings.Contains(logs.String(), secret) || strings.Contains(logs.String(), "lumira_") {
		t.Fatalf("server log: %s", logs.String())
	}
}

func TestAPIKeyCreateForASuspendedAccountIsRefused(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.linkGroup(guild, "")
	if _, err := f.db.Pool.Exec(bctx, "UPDATE accounts SET status = 'suspended' WHERE id = $1", f.acct); err != nil {
		t.Fatal(err)
	}
	r := f.do(f.command(guild, manager(), "apikey create", opt("name", "CI")))
	if got := text(r); !strings.Contains(got, "suspended") || rkSecretRE.MatchString(got) {
		t.Fatalf("suspended: %q", got)
	}
	if got := f.outcomes(); got[0] != "/apikey create refused" {
		t.Fatalf("outcomes %v", got)
	}
}

func TestRankCommandsInTheSandboxGroup(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	rank := func(g string, m *discord.Member, path, username string, extra ...discord.Option) discord.Response {
		return f.do(f.command(g, m, "rank "+path, append([]discord.Option{opt("user", username)}, extra...)...))
	}
	// Not linked.
	if got := text(rank(guild, rkRanker(), "promote", "sandbox_alex")); !strings.Contains(got, "not linked to a Lumira group") {
		t.Fatalf("unlinked: %q", got)
	}
	// Linked without a rank role: nobody may, the owner must choose one.
	f.linkGroup(otherGuild, "")
	if got := text(rank(otherGuild, manager(), "promote", "sandbox_alex")); !strings.Contains(got, "group owner must choose") ||
		!strings.Contains(got, "rank_role") {
		t.Fatalf("no rank role: %q", got)
	}
	f.linkGroup(guild, rkRole)
	// Setup again without rank_role keeps the role, and says so.
	code, err := f.bot.NewLinkCode(bctx, bActor, accounts.Only(f.acct), bot.AreaRanking, f.group.ID)
	if err != nil {
		t.Fatal(err)
	}
	again := text(f.do(f.command(guild, manager(), "lumira setup", opt("group", strconv.FormatInt(f.group.RobloxGroupID, 10)), opt("code", code.Code))))
	if !strings.Contains(again, "Members of <@&"+rkRole+"> may use") {
		t.Errorf("setup again without rank_role: %q", again)
	}
	// Members without the role (even managers) are refused.
	for _, m := range []*discord.Member{alice(), manager(), user("300000000000000002", "other_role", permNone, "555000000000000001")} {
		if got := text(rank(guild, m, "promote", "sandbox_alex")); !strings.Contains(got, "Only members of the <@&"+rkRole+">") {
			t.Fatalf("%s without the role: %q", m.User.Username, got)
		}
	}

	r := rank(guild, rkRanker(), "promote", "sandbox_alex")
	rkEphemeral(t, "promote", r)
	if got := text(r); !strings.Contains(got, "Promoted") || !strings.Contains(got, "**Member** (rank 1) → **Trainee** (rank 5)") {
		t.Fatalf("promote: %q", got)
	}
	if got := text(rank(guild, rkRanker(), "demote", "sandbox_casey")); !strings.Contains(got, "**Trainee** (rank 5) → **Member** (rank 1)") {
		t.Fatalf("demote: %q", got)
	}
	if got := text(rank(guild, rkRanker(), "set", "sandbox_blake", intOpt("rank", 50))); !strings.Contains(got, "**Member** (rank 1) → **Staff** (rank 50)") {
		t.Fatalf("set: %q", got)
	}
	if got := text(rank(guild, rkRanker(), "set", "sandbox_blake", intOpt("rank", 50))); !strings.Contains(got, "already holds **Staff**") {
		t.Fatalf("set to the rank held: %q", got)
	}

	// The ranking service's rules, told to the caller.
	for _, c := range []struct {
		path, user string
		extra      []discord.Option
		want       string
	}{
		{"promote", "sandbox_lumira", nil, "ceiling"}, // the integration's own rank, at the ceiling
		{"demote", "sandbox_owner", nil, "ceiling"},   // the owner
		{"set", "sandbox_devon", []discord.Option{intOpt("rank", 250)}, "cannot be assigned"},
		{"promote", "sandbox_gray", nil, "top of the ladder"},    // Manager (200) is the ladder's last step
		{"demote", "sandbox_casey", nil, "bottom of the ladder"}, // demoted to Member above
		{"set", "sandbox_devon", []discord.Option{intOpt("rank", 3)}, "no role of rank 3"},
		{"set", "sandbox_devon", []discord.Option{intOpt("rank", 0)}, "rank from 1 to 254"},
		{"set", "sandbox_devon", nil, "rank from 1 to 254"},
		{"promote", "no spaces!", nil, "Roblox username"},
	} {
		r := rank(guild, rkRanker(), c.path, c.user, c.extra...)
		if got := text(r); !strings.Contains(got, c.want) || r.Data.Flags != discord.FlagEphemeral {
			t.Errorf("/rank %s %s: %q, want %q", c.path, c.user, got, c.want)
		}
	}

	// The changes are in the group's log, done by the Discord user.
	page, err := f.rank.Logs(bctx, accounts.Only(f.acct), f.group.ID, ranking.LogFilter{})
	if err != nil {
		t.Fatal(err)
	}
	var kinds []string
	for _, a := range page.Items {
		kinds = append(kinds, a.Kind)
		if a.Status != ranking.ActionDone || a.ActorKind != "discord" || a.ActorID != rkRanker().User.ID || a.ActorLabel != "ranker" ||
			a.Reason != "Discord /rank by ranker" {
			t.Errorf("action %+v", a)
		}
	}
	if want := []string{"set", "demote", "promote"}; !slices.Equal(kinds, want) {
		t.Fatalf("logged kinds %v, want %v", kinds, want)
	}
	alex, err := f.rank.LookupUsername(bctx, accounts.Only(f.acct), "sandbox_alex")
	if err != nil {
		t.Fatal(err)
	}
	if m, err := f.rank.GetMember(bctx, accounts.Only(f.acct), f.group.ID, alex.UserID); err != nil || m.Rank != 5 {
		t.Fatalf("alex %+v %v", m, err)
	}
	// Every refusal and success is in the interactions log.
	outs := f.outcomes()
	ok := 0
	for _, o := range outs {
		if strings.HasPrefix(o, "/rank ") && strings.HasSuffix(o, " ok") {
			ok++
		}
	}
	if ok != 4 || outs[0] != "/rank promote refused" {
		t.Fatalf("outcomes %v", outs)
	}
}

// A real-looking Roblox that answers slowly: the /rank answer is deferred
// and completed through the interaction's webhook.
func TestRankIsDeferredWhenRobloxIsSlow(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	rbx := robloxtest.New(t)
	rbx.AddGroup(&robloxtest.Group{ID: 4242, Name: "Slow Clan", BotRank: 100, Roles: []robloxtest.Role{
		{ID: "100", Name: "Guest", Rank: 0}, {ID: "101", Name: "Member", Rank: 1}, {ID: "105", Name: "Trainee", Rank: 5},
		{ID: "200", Name: "Bot", Rank: 100}, {ID: "255", Name: "Owner", Rank: 255}}})
	rbx.AddKey("rbx-slow-key", robloxtest.Key{Write: true, ReadAudit: true})
	rbx.AddUser(4242, 5001, "slow_member", "101")
	box, err := secretbox.New(bytes.Repeat([]byte{9}, 32))
	if err != nil {
		t.Fatal(err)
	}
	rank := ranking.NewService(f.db, box, ranking.Settings{Roblox: roblox.Settings{APIURL: rbx.URL, UsersURL: rbx.URL}})
	g, err := rank.AddGroup(bctx, bActor, accounts.Only(f.acct), ranking.GroupInput{RobloxGroupID: 4242, RobloxKey: "rbx-slow-key", Ceiling: 100})
	if err != nil || g.Status != ranking.StatusConnected {
		t.Fatalf("group %+v %v", g, err)
	}
	code, err := f.bot.NewLinkCode(bctx, bActor, accounts.Only(f.acct), bot.AreaRanking, g.ID)
	if err != nil {
		t.Fatal(err)
	}
	role := discord.Option{Name: "rank_role", Type: discord.OptionRole, Value: mustJSON(rkRole)}
	if got := text(f.do(f.command(guild, manager(), "lumira setup", opt("group", "4242"), opt("code", code.Code), role))); !strings.Contains(got, "now serves") {
		t.Fatalf("setup: %q", got)
	}

	pub, _, _ := ed25519.GenerateKey(nil)
	slow := bot.New(f.db, bot.Settings{Mode: bot.ModeDiscord, AppID: appID, PublicKey: pub, DeferAfter: 50 * time.Millisecond},
		&discord.HTTPClient{BaseURL: f.dc.URL, Token: botToken, MaxWait: time.Second},
		bot.Deps{Licensing: f.lic, Ranking: rank, APIKeys: f.keys})
	t.Cleanup(slow.Wait)
	rbx.Delay = 100 * time.Millisecond // each of the lookup, the read and the change

	in := f.command(guild, rkRanker(), "rank promote", opt("user", "slow_member"))
	r := slow.Interact(bctx, in)
	if r.Type != discord.DeferredChannelMessageWithSource || r.Data == nil || r.Data.Flags != discord.FlagEphemeral {
		t.Fatalf("answer %+v", r)
	}
	msg := f.dc.WaitEdit(t, in.Token, 20*time.Second)
	if !strings.Contains(msg.Content, "Promoted") || !strings.Contains(msg.Content, "**Member** (rank 1) → **Trainee** (rank 5)") ||
		msg.Flags != discord.FlagEphemeral {
		t.Fatalf("follow-up %+v", msg)
	}
	if got := rbx.RoleOf(4242, 5001); got != "105" {
		t.Fatalf("Roblox role %s", got)
	}
	slow.Wait()
	var deferred bool
	var outcome string
	if err := f.db.Pool.QueryRow(bctx, "SELECT deferred, outcome FROM bot_interactions WHERE name = '/rank promote'").Scan(&deferred, &outcome); err != nil ||
		!deferred || outcome != "ok" {
		t.Fatalf("logged deferred=%v %s %v", deferred, outcome, err)
	}
	page, err := rank.Logs(bctx, accounts.Only(f.acct), g.ID, ranking.LogFilter{})
	if err != nil || len(page.Items) != 1 || page.Items[0].ActorKind != "discord" || page.Items[0].Status != ranking.ActionDone {
		t.Fatalf("logs %+v %v", page.Items, err)
	}

	// A refusal that comes late is delivered the same way.
	in = f.command(guild, rkRanker(), "rank promote", opt("user", "slow_member"))
	if r := slow.Interact(bctx, in); r.Type != discord.DeferredChannelMessageWithSource {
		t.Fatalf("second answer %+v", r)
	}
	if msg := f.dc.WaitEdit(t, in.Token, 20*time.Second); !strings.Contains(msg.Content, "top of the ladder") {
		t.Fatalf("second follow-up %+v", msg)
	}
	// A name Roblox does not know.
	in = f.command(guild, rkRanker(), "rank demote", opt("user", "ghost_user"))
	if r := slow.Interact(bctx, in); r.Type != discord.DeferredChannelMessageWithSource {
		t.Fatalf("third answer %+v", r)
	}
	if msg := f.dc.WaitEdit(t, in.Token, 20*time.Second); !strings.Contains(msg.Content, "No Roblox user has this name") {
		t.Fatalf("third follow-up %+v", msg)
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
