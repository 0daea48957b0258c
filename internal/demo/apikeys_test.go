package demo_test

import (
	"bytes"
	"context"
	"testing"

	"lumdesk/handlers/server"
	"lumdesk/internal/demo"
	"lumdesk/internal/platform/config"
	"lumdesk/internal/platform/db"
	"lumdesk/internal/platform/secretbox"
	"lumdesk/internal/platform/testdb"
)

func TestSeedAPIKeysOnce(t *testing.T) {
	t.Parallel()
	d := db.New(testdb.New(t))
	box, _ := secretbox.New(bytes.Repeat([]byte{1}, 32))
	svc := server.NewServices(config.Config{Demo: true}, d, box)
	ctx := context.Background()
	for i := 0; i < 2; i++ {
		if _, err := demo.Seed(ctx, svc.DemoDeps()); err != nil {
			t.Fatalf("seed %d: %v", i, err)
		}
	}
	var total, revoked, operator, used int
	err := d.Pool.QueryRow(ctx, `SELECT count(*), count(revoked_at), count(*) FILTER (WHERE operator), count(last_used_at) FROM api_keys`).
		Scan(&total, &revoked, &operator, &used)
	if err != nil {
		t.Fatal(err)
	}
	if total < 10 || total > 14 || revoked < 2 || operator != 1 || used < 3 {
		t.Fatalf("demo keys: total %d, revoked %d, operator %d, used %d", total, revoked, operator, used)
	}
	var products int
	_ = d.Pool.QueryRow(ctx, `SELECT count(DISTINCT product) FROM api_keys`).Scan(&products)
	if products != 7 {
		t.Fatalf("demo keys cover %d products, want 7", products)
	}
}
