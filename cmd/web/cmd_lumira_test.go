package main

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"lumdesk/internal/ranking/discord/discordtest"
	"lumdesk/internal/ranking/roblox/robloxtest"
)

type lumiraGroupOut struct {
	ID            string `json:"id"`
	AccountID     int64  `json:"account_id"`
	RobloxGroupID int64  `json:"roblox_group_id"`
	Name          string `json:"name"`
	Sandbox       bool   `json:"sandbox"`
	Status        string `json:"status"`
	Ceiling       int    `json:"ceiling"`
	WebhookStatus string `json:"webhook_status"`
	Roles         int    `json:"roles"`
	Ladder        []struct {
		Rank       int  `json:"rank"`
		Assignable bool `json:"assignable"`
	} `json:"ladder"`
}

// lumira group add: a sandbox group without a key; a real group read from
// the (test) Roblox with the key from stdin and a Discord webhook; a key
// Roblox refuses; usage errors exit 2 naming the flag.
func TestLumiraGroupAdd(t *testing.T) {
	t.Parallel()
	c := newCLI(t)
	rbx := robloxtest.New(t)
	dc := discordtest.New(t)
	rbx.AddGroup(&robloxtest.Group{ID: 4242, Name: "Test Clan", BotRank: 100, Roles: []robloxtest.Role{
		{ID: "100", Name: "Guest", Rank: 0}, {ID: "101", Name: "Member", Rank: 1}, {ID: "105", Name: "Trainee", Rank: 5},
		{ID: "200", Name: "Bot", Rank: 100}, {ID: "255", Name: "Owner", Rank: 255}}})
	rbx.AddKey("rbx-cli-key", robloxtest.Key{Write: true})
	c.env["ROBLOX_API_URL"], c.env["ROBLOX_USERS_URL"], c.env["LUMIRA_DISCORD_URL"] = rbx.URL, rbx.URL, dc.URL
	if code, out, errOut := c.run("", "account", "create", "--name", "Clan Owner", "--email", "owner@clan.test"); code != 0 {
		t.Fatalf("account create: %d %q %q", code, out, errOut)
	}

	code, out, errOut := c.run("", "lumira", "group", "add", "--account", "owner@clan.test", "--group-id", "777", "--json")
	var sb lumiraGroupOut
	if code != 0 || json.Unmarshal([]byte(out), &sb) != nil || !sb.Sandbox || sb.Status != "sandbox" || sb.Ceiling != 250 || sb.RobloxGroupID != 777 ||
		!strings.HasPrefix(sb.ID, "grp_") || len(sb.Ladder) == 0 || sb.WebhookStatus != "none" {
		t.Fatalf("sandbox: %d %q %q", code, out, errOut)
	}

	code, out, errOut = c.run("rbx-cli-key\n", "lumira", "group", "add", "--account", "owner@clan.test", "--group-id", "4242",
		"--roblox-key-stdin", "--ceiling", "100", "--discord-webhook", dc.WebhookURL(), "--json")
	var g lumiraGroupOut
	if code != 0 || json.Unmarshal([]byte(out), &g) != nil || g.Sandbox || g.Status != "connected" || g.Name != "Test Clan" || g.Ceiling != 100 ||
		g.WebhookStatus != "ok" || g.Roles != 5 || len(g.Ladder) != 3 || g.Ladder[0].Rank != 1 || g.Ladder[1].Rank != 5 ||
		!g.Ladder[1].Assignable || g.Ladder[2].Assignable || g.AccountID != sb.AccountID {
		t.Fatalf("real group: %d %q %q", code, out, errOut)
	}

	// The key is sealed: it is not in the database in clear.
	d := openDB(t, c)
	var n int
	if err := d.Pool.QueryRow(context.Background(), "SELECT count(*) FROM lumira_groups WHERE position('rbx-cli-key' in encode(key_sealed, 'escape')) > 0").Scan(&n); err != nil || n != 0 {
		t.Fatalf("key in clear: %d %v", n, err)
	}
	var label string
	if err := d.Pool.QueryRow(context.Background(), "SELECT actor_label FROM audit_events WHERE action = 'lumira_group.create' AND entity_id = $1", g.ID).Scan(&label); err != nil || label != "lumdesk lumira group add" {
		t.Fatalf("audit: %q %v", label, err)
	}

	// Text output, and a key Roblox refuses: added as key_invalid with a warning.
	code, out, errOut = c.run("wrong-key\n", "lumira", "group", "add", "--account", "1", "--group-id", "4243", "--roblox-key-stdin")
	if code != 0 || !strings.Contains(out, "key_invalid") || !strings.Contains(errOut, "warning") || !strings.Contains(out, "apikey create --product lumira") {
		t.Fatalf("refused key: %d %q %q", code, out, errOut)
	}

	for _, tc := range []struct {
		stdin string
		args  []string
		want  string
	}{
		{"", []string{"--group-id", "1"}, "--account"},
		{"", []string{"--account", "owner@clan.test"}, "--group-id"},
		{"", []string{"--account", "nobody@x.test", "--group-id", "5"}, "no account"},
		{"", []string{"--account", "owner@clan.test", "--group-id", "777"}, "--group-id"},
		{"", []string{"--account", "owner@clan.test", "--group-id", "778", "--ceiling", "300"}, "--ceiling"},
		{"", []string{"--account", "owner@clan.test", "--group-id", "779", "--discord-webhook", "https://evil.example/api/webhooks/1/x"}, "--discord-webhook"},
		{"\n", []string{"--account", "owner@clan.test", "--group-id", "780", "--roblox-key-stdin"}, "--roblox-key-stdin"},
		{"rbx-cli-key\n", []string{"--account", "owner@clan.test", "--group-id", "999999", "--roblox-key-stdin"}, "--group-id"},
		{"", []string{"--account", "owner@clan.test", "--group-id", "x"}, "group-id"},
	} {
		code, _, errOut := c.run(tc.stdin, append([]string{"lumira", "group", "add"}, tc.args...)...)
		if code != 2 || !strings.Contains(errOut, tc.want) || strings.Count(strings.TrimSpace(errOut), "\n") != 0 {
			t.Errorf("%v: exit %d, stderr %q; want 2 naming %s", tc.args, code, errOut, tc.want)
		}
	}
	if code, out, _ := c.run("", "lumira", "group", "add", "--help"); code != 0 || !strings.Contains(out, "--roblox-key-stdin") {
		t.Fatalf("help: %d %q", code, out)
	}
	if code, _, _ := c.run("", "lumira", "group"); code != 2 {
		t.Fatalf("missing verb: %d", code)
	}
	var groups int
	if err := d.Pool.QueryRow(context.Background(), "SELECT count(*) FROM lumira_groups").Scan(&groups); err != nil || groups != 3 {
		t.Fatalf("%d groups: %v", groups, err)
	}
}
