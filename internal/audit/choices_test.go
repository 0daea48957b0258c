package audit_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"lumdesk/db/store"
	"lumdesk/internal/audit"
	"lumdesk/internal/platform/db"
	"lumdesk/internal/platform/partition"
	"lumdesk/internal/platform/testdb"
)

// The audit page's filter choices come from a table the chain head's
// statement trigger keeps (migration 00047): a value recorded one event at
// a time or in a bulk load is a choice at once, and is the same list a
// scan of the events gives; a month detached by a retention takes away the
// values only it had and leaves those newer events still have.
func TestFilterChoicesFollowTheEvents(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	d := db.New(testdb.New(t))
	s := audit.NewService(d)
	rec := func(action, entityType string) {
		t.Helper()
		if err := d.Tx(ctx, func(q *store.Queries) error {
			return audit.Record(ctx, q, audit.System("t"), audit.Event{Action: action, EntityType: entityType, EntityID: "1"})
		}); err != nil {
			t.Fatal(err)
		}
	}
	choices := func() (actions, types []string) {
		t.Helper()
		a, err := s.Actions(ctx)
		if err != nil {
			t.Fatal(err)
		}
		e, err := s.EntityTypes(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return a, e
	}
	// scanned is what the choices must equal: the distinct values of the
	// events themselves, in the database's order.
	scanned := func() (actions, types []string) {
		t.Helper()
		if err := d.Pool.QueryRow(ctx, `SELECT
			coalesce((SELECT array_agg(v ORDER BY v) FROM (SELECT DISTINCT action v FROM audit_events) x), '{}'),
			coalesce((SELECT array_agg(v ORDER BY v) FROM (SELECT DISTINCT entity_type v FROM audit_events WHERE entity_type <> '') x), '{}')`).
			Scan(&actions, &types); err != nil {
			t.Fatal(err)
		}
		return actions, types
	}
	same := func(when string, wantActions, wantTypes []string) {
		t.Helper()
		a, e := choices()
		sa, se := scanned()
		if d := cmp.Diff(wantActions, a); d != "" {
			t.Errorf("%s: actions (-want +got):\n%s", when, d)
		}
		if d := cmp.Diff(wantTypes, e); d != "" {
			t.Errorf("%s: entity types (-want +got):\n%s", when, d)
		}
		if d := cmp.Diff(sa, a); d != "" {
			t.Errorf("%s: actions against a scan (-scan +choices):\n%s", when, d)
		}
		if d := cmp.Diff(se, e); d != "" {
			t.Errorf("%s: entity types against a scan (-scan +choices):\n%s", when, d)
		}
	}

	rec("widget.create", "widget")
	rec("widget.create", "widget")
	rec("account.note", "")
	same("recorded", []string{"account.note", "widget.create"}, []string{"widget"})

	// A bulk load of March 2025 (its month made first, as the seed does):
	// one action and entity type only it has, one shared with now.
	old := time.Date(2025, 3, 10, 9, 0, 0, 0, time.UTC)
	if _, err := partition.EnsureMonths(ctx, d.Pool, "audit_events", old, old); err != nil {
		t.Fatal(err)
	}
	evs := []audit.BulkEvent{
		{At: old, Actor: audit.System("t"), Event: audit.Event{Action: "gadget.retire", EntityType: "gadget", EntityID: "7"}},
		{At: old.Add(time.Hour), Actor: audit.System("t"), Event: audit.Event{Action: "widget.create", EntityType: "widget", EntityID: "2"}},
	}
	if err := d.Tx(ctx, func(q *store.Queries) error { _, err := audit.BulkRecord(ctx, q, audit.CLI("test"), evs); return err }); err != nil {
		t.Fatal(err)
	}
	// BulkRecord also records the load itself, under an action of its own.
	a, _ := scanned()
	same("bulk loaded", a, []string{"gadget", "widget"})
	for _, want := range []string{"gadget.retire", "widget.create", "account.note"} {
		if !slices.Contains(a, want) {
			t.Fatalf("scan lacks %s: %v", want, a)
		}
	}

	// A retention of 12 months detaches March 2025: gadget's values go,
	// widget's stay (events of now have them).
	tables := []partition.Table{{Name: "audit_events", Column: "occurred_at", KeepMonths: 12, Detach: true}}
	if res, err := partition.Maintain(ctx, d.Pool, time.Now(), tables); err != nil || len(res.Removed) == 0 {
		t.Fatalf("retention pass = %+v, %v; want March 2025 detached", res, err)
	}
	a, _ = scanned()
	if slices.Contains(a, "gadget.retire") || !slices.Contains(a, "widget.create") {
		t.Fatalf("scan after the detach: %v", a)
	}
	same("detached", a, []string{"widget"})

	// A new value after the detach is a choice again.
	rec("gadget.retire", "gadget")
	a, _ = scanned()
	same("recorded after the detach", a, []string{"gadget", "widget"})
}
