package webhooks

import (
	"context"
	"slices"
	"strconv"
	"strings"
	"time"

	"lumdesk/db/store"
	"lumdesk/internal/accounts"
	"lumdesk/internal/audit"
	"lumdesk/internal/platform/db"
	"lumdesk/internal/platform/ids"
)

// Endpoint is where an app's events go.
type Endpoint struct {
	ID         string     `json:"id"` // public: ep_ and 24 letters and digits
	AppID      int64      `json:"app_id"`
	URL        string     `json:"url"`
	Events     []string   `json:"events"`
	CreatedAt  time.Time  `json:"created_at"`
	DisabledAt *time.Time `json:"disabled_at,omitempty"` // set once deleted
	rowID      int64
}

func endpointFromRow(r store.MailWebhookEndpoint) Endpoint {
	return Endpoint{ID: r.PublicID, AppID: r.AppID, URL: r.Url, Events: r.Events, CreatedAt: r.CreatedAt.UTC(),
		DisabledAt: utc(r.DisabledAt), rowID: r.ID}
}

// CreatedEndpoint is a new endpoint with its signing secret, which is shown
// this once.
type CreatedEndpoint struct {
	Endpoint
	Secret string `json:"secret"` // whsec_...
}

// EndpointInput creates an endpoint.
type EndpointInput struct {
	URL    string
	Events []string // at least one of Events
}

// secretContext binds a sealed secret to its endpoint.
func secretContext(publicID string) string { return "mail_webhook_secret:" + publicID }

// CreateEndpoint registers an endpoint of an app of the scope's account and
// returns it with its signing secret.
func (s *Service) CreateEndpoint(ctx context.Context, actor audit.Actor, scope accounts.Scope, appID int64, in EndpointInput) (_ CreatedEndpoint, err error) {
	defer wrap(&err, "create webhook endpoint")
	if _, err := s.app(ctx, scope, appID); err != nil {
		return CreatedEndpoint{}, err
	}
	fe := ValidationError{}
	u, msg := s.checkURL(ctx, in.URL)
	if msg != "" {
		fe["url"] = msg
	}
	events, msg := checkEvents(in.Events)
	if msg != "" {
		fe["events"] = msg
	}
	if len(fe) > 0 {
		return CreatedEndpoint{}, fe
	}
	publicID := "ep_" + ids.Token(24)
	secret := NewSecret()
	var row store.MailWebhookEndpoint
	err = s.db.Tx(ctx, func(q *store.Queries) error {
		// The app row's lock orders concurrent creates, so the limit holds.
		if _, err := q.LockMailAppForWebhooks(ctx, appID); err != nil {
			return err
		}
		n, err := q.CountMailWebhookEndpoints(ctx, appID)
		if err != nil {
			return err
		}
		if n >= MaxEndpointsPerApp {
			return ValidationError{"url": "This app already has " + strconv.Itoa(MaxEndpointsPerApp) + " webhook endpoints; delete one first."}
		}
		row, err = q.InsertMailWebhookEndpoint(ctx, store.InsertMailWebhookEndpointParams{AppID: appID, PublicID: publicID,
			Url: u, Events: events, SecretSealed: s.box.Seal([]byte(secret), secretContext(publicID)), Now: s.clock()})
		if err != nil {
			return err
		}
		return audit.Record(ctx, q, actor, audit.Event{Action: "mail_webhook.create", EntityType: audit.EntityMailWebhook,
			EntityID: publicID, After: endpointFromRow(row)})
	})
	if err != nil {
		return CreatedEndpoint{}, err
	}
	return CreatedEndpoint{Endpoint: endpointFromRow(row), Secret: secret}, nil
}

// checkEvents: at least one known event type; returned sorted in the order
// of Events, without repeats.
func checkEvents(in []string) ([]string, string) {
	if len(in) == 0 {
		return nil, "Choose at least one event: " + strings.Join(Events, ", ") + "."
	}
	for _, e := range in {
		if !IsEvent(strings.TrimSpace(e)) {
			if len(e) > 64 {
				e = e[:64] + "..."
			}
			return nil, strconv.Quote(e) + " is not an event; use " + strings.Join(Events, ", ") + "."
		}
	}
	var out []string
	for _, e := range Events {
		if slices.ContainsFunc(in, func(x string) bool { return strings.TrimSpace(x) == e }) {
			out = append(out, e)
		}
	}
	return out, ""
}

// app checks that the app exists inside the scope.
func (s *Service) app(ctx context.Context, scope accounts.Scope, appID int64) (store.MailApp, error) {
	row, err := s.db.GetMailApp(ctx, appID)
	if db.IsNotFound(err) || (err == nil && !scope.Allows(row.AccountID)) {
		return store.MailApp{}, ErrAppNotFound
	}
	return row, err
}

// GetEndpoint is a live endpoint, if it is inside the scope.
func (s *Service) GetEndpoint(ctx context.Context, scope accounts.Scope, id string) (_ Endpoint, err error) {
	defer wrap(&err, "get webhook endpoint %s", id)
	row, err := s.endpoint(ctx, scope, id)
	if err != nil {
		return Endpoint{}, err
	}
	return endpointFromRow(row), nil
}

// FindEndpoint is an endpoint inside the scope, a deleted one included
// (DisabledAt set): the console keeps showing a deleted endpoint's log.
func (s *Service) FindEndpoint(ctx context.Context, scope accounts.Scope, id string) (_ Endpoint, err error) {
	defer wrap(&err, "find webhook endpoint %s", id)
	if !strings.HasPrefix(id, "ep_") || len(id) > 64 {
		return Endpoint{}, ErrEndpointNotFound
	}
	r, err := s.db.GetMailWebhookEndpointByPublicID(ctx, id)
	if db.IsNotFound(err) || (err == nil && !scope.Allows(r.AccountID)) {
		return Endpoint{}, ErrEndpointNotFound
	} else if err != nil {
		return Endpoint{}, err
	}
	return endpointFromRow(store.MailWebhookEndpoint{ID: r.ID, AppID: r.AppID, PublicID: r.PublicID, Url: r.Url, Events: r.Events,
		CreatedAt: r.CreatedAt, DisabledAt: r.DisabledAt}), nil
}

func (s *Service) endpoint(ctx context.Context, scope accounts.Scope, id string) (store.MailWebhookEndpoint, error) {
	if !strings.HasPrefix(id, "ep_") || len(id) > 64 {
		return store.MailWebhookEndpoint{}, ErrEndpointNotFound
	}
	r, err := s.db.GetMailWebhookEndpointByPublicID(ctx, id)
	if db.IsNotFound(err) || (err == nil && (!scope.Allows(r.AccountID) || r.DisabledAt != nil)) {
		return store.MailWebhookEndpoint{}, ErrEndpointNotFound
	} else if err != nil {
		return store.MailWebhookEndpoint{}, err
	}
	return store.MailWebhookEndpoint{ID: r.ID, AppID: r.AppID, PublicID: r.PublicID, Url: r.Url, Events: r.Events,
		SecretSealed: r.SecretSealed, CreatedAt: r.CreatedAt, DisabledAt: r.DisabledAt}, nil
}

// ListEndpoints is an app's live endpoints, oldest first.
func (s *Service) ListEndpoints(ctx context.Context, scope accounts.Scope, appID int64) (_ []Endpoint, err error) {
	defer wrap(&err, "list webhook endpoints of app %d", appID)
	if _, err := s.app(ctx, scope, appID); err != nil {
		return nil, err
	}
	rows, err := s.db.ListMailWebhookEndpoints(ctx, appID)
	if err != nil {
		return nil, err
	}
	out := make([]Endpoint, len(rows))
	for i, r := range rows {
		out[i] = endpointFromRow(r)
	}
	return out, nil
}

// DeleteEndpoint stops an endpoint: nothing more is sent to it, pending
// deliveries fail, and its delivery log stays readable by the console.
func (s *Service) DeleteEndpoint(ctx context.Context, actor audit.Actor, scope accounts.Scope, id string) (err error) {
	defer wrap(&err, "delete webhook endpoint %s", id)
	before, err := s.endpoint(ctx, scope, id)
	if err != nil {
		return err
	}
	return s.db.Tx(ctx, func(q *store.Queries) error {
		row, err := q.DisableMailWebhookEndpoint(ctx, store.DisableMailWebhookEndpointParams{ID: before.ID, Now: s.clock()})
		if db.IsNotFound(err) {
			return ErrEndpointNotFound // deleted meanwhile
		} else if err != nil {
			return err
		}
		return audit.Record(ctx, q, actor, audit.Event{Action: "mail_webhook.delete", EntityType: audit.EntityMailWebhook,
			EntityID: id, Before: endpointFromRow(before), After: endpointFromRow(row)})
	})
}

func utc(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	u := t.UTC()
	return &u
}
