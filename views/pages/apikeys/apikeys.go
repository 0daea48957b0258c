// Package apikeys renders the API key pages: the list, the create form, the
// page that shows a new secret once, and a key's detail page with its
// revoke and rotate dialogs.
package apikeys

import (
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"lumdesk/views/components"
)

// Row is one key as the pages show it.
type Row struct {
	ID               int64
	Prefix           string
	Name             string
	Product          string
	ProductLabel     string
	ProductHue       string // colour family of the product chip
	AccountID        int64  // 0 for operator keys
	AccountName      string
	AccountEmail     string
	AccountSuspended bool
	Operator         bool
	Scopes           []string
	Status           string    // active, revoked, expired
	LastUsed         time.Time // zero = never
	LastUsedIP       string
	Created          time.Time
	RateLimit        int
	SpendCap         string // "$25.00"; "" = none
	Signing          bool
	Expires          time.Time // zero = never
	RevokedAt        time.Time // zero = not revoked
	RevokedReason    string
	RotatedFromID    int64
	ReplacedByID     int64
	AllowedIPs       []string // Luarmor keys: the client addresses accepted (empty: any)
}

// Href is the key's page.
func (r Row) Href() string { return "/apikeys/" + strconv.FormatInt(r.ID, 10) }

// Title is the key's name, or its prefix when it has none.
func (r Row) Title() string {
	if r.Name != "" {
		return r.Name
	}
	return r.Prefix + "…"
}

// AccountHref is the account's page.
func (r Row) AccountHref() string { return "/accounts/" + strconv.FormatInt(r.AccountID, 10) }

// AccountLabel is the account's name, else its email, else its id.
func (r Row) AccountLabel() string {
	switch {
	case r.AccountName != "":
		return r.AccountName
	case r.AccountEmail != "":
		return r.AccountEmail
	}
	return "Account " + strconv.FormatInt(r.AccountID, 10)
}

// Active reports whether the key still works.
func (r Row) Active() bool { return r.Status == "active" }

// List is the /apikeys page.
type List struct {
	Rows         []Row
	Q            string
	Product      string
	Status       string
	AccountID    int64
	AccountLabel string
	Products     []components.Option // with the "All products" entry
	PrevHref     string
	NextHref     string
	CanManage    bool
	Error        string // a filter was invalid
	Bar          components.ListBar
}

// ActiveFilters are the filters in force, as chips read them.
func (l List) ActiveFilters() []components.ActiveFilter {
	acc := ""
	if l.AccountID != 0 {
		acc = l.AccountLabel
	}
	return slices.Concat(
		components.Filter("q", "Prefix", l.Q),
		components.OptionFilter("product", "Product", l.Product, l.Products),
		components.OptionFilter("status", "Status", l.Status, StatusOptions),
		components.Filter("account", "Account", acc),
	)
}

// Filtered reports whether any filter is on.
func (l List) Filtered() bool {
	return l.Q != "" || l.Product != "" || l.Status != "" || l.AccountID != 0
}

// Href is the list URL with the current filters plus extra query pairs.
func (l List) Href(extra ...string) string {
	q := url.Values{}
	if l.Q != "" {
		q.Set("q", l.Q)
	}
	if l.Product != "" {
		q.Set("product", l.Product)
	}
	if l.Status != "" {
		q.Set("status", l.Status)
	}
	if l.AccountID != 0 {
		q.Set("account", strconv.FormatInt(l.AccountID, 10))
	}
	for i := 0; i+1 < len(extra); i += 2 {
		if extra[i+1] == "" {
			q.Del(extra[i])
		} else {
			q.Set(extra[i], extra[i+1])
		}
	}
	if len(q) == 0 {
		return "/apikeys"
	}
	return "/apikeys?" + q.Encode()
}

// NewHref is the create form, preset to the filtered account.
func (l List) NewHref() string {
	if l.AccountID != 0 {
		return "/apikeys/new?account=" + strconv.FormatInt(l.AccountID, 10)
	}
	return "/apikeys/new"
}

// Summary is the pager's text.
func (l List) Summary() string { return components.OnPage(len(l.Rows), "key", "keys") }

// StatusOptions are the status filter's options.
var StatusOptions = []components.Option{
	{Value: "", Label: "Any status"},
	{Value: "active", Label: "Active"},
	{Value: "revoked", Label: "Revoked"},
	{Value: "expired", Label: "Expired"},
}

// ScopeOption is one scope checkbox.
type ScopeOption struct {
	Value       string // "product|scope"
	Name        string
	Description string
}

// ScopeGroup is the scopes of one product.
type ScopeGroup struct {
	Product string
	Label   string
	Hue     string
	Money   bool
	Scopes  []ScopeOption
}

// NewForm is the create form.
type NewForm struct {
	CSRF      string
	Product   string
	Account   string // id or email as typed
	Operator  bool
	Name      string
	RateLimit string
	SpendCap  string
	Signing   bool
	ExpiresOn string // yyyy-mm-dd
	Checked   map[string]bool
	Products  []components.Option // with a "Choose a product" entry
	Groups    []ScopeGroup
	MinDate   string // tomorrow, for the date input
	Errors    map[string]string
	Error     string
}

// NoMoney reports whether product value is a product whose keys move no
// money (the form hides the money fields while it is chosen).
func (f NewForm) NoMoney(value string) bool {
	for _, g := range f.Groups {
		if g.Product == value {
			return !g.Money
		}
	}
	return false
}

// Created is the page that shows a new (or rotated) key's secret, once.
type Created struct {
	Key           Row
	Secret        string
	SigningSecret string
	Usage         string // how the key is sent, e.g. "x-api-key: lum_sk_…"
	RotatedFrom   *Row   // set after a rotation
}

// Detail is /apikeys/:id.
type Detail struct {
	Key       Row
	Tab       string // "" (overview) or "history"
	CSRF      string
	CanManage bool
	Scopes    []ScopeOption // the key's scopes with descriptions
	AllScopes bool          // operator key
	Usage     string
	// IPs is the IP allow list textarea's text; IPError its message.
	IPs     string
	IPError string
}

// Tabs are the detail page's tabs.
func (d Detail) Tabs() []components.Tab {
	return []components.Tab{
		{Label: "Overview", Href: d.Key.Href(), Active: d.Tab == ""},
		{Label: "History", Href: d.Key.Href() + "?tab=history", Active: d.Tab == "history"},
	}
}

// ActionForm is the revoke or rotate dialog (or page, without JavaScript).
type ActionForm struct {
	Kind   string // revoke, rotate
	Key    Row
	CSRF   string
	Reason string
	Errors map[string]string
	Error  string
}

// Action URL of the form.
func (f ActionForm) Action() string { return f.Key.Href() + "/" + f.Kind }

// Title of the dialog.
func (f ActionForm) Title() string {
	if f.Kind == "rotate" {
		return "Rotate " + f.Key.Prefix + "…?"
	}
	return "Revoke " + f.Key.Prefix + "…?"
}

// Body of the dialog.
func (f ActionForm) Body() string {
	if f.Kind == "rotate" {
		return "A new key with the same product, account, scopes and limits is issued and shown once. " +
			"This key (" + f.Key.Title() + ") stops working immediately; update every client that uses it."
	}
	return "Requests with " + f.Key.Title() + " are refused immediately and for good. This cannot be undone."
}

// Submit label.
func (f ActionForm) Submit() string {
	if f.Kind == "rotate" {
		return "Rotate key"
	}
	return "Revoke key"
}

func optionID(value string) string {
	if value == "" {
		return "opt-none"
	}
	return "opt-" + value
}

func intStr(n int64) string { return strconv.FormatInt(n, 10) }

func joinScopes(s []string) string { return strings.Join(s, ", ") }

// scopesSummary is the Scopes column in a few words, for the line under the
// key where that column hides (below xl).
func scopesSummary(r Row) string {
	switch {
	case r.Operator:
		return "all scopes"
	case len(r.Scopes) == 1:
		return "1 scope"
	default:
		return strconv.Itoa(len(r.Scopes)) + " scopes"
	}
}

// scopesTitle names every scope of the key (shown on hover of the summary).
func scopesTitle(r Row) string {
	if r.Operator {
		return "Operator key: every scope"
	}
	return joinScopes(r.Scopes)
}
