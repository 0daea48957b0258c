// The Lumi products pages: domains, VPS, proxies (lists and detail pages
// with their actions) and the price catalogue with its history, filled by
// handlers/billing from internal/billing/products.

package billing

import (
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"lumdesk/views/components"
)

// RenewPath runs the due renewals now.
const RenewPath = "/lumi/renew-due"

// DomainHref is a domain's page.
func DomainHref(id int64) string { return DomainsPath + "/" + idStr(id) }

// VPSHref is a server's page.
func VPSHref(id int64) string { return VPSPath + "/" + idStr(id) }

// ProxyHref is a proxy's page.
func ProxyHref(id int64) string { return ProxiesPath + "/" + idStr(id) }

// ItemFace is where a face shows a Lumi item's page: the console's under
// /lumi over every account, the portal's under /portal/lumi over the
// session's account (handlers/portal/billing). One set of handlers
// (handlers/billing.Products) and templates serves both; the portal's
// renewal is its own confirmation page (RenewHref) and asks no reason.
type ItemFace struct {
	Path   string // the area's root: "/lumi", or the portal's
	Portal bool
}

// ConsoleItems is the console's face of the item pages.
var ConsoleItems = ItemFace{Path: "/lumi"}

// ListHref is the face's list of a kind (domains, vps, proxies).
func (f ItemFace) ListHref(kind string) string { return f.Path + "/" + kind }

// DomainHref is a domain's page in the face.
func (f ItemFace) DomainHref(id int64) string { return f.ListHref("domains") + "/" + idStr(id) }

// VPSHref is a server's page in the face.
func (f ItemFace) VPSHref(id int64) string { return f.ListHref("vps") + "/" + idStr(id) }

// ProxyHref is a proxy's page in the face.
func (f ItemFace) ProxyHref(id int64) string { return f.ListHref("proxies") + "/" + idStr(id) }

// BalanceHref is the balance an item is paid from: the account's in the
// console, the customer's own in the portal.
func (f ItemFace) BalanceHref(accountID int64) string {
	if f.Portal {
		return f.Path
	}
	return AccountHref(accountID)
}

// Whose is " of <account>" in the console's titles, nothing in the portal.
func (f ItemFace) Whose(owner string, accountID int64) string {
	if f.Portal {
		return ""
	}
	return " of " + nameOr(owner, accountID)
}

// List is a products list page.
type List struct {
	Kind          string // domains, vps, proxies
	Q             string
	Status        string
	Account       int64
	RenewalFailed bool
	Sort          string // "" newest first, "expires" soonest expiry first
	Cursor        string
	Domains       []DomainRow
	VPS           []VPSRow
	Proxies       []ProxyRow
	NextCursor    string
	Error         string
	Sandbox       bool
	CanManage     bool
	CSRF          string
	Bar           components.ListBar
	AccountNames  map[int64]string // the listed items' accounts
}

// AccountName is an account's name, or "Account #id" when it is unknown.
func (l List) AccountName(id int64) string { return nameOr(l.AccountNames[id], id) }

func nameOr(name string, id int64) string {
	if name == "" {
		return "Account #" + idStr(id)
	}
	return name
}

// Query is the list's URL query without the page position ("?q=x" or "").
func (l List) Query() string { return strings.TrimPrefix(l.Href("cursor", ""), l.Path()) }

// ActiveFilters are the filters in force, as chips read them.
func (l List) ActiveFilters() []components.ActiveFilter {
	acc, rf := "", ""
	if l.Account != 0 {
		acc = l.AccountName(l.Account)
	}
	if l.RenewalFailed {
		rf = "failed"
	}
	return slices.Concat(
		components.Filter("q", "Search", l.Q),
		components.OptionFilter("status", "Status", l.Status, StatusOptions),
		components.Filter("account", "Account", acc),
		components.Filter("renewal_failed", "Renewal", rf),
	)
}

// DomainRow is one domain in the list.
type DomainRow struct {
	ID, AccountID     int64
	Name, Status      string
	Expires, Bought   string // dates
	RenewalFailed     string // "" or what failed and when
	AutoRenew, Locked bool
}

// VPSRow is one server in the list.
type VPSRow struct {
	ID, AccountID                 int64
	Hostname, Plan, Status, Power string
	IP, Expires, RenewalFailed    string
}

// ProxyRow is one proxy in the list.
type ProxyRow struct {
	ID, AccountID                  int64
	Username, Plan, Type, Country  string
	Status, Expires, RenewalFailed string
}

// Domain is a domain as its page shows it.
type Domain struct {
	ID, AccountID              int64
	Name, Status, RegistrarRef string
	ExpiresAt, RenewalFailedAt *time.Time
	RenewalFailedReason        string
	Failure                    string
	AutoRenew, Locked, Privacy bool
	Nameservers                []string
	CreatedAt                  time.Time
}

// VPS is a server as its page shows it.
type VPS struct {
	ID, AccountID                     int64
	Plan, Hostname, Status, Power, IP string
	ProviderRef, Failure              string
	ExpiresAt, RenewalFailedAt        *time.Time
	RenewalFailedReason               string
	AutoRenew                         bool
	CreatedAt                         time.Time
}

// Proxy is a proxy as its page shows it.
type Proxy struct {
	ID, AccountID                     int64
	Plan, Type, Country, Status, Host string
	Port                              int
	Username, Failure                 string
	AllowIPs                          []string
	ExpiresAt, RenewalFailedAt        *time.Time
	RenewalFailedReason               string
	AutoRenew                         bool
	CreatedAt                         time.Time
}

// Path is the list's own path.
func (l List) Path() string {
	switch l.Kind {
	case "vps":
		return VPSPath
	case "proxies":
		return ProxiesPath
	}
	return DomainsPath
}

// Href is the list URL with the current filters and key set to value.
func (l List) Href(key, value string) string {
	q := url.Values{}
	set := func(k, v string) {
		if k == key {
			v = value
		}
		if v != "" {
			q.Set(k, v)
		}
	}
	set("q", l.Q)
	set("status", l.Status)
	acc := ""
	if l.Account != 0 {
		acc = idStr(l.Account)
	}
	set("account", acc)
	rf := ""
	if l.RenewalFailed {
		rf = "1"
	}
	set("renewal_failed", rf)
	set("sort", l.Sort)
	set("cursor", "")
	if key == "cursor" && value != "" {
		q.Set("cursor", value)
	}
	if len(q) == 0 {
		return l.Path()
	}
	return l.Path() + "?" + q.Encode()
}

// NextHref is the next page ("" on the last).
func (l List) NextHref() string {
	if l.NextCursor == "" {
		return ""
	}
	return l.Href("cursor", l.NextCursor)
}

// FirstHref goes back to the newest page ("" on it).
func (l List) FirstHref() string {
	if l.Cursor == "" {
		return ""
	}
	return l.Href("cursor", "")
}

// Filtered reports whether any filter is set.
func (l List) Filtered() bool {
	return l.Q != "" || l.Status != "" || l.Account != 0 || l.RenewalFailed
}

// Count is how many rows the page shows.
func (l List) Count() int { return len(l.Domains) + len(l.VPS) + len(l.Proxies) }

// Summary is the pager caption.
func (l List) Summary() string {
	n := l.Count()
	s := strconv.Itoa(n) + " shown"
	if l.Cursor != "" {
		s += " (older page)"
	}
	return s
}

// StatusOptions are the status filter's options.
var StatusOptions = []components.Option{{Value: "", Label: "Any status"}, {Value: "active", Label: "Active"},
	{Value: "pending", Label: "Pending"}, {Value: "expired", Label: "Expired"}, {Value: "failed", Label: "Failed"}}

// DomainPage is a domain's detail page.
type DomainPage struct {
	D         Domain
	Owner     string // the account's name
	Face      ItemFace
	CanPay    bool   // may renew and set auto-renew (the portal asks its own permission)
	Tab       string // overview, history
	CanManage bool
	CSRF      string
	Sandbox   bool
	Errors    map[string]string
	FormError string
	NSText    string // the nameservers form's value
	EPP       string // shown once after a reveal
	Price     string // renewal price per year
}

// VPSPage is a server's detail page.
type VPSPage struct {
	V         VPS
	Owner     string // the account's name
	Face      ItemFace
	CanPay    bool // may renew and set auto-renew (the portal asks its own permission)
	Tab       string
	CanManage bool
	CSRF      string
	Sandbox   bool
	Errors    map[string]string
	FormError string
	Price     string
}

// ProxyPage is a proxy's detail page.
type ProxyPage struct {
	P         Proxy
	Owner     string // the account's name
	Face      ItemFace
	CanPay    bool // may renew and set auto-renew (the portal asks its own permission)
	Tab       string
	CanManage bool
	CSRF      string
	Sandbox   bool
	Errors    map[string]string
	FormError string
	IPsText   string
	Password  string // shown once after a reveal
	Price     string
}

// Prices is the catalogue page: every price ever set, each with its state
// (current, scheduled, past).
type Prices struct {
	TLDs    []TLDPriceRow
	Plans   []PlanPriceRow
	Sandbox bool
}

// TLDPriceRow is one TLD price of the history.
type TLDPriceRow struct {
	TLD, Register, Renew, Transfer string
	Effective                      time.Time
	State                          string // current, scheduled, past
}

// PlanPriceRow is one VPS or proxy plan price of the history.
type PlanPriceRow struct {
	Product, Plan, Title, Description, Monthly string
	Effective                                  time.Time
	State                                      string // current, scheduled, past
}

// YearOptions are the renewal choices for domains.
var YearOptions = []components.Option{{Value: "1", Label: "1 year"}, {Value: "2", Label: "2 years"},
	{Value: "3", Label: "3 years"}, {Value: "5", Label: "5 years"}}

// MonthOptions are the renewal choices for VPS and proxies.
var MonthOptions = []components.Option{{Value: "1", Label: "1 month"}, {Value: "3", Label: "3 months"},
	{Value: "6", Label: "6 months"}, {Value: "12", Label: "12 months"}}

func onOff(b bool) string {
	if b {
		return "On"
	}
	return "Off"
}

func join(s []string) string { return strings.Join(s, ", ") }

// RenewalFailed is the line a failed auto-renewal shows.
func RenewalFailed(at *time.Time, reason string) string {
	if at == nil {
		return ""
	}
	return "Renewal failed: " + reason + " (" + components.DatePtr(at) + ")"
}

// Stamp identifies the expiry a renew form was shown with.
func Stamp(t *time.Time) string {
	if t == nil {
		return "none"
	}
	return strconv.FormatInt(t.UnixMicro(), 10)
}
