package outbound

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// Status is what the SMTP server made of one recipient.
type Status string

const (
	Delivered Status = "delivered" // 2xx after DATA
	Deferred  Status = "deferred"  // 4xx, or no answer at all: try again later
	Bounced   Status = "bounced"   // 5xx: permanent
)

// RecipientResult is the outcome for one envelope recipient, with the
// server's own words kept for the event log.
type RecipientResult struct {
	Email        string
	Status       Status
	Code         int    // the SMTP reply code; 0 when the server never answered
	EnhancedCode string // "5.1.1" when the server gave one
	Text         string // the server's reply text, or the network error
}

// Endpoint is a parsed LUMORA_SMTP_URL.
type Endpoint struct {
	ImplicitTLS bool   // smtps://
	Host        string // for TLS verification
	Addr        string // host:port
	Username    string
	Password    string
}

// ParseURL reads smtp://[user:pass@]host[:port] (STARTTLS when the server
// offers it; port 587 by default) or smtps://[user:pass@]host[:port]
// (implicit TLS; port 465).
func ParseURL(raw string) (Endpoint, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return Endpoint{}, fmt.Errorf("not a URL like smtp://user:pass@host:587")
	}
	var ep Endpoint
	port := ""
	switch u.Scheme {
	case "smtp":
		port = "587"
	case "smtps":
		ep.ImplicitTLS, port = true, "465"
	default:
		return Endpoint{}, fmt.Errorf("scheme %q: want smtp:// or smtps://", u.Scheme)
	}
	if u.Hostname() == "" || (u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "" || u.Opaque != "" {
		return Endpoint{}, fmt.Errorf("want smtp://user:pass@host:port with nothing after the port")
	}
	if p := u.Port(); p != "" {
		port = p
	}
	ep.Host = u.Hostname()
	ep.Addr = net.JoinHostPort(ep.Host, port)
	if u.User != nil {
		ep.Username = u.User.Username()
		ep.Password, _ = u.User.Password()
	}
	return ep, nil
}

// SenderConfig configures a Sender.
type SenderConfig struct {
	URL         string        // LUMORA_SMTP_URL, or the sandbox inbox's smtp://127.0.0.1:port
	Concurrency int           // LUMORA_SMTP_CONCURRENCY: connections open at once (default 4)
	TLSConfig   *tls.Config   // nil: the system roots; tests pass one that trusts their own certificate
	HeloName    string        // EHLO name; default: the host name
	Timeout     time.Duration // dial and per-command timeout (default 30s)
	IdleTimeout time.Duration // an idle pooled connection older than this is closed, not reused (default 30s)
	// DialContext opens the TCP connection (nil: a net.Dialer). Tests route
	// a remote relay's name to their in-process server with it.
	DialContext func(ctx context.Context, network, addr string) (net.Conn, error)
}

// Sender delivers messages to one SMTP server over at most Concurrency
// connections, reusing them across messages (RSET between messages, a fresh
// connection when the old one fails).
type Sender struct {
	ep      Endpoint
	dialer  func(ctx context.Context, network, addr string) (net.Conn, error)
	tls     *tls.Config
	helo    string
	timeout time.Duration
	idleMax time.Duration

	slots chan struct{} // one token per connection in use

	mu     sync.Mutex
	idle   []*pooledConn
	closed bool

	noStartTLS atomic.Bool // the server did not offer STARTTLS: dial plain from now on
	dials      atomic.Int64
}

type pooledConn struct {
	c         *smtp.Client
	idleSince time.Time
	reused    bool // taken from the pool, not freshly dialled
	dirty     bool // the last transaction was not completed: RSET before reuse
}

// NewSender checks the configuration; it does not connect yet.
func NewSender(cfg SenderConfig) (*Sender, error) {
	ep, err := ParseURL(cfg.URL)
	if err != nil {
		return nil, fmt.Errorf("outbound: SMTP URL: %w", err)
	}
	n := cfg.Concurrency
	if n <= 0 {
		n = 4
	}
	s := &Sender{ep: ep, dialer: cfg.DialContext, helo: cfg.HeloName, timeout: cfg.Timeout, idleMax: cfg.IdleTimeout, slots: make(chan struct{}, n)}
	if s.dialer == nil {
		s.dialer = (&net.Dialer{}).DialContext
	}
	if s.helo == "" {
		if h, err := os.Hostname(); err == nil && h != "" {
			s.helo = h
		} else {
			s.helo = "localhost"
		}
	}
	if s.timeout <= 0 {
		s.timeout = 30 * time.Second
	}
	if s.idleMax <= 0 {
		s.idleMax = 30 * time.Second
	}
	s.tls = &tls.Config{MinVersion: tls.VersionTLS12}
	if cfg.TLSConfig != nil {
		s.tls = cfg.TLSConfig.Clone()
	}
	if s.tls.ServerName == "" {
		s.tls.ServerName = ep.Host
	}
	return s, nil
}

// Dials counts the connections opened so far (metrics, and the reuse test).
func (s *Sender) Dials() int64 { return s.dials.Load() }

// Close ends the idle connections politely; connections in use close when
// their message is done.
func (s *Sender) Close() error {
	s.mu.Lock()
	idle := s.idle
	s.idle, s.closed = nil, true
	s.mu.Unlock()
	for _, p := range idle {
		if p.c.Quit() != nil {
			p.c.Close()
		}
	}
	return nil
}

// Send delivers raw (already signed) from mailFrom to rcpts and says, for
// each recipient, what the server answered. Nothing here is an error in Go
// terms: a refused connection or a timeout is a deferral, the server may
// answer better later.
func (s *Sender) Send(ctx context.Context, mailFrom string, rcpts []string, raw []byte) []RecipientResult {
	results := make([]RecipientResult, len(rcpts))
	for i, r := range rcpts {
		results[i].Email = r
	}
	if len(rcpts) == 0 {
		return results
	}
	p, err := s.acquire(ctx)
	if err != nil {
		return setAll(results, nil, Deferred, 0, "", err.Error())
	}
	reusable, done := false, false
	defer func() { s.release(p, reusable, !done) }()

	// go-smtp has no context support: closing the connection is how a
	// cancelled send stops waiting on the server.
	watch := func(c *smtp.Client) func() bool { return context.AfterFunc(ctx, func() { c.Close() }) }
	stop := watch(p.c)
	defer func() {
		if !stop() {
			reusable = false
		}
	}()

	err = p.c.Mail(mailFrom, nil)
	if err != nil && !isReply(err) && p.reused && ctx.Err() == nil {
		// The pooled connection died while idle (the server timed it out).
		// Nothing has been sent yet, so a fresh connection tries again.
		stop()
		p.c.Close()
		c, derr := s.dial(ctx)
		if derr != nil {
			p.c = nil
			return setAll(results, nil, Deferred, 0, "", derr.Error())
		}
		p.c, p.reused, p.dirty = c, false, false
		stop = watch(c)
		err = p.c.Mail(mailFrom, nil)
	}
	if err != nil {
		reusable = classifyAll(results, nil, err)
		return results
	}
	var accepted []int
	for i, r := range rcpts {
		if err := p.c.Rcpt(r, nil); err != nil {
			if !isReply(err) {
				// The connection is gone: this and every recipient not yet
				// refused waits for a retry (none was delivered).
				classifyAll(results, nil, err)
				return results
			}
			classify(&results[i], err)
			continue
		}
		accepted = append(accepted, i)
	}
	if len(accepted) == 0 {
		reusable = true // the next message starts with RSET
		return results
	}
	w, err := p.c.Data()
	if err != nil {
		reusable = classifyAll(results, accepted, err)
		return results
	}
	if _, err := w.Write(raw); err != nil {
		w.Close()
		classifyAll(results, accepted, err)
		return results
	}
	resp, err := w.CloseWithResponse()
	if err != nil {
		// After the final reply the server has ended the transaction either
		// way (RFC 5321 4.1.1.4), so the connection is clean.
		reusable, done = classifyAll(results, accepted, err), true
		return results
	}
	setAll(results, accepted, Delivered, 250, "", resp.StatusText)
	reusable, done = true, true
	return results
}

func isReply(err error) bool {
	var se *smtp.SMTPError
	return errors.As(err, &se)
}

// classify records err for one recipient: 4xx deferred, 5xx bounced, no
// reply at all deferred.
func classify(r *RecipientResult, err error) {
	var se *smtp.SMTPError
	if !errors.As(err, &se) {
		r.Status, r.Code, r.EnhancedCode, r.Text = Deferred, 0, "", err.Error()
		return
	}
	r.Code, r.Text = se.Code, se.Message
	r.EnhancedCode = ""
	if se.EnhancedCode != (smtp.EnhancedCode{}) && se.EnhancedCode != smtp.NoEnhancedCode {
		r.EnhancedCode = fmt.Sprintf("%d.%d.%d", se.EnhancedCode[0], se.EnhancedCode[1], se.EnhancedCode[2])
	}
	if se.Code >= 500 && se.Code < 600 {
		r.Status = Bounced
	} else {
		r.Status = Deferred
	}
}

// classifyAll applies err to the listed recipients (nil: every one not yet
// decided) and reports whether the connection can still be used: it can
// after a server reply, not after a network error.
func classifyAll(results []RecipientResult, which []int, err error) bool {
	for _, i := range indexes(results, which) {
		classify(&results[i], err)
	}
	return isReply(err)
}

func setAll(results []RecipientResult, which []int, st Status, code int, enh, text string) []RecipientResult {
	for _, i := range indexes(results, which) {
		results[i].Status, results[i].Code, results[i].EnhancedCode, results[i].Text = st, code, enh, text
	}
	return results
}

func indexes(results []RecipientResult, which []int) []int {
	if which != nil {
		return which
	}
	var out []int
	for i := range results {
		if results[i].Status == "" {
			out = append(out, i)
		}
	}
	return out
}

// acquire takes a connection slot, then an idle connection or a new one. A
// connection whose last transaction was left open gets RSET first; one whose
// last message completed is already clean (RFC 5321 4.1.1.4), which saves a
// round trip per message (go-smtp also re-sends EHLO after RSET).
func (s *Sender) acquire(ctx context.Context) (*pooledConn, error) {
	select {
	case s.slots <- struct{}{}:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	for {
		s.mu.Lock()
		if s.closed {
			s.mu.Unlock()
			<-s.slots
			return nil, errors.New("outbound: sender closed")
		}
		var p *pooledConn
		if n := len(s.idle); n > 0 {
			p, s.idle = s.idle[n-1], s.idle[:n-1]
		}
		s.mu.Unlock()
		if p == nil {
			break
		}
		if time.Since(p.idleSince) > s.idleMax {
			p.c.Close()
			continue
		}
		if p.dirty {
			if err := p.c.Reset(); err != nil {
				p.c.Close()
				continue
			}
			p.dirty = false
		}
		p.reused = true
		return p, nil
	}
	c, err := s.dial(ctx)
	if err != nil {
		<-s.slots
		return nil, err
	}
	return &pooledConn{c: c}, nil
}

// release gives the slot back and keeps the connection for the next message
// when it is still usable; dirty says its transaction was left open.
func (s *Sender) release(p *pooledConn, reusable, dirty bool) {
	if p.c == nil { // a redial failed: nothing to keep or close
		<-s.slots
		return
	}
	s.mu.Lock()
	if reusable && !s.closed {
		p.idleSince, p.dirty = time.Now(), dirty
		s.idle = append(s.idle, p)
		p = nil
	}
	s.mu.Unlock()
	if p != nil {
		p.c.Close()
	}
	<-s.slots
}

// dial connects, says EHLO, upgrades to TLS (implicit, or STARTTLS when the
// server offers it) and authenticates when the URL has credentials.
func (s *Sender) dial(ctx context.Context) (*smtp.Client, error) {
	s.dials.Add(1)
	dctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	conn, err := s.dialer(dctx, "tcp", s.ep.Addr)
	if err != nil {
		return nil, err
	}
	// The greeting, TLS, EHLO and AUTH together get the dial timeout (and end
	// with ctx): go-smtp's own per-command deadlines are minutes long.
	stop := context.AfterFunc(dctx, func() { conn.Close() })
	defer stop()
	var c *smtp.Client
	switch {
	case s.ep.ImplicitTLS:
		tc := tls.Client(conn, s.tls)
		if err := tc.HandshakeContext(dctx); err != nil {
			conn.Close()
			return nil, err
		}
		c = s.newClient(tc)
		if err := c.Hello(s.helo); err != nil {
			c.Close()
			return nil, err
		}
	case !s.noStartTLS.Load():
		c, err = smtp.NewClientStartTLS(conn, s.tls)
		if err != nil {
			// go-smtp can't upgrade a client it already greeted, so a server
			// without STARTTLS costs one more connection, once: later dials
			// go plain straight away.
			if strings.Contains(err.Error(), "doesn't support STARTTLS") {
				s.noStartTLS.Store(true)
				return s.dial(ctx)
			}
			return nil, err
		}
		s.setTimeouts(c)
		if err := c.Hello(s.helo); err != nil {
			c.Close()
			return nil, err
		}
	default:
		c = s.newClient(conn)
		if err := c.Hello(s.helo); err != nil {
			c.Close()
			return nil, err
		}
	}
	if s.ep.Username != "" {
		if err := s.auth(c); err != nil {
			c.Close()
			return nil, err
		}
	}
	return c, nil
}

func (s *Sender) newClient(conn net.Conn) *smtp.Client {
	c := smtp.NewClient(conn)
	s.setTimeouts(c)
	return c
}

func (s *Sender) setTimeouts(c *smtp.Client) {
	c.CommandTimeout = s.timeout
	c.SubmissionTimeout = 2 * s.timeout
}

// auth uses AUTH PLAIN, and only over TLS (or to loopback, where nothing
// crosses a network): credentials never travel in clear.
func (s *Sender) auth(c *smtp.Client) error {
	_, isTLS := c.TLSConnectionState()
	if !isTLS && !isLoopback(s.ep.Host) {
		return errors.New("outbound: the server offers no TLS; refusing to send the SMTP password in clear")
	}
	if !c.SupportsAuth(sasl.Plain) {
		return errors.New("outbound: the server does not offer AUTH PLAIN")
	}
	return c.Auth(sasl.NewPlainClient("", s.ep.Username, s.ep.Password))
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
