package testdb

import (
	"context"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// Query is one query of a db/queries file, as sqlc reads it: its name and
// its SQL without comment lines or the closing semicolon.
type Query struct{ Name, SQL string }

// ReadQueries reads the queries of a db/queries file, in file order.
func ReadQueries(t testing.TB, path string) []Query {
	t.Helper()
	src, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var out []Query
	for _, b := range strings.Split(string(src), "-- name: ")[1:] {
		head, body, _ := strings.Cut(b, "\n")
		var lines []string
		for _, l := range strings.Split(body, "\n") {
			if !strings.HasPrefix(strings.TrimSpace(l), "--") {
				lines = append(lines, l)
			}
		}
		sql := strings.TrimSuffix(strings.TrimSpace(strings.Join(lines, "\n")), ";")
		out = append(out, Query{Name: strings.Fields(head)[0], SQL: sql})
	}
	if len(out) == 0 {
		t.Fatalf("%s: no queries", path)
	}
	return out
}

// PlanConn is a connection of pool that prices sequential scans out, so a
// plan that still reads a whole table shows there is no index for it.
func PlanConn(t testing.TB, pool *pgxpool.Pool) *pgxpool.Conn {
	t.Helper()
	conn, err := pool.Acquire(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(conn.Release)
	if _, err := conn.Exec(context.Background(), "SET enable_seqscan = off"); err != nil {
		t.Fatal(err)
	}
	return conn
}

var sqlcParam = regexp.MustCompile(`sqlc\.n?arg\((\w+)\)`)
var sqlcEmbed = regexp.MustCompile(`sqlc\.embed\((\w+)\)`)

// Explain returns the lines of the plan of an sqlc query with its
// parameters given as SQL text, value(name) for each sqlc.arg(name) and
// sqlc.narg(name), so it is planned as for those values (a custom plan).
func Explain(t testing.TB, conn interface {
	Query(context.Context, string, ...any) (pgx.Rows, error)
}, q Query, value func(name string) string) []string {
	t.Helper()
	sql := sqlcParam.ReplaceAllStringFunc(q.SQL, func(m string) string { return value(sqlcParam.FindStringSubmatch(m)[1]) })
	sql = sqlcEmbed.ReplaceAllString(sql, "$1.*")
	rows, err := conn.Query(context.Background(), "EXPLAIN "+sql)
	if err != nil {
		t.Fatalf("explain %s: %v\n%s", q.Name, err, sql)
	}
	plan, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatalf("explain %s: %v", q.Name, err)
	}
	return plan
}
