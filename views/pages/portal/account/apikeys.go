package account

import (
	"net/url"
	"strconv"
	"strings"
	"time"

	"lumdesk/views/components"
	"lumdesk/views/pages/portal"
)

// APIKeysPath is the account's API keys in the portal.
const APIKeysPath = portal.APIKeysPath

// APIKeyRow is one of the account's keys as the portal shows it.
type APIKeyRow struct {
	ID            int64
	Prefix        string
	Name          string
	Product       string
	ProductLabel  string
	ProductHue    string
	Scopes        []string
	Status        string    // active, revoked, expired
	LastUsed      time.Time // zero = never
	LastUsedIP    string
	Created       time.Time
	Expires       time.Time // zero = never
	RateLimit     int
	AppName       string // Lumora keys: the app they send for
	AllowedIPs    []string
	RevokedAt     time.Time
	RevokedReason string
	Luarmor       bool // keeps an IP allow list
}

// Href is the key's page.
func (r APIKeyRow) Href() string { return APIKeysPath + "/" + strconv.FormatInt(r.ID, 10) }

// Title is the key's name, or its prefix when it has none.
func (r APIKeyRow) Title() string {
	if r.Name != "" {
		return r.Name
	}
	return r.Prefix + "…"
}

// Active reports whether the key still works.
func (r APIKeyRow) Active() bool { return r.Status == "active" }

// APIKeyList is the list page.
type APIKeyList struct {
	Rows       []APIKeyRow
	Product    string
	Status     string
	Products   []components.Option // with "All products"
	Statuses   []components.Option
	PrevHref   string
	NextHref   string
	CanDevelop bool
	Error      string // a filter was invalid
}

// Filtered reports whether a filter is on.
func (l APIKeyList) Filtered() bool { return l.Product != "" || l.Status != "" }

// Href is the list URL with the current filters plus extra query pairs.
func (l APIKeyList) Href(extra ...string) string {
	q := url.Values{}
	if l.Product != "" {
		q.Set("product", l.Product)
	}
	if l.Status != "" {
		q.Set("status", l.Status)
	}
	for i := 0; i+1 < len(extra); i += 2 {
		q.Set(extra[i], extra[i+1])
	}
	if len(q) == 0 {
		return APIKeysPath
	}
	return APIKeysPath + "?" + q.Encode()
}

// APIKeyStatuses are the status filter's options.
var APIKeyStatuses = []components.Option{
	{Value: "", Label: "Any status"},
	{Value: "active", Label: "Active"},
	{Value: "revoked", Label: "Revoked"},
	{Value: "expired", Label: "Expired"},
}

// APIKeyScope is one scope checkbox of the create form.
type APIKeyScope struct {
	Value       string // "product|scope"
	Name        string
	Description string
}

// APIKeyScopeGroup is the scopes of one product.
type APIKeyScopeGroup struct {
	Product string
	Label   string
	Hue     string
	Scopes  []APIKeyScope
}

// APIKeyForm is the create form.
type APIKeyForm struct {
	CSRF      string
	Product   string
	Name      string
	App       string // Lumora app id
	RateLimit string
	ExpiresOn string // yyyy-mm-dd
	Checked   map[string]bool
	Products  []components.Option // with "Choose a product"
	Apps      []components.Option // the account's Lumora apps, with "Choose an app"
	Groups    []APIKeyScopeGroup
	MinDate   string
	Errors    map[string]string
	Error     string
}

// NotLumora reports whether product value is not Lumora (the form hides
// the app field while such a product is chosen).
func (f APIKeyForm) NotLumora(value string) bool { return value != "lumora" }

// APIKeyCreated shows a new (or rotated) key's secret, once.
type APIKeyCreated struct {
	Key       APIKeyRow
	Secret    string
	Usage     string
	OldPrefix string // set after a rotation
}

// APIKeyDetail is a key's page.
type APIKeyDetail struct {
	Key        APIKeyRow
	CSRF       string
	CanDevelop bool
	Scopes     []APIKeyScope
	Usage      string
	// IPs is the allow list textarea's text (one entry a line); IPError its message.
	IPs     string
	IPError string
	// ActionError is a refused revoke or rotate (the dialogs' message).
	ActionError string
	Reason      string
}

// IPsText is a list of entries one a line.
func IPsText(ips []string) string { return strings.Join(ips, "\n") }

func keyIDStr(n int64) string { return strconv.FormatInt(n, 10) }
