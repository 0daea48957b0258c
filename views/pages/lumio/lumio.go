// Package lumio holds the Lumio console pages (the extension marketplace):
// the overview, the review queue, the version inspector, the extension
// list and page and the account tab, filled by handlers/lumio from
// internal/marketplace.
package lumio

import (
	"net/url"
	"strconv"
	"time"

	"lumdesk/internal/platform/textdiff"
	"lumdesk/views/components"
)

// Paths of the area.
const (
	OverviewPath   = "/lumio"
	ReviewPath     = "/lumio/review"
	ExtensionsPath = "/lumio/extensions"
	ExportPath     = "/lumio/extensions.csv"
	VersionsPath   = "/lumio/versions"
)

// PendingCountKey names the live count of versions waiting for review.
const (
	PendingCountKey   = "lumio-review"
	PendingCountLabel = "versions waiting for review"
)

// ExtensionHref is an extension's page.
func ExtensionHref(id string) string { return ExtensionsPath + "/" + url.PathEscape(id) }

// VersionHref is a version's inspector.
func VersionHref(id string) string { return VersionsPath + "/" + url.PathEscape(id) }

// AccountHref is an account's page.
func AccountHref(id int64) string { return "/accounts/" + idStr(id) }

func idStr(id int64) string { return strconv.FormatInt(id, 10) }

// AreaTabs are the tabs under every Lumio page's header.
func AreaTabs(active string) []components.Tab {
	return []components.Tab{
		{Label: "Overview", Href: OverviewPath, Active: active == "overview"},
		{Label: "Review queue", Href: ReviewPath, Active: active == "review"},
		{Label: "Extensions", Href: ExtensionsPath, Active: active == "extensions"},
	}
}

// StatusCount is how many extensions have a status.
type StatusCount struct {
	Status string
	N      int64
}

// Overview is /lumio.
type Overview struct {
	Pending int64
	Total   int64
	Counts  []StatusCount
	Top     []ExtRow // most installed
}

// QueueRow is a version waiting for review.
type QueueRow struct {
	VersionID, Version         string
	ExtensionID, ExtensionName string
	Slug                       string
	AccountID                  int64
	AccountName                string
	Submitted                  time.Time
	Age                        string // "3 h", "2 d"
	Files                      int
	Size                       string
}

// Queue is /lumio/review.
type Queue struct {
	Rows         []QueueRow
	Pending      int64
	Cursor, Next string
	Error        string
}

// ExtRow is an extension in a list.
type ExtRow struct {
	ID, Name, Slug string
	AccountID      int64
	AccountName    string
	Status         string
	Visibility     string
	Price          string
	Installs       string
	Deprecated     bool
	Updated        time.Time
}

// Option lists of the extension list's filters.
var (
	StatusOptions = []components.Option{{Value: "", Label: "Any status"}, {Value: "draft", Label: "Draft"}, {Value: "pending", Label: "Pending"},
		{Value: "approved", Label: "Approved"}, {Value: "rejected", Label: "Rejected"}, {Value: "suspended", Label: "Suspended"}}
	VisibilityOptions = []components.Option{{Value: "", Label: "Any visibility"}, {Value: "private", Label: "Private"},
		{Value: "unlisted", Label: "Unlisted"}, {Value: "public", Label: "Public"}}
	PricingOptions = []components.Option{{Value: "", Label: "Any pricing"}, {Value: "free", Label: "Free"},
		{Value: "one_time", Label: "One-time"}, {Value: "subscription", Label: "Subscription"}}
	SortOptions = []components.Option{{Value: "updated", Label: "Recently updated"}, {Value: "installs", Label: "Most installed"}}
)

// ExtList is /lumio/extensions.
type ExtList struct {
	Q, Status, Visibility, Pricing, Account, Sort string
	Cursor, Next                                  string
	Rows                                          []ExtRow
	Error                                         string
	Bar                                           components.ListBar
}

// Query is the list's filters as a URL query ("" or "?…"), without the page.
func (l ExtList) Query() string {
	v := url.Values{}
	for k, s := range map[string]string{"q": l.Q, "status": l.Status, "visibility": l.Visibility, "pricing": l.Pricing,
		"account": l.Account} {
		if s != "" {
			v.Set(k, s)
		}
	}
	if l.Sort != "" && l.Sort != "updated" {
		v.Set("sort", l.Sort)
	}
	if len(v) == 0 {
		return ""
	}
	return "?" + v.Encode()
}

// NextHref is the next page's address.
func (l ExtList) NextHref() string {
	if l.Next == "" {
		return ""
	}
	q := l.Query()
	if q == "" {
		return ExtensionsPath + "?cursor=" + url.QueryEscape(l.Next)
	}
	return ExtensionsPath + q + "&cursor=" + url.QueryEscape(l.Next)
}

// ExportHref is the CSV of the list's filters.
func (l ExtList) ExportHref() string { return ExportPath + l.Query() }

// ActiveFilters are the filters in force, for the list header's chips.
func (l ExtList) ActiveFilters() []components.ActiveFilter {
	var out []components.ActiveFilter
	out = append(out, components.Filter("q", "Search", l.Q)...)
	out = append(out, components.OptionFilter("status", "Status", l.Status, StatusOptions)...)
	out = append(out, components.OptionFilter("visibility", "Visibility", l.Visibility, VisibilityOptions)...)
	out = append(out, components.OptionFilter("pricing", "Pricing", l.Pricing, PricingOptions)...)
	out = append(out, components.Filter("account", "Account", l.Account)...)
	return out
}

// VersionRow is a version on its extension's page.
type VersionRow struct {
	ID, Version, Status string
	Rollout             int
	Current             bool
	Submitted           time.Time
	Reason              string
}

// SecretRow is a secret's name and who set it; never its value.
type SecretRow struct {
	Name, SetBy string
	Updated     time.Time
}

// Series is one version's active installs per day.
type Series struct {
	Version string
	Points  []components.ChartPoint
}

// Moderation is the state of a moderation form (suspend, unsuspend,
// deprecate, undeprecate) after a refused post.
type Moderation struct {
	Action      string // "suspend", "unsuspend", "deprecate", "undeprecate"
	Reason      string
	Replacement string
	Errors      map[string]string
	Error       string
}

// ExtensionPage is /lumio/extensions/:id.
type ExtensionPage struct {
	E                ExtRow
	ShortDescription string
	ReplacementID    string
	CurrentVersion   string // ver_…
	CurrentLabel     string // its version, 1.2.0
	RatingCount      string
	Created          time.Time
	Versions         []VersionRow
	Secrets          []SecretRow
	Series           []Series
	InstallsNote     string // why there is no chart
	ActiveInstalls   string
	CanReview        bool
	CSRF             string
	Form             Moderation
}

// Action URLs of an extension.
func SuspendHref(id string) string     { return ExtensionHref(id) + "/suspend" }
func UnsuspendHref(id string) string   { return ExtensionHref(id) + "/unsuspend" }
func DeprecateHref(id string) string   { return ExtensionHref(id) + "/deprecate" }
func UndeprecateHref(id string) string { return ExtensionHref(id) + "/undeprecate" }

// Action URLs of a version.
func ApproveHref(id string) string { return VersionHref(id) + "/approve" }
func RejectHref(id string) string  { return VersionHref(id) + "/reject" }
func RolloutHref(id string) string { return VersionHref(id) + "/rollout" }

// FileRow is a file of a bundle in the inspector.
type FileRow struct {
	Path, Size, Change string
	Binary, Minified   bool
	Large              bool
	SHA256             string
}

// Diff is a changed file's line diff, or why there is none.
type Diff struct {
	Path           string
	Hunks          []textdiff.Hunk
	Added, Removed int
	Note           string
}

// Flag is something the reviewer should look at.
type Flag struct{ Kind, Path, Detail string }

// Preview is the start of one file.
type Preview struct {
	Path, Size, Text  string
	Binary, Truncated bool
}

// ReviewForm is the state of the approve, reject and rollout forms.
type ReviewForm struct {
	Rollout string
	Reason  string
	Errors  map[string]string
	Error   string
	Action  string // which form was refused: "approve", "reject", "rollout"
}

// VersionPage is /lumio/versions/:id, the inspector.
type VersionPage struct {
	ID, Version, Status, Changelog string
	ExtensionID, ExtensionName     string
	AccountID                      int64
	AccountName                    string
	Submitted                      time.Time
	Reviewed                       *time.Time
	RejectionReason                string
	Rollout                        int
	Current                        bool
	SHA256, Size, Unpacked         string
	FileCount                      int
	Manifest                       string
	Files                          []FileRow
	Removed                        []FileRow
	PrevID, PrevVersion            string
	Added, Changed                 int
	Diffs                          []Diff
	Flags                          []Flag
	Preview                        *Preview
	InspectError                   string
	Tab                            string // "files", "diff", "manifest", "history"
	CanReview                      bool
	CSRF                           string
	Form                           ReviewForm
}

// TabHref is the inspector with one of its tabs open.
func (v VersionPage) TabHref(tab string) string { return VersionHref(v.ID) + "?tab=" + tab }

// PreviewHref previews one file of the version.
func (v VersionPage) PreviewHref(path string) string {
	return VersionHref(v.ID) + "?tab=files&file=" + url.QueryEscape(path) + "#preview"
}

// Tabs are the inspector's tabs.
func (v VersionPage) Tabs() []components.Tab {
	diff := "Changes"
	if v.PrevVersion != "" {
		diff = "Changes since " + v.PrevVersion
	}
	return []components.Tab{
		{Label: "Files", Href: v.TabHref("files"), Active: v.Tab == "files"},
		{Label: diff, Href: v.TabHref("diff"), Active: v.Tab == "diff"},
		{Label: "Manifest", Href: v.TabHref("manifest"), Active: v.Tab == "manifest"},
		{Label: "History", Href: v.TabHref("history"), Active: v.Tab == "history"},
	}
}

// AccountTabRow is an extension on the account's Lumio tab.
type AccountTabRow struct {
	ID, Name, Status, Visibility string
	Pending                      int64
	Installs                     string
	Deprecated                   bool
}

// AccountTab is the account page's Lumio tab.
type AccountTab struct {
	AccountID int64
	CanSee    bool
	Rows      []AccountTabRow
}

// FlagLabel names a flag kind.
func FlagLabel(kind string) string {
	switch kind {
	case "minified":
		return "Minified JavaScript"
	case "binary":
		return "Binary file"
	case "large":
		return "Large file"
	case "permission":
		return "New permission"
	}
	return kind
}
