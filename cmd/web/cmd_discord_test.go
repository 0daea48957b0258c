package main

import (
	"context"
	"crypto/ed25519"
	"encoding/hex"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"lumdesk/internal/bot"
	"lumdesk/internal/bot/discord"
	"lumdesk/internal/bot/discord/discordtest"
)

const cliAppID = "1100000000000000042"

// discord register-commands: Discord's bulk overwrite with the bot token;
// without the DISCORD_* variables a clear error naming them.
func TestDiscordRegisterCommands(t *testing.T) {
	t.Parallel()
	c := newCLI(t)
	code, out, errOut := c.run("", "discord", "register-commands")
	if code != 1 || out != "" || strings.Count(strings.TrimSpace(errOut), "\n") != 0 {
		t.Fatalf("unconfigured: %d %q %q", code, out, errOut)
	}
	for _, v := range []string{"DISCORD_APP_ID", "DISCORD_PUBLIC_KEY", "DISCORD_BOT_TOKEN"} {
		if !strings.Contains(errOut, v) {
			t.Errorf("unconfigured: %q does not name %s", errOut, v)
		}
	}

	dc := discordtest.New(t, "cli-bot-token")
	pub, _, err := ed25519.GenerateKey(nil)
	if err != nil {
		t.Fatal(err)
	}
	// Only some of the three: the configuration is refused, naming them.
	c.env["DISCORD_APP_ID"] = cliAppID
	if code, _, errOut := c.run("", "discord", "register-commands"); code != 2 || !strings.Contains(errOut, "DISCORD_BOT_TOKEN") {
		t.Fatalf("partly configured: %d %q", code, errOut)
	}
	c.env["DISCORD_PUBLIC_KEY"], c.env["DISCORD_BOT_TOKEN"], c.env["DISCORD_API_URL"] = hex.EncodeToString(pub), "cli-bot-token", dc.URL
	c.env["PUBLIC_URL"] = "https://desk.example.test"

	code, out, errOut = c.run("", "discord", "register-commands")
	if code != 0 || !strings.Contains(out, "registered 4 commands") || !strings.Contains(out, "/apikey") ||
		!strings.Contains(out, "https://desk.example.test/api/discord/interactions") {
		t.Fatalf("register: %d %q %q", code, out, errOut)
	}
	got := dc.Commands(cliAppID)
	var names []string
	for _, cmd := range got {
		names = append(names, cmd.Name)
	}
	if want := []string{"luarmor", "lumira", "apikey", "rank"}; strings.Join(names, ",") != strings.Join(want, ",") {
		t.Fatalf("Discord has %v, want %v", names, want)
	}
	if len(got[2].Options) != len(bot.Commands()[2].Options) {
		t.Fatalf("/apikey arrived with %d subcommands", len(got[2].Options))
	}

	code, out, _ = c.run("", "discord", "register-commands", "--json")
	var js struct {
		ApplicationID string `json:"application_id"`
		Commands      []struct {
			ID   string `json:"id"`
			Name string `json:"name"`
		} `json:"commands"`
	}
	if code != 0 || json.Unmarshal([]byte(out), &js) != nil || js.ApplicationID != cliAppID || len(js.Commands) != 4 || js.Commands[3].Name != "rank" ||
		js.Commands[3].ID == "" {
		t.Fatalf("--json: %d %q", code, out)
	}

	// Discord refusing the token: exit 1 with its answer on one line.
	c.env["DISCORD_BOT_TOKEN"] = "wrong-token"
	code, _, errOut = c.run("", "discord", "register-commands")
	if code != 1 || !strings.Contains(errOut, "401") || strings.Count(strings.TrimSpace(errOut), "\n") != 0 {
		t.Fatalf("wrong token: %d %q", code, errOut)
	}
}

type linkCodeOut struct {
	Code          string `json:"code"`
	ExpiresAt     string `json:"expires_at"`
	Command       string `json:"command"`
	Project       string `json:"project"`
	Group         string `json:"group"`
	RobloxGroupID int64  `json:"roblox_group_id"`
}

// discord link-code: a code for a project or a group (by Roblox id, or
// grp_ id; --account when two accounts have the Roblox group) that
// /luarmor setup and /lumira setup accept; errors are one line, exit 2.
func TestDiscordLinkCode(t *testing.T) {
	t.Parallel()
	c := newCLI(t)
	for _, a := range [][]string{{"Owner", "owner@a.test"}, {"Other", "other@b.test"}} {
		if code, out, errOut := c.run("", "account", "create", "--name", a[0], "--email", a[1]); code != 0 {
			t.Fatalf("account create: %d %q %q", code, out, errOut)
		}
	}
	var prj struct {
		ID string `json:"id"`
	}
	code, out, errOut := c.run("", "project", "create", "--account", "owner@a.test", "--name", "Hub", "--json")
	if code != 0 || json.Unmarshal([]byte(out), &prj) != nil {
		t.Fatalf("project create: %d %q %q", code, out, errOut)
	}
	groups := map[string]string{}
	for _, acc := range []string{"owner@a.test", "other@b.test"} {
		var g lumiraGroupOut
		code, out, errOut := c.run("", "lumira", "group", "add", "--account", acc, "--group-id", "777", "--json")
		if code != 0 || json.Unmarshal([]byte(out), &g) != nil {
			t.Fatalf("group add: %d %q %q", code, out, errOut)
		}
		groups[acc] = g.ID
	}

	// A project's code, as JSON.
	before := time.Now()
	code, out, errOut = c.run("", "discord", "link-code", "--project", prj.ID, "--json")
	var pc linkCodeOut
	if code != 0 || json.Unmarshal([]byte(out), &pc) != nil || !strings.HasPrefix(pc.Code, "lnk_") || pc.Project != prj.ID || pc.Group != "" ||
		pc.Command != "/luarmor setup project:"+prj.ID+" code:"+pc.Code {
		t.Fatalf("project code: %d %q %q", code, out, errOut)
	}
	exp, err := time.Parse(time.RFC3339, pc.ExpiresAt)
	if err != nil || exp.Before(before.Add(bot.LinkCodeLife-time.Minute)) || exp.After(time.Now().Add(bot.LinkCodeLife+time.Minute)) {
		t.Fatalf("expires_at %q: %v", pc.ExpiresAt, err)
	}

	// Text: the code, its expiry and the exact command.
	code, out, errOut = c.run("", "discord", "link-code", "--project", prj.ID)
	if code != 0 || !strings.Contains(out, "lnk_") || !strings.Contains(out, "valid once until") || !strings.Contains(out, "/luarmor setup project:"+prj.ID+" code:lnk_") {
		t.Fatalf("text: %d %q %q", code, out, errOut)
	}

	// A group by Roblox id, which two accounts have: --account says whose.
	code, _, errOut = c.run("", "discord", "link-code", "--group", "777")
	if code != 2 || !strings.Contains(errOut, "--account") || !strings.Contains(errOut, "grp_") || strings.Count(strings.TrimSpace(errOut), "\n") != 0 {
		t.Fatalf("ambiguous group: %d %q", code, errOut)
	}
	code, out, errOut = c.run("", "discord", "link-code", "--group", "777", "--account", "other@b.test", "--json")
	var gc linkCodeOut
	if code != 0 || json.Unmarshal([]byte(out), &gc) != nil || gc.Group != groups["other@b.test"] || gc.RobloxGroupID != 777 || gc.Project != "" ||
		gc.Command != "/lumira setup group:777 code:"+gc.Code {
		t.Fatalf("group code: %d %q %q", code, out, errOut)
	}
	code, out, errOut = c.run("", "discord", "link-code", "--group", groups["owner@a.test"], "--json")
	var oc linkCodeOut
	if code != 0 || json.Unmarshal([]byte(out), &oc) != nil || oc.Group != groups["owner@a.test"] {
		t.Fatalf("group by id: %d %q %q", code, out, errOut)
	}

	for _, tc := range []struct {
		args []string
		want string
	}{
		{nil, "--project"},
		{[]string{"--project", prj.ID, "--group", "777"}, "not both"},
		{[]string{"--project", "prj_nope"}, "no Luarmor project prj_nope"},
		{[]string{"--project", prj.ID, "--account", "other@b.test"}, "no Luarmor project"},
		{[]string{"--group", "778"}, "no Lumira group 778"},
		{[]string{"--group", groups["owner@a.test"], "--account", "other@b.test"}, "no Lumira group"},
		{[]string{"--project", prj.ID, "--account", "nobody@x.test"}, "no account"},
		{[]string{"--project", prj.ID, "extra"}, "unexpected argument"},
	} {
		code, out, errOut := c.run("", append([]string{"discord", "link-code"}, tc.args...)...)
		if code != 2 || out != "" || !strings.Contains(errOut, tc.want) || strings.Count(strings.TrimSpace(errOut), "\n") != 0 {
			t.Errorf("%v: exit %d, stdout %q, stderr %q; want 2 saying %q", tc.args, code, out, errOut, tc.want)
		}
	}
	if code, out, _ := c.run("", "discord", "link-code", "--help"); code != 0 || !strings.Contains(out, "--group") {
		t.Fatalf("help: %d %q", code, out)
	}
	if code, _, errOut := c.run("", "discord"); code != 2 || !strings.Contains(errOut, "link-code|register-commands") {
		t.Fatalf("missing verb: %d %q", code, errOut)
	}
	if code, out, _ := c.run("", "help"); code != 0 || !strings.Contains(out, "discord") {
		t.Fatalf("help lists discord: %d %q", code, out)
	}

	// The codes work in Discord, once, for their own target; made by the CLI.
	d := openDB(t, c)
	b := bot.New(d, bot.Settings{Mode: bot.ModeSandbox, AppID: "sandbox"}, nil, bot.Deps{})
	setup := func(cmd string, opts ...discord.Option) string {
		in := discord.Interaction{ID: "1", ApplicationID: "sandbox", Type: discord.ApplicationCommand, GuildID: "900000000000000001",
			Token: "t-" + cmd, Version: 1, Member: &discord.Member{User: &discord.User{ID: "100000000000000001", Username: "manager"},
				Permissions: "32", Roles: []string{}},
			Data: &discord.Data{ID: "1", Name: cmd, Type: 1, Options: []discord.Option{{Name: "setup", Type: discord.OptionSubCommand, Options: opts}}}}
		r := b.Interact(context.Background(), in)
		if r.Data == nil {
			t.Fatalf("%s: %+v", cmd, r)
		}
		return r.Data.Content
	}
	str := func(name, v string) discord.Option {
		raw, _ := json.Marshal(v)
		return discord.Option{Name: name, Type: discord.OptionString, Value: raw}
	}
	if got := setup("luarmor", str("project", prj.ID), str("code", pc.Code)); !strings.Contains(got, "now serves the Luarmor project **Hub**") {
		t.Fatalf("/luarmor setup: %q", got)
	}
	if got := setup("lumira", str("group", groups["other@b.test"]), str("code", oc.Code)); !strings.Contains(got, "not valid") {
		t.Fatalf("another group's code: %q", got)
	}
	if got := setup("lumira", str("group", groups["owner@a.test"]), str("code", oc.Code)); !strings.Contains(got, "now serves the Lumira group") {
		t.Fatalf("/lumira setup: %q", got)
	}
	var by string
	if err := d.Pool.QueryRow(context.Background(), "SELECT created_by FROM bot_link_codes WHERE used_at IS NOT NULL ORDER BY id LIMIT 1").Scan(&by); err != nil ||
		by != "cli:lumdesk discord link-code" {
		t.Fatalf("created_by %q %v", by, err)
	}
}
