package mail

import (
	"context"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/miekg/dns"

	"lumdesk/internal/accounts"
	"lumdesk/internal/jobs"
	"lumdesk/internal/licensing"
)

// The River periodic job runs the re-check (on start, as every periodic
// job does): a verified domain whose DKIM record was removed since is
// failing after it.
func TestRecheckJobCatchesDrift(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	d := f.verifiedDomain(t)
	f.zone.Remove(d.Records[1].Name, dns.TypeTXT)
	f.now = f.now.Add(6 * time.Hour)

	lic := licensing.NewService(f.db)
	t.Cleanup(lic.Close)
	runner := jobs.New(f.db, lic)
	runner.SetLogger(slog.New(slog.NewTextHandler(io.Discard, nil)))
	type pass struct {
		n   int
		err error
	}
	done := make(chan pass, 4)
	runner.SetMailRecheck(f.svc.RecheckEvery(), func(ctx context.Context) (int, error) {
		n, err := f.svc.RecheckDue(ctx)
		done <- pass{n, err}
		return n, err
	})
	runner.SetOptions(jobs.Options{TestOnly: true, PollInterval: 50 * time.Millisecond})
	if err := runner.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = runner.Stop(context.Background()) })
	select {
	case p := <-done:
		if p.err != nil || p.n != 1 {
			t.Fatalf("re-check pass: %d domains, %v", p.n, p.err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("the re-check job did not run")
	}
	got, err := f.svc.GetDomain(ctx, accounts.AllAccounts, d.ID)
	if err != nil || got.Status != StatusFailing || outcomes(got)[KindDKIM].Status != StatusFailing {
		t.Fatalf("after the job: %+v, %v", got, err)
	}
}
