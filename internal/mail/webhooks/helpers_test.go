package webhooks

import (
	"bytes"
	"context"
	"crypto/x509"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"

	"lumdesk/db/store"
	"lumdesk/internal/accounts"
	"lumdesk/internal/audit"
	"lumdesk/internal/platform/db"
	"lumdesk/internal/platform/dnstest"
	"lumdesk/internal/platform/secretbox"
	"lumdesk/internal/platform/testdb"
)

var (
	ctx = context.Background()
	cli = audit.CLI("test")
)

type fixture struct {
	db    *db.DB
	box   *secretbox.Box
	dns   *dnstest.Server
	acct  int64 // the account the tests act for
	other int64 // another customer
	app   int64 // an app of acct
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	d := db.New(testdb.New(t))
	box, err := secretbox.New(bytes.Repeat([]byte{7}, 32))
	if err != nil {
		t.Fatal(err)
	}
	f := &fixture{db: d, box: box, dns: dnstest.Start(t)}
	acc := accounts.NewService(d)
	for _, p := range []struct {
		id          *int64
		name, email string
	}{{&f.acct, "Acme", "ops@acme.test"}, {&f.other, "Globex", "ops@globex.test"}} {
		a, err := acc.Create(ctx, cli, accounts.CreateInput{Name: p.name, Email: p.email})
		if err != nil {
			t.Fatal(err)
		}
		*p.id = a.ID
	}
	app, err := d.InsertMailApp(ctx, store.InsertMailAppParams{AccountID: f.acct, Name: "Shop", Now: time.Now()})
	if err != nil {
		t.Fatal(err)
	}
	f.app = app.ID
	return f
}

// service makes a webhook service resolving through the test DNS server;
// allowPrivate as WEBHOOK_ALLOW_PRIVATE. A TLS receiver's certificate is
// trusted.
func (f *fixture) service(t *testing.T, set Settings, roots *x509.CertPool) *Service {
	t.Helper()
	set.Resolver = resolverOf(f.dns)
	set.RootCAs = roots
	s := NewService(f.db, f.box, set)
	s.SetLogger(slog.New(slog.NewTextHandler(io.Discard, nil)))
	return s
}

// enqueue records an event of the fixture's app in its own transaction.
func (f *fixture) enqueue(t *testing.T, s *Service, eventType string, data any) int {
	t.Helper()
	var n int
	err := pgx.BeginFunc(ctx, f.db.Pool, func(tx pgx.Tx) error {
		var err error
		n, err = s.Enqueue(ctx, tx, f.app, eventType, data)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// runner works delivery jobs like internal/jobs does, and reports each job
// that completes or fails.
type runner struct {
	events <-chan *river.Event
}

func startRunner(t *testing.T, f *fixture, s *Service) *runner {
	t.Helper()
	w := river.NewWorkers()
	s.Register(w)
	c, err := river.NewClient(riverpgxv5.New(f.db.Pool), &river.Config{
		Queues:            map[string]river.QueueConfig{river.QueueDefault: {MaxWorkers: 2}},
		Workers:           w,
		FetchPollInterval: 20 * time.Millisecond,
		FetchCooldown:     10 * time.Millisecond,
		TestOnly:          true,
		Logger:            slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	if err != nil {
		t.Fatal(err)
	}
	events, cancel := c.Subscribe(river.EventKindJobCompleted, river.EventKindJobFailed)
	t.Cleanup(cancel)
	if err := c.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		sctx, stop := context.WithTimeout(ctx, 10*time.Second)
		defer stop()
		_ = c.Stop(sctx)
	})
	return &runner{events: events}
}

// wait returns the next job event of the delivery that is final: completed,
// or failed for good (discarded).
func (r *runner) wait(t *testing.T, deliveryID int64) *river.Event {
	t.Helper()
	deadline := time.After(30 * time.Second)
	for {
		select {
		case ev := <-r.events:
			var a DeliverArgs
			if err := json.Unmarshal(ev.Job.EncodedArgs, &a); err != nil || a.DeliveryID != deliveryID {
				continue
			}
			if ev.Kind == river.EventKindJobCompleted || ev.Job.State == "discarded" {
				return ev
			}
		case <-deadline:
			t.Fatalf("delivery %d: no final job event within 30s", deliveryID)
		}
	}
}

// receiver is an HTTPS endpoint that records what it gets and answers with
// the next of its codes (the last one repeats).
type receiver struct {
	srv   *httptest.Server
	mu    sync.Mutex
	codes []int
	got   []received
	hits  chan struct{} // one value per request
}

type received struct {
	header http.Header
	body   []byte
	at     time.Time
}

func startReceiver(t *testing.T, codes ...int) *receiver {
	t.Helper()
	r := &receiver{codes: codes, hits: make(chan struct{}, 100)}
	r.srv = httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		r.mu.Lock()
		code := r.codes[min(len(r.got), len(r.codes)-1)]
		r.got = append(r.got, received{header: req.Header.Clone(), body: body, at: time.Now()})
		r.mu.Unlock()
		w.WriteHeader(code)
		select {
		case r.hits <- struct{}{}:
		default:
		}
	}))
	t.Cleanup(r.srv.Close)
	return r
}

func (r *receiver) roots() *x509.CertPool {
	p := x509.NewCertPool()
	p.AddCert(r.srv.Certificate())
	return p
}

func (r *receiver) requests() []received {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]received(nil), r.got...)
}

func (r *receiver) setCodes(codes ...int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.codes = append(make([]int, len(r.got)), codes...)
}

// resolverOf asks only the test's DNS server (the host names' A records
// change as a test goes: the DNS rebinding case).
func resolverOf(z *dnstest.Server) *net.Resolver {
	return &net.Resolver{PreferGo: true, Dial: func(ctx context.Context, _, _ string) (net.Conn, error) {
		return (&net.Dialer{}).DialContext(ctx, "udp", z.Addr)
	}}
}
