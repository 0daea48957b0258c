package lumi

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"lumdesk/internal/accounts"
	"lumdesk/internal/audit"
)

// Batches outlive the process that accepted them: besides the takeover on a
// poll of GET /v1/batches/{id}, every serving process sweeps for running
// batches whose lease ran out (their runner stopped) at start-up and then
// every BatchLease/2, and resumes their pending items. Items debit with their
// own idempotency keys, so a resumed batch never pays an item twice, and the
// lease decides which process resumes it.

// maxResumed bounds the batches one sweep picks up.
const maxResumed = 100

// ResumeBatches takes over the running batches whose lease ran out and
// returns how many this process resumed.
func (api *API) ResumeBatches(ctx context.Context) (int, error) {
	stale, err := api.batches.StaleBatches(ctx, maxResumed)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, id := range stale {
		b, rows, err := api.batches.GetBatch(ctx, accounts.AllAccounts, id)
		if err != nil {
			return n, fmt.Errorf("resume batch %s: %w", id, err)
		}
		if api.takeOver(ctx, b, rows, audit.Actor{Kind: audit.KindSystem}) {
			n++
		}
	}
	return n, nil
}

// SweepBatches runs ResumeBatches now and every BatchLease/2 until ctx ends
// (cmd/web serve starts it).
func (api *API) SweepBatches(ctx context.Context, log *slog.Logger) {
	t := time.NewTicker(BatchLease / 2)
	defer t.Stop()
	for {
		if n, err := api.ResumeBatches(ctx); err != nil && ctx.Err() == nil {
			log.Warn("resume lumi batches", "err", err)
		} else if n > 0 {
			log.Info("lumi batches resumed", "count", n)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
