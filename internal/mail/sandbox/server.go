package sandbox

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"

	"lumdesk/internal/platform/ids"
)

// Limits of what the sandbox accepts.
const (
	MaxMessageBytes = 10 << 20
	MaxRecipients   = 200
)

// Options configures a sandbox server.
type Options struct {
	Addr      string      // listen address; default 127.0.0.1:0 (a free port)
	Store     Store       // default: NewMemoryStore(DefaultCap)
	TLSConfig *tls.Config // when set, the server offers STARTTLS
	// ImplicitTLS makes the listener TLS from the first byte (smtps://);
	// it needs TLSConfig.
	ImplicitTLS bool
	Domain      string // the name in the greeting; default "sandbox.lumdesk.invalid"
	// Username and Password, when set, are the only AUTH PLAIN credentials
	// accepted; unset, any credentials (or none) are.
	Username, Password string
	Now                func() time.Time // default time.Now
}

// Reply is a scripted answer to RCPT TO for one recipient.
type Reply struct {
	Code    int    // 4xx or 5xx
	Message string // the reply text
	// Times is how many RCPTs get this answer before the recipient is
	// accepted again; 0 means until ClearReplies.
	Times int
}

// Server is a running sandbox inbox.
type Server struct {
	store Store
	now   func() time.Time
	smtp  *smtp.Server
	ln    net.Listener
	user  string
	pass  string

	mu      sync.Mutex
	replies map[string]*Reply

	conns    atomic.Int64
	stopOnce sync.Once
	stopCtx  func() bool
}

// Start listens and serves until ctx ends or Close is called.
func Start(ctx context.Context, opts Options) (*Server, error) {
	if opts.Addr == "" {
		opts.Addr = "127.0.0.1:0"
	}
	if opts.Store == nil {
		opts.Store = NewMemoryStore(DefaultCap)
	}
	if opts.Domain == "" {
		opts.Domain = "sandbox.lumdesk.invalid"
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	ln, err := net.Listen("tcp", opts.Addr)
	if err != nil {
		return nil, fmt.Errorf("sandbox: listen on %s: %w", opts.Addr, err)
	}
	if opts.ImplicitTLS {
		if opts.TLSConfig == nil {
			ln.Close()
			return nil, errors.New("sandbox: ImplicitTLS needs a TLSConfig")
		}
		ln = tls.NewListener(ln, opts.TLSConfig)
	}
	s := &Server{store: opts.Store, now: opts.Now, user: opts.Username, pass: opts.Password, replies: map[string]*Reply{}}
	s.ln = &countingListener{Listener: ln, n: &s.conns}
	srv := smtp.NewServer(s)
	srv.Domain = opts.Domain
	srv.TLSConfig = opts.TLSConfig
	srv.MaxMessageBytes = MaxMessageBytes
	srv.MaxRecipients = MaxRecipients
	srv.ReadTimeout = 60 * time.Second
	srv.WriteTimeout = 60 * time.Second
	// AUTH without TLS is fine on loopback, where nothing crosses a network,
	// and it lets `make run` exercise credentials without a certificate.
	srv.AllowInsecureAuth = isLoopbackAddr(ln.Addr())
	srv.ErrorLog = log.New(io.Discard, "", 0)
	s.smtp = srv
	go func() { _ = srv.Serve(s.ln) }()
	// The callback runs in its own goroutine, at once if ctx is already
	// done: it must not read stopCtx, which is assigned here after it is
	// registered.
	s.stopCtx = context.AfterFunc(ctx, func() { _ = s.shutdown() })
	return s, nil
}

// Addr is the host:port the server listens on.
func (s *Server) Addr() string { return s.ln.Addr().String() }

// URL is the LUMORA_SMTP_URL that delivers here.
func (s *Server) URL() string { return "smtp://" + s.Addr() }

// Store is where received messages go.
func (s *Server) Store() Store { return s.store }

// Connections counts the TCP connections accepted so far.
func (s *Server) Connections() int64 { return s.conns.Load() }

// Close stops listening and drops open sessions.
func (s *Server) Close() error {
	s.stopCtx()
	return s.shutdown()
}

// shutdown closes the SMTP server, once. It closes the listener itself
// too: go-smtp closes only the listeners its Serve has taken, and a close
// that came first (a context done at Start) left Serve to take this one
// afterwards and accept connections for good.
func (s *Server) shutdown() error {
	var err error
	s.stopOnce.Do(func() {
		err = errors.Join(ignoreClosed(s.ln.Close()), ignoreClosed(s.smtp.Close()))
	})
	return err
}

// ignoreClosed is err unless it says the listener was closed already.
func ignoreClosed(err error) error {
	if errors.Is(err, net.ErrClosed) || errors.Is(err, fs.ErrClosed) {
		return nil
	}
	return err
}

// SetReply makes RCPT TO for rcpt answer reply (a test helper: deferrals
// and bounces from a real SMTP server).
func (s *Server) SetReply(rcpt string, reply Reply) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := reply
	s.replies[strings.ToLower(rcpt)] = &r
}

// ClearReplies accepts every recipient again.
func (s *Server) ClearReplies() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.replies = map[string]*Reply{}
}

// scripted returns the scripted reply for rcpt, counting it down.
func (s *Server) scripted(rcpt string) *smtp.SMTPError {
	s.mu.Lock()
	defer s.mu.Unlock()
	key := strings.ToLower(rcpt)
	r, ok := s.replies[key]
	if !ok {
		return nil
	}
	if r.Times > 0 {
		r.Times--
		if r.Times == 0 {
			delete(s.replies, key)
		}
	}
	enh := smtp.EnhancedCode{r.Code / 100, 0, 0}
	return &smtp.SMTPError{Code: r.Code, EnhancedCode: enh, Message: r.Message}
}

// NewSession implements smtp.Backend.
func (s *Server) NewSession(c *smtp.Conn) (smtp.Session, error) {
	_, isTLS := c.TLSConnectionState()
	return &session{srv: s, tls: isTLS, authed: s.user == ""}, nil
}

type session struct {
	srv    *Server
	tls    bool
	authed bool
	from   string
	rcpts  []string
}

func (ss *session) AuthMechanisms() []string { return []string{sasl.Plain} }

func (ss *session) Auth(mech string) (sasl.Server, error) {
	if mech != sasl.Plain {
		return nil, smtp.ErrAuthUnknownMechanism
	}
	return sasl.NewPlainServer(func(identity, username, password string) error {
		if ss.srv.user != "" && (username != ss.srv.user || password != ss.srv.pass) {
			return smtp.ErrAuthFailed
		}
		ss.authed = true
		return nil
	}), nil
}

func (ss *session) Mail(from string, _ *smtp.MailOptions) error {
	if !ss.authed {
		return smtp.ErrAuthRequired
	}
	ss.from = from
	return nil
}

func (ss *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	if e := ss.srv.scripted(to); e != nil {
		return e
	}
	ss.rcpts = append(ss.rcpts, to)
	return nil
}

func (ss *session) Data(r io.Reader) error {
	var buf bytes.Buffer
	if _, err := io.Copy(&buf, r); err != nil {
		return err
	}
	m := Message{
		ID:         "sbx_" + ids.Token(16),
		ReceivedAt: ss.srv.now().UTC(),
		MailFrom:   ss.from,
		RcptTo:     append([]string(nil), ss.rcpts...),
		TLS:        ss.tls,
		Raw:        buf.Bytes(),
	}
	parse(&m)
	if err := ss.srv.store.Add(context.Background(), m); err != nil {
		return &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "Sandbox store unavailable"}
	}
	return nil
}

func (ss *session) Reset() { ss.from, ss.rcpts = "", nil }

func (ss *session) Logout() error { return nil }

type countingListener struct {
	net.Listener
	n *atomic.Int64
}

func (l *countingListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err == nil {
		l.n.Add(1)
	}
	return c, err
}

func isLoopbackAddr(a net.Addr) bool {
	ta, ok := a.(*net.TCPAddr)
	return ok && ta.IP.IsLoopback()
}
