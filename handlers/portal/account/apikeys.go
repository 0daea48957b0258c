package account

import (
	"cmp"
	"context"
	"errors"
	"maps"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/utils"

	"lumdesk/handlers/web"
	"lumdesk/internal/accounts"
	"lumdesk/internal/apikeys"
	"lumdesk/internal/audit"
	"lumdesk/internal/customers"
	"lumdesk/internal/mail"
	"lumdesk/internal/product"
	"lumdesk/views/components"
	"lumdesk/views/layouts"
	view "lumdesk/views/pages/portal/account"
)

// KeyService is what the portal's API key pages need of the apikeys
// service: every call takes the portal's account scope.
type KeyService interface {
	ListIn(ctx context.Context, scope accounts.Scope, p apikeys.ListParams) (apikeys.Page, error)
	GetIn(ctx context.Context, scope accounts.Scope, id int64) (apikeys.Key, error)
	CheckIn(scope accounts.Scope, in apikeys.CreateInput) apikeys.ValidationError
	CreateIn(ctx context.Context, actor audit.Actor, scope accounts.Scope, in apikeys.CreateInput) (apikeys.Created, error)
	RevokeIn(ctx context.Context, actor audit.Actor, scope accounts.Scope, id int64, reason string) (apikeys.Key, error)
	RotateIn(ctx context.Context, actor audit.Actor, scope accounts.Scope, id int64, reason string) (apikeys.Created, error)
	SetAllowedIPs(ctx context.Context, actor audit.Actor, scope accounts.Scope, id int64, entries []string) (apikeys.Key, error)
}

// AppLister lists the account's Lumora apps (a Lumora key sends for one).
type AppLister interface {
	ListApps(ctx context.Context, scope accounts.Scope, beforeID int64, limit int) ([]mail.App, error)
}

// APIKeys serves /portal/account/api-keys: the account's keys of every
// product, creating one (the secret shown once), a key's page with revoke,
// rotate and, for Luarmor keys, the IP allow list.
type APIKeys struct {
	app  *web.App
	svc  KeyService
	apps AppLister
	now  func() time.Time
}

// NewAPIKeys makes the route group.
func NewAPIKeys(svc KeyService, apps AppLister) *APIKeys {
	return &APIKeys{svc: svc, apps: apps, now: time.Now}
}

// Routes implements web.RouteGroup.
func (h *APIKeys) Routes(a *web.App) []web.Route {
	h.app = a
	p, dev := view.APIKeysPath, customers.PermDevelop
	return []web.Route{
		web.PortalGet(p, customers.PermView, h.list),
		web.PortalGet(p+"/new", dev, h.newPage),
		web.PortalPost(p, dev, h.create),
		web.PortalGet(p+"/:id", customers.PermView, h.detail),
		web.PortalPost(p+"/:id/revoke", dev, h.revoke),
		web.PortalPost(p+"/:id/rotate", dev, h.rotate),
		web.PortalPost(p+"/:id/allowed-ips", dev, h.setAllowedIPs),
	}
}

const (
	pageSize = 25
	// maxApps is how many Lumora apps the form offers (and names on rows).
	maxApps = 100
	navKey  = "apikeys"
)

var keysCrumb = layouts.Crumb{Label: "API keys", Href: view.APIKeysPath}

var errKeyNotFound = fiber.NewError(fiber.StatusNotFound, "There is no API key with that id.")

// appNames are the account's Lumora apps by id.
func (h *APIKeys) appNames(c *fiber.Ctx) (map[int64]string, []mail.App, error) {
	apps, err := h.apps.ListApps(c.UserContext(), web.PortalScope(c), 0, maxApps)
	if err != nil {
		return nil, nil, err
	}
	names := make(map[int64]string, len(apps))
	for _, a := range apps {
		names[a.ID] = a.Name
	}
	return names, apps, nil
}

func (h *APIKeys) row(k apikeys.Key, apps map[int64]string) view.APIKeyRow {
	r := view.APIKeyRow{
		ID: k.ID, Prefix: k.Prefix, Name: k.Name, Product: k.Product, ProductLabel: k.ProductLabel(),
		ProductHue: productHue(k.Product), Scopes: k.Scopes, Status: k.StatusAt(h.now()), LastUsedIP: k.LastUsedIP,
		Created: k.CreatedAt, RateLimit: k.RateLimitPerMinute, AllowedIPs: k.AllowedIPs, RevokedReason: k.RevokedReason,
		Luarmor: k.Product == apikeys.Luarmor,
	}
	if k.LastUsedAt != nil {
		r.LastUsed = *k.LastUsedAt
	}
	if k.ExpiresAt != nil {
		r.Expires = *k.ExpiresAt
	}
	if k.RevokedAt != nil {
		r.RevokedAt = *k.RevokedAt
	}
	if k.MailAppID != nil {
		r.AppName = cmp.Or(apps[*k.MailAppID], "#"+strconv.FormatInt(*k.MailAppID, 10))
	}
	return r
}

func productHue(id string) string {
	p, _, _ := product.OfAPIProduct(id)
	return p.Hue
}

func (h *APIKeys) list(c *fiber.Ctx) error {
	l := view.APIKeyList{Products: web.APIKeyProducts("All products"), Statuses: view.APIKeyStatuses, CanDevelop: web.CustomerMay(c, customers.PermDevelop)}
	var problems []string
	if p := c.Query("product"); p != "" {
		if _, ok := apikeys.LookupProduct(p); ok {
			l.Product = utils.CopyString(p)
		} else {
			problems = append(problems, "There is no product by that name; showing every product.")
		}
	}
	if s := c.Query("status"); s != "" {
		if apikeys.ValidStatus(s) {
			l.Status = utils.CopyString(s)
		} else {
			problems = append(problems, "Status must be active, revoked or expired; showing every status.")
		}
	}
	l.Error = strings.Join(problems, " ")
	page, err := h.svc.ListIn(c.UserContext(), web.PortalScope(c), apikeys.ListParams{
		Product: l.Product, Status: l.Status, Limit: pageSize,
		Before: utils.CopyString(web.Truncate(c.Query("before"), 64)), After: utils.CopyString(web.Truncate(c.Query("after"), 64)),
	})
	if err != nil {
		return err
	}
	names, _, err := h.appNames(c)
	if err != nil {
		return err
	}
	for _, k := range page.Keys {
		l.Rows = append(l.Rows, h.row(k, names))
	}
	if page.Prev != "" {
		l.PrevHref = l.Href("after", page.Prev)
	}
	if page.Next != "" {
		l.NextHref = l.Href("before", page.Next)
	}
	return web.Render(c, fiber.StatusOK, view.APIKeysPage(h.app.PortalPage(c, "API keys", navKey, layouts.Crumb{Label: "API keys"}), l))
}

func (h *APIKeys) form(c *fiber.Ctx) (view.APIKeyForm, error) {
	f := view.APIKeyForm{CSRF: web.CSRFToken(c), Products: web.APIKeyProducts("Choose a product"), Checked: map[string]bool{},
		Errors: map[string]string{}, MinDate: h.now().UTC().AddDate(0, 0, 1).Format(time.DateOnly),
		Apps: []components.Option{{Value: "", Label: "Choose an app"}}}
	for _, p := range apikeys.Products {
		g := view.APIKeyScopeGroup{Product: p.ID, Label: p.Label, Hue: productHue(p.ID)}
		for _, s := range p.Scopes {
			if !s.OperatorOnly {
				g.Scopes = append(g.Scopes, view.APIKeyScope{Value: p.ID + "|" + s.Name, Name: s.Name, Description: s.Description})
			}
		}
		f.Groups = append(f.Groups, g)
	}
	_, apps, err := h.appNames(c)
	if err != nil {
		return f, err
	}
	for _, a := range apps {
		f.Apps = append(f.Apps, components.Option{Value: strconv.FormatInt(a.ID, 10), Label: a.Name})
	}
	return f, nil
}

func (h *APIKeys) newPage(c *fiber.Ctx) error {
	f, err := h.form(c)
	if err != nil {
		return err
	}
	f.RateLimit = strconv.Itoa(apikeys.DefaultRateLimit)
	if _, ok := apikeys.LookupProduct(c.Query("product")); ok {
		f.Product = utils.CopyString(c.Query("product"))
	}
	return h.renderNew(c, fiber.StatusOK, f)
}

func (h *APIKeys) renderNew(c *fiber.Ctx, status int, f view.APIKeyForm) error {
	p := h.app.PortalPage(c, "New API key", navKey, keysCrumb, layouts.Crumb{Label: "New"})
	if f.CSRF == "" {
		f.CSRF = p.CSRF
	}
	return web.Render(c, status, view.APIKeyNewPage(p, f))
}

// create issues a key and answers with the page that shows its secret: the
// secret exists only in this response (not stored, not redirected to, and
// marked no-store so the back button does not bring it back).
func (h *APIKeys) create(c *fiber.Ctx) error {
	f, err := h.form(c)
	if err != nil {
		return err
	}
	f.Product = utils.CopyString(web.Truncate(strings.TrimSpace(c.FormValue("product")), 40))
	f.Name = utils.CopyString(web.Truncate(strings.TrimSpace(c.FormValue("name")), 300))
	f.App = utils.CopyString(web.Truncate(strings.TrimSpace(c.FormValue("app")), 20))
	f.RateLimit = utils.CopyString(web.Truncate(strings.TrimSpace(c.FormValue("rate_limit")), 20))
	f.ExpiresOn = utils.CopyString(web.Truncate(strings.TrimSpace(c.FormValue("expires_on")), 20))

	in := apikeys.CreateInput{Product: f.Product, Name: f.Name}
	prod, known := apikeys.LookupProduct(f.Product)
	if !known {
		f.Errors["product"] = "Choose a product."
		f.Product = ""
	}
	scopes, problem := web.APIKeyFormScopes(c, prod, f.Checked)
	if known {
		in.Scopes = scopes
		if problem != "" {
			f.Errors["scopes"] = problem
		}
	}
	if known && prod.ID == apikeys.Lumora && f.App != "" {
		if id, ok := web.ParseID(f.App); ok {
			in.MailAppID = &id
		} else {
			f.Errors["app"] = "Choose one of your Lumora apps."
		}
	}
	if f.RateLimit != "" {
		n, err := strconv.Atoi(f.RateLimit)
		if err != nil || n < 1 || n > apikeys.MaxRateLimit {
			f.Errors["rate_limit"] = "Enter a whole number from 1 to 10,000."
		} else {
			in.RateLimitPerMinute = n
		}
	}
	if f.ExpiresOn != "" {
		t, err := time.Parse(time.DateOnly, f.ExpiresOn)
		if err != nil {
			f.Errors["expires_at"] = "Enter a date like 2026-12-31."
		} else {
			in.ExpiresAt = &t
		}
	}
	scope := web.PortalScope(c)
	if len(f.Errors) > 0 {
		// Also show what the service would refuse, so every problem shows at once.
		for k, m := range h.svc.CheckIn(scope, in) {
			if _, seen := f.Errors[k]; !seen {
				f.Errors[k] = web.Capitalize(m) + "."
			}
		}
	} else {
		created, err := h.svc.CreateIn(c.UserContext(), web.Actor(c), scope, in)
		var verr apikeys.ValidationError
		switch {
		case errors.As(err, &verr):
			maps.Copy(f.Errors, web.FieldErrors(err, nil))
		case err != nil:
			return err
		default:
			return h.showSecret(c, created, "")
		}
	}
	f.Error = "Fix the highlighted fields and try again."
	return h.renderNew(c, fiber.StatusUnprocessableEntity, f)
}

func (h *APIKeys) showSecret(c *fiber.Ctx, created apikeys.Created, oldPrefix string) error {
	c.Set(fiber.HeaderCacheControl, "no-store")
	names, _, err := h.appNames(c)
	if err != nil {
		return err
	}
	k := h.row(created.Key, names)
	title := "API key created"
	if oldPrefix != "" {
		title = "Key rotated"
	}
	p := h.app.PortalPage(c, title, navKey, keysCrumb, layouts.Crumb{Label: k.Prefix + "…", Href: k.Href()})
	return web.Render(c, fiber.StatusOK, view.APIKeyCreatedPage(p, view.APIKeyCreated{
		Key: k, Secret: created.Secret, Usage: product.KeyUsage(k.Product, k.Prefix), OldPrefix: oldPrefix}))
}

// target loads the key named by :id within the account; bogus, unknown
// and other accounts' ids are all 404.
func (h *APIKeys) target(c *fiber.Ctx) (apikeys.Key, error) {
	id, ok := web.ParseID(c.Params("id"))
	if !ok {
		return apikeys.Key{}, errKeyNotFound
	}
	k, err := h.svc.GetIn(c.UserContext(), web.PortalScope(c), id)
	if errors.Is(err, apikeys.ErrNotFound) {
		return k, errKeyNotFound
	}
	return k, err
}

func (h *APIKeys) detailView(c *fiber.Ctx, k apikeys.Key) (view.APIKeyDetail, error) {
	names, _, err := h.appNames(c)
	if err != nil {
		return view.APIKeyDetail{}, err
	}
	d := view.APIKeyDetail{Key: h.row(k, names), CSRF: web.CSRFToken(c), CanDevelop: web.CustomerMay(c, customers.PermDevelop),
		Usage: product.KeyUsage(k.Product, k.Prefix), IPs: view.IPsText(k.AllowedIPs)}
	if p, ok := apikeys.LookupProduct(k.Product); ok {
		for _, name := range k.Scopes {
			opt := view.APIKeyScope{Name: name}
			for _, s := range p.Scopes {
				if s.Name == name {
					opt.Description = s.Description
				}
			}
			d.Scopes = append(d.Scopes, opt)
		}
	}
	return d, nil
}

func (h *APIKeys) renderDetail(c *fiber.Ctx, status int, d view.APIKeyDetail) error {
	p := h.app.PortalPage(c, d.Key.Title(), navKey, keysCrumb, layouts.Crumb{Label: d.Key.Prefix + "…"})
	if d.CSRF == "" {
		d.CSRF = p.CSRF
	}
	return web.Render(c, status, view.APIKeyPage(p, d))
}

func (h *APIKeys) detail(c *fiber.Ctx) error {
	k, err := h.target(c)
	if err != nil {
		return err
	}
	d, err := h.detailView(c, k)
	if err != nil {
		return err
	}
	return h.renderDetail(c, fiber.StatusOK, d)
}

// reason is the optional reason of a revoke or rotate (a default names the portal).
func reason(c *fiber.Ctx, def string) string {
	r := strings.TrimSpace(web.Truncate(web.Field(c, "reason"), 4*apikeys.MaxReasonLen))
	if r == "" {
		return def
	}
	return r
}

// refused answers a refused revoke, rotate or allow list change on the
// key's page with the message: 422 for bad input, 409 for a key that is no
// longer active; 404 for a key that is not the account's.
func (h *APIKeys) refused(c *fiber.Ctx, k apikeys.Key, err error, ips string) error {
	var verr apikeys.ValidationError
	status := fiber.StatusUnprocessableEntity
	d, derr := h.detailView(c, k)
	if derr != nil {
		return derr
	}
	switch {
	case errors.Is(err, apikeys.ErrNotFound):
		return errKeyNotFound
	case errors.As(err, &verr):
		if m, ok := verr["allowed_ips"]; ok {
			d.IPError, d.IPs = web.Capitalize(m)+".", ips
		} else {
			d.ActionError = web.Capitalize(web.FieldErrorsText(web.FieldErrors(err, nil)))
		}
	case errors.Is(err, apikeys.ErrAlreadyRevoked), errors.Is(err, apikeys.ErrExpired):
		status = fiber.StatusConflict
		d.ActionError = web.Capitalize(err.Error()) + "."
	default:
		return err
	}
	return h.renderDetail(c, status, d)
}

func (h *APIKeys) revoke(c *fiber.Ctx) error {
	k, err := h.target(c)
	if err != nil {
		return err
	}
	if _, err := h.svc.RevokeIn(c.UserContext(), web.Actor(c), web.PortalScope(c), k.ID, reason(c, "Revoked in the customer portal.")); err != nil {
		return h.refused(c, k, err, "")
	}
	h.app.Toast(c, "success", "Key "+k.Prefix+"… revoked.")
	return web.Redirect(c, view.APIKeyRow{ID: k.ID}.Href())
}

// rotate replaces a key by a new one and shows the new secret once.
func (h *APIKeys) rotate(c *fiber.Ctx) error {
	k, err := h.target(c)
	if err != nil {
		return err
	}
	created, err := h.svc.RotateIn(c.UserContext(), web.Actor(c), web.PortalScope(c), k.ID, reason(c, "Rotated in the customer portal."))
	if err != nil {
		return h.refused(c, k, err, "")
	}
	return h.showSecret(c, created, k.Prefix)
}

// splitEntries reads the allow list textarea: entries separated by lines,
// spaces or commas.
func splitEntries(s string) []string {
	return strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ';' || unicode.IsSpace(r) })
}

func (h *APIKeys) setAllowedIPs(c *fiber.Ctx) error {
	k, err := h.target(c)
	if err != nil {
		return err
	}
	text := web.Truncate(c.FormValue("allowed_ips"), 16<<10)
	updated, err := h.svc.SetAllowedIPs(c.UserContext(), web.Actor(c), web.PortalScope(c), k.ID, splitEntries(text))
	if err != nil {
		return h.refused(c, k, err, utils.CopyString(text))
	}
	msg := "Key " + k.Prefix + "… accepts requests from any address."
	if n := len(updated.AllowedIPs); n > 0 {
		msg = "Key " + k.Prefix + "… now accepts requests from " + strconv.Itoa(n) + " allowed " + plural(n, "entry", "entries") + " only."
	}
	h.app.Toast(c, "success", msg)
	return web.Redirect(c, view.APIKeyRow{ID: k.ID}.Href())
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
