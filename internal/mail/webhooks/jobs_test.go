package webhooks

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"testing"
	"time"

	"lumdesk/internal/accounts"
	"lumdesk/internal/jobs"
	"lumdesk/internal/licensing"
)

// The server's runner (internal/jobs) works deliveries once Register is
// added to it, as handlers/server wires it.
func TestJobsRunnerWorksDeliveries(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	rcv := startReceiver(t, http.StatusAccepted)
	s := f.service(t, Settings{AllowPrivate: true}, rcv.roots())
	ep, err := s.CreateEndpoint(ctx, cli, accounts.Only(f.acct), f.app, EndpointInput{URL: rcv.srv.URL, Events: Events})
	if err != nil {
		t.Fatal(err)
	}
	lic := licensing.NewService(f.db)
	t.Cleanup(lic.Close)
	runner := jobs.New(f.db, lic)
	runner.SetLogger(slog.New(slog.NewTextHandler(io.Discard, nil)))
	runner.AddWorkers(s.Register)
	runner.SetOptions(jobs.Options{TestOnly: true, PollInterval: 50 * time.Millisecond})
	if err := runner.Start(ctx); err != nil {
		t.Fatal(err)
	}
	stopped := false
	stop := func() {
		if !stopped {
			stopped = true
			sctx, cancel := context.WithTimeout(ctx, 10*time.Second)
			defer cancel()
			_ = runner.Stop(sctx)
		}
	}
	t.Cleanup(stop)
	f.enqueue(t, s, EventComplained, map[string]any{"email_id": "msg_7"})
	select {
	case <-rcv.hits:
	case <-time.After(30 * time.Second):
		t.Fatal("the runner did not deliver")
	}
	stop() // waits for the running attempt to record its outcome
	ds, err := s.ListDeliveries(ctx, accounts.Only(f.acct), ep.ID, 0, 10)
	if err != nil || len(ds) != 1 || ds[0].Status != StatusDelivered || *ds[0].ResponseCode != http.StatusAccepted {
		t.Fatalf("deliveries = %+v, %v", ds, err)
	}
}
