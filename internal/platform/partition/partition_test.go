package partition_test

import (
	"context"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgtype"
	"github.com/jackc/pgx/v5/pgxpool"

	"lumdesk/db/store"
	"lumdesk/internal/platform/partition"
	"lumdesk/internal/platform/testdb"
)

func months(table string, from time.Time, n int) []string {
	var out []string
	for i := 0; i < n; i++ {
		out = append(out, partition.Name(table, from.AddDate(0, i, 0)))
	}
	return out
}

func partitions(t *testing.T, pool *pgxpool.Pool, table string) []string {
	t.Helper()
	names, err := store.New(pool).ListPartitions(context.Background(), table)
	if err != nil {
		t.Fatal(err)
	}
	return names
}

func TestMaintainCreatesComingMonthsOnce(t *testing.T) {
	pool := testdb.New(t)
	ctx := context.Background()
	now := time.Date(2031, 5, 20, 23, 0, 0, 0, time.FixedZone("east", 5*3600)) // 18:00 UTC
	// Ensure's tables: the defaults without retention (the template
	// database's months, years before now, would go).
	tables := partition.Defaults()
	for i := range tables {
		tables[i].KeepMonths = 0
	}
	res, err := partition.Maintain(ctx, pool, now, tables)
	if err != nil {
		t.Fatal(err)
	}
	var want []string
	for _, tb := range partition.Defaults() {
		want = append(want, months(tb.Name, time.Date(2031, 5, 1, 0, 0, 0, 0, time.UTC), partition.Ahead+1)...)
	}
	if len(res.Removed) != 0 || !sameSet(res.Created, want) {
		t.Fatalf("first pass = %+v, want created %v", res, want)
	}
	for _, tb := range partition.Defaults() {
		got := partitions(t, pool, tb.Name)
		for _, n := range months(tb.Name, time.Date(2031, 5, 1, 0, 0, 0, 0, time.UTC), partition.Ahead+1) {
			if !slices.Contains(got, n) {
				t.Errorf("%s: no partition %s in %v", tb.Name, n, got)
			}
		}
		if !slices.Contains(got, tb.Name+"_default") {
			t.Errorf("%s: no default partition", tb.Name)
		}
	}
	if res, err := partition.Ensure(ctx, pool, now); err != nil || res.Changes() != 0 {
		t.Fatalf("second pass = %+v, %v; want no change", res, err)
	}
}

func TestMaintainConcurrently(t *testing.T) {
	pool := testdb.New(t)
	now := time.Date(2032, 1, 10, 0, 0, 0, 0, time.UTC)
	var (
		wg      sync.WaitGroup
		mu      sync.Mutex
		created []string
		errs    []error
	)
	for i := 0; i < 4; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			res, err := partition.Maintain(context.Background(), pool, now, partition.Defaults())
			mu.Lock()
			defer mu.Unlock()
			created = append(created, res.Created...)
			if err != nil {
				errs = append(errs, err)
			}
		}()
	}
	wg.Wait()
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	if want := len(partition.Defaults()) * (partition.Ahead + 1); len(created) != want {
		t.Fatalf("created %d partitions over 4 concurrent passes (%v), want each of %d once", len(created), created, want)
	}
}

// Rows of months without a partition wait in the default partition; a pass
// gives their months partitions (moving them), then drops the months past
// the retention. Retention 0 keeps everything.
func TestMaintainRetention(t *testing.T) {
	pool := testdb.New(t)
	ctx := context.Background()
	q := store.New(pool)
	const table = "license_key_daily_executions"
	// One row on the 10th of each month from January to June 2031.
	var ids, counts []int64
	var days []pgtype.Date
	for m := 1; m <= 6; m++ {
		ids, counts = append(ids, 1), append(counts, int64(m))
		days = append(days, pgtype.Date{Time: time.Date(2031, time.Month(m), 10, 0, 0, 0, 0, time.UTC), Valid: true})
	}
	if err := q.FlushLicenseKeyDailyExecutions(ctx, store.FlushLicenseKeyDailyExecutionsParams{Ids: ids, Days: days, Counts: counts}); err != nil {
		t.Fatal(err)
	}
	now := time.Date(2031, 6, 15, 12, 0, 0, 0, time.UTC)

	keep := []partition.Table{{Name: table, Column: "day", KeepMonths: 0}}
	if _, err := partition.Maintain(ctx, pool, now, keep); err != nil {
		t.Fatal(err)
	}
	if n := count(t, pool, table); n != 6 {
		t.Fatalf("retention 0 kept %d rows, want 6", n)
	}
	if n := count(t, pool, table+"_default"); n != 0 {
		t.Fatalf("%d rows left in the default partition", n)
	}
	if got := partitions(t, pool, table); !subset(months(table, time.Date(2031, 1, 1, 0, 0, 0, 0, time.UTC), 9), got) {
		t.Fatalf("partitions %v lack January to September 2031", got)
	}

	// Two months back from June 15th is April 15th: January to March end
	// before it and go; April, partly newer, stays.
	two := []partition.Table{{Name: table, Column: "day", KeepMonths: 2}}
	res, err := partition.Maintain(ctx, pool, now, two)
	if err != nil {
		t.Fatal(err)
	}
	// (The template database's months, years before, go too.)
	gone := months(table, time.Date(2031, 1, 1, 0, 0, 0, 0, time.UTC), 3)
	kept := months(table, time.Date(2031, 4, 1, 0, 0, 0, 0, time.UTC), 6)
	if !subset(gone, res.Removed) || slices.ContainsFunc(res.Removed, func(n string) bool { return slices.Contains(kept, n) }) || len(res.Created) != 0 {
		t.Fatalf("pass = %+v, want removed %v and not %v", res, gone, kept)
	}
	got := partitions(t, pool, table)
	for _, n := range gone {
		if slices.Contains(got, n) {
			t.Errorf("%s still a partition", n)
		}
		if exists(t, pool, n) {
			t.Errorf("%s dropped, but the table is still there", n)
		}
	}
	if n := count(t, pool, table); n != 3 {
		t.Fatalf("%d rows after the retention, want April to June's 3", n)
	}
	if res, err := partition.Maintain(ctx, pool, now, two); err != nil || res.Changes() != 0 {
		t.Fatalf("second pass = %+v, %v; want no change", res, err)
	}
}

// A table whose retention detaches keeps the month as a plain table.
func TestMaintainDetaches(t *testing.T) {
	pool := testdb.New(t)
	ctx := context.Background()
	q := store.New(pool)
	old := time.Date(2030, 3, 5, 10, 0, 0, 0, time.UTC)
	if _, err := q.InsertAuditEvent(ctx, store.InsertAuditEventParams{OccurredAt: old, ActorKind: "system", Action: "x",
		PrevHash: make([]byte, 32), Hash: []byte("h1")}); err != nil {
		t.Fatal(err)
	}
	tables := []partition.Table{{Name: "audit_events", Column: "occurred_at", KeepMonths: 12, Detach: true}}
	res, err := partition.Maintain(ctx, pool, time.Date(2031, 6, 1, 0, 0, 0, 0, time.UTC), tables)
	if err != nil {
		t.Fatal(err)
	}
	name := partition.Name("audit_events", old)
	if !slices.Contains(res.Created, name) || !slices.Contains(res.Removed, name) {
		t.Fatalf("pass = %+v, want %s created (from the default) then detached", res, name)
	}
	if slices.Contains(partitions(t, pool, "audit_events"), name) || count(t, pool, name) != 1 || count(t, pool, "audit_events") != 0 {
		t.Fatalf("%s: want detached with its row kept", name)
	}
}

func TestFromEnv(t *testing.T) {
	env := map[string]string{"RETENTION_MAIL_EVENTS_MONTHS": "6", "RETENTION_AUDIT_EVENTS_MONTHS": " 0 ", "RETENTION_MARKETPLACE_INSTALL_EVENTS_MONTHS": "3", "RETENTION_LUMIRA_ACTIONS_MONTHS": "0"}
	tables, err := partition.FromEnv(func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	for _, tb := range tables {
		want := map[string]int{"audit_events": 0, "mail_events": 6, "license_key_daily_executions": 24, "licensing_project_daily_executions": 24, "marketplace_install_events": 3, "lumira_actions": 0}[tb.Name]
		if tb.KeepMonths != want {
			t.Errorf("%s keeps %d months, want %d", tb.Name, tb.KeepMonths, want)
		}
	}
	for _, bad := range []string{"-1", "x", "1.5", "1201"} {
		env["RETENTION_MAIL_EVENTS_MONTHS"] = bad
		if _, err := partition.FromEnv(func(k string) string { return env[k] }); err == nil || !strings.Contains(err.Error(), "RETENTION_MAIL_EVENTS_MONTHS") {
			t.Errorf("%q: err = %v, want one naming the variable", bad, err)
		}
	}
}

func count(t *testing.T, pool *pgxpool.Pool, table string) int {
	t.Helper()
	var n int
	if err := pool.QueryRow(context.Background(), "SELECT count(*) FROM "+table).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func exists(t *testing.T, pool *pgxpool.Pool, table string) bool {
	t.Helper()
	var ok bool
	if err := pool.QueryRow(context.Background(), "SELECT to_regclass($1) IS NOT NULL", table).Scan(&ok); err != nil {
		t.Fatal(err)
	}
	return ok
}

func sameSet(a, b []string) bool {
	a, b = slices.Clone(a), slices.Clone(b)
	slices.Sort(a)
	slices.Sort(b)
	return slices.Equal(a, b)
}

func subset(small, big []string) bool {
	for _, s := range small {
		if !slices.Contains(big, s) {
			return false
		}
	}
	return true
}

// EnsureMonths creates every month of a past range once (a bulk load of
// history calls it before its COPY).
func TestEnsureMonthsCreatesARange(t *testing.T) {
	pool := testdb.New(t)
	ctx := context.Background()
	from, to := time.Date(2030, 11, 15, 0, 0, 0, 0, time.UTC), time.Date(2031, 2, 3, 0, 0, 0, 0, time.UTC)
	got, err := partition.EnsureMonths(ctx, pool, "audit_events", from, to)
	want := months("audit_events", time.Date(2030, 11, 1, 0, 0, 0, 0, time.UTC), 4)
	if err != nil || !sameSet(got, want) {
		t.Fatalf("created %v, %v; want %v", got, err, want)
	}
	if !subset(want, partitions(t, pool, "audit_events")) {
		t.Errorf("partitions %v lack %v", partitions(t, pool, "audit_events"), want)
	}
	if again, err := partition.EnsureMonths(ctx, pool, "audit_events", from, to); err != nil || len(again) != 0 {
		t.Errorf("second call created %v, %v", again, err)
	}
}
