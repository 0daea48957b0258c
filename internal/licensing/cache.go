package licensing

import (
	"context"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"time"

	"lumdesk/db/store"
)

// The loader check's cache: what CheckLicense read for a (project, script,
// key, HWID), per node, so a steady stream of executions costs no
// database round trip. It is coherent across nodes through Postgres
// LISTEN/NOTIFY: migration 00037's triggers notify channel licensing_cache
// with the project's id on every change to a project, script or key the
// check reads (whoever made it), and each node's listener drops that
// project's entries. The node that writes through this service drops its
// own entries after the commit, before it answers (Service.write), so its
// own next check never sees the old row. While the listener is not
// connected the cache is off and every check reads the database; when it
// connects again the cache starts empty (notifications may have been
// missed). HWID binding stays a compare-and-set in the database and the
// execution counter stays batched: the cache only saves the read.
const (
	cacheChannel = "licensing_cache"
	// cacheMax bounds the entries (about 1 KiB each); a full cache forgets
	// an arbitrary entry for each new one.
	cacheMax = 100_000
	// cacheTTL bounds how long an entry lives even if nothing notifies
	// (a clock-based change the row does not show: a HWID ban of another
	// key that ends is also handled by its own expiry below).
	cacheTTL = 5 * time.Minute
)

type checkKey struct{ project, script, userKey, hwid string }

type cacheEntry struct {
	row     store.CheckLicenseRow
	expires time.Time
	// counted is the executions this node counted since the row was read,
	// added to the row's total in answers.
	counted int64
}

type checkCache struct {
	mu        sync.Mutex
	live      bool   // the listener is connected: entries may be used
	epoch     uint64 // bumped at every invalidation; a read that raced one is not stored
	entries   map[checkKey]*cacheEntry
	byProject map[int64]map[checkKey]struct{}
	hits      uint64
	misses    uint64
}

func newCheckCache() *checkCache {
	return &checkCache{entries: map[checkKey]*cacheEntry{}, byProject: map[int64]map[checkKey]struct{}{}}
}

// get is the cached row, when the cache is live and has a fresh one.
func (c *checkCache) get(k checkKey, now time.Time) (store.CheckLicenseRow, int64, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.live {
		return store.CheckLicenseRow{}, 0, false
	}
	e, ok := c.entries[k]
	if !ok || !now.Before(e.expires) {
		c.misses++
		return store.CheckLicenseRow{}, 0, false
	}
	c.hits++
	return e.row, e.counted, true
}

// begin is the epoch a database read starts in.
func (c *checkCache) begin() uint64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.epoch
}

// put stores a row read in epoch, unless an invalidation came since (the
// row may be older than it).
func (c *checkCache) put(k checkKey, row store.CheckLicenseRow, epoch uint64, now time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.live || c.epoch != epoch {
		return
	}
	if len(c.entries) >= cacheMax {
		for old := range c.entries { // an arbitrary one
			c.remove(old)
			break
		}
	}
	// The key's strings may point into the HTTP server's request buffers
	// (Fiber's path parameters are not copied), which the next request
	// overwrites: a key kept in the map must own its bytes, or it changes
	// under the map and is never found again.
	k = checkKey{project: strings.Clone(k.project), script: strings.Clone(k.script),
		userKey: strings.Clone(k.userKey), hwid: strings.Clone(k.hwid)}
	exp := now.Add(cacheTTL)
	if row.HwidBanExpire != nil && row.HwidBanExpire.Before(exp) {
		exp = *row.HwidBanExpire
	}
	c.entries[k] = &cacheEntry{row: row, expires: exp}
	set := c.byProject[row.ProjectID]
	if set == nil {
		set = map[checkKey]struct{}{}
		c.byProject[row.ProjectID] = set
	}
	set[k] = struct{}{}
}

// counted notes an execution answered from the entry.
func (c *checkCache) count(k checkKey) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if e, ok := c.entries[k]; ok {
		e.counted++
	}
}

func (c *checkCache) remove(k checkKey) {
	if e, ok := c.entries[k]; ok {
		delete(c.byProject[e.row.ProjectID], k)
		delete(c.entries, k)
	}
}

// dropProject forgets a project's entries (a notification, a local bind).
func (c *checkCache) dropProject(projectID int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.epoch++
	for k := range c.byProject[projectID] {
		delete(c.entries, k)
	}
	delete(c.byProject, projectID)
}

// dropAll forgets everything (a local write, a lost listener).
func (c *checkCache) dropAll() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.epoch++
	clear(c.entries)
	clear(c.byProject)
}

func (c *checkCache) setLive(live bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.live = live
	c.epoch++
	clear(c.entries)
	clear(c.byProject)
}

// CacheStats are the check cache's counters (metrics, tests).
type CacheStats struct {
	Live    bool
	Entries int
	Hits    uint64
	Misses  uint64
}

// CheckCacheStats reads the cache's counters.
func (s *Service) CheckCacheStats() CacheStats {
	c := s.cache
	c.mu.Lock()
	defer c.mu.Unlock()
	return CacheStats{Live: c.live, Entries: len(c.entries), Hits: c.hits, Misses: c.misses}
}

// StartCheckCache turns the check cache on: a listener on a connection of
// its own keeps it coherent with every other node until ctx ends. Without
// it (tests, LICENSING_CHECK_CACHE=false) every check reads the database.
func (s *Service) StartCheckCache(ctx context.Context) {
	go func() {
		backoff := 100 * time.Millisecond
		for ctx.Err() == nil {
			err := s.listen(ctx)
			s.cache.setLive(false)
			if ctx.Err() != nil {
				return
			}
			s.log.Warn("licensing check cache: listener lost; checks read the database until it is back", "err", err)
			t := time.NewTimer(backoff)
			select {
			case <-ctx.Done():
				t.Stop()
				return
			case <-t.C:
			}
			backoff = min(2*backoff, 5*time.Second)
		}
	}()
}

// listen holds one connection on LISTEN; it returns when the connection fails.
func (s *Service) listen(ctx context.Context) error {
	pc, err := s.db.Pool.Acquire(ctx)
	if err != nil {
		return err
	}
	conn := pc.Hijack() // its own connection: it never goes back to the pool
	defer conn.Close(context.WithoutCancel(ctx))
	if _, err := conn.Exec(ctx, "LISTEN "+cacheChannel); err != nil {
		return err
	}
	s.cache.setLive(true) // starts empty: changes before LISTEN were not heard
	s.log.Debug("licensing check cache: listening")
	for {
		n, err := conn.WaitForNotification(ctx)
		if err != nil {
			return err
		}
		id, err := strconv.ParseInt(n.Payload, 10, 64)
		if err != nil {
			slog.Warn("licensing check cache: unreadable notification", "payload", n.Payload)
			s.cache.dropAll()
			continue
		}
		s.cache.dropProject(id)
	}
}

// write runs fn in a transaction and, once it committed, drops this
// node's check cache, so the node's own next check reads what it wrote
// (other nodes hear of it through the notification).
func (s *Service) write(ctx context.Context, fn func(q *store.Queries) error) error {
	err := s.db.Tx(ctx, fn)
	if err == nil {
		s.cache.dropAll()
	}
	return err
}
