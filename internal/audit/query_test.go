package audit

import (
	"context"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"lumdesk/db/store"
	"lumdesk/internal/platform/db"
	"lumdesk/internal/platform/testdb"
)

// ae is one event to seed and who records it.
type ae struct {
	a  Actor
	ev Event
}

func seed(t *testing.T, d *db.DB, events ...ae) {
	t.Helper()
	ctx := context.Background()
	for _, e := range events {
		if err := d.Tx(ctx, func(q *store.Queries) error { return Record(ctx, q, e.a, e.ev) }); err != nil {
			t.Fatal(err)
		}
	}
}

func ids(page []Entry) []int64 {
	out := []int64{}
	for _, e := range page {
		out = append(out, e.ID)
	}
	return out
}

func TestQueryFilters(t *testing.T) {
	t.Parallel()
	d := db.New(testdb.New(t))
	ctx := context.Background()
	alice, bob := Staff(1, "alice@x.test"), Staff(2, "bob@x.test")
	seed(t, d,
		ae{alice, Event{Action: "account.create", EntityType: "account", EntityID: "1", After: map[string]any{"name": "A"}}},   // 1
		ae{bob, Event{Action: "account.suspend", EntityType: "account", EntityID: "1", Reason: "fraud"}},                       // 2
		ae{alice, Event{Action: "api_key.issue", EntityType: "api_key", EntityID: "7"}},                                        // 3
		ae{System("jobs"), Event{Action: "account_x.sync", EntityType: "account", EntityID: "2"}},                              // 4
		ae{Actor{Kind: KindAPIKey, ID: "7", Label: "100%_key"}, Event{Action: "staff.login_failed", EntityType: "staff_user"}}, // 5
	)
	for _, tc := range []struct {
		name string
		f    Filter
		want []int64
	}{
		{"all", Filter{}, []int64{5, 4, 3, 2, 1}},
		{"actor label substring, any case", Filter{Actor: "ALICE@"}, []int64{3, 1}},
		{"actor id exact", Filter{Actor: "2"}, []int64{2}},
		{"actor wildcards are literal", Filter{Actor: "%_"}, []int64{5}},
		{"actor wildcard alone matches nothing special", Filter{Actor: "_"}, []int64{5}},
		{"action exact", Filter{Action: "account.suspend"}, []int64{2}},
		{"action prefix", Filter{Action: "account."}, []int64{2, 1}},
		{"action underscore is literal", Filter{Action: "staff.login_"}, []int64{5}},
		{"entity type", Filter{EntityType: "account"}, []int64{4, 2, 1}},
		{"entity", Filter{EntityType: "account", EntityID: "1"}, []int64{2, 1}},
		{"before cursor", Filter{Before: 3}, []int64{2, 1}},
		{"combined", Filter{Actor: "alice", EntityType: "account"}, []int64{1}},
		{"since in the future", Filter{Since: time.Now().Add(time.Hour)}, []int64{}},
		{"until in the past", Filter{Until: time.Now().Add(-time.Hour)}, []int64{}},
		{"time window", Filter{Since: time.Now().Add(-time.Hour), Until: time.Now().Add(time.Hour)}, []int64{5, 4, 3, 2, 1}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			page, next, err := Query(ctx, d.Queries, tc.f, 50)
			if err != nil {
				t.Fatal(err)
			}
			if d := cmp.Diff(tc.want, ids(page)); d != "" || next != 0 {
				t.Errorf("ids (-want +got):\n%s next=%d", d, next)
			}
		})
	}

	// Keyset pages of 2: no duplicates, no gaps, next = last id of the page.
	var all []int64
	f := Filter{}
	for i := 0; ; i++ {
		page, next, err := Query(ctx, d.Queries, f, 2)
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, ids(page)...)
		if next == 0 {
			break
		}
		if next != page[len(page)-1].ID || i > 5 {
			t.Fatalf("next = %d after %v", next, ids(page))
		}
		f.Before = next
	}
	if d := cmp.Diff([]int64{5, 4, 3, 2, 1}, all); d != "" {
		t.Error(d)
	}

	e, err := Get(ctx, d.Queries, 1)
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff([]Change{{Field: "name", New: "A", Kind: Added}}, e.Changes()); d != "" || e.Actor() != "alice@x.test" {
		t.Errorf("entry 1: %s %q", d, e.Actor())
	}
	if _, err := Get(ctx, d.Queries, 99); err == nil || err.(interface{ NotFound() bool }).NotFound() != true {
		t.Errorf("Get(99) = %v", err)
	}

	s := NewService(d)
	acts, err := s.Actions(ctx)
	if err != nil {
		t.Fatal(err)
	}
	types, err := s.EntityTypes(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff([]string{"account.create", "account.suspend", "account_x.sync", "api_key.issue", "staff.login_failed"}, acts); d != "" {
		t.Error(d)
	}
	if d := cmp.Diff([]string{"account", "api_key", "staff_user"}, types); d != "" {
		t.Error(d)
	}
	var each []int64
	if err := s.Each(ctx, Filter{Action: "account"}, func(e Entry) error { each = append(each, e.ID); return nil }); err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff([]int64{4, 2, 1}, each); d != "" {
		t.Error(d)
	}
}

func TestServiceStatusIsCached(t *testing.T) {
	t.Parallel()
	d := db.New(testdb.New(t))
	ctx := context.Background()
	seed(t, d, ae{System("t"), Event{Action: "a.b"}}, ae{System("t"), Event{Action: "a.c"}})
	now := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	s := NewService(d)
	s.now = func() time.Time { return now }

	st, err := s.Status(ctx)
	if err != nil || !st.OK || st.Rows != 2 {
		t.Fatalf("Status = %+v, %v", st, err)
	}
	if _, err := d.Pool.Exec(ctx, "ALTER TABLE audit_events DISABLE TRIGGER USER"); err != nil {
		t.Fatal(err)
	}
	if _, err := d.Pool.Exec(ctx, "UPDATE audit_events SET reason = 'x' WHERE id = 2"); err != nil {
		t.Fatal(err)
	}
	now = now.Add(StatusTTL - time.Second)
	if st, _ := s.Status(ctx); !st.OK {
		t.Fatalf("within the TTL the cached result should be reused: %+v", st)
	}
	now = now.Add(2 * time.Second)
	st, err = s.Status(ctx)
	if err != nil || st.OK || st.BadID != 2 || st.Problem == "" || !st.CheckedAt.Equal(now) {
		t.Fatalf("after the TTL Status = %+v, %v; want broken at 2", st, err)
	}
}

// A chain larger than the page's walk: before any whole walk, each Status
// walks further from the start; afterwards it continues the newest walk
// VerifyAll recorded (another node's too) with the newer events only, so an
// event altered after that walk is found at once, and one altered before it
// by the next whole walk.
func TestStatusContinuesTheRecordedWalk(t *testing.T) {
	t.Parallel()
	d := db.New(testdb.New(t))
	ctx := context.Background()
	ev := func(n int) []ae {
		out := make([]ae, n)
		for i := range out {
			out[i] = ae{System("t"), Event{Action: "a.b"}}
		}
		return out
	}
	seed(t, d, ev(5)...)
	now := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	node := func() *Service {
		s := NewService(d)
		s.now, s.pageWalk = clock, 3
		return s
	}
	status := func(s *Service) Status {
		t.Helper()
		now = now.Add(StatusTTL)
		st, err := s.Status(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return st
	}
	a := node()
	first := now.Add(StatusTTL)
	if st := status(a); !st.OK || st.Rows != 3 || !st.Pending || !st.WalkedAt.IsZero() {
		t.Fatalf("first Status of 5 events, 3 a walk: %+v", st)
	}
	if st := status(a); !st.OK || st.Rows != 5 || st.Pending || !st.WalkedAt.Equal(first) {
		t.Fatalf("second Status: %+v; want the whole chain, walked from %s", st, first)
	}

	walked := now
	if w, err := a.VerifyAll(ctx); err != nil || !w.OK || w.Rows != 5 || !w.Done {
		t.Fatalf("VerifyAll = %+v, %v", w, err)
	}
	seed(t, d, ev(2)...)
	b := node() // another node: it starts from the recorded walk
	st := status(b)
	if !st.OK || st.Rows != 7 || st.Pending || !st.WalkedAt.Equal(walked) || st.CheckedAt.Equal(st.WalkedAt) {
		t.Fatalf("Status after the recorded walk: %+v", st)
	}

	if _, err := d.Pool.Exec(ctx, "ALTER TABLE audit_events DISABLE TRIGGER USER"); err != nil {
		t.Fatal(err)
	}
	tamper := func(id int64, reason string) {
		t.Helper()
		if _, err := d.Pool.Exec(ctx, "UPDATE audit_events SET reason = $2 WHERE id = $1", id, reason); err != nil {
			t.Fatal(err)
		}
	}
	seed(t, d, ev(1)...)
	tamper(8, "x")
	if st := status(b); st.OK || st.BadID != 8 {
		t.Fatalf("an event altered after the walk: %+v; want broken at 8", st)
	}
	tamper(8, "")
	tamper(2, "x")
	if st := status(b); st.OK {
		t.Fatalf("a broken chain stays broken until a whole walk says otherwise: %+v", st)
	}
	if w, err := a.VerifyAll(ctx); err != nil || w.OK || w.BadID != 2 {
		t.Fatalf("VerifyAll of a chain altered at 2 = %+v, %v", w, err)
	}
	if st := status(b); st.OK || st.BadID != 2 {
		t.Fatalf("after the whole walk: %+v; want broken at 2", st)
	}
	tamper(2, "")
	now = now.Add(time.Second)
	if _, err := a.VerifyAll(ctx); err != nil {
		t.Fatal(err)
	}
	if st := status(b); !st.OK || st.Rows != 8 {
		t.Fatalf("after the chain was restored and walked: %+v", st)
	}
}

// The walk on a node's start is skipped when one ran within half the
// interval; the hourly one is not.
func TestWalkIfDue(t *testing.T) {
	t.Parallel()
	d := db.New(testdb.New(t))
	ctx := context.Background()
	seed(t, d, ae{System("t"), Event{Action: "a.b"}})
	now := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	s := NewService(d)
	s.now = func() time.Time { return now }
	walks := func() (n int) {
		t.Helper()
		if err := d.Pool.QueryRow(ctx, "SELECT count(*) FROM audit_chain_checks").Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	for i, tc := range []struct {
		after time.Duration
		ran   bool
	}{{0, true}, {29 * time.Minute, false}, {31 * time.Minute, true}, {time.Minute, false}, {time.Hour, true}} {
		now = now.Add(tc.after)
		w, ran, err := s.WalkIfDue(ctx, time.Hour)
		if err != nil || ran != tc.ran || (ran && (!w.OK || w.Rows != 1)) {
			t.Fatalf("walk %d, %s later: %+v, ran %v, %v; want ran %v", i, tc.after, w, ran, err, tc.ran)
		}
	}
	if n := walks(); n != 3 {
		t.Errorf("%d walks recorded, want 3", n)
	}
}
