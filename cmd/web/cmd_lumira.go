package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"

	"lumdesk/internal/accounts"
	"lumdesk/internal/audit"
	"lumdesk/internal/ranking"
)

// runLumira is scripted Lumira set-up: groups, through the same
// ranking.Service the console and the API call.
func runLumira(ctx context.Context, e *env, args []string) error {
	return subcommand(e, "lumira", args, map[string]func([]string) error{
		"group": func(args []string) error { return runLumiraGroup(ctx, e, args) },
	})
}

func runLumiraGroup(ctx context.Context, e *env, args []string) error {
	return subcommand(e, "lumira group", args, map[string]func([]string) error{
		"add": func(args []string) error {
			fs := newFlags(e, "lumira group add",
				"lumira group add --account ID|EMAIL --group-id N [--roblox-key-stdin] [--ceiling R] [--discord-webhook URL] [--json]")
			account := fs.String("account", "", "account id or email the group belongs to (required)")
			groupID := fs.Int64("group-id", 0, "the Roblox group ID (required)")
			keyStdin := fs.Bool("roblox-key-stdin", false, "read the group's Roblox Open Cloud API key from the first line of standard input; without it the group is a sandbox group")
			ceiling := fs.Int("ceiling", 0, "the rank of the integration's Roblox account: only ranks strictly below it are assigned (default 255 with a key, 250 in the sandbox)")
			webhook := fs.String("discord-webhook", "", "Discord webhook URL the group's rank changes are logged to")
			asJSON := fs.Bool("json", false, "print the new group as JSON")
			if err := parseFlags(fs, args); err != nil {
				return err
			}
			switch {
			case *account == "":
				return usagef("--account is required")
			case *groupID <= 0:
				return usagef("--group-id is required (the Roblox group ID, a positive number)")
			}
			key := ""
			if *keyStdin {
				line, err := bufio.NewReader(e.stdin).ReadString('\n')
				if err != nil && !errors.Is(err, io.EOF) {
					return err
				}
				if key = strings.TrimSpace(line); key == "" {
					return usagef("--roblox-key-stdin: standard input's first line is empty (paste the Open Cloud API key)")
				}
			}
			svc, err := e.services(ctx, true)
			if err != nil {
				return err
			}
			defer svc.Close()
			acc, err := resolveMailAccount(ctx, svc, *account)
			if err != nil {
				return err
			}
			g, err := svc.Ranking.AddGroup(ctx, audit.CLI("lumdesk lumira group add"), accounts.AllAccounts, ranking.GroupInput{
				AccountID: &acc.ID, RobloxGroupID: *groupID, RobloxKey: key, Ceiling: *ceiling, DiscordWebhook: *webhook})
			if err := rankingUsage(err, map[string]string{"account": "--account", "group_id": "--group-id", "roblox_key": "--roblox-key-stdin",
				"ceiling": "--ceiling", "discord_webhook": "--discord-webhook"}); err != nil {
				return err
			}
			if g.Status == ranking.StatusKeyInvalid {
				fmt.Fprintf(e.stderr, "lumdesk lumira group add: warning: Roblox refused the key (%s); the group was added as key_invalid, set a working key in the console\n", g.StatusMessage)
			}
			if *asJSON {
				return json.NewEncoder(e.stdout).Encode(lumiraGroupJSON(g))
			}
			kind := "Roblox group"
			if g.Sandbox {
				kind = "sandbox group"
			}
			fmt.Fprintf(e.stdout, "added Lumira %s %s %q (Roblox id %d) for account %d (%s): %s, ceiling %d, %d ladder roles, Discord webhook %s\n",
				kind, g.ID, g.Name, g.RobloxGroupID, acc.ID, acc.Email, g.Status, g.Ceiling, len(g.Ladder()), g.Webhook.Status)
			fmt.Fprintf(e.stdout, "next: lumdesk apikey create --product lumira --account %d --scopes ranking:read,ranking:write,notify:send\n", acc.ID)
			return nil
		},
	})
}

func lumiraGroupJSON(g ranking.Group) map[string]any {
	ladder := make([]map[string]any, 0)
	for _, r := range g.Ladder() {
		ladder = append(ladder, map[string]any{"role_id": r.ID, "name": r.Name, "rank": r.Rank, "points_required": r.PointsRequired, "assignable": r.Assignable})
	}
	return map[string]any{"id": g.ID, "account_id": g.AccountID, "roblox_group_id": g.RobloxGroupID, "name": g.Name, "sandbox": g.Sandbox,
		"status": g.Status, "status_message": g.StatusMessage, "ceiling": g.Ceiling, "webhook_status": g.Webhook.Status,
		"roles": len(g.Roles), "ladder": ladder}
}

// rankingUsage turns the service's field errors into one usage line naming
// the flags; other errors pass unchanged (Roblox failing: exit 1).
func rankingUsage(err error, flags map[string]string) error {
	var fe ranking.ValidationError
	if err == nil || !errors.As(err, &fe) {
		return err
	}
	keys := make([]string, 0, len(fe))
	for k := range fe {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		f := flags[k]
		if f == "" {
			f = k
		}
		parts[i] = f + ": " + fe[k]
	}
	return usageError{strings.Join(parts, "; ")}
}
