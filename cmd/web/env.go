package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"strings"

	"lumdesk/internal/platform/config"
	"lumdesk/internal/platform/db"
	"lumdesk/internal/platform/ids"
	"lumdesk/internal/platform/localpg"
	"lumdesk/internal/platform/secretbox"
)

// env is what every command gets: configuration, logger and standard streams.
type env struct {
	cfg    config.Config
	log    *slog.Logger
	stdin  io.Reader
	stdout io.Writer
	stderr io.Writer
}

func newEnv(stdin io.Reader, stdout, stderr io.Writer, getenv func(string) string) (*env, error) {
	cfg, err := config.Load(getenv)
	if err != nil {
		return nil, err
	}
	level := map[string]slog.Level{"debug": slog.LevelDebug, "info": slog.LevelInfo, "warn": slog.LevelWarn, "error": slog.LevelError}[cfg.LogLevel]
	opts := &slog.HandlerOptions{Level: level}
	var h slog.Handler = slog.NewJSONHandler(stderr, opts)
	if cfg.LogFormat == "text" {
		h = slog.NewTextHandler(stderr, opts)
	}
	log := slog.New(h)
	// Packages that log through slog's package-level functions (or took
	// slog.Default() when built) must write the same format at the same
	// level as the rest, not the log package's plain text.
	slog.SetDefault(log)
	return &env{cfg: cfg, log: log, stdin: stdin, stdout: stdout, stderr: stderr}, nil
}

// database is an open, migrated database plus the private server we may have started.
type database struct {
	*db.DB
	URL    string
	server *localpg.Server
	// dataDir is the private cluster's directory when we use one (started
	// now or by an earlier run), "" for any other server.
	dataDir string
	// fromConfig: the URL came from DATABASE_URL rather than discovery.
	fromConfig bool
}

// Describe says which database this is, for the start-up banner: the server
// and database name (never the password) and where a private cluster lives.
func (d *database) Describe() string {
	u, err := url.Parse(d.URL)
	if err != nil {
		return "(unparsable DATABASE_URL)"
	}
	host := u.Host
	if h := u.Query().Get("host"); h != "" {
		host = h
	}
	if host == "" {
		host = "the default socket"
	}
	out := fmt.Sprintf("database %s on %s", strings.TrimPrefix(u.Path, "/"), host)
	switch {
	case d.server != nil:
		out += ", a private cluster in " + d.dataDir + " (started now, stopped on exit)"
	case d.dataDir != "":
		out += ", a private cluster in " + d.dataDir
	case d.fromConfig:
		out += " (DATABASE_URL)"
	}
	if d.DB != nil && d.HasReplica() {
		out += "; list reads from DATABASE_REPLICA_URL"
	}
	return out
}

// Close closes the pool and stops a private cluster this process started.
func (d *database) Close() {
	d.DB.Close()
	if d.server != nil {
		if err := d.server.Stop(); err != nil {
			fmt.Fprintf(os.Stderr, "lumdesk: stop private PostgreSQL: %v\n", err)
		}
	}
}

// openDatabase picks the database (DATABASE_URL, else a local server, else a
// private cluster under DATA_DIR/pg), opens the pool and migrates it.
func (e *env) openDatabase(ctx context.Context, migrate bool) (*database, error) {
	d := &database{URL: e.cfg.DatabaseURL, fromConfig: e.cfg.DatabaseURL != ""}
	if d.URL == "" {
		srv, err := localpg.Ensure(ctx, filepath.Join(e.cfg.DataDir, "pg"), e.log)
		if err != nil {
			return nil, fmt.Errorf("find or start PostgreSQL: %w", err)
		}
		if srv.Started {
			d.server = srv
		}
		d.dataDir = srv.DataDir
		if d.URL, err = srv.EnsureDatabase(ctx, "lumdesk"); err != nil {
			_ = srv.Stop()
			return nil, fmt.Errorf("create database lumdesk: %w", err)
		}
	}
	pool, err := db.Open(ctx, d.URL)
	if err != nil {
		d.stopServer()
		if d.fromConfig {
			// Name the variable to fix, as DATABASE_REPLICA_URL's errors do
			// (pgx masks the password in the URL it quotes).
			return nil, fmt.Errorf("DATABASE_URL: %w", err)
		}
		return nil, err
	}
	if migrate {
		// On the pool just opened: its connection, already made, does
		// the migrations' work too (see db.MigratePool).
		if err := db.MigratePool(ctx, pool.Pool); err != nil {
			pool.Close()
			d.stopServer()
			return nil, err
		}
	}
	d.DB = pool
	return d, nil
}

func (d *database) stopServer() {
	if d.server != nil {
		_ = d.server.Stop()
	}
}

// masterKey is MASTER_KEY, or a key generated once into DATA_DIR/master.key.
func (e *env) masterKey() (*secretbox.Box, error) {
	if e.cfg.MasterKey != nil {
		return secretbox.New(e.cfg.MasterKey)
	}
	path := filepath.Join(e.cfg.DataDir, "master.key")
	b, err := os.ReadFile(path)
	if os.IsNotExist(err) {
		if err := os.MkdirAll(e.cfg.DataDir, 0o755); err != nil {
			return nil, fmt.Errorf("DATA_DIR: %w", err)
		}
		key := ids.Hex(64)
		if err := os.WriteFile(path, []byte(key+"\n"), 0o600); err != nil {
			return nil, fmt.Errorf("write %s: %w", path, err)
		}
		e.log.Warn("MASTER_KEY is not set; generated one", "path", path)
		b = []byte(key)
	} else if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	k, err := config.ParseKey(string(trimSpace(b)))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return secretbox.New(k)
}

func trimSpace(b []byte) []byte {
	for len(b) > 0 && (b[len(b)-1] == '\n' || b[len(b)-1] == ' ' || b[len(b)-1] == '\r') {
		b = b[:len(b)-1]
	}
	return b
}
