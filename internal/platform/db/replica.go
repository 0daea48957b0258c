package db

// Reads from a streaming replica (DATABASE_REPLICA_URL), with read-your-writes.
//
// The whole mechanism is here plus one middleware (handlers/web, replicaReads):
//
//   - Only a context marked by WithReplicaReads may read from the replica: the
//     middleware marks console and portal GET requests. Everything else (the
//     product APIs, the CLI, jobs, POST handlers) reads the primary, so a
//     client that writes then reads through the API never sees an old answer.
//   - The caller's last write is a WAL position (an LSN). After a request that
//     wrote (any non-GET, or a GET whose Tx committed, such as an export that
//     records itself in the audit log), the middleware asks the primary for
//     WriteLSN and keeps it in a cookie; the next request carries it back into
//     WithReplicaReads. Read-only code asks for Reader, Read or
//     ReadCustomPlans: the replica when it has replayed that LSN, else the
//     primary. Without an LSN the replica is fine. Within one GET the reads
//     stay on the replica after such a Tx: an export that records itself
//     still reads its rows there (its own audit row may be missing from it).
//   - The replica's replay position is asked at most every replicaFresh and
//     shared by all requests; a replica that fails is left alone for
//     replicaRetry (logged once when it goes, once when it comes back), and a
//     Read or ReadCustomPlans that fails on it for a connection reason runs
//     again on the primary.
//
// A list that should use the replica only changes s.db.CustomPlans(ctx, fn)
// to s.db.ReadCustomPlans(ctx, fn) (or reads through s.db.Read / s.db.Reader(ctx)).

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"lumdesk/db/store"
)

const (
	// replicaFresh is how long one answer of the replica (its replay
	// position, that it is up) serves every request.
	replicaFresh = 20 * time.Millisecond
	// replicaRetry is how long a replica that failed is not asked again.
	replicaRetry = 2 * time.Second
	// replicaProbeTimeout bounds the replay-position query (a request waits for it).
	replicaProbeTimeout = 500 * time.Millisecond
)

// LSN is a WAL position (pg_lsn), as a number; 0 is "none".
type LSN uint64

// ParseLSN reads Postgres's text form, "16/B374D848".
func ParseLSN(s string) (LSN, error) {
	hi, lo, ok := strings.Cut(s, "/")
	if !ok || hi == "" || lo == "" || len(hi) > 8 || len(lo) > 8 {
		return 0, fmt.Errorf("%q is not an LSN", s)
	}
	h, err1 := strconv.ParseUint(hi, 16, 32)
	l, err2 := strconv.ParseUint(lo, 16, 32)
	if err1 != nil || err2 != nil {
		return 0, fmt.Errorf("%q is not an LSN", s)
	}
	return LSN(h<<32 | l), nil
}

func (l LSN) String() string { return fmt.Sprintf("%X/%X", uint64(l)>>32, uint64(l)&0xFFFFFFFF) }

// replica is the read replica's pool and what we know of it.
type replica struct {
	db  *DB
	log *slog.Logger

	mu         sync.Mutex
	replayed   LSN       // pg_last_wal_replay_lsn at checked (0 when not in recovery)
	checked    time.Time // zero: never asked
	down       bool
	refreshing bool
}

// OpenReplica attaches the streaming replica at url: contexts marked by
// WithReplicaReads then read from it through Reader, Read and
// ReadCustomPlans. It does not connect now: a replica that is down at start
// only means reads go to the primary until it answers. Call it before the
// DB is in use (start-up).
func (d *DB) OpenReplica(url string, log *slog.Logger) error {
	cfg, err := poolConfig(url)
	if err != nil {
		return fmt.Errorf("parse database replica url: %w", err)
	}
	if !strings.Contains(url, "connect_timeout") {
		cfg.ConnConfig.ConnectTimeout = 2 * time.Second // an unreachable replica must not hold a page for long
	}
	// Marks the replica's sessions in pg_stat_activity.
	cfg.ConnConfig.RuntimeParams["application_name"] = "lumdesk-replica-reads"
	pool, err := pgxpool.NewWithConfig(context.Background(), cfg)
	if err != nil {
		return fmt.Errorf("open database replica: %w", err)
	}
	if log == nil {
		log = slog.Default()
	}
	d.replica = &replica{db: New(pool), log: log}
	return nil
}

// HasReplica reports whether a replica is attached.
func (d *DB) HasReplica() bool { return d.replica != nil }

// readState is what a request marked for replica reads carries.
type readState struct {
	after    LSN         // the caller's last write, from the cookie; 0: none known
	wrote    atomic.Bool // this request committed a Tx: the browser's next reads must see it
	caughtUp atomic.Bool // the replica was seen past after: the cookie can go
}

type readStateKey struct{}

// WithReplicaReads marks ctx as a request that may read from the replica,
// once the replica has replayed after (the caller's last write; 0 if none).
func WithReplicaReads(ctx context.Context, after LSN) context.Context {
	return context.WithValue(ctx, readStateKey{}, &readState{after: after})
}

func readStateOf(ctx context.Context) *readState {
	st, _ := ctx.Value(readStateKey{}).(*readState)
	return st
}

// WroteIn reports whether a Tx committed under ctx (marked by WithReplicaReads).
func WroteIn(ctx context.Context) bool {
	st := readStateOf(ctx)
	return st != nil && st.wrote.Load()
}

// CaughtUp reports whether, under ctx, the replica was seen past the
// caller's last write: the caller need not carry it any more.
func CaughtUp(ctx context.Context) bool {
	st := readStateOf(ctx)
	return st != nil && st.after != 0 && st.caughtUp.Load()
}

// WriteLSN is the primary's WAL position now: past every commit that has
// returned (its record is flushed before COMMIT answers), and a position the
// replica reaches, since the primary sends what it has flushed.
func (d *DB) WriteLSN(ctx context.Context) (LSN, error) {
	s, err := d.WALFlushLSN(ctx)
	if err != nil {
		return 0, err
	}
	return ParseLSN(s)
}

// Reader is where ctx's reads go: the replica when ctx is marked by
// WithReplicaReads and the replica is up and has replayed the caller's last
// write; else d itself (the primary). Only read through it.
func (d *DB) Reader(ctx context.Context) *DB {
	r, st := d.replica, readStateOf(ctx)
	if r == nil || st == nil {
		return d
	}
	if !r.usable(ctx, st.after) {
		return d
	}
	if st.after != 0 {
		st.caughtUp.Store(true)
	}
	return r.db
}

// Read runs fn on Reader(ctx)'s queries; when the replica fails it for a
// connection reason, fn runs again on the primary.
func (d *DB) Read(ctx context.Context, fn func(q *store.Queries) error) error {
	rd := d.Reader(ctx)
	err := fn(rd.Queries)
	if rd != d && d.replica.failed(ctx, err) {
		return fn(d.Queries)
	}
	return err
}

// ReadCustomPlans is CustomPlans on Reader(ctx); when the replica fails it
// for a connection reason, fn runs again on the primary.
func (d *DB) ReadCustomPlans(ctx context.Context, fn func(q *store.Queries) error) error {
	rd := d.Reader(ctx)
	err := rd.CustomPlans(ctx, fn)
	if rd != d && d.replica.failed(ctx, err) {
		return d.CustomPlans(ctx, fn)
	}
	return err
}

// usable reports whether the replica is up and past after, asking it when
// the last answer is older than replicaFresh (replicaRetry once it failed).
// One request asks at a time; the others use the last answer.
func (r *replica) usable(ctx context.Context, after LSN) bool {
	r.mu.Lock()
	age := time.Since(r.checked)
	stale := r.checked.IsZero() || age >= replicaFresh && !r.down || age >= replicaRetry
	if !stale || r.refreshing {
		ok := !r.down && !r.checked.IsZero() && (after == 0 || r.replayed >= after)
		r.mu.Unlock()
		return ok
	}
	r.refreshing = true
	r.mu.Unlock()

	pctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), replicaProbeTimeout)
	defer cancel()
	pos, err := r.db.WALReplayLSN(pctx)
	var replayed LSN
	if err == nil && pos != "" {
		replayed, err = ParseLSN(pos)
	}

	r.mu.Lock()
	defer r.mu.Unlock()
	r.refreshing, r.checked = false, time.Now()
	if err != nil {
		r.markDown(err)
		return false
	}
	if r.down {
		r.log.Info("database replica answers again; list reads go to it", "replayed", replayed)
	}
	r.down = false
	// A replica that is not in recovery (promoted) reports no position: it
	// serves only callers that have not written.
	r.replayed = replayed
	return after == 0 || replayed >= after
}

// markDown notes the replica failed (r.mu held): logged once per outage.
func (r *replica) markDown(err error) {
	if !r.down {
		r.log.Warn("database replica unreachable; reading from the primary", "err", err, "retry_in", replicaRetry)
	}
	r.down, r.checked = true, time.Now()
}

// failed reports whether err, from a read on the replica, calls for the
// primary: a connection failure (the replica is then marked down) or a
// query the replica cancelled because of a conflict with recovery. A
// cancelled ctx, an error of the query itself or fn's own error (not
// found, invalid input) is the caller's.
func (r *replica) failed(ctx context.Context, err error) bool {
	if err == nil || ctx.Err() != nil {
		return false
	}
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		if pgErr.Code == "40001" && strings.Contains(pgErr.Message, "recovery") {
			return true // "canceling statement due to conflict with recovery": not a reason to stop using it
		}
		if !strings.HasPrefix(pgErr.Code, "08") && !strings.HasPrefix(pgErr.Code, "57P") {
			return false
		}
	} else if !connectionError(err) {
		return false
	}
	r.mu.Lock()
	r.markDown(err)
	r.mu.Unlock()
	return true
}

// connectionError reports whether err is about reaching the server rather
// than about the query.
func connectionError(err error) bool {
	var connErr *pgconn.ConnectError
	var netErr net.Error
	return errors.As(err, &connErr) || errors.As(err, &netErr) || errors.Is(err, io.EOF) ||
		errors.Is(err, io.ErrUnexpectedEOF) || pgconn.SafeToRetry(err) || pgconn.Timeout(err)
}
