package lumio

import (
	"errors"
	"fmt"
	"strings"

	"github.com/a-h/templ"
	"github.com/gofiber/fiber/v2"

	"lumdesk/handlers/web"
	"lumdesk/internal/customers"
	"lumdesk/internal/marketplace"
	"lumdesk/internal/platform/markdown"
	"lumdesk/views/components"
	"lumdesk/views/layouts"
	view "lumdesk/views/pages/portal/lumio"
)

// chartDays is how many days the installs chart covers.
const chartDays = 30

// maxFormBundle is the largest bundle the version form takes: the request
// body limit less room for the other fields and the multipart framing.
const maxFormBundle = web.BodyLimit - 64<<10

// extensionForms are the forms of an extension's page as they stand.
type extensionForms struct {
	edit          *view.EditForm // nil: filled from the extension
	secret        view.SecretForm
	submit        view.VersionForm
	confirmDelete string
	deleteError   string
}

func (h *Portal) extension(c *fiber.Ctx) error {
	return h.renderExtension(c, fiber.StatusOK, extensionForms{})
}

func (h *Portal) renderExtension(c *fiber.Ctx, status int, forms extensionForms) error {
	ctx := c.UserContext()
	scope := web.PortalScope(c)
	e, err := h.svc.GetExtension(ctx, scope, c.Params("id"))
	if err != nil {
		return err
	}
	v := view.ExtensionPage{ID: e.ID, Name: e.Name, Slug: e.Slug, ShortDescription: e.ShortDescription, Status: e.Status,
		Visibility: e.Visibility, Pricing: pricingText(e.Pricing), Created: e.CreatedAt, Updated: e.UpdatedAt,
		CanDevelop: web.CustomerMay(c, customers.PermDevelop), CSRF: web.CSRFToken(c), Secret: forms.secret, ConfirmDelete: forms.confirmDelete, ChartDays: chartDays}
	if v.Secret.Errors == nil {
		v.Secret.Errors = map[string]string{}
	}
	v.Submit, v.EverPublic, v.DeleteError = forms.submit, e.EverPublic, forms.deleteError
	v.MaxBundle, v.MaxBundleText = maxFormBundle, byteSize(maxFormBundle)
	if v.Submit.Errors == nil {
		v.Submit.Errors = map[string]string{}
	}
	if e.Description != "" {
		v.Description = templ.Raw(string(markdown.Render(e.Description)))
	}
	if forms.edit != nil {
		v.Edit = *forms.edit
	} else {
		v.Edit = view.EditForm{Name: e.Name, ShortDescription: e.ShortDescription, Description: e.Description,
			Pricing: pricingForm(e.Pricing), Visibility: e.Visibility, Errors: map[string]string{}}
	}

	versions, err := h.svc.ListVersions(ctx, scope, e.ID)
	if err != nil {
		return err
	}
	for _, ver := range versions {
		r := view.VersionRow{ID: ver.ID, Version: ver.Version, Status: ver.Status, Changelog: ver.Changelog, RejectionReason: ver.RejectionReason,
			Size: byteSize(ver.BundleSize), Files: fileCount(ver.FileCount), Submitted: ver.SubmittedAt, Reviewed: ver.ReviewedAt,
			Current: ver.ID == e.CurrentVersionID}
		if ver.Status == marketplace.VersionApproved {
			r.Rollout = fmt.Sprintf("%d%%", ver.RolloutPercent)
		}
		if r.Current {
			v.CurrentVersion = ver.Version
		}
		v.Versions = append(v.Versions, r)
	}

	if err := h.installs(c, e, &v); err != nil {
		return err
	}

	secrets, err := h.svc.ListSecretNames(ctx, scope, e.ID)
	if err != nil {
		return err
	}
	for _, s := range secrets {
		v.Secrets = append(v.Secrets, view.SecretRow{Name: s.Name, SetBy: s.SetBy, Updated: s.UpdatedAt})
	}
	// A page that may have held a secret's value in a form is never cached.
	c.Set(fiber.HeaderCacheControl, "no-store")
	return web.Render(c, status, view.ExtensionDetail(h.page(c, e.Name, crumb, layouts.Crumb{Label: e.Name}), v))
}

// installs fills the totals and the chart. The figures are secondary to the
// page: when they cannot be read the page says so and still serves the
// rest (the failure is logged).
func (h *Portal) installs(c *fiber.Ctx, e marketplace.Extension, v *view.ExtensionPage) error {
	ctx := c.UserContext()
	scope := web.PortalScope(c)
	stats, err := h.svc.InstallStats(ctx, scope, e.ID)
	var hist marketplace.InstallHistory
	if err == nil {
		hist, err = h.svc.InstallHistory(ctx, scope, e.ID, chartDays)
	}
	var nf web.NotFoundError
	if errors.As(err, &nf) && nf.NotFound() {
		return err
	}
	if err != nil {
		h.app.Log().Warn("portal lumio installs unavailable", "extension", e.ID, "err", err, "request_id", web.RequestID(c))
		v.InstallsError = "Install figures are not available right now; try again later."
		return nil
	}
	v.Installs, v.Active = num(stats.Total), num(stats.Active)
	totals := make([]int64, len(hist.Days))
	for _, s := range hist.Series {
		b := view.VersionInstalls{ID: s.VersionID, Version: s.Version, Daily: s.Active, Active: num(stats.ByVersion[s.VersionID])}
		for i, n := range s.Active {
			if i < len(totals) {
				totals[i] += n
			}
		}
		v.ByVersion = append(v.ByVersion, b)
	}
	for i, d := range hist.Days {
		v.Chart = append(v.Chart, components.ChartPoint{Label: d.UTC().Format("Jan 2"), Value: totals[i]})
	}
	return nil
}

func byteSize(n int64) string {
	switch {
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d B", n)
}

func fileCount(n int) string {
	if n == 1 {
		return "1 file"
	}
	return fmt.Sprintf("%d files", n)
}

// update saves the edit form.
func (h *Portal) update(c *fiber.Ctx) error {
	form := view.EditForm{Name: web.Truncate(web.Field(c, "name"), 400), ShortDescription: web.Truncate(web.Field(c, "short_description"), 1000),
		Description: web.Truncate(web.FieldText(c, "description"), marketplace.MaxDescription*4+1), Visibility: web.Truncate(web.Field(c, "visibility"), 40),
		Errors: map[string]string{}}
	var pricing *marketplace.PricingInput
	form.Pricing, pricing = readPricing(c)
	patch := marketplace.ExtensionPatch{Name: &form.Name, ShortDescription: &form.ShortDescription, Description: &form.Description,
		Pricing: pricing, Visibility: &form.Visibility}
	e, err := h.svc.UpdateExtension(c.UserContext(), web.Actor(c), web.PortalScope(c), c.Params("id"), patch)
	if errs := web.FieldErrors(err, formNames); errs != nil {
		form.Errors, form.FormError = errs, "Nothing was saved: fix the highlighted fields."
		return h.renderExtension(c, fiber.StatusUnprocessableEntity, extensionForms{edit: &form})
	}
	if err != nil {
		return err
	}
	h.app.Toast(c, "success", "Extension "+e.Name+" saved.")
	return web.Redirect(c, view.ExtensionHref(e.ID))
}

// setSecret sets (or replaces) a secret; its value goes to the service
// and nowhere else, not even back into the form.
func (h *Portal) setSecret(c *fiber.Ctx) error {
	form := view.SecretForm{Name: web.Truncate(web.Field(c, "name"), 200), Errors: map[string]string{}}
	value := c.FormValue("value")
	if len(value) > 4*marketplace.MaxSecretValue {
		value = value[:4*marketplace.MaxSecretValue+1] // still too long: the service says so
	}
	err := h.svc.SetSecret(c.UserContext(), web.Actor(c), web.PortalScope(c), c.Params("id"), form.Name, value)
	if errs := web.FieldErrors(err, nil); errs != nil {
		form.Errors, form.FormError = errs, "The secret was not set: fix the highlighted fields (enter the value again)."
		return h.renderExtension(c, fiber.StatusUnprocessableEntity, extensionForms{secret: form})
	}
	if err != nil {
		return err
	}
	h.app.Toast(c, "success", "Secret "+form.Name+" set.")
	return web.Redirect(c, view.ExtensionHref(c.Params("id")))
}

// confirmDelete is the extension's page asking to confirm a secret's
// deletion (an unknown secret is not found).
func (h *Portal) confirmDelete(c *fiber.Ctx) error {
	name := c.Params("name")
	secrets, err := h.svc.ListSecretNames(c.UserContext(), web.PortalScope(c), c.Params("id"))
	if err != nil {
		return err
	}
	for _, s := range secrets {
		if s.Name == name {
			return h.renderExtension(c, fiber.StatusOK, extensionForms{confirmDelete: s.Name})
		}
	}
	return marketplace.ErrSecretNotFound
}

func (h *Portal) deleteSecret(c *fiber.Ctx) error {
	name := c.Params("name")
	if err := h.svc.DeleteSecret(c.UserContext(), web.Actor(c), web.PortalScope(c), c.Params("id"), name); err != nil {
		return err
	}
	h.app.Toast(c, "success", "Secret "+name+" deleted.")
	return web.Redirect(c, view.ExtensionHref(c.Params("id")))
}

// submitVersion submits a version from the page's form, as the API's POST
// .../versions: the same checks, the bundle validated as it is stored.
// The form's body is buffered (web.BodyLimit); bigger bundles go through
// the API, which streams them.
func (h *Portal) submitVersion(c *fiber.Ctx) error {
	form := view.VersionForm{Version: web.Truncate(web.Field(c, "version"), 256),
		Changelog: web.Truncate(web.FieldText(c, "changelog"), marketplace.MaxChangelog*4+1), Errors: map[string]string{}}
	in := marketplace.VersionInput{Version: form.Version, Changelog: form.Changelog}
	if fh, err := c.FormFile("bundle"); err == nil && fh.Size > 0 {
		f, err := fh.Open()
		if err != nil {
			form.Errors["bundle"] = "The file could not be read; choose it again."
			form.FormError = "The version was not submitted: fix the highlighted fields."
			return h.renderExtension(c, fiber.StatusUnprocessableEntity, extensionForms{submit: form})
		}
		defer f.Close()
		in.Bundle = f
	}
	v, err := h.svc.SubmitVersion(c.UserContext(), web.Actor(c), web.PortalScope(c), c.Params("id"), in)
	if errors.Is(err, marketplace.ErrVersionExists) {
		err = marketplace.ValidationError{"version": "This version was submitted already; give a higher one."}
	}
	if errs := web.FieldErrors(err, nil); errs != nil {
		form.Errors, form.FormError = errs, "The version was not submitted: fix the highlighted fields."
		return h.renderExtension(c, fiber.StatusUnprocessableEntity, extensionForms{submit: form})
	}
	if err != nil {
		return err
	}
	h.app.Toast(c, "success", "Version "+v.Version+" submitted; it waits for review.")
	return web.Redirect(c, view.ExtensionHref(c.Params("id")))
}

// deleteExtension deletes an extension never listed publicly, once its
// slug is typed (the dialog's submit waits for it; this checks again).
func (h *Portal) deleteExtension(c *fiber.Ctx) error {
	ctx, scope := c.UserContext(), web.PortalScope(c)
	e, err := h.svc.GetExtension(ctx, scope, c.Params("id"))
	if err != nil {
		return err
	}
	if strings.TrimSpace(web.Field(c, "confirm")) != e.Slug {
		return h.renderExtension(c, fiber.StatusUnprocessableEntity, extensionForms{deleteError: "Type " + e.Slug + " to confirm."})
	}
	err = h.svc.DeleteExtension(ctx, web.Actor(c), scope, e.ID)
	if errors.Is(err, marketplace.ErrExtensionWasPublic) {
		return h.renderExtension(c, fiber.StatusConflict, extensionForms{deleteError: "This extension was listed publicly, so it cannot be deleted; set its visibility to private or unlisted instead."})
	}
	if err != nil {
		return err
	}
	// A flash, not a toast: the browser goes to the list, the extension gone.
	h.app.Flash(c, "success", "Extension "+e.Name+" deleted.")
	return web.Redirect(c, view.Path)
}
