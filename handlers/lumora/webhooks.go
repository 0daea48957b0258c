package lumora

import (
	"bytes"
	"encoding/json"
	"errors"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"

	"lumdesk/handlers/web"
	"lumdesk/internal/accounts"
	"lumdesk/internal/mail/webhooks"
	"lumdesk/internal/staff"
	"lumdesk/views/components"
	"lumdesk/views/layouts"
	view "lumdesk/views/pages/lumora"
)

// endpointView reads an endpoint (a deleted one too) with its app's name.
// Unknown ids are not found, as are endpoints of an app that is gone.
func (h *Lumora) endpointView(c *fiber.Ctx, id string) (view.WebhookEndpoint, error) {
	if h.hooks == nil {
		return view.WebhookEndpoint{}, webhooks.ErrEndpointNotFound
	}
	ctx := c.UserContext()
	e, err := h.hooks.FindEndpoint(ctx, accounts.AllAccounts, id)
	if err != nil {
		return view.WebhookEndpoint{}, err
	}
	a, err := h.svc.GetApp(ctx, accounts.AllAccounts, e.AppID)
	if err != nil {
		return view.WebhookEndpoint{}, err
	}
	return view.WebhookEndpoint{ID: e.ID, URL: e.URL, Events: strings.Join(e.Events, ", "), AppID: a.ID, AccountID: a.AccountID,
		AppName: a.Name, AccountName: h.names.One(ctx, a.AccountID), Created: e.CreatedAt, Deleted: e.DisabledAt}, nil
}

func (h *Lumora) webhookCrumbs(c *fiber.Ctx, e view.WebhookEndpoint, title string, last ...layouts.Crumb) layouts.Page {
	crumbs := []layouts.Crumb{web.Crumb("Apps", view.AppsPath), web.Crumb(e.AppName, view.AppHref(e.AppID))}
	if len(last) == 0 {
		crumbs = append(crumbs, web.Crumb("Webhook endpoint"))
	} else {
		crumbs = append(crumbs, web.Crumb("Webhook endpoint", view.WebhookHref(e.ID)))
		crumbs = append(crumbs, last...)
	}
	return h.page(c, title, crumbs...)
}

// webhook is an endpoint's page: what it is and its delivery log, newest
// first, keyset paged, optionally of one status.
func (h *Lumora) webhook(c *fiber.Ctx) error {
	e, err := h.endpointView(c, c.Params("id"))
	if err != nil {
		return err
	}
	v := view.WebhookPage{E: e, CanManage: web.Can(c, staff.PermMailManage), CSRF: web.CSRFToken(c)}
	var problems []string
	if st := web.Field(c, "status"); st != "" {
		for _, s := range webhooks.Statuses {
			if st == s {
				v.Status = st
			}
		}
		if v.Status == "" {
			problems = append(problems, "Choose a status from the list; showing every status.")
		}
	}
	var before int64
	if cur := web.Field(c, "cursor"); cur != "" {
		if id, ok := web.ParseID(cur); ok {
			before, v.Cursor = id, cur
		} else {
			problems = append(problems, "That page link is not valid; showing the first page.")
		}
	}
	items, err := h.hooks.ListDeliveriesWithStatus(c.UserContext(), accounts.AllAccounts, e.ID, v.Status, before, pageSize+1)
	if err != nil {
		return err
	}
	items, v.NextCursor = web.NextPage(items, pageSize, func(x webhooks.Delivery) int64 { return x.ID })
	for _, d := range items {
		v.Rows = append(v.Rows, deliveryRow(d))
	}
	v.Bar = components.ListBar{Base: view.WebhookHref(e.ID), Query: v.Query(), Filters: v.ActiveFilters()}
	v.Error = strings.Join(problems, " ")
	return web.Render(c, fiber.StatusOK, view.WebhookDetail(h.webhookCrumbs(c, e, "Webhook endpoint"), v))
}

func deliveryRow(d webhooks.Delivery) view.DeliveryRow {
	return view.DeliveryRow{ID: d.ID, EventID: d.EventID, Type: d.EventType, Status: d.Status, ResponseCode: d.ResponseCode,
		LatencyMs: d.LatencyMs, Attempts: d.Attempts, LastError: d.LastError, Created: d.CreatedAt, Delivered: d.DeliveredAt,
		NextAttempt: d.NextAttemptAt}
}

// delivery is one delivery's page: its summary, every attempt and the body sent.
func (h *Lumora) delivery(c *fiber.Ctx) error {
	if h.hooks == nil {
		return webhooks.ErrDeliveryNotFound
	}
	id, ok := web.ParseID(c.Params("id"))
	if !ok {
		return webhooks.ErrDeliveryNotFound
	}
	ctx := c.UserContext()
	d, err := h.hooks.GetDelivery(ctx, accounts.AllAccounts, id)
	if err != nil {
		return err
	}
	e, err := h.endpointView(c, d.EndpointID)
	if err != nil {
		return err
	}
	attempts, err := h.hooks.ListAttempts(ctx, accounts.AllAccounts, id)
	if err != nil {
		return err
	}
	v := view.DeliveryPage{E: e, D: deliveryRow(d), CanManage: web.Can(c, staff.PermMailManage), CSRF: web.CSRFToken(c)}
	var pretty bytes.Buffer
	if json.Indent(&pretty, d.Payload, "", "  ") == nil {
		v.Payload = pretty.String()
	} else {
		v.Payload = string(d.Payload)
	}
	for _, a := range attempts {
		v.Attempts = append(v.Attempts, view.AttemptRow{N: a.Attempt, ResponseCode: a.ResponseCode, LatencyMs: a.LatencyMs, Error: a.Error, At: a.At})
	}
	title := "Delivery #" + strconv.FormatInt(d.ID, 10)
	return web.Render(c, fiber.StatusOK, view.DeliveryDetail(h.webhookCrumbs(c, e, title, web.Crumb(title)), v))
}

// replay sends a delivered or failed delivery again (audited by the
// service); a refusal (still retrying, endpoint deleted) is a toast.
func (h *Lumora) replay(c *fiber.Ctx) error {
	if h.hooks == nil {
		return webhooks.ErrDeliveryNotFound
	}
	id, ok := web.ParseID(c.Params("id"))
	if !ok {
		return webhooks.ErrDeliveryNotFound
	}
	d, err := h.hooks.Replay(c.UserContext(), web.Actor(c), accounts.AllAccounts, id)
	switch {
	case errors.Is(err, webhooks.ErrDeliveryPending), errors.Is(err, webhooks.ErrEndpointDeleted):
		h.app.Toast(c, "error", "Not replayed: "+err.Error()+".")
		back := view.DeliveryHref(id)
		if g, gerr := h.hooks.GetDelivery(c.UserContext(), accounts.AllAccounts, id); gerr == nil {
			back = view.WebhookHref(g.EndpointID)
		}
		return web.Redirect(c, back)
	case err != nil:
		return err
	}
	h.app.Toast(c, "success", "Delivery #"+strconv.FormatInt(id, 10)+" ("+d.EventType+") is queued to be sent again.")
	return web.Redirect(c, view.WebhookHref(d.EndpointID))
}

// deleteWebhook stops an endpoint (audited by the service); its log stays.
func (h *Lumora) deleteWebhook(c *fiber.Ctx) error {
	e, err := h.endpointView(c, c.Params("id"))
	if err != nil {
		return err
	}
	if e.Deleted == nil {
		if err := h.hooks.DeleteEndpoint(c.UserContext(), web.Actor(c), accounts.AllAccounts, e.ID); err != nil {
			return err
		}
	}
	h.app.Toast(c, "success", "The webhook endpoint "+e.URL+" is deleted; nothing more is sent to it.")
	return web.Redirect(c, view.AppHref(e.AppID))
}
