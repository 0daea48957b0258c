package audit

import (
	"context"
	"testing"
	"time"

	"lumdesk/db/store"
	"lumdesk/internal/platform/db"
	"lumdesk/internal/platform/partition"
	"lumdesk/internal/platform/testdb"
)

// Once an audit retention has detached the oldest months, the chain starts
// at the oldest remaining row's prev_hash; a row removed after it still
// breaks the chain.
func TestVerifyAnchorsAfterRetention(t *testing.T) {
	t.Parallel()
	d := db.New(testdb.New(t))
	ctx := context.Background()
	// Three events of March 2025 (as Record would have written them then),
	// then two of now, linked to them.
	prev := genesis
	for i := 0; i < 3; i++ {
		r := store.AuditEvent{OccurredAt: time.Date(2025, 3, 10+i, 9, 0, 0, 0, time.UTC), ActorKind: KindSystem, Action: "old", PrevHash: prev}
		r.Hash = chainHash(r)
		if _, err := d.InsertAuditEvent(ctx, store.InsertAuditEventParams{OccurredAt: r.OccurredAt, ActorKind: r.ActorKind,
			Action: r.Action, PrevHash: r.PrevHash, Hash: r.Hash}); err != nil {
			t.Fatal(err)
		}
		prev = r.Hash
	}
	for i := 0; i < 2; i++ {
		if err := d.Tx(ctx, func(q *store.Queries) error { return Record(ctx, q, System("t"), Event{Action: "new"}) }); err != nil {
			t.Fatal(err)
		}
	}
	if v, err := Verify(ctx, d.Queries); err != nil || v.Rows != 5 || v.Anchored || v.FirstID != 1 {
		t.Fatalf("Verify before the retention = %+v, %v", v, err)
	}
	tables := []partition.Table{{Name: "audit_events", Column: "occurred_at", KeepMonths: 12, Detach: true}}
	res, err := partition.Maintain(ctx, d.Pool, time.Now(), tables)
	if err != nil || len(res.Removed) == 0 {
		t.Fatalf("retention pass = %+v, %v; want March 2025 detached", res, err)
	}
	v, err := Verify(ctx, d.Queries)
	if err != nil || v.Rows != 2 || !v.Anchored || v.FirstID != 4 {
		t.Fatalf("Verify after the retention = %+v, %v; want 2 rows anchored at event 4", v, err)
	}
}
