package lumi_test

import (
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"lumdesk/db/store"
	"lumdesk/handlers/api/lumi"
	"lumdesk/internal/apikeys"
	"lumdesk/internal/platform/config"
	"lumdesk/internal/platform/money"
)

const dom = apikeys.LumiDomains

func buyBody(name string) string { return `{"domain":"` + name + `","years":1}` }

func TestHealthzAndOpenAPI(t *testing.T) {
	t.Parallel()
	a := startApp(t, newDBURL(t), func(c *config.Config) { c.APIEnabled = false })
	// One probe per base URL of the spec (domains, hosting, proxy).
	for _, path := range []string{"/api/lumi/healthz", "/api/lumi/hosting/healthz", "/api/lumi/proxy/healthz"} {
		r := a.do("GET", path, "", "")
		if r.Status != 200 || !cmp.Equal(r.JSON, map[string]any{"status": "ok", "service": "api"}) {
			t.Fatalf("%s: %d %s", path, r.Status, r.Raw)
		}
	}
	want := map[string][]string{
		"/api/lumi/v1/openapi.json": {"/balance", "/deposits", "/prices", "/domains", "/domains/{id}", "/domains/{id}/renew",
			"/domains/bulk", "/batches/{batch_id}"},
		"/api/lumi/hosting/v1/openapi.json": {"/balance", "/deposits", "/prices", "/vps", "/vps/{id}", "/vps/{id}/renew", "/vps/{id}/power"},
		"/api/lumi/proxy/v1/openapi.json":   {"/balance", "/deposits", "/prices", "/proxies", "/proxies/{id}", "/proxies/{id}/renew", "/proxies/{id}/allow-ips"},
	}
	for path, paths := range want {
		r := a.do("GET", path, "", "")
		if r.Status != 200 {
			t.Fatalf("%s: %d", path, r.Status)
		}
		var doc struct {
			OpenAPI string                    `json:"openapi"`
			Paths   map[string]map[string]any `json:"paths"`
		}
		if err := json.Unmarshal(r.Raw, &doc); err != nil || doc.OpenAPI != "3.1.0" {
			t.Fatalf("%s: %v %q", path, err, doc.OpenAPI)
		}
		var got []string
		for p := range doc.Paths {
			got = append(got, p)
		}
		if len(got) != len(paths) {
			t.Errorf("%s documents %v, want %v", path, got, paths)
		}
		for _, p := range paths {
			if doc.Paths[p] == nil {
				t.Errorf("%s does not document %s", path, p)
			}
		}
	}
}

func TestAPIDisabled(t *testing.T) {
	t.Parallel()
	a := startApp(t, newDBURL(t), func(c *config.Config) { c.APIEnabled = false })
	acc := a.account("Off")
	k := a.key(dom, acc)
	expect(t, a.do("GET", "/api/lumi/v1/balance", k.Secret, ""), 503, lumi.CodeAPIDisabled)
	expect(t, a.do("GET", "/api/lumi/proxy/v1/proxies", "", ""), 503, lumi.CodeAPIDisabled)
}

func TestMoneyDisabled(t *testing.T) {
	t.Parallel()
	a := startApp(t, newDBURL(t), func(c *config.Config) { c.APIMoneyEnabled = false })
	acc := a.account("NoMoney")
	k := a.key(dom, acc)
	expect(t, a.do("POST", "/api/lumi/v1/deposits", k.Secret, `{"amount_usd":"5.00"}`, "Idempotency-Key", "dep-00000001"), 403, lumi.CodeMoneyDisabled)
	expect(t, a.do("POST", "/api/lumi/v1/domains", k.Secret, buyBody("a.com"), "Idempotency-Key", "buy-00000001"), 403, lumi.CodeMoneyDisabled)
	if r := a.do("GET", "/api/lumi/v1/balance", k.Secret, ""); r.Status != 200 {
		t.Fatalf("reads still work: %d %s", r.Status, r.Raw)
	}
}

func TestAuthScopesAndErrors(t *testing.T) {
	t.Parallel()
	a := startApp(t, newDBURL(t))
	acc := a.account("Auth")
	dk := a.key(dom, acc)
	hk := a.key(apikeys.LumiHosting, acc)
	readOnly := a.key(dom, acc, withScopes("domains:read"))

	expect(t, a.do("GET", "/api/lumi/v1/balance", "", ""), 401, lumi.CodeMissingBearer)
	expect(t, a.do("GET", "/api/lumi/v1/balance", "lumi_domains_"+strings.Repeat("a", 40), ""), 401, lumi.CodeInvalidKey)
	expect(t, a.do("GET", "/api/lumi/hosting/v1/vps", dk.Secret, ""), 401, lumi.CodeInvalidKey) // a domains key on hosting
	expect(t, a.do("GET", "/api/lumi/v1/domains", hk.Secret, ""), 401, lumi.CodeInvalidKey)
	r := a.do("POST", "/api/lumi/v1/domains", readOnly.Secret, buyBody("x.com"), "Idempotency-Key", "scope-000001")
	expect(t, r, 403, lumi.CodeForbiddenScope)
	if r.message() != "Key lacks the required scope 'domains:buy'." {
		t.Errorf("message %q", r.message())
	}
	expect(t, a.do("POST", "/api/lumi/v1/deposits", readOnly.Secret, `{"amount_usd":"1"}`, "Idempotency-Key", "scope-000002"), 403, lumi.CodeForbiddenScope)
	expect(t, a.do("GET", "/api/lumi/v1/nothing-here", dk.Secret, ""), 404, lumi.CodeNotFound)
	expect(t, a.do("GET", "/api/lumi/v1/domains/999999", dk.Secret, ""), 404, lumi.CodeNotFound)
	expect(t, a.do("GET", "/api/lumi/v1/domains?limit=0", dk.Secret, ""), 422, lumi.CodeValidation)
	expect(t, a.do("GET", "/api/lumi/v1/domains?limit=201", dk.Secret, ""), 422, lumi.CodeValidation)
	expect(t, a.do("POST", "/api/lumi/v1/deposits", dk.Secret, `{"amount_usd":5}`, "Idempotency-Key", "dep-num-0001"), 422, lumi.CodeValidation)
	expect(t, a.do("POST", "/api/lumi/v1/deposits", dk.Secret, `not json`, "Idempotency-Key", "dep-bad-0001"), 422, lumi.CodeValidation)

	// Revoked keys are invalid.
	if _, err := a.Svc.APIKeys.Revoke(t.Context(), actor, dk.Key.ID, "test"); err != nil {
		t.Fatal(err)
	}
	expect(t, a.do("GET", "/api/lumi/v1/balance", dk.Secret, ""), 401, lumi.CodeInvalidKey)
}

func TestRateLimits(t *testing.T) {
	t.Parallel()
	a := startApp(t, newDBURL(t))
	a.prices()
	acc := a.account("Rate")
	a.topUp(acc, "100.00")
	k := a.key(dom, acc, withRate(3))
	for i := 0; i < 3; i++ {
		if r := a.do("GET", "/api/lumi/v1/balance", k.Secret, ""); r.Status != 200 {
			t.Fatalf("request %d: %d", i, r.Status)
		}
	}
	r := a.do("GET", "/api/lumi/v1/balance", k.Secret, "")
	expect(t, r, 429, lumi.CodeRateLimited)
	if s, err := strconv.Atoi(r.Header.Get("Retry-After")); err != nil || s < 1 {
		t.Fatalf("Retry-After %q", r.Header.Get("Retry-After"))
	}

	// Money: 20 tokens per minute, one per bulk item.
	m := a.key(dom, acc)
	// 26 items: the last call asks for 11 more than the 5 left, so it stays
	// refused even if a slow run lets a few tokens refill (one per 3 s).
	// (More items than the bucket holds: TestBulkAboveMoneyLimit.)
	items := make([]string, 26)
	for i := range items {
		items[i] = fmt.Sprintf(`{"domain":"rl%d.com"}`, i)
	}
	r = a.do("POST", "/api/lumi/v1/domains/bulk", m.Secret, `{"items":[`+strings.Join(items[:15], ",")+`]}`, "Idempotency-Key", "bulk-rate-02")
	if r.Status != 200 {
		t.Fatalf("15 items: %d %s", r.Status, r.Raw)
	}
	r = a.do("POST", "/api/lumi/v1/domains/bulk", m.Secret, `{"items":[`+strings.Join(items[15:], ",")+`]}`, "Idempotency-Key", "bulk-rate-03")
	expect(t, r, 429, lumi.CodeRateLimited) // 15 + 11 > 20
}

// A bulk of more items than the money bucket holds (up to the 500 cap) is
// let in on a fresh default key and runs as a batch; it leaves the key in
// debt, so the next money request waits until the items' tokens have
// refilled, and Retry-After says how long.
func TestBulkAboveMoneyLimit(t *testing.T) {
	t.Parallel()
	a := startApp(t, newDBURL(t))
	a.prices()
	acc := a.account("Debt")
	a.topUp(acc, "20.00") // two domains; the rest fail for funds, quickly
	k := a.key(dom, acc)

	items := make([]string, lumi.MaxBulk)
	for i := range items {
		items[i] = fmt.Sprintf(`{"domain":"debt%d.com"}`, i)
	}
	body := `{"items":[` + strings.Join(items, ",") + `]}`
	r := a.do("POST", "/api/lumi/v1/domains/bulk", k.Secret, body, "Idempotency-Key", "bulk-debt-0001")
	if r.Status != 202 || r.JSON["batch_id"] == nil || r.JSON["total"] != float64(lumi.MaxBulk) {
		t.Fatalf("500 items on a fresh key: %d %s (Retry-After %q)", r.Status, r.Raw, r.Header.Get("Retry-After"))
	}
	id := r.JSON["batch_id"].(string)

	// 500 tokens at one per 3 s, 20 of them the bucket: 1,440 s of debt,
	// then 3 s for the next token.
	dep := a.do("POST", "/api/lumi/v1/deposits", k.Secret, `{"amount_usd":"5.00"}`, "Idempotency-Key", "dep-after-debt1")
	expect(t, dep, 429, lumi.CodeRateLimited)
	if s, err := strconv.Atoi(dep.Header.Get("Retry-After")); err != nil || s < 1380 || s > 1443 {
		t.Fatalf("Retry-After %q, want ~1443", dep.Header.Get("Retry-After"))
	}

	for deadline := time.Now().Add(90 * time.Second); ; {
		st := a.do("GET", "/api/lumi/v1/batches/"+id, k.Secret, "")
		if st.Status != 200 {
			t.Fatalf("poll: %d %s", st.Status, st.Raw)
		}
		if st.JSON["status"] == "done" {
			if st.JSON["done"] != float64(lumi.MaxBulk) || st.JSON["ok"] != float64(2) {
				t.Fatalf("batch %s", st.Raw)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("batch not done: %s", st.Raw)
		}
		time.Sleep(500 * time.Millisecond) // the regular limit is 120 requests a minute
	}
}

// A repeat of a completed money request is answered from its record even
// when the key has no money tokens left, and the loser of two identical
// requests still gets 409 in_progress; a new request is still refused.
func TestReplayNotRateLimited(t *testing.T) {
	t.Parallel()
	a := startApp(t, newDBURL(t))
	acc := a.account("Replay")
	k := a.key(dom, acc)
	deposit := func(n int) resp {
		return a.do("POST", "/api/lumi/v1/deposits", k.Secret, `{"amount_usd":"5.00"}`, "Idempotency-Key", fmt.Sprintf("dep-replay-%04d", n))
	}
	first := deposit(0)
	if first.Status != 201 {
		t.Fatalf("deposit: %d %s", first.Status, first.Raw)
	}
	for i := 1; i < lumi.MoneyLimit-1; i++ {
		if r := deposit(i); r.Status != 201 {
			t.Fatalf("deposit %d: %d %s", i, r.Status, r.Raw)
		}
	}
	// The 20th token goes to a request held between its claim and its operation.
	entered, release := make(chan struct{}), make(chan struct{})
	lumi.SetTestHook(func(key string) {
		if key == "dep-replay-held" {
			close(entered)
			<-release
		}
	})
	var releaseOnce sync.Once
	unblock := func() { releaseOnce.Do(func() { close(release) }) }
	t.Cleanup(func() { lumi.SetTestHook(nil); unblock() }) // a failed check must not leave the request held
	held := make(chan resp, 1)
	go func() {
		r, _ := a.try("POST", "/api/lumi/v1/deposits", k.Secret, `{"amount_usd":"5.00"}`, "Idempotency-Key", "dep-replay-held")
		held <- r
	}()
	select {
	case <-entered:
	case <-time.After(10 * time.Second):
		t.Fatal("held request never reached the operation")
	}
	// The bucket stays empty for the rest of the test, however slow the run
	// (a token comes back every 3 s).
	if _, err := a.Svc.DB.Pool.Exec(t.Context(), "UPDATE api_rate_limits SET tat = now() + interval '60 seconds' WHERE key_id = $1 AND bucket = 'money'", k.Key.ID); err != nil {
		t.Fatal(err)
	}
	expect(t, a.do("POST", "/api/lumi/v1/deposits", k.Secret, `{"amount_usd":"5.00"}`, "Idempotency-Key", "dep-replay-held"), 409, lumi.CodeInProgress)
	unblock()
	if r := <-held; r.Status != 201 {
		t.Fatalf("held: %d %s", r.Status, r.Raw)
	}

	expect(t, deposit(lumi.MoneyLimit), 429, lumi.CodeRateLimited)
	again := deposit(0)
	if again.Status != 201 || string(again.Raw) != string(first.Raw) || again.Header.Get("Idempotent-Replayed") != "true" {
		t.Fatalf("replay: %d %s", again.Status, again.Raw)
	}
	if r := a.do("POST", "/api/lumi/v1/deposits", k.Secret, `{"amount_usd":"5.00"}`, "Idempotency-Key", "dep-replay-held"); r.Status != 201 || r.Header.Get("Idempotent-Replayed") != "true" {
		t.Fatalf("replay of the held one: %d %s", r.Status, r.Raw)
	}
	// A new request is still refused: the replays spent nothing and gave nothing back.
	expect(t, deposit(lumi.MoneyLimit+1), 429, lumi.CodeRateLimited)
}

func TestIdempotency(t *testing.T) {
	t.Parallel()
	a := startApp(t, newDBURL(t))
	a.prices()
	acc := a.account("Idem")
	a.topUp(acc, "50.00")
	k := a.key(dom, acc)

	expect(t, a.do("POST", "/api/lumi/v1/deposits", k.Secret, `{"amount_usd":"5.00"}`), 400, lumi.CodeIdemRequired)
	expect(t, a.do("POST", "/api/lumi/v1/deposits", k.Secret, `{"amount_usd":"5.00"}`, "Idempotency-Key", "short"), 400, lumi.CodeIdemRequired)
	expect(t, a.do("POST", "/api/lumi/v1/deposits", k.Secret, `{"amount_usd":"5.00"}`, "Idempotency-Key", strings.Repeat("k", 201)), 400, lumi.CodeIdemRequired)

	dep := a.do("POST", "/api/lumi/v1/deposits", k.Secret, `{"amount_usd":"5.15","provider":"sandbox_crypto"}`, "Idempotency-Key", "dep-2026-06-09-001")
	if dep.Status != 201 || dep.JSON["amount_usd"] != "5.15" || dep.Header.Get("Idempotent-Replayed") != "" {
		t.Fatalf("deposit: %d %s", dep.Status, dep.Raw)
	}
	again := a.do("POST", "/api/lumi/v1/deposits", k.Secret, `{"amount_usd":"5.15","provider":"sandbox_crypto"}`, "Idempotency-Key", "dep-2026-06-09-001")
	if again.Status != 201 || string(again.Raw) != string(dep.Raw) || again.Header.Get("Idempotent-Replayed") != "true" {
		t.Fatalf("replay: %d %s %q", again.Status, again.Raw, again.Header.Get("Idempotent-Replayed"))
	}
	other := a.do("POST", "/api/lumi/v1/deposits", k.Secret, `{"amount_usd":"9.00"}`, "Idempotency-Key", "dep-2026-06-09-001")
	expect(t, other, 422, lumi.CodeValidation)
	if !strings.Contains(other.message(), "another request body") {
		t.Errorf("message %q", other.message())
	}
	list := a.do("GET", "/api/lumi/v1/deposits", k.Secret, "")
	if items, _ := list.JSON["items"].([]any); len(items) != 2 { // with the manual top-up
		t.Fatalf("two deposits, got %s", list.Raw)
	}

	// A purchase replayed moves money once.
	buy := a.do("POST", "/api/lumi/v1/domains", k.Secret, buyBody("once.com"), "Idempotency-Key", "buy-once-0001")
	if buy.Status != 201 || buy.JSON["name"] != "once.com" {
		t.Fatalf("buy: %d %s", buy.Status, buy.Raw)
	}
	re := a.do("POST", "/api/lumi/v1/domains", k.Secret, buyBody("once.com"), "Idempotency-Key", "buy-once-0001")
	if re.Status != 201 || string(re.Raw) != string(buy.Raw) || re.Header.Get("Idempotent-Replayed") != "true" {
		t.Fatalf("replay: %d %s", re.Status, re.Raw)
	}
	if n := a.ledgerCount(acc, "purchase"); n != 1 {
		t.Fatalf("%d purchases in the ledger", n)
	}
	if b := a.balance(acc); b != 4000 {
		t.Fatalf("balance %s", b)
	}
	// A failed operation's answer is replayed too (not re-run).
	r1 := a.do("POST", "/api/lumi/v1/domains", k.Secret, buyBody("taken-x.com"), "Idempotency-Key", "buy-taken-001")
	r2 := a.do("POST", "/api/lumi/v1/domains", k.Secret, buyBody("taken-x.com"), "Idempotency-Key", "buy-taken-001")
	if r1.Status != 422 || r2.Status != 422 || r2.Header.Get("Idempotent-Replayed") != "true" {
		t.Fatalf("taken: %d %d %s", r1.Status, r2.Status, r2.Raw)
	}
}

func TestInProgress(t *testing.T) {
	t.Parallel()
	a := startApp(t, newDBURL(t))
	acc := a.account("Hold")
	k := a.key(dom, acc)
	entered, release := make(chan struct{}), make(chan struct{})
	lumi.SetTestHook(func(key string) {
		if key == "hold-me-0001" {
			close(entered)
			<-release
		}
	})
	t.Cleanup(func() { lumi.SetTestHook(nil) })
	body := `{"amount_usd":"3.00"}`
	done := make(chan resp)
	go func() {
		r, _ := a.try("POST", "/api/lumi/v1/deposits", k.Secret, body, "Idempotency-Key", "hold-me-0001")
		done <- r
	}()
	select {
	case <-entered:
	case <-time.After(10 * time.Second):
		t.Fatal("first request never reached the operation")
	}
	expect(t, a.do("POST", "/api/lumi/v1/deposits", k.Secret, body, "Idempotency-Key", "hold-me-0001"), 409, lumi.CodeInProgress)
	// Nothing is stored while the owner runs, so another body is in progress too.
	expect(t, a.do("POST", "/api/lumi/v1/deposits", k.Secret, `{"amount_usd":"4.00"}`, "Idempotency-Key", "hold-me-0001"), 409, lumi.CodeInProgress)
	close(release)
	first := <-done
	if first.Status != 201 {
		t.Fatalf("first: %d %s", first.Status, first.Raw)
	}
	expect(t, a.do("POST", "/api/lumi/v1/deposits", k.Secret, `{"amount_usd":"4.00"}`, "Idempotency-Key", "hold-me-0001"), 422, lumi.CodeValidation)
	r := a.do("POST", "/api/lumi/v1/deposits", k.Secret, body, "Idempotency-Key", "hold-me-0001")
	if r.Status != 201 || string(r.Raw) != string(first.Raw) || r.Header.Get("Idempotent-Replayed") != "true" {
		t.Fatalf("after: %d %s", r.Status, r.Raw)
	}
}

func TestDailyCap(t *testing.T) {
	t.Parallel()
	a := startApp(t, newDBURL(t))
	a.prices()
	acc := a.account("Cap")
	a.topUp(acc, "100.00")
	k := a.key(dom, acc, withCap(2500)) // 25.00 a day; .com is 10.00
	for i := 0; i < 2; i++ {
		if r := a.do("POST", "/api/lumi/v1/domains", k.Secret, buyBody(fmt.Sprintf("cap%d.com", i)), "Idempotency-Key", fmt.Sprintf("cap-buy-%04d", i)); r.Status != 201 {
			t.Fatalf("buy %d: %d %s", i, r.Status, r.Raw)
		}
	}
	r := a.do("POST", "/api/lumi/v1/domains", k.Secret, buyBody("cap2.com"), "Idempotency-Key", "cap-buy-0002")
	expect(t, r, 402, lumi.CodeDailyCapExceeded)
	// A refused purchase counts nothing and can be retried with the same key.
	if spent, _ := a.Svc.APIKeys.SpentToday(t.Context(), k.Key.ID); spent != 2000 {
		t.Fatalf("spent %s", spent)
	}
	// Deposits are not spend.
	if r := a.do("POST", "/api/lumi/v1/deposits", k.Secret, `{"amount_usd":"50.00"}`, "Idempotency-Key", "cap-dep-0001"); r.Status != 201 {
		t.Fatalf("deposit: %d %s", r.Status, r.Raw)
	}
	// Operators are exempt.
	op := a.key(dom, 0, operatorKey, withCap(100))
	uid := strconv.FormatInt(acc, 10)
	if r := a.do("POST", "/api/lumi/v1/domains", op.Secret, `{"domain":"op.com","user_id":`+uid+`}`, "Idempotency-Key", "cap-op-00001"); r.Status != 201 {
		t.Fatalf("operator: %d %s", r.Status, r.Raw)
	}
	if b := a.balance(acc); b != money.Cents(100_00-3*10_00) {
		t.Fatalf("balance %s", b)
	}
}

func TestSignature(t *testing.T) {
	t.Parallel()
	a := startApp(t, newDBURL(t))
	acc := a.account("Sig")
	k := a.key(dom, acc, withSigning)
	body := `{"amount_usd":"5","provider":"sandbox_crypto"}`
	expect(t, a.do("POST", "/api/lumi/v1/deposits", k.Secret, body, "Idempotency-Key", "sig-00000001"), 401, lumi.CodeInvalidSignature)
	expect(t, a.do("POST", "/api/lumi/v1/deposits", k.Secret, body, "Idempotency-Key", "sig-00000002", "X-Signature", apikeys.Sign("wrong", []byte(body))), 401, lumi.CodeInvalidSignature)
	expect(t, a.do("POST", "/api/lumi/v1/deposits", k.Secret, body, "Idempotency-Key", "sig-00000003", "X-Signature", apikeys.Sign(k.SigningSecret, []byte(body+" "))), 401, lumi.CodeInvalidSignature)
	r := a.do("POST", "/api/lumi/v1/deposits", k.Secret, body, "Idempotency-Key", "sig-00000004", "X-Signature", apikeys.Sign(k.SigningSecret, []byte(body)))
	if r.Status != 201 || r.JSON["amount_usd"] != "5.00" {
		t.Fatalf("signed: %d %s", r.Status, r.Raw)
	}
	// Keys without a signing secret need none; reads never do.
	plain := a.key(dom, acc)
	if r := a.do("POST", "/api/lumi/v1/deposits", plain.Secret, body, "Idempotency-Key", "sig-00000005"); r.Status != 201 {
		t.Fatalf("unsigned key: %d %s", r.Status, r.Raw)
	}
	if r := a.do("GET", "/api/lumi/v1/balance", k.Secret, ""); r.Status != 200 {
		t.Fatalf("read: %d", r.Status)
	}
}

func TestResellerScopeAndOperator(t *testing.T) {
	t.Parallel()
	a := startApp(t, newDBURL(t))
	a.prices()
	mine, other := a.account("Mine"), a.account("Other")
	a.topUp(mine, "30.00")
	a.topUp(other, "30.00")
	k := a.key(dom, mine)
	ok := a.key(dom, other)
	op := a.key(dom, 0, operatorKey)
	otherID := strconv.FormatInt(other, 10)

	theirs := a.do("POST", "/api/lumi/v1/domains", ok.Secret, buyBody("theirs.com"), "Idempotency-Key", "theirs-00001")
	if theirs.Status != 201 {
		t.Fatalf("buy: %d %s", theirs.Status, theirs.Raw)
	}
	id := strconv.FormatInt(int64(theirs.JSON["id"].(float64)), 10)

	expect(t, a.do("GET", "/api/lumi/v1/balance?user_id="+otherID, k.Secret, ""), 404, lumi.CodeNotFound)
	expect(t, a.do("GET", "/api/lumi/v1/domains/"+id, k.Secret, ""), 404, lumi.CodeNotFound)
	expect(t, a.do("POST", "/api/lumi/v1/domains/"+id+"/renew", k.Secret, `{"years":1}`, "Idempotency-Key", "renew-foreign1"), 404, lumi.CodeNotFound)
	expect(t, a.do("PATCH", "/api/lumi/v1/domains/"+id, k.Secret, `{"lock":true}`), 404, lumi.CodeNotFound)
	expect(t, a.do("POST", "/api/lumi/v1/domains", k.Secret, `{"domain":"z.com","user_id":`+otherID+`}`, "Idempotency-Key", "foreign-00001"), 404, lumi.CodeNotFound)
	if r := a.do("GET", "/api/lumi/v1/balance?user_id="+strconv.FormatInt(mine, 10), k.Secret, ""); r.Status != 200 || r.JSON["balance_usd"] != "30.00" {
		t.Fatalf("own balance: %d %s", r.Status, r.Raw)
	}

	// Operators pass user_id; it is required for money and balance.
	expect(t, a.do("POST", "/api/lumi/v1/domains", op.Secret, buyBody("op1.com"), "Idempotency-Key", "op-buy-00001"), 422, lumi.CodeValidation)
	expect(t, a.do("GET", "/api/lumi/v1/balance", op.Secret, ""), 422, lumi.CodeValidation)
	if r := a.do("GET", "/api/lumi/v1/balance?user_id="+otherID, op.Secret, ""); r.Status != 200 || r.JSON["balance_usd"] != "20.00" {
		t.Fatalf("operator balance: %d %s", r.Status, r.Raw)
	}
	if r := a.do("GET", "/api/lumi/v1/domains/"+id, op.Secret, ""); r.Status != 200 {
		t.Fatalf("operator get: %d %s", r.Status, r.Raw)
	}
	// An operator naming a user_id acts within that account only.
	mineID := strconv.FormatInt(mine, 10)
	expect(t, a.do("GET", "/api/lumi/v1/domains/"+id+"?user_id="+mineID, op.Secret, ""), 404, lumi.CodeNotFound)
	expect(t, a.do("PATCH", "/api/lumi/v1/domains/"+id, op.Secret, `{"lock":true,"user_id":`+mineID+`}`), 404, lumi.CodeNotFound)
	if r := a.do("GET", "/api/lumi/v1/domains?user_id="+mineID, op.Secret, ""); r.Status != 200 || len(r.JSON["items"].([]any)) != 0 {
		t.Fatalf("operator list of mine: %d %s", r.Status, r.Raw)
	}
	if r := a.do("GET", "/api/lumi/v1/domains?user_id="+otherID, op.Secret, ""); r.Status != 200 || len(r.JSON["items"].([]any)) != 1 {
		t.Fatalf("operator list of other: %d %s", r.Status, r.Raw)
	}
	if r := a.do("GET", "/api/lumi/v1/domains", k.Secret, ""); r.Status != 200 || len(r.JSON["items"].([]any)) != 0 {
		t.Fatalf("reseller list: %d %s", r.Status, r.Raw)
	}
	ren := a.do("POST", "/api/lumi/v1/domains/"+id+"/renew", op.Secret, `{"years":1,"user_id":"`+otherID+`"}`, "Idempotency-Key", "op-renew-0001")
	if ren.Status != 200 {
		t.Fatalf("renew: %d %s", ren.Status, ren.Raw)
	}
	if b := a.balance(other); b != 30_00-10_00-12_00 {
		t.Fatalf("balance %s", b)
	}
	// A bulk body that is the spec's bare array takes user_id from the query.
	expect(t, a.do("POST", "/api/lumi/v1/domains/bulk", op.Secret, `[{"domain":"opbulk.com"}]`, "Idempotency-Key", "op-bulk-0001"), 422, lumi.CodeValidation)
	expect(t, a.do("POST", "/api/lumi/v1/domains/bulk?user_id="+otherID, k.Secret, `[{"domain":"kbulk.com"}]`, "Idempotency-Key", "k-bulk-00001"), 404, lumi.CodeNotFound)
	if r := a.do("POST", "/api/lumi/v1/domains/bulk?user_id="+otherID, op.Secret, `[{"domain":"opbulk.com"}]`, "Idempotency-Key", "op-bulk-0002"); r.Status != 200 || r.JSON["total"] != 1.0 {
		t.Fatalf("operator bulk as a bare array: %d %s", r.Status, r.Raw)
	}
	patch := a.do("PATCH", "/api/lumi/v1/domains/"+id, ok.Secret, `{"lock":true,"privacy":true,"auto_renew":true,"nameservers":["ns1.example.net","ns2.example.net"]}`)
	if patch.Status != 200 || patch.JSON["locked"] != true || patch.JSON["privacy"] != true || patch.JSON["auto_renew"] != true {
		t.Fatalf("patch: %d %s", patch.Status, patch.Raw)
	}
	expect(t, a.do("PATCH", "/api/lumi/v1/domains/"+id, ok.Secret, `{"lock":"yes"}`), 422, lumi.CodeValidation)
	// Insufficient funds.
	r := a.do("POST", "/api/lumi/v1/domains", k.Secret, `{"domain":"big.com","years":5}`, "Idempotency-Key", "too-big-00001")
	expect(t, r, 402, lumi.CodeInsufficientFunds)
}

// An operator key naming one account in the query and another in the body
// is refused, with nothing written; the same account in both is fine.
func TestUserIDQueryAndBodyDisagree(t *testing.T) {
	t.Parallel()
	a := startApp(t, newDBURL(t))
	a.prices()
	one, two := a.account("One"), a.account("Two")
	a.topUp(one, "30.00")
	a.topUp(two, "30.00")
	op := a.key(dom, 0, operatorKey)
	oneID, twoID := strconv.FormatInt(one, 10), strconv.FormatInt(two, 10)

	r := a.do("POST", "/api/lumi/v1/deposits?user_id="+twoID, op.Secret, `{"amount_usd":"5","user_id":`+oneID+`}`, "Idempotency-Key", "uid-clash-0001")
	expect(t, r, 422, lumi.CodeValidation)
	if !strings.HasPrefix(r.message(), "user_id ") {
		t.Errorf("message %q does not name user_id", r.message())
	}
	r = a.do("POST", "/api/lumi/v1/domains?user_id="+oneID, op.Secret, `{"domain":"clash.com","user_id":"`+twoID+`"}`, "Idempotency-Key", "uid-clash-0002")
	expect(t, r, 422, lumi.CodeValidation)
	var deposits int
	if err := a.Svc.DB.Pool.QueryRow(t.Context(), "SELECT count(*) FROM deposits WHERE account_id IN ($1, $2)", one, two).Scan(&deposits); err != nil {
		t.Fatal(err)
	}
	if deposits != 2 || a.ledgerCount(one, "purchase") != 0 || a.ledgerCount(two, "purchase") != 0 { // the two manual top-ups
		t.Fatalf("written anyway: %d deposits, purchases %d/%d", deposits, a.ledgerCount(one, "purchase"), a.ledgerCount(two, "purchase"))
	}

	dep := a.do("POST", "/api/lumi/v1/deposits?user_id="+oneID, op.Secret, `{"amount_usd":"5","user_id":`+oneID+`}`, "Idempotency-Key", "uid-same-00001")
	if dep.Status != 201 || dep.JSON["user_id"] != float64(one) {
		t.Fatalf("same user_id in both: %d %s", dep.Status, dep.Raw)
	}
	buy := a.do("POST", "/api/lumi/v1/domains?user_id="+twoID, op.Secret, `{"domain":"same.com","user_id":"`+twoID+`"}`, "Idempotency-Key", "uid-same-00002")
	if buy.Status != 201 || a.balance(two) != 20_00 {
		t.Fatalf("buy with the same user_id in both: %d %s", buy.Status, buy.Raw)
	}
}

func TestCursorList(t *testing.T) {
	t.Parallel()
	a := startApp(t, newDBURL(t))
	a.prices()
	acc := a.account("List")
	a.topUp(acc, "100.00")
	k := a.key(dom, acc, withRate(1000))
	for i := 0; i < 5; i++ {
		if r := a.do("POST", "/api/lumi/v1/domains", k.Secret, buyBody(fmt.Sprintf("list%d.com", i)), "Idempotency-Key", fmt.Sprintf("list-buy-%04d", i)); r.Status != 201 {
			t.Fatalf("buy: %d %s", r.Status, r.Raw)
		}
	}
	var names []string
	cursor := ""
	for page := 0; ; page++ {
		r := a.do("GET", "/api/lumi/v1/domains?limit=2&cursor="+cursor, k.Secret, "")
		if r.Status != 200 {
			t.Fatalf("page %d: %d %s", page, r.Status, r.Raw)
		}
		for _, it := range r.JSON["items"].([]any) {
			names = append(names, it.(map[string]any)["name"].(string))
		}
		if r.JSON["has_more"] != true {
			if r.JSON["next_cursor"] != nil {
				t.Fatalf("last page next_cursor %v", r.JSON["next_cursor"])
			}
			break
		}
		cursor = r.JSON["next_cursor"].(string)
	}
	want := []string{"list4.com", "list3.com", "list2.com", "list1.com", "list0.com"}
	if diff := cmp.Diff(want, names); diff != "" {
		t.Fatal(diff)
	}
	r := a.do("GET", "/api/lumi/v1/domains", k.Secret, "")
	if items := r.JSON["items"].([]any); len(items) != 5 || r.JSON["has_more"] != false {
		t.Fatalf("default page: %s", r.Raw)
	}
	expect(t, a.do("GET", "/api/lumi/v1/domains?cursor=garbage", k.Secret, ""), 422, lumi.CodeValidation)
}

func TestBulk(t *testing.T) {
	t.Parallel()
	a := startApp(t, newDBURL(t))
	a.prices()
	acc := a.account("Bulk")
	a.topUp(acc, "1000.00")
	k := a.key(dom, acc, withRate(6000)) // money: 1000 tokens a minute

	items := make([]string, 501)
	for i := range items {
		items[i] = fmt.Sprintf(`{"domain":"b%d.com"}`, i)
	}
	expect(t, a.do("POST", "/api/lumi/v1/domains/bulk", k.Secret, `{"items":[`+strings.Join(items, ",")+`]}`, "Idempotency-Key", "bulk-big-0001"), 413, lumi.CodeBatchTooLarge)
	for i, body := range []string{`{"items":[]}`, `[]`, `{"items":{"domain":"a.com"}}`, `{}`, `[1]`, `[{"domain":"a.com"}`} {
		expect(t, a.do("POST", "/api/lumi/v1/domains/bulk", k.Secret, body, "Idempotency-Key", fmt.Sprintf("bulk-empty-%02d", i)), 422, lumi.CodeValidation)
	}

	// The spec's body is the bare array; {"items": [...]} is taken too (below).
	r := a.do("POST", "/api/lumi/v1/domains/bulk", k.Secret, `[{"domain":"a.com"},{"domain":"taken-b.com"},{"domain":"c.com","years":2}]`, "Idempotency-Key", "bulk-small-01")
	if r.Status != 200 {
		t.Fatalf("bulk: %d %s", r.Status, r.Raw)
	}
	var got struct {
		Total, OK, Failed int
		Items             []struct {
			Ref, Status string
			Result      map[string]any
			Error       *struct{ Code, Message string }
		}
	}
	if err := json.Unmarshal(r.Raw, &got); err != nil {
		t.Fatal(err)
	}
	if got.Total != 3 || got.OK != 2 || got.Failed != 1 || len(got.Items) != 3 {
		t.Fatalf("bulk result %s", r.Raw)
	}
	if got.Items[0].Ref != "a.com" || got.Items[0].Status != "ok" || got.Items[0].Result["name"] != "a.com" {
		t.Errorf("item 0 %+v", got.Items[0])
	}
	if got.Items[1].Ref != "taken-b.com" || got.Items[1].Status != "failed" || got.Items[1].Error == nil || got.Items[1].Error.Code != lumi.CodeValidation {
		t.Errorf("item 1 %+v", got.Items[1])
	}
	if b := a.balance(acc); b != 1000_00-10_00-20_00 {
		t.Fatalf("balance %s", b)
	}

	// More than 20 items: 202 and a batch to poll.
	big := make([]string, 25)
	for i := range big {
		big[i] = fmt.Sprintf(`{"domain":"batch%d.com"}`, i)
	}
	big[7] = `{"domain":"taken-batch.com"}`
	r = a.do("POST", "/api/lumi/v1/domains/bulk", k.Secret, `{"items":[`+strings.Join(big, ",")+`]}`, "Idempotency-Key", "bulk-async-01")
	if r.Status != 202 || r.JSON["batch_id"] == nil {
		t.Fatalf("async: %d %s", r.Status, r.Raw)
	}
	id := r.JSON["batch_id"].(string)
	var st resp
	for deadline := time.Now().Add(60 * time.Second); ; {
		st = a.do("GET", "/api/lumi/v1/batches/"+id, k.Secret, "")
		if st.Status != 200 {
			t.Fatalf("poll: %d %s", st.Status, st.Raw)
		}
		if st.JSON["status"] == "done" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("batch not done: %s", st.Raw)
		}
		time.Sleep(100 * time.Millisecond)
	}
	if st.JSON["total"].(float64) != 25 || st.JSON["done"].(float64) != 25 || st.JSON["ok"].(float64) != 24 || st.JSON["failed"].(float64) != 1 {
		t.Fatalf("batch %s", st.Raw)
	}
	if items := st.JSON["items"].([]any); len(items) != 25 {
		t.Fatalf("%d items", len(items))
	}
	// Another account's key does not see the batch.
	other := a.key(dom, a.account("Nosy"))
	expect(t, a.do("GET", "/api/lumi/v1/batches/"+id, other.Secret, ""), 404, lumi.CodeNotFound)
	// The 202 is replayed, not re-run.
	again := a.do("POST", "/api/lumi/v1/domains/bulk", k.Secret, `{"items":[`+strings.Join(big, ",")+`]}`, "Idempotency-Key", "bulk-async-01")
	if again.Status != 202 || again.JSON["batch_id"] != id || again.Header.Get("Idempotent-Replayed") != "true" {
		t.Fatalf("replay: %d %s", again.Status, again.Raw)
	}
	if n := a.ledgerCount(acc, "purchase"); n != 2+24 {
		t.Fatalf("%d purchases", n)
	}
}

// A proxy purchase may leave out type: it is http, as the server's own
// OpenAPI schema says (optional, enum http/socks5, default http).
func TestProxyTypeOptional(t *testing.T) {
	t.Parallel()
	a := startApp(t, newDBURL(t))
	a.prices()
	acc := a.account("Px")
	a.topUp(acc, "10.00")
	pk := a.key(apikeys.LumiProxy, acc)

	p := a.do("POST", "/api/lumi/proxy/v1/proxies", pk.Secret, `{"plan":"res","country":"NL"}`, "Idempotency-Key", "px-notype-001")
	if p.Status != 201 || p.JSON["type"] != "http" {
		t.Fatalf("buy without type: %d %s", p.Status, p.Raw)
	}
	re := a.do("POST", "/api/lumi/proxy/v1/proxies", pk.Secret, `{"plan":"res","country":"NL"}`, "Idempotency-Key", "px-notype-001")
	if re.Status != 201 || string(re.Raw) != string(p.Raw) {
		t.Fatalf("replay: %d %s", re.Status, re.Raw)
	}
	s := a.do("POST", "/api/lumi/proxy/v1/proxies", pk.Secret, `{"plan":"res","type":"socks5","country":"NL"}`, "Idempotency-Key", "px-socks-0001")
	if s.Status != 201 || s.JSON["type"] != "socks5" {
		t.Fatalf("buy socks5: %d %s", s.Status, s.Raw)
	}
	bad := a.do("POST", "/api/lumi/proxy/v1/proxies", pk.Secret, `{"plan":"res","type":"ftp","country":"NL"}`, "Idempotency-Key", "px-ftp-00001")
	expect(t, bad, 422, lumi.CodeValidation)
	if !strings.HasPrefix(bad.message(), "type: ") {
		t.Errorf("message %q", bad.message())
	}

	var doc struct {
		Paths map[string]map[string]struct {
			RequestBody struct {
				Content map[string]struct {
					Schema struct {
						Required   []string                  `json:"required"`
						Properties map[string]map[string]any `json:"properties"`
					} `json:"schema"`
				} `json:"content"`
			} `json:"requestBody"`
		} `json:"paths"`
	}
	if err := json.Unmarshal(a.do("GET", "/api/lumi/proxy/v1/openapi.json", "", "").Raw, &doc); err != nil {
		t.Fatal(err)
	}
	schema := doc.Paths["/proxies"]["post"].RequestBody.Content["application/json"].Schema
	want := map[string]any{"type": "string", "enum": []any{"http", "socks5"}, "default": "http"}
	if diff := cmp.Diff(want, schema.Properties["type"]); diff != "" {
		t.Errorf("documented type (-want +got):\n%s", diff)
	}
	if slices.Contains(schema.Required, "type") {
		t.Error("type is documented as required")
	}
}

func TestHostingAndProxy(t *testing.T) {
	t.Parallel()
	a := startApp(t, newDBURL(t))
	a.prices()
	acc := a.account("Host")
	a.topUp(acc, "100.00")
	hk := a.key(apikeys.LumiHosting, acc)
	pk := a.key(apikeys.LumiProxy, acc)

	if r := a.do("GET", "/api/lumi/hosting/v1/prices", hk.Secret, ""); r.Status != 200 || !strings.Contains(string(r.Raw), `"monthly_usd":"5.00"`) {
		t.Fatalf("prices: %d %s", r.Status, r.Raw)
	}
	v := a.do("POST", "/api/lumi/hosting/v1/vps", hk.Secret, `{"plan":"small","months":2,"hostname":"web1"}`, "Idempotency-Key", "vps-buy-0001")
	if v.Status != 201 || v.JSON["plan"] != "small" {
		t.Fatalf("buy vps: %d %s", v.Status, v.Raw)
	}
	id := strconv.FormatInt(int64(v.JSON["id"].(float64)), 10)
	if r := a.do("GET", "/api/lumi/hosting/v1/vps/"+id, hk.Secret, ""); r.Status != 200 {
		t.Fatalf("get: %d %s", r.Status, r.Raw)
	}
	if r := a.do("GET", "/api/lumi/hosting/v1/vps", hk.Secret, ""); r.Status != 200 || len(r.JSON["items"].([]any)) != 1 {
		t.Fatalf("list: %d %s", r.Status, r.Raw)
	}
	if r := a.do("POST", "/api/lumi/hosting/v1/vps/"+id+"/renew", hk.Secret, `{"months":1}`, "Idempotency-Key", "vps-renew-001"); r.Status != 200 {
		t.Fatalf("renew: %d %s", r.Status, r.Raw)
	}
	if r := a.do("POST", "/api/lumi/hosting/v1/vps/"+id+"/power", hk.Secret, `{"action":"stop"}`); r.Status != 200 {
		t.Fatalf("power: %d %s", r.Status, r.Raw)
	}
	expect(t, a.do("POST", "/api/lumi/hosting/v1/vps/"+id+"/power", hk.Secret, `{"action":"explode"}`), 422, lumi.CodeValidation)

	p := a.do("POST", "/api/lumi/proxy/v1/proxies", pk.Secret, `{"plan":"res","type":"http","country":"US"}`, "Idempotency-Key", "px-buy-00001")
	if p.Status != 201 {
		t.Fatalf("buy proxy: %d %s", p.Status, p.Raw)
	}
	pid := strconv.FormatInt(int64(p.JSON["id"].(float64)), 10)
	if r := a.do("PUT", "/api/lumi/proxy/v1/proxies/"+pid+"/allow-ips", pk.Secret, `{"ips":["203.0.113.7","198.51.100.0/24"]}`); r.Status != 200 {
		t.Fatalf("allow ips: %d %s", r.Status, r.Raw)
	}
	expect(t, a.do("PUT", "/api/lumi/proxy/v1/proxies/"+pid+"/allow-ips", pk.Secret, `{"ips":["nope"]}`), 422, lumi.CodeValidation)
	if r := a.do("POST", "/api/lumi/proxy/v1/proxies/"+pid+"/renew", pk.Secret, `{"months":1}`, "Idempotency-Key", "px-renew-0001"); r.Status != 200 {
		t.Fatalf("renew proxy: %d %s", r.Status, r.Raw)
	}
	if r := a.do("GET", "/api/lumi/proxy/v1/proxies/"+pid, pk.Secret, ""); r.Status != 200 {
		t.Fatalf("get proxy: %d %s", r.Status, r.Raw)
	}
	if b := a.balance(acc); b != 100_00-3*5_00-2*2_00 {
		t.Fatalf("balance %s", b)
	}
	// Balance is shared; keys are not.
	if r := a.do("GET", "/api/lumi/proxy/v1/balance", pk.Secret, ""); r.JSON["balance_usd"] != "81.00" {
		t.Fatalf("balance: %s", r.Raw)
	}
	expect(t, a.do("GET", "/api/lumi/proxy/v1/proxies", hk.Secret, ""), 401, lumi.CodeInvalidKey)
}

// Two app instances on one database, in this process (cmd/web's TestTwoNodes runs real serve processes).
func TestConcurrencyTwoAppsOneDatabase(t *testing.T) {
	t.Parallel()
	url := newDBURL(t)
	a1 := startApp(t, url)
	a2 := startApp(t, url)
	apps := []*tapp{a1, a2}
	a1.prices()

	t.Run("one idempotency key, 200 requests", func(t *testing.T) {
		acc := a1.account("Race")
		a1.topUp(acc, "100.00")
		k := a1.key(dom, acc, withRate(6000))
		var wg sync.WaitGroup
		statuses := make([]int, 200)
		bodies := make([]string, 200)
		for i := range 200 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				r, err := apps[i%2].try("POST", "/api/lumi/v1/domains", k.Secret, buyBody("race.com"), "Idempotency-Key", "race-key-0001")
				if err != nil {
					t.Error(err)
					return
				}
				statuses[i], bodies[i] = r.Status, string(r.Raw)
			}()
		}
		wg.Wait()
		var created []string
		for i, s := range statuses {
			switch s {
			case 201:
				created = append(created, bodies[i])
			case 409:
			default:
				t.Fatalf("status %d: %s", s, bodies[i])
			}
		}
		if len(created) == 0 {
			t.Fatal("no request succeeded")
		}
		for _, b := range created {
			if b != created[0] {
				t.Fatalf("different bodies: %s vs %s", b, created[0])
			}
		}
		if n := a1.ledgerCount(acc, "purchase"); n != 1 {
			t.Fatalf("%d ledger entries, want 1", n)
		}
		if b := a2.balance(acc); b != 90_00 {
			t.Fatalf("balance %s", b)
		}
	})

	t.Run("300 purchases, balance for 30", func(t *testing.T) {
		acc := a1.account("Crowd")
		a1.topUp(acc, "300.00") // 30 × 10.00 (cmd/web's TestTwoNodes runs the same race on real processes)
		op := a1.key(dom, 0, operatorKey, withRate(apikeys.MaxRateLimit))
		uid := strconv.FormatInt(acc, 10)
		var wg sync.WaitGroup
		statuses := make([]int, 300)
		for i := range 300 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				body := fmt.Sprintf(`{"domain":"crowd%d.com","user_id":%s}`, i, uid)
				r, err := apps[i%2].try("POST", "/api/lumi/v1/domains", op.Secret, body, "Idempotency-Key", fmt.Sprintf("crowd-%06d", i))
				if err != nil {
					t.Error(err)
					return
				}
				statuses[i] = r.Status
				if r.Status != 201 && r.code() != lumi.CodeInsufficientFunds {
					t.Errorf("status %d: %s", r.Status, r.Raw)
				}
			}()
		}
		wg.Wait()
		ok := 0
		for _, s := range statuses {
			if s == 201 {
				ok++
			}
		}
		if ok != 30 {
			t.Fatalf("%d purchases succeeded, want 30", ok)
		}
		if b := a1.balance(acc); b != 0 {
			t.Fatalf("balance %s, want 0", b)
		}
		if n := a1.ledgerCount(acc, "purchase"); n != 30 {
			t.Fatalf("%d ledger entries", n)
		}
		var neg int
		if err := a1.Svc.DB.Pool.QueryRow(t.Context(), "SELECT count(*) FROM ledger_entries WHERE account_id = $1 AND balance_after_cents < 0", acc).Scan(&neg); err != nil || neg != 0 {
			t.Fatalf("negative balances: %d %v", neg, err)
		}
	})
}

// Every served endpoint is documented in its product's OpenAPI file, with
// its method, and nothing else is.
func TestOpenAPIMatchesRoutes(t *testing.T) {
	t.Parallel()
	a := startApp(t, newDBURL(t))
	docs := map[string]map[string]map[string]any{}
	for _, base := range []string{"/api/lumi/hosting/v1", "/api/lumi/proxy/v1", "/api/lumi/v1"} {
		var doc struct {
			Paths map[string]map[string]any `json:"paths"`
		}
		if err := json.Unmarshal(a.do("GET", base+"/openapi.json", "", "").Raw, &doc); err != nil {
			t.Fatal(err)
		}
		docs[base] = doc.Paths
	}
	served := map[string]bool{}
	for _, r := range a.Routes {
		if !strings.HasPrefix(r.Path, "/api/lumi/") || strings.HasPrefix(r.Path, "/api/lumi/webhooks/") || strings.HasSuffix(r.Path, "*") || strings.HasSuffix(r.Path, "/openapi.json") || strings.HasSuffix(r.Path, "/healthz") {
			continue
		}
		base := "/api/lumi/v1"
		for _, b := range []string{"/api/lumi/hosting/v1", "/api/lumi/proxy/v1"} {
			if strings.HasPrefix(r.Path, b+"/") {
				base = b
			}
		}
		p := strings.TrimPrefix(r.Path, base)
		parts := strings.Split(p, "/")
		for i, s := range parts {
			if strings.HasPrefix(s, ":") {
				parts[i] = "{" + s[1:] + "}"
			}
		}
		p = strings.Join(parts, "/")
		served[base+" "+strings.ToLower(r.Method)+" "+p] = true
		if docs[base][p][strings.ToLower(r.Method)] == nil {
			t.Errorf("%s %s is served but not documented", r.Method, r.Path)
		}
	}
	for base, paths := range docs {
		for p, ops := range paths {
			for m := range ops {
				if m != "parameters" && !served[base+" "+m+" "+p] {
					t.Errorf("%s %s%s is documented but not served", m, base, p)
				}
			}
		}
	}
}

// Money moved through the API is audited with the key as the actor.
func TestAuditActor(t *testing.T) {
	t.Parallel()
	a := startApp(t, newDBURL(t))
	a.prices()
	acc := a.account("Audited")
	a.topUp(acc, "20.00")
	k := a.key(dom, acc)
	if r := a.do("POST", "/api/lumi/v1/domains", k.Secret, buyBody("audited.com"), "Idempotency-Key", "audit-buy-001"); r.Status != 201 {
		t.Fatalf("buy: %d %s", r.Status, r.Raw)
	}
	var kind, id, label string
	err := a.Svc.DB.Pool.QueryRow(t.Context(), `SELECT actor_kind, actor_id, actor_label FROM ledger_entries WHERE account_id = $1 AND kind = 'purchase'`, acc).Scan(&kind, &id, &label)
	if err != nil {
		t.Fatal(err)
	}
	if kind != "api_key" || id != strconv.FormatInt(k.Key.ID, 10) || label != k.Key.Prefix {
		t.Fatalf("ledger actor %q %q %q", kind, id, label)
	}
}

// A batch whose process stopped (lease ran out) is finished by the next poll,
// and items already bought are not bought again.
func TestBatchTakeOver(t *testing.T) {
	t.Parallel()
	a := startApp(t, newDBURL(t))
	a.prices()
	acc := a.account("Crash")
	a.topUp(acc, "100.00")
	k := a.key(dom, acc)
	ctx := t.Context()
	// Item 0 was bought before the crash, with the item's idempotency key.
	first := a.do("POST", "/api/lumi/v1/domains", k.Secret, buyBody("crash0.com"), "Idempotency-Key", "crash-batch-01#0")
	if first.Status != 201 {
		t.Fatalf("buy: %d %s", first.Status, first.Raw)
	}
	q := a.Svc.DB.Queries
	if err := q.InsertAPIBatch(ctx, store.InsertAPIBatchParams{ID: "bat_crashed", KeyID: k.Key.ID, AccountID: acc, Kind: lumi.KindDomain,
		Total: 3, IdempotencyKey: "crash-batch-01", LeaseUntil: time.Now().Add(-time.Minute)}); err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		in := json.RawMessage(fmt.Sprintf(`{"domain":"crash%d.com"}`, i))
		if err := q.InsertAPIBatchItem(ctx, store.InsertAPIBatchItemParams{BatchID: "bat_crashed", Idx: int32(i), Ref: fmt.Sprintf("crash%d.com", i), Input: in}); err != nil {
			t.Fatal(err)
		}
	}
	var st resp
	for deadline := time.Now().Add(30 * time.Second); ; {
		st = a.do("GET", "/api/lumi/v1/batches/bat_crashed", k.Secret, "")
		if st.JSON["status"] == "done" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("not resumed: %s", st.Raw)
		}
		time.Sleep(100 * time.Millisecond)
	}
	if st.JSON["ok"].(float64) != 3 {
		t.Fatalf("batch %s", st.Raw)
	}
	if n := a.ledgerCount(acc, "purchase"); n != 3 {
		t.Fatalf("%d purchases, want 3 (item 0 replayed, not bought twice)", n)
	}
}

// A batch whose process stopped is resumed by the start-up / periodic sweep
// without anyone polling it; a batch whose runner is alive is left alone.
func TestBatchResumedWithoutPoll(t *testing.T) {
	t.Parallel()
	a := startApp(t, newDBURL(t))
	a.prices()
	acc := a.account("Sweep")
	a.topUp(acc, "100.00")
	k := a.key(dom, acc)
	ctx := t.Context()
	first := a.do("POST", "/api/lumi/v1/domains", k.Secret, buyBody("sweep0.com"), "Idempotency-Key", "sweep-batch-1#0")
	if first.Status != 201 {
		t.Fatalf("buy: %d %s", first.Status, first.Raw)
	}
	q := a.Svc.DB.Queries
	// Item 0 of the stopped batch was bought before it stopped ("sweep-batch-1#0").
	for _, b := range []struct {
		id, key string
		lease   time.Time
	}{{"bat_stopped", "sweep-batch-1", time.Now().Add(-time.Minute)}, {"bat_alive", "sweep-batch-2", time.Now().Add(time.Hour)}} {
		if err := q.InsertAPIBatch(ctx, store.InsertAPIBatchParams{ID: b.id, KeyID: k.Key.ID, AccountID: acc, Kind: lumi.KindDomain,
			Total: 3, IdempotencyKey: b.key, LeaseUntil: b.lease}); err != nil {
			t.Fatal(err)
		}
	}
	for i := range 3 {
		in := json.RawMessage(fmt.Sprintf(`{"domain":"sweep%d.com"}`, i))
		if err := q.InsertAPIBatchItem(ctx, store.InsertAPIBatchItemParams{BatchID: "bat_stopped", Idx: int32(i), Ref: fmt.Sprintf("sweep%d.com", i), Input: in}); err != nil {
			t.Fatal(err)
		}
	}
	if n, err := a.Svc.LumiAPI.ResumeBatches(ctx); err != nil || n != 1 {
		t.Fatalf("resume: %d %v", n, err)
	}
	if n, err := a.Svc.LumiAPI.ResumeBatches(ctx); err != nil || n != 0 {
		t.Fatalf("second sweep took a leased batch: %d %v", n, err)
	}
	for deadline := time.Now().Add(30 * time.Second); ; {
		b, err := q.GetAPIBatch(ctx, "bat_stopped")
		if err != nil {
			t.Fatal(err)
		}
		if b.Status == "done" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("stopped batch not finished by the sweep")
		}
		time.Sleep(20 * time.Millisecond)
	}
	if n := a.ledgerCount(acc, "purchase"); n != 3 {
		t.Fatalf("%d purchases, want 3 (item 0 replayed, not bought twice)", n)
	}
	if b, err := q.GetAPIBatch(ctx, "bat_alive"); err != nil || b.Status != "running" {
		t.Fatalf("live batch: %+v %v", b, err)
	}
}

// The spec's deposit example: provider "cryptobot" (a labelled sandbox
// without CRYPTOPAY_TOKEN). A retry whose stored response was lost (the
// process died after the deposit committed) finds the same deposit: no
// second invoice.
func TestCryptobotDeposit(t *testing.T) {
	t.Parallel()
	a := startApp(t, newDBURL(t))
	acc := a.account("Cryptobot")
	k := a.key(dom, acc)
	body := `{"amount_usd":"5","provider":"cryptobot"}`
	r := a.do("POST", "/api/lumi/v1/deposits", k.Secret, body, "Idempotency-Key", "dep-2026-06-09-001")
	if r.Status != 201 || r.JSON["provider"] != "cryptobot" || r.JSON["sandbox"] != true || r.JSON["status"] != "pending" {
		t.Fatalf("create: %d %s", r.Status, r.Raw)
	}
	if _, err := a.Svc.DB.Pool.Exec(t.Context(), "DELETE FROM api_idempotency"); err != nil {
		t.Fatal(err)
	}
	again := a.do("POST", "/api/lumi/v1/deposits", k.Secret, body, "Idempotency-Key", "dep-2026-06-09-001")
	if again.Status != 201 || again.JSON["id"] != r.JSON["id"] || again.Header.Get("Idempotent-Replayed") == "true" {
		t.Fatalf("retry: %d %s (first %s)", again.Status, again.Raw, r.Raw)
	}
	var n int
	if err := a.Svc.DB.Pool.QueryRow(t.Context(), "SELECT count(*) FROM deposits WHERE account_id = $1", acc).Scan(&n); err != nil || n != 1 {
		t.Fatalf("%d deposits, %v", n, err)
	}
	expect(t, a.do("POST", "/api/lumi/v1/deposits", k.Secret, `{"amount_usd":"5","provider":"paypal"}`, "Idempotency-Key", "dep-2026-06-09-002"),
		422, lumi.CodeValidation)
}

// API_DAILY_CAP_DEFAULT caps keys issued without their own cap.
func TestDefaultDailyCap(t *testing.T) {
	t.Parallel()
	a := startApp(t, newDBURL(t), func(c *config.Config) { c.APIDailyCapDefault = 1500 })
	a.prices()
	acc := a.account("DefCap")
	a.topUp(acc, "100.00")
	k := a.key(dom, acc)
	if r := a.do("POST", "/api/lumi/v1/domains", k.Secret, buyBody("def1.com"), "Idempotency-Key", "defcap-0001"); r.Status != 201 {
		t.Fatalf("first: %d %s", r.Status, r.Raw)
	}
	expect(t, a.do("POST", "/api/lumi/v1/domains", k.Secret, buyBody("def2.com"), "Idempotency-Key", "defcap-0002"), 402, lumi.CodeDailyCapExceeded)
	own := a.key(dom, acc, withCap(5000))
	if r := a.do("POST", "/api/lumi/v1/domains", own.Secret, buyBody("def3.com"), "Idempotency-Key", "defcap-0003"); r.Status != 201 {
		t.Fatalf("own cap: %d %s", r.Status, r.Raw)
	}
}
