package mail

import (
	"errors"
	"fmt"
	"strings"

	"github.com/gofiber/fiber/v2"

	"lumdesk/handlers/web"
	"lumdesk/internal/customers"
	mailsvc "lumdesk/internal/mail"
	"lumdesk/views/layouts"
	mv "lumdesk/views/pages/portal/mail"
)

func (h *Mail) domains(c *fiber.Ctx) error {
	var problems []string
	l := mv.DomainList{CanDevelop: web.CustomerMay(c, customers.PermDevelop)}
	f := mailsvc.DomainFilter{Scope: web.PortalScope(c), Limit: pageSize + 1}
	f.BeforeID, l.Cursor = cursorParam(c, &problems)
	items, err := h.svc.ListDomains(c.UserContext(), f)
	if err != nil {
		return err
	}
	items, l.NextCursor = web.NextPage(items, pageSize, func(x mailsvc.Domain) int64 { return x.ID })
	for _, d := range items {
		l.Rows = append(l.Rows, mv.DomainRow{ID: d.ID, Name: d.Name, Status: d.Status, LastChecked: d.LastCheckedAt, Created: d.CreatedAt})
	}
	l.Error = strings.Join(problems, " ")
	return web.Render(c, fiber.StatusOK, mv.DomainsPage(h.page(c, "Sending domains", web.Crumb("Sending domains")), l))
}

func domainView(d mailsvc.Domain) mv.Domain {
	v := mv.Domain{ID: d.ID, Name: d.Name, Status: d.Status, Selector: d.DKIMSelector, VerifiedAt: d.VerifiedAt,
		FailingSince: d.FailingSince, LastChecked: d.LastCheckedAt, Created: d.CreatedAt}
	for _, r := range d.Records {
		v.Records = append(v.Records, mv.Record{Kind: r.Kind, Type: r.Type, Name: r.Name, Value: r.Value,
			Status: r.Status, Found: r.Found, CheckedAt: r.CheckedAt})
		if r.Status == mailsvc.StatusVerified {
			v.VerifiedCount++
		}
	}
	return v
}

func domainID(c *fiber.Ctx) (int64, error) {
	id, ok := web.ParseID(c.Params("id"))
	if !ok {
		return 0, mailsvc.ErrDomainNotFound
	}
	return id, nil
}

func (h *Mail) domain(c *fiber.Ctx) error      { return h.renderDomain(c, false) }
func (h *Mail) domainSetup(c *fiber.Ctx) error { return h.renderDomain(c, true) }

// renderDomain is a domain's page, or (wizard) the Add domain wizard's
// records step, which shows each record's result once verified.
func (h *Mail) renderDomain(c *fiber.Ctx, wizard bool) error {
	id, err := domainID(c)
	if err != nil {
		return err
	}
	d, err := h.svc.GetDomain(c.UserContext(), web.PortalScope(c), id)
	if err != nil {
		return err
	}
	v := domainView(d)
	v.CanDevelop, v.CSRF, v.Wizard = web.CustomerMay(c, customers.PermDevelop), web.CSRFToken(c), wizard
	v.Checked = wizard && d.LastCheckedAt != nil
	crumbs := []layouts.Crumb{web.Crumb("Sending domains", mv.DomainsPath), web.Crumb(d.Name)}
	title := d.Name
	if wizard {
		title = "Publish the records of " + d.Name
		crumbs = []layouts.Crumb{crumbs[0], web.Crumb(d.Name, mv.DomainHref(d.ID)), web.Crumb("Set up")}
	}
	p := h.page(c, title, crumbs...) // once: it takes the session's toasts
	return web.Render(c, fiber.StatusOK, mv.DomainDetail(p, v))
}

// verify runs the domain's DNS checks now; the page then shows each
// record's result (the wizard's step when it came from there).
func (h *Mail) verify(c *fiber.Ctx) error {
	id, err := domainID(c)
	if err != nil {
		return err
	}
	d, err := h.svc.Verify(c.UserContext(), web.Actor(c), web.PortalScope(c), id)
	if err != nil {
		return err
	}
	v := domainView(d)
	kind := "success"
	if d.Status != mailsvc.StatusVerified {
		kind = "error"
	}
	h.app.Toast(c, kind, fmt.Sprintf("Checked just now: %d of %d records verified; the domain is %s.", v.VerifiedCount, len(d.Records), d.Status))
	if web.Field(c, "next") == "setup" {
		return web.Redirect(c, mv.SetupHref(d.ID))
	}
	return web.Redirect(c, mv.DomainHref(d.ID))
}

func (h *Mail) domainForm(c *fiber.Ctx) error {
	return h.renderDomainForm(c, fiber.StatusOK, mv.DomainForm{CSRF: web.CSRFToken(c)})
}

func (h *Mail) renderDomainForm(c *fiber.Ctx, status int, v mv.DomainForm) error {
	p := h.page(c, "Add a sending domain", web.Crumb("Sending domains", mv.DomainsPath), web.Crumb("Add"))
	return web.Render(c, status, mv.DomainFormPage(p, v))
}

// addDomain is the wizard's first step: the domain is added with its
// records, and the wizard goes on to the records to publish.
func (h *Mail) addDomain(c *fiber.Ctx) error {
	v := mv.DomainForm{Name: web.Truncate(web.Field(c, "domain"), 300), CSRF: web.CSRFToken(c)}
	if v.Name == "" {
		v.Error, v.FormError = "Enter the domain to send from, such as mail.example.com.", "Please correct the highlighted field."
		return h.renderDomainForm(c, fiber.StatusUnprocessableEntity, v)
	}
	d, err := h.svc.AddDomain(c.UserContext(), web.Actor(c), web.PortalScope(c), mailsvc.DomainInput{Name: v.Name})
	if errs := web.FieldErrors(err, nil); errs != nil {
		for _, msg := range errs {
			v.Error = msg
		}
		if e, ok := errs["domain"]; ok {
			v.Error = e
		}
		v.FormError = "Please correct the highlighted field."
		return h.renderDomainForm(c, fiber.StatusUnprocessableEntity, v)
	}
	if errors.Is(err, mailsvc.ErrAccountNotFound) {
		return fiber.ErrForbidden
	}
	if err != nil {
		return err
	}
	h.app.Toast(c, "success", "Domain "+d.Name+" added: publish its four records, then verify.")
	return web.Redirect(c, mv.SetupHref(d.ID))
}
