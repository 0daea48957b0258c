package config

import (
	"fmt"
	"net/url"
	"strings"

	"lumdesk/internal/bot/discord"
)

// loadDiscord reads lumdesk's own Discord application (the bot). The three
// credentials come together or not at all: without them the bot is off
// (or a sandbox in demo mode), and the console says how to set it up.
func loadDiscord(c *Config, get func(name, def string) string) error {
	c.DiscordAppID = get("DISCORD_APP_ID", "")
	c.DiscordPublicKey = get("DISCORD_PUBLIC_KEY", "")
	c.DiscordBotToken = get("DISCORD_BOT_TOKEN", "")
	raw := strings.TrimRight(get("DISCORD_API_URL", discord.DefaultAPIURL), "/")
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" || u.User != nil {
		return fmt.Errorf("DISCORD_API_URL: %q is not an http(s) base URL", raw)
	}
	c.DiscordAPIURL = raw
	set := 0
	for _, v := range []string{c.DiscordAppID, c.DiscordPublicKey, c.DiscordBotToken} {
		if v != "" {
			set++
		}
	}
	switch {
	case set == 0:
		return nil
	case set < 3:
		return fmt.Errorf("DISCORD_APP_ID, DISCORD_PUBLIC_KEY and DISCORD_BOT_TOKEN must be set together (the bot needs all three)")
	}
	if strings.Trim(c.DiscordAppID, "0123456789") != "" || len(c.DiscordAppID) > 20 {
		return fmt.Errorf("DISCORD_APP_ID: %q is not a Discord application id (digits)", c.DiscordAppID)
	}
	if _, ok := discord.ParsePublicKey(c.DiscordPublicKey); !ok {
		return fmt.Errorf("DISCORD_PUBLIC_KEY: not an Ed25519 public key (64 hex characters, as the developer portal shows it)")
	}
	return nil
}

// DiscordConfigured says whether the bot's credentials are set.
func (c Config) DiscordConfigured() bool { return c.DiscordAppID != "" }
