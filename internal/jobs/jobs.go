// Package jobs runs the dashboard's long work in the background: bulk key
// actions (blacklist, extend, delete), key generation and CSV imports, and
// the periodic jobs declared in periodic.go (Lumi auto-renew, deposit expiry,
// the DNS re-check of Lumora sending domains).
//
// River schedules the work (its tables are migrated by db.Migrate) and
// retries it; our bulk_jobs table keeps what a job was asked to do and its
// progress, and bulk_job_items one result per item, which the job page polls.
// A job is enqueued in one transaction with its bulk_jobs row, so a job
// exists exactly when its row does.
//
// Work happens in slices: a worker handles items for a few seconds, then
// snoozes the job (River makes it available again at once) so that jobs
// share the workers and a job's River timeout bounds one slice, not the
// whole job. A job whose runner died is rescued by River after RescueAfter
// and continues after the last recorded item. Generate, import and extend
// record an item in the transaction of its change (exactly once);
// blacklist and delete record it just after, so a crash in between repeats
// at most that one item (blacklisting twice is harmless; deleting twice
// reports "key not found" for the item).
package jobs

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"

	"lumdesk/db/store"
	"lumdesk/internal/licensing"
	"lumdesk/internal/platform/db"
)

// Job kinds (bulk_jobs.kind).
const (
	KindBlacklist = "keys.blacklist"
	KindExtend    = "keys.extend"
	KindDelete    = "keys.delete"
	KindUnban     = "keys.unban"
	KindResetHWID = "keys.reset_hwid"
	KindGenerate  = "keys.generate"
	KindImport    = "keys.import"
)

// Job statuses.
const (
	StatusQueued  = "queued"
	StatusRunning = "running"
	StatusDone    = "done"
	StatusFailed  = "failed"
)

// Limits of one job.
const (
	MaxSelection  = 5000   // keys of one bulk action
	MaxImportRows = 50_000 // rows of one CSV import
)

// ErrJobNotFound is returned for an unknown job id.
var ErrJobNotFound = notFound("job not found")

type notFound string

func (e notFound) Error() string  { return string(e) }
func (e notFound) NotFound() bool { return true }

// Options tune the runner; zero values take the defaults.
type Options struct {
	// Workers is how many jobs run at once (default 2).
	Workers int
	// MailWorkers is how many Lumora deliveries run at once on their own
	// queue (default 16): a delivery mostly waits on an SMTP server, so it
	// must not queue behind bulk jobs nor be held to their two workers.
	MailWorkers int
	// Slice is how long a worker handles one job before letting others run
	// (default 20s).
	Slice time.Duration
	// JobTimeout bounds one slice (default 2m); a slice running longer is
	// cancelled and continues later.
	JobTimeout time.Duration
	// RescueAfter: a job running this long is taken to belong to a dead
	// runner and is retried (default 5m; at least JobTimeout).
	RescueAfter time.Duration
	// PollInterval is how often idle workers look for jobs besides being
	// notified (default 1s).
	PollInterval time.Duration
	// TestOnly starts River's maintenance without its random delays.
	TestOnly bool
}

func (o Options) withDefaults() Options {
	if o.Workers <= 0 {
		o.Workers = 2
	}
	if o.MailWorkers <= 0 {
		o.MailWorkers = 16
	}
	if o.Slice <= 0 {
		o.Slice = 20 * time.Second
	}
	if o.JobTimeout <= 0 {
		o.JobTimeout = 2 * time.Minute
	}
	if o.RescueAfter < o.JobTimeout {
		o.RescueAfter = max(5*time.Minute, o.JobTimeout)
	}
	if o.PollInterval <= 0 {
		o.PollInterval = time.Second
	}
	return o
}

// Service enqueues jobs, reports their progress and runs them.
type Service struct {
	db   *db.DB
	lic  *licensing.Service
	log  *slog.Logger
	opts Options

	// inserter enqueues inside our transactions; it never works jobs.
	inserter *river.Client[pgx.Tx]

	mu     sync.Mutex
	runner *river.Client[pgx.Tx] // nil until Start
	pool   *pgxpool.Pool         // the runner's own connections

	// What the periodic jobs run (periodic.go); nil: the job does nothing.
	// Its own lock: Stop holds mu while it waits for running jobs.
	hookMu               sync.Mutex
	autoRenew            AutoRenewFunc
	expireDeposits       ExpireDepositsFunc
	mailRecheck          MailRecheckFunc
	mailRecheckEvery     time.Duration
	lumiraReconcile      LumiraReconcileFunc
	lumiraReconcileEvery time.Duration
	botPrune             BotPruneFunc
	partitions           PartitionsFunc
	auditVerify          AuditVerifyFunc
	auditVerifyEvery     time.Duration
	// Workers of job kinds an area enqueues itself (AddWorkers).
	areaWorkers []func(*river.Workers)
	mailDeliver MailDeliverFunc
}

// New makes the service. It runs no job until Start.
func New(d *db.DB, lic *licensing.Service) *Service {
	s := &Service{db: d, lic: lic, log: slog.Default()}
	c, err := river.NewClient(riverpgxv5.New(d.Pool), &river.Config{Workers: s.workers(), Logger: quiet(s.log)})
	if err != nil {
		panic(fmt.Sprintf("jobs: river client: %v", err)) // only a programming error gets here
	}
	s.inserter = c
	return s
}

// SetLogger sets where job failures are logged.
func (s *Service) SetLogger(l *slog.Logger) {
	if l != nil {
		s.log = l
	}
}

// SetOptions tunes the runner; call it before Start.
func (s *Service) SetOptions(o Options) { s.opts = o }

func (s *Service) workers() *river.Workers {
	w := river.NewWorkers()
	river.AddWorker(w, &worker{s: s})
	river.AddWorker(w, &mailDeliverWorker{s: s})
	for _, j := range s.periodicJobs() {
		j.register(w, s)
	}
	s.hookMu.Lock()
	defer s.hookMu.Unlock()
	for _, add := range s.areaWorkers {
		add(w)
	}
	return w
}

// AddWorkers adds the workers of job kinds an area enqueues in its own
// transactions with its own insert-only River client (Lumora webhook
// deliveries: webhooks.Service.Register); call it before Start.
func (s *Service) AddWorkers(register func(*river.Workers)) {
	s.hookMu.Lock()
	defer s.hookMu.Unlock()
	s.areaWorkers = append(s.areaWorkers, register)
}

// Start starts working jobs, with a small pool of its own (River keeps one
// connection listening for new jobs). Stop ends it.
func (s *Service) Start(ctx context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.runner != nil {
		return nil
	}
	o := s.opts.withDefaults()
	s.opts = o
	var periodic []*river.PeriodicJob
	for _, j := range s.periodicJobs() {
		periodic = append(periodic, j.river())
	}
	cfg := s.db.Pool.Config()
	cfg.MaxConns = int32(o.Workers + o.MailWorkers + 3)
	cfg.MinConns = 0
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return fmt.Errorf("jobs: pool: %w", err)
	}
	c, err := river.NewClient(riverpgxv5.New(pool), &river.Config{
		Queues: map[string]river.QueueConfig{
			river.QueueDefault: {MaxWorkers: o.Workers},
			// Deliveries are fetched as soon as they are announced: a send is
			// expected to reach the inbox in milliseconds, not at the next poll.
			QueueMail: {MaxWorkers: o.MailWorkers, FetchCooldown: 5 * time.Millisecond},
		},
		Workers:              s.workers(),
		PeriodicJobs:         periodic,
		JobTimeout:           o.JobTimeout,
		RescueStuckJobsAfter: o.RescueAfter,
		FetchPollInterval:    o.PollInterval,
		FetchCooldown:        min(100*time.Millisecond, o.PollInterval),
		SoftStopTimeout:      5 * time.Second,
		Logger:               quiet(s.log),
		TestOnly:             o.TestOnly,
	})
	if err != nil {
		pool.Close()
		return fmt.Errorf("jobs: river client: %w", err)
	}
	// The runner outlives the caller's context: Stop ends it, gracefully.
	if err := c.Start(context.WithoutCancel(ctx)); err != nil {
		pool.Close()
		return fmt.Errorf("jobs: start: %w", err)
	}
	s.runner, s.pool = c, pool
	return nil
}

// Stop lets running slices finish (cancelling them after a few seconds; they
// continue at the next start), then closes the runner's connections.
func (s *Service) Stop(ctx context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.runner == nil {
		return nil
	}
	err := s.runner.Stop(ctx)
	if err != nil {
		err = errors.Join(err, s.runner.StopAndCancel(context.WithoutCancel(ctx)))
	}
	s.pool.Close()
	s.runner, s.pool = nil, nil
	return err
}

// Job is a job as the pages show it.
type Job struct {
	ID             int64
	Kind           string
	Status         string
	Title          string
	ProjectID      string
	CreatedBy      int64
	CreatedByLabel string
	Total          int
	Done           int
	OK             int
	Failed         int
	Error          string
	CreatedAt      time.Time
	StartedAt      *time.Time
	FinishedAt     *time.Time
}

// Finished reports whether the job will not change any more.
func (j Job) Finished() bool { return j.Status == StatusDone || j.Status == StatusFailed }

// Percent is the share of items done, 0..100.
func (j Job) Percent() int {
	if j.Total == 0 {
		if j.Finished() {
			return 100
		}
		return 0
	}
	return min(100, j.Done*100/j.Total)
}

func jobFromRow(r store.BulkJob) Job {
	j := Job{ID: r.ID, Kind: r.Kind, Status: r.Status, Title: r.Title, ProjectID: r.ProjectID,
		CreatedByLabel: r.CreatedByLabel, Total: int(r.Total), Done: int(r.DoneCount), OK: int(r.OkCount),
		Failed: int(r.FailedCount), Error: r.Error, CreatedAt: r.CreatedAt.UTC(), StartedAt: utc(r.StartedAt),
		FinishedAt: utc(r.FinishedAt)}
	if r.CreatedBy != nil {
		j.CreatedBy = *r.CreatedBy
	}
	return j
}

func utc(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	u := t.UTC()
	return &u
}

// Item is one item's result.
type Item struct {
	Seq     int
	Ref     string // key id, or CSV row number
	KeyID   int64
	UserKey string
	OK      bool
	Message string
	Detail  ItemDetail
}

// ItemDetail is what a generated or imported key's row of the CSV needs.
type ItemDetail struct {
	Note       string     `json:"note,omitempty"`
	KeyDays    *int       `json:"key_days,omitempty"`
	AuthExpire *time.Time `json:"auth_expire,omitempty"`
}

func itemFromRow(r store.BulkJobItem) Item {
	it := Item{Seq: int(r.Seq), Ref: r.Ref, UserKey: r.UserKey, OK: r.Ok, Message: r.Message}
	if r.KeyID != nil {
		it.KeyID = *r.KeyID
	}
	if len(r.Detail) > 0 {
		_ = json.Unmarshal(r.Detail, &it.Detail)
	}
	return it
}

// Get loads a job.
func (s *Service) Get(ctx context.Context, id int64) (Job, error) {
	r, err := s.db.GetBulkJob(ctx, id)
	if db.IsNotFound(err) {
		return Job{}, ErrJobNotFound
	}
	if err != nil {
		return Job{}, fmt.Errorf("get job %d: %w", id, err)
	}
	return jobFromRow(r), nil
}

// MaxItemsPage bounds one page of results.
const MaxItemsPage = 1000

// Items returns results after item afterSeq (-1: from the start), in item
// order; failedOnly keeps the failures.
func (s *Service) Items(ctx context.Context, jobID int64, afterSeq int, failedOnly bool, limit int) ([]Item, error) {
	limit = min(max(limit, 1), MaxItemsPage)
	rows, err := s.db.ListBulkJobItems(ctx, store.ListBulkJobItemsParams{JobID: jobID, AfterSeq: int32(max(afterSeq, -1)),
		FailedOnly: failedOnly, Lim: int32(limit)})
	if err != nil {
		return nil, fmt.Errorf("items of job %d: %w", jobID, err)
	}
	out := make([]Item, len(rows))
	for i, r := range rows {
		out[i] = itemFromRow(r)
	}
	return out, nil
}

// EachItem calls fn for every result in item order, reading pages as it goes.
func (s *Service) EachItem(ctx context.Context, jobID int64, fn func(Item) error) error {
	after := -1
	for {
		items, err := s.Items(ctx, jobID, after, false, MaxItemsPage)
		if err != nil {
			return err
		}
		for _, it := range items {
			if err := fn(it); err != nil {
				return err
			}
		}
		if len(items) < MaxItemsPage {
			return nil
		}
		after = items[len(items)-1].Seq
	}
}

// List returns recent jobs, newest first, before job id before (0: from
// the newest).
func (s *Service) List(ctx context.Context, before int64, limit int) ([]Job, error) {
	p := store.ListBulkJobsParams{Lim: int32(min(max(limit, 1), 200))}
	if before > 0 {
		p.BeforeID = &before
	}
	rows, err := s.db.ListBulkJobs(ctx, p)
	if err != nil {
		return nil, fmt.Errorf("list jobs: %w", err)
	}
	out := make([]Job, len(rows))
	for i, r := range rows {
		out[i] = jobFromRow(r)
	}
	return out, nil
}

// quiet passes River's warnings and errors on, not its routine messages.
func quiet(l *slog.Logger) *slog.Logger {
	return slog.New(minLevel{l.Handler(), slog.LevelWarn})
}

type minLevel struct {
	slog.Handler
	min slog.Level
}

func (h minLevel) Enabled(ctx context.Context, l slog.Level) bool {
	return l >= h.min && h.Handler.Enabled(ctx, l)
}
func (h minLevel) WithAttrs(a []slog.Attr) slog.Handler {
	return minLevel{h.Handler.WithAttrs(a), h.min}
}
func (h minLevel) WithGroup(n string) slog.Handler { return minLevel{h.Handler.WithGroup(n), h.min} }

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }
