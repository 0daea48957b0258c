package jobs

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"testing"

	"github.com/jackc/pgx/v5/pgconn"

	"lumdesk/internal/audit"
	"lumdesk/internal/licensing"
	"lumdesk/internal/platform/db"
	"lumdesk/internal/platform/testdb"
)

// An item whose step failed because the database went away is not
// recorded as failed: the error goes back to the job, whose retry resumes
// at that item. Any other unexpected error is the item's, recorded as an
// internal error.
func TestFailLeavesAnOutageToTheRetry(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	d := db.New(testdb.New(t))
	lic := licensing.NewService(d)
	t.Cleanup(lic.Close)
	s := New(d, lic)
	s.SetLogger(slog.New(slog.NewTextHandler(io.Discard, nil)))
	var acc int64
	if err := d.Pool.QueryRow(ctx, "INSERT INTO accounts (name, email) VALUES ('Hub', 'ops@hub.test') RETURNING id").Scan(&acc); err != nil {
		t.Fatal(err)
	}
	p, err := lic.CreateProject(ctx, audit.CLI("test"), licensing.ProjectInput{AccountID: acc, Name: "Hub"})
	if err != nil {
		t.Fatal(err)
	}
	job, err := s.EnqueueGenerate(ctx, audit.CLI("test"), Generate{ProjectID: p.ID, Count: 2})
	if err != nil {
		t.Fatal(err)
	}

	away := &pgconn.ConnectError{Config: &pgconn.Config{}}
	if !db.Unavailable(away) {
		t.Fatal("the test's outage is not one db.Unavailable knows")
	}
	if err := s.fail(ctx, job.ID, result{seq: 0, ref: "1"}, away); !errors.Is(err, away) {
		t.Errorf("fail on an outage = %v, want the outage back", err)
	}
	if err := s.fail(ctx, job.ID, result{seq: 1, ref: "2"}, errors.New("boom")); err != nil {
		t.Fatalf("fail on another error: %v", err)
	}
	items, err := s.Items(ctx, job.ID, -1, false, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(items) != 1 || items[0].Ref != "2" || items[0].OK {
		t.Errorf("items = %+v, want only item 2, failed", items)
	}
}
