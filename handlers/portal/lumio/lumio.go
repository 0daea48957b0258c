// Package lumio is the customer portal's Lumio area (/portal/lumio): the
// account's extensions with the create form, and an extension's page with
// its edit form, versions under review (status, rejection reason,
// rollout) and the form that submits one, installs per day by version,
// write-only secrets, and deleting an extension never listed publicly.
//
// Every call passes web.PortalScope(c) to marketplace.Service: another
// account's extension is "not found" exactly like an unknown one. Reads
// need customers.PermView, changes customers.PermDevelop (the route table
// says which); read-only users see no forms.
package lumio

import (
	"context"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"lumdesk/handlers/web"
	"lumdesk/internal/accounts"
	"lumdesk/internal/audit"
	"lumdesk/internal/customers"
	"lumdesk/internal/marketplace"
	"lumdesk/internal/product"
	"lumdesk/views/components"
	"lumdesk/views/layouts"
	portalview "lumdesk/views/pages/portal"
	view "lumdesk/views/pages/portal/lumio"
)

// Service is what the portal's Lumio pages need of marketplace.Service.
type Service interface {
	ListExtensions(ctx context.Context, f marketplace.ListFilter) (marketplace.ExtensionPage, error)
	GetExtension(ctx context.Context, scope accounts.Scope, id string) (marketplace.Extension, error)
	CreateExtension(ctx context.Context, actor audit.Actor, scope accounts.Scope, in marketplace.ExtensionInput) (marketplace.Extension, error)
	UpdateExtension(ctx context.Context, actor audit.Actor, scope accounts.Scope, id string, in marketplace.ExtensionPatch) (marketplace.Extension, error)
	ListVersions(ctx context.Context, scope accounts.Scope, extID string) ([]marketplace.VersionInfo, error)
	InstallStats(ctx context.Context, scope accounts.Scope, extID string) (marketplace.InstallStats, error)
	InstallHistory(ctx context.Context, scope accounts.Scope, extID string, days int) (marketplace.InstallHistory, error)
	ListSecretNames(ctx context.Context, scope accounts.Scope, extID string) ([]marketplace.SecretName, error)
	SetSecret(ctx context.Context, actor audit.Actor, scope accounts.Scope, extID, name, value string) error
	DeleteSecret(ctx context.Context, actor audit.Actor, scope accounts.Scope, extID, name string) error
	SubmitVersion(ctx context.Context, actor audit.Actor, scope accounts.Scope, extID string, in marketplace.VersionInput) (marketplace.VersionInfo, error)
	DeleteExtension(ctx context.Context, actor audit.Actor, scope accounts.Scope, id string) error
}

// Portal serves /portal/lumio (a web.RouteGroup and a portal.Area).
type Portal struct {
	svc Service
	app *web.App
}

// New makes the route group.
func New(svc Service) *Portal { return &Portal{svc: svc} }

// Routes implements web.RouteGroup.
func (h *Portal) Routes(a *web.App) []web.Route {
	h.app = a
	read, dev := customers.PermView, customers.PermDevelop
	const ext = view.ExtensionsPath + "/:id"
	return []web.Route{
		web.PortalGet(view.Path, read, h.list),
		web.PortalPost(view.ExtensionsPath, dev, h.create),
		web.PortalGet(ext, read, h.extension),
		web.PortalPost(ext, dev, h.update),
		web.PortalPost(ext+"/versions", dev, h.submitVersion),
		web.PortalPost(ext+"/delete", dev, h.deleteExtension),
		web.PortalPost(ext+"/secrets", dev, h.setSecret),
		web.PortalGet(ext+"/secrets/:name/delete", dev, h.confirmDelete),
		web.PortalPost(ext+"/secrets/:name/delete", dev, h.deleteSecret),
	}
}

// PortalProduct implements portal.Area.
func (h *Portal) PortalProduct() string { return product.Marketplace }

// homeRead bounds the extensions counted for the home card.
const homeRead = marketplace.MaxListLimit

// PortalHome implements portal.Area: the account's extensions, those
// waiting for review and installs.
func (h *Portal) PortalHome(c *fiber.Ctx, accountID int64) (portalview.HomeProduct, error) {
	page, err := h.svc.ListExtensions(c.UserContext(), marketplace.ListFilter{Scope: accounts.Only(accountID), Limit: homeRead})
	if err != nil {
		return portalview.HomeProduct{}, err
	}
	if len(page.Extensions) == 0 {
		return portalview.HomeProduct{Empty: "No Lumio extensions yet. Create one, then submit versions from its page or with lumio deploy."}, nil
	}
	var public, pending, installs int64
	for _, e := range page.Extensions {
		if e.Visibility == marketplace.VisibilityPublic {
			public++
		}
		if e.Status == marketplace.StatusPending {
			pending++
		}
		installs += e.InstallCount
	}
	n := num(int64(len(page.Extensions)))
	if page.Next != nil {
		n += "+"
	}
	return portalview.HomeProduct{Figures: []portalview.Figure{
		{Label: "Extensions", Value: n},
		{Label: "Public", Value: num(public)},
		{Label: "In review", Value: num(pending)},
		{Label: "Installs", Value: num(installs)},
	}}, nil
}

var crumb = layouts.Crumb{Label: "Lumio", Href: view.Path}

func (h *Portal) page(c *fiber.Ctx, title string, crumbs ...layouts.Crumb) layouts.Page {
	return h.app.PortalPage(c, title, view.Nav, crumbs...)
}

func num(n int64) string { return components.Thousands(n) }

// formNames maps the service's field names to the forms'.
var formNames = map[string]string{"pricing.type": "pricing_type", "pricing.amount": "pricing_amount",
	"pricing.currency": "pricing_amount", "pricing.interval": "pricing_interval"}

// readPricing reads the pricing fields; what the chosen type does not use
// is ignored, so a free extension with a leftover price is still free.
func readPricing(c *fiber.Ctx) (view.PricingForm, *marketplace.PricingInput) {
	f := view.PricingForm{Type: web.Truncate(web.Field(c, "pricing_type"), 40), Amount: web.Truncate(web.Field(c, "pricing_amount"), 40),
		Interval: web.Truncate(web.Field(c, "pricing_interval"), 40)}
	in := &marketplace.PricingInput{Type: f.Type, Amount: f.Amount, Interval: f.Interval}
	switch f.Type {
	case marketplace.PricingFree:
		in.Amount, in.Interval = "", ""
	case marketplace.PricingOneTime:
		in.Interval = ""
	}
	return f, in
}

func pricingForm(p marketplace.Pricing) view.PricingForm {
	f := view.PricingForm{Type: p.Type, Interval: p.Interval}
	if p.Type != marketplace.PricingFree {
		f.Amount = p.Amount.String()
	}
	return f
}

// pricingText says what the extension costs: "Free", "$4.99 once",
// "$2.00 a month".
func pricingText(p marketplace.Pricing) string {
	switch p.Type {
	case marketplace.PricingOneTime:
		return "$" + p.Amount.String() + " once"
	case marketplace.PricingSubscription:
		return "$" + p.Amount.String() + " a " + p.Interval
	}
	return "Free"
}

// cursor is a list page link's position: the update time in microseconds
// and the row id.
func cursorString(cur marketplace.Cursor) string {
	return strconv.FormatInt(cur.UpdatedAt.UnixMicro(), 10) + "." + strconv.FormatInt(cur.ID, 10)
}

func parseCursor(s string) (*marketplace.Cursor, bool) {
	a, b, ok := strings.Cut(s, ".")
	if !ok || len(s) > 40 {
		return nil, false
	}
	us, err1 := strconv.ParseInt(a, 10, 64)
	id, err2 := strconv.ParseInt(b, 10, 64)
	if err1 != nil || err2 != nil || us < 0 || id <= 0 {
		return nil, false
	}
	return &marketplace.Cursor{UpdatedAt: time.UnixMicro(us).UTC(), ID: id}, true
}

// list is /portal/lumio.
func (h *Portal) list(c *fiber.Ctx) error {
	return h.renderList(c, fiber.StatusOK, view.CreateForm{Pricing: view.PricingForm{Type: marketplace.PricingFree}, Errors: map[string]string{}})
}

func (h *Portal) renderList(c *fiber.Ctx, status int, form view.CreateForm) error {
	ctx := c.UserContext()
	scope := web.PortalScope(c)
	v := view.ExtensionList{CanDevelop: web.CustomerMay(c, customers.PermDevelop), CSRF: web.CSRFToken(c), Create: form}
	f := marketplace.ListFilter{Scope: scope}
	if a := c.Query("after"); a != "" && web.IsGet(c) {
		if cur, ok := parseCursor(a); ok {
			f.After = cur
			v.FirstHref = view.Path
		} else {
			v.Error = "That page link is not valid; showing the first page."
			status = fiber.StatusUnprocessableEntity
		}
	}
	page, err := h.svc.ListExtensions(ctx, f)
	if err != nil {
		return err
	}
	for _, e := range page.Extensions {
		r := view.ExtensionRow{ID: e.ID, Name: e.Name, Slug: e.Slug, ShortDescription: e.ShortDescription, Status: e.Status,
			Visibility: e.Visibility, Installs: num(e.InstallCount), Updated: e.UpdatedAt}
		if e.CurrentVersionID != "" {
			vs, err := h.svc.ListVersions(ctx, scope, e.ID)
			if err != nil {
				return err
			}
			for _, ver := range vs {
				if ver.ID == e.CurrentVersionID {
					r.CurrentVersion = ver.Version
				}
			}
		}
		v.Rows = append(v.Rows, r)
	}
	if page.Next != nil {
		v.NextHref = view.Path + "?after=" + cursorString(*page.Next)
	}
	return web.Render(c, status, view.ExtensionsPage(h.page(c, "Lumio", layouts.Crumb{Label: "Lumio"}), v))
}

// create makes an extension from the list page's form.
func (h *Portal) create(c *fiber.Ctx) error {
	form := view.CreateForm{Name: web.Truncate(web.Field(c, "name"), 400), ShortDescription: web.Truncate(web.Field(c, "short_description"), 1000),
		Errors: map[string]string{}}
	var pricing *marketplace.PricingInput
	form.Pricing, pricing = readPricing(c)
	e, err := h.svc.CreateExtension(c.UserContext(), web.Actor(c), web.PortalScope(c),
		marketplace.ExtensionInput{Name: form.Name, ShortDescription: form.ShortDescription, Pricing: pricing})
	if errs := web.FieldErrors(err, formNames); errs != nil {
		form.Errors, form.FormError = errs, "The extension was not created: fix the highlighted fields."
		return h.renderList(c, fiber.StatusUnprocessableEntity, form)
	}
	if err != nil {
		return err
	}
	h.app.Toast(c, "success", "Extension "+e.Name+" created. Upload its first version with lumio deploy.")
	return web.Redirect(c, view.ExtensionHref(e.ID))
}
