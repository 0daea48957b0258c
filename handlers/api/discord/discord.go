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
