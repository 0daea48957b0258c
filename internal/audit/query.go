package audit

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"lumdesk/db/store"
	"lumdesk/internal/platform/db"
	"lumdesk/internal/platform/listcount"
)

// Entry is one audit event as the history pages show it.
type Entry struct {
	ID                             int64
	OccurredAt                     time.Time
	ActorKind, ActorID, ActorLabel string
	IP, UserAgent, RequestID       string
	Action                         string
	EntityType, EntityID           string
	Reason                         string
	Before, After                  map[string]any  // parsed; nil when absent
	BeforeJSON, AfterJSON          json.RawMessage // as stored; nil when absent
	Hash, PrevHash                 []byte
}

// Changes is the field-by-field difference between Before and After.
func (e Entry) Changes() []Change { return Diff(e.Before, e.After) }

// Actor is who acted, for display: the label, else the id, else the kind.
func (e Entry) Actor() string {
	switch {
	case e.ActorLabel != "":
		return e.ActorLabel
	case e.ActorID != "":
		return e.ActorID
	}
	return e.ActorKind
}

func entryOf(r store.AuditEvent) Entry {
	return Entry{
		ID: r.ID, OccurredAt: r.OccurredAt.UTC(),
		ActorKind: r.ActorKind, ActorID: r.ActorID, ActorLabel: r.ActorLabel,
		IP: r.Ip, UserAgent: r.UserAgent, RequestID: r.RequestID,
		Action: r.Action, EntityType: r.EntityType, EntityID: r.EntityID, Reason: r.Reason,
		Before: parseObject(r.Before), After: parseObject(r.After),
		BeforeJSON: r.Before, AfterJSON: r.After,
		Hash: r.Hash, PrevHash: r.PrevHash,
	}
}

func optString(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func optTime(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}

// MaxPage bounds one page of Query.
const MaxPage = 1000

// Query returns up to limit events matching f, newest first, and the cursor
// of the next (older) page, 0 when there is none.
func Query(ctx context.Context, q *store.Queries, f Filter, limit int) (page []Entry, next int64, err error) {
	limit = min(max(limit, 1), MaxPage)
	p := pageParams(f)
	p.Lim = int32(limit + 1)
	rows, err := q.ListAuditEventsPage(ctx, p)
	if err != nil {
		return nil, 0, fmt.Errorf("list audit events: %w", err)
	}
	if len(rows) > limit {
		rows = rows[:limit]
		next = rows[limit-1].ID
	}
	page = make([]Entry, len(rows))
	for i, r := range rows {
		page[i] = entryOf(r)
	}
	return page, next, nil
}

// pageParams are the log query's params of a filter: Query and Count read
// a filter through it, so they agree.
func pageParams(f Filter) store.ListAuditEventsPageParams {
	p := store.ListAuditEventsPageParams{
		Actor: optString(f.Actor), Action: optString(f.Action),
		EntityType: optString(f.EntityType), EntityID: optString(f.EntityID),
		Since: optTime(f.Since), Until: optTime(f.Until),
	}
	if f.Before > 0 {
		p.BeforeID = &f.Before
	}
	return p
}

// Count counts the events of a filter (its cursor ignored) up to limitTo
// (listcount.Cap when below 1; listcount.SearchCap at most when it
// searches an actor, whose matches the trigram index hands over one by one),
// with custom plans as Query.
func (s *Service) Count(ctx context.Context, f Filter, limitTo int) (listcount.Count, error) {
	f.Before = 0
	limitTo = listcount.Limit(limitTo, strings.TrimSpace(f.Actor) != "")
	p := pageParams(f)
	var n listcount.Count
	err := s.db.ReadCustomPlans(ctx, func(q *store.Queries) (err error) {
		n, err = listcount.Run(ctx, limitTo, func(ctx context.Context, lim int32) (int64, error) {
			p.Lim = lim
			return q.CountAuditEvents(ctx, store.CountAuditEventsParams(p))
		})
		return err
	})
	if err != nil {
		return listcount.Count{}, fmt.Errorf("count audit events: %w", err)
	}
	return n, nil
}

// NotFoundError is returned for an event id that does not exist.
type NotFoundError struct{ ID int64 }

func (e NotFoundError) Error() string {
	return "There is no audit event #" + strconv.FormatInt(e.ID, 10) + "."
}

// NotFound marks the error as a 404 for the dashboard.
func (NotFoundError) NotFound() bool { return true }

// Get returns one event.
func Get(ctx context.Context, q *store.Queries, id int64) (Entry, error) {
	r, err := q.GetAuditEvent(ctx, id)
	if db.IsNotFound(err) {
		return Entry{}, NotFoundError{ID: id}
	}
	if err != nil {
		return Entry{}, fmt.Errorf("get audit event %d: %w", id, err)
	}
	return entryOf(r), nil
}

// Status is what the audit page says of the chain: the verification, when
// it was made, and the whole walk it rests on.
type Status struct {
	Verification
	CheckedAt time.Time
	// WalkedAt is when the whole chain was last walked from its start (the
	// walk's start): CheckedAt for a chain small enough to walk on a page
	// load, else the newest recorded walk (VerifyAll), which CheckedAt's
	// check continued with the events after it. Zero when the chain was never
	// walked whole: the first walk has not finished.
	WalkedAt time.Time
	// Pending is true when events newer than those verified are left for
	// the next whole walk: more than PageWalk of them came after it.
	Pending bool
}

// StatusTTL is how long Service.Status reuses a verification.
const StatusTTL = 60 * time.Second

// PageWalk is the most events a Status verifies on a page load: about a
// tenth of a second. A chain up to this size is walked whole each time; a
// larger one is walked whole by VerifyAll (hourly, and `lumdesk audit
// verify`), and a page load verifies the events after that walk. (A million
// events took 9.5 s to walk, every minute, inside an audit page load.)
const PageWalk = 10_000

// WalkEvery is how often the whole chain is walked (the audit.verify_chain job).
const WalkEvery = time.Hour

// Service is the read side of the audit history for the dashboard.
type Service struct {
	db       *db.DB
	now      func() time.Time
	pageWalk int64 // PageWalk (tests set less)

	walk   sync.Mutex // one verification at a time
	status atomic.Pointer[checkpoint]
}

// checkpoint is the newest Status with the walk behind it, to continue.
type checkpoint struct {
	Status
	walk    Walk
	startAt time.Time // when the walk from the start of the chain began
}

// NewService returns the audit read service.
func NewService(d *db.DB) *Service { return &Service{db: d, now: time.Now, pageWalk: PageWalk} }

// Query lists events (from the read replica when ctx allows, see
// db.Reader); see the package function Query.
// It runs with custom plans, so the filters left empty fold away and the
// actor's pattern is a constant the trigram index can use.
func (s *Service) Query(ctx context.Context, f Filter, limit int) (out []Entry, next int64, err error) {
	err = s.db.ReadCustomPlans(ctx, func(q *store.Queries) (err error) {
		out, next, err = Query(ctx, q, f, limit)
		return err
	})
	return out, next, err
}

// Get returns one event or a NotFoundError.
func (s *Service) Get(ctx context.Context, id int64) (Entry, error) {
	return Get(ctx, s.db.Queries, id)
}

// Actions lists the distinct recorded actions, sorted.
func (s *Service) Actions(ctx context.Context) ([]string, error) {
	a, err := s.db.ListAuditActions(ctx)
	if err != nil {
		return nil, fmt.Errorf("list audit actions: %w", err)
	}
	return a, nil
}

// EntityTypes lists the distinct recorded entity types, sorted.
func (s *Service) EntityTypes(ctx context.Context) ([]string, error) {
	t, err := s.db.ListAuditEntityTypes(ctx)
	if err != nil {
		return nil, fmt.Errorf("list audit entity types: %w", err)
	}
	return t, nil
}

// Status verifies the chain, reusing a result younger than StatusTTL, at
// most PageWalk events at a time:
//   - a chain of up to PageWalk events is walked whole;
//   - a larger one continues the newest whole walk (this node's or one
//     VerifyAll recorded) with the events after it;
//   - before any whole walk of a large chain, each call walks PageWalk
//     events further from the start, and says the rest is Pending.
//
// Concurrent callers wait for one walk instead of starting their own.
func (s *Service) Status(ctx context.Context) (Status, error) {
	if st, ok := s.fresh(); ok {
		return st, nil
	}
	s.walk.Lock()
	defer s.walk.Unlock()
	if st, ok := s.fresh(); ok {
		return st, nil
	}
	now := s.now().UTC()
	cp, err := s.base(ctx)
	if err != nil {
		return Status{}, err
	}
	w := cp.walk
	switch {
	case !w.OK && w.Rows >= s.pageWalk:
		// Broken past what a page walks: it stays broken until a whole
		// walk (VerifyAll) says otherwise.
	case !w.OK || (w.Done && w.Rows <= s.pageWalk):
		// Small, or broken near the start: walk it again from the start.
		cp = checkpoint{startAt: now}
		fallthrough
	default:
		if cp.startAt.IsZero() {
			cp.startAt = now
		}
		if w, err = cp.walk.Continue(ctx, s.db.Queries, s.pageWalk); err != nil {
			return Status{}, err
		}
	}
	next := checkpoint{walk: w, startAt: cp.startAt, Status: Status{Verification: w.Verification, CheckedAt: now,
		WalkedAt: cp.WalkedAt, Pending: !w.Done && w.OK}}
	if next.WalkedAt.IsZero() && (w.Done || !w.OK) {
		next.WalkedAt = cp.startAt // the first whole walk ended here
	}
	s.status.Store(&next)
	return next.Status, nil
}

// base is the walk Status continues: this node's newest, or the newest
// VerifyAll recorded when that one is more recent.
func (s *Service) base(ctx context.Context) (checkpoint, error) {
	var cp checkpoint
	if p := s.status.Load(); p != nil {
		cp = *p
	}
	r, err := s.db.LatestAuditChainCheck(ctx)
	if db.IsNotFound(err) {
		return cp, nil
	}
	if err != nil {
		return cp, fmt.Errorf("latest audit chain check: %w", err)
	}
	if !cp.WalkedAt.IsZero() && !r.StartedAt.After(cp.WalkedAt) {
		return cp, nil
	}
	v := Verification{Rows: r.Events, OK: r.Ok, Anchored: r.Anchored, FirstID: r.FirstID, BadID: r.BadID, Problem: r.Problem}
	at := r.StartedAt.UTC()
	var through []byte // nil: the walk saw no row, and the next starts the chain
	if len(r.ThroughHash) > 0 {
		through = r.ThroughHash
	}
	return checkpoint{walk: Walk{Verification: v, ThroughID: r.ThroughID, ThroughHash: through, Done: true},
		startAt: at, Status: Status{Verification: v, WalkedAt: at}}, nil
}

// VerifyAll walks the whole chain, records the walk for every node's
// Status to continue, and returns it (the audit.verify_chain job and
// `lumdesk audit verify`).
func (s *Service) VerifyAll(ctx context.Context) (Walk, error) {
	start := s.now().UTC()
	w, err := Walk{}.Continue(ctx, s.db.Queries, 0)
	if err != nil {
		return w, err
	}
	err = s.db.RecordAuditChainCheck(ctx, store.RecordAuditChainCheckParams{StartedAt: start, Events: w.Rows,
		FirstID: w.FirstID, Anchored: w.Anchored, ThroughID: w.ThroughID, ThroughHash: append([]byte{}, w.ThroughHash...), Ok: w.OK, BadID: w.BadID, Problem: w.Problem})
	if err != nil {
		return w, fmt.Errorf("record audit chain check: %w", err)
	}
	return w, nil
}

// WalkIfDue is VerifyAll unless a walk recorded less than every/2 ago
// started (the job runs on every start, and a node restarted often would
// walk the whole chain each time); ran says whether it walked.
func (s *Service) WalkIfDue(ctx context.Context, every time.Duration) (w Walk, ran bool, err error) {
	r, err := s.db.LatestAuditChainCheck(ctx)
	switch {
	case err == nil && s.now().Sub(r.StartedAt) < every/2:
		return Walk{}, false, nil
	case err != nil && !db.IsNotFound(err):
		return Walk{}, false, fmt.Errorf("latest audit chain check: %w", err)
	}
	w, err = s.VerifyAll(ctx)
	return w, true, err
}

func (s *Service) fresh() (Status, bool) {
	st := s.status.Load()
	if st == nil || s.now().Sub(st.CheckedAt) >= StatusTTL {
		return Status{}, false
	}
	return st.Status, true
}

// LastStatus is the latest verification, however old, without walking the
// chain; ok is false before the first one.
func (s *Service) LastStatus() (st Status, ok bool) {
	if p := s.status.Load(); p != nil {
		return p.Status, true
	}
	return Status{}, false
}

// Each calls fn for every event matching f (f.Before is where it starts),
// newest first, reading pages of MaxPage rows; it stops at fn's first error.
func (s *Service) Each(ctx context.Context, f Filter, fn func(Entry) error) error {
	for {
		page, next, err := s.Query(ctx, f, MaxPage)
		if err != nil {
			return err
		}
		for _, e := range page {
			if err := fn(e); err != nil {
				return err
			}
		}
		if next == 0 {
			return nil
		}
		f.Before = next
	}
}

// ActionExport is recorded when someone exports the audit log.
const ActionExport = "audit.export"

// RecordExport notes who exported the log with which filters: an export
// copies the whole history out of the chain's protection.
func (s *Service) RecordExport(ctx context.Context, a Actor, filters url.Values) error {
	f := map[string]string{}
	for k := range filters {
		f[k] = filters.Get(k)
	}
	return s.db.Tx(ctx, func(q *store.Queries) error {
		return Record(ctx, q, a, Event{Action: ActionExport, After: map[string]any{"filters": f}})
	})
}
