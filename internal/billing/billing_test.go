package billing_test

import (
	"bytes"
	"context"
	"errors"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"lumdesk/db/store"
	"lumdesk/internal/accounts"
	"lumdesk/internal/audit"
	"lumdesk/internal/billing"
	"lumdesk/internal/platform/db"
	"lumdesk/internal/platform/money"
	"lumdesk/internal/platform/secretbox"
	"lumdesk/internal/platform/testdb"
)

var (
	ctx = context.Background()
	cli = audit.CLI("billing test")
	api = audit.Actor{Kind: audit.KindAPIKey, ID: "9", Label: "lumi_domains_test"}
)

// limit is the approval limit of the tests: 500.00, the default.
const limit = money.Cents(500_00)

func testBox(t testing.TB) *secretbox.Box {
	t.Helper()
	box, err := secretbox.New(bytes.Repeat([]byte{9}, 32))
	if err != nil {
		t.Fatal(err)
	}
	return box
}

type fixture struct {
	t   testing.TB
	db  *db.DB
	svc *billing.Service
	acc *accounts.Service
}

func newFixture(t testing.TB) *fixture {
	t.Helper()
	d := db.New(testdb.New(t))
	return &fixture{t: t, db: d, svc: billing.NewService(d, testBox(t), limit), acc: accounts.NewService(d)}
}

func (f *fixture) account(name string) int64 {
	f.t.Helper()
	a, err := f.acc.Create(ctx, cli, accounts.CreateInput{Name: name, Email: strings.ToLower(strings.ReplaceAll(name, " ", ".")) + "@example.com"})
	if err != nil {
		f.t.Fatal(err)
	}
	return a.ID
}

// financeUser inserts a staff row (the requests reference staff users) and
// returns its actor.
func (f *fixture) financeUser(email string) audit.Actor {
	f.t.Helper()
	var id int64
	if err := f.db.Pool.QueryRow(ctx, `INSERT INTO staff_users (email, name, role, password_hash) VALUES ($1, $2, 'finance', 'x') RETURNING id`,
		email, email).Scan(&id); err != nil {
		f.t.Fatal(err)
	}
	return audit.Staff(id, email)
}

func (f *fixture) topUp(accountID int64, amount string) billing.LedgerEntry {
	f.t.Helper()
	out, err := f.svc.ManualTopUp(ctx, cli, billing.ManualInput{AccountID: accountID, Amount: amount, Reason: "test funds"})
	if err != nil || out.Entry == nil {
		f.t.Fatalf("top up %s: %+v, %v", amount, out, err)
	}
	return *out.Entry
}

func (f *fixture) balance(accountID int64) money.Cents {
	f.t.Helper()
	b, err := f.svc.Balance(ctx, accountID)
	if err != nil {
		f.t.Fatal(err)
	}
	return b.Amount
}

func (f *fixture) mustVerify() billing.Verification {
	f.t.Helper()
	v, err := f.svc.Verify(ctx)
	if err != nil {
		f.t.Fatal(err)
	}
	if !v.OK() {
		f.t.Fatalf("verify: %+v", v.Problems)
	}
	return v
}

func (f *fixture) auditCount(action string) int {
	f.t.Helper()
	var n int
	if err := f.db.Pool.QueryRow(ctx, `SELECT count(*) FROM audit_events WHERE action = $1`, action).Scan(&n); err != nil {
		f.t.Fatal(err)
	}
	return n
}

func (f *fixture) entries(accountID int64) []billing.LedgerEntry {
	f.t.Helper()
	page, err := f.svc.Ledger(ctx, billing.LedgerFilter{AccountID: accountID, Limit: billing.MaxLimit})
	if err != nil {
		f.t.Fatal(err)
	}
	return page.Items
}

func fieldOf(err error) []string {
	var v billing.ValidationError
	if !errors.As(err, &v) {
		return nil
	}
	var out []string
	for k := range v {
		out = append(out, k)
	}
	return out
}

func TestBalanceOfAnAccountWithoutMoneyIsZero(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	id := f.account("Quiet Co")
	b, err := f.svc.Balance(ctx, id)
	if err != nil || b.Amount != 0 || !b.UpdatedAt.IsZero() {
		t.Fatalf("Balance = %+v, %v", b, err)
	}
	if _, err := f.svc.Balance(ctx, id+1000); !errors.Is(err, billing.ErrNotFound) {
		t.Fatalf("unknown account: %v", err)
	}
}

func TestTopUpDebitRefundAndTheLedgerChain(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	id := f.account("Nightfall Studios")
	dep := f.topUp(id, "100.00")
	if dep.Kind != billing.KindDeposit || dep.Amount != 100_00 || dep.BalanceAfter != 100_00 || dep.CauseType != billing.CauseDeposit || dep.ActorKind != audit.KindCLI {
		t.Fatalf("top-up entry: %+v", dep)
	}
	buy, err := f.svc.Debit(ctx, api, billing.DebitInput{AccountID: id, Amount: 12_50, Kind: billing.KindPurchase,
		CauseType: "domain", CauseID: "77", IdempotencyKey: "order-1", Reason: "nightfall.gg"})
	if err != nil {
		t.Fatal(err)
	}
	if buy.Amount != -12_50 || buy.BalanceAfter != 87_50 || buy.Replayed || buy.ActorLabel != "lumi_domains_test" {
		t.Fatalf("debit: %+v", buy)
	}
	// The same key again: the first entry, nothing moved.
	again, err := f.svc.Debit(ctx, api, billing.DebitInput{AccountID: id, Amount: 12_50, Kind: billing.KindPurchase,
		CauseType: "domain", CauseID: "77", IdempotencyKey: "order-1"})
	if err != nil || !again.Replayed || again.ID != buy.ID {
		t.Fatalf("replay: %+v, %v", again, err)
	}
	// The same key for another amount is refused.
	if _, err := f.svc.Debit(ctx, api, billing.DebitInput{AccountID: id, Amount: 13_00, Kind: billing.KindPurchase,
		CauseType: "domain", CauseID: "77", IdempotencyKey: "order-1"}); !errors.Is(err, billing.ErrIdempotencyMismatch) {
		t.Fatalf("key reuse: %v", err)
	}
	// Too much: refused, nothing written.
	if _, err := f.svc.Debit(ctx, api, billing.DebitInput{AccountID: id, Amount: 87_51, Kind: billing.KindRenewal, CauseType: "domain", CauseID: "77"}); !errors.Is(err, billing.ErrInsufficientFunds) {
		t.Fatalf("overdraw: %v", err)
	}
	ren, err := f.svc.Debit(ctx, api, billing.DebitInput{AccountID: id, Amount: 87_50, Kind: billing.KindRenewal, CauseType: "domain", CauseID: "77"})
	if err != nil || ren.BalanceAfter != 0 {
		t.Fatalf("debit to zero: %+v, %v", ren, err)
	}
	// Refunds: part, then the rest (0 = what is left), then nothing is left.
	r1, err := f.svc.Refund(ctx, cli, billing.RefundInput{EntryID: buy.ID, Amount: 2_50, Reason: "partial"})
	if err != nil || r1.Amount != 2_50 || r1.RefundOfID != buy.ID || r1.Cause() != "domain #77" || r1.BalanceAfter != 2_50 {
		t.Fatalf("refund: %+v, %v", r1, err)
	}
	if left, err := f.svc.RefundableLeft(ctx, buy); err != nil || left != 10_00 {
		t.Fatalf("refundable left after a partial refund: %s, %v", left, err)
	}
	if left, err := f.svc.RefundableLeft(ctx, dep); err != nil || left != 0 || dep.Refundable() {
		t.Fatalf("a deposit is not refundable: %s, %v", left, err)
	}
	if _, err := f.svc.Refund(ctx, cli, billing.RefundInput{EntryID: buy.ID, Amount: 10_01, Reason: "too much"}); !errors.Is(err, billing.ErrRefundTooLarge) {
		t.Fatalf("refund beyond the original: %v", err)
	}
	r2, err := f.svc.Refund(ctx, cli, billing.RefundInput{EntryID: buy.ID, Reason: "the rest", IdempotencyKey: "refund-rest"})
	if err != nil || r2.Amount != 10_00 {
		t.Fatalf("refund the rest: %+v, %v", r2, err)
	}
	if r3, err := f.svc.Refund(ctx, cli, billing.RefundInput{EntryID: buy.ID, Reason: "the rest", IdempotencyKey: "refund-rest"}); err != nil || !r3.Replayed || r3.ID != r2.ID {
		t.Fatalf("replayed full refund: %+v, %v", r3, err)
	}
	if left, err := f.svc.RefundableLeft(ctx, buy); err != nil || left != 0 {
		t.Fatalf("refundable left after a full refund: %s, %v", left, err)
	}
	if _, err := f.svc.Refund(ctx, cli, billing.RefundInput{EntryID: buy.ID, Reason: "again"}); !errors.Is(err, billing.ErrRefundTooLarge) {
		t.Fatalf("refund of a refunded entry: %v", err)
	}
	if _, err := f.svc.Refund(ctx, cli, billing.RefundInput{EntryID: dep.ID, Reason: "no"}); !errors.Is(err, billing.ErrNotRefundable) {
		t.Fatalf("refund of a deposit: %v", err)
	}
	if _, err := f.svc.Refund(ctx, cli, billing.RefundInput{EntryID: buy.ID, Amount: 1}); !cmp.Equal(fieldOf(err), []string{"reason"}) {
		t.Fatalf("refund without reason: %v", err)
	}
	if got := f.balance(id); got != 12_50 {
		t.Fatalf("balance = %s", got)
	}
	// The daily roll-up the desk's chart reads sums the same entries.
	if off, err := f.db.LedgerDaysOffTheirTotals(ctx); err != nil || len(off) != 0 {
		t.Fatalf("days whose roll-up differs from the ledger: %v, %v", off, err)
	}
	if days, err := f.svc.DailyTotals(ctx, 1); err != nil || len(days) != 1 || days[0].Deposits != 100_00 ||
		days[0].Spend != 12_50+87_50 || days[0].Refunds != 12_50 {
		t.Fatalf("today's totals: %+v, %v", days, err)
	}
	var kinds []string
	var afters []money.Cents
	for _, e := range f.entries(id) {
		kinds = append(kinds, e.Kind)
		afters = append(afters, e.BalanceAfter)
	}
	if diff := cmp.Diff([]string{"refund", "refund", "renewal", "purchase", "deposit"}, kinds); diff != "" {
		t.Fatalf("ledger kinds (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]money.Cents{12_50, 2_50, 0, 87_50, 100_00}, afters); diff != "" {
		t.Fatalf("balance_after chain (-want +got):\n%s", diff)
	}
	for action, want := range map[string]int{"balance.topup": 1, "balance.debit": 2, "balance.refund": 2} {
		if n := f.auditCount(action); n != want {
			t.Errorf("audit %s: %d rows, want %d", action, n, want)
		}
	}
	v := f.mustVerify()
	if v.Accounts != 1 || v.Entries != 5 {
		t.Fatalf("verify: %+v", v)
	}
}

func TestDebitValidation(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	id := f.account("Val Co")
	for name, tc := range map[string]struct {
		in   billing.DebitInput
		want []string
	}{
		"zero":         {billing.DebitInput{AccountID: id, Amount: 0, Kind: billing.KindPurchase}, []string{"amount"}},
		"negative":     {billing.DebitInput{AccountID: id, Amount: -5, Kind: billing.KindPurchase}, []string{"amount"}},
		"deposit kind": {billing.DebitInput{AccountID: id, Amount: 5, Kind: billing.KindDeposit}, []string{"kind"}},
		"long key":     {billing.DebitInput{AccountID: id, Amount: 5, Kind: billing.KindPurchase, IdempotencyKey: strings.Repeat("k", 201)}, []string{"idempotency_key"}},
	} {
		if _, err := f.svc.Debit(ctx, api, tc.in); !cmp.Equal(fieldOf(err), tc.want) {
			t.Errorf("%s: %v", name, err)
		}
	}
	if _, err := f.svc.Debit(ctx, api, billing.DebitInput{AccountID: id + 99, Amount: 5, Kind: billing.KindPurchase}); !errors.Is(err, billing.ErrNotFound) {
		t.Errorf("unknown account: %v", err)
	}
}

func TestDebitInsideTheCallersTransactionRollsBackWithIt(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	id := f.account("Tx Co")
	f.topUp(id, "10.00")
	boom := errors.New("provisioning failed")
	err := f.db.Tx(ctx, func(q *store.Queries) error {
		if _, err := f.svc.DebitTx(ctx, q, api, billing.DebitInput{AccountID: id, Amount: 4_00, Kind: billing.KindPurchase, CauseType: "vps", CauseID: "1"}); err != nil {
			return err
		}
		if b, err := f.svc.BalanceTx(ctx, q, id); err != nil || b.Amount != 6_00 {
			t.Errorf("balance inside the transaction: %+v, %v", b, err)
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatal(err)
	}
	if got := f.balance(id); got != 10_00 {
		t.Fatalf("balance after rollback = %s", got)
	}
	if n := f.auditCount("balance.debit"); n != 0 {
		t.Fatalf("audit rows after rollback: %d", n)
	}
	if got := len(f.entries(id)); got != 1 {
		t.Fatalf("entries after rollback: %d", got)
	}
}

func TestTheDatabaseRefusesToRewriteTheLedgerOrGoNegative(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	id := f.account("Guard Co")
	e := f.topUp(id, "5.00")
	for _, stmt := range []string{
		`UPDATE ledger_entries SET amount_cents = 1 WHERE id = ` + strconv.FormatInt(e.ID, 10),
		`DELETE FROM ledger_entries WHERE id = ` + strconv.FormatInt(e.ID, 10),
		`TRUNCATE ledger_entries CASCADE`,
	} {
		if _, err := f.db.Pool.Exec(ctx, stmt); err == nil || !strings.Contains(err.Error(), "append-only") {
			t.Errorf("%s: err = %v", stmt, err)
		}
	}
	if _, err := f.db.Pool.Exec(ctx, `UPDATE balances SET balance_cents = -1 WHERE account_id = $1`, id); err == nil {
		t.Error("a negative balance was accepted")
	}
	for _, stmt := range []string{
		`INSERT INTO ledger_entries (account_id, amount_cents, kind, actor_kind, balance_after_cents) VALUES ($1, 0, 'adjustment', 'cli', 5)`,
		`INSERT INTO ledger_entries (account_id, amount_cents, kind, actor_kind, balance_after_cents) VALUES ($1, -1, 'deposit', 'cli', 4)`,
		`INSERT INTO ledger_entries (account_id, amount_cents, kind, actor_kind, balance_after_cents) VALUES ($1, 1, 'purchase', 'cli', 6)`,
		`INSERT INTO ledger_entries (account_id, amount_cents, kind, actor_kind, balance_after_cents) VALUES ($1, 1, 'refund', 'cli', 6)`,
		`INSERT INTO ledger_entries (account_id, amount_cents, kind, actor_kind, balance_after_cents, cause_type, cause_id) VALUES ($1, 1, 'deposit', 'cli', 6, 'deposit', '` + e.CauseID + `')`,
	} {
		if _, err := f.db.Pool.Exec(ctx, stmt, id); err == nil {
			t.Errorf("accepted: %s", stmt)
		}
	}
	f.mustVerify()
}

func TestVerifyFindsABalanceTheLedgerDoesNotExplain(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	good, bad := f.account("Good Co"), f.account("Bad Co")
	f.topUp(good, "5.00")
	f.topUp(bad, "5.00")
	// Someone edits a balance behind the ledger's back.
	if _, err := f.db.Pool.Exec(ctx, `UPDATE balances SET balance_cents = 99900 WHERE account_id = $1`, bad); err != nil {
		t.Fatal(err)
	}
	v, err := f.svc.Verify(ctx)
	if err != nil {
		t.Fatal(err)
	}
	want := []billing.Problem{{AccountID: bad, Balance: 999_00, Ledger: 5_00, Message: "balance 999.00 but the ledger sums to 5.00"}}
	if diff := cmp.Diff(want, v.Problems); diff != "" || v.Accounts != 2 {
		t.Fatalf("problems (-want +got):\n%s", diff)
	}
}

// The desk's verification: the first call waits for one; a stale one is
// answered at once while the next runs in the background.
func TestVerifyCachedAnswersTheLastWhileItVerifiesAgain(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	id := f.account("Stale Co")
	f.topUp(id, "5.00")
	var mu sync.Mutex
	now := time.Now().UTC()
	svc := f.svc.WithClock(func() time.Time { mu.Lock(); defer mu.Unlock(); return now })
	first, err := svc.VerifyCached(ctx)
	if err != nil || !first.OK() || first.Accounts != 1 {
		t.Fatalf("first VerifyCached = %+v, %v", first, err)
	}
	if _, err := f.db.Pool.Exec(ctx, `UPDATE balances SET balance_cents = 99900 WHERE account_id = $1`, id); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	now = now.Add(billing.VerifyMaxAge - time.Second)
	mu.Unlock()
	if v, err := svc.VerifyCached(ctx); err != nil || !v.OK() || !v.CheckedAt.Equal(first.CheckedAt) {
		t.Fatalf("a young result is reused: %+v, %v", v, err)
	}
	// Stale: the last result now, the new one when the background run ends.
	mu.Lock()
	now = now.Add(time.Second)
	mu.Unlock()
	if v, err := svc.VerifyCached(ctx); err != nil || !v.OK() || !v.CheckedAt.Equal(first.CheckedAt) {
		t.Fatalf("a stale result is answered at once: %+v, %v", v, err)
	}
	svc.WaitVerify()
	v, err := svc.VerifyCached(ctx)
	if err != nil || v.OK() || len(v.Problems) != 1 || v.Problems[0].AccountID != id {
		t.Fatalf("after the background run: %+v, %v; want the altered balance", v, err)
	}
}

func TestManualMovesAboveTheLimitWaitForASecondFinanceUser(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	id := f.account("Big Spender")
	alice, bob := f.financeUser("alice@finance.test"), f.financeUser("bob@finance.test")

	// At the limit: moves at once.
	out, err := f.svc.ManualTopUp(ctx, alice, billing.ManualInput{AccountID: id, Amount: "500.00", Reason: "wire 1"})
	if err != nil || out.Pending() || out.Entry == nil || out.Deposit == nil || out.Deposit.Status != billing.DepositPaid || out.Deposit.Provider != billing.ProviderManual {
		t.Fatalf("top-up at the limit: %+v, %v", out, err)
	}
	// Above it: a request, no money.
	out, err = f.svc.ManualTopUp(ctx, alice, billing.ManualInput{AccountID: id, Amount: "500.01", Reason: "wire 2"})
	if err != nil || !out.Pending() || out.Entry != nil {
		t.Fatalf("top-up above the limit: %+v, %v", out, err)
	}
	req := *out.Request
	if req.Status != billing.RequestPending || req.RequestedLabel != "alice@finance.test" || req.Amount != 500_01 || req.Kind != billing.RequestTopUp {
		t.Fatalf("request: %+v", req)
	}
	if got := f.balance(id); got != 500_00 {
		t.Fatalf("balance moved before approval: %s", got)
	}
	// The requester cannot approve or reject it; the CLI cannot either.
	if _, _, err := f.svc.Approve(ctx, alice, req.ID, ""); !errors.Is(err, billing.ErrSameApprover) {
		t.Fatalf("self-approval: %v", err)
	}
	if _, err := f.svc.Reject(ctx, alice, req.ID, "no"); !errors.Is(err, billing.ErrSameApprover) {
		t.Fatalf("self-rejection: %v", err)
	}
	if _, _, err := f.svc.Approve(ctx, cli, req.ID, ""); !errors.Is(err, billing.ErrApproverNotStaff) {
		t.Fatalf("CLI approval: %v", err)
	}
	// Bob approves: applied once.
	got, e, err := f.svc.Approve(ctx, bob, req.ID, "checked the wire")
	if err != nil || got.Status != billing.RequestApplied || got.LedgerEntryID != e.ID || got.DecidedLabel != "bob@finance.test" || e.Amount != 500_01 {
		t.Fatalf("approve: %+v %+v %v", got, e, err)
	}
	if _, _, err := f.svc.Approve(ctx, bob, req.ID, ""); !errors.Is(err, billing.ErrNotPending) {
		t.Fatalf("second approval: %v", err)
	}
	if got := f.balance(id); got != 1000_01 {
		t.Fatalf("balance = %s", got)
	}

	// A negative adjustment above the limit; rejected: nothing moves.
	out, err = f.svc.Adjust(ctx, bob, billing.ManualInput{AccountID: id, Amount: "-600", Reason: "chargeback"})
	if err != nil || !out.Pending() || out.Request.Amount != -600_00 {
		t.Fatalf("adjust above the limit: %+v, %v", out, err)
	}
	if _, err := f.svc.Reject(ctx, alice, out.Request.ID, ""); !cmp.Equal(fieldOf(err), []string{"reason"}) {
		t.Fatalf("reject without reason: %v", err)
	}
	rej, err := f.svc.Reject(ctx, alice, out.Request.ID, "not a chargeback")
	if err != nil || rej.Status != billing.RequestRejected {
		t.Fatalf("reject: %+v, %v", rej, err)
	}
	if _, _, err := f.svc.Approve(ctx, alice, out.Request.ID, ""); !errors.Is(err, billing.ErrNotPending) {
		t.Fatalf("approve after reject: %v", err)
	}
	// A negative adjustment that the balance cannot cover is refused at
	// once, not filed for an approval that could never apply it.
	if out, err := f.svc.Adjust(ctx, bob, billing.ManualInput{AccountID: id, Amount: "-2000", Reason: "too much"}); !errors.Is(err, billing.ErrInsufficientFunds) {
		t.Fatalf("file an overdraw: %+v, %v", out, err)
	}
	// One the balance covered when filed but not when approved stays pending.
	out, err = f.svc.Adjust(ctx, bob, billing.ManualInput{AccountID: id, Amount: "-900", Reason: "chargeback 2"})
	if err != nil || !out.Pending() {
		t.Fatalf("file a covered debit: %+v, %v", out, err)
	}
	if _, err := f.svc.Debit(ctx, api, billing.DebitInput{AccountID: id, Amount: 200_00, Kind: billing.KindPurchase, CauseType: "domain", CauseID: "9"}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := f.svc.Approve(ctx, alice, out.Request.ID, ""); !errors.Is(err, billing.ErrInsufficientFunds) {
		t.Fatalf("approve an overdraw: %v", err)
	}
	stuck := out.Request.ID
	if r, err := f.svc.Request(ctx, stuck); err != nil || r.Status != billing.RequestPending {
		t.Fatalf("after a failed approval: %+v, %v", r, err)
	}
	// Small adjustments move at once, either way.
	out, err = f.svc.Adjust(ctx, bob, billing.ManualInput{AccountID: id, Amount: "-0.01", Reason: "rounding"})
	if err != nil || out.Entry == nil || out.Entry.Kind != billing.KindAdjustment || out.Entry.BalanceAfter != 800_00 {
		t.Fatalf("small adjustment: %+v, %v", out, err)
	}
	pending, err := f.svc.PendingRequests(ctx, 0, 10)
	if err != nil || len(pending) != 1 || pending[0].ID != stuck || pending[0].AccountName != "Big Spender" {
		t.Fatalf("pending: %+v, %v", pending, err)
	}
	for action, want := range map[string]int{"balance.adjustment_request": 3, "balance.adjustment_approve": 1, "balance.adjustment_reject": 1, "balance.adjust": 1, "balance.topup": 1} {
		if n := f.auditCount(action); n != want {
			t.Errorf("audit %s: %d rows, want %d", action, n, want)
		}
	}
	f.mustVerify()
}

func TestFourEyesHoldsInTheDatabaseToo(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	id := f.account("Eyes Co")
	alice := f.financeUser("alice@finance.test")
	out, err := f.svc.Adjust(ctx, alice, billing.ManualInput{AccountID: id, Amount: "900", Reason: "goodwill"})
	if err != nil {
		t.Fatal(err)
	}
	_, err = f.db.Pool.Exec(ctx, `UPDATE adjustment_requests SET status = 'rejected', decided_by = requested_by, decided_at = now() WHERE id = $1`, out.Request.ID)
	if err == nil {
		t.Fatal("the database let the requester decide their own request")
	}
}

func TestManualInputValidation(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	id := f.account("Input Co")
	for _, tc := range []struct {
		amount, reason string
		want           []string
	}{
		{"", "r", []string{"amount"}},
		{"0", "r", []string{"amount"}},
		{"-5", "r", []string{"amount"}}, // a top-up is positive
		{"abc", "r", []string{"amount"}},
		{"1e3", "r", []string{"amount"}},
		{"5.001", "r", []string{"amount"}},
		{"1000000.01", "r", []string{"amount"}},
		{"5", "  ", []string{"reason"}},
		{"5", strings.Repeat("x", 501), []string{"reason"}},
		{"5", "bad\x00reason", []string{"reason"}},
	} {
		_, err := f.svc.ManualTopUp(ctx, cli, billing.ManualInput{AccountID: id, Amount: tc.amount, Reason: tc.reason})
		if got := fieldOf(err); !cmp.Equal(got, tc.want) {
			t.Errorf("top-up %q %q: %v", tc.amount, tc.reason, err)
		}
	}
	if _, err := f.svc.Adjust(ctx, cli, billing.ManualInput{AccountID: id, Amount: "-5", Reason: "r"}); !errors.Is(err, billing.ErrInsufficientFunds) {
		t.Errorf("negative adjustment of an empty balance: %v", err)
	}
	if _, err := f.svc.ManualTopUp(ctx, cli, billing.ManualInput{AccountID: id + 99, Amount: "5", Reason: "r"}); !errors.Is(err, billing.ErrNotFound) {
		t.Errorf("unknown account: %v", err)
	}
	if n := len(f.entries(id)); n != 0 {
		t.Fatalf("refused input wrote %d entries", n)
	}
}

func TestDepositsPayOnceAndCloseOnce(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	id := f.account("Depositor")
	fin := f.financeUser("fin@finance.test")
	d, err := f.svc.CreateDeposit(ctx, api, billing.DepositInput{AccountID: id, Amount: "25.00", Provider: billing.ProviderSandboxCrypto})
	if err != nil {
		t.Fatal(err)
	}
	if d.Status != billing.DepositPending || !strings.HasPrefix(d.PublicID, "dep_") || !strings.HasPrefix(d.ProviderRef, "sbx_") || d.ExpiresAt == nil {
		t.Fatalf("deposit: %+v", d)
	}
	if got := f.balance(id); got != 0 {
		t.Fatalf("a pending deposit moved money: %s", got)
	}
	res, err := f.svc.MarkDepositPaid(ctx, fin, d.ID, "seen on chain")
	if err != nil || res.AlreadyPaid || res.Deposit.Status != billing.DepositPaid || res.Entry.Amount != 25_00 {
		t.Fatalf("mark paid: %+v, %v", res, err)
	}
	if _, err := f.svc.MarkDepositPaid(ctx, fin, d.ID, "again"); !errors.Is(err, billing.ErrDepositNotPending) {
		t.Fatalf("mark paid twice: %v", err)
	}
	if _, err := f.svc.CancelDeposit(ctx, fin, d.ID, "late"); !errors.Is(err, billing.ErrDepositNotPending) {
		t.Fatalf("cancel a paid deposit: %v", err)
	}
	// Cancelled deposits cannot be paid.
	d2, err := f.svc.CreateDeposit(ctx, fin, billing.DepositInput{AccountID: id, Amount: "3", Provider: billing.ProviderManual})
	if err != nil {
		t.Fatal(err)
	}
	if c, err := f.svc.CancelDeposit(ctx, fin, d2.ID, "customer changed their mind"); err != nil || c.Status != billing.DepositCancelled {
		t.Fatalf("cancel: %+v, %v", c, err)
	}
	if _, err := f.svc.MarkDepositPaid(ctx, fin, d2.ID, "paid after all"); !errors.Is(err, billing.ErrDepositNotPending) {
		t.Fatalf("pay a cancelled deposit: %v", err)
	}
	// Input errors.
	for _, in := range []billing.DepositInput{
		{AccountID: id, Amount: "0", Provider: billing.ProviderManual},
		{AccountID: id, Amount: "-1", Provider: billing.ProviderManual},
		{AccountID: id, Amount: "5", Provider: "paypal"},
	} {
		if _, err := f.svc.CreateDeposit(ctx, fin, in); len(fieldOf(err)) != 1 {
			t.Errorf("%+v: %v", in, err)
		}
	}
	list, err := f.svc.Deposits(ctx, id, 0, 10)
	if err != nil || len(list) != 2 || list[0].ID != d2.ID {
		t.Fatalf("deposits: %+v, %v", list, err)
	}
	f.mustVerify()
}

func TestExpiredDepositsAreNotCredited(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	id := f.account("Late Payer")
	d, err := f.svc.CreateDeposit(ctx, cli, billing.DepositInput{AccountID: id, Amount: "9.99", Provider: billing.ProviderSandboxCrypto})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.db.Pool.Exec(ctx, `UPDATE deposits SET expires_at = now() - interval '1 minute' WHERE id = $1`, d.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.MarkDepositPaid(ctx, cli, d.ID, "late"); !errors.Is(err, billing.ErrDepositExpired) {
		t.Fatalf("pay an expired deposit: %v", err)
	}
	n, err := f.svc.ExpireDeposits(ctx, audit.System("expiry"), 100)
	if err != nil || n != 1 {
		t.Fatalf("expire: %d, %v", n, err)
	}
	if got, _ := f.svc.GetDeposit(ctx, d.ID); got.Status != billing.DepositExpired || got.ClosedAt == nil {
		t.Fatalf("after expiry: %+v", got)
	}
	if f.auditCount("deposit.expire") != 1 {
		t.Fatal("expiry not audited")
	}
}

func TestWebhookSignatureAndIdempotence(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	id := f.account("Hooked")
	d, err := f.svc.CreateDeposit(ctx, api, billing.DepositInput{AccountID: id, Amount: "40.00", Provider: billing.ProviderSandboxCrypto})
	if err != nil {
		t.Fatal(err)
	}
	sb := f.svc.Sandbox()
	body, sig, err := sb.PaymentBody(ctx, d)
	if err != nil {
		t.Fatal(err)
	}
	// A second service on the same database (another process) signs alike.
	other := billing.NewService(f.db, testBox(t), limit)
	if _, sig2, _ := other.Sandbox().PaymentBody(ctx, d); sig2 == "" {
		t.Fatal("no signature from the second process")
	}
	if _, err := f.svc.HandleWebhook(ctx, audit.Actor{}, sb, sig, append(bytes.Clone(body), ' ')); !errors.Is(err, billing.ErrBadSignature) {
		t.Fatalf("altered body: %v", err)
	}
	if _, err := f.svc.HandleWebhook(ctx, audit.Actor{}, sb, "sha256="+strings.Repeat("0", 64), body); !errors.Is(err, billing.ErrBadSignature) {
		t.Fatalf("wrong signature: %v", err)
	}
	res, err := other.HandleWebhook(ctx, audit.Actor{}, other.Sandbox(), sig, body)
	if err != nil || !res.Credited || res.Deposit.Status != billing.DepositPaid {
		t.Fatalf("first delivery: %+v, %v", res, err)
	}
	res, err = f.svc.HandleWebhook(ctx, audit.Actor{}, sb, sig, body)
	if err != nil || res.Credited {
		t.Fatalf("second delivery: %+v, %v", res, err)
	}
	if got := f.balance(id); got != 40_00 {
		t.Fatalf("balance = %s", got)
	}
	if n := f.auditCount("balance.deposit"); n != 1 {
		t.Fatalf("deposit audit rows: %d", n)
	}
	f.mustVerify()
}

func TestLedgerFiltersAndPaging(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	a, b := f.account("Alpha"), f.account("Beta")
	f.topUp(a, "50")
	f.topUp(b, "50")
	for i := range 5 {
		if _, err := f.svc.Debit(ctx, api, billing.DebitInput{AccountID: a, Amount: money.Cents(100 + i), Kind: billing.KindPurchase, CauseType: "proxy", CauseID: strconv.Itoa(i)}); err != nil {
			t.Fatal(err)
		}
	}
	var seen []money.Cents
	filter := billing.LedgerFilter{AccountID: a, Kind: billing.KindPurchase, Limit: 2}
	for pages := 0; ; pages++ {
		page, err := f.svc.Ledger(ctx, filter)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range page.Items {
			seen = append(seen, e.Amount)
			if e.AccountName != "Alpha" {
				t.Fatalf("account name: %+v", e)
			}
		}
		if page.Next == "" {
			break
		}
		filter.Cursor = page.Next
	}
	if diff := cmp.Diff([]money.Cents{-104, -103, -102, -101, -100}, seen); diff != "" {
		t.Fatalf("pages (-want +got):\n%s", diff)
	}
	future := time.Now().Add(time.Hour)
	if page, err := f.svc.Ledger(ctx, billing.LedgerFilter{Since: &future}); err != nil || len(page.Items) != 0 {
		t.Fatalf("future: %+v, %v", page, err)
	}
	if _, err := f.svc.Ledger(ctx, billing.LedgerFilter{Cursor: "garbage!"}); !errors.Is(err, billing.ErrBadCursor) {
		t.Fatalf("bad cursor: %v", err)
	}
	if _, err := f.svc.Ledger(ctx, billing.LedgerFilter{Kind: "gift"}); !cmp.Equal(fieldOf(err), []string{"kind"}) {
		t.Fatalf("bad kind: %v", err)
	}
	n := 0
	if err := f.svc.ForEachLedger(ctx, billing.LedgerFilter{}, func(billing.LedgerEntry) error { n++; return nil }); err != nil || n != 7 {
		t.Fatalf("ForEachLedger: %d, %v", n, err)
	}
	// Balances: search, low-balance filter, order.
	page, err := f.svc.Balances(ctx, billing.BalanceFilter{})
	if err != nil || len(page.Items) != 2 || page.Items[0].AccountID != b {
		t.Fatalf("balances: %+v, %v", page, err)
	}
	low, err := f.svc.LowBalances(ctx, 49_00, 10)
	if err != nil || len(low) != 1 || low[0].AccountID != a || low[0].Amount != 50_00-510 {
		t.Fatalf("low balances: %+v, %v", low, err)
	}
	page, err = f.svc.Balances(ctx, billing.BalanceFilter{Query: "bet"})
	if err != nil || len(page.Items) != 1 || page.Items[0].AccountName != "Beta" {
		t.Fatalf("search: %+v, %v", page, err)
	}
	// A search's count walks the balances (CountBalancesMatching); without
	// one the count reads the balances alone.
	for q, want := range map[string]int64{"bet": 1, "": 2, "nobody": 0} {
		if n, err := f.svc.CountBalances(ctx, billing.BalanceFilter{Query: q}, 0); err != nil || n.N != want || n.More {
			t.Errorf("count of %q: %+v, %v; want %d", q, n, err, want)
		}
	}
	page, err = f.svc.Balances(ctx, billing.BalanceFilter{Query: "%"})
	if err != nil || len(page.Items) != 0 {
		t.Fatalf("a %% is not a wildcard: %+v, %v", page, err)
	}
	days, err := f.svc.DailyTotals(ctx, 7)
	if err != nil || len(days) != 7 {
		t.Fatalf("daily: %+v, %v", days, err)
	}
	if today := days[6]; today.Deposits != 100_00 || today.Spend != 510 {
		t.Fatalf("today: %+v", today)
	}
}

func TestLowBalanceThreshold(t *testing.T) {
	t.Parallel()
	if !billing.IsLow(billing.LowBalanceThreshold-1) || billing.IsLow(billing.LowBalanceThreshold) {
		t.Fatalf("IsLow around %s is wrong", billing.LowBalanceThreshold)
	}
}

// A deposit marked paid by hand above the approval limit waits for a second
// finance user, as a top-up of the same amount does: one person cannot open
// a manual deposit and credit it. At the limit it is credited at once.
func TestDepositMarkedPaidAboveTheLimitWaitsForApproval(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	id := f.account("Wire")
	alice, bob := f.financeUser("alice@finance.test"), f.financeUser("bob@finance.test")
	deposit := func(amount string) billing.Deposit {
		d, err := f.svc.CreateDeposit(ctx, alice, billing.DepositInput{AccountID: id, Amount: amount, Provider: billing.ProviderManual})
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	if res, err := f.svc.MarkDepositPaid(ctx, alice, deposit("500.00").ID, "wire seen"); err != nil || res.Request != nil || res.Entry.Amount != 500_00 {
		t.Fatalf("at the limit: %+v %v", res, err)
	}
	big := deposit("900000.00")
	res, err := f.svc.MarkDepositPaid(ctx, alice, big.ID, "wire seen")
	if err != nil || res.Request == nil || res.Request.Kind != billing.RequestDeposit || res.Request.DepositID != big.ID ||
		res.Request.Amount != 900000_00 || res.Deposit.Status != billing.DepositPending || res.Entry.ID != 0 {
		t.Fatalf("above the limit: %+v, %v", res, err)
	}
	if got := f.balance(id); got != 500_00 {
		t.Fatalf("balance moved before approval: %s", got)
	}
	if _, err := f.svc.MarkDepositPaid(ctx, bob, big.ID, "again"); !errors.Is(err, billing.ErrDepositAwaitsApproval) {
		t.Fatalf("marked paid again while it waits: %v", err)
	}
	if _, _, err := f.svc.Approve(ctx, alice, res.Request.ID, ""); !errors.Is(err, billing.ErrSameApprover) {
		t.Fatalf("self-approval: %v", err)
	}
	got, e, err := f.svc.Approve(ctx, bob, res.Request.ID, "statement checked")
	if err != nil || got.Status != billing.RequestApplied || e.Amount != 900000_00 || got.LedgerEntryID != e.ID {
		t.Fatalf("approve: %+v %+v %v", got, e, err)
	}
	if d, _ := f.svc.GetDeposit(ctx, big.ID); d.Status != billing.DepositPaid {
		t.Fatalf("deposit after approval: %s", d.Status)
	}
	if got := f.balance(id); got != 900500_00 {
		t.Fatalf("balance = %s", got)
	}
	if _, err := f.svc.MarkDepositPaid(ctx, alice, big.ID, "late"); !errors.Is(err, billing.ErrDepositNotPending) {
		t.Fatalf("mark paid after approval: %v", err)
	}
	// A deposit closed while its request waited credits nothing.
	gone := deposit("600")
	res, err = f.svc.MarkDepositPaid(ctx, alice, gone.ID, "wire seen")
	if err != nil || res.Request == nil {
		t.Fatalf("second request: %+v %v", res, err)
	}
	if _, err := f.svc.CancelDeposit(ctx, bob, gone.ID, "bounced"); err != nil {
		t.Fatal(err)
	}
	if _, _, err := f.svc.Approve(ctx, bob, res.Request.ID, ""); !errors.Is(err, billing.ErrDepositNotPending) {
		t.Fatalf("approve a cancelled deposit: %v", err)
	}
	if got := f.balance(id); got != 900500_00 {
		t.Fatalf("balance after the refused approval = %s", got)
	}
	f.mustVerify()
}
