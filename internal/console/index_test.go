package console_test

import (
	"strings"
	"testing"

	"lumdesk/internal/platform/testdb"
)

// TestSearchQueriesUseIndexes plans every query of db/queries/search.sql
// with sequential scans priced out: a query that still plans one (or walks a
// whole index) has no index to answer it, and would read the whole table at a
// million rows.
func TestSearchQueriesUseIndexes(t *testing.T) {
	t.Parallel()
	conn := testdb.PlanConn(t, testdb.New(t))
	queries := testdb.ReadQueries(t, "../../db/queries/search.sql")
	if len(queries) < 10 {
		t.Fatalf("found %d queries", len(queries))
	}
	for _, q := range queries {
		q.SQL = strings.ReplaceAll(q.SQL, "$1", "5")
		plan := testdb.Explain(t, conn, q, func(name string) string {
			switch name {
			case "contains":
				return "true"
			case "roblox_group_id":
				return "7"
			}
			return "'needle7'"
		})
		// An index scan without an Index Cond walks the whole index (the
		// planner's way round a priced-out Seq Scan): as bad as a table scan.
		for i, l := range plan {
			walk := strings.Contains(l, "Index Scan") && (i+1 == len(plan) || !strings.Contains(plan[i+1], "Index Cond"))
			if strings.Contains(l, "Seq Scan") || walk {
				t.Errorf("%s reads a table without an index:\n%s", q.Name, strings.Join(plan, "\n"))
				break
			}
		}
	}
}
