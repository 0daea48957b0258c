// Package portal holds the customer portal's pages (handlers/portal).
// Each page takes a layouts.Page built by the portal (its sidebar, the
// account's name) and a plain view-model.
package portal

import "time"

// Paths of the portal's own pages.
const (
	HomePath     = "/portal"
	LoginPath    = "/portal/login"
	ForgotPath   = "/portal/forgot"
	SecurityPath = "/portal/account/security"
	SessionsPath = "/portal/account/sessions"
)

// ForgotForm is the "forgot password" form.
type ForgotForm struct {
	Email string
	Error string
	Sent  bool // the neutral answer: sent if the address is a user's
}

// PasswordForm is the form that sets a password: accepting an invitation
// (with a name) or through a reset link.
type PasswordForm struct {
	Action      string // where it posts (the link's own path)
	Email       string // who the password is for
	AccountName string // the account invited to
	Role        string // the role invited as
	Name        string
	Invite      bool
	Errors      map[string]string
	Error       string
}

// LinkProblem is the page of a link that no longer works.
type LinkProblem struct {
	Message string
	Invite  bool
}

// Home is the portal's first page.
type Home struct {
	AccountName string
	UserName    string
	Role        string
	Products    []HomeProduct
	Coming      []string // brands not live yet
	Activity    []Activity
}

// HomeProduct is one product card on Home.
type HomeProduct struct {
	Brand, Tagline, Href, Icon, Hue string
	Figures                         []Figure
	Empty                           string // what to do when there is nothing yet
}

// Figure is one labelled number on a card.
type Figure struct{ Label, Value string }

// Activity is one recent change to the account, in words.
type Activity struct {
	At     time.Time
	Actor  string
	Action string
	Object string
}

// Paths of the account's settings pages.
const (
	APIKeysPath = "/portal/account/api-keys"
	TeamPath    = "/portal/account/team"
)
