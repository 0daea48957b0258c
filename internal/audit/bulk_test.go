package audit_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"lumdesk/db/store"
	"lumdesk/internal/audit"
	"lumdesk/internal/platform/db"
	"lumdesk/internal/platform/partition"
	"lumdesk/internal/platform/testdb"
)

// Events appended in bulk, over a year of months, chain like recorded ones:
// the chain verifies across them and the events recorded before and after,
// each lands in its month's partition, the ids follow the given order, and
// the load itself is recorded once.
func TestBulkRecordKeepsTheChain(t *testing.T) {
	ctx := context.Background()
	d := db.New(testdb.New(t))
	staff := audit.Staff(3, "amy@lumdesk.test")
	rec := func(action string) {
		t.Helper()
		if err := d.Tx(ctx, func(q *store.Queries) error { return audit.Record(ctx, q, staff, audit.Event{Action: action}) }); err != nil {
			t.Fatal(err)
		}
	}
	rec("account.before")
	now := time.Now().UTC()
	from := now.AddDate(-1, 0, 0)
	if _, err := partition.EnsureMonths(ctx, d.Pool, "audit_events", from, now); err != nil {
		t.Fatal(err)
	}
	const n = 3000
	evs := make([]audit.BulkEvent, n)
	step := now.Sub(from) / n
	for i := range evs {
		evs[i] = audit.BulkEvent{At: from.Add(time.Duration(i) * step), Actor: audit.Staff(int64(i%7+1), fmt.Sprintf("s%d@lumdesk.test", i%7)),
			Event: audit.Event{Action: "license_key.ban", EntityType: "license_key", EntityID: fmt.Sprint(i), Reason: "Key sharing",
				Before: map[string]any{"banned": false, "n": i}, After: map[string]any{"banned": true, "n": i}}}
	}
	var got int64
	if err := d.Tx(ctx, func(q *store.Queries) (err error) {
		got, err = audit.BulkRecord(ctx, q, audit.CLI("test"), evs)
		return err
	}); err != nil || got != n {
		t.Fatalf("bulk record = %d, %v", got, err)
	}
	rec("account.after")

	v, err := audit.Verify(ctx, d.Queries)
	if err != nil || !v.OK || v.Rows != n+3 {
		t.Fatalf("verify = %+v, %v (want %d rows)", v, err, n+3)
	}
	var inDefault, months, loads int
	var ordered bool
	if err := d.Pool.QueryRow(ctx, `SELECT (SELECT count(*) FROM audit_events_default),
		(SELECT count(DISTINCT tableoid) FROM audit_events WHERE action = 'license_key.ban'),
		(SELECT count(*) FROM audit_events WHERE action = 'audit.bulk_load'),
		(SELECT bool_and(entity_id::int = rn - 1) FROM (
		  SELECT entity_id, row_number() OVER (ORDER BY id) AS rn FROM audit_events WHERE action = 'license_key.ban') x)`).
		Scan(&inDefault, &months, &loads, &ordered); err != nil {
		t.Fatal(err)
	}
	if inDefault != 0 || months < 12 || loads != 1 || !ordered {
		t.Errorf("in default %d, months %d (want >= 12), load events %d (want 1), ids in order %v", inDefault, months, loads, ordered)
	}
}
