// Package staff renders the staff management pages: the list, the invite
// form, a staff member's detail page and its action dialogs.
package staff

import (
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"lumdesk/views/components"
	"lumdesk/views/pages/security"
)

// Row is one staff user.
type Row struct {
	ID           int64
	Name         string
	Email        string
	Role         string
	TOTP         bool
	TOTPRequired bool // the role needs TOTP here and it is not on
	Disabled     bool
	Created      time.Time
	Self         bool
}

// Href is the detail page.
func (r Row) Href() string { return "/staff/" + strconv.FormatInt(r.ID, 10) }

// SelfRefusal says why an action (its kind) cannot be taken on this user
// when it is your own account, "" when it can: the detail page greys the
// action out with it, and the action's form, opened by its URL, shows it
// with nothing to submit. The service refuses both (staff.ErrSelf).
func (r Row) SelfRefusal(kind string) string {
	if !r.Self {
		return ""
	}
	switch kind {
	case "disable":
		return "You cannot disable your own account."
	case "reset-totp":
		return "You cannot reset your own two-factor here."
	}
	return ""
}

// DisplayName is the name, or the email when there is no name.
func (r Row) DisplayName() string {
	if strings.TrimSpace(r.Name) != "" {
		return r.Name
	}
	return r.Email
}

// Status is "active" or "disabled".
func (r Row) Status() string {
	if r.Disabled {
		return "disabled"
	}
	return "active"
}

// List is /staff.
type List struct {
	Rows  []Row
	Q     string
	Role  string
	Sort  string // "name", "-name", "created", "-created"; "" = active first, by email
	Total int    // staff users before filtering
	Bar   components.ListBar
}

// ActiveFilters are the filters in force, as chips read them.
func (l List) ActiveFilters() []components.ActiveFilter {
	return slices.Concat(components.Filter("q", "Search", l.Q), components.OptionFilter("role", "Role", l.Role, roleOptions(false)))
}

// Filtered reports whether a filter is applied.
func (l List) Filtered() bool { return l.Q != "" || l.Role != "" }

// Href builds the list URL with sort s and the current filters.
func (l List) Href(s string) string {
	v := url.Values{}
	if l.Q != "" {
		v.Set("q", l.Q)
	}
	if l.Role != "" {
		v.Set("role", l.Role)
	}
	if s != "" {
		v.Set("sort", s)
	}
	if len(v) == 0 {
		return "/staff"
	}
	return "/staff?" + v.Encode()
}

// Summary is the line under the table.
func (l List) Summary() string {
	if l.Filtered() {
		return strconv.Itoa(len(l.Rows)) + " of " + strconv.Itoa(l.Total) + " staff"
	}
	return strconv.Itoa(l.Total) + " staff"
}

// NewForm is the invite form.
type NewForm struct {
	Email, Name, Role string
	Errors            map[string]string
	Error             string
	TOTPEnforced      bool // not demo mode: admin/finance enrol at first sign-in
}

// RoleInfo describes a role in the select.
type RoleInfo struct{ Value, Label, Summary string }

// Roles are the choices of the role selects.
var Roles = []RoleInfo{
	{"admin", "Admin", "everything, including staff and API keys"},
	{"support", "Support", "accounts, license keys, reviews, email, ranking"},
	{"finance", "Finance", "balances, approvals, audit export"},
	{"viewer", "Viewer", "read-only access"},
}

func roleOptions(all bool) []components.Option {
	var out []components.Option
	if all {
		out = append(out, components.Option{Value: "", Label: "All roles"})
	}
	for _, r := range Roles {
		out = append(out, components.Option{Value: r.Value, Label: r.Label})
	}
	return out
}

// RoleTone is the badge colour of a role (same as the top bar's).
func RoleTone(role string) string {
	switch role {
	case "admin":
		return "indigo"
	case "support":
		return "blue"
	case "finance":
		return "green"
	}
	return "grey"
}

// Detail is /staff/:id.
type Detail struct {
	User         Row
	Tab          string      // "", "sessions", "history"
	Permissions  []PermGroup // the role's, by area
	Sessions     []security.SessionRow
	CSRF         string
	TOTPEnforced bool
}

// TabHref is the URL of tab t.
func (d Detail) TabHref(t string) string {
	if t == "" {
		return d.User.Href()
	}
	return d.User.Href() + "?tab=" + t
}

// Tabs are the detail page's tabs.
func (d Detail) Tabs() []components.Tab {
	return []components.Tab{
		{Label: "Overview", Href: d.TabHref(""), Active: d.Tab == ""},
		{Label: "Sessions", Href: d.TabHref("sessions"), Active: d.Tab == "sessions", Count: strconv.Itoa(len(d.Sessions))},
		{Label: "History", Href: d.TabHref("history"), Active: d.Tab == "history"},
	}
}

// PermGroup is the permissions of one area.
type PermGroup struct {
	Area  string
	Perms []Perm
}

// Perm is one permission: its name and what it allows.
type Perm struct{ Name, Label string }

// PermissionCount is how many permissions the groups hold.
func (d Detail) PermissionCount() int {
	n := 0
	for _, g := range d.Permissions {
		n += len(g.Perms)
	}
	return n
}

// ActionForm is one of the detail page's actions, as a dialog (htmx) or a
// page of its own (plain links), with its input and errors.
type ActionForm struct {
	Kind   string // role, disable, enable, password, revoke-sessions, reset-totp
	User   Row
	Tab    string
	Role   string
	Reason string
	Errors map[string]string
	Error  string
	// Refused: the action cannot be taken on this user (your own account);
	// Error says why, and the form offers nothing to submit.
	Refused bool
}

// ActionKinds lists the valid kinds.
var ActionKinds = []string{"role", "disable", "enable", "password", "revoke-sessions", "reset-totp"}

// Action is what a kind looks like.
type Action struct {
	Title, Body, Submit string
	Danger              bool
}

// Meta describes the form's action.
func (f ActionForm) Meta() Action {
	n := f.User.DisplayName()
	switch f.Kind {
	case "role":
		return Action{Title: "Change role of " + n, Body: "The new role's permissions apply from their next request. Admin and finance must use two-factor sign-in.", Submit: "Change role"}
	case "disable":
		return Action{Title: "Disable " + n + "?", Body: "They are signed out everywhere now and cannot sign in until an admin enables them again.", Submit: "Disable", Danger: true}
	case "enable":
		return Action{Title: "Enable " + n + "?", Body: "They can sign in again with their current password and two-factor.", Submit: "Enable"}
	case "password":
		return Action{Title: "Reset password of " + n, Body: "They are signed out everywhere. Send them the new password over a private channel.", Submit: "Reset password", Danger: true}
	case "revoke-sessions":
		return Action{Title: "Sign " + n + " out everywhere?", Body: "Every browser signed in as them is signed out now. They can sign in again.", Submit: "Sign out everywhere", Danger: true}
	case "reset-totp":
		return Action{Title: "Reset two-factor of " + n + "?", Body: "Their authenticator and recovery codes stop working. They set up two-factor again at their next sign-in.", Submit: "Reset two-factor", Danger: true}
	}
	return Action{Title: "Unknown action"}
}

// Path is the POST URL.
func (f ActionForm) Path() string { return f.User.Href() + "/" + f.Kind }

// DialogID is the dialog element's id.
func (f ActionForm) DialogID() string { return "staff-action-" + f.Kind }

func (f ActionForm) err(field string) string { return f.Errors[field] }

func intStr(n int64) string { return strconv.FormatInt(n, 10) }

func createdState(sort string) string {
	switch sort {
	case "created":
		return "asc"
	case "-created":
		return "desc"
	}
	return "none"
}

func sortAria(sort string) string {
	switch createdState(sort) {
	case "asc":
		return "ascending"
	case "desc":
		return "descending"
	}
	return "none"
}

func nextCreatedSort(sort string) string {
	if sort == "created" {
		return "-created"
	}
	return "created"
}
