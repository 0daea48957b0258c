// Package billing holds the customer portal's Lumi pages
// (handlers/portal/billing): the balance with its ledger, top-ups through
// the payment provider, and the domains, VPS and proxies the account owns.
// Every link stays under /portal/lumi.
package billing

import (
	"strconv"
	"time"

	"lumdesk/views/components"
)

// Paths of the portal's Lumi pages.
const (
	Path        = "/portal/lumi"
	LedgerCSV   = Path + "/ledger.csv"
	TopUpPath   = Path + "/top-up"
	DepositsURL = Path + "/deposits"
)

// Product kinds (URL segments under Path).
const (
	KindDomains = "domains"
	KindVPS     = "vps"
	KindProxies = "proxies"
)

// DepositHref is a deposit's invoice page.
func DepositHref(id int64) string { return DepositsURL + "/" + idStr(id) }

// ItemHref is an owned item's path (kind: KindDomains, KindVPS, KindProxies).
func ItemHref(kind string, id int64) string { return Path + "/" + kind + "/" + idStr(id) }

func idStr(id int64) string { return strconv.FormatInt(id, 10) }

// KindLabel names a product kind.
func KindLabel(kind string) string {
	switch kind {
	case KindVPS:
		return "VPS"
	case KindProxies:
		return "Proxies"
	}
	return "Domains"
}

// plural is kind's items, in a sentence.
func plural(kind string) string {
	switch kind {
	case KindVPS:
		return "servers"
	case KindProxies:
		return "proxies"
	}
	return "domains"
}

// singular is one item of kind, in a sentence.
func singular(kind string) string {
	switch kind {
	case KindVPS:
		return "server"
	case KindProxies:
		return "proxy"
	}
	return "domain"
}

// Header is what every Lumi page shows on top: the balance and the tabs.
type Header struct {
	Balance    string
	Low        bool
	Active     string // tab: "ledger", "deposits", KindDomains, KindVPS, KindProxies
	CanBilling bool   // may top up and renew (owner, billing)
}

// Tabs are the Lumi pages' tabs.
func (h Header) Tabs() []components.Tab {
	t := func(key, label, href string) components.Tab {
		return components.Tab{Label: label, Href: href, Active: h.Active == key}
	}
	return []components.Tab{t("ledger", "Balance", Path), t("deposits", "Deposits", DepositsURL),
		t(KindDomains, "Domains", Path+"/"+KindDomains), t(KindVPS, "VPS", Path+"/"+KindVPS), t(KindProxies, "Proxies", Path+"/"+KindProxies)}
}

// Overview is /portal/lumi: the balance, what the account holds and the ledger.
type Overview struct {
	Header
	Domains, VPS, Proxies string
	NextRenewal           string
	Entries               []Entry
	FirstHref, NextHref   string
}

// Entry is one ledger entry with the balance after it.
type Entry struct {
	ID           int64
	When         time.Time
	Kind         string
	Amount       string // signed
	BalanceAfter string
	Reason       string
}

// TopUp is the top-up form.
type TopUp struct {
	Header
	Amount   string
	Errors   map[string]string
	Error    string
	Provider string // the provider's label
	Sandbox  bool
}

// Deposits is the deposits list.
type Deposits struct {
	Header
	Rows                []Deposit
	FirstHref, NextHref string
}

// Deposit is one deposit (a list row or the invoice page).
type Deposit struct {
	ID        int64
	PublicID  string
	Amount    string
	Provider  string
	Status    string
	Sandbox   bool
	Created   time.Time
	Expires   string
	Paid      string
	PayURL    string
	CanPay    bool // pending, not expired
	FormError string
}

// Items is a list of owned domains, VPS or proxies.
type Items struct {
	Header
	Kind                string
	Rows                []Item
	FirstHref, NextHref string
	CSRF                string

	// The filters, as the console's list reads them (without its account).
	Q, Status, Sort string
	RenewalFailed   bool
	Statuses        []components.Option
	SearchHint      string
	Problems        []string // filters left out, and why
}

// SortOptions are the lists' orders.
var SortOptions = []components.Option{{Value: "", Label: "Newest first"}, {Value: "expires", Label: "Expiring soonest"}}

// Filtered: a filter narrows the list (its empty state says so).
func (v Items) Filtered() bool { return v.Q != "" || v.Status != "" || v.RenewalFailed }

// Query is the list's filters as a URL query ("" or "?q=…"); PageHref
// the page after cursor with them.
func (v Items) Query() string { return components.FilterQuery(v.filters()...) }

func (v Items) PageHref(cursor string) string {
	return v.Base() + components.FilterQuery(append(v.filters(), "cursor", cursor)...)
}

func (v Items) filters() []string {
	rf := ""
	if v.RenewalFailed {
		rf = "1"
	}
	return []string{"q", v.Q, "status", v.Status, "sort", v.Sort, "renewal_failed", rf}
}

// SortLabel names the list's order for its pager.
func (v Items) SortLabel() string {
	if v.Sort == "expires" {
		return "Expiring soonest"
	}
	return "Newest first"
}

// Base is the list's path.
func (v Items) Base() string { return Path + "/" + v.Kind }

// ExportHref downloads the filtered list as CSV.
func (v Items) ExportHref() string { return v.Base() + "/export.csv" + v.Query() }

// Item is one owned domain, VPS or proxy.
type Item struct {
	ID            int64
	Name          string
	Detail        string
	Status        string
	Expires       string
	AutoRenew     bool
	RenewalFailed string
	CanRenew      bool // active or expired
}

// Renew is the renewal confirmation of one item.
type Renew struct {
	Header
	Kind      string
	Item      Item
	Unit      string // "year" or "month"
	Periods   []int
	Period    int
	Price     string
	Enough    bool // the balance covers the price
	Stamp     string
	CSRF      string
	Error     string
	NoPrice   bool // the product is no longer sold
	NewExpiry string
}

// Plural is n units.
func (r Renew) Plural(n int) string { return Units(n, r.Unit) }

// Units is n of a period unit in words: "1 year", "3 months".
func Units(n int, unit string) string {
	if n == 1 {
		return "1 " + unit
	}
	return strconv.Itoa(n) + " " + unit + "s"
}

// amountClass colours a signed amount.
func amountClass(signed string) string {
	if len(signed) > 0 && signed[0] == '-' {
		return "text-slate-700 dark:text-slate-200"
	}
	return "text-emerald-700 dark:text-emerald-400"
}

// kindTone is a ledger kind's badge tone.
func kindTone(kind string) string {
	switch kind {
	case "deposit":
		return "green"
	case "refund":
		return "blue"
	case "adjustment":
		return "amber"
	}
	return "grey"
}

// BuyHref is the form that buys an item of kind.
func BuyHref(kind string) string { return Path + "/" + kind + "/new" }

// Buy is the form that buys a domain, a server or a proxy from the balance,
// as the Lumi API's buy endpoints do (the same service, checks and price).
type Buy struct {
	Header
	Kind string
	CSRF string
	// Key makes a second submit of the same form (a double click, a
	// reload) return the first purchase instead of paying twice.
	Key string

	// The form as sent.
	Domain, Hostname, Plan, Type, Country string
	Period                                int // years (domains) or months
	AutoRenew                             bool

	Plans   []components.Option // VPS or proxy plans with their monthly price
	Prices  []TLDPrice          // the TLDs on sale
	Periods []components.Option
	Types   []components.Option // proxy types

	Errors    map[string]string
	FormError string

	// The domain search above the form: what was searched and each name's
	// state (Searched: the search ran, so no Options means no TLD is on sale).
	Query    string
	Searched bool
	Options  []DomainOption
}

// DomainOption is a searched name: Status is available, taken or unknown.
type DomainOption struct {
	Name, Status, Register, Renew string
	Chosen                        bool // the one filled into the form
}

// ChooseHref fills the form with the name, keeping the search.
func (b Buy) ChooseHref(name string) string {
	return BuyHref(KindDomains) + components.FilterQuery("q", b.Query, "domain", name) + "#buy-form"
}

// TLDPrice is a TLD on sale, per year.
type TLDPrice struct{ TLD, Register, Renew string }

// Unit is what Period counts.
func (b Buy) Unit() string {
	if b.Kind == KindDomains {
		return "Years"
	}
	return "Months"
}
