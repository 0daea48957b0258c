package lumora

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/utils"

	"lumdesk/handlers/api/apikit"
	"lumdesk/internal/accounts"
	"lumdesk/internal/apikeys"
	"lumdesk/internal/audit"
	"lumdesk/internal/mail/webhooks"
)

// Webhooks is what the API needs of the webhooks service.
type Webhooks interface {
	CreateEndpoint(ctx context.Context, actor audit.Actor, scope accounts.Scope, appID int64, in webhooks.EndpointInput) (webhooks.CreatedEndpoint, error)
	ListEndpoints(ctx context.Context, scope accounts.Scope, appID int64) ([]webhooks.Endpoint, error)
	GetEndpoint(ctx context.Context, scope accounts.Scope, id string) (webhooks.Endpoint, error)
	DeleteEndpoint(ctx context.Context, actor audit.Actor, scope accounts.Scope, id string) error
}

// WithWebhooks serves /v1/webhooks over w.
func (api *API) WithWebhooks(w Webhooks) *API {
	api.webhooks = w
	return api
}

var webhookFields = []string{"url", "events"}

func endpointJSON(e webhooks.Endpoint) fiber.Map {
	return fiber.Map{"id": e.ID, "url": e.URL, "events": e.Events, "createdAt": rfc3339(e.CreatedAt)}
}

// createWebhook is POST /v1/webhooks {"url", "events"}: 201 with the
// endpoint and its signing secret, which is shown this once.
func (api *API) createWebhook(c *fiber.Ctx, k apikeys.Key, appID int64) error {
	if !jsonBody(c) {
		return writeErr(c, fiber.StatusUnsupportedMediaType, CodeUnsupportedMedia, "Content-Type must be application/json.")
	}
	fields, err := readObject(c.Body())
	if err != nil {
		return writeErr(c, fiber.StatusBadRequest, CodeInvalidJSON, err.Error())
	}
	var in webhooks.EndpointInput
	for name, v := range fields {
		switch name {
		case "url":
			if json.Unmarshal(v, &in.URL) != nil {
				return writeErr(c, fiber.StatusUnprocessableEntity, CodeValidation, "url must be a string.")
			}
		case "events":
			if json.Unmarshal(v, &in.Events) != nil {
				return writeErr(c, fiber.StatusUnprocessableEntity, CodeValidation,
					"events must be an array of event types: "+strings.Join(webhooks.Events, ", ")+".")
			}
		default:
			return writeErr(c, fiber.StatusUnprocessableEntity, CodeValidation,
				fmt.Sprintf("%s is not a field of a webhook (fields: %s).", name, strings.Join(webhookFields, ", ")))
		}
	}
	ep, err := api.webhooks.CreateEndpoint(c.UserContext(), apikit.Actor(c), k.Scope(), appID, in)
	if err != nil {
		return api.serviceErr(c, err)
	}
	out := endpointJSON(ep.Endpoint)
	out["secret"] = ep.Secret
	return c.Status(fiber.StatusCreated).JSON(out)
}

// listWebhooks is GET /v1/webhooks: the app's endpoints, oldest first,
// without their secrets.
func (api *API) listWebhooks(c *fiber.Ctx, k apikeys.Key, appID int64) error {
	if _, problem := readQuery(c); problem != "" {
		return writeErr(c, fiber.StatusUnprocessableEntity, CodeValidation, problem)
	}
	list, err := api.webhooks.ListEndpoints(c.UserContext(), k.Scope(), appID)
	if err != nil {
		return api.serviceErr(c, err)
	}
	data := make([]fiber.Map, len(list))
	for i, e := range list {
		data[i] = endpointJSON(e)
	}
	return c.JSON(fiber.Map{"data": data})
}

// deleteWebhook is DELETE /v1/webhooks/:id: nothing more is sent to it. An
// endpoint of another app of the same account is not found, as the key
// sees only its own app's.
func (api *API) deleteWebhook(c *fiber.Ctx, k apikeys.Key, appID int64) error {
	id := utils.CopyString(c.Params("id"))
	ep, err := api.webhooks.GetEndpoint(c.UserContext(), k.Scope(), id)
	if err == nil && ep.AppID != appID {
		err = webhooks.ErrEndpointNotFound
	}
	if err == nil {
		err = api.webhooks.DeleteEndpoint(c.UserContext(), apikit.Actor(c), k.Scope(), id)
	}
	if err != nil {
		return api.serviceErr(c, err)
	}
	return c.JSON(fiber.Map{"id": id, "deleted": true})
}

// scopedAll runs h for keys holding every one of scopes (scoped checks the
// app and the first).
func (api *API) scopedAll(h func(*fiber.Ctx, apikeys.Key, int64) error, scopes ...string) fiber.Handler {
	return api.scoped(scopes[0], func(c *fiber.Ctx, k apikeys.Key, appID int64) error {
		for _, s := range scopes[1:] {
			if !k.HasScope(s) {
				return writeErr(c, fiber.StatusForbidden, CodeForbiddenScope, fmt.Sprintf("Key lacks the required scope '%s'.", s))
			}
		}
		return h(c, k, appID)
	})
}
