package account

import (
	"errors"
	"strings"

	"github.com/gofiber/fiber/v2"

	"lumdesk/handlers/web"
	"lumdesk/internal/customers"
	"lumdesk/views/layouts"
	portal "lumdesk/views/pages/portal"
	view "lumdesk/views/pages/portal/account"
)

// Team serves /portal/account/team: every user of the account reads it
// (staff viewing as the customer too); owners change roles, remove users,
// invite and revoke invitations.
type Team struct {
	app *web.App
}

// NewTeam makes the route group.
func NewTeam() *Team { return &Team{} }

// Routes implements web.RouteGroup.
func (h *Team) Routes(a *web.App) []web.Route {
	h.app = a
	users := customers.PermUsers
	return []web.Route{
		web.PortalGet(portal.TeamPath, customers.PermView, h.page),
		web.PortalPost(portal.TeamPath+"/invite", users, h.invite),
		web.PortalPost(portal.TeamPath+"/invitations/:id/revoke", users, h.revokeInvitation),
		web.PortalPost(portal.TeamPath+"/:id/role", users, h.setRole),
		web.PortalPost(portal.TeamPath+"/:id/remove", users, h.remove),
	}
}

func roleChoices() []view.RoleChoice {
	out := make([]view.RoleChoice, len(customers.Roles))
	for i, r := range customers.Roles {
		out[i] = view.RoleChoice{Value: string(r), Label: r.Label(), About: web.Capitalize(r.About()) + "."}
	}
	return out
}

// team builds the page's view-model for the signed-in user.
func (h *Team) team(c *fiber.Ctx) (view.Team, error) {
	u := web.CurrentCustomer(c)
	svc := h.app.Customers()
	users, err := svc.Users(c.UserContext(), u.AccountID)
	if err != nil {
		return view.Team{}, err
	}
	invs, err := svc.Invitations(c.UserContext(), u.AccountID)
	if err != nil {
		return view.Team{}, err
	}
	t := view.Team{Roles: roleChoices(), Manage: u.ViewedBy == nil && u.Can(customers.PermUsers),
		Invite: view.InviteForm{Role: string(customers.RoleDeveloper), Errors: map[string]string{}}}
	for _, m := range users {
		t.Members = append(t.Members, view.Member{ID: m.ID, Name: m.Name, Email: m.Email, Role: string(m.Role), RoleLabel: m.Role.Label(),
			TOTP: m.TOTPEnabled, Removed: m.Disabled, LastSignIn: m.LastLoginAt, Self: u.ViewedBy == nil && m.ID == u.ID})
	}
	for _, i := range invs {
		t.Invitations = append(t.Invitations, view.Invitation{ID: i.ID, Email: i.Email, RoleLabel: i.Role.Label(), InvitedBy: i.CreatedBy,
			Created: i.CreatedAt, Expires: i.ExpiresAt})
	}
	return t, nil
}

func (h *Team) render(c *fiber.Ctx, status int, t view.Team) error {
	p := h.app.PortalPage(c, "Team", "team", layouts.Crumb{Label: "Team"})
	return web.Render(c, status, view.TeamPage(p, t))
}

func (h *Team) page(c *fiber.Ctx) error {
	t, err := h.team(c)
	if err != nil {
		return err
	}
	return h.render(c, fiber.StatusOK, t)
}

// refuse renders the page with why a change was not made.
func (h *Team) refuse(c *fiber.Ctx, status int, msg string) error {
	t, err := h.team(c)
	if err != nil {
		return err
	}
	t.Error = msg
	return h.render(c, status, t)
}

var errNoUser = fiber.NewError(fiber.StatusNotFound, "There is no user with that id in this account.")

// changeError answers a refused role change or removal.
func (h *Team) changeError(c *fiber.Ctx, err error) error {
	switch {
	case errors.Is(err, customers.ErrNotFound):
		return errNoUser
	case errors.Is(err, customers.ErrLastOwner):
		return h.refuse(c, fiber.StatusConflict, "The account needs at least one owner who can sign in: make someone else an owner first.")
	case errors.Is(err, customers.ErrSelf):
		return h.refuse(c, fiber.StatusConflict, "You cannot change your own role or remove yourself; ask another owner.")
	}
	if fe := web.FieldErrors(err, nil); fe != nil {
		return h.refuse(c, fiber.StatusUnprocessableEntity, strings.Join(mapValues(fe), " "))
	}
	return err
}

func mapValues(m map[string]string) []string {
	out := make([]string, 0, len(m))
	for _, v := range m {
		out = append(out, v)
	}
	return out
}

func (h *Team) setRole(c *fiber.Ctx) error {
	id, ok := web.ParseID(c.Params("id"))
	if !ok {
		return errNoUser
	}
	role, ok := customers.ParseRole(web.Truncate(web.Field(c, "role"), 20))
	if !ok {
		return h.refuse(c, fiber.StatusUnprocessableEntity, "Choose a role: owner, developer, billing or read-only.")
	}
	u := web.CurrentCustomer(c)
	m, err := h.app.Customers().SetRole(c.UserContext(), web.Actor(c), u.AccountID, id, u.ID, role)
	if err != nil {
		return h.changeError(c, err)
	}
	h.app.Toast(c, "success", m.DisplayName()+" is now "+m.Role.Label()+".")
	return web.Redirect(c, portal.TeamPath)
}

func (h *Team) remove(c *fiber.Ctx) error {
	id, ok := web.ParseID(c.Params("id"))
	if !ok {
		return errNoUser
	}
	u := web.CurrentCustomer(c)
	m, err := h.app.Customers().Remove(c.UserContext(), web.Actor(c), u.AccountID, id, u.ID)
	if err != nil {
		return h.changeError(c, err)
	}
	h.app.Toast(c, "success", m.DisplayName()+" was removed and signed out everywhere.")
	return web.Redirect(c, portal.TeamPath)
}

func (h *Team) invite(c *fiber.Ctx) error {
	u := web.CurrentCustomer(c)
	f := view.InviteForm{Email: web.Truncate(web.Field(c, "email"), 300), Role: web.Truncate(web.Field(c, "role"), 20), Errors: map[string]string{}}
	role, ok := customers.ParseRole(f.Role)
	if f.Email == "" {
		f.Errors["email"] = "Enter their email address."
	}
	if !ok {
		f.Errors["role"] = "Choose a role."
		f.Role = ""
	}
	var err error
	if len(f.Errors) == 0 {
		var inv customers.Invitation
		inv, err = h.app.Customers().Invite(c.UserContext(), web.Actor(c), u.AccountID, f.Email, role)
		switch {
		case err == nil:
			h.app.Toast(c, "success", "Invitation mailed to "+inv.Email+": the link in it works once, for 7 days.")
			return web.Redirect(c, portal.TeamPath)
		case inv.ID != 0:
			// Made, but the mail did not go: revoking and inviting again sends another.
			h.app.Toast(c, "error", "The invitation to "+inv.Email+" was made but its email could not be sent. Revoke it and invite again.")
			return web.Redirect(c, portal.TeamPath)
		case errors.Is(err, customers.ErrSuspended):
			f.Error = web.Capitalize(customers.ErrSuspended.Error()) + "."
		default:
			fe := web.FieldErrors(err, nil)
			if fe == nil {
				return err
			}
			for k, v := range fe {
				if k != "email" && k != "role" {
					k = "email"
				}
				f.Errors[k] = v
			}
		}
	}
	if f.Error == "" {
		f.Error = "Fix the highlighted fields and try again."
	}
	t, terr := h.team(c)
	if terr != nil {
		return terr
	}
	t.Invite = f
	return h.render(c, fiber.StatusUnprocessableEntity, t)
}

func (h *Team) revokeInvitation(c *fiber.Ctx) error {
	id, ok := web.ParseID(c.Params("id"))
	if !ok {
		return errNoInvitation
	}
	u := web.CurrentCustomer(c)
	err := h.app.Customers().RevokeInvitation(c.UserContext(), web.Actor(c), u.AccountID, id)
	if errors.Is(err, customers.ErrNotFound) {
		return errNoInvitation
	}
	if err != nil {
		return err
	}
	h.app.Toast(c, "success", "Invitation revoked: its link no longer works.")
	return web.Redirect(c, portal.TeamPath)
}

var errNoInvitation = fiber.NewError(fiber.StatusNotFound, "There is no open invitation with that id in this account.")
