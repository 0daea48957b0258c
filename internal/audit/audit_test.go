package audit_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"lumdesk/db/store"
	"lumdesk/internal/audit"
	"lumdesk/internal/platform/db"
	"lumdesk/internal/platform/testdb"
)

func record(t *testing.T, d *db.DB, n int) {
	t.Helper()
	ctx := context.Background()
	for i := 0; i < n; i++ {
		err := d.Tx(ctx, func(q *store.Queries) error {
			return audit.Record(ctx, q, audit.Staff(7, "a@x.test"), audit.Event{
				Action: "thing.change", EntityType: "thing", EntityID: "42", Reason: "because",
				Before: map[string]any{"n": i, "big": int64(1) << 60, "html": "<b>&</b>"},
				After:  map[string]any{"n": i + 1, "nested": map[string]any{"z": 1, "a": []int{3, 2}}},
			})
		})
		if err != nil {
			t.Fatal(err)
		}
	}
}

func TestChainVerifies(t *testing.T) {
	t.Parallel()
	d := db.New(testdb.New(t))
	record(t, d, 25)
	v, err := audit.Verify(context.Background(), d.Queries)
	if err != nil || !v.OK || v.Rows != 25 {
		t.Fatalf("Verify = %+v, %v", v, err)
	}
}

func TestAppendOnly(t *testing.T) {
	t.Parallel()
	d := db.New(testdb.New(t))
	record(t, d, 2)
	ctx := context.Background()
	for _, sql := range []string{
		"UPDATE audit_events SET reason = 'edited'",
		"DELETE FROM audit_events",
		"TRUNCATE audit_events",
	} {
		_, err := d.Pool.Exec(ctx, sql)
		if err == nil || !strings.Contains(err.Error(), "append-only") {
			t.Errorf("%s: err = %v, want append-only refusal", sql, err)
		}
	}
}

// An attacker with superuser rights can switch the trigger off; the chain still tells.
func TestVerifyDetectsTampering(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	for name, tamper := range map[string]string{
		"edit":   "UPDATE audit_events SET reason = 'nothing to see' WHERE id = 3",
		"delete": "DELETE FROM audit_events WHERE id = 3",
		"json":   `UPDATE audit_events SET after = '{"n": 99}' WHERE id = 4`,
	} {
		t.Run(name, func(t *testing.T) {
			d := db.New(testdb.New(t))
			record(t, d, 5)
			if _, err := d.Pool.Exec(ctx, "ALTER TABLE audit_events DISABLE TRIGGER USER"); err != nil {
				t.Fatal(err)
			}
			if _, err := d.Pool.Exec(ctx, tamper); err != nil {
				t.Fatal(err)
			}
			v, err := audit.Verify(ctx, d.Queries)
			if !errors.Is(err, audit.ErrChainBroken) || v.OK {
				t.Fatalf("Verify after %s = %+v, %v; want broken", name, v, err)
			}
			if name != "json" && v.BadID != 3 && !(name == "delete" && v.BadID == 4) {
				t.Fatalf("BadID = %d", v.BadID)
			}
		})
	}
}

// A rolled-back change leaves no audit row behind, and the chain stays linear.
func TestRollbackLeavesNoRow(t *testing.T) {
	t.Parallel()
	d := db.New(testdb.New(t))
	ctx := context.Background()
	boom := errors.New("boom")
	err := d.Tx(ctx, func(q *store.Queries) error {
		if err := audit.Record(ctx, q, audit.System("t"), audit.Event{Action: "x"}); err != nil {
			return err
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatal(err)
	}
	record(t, d, 1)
	v, err := audit.Verify(ctx, d.Queries)
	if err != nil || v.Rows != 1 {
		t.Fatalf("Verify = %+v, %v", v, err)
	}
}

func TestConcurrentWritersKeepChain(t *testing.T) {
	t.Parallel()
	d := db.New(testdb.New(t))
	errs := make(chan error, 8)
	for w := 0; w < 8; w++ {
		go func() {
			ctx := context.Background()
			for i := 0; i < 10; i++ {
				if err := d.Tx(ctx, func(q *store.Queries) error {
					return audit.Record(ctx, q, audit.System("w"), audit.Event{Action: "c", After: map[string]int{"i": i}})
				}); err != nil {
					errs <- err
					return
				}
			}
			errs <- nil
		}()
	}
	for w := 0; w < 8; w++ {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	v, err := audit.Verify(context.Background(), d.Queries)
	if err != nil || v.Rows != 80 {
		t.Fatalf("Verify = %+v, %v", v, err)
	}
	// The head row the next writer links to is the newest event's.
	var headIsNewest bool
	if err := d.Pool.QueryRow(context.Background(), `SELECT h.event_id = e.id AND h.hash = e.hash FROM audit_chain_head h,
		(SELECT id, hash FROM audit_events ORDER BY id DESC LIMIT 1) e`).Scan(&headIsNewest); err != nil || !headIsNewest {
		t.Fatalf("audit_chain_head is not the newest event: %v %v", headIsNewest, err)
	}
}
