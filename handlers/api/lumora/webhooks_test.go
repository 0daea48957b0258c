package lumora_test

import (
	"crypto/x509"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"lumdesk/internal/mail/webhooks"
	"lumdesk/internal/platform/config"
)

func allowPrivate(c *config.Config) { c.WebhookAllowPrivate = true }

type hook struct {
	header http.Header
	body   []byte
}

// receiver is an HTTPS endpoint on loopback passing each request it gets on.
func receiver(t *testing.T) (*httptest.Server, <-chan hook) {
	got := make(chan hook, 8)
	srv := httptest.NewTLSServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		got <- hook{header: r.Header.Clone(), body: body}
		rw.WriteHeader(http.StatusNoContent)
	}))
	t.Cleanup(srv.Close)
	return srv, got
}

func TestWebhooksAPI(t *testing.T) {
	t.Parallel()
	w := newWorld(t, allowPrivate)
	srv, _ := receiver(t)
	r := w.call("POST", "/api/lumora/v1/webhooks", w.key, `{"url": "`+srv.URL+`/hooks", "events": ["email.bounced", "email.delivered"]}`)
	id := r.str("id")
	if r.Status != 201 || !strings.HasPrefix(id, "ep_") || !strings.HasPrefix(r.str("secret"), "whsec_") || r.str("url") != srv.URL+"/hooks" {
		t.Fatalf("create: %d %s", r.Status, r.Raw)
	}
	if ev, _ := r.Body["events"].([]any); len(ev) != 2 || ev[0] != "email.delivered" {
		t.Errorf("events: %s", r.Raw)
	}
	list := w.call("GET", "/api/lumora/v1/webhooks", w.key, "")
	data, _ := list.Body["data"].([]any)
	if list.Status != 200 || len(data) != 1 || strings.Contains(list.Raw, "whsec_") {
		t.Fatalf("list: %s", list.Raw)
	}
	if other := w.call("GET", "/api/lumora/v1/webhooks", w.other, ""); !strings.Contains(other.Raw, `"data":[]`) {
		t.Errorf("another app's list: %s", other.Raw)
	}
	for name, body := range map[string]string{
		"no events":     `{"url": "` + srv.URL + `"}`,
		"unknown event": `{"url": "` + srv.URL + `", "events": ["email.opened"]}`,
		"events type":   `{"url": "` + srv.URL + `", "events": "email.delivered"}`,
		"bad url":       `{"url": "not a url", "events": ["email.delivered"]}`,
		"unknown field": `{"url": "` + srv.URL + `", "events": ["email.delivered"], "secret": "x"}`,
	} {
		wantErr(t, name, w.call("POST", "/api/lumora/v1/webhooks", w.key, body), 422, "validation_error")
	}
	readOnly := w.apiKey(w.app, []string{"email:read"}, 0)
	wantErr(t, "create with email:read only", w.call("POST", "/api/lumora/v1/webhooks", readOnly, `{"url": "`+srv.URL+`", "events": ["email.delivered"]}`), 403, "forbidden_scope")
	wantErr(t, "delete with email:read only", w.call("DELETE", "/api/lumora/v1/webhooks/"+id, readOnly, ""), 403, "forbidden_scope")
	if r := w.call("GET", "/api/lumora/v1/webhooks", readOnly, ""); r.Status != 200 {
		t.Errorf("list with email:read: %s", r.Raw)
	}
	wantErr(t, "another app's endpoint", w.call("DELETE", "/api/lumora/v1/webhooks/"+id, w.other, ""), 404, "not_found")
	if d := w.call("DELETE", "/api/lumora/v1/webhooks/"+id, w.key, ""); d.Status != 200 || d.Body["deleted"] != true {
		t.Fatalf("delete: %s", d.Raw)
	}
	wantErr(t, "deleted", w.call("DELETE", "/api/lumora/v1/webhooks/"+id, w.key, ""), 404, "not_found")
	wantErr(t, "unknown", w.call("DELETE", "/api/lumora/v1/webhooks/ep_nope", w.key, ""), 404, "not_found")
}

// A delivered message reaches a subscribed endpoint as a signed
// email.delivered event that verifies with the secret shown at creation.
func TestWebhookReceivesSignedDeliveredEvent(t *testing.T) {
	t.Parallel()
	w := newWorld(t, allowPrivate)
	srv, got := receiver(t)
	svc := w.env.Services
	// The runner delivers through s.Webhooks; this one trusts the receiver's certificate.
	roots := x509.NewCertPool()
	roots.AddCert(srv.Certificate())
	svc.Webhooks = webhooks.NewService(svc.DB, svc.Box, webhooks.Settings{AllowPrivate: true, RootCAs: roots})
	done := w.startDelivery()

	ep := w.call("POST", "/api/lumora/v1/webhooks", w.key, `{"url": "`+srv.URL+`/hooks", "events": ["email.delivered"]}`)
	if ep.Status != 201 {
		t.Fatalf("create endpoint: %s", ep.Raw)
	}
	r := w.call("POST", "/api/lumora/v1/email/send", w.key, welcome)
	if r.Status != 200 {
		t.Fatalf("send: %s", r.Raw)
	}
	w.waitDelivery(done)
	var h hook
	select {
	case h = <-got:
	case <-time.After(30 * time.Second):
		t.Fatal("no webhook arrived")
	}
	if err := webhooks.Verify(ep.str("secret"), h.header, h.body, time.Now()); err != nil {
		t.Fatalf("signature: %v", err)
	}
	var ev struct {
		Type string `json:"type"`
		Data struct {
			MessageID    string `json:"message_id"`
			Recipient    string `json:"recipient"`
			Status       string `json:"status"`
			SMTPCode     int    `json:"smtp_code"`
			SMTPResponse string `json:"smtp_response"`
			At           string `json:"at"`
		} `json:"data"`
	}
	if err := json.Unmarshal(h.body, &ev); err != nil {
		t.Fatal(err)
	}
	d := ev.Data
	if ev.Type != "email.delivered" || d.MessageID != r.str("messageId") || d.Recipient != "jordan@globex.test" ||
		d.Status != "delivered" || d.SMTPCode != 250 || d.At == "" {
		t.Fatalf("event: %s", h.body)
	}
	if err := webhooks.Verify(ep.str("secret"), h.header, append(h.body, ' '), time.Now()); err == nil {
		t.Error("a changed body verified")
	}
}

// A send with a suppressed recipient announces email.suppressed in the send's transaction.
func TestWebhookSuppressedAtSend(t *testing.T) {
	t.Parallel()
	w := newWorld(t, allowPrivate)
	srv, _ := receiver(t)
	if ep := w.call("POST", "/api/lumora/v1/webhooks", w.key, `{"url": "`+srv.URL+`", "events": ["email.suppressed"]}`); ep.Status != 201 {
		t.Fatalf("create endpoint: %s", ep.Raw)
	}
	svc := w.env.Services
	if err := svc.Mail.Suppress(ctx, w.acct, "gone@globex.test", "manual", "test"); err != nil {
		t.Fatal(err)
	}
	r := w.call("POST", "/api/lumora/v1/email/send", w.key, `{"to": ["gone@globex.test", "jordan@globex.test"], "subject": "s", "text": "x"}`)
	if r.Status != 200 {
		t.Fatalf("send: %s", r.Raw)
	}
	// One delivery: only the suppressed recipient has a status event yet.
	var n int
	var typ, rcpt, msg string
	if err := svc.DB.Pool.QueryRow(ctx, `SELECT count(*) OVER (), event_type, payload->'data'->>'recipient', payload->'data'->>'message_id'
		FROM mail_webhook_deliveries`).Scan(&n, &typ, &rcpt, &msg); err != nil {
		t.Fatal(err)
	}
	if n != 1 || typ != "email.suppressed" || rcpt != "gone@globex.test" || msg != r.str("messageId") {
		t.Fatalf("%d deliveries, the first: %s %s %s", n, typ, rcpt, msg)
	}
}
