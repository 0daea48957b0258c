// Package webhooks sends Lumora's mail events (email.delivered,
// email.bounced, ...) to the HTTPS endpoints an app registers, signed the
// Standard Webhooks way, retried with backoff by River, with a log of every
// delivery and attempt and a replay action.
//
// Methods (scope is the caller's accounts.Scope, as in package mail: an
// endpoint or delivery of another account is not found, exactly as an
// unknown one):
//
//	Endpoints:  CreateEndpoint (the signing secret is returned once and
//	            stored sealed), GetEndpoint, FindEndpoint (deleted ones
//	            too, for the console), ListEndpoints, DeleteEndpoint
//	Events:     Enqueue (one delivery per subscribed endpoint and a River
//	            job each, in the caller's transaction)
//	Log:        ListDeliveries, ListDeliveriesWithStatus, GetDelivery,
//	            ListAttempts, Replay
//	River:      Register adds the delivery worker to a River workers bundle
//	Receivers:  Sign and Verify (what a receiver checks; tests use it)
//
// Webhook URLs must be https and resolve only to public addresses. The check
// runs when an endpoint is created and again when each connection is dialled
// (on the IP actually dialled), so a name that resolves elsewhere later (DNS
// rebinding) does not reach a private network. Settings.AllowPrivate
// (WEBHOOK_ALLOW_PRIVATE) lifts both checks and allows plain http, for
// tests and local development.
//
// This package imports nothing of package mail, so the send and delivery
// code there can call Enqueue.
package webhooks

import (
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"

	"lumdesk/internal/platform/apperr"
	"lumdesk/internal/platform/db"
	"lumdesk/internal/platform/secretbox"
)

// Event types an endpoint may subscribe to.
const (
	EventDelivered  = "email.delivered"
	EventBounced    = "email.bounced"
	EventDeferred   = "email.deferred"
	EventComplained = "email.complained"
	EventSuppressed = "email.suppressed"
)

// Events is every event type, in the order the console lists them.
var Events = []string{EventDelivered, EventBounced, EventDeferred, EventComplained, EventSuppressed}

// IsEvent reports whether t is an event type endpoints can subscribe to.
func IsEvent(t string) bool { return slices.Contains(Events, t) }

// Delivery statuses.
const (
	StatusPending   = "pending"   // waiting for its first attempt or a retry
	StatusDelivered = "delivered" // the endpoint answered 2xx
	StatusFailed    = "failed"    // attempts used up, or the endpoint was deleted
)

// Statuses are the delivery statuses, in the order filters list them.
var Statuses = []string{StatusPending, StatusDelivered, StatusFailed}

// Limits.
const (
	MaxURL             = 2048
	MaxEndpointsPerApp = 10
	DefaultTimeout     = 10 * time.Second
	DefaultMaxAttempts = 8
	MaxListLimit       = 200
	DefaultLimit       = 50
)

// KindDeliver is the River kind of a delivery attempt.
const KindDeliver = "mail.webhook_deliver"

// ValidationError maps input fields to messages (422 in every layer).
type ValidationError = apperr.FieldErrors

// Errors returned to the HTTP layers.
var (
	ErrAppNotFound      = apperr.NotFound("app not found")
	ErrEndpointNotFound = apperr.NotFound("webhook endpoint not found")
	ErrDeliveryNotFound = apperr.NotFound("webhook delivery not found")
	// ErrDeliveryPending: a replay of a delivery River is still retrying.
	ErrDeliveryPending = errors.New("the delivery is still being retried; replay it once it has been delivered or has failed")
	// ErrEndpointDeleted: a replay to a deleted endpoint.
	ErrEndpointDeleted = errors.New("the webhook endpoint was deleted")
)

// Settings tune the service; zero values take the defaults.
type Settings struct {
	// AllowPrivate (WEBHOOK_ALLOW_PRIVATE) accepts plain http and hosts on
	// loopback, private and other non-public addresses.
	AllowPrivate bool
	// Timeout bounds one attempt, connection to last byte (default 10s).
	Timeout time.Duration
	// MaxAttempts is how often a delivery is tried before it fails (default 8).
	MaxAttempts int
	// Backoff is the wait after failed attempt n (1-based) before the next;
	// nil: DefaultBackoff. Tests shorten it.
	Backoff func(attempt int) time.Duration
	// Resolver resolves endpoint host names, at creation and when dialling
	// (nil: the system resolver). Tests point it at an in-process DNS server.
	Resolver *net.Resolver
	// RootCAs verifies endpoints' certificates (nil: the system roots).
	RootCAs *x509.CertPool
}

// DefaultBackoff waits 5s, 5m, 30m, 2h, 5h, 10h, 10h between attempts (the
// Svix schedule): a receiver down for a deploy gets the event within
// minutes, one down for a day still gets it.
func DefaultBackoff(attempt int) time.Duration {
	steps := []time.Duration{5 * time.Second, 5 * time.Minute, 30 * time.Minute, 2 * time.Hour, 5 * time.Hour, 10 * time.Hour}
	if attempt < 1 {
		attempt = 1
	}
	if attempt > len(steps) {
		return steps[len(steps)-1]
	}
	return steps[attempt-1]
}

// Service is the webhook service.
type Service struct {
	db       *db.DB
	box      *secretbox.Box
	set      Settings
	resolver *net.Resolver
	client   *http.Client
	inserter *river.Client[pgx.Tx] // enqueues in our and our callers' transactions; works no job
	log      *slog.Logger
	now      func() time.Time
}

// NewService makes the service. box seals the signing secrets.
func NewService(d *db.DB, box *secretbox.Box, set Settings) *Service {
	if set.Timeout <= 0 {
		set.Timeout = DefaultTimeout
	}
	if set.MaxAttempts <= 0 {
		set.MaxAttempts = DefaultMaxAttempts
	}
	if set.Backoff == nil {
		set.Backoff = DefaultBackoff
	}
	s := &Service{db: d, box: box, set: set, resolver: set.Resolver, log: slog.Default(), now: time.Now}
	if s.resolver == nil {
		s.resolver = net.DefaultResolver
	}
	s.client = s.newClient()
	// An insert-only client (no workers): the runner in internal/jobs works
	// the jobs, after Register.
	c, err := river.NewClient(riverpgxv5.New(d.Pool), &river.Config{})
	if err != nil {
		panic(fmt.Sprintf("webhooks: river client: %v", err)) // only a programming error gets here
	}
	s.inserter = c
	return s
}

// WithClock returns a copy reading the time from now (tests).
func (s *Service) WithClock(now func() time.Time) *Service {
	c := *s
	c.now = now
	return &c
}

// SetLogger sets where failed attempts are logged.
func (s *Service) SetLogger(l *slog.Logger) {
	if l != nil {
		s.log = l
	}
}

// Settings are what the service was made with (defaults filled in).
func (s *Service) Settings() Settings { return s.set }

func (s *Service) clock() time.Time { return s.now().UTC().Truncate(time.Microsecond) }

// wrap says where an unexpected error came from; the package's own answers
// pass unchanged, as callers show their text to people.
func wrap(errp *error, format string, args ...any) {
	if *errp == nil {
		return
	}
	var fe apperr.FieldErrors
	var nf interface{ NotFound() bool }
	if errors.As(*errp, &fe) || (errors.As(*errp, &nf) && nf.NotFound()) ||
		errors.Is(*errp, ErrDeliveryPending) || errors.Is(*errp, ErrEndpointDeleted) {
		return
	}
	*errp = fmt.Errorf(format+": %w", append(args, *errp)...)
}
