package servertest

import (
	"context"
	"net/http"
	"net/url"
	"strings"

	"lumdesk/internal/accounts"
	"lumdesk/internal/audit"
	"lumdesk/internal/customers"
	"lumdesk/internal/platform/ids"
)

// CreateAccount makes a customer account named name.
func (e *Env) CreateAccount(name string) accounts.Account {
	e.T.Helper()
	email := strings.ToLower(strings.ReplaceAll(name, " ", "-")) + "-" + strings.ToLower(ids.Token(6)) + "@customer.test"
	acc, err := e.Accounts.Create(context.Background(), audit.CLI("servertest"), accounts.CreateInput{Name: name, Email: email})
	if err != nil {
		e.T.Fatal(err)
	}
	return acc
}

// InviteCustomer invites email to the account with role (as staff) and
// returns the invitation link's path (/portal/invite/<token>).
func (e *Env) InviteCustomer(accountID int64, email string, role customers.Role) string {
	e.T.Helper()
	inv, err := e.Customers.Invite(context.Background(), audit.CLI("servertest"), accountID, email, role)
	if err != nil {
		e.T.Fatal(err)
	}
	u, err := url.Parse(inv.URL)
	if err != nil {
		e.T.Fatal(err)
	}
	return u.Path
}

// CreateCustomer makes a portal user of the account with role, through an
// invitation accepted with Password.
func (e *Env) CreateCustomer(accountID int64, email string, role customers.Role) customers.User {
	e.T.Helper()
	link := e.InviteCustomer(accountID, email, role)
	token := link[strings.LastIndexByte(link, '/')+1:]
	u, err := e.Customers.AcceptInvite(context.Background(), audit.CLI("servertest"), token, strings.Split(email, "@")[0], Password)
	if err != nil {
		e.T.Fatal(err)
	}
	return u
}

// AsCustomer returns a client signed in to the portal as a new user of
// the account with role.
func (e *Env) AsCustomer(accountID int64, role customers.Role) *Client {
	e.T.Helper()
	email := string(role) + "-" + strings.ToLower(ids.Token(6)) + "@customer.test"
	u := e.CreateCustomer(accountID, email, role)
	c := e.Anonymous()
	c.Customer = u
	c.SignInPortal(email, Password)
	return c
}

// SignInPortal goes through /portal/login.
func (c *Client) SignInPortal(email, password string) {
	t := c.env.T
	t.Helper()
	c.Get("/portal/login")
	r := c.PostForm("/portal/login", url.Values{"email": {email}, "password": {password}})
	if r.Status != http.StatusSeeOther {
		t.Fatalf("portal sign in %s: status %d: %s", email, r.Status, r.Text("[role=alert]"))
	}
	c.Get("/portal") // the new session's CSRF token
}
