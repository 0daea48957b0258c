package bot

import (
	"context"
	"strconv"

	"lumdesk/internal/bot/discord"
)

// Commands are the bot's slash commands as `lumdesk discord
// register-commands` registers them. Managers' commands default to
// members with Manage Server (Discord hides them from others; the bot
// checks member.permissions again, since a guild may override the
// default). Every command is guild-only: it acts for the guild's link.
func Commands() []discord.Command {
	manage := strconv.FormatInt(discord.PermManageGuild, 10)
	str := func(name, desc string, required bool, maxLen int) discord.CommandOption {
		return discord.CommandOption{Type: discord.OptionString, Name: name, Description: desc, Required: required, MaxLength: maxLen}
	}
	sub := func(name, desc string, opts ...discord.CommandOption) discord.CommandOption {
		return discord.CommandOption{Type: discord.OptionSubCommand, Name: name, Description: desc, Options: opts}
	}
	one, top := 1, 254
	rank := discord.CommandOption{Type: discord.OptionInteger, Name: "rank", Description: "The rank (1-254) to set", Required: true, MinValue: &one, MaxValue: &top}
	user := str("user", "The member's Roblox username", true, 20)
	guild := []int{0}
	return []discord.Command{
		{Name: "luarmor", Description: "Luarmor: link this server to a project and post its key panel", Type: 1,
			DefaultMemberPermissions: &manage, Contexts: guild, Options: []discord.CommandOption{
				sub("setup", "Link this server to a Luarmor project with a link code from lumdesk",
					str("project", "The project's id", true, 64), str("code", "The one-time link code", true, 100)),
				sub("panel", "Post the key panel (Redeem key, Reset HWID, Get script, Key info) in this channel"),
			}},
		{Name: "lumira", Description: "Lumira: link this server to a Roblox group", Type: 1,
			DefaultMemberPermissions: &manage, Contexts: guild, Options: []discord.CommandOption{
				sub("setup", "Link this server to a Lumira group with a link code from lumdesk",
					str("group", "The Roblox group ID", true, 32), str("code", "The one-time link code", true, 100),
					discord.CommandOption{Type: discord.OptionRole, Name: "rank_role", Description: "Members of this role may use /rank"}),
			}},
		{Name: "apikey", Description: "Lumira API keys of the group this server serves", Type: 1,
			DefaultMemberPermissions: &manage, Contexts: guild, Options: []discord.CommandOption{
				sub("create", "Create an API key (shown once)", str("name", "What the key is for", true, 100)),
				sub("list", "List the API keys (prefixes only)"),
				sub("revoke", "Revoke an API key", str("prefix", "The key's prefix as /apikey list shows it", true, 64)),
			}},
		{Name: "rank", Description: "Change a member's rank in the Roblox group", Type: 1, Contexts: guild, Options: []discord.CommandOption{
			sub("promote", "Promote a member one step up the ladder", user),
			sub("demote", "Demote a member one step down the ladder", user),
			sub("set", "Set a member's rank", user, rank),
		}},
	}
}

// RegisterCommands replaces the application's commands with Commands().
func (s *Service) RegisterCommands(ctx context.Context) ([]discord.Command, error) {
	return s.rest.OverwriteCommands(ctx, s.set.AppID, Commands())
}
