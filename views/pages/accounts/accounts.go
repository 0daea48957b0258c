// Package accounts renders the customer account pages: the list with its
// filters, the detail page with its tabs, the create/edit form and the
// suspend/reactivate confirmation.
package accounts

import (
	"net/url"
	"slices"
	"strconv"
	"time"

	"github.com/a-h/templ"

	"lumdesk/internal/platform/listcount"
	"lumdesk/views/components"
)

// Filters are the list's URL query (q, status, sort, from, to).
type Filters struct {
	Q      string
	Status string
	Sort   string // "" = newest first (URL values: "", "created", "name", "-name")
	From   string // YYYY-MM-DD, inclusive
	To     string // YYYY-MM-DD, inclusive
	Limit  string // page size, "" = 25
}

// Any reports whether any filter narrows the list (sorting does not).
func (f Filters) Any() bool { return f.Q != "" || f.Status != "" || f.From != "" || f.To != "" }

// Query is the URL query of the filters plus extra key/value pairs.
func (f Filters) Query(extra ...string) string {
	return components.FilterQuery(append([]string{"q", f.Q, "status", f.Status, "sort", f.Sort, "from", f.From, "to", f.To, "limit", f.Limit}, extra...)...)
}

// SortHref is the list URL with another sort (for SortHeader); the default
// order ("-created") is left out of the URL.
func (f Filters) SortHref(sort string) string {
	if sort == "-created" {
		sort = ""
	}
	f.Sort = sort
	return "/accounts" + f.Query()
}

// CurrentSort is the sort in SortHeader's notation.
func (f Filters) CurrentSort() string {
	if f.Sort == "" {
		return "-created"
	}
	return f.Sort
}

// Row is one account in the table.
type Row struct {
	ID        int64
	Name      string
	Email     string
	DiscordID string
	Status    string
	Created   time.Time
	BuiltIn   bool // lumdesk's own account (platform mail), not a customer
}

// Href is the account's detail page.
func (r Row) Href() string { return Href(r.ID) }

// Href is the detail page of account id.
func Href(id int64) string { return "/accounts/" + strconv.FormatInt(id, 10) }

// Stats are the tiles above the list.
type Stats struct {
	Total, Active, Suspended, New string
	Estimated                     bool
	Daily                         []int64
}

// List is the accounts list page.
type List struct {
	Filters   Filters
	Errors    map[string]string // filter problems, shown above the table
	Rows      []Row
	PrevHref  string
	NextHref  string
	FirstHref string // set when not on the first page
	CanManage bool
	Stats     *Stats
	Empty     bool // the table has no accounts at all
	Bar       components.ListBar
}

// ActiveFilters are the filters in force, as chips read them.
func (v List) ActiveFilters() []components.ActiveFilter {
	f := v.Filters
	return slices.Concat(
		components.Filter("q", "Search", f.Q),
		components.OptionFilter("status", "Status", f.Status, StatusOptions),
		components.Filter("from", "Created from", f.From),
		components.Filter("to", "Created until", f.To),
	)
}

// ExportHref downloads the filtered list as CSV.
func (v List) ExportHref() string { return "/accounts/export.csv" + v.Filters.Query() }

// Summary is the pager's left-hand text.
func (v List) Summary() string { return components.OnPage(len(v.Rows), "account", "accounts") }

// StatusOptions are the status filter's choices.
var StatusOptions = []components.Option{
	{Value: "", Label: "All statuses"},
	{Value: "active", Label: "Active"},
	{Value: "suspended", Label: "Suspended"},
}

// SortOptions are the sort select's choices.
var SortOptions = []components.Option{
	{Value: "", Label: "Newest first"},
	{Value: "created", Label: "Oldest first"},
	{Value: "name", Label: "Name A–Z"},
	{Value: "-name", Label: "Name Z–A"},
}

// Detail is the account detail page.
type Detail struct {
	ID              int64
	Name            string
	Email           string
	DiscordID       string
	Note            string
	Status          string
	SuspendedReason string
	Created         time.Time
	Updated         time.Time
	BuiltIn         bool // lumdesk's own account (platform mail), not a customer
	Tab             string
	CanManage       bool
	CanSuspend      bool
	// Products are the product tabs, in registry order.
	Products []Product
	// TabBody is the product tab's content when its product registered a
	// renderer; nil shows the product's empty state.
	TabBody templ.Component
	// Cards are the Overview tab's product cards, in registry order.
	Cards []OverviewCard
	// Portal is the Portal tab's content (set on that tab).
	Portal *Portal
	// CSRF is the session's token, for the forms of the tabs.
	CSRF string
	// APIKeys counts the account's API keys (set on that tab only).
	APIKeys *APIKeyCounts
}

// APIKeyCounts are an account's API keys: all, active and revoked.
type APIKeyCounts struct {
	All, Active, Revoked listcount.Count
}

// APIKeysHref is the API key list filtered to the account.
func (d Detail) APIKeysHref() string { return "/apikeys?account=" + idStr(d.ID) }

// IDText is "#42".
func (d Detail) IDText() string { return "#" + strconv.FormatInt(d.ID, 10) }

// Href is the detail page, optionally on a tab.
func (d Detail) Href(tab string) string {
	if tab == "" || tab == "overview" {
		return Href(d.ID)
	}
	return Href(d.ID) + "?tab=" + url.QueryEscape(tab)
}

// Product is one product's tab on the account page (from the product registry).
type Product struct {
	Tab, Name, Icon, IconClass string
	EmptyTitle, EmptyBody      string
}

// TabKeys are the detail page's tab keys, in order: the overview, one tab
// per product, API keys and history.
func TabKeys(products []Product) []string {
	out := []string{"overview"}
	for _, p := range products {
		out = append(out, p.Tab)
	}
	return append(out, "apikeys", PortalTab, "history")
}

// TabItems builds the tab bar.
func (d Detail) TabItems() []components.Tab {
	labels := map[string]string{"overview": "Overview", "apikeys": "API keys", PortalTab: "Portal", "history": "History"}
	for _, p := range d.Products {
		labels[p.Tab] = p.Name
	}
	tabs := TabKeys(d.Products)
	out := make([]components.Tab, len(tabs))
	for i, t := range tabs {
		out[i] = components.Tab{Label: labels[t], Href: d.Href(t), Active: d.Tab == t}
	}
	return out
}

// ProductOf returns the product of a tab key.
func (d Detail) ProductOf(tab string) (Product, bool) {
	for _, p := range d.Products {
		if p.Tab == tab {
			return p, true
		}
	}
	return Product{}, false
}

// Form is the create/edit form.
type Form struct {
	ID        int64  // 0 = new account
	SavedName string // the name as saved (page title while editing)
	Name      string
	Email     string
	DiscordID string
	Note      string
	Reason    string // edits only, optional
	Errors    map[string]string
}

// Action is where the form posts.
func (f Form) Action() string {
	if f.ID == 0 {
		return "/accounts"
	}
	return Href(f.ID)
}

// Cancel is where Cancel goes.
func (f Form) Cancel() string {
	if f.ID == 0 {
		return "/accounts"
	}
	return Href(f.ID)
}

// Confirm is the suspend or reactivate confirmation.
type Confirm struct {
	ID        int64
	Name      string
	Email     string
	Suspend   bool // false: reactivate
	Reason    string
	Error     string // reason field error
	FormError string // e.g. "already suspended"
}

// Action is the POST url.
func (c Confirm) Action() string {
	if c.Suspend {
		return Href(c.ID) + "/suspend"
	}
	return Href(c.ID) + "/reactivate"
}

// Title is the question.
func (c Confirm) Title() string {
	if c.Suspend {
		return "Suspend " + c.Name + "?"
	}
	return "Reactivate " + c.Name + "?"
}

// Body explains the consequence.
func (c Confirm) Body() string {
	if c.Suspend {
		return c.Name + " (" + c.Email + ") will be marked suspended across all five products until someone reactivates it. The reason is kept in the audit history."
	}
	return c.Name + " (" + c.Email + ") will be active again in every product. The reason is kept in the audit history."
}

// Submit is the button label.
func (c Confirm) Submit() string {
	if c.Suspend {
		return "Suspend account"
	}
	return "Reactivate account"
}

func idStr(id int64) string { return strconv.FormatInt(id, 10) }
