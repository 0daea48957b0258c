package lumora

import (
	"errors"
	"fmt"
	"strings"

	"github.com/gofiber/fiber/v2"

	"lumdesk/handlers/web"
	"lumdesk/internal/accounts"
	"lumdesk/internal/mail"
	"lumdesk/internal/platform/listcount"
	"lumdesk/internal/staff"
	"lumdesk/views/layouts"
	view "lumdesk/views/pages/lumora"
)

const pageSize = 50

func (h *Lumora) domains(c *fiber.Ctx) error {
	l := view.DomainList{Q: web.Truncate(web.Field(c, "q"), 253), CanManage: web.Can(c, staff.PermMailManage)}
	f := mail.DomainFilter{Scope: accounts.AllAccounts, Query: l.Q, Limit: pageSize + 1}
	var problems []string
	if s := web.Field(c, "status"); s != "" {
		if s == mail.StatusPending || s == mail.StatusVerified || s == mail.StatusFailing {
			l.Status, f.Status = s, s
		} else {
			problems = append(problems, "Status must be pending, verified or failing; showing every status.")
		}
	}
	if a := web.Field(c, "account"); a != "" {
		if id, ok := web.ParseID(a); ok {
			l.Account, f.Scope = id, accounts.Only(id)
		} else {
			problems = append(problems, "The account filter must be an account id; showing every account.")
		}
	}
	if cur := web.Field(c, "cursor"); cur != "" {
		if id, ok := web.ParseID(cur); ok {
			l.Cursor, f.BeforeID = cur, id
		} else {
			problems = append(problems, "That page link is not valid; showing the first page.")
		}
	}
	ctx := c.UserContext()
	items, err := h.svc.ListDomains(ctx, f)
	if err != nil {
		return err
	}
	items, l.NextCursor = web.NextPage(items, pageSize, func(x mail.Domain) int64 { return x.ID })
	for _, d := range items {
		l.Rows = append(l.Rows, view.DomainRow{ID: d.ID, AccountID: d.AccountID, Account: d.AccountName, Name: d.Name, Status: d.Status,
			LastChecked: d.LastCheckedAt, Created: d.CreatedAt})
	}
	f.BeforeID = 0
	n, err := h.svc.CountDomains(ctx, f, listcount.Cap)
	if err != nil {
		return err
	}
	l.Bar = h.app.ListBar(c, view.DomainsPath, l.Query(), l.ActiveFilters())
	l.Bar.Count = web.Count(n, "domain", "domains")
	l.Error = strings.Join(problems, " ")
	return web.Render(c, fiber.StatusOK, view.DomainsPage(h.page(c, "Sending domains", layouts.Crumb{Label: "Sending domains"}), l))
}

func domainView(d mail.Domain) view.Domain {
	v := view.Domain{ID: d.ID, AccountID: d.AccountID, Name: d.Name, Status: d.Status, Selector: d.DKIMSelector,
		VerifiedAt: d.VerifiedAt, FailingSince: d.FailingSince, LastChecked: d.LastCheckedAt, Created: d.CreatedAt}
	for _, r := range d.Records {
		v.Records = append(v.Records, view.Record{Kind: r.Kind, Type: r.Type, Name: r.Name, Value: r.Value,
			Status: r.Status, Found: r.Found, CheckedAt: r.CheckedAt})
	}
	return v
}

func domainID(c *fiber.Ctx) (int64, error) {
	id, ok := web.ParseID(c.Params("id"))
	if !ok {
		return 0, mail.ErrDomainNotFound
	}
	return id, nil
}

func (h *Lumora) domain(c *fiber.Ctx) error {
	id, err := domainID(c)
	if err != nil {
		return err
	}
	d, err := h.svc.GetDomain(c.UserContext(), accounts.AllAccounts, id)
	if err != nil {
		return err
	}
	v := view.DomainPage{D: domainView(d), CanManage: web.Can(c, staff.PermMailManage), CSRF: web.CSRFToken(c)}
	v.D.AccountName = h.names.One(c.UserContext(), d.AccountID)
	return web.Render(c, fiber.StatusOK, view.DomainDetail(h.page(c, d.Name, web.Crumb("Sending domains", view.DomainsPath), web.Crumb(d.Name)), v))
}

// verify runs the domain's DNS checks now (the service audits a change of
// status); the domain's page then shows what they found.
func (h *Lumora) verify(c *fiber.Ctx) error {
	id, err := domainID(c)
	if err != nil {
		return err
	}
	d, err := h.svc.Verify(c.UserContext(), web.Actor(c), accounts.AllAccounts, id)
	if err != nil {
		return err
	}
	ok := 0
	for _, r := range d.Records {
		if r.Status == mail.StatusVerified {
			ok++
		}
	}
	h.app.Toast(c, "success", fmt.Sprintf("Checked just now: %d of %d records verified; the domain is %s.", ok, len(d.Records), d.Status))
	return web.Redirect(c, view.DomainHref(d.ID))
}

func (h *Lumora) domainForm(c *fiber.Ctx) error {
	v := view.DomainForm{Account: web.Truncate(web.Field(c, "account"), 20), Errors: map[string]string{}, CSRF: web.CSRFToken(c)}
	return h.renderDomainForm(c, fiber.StatusOK, v)
}

func (h *Lumora) renderDomainForm(c *fiber.Ctx, status int, v view.DomainForm) error {
	p := h.page(c, "Add a sending domain", web.Crumb("Sending domains", view.DomainsPath), web.Crumb("Add"))
	return web.Render(c, status, view.DomainFormPage(p, v))
}

func (h *Lumora) addDomain(c *fiber.Ctx) error {
	v := view.DomainForm{Account: web.Truncate(web.Field(c, "account"), 20), Name: web.Truncate(web.Field(c, "name"), 300),
		Errors: map[string]string{}, CSRF: web.CSRFToken(c)}
	acc, ok := web.ParseID(v.Account)
	if !ok {
		v.Errors["account"] = "Enter the account's id, a number such as 42."
	}
	if v.Name == "" {
		v.Errors["name"] = "Enter the domain to send from, such as mail.example.com."
	}
	if len(v.Errors) > 0 {
		v.FormError = "Please correct the highlighted fields."
		return h.renderDomainForm(c, fiber.StatusUnprocessableEntity, v)
	}
	d, err := h.svc.AddDomain(c.UserContext(), web.Actor(c), accounts.AllAccounts, mail.DomainInput{AccountID: &acc, Name: v.Name})
	if err != nil {
		if errs := web.FieldErrors(err, map[string]string{"domain": "name", "account_id": "account"}); errs != nil {
			v.Errors, v.FormError = errs, "Please correct the highlighted fields."
			return h.renderDomainForm(c, fiber.StatusUnprocessableEntity, v)
		}
		if errors.Is(err, mail.ErrAccountNotFound) {
			v.Errors["account"] = "No account has that id."
			v.FormError = "Please correct the highlighted fields."
			return h.renderDomainForm(c, fiber.StatusUnprocessableEntity, v)
		}
		return err
	}
	h.app.Toast(c, "success", "Domain "+d.Name+" added: publish its records, then verify.")
	return web.Redirect(c, view.DomainHref(d.ID))
}
