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

// TemplateSender is what the test send needs of internal/mail: the
// template's account's apps, and the send itself.
type TemplateSender interface {
	ListApps(ctx context.Context, scope accounts.Scope, beforeID int64, limit int) ([]mail.App, error)
	Send(ctx context.Context, scope accounts.Scope, appID int64, in mail.SendInput) (mail.SendResult, error)
}

// Templates is the template pages of one face: the console's (over every
// account) and the portal's (handlers/portal/mail, over the session's
// account) are this one handler with their own paths, scope, permission and
// frame, as the Discord links are bothttp.Links. Each face's route table
// names its methods with the face's permissions.
type Templates struct {
	App  *web.App // set by the face's Routes
	Svc  TemplatesService
	Mail TemplateSender
	Face view.TemplatesFace
	// Scope is what a request may see: every account, or the session's.
	Scope func(c *fiber.Ctx) accounts.Scope
	// CanManage: the request may create, edit and test-send.
	CanManage func(c *fiber.Ctx) bool
	// Page is the face's frame of a page.
	Page func(c *fiber.Ctx, title string, crumbs ...layouts.Crumb) layouts.Page
	// MessageHref is the face's page of a message (after a test send).
	MessageHref func(publicID string) string
	// Names names the list's accounts (the console's); nil: "#id".
	Names web.AccountNames
}

// versionsShown is how many versions the template page lists.
const versionsShown = 50

// svc is the templates service; a server without one answers 404.
func (h *Templates) svc() (TemplatesService, error) {
	if h.Svc == nil {
		return nil, templates.ErrTemplateNotFound
	}
	return h.Svc, nil
}

// List is the templates list.
func (h *Templates) List(c *fiber.Ctx) error {
	svc, err := h.svc()
	if err != nil {
		return err
	}
	scope := h.Scope(c)
	l := view.TemplateList{Face: h.Face, CanManage: h.CanManage(c)}
	cursor := web.Truncate(web.Field(c, "cursor"), 20)
	page, err := svc.List(c.UserContext(), scope, cursor, pageSize)
	if errs := web.FieldErrors(err, nil); errs != nil {
		// A cursor this list did not give: the first page, and say so.
		l.Error = "That page link is not valid; showing the first page."
		page, err = svc.List(c.UserContext(), scope, "", pageSize)
	} else {
		l.Cursor = cursor
	}
	if err != nil {
		return err
	}
	ids := make([]int64, len(page.Templates))
	for i, t := range page.Templates {
		ids[i] = t.AccountID
	}
	names := h.Names.Of(c.UserContext(), ids...)
	for _, t := range page.Templates {
		l.Rows = append(l.Rows, view.TemplateRow{ID: t.ID, Slug: t.Slug, Name: t.Name, AccountID: t.AccountID, Account: names[t.AccountID],
			Version: t.Version, Updated: t.UpdatedAt})
	}
	l.NextCursor = page.NextCursor
	if !h.Face.Portal {
		l.Bar = h.App.ListBar(c, h.Face.Path, "", nil)
	}
	return web.Render(c, fiber.StatusOK, view.TemplatesPage(h.Page(c, "Templates", layouts.Crumb{Label: "Templates"}), l))
}

// templateID is the :id parameter (templates.ParseID).
func templateID(c *fiber.Ctx) (string, error) { return templates.ParseID(c.Params("id")) }

// target is the service and the template of a request about one template.
func (h *Templates) target(c *fiber.Ctx) (TemplatesService, string, error) {
	svc, err := h.svc()
	if err != nil {
		return nil, "", err
	}
	ref, err := templateID(c)
	return svc, ref, err
}

// Show is a template's page.
func (h *Templates) Show(c *fiber.Ctx) error {
	ref, err := templateID(c)
	if err != nil {
		return err
	}
	return h.render(c, fiber.StatusOK, ref, view.TestSendForm{Variables: "{}", Errors: map[string]string{}})
}

// render is the template's page, with the test send form as given.
func (h *Templates) render(c *fiber.Ctx, status int, ref string, send view.TestSendForm) error {
	svc, err := h.svc()
	if err != nil {
		return err
	}
	ctx, scope := c.UserContext(), h.Scope(c)
	t, err := svc.Get(ctx, scope, ref)
	if err != nil {
		return err
	}
	v := view.TemplatePage{Face: h.Face, ID: t.ID, Slug: t.Slug, Name: t.Name, Subject: t.Subject, Text: t.Text, AccountID: t.AccountID,
		Version: t.Version, HasHTML: t.HTML != "", Created: t.CreatedAt, Updated: t.UpdatedAt,
		Vars: web.Truncate(web.FieldText(c, "vars"), templates.MaxPreviewVariables+1), CanManage: h.CanManage(c),
		CSRF: web.CSRFToken(c), Send: send}
	if !h.Face.Portal {
		v.AccountName = h.Names.One(ctx, t.AccountID)
	}
	if !web.IsGet(c) || strings.TrimSpace(v.Vars) == "" {
		v.Vars = "{}"
	}
	// Render here too, so a missing variable is a message in the page and
	// not a blank iframe.
	if vars, msg := templates.PreviewVariables(v.Vars); msg != "" {
		v.PreviewError = msg
	} else if _, err := svc.Render(ctx, scope, ref, vars); err != nil {
		if v.PreviewError = templates.Explain(err); v.PreviewError == "" {
			return err
		}
	}
	versions, err := svc.Versions(ctx, scope, ref, 0, versionsShown)
	if err != nil {
		return err
	}
	for _, r := range versions {
		v.Versions = append(v.Versions, view.TemplateVersionRow{Version: r.Version, Actor: r.Actor, Created: r.CreatedAt})
	}
	if v.CanManage {
		apps, err := h.Mail.ListApps(ctx, accounts.Only(t.AccountID), 0, pageSize)
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
	p := h.Page(c, t.Name, web.Crumb("Templates", h.Face.Path), web.Crumb(t.Name))
	return web.Render(c, status, view.TemplateDetail(p, v))
}

// SendTest sends the template to one address through an app of its
// account, as the API would (the message then shows in the log, and in the
// sandbox inbox when there is one).
func (h *Templates) SendTest(c *fiber.Ctx) error {
	svc, ref, err := h.target(c)
	if err != nil {
		return err
	}
	t, err := svc.Get(c.UserContext(), h.Scope(c), ref)
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
		return h.render(c, fiber.StatusUnprocessableEntity, ref, f)
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
	res, err := h.Mail.Send(c.UserContext(), accounts.Only(t.AccountID), appID, mail.SendInput{FromEmail: f.From, To: []string{f.To},
		Template: ref, Variables: vars})
	if err != nil {
		return h.sendError(err, fail)
	}
	h.App.Toast(c, "success", "Test email queued as "+res.MessageID+".")
	return web.Redirect(c, h.MessageHref(res.MessageID))
}

// sendError puts a refused send on the form: a field's problem on that
// field, the rest (an unverified sender domain, a missing variable, every
// recipient suppressed) at the top in words.
func (h *Templates) sendError(err error, fail func(field, msg string) error) error {
	if errs := web.FieldErrors(err, map[string]string{"from_email": "from", "from": "from", "to": "to"}); errs != nil {
		for _, field := range []string{"from", "to"} {
			if m, ok := errs[field]; ok {
				return fail(field, m)
			}
		}
		return fail("", web.FieldErrorsText(errs))
	}
	var sd *mail.SenderDomainError
	whose := h.Face.Whose()
	switch {
	case errors.As(err, &sd):
		return fail("from", "The sender's domain "+sd.Domain+" is not verified ("+sd.Reason+"): add and verify it first.")
	case errors.Is(err, mail.ErrSenderDomainNotVerified):
		return fail("from", "The sender's domain is not one of "+whose+" verified domains.")
	case errors.Is(err, mail.ErrAppNotFound):
		return fail("app", "Choose one of "+whose+" apps.")
	case errors.Is(err, mail.ErrAllSuppressed):
		return fail("to", "This address is on "+whose+" suppression list.")
	}
	if msg := templates.Explain(err); msg != "" {
		return fail("variables", strings.Replace(msg, "preview variables", "variables", 1))
	}
	return err
}

// Preview serves the template's HTML rendered with ?vars alone, for the
// page's iframe, under the same sandboxing CSP as the sandbox inbox's HTML:
// the template is a customer's markup.
func (h *Templates) Preview(c *fiber.Ctx) error {
	svc, ref, err := h.target(c)
	if err != nil {
		return err
	}
	body, status := "", fiber.StatusOK
	vars, msg := templates.PreviewVariables(web.FieldText(c, "vars"))
	if msg == "" {
		r, err := svc.Render(c.UserContext(), h.Scope(c), ref, vars)
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
		return sendUntrusted(c, fiber.StatusUnprocessableEntity, "text/plain; charset=utf-8", msg)
	}
	return sendUntrusted(c, status, "text/html; charset=utf-8", body)
}

// NewForm is the create form.
func (h *Templates) NewForm(c *fiber.Ctx) error {
	if _, err := h.svc(); err != nil {
		return err
	}
	v := view.TemplateForm{Face: h.Face, Account: web.Truncate(web.Field(c, "account"), 20), Errors: map[string]string{}, CSRF: web.CSRFToken(c)}
	return h.renderForm(c, fiber.StatusOK, v)
}

func (h *Templates) renderForm(c *fiber.Ctx, status int, v view.TemplateForm) error {
	p := h.Page(c, "New template", web.Crumb("Templates", h.Face.Path), web.Crumb("New"))
	if v.ID != "" {
		p = h.Page(c, "Edit "+v.Title, web.Crumb("Templates", h.Face.Path), web.Crumb(v.Title, h.Face.Href(v.ID)), web.Crumb("Edit"))
	}
	return web.Render(c, status, view.TemplateFormPage(p, v))
}

// Create makes a template from the form: in the console for the account
// the form names, in the portal for the session's.
func (h *Templates) Create(c *fiber.Ctx) error {
	svc, err := h.svc()
	if err != nil {
		return err
	}
	v := h.fields(c)
	in := templates.CreateInput{Slug: v.Slug, Name: v.Name, Subject: v.Subject, HTML: v.HTML, Text: v.Text}
	invalid := func() error {
		v.FormError = "Please correct the highlighted fields."
		return h.renderForm(c, fiber.StatusUnprocessableEntity, v)
	}
	if !h.Face.Portal {
		acc, ok := web.ParseID(v.Account)
		if !ok {
			v.Errors["account"] = "Enter the account's id, a number such as 42."
			return invalid()
		}
		in.AccountID = &acc
	}
	t, err := svc.Create(c.UserContext(), web.Actor(c), h.Scope(c), in)
	if errs := web.FieldErrors(err, nil); errs != nil {
		v.Errors = errs
		return invalid()
	}
	switch {
	case errors.Is(err, templates.ErrAccountNotFound) && h.Face.Portal:
		return fiber.ErrForbidden // a session whose account has gone
	case errors.Is(err, templates.ErrAccountNotFound):
		v.Errors["account"] = "No account has that id."
		return invalid()
	case err != nil:
		return err
	}
	h.App.Toast(c, "success", "Template "+t.Name+" created.")
	return web.Redirect(c, h.Face.Href(t.ID))
}

// Diff compares ?from with the current version.
func (h *Templates) Diff(c *fiber.Ctx) error {
	svc, ref, err := h.target(c)
	if err != nil {
		return err
	}
	from, ok := web.ParseID(web.Field(c, "from"))
	if !ok || from > 1<<30 {
		return templates.ErrVersionNotFound
	}
	d, err := svc.Diff(c.UserContext(), h.Scope(c), ref, int(from), 0)
	if err != nil {
		return err
	}
	v := view.TemplateDiff{Face: h.Face, ID: ref, Name: d.To.Name, From: d.From.Version, To: d.To.Version}
	for _, p := range []struct {
		label string
		d     templates.PartDiff
	}{{"Name", d.Name}, {"Subject", d.Subject}, {"HTML", d.HTML}, {"Text", d.Text}} {
		v.Parts = append(v.Parts, view.TemplatePartDiff{Part: p.label, Hunks: p.d.Hunks, Added: p.d.Added, Removed: p.d.Removed, TooBig: p.d.TooBig})
	}
	p := h.Page(c, d.To.Name, web.Crumb("Templates", h.Face.Path), web.Crumb(d.To.Name, h.Face.Href(ref)), web.Crumb("Changes"))
	return web.Render(c, fiber.StatusOK, view.TemplateDiffPage(p, v))
}

// fields is the form's fields as posted; the bodies are bounded by the
// service (and the request size), only the one-line fields are cut here.
func (h *Templates) fields(c *fiber.Ctx) view.TemplateForm {
	return view.TemplateForm{Face: h.Face, Account: web.Truncate(web.Field(c, "account"), 20), Slug: web.Truncate(web.Field(c, "slug"), 100),
		Name: web.Truncate(web.Field(c, "name"), 300), Subject: web.FieldText(c, "subject"), HTML: web.FieldText(c, "html"),
		Text: web.FieldText(c, "text"), Errors: map[string]string{}, CSRF: web.CSRFToken(c)}
}

// EditForm is a template's edit form.
func (h *Templates) EditForm(c *fiber.Ctx) error {
	svc, ref, err := h.target(c)
	if err != nil {
		return err
	}
	t, err := svc.Get(c.UserContext(), h.Scope(c), ref)
	if err != nil {
		return err
	}
	v := view.TemplateForm{Face: h.Face, ID: t.ID, Title: t.Name, Slug: t.Slug, Name: t.Name, Subject: t.Subject, HTML: t.HTML, Text: t.Text,
		Errors: map[string]string{}, CSRF: web.CSRFToken(c)}
	return h.renderForm(c, fiber.StatusOK, v)
}

// Update saves the form as the template's next version (nothing when
// nothing changed).
func (h *Templates) Update(c *fiber.Ctx) error {
	svc, ref, err := h.target(c)
	if err != nil {
		return err
	}
	v := h.fields(c)
	v.ID, v.Account = ref, ""
	t, err := svc.Update(c.UserContext(), web.Actor(c), h.Scope(c), ref, templates.UpdateInput{Slug: &v.Slug,
		Name: &v.Name, Subject: &v.Subject, HTML: &v.HTML, Text: &v.Text})
	if err != nil {
		if errs := web.FieldErrors(err, nil); errs != nil {
			saved, gerr := svc.Get(c.UserContext(), h.Scope(c), ref)
			if gerr != nil {
				return gerr
			}
			v.Title = saved.Name
			v.Errors, v.FormError = errs, "Please correct the highlighted fields."
			return h.renderForm(c, fiber.StatusUnprocessableEntity, v)
		}
		return err
	}
	h.App.Toast(c, "success", "Template "+t.Name+" saved as v"+strconv.Itoa(t.Version)+".")
	return web.Redirect(c, h.Face.Href(t.ID))
}
