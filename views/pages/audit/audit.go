// Package audit renders the audit history: the filterable log (/audit), one
// event (/audit/:id) and the History tab fragment every entity page embeds
// (/history/:entity_type/:entity_id).
package audit

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	auditlog "lumdesk/internal/audit"
	"lumdesk/views/components"
)

// ListModel is the /audit page.
type ListModel struct {
	Filter      auditlog.FilterInput
	Errors      map[string]string // filter field → message; the table is not shown
	Entries     []auditlog.Entry
	Paged       bool   // this is not the first page
	NextHref    string // older events; "" on the last page
	NewestHref  string // first page with the same filters
	ExportHref  string // "" when the user may not export
	ClearHref   string
	Actions     []string
	EntityTypes []string
	Status      *auditlog.Status // nil when the chain could not be checked
	Now         time.Time
	Bar         components.ListBar // count, filter chips, saved views
}

// DetailModel is /audit/:id.
type DetailModel struct {
	Entry   auditlog.Entry
	Problem string // set when the chain breaks at this event
	Now     time.Time
}

// HistoryModel is the History tab of one entity.
type HistoryModel struct {
	EntityType, EntityID string
	Entries              []auditlog.Entry
	MoreHref             string // next page; "" when there is none
	Paged                bool   // not the first page (full-page view)
	Now                  time.Time
}

// EntityHref is the dashboard page of an entity, or "" when it has none.
func EntityHref(entityType, id string) string {
	if _, err := strconv.ParseInt(id, 10, 64); err != nil {
		return ""
	}
	switch entityType {
	case "account":
		return "/accounts/" + id
	case "api_key":
		return "/apikeys/" + id
	case "staff_user":
		return "/staff/" + id
	}
	return ""
}

// EntityNoun names an entity type for people: "api_key" → "API key".
func EntityNoun(entityType string) string {
	switch entityType {
	case "api_key":
		return "API key"
	case "staff_user":
		return "staff user"
	}
	return strings.ReplaceAll(entityType, "_", " ")
}

// EntityNav is the sidebar entry active on an entity's history page.
func EntityNav(entityType string) string {
	switch entityType {
	case "account":
		return "accounts"
	case "api_key":
		return "apikeys"
	case "staff_user":
		return "staff"
	}
	return "audit"
}

// HistoryHref is the History fragment/page of an entity.
func HistoryHref(entityType, id string) string {
	return "/history/" + entityType + "/" + url.PathEscape(id)
}

// FilterHref is the audit log filtered to one entity.
func FilterHref(entityType, id string) string {
	return "/audit?" + url.Values{"entity_type": {entityType}, "entity_id": {id}}.Encode()
}

func entityText(e auditlog.Entry) string {
	if e.EntityType == "" {
		return ""
	}
	if e.EntityID == "" {
		return e.EntityType
	}
	return e.EntityType + " #" + e.EntityID
}

func eventHref(id int64) string { return "/audit/" + strconv.FormatInt(id, 10) }

func idStr(id int64) string { return strconv.FormatInt(id, 10) }

func eventNo(id int64) string { return "#" + strconv.FormatInt(id, 10) }

func actorTone(kind string) string {
	switch kind {
	case auditlog.KindStaff:
		return "indigo"
	case auditlog.KindAPIKey:
		return "blue"
	case auditlog.KindCLI:
		return "amber"
	}
	return "grey"
}

func actorKindLabel(kind string) string {
	switch kind {
	case auditlog.KindAPIKey:
		return "API key"
	case auditlog.KindCLI:
		return "CLI"
	}
	return components.Humanize(kind)
}

// FormatTime is the one way times are shown here: UTC, to the second.
func FormatTime(t time.Time) string { return t.UTC().Format("2006-01-02 15:04:05") + " UTC" }

func isoTime(t time.Time) string { return t.UTC().Format(time.RFC3339) }

// Relative is a short "how long ago" hint.
func Relative(t, now time.Time) string {
	d := now.Sub(t)
	switch {
	case d < -time.Minute:
		return "in the future"
	case d < time.Minute:
		return "just now"
	case d < time.Hour:
		return strconv.Itoa(int(d/time.Minute)) + " min ago"
	case d < 24*time.Hour:
		return strconv.Itoa(int(d/time.Hour)) + " h ago"
	case d < 60*24*time.Hour:
		n := int(d / (24 * time.Hour))
		if n == 1 {
			return "yesterday"
		}
		return strconv.Itoa(n) + " days ago"
	}
	return t.UTC().Format("Jan 2006")
}

func hexHash(b []byte) string { return hex.EncodeToString(b) }

// prettyJSON indents a stored jsonb value for <pre>.
func prettyJSON(raw json.RawMessage) string {
	if len(raw) == 0 {
		return "null"
	}
	var b bytes.Buffer
	if err := json.Indent(&b, raw, "", "  "); err != nil {
		return string(raw)
	}
	return b.String()
}

func thousands(n int64) string { return components.Thousands(n) }

func ago(t, now time.Time) string {
	d := now.Sub(t).Round(time.Second)
	if d < time.Second {
		return "just now"
	}
	return d.String() + " ago"
}

// actionGroup is one <optgroup> of the action select.
type actionGroup struct {
	Noun    string
	Actions []string
}

// actionGroups groups actions by their noun ("account.suspend" → "account").
// The current value is included even when nothing recorded it yet.
func actionGroups(actions []string, current string) []actionGroup {
	set := map[string]bool{}
	for _, a := range actions {
		set[a] = true
	}
	if current != "" && !strings.HasSuffix(current, ".") {
		set[current] = true
	}
	all := make([]string, 0, len(set))
	for a := range set {
		all = append(all, a)
	}
	sort.Strings(all)
	var out []actionGroup
	for _, a := range all {
		noun, _, _ := strings.Cut(a, ".")
		if len(out) == 0 || out[len(out)-1].Noun != noun {
			out = append(out, actionGroup{Noun: noun})
		}
		out[len(out)-1].Actions = append(out[len(out)-1].Actions, a)
	}
	return out
}

func entityTypeOptions(types []string, current string) []components.Option {
	opts := []components.Option{{Value: "", Label: "All entities"}}
	seen := false
	for _, t := range types {
		opts = append(opts, components.Option{Value: t, Label: EntityNoun(t)})
		seen = seen || t == current
	}
	if current != "" && !seen {
		opts = append(opts, components.Option{Value: current, Label: EntityNoun(current)})
	}
	return opts
}

// validOr is v, or "" when it has an error (an invalid value is not offered
// as an option of a select).
func validOr(v, errMsg string) string {
	if errMsg != "" {
		return ""
	}
	return v
}

// dateInputType keeps a datetime value (from a shared URL) visible: a date
// input would show it empty.
func dateInputType(v string) string {
	if strings.Contains(v, "T") {
		return "datetime-local"
	}
	return "date"
}

func filterErrors(errs map[string]string) []string {
	labels := []struct{ key, label string }{
		{"actor", "Actor"}, {"action", "Action"}, {"entity_type", "Entity type"}, {"entity_id", "Entity id"},
		{"from", "From"}, {"to", "To"}, {"before", "Page"},
	}
	var out []string
	for _, l := range labels {
		if m := errs[l.key]; m != "" {
			out = append(out, l.label+": "+m)
		}
	}
	return out
}

func changeRowClass(k auditlog.ChangeKind) string {
	switch k {
	case auditlog.Added:
		return "bg-emerald-50/70 dark:bg-emerald-500/[0.07]"
	case auditlog.Removed:
		return "bg-red-50/70 dark:bg-red-500/[0.07]"
	}
	return ""
}

func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return strconv.Itoa(n) + " " + many
}

func detailFields(e auditlog.Entry) []components.KV {
	return []components.KV{
		{Key: "Time", Value: FormatTime(e.OccurredAt)},
		{Key: "Actor", Node: actorFull(e)},
		{Key: "Actor id", Value: e.ActorID, Mono: true},
		{Key: "Action", Value: e.Action, Mono: true},
		{Key: "Entity", Node: entity(e)},
		{Key: "Reason", Value: e.Reason},
		{Key: "IP address", Value: e.IP, Mono: true},
		{Key: "Request id", Value: e.RequestID, Mono: true},
		{Key: "User agent", Value: e.UserAgent},
	}
}

func changesSubtitle(e auditlog.Entry) string {
	switch {
	case e.BeforeJSON == nil && e.AfterJSON == nil:
		return "This event recorded no state."
	case e.BeforeJSON == nil:
		return "No earlier state was recorded, so every field shows as added."
	case e.AfterJSON == nil:
		return "No later state was recorded, so every field shows as removed."
	}
	return plural(len(e.Changes()), "field changed", "fields changed")
}

func padL(compact bool) string {
	if compact {
		return "pl-3"
	}
	return "pl-4"
}

// padLSmall is the left padding of a diff cell that starts a line on phones.
func padLSmall(compact bool) string {
	if compact {
		return "max-sm:pl-3"
	}
	return "max-sm:pl-4"
}

func padR(compact bool) string {
	if compact {
		return "pr-3"
	}
	return "pr-4"
}

// dotClass colours the timeline dot: red for removals and failures, green
// for creations, indigo otherwise.
func dotClass(e auditlog.Entry) string {
	switch {
	case strings.Contains(e.Action, "delete") || strings.Contains(e.Action, "fail") || strings.Contains(e.Action, "suspend") ||
		strings.Contains(e.Action, "revoke") || strings.Contains(e.Action, "blacklist"):
		return "bg-red-500"
	case e.BeforeJSON == nil && e.AfterJSON != nil:
		return "bg-emerald-500"
	}
	return "bg-indigo-500"
}
