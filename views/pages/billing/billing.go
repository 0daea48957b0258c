// Package billing renders the Lumi finance desk: balances with the ledger
// check and the money chart, an account's ledger with its money actions and
// deposits, the four-eyes approval queue, the ledger across accounts, and
// the account page's Lumi tab. View models are plain strings and flags;
// handlers/billing fills them from internal/billing.
package billing

import (
	"slices"
	"strconv"
	"strings"
	"time"

	"lumdesk/internal/platform/money"
	"lumdesk/views/components"
)

// Paths of the area.
const (
	DeskPath      = "/lumi"
	LedgerPath    = "/lumi/ledger"
	ExportPath    = "/lumi/ledger/export.csv"
	ApprovalsPath = "/lumi/approvals"
	// The products half of the Lumi area (handlers/billing/products.go).
	DomainsPath = "/lumi/domains"
	VPSPath     = "/lumi/vps"
	ProxiesPath = "/lumi/proxies"
	PricesPath  = "/lumi/prices"
)

// ProductsHref is the fragment of an account's Lumi products.
func ProductsHref(id int64) string { return AccountHref(id) + "/products" }

// AccountHref is an account's finance page.
func AccountHref(id int64) string { return "/lumi/accounts/" + idStr(id) }

// SummaryHref is the account page's Lumi tab fragment.
func SummaryHref(id int64) string { return AccountHref(id) + "/summary" }

// AccountPageHref is the customer account's own page.
func AccountPageHref(id int64) string { return "/accounts/" + idStr(id) }

// PendingCountKey names the live count of requests waiting for approval
// (the Approvals pill and the sidebar's Lumi badge; handlers/billing counts.go).
const PendingCountKey = "lumi-approvals"

// PendingCountLabel says what that count is.
const PendingCountLabel = "Waiting for approval"

// AreaTabs is the Lumi sub-navigation. The Approvals pill is live: it
// refreshes itself after an action.
func AreaTabs(active string, pending int64) []components.Tab {
	return []components.Tab{
		{Label: "Balances", Href: DeskPath, Active: active == "balances"},
		{Label: "Ledger", Href: LedgerPath, Active: active == "ledger"},
		{Label: "Approvals", Href: ApprovalsPath, Active: active == "approvals",
			Live: &components.Count{Key: PendingCountKey, Value: pending, Label: PendingCountLabel}},
		{Label: "Domains", Href: DomainsPath, Active: active == "domains"},
		{Label: "VPS", Href: VPSPath, Active: active == "vps"},
		{Label: "Proxies", Href: ProxiesPath, Active: active == "proxies"},
		{Label: "Prices", Href: PricesPath, Active: active == "prices"},
	}
}

func idStr(id int64) string { return strconv.FormatInt(id, 10) }

// amountClass colours signed amounts: credits green, debits plain.
func amountClass(signed string) string {
	if strings.HasPrefix(signed, "-") {
		return "text-slate-900 dark:text-slate-100"
	}
	return "text-emerald-700 dark:text-emerald-400"
}

// kindTone is the badge colour of a ledger kind.
func kindTone(kind string) string {
	switch kind {
	case "deposit":
		return "green"
	case "refund":
		return "blue"
	case "adjustment":
		return "amber"
	default:
		return "grey"
	}
}

// ---------------------------------------------------------------- desk

// VerifyView is the ledger check's result.
type VerifyView struct {
	OK        bool
	Accounts  string // "12"
	Entries   string
	CheckedAt string
	Problems  []ProblemView
}

// ProblemView is one account whose balance the ledger does not explain.
type ProblemView struct {
	AccountID int64
	Message   string
}

// BalanceRow is one row of the balances list.
type BalanceRow struct {
	AccountID int64
	Name      string
	Email     string
	Status    string
	Balance   string // "$12.50"
	Low       bool
	Renewals  *ForecastWindowView // the 30-day forecast; nil: not computed
	Updated   time.Time
}

// DeskFilters are the balances list's URL query.
type DeskFilters struct {
	Q     string
	Below string // "10.00"
	Sort  string // "", "balance"
}

// Any reports whether a filter is set.
func (f DeskFilters) Any() bool { return f.Q != "" || f.Below != "" || f.Sort != "" }

// Query is the URL query for these filters plus extra key/value pairs.
func (f DeskFilters) Query(extra ...string) string {
	return components.FilterQuery(append([]string{"q", f.Q, "below", f.Below, "sort", f.Sort}, extra...)...)
}

// sortValue is the SortHeader notation of the list's order.
func sortValue(s string) string {
	if s == "" {
		return "-balance"
	}
	return s
}

func (f DeskFilters) sortHref(sort string) string {
	if sort == "-balance" {
		sort = ""
	}
	f.Sort = sort
	return DeskPath + f.Query()
}

// BelowOptions are the low-balance filter's choices.
var BelowOptions = []components.Option{
	{Value: "", Label: "All balances"},
	{Value: "10.00", Label: "Below $10.00"},
	{Value: "50.00", Label: "Below $50.00"},
	{Value: "100.00", Label: "Below $100.00"},
}

// BalanceSortOptions are the balances list's orders.
var BalanceSortOptions = []components.Option{
	{Value: "", Label: "Largest first"},
	{Value: "balance", Label: "Smallest first"},
}

// Desk is the finance desk landing page.
type Desk struct {
	Filters   DeskFilters
	Errors    map[string]string
	Rows      []BalanceRow
	NextHref  string
	FirstHref string
	Empty     bool // no balance at all (not just none matching)

	Verify   VerifyView
	Pending  int64
	Stats    []StatView
	Deposits []components.ChartPoint
	Spend    []components.ChartPoint
	Range    components.ChartRange // the days the charts cover
	Limit    string                // approval limit
	Bar      components.ListBar
}

// ActiveFilters are the balance list's filters in force, as chips read them.
func (f DeskFilters) ActiveFilters() []components.ActiveFilter {
	below := ""
	if f.Below != "" {
		below = "below " + f.Below
	}
	return slices.Concat(components.Filter("q", "Search", f.Q), components.Filter("below", "Balance", below))
}

// StatView is a stat tile.
type StatView struct{ Label, Value, Hint string }

// ---------------------------------------------------------------- ledger

// EntryRow is one ledger entry.
type EntryRow struct {
	ID           int64
	When         time.Time
	AccountID    int64
	AccountName  string
	Kind         string
	Amount       string // signed, "-$12.50"
	BalanceAfter string
	Cause        string
	Actor        string
	Reason       string
	RefundOf     int64
	Refundable   bool // a purchase or renewal the user may refund
}

// LedgerFilters are the ledger list's URL query.
type LedgerFilters struct {
	Account string
	Kind    string
	From    string
	To      string
}

// Any reports whether a filter is set.
func (f LedgerFilters) Any() bool {
	return f.Account != "" || f.Kind != "" || f.From != "" || f.To != ""
}

// ExportHref is the CSV of the entries the ledger shows.
func (v Ledger) ExportHref() string { return ExportPath + v.Filters.Query() }

// Query is the URL query for these filters plus extra key/value pairs.
func (f LedgerFilters) Query(extra ...string) string {
	return components.FilterQuery(append([]string{"account", f.Account, "kind", f.Kind, "from", f.From, "to", f.To}, extra...)...)
}

// KindOptions are the ledger's kind filter choices.
var KindOptions = []components.Option{
	{Value: "", Label: "All kinds"},
	{Value: "deposit", Label: "Deposits"},
	{Value: "purchase", Label: "Purchases"},
	{Value: "renewal", Label: "Renewals"},
	{Value: "refund", Label: "Refunds"},
	{Value: "adjustment", Label: "Adjustments"},
}

// Ledger is the ledger across accounts.
type Ledger struct {
	Filters   LedgerFilters
	Errors    map[string]string
	Rows      []EntryRow
	NextHref  string
	FirstHref string
	Pending   int64
	Bar       components.ListBar
}

// ActiveFilters are the ledger's filters in force, as chips read them.
func (f LedgerFilters) ActiveFilters() []components.ActiveFilter {
	account := f.Account
	if account != "" {
		account = "#" + account
	}
	return slices.Concat(
		components.Filter("account", "Account", account),
		components.OptionFilter("kind", "Kind", f.Kind, KindOptions),
		components.Filter("from", "From", f.From),
		components.Filter("to", "Until", f.To),
	)
}

// ---------------------------------------------------------------- account

// DepositRow is one deposit of an account.
type DepositRow struct {
	ID        int64
	PublicID  string
	Amount    string
	Provider  string // label
	Sandbox   bool
	Status    string
	Created   time.Time
	Closes    string    // "paid", "expired", "expires", "closed"; "" = open
	ClosesAt  time.Time // when it was paid, expired, closed or expires
	CanPay    bool
	CanCancel bool
}

// RequestRow is one adjustment request.
type RequestRow struct {
	ID          int64
	AccountID   int64
	AccountName string
	Kind        string // "Top-up" or "Adjustment"
	Amount      string
	Reason      string
	Status      string
	By          string
	When        time.Time
	DecidedBy   string // "bob@…"
	DecidedAt   time.Time
	Note        string
	Mine        bool // requested by the current user: they cannot decide it
}

// Account is an account's finance page.
type Account struct {
	ID        int64
	Name      string
	Email     string
	Status    string
	Balance   string
	Updated   time.Time // zero: no movement yet
	Limit     string
	CanCredit bool

	Entries   []EntryRow
	NextHref  string
	FirstHref string
	Deposits  []DepositRow
	Requests  []RequestRow  // pending ones
	Forecast  *ForecastView // nil: no products service wired
}

// ForecastView is an account's funds forecast: auto-renewals due against
// the balance.
type ForecastView struct {
	Windows  []ForecastWindowView // 30 and 90 days
	Items    []ForecastItemView   // soonest first, at most MaxForecastItems
	More     int                  // renewals not listed
	Unpriced int                  // items whose TLD or plan is no longer sold
}

// MaxForecastItems bounds the forecast's list of renewals.
const MaxForecastItems = 12

// ForecastWindowView is one window of the forecast.
type ForecastWindowView struct {
	Days     string // "30"
	Due      string // "$34.00"
	Renewals int
	Short    string // "$18.00"; "" covered
	Tone     string // green (covered), amber, red
}

// Verdict is the window's one-line answer.
func (w ForecastWindowView) Verdict() string {
	if w.Short == "" {
		return "Covered"
	}
	return "Short by " + w.Short
}

// ForecastItemView is one renewal of the forecast.
type ForecastItemView struct {
	Product string // Domain, VPS, Proxy
	Label   string
	Href    string
	Due     string // "Jan 2, 2027"
	Price   string
}

// Summary is the account page's Lumi tab.
type Summary struct {
	ID      int64
	Balance string
	Updated time.Time // zero: no movement yet
	Entries []EntryRow
	Pending int
}

// ---------------------------------------------------------------- approvals

// Approvals is the four-eyes queue.
type Approvals struct {
	Pending    []RequestRow
	Decided    []RequestRow
	CanApprove bool
	Limit      string
	// Bar counts the queue; the page has no filters, so no chips and no
	// saved views.
	Bar components.ListBar
}

// ---------------------------------------------------------------- actions

// Action is a money action's dialog (or page, without JavaScript).
type Action struct {
	Kind        string // topup, adjust, refund, deposit, pay, sandbox-pay, cancel, approve, reject
	AccountID   int64
	AccountName string
	Balance     string
	Limit       string
	CSRF        string
	// Target is the element a successful htmx post replaces.
	Target string

	EntryID   int64
	EntryText string // "Purchase #12 of $12.50 (domain #77)"
	Left      string // refundable amount left, shown: "$12.50"
	LeftInput string // the same as the amount field takes it: "12.50"
	LeftCents money.Cents
	DepositID int64
	Deposit   string // "dep_… · $25.00"
	Sandbox   bool
	// AwaitsApproval: the deposit is above the approval limit, so marking
	// it paid files a request for a second finance user.
	AwaitsApproval bool
	// Providers are the deposit providers offered (billing.DepositProviders).
	Providers []string
	RequestID int64
	Request   string // "Top-up of $600.00 for Nightfall"
	// Decided: the request was approved or rejected already; the form
	// says so and offers nothing to submit.
	Decided bool

	Amount    string
	Reason    string
	Provider  string
	Errors    map[string]string
	FormError string

	// The review step of a money action: the amount and the account named
	// once more before money moves (see handlers/billing review).
	Review  bool
	Sum     string // the amount as money, "$25.00"
	Confirm string // the amount confirmed, as posted back ("25.00")
	After   string // the balance after, as money; "" when it waits for approval
}

// providerLabels name the deposit providers in the form.
var providerLabels = map[string]string{
	"sandbox_crypto": "Sandbox crypto (test payments)",
	"cryptobot":      "Crypto Pay (@CryptoBot; a sandbox without CRYPTOPAY_TOKEN)",
	"manual":         "Manual (bank transfer, marked paid by finance)",
}

// ProviderOptions are the deposit form's providers (Action.Providers).
func (a Action) ProviderOptions() []components.Option {
	opts := make([]components.Option, len(a.Providers))
	for i, p := range a.Providers {
		opts[i] = components.Option{Value: p, Label: providerLabels[p]}
	}
	return opts
}

// actionPath is the GET path (under the account) of an action's form.
func actionPath(kind string) string {
	if kind == "deposit" {
		return "deposits/new"
	}
	return kind
}

// DialogID is the dialog element's id.
func (a Action) DialogID() string { return "billing-" + a.Kind + "-dialog" }

// Action is the form's POST URL.
func (a Action) Action() string {
	base := AccountHref(a.AccountID)
	switch a.Kind {
	case "refund":
		return base + "/refund?entry=" + idStr(a.EntryID)
	case "deposit":
		return base + "/deposits"
	case "pay", "sandbox-pay", "cancel":
		return base + "/deposits/" + idStr(a.DepositID) + "/" + a.Kind
	case "approve", "reject":
		return ApprovalsPath + "/" + idStr(a.RequestID) + "/" + a.Kind
	}
	return base + "/" + a.Kind
}

// BackHref is where Cancel leads.
func (a Action) BackHref() string {
	if a.Kind == "approve" || a.Kind == "reject" {
		return ApprovalsPath
	}
	return AccountHref(a.AccountID)
}

// Title is the dialog's title.
func (a Action) Title() string {
	if a.Decided {
		return "Request #" + idStr(a.RequestID) + " is decided"
	}
	if a.Review {
		switch a.Kind {
		case "topup":
			return "Top up " + a.AccountName + " by " + a.Sum + "?"
		case "adjust":
			return "Adjust the balance of " + a.AccountName + " by " + a.Sum + "?"
		case "refund":
			return "Refund " + a.Sum + " to " + a.AccountName + "?"
		}
	}
	switch a.Kind {
	case "topup":
		return "Top up " + a.AccountName
	case "adjust":
		return "Adjust the balance of " + a.AccountName
	case "refund":
		return "Refund " + a.EntryText
	case "deposit":
		return "New deposit for " + a.AccountName
	case "pay":
		return "Mark deposit " + a.Deposit + " paid"
	case "sandbox-pay":
		return "Pay deposit " + a.Deposit + " (sandbox)"
	case "cancel":
		return "Cancel deposit " + a.Deposit
	case "approve":
		return "Approve " + a.Sum + " for " + a.AccountName + "?"
	case "reject":
		return "Reject request #" + idStr(a.RequestID)
	}
	return ""
}

// Body explains what the action does.
func (a Action) Body() string {
	if a.Decided {
		return a.Request + "."
	}
	limit := "Amounts above " + a.Limit + " wait for a second finance user's approval."
	if a.Review {
		if a.After == "" {
			return a.Sum + " is above the approval limit of " + a.Limit + ": this files a request, and no money moves until a second finance user approves it."
		}
		return "Balance of " + a.AccountName + ": " + a.Balance + " now, " + a.After + " after. Check the amount: this moves money at once."
	}
	switch a.Kind {
	case "topup":
		return "Credits money received outside a provider (a bank transfer) to " + a.AccountName + " (balance " + a.Balance + "). " + limit
	case "adjust":
		return "Corrects the balance of " + a.AccountName + " (now " + a.Balance + ") by a positive or negative amount. " + limit
	case "refund":
		return "Credits back to " + a.AccountName + " at most " + a.Left + ", what is left of this entry after earlier refunds. Leave the amount empty to refund all of it."
	case "deposit":
		return "Opens a pending top-up invoice. No money moves until it is paid."
	case "pay":
		if a.AwaitsApproval {
			return a.Deposit + " is above the approval limit of " + a.Limit + ": marking it paid files a request, and nothing is credited to " +
				a.AccountName + " until a second finance user approves it. Do this only when the payment has arrived."
		}
		return "Credits " + a.Deposit + " to " + a.AccountName + " now. Do this only when the payment has arrived."
	case "sandbox-pay":
		return "Sends the sandbox provider's signed payment webhook for " + a.Deposit + " to this server, which credits " + a.AccountName + ". Sandbox deposits are test money."
	case "cancel":
		return "Closes " + a.Deposit + " without payment. It can no longer be paid."
	case "approve":
		return a.Request + ". Approving moves the money now, once: the balance of " + a.AccountName + " is " + a.Balance + " now, " + a.After + " after."
	case "reject":
		return a.Request + ". Rejecting closes it; no money moves."
	}
	return ""
}

// Submit is the submit button's label.
func (a Action) Submit() string {
	if a.Review {
		switch a.Kind {
		case "topup":
			if a.After == "" {
				return "Request top-up of " + a.Sum
			}
			return "Top up " + a.Sum
		case "adjust":
			if a.After == "" {
				return "Request adjustment by " + a.Sum
			}
			return "Adjust by " + a.Sum
		case "refund":
			return "Refund " + a.Sum
		}
	}
	switch a.Kind {
	case "topup":
		return "Review top-up"
	case "adjust":
		return "Review adjustment"
	case "refund":
		return "Review refund"
	case "deposit":
		return "Create deposit"
	case "pay":
		if a.AwaitsApproval {
			return "Request approval"
		}
		return "Mark paid"
	case "sandbox-pay":
		return "Send sandbox payment"
	case "cancel":
		return "Cancel deposit"
	case "approve":
		return "Approve " + a.Sum
	case "reject":
		return "Reject"
	}
	return "Confirm"
}

// Danger: red is kept for what cannot be undone. Money actions (top up,
// adjust, refund, mark paid, approve) are primary and confirmed with the
// amount and the account named; a reject moves nothing. Cancelling a
// deposit closes it for good.
func (a Action) Danger() bool { return a.Kind == "cancel" }

// HasAmount reports whether the form asks for an amount.
func (a Action) HasAmount() bool {
	return a.Kind == "topup" || a.Kind == "adjust" || a.Kind == "refund" || a.Kind == "deposit"
}

// ReasonRequired reports whether the reason must be given.
func (a Action) ReasonRequired() bool {
	switch a.Kind {
	case "deposit", "sandbox-pay", "approve":
		return false
	}
	return true
}

// ReasonLabel names the reason field.
func (a Action) ReasonLabel() string {
	switch a.Kind {
	case "deposit":
		return "Note"
	case "approve":
		return "Approval note"
	}
	return "Reason"
}

// ReasonName is the reason field's form name.
func (a Action) ReasonName() string {
	if a.Kind == "deposit" {
		return "note"
	}
	return "reason"
}

// AmountPlaceholder is the amount field's example value.
func (a Action) AmountPlaceholder() string {
	if a.Kind == "refund" && a.LeftInput != "" {
		return a.LeftInput
	}
	return "10.00"
}

// AmountHint explains the amount field.
func (a Action) AmountHint() string {
	switch a.Kind {
	case "adjust":
		return "USD, like 10.00 or -10.00."
	case "refund":
		return "USD, at most " + a.Left + ". Empty: all of it."
	}
	return "USD, like 10.00."
}

func renewalsText(n int) string {
	if n == 1 {
		return "1 renewal"
	}
	return strconv.Itoa(n) + " renewals"
}

func itemsText(n int) string {
	if n == 1 {
		return "1 item"
	}
	return strconv.Itoa(n) + " items"
}
