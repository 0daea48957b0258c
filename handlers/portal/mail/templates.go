package mail

import (
	"errors"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"

	"lumdesk/handlers/web"
	"lumdesk/internal/customers"
	mailsvc "lumdesk/internal/mail"
	"lumdesk/internal/mail/templates"
	"lumdesk/views/components"
	mv "lumdesk/views/pages/portal/mail"
)

// versionsShown is how many versions the template page lists.
const versionsShown = 50

func (h *Mail) tplService() (*templates.Service, error) {
	if h.templates == nil {
		return nil, templates.ErrTemplateNotFound
	}
	return h.templates, nil
}

func (h *Mail) templateList(c *fiber.Ctx) error {
	svc, err := h.tplService()
	if err != nil {
		return err
	}
	l := mv.TemplateList{CanManage: web.CustomerMay(c, customers.PermDevelop)}
	cursor := web.Truncate(web.Field(c, "cursor"), 20)
	page, err := svc.List(c.UserContext(), web.PortalScope(c), cursor, pageSize)
	if errs := web.FieldErrors(err, nil); errs != nil {
		// A cursor this list did not give: the first page, and say so.
		l.Error = "That page link is not valid; showing the first page."
		page, err = svc.List(c.UserContext(), web.PortalScope(c), "", pageSize)
	} else {
		l.Cursor = cursor
	}
	if err != nil {
		return err
	}
	for _, t := range page.Templates {
		l.Rows = append(l.Rows, mv.TemplateRow{ID: t.ID, Slug: t.Slug, Name: t.Name, AccountID: t.AccountID,
			Version: t.Version, Updated: t.UpdatedAt})
	}
	l.NextCursor = page.NextCursor
	return web.Render(c, fiber.StatusOK, mv.TemplatesPage(h.page(c, "Templates", web.Crumb("Templates")), l))
}

// templateID is the :id parameter (templates.ParseID).
func templateID(c *fiber.Ctx) (string, error) { return templates.ParseID(c.Params("id")) }

func (h *Mail) template(c *fiber.Ctx) error {
	ref, err := templateID(c)
	if err != nil {
		return err
	}
	return h.renderTemplate(c, fiber.StatusOK, ref, mv.TestSendForm{Variables: "{}", Errors: map[string]string{}})
}

// renderTemplate is the template's page, with the test send form as given.
func (h *Mail) renderTemplate(c *fiber.Ctx, status int, ref string, send mv.TestSendForm) error {
	svc, err := h.tplService()
	if err != nil {
		return err
	}
	ctx := c.UserContext()
	t, err := svc.Get(ctx, web.PortalScope(c), ref)
	if err != nil {
		return err
	}
	v := mv.TemplatePage{ID: t.ID, Slug: t.Slug, Name: t.Name, Subject: t.Subject, Text: t.Text, AccountID: t.AccountID,
		Version: t.Version, HasHTML: t.HTML != "", Created: t.CreatedAt, Updated: t.UpdatedAt,
		Vars: web.Truncate(web.FieldText(c, "vars"), templates.MaxPreviewVariables+1), CanManage: web.CustomerMay(c, customers.PermDevelop),
		CSRF: web.CSRFToken(c), Send: send}
	if c.Method() != fiber.MethodGet || strings.TrimSpace(v.Vars) == "" {
		v.Vars = "{}"
	}
	// Render here too, so a missing variable is a message in the page and
	// not a blank iframe.
	if vars, msg := templates.PreviewVariables(v.Vars); msg != "" {
		v.PreviewError = msg
	} else if _, err := svc.Render(ctx, web.PortalScope(c), ref, vars); err != nil {
		if v.PreviewError = templates.Explain(err); v.PreviewError == "" {
			return err
		}
	}
	versions, err := svc.Versions(ctx, web.PortalScope(c), ref, 0, versionsShown)
	if err != nil {
		return err
	}
	for _, r := range versions {
		v.Versions = append(v.Versions, mv.TemplateVersionRow{Version: r.Version, Actor: r.Actor, Created: r.CreatedAt})
	}
	if v.CanManage {
		apps, err := h.svc.ListApps(ctx, web.PortalScope(c), 0, pageSize)
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
	p := h.page(c, t.Name, web.Crumb("Templates", mv.TemplatesPath), web.Crumb(t.Name))
	return web.Render(c, status, mv.TemplateDetail(p, v))
}

// sendTest sends the template to one address through an app of its
// account, as the API would (the message then shows in the log, and in the
// sandbox inbox when there is one).
func (h *Mail) sendTest(c *fiber.Ctx) error {
	svc, err := h.tplService()
	if err != nil {
		return err
	}
	ref, err := templateID(c)
	if err != nil {
		return err
	}
	if _, err := svc.Get(c.UserContext(), web.PortalScope(c), ref); err != nil {
		return err
	}
	f := mv.TestSendForm{App: web.Truncate(web.Field(c, "app"), 20), From: web.Truncate(web.Field(c, "from"), 320),
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
	res, err := h.svc.Send(c.UserContext(), web.PortalScope(c), appID, mailsvc.SendInput{FromEmail: f.From, To: []string{f.To},
		Template: ref, Variables: vars})
	if err != nil {
		return h.sendError(c, err, fail)
	}
	h.app.Toast(c, "success", "Test email queued as "+res.MessageID+".")
	return web.Redirect(c, mv.MessageHref(res.MessageID))
}

// sendError puts a refused send on the form: a field's problem on that
// field, the rest (an unverified sender domain, a missing variable, every
// recipient suppressed) at the top in words.
func (h *Mail) sendError(c *fiber.Ctx, err error, fail func(field, msg string) error) error {
	if errs := web.FieldErrors(err, map[string]string{"from_email": "from", "from": "from", "to": "to"}); errs != nil {
		for _, field := range []string{"from", "to"} {
			if m, ok := errs[field]; ok {
				return fail(field, m)
			}
		}
		return fail("", web.FieldErrorsText(errs))
	}
	var sd *mailsvc.SenderDomainError
	switch {
	case errors.As(err, &sd):
		return fail("from", "The sender's domain "+sd.Domain+" is not verified ("+sd.Reason+"): add and verify it first.")
	case errors.Is(err, mailsvc.ErrSenderDomainNotVerified):
		return fail("from", "The sender's domain is not one of your verified domains.")
	case errors.Is(err, mailsvc.ErrAppNotFound):
		return fail("app", "Choose one of your apps.")
	case errors.Is(err, mailsvc.ErrAllSuppressed):
		return fail("to", "This address is on your suppression list.")
	}
	if msg := templates.Explain(err); msg != "" {
		return fail("variables", strings.Replace(msg, "preview variables", "variables", 1))
	}
	return err
}

// templatePreview serves the template's HTML rendered with ?vars alone, for
// the page's iframe, under the same sandboxing CSP as the sandbox inbox's
// HTML: the template is a customer's markup.
func (h *Mail) templatePreview(c *fiber.Ctx) error {
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
		r, err := svc.Render(c.UserContext(), web.PortalScope(c), ref, vars)
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
	c.Set("Content-Security-Policy", "sandbox; default-src 'none'; img-src data:; style-src 'unsafe-inline'; frame-ancestors 'self'")
	c.Set("X-Frame-Options", "SAMEORIGIN")
	c.Set("Cache-Control", "no-store")
	return c.Status(status).SendString(body)
}

func (h *Mail) templateForm(c *fiber.Ctx) error {
	if _, err := h.tplService(); err != nil {
		return err
	}
	v := mv.TemplateForm{Errors: map[string]string{}, CSRF: web.CSRFToken(c)}
	return h.renderTemplateForm(c, fiber.StatusOK, v)
}

func (h *Mail) renderTemplateForm(c *fiber.Ctx, status int, v mv.TemplateForm) error {
	p := h.page(c, "New template", web.Crumb("Templates", mv.TemplatesPath), web.Crumb("New"))
	if v.ID != "" {
		p = h.page(c, "Edit template", web.Crumb("Templates", mv.TemplatesPath), web.Crumb(v.ID, mv.TemplateHref(v.ID)), web.Crumb("Edit"))
	}
	return web.Render(c, status, mv.TemplateFormPage(p, v))
}

func (h *Mail) createTemplate(c *fiber.Ctx) error {
	svc, err := h.tplService()
	if err != nil {
		return err
	}
	v := templateFields(c)
	t, err := svc.Create(c.UserContext(), web.Actor(c), web.PortalScope(c), templates.CreateInput{
		Slug: v.Slug, Name: v.Name, Subject: v.Subject, HTML: v.HTML, Text: v.Text})
	if err != nil {
		if errs := web.FieldErrors(err, nil); errs != nil {
			v.Errors, v.FormError = errs, "Please correct the highlighted fields."
			return h.renderTemplateForm(c, fiber.StatusUnprocessableEntity, v)
		}
		if errors.Is(err, templates.ErrAccountNotFound) {
			return fiber.ErrForbidden
		}
		return err
	}
	h.app.Toast(c, "success", "Template "+t.Name+" created.")
	return web.Redirect(c, mv.TemplateHref(t.ID))
}

// templateDiff compares ?from with the current version.
func (h *Mail) templateDiff(c *fiber.Ctx) error {
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
	d, err := svc.Diff(c.UserContext(), web.PortalScope(c), ref, int(from), 0)
	if err != nil {
		return err
	}
	v := mv.TemplateDiff{ID: ref, Name: d.To.Name, From: d.From.Version, To: d.To.Version}
	for _, p := range []struct {
		label string
		d     templates.PartDiff
	}{{"Name", d.Name}, {"Subject", d.Subject}, {"HTML", d.HTML}, {"Text", d.Text}} {
		v.Parts = append(v.Parts, mv.TemplatePartDiff{Part: p.label, Hunks: p.d.Hunks, Added: p.d.Added, Removed: p.d.Removed, TooBig: p.d.TooBig})
	}
	p := h.page(c, d.To.Name, web.Crumb("Templates", mv.TemplatesPath), web.Crumb(d.To.Name, mv.TemplateHref(ref)), web.Crumb("Changes"))
	return web.Render(c, fiber.StatusOK, mv.TemplateDiffPage(p, v))
}

// templateFields is the form's fields as posted; the bodies are bounded by
// the service (and the request size), only the one-line fields are cut here.
func templateFields(c *fiber.Ctx) mv.TemplateForm {
	return mv.TemplateForm{Account: web.Truncate(web.Field(c, "account"), 20), Slug: web.Truncate(web.Field(c, "slug"), 100),
		Name: web.Truncate(web.Field(c, "name"), 300), Subject: web.FieldText(c, "subject"), HTML: web.FieldText(c, "html"),
		Text: web.FieldText(c, "text"), Errors: map[string]string{}, CSRF: web.CSRFToken(c)}
}

func (h *Mail) editTemplateForm(c *fiber.Ctx) error {
	svc, err := h.tplService()
	if err != nil {
		return err
	}
	ref, err := templateID(c)
	if err != nil {
		return err
	}
	t, err := svc.Get(c.UserContext(), web.PortalScope(c), ref)
	if err != nil {
		return err
	}
	v := mv.TemplateForm{ID: t.ID, Slug: t.Slug, Name: t.Name, Subject: t.Subject, HTML: t.HTML, Text: t.Text,
		Errors: map[string]string{}, CSRF: web.CSRFToken(c)}
	return h.renderTemplateForm(c, fiber.StatusOK, v)
}

// updateTemplate saves the form as the template's next version (nothing
// when nothing changed).
func (h *Mail) updateTemplate(c *fiber.Ctx) error {
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
	t, err := svc.Update(c.UserContext(), web.Actor(c), web.PortalScope(c), ref, templates.UpdateInput{Slug: &v.Slug,
		Name: &v.Name, Subject: &v.Subject, HTML: &v.HTML, Text: &v.Text})
	if err != nil {
		if errs := web.FieldErrors(err, nil); errs != nil {
			v.Errors, v.FormError = errs, "Please correct the highlighted fields."
			return h.renderTemplateForm(c, fiber.StatusUnprocessableEntity, v)
		}
		return err
	}
	h.app.Toast(c, "success", "Template "+t.Name+" saved as v"+strconv.Itoa(t.Version)+".")
	return web.Redirect(c, mv.TemplateHref(t.ID))
}
