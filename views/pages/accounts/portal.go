package accounts

import "time"

// PortalTab is the key of the account page's Portal tab.
const PortalTab = "portal"

// Portal is the account page's Portal tab: the account's portal users, its
// open invitations, the invitation form and "view portal as customer".
type Portal struct {
	AccountID   int64
	AccountName string
	Suspended   bool
	Users       []PortalUser
	Invitations []PortalInvitation
	Roles       []PortalRole
	CanInvite   bool // staff.PermPortalInvite
	CanView     bool // staff.PermPortalView
	Invite      InviteForm
	Sent        *SentInvitation // the invitation just made: its link, shown once
	View        ViewAsForm
}

// PortalUser is one row of the users table.
type PortalUser struct {
	Name, Email, Role string
	TwoFactor         bool
	LastSignIn        *time.Time
	Removed           bool
}

// PortalInvitation is one open invitation.
type PortalInvitation struct {
	ID        int64
	Email     string
	Role      string
	InvitedBy string
	Expires   time.Time
}

// RevokeAction is where the invitation's Revoke posts.
func (p Portal) RevokeAction(id int64) string {
	return Href(p.AccountID) + "/portal/invitations/" + idStr(id) + "/revoke"
}

// InviteAction is where the invitation form posts.
func (p Portal) InviteAction() string { return Href(p.AccountID) + "/portal/invitations" }

// ViewAction is where "view portal as customer" posts.
func (p Portal) ViewAction() string { return Href(p.AccountID) + "/portal/view" }

// PortalRole is one choice of the invitation form's role.
type PortalRole struct{ Value, Label, About string }

// InviteForm is the invitation form's input and messages.
type InviteForm struct {
	Email, Role string
	Errors      map[string]string
	FormError   string
}

// SentInvitation is the invitation just made.
type SentInvitation struct {
	Email     string
	URL       string
	MailError string // set when the mail could not be sent (the link still works)
	Sandbox   bool   // mail goes to Lumora's sandbox inbox (make run)
}

// ViewAsForm is the "view portal as customer" dialog's input.
type ViewAsForm struct {
	Reason string
	Error  string
	Open   bool // reopen the dialog (after a refused submit)
}
