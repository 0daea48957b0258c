package apikeys

import (
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
	"lumdesk/internal/platform/listcount"
	"lumdesk/internal/platform/money"
	"lumdesk/internal/product"
	"lumdesk/internal/staff"
	"lumdesk/views/components"
	"lumdesk/views/layouts"
	keyviews "lumdesk/views/pages/apikeys"
)

// APIKeyService is what the API key pages need of the apikeys service.
type APIKeyService interface {
	Check(in apikeys.CreateInput) apikeys.ValidationError
	Create(ctx context.Context, actor audit.Actor, in apikeys.CreateInput) (apikeys.Created, error)
	Revoke(ctx context.Context, actor audit.Actor, id int64, reason string) (apikeys.Key, error)
	Rotate(ctx context.Context, actor audit.Actor, id int64, reason string) (apikeys.Created, error)
	Get(ctx context.Context, id int64) (apikeys.Key, error)
	List(ctx context.Context, p apikeys.ListParams) (apikeys.Page, error)
	Count(ctx context.Context, p apikeys.ListParams, limitTo int) (listcount.Count, error)
	ResolveAccount(ctx context.Context, ref string) (apikeys.Account, error)
	SetAllowedIPs(ctx context.Context, actor audit.Actor, scope accounts.Scope, id int64, entries []string) (apikeys.Key, error)
}

// APIKeys serves /apikeys: the list, the create flow that shows a secret
// once, and a key's page with revoke and rotate.
type APIKeys struct {
	app *web.App
	svc APIKeyService
	now func() time.Time
}

// New makes the route group.
func New(svc APIKeyService) *APIKeys { return &APIKeys{svc: svc, now: time.Now} }

const apiKeysPageSize = 50

var apiKeysCrumb = layouts.Crumb{Label: "API keys", Href: "/apikeys"}

func (h *APIKeys) row(k apikeys.Key) keyviews.Row {
	now := h.now()
	r := keyviews.Row{
		ID: k.ID, Prefix: k.Prefix, Name: k.Name, Product: k.Product, ProductLabel: k.ProductLabel(), ProductHue: apiProductHue(k.Product),
		AccountName: k.AccountName, AccountEmail: k.AccountEmail, AccountSuspended: k.AccountSuspended,
		Operator: k.Operator, Scopes: k.Scopes, Status: k.StatusAt(now), LastUsedIP: k.LastUsedIP,
		Created:   k.CreatedAt,
		RateLimit: k.RateLimitPerMinute, Signing: k.HasSigningSecret, RevokedReason: k.RevokedReason,
		AllowedIPs: k.AllowedIPs,
	}
	if k.AccountID != nil {
		r.AccountID = *k.AccountID
	}
	if k.LastUsedAt != nil {
		r.LastUsed = *k.LastUsedAt
	}
	if k.DailySpendCapCents != nil {
		r.SpendCap = components.Money(money.Cents(*k.DailySpendCapCents))
	}
	if k.ExpiresAt != nil {
		r.Expires = *k.ExpiresAt
	}
	if k.RevokedAt != nil {
		r.RevokedAt = *k.RevokedAt
	}
	if k.RotatedFromID != nil {
		r.RotatedFromID = *k.RotatedFromID
	}
	if k.ReplacedByID != nil {
		r.ReplacedByID = *k.ReplacedByID
	}
	return r
}

func (h *APIKeys) list(c *fiber.Ctx) error {
	ctx := c.UserContext()
	l := keyviews.List{
		Q:         utils.CopyString(strings.TrimSpace(web.Truncate(c.Query("q"), apikeys.MaxPrefixSearch))),
		Products:  web.APIKeyProducts("All products"),
		CanManage: web.Can(c, staff.PermAPIKeysManage),
	}
	var problems []string
	if p := c.Query("product"); p != "" {
		if _, ok := apikeys.LookupProduct(p); ok {
			l.Product = utils.CopyString(p)
		} else {
			problems = append(problems, "There is no product by that name; showing all products.")
		}
	}
	if s := c.Query("status"); s != "" {
		if apikeys.ValidStatus(s) {
			l.Status = utils.CopyString(s)
		} else {
			problems = append(problems, "Status must be active, revoked or expired; showing every status.")
		}
	}
	params := apikeys.ListParams{Product: l.Product, Status: l.Status, PrefixSearch: l.Q, Limit: apiKeysPageSize,
		Before: utils.CopyString(web.Truncate(c.Query("before"), 64)), After: utils.CopyString(web.Truncate(c.Query("after"), 64))}
	if a := c.Query("account"); a != "" {
		id, ok := web.ParseID(a)
		if !ok {
			problems = append(problems, "The account filter must be an account id; showing every account.")
		} else {
			l.AccountID, params.AccountID = id, &id
			l.AccountLabel = "#" + strconv.FormatInt(id, 10)
			acc, err := h.svc.ResolveAccount(ctx, strconv.FormatInt(id, 10))
			switch {
			case errors.Is(err, apikeys.ErrAccountNotFound):
				problems = append(problems, "There is no account "+strconv.FormatInt(id, 10)+".")
			case err != nil:
				return err
			default:
				l.AccountLabel = acc.Name
			}
		}
	}
	page, err := h.svc.List(ctx, params)
	if err != nil {
		return err
	}
	for _, k := range page.Keys {
		l.Rows = append(l.Rows, h.row(k))
	}
	if page.Prev != "" {
		l.PrevHref = l.Href("after", page.Prev)
	}
	if page.Next != "" {
		l.NextHref = l.Href("before", page.Next)
	}
	n, err := h.svc.Count(ctx, params, listcount.Cap)
	if err != nil {
		return err
	}
	l.Bar = h.app.ListBar(c, "/apikeys", strings.TrimPrefix(l.Href(), "/apikeys"), l.ActiveFilters())
	l.Bar.Count = web.Count(n, "key", "keys")
	l.Error = strings.Join(problems, " ")
	p := h.app.Page(c, "API keys", "apikeys", layouts.Crumb{Label: "API keys"})
	return web.Render(c, fiber.StatusOK, keyviews.ListPage(p, l))
}

func (h *APIKeys) newForm(c *fiber.Ctx) keyviews.NewForm {
	f := keyviews.NewForm{CSRF: web.CSRFToken(c), Products: web.APIKeyProducts("Choose a product"), Checked: map[string]bool{},
		Errors: map[string]string{}, MinDate: h.now().UTC().AddDate(0, 0, 1).Format(time.DateOnly)}
	for _, p := range apikeys.Products {
		g := keyviews.ScopeGroup{Product: p.ID, Label: p.Label, Hue: apiProductHue(p.ID), Money: p.Money}
		for _, s := range p.Scopes {
			g.Scopes = append(g.Scopes, keyviews.ScopeOption{Value: p.ID + "|" + s.Name, Name: s.Name, Description: s.Description})
		}
		f.Groups = append(f.Groups, g)
	}
	return f
}

func (h *APIKeys) newPage(c *fiber.Ctx) error {
	f := h.newForm(c)
	f.RateLimit = strconv.Itoa(apikeys.DefaultRateLimit)
	if _, ok := apikeys.LookupProduct(c.Query("product")); ok {
		f.Product = utils.CopyString(c.Query("product"))
	}
	if id, ok := web.ParseID(c.Query("account")); ok {
		f.Account = strconv.FormatInt(id, 10)
	}
	return h.renderNew(c, fiber.StatusOK, f)
}

func (h *APIKeys) renderNew(c *fiber.Ctx, status int, f keyviews.NewForm) error {
	p := h.app.Page(c, "New API key", "apikeys", apiKeysCrumb, layouts.Crumb{Label: "New"})
	if f.CSRF == "" {
		f.CSRF = p.CSRF
	}
	return web.Render(c, status, keyviews.NewPage(p, f))
}

// create issues a key and answers with the page that shows its secret. The
// secret exists only in this response: it is not stored, not redirected to,
// and the page is marked no-store so the back button does not bring it back.
func (h *APIKeys) create(c *fiber.Ctx) error {
	ctx := c.UserContext()
	f := h.newForm(c)
	f.Product = utils.CopyString(web.Truncate(strings.TrimSpace(c.FormValue("product")), 40))
	f.Account = utils.CopyString(web.Truncate(strings.TrimSpace(c.FormValue("account")), 300))
	f.Operator = c.FormValue("operator") != ""
	f.Name = utils.CopyString(web.Truncate(strings.TrimSpace(c.FormValue("name")), 300))
	f.RateLimit = utils.CopyString(web.Truncate(strings.TrimSpace(c.FormValue("rate_limit")), 20))
	f.SpendCap = utils.CopyString(web.Truncate(strings.TrimSpace(c.FormValue("spend_cap")), 30))
	f.Signing = c.FormValue("signing") != ""
	f.ExpiresOn = utils.CopyString(web.Truncate(strings.TrimSpace(c.FormValue("expires_on")), 20))

	in := apikeys.CreateInput{Product: f.Product, Operator: f.Operator, Name: f.Name}
	product, known := apikeys.LookupProduct(f.Product)
	if !known {
		f.Errors["product"] = "Choose a product."
		f.Product = ""
	}
	scopes, problem := web.APIKeyFormScopes(c, product, f.Checked)
	if known {
		in.Scopes = scopes
		if problem != "" {
			f.Errors["scopes"] = problem
		}
	}
	if f.Account != "" {
		acc, err := h.svc.ResolveAccount(ctx, f.Account)
		switch {
		case errors.Is(err, apikeys.ErrAccountNotFound):
			f.Errors["account"] = "There is no account with that id or email."
		case err != nil:
			return err
		default:
			in.AccountID = &acc.ID
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
	// Spend cap and signing apply to Lumi keys; the form hides them otherwise.
	if known && product.Money {
		if f.SpendCap != "" {
			cents, err := money.Parse(f.SpendCap)
			if err != nil {
				f.Errors["daily_spend_cap"] = "Enter an amount like 25 or 25.00."
			} else {
				v := int64(cents)
				in.DailySpendCapCents = &v
			}
		}
		in.WithSigningSecret = f.Signing
	}
	if f.ExpiresOn != "" {
		t, err := time.Parse(time.DateOnly, f.ExpiresOn)
		if err != nil {
			f.Errors["expires_at"] = "Enter a date like 2026-12-31."
		} else {
			in.ExpiresAt = &t
		}
	}
	if len(f.Errors) > 0 {
		// Also show what the service would refuse, so every problem shows at once.
		for k, m := range h.svc.Check(in) {
			if _, seen := f.Errors[k]; !seen {
				f.Errors[k] = web.Capitalize(m) + "."
			}
		}
	} else {
		created, err := h.svc.Create(ctx, web.Actor(c), in)
		var verr apikeys.ValidationError
		switch {
		case errors.As(err, &verr):
			maps.Copy(f.Errors, web.FieldErrors(err, nil))
		case err != nil:
			return err
		default:
			return h.showSecret(c, created, nil)
		}
	}
	f.Error = "Fix the highlighted fields and try again."
	return h.renderNew(c, fiber.StatusUnprocessableEntity, f)
}

func (h *APIKeys) showSecret(c *fiber.Ctx, created apikeys.Created, rotatedFrom *keyviews.Row) error {
	c.Set(fiber.HeaderCacheControl, "no-store")
	k := h.row(created.Key)
	v := keyviews.Created{Key: k, Secret: created.Secret, SigningSecret: created.SigningSecret,
		Usage: product.KeyUsage(k.Product, k.Prefix), RotatedFrom: rotatedFrom}
	title := "API key created"
	if rotatedFrom != nil {
		title = "Key rotated"
	}
	p := h.app.Page(c, title, "apikeys", apiKeysCrumb, layouts.Crumb{Label: k.Prefix + "…", Href: k.Href()})
	return web.Render(c, fiber.StatusOK, keyviews.CreatedPage(p, v))
}

var errAPIKeyNotFound = fiber.NewError(fiber.StatusNotFound, "There is no API key with that id.")

// target loads the key named by :id; bogus and unknown ids are 404.
func (h *APIKeys) target(c *fiber.Ctx) (apikeys.Key, error) {
	id, ok := web.ParseID(c.Params("id"))
	if !ok {
		return apikeys.Key{}, errAPIKeyNotFound
	}
	k, err := h.svc.Get(c.UserContext(), id)
	if errors.Is(err, apikeys.ErrNotFound) {
		return k, errAPIKeyNotFound
	}
	return k, err
}

func (h *APIKeys) detailView(c *fiber.Ctx, k apikeys.Key, tab string) keyviews.Detail {
	d := keyviews.Detail{Key: h.row(k), Tab: tab, CSRF: web.CSRFToken(c), CanManage: web.Can(c, staff.PermAPIKeysManage),
		AllScopes: k.Operator, Usage: product.KeyUsage(k.Product, k.Prefix), IPs: strings.Join(k.AllowedIPs, "\n")}
	if p, ok := apikeys.LookupProduct(k.Product); ok {
		for _, name := range k.Scopes {
			opt := keyviews.ScopeOption{Name: name}
			for _, s := range p.Scopes {
				if s.Name == name {
					opt.Description = s.Description
				}
			}
			d.Scopes = append(d.Scopes, opt)
		}
	}
	return d
}

func (h *APIKeys) detail(c *fiber.Ctx) error {
	k, err := h.target(c)
	if err != nil {
		return err
	}
	tab := ""
	if c.Query("tab") == "history" {
		tab = "history"
	}
	d := h.detailView(c, k, tab)
	p := h.app.Page(c, d.Key.Title(), "apikeys", apiKeysCrumb, layouts.Crumb{Label: d.Key.Prefix + "…"})
	return web.Render(c, fiber.StatusOK, keyviews.DetailPage(p, d))
}

var errKeyNotActive = fiber.NewError(fiber.StatusConflict, "This API key is already revoked or expired.")

// actionForm serves the revoke/rotate confirmation: a dialog for htmx, a page otherwise.
// actionForm shows the revoke or rotate form of an active key.
func (h *APIKeys) actionForm(c *fiber.Ctx, kind string) error {
	k, err := h.target(c)
	if err != nil {
		return err
	}
	if k.StatusAt(h.now()) != apikeys.StatusActive {
		return errKeyNotActive
	}
	f := keyviews.ActionForm{Kind: kind, Key: h.row(k), CSRF: web.CSRFToken(c), Errors: map[string]string{}}
	if web.IsHTMX(c) {
		return web.Render(c, fiber.StatusOK, keyviews.ActionDialog(f))
	}
	return h.renderAction(c, fiber.StatusOK, f)
}

func (h *APIKeys) revokeForm(c *fiber.Ctx) error { return h.actionForm(c, "revoke") }
func (h *APIKeys) rotateForm(c *fiber.Ctx) error { return h.actionForm(c, "rotate") }

func (h *APIKeys) renderAction(c *fiber.Ctx, status int, f keyviews.ActionForm) error {
	p := h.app.Page(c, f.Title(), "apikeys", apiKeysCrumb, layouts.Crumb{Label: f.Key.Prefix + "…", Href: f.Key.Href()},
		layouts.Crumb{Label: f.Submit()})
	if f.CSRF == "" {
		f.CSRF = p.CSRF
	}
	return web.Render(c, status, keyviews.ActionPage(p, f))
}

// actionInput loads the key and reads the reason of a revoke or rotate.
func (h *APIKeys) actionInput(c *fiber.Ctx, kind string) (apikeys.Key, keyviews.ActionForm, error) {
	k, err := h.target(c)
	if err != nil {
		return k, keyviews.ActionForm{}, err
	}
	f := keyviews.ActionForm{Kind: kind, Key: h.row(k), CSRF: web.CSRFToken(c), Errors: map[string]string{},
		Reason: web.Truncate(web.Field(c, "reason"), 4*apikeys.MaxReasonLen)}
	return k, f, nil
}

// refused answers a refused revoke or rotate: 422 for bad input (a toast for
// htmx, the form with its message otherwise); a key that is no longer
// active, 409.
func (h *APIKeys) refused(c *fiber.Ctx, f keyviews.ActionForm, err error) error {
	var verr apikeys.ValidationError
	switch {
	case errors.As(err, &verr):
		maps.Copy(f.Errors, web.FieldErrors(err, nil))
		return h.actionFailed(c, fiber.StatusUnprocessableEntity, f)
	case errors.Is(err, apikeys.ErrAlreadyRevoked), errors.Is(err, apikeys.ErrExpired):
		f.Error = web.Capitalize(err.Error()) + "."
		return h.actionFailed(c, fiber.StatusConflict, f)
	case errors.Is(err, apikeys.ErrNotFound):
		return errAPIKeyNotFound
	}
	return err
}

func (h *APIKeys) revoke(c *fiber.Ctx) error {
	k, f, err := h.actionInput(c, "revoke")
	if err != nil {
		return err
	}
	revoked, err := h.svc.Revoke(c.UserContext(), web.Actor(c), k.ID, f.Reason)
	if err != nil {
		return h.refused(c, f, err)
	}
	h.app.Toast(c, "success", "Key "+k.Prefix+" revoked.")
	if !web.IsHTMX(c) {
		return web.Redirect(c, "/apikeys/"+strconv.FormatInt(k.ID, 10))
	}
	return web.Render(c, fiber.StatusOK, keyviews.Header(h.detailView(c, revoked, ""), false))
}

// rotate replaces a key by a new one; the new secret is shown once.
func (h *APIKeys) rotate(c *fiber.Ctx) error {
	k, f, err := h.actionInput(c, "rotate")
	if err != nil {
		return err
	}
	ctx := c.UserContext()
	created, err := h.svc.Rotate(ctx, web.Actor(c), k.ID, f.Reason)
	if err != nil {
		return h.refused(c, f, err)
	}
	old, err := h.svc.Get(ctx, k.ID)
	if err != nil {
		return err
	}
	oldRow := h.row(old)
	if !web.IsHTMX(c) {
		return h.showSecret(c, created, &oldRow)
	}
	c.Set(fiber.HeaderCacheControl, "no-store")
	h.app.Toast(c, "success", "Key "+k.Prefix+" rotated; copy the new secret now.")
	nk := h.row(created.Key)
	v := keyviews.Created{Key: nk, Secret: created.Secret, SigningSecret: created.SigningSecret,
		Usage: product.KeyUsage(nk.Product, nk.Prefix), RotatedFrom: &oldRow}
	return web.Render(c, fiber.StatusOK, keyviews.RotatedDialog(v, h.detailView(c, old, "")))
}

func (h *APIKeys) actionFailed(c *fiber.Ctx, status int, f keyviews.ActionForm) error {
	if web.IsHTMX(c) {
		msg := f.Error
		if msg == "" {
			msg = f.Errors["reason"]
		}
		c.Set("HX-Trigger", web.ToastTrigger("error", msg))
		c.Set("HX-Reswap", "none")
		return c.Status(status).SendString(msg)
	}
	return h.renderAction(c, status, f)
}

// apiProductHue is the colour of an API key product's chip ("" if unknown),
// from the product registry.
func apiProductHue(id string) string {
	p, _, _ := product.OfAPIProduct(id)
	return p.Hue
}

// setAllowedIPs replaces a Luarmor key's IP allow list (entries separated
// by lines, spaces or commas); bad entries re-render the page with the message.
func (h *APIKeys) setAllowedIPs(c *fiber.Ctx) error {
	k, err := h.target(c)
	if err != nil {
		return err
	}
	text := web.Truncate(c.FormValue("allowed_ips"), 16<<10)
	entries := strings.FieldsFunc(text, func(r rune) bool { return r == ',' || r == ';' || unicode.IsSpace(r) })
	updated, err := h.svc.SetAllowedIPs(c.UserContext(), web.Actor(c), accounts.AllAccounts, k.ID, entries)
	var verr apikeys.ValidationError
	switch {
	case errors.Is(err, apikeys.ErrNotFound):
		return errAPIKeyNotFound
	case errors.As(err, &verr), errors.Is(err, apikeys.ErrAlreadyRevoked):
		status := fiber.StatusUnprocessableEntity
		d := h.detailView(c, k, "")
		d.IPs = utils.CopyString(text)
		if errors.As(err, &verr) {
			d.IPError = web.Capitalize(verr["allowed_ips"]) + "."
		} else {
			status, d.IPError = fiber.StatusConflict, web.Capitalize(err.Error())+"."
		}
		p := h.app.Page(c, d.Key.Title(), "apikeys", apiKeysCrumb, layouts.Crumb{Label: d.Key.Prefix + "…"})
		return web.Render(c, status, keyviews.DetailPage(p, d))
	case err != nil:
		return err
	}
	msg := "Key " + k.Prefix + " accepts requests from any address."
	if n := len(updated.AllowedIPs); n > 0 {
		msg = "Key " + k.Prefix + " accepts requests from its " + strconv.Itoa(n) + " allowed addresses or networks only."
	}
	h.app.Toast(c, "success", msg)
	return web.Redirect(c, "/apikeys/"+strconv.FormatInt(k.ID, 10))
}
