// Package security renders the signed-in user's own account pages: two-factor
// enrolment and recovery codes (/account/security) and open sessions
// (/account/sessions).
package security

import "time"

// Status is what /account/security shows.
type Status struct {
	TOTPEnabled  bool
	Required     bool // the role needs TOTP and it is not on yet: the console is locked until enrolled
	RoleRequires bool // the role needs TOTP outside demo mode
	Demo         bool
	CodesLeft    int64
	// Pending is set while an enrolment has been begun and not confirmed.
	Pending *Enrolment
	// CodeError is the message under the code field (wrong code, 422).
	CodeError string
}

// Enrolment is the secret being enrolled.
type Enrolment struct {
	QR           string // data:image/png;base64,...
	Secret       string
	SecretGroups []string // the secret in groups of 4 for typing
}

// SessionRow is one open session.
type SessionRow struct {
	Handle    string
	Device    string // "Chrome on Linux"
	UserAgent string // full, shown as a tooltip
	IP        string
	SignedIn  time.Time
	LastSeen  time.Time
	Current   bool
}

// LowCodes reports whether the user is running out of recovery codes.
func (s Status) LowCodes() bool { return s.CodesLeft <= 3 }

func plural(n int64, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
