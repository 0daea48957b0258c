// Package components holds the shared templ UI components of the console and
// their small view-model types. Components never import views/layouts (the
// layout imports components), so shared types such as Toast live here.
package components

import (
	"strings"

	"github.com/a-h/templ"
)

// Toast is a transient notification. Kind is success, error or info.
type Toast struct {
	Kind    string
	Message string
}

// Option is one <option> of a Select.
type Option struct {
	Value string
	Label string
}

// Tab is one entry of Tabs. Count, when set, is shown as a small pill.
type Tab struct {
	Label  string
	Href   string
	Active bool
	Count  string
	// Live, when set, is a live count shown instead of Count: it refreshes
	// itself after an action (see LiveCount).
	Live *Count
}

// CountsChangedEvent is the htmx event (in HX-Trigger) after which every
// LiveCount on the page fetches itself again.
const CountsChangedEvent = "counts-changed"

// Count is one live count: a pending-approvals badge, ...
type Count struct {
	Key   string // its URL is /counts/<Key>
	Value int64
	Label string // what the number is, for the title and screen readers
}

// KV is one key/value pair of a DescList. When Node is set it is rendered
// instead of Value (for badges, links, ...). Mono renders Value in monospace.
type KV struct {
	Key   string
	Value string
	Mono  bool
	Node  templ.Component
}

// ChartPoint is one bar of a BarChart.
type ChartPoint struct {
	Label string
	Value int64
}

// ConfirmProps configures ConfirmDialog.
//
// The form always has method=post action=Action so it works as a plain POST
// (the handler redirects). When HxTarget is set the form also carries
// hx-post/hx-target/hx-swap and the dialog closes itself after a successful
// request whose target lies outside the dialog.
type ConfirmProps struct {
	ID          string // dialog id; default "confirm-dialog"
	Title       string
	Body        string
	Action      string // POST url
	CSRF        string
	Danger      bool
	SubmitLabel string // default "Confirm"
	AskReason   bool   // adds a required textarea named "reason"
	ReasonLabel string // default "Reason"
	ConfirmText string // type-to-confirm: submit stays disabled until typed (field "confirm")
	HxTarget    string
	HxSwap      string // default "outerHTML" when HxTarget is set
	// Fields renders extra form fields (inside the form, before the footer).
	Fields templ.Component
	// Closed: there is nothing left to confirm (the request was decided
	// meanwhile); the footer offers Close alone.
	Closed bool
	// Manual: do not auto-open (open with a [data-dialog-open="ID"] button) and
	// keep the dialog in the DOM after it closes.
	Manual bool
}

// DialogProps configures DialogWith.
type DialogProps struct {
	ID     string
	Title  string
	Wide   bool // max-w-2xl instead of max-w-lg
	Manual bool // see ConfirmProps.Manual
}

// FieldProps configures FieldWith, the long form of Field.
type FieldProps struct {
	Label        string
	Name         string
	ID           string // the input's id: "f-" + Name unless set (two forms of a page with a field of one name)
	Value        string // never rendered for Type "password"
	Type         string // default "text"
	Error        string
	Hint         string
	Required     bool
	Placeholder  string
	Autocomplete string
	Attrs        templ.Attributes // extra input attributes (inputmode, pattern, autofocus, ...)
}

// CardProps configures CardWith.
type CardProps struct {
	Title    string
	Subtitle string
	Action   templ.Component // rendered on the right of the header
	Flush    bool            // no body padding (for tables, lists)
}

// SearchGroup is one section of command-palette results (see SearchResults).
type SearchGroup struct {
	Title string
	Items []SearchItem
}

// SearchItem is one command-palette result link.
type SearchItem struct {
	Title    string
	Subtitle string
	Href     string
	Meta     string // right-aligned hint, e.g. "Account" or an id
	Icon     string // Icon name; default "arrow-right"
}

// BadgeClass returns the CSS class for a badge tone:
// green, amber, red, grey (or gray), blue, indigo. Unknown tones are grey.
func BadgeClass(tone string) string {
	// Literal class names so Tailwind's content scan keeps them.
	switch strings.ToLower(tone) {
	case "green":
		return "badge-green"
	case "amber":
		return "badge-amber"
	case "red":
		return "badge-red"
	case "blue":
		return "badge-blue"
	case "indigo":
		return "badge-indigo"
	default:
		return "badge-grey"
	}
}

// StatusTone maps a domain status to a badge tone.
func StatusTone(status string) string {
	switch strings.ToLower(strings.TrimSpace(status)) {
	case "active", "verified", "approved", "paid", "succeeded", "success", "delivered", "enabled", "completed", "live":
		return "green"
	case "pending", "reset", "in_review", "review", "processing", "queued", "scheduled", "unverified", "past_due":
		return "amber"
	case "banned", "failed", "rejected", "suspended", "bounced", "blocked", "error", "locked":
		return "red"
	case "expired", "draft", "revoked", "disabled", "cancelled", "canceled", "archived", "inactive", "deleted":
		return "grey"
	default:
		return "grey"
	}
}

// Humanize turns "in_review" / "past-due" into "In review" / "Past due".
func Humanize(s string) string {
	s = strings.TrimSpace(strings.NewReplacer("_", " ", "-", " ").Replace(s))
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

func toastKind(kind string) string {
	switch kind {
	case "success", "error":
		return kind
	default:
		return "info"
	}
}

func toastClass(kind string) string {
	switch toastKind(kind) {
	case "success":
		return "toast toast-success"
	case "error":
		return "toast toast-error"
	default:
		return "toast toast-info"
	}
}

func toastIcon(kind string) string {
	switch toastKind(kind) {
	case "success":
		return "check-circle"
	case "error":
		return "exclamation-circle"
	default:
		return "information-circle"
	}
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// inputID is the field's input's id.
func (p FieldProps) inputID() string {
	if p.ID != "" {
		return p.ID
	}
	return fieldID(p.Name)
}

func fieldID(name string) string {
	return "f-" + strings.NewReplacer("[", "-", "]", "", ".", "-", " ", "-").Replace(name)
}
