package apikeys_test

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"lumdesk/db/store"
	"lumdesk/internal/apikeys"
	"lumdesk/internal/platform/db"
	"lumdesk/internal/platform/money"
)

func TestValidIdempotencyKey(t *testing.T) {
	t.Parallel()
	for k, want := range map[string]bool{
		"":                           false,
		"1234567":                    false,
		"12345678":                   true,
		"a1b2c3d4-orders-2026-06-09": true,
		"has space1":                 false,
		"ключ-ключ-ключ":             false,
		string(make([]byte, 201)):    false,
	} {
		if got := apikeys.ValidIdempotencyKey(k); got != want {
			t.Errorf("ValidIdempotencyKey(%q) = %v, want %v", k, got, want)
		}
	}
}

func TestIdempotencyClaims(t *testing.T) {
	t.Parallel()
	s, d := newService(t)
	ctx := context.Background()
	acc := newAccount(t, d, "idem@example.test")
	k := mustCreate(t, s, apikeys.CreateInput{Product: apikeys.LumiDomains, AccountID: &acc, Scopes: []string{"domains:buy"}}).Key
	h1 := apikeys.RequestHash("POST", "/x", []byte(`{"a":1}`))
	h2 := apikeys.RequestHash("POST", "/x", []byte(`{"a":2}`))

	claim := func(key string, h []byte) apikeys.IdemResult {
		t.Helper()
		r, err := s.ClaimIdempotency(ctx, k.ID, key, h)
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	first := claim("key-00000001", h1)
	if first.Outcome != apikeys.IdemClaimed || first.Claim == nil {
		t.Fatalf("first claim: %+v", first)
	}
	// While the owner runs, a duplicate (whatever its body: nothing is
	// stored yet) is told it is in progress.
	if r := claim("key-00000001", h1); r.Outcome != apikeys.IdemInProgress {
		t.Fatalf("second claim: %+v", r)
	}
	if r := claim("key-00000001", h2); r.Outcome != apikeys.IdemInProgress {
		t.Fatalf("other body while running: %+v", r)
	}
	if err := first.Claim.Complete(ctx, 201, []byte(`{"ok":true}`)); err != nil {
		t.Fatal(err)
	}
	if r := claim("key-00000001", h1); r.Outcome != apikeys.IdemReplay || r.Status != 201 || string(r.Body) != `{"ok":true}` {
		t.Fatalf("replay: %+v", r)
	}
	if r := claim("key-00000001", h2); r.Outcome != apikeys.IdemMismatch {
		t.Fatalf("other body after done: %+v", r)
	}

	// Release lets the key be claimed again.
	r2 := claim("key-00000002", h1)
	r2.Claim.Release()
	r2 = claim("key-00000002", h1)
	if r2.Outcome != apikeys.IdemClaimed {
		t.Fatalf("after release: %+v", r2)
	}

	// Applied commits with the caller's transaction and only with it: a
	// rolled-back operation leaves no record; a committed one an 'applied'
	// record that a later claim does not replay (no response yet) but runs.
	if err := d.Tx(ctx, func(q *store.Queries) error {
		if err := r2.Claim.Applied(ctx, q); err != nil {
			return err
		}
		return errors.New("roll back")
	}); err == nil {
		t.Fatal("want the rollback error")
	}
	if _, err := d.GetIdempotency(ctx, store.GetIdempotencyParams{KeyID: k.ID, IdempotencyKey: "key-00000002"}); !db.IsNotFound(err) {
		t.Fatalf("record after rollback: %v", err)
	}
	if err := d.Tx(ctx, func(q *store.Queries) error { return r2.Claim.Applied(ctx, q) }); err != nil {
		t.Fatal(err)
	}
	if rec, err := d.GetIdempotency(ctx, store.GetIdempotencyParams{KeyID: k.ID, IdempotencyKey: "key-00000002"}); err != nil || rec.Status != "applied" {
		t.Fatalf("record after commit: %+v %v", rec, err)
	}
	r2.Claim.Release()
	if r := claim("key-00000002", h2); r.Outcome != apikeys.IdemMismatch {
		t.Fatalf("other body after applied: %+v", r)
	}
	r3 := claim("key-00000002", h1)
	if r3.Outcome != apikeys.IdemClaimed {
		t.Fatalf("applied without a response is run again: %+v", r3)
	}

	// A claim dies with its connection: closing the owner's session (what
	// a killed process does) frees the key at once.
	pid := r3.Claim.BackendPID()
	if r := claim("key-00000002", h1); r.Outcome != apikeys.IdemInProgress {
		t.Fatalf("while held: %+v", r)
	}
	if _, err := d.Pool.Exec(ctx, "SELECT pg_terminate_backend($1)", int32(pid)); err != nil {
		t.Fatal(err)
	}
	waitFor(t, func() bool {
		var n int
		_ = d.Pool.QueryRow(ctx, "SELECT count(*) FROM pg_stat_activity WHERE pid = $1", int32(pid)).Scan(&n)
		return n == 0
	})
	r4 := claim("key-00000002", h1)
	if r4.Outcome != apikeys.IdemClaimed {
		t.Fatalf("after the owner's connection died: %+v", r4)
	}
	r4.Claim.Release()
	r3.Claim.Release() // its connection is gone: Release must not fail or hang

	// Exactly one of many concurrent claims wins.
	var wins atomic.Int32
	var wg sync.WaitGroup
	for range 50 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r, err := s.ClaimIdempotency(ctx, k.ID, "key-race-0001", h1)
			if err != nil {
				t.Error(err)
				return
			}
			if r.Outcome == apikeys.IdemClaimed {
				wins.Add(1)
				t.Cleanup(r.Claim.Release)
			}
		}()
	}
	wg.Wait()
	if wins.Load() != 1 {
		t.Fatalf("%d winners", wins.Load())
	}

	// Records younger than 24 hours are never purged.
	if n, err := s.PurgeIdempotency(ctx, s2now()); err != nil || n != 0 {
		t.Fatalf("purge: %d %v", n, err)
	}
}

func TestSpendCap(t *testing.T) {
	t.Parallel()
	s, d := newService(t)
	ctx := context.Background()
	acc := newAccount(t, d, "cap@example.test")
	capped := mustCreate(t, s, apikeys.CreateInput{Product: apikeys.LumiDomains, AccountID: &acc, Scopes: []string{"domains:buy"},
		DailySpendCapCents: ptr(int64(1000))}).Key
	reserve := func(k apikeys.Key, c money.Cents) (apikeys.SpendReservation, bool) {
		t.Helper()
		r, ok, err := s.ReserveSpend(ctx, k, c)
		if err != nil {
			t.Fatal(err)
		}
		return r, ok
	}
	r1, ok := reserve(capped, 600)
	if !ok {
		t.Fatal("600 of 1000 refused")
	}
	if _, ok := reserve(capped, 500); ok {
		t.Fatal("1100 of 1000 allowed")
	}
	if err := s.ReleaseSpend(ctx, r1); err != nil {
		t.Fatal(err)
	}
	if _, ok := reserve(capped, 1000); !ok {
		t.Fatal("1000 of 1000 after release refused")
	}
	if spent, _ := s.SpentToday(ctx, capped.ID); spent != 1000 {
		t.Fatalf("spent %s", spent)
	}

	// Operators and keys without a cap are exempt.
	op := mustCreate(t, s, apikeys.CreateInput{Product: apikeys.LumiDomains, Operator: true, DailySpendCapCents: ptr(int64(1))}).Key
	if r, ok := reserve(op, 1_000_000); !ok || !r.Exempt {
		t.Fatal("operator capped")
	}
	free := mustCreate(t, s, apikeys.CreateInput{Product: apikeys.LumiDomains, AccountID: &acc, Scopes: []string{"domains:buy"}}).Key
	if _, ok := reserve(free, 1_000_000); !ok {
		t.Fatal("uncapped key capped")
	}

	// Concurrent reservations never pass the cap.
	k2 := mustCreate(t, s, apikeys.CreateInput{Product: apikeys.LumiDomains, AccountID: &acc, Scopes: []string{"domains:buy"},
		DailySpendCapCents: ptr(int64(1000))}).Key
	var okN atomic.Int32
	var wg sync.WaitGroup
	for range 30 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, ok, err := s.ReserveSpend(ctx, k2, 100); err != nil {
				t.Error(err)
			} else if ok {
				okN.Add(1)
			}
		}()
	}
	wg.Wait()
	if okN.Load() != 10 {
		t.Fatalf("%d of 30 reservations of 1.00 under a 10.00 cap", okN.Load())
	}
}

func TestSignatureCheck(t *testing.T) {
	t.Parallel()
	s, d := newService(t)
	acc := newAccount(t, d, "sig@example.test")
	c := mustCreate(t, s, apikeys.CreateInput{Product: apikeys.LumiDomains, AccountID: &acc, Scopes: []string{"domains:buy"}, WithSigningSecret: true})
	k, err := s.Get(context.Background(), c.Key.ID)
	if err != nil {
		t.Fatal(err)
	}
	body := []byte(`{"amount_usd":"5","provider":"cryptobot"}`)
	good := apikeys.Sign(c.SigningSecret, body)
	for _, tc := range []struct {
		name, header string
		ok           bool
	}{
		{"good", good, true},
		{"prefixed", "sha256=" + good, true},
		{"missing", "", false},
		{"not hex", "zz", false},
		{"other secret", apikeys.Sign("other", body), false},
		{"other body", apikeys.Sign(c.SigningSecret, append(body, ' ')), false},
	} {
		err := s.CheckSignature(k, body, tc.header)
		if (err == nil) != tc.ok {
			t.Errorf("%s: %v", tc.name, err)
		}
	}
	plain := mustCreate(t, s, apikeys.CreateInput{Product: apikeys.LumiDomains, AccountID: &acc, Scopes: []string{"domains:buy"}}).Key
	if err := s.CheckSignature(plain, body, ""); err != nil {
		t.Errorf("key without signing secret: %v", err)
	}
}

func s2now() time.Time { return time.Now() }

// waitFor polls cond (a state change in Postgres, not a duration) until it
// holds, failing after 10 s.
func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not reached in 10s")
		}
		time.Sleep(10 * time.Millisecond)
	}
}
