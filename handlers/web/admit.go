package web

import (
	"context"
	"sync"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/prometheus/client_golang/prometheus"
	"golang.org/x/sync/semaphore"
)

// readWait is how long a read waits for its turn before it is answered
// 503 (with Retry-After) rather than kept; readHold is the longest a read
// keeps its turn. A read that waits on something else (Roblox for a Lumira
// member, a slow query) then gives its turn to the next in line and
// carries on outside it: a page takes a few milliseconds of the cores, so
// the line stays the cores' and a slow outside service cannot stop it.
const (
	readWait = 10 * time.Second
	readHold = 250 * time.Millisecond
)

// readLine serves reads (GET and HEAD: pages, lists, searches, the APIs'
// reads) a few at a time, first come first served (READ_CONCURRENCY; x/sync's
// semaphore queues its waiters in order). When more reads arrive than the
// cores and the database can serve, each read in progress shares them with
// every other and all take longer, some far longer: at 32 clients on the
// bench's 2 cores the keys, accounts, ledger and audit pages took p50 78 ms
// and p99 196 ms. In line, the median is the same (the same work on the same
// cores: Little's law), and the tail comes to it (p99 110 – 130 ms; the
// runs are in docs/performance.md).
//
// Writes skip the line: they are few, an upload may stream for minutes, and
// the loader check (a POST) answers from memory. So do static assets and
// the health checks, which must answer while the line is long.
type readLine struct {
	sem        *semaphore.Weighted
	wait, hold time.Duration
	waiting    prometheus.Gauge
	refused    prometheus.Counter
}

// newReadLine serves n reads at a time; nil (no line) for n = 0.
func newReadLine(n int, wait, hold time.Duration, reg prometheus.Registerer) *readLine {
	if n <= 0 {
		return nil
	}
	l := &readLine{sem: semaphore.NewWeighted(int64(n)), wait: wait, hold: hold,
		waiting: prometheus.NewGauge(prometheus.GaugeOpts{Name: "lumdesk_http_reads_waiting",
			Help: "Reads (GET, HEAD) waiting for their turn (READ_CONCURRENCY)."}),
		refused: prometheus.NewCounter(prometheus.CounterOpts{Name: "lumdesk_http_reads_refused_total",
			Help: "Reads answered 503 after waiting their turn too long."}),
	}
	reg.MustRegister(l.waiting, l.refused)
	return l
}

// handler is the middleware: a read waits for its turn, holds it while the
// handler runs (a CSV export's stream, written after, does not), for hold
// at most, and gives it to the next in line.
func (l *readLine) handler(c *fiber.Ctx) error {
	if l == nil || !IsGet(c) || isPlumbing(c.Path()) {
		return c.Next()
	}
	if !l.sem.TryAcquire(1) {
		l.waiting.Inc()
		ctx, cancel := context.WithTimeout(c.UserContext(), l.wait)
		err := l.sem.Acquire(ctx, 1)
		cancel()
		l.waiting.Dec()
		if err != nil {
			l.refused.Inc()
			c.Set(fiber.HeaderRetryAfter, "2")
			return fiber.NewError(fiber.StatusServiceUnavailable, "lumdesk is busier than it can answer right now. Try again in a few seconds.")
		}
	}
	var once sync.Once
	release := func() { once.Do(func() { l.sem.Release(1) }) }
	t := time.AfterFunc(l.hold, release)
	defer func() {
		t.Stop()
		release()
	}()
	return c.Next()
}
