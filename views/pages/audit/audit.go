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
	"lumdesk/views/pages/accounts"
	"lumdesk/views/pages/billing"
	"lumdesk/views/pages/licensing"
	"lumdesk/views/pages/lumio"
	"lumdesk/views/pages/lumora"
)

// ListModel is the /audit page.
type ListModel struct {
	Names       auditlog.Names // what the entries point at, by name
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
	Names   auditlog.Names
	Problem string // set when the chain breaks at this event
	Now     time.Time
}

// HistoryModel is the History tab of one entity.
type HistoryModel struct {
	EntityType, EntityID string
	Entries              []auditlog.Entry
	Names                auditlog.Names
	MoreHref             string // next page; "" when there is none
	Paged                bool   // not the first page (full-page view)
	Now                  time.Time
}

// LumiraPath is the Lumira area of the console, where an entity whose id
// does not fit its page's path links.
const LumiraPath = "/lumira"

// EntityHref is the console page of an entity, or "" when it has none or
// when its page cannot be found (a script whose project is unknown). It is
// the one map from an entity to its page: every entity type the code
// records has one (TestEveryEntityTypeLinks).
func EntityHref(r auditlog.Ref, names auditlog.Names) string {
	if r.ID == "" {
		return ""
	}
	num, err := strconv.ParseInt(r.ID, 10, 64)
	numeric := err == nil && num > 0
	switch r.Type {
	case auditlog.EntityAccount:
		if numeric {
			return "/accounts/" + r.ID
		}
	case auditlog.EntityAPIKey:
		if numeric {
			return "/apikeys/" + r.ID
		}
	case auditlog.EntityStaffUser:
		if numeric {
			return "/staff/" + r.ID
		}
	case auditlog.EntityCustomerUser:
		// Portal users are listed on their account's Portal tab.
		acct := names.Get(r).Parent
		if acct == "" {
			acct = r.Account
		}
		if n, err := strconv.ParseInt(acct, 10, 64); err == nil && n > 0 && numeric {
			return accounts.Href(n) + "?tab=" + accounts.PortalTab
		}
	case auditlog.EntityBulkJob:
		if numeric {
			return licensing.JobsPath + "/" + r.ID
		}
	case auditlog.EntityLicenseKey:
		if numeric {
			return licensing.KeyHref(num)
		}
	case auditlog.EntityLicensingProject:
		return licensing.ProjectHref(r.ID)
	case auditlog.EntityLicensingScript:
		if p := names.Get(r).Parent; p != "" {
			return licensing.ScriptHref(p, r.ID)
		}
	case auditlog.EntityDomain:
		if numeric {
			return billing.DomainHref(num)
		}
	case auditlog.EntityVPS:
		if numeric {
			return billing.VPSHref(num)
		}
	case auditlog.EntityProxy:
		if numeric {
			return billing.ProxyHref(num)
		}
	case auditlog.EntityTLDPrice, auditlog.EntityPlanPrice:
		return billing.PricesPath
	case auditlog.EntityMailApp:
		if numeric {
			return lumora.AppHref(num)
		}
	case auditlog.EntityMailDomain:
		if numeric {
			return lumora.DomainHref(num)
		}
	case auditlog.EntityMailWebhook:
		// Endpoints are recorded by their public id (ep_...).
		if strings.HasPrefix(r.ID, "ep_") {
			return lumora.WebhookHref(r.ID)
		}
		return lumora.OverviewPath
	case auditlog.EntityMailWebhookDelivery:
		if numeric {
			return lumora.DeliveryHref(num)
		}
	case auditlog.EntityMailTemplate:
		// Audit rows name a template by id; its page is under its slug: the area's overview.
		return lumora.OverviewPath
	case auditlog.EntityLumioExtension:
		if strings.HasPrefix(r.ID, "ext_") {
			return lumio.ExtensionHref(r.ID)
		}
		return lumio.OverviewPath
	case auditlog.EntityLumioVersion:
		if strings.HasPrefix(r.ID, "ver_") {
			return lumio.VersionHref(r.ID)
		}
		return lumio.OverviewPath
	case auditlog.EntityLumiraGroup:
		if strings.HasPrefix(r.ID, "grp_") && validPathID(r.ID) {
			return "/lumira/groups/" + r.ID
		}
		return LumiraPath
	case auditlog.EntityLumiraAction:
		if strings.HasPrefix(r.ID, "act_") && validPathID(r.ID) {
			return "/lumira/actions/" + r.ID
		}
		return LumiraPath
	case auditlog.EntityBotLink:
		// Links are listed, with their servers, on the bot's status page.
		return "/discord"
	case auditlog.RefLedgerEntry:
		if _, err := strconv.ParseInt(r.Account, 10, 64); err == nil {
			return billing.LedgerPath + "?" + url.Values{"account": {r.Account}}.Encode()
		}
		return billing.LedgerPath
	case auditlog.RefDeposit:
		// Deposits are listed on their account's Lumi tab.
		if acct, err := strconv.ParseInt(r.Account, 10, 64); err == nil {
			return accounts.Href(acct) + "?tab=lumi"
		}
	case auditlog.RefApproval:
		return billing.ApprovalsPath
	}
	return ""
}

// EntityName is what people call an entity: its name when it is known,
// else "#id" (the entity was deleted, or has no name).
func EntityName(r auditlog.Ref, names auditlog.Names) string {
	if l := names.Label(r); l != "" {
		return l
	}
	switch r.Type {
	case auditlog.EntityTLDPrice, auditlog.EntityPlanPrice, auditlog.RefDeposit:
		return r.ID // already a name: ".com", "vps/basic", "dep_…"
	}
	return "#" + r.ID
}

// EntityNoun names an entity type for people: "api_key" → "API key".
func EntityNoun(entityType string) string { return auditlog.EntityNoun(entityType) }

// EntityLabel is the noun capitalised: "license_key" → "License key".
func EntityLabel(entityType string) string { return auditlog.EntityLabel(entityType) }

// ActionLabel says what an action did: "api_key.revoke" → "API key revoked".
func ActionLabel(action string) string { return auditlog.ActionLabel(action) }

// EntityNav is the sidebar entry active on an entity's history page.
func EntityNav(entityType string) string {
	switch entityType {
	case auditlog.EntityAccount, auditlog.EntityCustomerUser:
		return "accounts"
	case auditlog.EntityAPIKey:
		return "apikeys"
	case auditlog.EntityStaffUser:
		return "staff"
	case auditlog.EntityLicenseKey, auditlog.EntityLicensingProject, auditlog.EntityLicensingScript, auditlog.EntityBulkJob:
		return "luarmor"
	case auditlog.EntityDomain, auditlog.EntityVPS, auditlog.EntityProxy, auditlog.EntityTLDPrice, auditlog.EntityPlanPrice:
		return "lumi"
	case auditlog.EntityMailApp, auditlog.EntityMailDomain, auditlog.EntityMailTemplate, auditlog.EntityMailWebhook, auditlog.EntityMailWebhookDelivery:
		return "lumora"
	case auditlog.EntityLumioExtension, auditlog.EntityLumioVersion:
		return "lumio"
	case auditlog.EntityLumiraGroup, auditlog.EntityLumiraAction:
		return "lumira"
	}
	return "audit"
}

func entityRef(e auditlog.Entry) auditlog.Ref {
	return auditlog.Ref{Type: e.EntityType, ID: e.EntityID}
}

// ActorName is who acted, by name: a staff user's name (else their email),
// an API key's name, else what was recorded.
func ActorName(e auditlog.Entry, names auditlog.Names) string {
	if r, ok := e.ActorRef(); ok {
		if l := names.Label(r); l != "" {
			return l
		}
	}
	if e.ActorKind == auditlog.KindSystem && e.ActorLabel == "" {
		return "System"
	}
	return e.Actor()
}

// ActorHref is the actor's page (a staff user or an API key), or "".
func ActorHref(e auditlog.Entry, names auditlog.Names) string {
	if r, ok := e.ActorRef(); ok {
		return EntityHref(r, names)
	}
	return ""
}

// valueText is a formatted value as text: times in the console's format,
// references by name.
func valueText(v auditlog.Value, names auditlog.Names) string {
	switch {
	case v.Time != nil:
		return components.ExactTime(*v.Time)
	case v.Ref != nil:
		return EntityName(*v.Ref, names)
	}
	return v.Text
}

// HistoryHref is the History fragment/page of an entity.
func HistoryHref(entityType, id string) string {
	return "/history/" + entityType + "/" + url.PathEscape(id)
}

// FilterHref is the audit log filtered to one entity.
func FilterHref(entityType, id string) string {
	return "/audit?" + url.Values{"entity_type": {entityType}, "entity_id": {id}}.Encode()
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
		opts = append(opts, components.Option{Value: t, Label: EntityLabel(t)})
		seen = seen || t == current
	}
	if current != "" && !seen {
		opts = append(opts, components.Option{Value: current, Label: EntityLabel(current)})
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

func detailFields(e auditlog.Entry, names auditlog.Names) []components.KV {
	return []components.KV{
		{Key: "Time", Value: components.ExactTime(e.OccurredAt)},
		{Key: "Actor", Node: actorFull(e, names)},
		{Key: "Action", Value: ActionLabel(e.Action)},
		{Key: "Entity", Node: entity(e, names)},
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
	return components.Plural(len(e.Readable()), "field changed", "fields changed")
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

// validPathID reports whether id is safe in a URL path: lower-case letters,
// digits and underscores.
func validPathID(id string) bool {
	for _, c := range id {
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_') {
			return false
		}
	}
	return id != ""
}
