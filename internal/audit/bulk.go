package audit

import (
	"context"
	"fmt"
	"time"

	"lumdesk/db/store"
	"lumdesk/internal/platform/db"
)

// BulkEvent is one event of a bulk load: a synthetic history written as a
// whole, with the time it claims to have happened.
type BulkEvent struct {
	At    time.Time
	Actor Actor
	Event Event
}

// BulkRecord appends events to the chain with COPY, in order, using q,
// which must run inside the caller's transaction, then records one event of
// actor's for the load itself (as every bulk loader does once per call). It
// is for synthetic benchmark data (`lumdesk seed --scale --audit`) only:
// the events claim past times.
// Each row's hash is chainHash over the one before it, exactly as Record
// computes it, so Verify walks the loaded rows like any others. The chain's
// lock is held until the caller commits; the ids the sequence hands out
// follow the row order, which is the chain's order.
//
// A month of At without a partition sends its rows to the DEFAULT
// partition (the maintenance moves them out later, slowly at scale):
// create the months first (partition.EnsureMonths).
//
// Keep each call to a few thousand events: every other audit write (every
// change anywhere in lumdesk) waits for the chain's lock until the caller
// commits. The size itself costs no more than its rows: the chain head
// advances once per statement (migration 00043; once per row, as 00041 had
// it, made a call's cost grow with the square of its size).
func BulkRecord(ctx context.Context, q *store.Queries, actor Actor, events []BulkEvent) (int64, error) {
	if err := q.LockAuditChain(ctx); err != nil {
		return 0, fmt.Errorf("audit bulk: lock chain: %w", err)
	}
	prev, err := q.LastAuditHash(ctx)
	if db.IsNotFound(err) {
		prev = genesis
	} else if err != nil {
		return 0, fmt.Errorf("audit bulk: last hash: %w", err)
	}
	rows := make([]store.CopyAuditEventsParams, len(events))
	for i, e := range events {
		before, err := canonical(e.Event.Before)
		if err != nil {
			return 0, fmt.Errorf("audit bulk %s: before: %w", e.Event.Action, err)
		}
		after, err := canonical(e.Event.After)
		if err != nil {
			return 0, fmt.Errorf("audit bulk %s: after: %w", e.Event.Action, err)
		}
		r := store.AuditEvent{
			OccurredAt: e.At.UTC().Truncate(time.Microsecond),
			ActorKind:  e.Actor.Kind, ActorID: e.Actor.ID, ActorLabel: e.Actor.Label,
			Ip: e.Actor.IP, UserAgent: e.Actor.UserAgent, RequestID: e.Actor.RequestID,
			Action: e.Event.Action, EntityType: e.Event.EntityType, EntityID: e.Event.EntityID, Reason: e.Event.Reason,
			Before: before, After: after, PrevHash: prev,
		}
		if r.ActorKind == "" {
			r.ActorKind = KindSystem
		}
		r.Hash = chainHash(r)
		prev = r.Hash
		rows[i] = store.CopyAuditEventsParams{OccurredAt: r.OccurredAt, ActorKind: r.ActorKind, ActorID: r.ActorID,
			ActorLabel: r.ActorLabel, Ip: r.Ip, UserAgent: r.UserAgent, RequestID: r.RequestID, Action: r.Action,
			EntityType: r.EntityType, EntityID: r.EntityID, Reason: r.Reason, Before: r.Before, After: r.After,
			PrevHash: r.PrevHash, Hash: r.Hash}
	}
	n, err := q.CopyAuditEvents(ctx, rows)
	if err != nil {
		return n, fmt.Errorf("audit bulk: copy: %w", err)
	}
	return n, Record(ctx, q, actor, Event{Action: "audit.bulk_load", After: map[string]any{"events": n}})
}
