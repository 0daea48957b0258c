package testdb

import (
	"context"
	"testing"

	"github.com/jackc/pgx/v5"
)

func TestNew(t *testing.T) {
	ctx := context.Background()
	var names [2]string

	t.Run("databases", func(t *testing.T) {
		a, b := New(t), New(t)
		for i, pool := range []interface {
			QueryRow(context.Context, string, ...any) pgx.Row
		}{a, b} {
			var applied int64
			if err := pool.QueryRow(ctx, "SELECT current_database(), max(version_id) FROM goose_db_version WHERE is_applied").Scan(&names[i], &applied); err != nil {
				t.Fatalf("db %d: %v", i, err)
			}
			if applied < 1 {
				t.Fatalf("db %d: no migrations applied", i)
			}
		}
		if names[0] == names[1] {
			t.Fatalf("both tests got database %s", names[0])
		}
		// Databases are independent.
		if _, err := a.Exec(ctx, "CREATE TABLE scratch (x int)"); err != nil {
			t.Fatal(err)
		}
		var n int
		if err := b.QueryRow(ctx, "SELECT count(*) FROM pg_tables WHERE tablename = 'scratch'").Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n != 0 {
			t.Fatal("a table created in one test database shows in another")
		}
	})

	conn, err := pgx.Connect(ctx, AdminURL(t))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)

	// The databases are gone once the subtest ended.
	var left int
	if err := conn.QueryRow(ctx, "SELECT count(*) FROM pg_database WHERE datname = ANY($1)", names[:]).Scan(&left); err != nil {
		t.Fatal(err)
	}
	if left != 0 {
		t.Fatalf("%d test database(s) of %v left behind", left, names)
	}

	// The template is complete and closed to connections.
	var isTemplate, allowConn bool
	if err := conn.QueryRow(ctx, "SELECT datistemplate, datallowconn FROM pg_database WHERE datname = $1", env.template).Scan(&isTemplate, &allowConn); err != nil {
		t.Fatal(err)
	}
	if !isTemplate || allowConn {
		t.Fatalf("template %s: datistemplate=%v datallowconn=%v", env.template, isTemplate, allowConn)
	}
}

func TestNewURL(t *testing.T) {
	t.Parallel()
	u := NewURL(t)
	conn, err := pgx.Connect(context.Background(), u)
	if err != nil {
		t.Fatal(err)
	}
	// Left open on purpose: the cleanup's DROP ... WITH (FORCE) must cope.
	var n int
	if err := conn.QueryRow(context.Background(), "SELECT count(*) FROM staff_users").Scan(&n); err != nil {
		t.Fatal(err)
	}
}
