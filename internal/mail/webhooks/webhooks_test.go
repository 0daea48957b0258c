package webhooks

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"lumdesk/internal/accounts"
)

// The Svix test vector (svix webhook tests; wire-formats.md section 4).
func TestSignAndVerifySvixVector(t *testing.T) {
	t.Parallel()
	const (
		secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
		id     = "msg_p5jXN8AQM9LWM0D4loKWxJek"
		want   = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
	)
	body := []byte(`{"test": 2432232314}`)
	ts := time.Unix(1614265330, 0)
	sig, err := Sign(secret, id, ts, body)
	if err != nil || sig != want {
		t.Fatalf("Sign = %q, %v; want %q", sig, err, want)
	}
	h := func(sigs string, ts int64) http.Header {
		return http.Header{"Webhook-Id": {id}, "Webhook-Timestamp": {itoa(ts)}, "Webhook-Signature": {sigs}}
	}
	for _, tc := range []struct {
		name   string
		secret string
		header http.Header
		body   []byte
		now    time.Time
		want   error
	}{
		{"valid", secret, h(want, ts.Unix()), body, ts, nil},
		{"secret without prefix", strings.TrimPrefix(secret, SecretPrefix), h(want, ts.Unix()), body, ts, nil},
		{"one of several matches", secret, h("v1,Zm9v v2,abc "+want, ts.Unix()), body, ts.Add(4 * time.Minute), nil},
		{"body changed", secret, h(want, ts.Unix()), []byte(`{"test": 2432232315}`), ts, ErrNoMatch},
		{"other secret", "whsec_" + base64.StdEncoding.EncodeToString([]byte("another key")), h(want, ts.Unix()), body, ts, ErrNoMatch},
		{"timestamp changed", secret, h(want, ts.Unix()+1), body, ts, ErrNoMatch},
		{"only another version", secret, h("v2,"+strings.TrimPrefix(want, "v1,"), ts.Unix()), body, ts, ErrNoMatch},
		{"too old", secret, h(want, ts.Unix()), body, ts.Add(Tolerance + time.Second), ErrTooOld},
		{"too new", secret, h(want, ts.Unix()), body, ts.Add(-Tolerance - time.Second), ErrTooNew},
		{"no signature", secret, http.Header{"Webhook-Id": {id}, "Webhook-Timestamp": {itoa(ts.Unix())}}, body, ts, ErrMissingHeaders},
		{"bad timestamp", secret, http.Header{"Webhook-Id": {id}, "Webhook-Timestamp": {"yesterday"}, "Webhook-Signature": {want}}, body, ts, ErrBadTimestamp},
		{"bad secret", "whsec_%%%", h(want, ts.Unix()), body, ts, ErrBadSecret},
	} {
		if err := Verify(tc.secret, tc.header, tc.body, tc.now); !errors.Is(err, tc.want) {
			t.Errorf("%s: Verify = %v, want %v", tc.name, err, tc.want)
		}
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

func TestCreateEndpointSealsASecretShownOnce(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.dns.A("hooks.acme.test", "93.184.216.34")
	s := f.service(t, Settings{}, nil)
	ep, err := s.CreateEndpoint(ctx, cli, accounts.Only(f.acct), f.app, EndpointInput{
		URL: " https://Hooks.Acme.test/lumora?x=1 ", Events: []string{EventBounced, EventDelivered, EventBounced}})
	if err != nil {
		t.Fatal(err)
	}
	if ep.URL != "https://hooks.acme.test/lumora?x=1" || strings.Join(ep.Events, ",") != "email.delivered,email.bounced" || !strings.HasPrefix(ep.ID, "ep_") {
		t.Errorf("endpoint = %+v", ep.Endpoint)
	}
	key, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(ep.Secret, "whsec_"))
	if !strings.HasPrefix(ep.Secret, "whsec_") || err != nil || len(key) != 24 {
		t.Errorf("secret %q: want whsec_ and 24 bytes of base64 (%v)", ep.Secret, err)
	}
	row, err := f.db.GetMailWebhookEndpointByPublicID(ctx, ep.ID)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(row.SecretSealed, []byte(ep.Secret)) || bytes.Contains(row.SecretSealed, key) {
		t.Error("the secret is stored in the clear")
	}
	if opened, err := f.box.Open(row.SecretSealed, secretContext(ep.ID)); err != nil || string(opened) != ep.Secret {
		t.Errorf("the sealed secret opens to %q, %v", opened, err)
	}
	// Lists and gets never carry the secret; another account sees nothing.
	list, err := s.ListEndpoints(ctx, accounts.Only(f.acct), f.app)
	if err != nil || len(list) != 1 || list[0].ID != ep.ID {
		t.Fatalf("list = %+v, %v", list, err)
	}
	if b, _ := json.Marshal(list); bytes.Contains(b, []byte("whsec_")) {
		t.Errorf("the list carries the secret: %s", b)
	}
	if _, err := s.ListEndpoints(ctx, accounts.Only(f.other), f.app); !errors.Is(err, ErrAppNotFound) {
		t.Errorf("another account's list: %v", err)
	}
	if _, err := s.GetEndpoint(ctx, accounts.Only(f.other), ep.ID); !errors.Is(err, ErrEndpointNotFound) {
		t.Errorf("another account's get: %v", err)
	}
	if err := s.DeleteEndpoint(ctx, cli, accounts.Only(f.other), ep.ID); !errors.Is(err, ErrEndpointNotFound) {
		t.Errorf("another account's delete: %v", err)
	}
	if _, err := s.CreateEndpoint(ctx, cli, accounts.Only(f.other), f.app, EndpointInput{URL: "https://hooks.acme.test/", Events: Events}); !errors.Is(err, ErrAppNotFound) {
		t.Errorf("another account's create: %v", err)
	}
}

func TestCreateEndpointRefusesBadInput(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.dns.A("private.acme.test", "10.1.2.3")
	f.dns.A("cgnat.acme.test", "100.64.0.9")
	f.dns.A("public.acme.test", "93.184.216.34")
	s := f.service(t, Settings{}, nil)
	for _, tc := range []struct {
		url, events, field, want string
	}{
		{"http://public.acme.test/hook", "", "url", "plain http is refused"},
		{"https://127.0.0.1/hook", "", "url", "The address 127.0.0.1 is a loopback address"},
		{"https://[::1]:8443/hook", "", "url", "::1 is a loopback address"},
		{"https://[::ffff:127.0.0.1]/hook", "", "url", "127.0.0.1 is a loopback address"},
		{"https://10.0.0.5/hook", "", "url", "a private address"},
		{"https://192.168.1.1/hook", "", "url", "a private address"},
		{"https://169.254.169.254/latest/meta-data", "", "url", "a link-local address"},
		{"https://100.64.1.1/hook", "", "url", "carrier-grade NAT"},
		{"https://224.0.0.1/hook", "", "url", "a multicast address"},
		{"https://0.0.0.0/hook", "", "url", "an unspecified address"},
		{"https://[64:ff9b::a00:1]/hook", "", "url", "a private address"},
		{"https://private.acme.test/hook", "", "url", "The host private.acme.test resolves to 10.1.2.3, a private address"},
		{"https://cgnat.acme.test/hook", "", "url", "resolves to 100.64.0.9, a carrier-grade NAT"},
		{"https://missing.acme.test/hook", "", "url", "The host missing.acme.test does not resolve"},
		{"https://user:pw@public.acme.test/hook", "", "url", "Leave user name and password out"},
		{"ftp://public.acme.test/hook", "", "url", "Use an https:// URL"},
		{"public.acme.test/hook", "", "url", "Enter a full URL"},
		{"", "", "url", "Enter the URL"},
		{"https://public.acme.test/a b", "", "url", "spaces"},
		{"https://public.acme.test/#x", "", "url", "fragment"},
		{"https://" + strings.Repeat("a", 2050) + ".test/", "", "url", "at most 2048"},
		{"https://public.acme.test/hook", "none", "events", "Choose at least one event"},
		{"https://public.acme.test/hook", "email.opened", "events", `"email.opened" is not an event`},
	} {
		events := []string{EventDelivered}
		switch tc.events {
		case "none":
			events = nil
		case "":
		default:
			events = []string{tc.events}
		}
		_, err := s.CreateEndpoint(ctx, cli, accounts.Only(f.acct), f.app, EndpointInput{URL: tc.url, Events: events})
		var fe ValidationError
		if !errors.As(err, &fe) || !strings.Contains(fe[tc.field], tc.want) {
			t.Errorf("%q %v: err = %v, want %s: ...%s...", tc.url, events, err, tc.field, tc.want)
		}
	}
	// What the checks let through.
	if _, err := s.CreateEndpoint(ctx, cli, accounts.Only(f.acct), f.app, EndpointInput{URL: "https://public.acme.test/hook", Events: Events}); err != nil {
		t.Errorf("a public https endpoint: %v", err)
	}
	if _, err := s.CreateEndpoint(ctx, cli, accounts.Only(f.acct), f.app, EndpointInput{URL: "https://93.184.216.34:8443/hook", Events: Events}); err != nil {
		t.Errorf("a public IP: %v", err)
	}
	// WEBHOOK_ALLOW_PRIVATE lets plain http and loopback through.
	open := f.service(t, Settings{AllowPrivate: true}, nil)
	if _, err := open.CreateEndpoint(ctx, cli, accounts.Only(f.acct), f.app, EndpointInput{URL: "http://127.0.0.1:9/hook", Events: Events}); err != nil {
		t.Errorf("allow private: %v", err)
	}
}

func TestBlockedAddresses(t *testing.T) {
	t.Parallel()
	for ip, want := range map[string]string{
		"8.8.8.8": "", "93.184.216.34": "", "2606:4700:4700::1111": "",
		"127.0.0.53": "a loopback", "::1": "a loopback", "10.9.8.7": "a private", "172.31.0.1": "a private",
		"192.168.0.1": "a private", "fd00::1": "a private", "169.254.1.1": "a link-local", "fe80::1": "a link-local",
		"100.127.255.255": "a carrier-grade NAT (CGNAT)", "239.1.1.1": "a multicast", "ff02::1": "a multicast",
		"0.0.0.0": "an unspecified", "::": "an unspecified", "255.255.255.255": "a reserved",
		"::ffff:10.0.0.1": "a private", "2002:7f00:1::": "a loopback", "198.18.0.1": "a benchmarking",
	} {
		if got := blocked(netip.MustParseAddr(ip)); got != want {
			t.Errorf("blocked(%s) = %q, want %q", ip, got, want)
		}
	}
}

// A delivery as a receiver sees it: the envelope, the Standard Webhooks
// headers, a signature that verifies with the endpoint's secret.
func TestDeliverySignedAndEventFilter(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	rcv := startReceiver(t, http.StatusOK)
	other := startReceiver(t, http.StatusOK)
	s := f.service(t, Settings{AllowPrivate: true}, rcv.roots())
	ep, err := s.CreateEndpoint(ctx, cli, accounts.Only(f.acct), f.app, EndpointInput{URL: rcv.srv.URL + "/hook", Events: []string{EventDelivered, EventBounced}})
	if err != nil {
		t.Fatal(err)
	}
	bouncesOnly, err := s.CreateEndpoint(ctx, cli, accounts.Only(f.acct), f.app, EndpointInput{URL: other.srv.URL + "/hook", Events: []string{EventBounced}})
	if err != nil {
		t.Fatal(err)
	}
	if n := f.enqueue(t, s, EventComplained, map[string]any{"email_id": "msg_1"}); n != 0 {
		t.Errorf("an event nobody subscribed to made %d deliveries", n)
	}
	if n := f.enqueue(t, s, EventDelivered, map[string]any{"email_id": "msg_9f3a21", "to": "jordan@globex.test"}); n != 1 {
		t.Fatalf("email.delivered made %d deliveries, want 1 (the bounces-only endpoint is not subscribed)", n)
	}
	ds, err := s.ListDeliveries(ctx, accounts.Only(f.acct), ep.ID, 0, 10)
	if err != nil || len(ds) != 1 || ds[0].Status != StatusPending {
		t.Fatalf("deliveries = %+v, %v", ds, err)
	}
	if none, err := s.ListDeliveries(ctx, accounts.Only(f.acct), bouncesOnly.ID, 0, 10); err != nil || len(none) != 0 {
		t.Fatalf("bounces-only endpoint's deliveries = %+v, %v", none, err)
	}

	r := startRunner(t, f, s)
	r.wait(t, ds[0].ID)
	got := rcv.requests()
	if len(got) != 1 || len(other.requests()) != 0 {
		t.Fatalf("receiver got %d requests, the bounces-only one %d; want 1 and 0", len(got), len(other.requests()))
	}
	req := got[0]
	if err := Verify(ep.Secret, req.header, req.body, req.at); err != nil {
		t.Errorf("the receiver cannot verify the delivery: %v", err)
	}
	if err := Verify(bouncesOnly.Secret, req.header, req.body, req.at); !errors.Is(err, ErrNoMatch) {
		t.Errorf("another endpoint's secret verifies it: %v", err)
	}
	if req.header.Get("webhook-id") != ds[0].EventID || !strings.HasPrefix(ds[0].EventID, "msg_") || req.header.Get("Content-Type") != "application/json" {
		t.Errorf("headers = %v, event id %s", req.header, ds[0].EventID)
	}
	// A receiver written for Resend reads the same values under Svix's names.
	for std, svix := range SvixHeaders {
		if v := req.header.Get(svix); v == "" || v != req.header.Get(std) {
			t.Errorf("%s = %q, %s = %q: want the same value", svix, v, std, req.header.Get(std))
		}
	}
	var env struct {
		Type      string            `json:"type"`
		CreatedAt time.Time         `json:"created_at"`
		Data      map[string]string `json:"data"`
	}
	if err := json.Unmarshal(req.body, &env); err != nil || env.Type != EventDelivered || env.CreatedAt.IsZero() ||
		env.Data["email_id"] != "msg_9f3a21" || env.Data["to"] != "jordan@globex.test" {
		t.Errorf("body %s: %+v, %v", req.body, env, err)
	}
	d, err := s.GetDelivery(ctx, accounts.Only(f.acct), ds[0].ID)
	if err != nil || d.Status != StatusDelivered || d.Attempts != 1 || d.ResponseCode == nil || *d.ResponseCode != 200 ||
		d.LatencyMs == nil || d.DeliveredAt == nil || d.LastError != "" || !bytes.Equal(d.Payload, req.body) {
		t.Errorf("delivery after success = %+v, %v", d, err)
	}
	if _, err := s.GetDelivery(ctx, accounts.Only(f.other), d.ID); !errors.Is(err, ErrDeliveryNotFound) {
		t.Errorf("another account's delivery: %v", err)
	}
}

func TestRetriesOn500ThenDelivers(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	rcv := startReceiver(t, http.StatusInternalServerError, http.StatusInternalServerError, http.StatusNoContent)
	s := f.service(t, Settings{AllowPrivate: true, Backoff: func(int) time.Duration { return time.Millisecond }}, rcv.roots())
	ep, err := s.CreateEndpoint(ctx, cli, accounts.Only(f.acct), f.app, EndpointInput{URL: rcv.srv.URL, Events: []string{EventBounced}})
	if err != nil {
		t.Fatal(err)
	}
	r := startRunner(t, f, s)
	f.enqueue(t, s, EventBounced, map[string]any{"email_id": "msg_2", "bounce": map[string]string{"type": "hard"}})
	ds, err := s.ListDeliveries(ctx, accounts.Only(f.acct), ep.ID, 0, 10)
	if err != nil || len(ds) != 1 {
		t.Fatalf("deliveries = %+v, %v", ds, err)
	}
	if ev := r.wait(t, ds[0].ID); ev.Kind != "job_completed" {
		t.Fatalf("job ended %s", ev.Kind)
	}
	got := rcv.requests()
	if len(got) != 3 {
		t.Fatalf("receiver got %d requests, want 3", len(got))
	}
	for i, req := range got {
		if req.header.Get("webhook-id") != ds[0].EventID || !bytes.Equal(req.body, got[0].body) {
			t.Errorf("attempt %d changed the id or body", i+1)
		}
		if err := Verify(ep.Secret, req.header, req.body, req.at); err != nil {
			t.Errorf("attempt %d: %v", i+1, err)
		}
	}
	atts, err := s.ListAttempts(ctx, accounts.Only(f.acct), ds[0].ID)
	if err != nil || len(atts) != 3 {
		t.Fatalf("attempts = %+v, %v", atts, err)
	}
	for i, want := range []int{500, 500, 204} {
		a := atts[i]
		if a.Attempt != i+1 || a.ResponseCode == nil || *a.ResponseCode != want || (want == 500) != strings.Contains(a.Error, "500") {
			t.Errorf("attempt %d = %+v, want code %d", i+1, a, want)
		}
	}
	d, _ := s.GetDelivery(ctx, accounts.Only(f.acct), ds[0].ID)
	if d.Status != StatusDelivered || d.Attempts != 3 || *d.ResponseCode != 204 || d.LastError != "" || d.NextAttemptAt != nil {
		t.Errorf("delivery = %+v", d)
	}
}

func TestFailsAfterLastAttemptThenReplay(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	rcv := startReceiver(t, http.StatusServiceUnavailable)
	s := f.service(t, Settings{AllowPrivate: true, MaxAttempts: 2, Backoff: func(int) time.Duration { return time.Millisecond }}, rcv.roots())
	ep, err := s.CreateEndpoint(ctx, cli, accounts.Only(f.acct), f.app, EndpointInput{URL: rcv.srv.URL, Events: Events})
	if err != nil {
		t.Fatal(err)
	}
	f.enqueue(t, s, EventDeferred, map[string]any{"email_id": "msg_3"})
	ds, _ := s.ListDeliveries(ctx, accounts.Only(f.acct), ep.ID, 0, 10)
	if len(ds) != 1 {
		t.Fatalf("deliveries = %+v", ds)
	}
	id := ds[0].ID
	// Replaying a delivery still being retried is refused.
	if _, err := s.Replay(ctx, cli, accounts.Only(f.acct), id); !errors.Is(err, ErrDeliveryPending) {
		t.Errorf("replay of a pending delivery: %v", err)
	}
	r := startRunner(t, f, s)
	if ev := r.wait(t, id); ev.Job.State != "discarded" {
		t.Fatalf("job ended %s, want discarded", ev.Job.State)
	}
	d, _ := s.GetDelivery(ctx, accounts.Only(f.acct), id)
	if d.Status != StatusFailed || d.Attempts != 2 || *d.ResponseCode != 503 || !strings.Contains(d.LastError, "503") || len(rcv.requests()) != 2 {
		t.Fatalf("delivery after the last attempt = %+v (%d requests)", d, len(rcv.requests()))
	}

	// The receiver is fixed; staff replay the delivery.
	rcv.setCodes(http.StatusOK)
	if _, err := s.Replay(ctx, cli, accounts.Only(f.other), id); !errors.Is(err, ErrDeliveryNotFound) {
		t.Errorf("another account's replay: %v", err)
	}
	rd, err := s.Replay(ctx, cli, accounts.Only(f.acct), id)
	if err != nil || rd.Status != StatusPending {
		t.Fatalf("replay = %+v, %v", rd, err)
	}
	r.wait(t, id)
	d, _ = s.GetDelivery(ctx, accounts.Only(f.acct), id)
	got := rcv.requests()
	if d.Status != StatusDelivered || d.Attempts != 3 || *d.ResponseCode != 200 || len(got) != 3 {
		t.Fatalf("delivery after replay = %+v (%d requests)", d, len(got))
	}
	if got[2].header.Get("webhook-id") != got[0].header.Get("webhook-id") || Verify(ep.Secret, got[2].header, got[2].body, got[2].at) != nil {
		t.Error("the replay is not the same event, signed afresh")
	}
	atts, _ := s.ListAttempts(ctx, accounts.Only(f.acct), id)
	if len(atts) != 3 || *atts[2].ResponseCode != 200 {
		t.Errorf("attempts after replay = %+v", atts)
	}
	// A delivered one can be replayed too (a receiver that lost it).
	if _, err := s.Replay(ctx, cli, accounts.Only(f.acct), id); err != nil {
		t.Errorf("replay of a delivered delivery: %v", err)
	}
	r.wait(t, id)
	if len(rcv.requests()) != 4 {
		t.Errorf("second replay: %d requests, want 4", len(rcv.requests()))
	}
}

// DNS rebinding: the name resolved to a public address when the endpoint
// was created and resolves to loopback when the delivery goes out. The
// dialler refuses the address it is about to connect to.
func TestPrivateAddressRefusedAtDelivery(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	rcv := startReceiver(t, http.StatusOK)
	u, _ := url.Parse(rcv.srv.URL)
	f.dns.A("rebind.acme.test", "93.184.216.34")
	s := f.service(t, Settings{}, rcv.roots())
	ep, err := s.CreateEndpoint(ctx, cli, accounts.Only(f.acct), f.app, EndpointInput{URL: "https://rebind.acme.test:" + u.Port() + "/hook", Events: Events})
	if err != nil {
		t.Fatal(err)
	}
	f.dns.A("rebind.acme.test", "127.0.0.1")
	f.enqueue(t, s, EventDelivered, map[string]any{"email_id": "msg_4"})
	ds, _ := s.ListDeliveries(ctx, accounts.Only(f.acct), ep.ID, 0, 10)
	if len(ds) != 1 {
		t.Fatalf("deliveries = %+v", ds)
	}
	// The last attempt, run as the worker runs it.
	err = s.attempt(ctx, ds[0].ID, 1, 1)
	var be *blockedError
	if !errors.As(err, &be) || be.ip != netip.MustParseAddr("127.0.0.1") {
		t.Fatalf("attempt: %v, want a refused loopback address", err)
	}
	if n := len(rcv.requests()); n != 0 {
		t.Fatalf("the receiver on 127.0.0.1 got %d requests", n)
	}
	d, _ := s.GetDelivery(ctx, accounts.Only(f.acct), ds[0].ID)
	if d.Status != StatusFailed || d.Attempts != 1 || d.ResponseCode != nil || !strings.Contains(d.LastError, "127.0.0.1, a loopback address") {
		t.Errorf("delivery = %+v", d)
	}
	// A URL stored with a literal private address (created while private
	// addresses were allowed) is refused the same way once they are not.
	open := f.service(t, Settings{AllowPrivate: true}, rcv.roots())
	lit, err := open.CreateEndpoint(ctx, cli, accounts.Only(f.acct), f.app, EndpointInput{URL: rcv.srv.URL + "/hook", Events: []string{EventSuppressed}})
	if err != nil {
		t.Fatal(err)
	}
	f.enqueue(t, s, EventSuppressed, map[string]any{"email": "x@globex.test"})
	ds, _ = s.ListDeliveries(ctx, accounts.Only(f.acct), lit.ID, 0, 10)
	if err := s.attempt(ctx, ds[0].ID, 1, 3); !errors.As(err, &be) || len(rcv.requests()) != 0 {
		t.Fatalf("literal loopback: %v, %d requests", err, len(rcv.requests()))
	}
	d, _ = s.GetDelivery(ctx, accounts.Only(f.acct), ds[0].ID)
	if d.Status != StatusPending || d.NextAttemptAt == nil {
		t.Errorf("a refused attempt that is not the last leaves the delivery pending with its next attempt: %+v", d)
	}
	// So is a plain http URL stored then, before any connection.
	plain, err := open.CreateEndpoint(ctx, cli, accounts.Only(f.acct), f.app, EndpointInput{URL: "http://93.184.216.34/hook", Events: []string{EventComplained}})
	if err != nil {
		t.Fatal(err)
	}
	f.enqueue(t, s, EventComplained, map[string]any{"email": "x@globex.test"})
	ds, _ = s.ListDeliveries(ctx, accounts.Only(f.acct), plain.ID, 0, 10)
	if err := s.attempt(ctx, ds[0].ID, 1, 1); !errors.Is(err, errPlainHTTP) {
		t.Fatalf("plain http: %v", err)
	}
	if d, _ = s.GetDelivery(ctx, accounts.Only(f.acct), ds[0].ID); d.Status != StatusFailed || !strings.Contains(d.LastError, "plain http") {
		t.Errorf("plain http delivery = %+v", d)
	}
}

func TestDeletedEndpointGetsNothing(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	rcv := startReceiver(t, http.StatusOK)
	s := f.service(t, Settings{AllowPrivate: true}, rcv.roots())
	ep, err := s.CreateEndpoint(ctx, cli, accounts.Only(f.acct), f.app, EndpointInput{URL: rcv.srv.URL, Events: Events})
	if err != nil {
		t.Fatal(err)
	}
	f.enqueue(t, s, EventDelivered, map[string]any{"email_id": "msg_5"})
	if err := s.DeleteEndpoint(ctx, cli, accounts.AllAccounts, ep.ID); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteEndpoint(ctx, cli, accounts.AllAccounts, ep.ID); !errors.Is(err, ErrEndpointNotFound) {
		t.Errorf("second delete: %v", err)
	}
	if list, _ := s.ListEndpoints(ctx, accounts.Only(f.acct), f.app); len(list) != 0 {
		t.Errorf("list after delete = %+v", list)
	}
	if n := f.enqueue(t, s, EventDelivered, map[string]any{"email_id": "msg_6"}); n != 0 {
		t.Errorf("a deleted endpoint got %d new deliveries", n)
	}
	// The delivery made before the delete fails without a request; the log stays.
	ds, err := s.ListDeliveries(ctx, accounts.Only(f.acct), ep.ID, 0, 10)
	if err != nil || len(ds) != 1 {
		t.Fatalf("log after delete = %+v, %v", ds, err)
	}
	if err := s.attempt(ctx, ds[0].ID, 1, 8); err != nil {
		t.Fatal(err)
	}
	d, _ := s.GetDelivery(ctx, accounts.Only(f.acct), ds[0].ID)
	if d.Status != StatusFailed || d.LastError != "endpoint deleted" || len(rcv.requests()) != 0 {
		t.Errorf("delivery to a deleted endpoint = %+v (%d requests)", d, len(rcv.requests()))
	}
	if _, err := s.Replay(ctx, cli, accounts.Only(f.acct), d.ID); !errors.Is(err, ErrEndpointDeleted) {
		t.Errorf("replay to a deleted endpoint: %v", err)
	}
}

func TestEndpointLimitAndEnqueueInput(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	s := f.service(t, Settings{AllowPrivate: true}, nil)
	for i := range MaxEndpointsPerApp {
		if _, err := s.CreateEndpoint(ctx, cli, accounts.Only(f.acct), f.app, EndpointInput{URL: "https://127.0.0.1/" + itoa(int64(i)), Events: Events}); err != nil {
			t.Fatal(err)
		}
	}
	_, err := s.CreateEndpoint(ctx, cli, accounts.Only(f.acct), f.app, EndpointInput{URL: "https://127.0.0.1/more", Events: Events})
	var fe ValidationError
	if !errors.As(err, &fe) || !strings.Contains(fe["url"], "already has 10 webhook endpoints") {
		t.Errorf("11th endpoint: %v", err)
	}
	tx, err := f.db.Pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(ctx)
	if _, err := s.Enqueue(ctx, tx, f.app, "email.opened", map[string]any{}); err == nil {
		t.Error("an unknown event type was enqueued")
	}
	if _, err := s.Enqueue(ctx, tx, f.app, EventDelivered, []string{"not", "an object"}); err == nil {
		t.Error("data that is not an object was enqueued")
	}
}
