package marketplace

import (
	"strings"
	"testing"

	"lumdesk/internal/platform/testdb"
)

// The palette's Lumio queries read indexes (trigram on name and slug, the
// unique public ids), never a whole table.
func TestSearchQueriesUseIndexesLumio(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	conn := testdb.PlanConn(t, f.db.Pool)
	found := 0
	for _, q := range testdb.ReadQueries(t, "../../db/queries/marketplace.sql") {
		if !strings.HasPrefix(q.Name, "Search") {
			continue
		}
		found++
		q.SQL = strings.ReplaceAll(q.SQL, "$1", "5")
		plan := testdb.Explain(t, conn, q, func(name string) string {
			if name == "contains" {
				return "true"
			}
			return "'needle7'"
		})
		// An index scan without an Index Cond walks the whole index: as bad
		// as a table scan.
		for i, l := range plan {
			if !strings.Contains(l, " on marketplace_") || strings.Contains(l, "Bitmap Heap Scan") {
				continue
			}
			if strings.Contains(l, "Seq Scan") || i+1 >= len(plan) || !strings.Contains(plan[i+1], "Index Cond") {
				t.Errorf("%s reads a whole table or index:\n%s", q.Name, strings.Join(plan, "\n"))
				break
			}
		}
	}
	if found != 2 {
		t.Errorf("found %d search queries", found)
	}
}
