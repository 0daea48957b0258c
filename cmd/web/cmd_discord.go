package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"lumdesk/internal/accounts"
	"lumdesk/internal/audit"
	"lumdesk/internal/bot"
	"lumdesk/internal/platform/apperr"
)

// runDiscord is the Discord bot's set-up: registering its slash commands
// with Discord, and the one-time codes that link a guild to a Luarmor
// project or a Lumira group.
func runDiscord(ctx context.Context, e *env, args []string) error {
	return subcommand(e, "discord", args, map[string]func([]string) error{
		"register-commands": func(args []string) error { return runDiscordRegister(ctx, e, args) },
		"link-code":         func(args []string) error { return runDiscordLinkCode(ctx, e, args) },
	})
}

// runDiscordRegister replaces the application's slash commands with the
// bot's (Discord's bulk overwrite), as after a deploy that changed them.
func runDiscordRegister(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "discord register-commands", "discord register-commands [--json]")
	asJSON := fs.Bool("json", false, "print the registered commands as JSON")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if !e.cfg.DiscordConfigured() {
		return errors.New("the Discord bot is not configured: set DISCORD_APP_ID, DISCORD_PUBLIC_KEY and DISCORD_BOT_TOKEN " +
			"(from the Discord developer portal; DISCORD_API_URL defaults to https://discord.com/api/v10)")
	}
	svc, err := e.services(ctx, true)
	if err != nil {
		return err
	}
	defer svc.Close()
	cmds, err := svc.Bot.RegisterCommands(ctx)
	if err != nil {
		return fmt.Errorf("register the commands with Discord: %w", err)
	}
	if *asJSON {
		out := make([]map[string]any, len(cmds))
		for i, c := range cmds {
			out[i] = map[string]any{"id": c.ID, "name": c.Name}
		}
		return json.NewEncoder(e.stdout).Encode(map[string]any{"application_id": e.cfg.DiscordAppID, "commands": out})
	}
	names := make([]string, len(cmds))
	for i, c := range cmds {
		names[i] = "/" + c.Name
	}
	fmt.Fprintf(e.stdout, "registered %d commands for Discord application %s: %s\n", len(cmds), e.cfg.DiscordAppID, strings.Join(names, ", "))
	fmt.Fprintf(e.stdout, "the application's Interactions Endpoint URL must be %s/api/discord/interactions\n", strings.TrimRight(e.cfg.PublicURL, "/"))
	return nil
}

// runDiscordLinkCode makes a one-time code that links a Discord server to a
// project (--project) or a group (--group), and prints the command to type.
func runDiscordLinkCode(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "discord link-code", "discord link-code --project ID | --group ROBLOX_GROUP_ID|grp_ID [--account ID|EMAIL] [--json]")
	project := fs.String("project", "", "the Luarmor project's id the Discord server will serve")
	group := fs.String("group", "", "the Lumira group the Discord server will serve: its Roblox group ID, or its id (grp_...)")
	account := fs.String("account", "", "the account the project or group belongs to (when several accounts have the Roblox group)")
	asJSON := fs.Bool("json", false, "print the code as JSON")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	*project, *group = strings.TrimSpace(*project), strings.TrimSpace(*group)
	area, ref, flagName := bot.AreaLicensing, *project, "--project"
	switch {
	case *project == "" && *group == "":
		return usagef("give --project ID (a Luarmor project) or --group ROBLOX_GROUP_ID (a Lumira group)")
	case *project != "" && *group != "":
		return usagef("give either --project or --group, not both: a code links one project or one group")
	case *group != "":
		area, ref, flagName = bot.AreaRanking, *group, "--group"
	}
	svc, err := e.services(ctx, true)
	if err != nil {
		return err
	}
	defer svc.Close()
	scope := accounts.AllAccounts
	if *account != "" {
		acc, err := resolveMailAccount(ctx, svc, *account)
		if err != nil {
			return err
		}
		scope = accounts.Only(acc.ID)
	}
	code, err := svc.Bot.NewLinkCode(ctx, audit.CLI("lumdesk discord link-code"), scope, area, ref)
	var fe apperr.FieldErrors
	var nf interface{ NotFound() bool }
	switch {
	case errors.As(err, &fe):
		msg := strings.TrimPrefix(fe.Error(), "invalid input: group: ")
		if area == bot.AreaRanking && fe["group"] != "" {
			msg += ", or say which account with --account"
		}
		return usagef("%s: %s", flagName, msg)
	case errors.As(err, &nf) && nf.NotFound():
		what := "no Luarmor project " + ref
		if area == bot.AreaRanking {
			what = "no Lumira group " + ref
		}
		if *account != "" {
			what += " in that account"
		}
		return usagef("%s: %s", flagName, what)
	case err != nil:
		return err
	}
	if *asJSON {
		out := map[string]any{"code": code.Code, "expires_at": code.ExpiresAt.UTC().Format(time.RFC3339), "command": code.Command, "name": code.Target}
		if area == bot.AreaLicensing {
			out["project"] = code.TargetID
		} else {
			out["group"], out["roblox_group_id"] = code.TargetID, code.RobloxID
		}
		return json.NewEncoder(e.stdout).Encode(out)
	}
	what := fmt.Sprintf("Luarmor project %s %q", code.TargetID, code.Target)
	if area == bot.AreaRanking {
		what = fmt.Sprintf("Lumira group %s %q (Roblox group %d)", code.TargetID, code.Target, code.RobloxID)
	}
	fmt.Fprintf(e.stdout, "link code for %s, valid once until %s:\n  %s\n", what, code.ExpiresAt.UTC().Format("2006-01-02 15:04 MST"), code.Code)
	fmt.Fprintf(e.stdout, "in the Discord server, a member with Manage Server types:\n  %s\n", code.Command)
	return nil
}
