package lumora_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"lumdesk/handlers/api/lumora"
	"lumdesk/handlers/server/servertest"
	"lumdesk/internal/accounts"
	"lumdesk/internal/apikeys"
	"lumdesk/internal/audit"
	"lumdesk/internal/jobs"
	"lumdesk/internal/mail"
)

var (
	ctx   = context.Background()
	actor = audit.CLI("lumora-api-test")
	all   = []string{"email:send", "email:read", "domains:manage", "templates:manage"}
)

type world struct {
	t     *testing.T
	env   *servertest.Env
	acct  int64
	app   mail.App
	key   string // every scope, bound to the app
	other string // a key of another account's app, every scope
}

// newWorld: an account with an app whose sender domain acme.test is
// verified, and another account with its own app and domain.
func newWorld(t *testing.T, opts ...servertest.Option) *world {
	t.Helper()
	w := &world{t: t, env: servertest.New(t, opts...)}
	var app2 mail.App
	w.acct, w.app = w.tenant("Acme", "acme.test")
	_, app2 = w.tenant("Globex", "globex.test")
	w.key = w.apiKey(w.app, all, 0)
	w.other = w.apiKey(app2, all, 0)
	return w
}

func (w *world) tenant(name, domain string) (int64, mail.App) {
	w.t.Helper()
	svc := w.env.Services
	acc, err := svc.Accounts.Create(ctx, actor, accounts.CreateInput{Name: name, Email: "ops@" + domain})
	if err != nil {
		w.t.Fatal(err)
	}
	app, err := svc.Mail.CreateApp(ctx, actor, accounts.Only(acc.ID), mail.AppInput{Name: "Shop", DefaultFromEmail: "hello@" + domain})
	if err != nil {
		w.t.Fatal(err)
	}
	d, err := svc.Mail.AddDomain(ctx, actor, accounts.Only(acc.ID), mail.DomainInput{Name: domain})
	if err != nil {
		w.t.Fatal(err)
	}
	// DNS verification has its own tests (internal/mail, against a real DNS
	// server); here the domain is simply marked verified.
	if _, err := svc.DB.Pool.Exec(ctx, `UPDATE mail_domains SET status = 'verified', verified_at = now() WHERE id = $1`, d.ID); err != nil {
		w.t.Fatal(err)
	}
	return acc.ID, app
}

func (w *world) apiKey(app mail.App, scopes []string, rate int) string {
	w.t.Helper()
	c, err := w.env.Services.APIKeys.Create(ctx, actor, apikeys.CreateInput{Product: apikeys.Lumora, AccountID: &app.AccountID,
		MailAppID: &app.ID, Scopes: scopes, RateLimitPerMinute: rate})
	if err != nil {
		w.t.Fatal(err)
	}
	return c.Secret
}

type resp struct {
	Status int
	Header http.Header
	Raw    string
	Body   map[string]any
}

func (r resp) str(k string) string { s, _ := r.Body[k].(string); return s }

// call sends a request with the key in x-api-key ("" for none) and extra headers.
func (w *world) call(method, path, key, body string, hdr ...string) resp {
	w.t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, w.env.URL+path, rd)
	if err != nil {
		w.t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if key != "" {
		req.Header.Set("x-api-key", key)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		w.t.Fatal(err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	r := resp{Status: res.StatusCode, Header: res.Header, Raw: string(raw)}
	_ = json.Unmarshal(raw, &r.Body)
	return r
}

// wantErr asserts the status and the spec's error body: exactly error and message.
func wantErr(t *testing.T, name string, r resp, status int, code string) {
	t.Helper()
	_, hasMsg := r.Body["message"]
	if r.Status != status || r.str("error") != code || !hasMsg || len(r.Body) != 2 {
		t.Errorf("%s: got %d %s; want %d %s", name, r.Status, r.Raw, status, code)
	}
}

const welcome = `{"from": {"email": "hello@acme.test", "name": "Acme"}, "to": ["jordan@globex.test"], "subject": "Welcome to Acme", "html": "<p>Hello Jordan</p>"}`

func TestSendAndRetrieve(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	r := w.call("POST", "/api/lumora/v1/email/send", w.key, welcome)
	id := r.str("messageId")
	if r.Status != 200 || !strings.HasPrefix(id, "msg_") || r.str("status") != "queued" || r.Body["idempotentReplay"] != false || len(r.Body) != 3 {
		t.Fatalf("send: %d %s", r.Status, r.Raw)
	}
	r = w.call("GET", "/api/lumora/v1/emails/"+id, w.key, "")
	msg, _ := r.Body["message"].(map[string]any)
	rcpts, _ := r.Body["recipients"].([]any)
	events, _ := r.Body["events"].([]any)
	if r.Status != 200 || msg["id"] != id || msg["status"] != "queued" || msg["subject"] != "Welcome to Acme" || msg["createdAt"] == nil ||
		len(rcpts) != 1 || len(events) != 1 {
		t.Fatalf("retrieve: %d %s", r.Status, r.Raw)
	}
	if rc := rcpts[0].(map[string]any); rc["email"] != "jordan@globex.test" || rc["status"] != "queued" {
		t.Errorf("recipient %v", rc)
	}
	if ev := events[0].(map[string]any); ev["type"] != "queued" || ev["recipient"] != "jordan@globex.test" || ev["at"] == nil {
		t.Errorf("event %v", ev)
	}
	wantErr(t, "another account's message", w.call("GET", "/api/lumora/v1/emails/"+id, w.other, ""), 404, "not_found")
	wantErr(t, "unknown message", w.call("GET", "/api/lumora/v1/emails/msg_nothing", w.key, ""), 404, "not_found")

	// Without from, the app's default sender; Bearer works as well as x-api-key.
	r = w.call("POST", "/api/lumora/v1/email/send", "", `{"to": "ops@globex.test", "subject": "Hi", "text": "x"}`, "Authorization", "Bearer "+w.key)
	if r.Status != 200 {
		t.Fatalf("default sender: %d %s", r.Status, r.Raw)
	}
}

func TestLogsAndStats(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	for i := range 3 {
		body := fmt.Sprintf(`{"to": ["r%d@globex.test"], "subject": "n%d", "text": "x"}`, i, i)
		if r := w.call("POST", "/api/lumora/v1/email/send", w.key, body); r.Status != 200 {
			t.Fatalf("send %d: %s", i, r.Raw)
		}
	}
	// Pages of two, newest first, by next_cursor.
	var seen []string
	cursor := ""
	for page := 0; page < 3; page++ {
		path := "/api/lumora/v1/emails/logs?limit=2"
		if cursor != "" {
			path += "&cursor=" + cursor
		}
		r := w.call("GET", path, w.key, "")
		data, _ := r.Body["data"].([]any)
		if r.Status != 200 {
			t.Fatalf("logs: %s", r.Raw)
		}
		for _, d := range data {
			seen = append(seen, d.(map[string]any)["recipient"].(string))
		}
		cursor, _ = r.Body["next_cursor"].(string)
		if cursor == "" {
			break
		}
	}
	if want := []string{"r2@globex.test", "r1@globex.test", "r0@globex.test"}; !slices.Equal(seen, want) {
		t.Errorf("logs %v, want %v", seen, want)
	}
	r := w.call("GET", "/api/lumora/v1/emails/logs?recipient=R1@globex.test&status=queued&since=2000-01-01T00:00:00Z", w.key, "")
	if data, _ := r.Body["data"].([]any); r.Status != 200 || len(data) != 1 {
		t.Errorf("filtered logs: %s", r.Raw)
	}
	if r := w.call("GET", "/api/lumora/v1/emails/logs", w.other, ""); r.Status != 200 || len(r.Body["data"].([]any)) != 0 {
		t.Errorf("another app's logs: %s", r.Raw)
	}
	for _, bad := range []string{"limit=0", "limit=201", "limit=x", "cursor=abc", "status=opened", "since=yesterday", "since=2026-01-02T00:00:00Z&until=2026-01-01T00:00:00Z", "recipient=not-an-address", "page=2"} {
		wantErr(t, "logs?"+bad, w.call("GET", "/api/lumora/v1/emails/logs?"+bad, w.key, ""), 422, "validation_error")
	}

	r = w.call("GET", "/api/lumora/v1/emails/stats", w.key, "")
	totals, _ := r.Body["totals"].(map[string]any)
	days, _ := r.Body["days"].([]any)
	if r.Status != 200 || totals["queued"] != float64(3) || totals["delivered"] != float64(0) || totals["complained"] != float64(0) || len(days) != 1 {
		t.Errorf("stats: %s", r.Raw)
	}
	wantErr(t, "stats bad since", w.call("GET", "/api/lumora/v1/emails/stats?since=x", w.key, ""), 422, "validation_error")
}

func TestSendErrors(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	send := func(body string, hdr ...string) resp {
		return w.call("POST", "/api/lumora/v1/email/send", w.key, body, hdr...)
	}
	wantErr(t, "not json", send(`{"to": `), 400, "invalid_json")
	wantErr(t, "array body", send(`[]`), 400, "invalid_json")
	wantErr(t, "content type", w.call("POST", "/api/lumora/v1/email/send", w.key, welcome, "Content-Type", "text/plain"), 415, "unsupported_media_type")
	cases := map[string]string{
		"unknown field":      `{"to": ["a@globex.test"], "subject": "s", "htlm": "x"}`,
		"no to":              `{"subject": "s", "text": "x"}`,
		"to not a list":      `{"to": 5, "subject": "s", "text": "x"}`,
		"bad address":        `{"to": ["nobody"], "subject": "s", "text": "x"}`,
		"no subject":         `{"to": ["a@globex.test"], "text": "x"}`,
		"no body":            `{"to": ["a@globex.test"], "subject": "s"}`,
		"crlf subject":       `{"to": ["a@globex.test"], "subject": "s\r\nBcc: victim@evil.test", "text": "x"}`,
		"crlf header":        `{"to": ["a@globex.test"], "subject": "s", "text": "x", "headers": {"X-Ref": "1\r\nBcc: victim@evil.test"}}`,
		"header not allowed": `{"to": ["a@globex.test"], "subject": "s", "text": "x", "headers": {"Return-Path": "a@evil.test"}}`,
		"crlf from name":     `{"from": {"email": "hello@acme.test", "name": "A\nBcc: victim@evil.test"}, "to": ["a@globex.test"], "subject": "s", "text": "x"}`,
		"crlf in recipient":  `{"to": ["a@globex.test\r\nBcc: victim@evil.test"], "subject": "s", "text": "x"}`,
		"51 recipients":      `{"to": [` + strings.TrimSuffix(strings.Repeat(`"a@globex.test",`, 51), ",") + `], "subject": "s", "text": "x"}`,
	}
	for name, body := range cases {
		wantErr(t, name, send(body), 422, "validation_error")
	}
	// The message reads as a sentence that begins with the field's name.
	for name, msg := range map[string]string{
		"no body":            "html or text is required.",
		"header not allowed": "headers.Return-Path can't be set (allowed: X-* headers,",
		"51 recipients":      "to takes at most 50 addresses; 51 were given.",
	} {
		if got := send(cases[name]).str("message"); !strings.HasPrefix(got, msg) {
			t.Errorf("%s: message %q, want it to begin %q", name, got, msg)
		}
	}
	wantErr(t, "short idempotency key", send(welcome, "Idempotency-Key", "short"), 422, "validation_error")
	wantErr(t, "unverified sender", send(`{"from": {"email": "hello@unverified.test"}, "to": ["a@globex.test"], "subject": "s", "text": "x"}`), 422, "sender_domain_not_verified")
	wantErr(t, "another account's domain", send(`{"from": "Globex <hello@globex.test>", "to": ["a@globex.test"], "subject": "s", "text": "x"}`), 422, "sender_domain_not_verified")

	if err := w.env.Services.Mail.Suppress(ctx, w.acct, "gone@globex.test", mail.ReasonManual, "test"); err != nil {
		t.Fatal(err)
	}
	wantErr(t, "all suppressed", send(`{"to": ["gone@globex.test"], "subject": "s", "text": "x"}`), 422, "all_recipients_suppressed")

	// Idempotency: the same body answers the first message; another body is refused.
	first := send(welcome, "Idempotency-Key", "welcome-jordan-1")
	again := send(welcome, "Idempotency-Key", "welcome-jordan-1")
	if first.Status != 200 || again.Status != 200 || again.str("messageId") != first.str("messageId") || again.Body["idempotentReplay"] != true {
		t.Errorf("replay: %s then %s", first.Raw, again.Raw)
	}
	wantErr(t, "key reused", send(strings.Replace(welcome, "Jordan", "Jo", 1), "Idempotency-Key", "welcome-jordan-1"), 409, "idempotency_key_reused")
	var n int
	if err := w.env.Services.DB.Pool.QueryRow(ctx, `SELECT count(*) FROM mail_messages`).Scan(&n); err != nil || n != 1 {
		t.Errorf("%d messages stored (%v), want 1", n, err)
	}
}

func TestAuthAndLimits(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	wantErr(t, "no key", w.call("GET", "/api/lumora/v1/emails/logs", "", ""), 401, "missing_api_key")
	wantErr(t, "bad key", w.call("GET", "/api/lumora/v1/emails/logs", "lum_sk_nothing", ""), 401, "invalid_api_key")
	wantErr(t, "bad bearer", w.call("GET", "/api/lumora/v1/emails/logs", "", "", "Authorization", "Bearer lum_sk_x"), 401, "invalid_api_key")

	readOnly := w.apiKey(w.app, []string{"email:read"}, 0)
	wantErr(t, "no send scope", w.call("POST", "/api/lumora/v1/email/send", readOnly, welcome), 403, "forbidden_scope")
	sendOnly := w.apiKey(w.app, []string{"email:send"}, 0)
	wantErr(t, "no read scope", w.call("GET", "/api/lumora/v1/emails/logs", sendOnly, ""), 403, "forbidden_scope")

	// A key bound to no app sends for nobody.
	c, err := w.env.Services.APIKeys.Create(ctx, actor, apikeys.CreateInput{Product: apikeys.Lumora, AccountID: &w.acct, Scopes: all})
	if err != nil {
		t.Fatal(err)
	}
	wantErr(t, "key without app", w.call("POST", "/api/lumora/v1/email/send", c.Secret, welcome), 403, "forbidden")

	limited := w.apiKey(w.app, all, 2)
	for i := range 2 {
		if r := w.call("GET", "/api/lumora/v1/suppressions", limited, ""); r.Status != 200 {
			t.Fatalf("call %d: %s", i, r.Raw)
		}
	}
	r := w.call("GET", "/api/lumora/v1/suppressions", limited, "")
	wantErr(t, "over the limit", r, 429, "rate_limited")
	if r.Header.Get("Retry-After") == "" {
		t.Error("429 without Retry-After")
	}
}

func TestSuppressions(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	m := w.env.Services.Mail
	for _, s := range []struct{ email, reason string }{{"a@globex.test", mail.ReasonManual}, {"b@globex.test", mail.ReasonHardBounce}} {
		if err := m.Suppress(ctx, w.acct, s.email, s.reason, "test"); err != nil {
			t.Fatal(err)
		}
	}
	r := w.call("GET", "/api/lumora/v1/suppressions?limit=1", w.key, "")
	data, _ := r.Body["data"].([]any)
	if r.Status != 200 || len(data) != 1 || data[0].(map[string]any)["email"] != "b@globex.test" || data[0].(map[string]any)["reason"] != "hard_bounce" || r.str("next_cursor") == "" {
		t.Fatalf("list: %s", r.Raw)
	}
	if r := w.call("GET", "/api/lumora/v1/suppressions", w.other, ""); len(r.Body["data"].([]any)) != 0 {
		t.Errorf("another account sees them: %s", r.Raw)
	}
	wantErr(t, "other account deletes", w.call("DELETE", "/api/lumora/v1/suppressions/a@globex.test", w.other, ""), 404, "not_found")
	if r := w.call("DELETE", "/api/lumora/v1/suppressions/A%40globex.test", w.key, ""); r.Status != 200 || r.Body["deleted"] != true {
		t.Errorf("delete: %s", r.Raw)
	}
	wantErr(t, "delete again", w.call("DELETE", "/api/lumora/v1/suppressions/a@globex.test", w.key, ""), 404, "not_found")
	wantErr(t, "hard bounce", w.call("DELETE", "/api/lumora/v1/suppressions/b@globex.test", w.key, ""), 409, "hard_bounce_suppression")
}

// Requests no handler reached still answer in the envelope.
func TestUnmatchedRequests(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	wantErr(t, "unknown v1 path", w.call("GET", "/api/lumora/v1/nothing", w.key, ""), 404, "not_found")
	wantErr(t, "unknown path", w.call("GET", "/api/lumora/nothing", "", ""), 404, "not_found")
	r := w.call("PUT", "/api/lumora/v1/email/send", w.key, welcome)
	wantErr(t, "wrong method", r, 405, "method_not_allowed")
	if r.Header.Get("Allow") != "POST" {
		t.Errorf("Allow %q", r.Header.Get("Allow"))
	}
	wantErr(t, "wrong method on a parameter path", w.call("POST", "/api/lumora/v1/emails/msg_x", w.key, welcome), 405, "method_not_allowed")
	wantErr(t, "unknown method", w.call("PROPFIND", "/api/lumora/v1/email/send", w.key, ""), 405, "method_not_allowed")
	// Announce a body over the limit and send none of it: the server must
	// refuse on the header alone (a real upload races the early close).
	conn, err := net.Dial("tcp", strings.TrimPrefix(w.env.URL, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	fmt.Fprintf(conn, "POST /api/lumora/v1/email/send HTTP/1.1\r\nHost: x\r\nx-api-key: %s\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n", w.key, 5<<20)
	_ = conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	res, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := io.ReadAll(res.Body)
	big := resp{Status: res.StatusCode, Raw: string(raw)}
	_ = json.Unmarshal(raw, &big.Body)
	wantErr(t, "too large", big, 413, "payload_too_large")
}

// The OpenAPI document names exactly the routes served.
func TestOpenAPIListsServedRoutes(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	r := w.call("GET", "/api/lumora/openapi.json", "", "")
	var doc struct {
		OpenAPI string                    `json:"openapi"`
		Paths   map[string]map[string]any `json:"paths"`
	}
	if err := json.Unmarshal([]byte(r.Raw), &doc); err != nil || r.Status != 200 || doc.OpenAPI != "3.1.0" {
		t.Fatalf("openapi: %d %v", r.Status, err)
	}
	var documented []string
	for path, ops := range doc.Paths {
		for m := range ops {
			documented = append(documented, strings.ToUpper(m)+" "+path)
		}
	}
	param := regexp.MustCompile(`:([a-z_]+)`)
	var served []string
	for _, rt := range w.env.Handlers.Table() {
		if strings.HasPrefix(rt.Path, lumora.Prefix+"/") && !strings.HasSuffix(rt.Path, "*") {
			served = append(served, rt.Method+" "+param.ReplaceAllString(strings.TrimPrefix(rt.Path, lumora.Prefix), "{$1}"))
		}
	}
	slices.Sort(documented)
	slices.Sort(served)
	if diff := cmp.Diff(served, documented); diff != "" {
		t.Errorf("openapi paths (-served +documented):\n%s", diff)
	}
}

// The served app end to end: a send through the API is delivered by the
// River job into the sandbox inbox that serve starts when LUMORA_SMTP_URL
// is unset, and the message then reads delivered.
func TestSendDeliveredToSandbox(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	svc := w.env.Services
	done := w.startDelivery()
	r := w.call("POST", "/api/lumora/v1/email/send", w.key, welcome)
	if r.Status != 200 {
		t.Fatalf("send: %s", r.Raw)
	}
	w.waitDelivery(done)
	got := w.call("GET", "/api/lumora/v1/emails/"+r.str("messageId"), w.key, "")
	if msg, _ := got.Body["message"].(map[string]any); msg["status"] != "delivered" {
		t.Fatalf("after delivery: %s", got.Raw)
	}
	inbox, err := svc.MailSandbox.Store().List(ctx, 10)
	if err != nil || len(inbox) != 1 || inbox[0].Subject != "Welcome to Acme" || inbox[0].HeaderValue("DKIM-Signature") == "" {
		t.Fatalf("sandbox inbox: %d messages, %v", len(inbox), err)
	}
}

// startDelivery starts the sandbox inbox and the job runner, as serve does
// when LUMORA_SMTP_URL is unset; each delivery attempt reports on the channel.
func (w *world) startDelivery() <-chan error {
	w.t.Helper()
	svc := w.env.Services
	if err := svc.StartMailSandbox(w.t.Context(), w.env.Config); err != nil {
		w.t.Fatal(err)
	}
	done := make(chan error, 4)
	svc.Jobs.SetMailDeliver(func(ctx context.Context, id int64) (time.Time, error) {
		next, err := svc.Mail.Deliver(ctx, id)
		done <- err
		return next, err
	})
	svc.Jobs.SetMailRecheck(0, nil) // no DNS lookups of the test domains on start
	svc.Jobs.SetOptions(jobs.Options{TestOnly: true, PollInterval: 50 * time.Millisecond})
	if err := svc.Jobs.Start(ctx); err != nil {
		w.t.Fatal(err)
	}
	w.t.Cleanup(func() { _ = svc.Jobs.Stop(context.Background()) })
	return done
}

// waitDelivery waits for one delivery attempt, which must succeed.
func (w *world) waitDelivery(done <-chan error) {
	w.t.Helper()
	select {
	case err := <-done:
		if err != nil {
			w.t.Fatal(err)
		}
	case <-time.After(30 * time.Second):
		w.t.Fatal("the delivery job did not run")
	}
}

// Twenty identical sends at once with one Idempotency-Key make one message;
// every answer names it, all but one as a replay.
func TestIdempotentSendRace(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	answers := make(chan resp, 20)
	for range 20 {
		go func() {
			answers <- w.call("POST", "/api/lumora/v1/email/send", w.key, welcome, "Idempotency-Key", "race-welcome-0001")
		}()
	}
	ids, originals := map[string]bool{}, 0
	for range 20 {
		r := <-answers
		if r.Status != 200 {
			t.Fatalf("send: %d %s", r.Status, r.Raw)
		}
		ids[r.str("messageId")] = true
		if r.Body["idempotentReplay"] == false {
			originals++
		}
	}
	var n int
	if err := w.env.Services.DB.Pool.QueryRow(ctx, `SELECT count(*) FROM mail_messages`).Scan(&n); err != nil || n != 1 || len(ids) != 1 || originals != 1 {
		t.Fatalf("%d messages (%v), %d ids, %d originals; want one each", n, err, len(ids), originals)
	}
}

// A key carries its app's permissions (the spec): a message another app of
// the same account sent is not found, word for word as an unknown id, just
// as it is missing from the key's logs and stats; so is that app's webhook
// endpoint.
func TestAnotherAppOfTheAccount(t *testing.T) {
	t.Parallel()
	w := newWorld(t, allowPrivate)
	sibling, err := w.env.Services.Mail.CreateApp(ctx, actor, accounts.Only(w.acct), mail.AppInput{Name: "Billing", DefaultFromEmail: "billing@acme.test"})
	if err != nil {
		t.Fatal(err)
	}
	siblingKey := w.apiKey(sibling, all, 0)
	r := w.call("POST", "/api/lumora/v1/email/send", w.key, welcome)
	id := r.str("messageId")
	if r.Status != 200 || id == "" {
		t.Fatalf("send: %d %s", r.Status, r.Raw)
	}
	foreign := w.call("GET", "/api/lumora/v1/emails/"+id, siblingKey, "")
	wantErr(t, "the sibling app's message", foreign, 404, "not_found")
	unknown := w.call("GET", "/api/lumora/v1/emails/msg_nothing", siblingKey, "")
	if foreign.Raw != unknown.Raw {
		t.Errorf("the sibling app's message answers %s; an unknown id %s", foreign.Raw, unknown.Raw)
	}
	if r := w.call("GET", "/api/lumora/v1/emails/"+id, w.key, ""); r.Status != 200 {
		t.Errorf("the sending app's own key: %d %s", r.Status, r.Raw)
	}
	if r := w.call("GET", "/api/lumora/v1/emails/logs", siblingKey, ""); r.Status != 200 || len(r.Body["data"].([]any)) != 0 {
		t.Errorf("the sibling's logs: %s", r.Raw)
	}

	srv, _ := receiver(t)
	r = w.call("POST", "/api/lumora/v1/webhooks", w.key, `{"url": "`+srv.URL+`/hooks", "events": ["email.delivered"]}`)
	if r.Status != 201 {
		t.Fatalf("webhook: %d %s", r.Status, r.Raw)
	}
	if l := w.call("GET", "/api/lumora/v1/webhooks", siblingKey, ""); !strings.Contains(l.Raw, `"data":[]`) {
		t.Errorf("the sibling's webhooks: %s", l.Raw)
	}
	wantErr(t, "the sibling app's endpoint", w.call("DELETE", "/api/lumora/v1/webhooks/"+r.str("id"), siblingKey, ""), 404, "not_found")
}

// A last page that is exactly full carries no next_cursor (there is no
// empty page after it), for the logs and the suppressions alike; a page
// with more after it does.
func TestLastFullPageHasNoCursor(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	for i := range 4 {
		body := fmt.Sprintf(`{"to": ["r%d@globex.test"], "subject": "n%d", "text": "x"}`, i, i)
		if r := w.call("POST", "/api/lumora/v1/email/send", w.key, body); r.Status != 200 {
			t.Fatalf("send %d: %s", i, r.Raw)
		}
		if err := w.env.Services.Mail.Suppress(ctx, w.acct, fmt.Sprintf("s%d@globex.test", i), mail.ReasonManual, "test"); err != nil {
			t.Fatal(err)
		}
	}
	for _, list := range []string{"/api/lumora/v1/emails/logs", "/api/lumora/v1/suppressions"} {
		// Four items: pages of two are full, the second one the last.
		first := w.call("GET", list+"?limit=2", w.key, "")
		cursor := first.str("next_cursor")
		if data, _ := first.Body["data"].([]any); first.Status != 200 || len(data) != 2 || cursor == "" {
			t.Fatalf("%s first page: %s", list, first.Raw)
		}
		last := w.call("GET", list+"?limit=2&cursor="+cursor, w.key, "")
		if data, _ := last.Body["data"].([]any); last.Status != 200 || len(data) != 2 || last.Body["next_cursor"] != nil {
			t.Errorf("%s last full page: %s", list, last.Raw)
		}
		all := w.call("GET", list+"?limit=4", w.key, "")
		if data, _ := all.Body["data"].([]any); all.Status != 200 || len(data) != 4 || all.Body["next_cursor"] != nil {
			t.Errorf("%s one exactly full page: %s", list, all.Raw)
		}
		if r := w.call("GET", list+"?limit=5", w.key, ""); r.Body["next_cursor"] != nil || len(r.Body["data"].([]any)) != 4 {
			t.Errorf("%s one short page: %s", list, r.Raw)
		}
	}
}
