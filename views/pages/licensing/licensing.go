// Package licensing renders the Luarmor pages: projects and their settings,
// scripts with their code, versions and diffs, the key lists and the key
// page with its support actions. The view models here are plain strings and
// flags; handlers/licensing*.go fills them from internal/licensing.
package licensing

import (
	"net/url"
	"slices"
	"strconv"
	"time"

	"lumdesk/internal/platform/textdiff"
	"lumdesk/views/components"
)

// Paths of the area.
const (
	ProjectsPath = "/luarmor"
	KeysPath     = "/luarmor/keys"
	SignalsPath  = "/luarmor/signals"
)

// ProjectHref is a project's page.
func ProjectHref(id string) string { return "/luarmor/projects/" + url.PathEscape(id) }

// ProjectKeysHref is a project's key list.
func ProjectKeysHref(id string) string { return ProjectHref(id) + "/keys" }

// ScriptHref is a script's page.
func ScriptHref(projectID, scriptID string) string {
	return ProjectHref(projectID) + "/scripts/" + url.PathEscape(scriptID)
}

// KeyHref is a key's page (internal id).
func KeyHref(id int64) string { return "/luarmor/keys/" + strconv.FormatInt(id, 10) }

// AreaTabs is the Luarmor sub-navigation: projects, keys, bulk jobs,
// support signals.
func AreaTabs(active string) []components.Tab {
	return []components.Tab{
		{Label: "Projects", Href: ProjectsPath, Active: active == "projects"},
		{Label: "Keys", Href: KeysPath, Active: active == "keys"},
		{Label: "Jobs", Href: JobsPath, Active: active == "jobs"},
		{Label: "Support signals", Href: SignalsPath, Active: active == "signals"},
	}
}

func idStr(id int64) string { return strconv.FormatInt(id, 10) }

func orDash(s string) string {
	if s == "" {
		return "—"
	}
	return s
}

// ---------------------------------------------------------------- projects

// ProjectRow is a project in the list.
type ProjectRow struct {
	ID           string
	Name         string
	AccountID    int64
	AccountName  string
	AccountEmail string
	Keys         string // "12", "1,000+"
	Created      time.Time
}

// ProjectList is the projects list page.
type ProjectList struct {
	Q         string
	Account   string // account id filter ("" = all)
	Rows      []ProjectRow
	NextHref  string
	FirstHref string
	Errors    map[string]string
	CanManage bool
	Empty     bool // no projects at all
}

// Query is the list's URL query plus extra pairs.
func (v ProjectList) Query(extra ...string) string {
	return components.FilterQuery(append([]string{"q", v.Q, "account", v.Account}, extra...)...)
}

// NewHref is the new-project form (for the account filtered on, if any).
func (v ProjectList) NewHref() string {
	if v.Account != "" {
		return "/luarmor/projects/new?account=" + url.QueryEscape(v.Account)
	}
	return "/luarmor/projects/new"
}

// Summary is the pager text.
func (v ProjectList) Summary() string { return components.OnPage(len(v.Rows), "project", "projects") }

// ProjectForm is the new-project form.
type ProjectForm struct {
	Account       string // id or email
	Name          string
	CooldownHours string
	UsersCanReset bool
	FFADefault    bool
	Reason        string
	Errors        map[string]string
	CSRF          string
}

// ProjectView is a project's facts.
type ProjectView struct {
	ID            string
	Name          string
	AccountID     int64
	AccountName   string
	AccountEmail  string
	Cooldown      string // "24 hours", "None"
	UsersCanReset bool
	FFADefault    bool
	Keys          string // capped count
	Created       string
	Updated       string
}

// SettingsForm edits a project's name and settings.
type SettingsForm struct {
	Name          string
	CooldownHours string
	UsersCanReset bool
	FFADefault    bool
	Reason        string
	Errors        map[string]string
}

// ScriptForm adds a script to a project.
type ScriptForm struct {
	Name   string
	FFA    string // "", "on", "off": "" takes the project's default
	Reason string
	Errors map[string]string
}

// ScriptRow is a script in a project's list.
type ScriptRow struct {
	ProjectID  string
	ID         string
	Name       string
	Version    int
	Silent     bool
	FFA        bool
	Heartbeat  bool
	Lightning  bool
	Executions string
	LastRun    string
	Updated    string
}

// Href is the script's page.
func (r ScriptRow) Href() string { return ScriptHref(r.ProjectID, r.ID) }

// ProjectPage is /luarmor/projects/:id.
type ProjectPage struct {
	Project    ProjectView
	Scripts    []ScriptRow
	Tab        string // overview, history
	Settings   SettingsForm
	NewScript  ScriptForm
	CanManage  bool
	CSRF       string
	FormAnchor string // the form that failed, to scroll to
}

// Tabs of the project page.
func (p ProjectPage) Tabs() []components.Tab {
	h := ProjectHref(p.Project.ID)
	return []components.Tab{
		{Label: "Overview", Href: h, Active: p.Tab != "history"},
		{Label: "Keys", Href: ProjectKeysHref(p.Project.ID), Count: p.Project.Keys},
		{Label: "History", Href: h + "?tab=history", Active: p.Tab == "history"},
	}
}

// ---------------------------------------------------------------- scripts

// ScriptFace is where a face shows the script page: the console's under
// /luarmor over every account, the portal's under /portal/luarmor over the
// session's account (handlers/portal/licensing). One handler
// (handlers/licensing.Scripts) and one template serve both.
type ScriptFace struct {
	Path   string // the area's root: ProjectsPath, or the portal's
	Portal bool   // the customer's face: no audit history, no reason fields
}

// ConsoleScripts is the console's face of the script page.
var ConsoleScripts = ScriptFace{Path: ProjectsPath}

// ProjectHref is a project's page in the face.
func (f ScriptFace) ProjectHref(id string) string { return f.Path + "/projects/" + url.PathEscape(id) }

// ScriptHref is a script's page in the face.
func (f ScriptFace) ScriptHref(projectID, scriptID string) string {
	return f.ProjectHref(projectID) + "/scripts/" + url.PathEscape(scriptID)
}

// ScriptView is a script's facts.
type ScriptView struct {
	ScriptRow
	ProjectName string
	Created     string
}

// FlagsForm edits a script's flags.
type FlagsForm struct {
	Silent, FFA, Heartbeat, Lightning bool
	Reason                            string
	Errors                            map[string]string
}

// UploadForm uploads a new version: a file, or else the pasted source.
type UploadForm struct {
	Source string
	Reason string
	Errors map[string]string
}

// VersionRow is one version in the history list.
type VersionRow struct {
	Version   int
	SHA256    string
	Size      string
	Flags     []string
	CreatedBy string
	Created   time.Time
	Current   bool
}

// CodeView is one version's source.
type CodeView struct {
	Version   int
	Lines     []string
	SHA256    string
	Size      string
	CreatedBy string
	Created   string
}

// DiffView is a diff between two versions.
type DiffView struct {
	From, To       int
	Hunks          []textdiff.Hunk
	Added, Removed int
	TooBig         bool // too many changes to show line by line
}

// ScriptPage is a script's page in either face.
type ScriptPage struct {
	Face      ScriptFace
	Script    ScriptView
	Tab       string // code, versions, diff, upload, history (console)
	Code      *CodeView
	Versions  []VersionRow
	Diff      *DiffView
	DiffError string
	Flags     FlagsForm
	Upload    UploadForm
	MaxSize   string // the largest script, in words ("2.0 MB")
	CanManage bool   // may set flags and upload
	CSRF      string
}

// ScriptHref is the script's page in the page's face.
func (p ScriptPage) ScriptHref() string { return p.Face.ScriptHref(p.Script.ProjectID, p.Script.ID) }

// Href is the script page on a tab with extra query pairs.
func (p ScriptPage) Href(tab string, extra ...string) string {
	q := url.Values{}
	if tab != "" && tab != "code" {
		q.Set("tab", tab)
	}
	for i := 0; i+1 < len(extra); i += 2 {
		q.Set(extra[i], extra[i+1])
	}
	h := p.ScriptHref()
	if len(q) > 0 {
		h += "?" + q.Encode()
	}
	return h
}

// Tabs of the script page: the audit history only in the console.
func (p ScriptPage) Tabs() []components.Tab {
	t := []components.Tab{
		{Label: "Code", Href: p.Href("code"), Active: p.Tab == "code"},
		{Label: "Versions", Href: p.Href("versions"), Active: p.Tab == "versions", Count: strconv.Itoa(len(p.Versions))},
		{Label: "Diff", Href: p.Href("diff"), Active: p.Tab == "diff"},
	}
	if p.CanManage {
		t = append(t, components.Tab{Label: "Upload", Href: p.Href("upload"), Active: p.Tab == "upload"})
	}
	if !p.Face.Portal {
		t = append(t, components.Tab{Label: "History", Href: p.Href("history"), Active: p.Tab == "history"})
	}
	return t
}

// VersionOptions are the diff selects' choices.
func (p ScriptPage) VersionOptions() []components.Option {
	out := make([]components.Option, len(p.Versions))
	for i, v := range p.Versions {
		l := "v" + strconv.Itoa(v.Version) + " · " + components.ExactTime(v.Created)
		if v.Current {
			l += " (current)"
		}
		out[i] = components.Option{Value: strconv.Itoa(v.Version), Label: l}
	}
	return out
}

// ---------------------------------------------------------------- key lists

// Column is a column of the key list.
type Column struct {
	Key, Label string
}

// KeyColumns are the key list's columns; "key" is always shown.
var KeyColumns = []Column{
	{"key", "Key"}, {"project", "Project"}, {"hwid", "HWID"}, {"discord", "Discord ID"}, {"status", "Status"},
	{"expires", "Expires"}, {"key_days", "Key days"}, {"executions", "Executions"}, {"last_used", "Last used"},
	{"resets", "Resets"}, {"note", "Note"}, {"created", "Created"},
}

// DefaultColumns are shown when the URL names none (DefaultColumnsFor adds
// the sort's).
var DefaultColumns = []string{"key", "project", "hwid", "discord", "status", "expires", "executions"}

// sortColumns are the columns a sort (KeyFilters.Sort) adds to the default
// set, so a list sorted by a value shows it ("Recently used" without a
// "Last used" column reads as unsorted). Expiry is a default column already.
var sortColumns = map[string]string{"created": "created", "last_used": "last_used", "-last_used": "last_used"}

// DefaultColumnsFor is the default set of a list sorted by sort, in the
// table's order.
func DefaultColumnsFor(sort string) []string {
	col, ok := sortColumns[sort]
	if !ok {
		return slices.Clone(DefaultColumns)
	}
	var cols []string
	for _, k := range KeyColumns {
		if k.Key == col || slices.Contains(DefaultColumns, k.Key) {
			cols = append(cols, k.Key)
		}
	}
	return cols
}

// KeyFilters are the key list's URL query.
type KeyFilters struct {
	Q         string
	Status    string // active, reset, banned
	Banned    string // yes, no
	Expired   string // yes, no
	NeverUsed string // yes, no
	Discord   string // yes, no
	ExpFrom   string // YYYY-MM-DD
	ExpTo     string // YYYY-MM-DD, inclusive
	Sort      string // "" (= -created), created, expires, -expires, last_used, -last_used
	Project   string // cross-project list only
	Cols      string // "" = default, else comma separated
	Limit     string
}

// Any reports whether a filter narrows the list.
func (f KeyFilters) Any() bool {
	return f.Q != "" || f.Status != "" || f.Banned != "" || f.Expired != "" || f.NeverUsed != "" || f.Discord != "" ||
		f.ExpFrom != "" || f.ExpTo != "" || f.Project != ""
}

// MoreCount is how many of the filters behind "More filters" are set.
func (f KeyFilters) MoreCount() int {
	n := 0
	for _, v := range []string{f.Banned, f.Expired, f.NeverUsed, f.Discord, f.ExpFrom, f.ExpTo} {
		if v != "" {
			n++
		}
	}
	return n
}

// Values is the filters as a URL query (without cursors).
func (f KeyFilters) Values() url.Values {
	v := url.Values{}
	set := func(k, val string) {
		if val != "" {
			v.Set(k, val)
		}
	}
	set("q", f.Q)
	set("status", f.Status)
	set("banned", f.Banned)
	set("expired", f.Expired)
	set("never_used", f.NeverUsed)
	set("discord", f.Discord)
	set("exp_from", f.ExpFrom)
	set("exp_to", f.ExpTo)
	set("sort", f.Sort)
	set("project", f.Project)
	set("cols", f.Cols)
	set("limit", f.Limit)
	return v
}

// Query is "?"+the filters plus extra pairs ("" when empty).
func (f KeyFilters) Query(extra ...string) string { return components.QueryOf(f.Values(), extra...) }

// CurrentSort is the sort in SortHeader notation.
func (f KeyFilters) CurrentSort() string {
	if f.Sort == "" {
		return "-created"
	}
	return f.Sort
}

// KeyRow is one key in a list.
type KeyRow struct {
	ID          int64
	UserKey     string
	ProjectID   string
	ProjectName string
	HWID        string
	DiscordID   string
	Note        string
	Status      string
	Banned      bool
	Expired     bool
	Expires     string    // "Never", "30 days"; shown when ExpiresAt is zero
	ExpiresNote string    // "after first use" for key days not started
	ExpiresHint string    // title of a non-date expiry
	ExpiresAt   time.Time // the expiry date; zero when there is none
	KeyDays     string
	Executions  string
	LastUsed    time.Time // zero = never
	Resets      string
	Created     time.Time
}

// Href is the key's page.
func (r KeyRow) Href() string { return KeyHref(r.ID) }

// KeyList is a key list: across projects, or one project's.
type KeyList struct {
	Base        string // list path
	ProjectID   string // set on a project's list
	ProjectName string
	Projects    []components.Option // project filter choices (cross-project list)
	Filters     KeyFilters
	Columns     []string
	Rows        []KeyRow
	PrevHref    string
	NextHref    string
	FirstHref   string
	Errors      map[string]string
	Empty       bool // the list has no keys at all (no filters)
	CanManage   bool
	CanReset    bool
	CanBan      bool
	CanDelete   bool
	CSRF        string
	Self        string // this page's URL (where bulk actions come back to)
	Bar         components.ListBar
}

// CanBulk: the staff member may take at least one bulk action, so the
// list has its checkboxes and bulk bar.
func (v KeyList) CanBulk() bool { return v.CanManage || v.CanReset || v.CanBan || v.CanDelete }

// ActiveFilters are the filters in force, as chips read them.
func (v KeyList) ActiveFilters() []components.ActiveFilter {
	f := v.Filters
	project := f.Project
	for _, o := range v.Projects {
		if o.Value == f.Project {
			project = o.Label
		}
	}
	return slices.Concat(
		components.Filter("q", "Search", f.Q),
		components.OptionFilter("status", "Status", f.Status, StatusOptions),
		components.Filter("project", "Project", project),
		components.OptionFilter("banned", "Blacklist", f.Banned, BannedOptions),
		components.OptionFilter("expired", "Expiry", f.Expired, ExpiredOptions),
		components.OptionFilter("never_used", "Use", f.NeverUsed, NeverUsedOptions),
		components.OptionFilter("discord", "Discord", f.Discord, DiscordOptions),
		components.Filter("exp_from", "Expires from", f.ExpFrom),
		components.Filter("exp_to", "Expires until", f.ExpTo),
	)
}

// Show reports whether a column is shown.
func (v KeyList) Show(col string) bool {
	if col == "project" && v.ProjectID != "" {
		return false
	}
	return slices.Contains(v.Columns, col)
}

// SortHref is the list with another sort (cursor dropped).
func (v KeyList) SortHref(s string) string {
	if s == "-created" {
		s = ""
	}
	f := v.Filters
	f.Sort = s
	return v.Base + f.Query()
}

// ClearHref keeps sort and columns, drops filters.
func (v KeyList) ClearHref() string {
	return v.Base + KeyFilters{Sort: v.Filters.Sort, Cols: v.Filters.Cols, Limit: v.Filters.Limit}.Query()
}

// ProjectParam is the project the bulk links carry.
func (v KeyList) ProjectParam() string {
	if v.ProjectID != "" {
		return v.ProjectID
	}
	return v.Filters.Project
}

// GenerateHref, ImportHref and ExportHref are the bulk engineer's pages.
func (v KeyList) GenerateHref() string {
	return withProject("/luarmor/keys/generate", v.ProjectParam())
}

// ImportHref is the CSV import page.
func (v KeyList) ImportHref() string { return withProject("/luarmor/keys/import", v.ProjectParam()) }

// ExportHref downloads the filtered list as CSV.
// MatchQuery is the list's filters as the bulk bar's "every key that
// matches" sends them (no columns, page size or cursor), "" when the list
// has one page only: then its boxes are every key already.
func (v KeyList) MatchQuery() string {
	if v.PrevHref == "" && v.NextHref == "" {
		return ""
	}
	f := v.Filters
	f.Cols, f.Limit = "", ""
	f.Project = v.ProjectParam()
	if q := f.Values().Encode(); q != "" {
		return q
	}
	return "all" // no filter: every key (the server reads no known field from it)
}

func (v KeyList) ExportHref() string {
	f := v.Filters
	f.Cols, f.Limit = "", ""
	f.Project = v.ProjectParam()
	return "/luarmor/keys/export.csv" + f.Query()
}

func withProject(path, project string) string {
	if project == "" {
		return path
	}
	return path + "?project=" + url.QueryEscape(project)
}

// Summary is the pager text.
func (v KeyList) Summary() string { return components.OnPage(len(v.Rows), "key", "keys") }

// ColumnChoices are the chooser's entries (without "key", always shown).
func (v KeyList) ColumnChoices() []Column {
	var out []Column
	for _, c := range KeyColumns {
		if c.Key == "key" || (c.Key == "project" && v.ProjectID != "") {
			continue
		}
		out = append(out, c)
	}
	return out
}

// Filter choices.
var (
	StatusOptions = []components.Option{{Value: "", Label: "Any status"}, {Value: "active", Label: "Active"},
		{Value: "reset", Label: "Reset"}, {Value: "banned", Label: "Blacklisted"}}
	BannedOptions = []components.Option{{Value: "", Label: "Banned or not"}, {Value: "yes", Label: "Blacklisted"},
		{Value: "no", Label: "Not blacklisted"}}
	ExpiredOptions = []components.Option{{Value: "", Label: "Expired or not"}, {Value: "yes", Label: "Expired"},
		{Value: "no", Label: "Not expired"}}
	NeverUsedOptions = []components.Option{{Value: "", Label: "Used or not"}, {Value: "yes", Label: "Never used"},
		{Value: "no", Label: "Used"}}
	DiscordOptions = []components.Option{{Value: "", Label: "Discord or not"}, {Value: "yes", Label: "Has Discord"},
		{Value: "no", Label: "No Discord"}}
	SortOptions = []components.Option{{Value: "", Label: "Newest first"}, {Value: "created", Label: "Oldest first"},
		{Value: "expires", Label: "Expiring soonest"}, {Value: "-expires", Label: "Expiring last"},
		{Value: "-last_used", Label: "Recently used"}, {Value: "last_used", Label: "Used longest ago"}}
)

// ---------------------------------------------------------------- key page

// KeyView is every field of a key, formatted.
type KeyView struct {
	ID             int64
	UserKey        string
	ProjectID      string
	ProjectName    string
	HWID           string
	DiscordID      string
	Note           string
	Status         string
	Banned         bool
	BanReason      string
	BanExpire      string // "" = no end
	UnbanToken     string // only for staff who may blacklist
	Expired        bool
	KeyDays        string
	AuthExpire     string // "" = never / not started
	Activated      string
	Resets         string
	LastReset      string
	Executions     string
	LastExecution  string
	Created        string
	Updated        string
	ExpiresSummary string
}

// ShortKey is the key's first 8 characters (type-to-confirm, titles).
func (k KeyView) ShortKey() string {
	if len(k.UserKey) <= 8 {
		return k.UserKey
	}
	return k.UserKey[:8]
}

// Cooldown describes the HWID reset cooldown of a key.
type Cooldown struct {
	Length    string // "24 hours", "None"
	LastReset string
	Ends      string // when the cooldown ends ("" = no cooldown running)
	Active    bool   // a reset now would be refused without force
}

// CheckResult is the answer of a dry-run loader check.
type CheckResult struct {
	Allowed     bool
	Reason      string // code
	ReasonLabel string
	Message     string
	Explain     string // plain words for support
	ScriptName  string
	HWID        string
	Error       string // the check could not run (bad input)
}

// CheckForm is the "why is this key refused?" form.
type CheckForm struct {
	Script  string
	HWID    string
	Scripts []components.Option
	Result  *CheckResult
}

// KeyPage is /luarmor/keys/:id.
type KeyPage struct {
	Key       KeyView
	Tab       string // overview, history
	Daily     []components.ChartPoint
	Total30   string
	Cooldown  Cooldown
	Check     CheckForm
	CanManage bool
	CanReset  bool
	CanForce  bool
	CanBan    bool
	CanDelete bool
	CSRF      string
}

// Tabs of the key page.
func (p KeyPage) Tabs() []components.Tab {
	h := KeyHref(p.Key.ID)
	return []components.Tab{
		{Label: "Overview", Href: h, Active: p.Tab != "history"},
		{Label: "History", Href: h + "?tab=history", Active: p.Tab == "history"},
	}
}

// KeyAction is one action's confirmation form (dialog or page).
type KeyAction struct {
	Kind       string // reset-hwid, link-discord, blacklist, unban, edit, delete
	Key        KeyView
	Cooldown   Cooldown
	CanForce   bool
	CSRF       string
	Reason     string
	Force      bool
	DiscordID  string
	BanReason  string
	BanExpire  string
	Note       string
	AuthExpire string // YYYY-MM-DDTHH:MM (UTC), "" = never
	KeyDays    string
	Confirm    string
	Errors     map[string]string
	FormError  string
}

// Action is the POST url.
func (a KeyAction) Action() string { return KeyHref(a.Key.ID) + "/" + a.Kind }

// DialogID is the dialog element id.
func (a KeyAction) DialogID() string { return "key-" + a.Kind + "-dialog" }

// Title is the question.
func (a KeyAction) Title() string {
	k := a.Key.ShortKey() + "…"
	switch a.Kind {
	case "reset-hwid":
		return "Reset the HWID of key " + k + "?"
	case "link-discord":
		return "Link a Discord ID to key " + k
	case "blacklist":
		return "Blacklist key " + k + "?"
	case "unban":
		return "Unban key " + k + "?"
	case "edit":
		return "Edit key " + k
	case "delete":
		return "Delete key " + k + "?"
	}
	return ""
}

// Body explains the consequence.
func (a KeyAction) Body() string {
	switch a.Kind {
	case "reset-hwid":
		return "The key's HWID (" + orDash(a.Key.HWID) + ") is unlinked; the next execution binds the new device."
	case "link-discord":
		return "The Discord ID claims the key (its key days start if they have not) and lets the user reset their HWID through the bot."
	case "blacklist":
		return "The key and its HWID are refused by every script of " + a.Key.ProjectName + " until you unban it or the ban ends. The user sees the ban reason."
	case "unban":
		return "The ban is lifted and the key works again (unless it has expired). The unban token stops working."
	case "edit":
		return "Change the note, the expiry or the key days. An expiry given to a key nobody has claimed yet becomes key days."
	case "delete":
		return "The key " + a.Key.UserKey + " and its execution history are deleted for good; whoever uses it is refused. This cannot be undone."
	}
	return ""
}

// Submit is the button label.
func (a KeyAction) Submit() string {
	switch a.Kind {
	case "reset-hwid":
		return "Reset HWID"
	case "link-discord":
		return "Link Discord ID"
	case "blacklist":
		return "Blacklist key"
	case "unban":
		return "Unban key"
	case "edit":
		return "Save changes"
	case "delete":
		return "Delete key"
	}
	return "Confirm"
}

// Danger reports whether the action is destructive (red).
func (a KeyAction) Danger() bool { return a.Kind == "blacklist" || a.Kind == "delete" }

func yesNo(b bool) string {
	if b {
		return "Yes"
	}
	return "No"
}

func flagNames(silent, ffa, heartbeat, lightning bool) []string {
	var out []string
	if silent {
		out = append(out, "Silent")
	}
	if ffa {
		out = append(out, "FFA")
	}
	if heartbeat {
		out = append(out, "Heartbeat")
	}
	if lightning {
		out = append(out, "Lightning")
	}
	return out
}

func lineNo(i int) string { return strconv.Itoa(i + 1) }

func itoa(n int) string { return strconv.Itoa(n) }

func shortSHA(s string) string {
	if len(s) > 12 {
		return s[:12]
	}
	return s
}
