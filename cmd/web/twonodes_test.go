package main

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"lumdesk/handlers/server"
	"lumdesk/internal/accounts"
	"lumdesk/internal/apikeys"
	"lumdesk/internal/audit"
	"lumdesk/internal/billing"
	"lumdesk/internal/billing/products"
	"lumdesk/internal/licensing"
	"lumdesk/internal/platform/testdb"
	"lumdesk/internal/ranking"
)

// twoNodes is two `lumdesk serve` processes on one database, and the
// test's own services over it to set data up and read it back.
type twoNodes struct {
	svc   *server.Services
	nodes [2]*node
}

// TestTwoNodes runs issue 14's concurrency scenarios against two real
// server processes on one database, each request going to one node or the
// other. The scenarios share the two nodes (each has its own account, keys
// and data, so they do not interfere) and run at once.
func TestTwoNodes(t *testing.T) {
	t.Parallel()
	dbURL := testdb.NewURL(t)
	svc, _ := nodeServices(t, dbURL)
	if _, err := svc.Products.SetTLDPrice(context.Background(), audit.CLI("two nodes test"), products.TLDPrice{TLD: "com",
		Register: 10_00, Renew: 10_00, Transfer: 10_00, EffectiveFrom: time.Now().Add(-time.Hour)}); err != nil {
		t.Fatal(err)
	}
	// Crypto Pay with a real token (not the sandbox): the test opens the
	// invoice through this stand-in of its API; the nodes check the
	// webhooks' signatures with the token.
	cp := cryptoPayStandIn(t)
	svc.Billing.WithCryptoPay(cp.URL+"/api", cryptoPayToken)
	nodes := startNodes(t, dbURL, []string{"CRYPTOPAY_API_URL=" + cp.URL + "/api", "CRYPTOPAY_TOKEN=" + cryptoPayToken},
		"lumdesk_two_a", "lumdesk_two_b")
	tn := &twoNodes{svc: svc, nodes: [2]*node{nodes[0], nodes[1]}}
	t.Run("purchases against a balance", tn.purchasesAgainstABalance)
	t.Run("one idempotency key on both nodes", tn.oneIdempotencyKey)
	t.Run("rate limit shared", tn.rateLimitShared)
	t.Run("webhook redelivery", tn.webhookRedelivery)
	t.Run("first executions", tn.firstExecutions)
	t.Run("cache invalidation", tn.cacheInvalidation)
	t.Run("rank changes serialize", tn.rankChanges)
}

var twoActor = audit.CLI("two nodes test")

// account makes an account with balance (0: no top-up).
func (tn *twoNodes) account(t *testing.T, name, balance string) accounts.Account {
	t.Helper()
	ctx := context.Background()
	acc, err := tn.svc.Accounts.Create(ctx, twoActor, accounts.CreateInput{Name: name, Email: name + "@nodes.test"})
	if err != nil {
		t.Fatal(err)
	}
	if balance != "" {
		if _, err := tn.svc.Billing.ManualTopUp(ctx, twoActor, billing.ManualInput{AccountID: acc.ID, Amount: balance, Reason: "test funds"}); err != nil {
			t.Fatal(err)
		}
	}
	return acc
}

func (tn *twoNodes) key(t *testing.T, product string, acc int64, perMinute int, scopes ...string) string {
	t.Helper()
	k, err := tn.svc.APIKeys.Create(context.Background(), twoActor, apikeys.CreateInput{Product: product, AccountID: &acc, Name: "nodes",
		Scopes: scopes, RateLimitPerMinute: perMinute})
	if err != nil {
		t.Fatal(err)
	}
	return k.Secret
}

// all sends n requests at once, request i to node i%2, and returns the
// answers in order; a request that gets no answer fails the test.
func (tn *twoNodes) all(t *testing.T, n int, req func(i int, nd *node) (answer, error)) []answer {
	t.Helper()
	out := make([]answer, n)
	errs := make([]error, n)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			out[i], errs[i] = req(i, tn.nodes[i%2])
		}()
	}
	close(start)
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	return out
}

// Many purchases over both nodes against a balance that covers only some:
// exactly that many succeed, the rest get the spec's envelope with
// insufficient_funds, and every balance equals its ledger.
func (tn *twoNodes) purchasesAgainstABalance(t *testing.T) {
	t.Parallel()
	const requests, covered = 30, 10
	acc := tn.account(t, "buyer", "100.00") // 10 × 10.00
	secret := tn.key(t, apikeys.LumiDomains, acc.ID, 6000, "domains:read", "domains:buy")
	answers := tn.all(t, requests, func(i int, nd *node) (answer, error) {
		return nd.do("POST", "/api/lumi/v1/domains", "Bearer "+secret, fmt.Sprintf(`{"domain":"buy%02d.com","years":1}`, i),
			"Idempotency-Key", fmt.Sprintf("nodes-buy-%04d", i))
	})
	ok := 0
	for i, a := range answers {
		switch {
		case a.Status == 201 && a.str("name") == fmt.Sprintf("buy%02d.com", i):
			ok++
		case a.Status == 402 && a.str("error.code") == "insufficient_funds" && a.str("error.message") != "":
		default:
			t.Errorf("purchase %d: %d %s", i, a.Status, a.Raw)
		}
	}
	if ok != covered {
		t.Errorf("%d purchases succeeded, want %d", ok, covered)
	}
	ctx := context.Background()
	bal, err := tn.svc.Billing.Balance(ctx, acc.ID)
	if err != nil || bal.Amount != 0 {
		t.Errorf("balance %s, %v; want 0.00", bal.Amount, err)
	}
	var charges, negative int
	if err := tn.svc.DB.Pool.QueryRow(ctx, `SELECT count(*) FILTER (WHERE kind = $2), count(*) FILTER (WHERE balance_after_cents < 0)
		FROM ledger_entries WHERE account_id = $1`, acc.ID, billing.KindPurchase).Scan(&charges, &negative); err != nil {
		t.Fatal(err)
	}
	if charges != covered || negative != 0 {
		t.Errorf("%d purchase entries (want %d), %d with a negative balance", charges, covered, negative)
	}
	v, err := tn.svc.Billing.Verify(ctx)
	if err != nil || !v.OK() {
		t.Errorf("billing verify: %+v, %v", v.Problems, err)
	}
}

// One Idempotency-Key sent to both nodes at once: one charge, and every
// answer is that purchase or 409 in_progress.
func (tn *twoNodes) oneIdempotencyKey(t *testing.T) {
	t.Parallel()
	acc := tn.account(t, "idem", "50.00")
	secret := tn.key(t, apikeys.LumiDomains, acc.ID, 6000, "domains:read", "domains:buy")
	answers := tn.all(t, 20, func(_ int, nd *node) (answer, error) {
		return nd.do("POST", "/api/lumi/v1/domains", "Bearer "+secret, `{"domain":"idem-once.com","years":1}`, "Idempotency-Key", "nodes-idem-0001")
	})
	var first string
	for i, a := range answers {
		switch {
		case a.Status == 201:
			if first == "" {
				first = string(a.Raw)
			} else if string(a.Raw) != first {
				t.Errorf("answer %d differs: %s vs %s", i, a.Raw, first)
			}
		case a.Status == 409 && a.str("error.code") == "in_progress":
		default:
			t.Errorf("answer %d: %d %s", i, a.Status, a.Raw)
		}
	}
	if first == "" {
		t.Error("no request succeeded")
	}
	bal, err := tn.svc.Billing.Balance(context.Background(), acc.ID)
	if err != nil || bal.Amount != 40_00 {
		t.Errorf("balance %s, %v; want 40.00 (one charge)", bal.Amount, err)
	}
}

// cryptoPayToken is the Crypto Pay app token of the two nodes and the test.
const cryptoPayToken = "4242:AAtwoNodesTestToken"

// cryptoPayStandIn answers createInvoice in Crypto Pay's envelope
// ({"ok":true,"result":invoice}), each invoice with a new id.
func cryptoPayStandIn(t *testing.T) *httptest.Server {
	var invoices atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get(billing.CryptoPayTokenHeader) != cryptoPayToken || r.URL.Path != "/api/createInvoice" {
			w.WriteHeader(http.StatusUnauthorized)
			fmt.Fprint(w, `{"ok":false,"error":{"code":401,"name":"UNAUTHORIZED"}}`)
			return
		}
		var in struct{ Amount, Payload string }
		_ = json.NewDecoder(r.Body).Decode(&in)
		fmt.Fprintf(w, `{"ok":true,"result":{"invoice_id":%d,"status":"active","currency_type":"fiat","fiat":"USD","amount":%q,"payload":%q,"bot_invoice_url":"https://t.me/CryptoBot?start=IV1"}}`,
			1000+invoices.Add(1), in.Amount, in.Payload)
	}))
	t.Cleanup(srv.Close)
	return srv
}

// Crypto Pay delivers one invoice_paid webhook many times, to both nodes
// at once (its retries behind a load balancer): every delivery is
// acknowledged with 200, exactly one credits the deposit, the others
// answer already_paid, and the ledger holds one entry.
func (tn *twoNodes) webhookRedelivery(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	acc := tn.account(t, "payer", "")
	dep, err := tn.svc.Billing.CreateDeposit(ctx, twoActor, billing.DepositInput{AccountID: acc.ID, Amount: "42.00", Provider: billing.ProviderCryptoBot})
	if err != nil || dep.Sandbox() {
		t.Fatalf("deposit: %+v, %v", dep, err)
	}
	// The body and signature as Crypto Pay makes them: hex HMAC-SHA256 of
	// the raw body, keyed with the SHA-256 of the app token.
	body := fmt.Sprintf(`{"update_id":77,"update_type":"invoice_paid","request_date":"2031-01-01T00:00:00.000Z",`+
		`"payload":{"invoice_id":%s,"status":"paid","currency_type":"fiat","fiat":"USD","amount":"42.00","paid_asset":"USDT","paid_amount":"42.00"}}`, dep.ProviderRef)
	key := sha256.Sum256([]byte(cryptoPayToken))
	mac := hmac.New(sha256.New, key[:])
	mac.Write([]byte(body))
	sig := hex.EncodeToString(mac.Sum(nil))

	answers := tn.all(t, 20, func(_ int, nd *node) (answer, error) {
		return nd.do("POST", billing.CryptoPayWebhookPath, "", body, "crypto-pay-api-signature", sig)
	})
	credited := 0
	for i, a := range answers {
		switch {
		case a.Status == 200 && a.str("status") == "credited":
			credited++
		case a.Status == 200 && a.str("status") == "already_paid":
		default:
			t.Errorf("delivery %d: %d %s", i, a.Status, a.Raw)
		}
	}
	if credited != 1 {
		t.Errorf("%d deliveries credited the deposit, want 1", credited)
	}
	bal, err := tn.svc.Billing.Balance(ctx, acc.ID)
	if err != nil || bal.Amount != 42_00 {
		t.Errorf("balance %s, %v; want 42.00 (one credit)", bal.Amount, err)
	}
	var entries int
	if err := tn.svc.DB.Pool.QueryRow(ctx, `SELECT count(*) FROM ledger_entries WHERE account_id = $1`, acc.ID).Scan(&entries); err != nil {
		t.Fatal(err)
	}
	if entries != 1 {
		t.Errorf("%d ledger entries, want 1", entries)
	}
	// A delivery with another signature is refused and moves nothing.
	if a := tn.nodes[1].must(t, "POST", billing.CryptoPayWebhookPath, "", body, "crypto-pay-api-signature", strings.Repeat("0", 64)); a.Status != 401 {
		t.Errorf("a forged delivery: %d %s", a.Status, a.Raw)
	}
}

// One key's per-minute limit holds across both nodes: of many concurrent
// requests the limit's worth are served and the rest get 429 rate_limited
// with Retry-After.
func (tn *twoNodes) rateLimitShared(t *testing.T) {
	t.Parallel()
	const limit, requests = 10, 30
	acc := tn.account(t, "limited", "")
	secret := tn.key(t, apikeys.LumiDomains, acc.ID, limit, "domains:read")
	began := time.Now()
	answers := tn.all(t, requests, func(_ int, nd *node) (answer, error) {
		return nd.do("GET", "/api/lumi/v1/balance", "Bearer "+secret, "")
	})
	took := time.Since(began)
	served := 0
	for i, a := range answers {
		switch {
		case a.Status == 200:
			served++
		case a.Status == 429 && a.str("error.code") == "rate_limited":
			if s, err := strconv.Atoi(a.Header.Get("Retry-After")); err != nil || s < 1 {
				t.Errorf("answer %d: Retry-After %q", i, a.Header.Get("Retry-After"))
			}
		default:
			t.Errorf("answer %d: %d %s", i, a.Status, a.Raw)
		}
	}
	// The bucket refills one request every 6 s: a slow run may earn one.
	refilled := int(took / (time.Minute / limit))
	if served < limit || served > limit+refilled {
		t.Errorf("%d of %d served in %s, want %d (+%d refilled)", served, requests, took, limit, refilled)
	}
}

// luarmor is a project with a script and an API key of a fresh account.
type luarmor struct {
	project licensing.Project
	script  licensing.Script
	auth    string
}

func (tn *twoNodes) luarmor(t *testing.T, name string) luarmor {
	t.Helper()
	ctx := context.Background()
	acc := tn.account(t, name, "")
	p, err := tn.svc.Licensing.CreateProject(ctx, twoActor, licensing.ProjectInput{AccountID: acc.ID, Name: "Hub"})
	if err != nil {
		t.Fatal(err)
	}
	s, err := tn.svc.Licensing.CreateScript(ctx, twoActor, p.ID, licensing.ScriptInput{Name: "Main"})
	if err != nil {
		t.Fatal(err)
	}
	return luarmor{project: p, script: s, auth: tn.key(t, apikeys.Luarmor, acc.ID, 10000, "keys:read", "keys:write")}
}

func (l luarmor) users() string { return "/api/luarmor/v3/projects/" + l.project.ID + "/users" }

// newKey creates an unassigned key through nd's API.
func (l luarmor) newKey(t *testing.T, nd *node) string {
	t.Helper()
	a := nd.must(t, "POST", l.users(), l.auth, `{}`)
	uk := a.str("user.user_key")
	if a.Status != 200 || uk == "" {
		t.Fatalf("create user: %d %s", a.Status, a.Raw)
	}
	return uk
}

func (l luarmor) check(nd *node, userKey, hwid string) (answer, error) {
	return nd.do("POST", "/api/luarmor/v3/projects/"+l.project.ID+"/scripts/"+l.script.ID+"/check", "",
		fmt.Sprintf(`{"script_key":%q,"hwid":%q}`, userKey, hwid))
}

// The first execution of a fresh key on both nodes at once with two HWIDs:
// exactly one binds; the other is refused with hwid_mismatch, and both
// nodes then agree.
func (tn *twoNodes) firstExecutions(t *testing.T) {
	t.Parallel()
	l := tn.luarmor(t, "first")
	const keys = 6
	userKeys := make([]string, keys)
	for i := range userKeys {
		userKeys[i] = l.newKey(t, tn.nodes[i%2])
	}
	answers := tn.all(t, 2*keys, func(i int, nd *node) (answer, error) {
		return l.check(nd, userKeys[i/2], fmt.Sprintf("hw-%d-%s", i/2, nd.name))
	})
	for k, uk := range userKeys {
		var winner string
		var loser *node
		for j := range 2 {
			a, nd := answers[2*k+j], tn.nodes[j]
			switch {
			case a.Status == 200 && a.JSON["success"] == true && a.str("code") == "ok" && a.JSON["assigned"] == true:
				if winner != "" {
					t.Errorf("key %d: both HWIDs bound", k)
				}
				winner = fmt.Sprintf("hw-%d-%s", k, nd.name)
			case a.Status == 403 && a.JSON["success"] == false && a.str("code") == "hwid_mismatch":
				loser = nd
			default:
				t.Errorf("key %d on %s: %d %s", k, nd.name, a.Status, a.Raw)
			}
		}
		if winner == "" || loser == nil {
			t.Errorf("key %d: no single winner", k)
			continue
		}
		got := tn.nodes[k%2].must(t, "GET", l.users()+"?user_key="+uk, l.auth, "")
		if users, _ := got.JSON["users"].([]any); len(users) != 1 || users[0].(map[string]any)["identifier"] != winner {
			t.Errorf("key %d: bound %s, winner %s", k, got.Raw, winner)
		}
		// The node that refused now serves the winner.
		if a, err := l.check(loser, uk, winner); err != nil || a.Status != 200 || a.JSON["assigned"] != false {
			t.Errorf("key %d: the winner on %s: %v %d %s", k, loser.name, err, a.Status, a.Raw)
		}
	}
}

// eventually polls cond for up to 10 s and says how long it took.
func eventually(t *testing.T, what string, cond func() bool) time.Duration {
	t.Helper()
	start := time.Now()
	tick := time.NewTicker(2 * time.Millisecond)
	defer tick.Stop()
	for !cond() {
		if time.Since(start) > 10*time.Second {
			t.Fatalf("not within 10s: %s", what)
		}
		<-tick.C
	}
	return time.Since(start)
}

// Both nodes answer the loader check from their cache (LICENSING_CHECK_CACHE
// on); a ban through one node's API is refused by the other within a
// bounded poll, and so is a key deleted through the other.
func (tn *twoNodes) cacheInvalidation(t *testing.T) {
	t.Parallel()
	l := tn.luarmor(t, "cached")
	a, b := tn.nodes[0], tn.nodes[1]
	uk := l.newKey(t, a)
	codeOn := func(nd *node) string {
		r, err := l.check(nd, uk, "hw-1")
		if err != nil {
			t.Fatal(err)
		}
		return r.str("code")
	}
	// Bind on a, then warm b's cache (its first check reads the database).
	for _, nd := range []*node{a, b, b, a, b} {
		if c := codeOn(nd); c != "ok" {
			t.Fatalf("check on %s before the ban: %s", nd.name, c)
		}
	}
	if r := a.must(t, "POST", l.users()+"/blacklist", l.auth, fmt.Sprintf(`{"user_key":%q,"ban_reason":"chargeback"}`, uk)); r.Status != 200 || r.JSON["success"] != true {
		t.Fatalf("blacklist on a: %d %s", r.Status, r.Raw)
	}
	if c := codeOn(a); c != "banned" {
		t.Fatalf("the banning node answers %s", c)
	}
	took := eventually(t, "node b refuses the banned key", func() bool { return codeOn(b) == "banned" })
	t.Logf("ban through node a's API → first refusal on node b: %s", took)

	if r := b.must(t, "DELETE", l.users()+"?user_key="+uk, l.auth, ""); r.Status != 200 || r.JSON["success"] != true {
		t.Fatalf("delete on b: %d %s", r.Status, r.Raw)
	}
	if c := codeOn(b); c != "unknown_key" {
		t.Fatalf("the deleting node answers %s", c)
	}
	took = eventually(t, "node a refuses the deleted key", func() bool { return codeOn(a) == "unknown_key" })
	t.Logf("delete through node b's API → unknown_key on node a: %s", took)
}

// change is one acknowledged rank change.
type change struct {
	from, to int
	action   string
}

// chain follows acknowledged changes from rank start: each must begin
// where exactly one other ended (or at start), so together they are one
// serial history. It returns where the history ends and its last action.
func chain(t *testing.T, start int, acked []change) (int, string) {
	t.Helper()
	rank, last, used := start, "", map[int]bool{}
	for range acked {
		next := -1
		for j, c := range acked {
			if !used[j] && c.from == rank {
				if next >= 0 {
					t.Fatalf("two acknowledged changes from rank %d: %+v", rank, acked)
				}
				next = j
			}
		}
		if next < 0 {
			t.Fatalf("no acknowledged change from rank %d: %+v", rank, acked)
		}
		used[next] = true
		rank, last = acked[next].to, acked[next].action
	}
	return rank, last
}

// Concurrent rank changes of one member across both nodes serialize: the
// acknowledged changes form one chain, the member ends where the chain ends
// (the last acknowledged change), and the group's log holds every change
// exactly once.
func (tn *twoNodes) rankChanges(t *testing.T) {
	t.Parallel()
	const user, member = "9000000001", "/api/lumira/v1/groups/777/users/9000000001" // sandbox_alex, a Member (rank 1)
	ctx := context.Background()
	acc := tn.account(t, "ranks", "")
	if _, err := tn.svc.Ranking.AddGroup(ctx, twoActor, accounts.Only(acc.ID), ranking.GroupInput{RobloxGroupID: 777}); err != nil {
		t.Fatal(err)
	}
	auth := "Bearer " + tn.key(t, apikeys.Lumira, acc.ID, 10000, "ranking:read", "ranking:write")
	changes := func(what string, answers []answer) []change {
		var out []change
		for i, a := range answers {
			if a.Status != 200 || a.JSON["changed"] != true || a.str("action.id") == "" {
				t.Fatalf("%s %d: %d %s", what, i, a.Status, a.Raw)
			}
			out = append(out, change{int(a.num("old_role.rank")), int(a.num("new_role.rank")), a.str("action.id")})
		}
		return out
	}
	// Five promotes at once: Member up the sandbox ladder to Manager, one step each.
	promotes := changes("promote", tn.all(t, 5, func(i int, nd *node) (answer, error) {
		return nd.do("POST", member+"/promote", auth, fmt.Sprintf(`{"reason":"promote %d"}`, i))
	}))
	if rank, _ := chain(t, 1, promotes); rank != 200 {
		t.Fatalf("five promotes from Member end at rank %d, want Manager (200): %+v", rank, promotes)
	}
	// Then four set-ranks to four other ranks at once.
	targets := []int{5, 10, 50, 100}
	sets := changes("set rank", tn.all(t, len(targets), func(i int, nd *node) (answer, error) {
		return nd.do("POST", member+"/rank", auth, fmt.Sprintf(`{"rank":%d,"reason":"set %d"}`, targets[i], i))
	}))
	rank, last := chain(t, 200, sets)

	got := tn.nodes[1].must(t, "GET", member, auth, "")
	if got.Status != 200 || int(got.num("member.rank")) != rank || got.str("last_change.id") != last {
		t.Errorf("member %s; want rank %d after action %s", got.Raw, rank, last)
	}
	logs := tn.nodes[0].must(t, "GET", "/api/lumira/v1/groups/777/logs?limit=100&userId="+user, auth, "")
	items, _ := logs.JSON["items"].([]any)
	seen := map[string]int{}
	for _, it := range items {
		m, _ := it.(map[string]any)
		id, _ := m["id"].(string)
		seen[id]++
		if m["status"] != ranking.ActionDone {
			t.Errorf("action %s: %v", id, m["status"])
		}
	}
	all := append(promotes, sets...)
	if len(items) != len(all) || len(seen) != len(all) {
		t.Errorf("log has %d items (%d distinct) for %d changes: %s", len(items), len(seen), len(all), logs.Raw)
	}
	for _, c := range all {
		if seen[c.action] != 1 {
			t.Errorf("action %s logged %d times", c.action, seen[c.action])
		}
	}
}
