// Package localpg finds a PostgreSQL server to develop and test against, or
// starts a private one from the PostgreSQL binaries installed on the machine.
//
// The order is: a server on 127.0.0.1:5432 (user postgres, no password), one
// on the default unix socket directory /var/run/postgresql, and else a private
// cluster kept in a data directory of the project (initdb'd on first use and
// started with pg_ctl). When running as root, the private cluster belongs to
// the postgres OS user, since initdb and postgres refuse to run as root.
package localpg

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// DefaultPort is the TCP port of a private cluster unless WithPort says otherwise.
const DefaultPort = 54329

const (
	superuser     = "postgres"
	osUser        = "postgres" // the OS user that owns the cluster when we run as root
	defaultSocket = "/var/run/postgresql"
	probeTimeout  = time.Second
	startTimeout  = 60 // seconds, pg_ctl -t
)

// Server is a Postgres server we can connect to as a superuser.
type Server struct {
	// AdminURL connects as the superuser to the "postgres" database.
	AdminURL string
	// Started is true if this call started a private cluster (Stop stops it).
	Started bool
	// DataDir is the private cluster's data directory, "" for a server found elsewhere.
	DataDir string
	// Port is the private cluster's TCP port, 0 for a server found elsewhere.
	Port int

	lockPath string
	bins     pgBins
	owner    *owner
	log      *slog.Logger
}

// Option tunes Ensure.
type Option func(*options)

type options struct {
	port       int
	skipProbes bool
	settings   []string
}

// WithPort sets the TCP port of the private cluster (default DefaultPort).
func WithPort(port int) Option { return func(o *options) { o.port = port } }

// WithSettings passes server settings ("name=value", as postgres -c takes
// them) to a private cluster this call starts. A cluster already running keeps
// the settings it was started with.
func WithSettings(settings ...string) Option {
	return func(o *options) { o.settings = append(o.settings, settings...) }
}

// PrivateOnly skips looking for a server on 127.0.0.1:5432 and the default
// unix socket, and goes straight to the private cluster.
func PrivateOnly() Option { return func(o *options) { o.skipProbes = true } }

// Ensure finds a server: first 127.0.0.1:5432, then the default unix socket
// directory, else a private cluster in dataDir, initialised and started if
// needed. A private cluster that is already running is reused (Started is
// false then). Concurrent callers, in this or other processes, are serialised
// by a lock file next to dataDir.
func Ensure(ctx context.Context, dataDir string, log *slog.Logger, opts ...Option) (*Server, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	o := options{port: DefaultPort}
	for _, opt := range opts {
		opt(&o)
	}
	if !o.skipProbes {
		candidates := []string{tcpURL("127.0.0.1", 5432), socketURL(defaultSocket, 5432)}
		for _, u := range candidates {
			if err := probe(ctx, u); err != nil {
				log.Debug("localpg: no usable server", "url", u, "err", err)
				continue
			}
			log.Debug("localpg: using existing server", "url", u)
			return &Server{AdminURL: u, log: log}, nil
		}
	}
	if dataDir == "" {
		return nil, errors.New("localpg: no server found and no data directory given")
	}
	return ensurePrivate(ctx, dataDir, log, o)
}

func ensurePrivate(ctx context.Context, dataDir string, log *slog.Logger, o options) (*Server, error) {
	p, err := preparePrivate(ctx, dataDir, log)
	if err != nil {
		return nil, err
	}
	defer p.unlock()

	s := &Server{DataDir: p.dir, lockPath: p.lockPath, bins: p.bins, owner: p.owner, log: log}

	// Already running (possibly on another port than asked): reuse it.
	if port, running, err := p.runningPort(ctx); err != nil {
		return nil, err
	} else if running {
		s.Port, s.AdminURL = port, tcpURL("127.0.0.1", port)
		if err := probeRunning(ctx, s.AdminURL); err != nil {
			return nil, fmt.Errorf("localpg: cluster in %s is running but not reachable on port %d: %w", p.dir, port, err)
		}
		log.Debug("localpg: reusing running private cluster", "dir", p.dir, "port", port)
		return s, nil
	}

	if err := p.initdb(ctx); err != nil {
		return nil, err
	}

	s.Port, s.AdminURL = o.port, tcpURL("127.0.0.1", o.port)
	if err := probe(ctx, s.AdminURL); err == nil {
		log.Warn("localpg: another PostgreSQL server already listens on the private port; using it", "port", o.port)
		return s, nil
	}

	if err := p.start(ctx, o.port, o.settings...); err != nil {
		return nil, err
	}
	// pg_ctl -w returns once the server accepts connections; still allow a moment.
	var perr error
	for i := 0; i < 20; i++ {
		if perr = probe(ctx, s.AdminURL); perr == nil {
			break
		}
		if !sleepCtx(ctx, 250*time.Millisecond) {
			break
		}
	}
	if perr != nil {
		return nil, fmt.Errorf("localpg: started cluster in %s but cannot connect: %w", p.dir, perr)
	}
	s.Started = true
	log.Info("localpg: started private PostgreSQL cluster", "dir", p.dir, "port", o.port, "log", p.logPath)
	return s, nil
}

// Stop stops the private cluster if this Server started it (pg_ctl stop -m
// fast); it is a no-op otherwise.
func (s *Server) Stop() error {
	if s == nil || !s.Started {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	unlock, err := lockFile(ctx, s.lockPath)
	if err != nil {
		return err
	}
	defer unlock()
	p := &private{dir: s.DataDir, bins: s.bins, owner: s.owner, log: s.log}
	if err := p.stop(ctx); err != nil {
		return err
	}
	s.Started = false
	return nil
}

// StartReplica makes a streaming replica of this private cluster in dataDir
// (pg_basebackup -R -X stream: it then follows the primary as a hot
// standby) and starts it on port; Stop stops it. initdb's pg_hba.conf
// already trusts local replication connections. A replica already in
// dataDir is started as it is. The copy is not fsynced (pg_basebackup
// --no-sync): a private replica is for development and tests, and can be
// made again.
func (s *Server) StartReplica(ctx context.Context, dataDir string, port int) (*Server, error) {
	if s.Port == 0 || s.DataDir == "" {
		return nil, errors.New("localpg: a replica needs a private cluster as its primary")
	}
	p, err := preparePrivate(ctx, dataDir, s.log)
	if err != nil {
		return nil, err
	}
	defer p.unlock()
	p.bins = s.bins // the primary's version
	if !p.initialized() {
		if err := os.MkdirAll(p.dir, 0o700); err != nil {
			return nil, fmt.Errorf("localpg: %w", err)
		}
		if err := p.chown(p.dir); err != nil {
			return nil, err
		}
		out, err := p.command(ctx, filepath.Join(filepath.Dir(p.bins.pgCtl), "pg_basebackup"),
			"-D", p.dir, "-R", "-X", "stream", "--checkpoint=fast", "--no-sync",
			"-h", "127.0.0.1", "-p", strconv.Itoa(s.Port), "-U", superuser).CombinedOutput()
		if err != nil {
			return nil, fmt.Errorf("localpg: pg_basebackup: %w\n%s", err, bytes.TrimSpace(out))
		}
	}
	if err := p.start(ctx, port); err != nil {
		return nil, err
	}
	r := &Server{AdminURL: tcpURL("127.0.0.1", port), Started: true, DataDir: p.dir, Port: port,
		lockPath: p.lockPath, bins: p.bins, owner: p.owner, log: s.log}
	if err := probe(ctx, r.AdminURL); err != nil {
		_ = r.Stop()
		return nil, fmt.Errorf("localpg: started replica in %s but cannot connect: %w", p.dir, err)
	}
	return r, nil
}

// EnsureDatabase creates database name on the server if missing and returns
// its URL.
func (s *Server) EnsureDatabase(ctx context.Context, name string) (string, error) {
	dbURL, err := withDatabase(s.AdminURL, name)
	if err != nil {
		return "", err
	}
	conn, err := pgx.Connect(ctx, s.AdminURL)
	if err != nil {
		return "", fmt.Errorf("localpg: connect: %w", err)
	}
	defer conn.Close(context.WithoutCancel(ctx))
	var exists bool
	if err := conn.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)", name).Scan(&exists); err != nil {
		return "", fmt.Errorf("localpg: look up database %s: %w", name, err)
	}
	if exists {
		return dbURL, nil
	}
	_, err = conn.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize())
	var pgErr *pgconn.PgError
	// 42P04 duplicate_database; 23505 when a concurrent CREATE wins the race.
	if err != nil && !(errors.As(err, &pgErr) && (pgErr.Code == "42P04" || pgErr.Code == "23505")) {
		return "", fmt.Errorf("localpg: create database %s: %w", name, err)
	}
	if err == nil && s.log != nil {
		s.log.Info("localpg: created database", "name", name)
	}
	return dbURL, nil
}

// StopPrivate stops the private cluster in dataDir if one is running. It is
// a no-op when there is no cluster or it is not running.
func StopPrivate(dataDir string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if !privateExists(dataDir) {
		return nil
	}
	p, err := preparePrivate(ctx, dataDir, slog.New(slog.DiscardHandler))
	if err != nil {
		return err
	}
	defer p.unlock()
	if !p.initialized() {
		return nil
	}
	_, running, err := p.runningPort(ctx)
	if err != nil || !running {
		return err
	}
	return p.stop(ctx)
}

// PrivateRunning reports whether the private cluster in dataDir is running,
// and on which port.
func PrivateRunning(dataDir string) (port int, running bool, err error) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if !privateExists(dataDir) {
		return 0, false, nil
	}
	p, err := preparePrivate(ctx, dataDir, slog.New(slog.DiscardHandler))
	if err != nil {
		return 0, false, err
	}
	defer p.unlock()
	if !p.initialized() {
		return 0, false, nil
	}
	return p.runningPort(ctx)
}

// privateExists is a cheap check, without creating anything, for whether a
// cluster may live in dataDir (or its relocated copy, see dataLocation).
func privateExists(dataDir string) bool {
	abs, err := filepath.Abs(dataDir)
	if err != nil {
		return false
	}
	if _, err := os.Stat(filepath.Join(abs, "PG_VERSION")); err == nil {
		return true
	}
	_, err = os.Stat(filepath.Join(relocated(abs), "PG_VERSION"))
	return err == nil
}

// ---- the private cluster ----

type private struct {
	dir      string // the data directory in use
	lockPath string
	logPath  string
	bins     pgBins
	owner    *owner // nil unless we run as root
	log      *slog.Logger
	unlock   func()
}

// owner is the OS user that owns the cluster when we run as root.
type owner struct {
	uid, gid int
	runuser  string
}

// preparePrivate takes the lock, works out who runs the server binaries and
// where the data directory is, and finds the binaries.
func preparePrivate(ctx context.Context, dataDir string, log *slog.Logger) (*private, error) {
	abs, err := filepath.Abs(dataDir)
	if err != nil {
		return nil, fmt.Errorf("localpg: %w", err)
	}
	if err := os.MkdirAll(filepath.Dir(abs), 0o755); err != nil {
		return nil, fmt.Errorf("localpg: %w", err)
	}
	p := &private{lockPath: abs + ".lock", log: log}
	if p.unlock, err = lockFile(ctx, p.lockPath); err != nil {
		return nil, err
	}
	ok := false
	defer func() {
		if !ok {
			p.unlock()
		}
	}()

	if os.Geteuid() == 0 {
		if p.owner, err = lookupOwner(); err != nil {
			return nil, err
		}
	}
	if p.dir, err = p.dataLocation(ctx, abs); err != nil {
		return nil, err
	}
	// Beside the data directory, named after it: .data/pg.log for .data/pg.
	p.logPath = p.dir + ".log"
	if p.bins, err = findBins(readPGVersion(p.dir)); err != nil {
		return nil, err
	}
	ok = true
	return p, nil
}

// dataLocation returns abs, unless we run as root and the postgres user
// cannot reach abs's parent (say, a checkout under /root): then the cluster
// lives under /var/tmp instead, at a place derived from abs.
func (p *private) dataLocation(ctx context.Context, abs string) (string, error) {
	if p.owner == nil {
		return abs, nil
	}
	if _, err := os.Stat(filepath.Join(abs, "PG_VERSION")); err == nil {
		return abs, nil // initialised here before; keep using it
	}
	parent := filepath.Dir(abs)
	if err := p.command(ctx, "test", "-x", parent).Run(); err == nil {
		return abs, nil
	}
	alt := relocated(abs)
	if err := os.MkdirAll(filepath.Dir(alt), 0o755); err != nil {
		return "", fmt.Errorf("localpg: %w", err)
	}
	p.log.Warn("localpg: the postgres user cannot reach the data directory; using another place",
		"wanted", abs, "using", alt)
	return alt, nil
}

// relocated is where a cluster for abs lives when the postgres user cannot
// reach abs.
func relocated(abs string) string {
	sum := sha256.Sum256([]byte(abs))
	base := "/var/tmp"
	if st, err := os.Stat(base); err != nil || !st.IsDir() {
		base = os.TempDir()
	}
	return filepath.Join(base, "localpg-"+hex.EncodeToString(sum[:6]), filepath.Base(abs))
}

func lookupOwner() (*owner, error) {
	u, err := user.Lookup(osUser)
	if err != nil {
		return nil, fmt.Errorf("localpg: running as root needs a %q OS user to own the cluster (useradd --system %s): %w", osUser, osUser, err)
	}
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)
	ru, err := exec.LookPath("runuser")
	if err != nil {
		return nil, fmt.Errorf("localpg: running as root needs runuser (util-linux): %w", err)
	}
	return &owner{uid: uid, gid: gid, runuser: ru}, nil
}

// command runs name as the cluster owner: through runuser when we are root.
func (p *private) command(ctx context.Context, name string, args ...string) *exec.Cmd {
	var cmd *exec.Cmd
	if p.owner != nil {
		cmd = exec.CommandContext(ctx, p.owner.runuser, append([]string{"-u", osUser, "--", name}, args...)...)
	} else {
		cmd = exec.CommandContext(ctx, name, args...)
	}
	cmd.Dir = "/" // the postgres user may not be able to enter our working directory
	cmd.WaitDelay = 5 * time.Second
	return cmd
}

func (p *private) initialized() bool {
	_, err := os.Stat(filepath.Join(p.dir, "PG_VERSION"))
	return err == nil
}

// runningPort asks pg_ctl whether the cluster runs and reads its port from
// postmaster.pid.
func (p *private) runningPort(ctx context.Context) (int, bool, error) {
	if !p.initialized() {
		return 0, false, nil
	}
	out, err := p.command(ctx, p.bins.pgCtl, "status", "-D", p.dir).CombinedOutput()
	if err != nil {
		var exitErr *exec.ExitError
		if errors.As(err, &exitErr) && (exitErr.ExitCode() == 3 || exitErr.ExitCode() == 4) {
			return 0, false, nil // not running / no data directory
		}
		return 0, false, fmt.Errorf("localpg: pg_ctl status: %w: %s", err, bytes.TrimSpace(out))
	}
	b, err := os.ReadFile(filepath.Join(p.dir, "postmaster.pid"))
	if err != nil {
		return 0, false, fmt.Errorf("localpg: cluster in %s is running but: %w", p.dir, err)
	}
	lines := strings.Split(string(b), "\n")
	if len(lines) < 4 {
		return 0, false, fmt.Errorf("localpg: cannot read the port from %s/postmaster.pid", p.dir)
	}
	port, err := strconv.Atoi(strings.TrimSpace(lines[3]))
	if err != nil {
		return 0, false, fmt.Errorf("localpg: cannot read the port from %s/postmaster.pid: %w", p.dir, err)
	}
	return port, true, nil
}

func (p *private) initdb(ctx context.Context) error {
	if p.initialized() {
		return nil
	}
	if err := os.MkdirAll(p.dir, 0o700); err != nil {
		return fmt.Errorf("localpg: %w", err)
	}
	if entries, err := os.ReadDir(p.dir); err != nil {
		return fmt.Errorf("localpg: %w", err)
	} else if len(entries) > 0 {
		return fmt.Errorf("localpg: %s is not empty but holds no PostgreSQL cluster (no PG_VERSION); remove it to start afresh", p.dir)
	}
	if err := p.chown(p.dir); err != nil {
		return err
	}
	p.log.Info("localpg: initialising a private PostgreSQL cluster", "dir", p.dir, "initdb", p.bins.initdb)
	// C.UTF-8 sorts as C does (by code point) and folds case beyond ASCII
	// (lower('É') is 'é', and ILIKE matches it), which searches by name
	// rely on. A system without that locale gets plain C.
	var out []byte
	var err error
	for _, locale := range []string{"C.UTF-8", "C"} {
		out, err = p.command(ctx, p.bins.initdb,
			"-D", p.dir, "-U", superuser, "--auth=trust", "-E", "UTF8", "--locale="+locale).CombinedOutput()
		if err == nil || !bytes.Contains(out, []byte("locale")) {
			break
		}
		p.log.Info("localpg: initdb failed with this locale; trying the next", "locale", locale, "output", string(bytes.TrimSpace(out)))
		p.clearDir()
	}
	if err != nil {
		p.clearDir() // an empty directory rather than half a cluster
		return fmt.Errorf("localpg: initdb: %w\n%s", err, bytes.TrimSpace(out))
	}
	p.log.Debug("localpg: initdb done", "output", string(out))
	return nil
}

// clearDir empties the data directory (keeping it, with its owner).
func (p *private) clearDir() {
	entries, _ := os.ReadDir(p.dir)
	for _, e := range entries {
		_ = os.RemoveAll(filepath.Join(p.dir, e.Name()))
	}
}

func (p *private) start(ctx context.Context, port int, settings ...string) error {
	// pg_ctl opens the log file as the cluster owner; create it for them.
	f, err := os.OpenFile(p.logPath, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		return fmt.Errorf("localpg: %w", err)
	}
	f.Close()
	if p.owner != nil {
		if err := os.Chown(p.logPath, p.owner.uid, p.owner.gid); err != nil {
			return fmt.Errorf("localpg: %w", err)
		}
	}
	if err := p.chown(p.dir); err != nil {
		return err
	}
	// The socket path must fit in sun_path (107 bytes); else use the temp dir.
	sockDir := p.dir
	if len(sockDir)+len("/.s.PGSQL.")+len(strconv.Itoa(port)) > 100 {
		sockDir = os.TempDir()
	}
	pgOpts := fmt.Sprintf("-p %d -k %s -c listen_addresses=127.0.0.1", port, shellQuote(sockDir))
	for _, kv := range settings {
		pgOpts += " -c " + shellQuote(kv)
	}
	p.log.Debug("localpg: starting", "dir", p.dir, "port", port)
	out, err := p.command(ctx, p.bins.pgCtl, "-D", p.dir, "-w", "-t", strconv.Itoa(startTimeout),
		"-o", pgOpts, "-l", p.logPath, "start").CombinedOutput()
	if err != nil {
		return fmt.Errorf("localpg: pg_ctl start: %w\n%s\n--- %s (tail) ---\n%s",
			err, bytes.TrimSpace(out), p.logPath, tail(p.logPath, 20))
	}
	return nil
}

func (p *private) stop(ctx context.Context) error {
	out, err := p.command(ctx, p.bins.pgCtl, "-D", p.dir, "-m", "fast", "-w", "-t", strconv.Itoa(startTimeout), "stop").CombinedOutput()
	if err != nil {
		var exitErr *exec.ExitError
		// Exit status 1 with "Is server running?" means it was already stopped.
		if errors.As(err, &exitErr) && bytes.Contains(out, []byte("Is server running?")) {
			return nil
		}
		return fmt.Errorf("localpg: pg_ctl stop: %w: %s", err, bytes.TrimSpace(out))
	}
	p.log.Info("localpg: stopped private PostgreSQL cluster", "dir", p.dir)
	return nil
}

// chown gives dir (recursively, if needed) to the cluster owner when we are root.
func (p *private) chown(dir string) error {
	if p.owner == nil {
		return nil
	}
	st, err := os.Stat(dir)
	if err != nil {
		return fmt.Errorf("localpg: %w", err)
	}
	if sys, ok := st.Sys().(*syscall.Stat_t); ok && int(sys.Uid) == p.owner.uid {
		return nil
	}
	err = filepath.Walk(dir, func(path string, _ os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		return os.Lchown(path, p.owner.uid, p.owner.gid)
	})
	if err != nil {
		return fmt.Errorf("localpg: chown %s to %s: %w", dir, osUser, err)
	}
	return nil
}

// ---- binaries ----

type pgBins struct{ initdb, pgCtl string }

// findBins finds initdb and pg_ctl: those of the cluster's major version if
// the cluster exists and they are installed, else on PATH, else the newest
// /usr/lib/postgresql/*/bin.
func findBins(wantVersion string) (pgBins, error) {
	inDir := func(dir string) (pgBins, bool) {
		b := pgBins{initdb: filepath.Join(dir, "initdb"), pgCtl: filepath.Join(dir, "pg_ctl")}
		for _, f := range []string{b.initdb, b.pgCtl} {
			if st, err := os.Stat(f); err != nil || st.IsDir() || st.Mode()&0o111 == 0 {
				return pgBins{}, false
			}
		}
		return b, true
	}
	if wantVersion != "" {
		if b, ok := inDir(filepath.Join("/usr/lib/postgresql", wantVersion, "bin")); ok {
			return b, nil
		}
	}
	if pgCtl, err := exec.LookPath("pg_ctl"); err == nil {
		// Resolve symlinks (/usr/local/bin/pg_ctl -> /usr/lib/postgresql/15/bin/pg_ctl)
		// so initdb and postgres are looked for beside the real pg_ctl.
		if real, err := filepath.EvalSymlinks(pgCtl); err == nil {
			if b, ok := inDir(filepath.Dir(real)); ok {
				return b, nil
			}
		}
		if initdb, err := exec.LookPath("initdb"); err == nil {
			if abs, err := filepath.Abs(pgCtl); err == nil {
				pgCtl = abs
			}
			if abs, err := filepath.Abs(initdb); err == nil {
				initdb = abs
			}
			return pgBins{initdb: initdb, pgCtl: pgCtl}, nil
		}
	}
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	sort.Slice(dirs, func(i, j int) bool {
		return versionLess(filepath.Base(filepath.Dir(dirs[j])), filepath.Base(filepath.Dir(dirs[i])))
	})
	for _, d := range dirs {
		if b, ok := inDir(d); ok {
			return b, nil
		}
	}
	return pgBins{}, errors.New("localpg: no PostgreSQL server binaries (initdb, pg_ctl) on PATH or in /usr/lib/postgresql/*/bin; install PostgreSQL (apt-get install postgresql)")
}

// versionLess compares versions like "9.6" and "15" numerically.
func versionLess(a, b string) bool {
	as, bs := strings.Split(a, "."), strings.Split(b, ".")
	for i := 0; i < len(as) || i < len(bs); i++ {
		var x, y int
		if i < len(as) {
			x, _ = strconv.Atoi(as[i])
		}
		if i < len(bs) {
			y, _ = strconv.Atoi(bs[i])
		}
		if x != y {
			return x < y
		}
	}
	return false
}

func readPGVersion(dir string) string {
	b, err := os.ReadFile(filepath.Join(dir, "PG_VERSION"))
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(b))
}

// ---- connections ----

func tcpURL(host string, port int) string {
	u := url.URL{
		Scheme:   "postgres",
		User:     url.User(superuser),
		Host:     net.JoinHostPort(host, strconv.Itoa(port)),
		Path:     "/postgres",
		RawQuery: "sslmode=disable",
	}
	return u.String()
}

func socketURL(dir string, port int) string {
	q := url.Values{"host": {dir}, "port": {strconv.Itoa(port)}, "sslmode": {"disable"}}
	u := url.URL{Scheme: "postgres", User: url.User(superuser), Path: "/postgres", RawQuery: q.Encode()}
	return u.String()
}

func withDatabase(adminURL, name string) (string, error) {
	u, err := url.Parse(adminURL)
	if err != nil {
		return "", fmt.Errorf("localpg: parse url: %w", err)
	}
	u.Path = "/" + name
	u.RawPath = ""
	return u.String(), nil
}

// probe connects with a short timeout and checks we are a superuser.
// runningProbeFor is how long a cluster that is running is given to
// answer: on a loaded machine (a test run's packages all connecting as they
// start) a connection took more than probeTimeout, and the whole package
// failed on it.
const runningProbeFor = 20 * time.Second

// probeRunning probes a cluster known to be running until it answers or
// runningProbeFor has passed.
func probeRunning(ctx context.Context, connURL string) error {
	ctx, cancel := context.WithTimeout(ctx, runningProbeFor)
	defer cancel()
	for wait := 50 * time.Millisecond; ; wait = min(2*wait, time.Second) {
		err := probe(ctx, connURL)
		if err == nil {
			return nil
		}
		select {
		case <-ctx.Done():
			return err
		case <-time.After(wait):
		}
	}
}

func probe(ctx context.Context, connURL string) error {
	cfg, err := pgx.ParseConfig(connURL)
	if err != nil {
		return err
	}
	cfg.ConnectTimeout = probeTimeout
	ctx, cancel := context.WithTimeout(ctx, 2*probeTimeout)
	defer cancel()
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	var super bool
	if err := conn.QueryRow(ctx, "SELECT rolsuper FROM pg_roles WHERE rolname = current_user").Scan(&super); err != nil {
		return err
	}
	if !super {
		return errors.New("not a superuser")
	}
	return nil
}

// ---- small helpers ----

// lockFile takes an exclusive flock on path, waiting (and polling ctx) while
// another process or goroutine holds it.
func lockFile(ctx context.Context, path string) (func(), error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return nil, fmt.Errorf("localpg: lock: %w", err)
	}
	for {
		err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		if err == nil {
			break
		}
		if !errors.Is(err, syscall.EWOULDBLOCK) && !errors.Is(err, syscall.EINTR) {
			f.Close()
			return nil, fmt.Errorf("localpg: lock %s: %w", path, err)
		}
		if !sleepCtx(ctx, 100*time.Millisecond) {
			f.Close()
			return nil, fmt.Errorf("localpg: waiting for lock %s: %w", path, ctx.Err())
		}
	}
	return func() {
		_ = syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
		f.Close()
	}, nil
}

func sleepCtx(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

func shellQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }

func tail(path string, n int) string {
	f, err := os.Open(path)
	if err != nil {
		return err.Error()
	}
	defer f.Close()
	var lines []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		lines = append(lines, sc.Text())
		if len(lines) > n {
			lines = lines[1:]
		}
	}
	return strings.Join(lines, "\n")
}
