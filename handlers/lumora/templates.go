package lumora

import (
	"context"
	"errors"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"

	"lumdesk/handlers/web"
	"lumdesk/internal/accounts"
	"lumdesk/internal/audit"
	"lumdesk/internal/mail"
	"lumdesk/internal/mail/templates"
	"lumdesk/internal/staff"
	"lumdesk/views/components"
	"lumdesk/views/layouts"
	view "lumdesk/views/pages/lumora"
)

// TemplatesService is what the template pages need of internal/mail/templates.
type TemplatesService interface {
	Create(ctx context.Context, actor audit.Actor, scope accounts.Scope, in templates.CreateInput) (templates.Template, error)
	Get(ctx context.Context, scope accounts.Scope, ref string) (templates.Template, error)
	Update(ctx context.Context, actor audit.Actor, scope accounts.Scope, ref string, in templates.UpdateInput) (templates.Template, error)
	List(ctx context.Context, scope accounts.Scope, cursor string, limit int) (templates.Page, error)
	Versions(ctx context.Context, scope accounts.Scope, ref string, beforeVersion, limit int) ([]templates.Version, error)
	Render(ctx context.Context, scope accounts.Scope, ref string, vars map[string]any) (templates.Rendered, error)
	Diff(ctx context.Context, scope accounts.Scope, ref string, from, to int) (templates.VersionDiff, error)
}

// WithTemplates adds the template pages; without it they answer 404.
func (h *Lumora) WithTemplates(t TemplatesService) *Lumora {
	h.templates = t
	return h
}

// versionsShown is how many versions the template page lists.
const versionsShown = 50

func (h *Lumora) tplService() (TemplatesService, error) {
	if h.templates == nil {
		return nil, templates.ErrTemplateNotFound
	}
	return h.templates, nil
}

func (h *Lumora) templateList(c *fiber.Ctx) error {
	svc, err := h.tplService()
	if err != nil {
		return err
	}
	l := view.TemplateList{CanManage: web.Can(c, staff.PermMailManage)}
	cursor := web.Truncate(web.Field(c, "cursor"), 20)
	page, err := svc.List(c.UserContext(), accounts.AllAccounts, cursor, pageSize)
	if errs := web.FieldErrors(err, nil); errs != nil {
		// A cursor this list did not give: the first page, and say so.
		l.Error = "That page link is not valid; showing the first page."
		page, err = svc.List(c.UserContext(), accounts.AllAccounts, "", pageSize)
	} else {
		l.Cursor = cursor
	}
	if err != nil {
		return err
	}
	for _, t := range page.Templates {
		l.Rows = append(l.Rows, view.TemplateRow{ID: t.ID, Slug: t.Slug, Name: t.Name, AccountID: t.AccountID,
			Version: t.Version, Updated: t.UpdatedAt})
	}
	l.NextCursor = page.NextCursor
	l.Bar = h.app.ListBar(c, view.TemplatesPath, "", nil)
	return web.Render(c, fiber.StatusOK, view.TemplatesPage(h.page(c, "Templates", layouts.Crumb{Label: "Templates"}), l))
}

// templateID is the :id parameter (templates.ParseID).
func templateID(c *fiber.Ctx) (string, error) { return templates.ParseID(c.Params("id")) }

func (h *Lumora) template(c *fiber.Ctx) error {
	ref, err := templateID(c)
	if err != nil {
		return err
	}
	return h.renderTemplate(c, fiber.StatusOK, ref, view.TestSendForm{Variables: "{}", Errors: map[string]string{}})
}

// renderTemplate is the template's page, with the test send form as given.
func (h *Lumora) renderTemplate(c *fiber.Ctx, status int, ref string, send view.TestSendForm) error {
	svc, err := h.tplService()
	if err != nil {
		return err
	}
	ctx := c.UserContext()
	t, err := svc.Get(ctx, accounts.AllAccounts, ref)
	if err != nil {
		return err
	}
	v := view.TemplatePage{ID: t.ID, Slug: t.Slug, Name: t.Name, Subject: t.Subject, Text: t.Text, AccountID: t.AccountID,
		Version: t.Version, HasHTML: t.HTML != "", Created: t.CreatedAt, Updated: t.UpdatedAt,
		Vars: web.Truncate(web.FieldText(c, "vars"), templates.MaxPreviewVariables+1), CanManage: web.Can(c, staff.PermMailManage),
		CSRF: web.CSRFToken(c), Send: send}
	if c.Method() != fiber.MethodGet || strings.TrimSpace(v.Vars) == "" {
		v.Vars = "{}"
	}
	// Render here too, so a missing variable is a message in the page and
	// not a blank iframe.
	if vars, msg := templates.PreviewVariables(v.Vars); msg != "" {
		v.PreviewError = msg
	} else if _, err := svc.Render(ctx, accounts.AllAccounts, ref, vars); err != nil {
		if v.PreviewError = templates.Explain(err); v.PreviewError == "" {
			return err
		}
	}
	versions, err := svc.Versions(ctx, accounts.AllAccounts, ref, 0, versionsShown)
	if err != nil {
		return err
	}
	for _, r := range versions {
		v.Versions = append(v.Versions, view.TemplateVersionRow{Version: r.Version, Actor: r.Actor, Created: r.CreatedAt})
	}
	if v.CanManage {
		apps, err := h.svc.ListApps(ctx, accounts.Only(t.AccountID), 0, pageSize)
		if err != nil {
			return err
		}
		for _, a := range apps {
			label := a.Name
			if a.DefaultFromEmail != "" {
				label += " (" + a.DefaultFromEmail + ")"
			}
			v.Send.Apps = append(v.Send.Apps, components.Option{Value: strconv.FormatInt(a.ID, 10), Label: label})
		}
	}
	p := h.page(c, t.Name, web.Crumb("Templates", view.TemplatesPath), web.Crumb(t.Name))
	return web.Render(c, status, view.TemplateDetail(p, v))
}

// sendTest sends the template to one address through an app of its
// account, as the API would (the message then shows in the log, and in the
// sandbox inbox when there is one).
func (h *Lumora) sendTest(c *fiber.Ctx) error {
	svc, err := h.tplService()
	if err != nil {
		return err
	}
	ref, err := templateID(c)
	if err != nil {
		return err
	}
	t, err := svc.Get(c.UserContext(), accounts.AllAccounts, ref)
	if err != nil {
		return err
	}
	f := view.TestSendForm{App: web.Truncate(web.Field(c, "app"), 20), From: web.Truncate(web.Field(c, "from"), 320),
		To: web.Truncate(web.Field(c, "to"), 320), Variables: web.Truncate(web.FieldText(c, "variables"), templates.MaxPreviewVariables+1),
		Errors: map[string]string{}}
	fail := func(field, msg string) error {
		if field != "" {
			f.Errors[field] = msg
			msg = "The test email was not sent: fix the highlighted fields."
		}
		f.FormError = msg
		return h.renderTemplate(c, fiber.StatusUnprocessableEntity, ref, f)
	}
	appID, ok := web.ParseID(f.App)
	if !ok {
		return fail("app", "Choose the app to send with.")
	}
	if f.To == "" {
		return fail("to", "Enter the address to send the test email to.")
	}
	vars, msg := templates.PreviewVariables(f.Variables)
	if msg != "" {
		return fail("variables", strings.Replace(msg, "preview variables", "variables", 1))
	}
	// Scoped to the template's account: an app of another account is not found.
	res, err := h.svc.Send(c.UserContext(), accounts.Only(t.AccountID), appID, mail.SendInput{FromEmail: f.From, To: []string{f.To},
		Template: ref, Variables: vars})
	if err != nil {
		return h.sendError(c, err, fail)
	}
	h.app.Toast(c, "success", "Test email queued as "+res.MessageID+".")
	return web.Redirect(c, view.MessageHref(res.MessageID))
}

// sendError puts a refused send on the form: a field's problem on that
// field, the rest (an unverified sender domain, a missing variable, every
// recipient suppressed) at the top in words.
func (h *Lumora) sendError(c *fiber.Ctx, err error, fail func(field, msg string) error) error {
	if errs := web.FieldErrors(err, map[string]string{"from_email": "from", "from": "from", "to": "to"}); errs != nil {
		for _, field := range []string{"from", "to"} {
			if m, ok := errs[field]; ok {
				return fail(field, m)
			}
		}
		return fail("", web.FieldErrorsText(errs))
	}
	var sd *mail.SenderDomainError
	switch {
	case errors.As(err, &sd):
		return fail("from", "The sender's domain "+sd.Domain+" is not verified ("+sd.Reason+"): add and verify it first.")
	case errors.Is(err, mail.ErrSenderDomainNotVerified):
		return fail("from", "The sender's domain is not a verified domain of this account.")
	case errors.Is(err, mail.ErrAppNotFound):
		return fail("app", "That app does not belong to this template's account.")
	case errors.Is(err, mail.ErrAllSuppressed):
		return fail("to", "This address is on the account's suppression list.")
	}
	if msg := templates.Explain(err); msg != "" {
		return fail("variables", strings.Replace(msg, "preview variables", "variables", 1))
	}
	return err
}

// templatePreview serves the template's HTML rendered with ?vars alone, for
// the page's iframe, under the same sandboxing CSP as the sandbox inbox's
// HTML: the template is a customer's markup.
func (h *Lumora) templatePreview(c *fiber.Ctx) error {
	svc, err := h.tplService()
	if err != nil {
		return err
	}
	ref, err := templateID(c)
	if err != nil {
		return err
	}
	body, status := "", fiber.StatusOK
	vars, msg := templates.PreviewVariables(web.FieldText(c, "vars"))
	if msg == "" {
		r, err := svc.Render(c.UserContext(), accounts.AllAccounts, ref, vars)
		if err != nil {
			if msg = templates.Explain(err); msg == "" {
				return err
			}
		}
		body = r.HTML
	}
	if msg != "" {
		// The page shows the message instead of the frame; a frame loaded
		// anyway shows it as plain text.
		body, status = msg, fiber.StatusUnprocessableEntity
		c.Set(fiber.HeaderContentType, "text/plain; charset=utf-8")
	} else {
		c.Set(fiber.HeaderContentType, "text/html; charset=utf-8")
	}
	setSandboxHeaders(c)
	return c.Status(status).SendString(body)
}

func (h *Lumora) templateForm(c *fiber.Ctx) error {
	if _, err := h.tplService(); err != nil {
		return err
	}
	v := view.TemplateForm{Account: web.Truncate(web.Field(c, "account"), 20), Errors: map[string]string{}, CSRF: web.CSRFToken(c)}
	return h.renderTemplateForm(c, fiber.StatusOK, v)
}

func (h *Lumora) renderTemplateForm(c *fiber.Ctx, status int, v view.TemplateForm) error {
	p := h.page(c, "New template", web.Crumb("Templates", view.TemplatesPath), web.Crumb("New"))
	if v.ID != "" {
		p = h.page(c, "Edit template", web.Crumb("Templates", view.TemplatesPath), web.Crumb(v.ID, view.TemplateHref(v.ID)), web.Crumb("Edit"))
	}
	return web.Render(c, status, view.TemplateFormPage(p, v))
}

func (h *Lumora) createTemplate(c *fiber.Ctx) error {
	svc, err := h.tplService()
	if err != nil {
		return err
	}
	v := templateFields(c)
	acc, ok := web.ParseID(v.Account)
	if !ok {
		v.Errors["account"] = "Enter the account's id, a number such as 42."
		v.FormError = "Please correct the highlighted fields."
		return h.renderTemplateForm(c, fiber.StatusUnprocessableEntity, v)
	}
	t, err := svc.Create(c.UserContext(), web.Actor(c), accounts.AllAccounts, templates.CreateInput{AccountID: &acc,
		Slug: v.Slug, Name: v.Name, Subject: v.Subject, HTML: v.HTML, Text: v.Text})
	if err != nil {
		if errs := web.FieldErrors(err, nil); errs != nil {
			v.Errors, v.FormError = errs, "Please correct the highlighted fields."
			return h.renderTemplateForm(c, fiber.StatusUnprocessableEntity, v)
		}
		if errors.Is(err, templates.ErrAccountNotFound) {
			v.Errors["account"] = "No account has that id."
			v.FormError = "Please correct the highlighted fields."
			return h.renderTemplateForm(c, fiber.StatusUnprocessableEntity, v)
		}
		return err
	}
	h.app.Toast(c, "success", "Template "+t.Name+" created.")
	return web.Redirect(c, view.TemplateHref(t.ID))
}

// templateDiff compares ?from with the current version.
func (h *Lumora) templateDiff(c *fiber.Ctx) error {
	svc, err := h.tplService()
	if err != nil {
		return err
	}
	ref, err := templateID(c)
	if err != nil {
		return err
	}
	from, ok := web.ParseID(web.Field(c, "from"))
	if !ok || from > 1<<30 {
		return templates.ErrVersionNotFound
	}
	d, err := svc.Diff(c.UserContext(), accounts.AllAccounts, ref, int(from), 0)
	if err != nil {
		return err
	}
	v := view.TemplateDiff{ID: ref, Name: d.To.Name, From: d.From.Version, To: d.To.Version}
	for _, p := range []struct {
		label string
		d     templates.PartDiff
	}{{"Name", d.Name}, {"Subject", d.Subject}, {"HTML", d.HTML}, {"Text", d.Text}} {
		v.Parts = append(v.Parts, view.TemplatePartDiff{Part: p.label, Hunks: p.d.Hunks, Added: p.d.Added, Removed: p.d.Removed, TooBig: p.d.TooBig})
	}
	p := h.page(c, d.To.Name, web.Crumb("Templates", view.TemplatesPath), web.Crumb(d.To.Name, view.TemplateHref(ref)), web.Crumb("Changes"))
	return web.Render(c, fiber.StatusOK, view.TemplateDiffPage(p, v))
}

// templateFields is the form's fields as posted; the bodies are bounded by
// the service (and the request size), only the one-line fields are cut here.
func templateFields(c *fiber.Ctx) view.TemplateForm {
	return view.TemplateForm{Account: web.Truncate(web.Field(c, "account"), 20), Slug: web.Truncate(web.Field(c, "slug"), 100),
		Name: web.Truncate(web.Field(c, "name"), 300), Subject: web.FieldText(c, "subject"), HTML: web.FieldText(c, "html"),
		Text: web.FieldText(c, "text"), Errors: map[string]string{}, CSRF: web.CSRFToken(c)}
}

func (h *Lumora) editTemplateForm(c *fiber.Ctx) error {
	svc, err := h.tplService()
	if err != nil {
		return err
	}
	ref, err := templateID(c)
	if err != nil {
		return err
	}
	t, err := svc.Get(c.UserContext(), accounts.AllAccounts, ref)
	if err != nil {
		return err
	}
	v := view.TemplateForm{ID: t.ID, Slug: t.Slug, Name: t.Name, Subject: t.Subject, HTML: t.HTML, Text: t.Text,
		Errors: map[string]string{}, CSRF: web.CSRFToken(c)}
	return h.renderTemplateForm(c, fiber.StatusOK, v)
}

// updateTemplate saves the form as the template's next version (nothing
// when nothing changed).
func (h *Lumora) updateTemplate(c *fiber.Ctx) error {
	svc, err := h.tplService()
	if err != nil {
		return err
	}
	ref, err := templateID(c)
	if err != nil {
		return err
	}
	v := templateFields(c)
	v.ID, v.Account = ref, ""
	t, err := svc.Update(c.UserContext(), web.Actor(c), accounts.AllAccounts, ref, templates.UpdateInput{Slug: &v.Slug,
		Name: &v.Name, Subject: &v.Subject, HTML: &v.HTML, Text: &v.Text})
	if err != nil {
		if errs := web.FieldErrors(err, nil); errs != nil {
			v.Errors, v.FormError = errs, "Please correct the highlighted fields."
			return h.renderTemplateForm(c, fiber.StatusUnprocessableEntity, v)
		}
		return err
	}
	h.app.Toast(c, "success", "Template "+t.Name+" saved as v"+strconv.Itoa(t.Version)+".")
	return web.Redirect(c, view.TemplateHref(t.ID))
}
