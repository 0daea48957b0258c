package demo

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"lumdesk/internal/accounts"
	"lumdesk/internal/bot"
	"lumdesk/internal/bot/discord"
	"lumdesk/internal/licensing"
	"lumdesk/internal/platform/ids"
	"lumdesk/internal/ranking"
)

// DiscordKeyNote marks the Nightfall key left unredeemed for the Discord
// sandbox: redeem it with the panel's Redeem key button (the console's
// key list finds it by this note).
const DiscordKeyNote = "Discord sandbox: redeem me with the panel"

// seedBot links the sandbox's demo guild (bot.DemoGuildID) to Nightfall's
// Luarmor project and Lumira group, the way a server manager would: a
// link code, then /luarmor setup and /lumira setup (with the demo rank
// role) as the demo "manager"; and leaves one unredeemed, 30-day key in
// the project for the sandbox console's Redeem key.
func seedBot(ctx context.Context, d Deps) error {
	if d.Bot == nil || d.Licensing == nil || d.Accounts == nil {
		return nil
	}
	acc, err := d.Accounts.GetByEmail(ctx, "ops@nightfall.gg")
	if errors.Is(err, accounts.ErrNotFound) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("demo bot: %w", err)
	}
	scope := accounts.Only(acc.ID)
	p, found, err := d.Licensing.FindProject(ctx, acc.ID, "Nightfall Hub")
	if err != nil || !found {
		return err
	}
	links, err := d.Bot.ListLinks(ctx, bot.LinkFilter{Scope: scope})
	if err != nil {
		return fmt.Errorf("demo bot links: %w", err)
	}
	linked := map[string]bool{}
	for _, l := range links {
		if l.GuildID == bot.DemoGuildID {
			linked[l.Area] = true
		}
	}
	if !linked[bot.AreaLicensing] {
		if err := demoSetup(ctx, d.Bot, scope, bot.AreaLicensing, p.ID, ""); err != nil {
			return err
		}
	}
	if d.Ranking != nil && !linked[bot.AreaRanking] {
		groups, err := d.Ranking.ListGroups(ctx, ranking.GroupFilter{Scope: scope, Limit: 1})
		if err != nil {
			return fmt.Errorf("demo bot: %w", err)
		}
		if len(groups) > 0 {
			if err := demoSetup(ctx, d.Bot, scope, bot.AreaRanking, groups[0].ID, bot.DemoRankRoleID); err != nil {
				return err
			}
		}
	}
	have, err := d.Licensing.ListKeys(ctx, licensing.KeyFilter{ProjectID: p.ID, Search: DiscordKeyNote, Limit: 1})
	if err != nil {
		return fmt.Errorf("demo bot key: %w", err)
	}
	if len(have.Keys) == 0 {
		days := 30
		if _, err := d.Licensing.CreateKey(ctx, actor, p.ID, licensing.KeyInput{Note: DiscordKeyNote, KeyDays: &days}); err != nil {
			return fmt.Errorf("demo bot key: %w", err)
		}
	}
	return nil
}

// demoSetup links the demo guild to a project or group through the bot,
// as the demo manager typing the setup command with a fresh link code.
func demoSetup(ctx context.Context, b *bot.Service, scope accounts.Scope, area, ref, rankRole string) error {
	code, err := b.NewLinkCode(ctx, actor, scope, area, ref)
	if err != nil {
		return fmt.Errorf("demo bot link code: %w", err)
	}
	str := func(name, v string) discord.Option {
		raw, _ := json.Marshal(v)
		return discord.Option{Name: name, Type: discord.OptionString, Value: raw}
	}
	sub := discord.Option{Name: "setup", Type: discord.OptionSubCommand}
	name := "luarmor"
	if area == bot.AreaRanking {
		name = "lumira"
		sub.Options = []discord.Option{str("group", strconv.FormatInt(code.RobloxID, 10)), str("code", code.Code)}
		if rankRole != "" {
			sub.Options = append(sub.Options, discord.Option{Name: "rank_role", Type: discord.OptionRole, Value: mustJSON(rankRole)})
		}
	} else {
		sub.Options = []discord.Option{str("project", code.TargetID), str("code", code.Code)}
	}
	manager, _ := bot.SandboxUserByKey("manager")
	in := discord.Interaction{ID: strconv.FormatInt(time.Now().UnixNano(), 10), Type: discord.ApplicationCommand,
		Data: &discord.Data{Name: name, Type: 1, Options: []discord.Option{sub}}, GuildID: bot.DemoGuildID, ChannelID: "900000000000000002",
		Member: &discord.Member{User: &discord.User{ID: manager.ID, Username: manager.Username}, Roles: manager.Roles, Permissions: manager.Permissions},
		Token:  "seed_" + ids.Token(24), Version: 1}
	// The sandbox signs it like Discord; a bot in another mode (a real
	// application, or off) is asked directly, without a signature.
	var resp discord.Response
	if b.Mode() == bot.ModeSandbox {
		resp, err = b.SandboxSend(ctx, in)
		if err != nil {
			return fmt.Errorf("demo bot %s setup: %w", name, err)
		}
	} else {
		resp = b.Interact(ctx, in)
	}
	links, err := b.ListLinks(ctx, bot.LinkFilter{Scope: scope})
	if err != nil {
		return err
	}
	for _, l := range links {
		if l.GuildID == bot.DemoGuildID && l.Area == area {
			return nil
		}
	}
	msg := ""
	if resp.Data != nil {
		msg = resp.Data.Content
	}
	return fmt.Errorf("demo bot: /%s setup did not link the demo guild: %s", name, msg)
}

func mustJSON(v any) json.RawMessage {
	b, _ := json.Marshal(v)
	return b
}
