package jobs_test

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"sync/atomic"
	"testing"
	"time"

	"lumdesk/internal/accounts"
	"lumdesk/internal/audit"
	"lumdesk/internal/billing"
	"lumdesk/internal/jobs"
	"lumdesk/internal/licensing"
	"lumdesk/internal/platform/db"
	"lumdesk/internal/platform/secretbox"
	"lumdesk/internal/platform/testdb"
)

// The deposit-expiry pass runs when the runner starts (periodic, run on
// start), really expires a pending deposit past its expiry, and runs again
// when asked for.
func TestExpireDepositsJobRuns(t *testing.T) {
	t.Parallel()
	d := db.New(testdb.New(t))
	box, err := secretbox.New(bytes.Repeat([]byte{7}, 32))
	if err != nil {
		t.Fatal(err)
	}
	bill := billing.NewService(d, box, 500_00)
	acct, err := accounts.NewService(d).Create(ctx, audit.CLI("test"), accounts.CreateInput{Name: "Late", Email: "late@example.com"})
	if err != nil {
		t.Fatal(err)
	}
	dep, err := bill.CreateDeposit(ctx, audit.CLI("test"), billing.DepositInput{AccountID: acct.ID, Amount: "9.99", Provider: billing.ProviderManual})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := d.Pool.Exec(ctx, `UPDATE deposits SET expires_at = now() - interval '1 minute' WHERE id = $1`, dep.ID); err != nil {
		t.Fatal(err)
	}

	lic := licensing.NewService(d)
	t.Cleanup(lic.Close)
	s := jobs.New(d, lic)
	s.SetLogger(slog.New(slog.NewTextHandler(io.Discard, nil)))
	var runs atomic.Int32
	s.SetExpireDeposits(func(ctx context.Context) (int, error) {
		defer runs.Add(1)
		return bill.ExpireDeposits(ctx, audit.System("deposit-expiry"), 1000)
	})
	s.SetOptions(jobs.Options{TestOnly: true, PollInterval: 50 * time.Millisecond})
	if err := s.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Stop(context.Background()) })
	wait := func(n int32) {
		t.Helper()
		deadline := time.Now().Add(20 * time.Second)
		for runs.Load() < n {
			if time.Now().After(deadline) {
				t.Fatalf("deposit expiry ran %d times, want %d", runs.Load(), n)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	wait(1) // on start
	got, err := bill.GetDeposit(ctx, dep.ID)
	if err != nil || got.Status != billing.DepositExpired {
		t.Fatalf("deposit after the pass: %+v, %v", got, err)
	}
	var n int
	if err := d.Pool.QueryRow(ctx, `SELECT count(*) FROM audit_events WHERE action = 'deposit.expire'`).Scan(&n); err != nil || n != 1 {
		t.Fatalf("audit rows = %d, %v", n, err)
	}
	if err := s.EnqueueExpireDeposits(ctx); err != nil {
		t.Fatal(err)
	}
	wait(2)
}
