// Package refresh answers an expensive read from its last result and, once
// that result is older than the cache's MaxAge, reads it again in the
// background: a page that shows a check of a whole table, or a scan of a
// million rows, must not wait for one on every load. Only a key's first
// read waits. Each node keeps its own results.
package refresh

import (
	"context"
	"log/slog"
	"sync"
	"time"
)

// MaxKeys bounds the results a cache keeps; past it the cache starts over.
const MaxKeys = 1000

// timeout bounds a background read: it outlives the request that started it.
const timeout = 5 * time.Minute

// Cache keeps the last result of Load for each key.
type Cache[K comparable, V any] struct {
	maxAge time.Duration
	load   func(ctx context.Context, k K) (V, error)
	now    func() time.Time
	what   string       // for the log
	cheap  func(V) bool // results it holds true of are read again on each Get

	mu      sync.Mutex
	entries map[K]*entry[V]
	bg      sync.WaitGroup
}

type entry[V any] struct {
	v       V
	at      time.Time // when the read that made v started
	cheap   bool      // v is cheap to read again: the next Get does
	loading bool      // a background read of the key is running
}

// New makes a cache of load's results, read again once older than maxAge;
// what names them in the log when a background read fails.
func New[K comparable, V any](what string, maxAge time.Duration, load func(ctx context.Context, k K) (V, error)) *Cache[K, V] {
	return &Cache[K, V]{maxAge: maxAge, load: load, now: time.Now, what: what, entries: map[K]*entry[V]{}}
}

// ReadAgainWhile makes Get read anew, and wait for it, while cheap holds
// of a key's last result: what a small table gives is read fresh, and only
// a large one's is reused (returns c). cheap should judge by the data's
// size, not by a read's time, so the choice does not change with the load.
func (c *Cache[K, V]) ReadAgainWhile(cheap func(V) bool) *Cache[K, V] {
	c.cheap = cheap
	return c
}

// SetClock replaces time.Now (tests).
func (c *Cache[K, V]) SetClock(now func() time.Time) { c.now = now }

// Get returns k's last result and when its read started. The first Get of
// a key reads it now; a later one past MaxAge returns the last result and
// reads again in the background (one read at a time per key).
func (c *Cache[K, V]) Get(ctx context.Context, k K) (V, time.Time, error) {
	c.mu.Lock()
	e, ok := c.entries[k]
	if ok && e.cheap {
		ok = false
	}
	again := ok && !e.loading && c.now().Sub(e.at) >= c.maxAge
	if again {
		e.loading = true
		c.bg.Add(1)
	}
	c.mu.Unlock()
	if !ok {
		return c.read(ctx, k)
	}
	if again {
		go func() {
			defer c.bg.Done()
			ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), timeout)
			defer cancel()
			if _, _, err := c.read(ctx, k); err != nil {
				slog.Warn("refresh in the background", "what", c.what, "err", err)
				c.mu.Lock()
				e.loading = false // the next Get tries again
				c.mu.Unlock()
			}
		}()
	}
	return e.v, e.at, nil
}

// read loads k now and keeps the result.
func (c *Cache[K, V]) read(ctx context.Context, k K) (V, time.Time, error) {
	at := c.now()
	v, err := c.load(ctx, k)
	if err != nil {
		return v, at, err
	}
	c.Put(k, v, at)
	return v, at, nil
}

// Put keeps v as k's result, read at at, unless a newer one is kept.
func (c *Cache[K, V]) Put(k K, v V, at time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if e, ok := c.entries[k]; ok && e.at.After(at) {
		e.loading = false
		return
	}
	if len(c.entries) >= MaxKeys {
		clear(c.entries)
	}
	c.entries[k] = &entry[V]{v: v, at: at, cheap: c.cheap != nil && c.cheap(v)}
}

// Wait waits for the background reads to end (tests).
func (c *Cache[K, V]) Wait() { c.bg.Wait() }
