package db_test

import (
	"bytes"
	"context"
	"log/slog"
	"net"
	"strings"
	"testing"

	"lumdesk/db/store"
	"lumdesk/internal/platform/db"
	"lumdesk/internal/platform/testdb"
)

func TestParseLSN(t *testing.T) {
	for in, want := range map[string]db.LSN{"0/0": 0, "0/3030B08": 0x3030B08, "16/B374D848": 0x16_B374D848, "FFFFFFFF/FFFFFFFF": ^db.LSN(0)} {
		got, err := db.ParseLSN(in)
		if err != nil || got != want || got.String() != in {
			t.Errorf("ParseLSN(%q) = %v (%s), %v; want %v", in, uint64(got), got, err, uint64(want))
		}
	}
	for _, bad := range []string{"", "0", "/1", "1/", "x/1", "1/1/1", "123456789/0", "-1/0", "0/+1", " 0/1"} {
		if got, err := db.ParseLSN(bad); err == nil {
			t.Errorf("ParseLSN(%q) = %s, want an error", bad, got)
		}
	}
}

// TestUnreachableReplicaReadsThePrimary: with the replica's address dead, a
// marked request reads the primary, and the outage is logged once however
// many reads there are. An unmarked context never looks at the replica.
func TestUnreachableReplicaReadsThePrimary(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	d := db.New(testdb.New(t))
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	dead := "postgres://postgres@" + ln.Addr().String() + "/lumdesk?sslmode=disable&connect_timeout=1"
	ln.Close()
	var logged bytes.Buffer
	if err := d.OpenReplica(dead, slog.New(slog.NewTextHandler(&logged, nil))); err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	if !d.HasReplica() {
		t.Fatal("HasReplica is false after OpenReplica")
	}
	if got := d.Reader(ctx); got != d {
		t.Fatal("an unmarked context reads the replica")
	}
	marked := db.WithReplicaReads(ctx, 0)
	for i := range 5 {
		if got := d.Reader(marked); got != d {
			t.Fatalf("read %d: an unreachable replica was chosen", i)
		}
		calls := 0
		err := d.ReadCustomPlans(marked, func(q *store.Queries) error {
			calls++
			return q.UseCustomPlans(marked) // a statement on the connection chosen
		})
		if err != nil || calls != 1 {
			t.Fatalf("read %d: %v after %d calls, want one call on the primary", i, err, calls)
		}
	}
	if n := strings.Count(logged.String(), "database replica unreachable"); n != 1 {
		t.Errorf("the outage was logged %d times, want once:\n%s", n, logged.String())
	}
	if db.CaughtUp(marked) || db.WroteIn(marked) {
		t.Error("a request that neither wrote nor read the replica reports CaughtUp or WroteIn")
	}
	if err := d.Tx(marked, func(q *store.Queries) error { return nil }); err != nil {
		t.Fatal(err)
	}
	if !db.WroteIn(marked) {
		t.Error("a committed Tx is not noted: the request's next reads could miss it")
	}
}

// TestReplicaDroppedMidUseReadsThePrimary: the "replica" here is the same
// database (not in recovery, so it serves requests without a recorded
// write). Its connections are killed after use: the next read still
// answers, from the primary, and the outage is logged.
func TestReplicaDroppedMidUseReadsThePrimary(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	url := testdb.NewURL(t)
	d, err := db.Open(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	var logged bytes.Buffer
	if err := d.OpenReplica(url, slog.New(slog.NewTextHandler(&logged, nil))); err != nil {
		t.Fatal(err)
	}
	marked := db.WithReplicaReads(ctx, 0)
	if d.Reader(marked) == d {
		t.Fatal("a reachable replica was not chosen for a request without a recorded write")
	}
	if d.Reader(db.WithReplicaReads(ctx, 1)) != d {
		t.Error("a replica reporting no replay position served a request with a recorded write")
	}
	if err := d.ReadCustomPlans(marked, func(q *store.Queries) error { return q.UseCustomPlans(marked) }); err != nil {
		t.Fatal(err)
	}
	const replicaConns = "FROM pg_stat_activity WHERE application_name = 'lumdesk-replica-reads' AND datname = current_database()"
	var killed int
	if err := d.Pool.QueryRow(ctx, "SELECT count(pg_terminate_backend(pid)) "+replicaConns).Scan(&killed); err != nil || killed == 0 {
		t.Fatalf("terminated %d replica connections: %v", killed, err)
	}
	for i := range 3 {
		calls := 0
		err := d.ReadCustomPlans(marked, func(q *store.Queries) error {
			calls++
			return q.UseCustomPlans(marked)
		})
		if err != nil || calls == 0 {
			t.Fatalf("read %d after the replica dropped: %v (%d calls)", i, err, calls)
		}
	}
	if n := strings.Count(logged.String(), "database replica unreachable"); n != 1 {
		t.Errorf("the outage was logged %d times, want once:\n%s", n, logged.String())
	}
}
