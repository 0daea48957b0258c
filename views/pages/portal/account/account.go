// Package account renders the portal's account settings: the team (users,
// roles, invitations), each user's own security (password, two-factor) and
// sessions, and the account's API keys. Handlers build the view-models here
// from the customers service; views never see domain types.
package account

import (
	"strconv"
	"time"

	portal "lumdesk/views/pages/portal"
)

// Member is one user of the account on the team page.
type Member struct {
	ID         int64
	Name       string
	Email      string
	Role       string // the role's value (owner, developer, ...)
	RoleLabel  string
	TOTP       bool
	Removed    bool
	LastSignIn *time.Time
	Self       bool
}

// DisplayName is the name, or the email when there is none.
func (m Member) DisplayName() string {
	if m.Name != "" {
		return m.Name
	}
	return m.Email
}

// RoleHref is where the member's role form posts.
func (m Member) RoleHref() string {
	return portal.TeamPath + "/" + strconv.FormatInt(m.ID, 10) + "/role"
}

// RemoveHref is where the member's removal posts.
func (m Member) RemoveHref() string {
	return portal.TeamPath + "/" + strconv.FormatInt(m.ID, 10) + "/remove"
}

// RoleChoice is one role as the forms offer it.
type RoleChoice struct {
	Value, Label, About string
}

// Invitation is one open invitation.
type Invitation struct {
	ID        int64
	Email     string
	RoleLabel string
	InvitedBy string
	Created   time.Time
	Expires   time.Time
}

// RevokeHref is where the invitation's revocation posts.
func (i Invitation) RevokeHref() string {
	return portal.TeamPath + "/invitations/" + strconv.FormatInt(i.ID, 10) + "/revoke"
}

// InviteForm is the invitation form.
type InviteForm struct {
	Email  string
	Role   string
	Errors map[string]string
	Error  string
}

// Team is /portal/account/team.
type Team struct {
	Members     []Member
	Invitations []Invitation
	Roles       []RoleChoice
	// Manage is set for owners (not staff viewing): the change controls show.
	Manage bool
	// Error is why a change was refused (the last owner, oneself).
	Error  string
	Invite InviteForm
}

// Active counts the members who can sign in.
func (t Team) Active() int {
	n := 0
	for _, m := range t.Members {
		if !m.Removed {
			n++
		}
	}
	return n
}

// Security is /portal/account/security.
type Security struct {
	Email       string
	TOTPEnabled bool
	CodesLeft   int64
	// Pending is set while an enrolment has been begun and not confirmed.
	Pending *Enrolment
	// CodeError is the message under the confirmation code field.
	CodeError string
	// Password is the change-password form's messages.
	Password map[string]string
	// DisableError is the message under the password of "turn off two-factor".
	DisableError string
	Sessions     int
}

// LowCodes reports whether the user is running out of recovery codes.
func (s Security) LowCodes() bool { return s.CodesLeft <= 3 }

// Enrolment is the secret being enrolled.
type Enrolment struct {
	QR           string // data:image/png;base64,...
	Secret       string
	SecretGroups []string // the secret in groups of 4 for typing
}

// SessionRow is one of the user's open sessions.
type SessionRow struct {
	Handle    string
	Device    string // "Chrome on Linux"
	UserAgent string
	IP        string
	SignedIn  time.Time
	LastSeen  time.Time
	Current   bool
}

// RevokeHref is where signing the session out posts.
func (r SessionRow) RevokeHref() string { return portal.SessionsPath + "/" + r.Handle + "/revoke" }

func orDash(s string) string {
	if s == "" {
		return "—"
	}
	return s
}
