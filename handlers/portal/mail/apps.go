package mail

import (
	"errors"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"

	"lumdesk/handlers/web"
	"lumdesk/internal/apikeys"
	"lumdesk/internal/customers"
	mailsvc "lumdesk/internal/mail"
	"lumdesk/internal/product"
	"lumdesk/views/components"
	mv "lumdesk/views/pages/portal/mail"
)

// appKeysRead bounds the account's Lumora keys read for one app.
const appKeysRead = 200

func fromOf(a mailsvc.App) string {
	if a.DefaultFromName != "" && a.DefaultFromEmail != "" {
		return a.DefaultFromName + " <" + a.DefaultFromEmail + ">"
	}
	return a.DefaultFromEmail
}

func (h *Mail) apps(c *fiber.Ctx) error {
	var problems []string
	l := mv.AppList{CanDevelop: web.CustomerMay(c, customers.PermDevelop)}
	before, cur := cursorParam(c, &problems)
	l.Cursor = cur
	items, err := h.svc.ListApps(c.UserContext(), web.PortalScope(c), before, pageSize+1)
	if err != nil {
		return err
	}
	items, l.NextCursor = web.NextPage(items, pageSize, func(x mailsvc.App) int64 { return x.ID })
	for _, a := range items {
		l.Rows = append(l.Rows, mv.AppRow{ID: a.ID, Name: a.Name, From: fromOf(a), Created: a.CreatedAt})
	}
	l.Error = strings.Join(problems, " ")
	return web.Render(c, fiber.StatusOK, mv.AppsPage(h.page(c, "Apps", web.Crumb("Apps")), l))
}

func (h *Mail) appForm(c *fiber.Ctx) error {
	return h.renderAppForm(c, fiber.StatusOK, mv.AppForm{Errors: map[string]string{}, CSRF: web.CSRFToken(c)})
}

func (h *Mail) renderAppForm(c *fiber.Ctx, status int, v mv.AppForm) error {
	p := h.page(c, "Create an app", web.Crumb("Apps", mv.AppsPath), web.Crumb("Create"))
	return web.Render(c, status, mv.AppFormPage(p, v))
}

func (h *Mail) createApp(c *fiber.Ctx) error {
	v := mv.AppForm{Name: web.Truncate(web.Field(c, "name"), 300), FromEmail: web.Truncate(web.Field(c, "default_from_email"), 400),
		FromName: web.Truncate(web.Field(c, "default_from_name"), 300), Errors: map[string]string{}, CSRF: web.CSRFToken(c)}
	a, err := h.svc.CreateApp(c.UserContext(), web.Actor(c), web.PortalScope(c),
		mailsvc.AppInput{Name: v.Name, DefaultFromEmail: v.FromEmail, DefaultFromName: v.FromName})
	if errs := web.FieldErrors(err, nil); errs != nil {
		v.Errors, v.FormError = errs, "Please correct the highlighted fields."
		return h.renderAppForm(c, fiber.StatusUnprocessableEntity, v)
	}
	if errors.Is(err, mailsvc.ErrAccountNotFound) {
		return fiber.ErrForbidden
	}
	if err != nil {
		return err
	}
	h.app.Toast(c, "success", "App "+a.Name+" created: give it an API key to send.")
	return web.Redirect(c, mv.AppHref(a.ID))
}

// appKeys are the account's Lumora keys bound to the app.
func (h *Mail) appKeys(c *fiber.Ctx, a mailsvc.App) ([]apikeys.Key, error) {
	page, err := h.keys.List(c.UserContext(), apikeys.ListParams{Product: product.APILumora, AccountID: &a.AccountID, Limit: appKeysRead})
	if err != nil {
		return nil, err
	}
	var out []apikeys.Key
	for _, k := range page.Keys {
		if k.MailAppID != nil && *k.MailAppID == a.ID {
			out = append(out, k)
		}
	}
	return out, nil
}

func keyStatus(k apikeys.Key) string {
	switch {
	case k.RevokedAt != nil:
		return "revoked"
	case k.ExpiresAt != nil && !k.ExpiresAt.After(timeNow()):
		return "expired"
	}
	return "active"
}

func (h *Mail) appByParam(c *fiber.Ctx, name string) (mailsvc.App, error) {
	id, ok := web.ParseID(c.Params(name))
	if !ok {
		return mailsvc.App{}, mailsvc.ErrAppNotFound
	}
	return h.svc.GetApp(c.UserContext(), web.PortalScope(c), id)
}

func (h *Mail) appPage(c *fiber.Ctx) error {
	a, err := h.appByParam(c, "id")
	if err != nil {
		return err
	}
	return h.renderApp(c, fiber.StatusOK, a, mv.WebhookForm{})
}

// createKeyForm makes a key of the app from the app page's form; the page
// then shows its secret, this once.
func (h *Mail) createKeyForm(c *fiber.Ctx) error {
	a, err := h.appByParam(c, "id")
	if err != nil {
		return err
	}
	form := mv.KeyForm{Name: web.Truncate(web.Field(c, "name"), 200), Rate: web.Truncate(web.Field(c, "rate"), 12),
		Scopes: map[string]bool{}, Errors: map[string]string{}}
	for _, s := range web.FieldValues(c, "scopes") {
		if len(form.Scopes) < 10 {
			form.Scopes[web.Truncate(s, 40)] = true
		}
	}
	var rate *int
	if form.Rate != "" {
		n, err := strconv.Atoi(form.Rate)
		if err != nil {
			n = -1
		}
		rate = &n
	}
	created, err := h.createKey(c, a, form.Name, rate, form.Scopes)
	if errs := web.FieldErrors(err, map[string]string{"rateLimitPerMinute": "rate", "rate_limit_per_minute": "rate"}); errs != nil {
		form.Errors, form.FormError = errs, "The key was not created: fix the highlighted fields."
		return h.renderAppWith(c, fiber.StatusUnprocessableEntity, a, mv.WebhookForm{}, form)
	}
	if err != nil {
		return err
	}
	form = mv.KeyForm{Secret: created.Secret, SecretName: created.Key.Name}
	return h.renderAppWith(c, fiber.StatusOK, a, mv.WebhookForm{}, form)
}

// renderApp is the app's page, with the webhook form as given (or the new
// endpoint's secret).
func (h *Mail) renderApp(c *fiber.Ctx, status int, a mailsvc.App, hook mv.WebhookForm) error {
	return h.renderAppWith(c, status, a, hook, mv.KeyForm{})
}

func (h *Mail) renderAppWith(c *fiber.Ctx, status int, a mailsvc.App, hook mv.WebhookForm, key mv.KeyForm) error {
	v := mv.AppPage{ID: a.ID, Name: a.Name, From: fromOf(a), Created: a.CreatedAt, CanDevelop: web.CustomerMay(c, customers.PermDevelop), CSRF: web.CSRFToken(c), Hook: hook, Key: key}
	v.Key.AllScopes = lumoraScopes()
	if v.Key.Scopes == nil {
		v.Key.Scopes = map[string]bool{"email:send": true}
	}
	keys, err := h.appKeys(c, a)
	if err != nil {
		return err
	}
	for _, k := range keys {
		v.Keys = append(v.Keys, mv.AppKey{ID: k.ID, Name: k.Name, Prefix: k.Prefix, Scopes: strings.Join(k.Scopes, ", "),
			Status: keyStatus(k), LastUsed: k.LastUsedAt, Created: k.CreatedAt})
	}
	st, err := h.svc.Stats(c.UserContext(), web.PortalScope(c), a.ID, nil, nil)
	if err != nil {
		return err
	}
	v.Sent = components.Thousands(st.Totals[mailsvc.RcptQueued])
	v.Delivered = components.Thousands(st.Totals[mailsvc.RcptDelivered])
	v.Bounced = components.Thousands(st.Totals[mailsvc.RcptBounced])
	if err := h.appHooks(c, &v); err != nil {
		return err
	}
	return web.Render(c, status, mv.AppDetail(h.page(c, a.Name, web.Crumb("Apps", mv.AppsPath), web.Crumb(a.Name)), v))
}

// lumoraScopes are the scopes a Lumora key may have.
func lumoraScopes() []string {
	p, _ := apikeys.LookupProduct(apikeys.Lumora)
	return p.StandardScopes()
}
