// Package discord is the endpoint Discord posts interactions to,
// POST /api/discord/interactions (the Interactions Endpoint URL of
// lumdesk's Discord application). internal/bot's Receive checks each
// request's X-Signature-Ed25519 over X-Signature-Timestamp + the raw body
// first, as Discord requires (it sends bad signatures on purpose and
// expects 401), then answers in Discord's interaction response format.
package discord

import (
	"errors"

	"github.com/gofiber/fiber/v2"

	"lumdesk/handlers/web"
	"lumdesk/internal/bot"
	wire "lumdesk/internal/bot/discord"
	"lumdesk/internal/staff"
)

// Path is the interactions endpoint.
const Path = "/api/discord/interactions"

// MaxBody is the largest interaction accepted (Discord's are a few KiB).
const MaxBody = 64 << 10

// API is the route group.
type API struct{ bot *bot.Service }

// New makes the route group.
func New(b *bot.Service) *API { return &API{bot: b} }

// Routes is the one endpoint; every request is signed, so it needs no session.
func (api *API) Routes(*web.App) []web.Route {
	return []web.Route{{Method: fiber.MethodPost, Path: Path, Perm: staff.PermPublic, Handler: api.interactions}}
}

// APIPrefix and WriteAPIError answer what the app refuses before the
// handler runs (web.APIErrorWriter): a NUL character or invalid UTF-8 in
// the body. Unsigned, that is the 401 Discord expects of a bad signature;
// signed, an ephemeral message the user sees, for Discord shows a bare 400
// as "This interaction failed".
func (api *API) APIPrefix() string { return Path }

func (api *API) WriteAPIError(c *fiber.Ctx, status int, msg string) error {
	if !api.bot.Authentic(c.Get("X-Signature-Ed25519"), c.Get("X-Signature-Timestamp"), c.Body()) {
		if status == fiber.StatusRequestEntityTooLarge || status >= 500 {
			return c.Status(status).JSON(fiber.Map{"error": msg})
		}
		return c.Status(fiber.StatusUnauthorized).JSON(fiber.Map{"error": bot.ErrBadSignature.Error()})
	}
	if status == fiber.StatusBadRequest {
		return c.JSON(wire.Response{Type: wire.ChannelMessageWithSource, Data: &wire.ResponseData{
			Content: "Your answer has characters lumdesk cannot keep (a NUL character or invalid UTF-8). Try again without them.",
			Flags:   wire.FlagEphemeral}})
	}
	return c.Status(status).JSON(fiber.Map{"error": msg})
}

func (api *API) interactions(c *fiber.Ctx) error {
	body := c.Body()
	if len(body) > MaxBody {
		return c.Status(fiber.StatusRequestEntityTooLarge).JSON(fiber.Map{"error": "interaction too large"})
	}
	resp, err := api.bot.Receive(c.UserContext(), c.Get("X-Signature-Ed25519"), c.Get("X-Signature-Timestamp"), body)
	switch {
	case errors.Is(err, bot.ErrOff):
		c.Set(fiber.HeaderRetryAfter, "3600")
		return c.Status(fiber.StatusServiceUnavailable).JSON(fiber.Map{"error": err.Error()})
	case errors.Is(err, bot.ErrBadSignature), errors.Is(err, bot.ErrReplayed):
		return c.Status(fiber.StatusUnauthorized).JSON(fiber.Map{"error": err.Error()})
	case errors.Is(err, bot.ErrNotInteraction):
		return c.Status(fiber.StatusBadRequest).JSON(fiber.Map{"error": err.Error()})
	case err != nil:
		return err
	}
	return c.JSON(resp)
}
