package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"lumdesk/internal/accounts"
	"lumdesk/internal/apikeys"
	"lumdesk/internal/audit"
	"lumdesk/internal/billing"
	"lumdesk/internal/billing/products"
	"lumdesk/internal/platform/money"
	"lumdesk/internal/platform/testdb"
)

// TestKilledNodeMoneyRequests is issue 7's scenario with real processes: two
// `serve` processes on one database take purchases with Idempotency-Keys,
// one is killed with SIGKILL in the middle, and every key is then retried
// on the survivor. Each retry must answer at once with the stored response
// or a fresh success (never 409 in_progress), and the ledger must hold
// exactly one charge per key.
func TestKilledNodeMoneyRequests(t *testing.T) {
	const keys = 30
	t.Parallel()
	dbURL := testdb.NewURL(t)

	// Data: an account with funds, a .com price, a key allowed many money requests.
	ctx := context.Background()
	svc, pool := nodeServices(t, dbURL)
	actor := audit.CLI("kill test")
	acc, err := svc.Accounts.Create(ctx, actor, accounts.CreateInput{Name: "Race", Email: "race@example.test"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Billing.ManualTopUp(ctx, actor, billing.ManualInput{AccountID: acc.ID, Amount: "400.00", Reason: "test funds"}); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Products.SetTLDPrice(ctx, actor, products.TLDPrice{TLD: "com", Register: 1000, Renew: 1000, Transfer: 1000,
		EffectiveFrom: time.Now().Add(-time.Hour)}); err != nil {
		t.Fatal(err)
	}
	key, err := svc.APIKeys.Create(ctx, actor, apikeys.CreateInput{Product: apikeys.LumiDomains, AccountID: &acc.ID, Name: "race",
		Scopes: []string{"domains:read", "domains:buy"}, RateLimitPerMinute: 6000})
	if err != nil {
		t.Fatal(err)
	}

	nodes := startNodes(t, dbURL, nil, "lumdesk_node_a", "lumdesk_node_b")
	a, b := nodes[0], nodes[1]

	client := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{MaxConnsPerHost: 64}}
	buy := func(base string, i int) (int, http.Header, []byte, error) {
		req, _ := http.NewRequest("POST", base+"/api/lumi/v1/domains", strings.NewReader(fmt.Sprintf(`{"domain":"race%02d.com","years":1}`, i)))
		req.Header.Set("Authorization", "Bearer "+key.Secret)
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Idempotency-Key", fmt.Sprintf("race-key-%04d", i))
		resp, err := client.Do(req)
		if err != nil {
			return 0, nil, nil, err
		}
		defer resp.Body.Close()
		body, err := io.ReadAll(resp.Body)
		return resp.StatusCode, resp.Header, body, err
	}

	// The race: every key once, alternately on A and B, all at once; A is
	// killed as soon as a few of its purchases have been answered, so others
	// are in flight (claimed, charged or not) when it dies.
	var wg sync.WaitGroup
	var mu sync.Mutex
	answeredA, lostA := 0, 0
	killA := make(chan struct{})
	for i := range keys {
		node := b
		if i%2 == 0 {
			node = a
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			status, _, _, err := buy(node.url, i)
			if node == a && err != nil {
				mu.Lock()
				lostA++ // in flight when A died
				mu.Unlock()
			}
			if node == a && err == nil && status < 500 {
				mu.Lock()
				answeredA++
				if answeredA == 3 {
					close(killA)
				}
				mu.Unlock()
			}
		}()
	}
	select {
	case <-killA:
	case <-time.After(60 * time.Second):
		t.Fatal("node A answered fewer than 3 purchases in 60s")
	}
	a.kill(t)
	wg.Wait()
	// Postgres ends A's sessions (and drops their locks) when it sees the
	// sockets closed: await that, a state, not a duration.
	deadline := time.Now().Add(20 * time.Second)
	for {
		var n int
		if err := pool.QueryRow(ctx, "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'lumdesk_node_a'").Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d sessions of the killed node still open after 20s", n)
		}
		time.Sleep(20 * time.Millisecond)
	}

	// Every key retried on the survivor answers at once: the stored
	// response, or a fresh success (replayed by the services' own key).
	replayed := 0
	for i := range keys {
		start := time.Now()
		status, hdr, body, err := buy(b.url, i)
		if err != nil {
			t.Fatalf("retry %d: %v", i, err)
		}
		if status != http.StatusCreated {
			t.Errorf("retry of key %d: %d %s", i, status, body)
			continue
		}
		if took := time.Since(start); took > 10*time.Second {
			t.Errorf("retry of key %d took %s", i, took)
		}
		var d struct {
			Name string `json:"name"`
		}
		if json.Unmarshal(body, &d) != nil || d.Name != fmt.Sprintf("race%02d.com", i) {
			t.Errorf("retry of key %d answered %s", i, body)
		}
		if hdr.Get("Idempotent-Replayed") == "true" {
			replayed++
		}
	}

	// Exactly one charge per key, and nothing else moved.
	rows, err := pool.Query(ctx, `SELECT idempotency_key, count(*) FROM ledger_entries
		WHERE account_id = $1 AND kind = $2 GROUP BY idempotency_key`, acc.ID, billing.KindPurchase)
	if err != nil {
		t.Fatal(err)
	}
	charges := map[string]int{}
	for rows.Next() {
		var k *string
		var n int
		if err := rows.Scan(&k, &n); err != nil {
			t.Fatal(err)
		}
		if k == nil {
			t.Fatal("a purchase without its idempotency key")
		}
		charges[*k] = n
	}
	if rows.Err() != nil {
		t.Fatal(rows.Err())
	}
	if len(charges) != keys {
		t.Errorf("%d keys charged, want %d", len(charges), keys)
	}
	for k, n := range charges {
		if n != 1 {
			t.Errorf("key %s charged %d times", k, n)
		}
	}
	bal, err := svc.Billing.Balance(ctx, acc.ID)
	if err != nil {
		t.Fatal(err)
	}
	if want := money.Cents(400_00 - keys*10_00); bal.Amount != want {
		t.Errorf("balance %s, want %s", bal.Amount, want)
	}
	t.Logf("%d keys; %d requests lost with the killed node; on retry %d stored responses, %d run again", keys, lostA, replayed, keys-replayed)
}
