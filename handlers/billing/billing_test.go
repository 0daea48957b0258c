package billing_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"
	"github.com/google/go-cmp/cmp"
	"github.com/jackc/pgx/v5/pgxpool"

	"lumdesk/handlers/server"
	"lumdesk/handlers/server/servertest"
	"lumdesk/internal/accounts"
	"lumdesk/internal/audit"
	"lumdesk/internal/billing"
	"lumdesk/internal/platform/config"
	"lumdesk/internal/platform/db"
	"lumdesk/internal/platform/money"
	"lumdesk/internal/platform/secretbox"
	"lumdesk/internal/platform/testdb"
)

var billCLI = audit.CLI("billing test")

func billAccount(t *testing.T, env *servertest.Env, name, email string) accounts.Account {
	t.Helper()
	a, err := env.Accounts.Create(context.Background(), billCLI, accounts.CreateInput{Name: name, Email: email})
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func billPath(id int64, suffix string) string {
	return "/lumi/accounts/" + strconv.FormatInt(id, 10) + suffix
}

func billBalance(t *testing.T, env *servertest.Env, id int64) money.Cents {
	t.Helper()
	b, err := env.Billing.Balance(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return b.Amount
}

func billEntries(t *testing.T, env *servertest.Env) int {
	t.Helper()
	var n int
	if err := env.DB.Pool.QueryRow(context.Background(), `SELECT count(*) FROM ledger_entries`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestBillingTopUpBelowTheLimitAndFourEyesAboveIt(t *testing.T) {
	t.Parallel()
	env := servertest.New(t)
	acc := billAccount(t, env, "Nightfall Studios", "ops@nightfall.gg")
	alice, bob := env.As("finance"), env.As("finance")

	// The first post only reads the amount back with the account; nothing moves.
	r := alice.PostForm(billPath(acc.ID, "/topup"), url.Values{"amount": {"100"}, "reason": {"Wire 4411"}})
	if r.Status != http.StatusOK || r.Text(`[data-testid="review-amount"]`) != "$100.00" || r.Text(`[data-testid="review-after"]`) != "$100.00" ||
		!strings.Contains(r.Text("h1"), "Top up Nightfall Studios by $100.00?") || r.Doc.Find(`input[name=confirm_amount]`).AttrOr("value", "") != "100.00" {
		t.Fatalf("top-up review: %d %q", r.Status, r.Text("main"))
	}
	if got := billBalance(t, env, acc.ID); got != 0 {
		t.Fatalf("the review moved money: balance %s", got)
	}
	// A confirmation of another amount is reviewed again, not applied.
	r = alice.PostForm(billPath(acc.ID, "/topup"), url.Values{"amount": {"1000.00"}, "reason": {"Wire 4411"}, "confirm_amount": {"100.00"}})
	if r.Status != http.StatusOK || r.Text(`[data-testid="review-amount"]`) != "$1,000.00" || billBalance(t, env, acc.ID) != 0 {
		t.Fatalf("changed amount: %d %q", r.Status, r.Text(`[data-testid="review-amount"]`))
	}

	// Below the limit, confirmed: a plain POST moves the money and redirects.
	r = alice.PostForm(billPath(acc.ID, "/topup"), url.Values{"amount": {"100.00"}, "reason": {"Wire 4411"}, "confirm_amount": {"100.00"}})
	if r.Status != http.StatusSeeOther || r.Header.Get("Location") != billPath(acc.ID, "") {
		t.Fatalf("top-up: %d %s", r.Status, r.Text("main"))
	}
	if got := billBalance(t, env, acc.ID); got != 100_00 {
		t.Fatalf("balance = %s", got)
	}
	page := alice.Get(billPath(acc.ID, ""))
	if !strings.Contains(page.Text(`[data-toast]`), "Credited $100.00 to Nightfall Studios") || page.Text(`[data-testid="account-balance"]`) != "$100.00" {
		t.Fatalf("account page after top-up: toast %q, balance %q", page.Text(`[data-toast]`), page.Text(`[data-testid="account-balance"]`))
	}
	if got := page.Text(`[data-testid="ledger-row"] [data-testid="entry-reason"]`); got != "Wire 4411" {
		t.Fatalf("ledger reason %q", got)
	}

	// With htmx: the new panel and a toast, no redirect.
	r = alice.HTMX("POST", billPath(acc.ID, "/topup"), url.Values{"amount": {"5"}, "reason": {"Wire 4412"}, "confirm_amount": {"5.00"}})
	if r.Status != 200 || r.Text(`#billing-account [data-testid="account-balance"]`) != "$105.00" || !strings.Contains(r.Text(`[data-toast]`), "Credited $5.00") {
		t.Fatalf("htmx top-up: %d %q", r.Status, r.Text("body"))
	}

	// Above the limit: a pending request, no money.
	r = alice.PostForm(billPath(acc.ID, "/topup"), url.Values{"amount": {"600.00"}, "reason": {"Quarterly prepayment"}, "confirm_amount": {"600.00"}})
	if r.Status != http.StatusSeeOther {
		t.Fatalf("large top-up: %d", r.Status)
	}
	if got := billBalance(t, env, acc.ID); got != 105_00 {
		t.Fatalf("money moved before approval: %s", got)
	}
	pending, err := env.Billing.PendingRequests(context.Background(), 0, 10)
	if err != nil || len(pending) != 1 {
		t.Fatalf("pending: %+v, %v", pending, err)
	}
	req := pending[0]
	page = alice.Get(billPath(acc.ID, ""))
	if !strings.Contains(page.Text(`[data-toast]`), "request #"+strconv.FormatInt(req.ID, 10)+" waits for a second finance user") || !page.Has(`[data-testid="account-request"]`) {
		t.Fatalf("pending toast/list: %q", page.Text(`[data-toast]`))
	}

	// The requester sees it as theirs and cannot approve it.
	q := alice.Get("/lumi/approvals")
	if !q.Has(`[data-testid="pending-request"] [data-testid="own-request"]`) || q.Has(`[data-testid="approve-request"]`) {
		t.Fatalf("requester's queue: %s", q.Text(`[data-testid="approvals"]`))
	}
	approve := "/lumi/approvals/" + strconv.FormatInt(req.ID, 10) + "/approve"
	r = alice.PostForm(approve, url.Values{})
	if r.Status != http.StatusForbidden || !strings.Contains(r.Text(`[data-testid="form-error"]`), "second finance user") {
		t.Fatalf("self-approval: %d %q", r.Status, r.Text("main"))
	}
	// Bob approves: applied once; a second approval is refused.
	if q := bob.Get("/lumi/approvals"); !q.Has(`[data-testid="approve-request"]`) {
		t.Fatal("the second finance user has no approve button")
	}
	// The approve dialog shows the balance now and after, as the top-up's
	// review does.
	if d := bob.HTMX("GET", approve, nil); !strings.Contains(d.Text("dialog"), "is $105.00 now, $705.00 after") {
		t.Errorf("approve dialog: %q", d.Text("dialog"))
	}
	r = bob.PostForm(approve, url.Values{"reason": {"Checked the wire"}})
	if r.Status != http.StatusSeeOther || r.Header.Get("Location") != "/lumi/approvals" {
		t.Fatalf("approve: %d %q", r.Status, r.Text("main"))
	}
	r = bob.HTMX("POST", approve, url.Values{})
	if r.Status != 200 || !strings.Contains(r.Text(`[data-testid="form-error"]`), "already decided") || r.Header.Get("HX-Retarget") != "#dialog-host" {
		t.Fatalf("double approve: %d %q", r.Status, r.Text("body"))
	}
	// Decided, the request's forms say so and offer nothing to submit: no
	// button, no reason to type, no balance "after".
	for _, form := range []string{approve, strings.Replace(approve, "/approve", "/reject", 1)} {
		d := bob.HTMX("GET", form, nil)
		if !strings.Contains(d.Text(`[data-testid="form-error"]`), "already decided") || d.Has(`dialog button[type="submit"]`) ||
			!strings.HasSuffix(d.Text(`dialog .dialog-title`), "is decided") ||
			d.Has(`dialog textarea`) || strings.Contains(d.Text("dialog"), "after") {
			t.Errorf("%s, decided, as a dialog: %q", form, d.Text("dialog"))
		}
		p := bob.Get(form)
		if p.Has(`[data-testid="action-submit"]`) || p.Has(`[data-testid="action-page"] textarea`) || !p.Has(`[data-testid="action-page"] a.btn`) {
			t.Errorf("%s, decided, as a page: %q", form, p.Text(`[data-testid="action-page"]`))
		}
	}
	if got := billBalance(t, env, acc.ID); got != 705_00 {
		t.Fatalf("balance after approval = %s", got)
	}
	q = bob.Get("/lumi/approvals")
	if !q.Has(`[data-testid="empty-pending"]`) || !strings.Contains(q.Text(`[data-testid="decided-request"]`), "Checked the wire") {
		t.Fatalf("queue after approval: %s", q.Text(`[data-testid="approvals"]`))
	}
	for action, want := range map[string]int{"balance.topup": 2, "balance.adjustment_request": 1, "balance.adjustment_approve": 1} {
		if n := env.AuditCount(action, strconv.FormatInt(acc.ID, 10)); n != want {
			t.Errorf("audit %s: %d, want %d", action, n, want)
		}
	}
	if n := billEntries(t, env); n != 3 {
		t.Fatalf("%d ledger entries, want 3", n)
	}

	// A rejection moves nothing.
	r = alice.PostForm(billPath(acc.ID, "/adjust"), url.Values{"amount": {"-650"}, "reason": {"Chargeback"}, "confirm_amount": {"-650.00"}})
	if r.Status != http.StatusSeeOther {
		t.Fatalf("large adjustment: %d", r.Status)
	}
	pending, _ = env.Billing.PendingRequests(context.Background(), 0, 10)
	reject := "/lumi/approvals/" + strconv.FormatInt(pending[0].ID, 10) + "/reject"
	if r := bob.PostForm(reject, url.Values{}); r.Status != http.StatusUnprocessableEntity || !r.Has(`.field-error`) {
		t.Fatalf("reject without reason: %d", r.Status)
	}
	if r := bob.HTMX("POST", reject, url.Values{"reason": {"Not a chargeback"}}); r.Status != 200 || !strings.Contains(r.Text(`[data-toast]`), "rejected") {
		t.Fatalf("reject: %d %q", r.Status, r.Text("body"))
	}
	if got := billBalance(t, env, acc.ID); got != 705_00 {
		t.Fatalf("balance after rejection = %s", got)
	}
}

func TestBillingSupportCannotMoveMoney(t *testing.T) {
	t.Parallel()
	env := servertest.New(t)
	ctx := context.Background()
	acc := billAccount(t, env, "Bluebird Hosting", "billing@bluebird.host")
	out, err := env.Billing.ManualTopUp(ctx, billCLI, billing.ManualInput{AccountID: acc.ID, Amount: "50", Reason: "seed"})
	if err != nil {
		t.Fatal(err)
	}
	buy, err := env.Billing.Debit(ctx, billCLI, billing.DebitInput{AccountID: acc.ID, Amount: 10_00, Kind: billing.KindPurchase, CauseType: "vps", CauseID: "1"})
	if err != nil {
		t.Fatal(err)
	}
	dep, err := env.Billing.CreateDeposit(ctx, billCLI, billing.DepositInput{AccountID: acc.ID, Amount: "20", Provider: billing.ProviderSandboxCrypto})
	if err != nil {
		t.Fatal(err)
	}
	big, err := env.Billing.Adjust(ctx, billCLI, billing.ManualInput{AccountID: acc.ID, Amount: "900", Reason: "seed"})
	if err != nil {
		t.Fatal(err)
	}
	support := env.As("support")
	// Support sees the desk but not the money buttons.
	page := support.Get(billPath(acc.ID, ""))
	if page.Status != 200 || page.Has(`[data-testid="action-topup"]`) || page.Has(`[data-testid="refund-entry"]`) || page.Has(`[data-testid="deposit-sandbox-pay"]`) {
		t.Fatalf("support's account page: %d", page.Status)
	}
	if q := support.Get("/lumi/approvals"); q.Status != 200 || q.Has(`[data-testid="approve-request"]`) {
		t.Fatalf("support's approvals page: %d", q.Status)
	}
	dp := billPath(acc.ID, "/deposits/"+strconv.FormatInt(dep.ID, 10))
	rq := "/lumi/approvals/" + strconv.FormatInt(big.Request.ID, 10)
	form := url.Values{"amount": {"5"}, "reason": {"r"}, "provider": {"manual"}}
	for _, p := range []string{billPath(acc.ID, "/topup"), billPath(acc.ID, "/adjust"), billPath(acc.ID, "/refund?entry="+strconv.FormatInt(buy.ID, 10)),
		billPath(acc.ID, "/deposits"), dp + "/pay", dp + "/sandbox-pay", dp + "/cancel", rq + "/approve", rq + "/reject"} {
		if r := support.PostForm(p, form); r.Status != http.StatusForbidden {
			t.Errorf("POST %s as support: %d, want 403", p, r.Status)
		}
		if r := support.HTMX("POST", p, form); r.Status != http.StatusForbidden {
			t.Errorf("htmx POST %s as support: %d, want 403", p, r.Status)
		}
	}
	for _, p := range []string{billPath(acc.ID, "/topup"), billPath(acc.ID, "/deposits/new"), dp + "/pay", rq + "/approve"} {
		if r := support.Get(p); r.Status != http.StatusForbidden {
			t.Errorf("GET %s as support: %d, want 403", p, r.Status)
		}
	}
	if got := billBalance(t, env, acc.ID); got != 40_00 {
		t.Fatalf("balance = %s, want 40.00", got)
	}
	if n := billEntries(t, env); n != 2 {
		t.Fatalf("%d ledger entries, want 2", n)
	}
	_ = out
}

func TestBillingBadInputIsAFormMessage(t *testing.T) {
	t.Parallel()
	env := servertest.New(t)
	ctx := context.Background()
	acc := billAccount(t, env, "Kestrel Labs", "team@kestrel.dev")
	other := billAccount(t, env, "Other", "other@example.com")
	fin := env.As("finance")
	if _, err := env.Billing.ManualTopUp(ctx, billCLI, billing.ManualInput{AccountID: acc.ID, Amount: "20", Reason: "seed"}); err != nil {
		t.Fatal(err)
	}
	buy, err := env.Billing.Debit(ctx, billCLI, billing.DebitInput{AccountID: acc.ID, Amount: 5_00, Kind: billing.KindPurchase, CauseType: "domain", CauseID: "kestrel.dev"})
	if err != nil {
		t.Fatal(err)
	}
	before := billEntries(t, env)
	refund := billPath(acc.ID, "/refund?entry="+strconv.FormatInt(buy.ID, 10))
	for _, tc := range []struct {
		path   string
		form   url.Values
		status int
		field  string // the field with a message, or "" for the form's message
	}{
		{billPath(acc.ID, "/topup"), url.Values{"amount": {""}, "reason": {"r"}}, 422, "amount"},
		{billPath(acc.ID, "/topup"), url.Values{"amount": {"0"}, "reason": {"r"}}, 422, "amount"},
		{billPath(acc.ID, "/topup"), url.Values{"amount": {"-5"}, "reason": {"r"}}, 422, "amount"},
		{billPath(acc.ID, "/topup"), url.Values{"amount": {"ten dollars"}, "reason": {"r"}}, 422, "amount"},
		{billPath(acc.ID, "/topup"), url.Values{"amount": {"1e3"}, "reason": {"r"}}, 422, "amount"},
		{billPath(acc.ID, "/topup"), url.Values{"amount": {"5.001"}, "reason": {"r"}}, 422, "amount"},
		{billPath(acc.ID, "/topup"), url.Values{"amount": {strings.Repeat("9", 40)}, "reason": {"r"}}, 422, "amount"},
		{billPath(acc.ID, "/topup"), url.Values{"amount": {"5"}}, 422, "reason"},
		{billPath(acc.ID, "/topup"), url.Values{"amount": {"5"}, "reason": {strings.Repeat("x", 501)}}, 422, "reason"},
		{billPath(acc.ID, "/adjust"), url.Values{"amount": {"0.00"}, "reason": {"r"}}, 422, "amount"},
		{billPath(acc.ID, "/adjust"), url.Values{"amount": {"-100"}, "reason": {"r"}}, 422, ""}, // more than the balance
		{refund, url.Values{"amount": {"abc"}, "reason": {"r"}}, 422, "amount"},
		{refund, url.Values{"amount": {"5.01"}, "reason": {"r"}}, 422, ""},
		{refund, url.Values{"amount": {"1"}}, 422, "reason"},
		{billPath(acc.ID, "/deposits"), url.Values{"amount": {"5"}, "provider": {"paypal"}}, 422, "provider"},
		{billPath(acc.ID, "/deposits"), url.Values{"amount": {"-5"}, "provider": {"manual"}}, 422, "amount"},
	} {
		r := fin.PostForm(tc.path, tc.form)
		sel := `[data-testid="form-error"]`
		if tc.field != "" {
			sel = `#f-` + tc.field + `-msg.field-error`
		}
		if r.Status != tc.status || r.Text(sel) == "" {
			t.Errorf("POST %s %v: %d, message %q; want %d and a message at %s", tc.path, tc.form, r.Status, r.Text(sel), tc.status, sel)
		}
		if r.Status == 422 && tc.form.Get("amount") != "" && r.Doc.Find(`input[name=amount]`).AttrOr("value", "") != tc.form.Get("amount") {
			t.Errorf("POST %s: the form lost the typed amount", tc.path)
		}
	}
	// With htmx the dialog comes back with its messages (htmx swaps only 2xx).
	r := fin.HTMX("POST", billPath(acc.ID, "/topup"), url.Values{"amount": {"zero"}, "reason": {""}})
	if r.Status != 200 || r.Header.Get("HX-Retarget") != "#dialog-host" || !r.Has(`dialog #f-amount-msg`) || !r.Has(`dialog #f-reason-msg`) {
		t.Fatalf("htmx bad input: %d %q", r.Status, r.Header.Get("HX-Retarget"))
	}
	// Unknown accounts, entries and deposits are 404s.
	for _, p := range []string{billPath(999999, "/topup"), billPath(other.ID, "/refund?entry="+strconv.FormatInt(buy.ID, 10)),
		billPath(acc.ID, "/refund?entry=abc"), billPath(acc.ID, "/deposits/999/pay")} {
		if r := fin.PostForm(p, url.Values{"amount": {"5"}, "reason": {"r"}}); r.Status != http.StatusNotFound {
			t.Errorf("POST %s: %d, want 404", p, r.Status)
		}
	}
	if r := fin.Get(billPath(999999, "")); r.Status != http.StatusNotFound {
		t.Errorf("unknown account page: %d", r.Status)
	}
	if n := billEntries(t, env); n != before {
		t.Fatalf("refused input wrote %d entries", n-before)
	}
	// Bad list filters are reported, not fatal.
	if r := fin.Get("/lumi/ledger?kind=gift&from=yesterday&account=x"); r.Status != 422 || !r.Has(`[data-testid="filter-errors"]`) || !r.Has(`[data-testid="ledger-row"]`) {
		t.Fatalf("bad ledger filters: %d", r.Status)
	}
	if r := fin.Get("/lumi?below=-3&sort=sideways&cursor=junk"); r.Status != 422 || !r.Has(`[data-testid="balance-row"]`) {
		t.Fatalf("bad desk filters: %d", r.Status)
	}
}

// A ledger longer than its page shows the page, and its count follows by the
// page's own URL; a page that holds every entry counts itself.
func TestLedgerCountFollowsThePage(t *testing.T) {
	t.Parallel()
	env := servertest.New(t)
	ctx := context.Background()
	acc := billAccount(t, env, "Atlas Domains", "registrar@atlasdomains.io")
	other := billAccount(t, env, "Harbor Pixels", "ops@harborpixels.test")
	for i := range billing.DefaultLimit + 2 {
		if _, err := env.Billing.ManualTopUp(ctx, billCLI, billing.ManualInput{AccountID: acc.ID, Amount: "1", Reason: "seed " + strconv.Itoa(i)}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := env.Billing.ManualTopUp(ctx, billCLI, billing.ManualInput{AccountID: other.ID, Amount: "5", Reason: "seed"}); err != nil {
		t.Fatal(err)
	}
	fin := env.As("finance")
	count := func(path string) string { return fin.Count(path).Text(`[data-testid="result-count"]`) }
	path := "/lumi/ledger?account=" + strconv.FormatInt(acc.ID, 10)
	r := fin.Get(path)
	from := r.PendingCount()
	if r.Status != http.StatusOK || from != path {
		t.Fatalf("ledger: %d, deferred count from %q", r.Status, from)
	}
	want := strconv.Itoa(billing.DefaultLimit+2) + " entries"
	if got := count(from); got != want {
		t.Errorf("count = %q, want %s", got, want)
	}
	next := r.Doc.Find(`a[rel="next"]`).AttrOr("href", "")
	if got := count(next); next == "" || got != want {
		t.Errorf("count from the next page %q = %q", next, got)
	}
	if r := fin.Get("/lumi/ledger?account=" + strconv.FormatInt(other.ID, 10)); r.Text(`[data-testid="result-count"]`) != "1 entry" || r.Has(`[data-pending]`) {
		t.Errorf("one page's count = %q", r.Text(`[data-testid="result-count"]`))
	}
	// The balances desk, one page and then more than one.
	if r := fin.Get("/lumi"); r.Text(`[data-testid="result-count"]`) != "2 balances" || r.Has(`[data-pending]`) {
		t.Errorf("desk's count = %q", r.Text(`[data-testid="result-count"]`))
	}
	for i := range billing.DefaultLimit - 1 {
		a := billAccount(t, env, "Shop "+strconv.Itoa(i), "shop"+strconv.Itoa(i)+"@example.com")
		if _, err := env.Billing.ManualTopUp(ctx, billCLI, billing.ManualInput{AccountID: a.ID, Amount: "2", Reason: "seed"}); err != nil {
			t.Fatal(err)
		}
	}
	desk := fin.Get("/lumi")
	if got := count(desk.PendingCount()); desk.PendingCount() != "/lumi" || got != strconv.Itoa(billing.DefaultLimit+1)+" balances" {
		t.Errorf("desk's count from %q = %q", desk.PendingCount(), got)
	}
}

func TestBillingRefundDepositsAndLedgerPages(t *testing.T) {
	t.Parallel()
	env := servertest.New(t)
	ctx := context.Background()
	acc := billAccount(t, env, "Atlas Domains", "registrar@atlasdomains.io")
	low := billAccount(t, env, "=HYPERLINK(\"x\")", "low@example.com")
	fin := env.As("finance")
	if _, err := env.Billing.ManualTopUp(ctx, billCLI, billing.ManualInput{AccountID: acc.ID, Amount: "100", Reason: "seed"}); err != nil {
		t.Fatal(err)
	}
	if _, err := env.Billing.ManualTopUp(ctx, billCLI, billing.ManualInput{AccountID: low.ID, Amount: "3", Reason: "-1+1"}); err != nil {
		t.Fatal(err)
	}
	buy, err := env.Billing.Debit(ctx, billCLI, billing.DebitInput{AccountID: acc.ID, Amount: 12_99, Kind: billing.KindPurchase, CauseType: "domain", CauseID: "atlas.gg"})
	if err != nil {
		t.Fatal(err)
	}
	// Refund part of it, then the rest (empty amount).
	refund := billPath(acc.ID, "/refund?entry="+strconv.FormatInt(buy.ID, 10))
	if d := fin.HTMX("GET", refund, nil); d.Status != 200 || !d.Has(`dialog#billing-refund-dialog`) || !strings.Contains(d.Text("dialog"), "at most $12.99") {
		t.Fatalf("refund dialog: %d %q", d.Status, d.Text("dialog"))
	}
	if r := fin.PostForm(refund, url.Values{"amount": {"2.99"}, "reason": {"Partial"}, "confirm_amount": {"2.99"}}); r.Status != http.StatusSeeOther {
		t.Fatalf("refund: %d %s", r.Status, r.Text("main"))
	}
	if r := fin.PostForm(refund, url.Values{"reason": {"The rest"}, "confirm_amount": {"10.00"}}); r.Status != http.StatusSeeOther {
		t.Fatalf("refund the rest: %d %s", r.Status, r.Text("main"))
	}
	if got := billBalance(t, env, acc.ID); got != 100_00 {
		t.Fatalf("balance after refunds = %s", got)
	}
	// Deposits: create (manual), mark paid, cancel another.
	if r := fin.PostForm(billPath(acc.ID, "/deposits"), url.Values{"amount": {"40"}, "provider": {"manual"}, "note": {"Invoice 7"}}); r.Status != http.StatusSeeOther {
		t.Fatalf("create deposit: %d %s", r.Status, r.Text("main"))
	}
	deps, _ := env.Billing.Deposits(ctx, acc.ID, 0, 10)
	dp := billPath(acc.ID, "/deposits/"+strconv.FormatInt(deps[0].ID, 10))
	if r := fin.PostForm(dp+"/pay", url.Values{"reason": {"Bank statement line 12"}}); r.Status != http.StatusSeeOther {
		t.Fatalf("mark paid: %d %s", r.Status, r.Text("main"))
	}
	if r := fin.PostForm(dp+"/pay", url.Values{"reason": {"again"}}); r.Status != http.StatusConflict || !strings.Contains(r.Text(`[data-testid="form-error"]`), "no longer pending") {
		t.Fatalf("mark paid twice: %d", r.Status)
	}
	if r := fin.PostForm(dp+"/cancel", url.Values{"reason": {"late"}}); r.Status != http.StatusConflict {
		t.Fatalf("cancel a paid deposit: %d", r.Status)
	}
	if got := billBalance(t, env, acc.ID); got != 140_00 {
		t.Fatalf("balance after the deposit = %s", got)
	}
	page := fin.Get(billPath(acc.ID, ""))
	if got := page.Doc.Find(`[data-testid="deposit-row"]`).First().AttrOr("data-status", ""); got != "paid" {
		t.Fatalf("deposit row status %q", got)
	}
	var balances []string
	page.Doc.Find(`[data-testid="ledger-row"] [data-testid="entry-balance"]`).Each(func(_ int, s *goquery.Selection) {
		balances = append(balances, strings.TrimSpace(s.Text()))
	})
	if diff := cmp.Diff([]string{"$140.00", "$100.00", "$90.00", "$87.01", "$100.00"}, balances); diff != "" {
		t.Fatalf("running balance (-want +got):\n%s", diff)
	}

	// The desk: check status, low-balance filter, search.
	desk := fin.Get("/lumi")
	if desk.Status != 200 || !strings.Contains(desk.Text(`[data-testid="verify-status"]`), "All 2 balances match their ledgers") {
		t.Fatalf("desk: %d %q", desk.Status, desk.Text(`[data-testid="verify-status"]`))
	}
	if got := desk.Doc.Find(`[data-testid="balance-row"]`).Length(); got != 2 {
		t.Fatalf("%d balance rows", got)
	}
	if r := fin.Get("/lumi?below=10.00"); r.Doc.Find(`[data-testid="balance-row"]`).Length() != 1 || r.Doc.Find(`[data-testid="balance-row"]`).AttrOr("data-id", "") != strconv.FormatInt(low.ID, 10) {
		t.Fatalf("low-balance filter: %q", r.Text(`[data-testid="balances-results"]`))
	}
	if r := fin.HTMX("GET", "/lumi?q=atlas", nil); r.Doc.Find(`[data-testid="balance-row"]`).Length() != 1 {
		t.Fatalf("search: %q", r.Text("body"))
	}
	if r := fin.Get("/lumi?q=nomatch"); !r.Has(`[data-testid="empty-filtered"]`) {
		t.Fatal("no filtered empty state")
	}

	// The ledger across accounts, filtered, and its CSV.
	led := fin.Get("/lumi/ledger?kind=refund")
	if got := led.Doc.Find(`[data-testid="ledger-row"]`).Length(); got != 2 {
		t.Fatalf("refund filter: %d rows", got)
	}
	// The header counts the filtered ledger and names the filter in a chip.
	if got := led.Text(`[data-testid="result-count"]`); got != "2 entries" {
		t.Errorf("ledger count = %q", got)
	}
	if chip := led.Text(`[data-testid="filter-chip"][data-param="kind"]`); !strings.Contains(chip, "Refunds") {
		t.Errorf("kind chip reads %q", chip)
	}
	// The filter bar swaps the results; the export link follows the filter.
	frag := fin.Do(http.MethodGet, "/lumi/ledger?kind=refund", nil, http.Header{"HX-Request": {"true"}, "HX-Target": {"ledger-results"}})
	if href := frag.Doc.Find(`#export-link[hx-swap-oob]`).AttrOr("href", ""); href != "/lumi/ledger/export.csv?kind=refund" || frag.Doc.Find(`[data-testid="ledger-row"]`).Length() != 2 {
		t.Errorf("the filter bar's answer: export link %q, %d rows", href, frag.Doc.Find(`[data-testid="ledger-row"]`).Length())
	}
	if r := fin.Get("/lumi?q=atlas"); r.Text(`[data-testid="result-count"]`) != "1 balance" {
		t.Errorf("balances count = %q", r.Text(`[data-testid="result-count"]`))
	}
	r := fin.Get("/lumi/ledger/export.csv?account=" + strconv.FormatInt(low.ID, 10))
	if r.Status != 200 || !strings.HasPrefix(r.Header.Get("Content-Type"), "text/csv") {
		t.Fatalf("export: %d %s", r.Status, r.Header.Get("Content-Type"))
	}
	rows, err := csv.NewReader(strings.NewReader(r.Body)).ReadAll()
	if err != nil || len(rows) != 2 {
		t.Fatalf("csv: %v %q", err, r.Body)
	}
	rec := map[string]string{}
	for i, h := range rows[0] {
		rec[h] = rows[1][i]
	}
	want := map[string]string{"account_name": "'=HYPERLINK(\"x\")", "amount": "3.00", "balance_after": "3.00", "kind": "deposit", "reason": "'-1+1", "actor_kind": "cli"}
	for k, v := range want {
		if rec[k] != v {
			t.Errorf("csv %s = %q, want %q", k, rec[k], v)
		}
	}
	if r := fin.Get("/lumi/ledger/export.csv?kind=gift"); r.Status != 422 {
		t.Errorf("export with a bad filter: %d", r.Status)
	}

	// The account page's Lumi tab.
	tab := fin.HTMX("GET", billPath(acc.ID, "/summary"), nil)
	if tab.Status != 200 || tab.Text(`[data-testid="summary-balance"]`) != "$140.00" || tab.Doc.Find(`[data-testid="ledger-row"]`).Length() != 5 {
		t.Fatalf("summary: %d %q", tab.Status, tab.Text("body"))
	}
	if acct := fin.Get("/accounts/" + strconv.FormatInt(acc.ID, 10) + "?tab=lumi"); !acct.Has(`[data-testid="lumi-tab"][hx-get="` + billPath(acc.ID, "/summary") + `"]`) {
		t.Fatal("the account page's Lumi tab does not load the summary")
	}

	// A balance changed behind the ledger's back turns the status red.
	if _, err := env.DB.Pool.Exec(ctx, `UPDATE balances SET balance_cents = 1 WHERE account_id = $1`, low.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := env.Billing.Verify(ctx); err != nil {
		t.Fatal(err)
	}
	desk = fin.Get("/lumi")
	if desk.Doc.Find(`[data-testid="verify-status"]`).AttrOr("data-ok", "") != "false" || !strings.Contains(desk.Text(`[data-testid="verify-problems"]`), "balance 0.01 but the ledger sums to 3.00") {
		t.Fatalf("verify status after tampering: %q", desk.Text(`[data-testid="verify-status"]`))
	}
	before := billBalance(t, env, acc.ID)
	// Above the approval limit, marking a deposit paid files a request: the
	// dialog says so, and the balance waits for a second finance user.
	if r := fin.PostForm(billPath(acc.ID, "/deposits"), url.Values{"amount": {"900000"}, "provider": {"manual"}, "note": {"Invoice 8"}}); r.Status != http.StatusSeeOther {
		t.Fatalf("create a large deposit: %d %s", r.Status, r.Text("main"))
	}
	deps, _ = env.Billing.Deposits(ctx, acc.ID, 0, 10)
	big := billPath(acc.ID, "/deposits/"+strconv.FormatInt(deps[0].ID, 10))
	if d := fin.HTMX("GET", big+"/pay", nil); !strings.Contains(d.Text("dialog"), "second finance user approves it") || !strings.Contains(d.Text("dialog button[type=submit]"), "Request approval") {
		t.Errorf("pay dialog above the limit: %q", d.Text("dialog"))
	}
	if r := fin.PostForm(big+"/pay", url.Values{"reason": {"Bank statement line 13"}}); r.Status != http.StatusSeeOther {
		t.Fatalf("mark a large deposit paid: %d %s", r.Status, r.Text("main"))
	}
	if page := fin.Get(billPath(acc.ID, "")); !strings.Contains(page.Text(`[data-toast]`), "waits for a second finance user") {
		t.Errorf("toast after marking a large deposit paid: %q", page.Text(`[data-toast]`))
	}
	if got := billBalance(t, env, acc.ID); got != before {
		t.Fatalf("a large deposit marked paid by one person moved money: %s", got)
	}
	if r := fin.PostForm(big+"/pay", url.Values{"reason": {"again"}}); r.Status != http.StatusConflict || !strings.Contains(r.Text(`[data-testid="form-error"]`), "waits for a second") {
		t.Errorf("mark a waiting deposit paid again: %d %q", r.Status, r.Text(`[data-testid="form-error"]`))
	}
}

// postWebhook delivers a body with a signature header.
func postWebhook(t *testing.T, base string, body []byte, sig string) (int, map[string]any) {
	t.Helper()
	req, _ := http.NewRequest("POST", base+billing.SandboxWebhookPath, bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if sig != "" {
		req.Header.Set(billing.SandboxSignatureHeader, sig)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Error(err)
		return 0, nil
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var out map[string]any
	_ = json.Unmarshal(b, &out)
	return resp.StatusCode, out
}

// twoServers runs the whole app twice over one database, on two pools:
// two server processes behind one load balancer.
func twoServers(t *testing.T) []*servertest.Env {
	t.Helper()
	dbURL := testdb.NewURL(t)
	cfg, err := config.Load(func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	cfg.CookieSecure = false
	cfg.MasterKey = bytes.Repeat([]byte{9}, 32)
	var envs []*servertest.Env
	for range 2 {
		pcfg, _ := pgxpool.ParseConfig(dbURL)
		pcfg.MaxConns = 6
		pool, err := pgxpool.NewWithConfig(context.Background(), pcfg)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(pool.Close)
		d := db.New(pool)
		box, _ := secretbox.New(cfg.MasterKey)
		svc := server.NewServices(cfg, d, box)
		app, h := server.NewApp(cfg, svc, slog.New(slog.NewTextHandler(io.Discard, nil)))
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		go func() { _ = app.Listener(ln) }()
		t.Cleanup(func() { _ = app.ShutdownWithTimeout(5 * time.Second) })
		envs = append(envs, &servertest.Env{T: t, URL: "http://" + ln.Addr().String(), DB: d, Config: cfg, Services: svc, App: app, Handlers: h})
	}
	return envs
}

func TestSandboxWebhookOverHTTP(t *testing.T) {
	t.Parallel()
	envs := twoServers(t)
	env := envs[0]
	ctx := context.Background()
	acc := billAccount(t, env, "Crypto Whale", "whale@example.com")
	dep, err := env.Billing.CreateDeposit(ctx, billCLI, billing.DepositInput{AccountID: acc.ID, Amount: "250.00", Provider: billing.ProviderSandboxCrypto})
	if err != nil {
		t.Fatal(err)
	}
	body, sig, err := env.Billing.Sandbox().PaymentBody(ctx, dep)
	if err != nil {
		t.Fatal(err)
	}
	// Refused: no signature, a wrong one, a body changed after signing.
	for _, tc := range []struct {
		body []byte
		sig  string
	}{{body, ""}, {body, "sha256=" + strings.Repeat("ab", 32)}, {body, "garbage"}, {bytes.Replace(body, []byte("250.00"), []byte("999.00"), 1), sig}} {
		status, out := postWebhook(t, env.URL, tc.body, tc.sig)
		if status != 401 || cmp.Diff(map[string]any{"code": "invalid_signature", "message": "The X-Sandbox-Signature header is missing or does not match the body."}, out["error"]) != "" {
			t.Errorf("bad signature %q: %d %v", tc.sig, status, out)
		}
	}
	secret, err := env.Billing.Sandbox().Secret(ctx)
	if err != nil {
		t.Fatal(err)
	}
	signed := func(b string) (string, []byte) { return billing.SignBody(secret, []byte(b)), []byte(b) }
	for _, tc := range []struct {
		body   string
		status int
		code   string
	}{
		{`{"type":"deposit.paid","ref":"sbx_nope","amount":"250.00"}`, 404, "not_found"},
		{`{"type":"deposit.paid","ref":"` + dep.ProviderRef + `","amount":"25.00"}`, 422, "validation_error"},
		{`{"type":"deposit.paid","ref":"` + dep.ProviderRef + `","amount":"lots"}`, 422, "validation_error"},
		{`not json`, 422, "validation_error"},
	} {
		s, b := signed(tc.body)
		status, out := postWebhook(t, env.URL, b, s)
		if e, _ := out["error"].(map[string]any); status != tc.status || e["code"] != tc.code {
			t.Errorf("%s: %d %v", tc.body, status, out)
		}
	}
	if s, b := signed(`{"type":"deposit.created","ref":"x"}`); true {
		if status, out := postWebhook(t, env.URL, b, s); status != 200 || out["status"] != "ignored" {
			t.Errorf("other event: %d %v", status, out)
		}
	}
	if got := billBalance(t, env, acc.ID); got != 0 {
		t.Fatalf("refused webhooks moved money: %s", got)
	}

	// 20 concurrent deliveries of the real one, spread over both servers.
	var wg sync.WaitGroup
	var mu sync.Mutex
	statuses := map[string]int{}
	for i := range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			code, out := postWebhook(t, envs[i%2].URL, body, sig)
			mu.Lock()
			defer mu.Unlock()
			statuses[strconv.Itoa(code)+" "+func() string { s, _ := out["status"].(string); return s }()]++
		}()
	}
	wg.Wait()
	if diff := cmp.Diff(map[string]int{"200 credited": 1, "200 already_paid": 19}, statuses); diff != "" {
		t.Fatalf("deliveries (-want +got):\n%s", diff)
	}
	if got := billBalance(t, env, acc.ID); got != 250_00 {
		t.Fatalf("balance = %s, want 250.00", got)
	}
	if n := env.AuditCount("balance.deposit", strconv.FormatInt(acc.ID, 10)); n != 1 {
		t.Fatalf("%d deposit audit rows", n)
	}
	v, err := envs[1].Billing.Verify(ctx)
	if err != nil || !v.OK() || v.Entries != 1 {
		t.Fatalf("verify: %+v, %v", v, err)
	}
}

func TestSandboxMarkPaidButtonSendsTheSignedWebhook(t *testing.T) {
	t.Parallel()
	env := servertest.New(t)
	ctx := context.Background()
	acc := billAccount(t, env, "Pixel Harbor", "team@pixelharbor.gg")
	fin := env.As("finance")
	if r := fin.HTMX("POST", billPath(acc.ID, "/deposits"), url.Values{"amount": {"30"}, "provider": {"sandbox_crypto"}}); r.Status != 200 ||
		!strings.Contains(r.Text(`[data-toast]`), "Sandbox crypto") {
		t.Fatalf("create: %d %q", r.Status, r.Text("body"))
	}
	deps, _ := env.Billing.Deposits(ctx, acc.ID, 0, 10)
	if len(deps) != 1 || deps[0].Status != billing.DepositPending {
		t.Fatalf("deposits: %+v", deps)
	}
	page := fin.Get(billPath(acc.ID, ""))
	if !page.Has(`[data-testid="deposit-row"] .badge`) || !strings.Contains(page.Text(`[data-testid="deposit-row"]`), "Sandbox") {
		t.Fatal("the sandbox deposit is not labelled as sandbox")
	}
	pay := billPath(acc.ID, "/deposits/"+strconv.FormatInt(deps[0].ID, 10)+"/sandbox-pay")
	if d := fin.HTMX("GET", pay, nil); !d.Has(`dialog form[hx-post="`+pay+`"]`) || !strings.Contains(d.Text("dialog"), "signed payment webhook") {
		t.Fatalf("dialog: %q", d.Text("body"))
	}
	r := fin.HTMX("POST", pay, url.Values{"reason": {"Test payment"}})
	if r.Status != 200 || !strings.Contains(r.Text(`[data-toast]`), "is paid") || r.Text(`[data-testid="account-balance"]`) != "$30.00" {
		t.Fatalf("sandbox pay: %d %q", r.Status, r.Text("body"))
	}
	var kind, label string
	if err := env.DB.Pool.QueryRow(ctx, `SELECT actor_kind, actor_label FROM ledger_entries WHERE account_id = $1`, acc.ID).Scan(&kind, &label); err != nil ||
		kind != "system" || label != "Sandbox crypto webhook" {
		t.Fatalf("credit actor: %q %q %v", kind, label, err)
	}
	if env.AuditCount("deposit.sandbox_payment", strconv.FormatInt(acc.ID, 10)) != 1 {
		t.Fatal("who pressed the button is not audited")
	}
	// Again: the deposit is paid; nothing moves.
	if r := fin.PostForm(pay, url.Values{}); r.Status != http.StatusConflict {
		t.Fatalf("pay twice: %d", r.Status)
	}
	if got := billBalance(t, env, acc.ID); got != 30_00 {
		t.Fatalf("balance = %s", got)
	}
}
