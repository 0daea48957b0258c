// Package mail holds Lumora's pages in the customer portal (transactional
// email): the overview, sending domains with the Add domain wizard, apps
// and the message log, filled by handlers/portal/mail within the signed-in
// customer's account. Every link stays under /portal/lumora.
package mail

import (
	"net/url"
	"strconv"
	"strings"
	"time"

	"lumdesk/views/components"
)

// Paths of the area.
const (
	OverviewPath  = "/portal/lumora"
	DomainsPath   = "/portal/lumora/domains"
	NewDomainPath = "/portal/lumora/domains/new"
	AppsPath      = "/portal/lumora/apps"
	NewAppPath    = "/portal/lumora/apps/new"
	MessagesPath  = "/portal/lumora/messages"
	// SuppressionsPath lists the account's suppressed addresses.
	SuppressionsPath = "/portal/lumora/suppressions"
	// APIPrefix is where the portal's JSON endpoints live.
	APIPrefix = "/portal/api/lumora"
	// TemplatesPath lists the account's mail templates: the console's
	// pages (views/pages/lumora, TemplatesFace) over the session's account.
	TemplatesPath = "/portal/lumora/templates"
)

func idStr(id int64) string { return strconv.FormatInt(id, 10) }

// DomainHref is a sending domain's page; SetupHref the wizard's records
// step; VerifyHref runs its DNS checks.
func DomainHref(id int64) string { return DomainsPath + "/" + idStr(id) }
func SetupHref(id int64) string  { return DomainHref(id) + "/setup" }
func VerifyHref(id int64) string { return DomainHref(id) + "/verify" }

// AppHref is an app's page.
func AppHref(id int64) string { return AppsPath + "/" + idStr(id) }

// MessageHref is a message's page.
func MessageHref(publicID string) string { return MessagesPath + "/" + url.PathEscape(publicID) }

// AreaTabs are the tabs under every page's header.
func AreaTabs(active string) []components.Tab {
	return []components.Tab{
		{Label: "Overview", Href: OverviewPath, Active: active == "overview"},
		{Label: "Sending domains", Href: DomainsPath, Active: active == "domains"},
		{Label: "Apps", Href: AppsPath, Active: active == "apps"},
		{Label: "Messages", Href: MessagesPath, Active: active == "messages"},
		{Label: "Templates", Href: TemplatesPath, Active: active == "templates"},
		{Label: "Suppressions", Href: SuppressionsPath, Active: active == "suppressions"},
	}
}

// Overview is /portal/lumora: the account's counts over the range.
type Overview struct {
	Sent, Delivered, Bounced string // totals over the range
	Apps, Domains            int
	Verified                 int
	Range                    components.ChartRange
	SentDays, DeliveredDays  []components.ChartPoint
	BouncedDays              []components.ChartPoint
	CanDevelop               bool
}

// ChartsTarget is the element the overview's range picker swaps.
const ChartsTarget = "portal-lumora-charts"

// DomainRow is one domain in the list.
type DomainRow struct {
	ID           int64
	Name, Status string
	LastChecked  *time.Time
	Created      time.Time
}

// DomainList is /portal/lumora/domains.
type DomainList struct {
	Rows       []DomainRow
	Cursor     string
	NextCursor string
	Error      string
	CanDevelop bool
}

// Record is one DNS record to publish, with the last check's result.
type Record struct {
	Kind, Type, Name, Value string
	Status, Found           string
	CheckedAt               *time.Time
}

// Fix says what to do about a record the last check did not verify.
func (r Record) Fix() string {
	if r.CheckedAt == nil || r.Status == "verified" {
		return ""
	}
	switch r.Type {
	case "CNAME":
		return "Publish a CNAME record named " + r.Name + " pointing to " + r.Value + " (remove any other record of that name), then verify again."
	}
	return "Publish a TXT record named " + r.Name + " with exactly the value above (one record of this kind only), then verify again. DNS changes can take a few minutes to show."
}

// KindLabel names a record kind.
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

// Domain is a sending domain with its records.
type Domain struct {
	ID            int64
	Name, Status  string
	Selector      string
	VerifiedAt    *time.Time
	FailingSince  *time.Time
	LastChecked   *time.Time
	Created       time.Time
	Records       []Record
	VerifiedCount int
	CanDevelop    bool
	CSRF          string
	Wizard        bool // the Add domain wizard's records step
	Checked       bool // the wizard's verify has run
}

// DomainForm is the wizard's first step.
type DomainForm struct {
	Name      string
	Error     string
	FormError string
	CSRF      string
}

// AppRow is one app in the list.
type AppRow struct {
	ID         int64
	Name, From string
	Created    time.Time
}

// AppList is /portal/lumora/apps.
type AppList struct {
	Rows       []AppRow
	Cursor     string
	NextCursor string
	Error      string
	CanDevelop bool
}

// AppForm creates an app.
type AppForm struct {
	Name, FromEmail, FromName string
	Errors                    map[string]string
	FormError                 string
	CSRF                      string
}

// AppKey is one of an app's API keys (never its secret).
type AppKey struct {
	ID                   int64
	Name, Prefix, Scopes string
	Status               string
	LastUsed             *time.Time
	Created              time.Time
}

// AppPage is one app.
type AppPage struct {
	ID         int64
	Name, From string
	Created    time.Time
	Keys       []AppKey
	Sent       string
	Delivered  string
	Bounced    string
	CanDevelop bool
	CSRF       string
	Webhooks   []WebhookRow
	Hook       WebhookForm
	Key        KeyForm
	HasHooks   bool // the webhook section is served
}

// MessageStatusOptions are the message log's status filter.
var MessageStatusOptions = []components.Option{{Value: "", Label: "Any status"}, {Value: "queued", Label: "Queued"},
	{Value: "delivered", Label: "Delivered"}, {Value: "partial", Label: "Partial"}, {Value: "bounced", Label: "Bounced"},
	{Value: "failed", Label: "Failed"}, {Value: "suppressed", Label: "Suppressed"}}

// MessageRow is one message in the log.
type MessageRow struct {
	PublicID, From, Subject, Status, App string
	Created                              time.Time
}

// MessageList is /portal/lumora/messages.
type MessageList struct {
	Status, Recipient, Since, Until string
	Cursor, NextCursor              string
	Rows                            []MessageRow
	Error                           string
}

// Href is the log's URL with its filters and key set to value (the cursor
// kept only when it is the key).
func (l MessageList) Href(key, value string) string {
	q := url.Values{}
	for _, kv := range [][2]string{{"status", l.Status}, {"recipient", l.Recipient}, {"since", l.Since}, {"until", l.Until}, {"cursor", ""}} {
		v := kv[1]
		if kv[0] == key {
			v = value
		}
		if v != "" {
			q.Set(kv[0], v)
		}
	}
	if len(q) == 0 {
		return MessagesPath
	}
	return MessagesPath + "?" + q.Encode()
}

// ExportHref downloads the filtered log as CSV.
func (l MessageList) ExportHref() string {
	return MessagesPath + "/export.csv" + strings.TrimPrefix(l.Href("cursor", ""), MessagesPath)
}

// Filtered reports whether any filter is set.
func (l MessageList) Filtered() bool {
	return l.Status != "" || l.Recipient != "" || l.Since != "" || l.Until != ""
}

// RecipientRow is one recipient of a message.
type RecipientRow struct {
	Email, Kind, Status, LastReply string
	Attempts                       int
	Updated                        time.Time
}

// EventRow is one event of a message's timeline.
type EventRow struct {
	Type, Recipient, Detail string
	At                      time.Time
}

// MessagePage is one message.
type MessagePage struct {
	PublicID, From, Subject, Status string
	AppID                           int64
	App                             string
	Created                         time.Time
	Recipients                      []RecipientRow
	Events                          []EventRow
}

// SuppressionRow is one suppressed address.
type SuppressionRow struct {
	Email, Reason, Origin string
	Created               time.Time
}

// SuppressionList is the account's suppressed addresses.
type SuppressionList struct {
	Rows               []SuppressionRow
	Q, Reason          string // the search (any part of an address) and reason filters
	Reasons            []components.Option
	Cursor, NextCursor string
	Error              string
	CanDevelop         bool
	CSRF               string
	Add                SuppressForm
}

// Query is the list's filters as a URL query ("" or "?q=…"); FirstHref and
// NextHref page the filtered list.
func (l SuppressionList) Query() string { return components.FilterQuery("q", l.Q, "reason", l.Reason) }

func (l SuppressionList) FirstHref() string { return SuppressionsPath + l.Query() }

func (l SuppressionList) NextHref() string {
	return SuppressionsPath + components.FilterQuery("q", l.Q, "reason", l.Reason, "cursor", l.NextCursor)
}

// SuppressForm adds an address to the list by hand (someone asked not to
// be written to), with why.
type SuppressForm struct {
	Email, Reason string
	Errors        map[string]string
}

// ReactivatePath lets the account send to a suppressed address again (POST email).
const ReactivatePath = SuppressionsPath + "/reactivate"

// WebhooksPath is where an endpoint's pages live.
const WebhooksPath = "/portal/lumora/webhooks"

// WebhookHref is an endpoint's page; AppWebhooksHref adds one to an app.
func WebhookHref(id string) string     { return WebhooksPath + "/" + url.PathEscape(id) }
func AppWebhooksHref(app int64) string { return AppHref(app) + "/webhooks" }

// ReplayHref sends a delivery again.
func ReplayHref(endpoint string, delivery int64) string {
	return WebhookHref(endpoint) + "/deliveries/" + idStr(delivery) + "/replay"
}

// WebhookRow is one endpoint of an app.
type WebhookRow struct {
	ID, URL, Events string
	Created         time.Time
}

// WebhookForm adds an endpoint to an app.
type WebhookForm struct {
	URL       string
	Events    map[string]bool
	All       []string // the events one can subscribe to
	Errors    map[string]string
	FormError string
	Secret    string // the new endpoint's signing secret, shown once
	SecretFor string // the new endpoint's id
}

// DeliveryRow is one delivery of an endpoint.
type DeliveryRow struct {
	ID                  int64
	EventType, EventID  string
	Status              string
	Attempts            int
	Response, LastError string
	Created             time.Time
}

// WebhookPage is one endpoint with its delivery log.
type WebhookPage struct {
	ID, URL, Events    string
	AppID              int64
	AppName            string
	Created            time.Time
	Deliveries         []DeliveryRow
	Cursor, NextCursor string
	CanDevelop         bool
	CSRF               string
	Confirm            bool // the delete confirmation
}

// KeyForm creates an API key of an app.
type KeyForm struct {
	Name, Rate string
	Scopes     map[string]bool
	AllScopes  []string
	Errors     map[string]string
	FormError  string
	Secret     string // the new key's secret, shown once
	SecretName string
}

// AppKeysHref creates a key of the app (POST).
func AppKeysHref(app int64) string { return AppHref(app) + "/keys" }

// appsLine is the Apps tile's text: "1 app" or "N apps".
func appsLine(n int) string {
	noun := " apps"
	if n == 1 {
		noun = " app"
	}
	return strconv.Itoa(n) + noun + ". Each app has its own API keys and default sender."
}
