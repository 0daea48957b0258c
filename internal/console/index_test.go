package console_test

import (
	"context"
	"os"
	"regexp"
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
	src, err := os.ReadFile("../../db/queries/search.sql")
	if err != nil {
		t.Fatal(err)
	}
	pool := testdb.New(t)
	ctx := context.Background()
	conn, err := pool.Acquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Release()
	if _, err := conn.Exec(ctx, "SET enable_seqscan = off"); err != nil {
		t.Fatal(err)
	}
	arg := regexp.MustCompile(`sqlc\.n?arg\((\w+)\)`)
	blocks := strings.Split(string(src), "-- name: ")[1:]
	if len(blocks) < 10 {
		t.Fatalf("found %d queries", len(blocks))
	}
	for _, b := range blocks {
		name, body, _ := strings.Cut(b, "\n")
		name = strings.Fields(name)[0]
		var sql []string
		for _, l := range strings.Split(body, "\n") {
			if !strings.HasPrefix(strings.TrimSpace(l), "--") {
				sql = append(sql, l)
			}
		}
		q := arg.ReplaceAllStringFunc(strings.Join(sql, "\n"), func(m string) string {
			if arg.FindStringSubmatch(m)[1] == "contains" {
				return "true"
			}
			return "'needle7'"
		})
		q = strings.TrimSuffix(strings.TrimSpace(strings.ReplaceAll(q, "$1", "5")), ";")
		rows, err := conn.Query(ctx, "EXPLAIN "+q)
		if err != nil {
			t.Fatalf("%s: %v\n%s", name, err, q)
		}
		var plan []string
		for rows.Next() {
			var line string
			if err := rows.Scan(&line); err != nil {
				t.Fatal(err)
			}
			plan = append(plan, line)
		}
		rows.Close()
		// An index scan without an Index Cond walks the whole index (the
		// planner's way round a priced-out Seq Scan): as bad as a table scan.
		for i, l := range plan {
			walk := strings.Contains(l, "Index Scan") && (i+1 == len(plan) || !strings.Contains(plan[i+1], "Index Cond"))
			if strings.Contains(l, "Seq Scan") || walk {
				t.Errorf("%s reads a table without an index:\n%s", name, strings.Join(plan, "\n"))
				break
			}
		}
	}
}
