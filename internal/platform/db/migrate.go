package db

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/pressly/goose/v3"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/rivermigrate"

	"lumdesk/db/migrations"
	"lumdesk/internal/platform/partition"
)

func provider(databaseURL string) (*goose.Provider, *sql.DB, error) {
	// Parsed as a pool's URL: its pool_* settings (pool_max_conns, which
	// Open honours) are taken out rather than sent to the server as
	// unknown run-time parameters, which would refuse the connection.
	cfg, err := pgxpool.ParseConfig(databaseURL)
	if err != nil {
		return nil, nil, err
	}
	sqlDB := stdlib.OpenDB(*cfg.ConnConfig)
	p, err := newProvider(sqlDB)
	if err != nil {
		sqlDB.Close()
		return nil, nil, err
	}
	return p, sqlDB, nil
}

func newProvider(sqlDB *sql.DB) (*goose.Provider, error) {
	// Out-of-order: a migration merged from a parallel branch with a lower
	// number than one already applied is applied instead of refused.
	return goose.NewProvider(goose.DialectPostgres, sqlDB, migrations.FS, goose.WithAllowOutofOrder(true))
}

// Migrate applies every pending migration, on a pool of its own.
func Migrate(ctx context.Context, databaseURL string) error {
	cfg, err := pgxpool.ParseConfig(databaseURL)
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	defer pool.Close()
	return MigratePool(ctx, pool)
}

// MigratePool applies every pending migration (ours, then River's), then
// makes sure of the month partitions, all on pool: the server migrates on
// the pool it then serves from. Each step on a connection of its own cost a
// new Postgres connection (20-40 ms each on the 2-core machine, a backend
// to start and its catalog caches to fill), and those were most of the
// time from start to ready; the steps themselves take a few ms on a warm
// connection when there is nothing to apply.
func MigratePool(ctx context.Context, pool *pgxpool.Pool) error {
	// The pool keeps the connections; closing sqlDB leaves them to it.
	sqlDB := stdlib.OpenDBFromPool(pool)
	defer sqlDB.Close()
	p, err := newProvider(sqlDB)
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	if _, err := p.Up(ctx); err != nil {
		return fmt.Errorf("migrate up: %w", err)
	}
	if err := migrateRiver(ctx, pool); err != nil {
		return err
	}
	return ensurePartitions(ctx, pool)
}

// ensurePartitions creates the month partitions of the history tables for
// this month and the next few (internal/platform/partition), so a fresh
// database, and every server start, has them before rows arrive; the
// daily job keeps them coming and applies the retention.
func ensurePartitions(ctx context.Context, pool *pgxpool.Pool) error {
	if _, err := partition.Ensure(ctx, pool, time.Now()); err != nil {
		return fmt.Errorf("month partitions: %w", err)
	}
	return nil
}

// migrateRiver applies River's own migrations (the background job queue of
// internal/jobs); River versions its schema itself.
func migrateRiver(ctx context.Context, pool *pgxpool.Pool) error {
	m, err := rivermigrate.New(riverpgxv5.New(pool), nil)
	if err != nil {
		return fmt.Errorf("migrate river: %w", err)
	}
	if _, err := m.Migrate(ctx, rivermigrate.DirectionUp, nil); err != nil {
		return fmt.Errorf("migrate river: %w", err)
	}
	return nil
}

// MigrateDown rolls back the newest migration.
func MigrateDown(ctx context.Context, databaseURL string) error {
	p, sqlDB, err := provider(databaseURL)
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	defer sqlDB.Close()
	if _, err := p.Down(ctx); err != nil {
		return fmt.Errorf("migrate down: %w", err)
	}
	return nil
}

// MigrateStatus writes one line per migration.
func MigrateStatus(ctx context.Context, databaseURL string, w io.Writer) error {
	p, sqlDB, err := provider(databaseURL)
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	defer sqlDB.Close()
	st, err := p.Status(ctx)
	if err != nil {
		return fmt.Errorf("migrate status: %w", err)
	}
	for _, s := range st {
		applied := "pending"
		if s.State == goose.StateApplied {
			applied = "applied " + s.AppliedAt.UTC().Format("2006-01-02 15:04:05")
		}
		fmt.Fprintf(w, "%05d  %-40s %s\n", s.Source.Version, s.Source.Path, applied)
	}
	return nil
}
