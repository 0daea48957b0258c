package lumora

import (
	"context"
	"strings"

	"github.com/gofiber/fiber/v2"

	"lumdesk/handlers/web"
	"lumdesk/internal/accounts"
	"lumdesk/internal/apikeys"
	"lumdesk/internal/audit"
	"lumdesk/internal/mail"
	"lumdesk/internal/mail/webhooks"
	"lumdesk/internal/product"
	view "lumdesk/views/pages/lumora"
)

// KeysService is what the app page needs of internal/apikeys.
type KeysService interface {
	List(ctx context.Context, p apikeys.ListParams) (apikeys.Page, error)
}

// HooksService is what the app and webhook pages need of internal/mail/webhooks.
type HooksService interface {
	ListEndpoints(ctx context.Context, scope accounts.Scope, appID int64) ([]webhooks.Endpoint, error)
	FindEndpoint(ctx context.Context, scope accounts.Scope, id string) (webhooks.Endpoint, error)
	DeleteEndpoint(ctx context.Context, actor audit.Actor, scope accounts.Scope, id string) error
	ListDeliveriesWithStatus(ctx context.Context, scope accounts.Scope, endpointID, status string, beforeID int64, limit int) ([]webhooks.Delivery, error)
	GetDelivery(ctx context.Context, scope accounts.Scope, id int64) (webhooks.Delivery, error)
	ListAttempts(ctx context.Context, scope accounts.Scope, deliveryID int64) ([]webhooks.Attempt, error)
	Replay(ctx context.Context, actor audit.Actor, scope accounts.Scope, deliveryID int64) (webhooks.Delivery, error)
}

// appKeysShown bounds the account's Lumora keys read for one app's page.
const appKeysShown = 200

// appPage is one app's page: its default sender, the API keys it sends with
// and its webhook endpoints.
func (h *Lumora) appPage(c *fiber.Ctx) error {
	id, ok := web.ParseID(c.Params("id"))
	if !ok {
		return mail.ErrAppNotFound
	}
	ctx := c.UserContext()
	a, err := h.svc.GetApp(ctx, accounts.AllAccounts, id)
	if err != nil {
		return err
	}
	v := view.AppPage{ID: a.ID, AccountID: a.AccountID, AccountName: h.names.One(ctx, a.AccountID), Name: a.Name, From: a.DefaultFromEmail, Created: a.CreatedAt}
	if a.DefaultFromName != "" && a.DefaultFromEmail != "" {
		v.From = a.DefaultFromName + " <" + a.DefaultFromEmail + ">"
	}
	if h.keys != nil {
		page, err := h.keys.List(ctx, apikeys.ListParams{Product: product.APILumora, AccountID: &a.AccountID, Limit: appKeysShown})
		if err != nil {
			return err
		}
		for _, k := range page.Keys {
			if k.MailAppID == nil || *k.MailAppID != a.ID {
				continue // the account's keys of its other apps
			}
			status := "active"
			if k.RevokedAt != nil {
				status = "revoked"
			}
			v.Keys = append(v.Keys, view.AppKey{ID: k.ID, Name: k.Name, Prefix: k.Prefix, Scopes: strings.Join(k.Scopes, ", "),
				Status: status, LastUsed: k.LastUsedAt, Created: k.CreatedAt})
		}
	}
	if h.hooks != nil {
		eps, err := h.hooks.ListEndpoints(ctx, accounts.AllAccounts, a.ID)
		if err != nil {
			return err
		}
		for _, e := range eps {
			v.Webhooks = append(v.Webhooks, view.AppWebhook{ID: e.ID, URL: e.URL, Events: strings.Join(e.Events, ", "), Created: e.CreatedAt})
		}
	}
	return web.Render(c, fiber.StatusOK, view.AppDetail(h.page(c, a.Name, web.Crumb("Apps", view.AppsPath), web.Crumb(a.Name)), v))
}
