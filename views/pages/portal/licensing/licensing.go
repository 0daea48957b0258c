// Package licensing renders the customer portal's Luarmor pages
// (handlers/portal/licensing): the account's projects, a project's scripts
// and license keys, a key with its actions, generating keys and a script's
// versions and diffs. Every link stays under /portal/luarmor.
package licensing

import (
	"net/url"
	"strconv"
	"time"

	"lumdesk/views/components"
)

// Paths of the area.
const (
	Path = "/portal/luarmor"
	Nav  = "licensing"
)

// ProjectHref is a project's page.
func ProjectHref(id string) string { return Path + "/projects/" + url.PathEscape(id) }

// ExportHref is a project's keys as CSV (with the list's filters).
func ExportHref(id, query string) string { return ProjectHref(id) + "/keys.csv" + query }

// GenerateHref is a project's generate-keys form.
func GenerateHref(id string) string { return ProjectHref(id) + "/generate" }

// ScriptHref is a script's page.
func ScriptHref(projectID, scriptID string) string {
	return ProjectHref(projectID) + "/scripts/" + url.PathEscape(scriptID)
}

// KeyHref is a key's page (internal id).
func KeyHref(id int64) string { return Path + "/keys/" + strconv.FormatInt(id, 10) }

// ProjectRow is a project in the list.
type ProjectRow struct {
	ID, Name, Keys, Cooldown string
	Created                  time.Time
}

// ProjectList is /portal/luarmor.
type ProjectList struct {
	Rows      []ProjectRow
	NextHref  string
	FirstHref string
	Error     string
}

// ScriptRow is a script of a project.
type ScriptRow struct {
	ProjectID, ID, Name string
	Version             int
	Flags               []string
	Executions, LastRun string
}

// Href is the script's page.
func (r ScriptRow) Href() string { return ScriptHref(r.ProjectID, r.ID) }

// KeyRow is a key in a project's list.
type KeyRow struct {
	ID                           int64
	UserKey, HWID, Discord, Note string
	Status                       string
	Banned, Expired              bool
	Expires                      string
	Executions                   string
	Created                      time.Time
}

// KeyFilters are the key list's query.
type KeyFilters struct {
	Q      string
	Status string // "", active, reset, banned
}

// Query is the filters as a URL query plus extra pairs ("?..." or "").
func (f KeyFilters) Query(extra ...string) string {
	return components.FilterQuery(append([]string{"q", f.Q, "status", f.Status}, extra...)...)
}

// StatusOptions are the status filter's choices.
func StatusOptions() []components.Option {
	return []components.Option{{Value: "", Label: "Any status"}, {Value: "active", Label: "Active (HWID linked)"},
		{Value: "reset", Label: "Reset (no HWID)"}, {Value: "banned", Label: "Blacklisted"}}
}

// ProjectPage is a project: facts, scripts, keys.
type ProjectPage struct {
	ID, Name, Cooldown, Keys string
	UsersCanReset            bool
	Created                  string
	Scripts                  []ScriptRow
	Filters                  KeyFilters
	Rows                     []KeyRow
	Bar                      components.ListBar // the keys' count, or where to fetch it
	NextHref, FirstHref      string
	Errors                   map[string]string
	Empty                    bool // no keys at all
	CanDevelop               bool
	CSRF                     string
}

// Generate is the generate-keys form and, once done, its keys.
type Generate struct {
	ProjectID, ProjectName string
	Count, KeyDays, Note   string
	Max                    int
	MaxUsers               string // the plan's limit in words
	Errors                 map[string]string
	Error                  string
	CSRF                   string
	Done                   []KeyRow
}

// KeyView is a key's facts.
type KeyView struct {
	ID                              int64
	UserKey, ProjectID, ProjectName string
	HWID, Discord, Note, Status     string
	Banned, Expired                 bool
	BanReason, BanExpire, Expires   string
	Resets, LastReset, Executions   string
	LastExecution, Created          string
	CooldownLength, CooldownEnds    string
	OnCooldown                      bool
}

// ShortKey is the key's first 8 characters.
func (k KeyView) ShortKey() string {
	if len(k.UserKey) > 8 {
		return k.UserKey[:8]
	}
	return k.UserKey
}

// KeyPage is a key with its actions.
type KeyPage struct {
	Key        KeyView
	CanDevelop bool
	CSRF       string
	Action     string // the action that failed: reset-hwid, blacklist, unban, edit, delete
	Error      string // why it failed
	Errors     map[string]string
	Force      bool
	BanReason  string
	BanExpire  string
	Reason     string
	Edit       KeyEditForm
}

// KeyEditForm is the edit dialog's fields: as the key is, or as sent.
type KeyEditForm struct {
	Note, DiscordID     string
	AuthExpire, KeyDays string // datetime-local (UTC), whole days
}

// ActionHref is the POST target of a key action.
func (p KeyPage) ActionHref(kind string) string { return KeyHref(p.Key.ID) + "/" + kind }

func itoa(n int) string { return strconv.Itoa(n) }

// BulkHref is where a project's selected keys go for a bulk action.
func BulkHref(projectID string) string { return ProjectHref(projectID) + "/keys/bulk" }

// Bulk is a bulk action on the keys selected on a project's page: first
// its confirmation (the keys, and the ban reason for a blacklist), then
// each key's result.
type Bulk struct {
	ProjectID, ProjectName string
	Action                 string // reset-hwid, blacklist, unban, delete
	Keys                   []KeyRow
	Force                  bool   // reset-hwid: during the cooldown too
	BanReason              string // blacklist
	Errors                 map[string]string
	Results                []BulkResult // set once done
	CSRF                   string
}

// BulkResult is what a bulk action did to one key.
type BulkResult struct {
	Key     KeyRow
	OK      bool
	Message string // why it was refused
}

// Done counts the keys the action changed.
func (b Bulk) Done() int {
	n := 0
	for _, r := range b.Results {
		if r.OK {
			n++
		}
	}
	return n
}

// Verb is the action in a sentence ("Blacklist").
func (b Bulk) Verb() string {
	return map[string]string{"reset-hwid": "Reset the HWID of", "blacklist": "Blacklist", "unban": "Unban", "delete": "Delete"}[b.Action]
}

func idStr(id int64) string { return strconv.FormatInt(id, 10) }
