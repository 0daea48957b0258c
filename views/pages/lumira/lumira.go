// Package lumira holds the Lumira console pages (Roblox group ranking):
// the group list with the add form, the group page and its tabs (ladder,
// members, log, Discord, reconciliation, history), the member page, an
// action's page and the account tab, filled by handlers/lumira from
// internal/ranking.
package lumira

import (
	"net/url"
	"strconv"
	"time"

	"lumdesk/views/components"
)

// Paths of the area.
const (
	GroupsPath  = "/lumira"
	ExportPath  = "/lumira/groups.csv"
	GroupPath   = "/lumira/groups"
	ActionsPath = "/lumira/actions"
)

// GroupHref is a group's page.
func GroupHref(id string) string { return GroupPath + "/" + url.PathEscape(id) }

// GroupTabHref is a group's page with one tab open.
func GroupTabHref(id, tab string) string { return GroupHref(id) + "?tab=" + tab }

// MemberHref is a member's page.
func MemberHref(groupID string, userID int64) string {
	return GroupHref(groupID) + "/members/" + idStr(userID)
}

// ActionHref is an action's page.
func ActionHref(id string) string { return ActionsPath + "/" + url.PathEscape(id) }

// AccountHref is an account's page.
func AccountHref(id int64) string { return "/accounts/" + idStr(id) }

func idStr(id int64) string { return strconv.FormatInt(id, 10) }

// Action URLs of a group.
func LadderHref(id string) string    { return GroupHref(id) + "/ladder" }
func SyncHref(id string) string      { return GroupHref(id) + "/sync" }
func WebhookHref(id string) string   { return GroupHref(id) + "/webhook" }
func TestHref(id string) string      { return GroupHref(id) + "/webhook/test" }
func ReconcileHref(id string) string { return GroupHref(id) + "/reconcile" }
func SettingsHref(id string) string  { return GroupHref(id) + "/settings" }
func MemberActHref(groupID string, userID int64, act string) string {
	return MemberHref(groupID, userID) + "/" + act
}

// StatusLabel names a group status; a sandbox group is "Sandbox" everywhere.
func StatusLabel(status string) string {
	switch status {
	case "connected":
		return "Connected"
	case "key_invalid":
		return "Key invalid"
	case "sandbox":
		return "Sandbox"
	}
	return status
}

// StatusTone colours a group status.
func StatusTone(status string) string {
	switch status {
	case "connected":
		return "green"
	case "key_invalid":
		return "red"
	}
	return "amber"
}

// Option lists.
var (
	StatusOptions = []components.Option{{Value: "", Label: "Any status"}, {Value: "connected", Label: "Connected"},
		{Value: "key_invalid", Label: "Key invalid"}, {Value: "sandbox", Label: "Sandbox"}}
	KindOptions = []components.Option{{Value: "", Label: "Any kind"}, {Value: "set", Label: "Set"}, {Value: "promote", Label: "Promote"},
		{Value: "demote", Label: "Demote"}, {Value: "points", Label: "Points"}, {Value: "outside_change", Label: "Outside change"}}
	ActionStatusOptions = []components.Option{{Value: "", Label: "Any status"}, {Value: "pending", Label: "Pending"},
		{Value: "done", Label: "Done"}, {Value: "failed", Label: "Failed"}}
)

// GroupRow is a group in a list.
type GroupRow struct {
	ID            string
	Name          string
	RobloxGroupID int64
	AccountID     int64
	AccountName   string
	Status        string
	Ceiling       int
	Webhook       string // none, ok, disabled
	Roles         int
	Created       time.Time
}

// AddForm is the "Add group" form's state.
type AddForm struct {
	Account, GroupID, Ceiling, Webhook, Name string
	Errors                                   map[string]string
	Error                                    string
	Open                                     bool // refused: show it open
}

// GroupList is /lumira.
type GroupList struct {
	Q, Status, Account string
	Cursor, Next       string
	Rows               []GroupRow
	Error              string
	Bar                components.ListBar
	CanManage          bool
	CSRF               string
	Form               AddForm
}

// Query is the list's filters as a URL query ("" or "?…"), without the page.
func (l GroupList) Query() string {
	v := url.Values{}
	for k, s := range map[string]string{"q": l.Q, "status": l.Status, "account": l.Account} {
		if s != "" {
			v.Set(k, s)
		}
	}
	if len(v) == 0 {
		return ""
	}
	return "?" + v.Encode()
}

// NextHref is the next page's address.
func (l GroupList) NextHref() string {
	if l.Next == "" {
		return ""
	}
	q := l.Query()
	if q == "" {
		return GroupsPath + "?cursor=" + url.QueryEscape(l.Next)
	}
	return GroupsPath + q + "&cursor=" + url.QueryEscape(l.Next)
}

// ExportHref is the CSV of the list's filters.
func (l GroupList) ExportHref() string { return ExportPath + l.Query() }

// ActiveFilters are the filters in force.
func (l GroupList) ActiveFilters() []components.ActiveFilter {
	var out []components.ActiveFilter
	out = append(out, components.Filter("q", "Search", l.Q)...)
	out = append(out, components.OptionFilter("status", "Status", l.Status, StatusOptions)...)
	out = append(out, components.Filter("account", "Account", l.Account)...)
	return out
}

// RoleRow is a role on the Ladder tab.
type RoleRow struct {
	ID, Name    string
	Rank        int
	InLadder    bool
	Position    string // "" off the ladder
	Points      string // the form's value
	Assignable  bool
	PointsErr   string
	PositionErr string
	MemberCount string
}

// MemberRow is a member in a list.
type MemberRow struct {
	UserID     int64
	Username   string
	RoleName   string
	Rank       int
	Points     int64
	LastChange *time.Time
}

// ActionRow is an action in a log.
type ActionRow struct {
	ID       string
	GroupID  string
	UserID   int64
	Username string
	Kind     string
	From, To string // "Member (10)"
	Delta    int64
	Reason   string
	Actor    string
	Status   string
	Error    string
	Created  time.Time
}

// FindingRow is an outside rank change.
type FindingRow struct {
	UserID   int64
	From, To string
	By       string
	Changed  *time.Time
	Source   string
	ActionID string
	Found    time.Time
}

// Header is a group's header card.
type Header struct {
	ID            string
	Name          string
	RobloxGroupID int64
	AccountID     int64
	AccountName   string
	Status        string
	StatusMessage string
	Sandbox       bool
	HasKey        bool
	KeyScopes     []string
	Ceiling       int
	AutoPromote   bool
	Webhook       string
	WebhookReason string
	LastSync      *time.Time
	LastReconcile *time.Time
}

// GroupPage is /lumira/groups/:id.
type GroupPage struct {
	H         Header
	Tab       string // ladder, members, log, discord, reconciliation, history
	CanManage bool
	CSRF      string

	Roles       []RoleRow
	LadderError string

	MemberQ    string
	Members    []MemberRow
	MemberNext string

	Kind, ActionStatus string
	Actions            []ActionRow
	LogCursor, LogNext string
	Error              string

	WebhookURL   string
	WebhookError string

	Findings []FindingRow

	SettingsErrors map[string]string
	Ceiling        string
}

// Tabs are the group page's tabs.
func (v GroupPage) Tabs() []components.Tab {
	var out []components.Tab
	for _, t := range []struct{ key, label string }{{"ladder", "Ladder"}, {"members", "Members"}, {"log", "Log"},
		{"discord", "Discord"}, {"reconciliation", "Reconciliation"}, {"history", "History"}} {
		out = append(out, components.Tab{Label: t.label, Href: GroupTabHref(v.H.ID, t.key), Active: v.Tab == t.key})
	}
	return out
}

// LogQuery is the Log tab's filters as a query, with the tab.
func (v GroupPage) LogQuery() string {
	q := url.Values{"tab": {"log"}}
	if v.Kind != "" {
		q.Set("kind", v.Kind)
	}
	if v.ActionStatus != "" {
		q.Set("status", v.ActionStatus)
	}
	return "?" + q.Encode()
}

// LogNextHref is the log's next page.
func (v GroupPage) LogNextHref() string {
	if v.LogNext == "" {
		return ""
	}
	return GroupHref(v.H.ID) + v.LogQuery() + "&cursor=" + url.QueryEscape(v.LogNext)
}

// MembersNextHref is the members' next page.
func (v GroupPage) MembersNextHref() string {
	if v.MemberNext == "" {
		return ""
	}
	q := url.Values{"tab": {"members"}, "after": {v.MemberNext}}
	if v.MemberQ != "" {
		q.Set("q", v.MemberQ)
	}
	return GroupHref(v.H.ID) + "?" + q.Encode()
}

// MemberForm is the state of the member page's forms after a refused post.
type MemberForm struct {
	Action string // set, promote, demote, points
	Role   string
	Delta  string
	Reason string
	Errors map[string]string
	Error  string
}

// MemberPage is /lumira/groups/:id/members/:userId.
type MemberPage struct {
	GroupID, GroupName string
	Sandbox            bool
	UserID             int64
	Username           string
	RoleName           string
	Rank               int
	Points             int64
	LastChange         *time.Time
	Roles              []components.Option // assignable roles
	RoleID             string
	Actions            []ActionRow
	CanManage          bool
	CSRF               string
	Form               MemberForm
	ReadError          string
}

// ActionPage is /lumira/actions/:id.
type ActionPage struct {
	A         ActionRow
	GroupName string
}

// AccountTabRow is a group on the account's Lumira tab.
type AccountTabRow = GroupRow

// AccountTab is the account page's Lumira tab.
type AccountTab struct {
	AccountID int64
	CanSee    bool
	Rows      []GroupRow
}

// KindLabel names an action kind.
func KindLabel(k string) string { return components.OptionLabel(KindOptions, k) }
