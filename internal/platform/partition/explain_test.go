package partition_test

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/jackc/pgx/v5/pgxpool"

	"lumdesk/db/store"
	"lumdesk/internal/platform/partition"
	"lumdesk/internal/platform/testdb"
)

// lastQuery records the SQL and arguments of the newest query on the pool,
// so the test explains exactly what a store method sends.
type lastQuery struct {
	mu   sync.Mutex
	sql  string
	args []any
}

func (l *lastQuery) TraceQueryStart(ctx context.Context, _ *pgx.Conn, d pgx.TraceQueryStartData) context.Context {
	l.mu.Lock()
	defer l.mu.Unlock()
	if !strings.HasPrefix(d.SQL, "EXPLAIN") {
		l.sql, l.args = d.SQL, d.Args
	}
	return ctx
}

func (l *lastQuery) TraceQueryEnd(context.Context, *pgx.Conn, pgx.TraceQueryEndData) {}

// plan explains the query last sent (with its arguments, so planned for
// those values as a one-off query is) and returns the relations it reads
// and its node types.
func (l *lastQuery) plan(t *testing.T, pool *pgxpool.Pool) (relations, nodes []string) {
	t.Helper()
	l.mu.Lock()
	sql, args := l.sql, l.args
	l.mu.Unlock()
	var raw []byte
	if err := pool.QueryRow(context.Background(), "EXPLAIN (FORMAT JSON) "+sql, args...).Scan(&raw); err != nil {
		t.Fatalf("explain %s: %v", sql, err)
	}
	var doc []map[string]any
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	var walk func(n map[string]any)
	walk = func(n map[string]any) {
		if r, ok := n["Relation Name"].(string); ok {
			relations = append(relations, r)
		}
		if nt, ok := n["Node Type"].(string); ok {
			nodes = append(nodes, nt)
		}
		if kids, ok := n["Plans"].([]any); ok {
			for _, k := range kids {
				walk(k.(map[string]any))
			}
		}
	}
	walk(doc[0]["Plan"].(map[string]any))
	return relations, nodes
}

// The history queries with a time range read only the months of the range.
func TestQueriesPruneMonths(t *testing.T) {
	ctx := context.Background()
	rec := &lastQuery{}
	cfg, err := pgxpool.ParseConfig(testdb.NewURL(t))
	if err != nil {
		t.Fatal(err)
	}
	cfg.ConnConfig.Tracer = rec
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	q := store.New(pool)

	// Six months back and the coming ones, for each table.
	now := time.Now().UTC()
	cur := partition.MonthOf(now)
	for _, tb := range partition.Defaults() {
		for i := -6; i < 0; i++ {
			if _, err := q.CreateMonthPartition(ctx, store.CreateMonthPartitionParams{Parent: tb.Name, Month: pgtype.Date{Time: cur.AddDate(0, i, 0), Valid: true}}); err != nil {
				t.Fatal(err)
			}
		}
	}
	if _, err := partition.Ensure(ctx, pool, now); err != nil {
		t.Fatal(err)
	}
	since := now.AddDate(0, 0, -30)
	sinceDay := pgtype.Date{Time: time.Date(since.Year(), since.Month(), since.Day(), 0, 0, 0, 0, time.UTC), Valid: true}
	// The range's months (this one and, early in a month, the one before)
	// are read; three to six months back never are.
	read := []time.Time{cur}
	if partition.MonthOf(since).Before(cur) {
		read = append(read, partition.MonthOf(since))
	}
	for _, c := range []struct {
		table   string
		name    string
		run     func() error
		bounded bool // a closed range: the default partition is pruned too
	}{
		{"licensing_project_daily_executions", "ProjectDailyExecutions", func() error {
			_, err := q.ProjectDailyExecutions(ctx, store.ProjectDailyExecutionsParams{ProjectIds: []int64{1}, Since: sinceDay})
			return err
		}, false},
		{"license_key_daily_executions", "LicenseKeyDailyExecutions", func() error {
			_, err := q.LicenseKeyDailyExecutions(ctx, store.LicenseKeyDailyExecutionsParams{KeyID: 1, Since: sinceDay})
			return err
		}, false},
		{"mail_events", "MailEventStats", func() error {
			_, err := q.MailEventStats(ctx, store.MailEventStatsParams{AppID: 1, Since: since, Until: now})
			return err
		}, true},
		{"mail_events", "MailDailyTotals", func() error {
			_, err := q.MailDailyTotals(ctx, store.MailDailyTotalsParams{Since: since, Until: now})
			return err
		}, true},
		{"mail_events", "ListMailEvents with a time range", func() error {
			_, err := q.ListMailEvents(ctx, store.ListMailEventsParams{AppID: 1, Since: &since, Until: &now, Lim: 50})
			return err
		}, true},
		{"audit_events", "ListAuditEventsPage with a time range", func() error {
			_, err := q.ListAuditEventsPage(ctx, store.ListAuditEventsPageParams{Since: &since, Until: &now, Lim: 50})
			return err
		}, true},
		{"audit_events", "CountAuditEventsPerDay", func() error {
			_, err := q.CountAuditEventsPerDay(ctx, since)
			return err
		}, false},
	} {
		if err := c.run(); err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		rels, _ := rec.plan(t, pool)
		for _, m := range read {
			if !slices.Contains(rels, partition.Name(c.table, m)) {
				t.Errorf("%s reads %v, not the month %s", c.name, rels, partition.Name(c.table, m))
			}
		}
		for i := -6; i <= -3; i++ {
			if n := partition.Name(c.table, cur.AddDate(0, i, 0)); slices.Contains(rels, n) {
				t.Errorf("%s reads %s, outside its range: %v", c.name, n, rels)
			}
		}
		if c.bounded && slices.Contains(rels, c.table+"_default") {
			t.Errorf("%s reads the default partition: %v", c.name, rels)
		}
	}

	// The audit chain's head, read under the chain's lock on every write,
	// has no time to prune by: it is one row a trigger keeps (migration
	// 00041), and reads no month at all.
	if _, err := q.LastAuditHash(ctx); err != nil && err != pgx.ErrNoRows {
		t.Fatal(err)
	}
	rels, nodes := rec.plan(t, pool)
	if !slices.Equal(rels, []string{"audit_chain_head"}) {
		t.Errorf("LastAuditHash plan: nodes %v on %v; want the one-row audit_chain_head alone", nodes, rels)
	}
}
