// Package partition keeps the month partitions of the history tables
// (migration 00038): the coming months exist before rows arrive, and the
// months past a table's retention are dropped or detached whole, instead of
// old rows being deleted one by one.
//
// Each partitioned table has one partition per UTC month, <table>_YYYY_MM,
// and a DEFAULT partition, <table>_default, that is normally empty: a row
// whose month has no partition yet (a server down across a month's start, a
// test's fake clock years away) lands there instead of failing its insert.
// Maintain creates a partition for every month found in the default, which
// moves those rows out (partition_create_month), so the default stays empty
// and the retention applies to them too.
//
// Maintain runs from a daily River job (jobs.KindPartitions, also once when
// a node becomes leader); Ensure, its creating half, runs after every
// `migrate up`, so also at every server start. Both are idempotent and safe
// on several nodes at once: each table is handled in its own transaction
// under an advisory lock on the table (also taken inside the SQL functions),
// and a partition that exists is left alone.
package partition

import (
	"context"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/jackc/pgx/v5/pgxpool"

	"lumdesk/db/store"
)

// Table is one month-partitioned table.
type Table struct {
	Name   string // the partitioned table
	Column string // its partition key (a timestamptz or date column), for the docs
	// KeepMonths is how many months back rows are kept: a month's partition
	// goes once all of it is older than now minus KeepMonths months. 0 keeps
	// everything.
	KeepMonths int
	// Detach: a month past retention is detached and left as a plain table
	// (to archive, then drop by hand) instead of dropped.
	Detach bool
}

// EnvName is the environment variable that sets t's retention:
// RETENTION_<TABLE>_MONTHS.
func (t Table) EnvName() string { return "RETENTION_" + strings.ToUpper(t.Name) + "_MONTHS" }

// Ahead is how many months after the current one Maintain and Ensure
// prepare, so a node whose jobs stall for weeks still finds its months.
const Ahead = 3

// Defaults is every partitioned table with its default retention.
//   - audit_events: kept forever (the audit history is the record); a
//     retention, if set, detaches old months rather than dropping them.
//     `lumdesk audit verify` then starts from the oldest remaining row.
//   - mail_events: a year of delivery history (the log, the stats and the
//     overview read days to weeks back).
//   - the daily execution counts: two years (the charts read 30 to 90 days;
//     a year-over-year comparison stays possible).
//   - marketplace_install_events: a year of the store's raw install reports
//     (no page reads them: the counts are kept apart, migration 00055).
//   - lumira_actions: two years of rank changes, the member pages' history
//     (migration 00056).
func Defaults() []Table {
	return []Table{
		{Name: "audit_events", Column: "occurred_at", KeepMonths: 0, Detach: true},
		{Name: "mail_events", Column: "at", KeepMonths: 12},
		{Name: "license_key_daily_executions", Column: "day", KeepMonths: 24},
		{Name: "licensing_project_daily_executions", Column: "day", KeepMonths: 24},
		{Name: "marketplace_install_events", Column: "received_at", KeepMonths: 12},
		{Name: "lumira_actions", Column: "created_at", KeepMonths: 24},
	}
}

// FromEnv is Defaults with each table's retention read through getenv
// (RETENTION_<TABLE>_MONTHS, a whole number of months from 0, which keeps
// everything, to 1200).
func FromEnv(getenv func(string) string) ([]Table, error) {
	tables := Defaults()
	for i, t := range tables {
		v := strings.TrimSpace(getenv(t.EnvName()))
		if v == "" {
			continue
		}
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 || n > 1200 {
			return nil, fmt.Errorf("%s: %q is not a number of months from 0 (keep forever) to 1200", t.EnvName(), v)
		}
		tables[i].KeepMonths = n
	}
	return tables, nil
}

// Result says what one pass changed.
type Result struct {
	Created []string // partitions created
	Removed []string // partitions dropped or detached
}

// Changes is how many partitions the pass created or removed.
func (r Result) Changes() int { return len(r.Created) + len(r.Removed) }

// Ensure creates the partitions of this month, the next Ahead months and
// the months of rows waiting in a default partition, for every table of
// Defaults. It removes nothing (no retention is read): migrations call it.
func Ensure(ctx context.Context, pool *pgxpool.Pool, now time.Time) (Result, error) {
	tables := Defaults()
	for i := range tables {
		tables[i].KeepMonths = 0
	}
	return Maintain(ctx, pool, now, tables)
}

// EnsureMonths creates table's partitions for every month from from's to
// to's (both included), as Maintain would, and returns those it created. A
// bulk load of past rows (`lumdesk seed --scale`) calls it first: a month
// without a partition sends its rows to the DEFAULT partition, which the
// maintenance then empties row by row.
func EnsureMonths(ctx context.Context, pool *pgxpool.Pool, table string, from, to time.Time) ([]string, error) {
	var months []time.Time
	for m := MonthOf(from); !m.After(MonthOf(to)); m = m.AddDate(0, 1, 0) {
		months = append(months, m)
	}
	var res Result
	err := pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
		q := store.New(tx)
		if ok, err := lockTable(ctx, q, table); err != nil || !ok {
			return err
		}
		return createMonths(ctx, q, table, months, &res)
	})
	if err != nil {
		return res.Created, fmt.Errorf("partitions of %s: %w", table, err)
	}
	return res.Created, nil
}

// Maintain does Ensure's work for tables, then drops or detaches each
// table's months entirely older than its retention. A table that is not
// partitioned (a database migrated back below 00038) is skipped.
func Maintain(ctx context.Context, pool *pgxpool.Pool, now time.Time, tables []Table) (Result, error) {
	var res Result
	for _, t := range tables {
		if err := pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error { return maintainTable(ctx, store.New(tx), t, now, &res) }); err != nil {
			return res, fmt.Errorf("partitions of %s: %w", t.Name, err)
		}
	}
	return res, nil
}

// lockTimeout bounds each wait for a table lock: creating or detaching a
// partition locks the table briefly, and must not queue every writer behind
// it while a long query holds the table. A pass that gives up is retried by
// the job; rows meanwhile go to the default partition.
const lockTimeout = "5s"

// lockTable takes the table's partition lock for the transaction (ok is
// false for a table that is not partitioned: nothing to do).
func lockTable(ctx context.Context, q *store.Queries, table string) (ok bool, err error) {
	if ok, err = q.IsPartitioned(ctx, table); err != nil || !ok {
		return false, err
	}
	if err := q.LockPartitions(ctx, table); err != nil {
		return false, err
	}
	// After the advisory lock, which may wait for another node's pass.
	return true, q.SetPartitionLockTimeout(ctx, lockTimeout)
}

// createMonths creates the table's partitions of months that are missing,
// noting them in res.
func createMonths(ctx context.Context, q *store.Queries, table string, months []time.Time, res *Result) error {
	for _, m := range months {
		created, err := q.CreateMonthPartition(ctx, store.CreateMonthPartitionParams{Parent: table, Month: date(m)})
		if err != nil {
			return fmt.Errorf("create %s: %w", Name(table, m), err)
		}
		if created {
			res.Created = append(res.Created, Name(table, m))
		}
	}
	return nil
}

func maintainTable(ctx context.Context, q *store.Queries, t Table, now time.Time, res *Result) error {
	if ok, err := lockTable(ctx, q, t.Name); err != nil || !ok {
		return err
	}
	cur := MonthOf(now)
	want := map[time.Time]bool{}
	for i := 0; i <= Ahead; i++ {
		want[cur.AddDate(0, i, 0)] = true
	}
	waiting, err := q.PartitionDefaultMonths(ctx, t.Name)
	if err != nil {
		return err
	}
	for _, m := range waiting {
		want[m.Time.UTC()] = true
	}
	months := make([]time.Time, 0, len(want))
	for m := range want {
		months = append(months, m)
	}
	sort.Slice(months, func(i, j int) bool { return months[i].Before(months[j]) })
	if err := createMonths(ctx, q, t.Name, months, res); err != nil {
		return err
	}
	if t.KeepMonths <= 0 {
		return nil
	}
	parts, err := q.ListPartitions(ctx, t.Name)
	if err != nil {
		return err
	}
	// A month [m, m+1) goes when its end is at or before the cut-off.
	cutoff := now.UTC().AddDate(0, -t.KeepMonths, 0)
	pruned := false
	for _, p := range parts {
		m, ok := monthOfName(t.Name, p)
		if !ok || m.AddDate(0, 1, 0).After(cutoff) {
			continue
		}
		removed, err := q.RemoveMonthPartition(ctx, store.RemoveMonthPartitionParams{Parent: t.Name, Month: date(m), Detach: t.Detach})
		if err != nil {
			return fmt.Errorf("remove %s: %w", p, err)
		}
		if removed {
			res.Removed = append(res.Removed, p)
			pruned = true
		}
	}
	if after := afterRemove[t.Name]; pruned && after != nil {
		if err := after(ctx, q); err != nil {
			return fmt.Errorf("after removing months of %s: %w", t.Name, err)
		}
	}
	return nil
}

// afterRemove is what a table's summaries need once months of it are gone,
// run in the removing transaction (which holds the table's lock from the
// detach or drop, so no write comes between): the audit page's filter
// choices (migration 00047) drop the values no remaining event has.
var afterRemove = map[string]func(context.Context, *store.Queries) error{
	"audit_events": func(ctx context.Context, q *store.Queries) error {
		_, err := q.PruneAuditFilterChoices(ctx)
		return err
	},
}

// MonthOf is the first instant of t's UTC month.
func MonthOf(t time.Time) time.Time {
	t = t.UTC()
	return time.Date(t.Year(), t.Month(), 1, 0, 0, 0, 0, time.UTC)
}

// Name is the partition of table for month m: mail_events_2026_12.
func Name(table string, m time.Time) string {
	return fmt.Sprintf("%s_%04d_%02d", table, m.UTC().Year(), int(m.UTC().Month()))
}

// monthOfName parses a partition name made by Name; false for anything
// else (the default partition).
func monthOfName(table, name string) (time.Time, bool) {
	rest, ok := strings.CutPrefix(name, table+"_")
	if !ok || len(rest) != 7 || rest[4] != '_' {
		return time.Time{}, false
	}
	y, err1 := strconv.Atoi(rest[:4])
	mo, err2 := strconv.Atoi(rest[5:])
	if err1 != nil || err2 != nil || mo < 1 || mo > 12 {
		return time.Time{}, false
	}
	return time.Date(y, time.Month(mo), 1, 0, 0, 0, 0, time.UTC), true
}

func date(t time.Time) pgtype.Date { return pgtype.Date{Time: t, Valid: true} }
