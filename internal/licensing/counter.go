package licensing

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5/pgtype"

	"lumdesk/db/store"
)

// counter batches execution counts in memory: the loader check only adds to
// maps, and a flush every interval writes them with one UPDATE ... FROM
// unnest() per table in one transaction. A failed flush puts its counts back
// so nothing is lost; Close flushes what is left.
type counter struct {
	svc      *Service
	interval time.Duration

	mu      sync.Mutex
	pending counts

	flushMu  sync.Mutex // one flush at a time
	start    sync.Once
	stop     chan struct{}
	done     chan struct{}
	started  bool
	stopOnce sync.Once

	// What the flushes wrote and how long they took, since start: the
	// database time the counts cost (metrics, make bench).
	flushes, flushedKeys atomic.Uint64
	flushTime            atomic.Int64 // nanoseconds
}

type tally struct {
	n    int64
	last time.Time
	// first: a key's check read no run of it yet, so the flush marks it
	// used. Every other key ran before and is used already: the flush's
	// MarkLicenseKeysUsed probed each of them every second for nothing.
	first bool
}

type dayKey struct {
	id  int64
	day int32 // days since 1970-01-01 (UTC)
}

type counts struct {
	keys        map[int64]*tally
	scripts     map[int64]*tally
	keyDays     map[dayKey]int64
	projectDays map[dayKey]int64
}

func newCounts() counts {
	return counts{keys: map[int64]*tally{}, scripts: map[int64]*tally{}, keyDays: map[dayKey]int64{}, projectDays: map[dayKey]int64{}}
}

func (c counts) empty() bool { return len(c.scripts) == 0 && len(c.keys) == 0 }

func newCounter(s *Service, interval time.Duration) *counter {
	return &counter{svc: s, interval: interval, pending: newCounts(), stop: make(chan struct{}), done: make(chan struct{})}
}

// bump adds n executions, the last at at, to id's tally; first sticks
// once any of them was a first run.
func bump(m map[int64]*tally, id, n int64, at time.Time, first bool) {
	t := m[id]
	if t == nil {
		m[id] = &tally{n: n, last: at, first: first}
		return
	}
	t.n += n
	t.first = t.first || first
	if at.After(t.last) {
		t.last = at
	}
}

// add counts one execution (keyID 0: an FFA execution without key); first
// is set when the check's read of the key showed no run of it.
func (c *counter) add(keyID, scriptID, projectID int64, at time.Time, first bool) {
	c.start.Do(func() {
		c.mu.Lock()
		c.started = true
		c.mu.Unlock()
		go c.loop()
	})
	d := int32(at.Unix() / 86400)
	c.mu.Lock()
	if keyID != 0 {
		bump(c.pending.keys, keyID, 1, at, first)
		c.pending.keyDays[dayKey{keyID, d}]++
	}
	bump(c.pending.scripts, scriptID, 1, at, false)
	c.pending.projectDays[dayKey{projectID, d}]++
	c.mu.Unlock()
}

// merge puts counts back after a failed flush.
func (c *counter) merge(o counts) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for id, t := range o.keys {
		bump(c.pending.keys, id, t.n, t.last, t.first)
	}
	for id, t := range o.scripts {
		bump(c.pending.scripts, id, t.n, t.last, false)
	}
	for k, n := range o.keyDays {
		c.pending.keyDays[k] += n
	}
	for k, n := range o.projectDays {
		c.pending.projectDays[k] += n
	}
}

func (c *counter) loop() {
	defer close(c.done)
	t := time.NewTicker(c.interval)
	defer t.Stop()
	for {
		select {
		case <-c.stop:
			return
		case <-t.C:
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			if err := c.flush(ctx); err != nil {
				c.svc.log.Warn("licensing: execution counter flush failed; will retry", "err", err)
			}
			cancel()
		}
	}
}

// flush writes the pending counts.
func (c *counter) flush(ctx context.Context) error {
	c.flushMu.Lock()
	defer c.flushMu.Unlock()
	c.mu.Lock()
	batch := c.pending
	c.pending = newCounts()
	c.mu.Unlock()
	if batch.empty() {
		return nil
	}
	start := time.Now()
	if err := c.svc.db.Tx(ctx, func(q *store.Queries) error { return writeCounts(ctx, q, batch) }); err != nil {
		c.merge(batch)
		return fmt.Errorf("flush execution counts: %w", err)
	}
	c.flushTime.Add(int64(time.Since(start)))
	c.flushes.Add(1)
	c.flushedKeys.Add(uint64(len(batch.keys)))
	return nil
}

// writeCounts writes a batch, ids sorted so concurrent flushes of several
// processes lock rows in the same order.
func writeCounts(ctx context.Context, q *store.Queries, b counts) error {
	if len(b.keys) > 0 {
		ids, ns, lasts := tallies(b.keys)
		// used on a key's first run, then the activity rows (the key's
		// executions and the sort by last use; migration 00053): the key's
		// row first, as every change of a key locks them.
		if firsts := firstRuns(b.keys, ids); len(firsts) > 0 {
			if err := q.MarkLicenseKeysUsed(ctx, firsts); err != nil {
				return fmt.Errorf("keys used: %w", err)
			}
		}
		if err := q.FlushLicenseKeyExecutions(ctx, store.FlushLicenseKeyExecutionsParams{Ids: ids, Counts: ns, Lasts: lasts}); err != nil {
			return fmt.Errorf("keys: %w", err)
		}
	}
	if len(b.scripts) > 0 {
		ids, ns, lasts := tallies(b.scripts)
		if _, err := q.FlushLicensingScriptExecutions(ctx, store.FlushLicensingScriptExecutionsParams{Ids: ids, Counts: ns, Lasts: lasts}); err != nil {
			return fmt.Errorf("scripts: %w", err)
		}
	}
	if len(b.keyDays) > 0 {
		ids, days, ns := dayTallies(b.keyDays)
		if err := q.FlushLicenseKeyDailyExecutions(ctx, store.FlushLicenseKeyDailyExecutionsParams{Ids: ids, Days: days, Counts: ns}); err != nil {
			return fmt.Errorf("key days: %w", err)
		}
	}
	if len(b.projectDays) > 0 {
		ids, days, ns := dayTallies(b.projectDays)
		if err := q.FlushLicensingProjectDailyExecutions(ctx, store.FlushLicensingProjectDailyExecutionsParams{Ids: ids, Days: days, Counts: ns}); err != nil {
			return fmt.Errorf("project days: %w", err)
		}
	}
	return nil
}

func tallies(m map[int64]*tally) (ids, ns []int64, lasts []time.Time) {
	ids = make([]int64, 0, len(m))
	for id := range m {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	ns, lasts = make([]int64, len(ids)), make([]time.Time, len(ids))
	for i, id := range ids {
		ns[i], lasts[i] = m[id].n, m[id].last
	}
	return ids, ns, lasts
}

// firstRuns is the ids (sorted, of tallies' ids) of the keys whose check
// read no run yet. A stale read (a cached row) only names a key that is
// used already, which MarkLicenseKeysUsed passes over.
func firstRuns(m map[int64]*tally, ids []int64) []int64 {
	var firsts []int64
	for _, id := range ids {
		if m[id].first {
			firsts = append(firsts, id)
		}
	}
	return firsts
}

func dayTallies(m map[dayKey]int64) (ids []int64, days []pgtype.Date, ns []int64) {
	keys := make([]dayKey, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b dayKey) int {
		if a.id != b.id {
			return cmpInt(a.id, b.id)
		}
		return cmpInt(int64(a.day), int64(b.day))
	})
	ids, days, ns = make([]int64, len(keys)), make([]pgtype.Date, len(keys)), make([]int64, len(keys))
	for i, k := range keys {
		ids[i], ns[i] = k.id, m[k]
		days[i] = pgtype.Date{Time: time.Unix(int64(k.day)*86400, 0).UTC(), Valid: true}
	}
	return ids, days, ns
}

func cmpInt(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// close stops the loop and flushes what is left.
func (c *counter) close(ctx context.Context) error {
	c.stopOnce.Do(func() {
		c.mu.Lock()
		started := c.started
		c.mu.Unlock()
		if started {
			close(c.stop)
			<-c.done
		}
	})
	return c.flush(ctx)
}

// FlushExecutions writes the batched execution counts now (tests, shutdown).
func (s *Service) FlushExecutions(ctx context.Context) error { return s.counter.flush(ctx) }

// CounterStats are the execution counter's flushes since start.
type CounterStats struct {
	Flushes uint64        // flushes that wrote something
	Keys    uint64        // key rows they wrote, summed over the flushes
	Time    time.Duration // how long they took, summed
}

// CounterStats reads the execution counter's totals.
func (s *Service) CounterStats() CounterStats {
	c := s.counter
	return CounterStats{Flushes: c.flushes.Load(), Keys: c.flushedKeys.Load(), Time: time.Duration(c.flushTime.Load())}
}

// PendingExecutions is how many executions wait in memory for the next flush.
func (s *Service) PendingExecutions() int64 {
	s.counter.mu.Lock()
	defer s.counter.mu.Unlock()
	var n int64
	for _, t := range s.counter.pending.scripts {
		n += t.n
	}
	return n
}

// Close stops the counter's flush loop and flushes the rest (call it on
// shutdown, before the database closes).
func (s *Service) Close() {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := s.counter.close(ctx); err != nil {
		s.log.Error("licensing: final execution counter flush failed", "err", err, "executions_lost", s.PendingExecutions())
	}
}
