// Package testdb gives each test a fresh, migrated PostgreSQL database.
//
// The server is the one in TEST_DATABASE_URL (a superuser URL) if set, else a
// private cluster of the tests' own in <module root>/.data/pg-test, started
// from the PostgreSQL binaries on the first use with settings made for
// throwaway data (serverSettings); scripts/test.sh stops and removes it
// after the run. Migrations run once per migration set into a template
// database lumdesk_tmpl_<hash>; every test then gets a copy of it (CREATE
// DATABASE ... TEMPLATE), dropped when the test ends. Several test binaries
// may run at once: the template is built under an advisory lock.
package testdb

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash/fnv"
	"io/fs"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"lumdesk/db/migrations"
	"lumdesk/internal/platform/db"
	"lumdesk/internal/platform/localpg"
)

const (
	// EnvURL names the environment variable with the admin (superuser) URL.
	EnvURL = "TEST_DATABASE_URL"

	templatePrefix = "lumdesk_tmpl_"
	// Comments on the databases we create, so stale ones left by killed runs
	// can be told from anything else on a shared server.
	commentTest     = "lumdesk testdb"
	commentTemplate = "lumdesk testdb template"
	// Databases older than this with our comment are leftovers of killed runs.
	staleTest     = 6 * time.Hour
	staleTemplate = time.Hour

	poolMaxConns = 4

	// The tests' private cluster: its own directory, and a port of its own
	// (clusterPort), so it never meets the development cluster of `make run`
	// (.data/pg, port 54329) nor another checkout's tests.
	clusterDir = "pg-test" // under <module root>/.data
	// pg_advisory_lock key serialising template builds across test binaries.
	lockKey int64 = 0x6c756d6465736b01 // "lumdesk" + 1
)

// serverSettings are for data nobody keeps. Every test database is created
// and dropped, and on a server that syncs to disk each DROP DATABASE waits for
// a checkpoint's fsyncs: 1.8 – 4.7 s each on the shared server of the 2-core
// machine under the suite's load, against 0.13 – 0.25 s here (CREATE 0.9 – 1.4
// s against 0.5 – 0.8). A crash can lose or corrupt this cluster; test.sh
// removes it after each run, and a fresh one is made in about a second.
var serverSettings = []string{
	"fsync=off",
	"synchronous_commit=off",
	"full_page_writes=off",
	"checkpoint_timeout=30min",
	"max_wal_size=4GB",
	// Each test database would be visited and analysed for nothing.
	"autovacuum=off",
	// Parallel test binaries, each test's pool and the servers some tests start.
	"max_connections=300",
}

var (
	setupOnce sync.Once
	setupErr  error
	env       struct {
		adminURL string
		admin    *pgxpool.Pool
		template string
		mu       sync.Mutex // serialises template rebuilds within this process
	}
)

// New returns a pool on a fresh database cloned from the migrated template
// database; the pool is closed and the database dropped when the test ends.
func New(t testing.TB) *pgxpool.Pool {
	t.Helper()
	dbURL := NewURL(t)
	cfg, err := pgxpool.ParseConfig(dbURL)
	if err != nil {
		t.Fatalf("testdb: %v", err)
	}
	cfg.MaxConns = poolMaxConns
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		t.Fatalf("testdb: open pool: %v", err)
	}
	t.Cleanup(pool.Close) // runs before NewURL's cleanup drops the database
	if err := pool.Ping(ctx); err != nil {
		t.Fatalf("testdb: ping: %v", err)
	}
	return pool
}

// NewURL is like New but returns the database URL (for tests that start the
// server binary or open their own connections). The database is dropped when
// the test ends, disconnecting whoever is still connected.
func NewURL(t testing.TB) string {
	t.Helper()
	setupOnce.Do(func() { setupErr = setup() })
	if setupErr != nil {
		t.Fatalf("testdb: %v", setupErr)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()

	name := "t_" + randomHex(8)
	if err := createFromTemplate(ctx, name); err != nil {
		t.Fatalf("testdb: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if _, err := env.admin.Exec(ctx, "DROP DATABASE IF EXISTS "+ident(name)+" WITH (FORCE)"); err != nil {
			t.Logf("testdb: drop database %s: %v", name, err)
		}
	})
	dbURL, err := withDatabase(env.adminURL, name)
	if err != nil {
		t.Fatalf("testdb: %v", err)
	}
	return dbURL
}

// AdminURL returns the superuser URL of the server the test databases live on.
func AdminURL(t testing.TB) string {
	t.Helper()
	setupOnce.Do(func() { setupErr = setup() })
	if setupErr != nil {
		t.Fatalf("testdb: %v", setupErr)
	}
	return env.adminURL
}

func createFromTemplate(ctx context.Context, name string) error {
	env.mu.Lock()
	tmpl := env.template
	env.mu.Unlock()
	sql := "CREATE DATABASE " + ident(name) + " TEMPLATE " + ident(tmpl)
	var err error
	for attempt := 0; attempt < 5; attempt++ {
		if _, err = env.admin.Exec(ctx, sql); err == nil {
			break
		}
		var pgErr *pgconn.PgError
		if !errors.As(err, &pgErr) {
			break
		}
		switch pgErr.Code {
		case "3D000": // the template is gone (dropped by a run on other migrations): rebuild it
			if err2 := ensureTemplate(ctx); err2 != nil {
				return err2
			}
			continue
		case "55006": // "source database is being accessed by other users": wait
			time.Sleep(time.Duration(attempt+1) * 200 * time.Millisecond)
			continue
		}
		break
	}
	if err != nil {
		return fmt.Errorf("create database %s from %s: %w", name, tmpl, err)
	}
	if _, err := env.admin.Exec(ctx, "COMMENT ON DATABASE "+ident(name)+" IS "+literal(commentTest+" "+strconv.FormatInt(time.Now().Unix(), 10))); err != nil {
		return fmt.Errorf("comment on database %s: %w", name, err)
	}
	return nil
}

func setup() error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()

	adminURL := os.Getenv(EnvURL)
	if adminURL == "" {
		root, err := moduleRoot()
		if err != nil {
			return err
		}
		log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
		dir := filepath.Join(root, ".data", clusterDir)
		srv, err := localpg.Ensure(ctx, dir, log,
			localpg.PrivateOnly(), localpg.WithPort(clusterPort(dir)), localpg.WithSettings(serverSettings...))
		if err != nil {
			return fmt.Errorf("no database server (set %s to use a specific one): %w", EnvURL, err)
		}
		adminURL = srv.AdminURL
	}
	cfg, err := pgxpool.ParseConfig(adminURL)
	if err != nil {
		return fmt.Errorf("parse %s: %w", EnvURL, err)
	}
	cfg.MaxConns = poolMaxConns
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return fmt.Errorf("connect to %s: %w", redact(adminURL), err)
	}
	if err := pool.Ping(ctx); err != nil {
		pool.Close()
		return fmt.Errorf("connect to %s: %w", redact(adminURL), err)
	}
	hash, err := migrationsHash()
	if err != nil {
		return err
	}
	env.adminURL, env.admin, env.template = adminURL, pool, templatePrefix+hash
	return ensureTemplate(ctx)
}

// ensureTemplate makes sure the migrated template exists, building it if
// needed. The advisory lock makes concurrent test binaries wait for the one
// that builds it; the IS_TEMPLATE flag, set only after the migrations
// succeeded, marks it complete.
func ensureTemplate(ctx context.Context) error {
	env.mu.Lock()
	defer env.mu.Unlock()
	tmpl := env.template

	conn, err := pgx.Connect(ctx, env.adminURL)
	if err != nil {
		return fmt.Errorf("connect: %w", err)
	}
	defer conn.Close(context.WithoutCancel(ctx)) // also releases the advisory lock
	if _, err := conn.Exec(ctx, "SELECT pg_advisory_lock($1)", lockKey); err != nil {
		return fmt.Errorf("advisory lock: %w", err)
	}
	defer conn.Exec(context.WithoutCancel(ctx), "SELECT pg_advisory_unlock($1)", lockKey) //nolint:errcheck

	dropStale(ctx, conn, tmpl)

	var exists, complete bool
	err = conn.QueryRow(ctx, "SELECT true, datistemplate FROM pg_database WHERE datname = $1", tmpl).Scan(&exists, &complete)
	if err != nil && !errors.Is(err, pgx.ErrNoRows) {
		return fmt.Errorf("look up template %s: %w", tmpl, err)
	}
	if complete {
		return nil
	}
	if exists { // half-built by a run that crashed
		if err := dropDatabase(ctx, conn, tmpl); err != nil {
			return err
		}
	}

	start := time.Now()
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+ident(tmpl)); err != nil {
		return fmt.Errorf("create template %s: %w", tmpl, err)
	}
	if _, err := conn.Exec(ctx, "COMMENT ON DATABASE "+ident(tmpl)+" IS "+literal(commentTemplate+" "+strconv.FormatInt(time.Now().Unix(), 10))); err != nil {
		return fmt.Errorf("comment on template %s: %w", tmpl, err)
	}
	tmplURL, err := withDatabase(env.adminURL, tmpl)
	if err != nil {
		return err
	}
	if err := db.Migrate(ctx, tmplURL); err != nil {
		return fmt.Errorf("migrate template %s: %w", tmpl, err)
	}
	// Nobody may stay connected to a template while it is copied.
	if _, err := conn.Exec(ctx, "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()", tmpl); err != nil {
		return fmt.Errorf("disconnect from template %s: %w", tmpl, err)
	}
	if _, err := conn.Exec(ctx, "ALTER DATABASE "+ident(tmpl)+" WITH ALLOW_CONNECTIONS false IS_TEMPLATE true"); err != nil {
		return fmt.Errorf("mark template %s: %w", tmpl, err)
	}
	fmt.Fprintf(os.Stderr, "testdb: built template database %s in %s\n", tmpl, time.Since(start).Round(time.Millisecond))
	return nil
}

// dropStale drops, best effort, databases of ours that killed runs left
// behind, and templates for other migration sets not built recently.
func dropStale(ctx context.Context, conn *pgx.Conn, keep string) {
	rows, err := conn.Query(ctx, `
		SELECT datname, shobj_description(oid, 'pg_database')
		FROM pg_database
		WHERE shobj_description(oid, 'pg_database') LIKE 'lumdesk testdb %' AND datname <> $1`, keep)
	if err != nil {
		return
	}
	type victim struct{ name, comment string }
	var all []victim
	for rows.Next() {
		var v victim
		if rows.Scan(&v.name, &v.comment) == nil {
			all = append(all, v)
		}
	}
	rows.Close()
	now := time.Now()
	for _, v := range all {
		maxAge := staleTest
		if strings.HasPrefix(v.comment, commentTemplate+" ") {
			maxAge = staleTemplate
		}
		f := strings.Fields(v.comment)
		sec, err := strconv.ParseInt(f[len(f)-1], 10, 64)
		if err != nil || now.Sub(time.Unix(sec, 0)) < maxAge {
			continue
		}
		_ = dropDatabase(ctx, conn, v.name)
	}
}

func dropDatabase(ctx context.Context, conn *pgx.Conn, name string) error {
	// A template database cannot be dropped.
	if _, err := conn.Exec(ctx, "ALTER DATABASE "+ident(name)+" IS_TEMPLATE false"); err != nil {
		var pgErr *pgconn.PgError
		if errors.As(err, &pgErr) && pgErr.Code == "3D000" {
			return nil
		}
		return fmt.Errorf("drop database %s: %w", name, err)
	}
	if _, err := conn.Exec(ctx, "DROP DATABASE IF EXISTS "+ident(name)+" WITH (FORCE)"); err != nil {
		return fmt.Errorf("drop database %s: %w", name, err)
	}
	return nil
}

// clusterPort is the test cluster's port: 54400 – 54899, from the path of its
// data directory. Two checkouts on one machine (a CI run beside a developer's
// tests) then start two clusters; with one fixed port the second found the
// first's server, used it, and lost it when the first run stopped it.
func clusterPort(dir string) int {
	h := fnv.New32a()
	h.Write([]byte(dir))
	return 54400 + int(h.Sum32()%500)
}

// migrationsHash is the first 12 hex digits of a SHA-256 over the migration
// files' names and contents.
func migrationsHash() (string, error) {
	h := sha256.New()
	err := fs.WalkDir(migrations.FS, ".", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(migrations.FS, path)
		if err != nil {
			return err
		}
		fmt.Fprintf(h, "%s\x00%d\x00", path, len(b))
		h.Write(b)
		return nil
	})
	if err != nil {
		return "", fmt.Errorf("hash migrations: %w", err)
	}
	return hex.EncodeToString(h.Sum(nil))[:12], nil
}

// moduleRoot walks up from the working directory (a test runs in its
// package's directory) to the directory holding go.mod.
func moduleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", fmt.Errorf("no go.mod above the working directory; set %s", EnvURL)
		}
		dir = parent
	}
}

func withDatabase(adminURL, name string) (string, error) {
	u, err := url.Parse(adminURL)
	if err != nil {
		return "", fmt.Errorf("parse admin url: %w", err)
	}
	u.Path, u.RawPath = "/"+name, ""
	return u.String(), nil
}

func redact(s string) string {
	u, err := url.Parse(s)
	if err != nil {
		return "(unparsable url)"
	}
	return u.Redacted()
}

func ident(s string) string { return pgx.Identifier{s}.Sanitize() }

func literal(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
