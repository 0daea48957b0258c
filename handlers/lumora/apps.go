package lumora

import (
	"errors"
	"strconv"
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

// listPosition reads a list's account filter and cursor (the previous
// page's last id); what does not parse is left out with a message.
func listPosition(c *fiber.Ctx, problems *[]string) (account, before int64, cursor string) {
	if a := web.Field(c, "account"); a != "" {
		if id, ok := web.ParseID(a); ok {
			account = id
		} else {
			*problems = append(*problems, "The account filter must be an account id; showing every account.")
		}
	}
	if cur := web.Field(c, "cursor"); cur != "" {
		if id, ok := web.ParseID(cur); ok {
			before, cursor = id, cur
		} else {
			*problems = append(*problems, "That page link is not valid; showing the first page.")
		}
	}
	return account, before, cursor
}

func (h *Lumora) apps(c *fiber.Ctx) error {
	var problems []string
	l := view.AppList{}
	var before int64
	l.Account, before, l.Cursor = listPosition(c, &problems)
	scope := accounts.AllAccounts
	if l.Account != 0 {
		scope = accounts.Only(l.Account)
	}
	ctx := c.UserContext()
	items, err := h.svc.ListApps(ctx, scope, before, pageSize+1)
	if err != nil {
		return err
	}
	items, l.NextCursor = web.NextPage(items, pageSize, func(x mail.App) int64 { return x.ID })
	ids := make([]int64, len(items))
	for i, a := range items {
		ids[i] = a.AccountID
	}
	names := h.names.Of(ctx, ids...)
	for _, a := range items {
		from := a.DefaultFromEmail
		if a.DefaultFromName != "" && from != "" {
			from = a.DefaultFromName + " <" + from + ">"
		}
		l.Rows = append(l.Rows, view.AppRow{ID: a.ID, AccountID: a.AccountID, Account: names[a.AccountID], Name: a.Name, From: from, Created: a.CreatedAt})
	}
	n, err := h.svc.CountApps(ctx, scope, listcount.Cap)
	if err != nil {
		return err
	}
	l.Bar = h.app.ListBar(c, view.AppsPath, l.Query(), l.ActiveFilters())
	l.Bar.Count = web.Count(n, "app", "apps")
	l.Error = strings.Join(problems, " ")
	return web.Render(c, fiber.StatusOK, view.AppsPage(h.page(c, "Apps", layouts.Crumb{Label: "Apps"}), l))
}

// suppressions lists one account's suppressed addresses: suppressions
// belong to an account, so the page asks for one first.
func (h *Lumora) suppressions(c *fiber.Ctx) error {
	return h.renderSuppressions(c, fiber.StatusOK, view.LiftForm{Errors: map[string]string{}}, view.LiftForm{Errors: map[string]string{}})
}

// renderSuppressions is the list with the lift and add forms as given
// (their values and messages after a refused lift or add).
func (h *Lumora) renderSuppressions(c *fiber.Ctx, status int, lift, add view.LiftForm) error {
	var problems []string
	l := view.SuppressionList{CanManage: web.Can(c, staff.PermMailManage), CSRF: web.CSRFToken(c), Lift: lift, Add: add}
	var before int64
	l.Account, before, l.Cursor = listPosition(c, &problems)
	f := mail.SuppressionFilter{AccountID: l.Account, BeforeID: before, Limit: pageSize}
	SuppressionQuery(c, &f, &problems)
	l.Q, l.Reason = f.Search, f.Reason
	l.Bar = h.app.ListBar(c, view.SuppressionsPath, l.Query(), l.ActiveFilters())
	if l.Account != 0 {
		ctx := c.UserContext()
		page, err := h.svc.SuppressionPage(ctx, accounts.AllAccounts, f)
		if err != nil {
			return err
		}
		l.NextCursor = CursorOf(page.Next)
		for _, s := range page.Items {
			l.Rows = append(l.Rows, view.SuppressionRow{Email: s.Email, Reason: s.Reason, Origin: s.Origin, Created: s.CreatedAt})
		}
		n, err := h.svc.CountSuppressions(ctx, accounts.AllAccounts, f, listcount.Cap)
		if err != nil {
			return err
		}
		l.Bar.Count = web.Count(n, "suppressed address", "suppressed addresses")
	}
	l.Error = strings.Join(problems, " ")
	return web.Render(c, status, view.SuppressionsPage(h.page(c, "Suppressions", layouts.Crumb{Label: "Suppressions"}), l))
}

// exportSuppressions downloads an account's suppressions as the list
// filters them.
func (h *Lumora) exportSuppressions(c *fiber.Ctx) error {
	var problems []string
	acc, _, _ := listPosition(c, &problems)
	f := mail.SuppressionFilter{AccountID: acc}
	SuppressionQuery(c, &f, &problems)
	switch {
	case len(problems) > 0:
		return web.ExportRefused(problems)
	case acc == 0:
		return fiber.NewError(fiber.StatusUnprocessableEntity, "Choose the account: suppressions are exported one account at a time.")
	}
	ExportSuppressions(c, h.svc, h.app.Log(), accounts.AllAccounts, f)
	return nil
}

// liftSuppression lets the account send to an address again, with a reason
// (audited by the service on the account).
func (h *Lumora) liftSuppression(c *fiber.Ctx) error {
	form := view.LiftForm{Email: web.Truncate(web.Field(c, "email"), 320), Reason: web.Truncate(web.Field(c, "reason"), 600),
		Errors: map[string]string{}}
	render := func(status int, form view.LiftForm) error {
		return h.renderSuppressions(c, status, form, view.LiftForm{Errors: map[string]string{}})
	}
	acc, ok := web.ParseID(web.Field(c, "account"))
	if !ok {
		form.Error = "Choose the account first: its id is part of the page address."
		return render(fiber.StatusUnprocessableEntity, form)
	}
	err := h.svc.LiftSuppression(c.UserContext(), web.Actor(c), accounts.AllAccounts, acc, form.Email, form.Reason)
	if errs := web.FieldErrors(err, nil); errs != nil {
		form.Errors, form.Error = errs, "Please correct the highlighted fields."
		return render(fiber.StatusUnprocessableEntity, form)
	}
	if errors.Is(err, mail.ErrSuppressionNotFound) {
		form.Errors["email"] = "This account has no suppression for that address."
		form.Error = "Nothing was lifted."
		return render(fiber.StatusUnprocessableEntity, form)
	}
	if err != nil {
		return err
	}
	h.app.Toast(c, "success", form.Email+" may receive this account's mail again.")
	return web.Redirect(c, view.SuppressionsPath+"?account="+strconv.FormatInt(acc, 10))
}

// addSuppression stops the account sending to an address, with a reason
// (the service validates the address and audits it on the account).
func (h *Lumora) addSuppression(c *fiber.Ctx) error {
	// Oversized input is cut, not trusted: the service refuses what is still too long.
	form := view.LiftForm{Email: web.Truncate(web.Field(c, "new_email"), 1100), Reason: web.Truncate(web.Field(c, "new_reason"), 600),
		Errors: map[string]string{}}
	render := func(status int, form view.LiftForm) error {
		return h.renderSuppressions(c, status, view.LiftForm{Errors: map[string]string{}}, form)
	}
	acc, ok := web.ParseID(web.Field(c, "account"))
	if !ok {
		form.Error = "Choose the account first: its id is part of the page address."
		return render(fiber.StatusUnprocessableEntity, form)
	}
	err := h.svc.AddSuppression(c.UserContext(), web.Actor(c), accounts.AllAccounts, acc, form.Email, form.Reason)
	if errs := web.FieldErrors(err, map[string]string{"email": "new_email", "reason": "new_reason"}); errs != nil {
		form.Errors, form.Error = errs, "Nothing was added: please correct the highlighted fields."
		return render(fiber.StatusUnprocessableEntity, form)
	}
	if errors.Is(err, mail.ErrAccountNotFound) {
		form.Error = "There is no account #" + strconv.FormatInt(acc, 10) + "."
		return render(fiber.StatusUnprocessableEntity, form)
	}
	if err != nil {
		return err
	}
	h.app.Toast(c, "success", "This account no longer sends to "+strings.TrimSpace(form.Email)+".")
	return web.Redirect(c, view.SuppressionsPath+"?account="+strconv.FormatInt(acc, 10))
}
