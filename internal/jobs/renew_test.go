package jobs_test

import (
	"context"
	"io"
	"log/slog"
	"sync/atomic"
	"testing"
	"time"

	"lumdesk/internal/jobs"
	"lumdesk/internal/licensing"
	"lumdesk/internal/platform/db"
	"lumdesk/internal/platform/testdb"
)

// The auto-renew pass runs when the runner starts (periodic, run on start)
// and again when asked for.
func TestAutoRenewJobRuns(t *testing.T) {
	t.Parallel()
	d := db.New(testdb.New(t))
	lic := licensing.NewService(d)
	t.Cleanup(lic.Close)
	s := jobs.New(d, lic)
	s.SetLogger(slog.New(slog.NewTextHandler(io.Discard, nil)))
	var runs atomic.Int32
	s.SetAutoRenew(func(context.Context) error { runs.Add(1); return nil })
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
				t.Fatalf("auto-renew ran %d times, want %d", runs.Load(), n)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	wait(1) // on start
	if err := s.EnqueueAutoRenew(ctx); err != nil {
		t.Fatal(err)
	}
	wait(2)
}
