package accounts

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/gofiber/fiber/v2"

	"lumdesk/handlers/web"
	"lumdesk/internal/accounts"
	"lumdesk/internal/audit"
	"lumdesk/internal/customers"
	"lumdesk/internal/platform/apperr"
	"lumdesk/internal/staff"
	"lumdesk/views/layouts"
	view "lumdesk/views/pages/accounts"
)

// PortalService is what the Portal tab needs of internal/customers.
type PortalService interface {
	Users(ctx context.Context, accountID int64) ([]customers.User, error)
	Invitations(ctx context.Context, accountID int64) ([]customers.Invitation, error)
	Invite(ctx context.Context, actor audit.Actor, accountID int64, email string, role customers.Role) (customers.Invitation, error)
	RevokeInvitation(ctx context.Context, actor audit.Actor, accountID, id int64) error
	RecordViewAs(ctx context.Context, actor audit.Actor, accountID int64, reason string) error
}

// maxViewReason bounds the reason of a portal view.
const maxViewReason = 500

var portalRoles = func() []view.PortalRole {
	out := make([]view.PortalRole, len(customers.Roles))
	for i, r := range customers.Roles {
		out[i] = view.PortalRole{Value: string(r), Label: r.Label(), About: r.About()}
	}
	return out
}()

// portalView builds the Portal tab of account a.
func (h *Accounts) portalView(c *fiber.Ctx, a accounts.Account) (*view.Portal, error) {
	ctx := c.UserContext()
	users, err := h.portal.Users(ctx, a.ID)
	if err != nil {
		return nil, err
	}
	invs, err := h.portal.Invitations(ctx, a.ID)
	if err != nil {
		return nil, err
	}
	p := &view.Portal{AccountID: a.ID, AccountName: a.Name, Suspended: a.Suspended(), Roles: portalRoles,
		CanInvite: web.Can(c, staff.PermPortalInvite), CanView: web.Can(c, staff.PermPortalView)}
	for _, u := range users {
		p.Users = append(p.Users, view.PortalUser{Name: u.DisplayName(), Email: u.Email, Role: u.Role.Label(), TwoFactor: u.TOTPEnabled,
			LastSignIn: u.LastLoginAt, Removed: u.Disabled})
	}
	for _, inv := range invs {
		p.Invitations = append(p.Invitations, view.PortalInvitation{ID: inv.ID, Email: inv.Email, Role: inv.Role.Label(),
			InvitedBy: inv.CreatedBy, Expires: inv.ExpiresAt})
	}
	return p, nil
}

// renderPortal shows the account page on its Portal tab; edit adjusts the
// tab (form messages, the invitation just made).
func (h *Accounts) renderPortal(c *fiber.Ctx, status int, id int64, edit func(*view.Portal)) error {
	a, err := h.svc.Get(c.UserContext(), id)
	if err != nil {
		return err
	}
	d := h.detailView(c, a, view.PortalTab)
	if d.Portal, err = h.portalView(c, a); err != nil {
		return err
	}
	if edit != nil {
		edit(d.Portal)
	}
	p := h.app.Page(c, a.Name, "accounts", accountsCrumb, layouts.Crumb{Label: a.Name, Href: view.Href(a.ID)}, layouts.Crumb{Label: "Portal"})
	d.CSRF = p.CSRF
	return web.Render(c, status, view.DetailPage(p, d))
}

func portalTabHref(id int64) string { return view.Href(id) + "?tab=" + view.PortalTab }

// invite invites a portal user and shows the link once.
func (h *Accounts) invite(c *fiber.Ctx) error {
	id, err := accountID(c)
	if err != nil {
		return err
	}
	form := view.InviteForm{Email: strings.TrimSpace(c.FormValue("email")), Role: strings.TrimSpace(c.FormValue("role"))}
	role, _ := customers.ParseRole(form.Role)
	inv, err := h.portal.Invite(c.UserContext(), web.Actor(c), id, form.Email, role)
	var fe apperr.FieldErrors
	switch {
	case err == nil || inv.URL != "":
		// Made; when only the mail failed, the link still works.
		sent := &view.SentInvitation{Email: inv.Email, URL: inv.URL, Sandbox: h.app.Config().SMTPURL == ""}
		if err != nil {
			h.app.Log().Warn("invitation mail not sent", "err", err, "request_id", web.RequestID(c))
			sent.MailError = "the mail service refused it"
		}
		return h.renderPortal(c, fiber.StatusOK, id, func(p *view.Portal) { p.Sent = sent })
	case errors.As(err, &fe):
		form.Errors = fe
	case errors.Is(err, customers.ErrSuspended):
		form.FormError = "The account is suspended: reactivate it before inviting anyone."
	case errors.Is(err, customers.ErrNotFound):
		return accounts.ErrNotFound
	default:
		return err
	}
	return h.renderPortal(c, fiber.StatusUnprocessableEntity, id, func(p *view.Portal) { p.Invite = form })
}

// revokeInvitation cancels an open invitation of the account.
func (h *Accounts) revokeInvitation(c *fiber.Ctx) error {
	id, err := accountID(c)
	if err != nil {
		return err
	}
	inv, ok := web.ParseID(c.Params("inv"))
	if !ok {
		return customers.ErrNotFound
	}
	if err := h.portal.RevokeInvitation(c.UserContext(), web.Actor(c), id, inv); err != nil {
		return err
	}
	h.app.Toast(c, "success", "Invitation revoked.")
	return web.Redirect(c, portalTabHref(id))
}

// viewPortal opens the account's portal read-only for the staff member,
// with a reason kept in the audit history.
func (h *Accounts) viewPortal(c *fiber.Ctx) error {
	id, err := accountID(c)
	if err != nil {
		return err
	}
	reason := strings.TrimSpace(c.FormValue("reason"))
	msg := ""
	switch {
	case reason == "":
		msg = "Say why you open the customer's portal."
	case utf8.RuneCountInString(reason) > maxViewReason:
		msg = "Keep the reason under " + strconv.Itoa(maxViewReason) + " characters."
	}
	if msg != "" {
		return h.renderPortal(c, fiber.StatusUnprocessableEntity, id, func(p *view.Portal) {
			p.View = view.ViewAsForm{Reason: reason, Error: msg, Open: true}
		})
	}
	if err := h.portal.RecordViewAs(c.UserContext(), web.Actor(c), id, reason); err != nil {
		if errors.Is(err, customers.ErrNotFound) {
			return accounts.ErrNotFound
		}
		return err
	}
	if err := h.app.StartPortalView(c, id); err != nil {
		return err
	}
	return web.Redirect(c, web.PortalPrefix)
}
