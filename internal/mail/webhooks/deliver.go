package webhooks

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"

	"lumdesk/db/store"
	"lumdesk/internal/accounts"
	"lumdesk/internal/audit"
	"lumdesk/internal/platform/clip"
	"lumdesk/internal/platform/db"
	"lumdesk/internal/platform/ids"
)

// Delivery is one event sent (or being sent) to one endpoint.
type Delivery struct {
	ID            int64           `json:"id"`
	EndpointID    string          `json:"endpoint_id"` // the endpoint's public id
	EventID       string          `json:"event_id"`    // the webhook-id header: msg_...
	EventType     string          `json:"event_type"`
	Payload       json.RawMessage `json:"payload"` // the body sent
	Status        string          `json:"status"`
	Attempts      int             `json:"attempts"`
	ResponseCode  *int            `json:"response_code"` // of the last attempt; nil: no answer
	LatencyMs     *int            `json:"latency_ms"`    // of the last attempt
	LastError     string          `json:"last_error"`
	NextAttemptAt *time.Time      `json:"next_attempt_at"`
	CreatedAt     time.Time       `json:"created_at"`
	DeliveredAt   *time.Time      `json:"delivered_at"`
}

func deliveryFromRow(r store.MailWebhookDelivery, endpoint string) Delivery {
	return Delivery{ID: r.ID, EndpointID: endpoint, EventID: r.EventID, EventType: r.EventType, Payload: r.Payload,
		Status: r.Status, Attempts: int(r.Attempts), ResponseCode: intp(r.ResponseCode), LatencyMs: intp(r.LatencyMs),
		LastError: r.LastError, NextAttemptAt: utc(r.NextAttemptAt), CreatedAt: r.CreatedAt.UTC(), DeliveredAt: utc(r.DeliveredAt)}
}

// Attempt is one try of a delivery.
type Attempt struct {
	Attempt      int       `json:"attempt"`       // 1, 2, ... over the delivery's life
	ResponseCode *int      `json:"response_code"` // nil: no answer (refused, timed out, ...)
	LatencyMs    int       `json:"latency_ms"`
	Error        string    `json:"error"`
	At           time.Time `json:"at"`
}

func intp(p *int32) *int {
	if p == nil {
		return nil
	}
	n := int(*p)
	return &n
}

// DeliverArgs is River's side of a delivery: which row to attempt.
type DeliverArgs struct {
	DeliveryID int64 `json:"delivery_id"`
}

// Kind is the River job kind.
func (DeliverArgs) Kind() string { return KindDeliver }

// envelope is the body every endpoint receives.
type envelope struct {
	Type      string          `json:"type"`
	CreatedAt string          `json:"created_at"`
	Data      json.RawMessage `json:"data"`
}

// Enqueue records an event of an app for every live endpoint subscribed to
// its type, and a River job for each, in the caller's transaction: the
// event exists exactly when the change that caused it commits. data is the
// event's "data" object (any value that marshals to a JSON object). It
// returns the number of deliveries made (0: nobody subscribed).
func (s *Service) Enqueue(ctx context.Context, tx pgx.Tx, appID int64, eventType string, data any) (int, error) {
	if !IsEvent(eventType) {
		return 0, fmt.Errorf("webhooks: enqueue: unknown event type %q", eventType)
	}
	q := store.New(tx)
	endpoints, err := q.ListMailWebhookSubscribers(ctx, store.ListMailWebhookSubscribersParams{AppID: appID, EventType: eventType})
	if err != nil || len(endpoints) == 0 {
		return 0, wrapEnqueue(err)
	}
	raw, err := json.Marshal(data)
	if err != nil {
		return 0, fmt.Errorf("webhooks: enqueue %s: data: %w", eventType, err)
	}
	if len(raw) == 0 || raw[0] != '{' {
		return 0, fmt.Errorf("webhooks: enqueue %s: data is not a JSON object", eventType)
	}
	now := s.clock()
	body, err := json.Marshal(envelope{Type: eventType, CreatedAt: now.Format("2006-01-02T15:04:05.000Z07:00"), Data: raw})
	if err != nil {
		return 0, fmt.Errorf("webhooks: enqueue %s: %w", eventType, err)
	}
	// One id for the event at every endpoint, kept through retries and
	// replays: receivers deduplicate on webhook-id.
	eventID := "msg_" + ids.Token(24)
	jobs := make([]river.InsertManyParams, 0, len(endpoints))
	for _, ep := range endpoints {
		d, err := q.InsertMailWebhookDelivery(ctx, store.InsertMailWebhookDeliveryParams{EndpointID: ep, EventID: eventID,
			EventType: eventType, Payload: body, Now: now})
		if err != nil {
			return 0, wrapEnqueue(err)
		}
		jobs = append(jobs, river.InsertManyParams{Args: DeliverArgs{DeliveryID: d.ID}, InsertOpts: s.insertOpts()})
	}
	if _, err := s.inserter.InsertManyTx(ctx, tx, jobs); err != nil {
		return 0, wrapEnqueue(err)
	}
	return len(jobs), nil
}

func wrapEnqueue(err error) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("webhooks: enqueue: %w", err)
}

func (s *Service) insertOpts() *river.InsertOpts {
	return &river.InsertOpts{MaxAttempts: s.set.MaxAttempts}
}

// Register adds the delivery worker to a River workers bundle (the runner
// of internal/jobs).
func (s *Service) Register(w *river.Workers) { river.AddWorker(w, &worker{s: s}) }

type worker struct {
	river.WorkerDefaults[DeliverArgs]
	s *Service
}

// Timeout: the attempt's own timeout bounds the network; the rest is two
// short queries.
func (w *worker) Timeout(*river.Job[DeliverArgs]) time.Duration {
	return w.s.set.Timeout + 30*time.Second
}

// NextRetry follows the service's backoff rather than River's default, so
// the schedule is ours (and tests can shorten it).
func (w *worker) NextRetry(j *river.Job[DeliverArgs]) time.Time {
	return time.Now().Add(w.s.set.Backoff(j.Attempt))
}

func (w *worker) Work(ctx context.Context, j *river.Job[DeliverArgs]) error {
	err := w.s.attempt(ctx, j.Args.DeliveryID, j.Attempt, j.MaxAttempts)
	if err != nil && j.Attempt < j.MaxAttempts {
		w.s.log.Warn("webhook delivery attempt failed", "delivery_id", j.Args.DeliveryID, "attempt", j.Attempt, "err", err)
	}
	return err
}

// errPlainHTTP refuses a delivery over plain http.
var errPlainHTTP = errors.New("refused to send over plain http: webhooks go to https URLs only")

// errNotDelivered is an attempt the endpoint did not accept.
type errNotDelivered struct{ msg string }

func (e errNotDelivered) Error() string { return e.msg }

// attempt sends a delivery once and records the outcome. jobAttempt and
// maxAttempts are River's count for the current job: the last one that
// fails marks the delivery failed. A non-nil error makes River retry.
func (s *Service) attempt(ctx context.Context, deliveryID int64, jobAttempt, maxAttempts int) error {
	row, err := s.db.GetMailWebhookDeliveryForSend(ctx, deliveryID)
	if db.IsNotFound(err) {
		return nil // nothing to send; a job without its row cannot come back
	} else if err != nil {
		return fmt.Errorf("webhook delivery %d: %w", deliveryID, err)
	}
	if row.Status != StatusPending {
		return nil // a duplicate job of a delivery already settled
	}
	if row.EndpointDisabledAt != nil {
		return s.db.FailMailWebhookDelivery(ctx, store.FailMailWebhookDeliveryParams{ID: deliveryID, LastError: "endpoint deleted"})
	}
	var code int
	var latency time.Duration
	secret, sendErr := s.box.Open(row.SecretSealed, secretContext(row.EndpointPublicID))
	if sendErr != nil {
		// Recorded like any failed attempt, so the log says why nothing was sent.
		sendErr = fmt.Errorf("the signing secret does not open (master key changed?): %w", sendErr)
	} else {
		code, latency, sendErr = s.post(ctx, row.Url, row.EventID, string(secret), row.Payload)
	}
	status := StatusDelivered
	var next *time.Time
	if sendErr != nil {
		status = StatusFailed
		if jobAttempt < maxAttempts {
			status = StatusPending
			t := s.clock().Add(s.set.Backoff(jobAttempt))
			next = &t
		}
	}
	p := store.RecordMailWebhookAttemptParams{ID: deliveryID, Status: status, NextAttemptAt: next, Now: s.clock(),
		LatencyMs: int32(min(latency.Milliseconds(), 1<<31-1))}
	if code != 0 {
		c := int32(code)
		p.ResponseCode = &c
	}
	if sendErr != nil {
		p.Error = truncate(sendErr.Error(), 500)
	}
	// The outcome is recorded even when the job's context has ended: the
	// request went out.
	if _, err := s.db.RecordMailWebhookAttempt(context.WithoutCancel(ctx), p); err != nil {
		return fmt.Errorf("webhook delivery %d: record attempt: %w", deliveryID, err)
	}
	return sendErr
}

// post sends one signed request and says how it went: the status code (0:
// no answer), the time to the answer's headers and, unless it is a 2xx,
// why the delivery did not succeed.
func (s *Service) post(ctx context.Context, url, id, secret string, body []byte) (int, time.Duration, error) {
	// A URL stored while WEBHOOK_ALLOW_PRIVATE was on may be plain http.
	if !s.set.AllowPrivate && !strings.HasPrefix(url, "https://") {
		return 0, 0, errPlainHTTP
	}
	ts := s.clock()
	sig, err := Sign(secret, id, ts, body)
	if err != nil {
		return 0, 0, err
	}
	ctx, cancel := context.WithTimeout(ctx, s.set.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return 0, 0, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "Lumora-Webhooks/1")
	for name, v := range map[string]string{HeaderID: id, HeaderTimestamp: strconv.FormatInt(ts.Unix(), 10), HeaderSignature: sig} {
		req.Header.Set(name, v)
		req.Header.Set(SvixHeaders[name], v)
	}
	start := time.Now()
	resp, err := s.client.Do(req)
	latency := time.Since(start)
	if err != nil {
		var be *blockedError
		if errors.As(err, &be) {
			return 0, latency, be // the short reason, without the URL and dial details around it
		}
		return 0, latency, err
	}
	// Read a little of the body so the connection can be reused; the rest
	// is not ours to wait for.
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	_ = resp.Body.Close()
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return resp.StatusCode, latency, errNotDelivered{"the endpoint answered " + resp.Status}
	}
	return resp.StatusCode, latency, nil
}

// truncate cuts s to n characters and marks the cut.
func truncate(s string, n int) string {
	if cut := clip.Chars(s, n); cut != s {
		return cut + "..."
	}
	return s
}

// ListDeliveries is an endpoint's delivery log, newest first; beforeID (0:
// from the newest) continues after the last id of the previous page. A
// deleted endpoint's log stays readable.
func (s *Service) ListDeliveries(ctx context.Context, scope accounts.Scope, endpointID string, beforeID int64, limit int) (_ []Delivery, err error) {
	return s.ListDeliveriesWithStatus(ctx, scope, endpointID, "", beforeID, limit)
}

// ListDeliveriesWithStatus is ListDeliveries keeping one status (one of
// StatusPending, StatusDelivered, StatusFailed; "": every status).
func (s *Service) ListDeliveriesWithStatus(ctx context.Context, scope accounts.Scope, endpointID, status string, beforeID int64, limit int) (_ []Delivery, err error) {
	defer wrap(&err, "list webhook deliveries of %s", endpointID)
	var st *string
	switch status {
	case "":
	case StatusPending, StatusDelivered, StatusFailed:
		st = &status
	default:
		return nil, ValidationError{"status": "Choose a status: " + strings.Join(Statuses, ", ") + "."}
	}
	if !strings.HasPrefix(endpointID, "ep_") || len(endpointID) > 64 {
		return nil, ErrEndpointNotFound
	}
	r, err := s.db.GetMailWebhookEndpointByPublicID(ctx, endpointID)
	if db.IsNotFound(err) || (err == nil && !scope.Allows(r.AccountID)) {
		return nil, ErrEndpointNotFound
	} else if err != nil {
		return nil, err
	}
	if limit <= 0 {
		limit = DefaultLimit
	}
	var before *int64
	if beforeID > 0 {
		before = &beforeID
	}
	rows, err := s.db.ListMailWebhookDeliveries(ctx, store.ListMailWebhookDeliveriesParams{EndpointID: r.ID,
		Limit: int32(min(limit, MaxListLimit)), BeforeID: before, Status: st})
	if err != nil {
		return nil, err
	}
	out := make([]Delivery, len(rows))
	for i, d := range rows {
		out[i] = deliveryFromRow(d, r.PublicID)
	}
	return out, nil
}

// GetDelivery is one delivery, if it is inside the scope.
func (s *Service) GetDelivery(ctx context.Context, scope accounts.Scope, id int64) (_ Delivery, err error) {
	defer wrap(&err, "get webhook delivery %d", id)
	r, err := s.db.GetMailWebhookDelivery(ctx, id)
	if db.IsNotFound(err) || (err == nil && !scope.Allows(r.AccountID)) {
		return Delivery{}, ErrDeliveryNotFound
	} else if err != nil {
		return Delivery{}, err
	}
	return deliveryFromRow(deliveryOf(r), r.EndpointPublicID), nil
}

func deliveryOf(r store.GetMailWebhookDeliveryRow) store.MailWebhookDelivery {
	return store.MailWebhookDelivery{ID: r.ID, EndpointID: r.EndpointID, EventID: r.EventID, EventType: r.EventType,
		Payload: r.Payload, Status: r.Status, Attempts: r.Attempts, ResponseCode: r.ResponseCode, LatencyMs: r.LatencyMs,
		LastError: r.LastError, NextAttemptAt: r.NextAttemptAt, CreatedAt: r.CreatedAt, DeliveredAt: r.DeliveredAt}
}

// ListAttempts is every attempt of a delivery, first first.
func (s *Service) ListAttempts(ctx context.Context, scope accounts.Scope, deliveryID int64) (_ []Attempt, err error) {
	defer wrap(&err, "list attempts of webhook delivery %d", deliveryID)
	if _, err := s.GetDelivery(ctx, scope, deliveryID); err != nil {
		return nil, err
	}
	rows, err := s.db.ListMailWebhookAttempts(ctx, deliveryID)
	if err != nil {
		return nil, err
	}
	out := make([]Attempt, len(rows))
	for i, a := range rows {
		out[i] = Attempt{Attempt: int(a.Attempt), ResponseCode: intp(a.ResponseCode), LatencyMs: int(a.LatencyMs),
			Error: a.Error, At: a.CreatedAt.UTC()}
	}
	return out, nil
}

// Replay sends a delivered or failed delivery again, as new attempts of the
// same event (same webhook-id, same body, a fresh timestamp and signature),
// with a fresh round of retries.
func (s *Service) Replay(ctx context.Context, actor audit.Actor, scope accounts.Scope, deliveryID int64) (_ Delivery, err error) {
	defer wrap(&err, "replay webhook delivery %d", deliveryID)
	var out Delivery
	err = pgx.BeginFunc(ctx, s.db.Pool, func(tx pgx.Tx) error {
		q := store.New(tx)
		r, err := q.GetMailWebhookDelivery(ctx, deliveryID)
		if db.IsNotFound(err) || (err == nil && !scope.Allows(r.AccountID)) {
			return ErrDeliveryNotFound
		} else if err != nil {
			return err
		}
		ep, err := q.GetMailWebhookEndpointByPublicID(ctx, r.EndpointPublicID)
		if err != nil {
			return err
		}
		if ep.DisabledAt != nil {
			return ErrEndpointDeleted
		}
		row, err := q.ResetMailWebhookDelivery(ctx, store.ResetMailWebhookDeliveryParams{ID: deliveryID, Now: s.clock()})
		if db.IsNotFound(err) {
			return ErrDeliveryPending
		} else if err != nil {
			return err
		}
		if _, err := s.inserter.InsertTx(ctx, tx, DeliverArgs{DeliveryID: deliveryID}, s.insertOpts()); err != nil {
			return err
		}
		out = deliveryFromRow(row, r.EndpointPublicID)
		return audit.Record(ctx, q, actor, audit.Event{Action: "mail_webhook.replay", EntityType: audit.EntityMailWebhookDelivery,
			EntityID: strconv.FormatInt(deliveryID, 10), Before: deliveryFromRow(deliveryOf(r), r.EndpointPublicID), After: out})
	})
	if err != nil {
		return Delivery{}, err
	}
	return out, nil
}
