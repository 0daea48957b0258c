package mail

import (
	"errors"
	"strings"

	"github.com/gofiber/fiber/v2"

	"lumdesk/handlers/lumora"
	"lumdesk/handlers/web"
	"lumdesk/internal/customers"
	mailsvc "lumdesk/internal/mail"
	lumoraview "lumdesk/views/pages/lumora"
	mv "lumdesk/views/pages/portal/mail"
)

func (h *Mail) suppressions(c *fiber.Ctx) error {
	return h.renderSuppressions(c, fiber.StatusOK, "", mv.SuppressForm{})
}

// renderSuppressions is the account's list, with msg (why a reactivation
// was refused) at the top and the add form as sent.
func (h *Mail) renderSuppressions(c *fiber.Ctx, status int, msg string, add mv.SuppressForm) error {
	u := web.CurrentCustomer(c)
	var problems []string
	if msg != "" {
		problems = append(problems, msg)
	}
	l := mv.SuppressionList{CanDevelop: web.CustomerMay(c, customers.PermDevelop), CSRF: web.CSRFToken(c), Add: add}
	before, cur := cursorParam(c, &problems)
	l.Cursor = cur
	f := mailsvc.SuppressionFilter{AccountID: u.AccountID, BeforeID: before, Limit: pageSize}
	lumora.SuppressionQuery(c, &f, &problems)
	l.Q, l.Reason, l.Reasons = f.Search, f.Reason, lumoraview.SuppressionReasonOptions
	ctx, scope := c.UserContext(), web.PortalScope(c)
	page, err := h.svc.SuppressionPage(ctx, scope, f)
	if err != nil {
		return err
	}
	l.NextCursor = lumora.CursorOf(page.Next)
	for _, s := range page.Items {
		l.Rows = append(l.Rows, mv.SuppressionRow{Email: s.Email, Reason: s.Reason, Origin: s.Origin, Created: s.CreatedAt})
	}
	l.Error = strings.Join(problems, " ")
	return web.Render(c, status, mv.SuppressionsPage(h.page(c, "Suppressions", web.Crumb("Suppressions")), l))
}

// exportSuppressions downloads the account's suppressions as the list
// filters them.
func (h *Mail) exportSuppressions(c *fiber.Ctx) error {
	var problems []string
	f := mailsvc.SuppressionFilter{AccountID: web.CurrentCustomer(c).AccountID}
	lumora.SuppressionQuery(c, &f, &problems)
	if len(problems) > 0 {
		return web.ExportRefused(problems)
	}
	lumora.ExportSuppressions(c, h.svc, h.app.Log(), web.PortalScope(c), f)
	return nil
}

// reactivate lets the account send to a suppressed address again (as the
// API's DELETE /v1/suppressions/:email); hard bounces stay for support.
func (h *Mail) reactivate(c *fiber.Ctx) error {
	email := web.Truncate(web.Field(c, "email"), 320)
	if email == "" {
		return h.renderSuppressions(c, fiber.StatusUnprocessableEntity, "Choose the address to reactivate.", mv.SuppressForm{})
	}
	err := h.svc.DeleteSuppression(c.UserContext(), web.PortalScope(c), web.CurrentCustomer(c).AccountID, email)
	switch {
	case errors.Is(err, mailsvc.ErrSuppressionNotFound):
		return h.renderSuppressions(c, fiber.StatusUnprocessableEntity, email+" is not on your suppression list.", mv.SuppressForm{})
	case errors.Is(err, mailsvc.ErrHardBounceSuppression):
		return h.renderSuppressions(c, fiber.StatusUnprocessableEntity, email+" hard-bounced: ask our support to reactivate it once the mailbox works again.", mv.SuppressForm{})
	case err != nil:
		return err
	}
	h.app.Toast(c, "success", email+" may receive your mail again.")
	return web.Redirect(c, mv.SuppressionsPath)
}

// addSuppression suppresses an address by hand, as support can in the
// console (the same service call, within the session's account).
func (h *Mail) addSuppression(c *fiber.Ctx) error {
	// Oversized input is cut, not trusted: the service refuses what is still too long.
	form := mv.SuppressForm{Email: web.Truncate(web.Field(c, "email"), 1100), Reason: web.Truncate(web.Field(c, "reason"), 600)}
	err := h.svc.AddSuppression(c.UserContext(), web.Actor(c), web.PortalScope(c), web.CurrentCustomer(c).AccountID, form.Email, form.Reason)
	if errs := web.FieldErrors(err, nil); errs != nil {
		form.Errors = errs
		return h.renderSuppressions(c, fiber.StatusUnprocessableEntity, "Nothing was added: fix the highlighted fields.", form)
	}
	if err != nil {
		return err
	}
	h.app.Toast(c, "success", "Your apps no longer send to "+strings.TrimSpace(form.Email)+".")
	return web.Redirect(c, mv.SuppressionsPath)
}
