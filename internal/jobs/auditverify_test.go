package jobs_test

import (
	"context"
	"io"
	"log/slog"
	"testing"
	"time"

	"lumdesk/db/store"
	"lumdesk/internal/audit"
	"lumdesk/internal/jobs"
	"lumdesk/internal/licensing"
	"lumdesk/internal/platform/db"
	"lumdesk/internal/platform/testdb"
)

// The whole walk of the audit chain runs when the runner starts, and its
// result is recorded for the audit pages to continue.
func TestAuditVerifyJobRecordsTheWalk(t *testing.T) {
	t.Parallel()
	d := db.New(testdb.New(t))
	for _, a := range []string{"widget.a", "widget.b"} {
		if err := d.Tx(ctx, func(q *store.Queries) error { return audit.Record(ctx, q, audit.System("t"), audit.Event{Action: a}) }); err != nil {
			t.Fatal(err)
		}
	}
	lic := licensing.NewService(d)
	t.Cleanup(lic.Close)
	s := jobs.New(d, lic)
	s.SetLogger(slog.New(slog.NewTextHandler(io.Discard, nil)))
	s.SetAuditVerify(time.Hour, func(ctx context.Context) error {
		_, err := audit.NewService(d).VerifyAll(ctx)
		return err
	})
	s.SetOptions(jobs.Options{TestOnly: true, PollInterval: 50 * time.Millisecond})
	if err := s.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Stop(context.Background()) })
	deadline := time.Now().Add(20 * time.Second)
	for {
		c, err := d.LatestAuditChainCheck(ctx)
		if err == nil {
			if !c.Ok || c.Events != 2 || c.FirstID == 0 || c.ThroughID <= c.FirstID || len(c.ThroughHash) != 32 {
				t.Fatalf("recorded walk: %+v", c)
			}
			return
		}
		if !db.IsNotFound(err) {
			t.Fatal(err)
		}
		if time.Now().After(deadline) {
			t.Fatal("no walk of the audit chain was recorded")
		}
		time.Sleep(50 * time.Millisecond)
	}
}
