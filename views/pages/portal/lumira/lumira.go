// Package lumira renders the customer portal's Lumira pages
// (handlers/portal/lumira): the account's Roblox groups with the add form,
// a group's page (status, ladder, action log, Discord webhook, findings,
// member lookup) and a member's page with the rank and points forms.
// Every link stays under /portal/lumira; a group's Roblox key and webhook
// URL are never rendered.
package lumira

import (
	"net/url"
	"strconv"
	"time"

	"lumdesk/views/components"
	"lumdesk/views/pages/portal"
)

// Paths of the area.
const (
	Path       = "/portal/lumira"
	Nav        = "ranking"
	GroupsPath = Path + "/groups"
	// NewKeyHref opens the API key form with Lumira chosen.
	NewKeyHref = portal.APIKeysPath + "/new?product=lumira"
)

// GroupHref is a group's page.
func GroupHref(id string) string { return GroupsPath + "/" + url.PathEscape(id) }

// LadderHref saves a group's ladder.
func LadderHref(id string) string { return GroupHref(id) + "/ladder" }

// WebhookHref sets a group's Discord webhook; WebhookTestHref sends a
// test message; WebhookRemoveHref removes it.
func WebhookHref(id string) string       { return GroupHref(id) + "/webhook" }
func WebhookTestHref(id string) string   { return GroupHref(id) + "/webhook/test" }
func WebhookRemoveHref(id string) string { return GroupHref(id) + "/webhook/remove" }

// LookupHref finds a member by username or id (GET ?q=).
func LookupHref(id string) string { return GroupHref(id) + "/members" }

// MemberHref is a member's page.
func MemberHref(id string, userID int64) string {
	return LookupHref(id) + "/" + strconv.FormatInt(userID, 10)
}

// MemberActionHref is where a member's form posts: promote, demote, rank, points.
func MemberActionHref(id string, userID int64, action string) string {
	return MemberHref(id, userID) + "/" + action
}

// GroupRow is a group in the list.
type GroupRow struct {
	ID            string
	Name          string
	RobloxGroupID int64
	Status        string // connected, key_invalid, sandbox
	Sandbox       bool
	Members       string // members Lumira has seen ("200+")
	LastAction    *time.Time
	LastKind      string
	Webhook       string // none, ok, disabled
}

// AddForm is the add-a-group form (the key is never rendered back).
type AddForm struct {
	GroupID, Ceiling, Name string
	Errors                 map[string]string
	FormError              string
}

// GroupList is /portal/lumira.
type GroupList struct {
	Rows       []GroupRow
	NextHref   string
	FirstHref  string
	Error      string
	CanDevelop bool
	CSRF       string
	Add        AddForm
}

// RoleRow is a role on the group page's ladder card.
type RoleRow struct {
	ID         string
	Name       string
	Rank       int
	Members    string // "" unknown
	InLadder   bool
	Position   int // 1 = the lowest step; 0 off the ladder
	Points     string
	Assignable bool
	Error      string
}

// LadderForm is the ladder card's state after a refused save.
type LadderForm struct {
	FormError string
}

// ActionRow is one action of the log.
type ActionRow struct {
	ID        string
	UserID    int64
	Username  string
	Kind      string
	From, To  string // "Member (1)"
	Points    string // "+10"
	Reason    string
	Actor     string
	Status    string
	Error     string
	CreatedAt time.Time
}

// FindingRow is a rank change made outside Lumira.
type FindingRow struct {
	UserID    int64
	From, To  string
	ChangedBy string
	ChangedAt *time.Time
	Source    string
	FoundAt   time.Time
}

// MemberRow is a member Lumira has seen.
type MemberRow struct {
	UserID     int64
	Username   string
	Role       string
	Points     string
	LastChange *time.Time
}

// WebhookForm is the webhook card's state after a form (the URL is never
// rendered back).
type WebhookForm struct {
	Error     string // the URL field's message
	FormError string
	TestError string
}

// LogFilter is the log's filter as shown.
type LogFilter struct {
	Kind, Status string
	Errors       []string
}

// GroupPage is one group.
type GroupPage struct {
	ID              string
	Name            string
	RobloxGroupID   int64
	Status          string
	StatusMessage   string
	Sandbox         bool
	KeyWorks        string // "Yes", "No", "No key (sandbox)"
	KeyScopes       []string
	Ceiling         int
	AutoPromote     bool
	LastSync        *time.Time
	LastReconciled  *time.Time
	Created         time.Time
	WebhookStatus   string // none, ok, disabled
	WebhookReason   string
	WebhookDisabled *time.Time
	Roles           []RoleRow
	Ladder          LadderForm
	Actions         []ActionRow
	Filter          LogFilter
	NextHref        string
	NewestHref      string
	Findings        []FindingRow
	Members         []MemberRow
	MembersNext     string
	Lookup          string
	LookupError     string
	Webhook         WebhookForm
	CanDevelop      bool
	CSRF            string
	KindOptions     []components.Option
	StatusOptions   []components.Option
}

// RoleOption is a rank the set-rank form offers.
type RoleOption = components.Option

// MemberForms are the member page's forms after a refused change: each
// form's own message and what was typed.
type MemberForms struct {
	Promote, Demote, Rank, Points MemberForm
}

// MemberForm is one of them.
type MemberForm struct {
	Reason    string
	Rank      string
	Delta     string
	Errors    map[string]string
	FormError string
}

// MemberPage is one member of a group.
type MemberPage struct {
	GroupID    string
	GroupName  string
	Sandbox    bool
	UserID     int64
	Username   string
	Role       string
	Rank       int
	Points     string
	LastChange *time.Time
	Error      string // the member could not be read from Roblox
	Roles      []RoleOption
	History    []ActionRow
	Forms      MemberForms
	CanDevelop bool
	CSRF       string
}

func statusLabel(s string) string {
	switch s {
	case "connected":
		return "Connected"
	case "key_invalid":
		return "Key invalid"
	case "sandbox":
		return "Sandbox"
	}
	return s
}

func statusTone(s string) string {
	switch s {
	case "connected", "ok", "done":
		return "green"
	case "sandbox", "pending":
		return "amber"
	case "key_invalid", "disabled", "failed":
		return "red"
	}
	return "gray"
}

func webhookLabel(s string) string {
	switch s {
	case "ok":
		return "OK"
	case "disabled":
		return "Disabled"
	}
	return "Not set"
}

func kindLabel(k string) string {
	switch k {
	case "outside_change":
		return "outside change"
	}
	return k
}

func itoa(n int) string  { return strconv.Itoa(n) }
func i64(n int64) string { return strconv.FormatInt(n, 10) }
func orDash(s string) string {
	if s == "" {
		return "—"
	}
	return s
}

// curlExample is the API key card's example call.
const curlExample = `curl -X POST https://…/api/lumira/v1/groups/grp_…/users/123/promote \
  -H "Authorization: Bearer lumira_…" -d '{"reason": "Passed training"}'`
