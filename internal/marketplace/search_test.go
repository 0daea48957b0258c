package marketplace

import (
	"os"
	"strings"
	"testing"
)

// The palette's Lumio queries read indexes (trigram on name and slug, the
// unique public ids), never a whole table.
func TestSearchQueriesUseIndexesLumio(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	src, err := os.ReadFile("../../db/queries/marketplace.sql")
	if err != nil {
		t.Fatal(err)
	}
	conn, err := f.db.Pool.Acquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Release()
	if _, err := conn.Exec(ctx, "SET enable_seqscan = off"); err != nil {
		t.Fatal(err)
	}
	found := 0
	for _, b := range strings.Split(string(src), "-- name: ")[1:] {
		name, body, _ := strings.Cut(b, "\n")
		name = strings.Fields(name)[0]
		if !strings.HasPrefix(name, "Search") {
			continue
		}
		found++
		var lines []string
		for _, l := range strings.Split(body, "\n") {
			if !strings.HasPrefix(strings.TrimSpace(l), "--") {
				lines = append(lines, l)
			}
		}
		q := strings.NewReplacer("sqlc.arg(exact)", "'needle7'", "sqlc.arg(q)", "'needle7'", "sqlc.arg(contains)", "true", "$1", "5").
			Replace(strings.Join(lines, "\n"))
		var plan []string
		rows, err := conn.Query(ctx, "EXPLAIN "+strings.TrimSuffix(strings.TrimSpace(q), ";"))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		for rows.Next() {
			var l string
			_ = rows.Scan(&l)
			plan = append(plan, l)
		}
		rows.Close()
		p := strings.Join(plan, "\n")
		// An index scan without an Index Cond walks the whole index: as bad
		// as a table scan.
		for i, l := range plan {
			if !strings.Contains(l, " on marketplace_") || strings.Contains(l, "Bitmap Heap Scan") {
				continue
			}
			if strings.Contains(l, "Seq Scan") || i+1 >= len(plan) || !strings.Contains(plan[i+1], "Index Cond") {
				t.Errorf("%s reads a whole table or index:\n%s", name, p)
				break
			}
		}
	}
	if found != 2 {
		t.Errorf("found %d search queries", found)
	}
}
