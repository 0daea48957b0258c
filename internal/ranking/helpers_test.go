package ranking_test

import (
	"bytes"
	"context"
	"testing"
	"time"

	"lumdesk/internal/accounts"
	"lumdesk/internal/audit"
	"lumdesk/internal/platform/db"
	"lumdesk/internal/platform/secretbox"
	"lumdesk/internal/platform/testdb"
	"lumdesk/internal/ranking"
	"lumdesk/internal/ranking/discord/discordtest"
	"lumdesk/internal/ranking/roblox"
	"lumdesk/internal/ranking/roblox/robloxtest"
)

var (
	rctx   = context.Background()
	rActor = audit.CLI("test")
)

const (
	rGroupID = 4242
	rKey     = "rbx-key-test"
)

// rFixture is a database, two accounts, a test Roblox with one group
// (roles Guest 0, Member 1, Trainee 5, Junior 10, Off-ladder 20, Senior 50,
// Bot 100, Admin 150, Owner 255; the key owner is rank 100) and a test
// Discord.
type rFixture struct {
	db    *db.DB
	svc   *ranking.Service
	rbx   *robloxtest.Server
	dc    *discordtest.Server
	acct  int64
	other int64
	scope accounts.Scope
	group ranking.Group
}

func newRFixture(t testing.TB) *rFixture {
	t.Helper()
	d := db.New(testdb.New(t))
	box, err := secretbox.New(bytes.Repeat([]byte{9}, 32))
	if err != nil {
		t.Fatal(err)
	}
	f := &rFixture{db: d, rbx: robloxtest.New(t), dc: discordtest.New(t)}
	f.rbx.AddGroup(&robloxtest.Group{ID: rGroupID, Name: "Test Clan", BotRank: 100, Roles: []robloxtest.Role{
		{ID: "100", Name: "Guest", Rank: 0}, {ID: "101", Name: "Member", Rank: 1}, {ID: "105", Name: "Trainee", Rank: 5},
		{ID: "110", Name: "Junior", Rank: 10}, {ID: "120", Name: "Off-ladder", Rank: 20}, {ID: "150", Name: "Senior", Rank: 50},
		{ID: "200", Name: "Bot", Rank: 100}, {ID: "250", Name: "Admin", Rank: 150}, {ID: "255", Name: "Owner", Rank: 255}}})
	f.rbx.AddKey(rKey, robloxtest.Key{Write: true, ReadAudit: true})
	f.svc = ranking.NewService(d, box, ranking.Settings{
		Roblox:     roblox.Settings{APIURL: f.rbx.URL, UsersURL: f.rbx.URL, Backoff: func(int) time.Duration { return 10 * time.Millisecond }},
		DiscordURL: f.dc.URL,
	})
	acc := accounts.NewService(d)
	for _, p := range []struct {
		id          *int64
		name, email string
	}{{&f.acct, "Clan Owner", "owner@clan.test"}, {&f.other, "Other", "other@clan.test"}} {
		a, err := acc.Create(rctx, rActor, accounts.CreateInput{Name: p.name, Email: p.email})
		if err != nil {
			t.Fatal(err)
		}
		*p.id = a.ID
	}
	f.scope = accounts.Only(f.acct)
	f.group, err = f.svc.AddGroup(rctx, rActor, f.scope, ranking.GroupInput{RobloxGroupID: rGroupID, RobloxKey: rKey, Ceiling: 100,
		DiscordWebhook: f.dc.WebhookURL()})
	if err != nil {
		t.Fatal(err)
	}
	// The ladder: Member, Trainee, Junior, Senior (Off-ladder left out).
	f.group, err = f.svc.SetLadder(rctx, rActor, f.scope, f.group.ID, []ranking.LadderStep{{RoleID: "101"}, {RoleID: "105", PointsRequired: 10},
		{RoleID: "110", PointsRequired: 30}, {RoleID: "150", PointsRequired: 100}})
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// member puts a user in the test group with a role.
func (f *rFixture) member(userID int64, name, roleID string) {
	f.rbx.AddUser(rGroupID, userID, name, roleID)
}

func wantCode(t testing.TB, err error, code string) {
	t.Helper()
	if ranking.ErrorCode(err) != code {
		t.Fatalf("err = %v (code %q), want code %s", err, ranking.ErrorCode(err), code)
	}
}

// rankOf is a change's new rank, failing t on an error.
func rankOf(t testing.TB) func(ranking.Change, error) int {
	return func(c ranking.Change, err error) int {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return c.NewRole.Rank
	}
}
