package web

import (
	"net/http"
	"net/http/httptest"
	"runtime"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
)

// lineApp serves GET /slow (it signals entered and waits for release),
// GET /fast, GET /healthz and POST /slow behind a read line.
type lineApp struct {
	app              *fiber.App
	line             *readLine
	entered, release chan struct{}
	fastIn           chan struct{}
}

func newLineApp(t *testing.T, n int, wait, hold time.Duration) *lineApp {
	t.Helper()
	a := &lineApp{line: newReadLine(n, wait, hold, prometheus.NewRegistry()), app: fiber.New(),
		entered: make(chan struct{}, 4), release: make(chan struct{}), fastIn: make(chan struct{}, 4)}
	a.app.Use(a.line.handler)
	slow := func(c *fiber.Ctx) error {
		a.entered <- struct{}{}
		<-a.release
		return c.SendString("slow")
	}
	a.app.Get("/slow", slow)
	a.app.Post("/slow", slow)
	a.app.Get("/fast", func(c *fiber.Ctx) error { a.fastIn <- struct{}{}; return c.SendString("fast") })
	a.app.Get("/healthz", func(c *fiber.Ctx) error { return c.SendString("ok") })
	return a
}

// do sends a request in the background; its answer arrives on the channel.
func (a *lineApp) do(t *testing.T, method, path string) <-chan *http.Response {
	out := make(chan *http.Response, 1)
	go func() {
		r, err := a.app.Test(httptest.NewRequest(method, path, nil), -1)
		if err != nil {
			t.Error(err)
		}
		out <- r
	}()
	return out
}

// answer is the response on ch; a request still unanswered after 10 s
// (stuck in the line) fails the test rather than hanging it.
func answer(t *testing.T, ch <-chan *http.Response) *http.Response {
	t.Helper()
	select {
	case r := <-ch:
		return r
	case <-time.After(10 * time.Second):
		t.Fatal("no answer within 10 s")
		return nil
	}
}

// holdTurn starts a GET /slow and waits until its handler runs; done lets
// it finish and checks its answer.
func (a *lineApp) holdTurn(t *testing.T) (done func()) {
	t.Helper()
	slow := a.do(t, http.MethodGet, "/slow")
	<-a.entered
	return func() {
		t.Helper()
		close(a.release)
		if r := answer(t, slow); r.StatusCode != 200 {
			t.Errorf("the read holding the turn: %d", r.StatusCode)
		}
	}
}

// waitFor spins until cond holds (a deadline fails the test).
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); !cond(); runtime.Gosched() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
	}
}

// A read waits while the line is full and goes in when a turn is free;
// writes and the health check never wait.
func TestReadLineServesInTurn(t *testing.T) {
	t.Parallel()
	a := newLineApp(t, 1, time.Minute, time.Minute)
	done := a.holdTurn(t)
	fast := a.do(t, http.MethodGet, "/fast")
	waitFor(t, "the second read to wait", func() bool { return testutil.ToFloat64(a.line.waiting) == 1 })
	select {
	case <-a.fastIn:
		t.Fatal("a read went in while the only turn was taken")
	default:
	}
	if r := answer(t, a.do(t, http.MethodGet, "/healthz")); r.StatusCode != 200 {
		t.Errorf("health check while the line is full: %d", r.StatusCode)
	}
	post := a.do(t, http.MethodPost, "/slow")
	<-a.entered // the write went in beside the read holding the turn
	done()
	for name, ch := range map[string]<-chan *http.Response{"write": post, "waiting read": fast} {
		if r := answer(t, ch); r.StatusCode != 200 {
			t.Errorf("%s: %d", name, r.StatusCode)
		}
	}
	if w := testutil.ToFloat64(a.line.waiting); w != 0 {
		t.Errorf("waiting = %v after the line emptied", w)
	}
}

// A read that waited its longest is answered 503 with Retry-After.
func TestReadLineRefusesAfterItsWait(t *testing.T) {
	t.Parallel()
	a := newLineApp(t, 1, time.Millisecond, time.Minute)
	done := a.holdTurn(t)
	r := answer(t, a.do(t, http.MethodGet, "/fast"))
	if r.StatusCode != fiber.StatusServiceUnavailable || r.Header.Get("Retry-After") == "" {
		t.Errorf("a read past its wait: %d, Retry-After %q; want 503 with Retry-After", r.StatusCode, r.Header.Get("Retry-After"))
	}
	if n := testutil.ToFloat64(a.line.refused); n != 1 {
		t.Errorf("refused = %v, want 1", n)
	}
	done()
}

// A read keeps its turn for hold at most: one stuck on something else does
// not stop the line.
func TestReadLineTurnIsBounded(t *testing.T) {
	t.Parallel()
	a := newLineApp(t, 1, time.Minute, time.Millisecond)
	done := a.holdTurn(t)
	if r := answer(t, a.do(t, http.MethodGet, "/fast")); r.StatusCode != 200 {
		t.Errorf("a read behind a stuck one: %d", r.StatusCode)
	}
	done()
	// The turn is free again, and only one: the stuck read's late release
	// did not free a turn twice.
	if !a.line.sem.TryAcquire(1) || a.line.sem.TryAcquire(1) {
		t.Error("the line does not hold exactly one turn after both reads")
	}
}

// No line (READ_CONCURRENCY=0): every read goes straight in.
func TestNoReadLine(t *testing.T) {
	t.Parallel()
	a := newLineApp(t, 0, time.Minute, time.Minute)
	if a.line != nil {
		t.Fatal("a line for READ_CONCURRENCY=0")
	}
	done := a.holdTurn(t)
	if r := answer(t, a.do(t, http.MethodGet, "/fast")); r.StatusCode != 200 {
		t.Errorf("a read beside another without a line: %d", r.StatusCode)
	}
	done()
}
