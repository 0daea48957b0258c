package config

import (
	"fmt"
	"net/url"
	"strings"
)

// loadLumira reads where Lumira reaches Roblox and which Discord base URL
// webhook URLs may point at besides discord.com.
func loadLumira(c *Config, get func(name, def string) string) error {
	for _, v := range []struct {
		name string
		dst  *string
		def  string
	}{
		{"ROBLOX_API_URL", &c.RobloxAPIURL, "https://apis.roblox.com"},
		{"ROBLOX_USERS_URL", &c.RobloxUsersURL, "https://users.roblox.com"},
		{"LUMIRA_DISCORD_URL", &c.LumiraDiscordURL, "https://discord.com"},
	} {
		raw := strings.TrimRight(get(v.name, v.def), "/")
		u, err := url.Parse(raw)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" || u.User != nil {
			return fmt.Errorf("%s: %q is not an http(s) base URL", v.name, raw)
		}
		*v.dst = raw
	}
	return nil
}
