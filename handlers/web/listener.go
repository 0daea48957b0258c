package web

import (
	"context"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gofiber/fiber/v2"
)

// Listener is the server's listener, for a graceful shutdown that does not
// wait on connections a client opened and never used.
//
// HTTP clients open connections ahead of need (Go's transport dials one per
// request in a burst and keeps those another request's connection made
// unnecessary). fasthttp (v1.51) counts a connection as active before its
// first byte and waits, on shutdown, for the first request to be read until
// ReadTimeout (30 s): one such connection kept `lumdesk serve` waiting its
// full 10 s and exiting 1, two stops in three after a burst of 60 requests.
// A connection with nothing read yet has no request to finish, so Shutdown
// closes those itself (TestShutdownClosesUnusedConnections).
type Listener struct {
	net.Listener
	closeOnce sync.Once
	closeErr  error
	mu        sync.Mutex
	fresh     map[*freshConn]struct{} // accepted, nothing read yet
}

// NewListener wraps ln for app.Listener and Shutdown.
func NewListener(ln net.Listener) *Listener {
	return &Listener{Listener: ln, fresh: map[*freshConn]struct{}{}}
}

// Accept returns the next connection, tracked until its first byte.
func (l *Listener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	fc := &freshConn{Conn: c, l: l}
	l.mu.Lock()
	l.fresh[fc] = struct{}{}
	l.mu.Unlock()
	return fc, nil
}

// Close stops accepting; closing again is not an error (Shutdown closes the
// listener before fasthttp does).
func (l *Listener) Close() error {
	l.closeOnce.Do(func() { l.closeErr = l.Listener.Close() })
	return l.closeErr
}

func (l *Listener) forget(c *freshConn) {
	l.mu.Lock()
	delete(l.fresh, c)
	l.mu.Unlock()
}

// Shutdown stops accepting, closes the connections that never sent a
// byte, and lets the requests in progress finish within timeout (fasthttp
// closes idle keep-alive connections itself).
func (l *Listener) Shutdown(app *fiber.App, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	_ = l.Close()
	l.mu.Lock()
	for c := range l.fresh {
		_ = c.Conn.Close()
		delete(l.fresh, c)
	}
	l.mu.Unlock()
	return app.ShutdownWithContext(ctx)
}

// freshConn is an accepted connection that leaves Listener.fresh at its
// first byte read or its close.
type freshConn struct {
	net.Conn
	l    *Listener
	used atomic.Bool
}

func (c *freshConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	if n > 0 {
		c.leave()
	}
	return n, err
}

func (c *freshConn) Close() error {
	c.leave()
	return c.Conn.Close()
}

// leave takes the connection out of Listener.fresh, once (the Load keeps
// every later Read to one atomic read).
func (c *freshConn) leave() {
	if !c.used.Load() && !c.used.Swap(true) {
		c.l.forget(c)
	}
}
