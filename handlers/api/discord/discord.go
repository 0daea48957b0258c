// Package discord is the endpoint Discord posts interactions to,
// POST /api/discord/interactions (the Interactions Endpoint URL of
// lumdesk's Discord application). Every request's X-Signature-Ed25519 over
// X-Signature-Timestamp + the raw body is verified first, as Discord
// requires (it sends bad signatures on purpose and expects 401); the
// verified interaction goes to internal/bot, which answers in Discord's
// interaction response format.
package discord

import (
	"encoding/json"
	"time"

	"github.com/gofiber/fiber/v2"

	"lumdesk/handlers/web"
	"lumdesk/internal/bot"
	"lumdesk/internal/bot/discord"
	"lumdesk/internal/staff"
)

// Path is the interactions endpoint.
const Path = "/api/discord/interactions"

// MaxBody is the largest interaction accepted (Discord's are a few KiB).
const MaxBody = 64 << 10

// maxSkew is how far a request's signed timestamp may be from our clock:
// a captured request cannot be replayed later.
const maxSkew = 5 * time.Minute

// API is the route group.
type API struct{ bot *bot.Service }

// New makes the route group.
func New(b *bot.Service) *API { return &API{bot: b} }

// Routes is the one endpoint; every request is signed, so it needs no session.
func (api *API) Routes(*web.App) []web.Route {
	return []web.Route{{Method: fiber.MethodPost, Path: Path, Perm: staff.PermPublic, Handler: api.interactions}}
}

func (api *API) interactions(c *fiber.Ctx) error {
	if api.bot.Mode() == bot.ModeOff {
		c.Set(fiber.HeaderRetryAfter, "3600")
		return c.Status(fiber.StatusServiceUnavailable).JSON(fiber.Map{"error": "the Discord bot is not configured (DISCORD_APP_ID, DISCORD_PUBLIC_KEY, DISCORD_BOT_TOKEN)"})
	}
	body := c.Body()
	if len(body) > MaxBody {
		return c.Status(fiber.StatusRequestEntityTooLarge).JSON(fiber.Map{"error": "interaction too large"})
	}
	ts := c.Get("X-Signature-Timestamp")
	if !api.bot.Verify(c.Get("X-Signature-Ed25519"), ts, body) || !fresh(ts) {
		return c.Status(fiber.StatusUnauthorized).JSON(fiber.Map{"error": "invalid request signature"})
	}
	var in discord.Interaction
	if err := json.Unmarshal(body, &in); err != nil || in.Type == 0 {
		return c.Status(fiber.StatusBadRequest).JSON(fiber.Map{"error": "not an interaction"})
	}
	return c.JSON(api.bot.Interact(c.UserContext(), in))
}

// fresh says whether a signed timestamp (Unix seconds) is near now.
func fresh(ts string) bool {
	var sec int64
	if err := json.Unmarshal([]byte(ts), &sec); err != nil {
		return false
	}
	d := time.Since(time.Unix(sec, 0))
	return d < maxSkew && d > -maxSkew
}
