package mail

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/gofiber/fiber/v2"

	"lumdesk/handlers/web"
	"lumdesk/internal/customers"
	"lumdesk/internal/mail/webhooks"
	mv "lumdesk/views/pages/portal/mail"
)

func (h *Mail) hookService() (*webhooks.Service, error) {
	if h.hooks == nil {
		return nil, webhooks.ErrEndpointNotFound
	}
	return h.hooks, nil
}

// appHooks fills the app page's webhook section.
func (h *Mail) appHooks(c *fiber.Ctx, v *mv.AppPage) error {
	if h.hooks == nil {
		return nil
	}
	v.HasHooks = true
	v.Hook.All = webhooks.Events
	if v.Hook.Events == nil {
		v.Hook.Events = map[string]bool{}
		for _, e := range webhooks.Events {
			v.Hook.Events[e] = true
		}
	}
	eps, err := h.hooks.ListEndpoints(c.UserContext(), web.PortalScope(c), v.ID)
	if err != nil {
		return err
	}
	for _, e := range eps {
		v.Webhooks = append(v.Webhooks, mv.WebhookRow{ID: e.ID, URL: e.URL, Events: strings.Join(e.Events, ", "), Created: e.CreatedAt})
	}
	return nil
}

// createWebhook adds an endpoint to the app; the page then shows its
// signing secret, this once.
func (h *Mail) createWebhook(c *fiber.Ctx) error {
	svc, err := h.hookService()
	if err != nil {
		return err
	}
	a, err := h.appByParam(c, "id")
	if err != nil {
		return err
	}
	form := mv.WebhookForm{URL: web.Truncate(web.Field(c, "url"), webhooks.MaxURL+1), Events: map[string]bool{}, Errors: map[string]string{}}
	var events []string
	for _, e := range web.FieldValues(c, "events") {
		if !slices.Contains(events, e) && len(events) < len(webhooks.Events)+1 {
			events = append(events, web.Truncate(e, 40))
			form.Events[e] = true
		}
	}
	created, err := svc.CreateEndpoint(c.UserContext(), web.Actor(c), web.PortalScope(c), a.ID, webhooks.EndpointInput{URL: form.URL, Events: events})
	status := fiber.StatusOK
	if errs := web.FieldErrors(err, nil); errs != nil {
		form.Errors, form.FormError = errs, "The endpoint was not added: fix the highlighted fields."
		status = fiber.StatusUnprocessableEntity
	} else if err != nil {
		return err
	} else {
		form = mv.WebhookForm{Secret: created.Secret, SecretFor: created.ID}
	}
	return h.renderApp(c, status, a, form)
}

func (h *Mail) webhookByParam(c *fiber.Ctx) (*webhooks.Service, webhooks.Endpoint, error) {
	svc, err := h.hookService()
	if err != nil {
		return nil, webhooks.Endpoint{}, err
	}
	id := web.Truncate(c.Params("wid"), 100)
	ep, err := svc.GetEndpoint(c.UserContext(), web.PortalScope(c), strings.Clone(id))
	if err == nil && ep.DisabledAt != nil {
		err = webhooks.ErrEndpointNotFound
	}
	return svc, ep, err
}

func (h *Mail) webhook(c *fiber.Ctx) error        { return h.renderWebhook(c, false) }
func (h *Mail) webhookConfirm(c *fiber.Ctx) error { return h.renderWebhook(c, true) }

// renderWebhook is the endpoint's page with its delivery log (or the
// delete confirmation above it).
func (h *Mail) renderWebhook(c *fiber.Ctx, confirm bool) error {
	svc, ep, err := h.webhookByParam(c)
	if err != nil {
		return err
	}
	var problems []string
	v := mv.WebhookPage{ID: ep.ID, URL: ep.URL, Events: strings.Join(ep.Events, ", "), AppID: ep.AppID, Created: ep.CreatedAt,
		CanDevelop: web.CustomerMay(c, customers.PermDevelop), CSRF: web.CSRFToken(c), Confirm: confirm}
	if a, err := h.svc.GetApp(c.UserContext(), web.PortalScope(c), ep.AppID); err == nil {
		v.AppName = a.Name
	}
	before, cur := cursorParam(c, &problems)
	v.Cursor = cur
	ds, err := svc.ListDeliveries(c.UserContext(), web.PortalScope(c), ep.ID, before, pageSize+1)
	if err != nil {
		return err
	}
	ds, v.NextCursor = web.NextPage(ds, pageSize, func(x webhooks.Delivery) int64 { return x.ID })
	for _, d := range ds {
		resp := d.LastError
		if d.ResponseCode != nil {
			resp = fmt.Sprintf("HTTP %d", *d.ResponseCode)
		}
		v.Deliveries = append(v.Deliveries, mv.DeliveryRow{ID: d.ID, EventType: d.EventType, EventID: d.EventID, Status: d.Status,
			Attempts: d.Attempts, Response: resp, LastError: d.LastError, Created: d.CreatedAt})
	}
	p := h.page(c, "Webhook endpoint", web.Crumb("Apps", mv.AppsPath), web.Crumb(v.AppName, mv.AppHref(ep.AppID)), web.Crumb(ep.ID))
	return web.Render(c, fiber.StatusOK, mv.WebhookDetail(p, v))
}

// deleteWebhook deletes the endpoint (after its confirmation page).
func (h *Mail) deleteWebhook(c *fiber.Ctx) error {
	svc, ep, err := h.webhookByParam(c)
	if err != nil {
		return err
	}
	if err := svc.DeleteEndpoint(c.UserContext(), web.Actor(c), web.PortalScope(c), ep.ID); err != nil {
		return err
	}
	h.app.Toast(c, "success", "Webhook endpoint "+ep.URL+" deleted.")
	return web.Redirect(c, mv.AppHref(ep.AppID))
}

// replay posts a delivery of the endpoint again.
func (h *Mail) replay(c *fiber.Ctx) error {
	svc, ep, err := h.webhookByParam(c)
	if err != nil {
		return err
	}
	did, ok := web.ParseID(c.Params("did"))
	if !ok {
		return webhooks.ErrDeliveryNotFound
	}
	d, err := svc.GetDelivery(c.UserContext(), web.PortalScope(c), did)
	if err != nil {
		return err
	}
	if d.EndpointID != ep.ID {
		return webhooks.ErrDeliveryNotFound
	}
	_, err = svc.Replay(c.UserContext(), web.Actor(c), web.PortalScope(c), did)
	switch {
	case errors.Is(err, webhooks.ErrDeliveryPending):
		h.app.Toast(c, "error", "This delivery is still being retried; replay it once it has been delivered or has failed.")
	case err != nil:
		return err
	default:
		h.app.Toast(c, "success", "Delivery "+d.EventID+" queued again.")
	}
	return web.Redirect(c, mv.WebhookHref(ep.ID))
}
