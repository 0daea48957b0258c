// Package lumora holds the Lumora console pages (transactional email):
// the overview, sending domains, the message log and the sandbox inbox,
// filled by handlers/lumora from internal/mail.
package lumora

import (
	"net/url"
	"slices"
	"strconv"
	"time"

	"lumdesk/views/components"
)

// Paths of the area.
const (
	OverviewPath  = "/lumora"
	DomainsPath   = "/lumora/domains"
	NewDomainPath = "/lumora/domains/new"
	MessagesPath  = "/lumora/messages"
	SandboxPath   = "/lumora/sandbox"
	AppsPath      = "/lumora/apps"
	// SuppressionsPath lists one account's suppressed addresses (?account=).
	SuppressionsPath = "/lumora/suppressions"
)

func idStr(id int64) string { return strconv.FormatInt(id, 10) }

// DomainHref is a sending domain's page.
func DomainHref(id int64) string { return DomainsPath + "/" + idStr(id) }

// VerifyHref runs a domain's DNS checks now.
func VerifyHref(id int64) string { return DomainHref(id) + "/verify" }

// MessageHref is a message's page.
func MessageHref(publicID string) string { return MessagesPath + "/" + url.PathEscape(publicID) }

// SandboxMessageHref is a sandbox message's page; SandboxHTMLHref its HTML
// body, served alone under a sandboxing CSP for the page's iframe.
func SandboxMessageHref(id string) string { return SandboxPath + "/" + url.PathEscape(id) }
func SandboxHTMLHref(id string) string    { return SandboxMessageHref(id) + "/html" }

// AccountHref is an account's page.
func AccountHref(id int64) string { return "/accounts/" + idStr(id) }

// AreaTabs are the tabs under every Lumora page's header.
func AreaTabs(active string) []components.Tab {
	return []components.Tab{
		{Label: "Overview", Href: OverviewPath, Active: active == "overview"},
		{Label: "Sending domains", Href: DomainsPath, Active: active == "domains"},
		{Label: "Apps", Href: AppsPath, Active: active == "apps"},
		{Label: "Messages", Href: MessagesPath, Active: active == "messages"},
		{Label: "Templates", Href: TemplatesPath, Active: active == "templates"},
		{Label: "Suppressions", Href: SuppressionsPath, Active: active == "suppressions"},
		{Label: "Sandbox inbox", Href: SandboxPath, Active: active == "sandbox"},
	}
}

// Overview is /lumora.
type Overview struct {
	MessagesToday  string // "12", "10,000+"
	BounceRate     string // "2.5%" or "—"
	RateHint       string
	FailingDomains int64
	Sandbox        bool
	// The per-day charts over Range.
	Range                    components.ChartRange
	Sent, Delivered, Bounced []components.ChartPoint
}

// ChartsTarget is the element the overview's range picker swaps.
const ChartsTarget = "lumora-charts"

// DomainStatusOptions are the domain list's status filter.
var DomainStatusOptions = []components.Option{{Value: "", Label: "Any status"}, {Value: "pending", Label: "Pending"},
	{Value: "verified", Label: "Verified"}, {Value: "failing", Label: "Failing"}}

// DomainList is /lumora/domains.
type DomainList struct {
	Q, Status  string
	Account    int64
	Cursor     string // the previous page's last id
	NextCursor string
	Rows       []DomainRow
	Error      string
	CanManage  bool
	Bar        components.ListBar
}

// DomainRow is one domain in the list.
type DomainRow struct {
	ID, AccountID int64
	Account       string // the account's name
	Name, Status  string
	LastChecked   *time.Time
	Created       time.Time
}

// Href is the list URL with the current filters and key set to value.
func (l DomainList) Href(key, value string) string {
	acc := ""
	if l.Account != 0 {
		acc = idStr(l.Account)
	}
	return listHref(DomainsPath, key, value, "q", l.Q, "status", l.Status, "account", acc, "cursor", l.Cursor)
}

// Query is the list's URL query without the page position.
func (l DomainList) Query() string { return l.Href("cursor", "")[len(DomainsPath):] }

// ActiveFilters are the filters in force.
func (l DomainList) ActiveFilters() []components.ActiveFilter {
	acc := ""
	if l.Account != 0 {
		acc = "#" + idStr(l.Account)
	}
	return slices.Concat(components.Filter("q", "Search", l.Q),
		components.OptionFilter("status", "Status", l.Status, DomainStatusOptions),
		components.Filter("account", "Account", acc))
}

// Filtered reports whether any filter is set.
func (l DomainList) Filtered() bool { return l.Q != "" || l.Status != "" || l.Account != 0 }

// listHref builds a list URL from its parameters (name, value pairs), with
// key set to value; the cursor is only kept when it is the key.
func listHref(path, key, value string, pairs ...string) string {
	q := url.Values{}
	for i := 0; i+1 < len(pairs); i += 2 {
		k, v := pairs[i], pairs[i+1]
		if k == key {
			v = value
		} else if k == "cursor" {
			v = ""
		}
		if v != "" {
			q.Set(k, v)
		}
	}
	if len(q) == 0 {
		return path
	}
	return path + "?" + q.Encode()
}

// DomainPage is a sending domain's page.
type DomainPage struct {
	D         Domain
	CanManage bool
	CSRF      string
}

// Domain is a sending domain as its page shows it.
type Domain struct {
	ID, AccountID int64
	AccountName   string // "" when not at hand: the page shows "#id"
	Name, Status  string
	Selector      string
	VerifiedAt    *time.Time
	FailingSince  *time.Time
	LastChecked   *time.Time
	Created       time.Time
	Records       []Record
}

// Record is one DNS record to publish and what the last check found.
type Record struct {
	Kind, Type, Name, Value string
	Status, Found           string
	CheckedAt               *time.Time
}

// KindLabel names a record's purpose.
func KindLabel(kind string) string {
	switch kind {
	case "spf":
		return "SPF"
	case "dkim":
		return "DKIM"
	case "return_path":
		return "Return path"
	case "dmarc":
		return "DMARC"
	}
	return kind
}

// DomainForm is the add-domain form.
type DomainForm struct {
	Account, Name string
	Errors        map[string]string
	FormError     string
	CSRF          string
}

// MessageStatusOptions are the message log's status filter.
var MessageStatusOptions = []components.Option{{Value: "", Label: "Any status"}, {Value: "queued", Label: "Queued"},
	{Value: "delivered", Label: "Delivered"}, {Value: "partial", Label: "Partial"}, {Value: "bounced", Label: "Bounced"},
	{Value: "failed", Label: "Failed"}, {Value: "suppressed", Label: "Suppressed"}}

// MessageList is /lumora/messages.
type MessageList struct {
	Status, Recipient, Domain string
	App, Account              int64
	Since, Until              string // YYYY-MM-DD
	Cursor, NextCursor        string
	Rows                      []MessageRow
	Error                     string
	Bar                       components.ListBar
}

// MessageRow is one message in the log.
type MessageRow struct {
	PublicID, From, Subject, Status string
	AccountID, AppID                int64
	Account, App                    string // names ("" on pages that show one account)
	Created                         time.Time
}

// AccountLabel is the row's account by name ("Account #id" without one).
func (r MessageRow) AccountLabel() string { return orName(r.Account, "Account #"+idStr(r.AccountID)) }

// AppLabel is the row's app by name ("App #id" without one).
func (r MessageRow) AppLabel() string { return orName(r.App, "App #"+idStr(r.AppID)) }

// accountLabel is an account's name, or "#id" when the list has none.
func accountLabel(name string, id int64) string { return orName(name, "#"+idStr(id)) }

func orName(name, fallback string) string {
	if name == "" {
		return fallback
	}
	return name
}

// Href is the log URL with the current filters and key set to value.
func (l MessageList) Href(key, value string) string {
	app, acc := "", ""
	if l.App != 0 {
		app = idStr(l.App)
	}
	if l.Account != 0 {
		acc = idStr(l.Account)
	}
	return listHref(MessagesPath, key, value, "status", l.Status, "recipient", l.Recipient, "domain", l.Domain,
		"app", app, "account", acc, "since", l.Since, "until", l.Until, "cursor", l.Cursor)
}

// Query is the log's URL query without the page position.
func (l MessageList) Query() string { return l.Href("cursor", "")[len(MessagesPath):] }

// ActiveFilters are the filters in force.
func (l MessageList) ActiveFilters() []components.ActiveFilter {
	app, acc := "", ""
	if l.App != 0 {
		app = "#" + idStr(l.App)
	}
	if l.Account != 0 {
		acc = "#" + idStr(l.Account)
	}
	return slices.Concat(components.OptionFilter("status", "Status", l.Status, MessageStatusOptions),
		components.Filter("recipient", "Recipient", l.Recipient), components.Filter("domain", "Domain", l.Domain),
		components.Filter("app", "App", app), components.Filter("account", "Account", acc),
		components.Filter("since", "From", l.Since), components.Filter("until", "To", l.Until))
}

// Filtered reports whether any filter is set.
func (l MessageList) Filtered() bool { return len(l.ActiveFilters()) > 0 }

// MessagePage is a message's page.
type MessagePage struct {
	PublicID, From, Subject, Status, SMTPMessageID string
	AccountID, AppID                               int64
	AccountName, AppName                           string // "": "#id"
	Created, Updated                               time.Time
	Headers                                        []Header // the send's custom headers, sorted by name
	Recipients                                     []RecipientRow
	Events                                         []EventRow
}

// RecipientRow is one recipient of a message.
type RecipientRow struct {
	Email, Kind, Status, LastReply string
	Attempts                       int
	NextAttempt                    *time.Time
	Updated                        time.Time
}

// EventRow is one step of a message's timeline.
type EventRow struct {
	Type, Recipient, Detail string
	At                      time.Time
}

// SandboxList is the sandbox inbox.
type SandboxList struct {
	Live bool // false: a relay is configured, so nothing arrives here
	Rows []SandboxRow
}

// SandboxRow is one received message.
type SandboxRow struct {
	ID, From, To, Subject string
	Received              time.Time
}

// SandboxMessage is one received message's page.
type SandboxMessage struct {
	ID, From, To, Subject string
	Received              time.Time
	Headers               []Header
	Text                  string
	HasHTML               bool
	DKIM                  string // the DKIM-Signature header, "" without one
}

// Header is one header line of a received message.
type Header struct{ Name, Value string }

// AccountTab is the account page's Lumora tab.
type AccountTab struct {
	AccountID         int64
	CanSee, CanManage bool
	Apps              []AppRow
	Domains           []DomainRow
	Messages          []MessageRow
}

// AppRow is one sending app.
type AppRow struct {
	ID, AccountID int64
	Account       string // its name; "" shows "#id"
	Name, From    string // From: the default sender, "" when none
	Created       time.Time
}

// AppsMessages is the message log of one app.
func AppsMessages(appID int64) string { return MessagesPath + "?app=" + idStr(appID) }

// AppList is /lumora/apps.
type AppList struct {
	Account            int64
	Cursor, NextCursor string
	Rows               []AppRow
	Error              string
	Bar                components.ListBar
}

// Href is the list URL with the current filters and key set to value.
func (l AppList) Href(key, value string) string {
	acc := ""
	if l.Account != 0 {
		acc = idStr(l.Account)
	}
	return listHref(AppsPath, key, value, "account", acc, "cursor", l.Cursor)
}

// Query is the list's URL query without the page position.
func (l AppList) Query() string { return l.Href("cursor", "")[len(AppsPath):] }

// ActiveFilters are the filters in force.
func (l AppList) ActiveFilters() []components.ActiveFilter {
	acc := ""
	if l.Account != 0 {
		acc = "#" + idStr(l.Account)
	}
	return components.Filter("account", "Account", acc)
}

// LiftPath lifts one suppression (POST: account, email, reason).
const LiftPath = SuppressionsPath + "/lift"

// LiftForm is the form that lifts a suppression, and the one that adds one.
type LiftForm struct {
	Email, Reason string
	Errors        map[string]string
	Error         string
}

// SuppressionList is /lumora/suppressions: one account's suppressed addresses.
type SuppressionList struct {
	Account            int64 // 0: none chosen yet
	CanManage          bool
	CSRF               string
	Lift               LiftForm
	Add                LiftForm // the add-a-suppression form
	Cursor, NextCursor string
	Rows               []SuppressionRow
	Q, Reason          string // the search (any part of an address) and reason filters
	Error              string
	Bar                components.ListBar
}

// SuppressionReasonOptions are the reason filter's choices.
var SuppressionReasonOptions = []components.Option{{Value: "", Label: "Any reason"}, {Value: "hard_bounce", Label: "Hard bounce"},
	{Value: "complaint", Label: "Complaint"}, {Value: "unsubscribe", Label: "Unsubscribe"}, {Value: "manual", Label: "Manual"}}

// ActiveFilters are the filters in force, as chips read them.
func (l SuppressionList) ActiveFilters() []components.ActiveFilter {
	return slices.Concat(components.Filter("q", "Address", l.Q), components.Filter("reason", "Reason", components.Humanize(l.Reason)))
}

// ExportHref downloads the account's filtered suppressions.
func (l SuppressionList) ExportHref() string { return SuppressionsPath + "/export.csv" + l.Query() }

// SuppressionRow is one suppressed address.
type SuppressionRow struct {
	Email, Reason, Origin string
	Created               time.Time
}

// Href is the list URL with the account and key set to value.
func (l SuppressionList) Href(key, value string) string {
	acc := ""
	if l.Account != 0 {
		acc = idStr(l.Account)
	}
	return listHref(SuppressionsPath, key, value, "account", acc, "q", l.Q, "reason", l.Reason, "cursor", l.Cursor)
}

// Query is the list's URL query without the page position.
func (l SuppressionList) Query() string { return l.Href("cursor", "")[len(SuppressionsPath):] }

// DomainsOf is the domain list filtered to one account; MessagesOf the log.
func DomainsOf(accountID int64) string  { return DomainsPath + "?account=" + idStr(accountID) }
func MessagesOf(accountID int64) string { return MessagesPath + "?account=" + idStr(accountID) }

func todayParam() string { return time.Now().UTC().Format(time.DateOnly) }

func failingHint(n int64) string {
	if n == 0 {
		return "Every verified domain still checks out"
	}
	return "Records stopped verifying; these domains stop sending after the grace period"
}

func subjectOf(s string) string {
	if s == "" {
		return "(no subject)"
	}
	return s
}

func orDash(s string) string {
	if s == "" {
		return "—"
	}
	return s
}

func accountValue(id int64) string {
	if id == 0 {
		return ""
	}
	return idStr(id)
}

// reasonTone colours a suppression's reason: what the receiver said in red.
func reasonTone(reason string) string {
	switch reason {
	case "hard_bounce", "complaint":
		return "red"
	}
	return "grey"
}

// AppHref is an app's page.
func AppHref(id int64) string { return AppsPath + "/" + idStr(id) }

// AppPage is an app's page.
type AppPage struct {
	ID, AccountID int64
	AccountName   string // "" when not at hand: the page shows "#id"
	Name, From    string
	Created       time.Time
	Keys          []AppKey
	Webhooks      []AppWebhook
}

// AppKey is one API key an app sends with.
type AppKey struct {
	ID                           int64
	Name, Prefix, Scopes, Status string
	LastUsed                     *time.Time
	Created                      time.Time
}

// AppWebhook is one webhook endpoint of an app.
type AppWebhook struct {
	ID, URL, Events string
	Created         time.Time
}
