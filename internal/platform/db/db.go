// Package db opens the Postgres pool, runs migrations and wraps transactions.
package db

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"lumdesk/db/store"
)

// DB is the pool plus the sqlc queries bound to it.
type DB struct {
	Pool *pgxpool.Pool
	*store.Queries
	// replica is the streaming replica list reads may use (replica.go), or nil.
	replica *replica
}

// Open connects and pings.
func Open(ctx context.Context, url string) (*DB, error) {
	cfg, err := poolConfig(url)
	if err != nil {
		return nil, fmt.Errorf("parse database url: %w", err)
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("open database: %w", err)
	}
	if err := pool.Ping(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("ping database: %w", err)
	}
	return New(pool), nil
}

// poolConfig is the pool settings of a server's database URL, the primary's
// or the replica's.
func poolConfig(url string) (*pgxpool.Config, error) {
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, err
	}
	// pgx defaults to max(4, NumCPU) connections: too few for a server whose
	// requests each hold one briefly. pool_max_conns in the URL still wins.
	if !strings.Contains(url, "pool_max_conns") {
		cfg.MaxConns = 20
	}
	return cfg, nil
}

// New wraps an existing pool.
func New(pool *pgxpool.Pool) *DB { return &DB{Pool: pool, Queries: store.New(pool)} }

// Close closes the pool (and the replica's).
func (d *DB) Close() {
	d.Pool.Close()
	if d.replica != nil {
		d.replica.db.Pool.Close()
	}
}

// Tx runs fn in one transaction: committed when fn returns nil, rolled back
// otherwise. A commit under a request marked for replica reads is noted
// (WroteIn): the browser's next pages then read their write (replica.go).
func (d *DB) Tx(ctx context.Context, fn func(q *store.Queries) error) error {
	if err := d.tx(ctx, fn); err != nil {
		return err
	}
	if st := readStateOf(ctx); st != nil {
		st.wrote.Store(true)
	}
	return nil
}

func (d *DB) tx(ctx context.Context, fn func(q *store.Queries) error) error {
	return pgx.BeginFunc(ctx, d.Pool, func(tx pgx.Tx) error { return fn(store.New(tx)) })
}

// CustomPlans runs fn in a transaction planned per call (plan_cache_mode =
// force_custom_plan, store.UseCustomPlans): the lists' optional filters
// ("$1 IS NULL OR ...") then fold away and the indexes for the values at
// hand are used, where a cached generic plan would scan.
func (d *DB) CustomPlans(ctx context.Context, fn func(q *store.Queries) error) error {
	return d.tx(ctx, func(q *store.Queries) error { // reads: not a write for Tx's marking
		if err := q.UseCustomPlans(ctx); err != nil {
			return err
		}
		return fn(q)
	})
}

// IsUniqueViolation reports whether err is a unique-constraint violation,
// optionally on the named constraint.
func IsUniqueViolation(err error, constraint string) bool {
	var pgErr *pgconn.PgError
	return errors.As(err, &pgErr) && pgErr.Code == "23505" && (constraint == "" || pgErr.ConstraintName == constraint)
}

// IsNotFound reports whether err is pgx's "no rows".
func IsNotFound(err error) bool { return errors.Is(err, pgx.ErrNoRows) }
