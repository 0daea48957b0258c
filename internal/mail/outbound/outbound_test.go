package outbound_test

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"fmt"
	"math/big"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-msgauth/dkim"

	"lumdesk/internal/mail/address"
	"lumdesk/internal/mail/outbound"
	"lumdesk/internal/mail/sandbox"
)

// rsaKey is generated once: RSA-2048 as production uses, but slow to make.
var rsaKey = sync.OnceValue(func() *rsa.PrivateKey {
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		panic(err)
	}
	return k
})

func addr(t *testing.T, s string) address.Address {
	t.Helper()
	a, err := address.Parse(s)
	if err != nil {
		t.Fatalf("address %q: %v", s, err)
	}
	return a
}

func startSandbox(t *testing.T, opts sandbox.Options) *sandbox.Server {
	t.Helper()
	srv, err := sandbox.Start(t.Context(), opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	return srv
}

func newSender(t *testing.T, cfg outbound.SenderConfig) *outbound.Sender {
	t.Helper()
	s, err := outbound.NewSender(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// dkimLookup publishes the test key's record as DNS would, and nothing else.
func dkimLookup(t *testing.T, name string) func(string) ([]string, error) {
	rec, err := outbound.DKIMRecord(rsaKey().Public())
	if err != nil {
		t.Fatal(err)
	}
	return func(domain string) ([]string, error) {
		if domain == name {
			return []string{rec}, nil
		}
		return nil, fmt.Errorf("no TXT record at %s", domain)
	}
}

func only(t *testing.T, store sandbox.Store) sandbox.Message {
	t.Helper()
	msgs, err := store.List(context.Background(), 10)
	if err != nil || len(msgs) != 1 {
		t.Fatalf("sandbox holds %d messages (%v), want 1", len(msgs), err)
	}
	return msgs[0]
}

func TestDeliverSignedMessageWithBothBodies(t *testing.T) {
	t.Parallel()
	srv := startSandbox(t, sandbox.Options{})
	sender := newSender(t, outbound.SenderConfig{URL: srv.URL(), HeloName: "mta.lumora.test"})

	text := "Hallo Jürgen,\n\nwillkommen bei Acme.\n"
	html := "<p>Hallo <b>Jürgen</b>,</p><p>willkommen bei Acme. " + strings.Repeat("Lange Zeile ", 20) + "</p>"
	subject := "Grüße aus Zürich ✓ — your order is ready"
	date := time.Date(2026, 4, 21, 14, 32, 8, 0, time.UTC)
	built, err := outbound.Build(outbound.Message{
		From:    addr(t, "Acme Café <hello@mail.acme.test>"),
		To:      []address.Address{addr(t, "Jürgen Groß <jordan@globex.test>"), addr(t, "ops@globex.test")},
		Cc:      []address.Address{addr(t, "cc@globex.test")},
		Bcc:     []address.Address{addr(t, "audit@acme.test"), addr(t, "OPS@globex.test")},
		ReplyTo: []address.Address{addr(t, "support@acme.test")},
		Subject: subject,
		Text:    text,
		HTML:    html,
		Headers: map[string]string{"x-campaign": "spring-2026", "List-Unsubscribe": "<https://acme.test/u/1>"},
		Tags:    []outbound.Tag{{Name: "category", Value: "welcome"}},
	}, date)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasSuffix(built.MessageID, "@mail.acme.test") {
		t.Errorf("Message-ID %q is not at the sending domain", built.MessageID)
	}
	if want := []string{"jordan@globex.test", "ops@globex.test", "cc@globex.test", "audit@acme.test"}; fmt.Sprint(built.Rcpts) != fmt.Sprint(want) {
		t.Errorf("envelope recipients %v, want %v (bcc included, duplicates once)", built.Rcpts, want)
	}
	signed, err := outbound.Sign(built.Raw, outbound.DKIMKey{Domain: "mail.acme.test", Selector: "lum20260421", Signer: rsaKey()})
	if err != nil {
		t.Fatal(err)
	}

	results := sender.Send(t.Context(), built.MailFrom, built.Rcpts, signed)
	for _, r := range results {
		if r.Status != outbound.Delivered || r.Code != 250 {
			t.Errorf("%s: %+v, want delivered 250", r.Email, r)
		}
	}

	got := only(t, srv.Store())
	if got.MailFrom != "hello@mail.acme.test" || fmt.Sprint(got.RcptTo) != fmt.Sprint(built.Rcpts) {
		t.Errorf("envelope %s -> %v", got.MailFrom, got.RcptTo)
	}
	checks := map[string]string{
		"Subject":    subject,
		"From":       "Acme Café <hello@mail.acme.test>",
		"To":         "Jürgen Groß <jordan@globex.test>, <ops@globex.test>",
		"Cc":         "<cc@globex.test>",
		"Reply-To":   "<support@acme.test>",
		"Message-Id": "<" + built.MessageID + ">",
		"Date":       "Tue, 21 Apr 2026 14:32:08 +0000",
		"X-Campaign": "spring-2026",
	}
	for name, want := range checks {
		if v := got.HeaderValue(name); v != want {
			t.Errorf("%s: %q, want %q", name, v, want)
		}
	}
	if got.Subject != subject || got.MessageID != built.MessageID {
		t.Errorf("parsed subject %q, id %q", got.Subject, got.MessageID)
	}
	if !strings.HasPrefix(got.HeaderValue("Content-Type"), "multipart/alternative;") {
		t.Errorf("Content-Type %q", got.HeaderValue("Content-Type"))
	}
	if got.HeaderValue("Bcc") != "" || bytes.Contains(got.Raw, []byte("audit@acme.test")) {
		t.Error("the Bcc recipient shows in the message")
	}
	if bytes.Contains(got.Raw, []byte("welcome")) && bytes.Contains(got.Raw, []byte("category")) {
		t.Error("tags leaked into the message")
	}
	// Non-ASCII headers travel encoded: the raw header block is pure ASCII.
	head, _, _ := bytes.Cut(got.Raw, []byte("\r\n\r\n"))
	for _, c := range head {
		if c >= 0x80 {
			t.Fatalf("raw header has a non-ASCII byte:\n%s", head)
		}
	}
	if !bytes.Contains(head, []byte("=?UTF-8?q?Gr=C3=BC=C3=9Fe_aus_Z=C3=BCrich")) {
		t.Errorf("subject not RFC 2047-encoded:\n%s", head)
	}
	if got.Text != text {
		t.Errorf("text body %q, want %q", got.Text, text)
	}
	if got.HTML != html {
		t.Errorf("html body %q, want %q", got.HTML, html)
	}

	verifs, err := dkim.VerifyWithOptions(bytes.NewReader(got.Raw), &dkim.VerifyOptions{LookupTXT: dkimLookup(t, "lum20260421._domainkey.mail.acme.test")})
	if err != nil || len(verifs) != 1 {
		t.Fatalf("DKIM: %d verifications, %v", len(verifs), err)
	}
	if v := verifs[0]; v.Err != nil || v.Domain != "mail.acme.test" {
		t.Fatalf("DKIM verification: domain %q, %v", v.Domain, v.Err)
	}
	sig := got.HeaderValue("DKIM-Signature")
	for _, tag := range []string{"a=rsa-sha256", "c=relaxed/relaxed", "s=lum20260421", "h=From:To:Subject:Date:Message-ID:MIME-Version:Content-Type:Reply-To:Cc"} {
		if !strings.Contains(strings.ReplaceAll(sig, " ", ""), tag) {
			t.Errorf("DKIM-Signature %q lacks %s", sig, tag)
		}
	}

	// The verification means something: a changed subject fails it.
	tampered := bytes.Replace(got.Raw, []byte("=?UTF-8?q?Gr=C3=BC"), []byte("=?UTF-8?q?Kr=C3=BC"), 1)
	verifs, err = dkim.VerifyWithOptions(bytes.NewReader(tampered), &dkim.VerifyOptions{LookupTXT: dkimLookup(t, "lum20260421._domainkey.mail.acme.test")})
	if err != nil || len(verifs) != 1 || verifs[0].Err == nil {
		t.Fatalf("a tampered subject still verifies: %v %v", verifs, err)
	}
}

func TestSingleBodyMessages(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ text, html, ctype string }{
		{"just text", "", "text/plain"},
		{"", "<p>just html</p>", "text/html"},
	} {
		built, err := outbound.Build(outbound.Message{
			From: addr(t, "a@acme.test"), To: []address.Address{addr(t, "b@globex.test")},
			Subject: "Hi", Text: tc.text, HTML: tc.html,
		}, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		head, _, _ := bytes.Cut(built.Raw, []byte("\r\n\r\n"))
		if !bytes.Contains(head, []byte("Content-Type: "+tc.ctype)) {
			t.Errorf("%s message header:\n%s", tc.ctype, head)
		}
	}
}

func TestPlatformSenderAndMessageIDDomain(t *testing.T) {
	t.Parallel()
	// lumdesk's own sender is configured, not parsed as a customer address:
	// a host without a dot is fine there.
	built, err := outbound.Build(outbound.Message{
		From: address.Address{Name: "lumdesk", Email: "lumdesk@localhost"}, To: []address.Address{addr(t, "staff@acme.test")},
		Subject: "Reset your password", Text: "x",
	}, time.Now())
	if err != nil || !strings.HasSuffix(built.MessageID, "@localhost") || built.MailFrom != "lumdesk@localhost" {
		t.Fatalf("platform message: %q %q %v", built.MessageID, built.MailFrom, err)
	}
	built, err = outbound.Build(outbound.Message{
		From: addr(t, "hello@acme.test"), To: []address.Address{addr(t, "x@globex.test")}, Subject: "s", Text: "x",
		MessageIDDomain: "Mail.Acme.TEST",
	}, time.Now())
	if err != nil || !strings.HasSuffix(built.MessageID, "@mail.acme.test") {
		t.Fatalf("explicit Message-ID domain: %q %v", built.MessageID, err)
	}
	if a, b := outbound.NewMessageID("x.test"), outbound.NewMessageID("x.test"); a == b || len(a) != len("@x.test")+24 {
		t.Errorf("Message-IDs %q, %q", a, b)
	}
}

func TestDeferredAndBouncedRecipients(t *testing.T) {
	t.Parallel()
	srv := startSandbox(t, sandbox.Options{})
	srv.SetReply("later@globex.test", sandbox.Reply{Code: 451, Message: "Greylisted, try again later"})
	srv.SetReply("gone@globex.test", sandbox.Reply{Code: 550, Message: "No such user"})
	sender := newSender(t, outbound.SenderConfig{URL: srv.URL()})
	built, err := outbound.Build(outbound.Message{
		From:    addr(t, "hello@acme.test"),
		To:      []address.Address{addr(t, "later@globex.test"), addr(t, "gone@globex.test"), addr(t, "fine@globex.test")},
		Subject: "Hello", Text: "Hello",
	}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	results := sender.Send(t.Context(), built.MailFrom, built.Rcpts, built.Raw)
	want := []outbound.RecipientResult{
		{Email: "later@globex.test", Status: outbound.Deferred, Code: 451, EnhancedCode: "4.0.0", Text: "Greylisted, try again later"},
		{Email: "gone@globex.test", Status: outbound.Bounced, Code: 550, EnhancedCode: "5.0.0", Text: "No such user"},
		{Email: "fine@globex.test", Status: outbound.Delivered, Code: 250},
	}
	for i, w := range want {
		r := results[i]
		if r.Status != w.Status || r.Code != w.Code || (w.Text != "" && (r.Text != w.Text || r.EnhancedCode != w.EnhancedCode)) {
			t.Errorf("%s: %+v, want %+v", w.Email, r, w)
		}
	}
	if got := only(t, srv.Store()); fmt.Sprint(got.RcptTo) != "[fine@globex.test]" {
		t.Errorf("the server got the message for %v", got.RcptTo)
	}

	// Every recipient refused: nothing is sent, and the connection stays usable.
	srv.SetReply("fine@globex.test", sandbox.Reply{Code: 452, Message: "Mailbox full", Times: 1})
	results = sender.Send(t.Context(), built.MailFrom, built.Rcpts, built.Raw)
	if results[2].Status != outbound.Deferred || results[2].Code != 452 {
		t.Errorf("fine@ while full: %+v", results[2])
	}
	// The scripted answer was for one RCPT only: the retry gets through.
	results = sender.Send(t.Context(), built.MailFrom, []string{"fine@globex.test"}, built.Raw)
	if results[0].Status != outbound.Delivered {
		t.Errorf("retry: %+v", results[0])
	}
	if n := srv.Connections(); n != sender.Dials() || n > 2 {
		t.Errorf("%d connections for three messages (%d dials)", n, sender.Dials())
	}
}

func TestConnectionsAreReused(t *testing.T) {
	t.Parallel()
	srv := startSandbox(t, sandbox.Options{})
	sender := newSender(t, outbound.SenderConfig{URL: srv.URL(), Concurrency: 2})
	send := func(subject string) {
		t.Helper()
		built, err := outbound.Build(outbound.Message{
			From: addr(t, "hello@acme.test"), To: []address.Address{addr(t, "x@globex.test")}, Subject: subject, Text: "body",
		}, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		if r := sender.Send(t.Context(), built.MailFrom, built.Rcpts, built.Raw); r[0].Status != outbound.Delivered {
			t.Fatalf("%s: %+v", subject, r[0])
		}
	}
	send("one")
	// The first dial may probe for STARTTLS on a connection of its own (go-smtp
	// can't upgrade a greeted client); from then on one connection serves all.
	afterFirst := srv.Connections()
	send("two")
	send("three")
	if n := srv.Connections(); n != afterFirst {
		t.Errorf("connections went from %d to %d: not reused", afterFirst, n)
	}
	msgs, _ := srv.Store().List(t.Context(), 0)
	if len(msgs) != 3 || msgs[0].Subject != "three" || msgs[2].Subject != "one" {
		t.Errorf("sandbox holds %d messages", len(msgs))
	}

	// The server goes away and comes back on the same address: the pooled
	// connection fails its RSET and the sender dials a fresh one.
	hostPort := srv.Addr()
	srv.Close()
	srv2 := startSandbox(t, sandbox.Options{Addr: hostPort})
	send("four")
	if got := only(t, srv2.Store()); got.Subject != "four" || srv2.Connections() != 1 {
		t.Errorf("after the restart: %q over %d connections", got.Subject, srv2.Connections())
	}
}

func TestConcurrentSendsStayWithinThePool(t *testing.T) {
	t.Parallel()
	srv := startSandbox(t, sandbox.Options{})
	sender := newSender(t, outbound.SenderConfig{URL: srv.URL(), Concurrency: 3})
	built, err := outbound.Build(outbound.Message{
		From: addr(t, "hello@acme.test"), To: []address.Address{addr(t, "x@globex.test")}, Subject: "s", Text: "body",
	}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	errs := make(chan string, 30)
	for range 30 {
		wg.Go(func() {
			if r := sender.Send(t.Context(), built.MailFrom, built.Rcpts, built.Raw); r[0].Status != outbound.Delivered {
				errs <- fmt.Sprintf("%+v", r[0])
			}
		})
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
	msgs, _ := srv.Store().List(t.Context(), 0)
	// 3 pooled connections, plus a STARTTLS probe for each first dial that
	// raced before the sender learnt the server has no STARTTLS.
	if len(msgs) != 30 || srv.Connections() > 6 {
		t.Errorf("%d messages over %d connections", len(msgs), srv.Connections())
	}
}

// selfSigned makes a certificate for 127.0.0.1 and a pool that trusts it.
func selfSigned(t *testing.T) (*tls.Config, *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "sandbox test"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		IPAddresses:  []net.IP{net.ParseIP("127.0.0.1")},
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	return &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key}}}, pool
}

func TestSTARTTLSAndAuth(t *testing.T) {
	t.Parallel()
	serverTLS, roots := selfSigned(t)
	srv := startSandbox(t, sandbox.Options{TLSConfig: serverTLS, Username: "relay", Password: "s3cret"})
	built, err := outbound.Build(outbound.Message{
		From: addr(t, "hello@acme.test"), To: []address.Address{addr(t, "x@globex.test")}, Subject: "over TLS", Text: "body",
	}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	url := "smtp://relay:s3cret@" + srv.Addr()

	sender := newSender(t, outbound.SenderConfig{URL: url, TLSConfig: &tls.Config{RootCAs: roots}})
	if r := sender.Send(t.Context(), built.MailFrom, built.Rcpts, built.Raw); r[0].Status != outbound.Delivered {
		t.Fatalf("over STARTTLS: %+v", r[0])
	}
	if got := only(t, srv.Store()); !got.TLS {
		t.Error("the sandbox saw a plain session")
	}
	if srv.Connections() != 1 {
		t.Errorf("%d connections: STARTTLS should need one", srv.Connections())
	}

	// A certificate the client doesn't trust: no delivery, a deferral.
	untrusting := newSender(t, outbound.SenderConfig{URL: url})
	if r := untrusting.Send(t.Context(), built.MailFrom, built.Rcpts, built.Raw); r[0].Status != outbound.Deferred || !strings.Contains(r[0].Text, "certificate") {
		t.Errorf("untrusted certificate: %+v", r[0])
	}

	// Wrong password: the server's 535 refusal, kept as a deferral (the
	// recipient did nothing wrong; the relay set-up did).
	wrong := newSender(t, outbound.SenderConfig{URL: "smtp://relay:nope@" + srv.Addr(), TLSConfig: &tls.Config{RootCAs: roots}})
	if r := wrong.Send(t.Context(), built.MailFrom, built.Rcpts, built.Raw); r[0].Status != outbound.Deferred || !strings.Contains(r[0].Text, "535") {
		t.Errorf("wrong password: %+v", r[0])
	}
}

func TestImplicitTLS(t *testing.T) {
	t.Parallel()
	serverTLS, roots := selfSigned(t)
	srv := startSandbox(t, sandbox.Options{TLSConfig: serverTLS, ImplicitTLS: true})
	sender := newSender(t, outbound.SenderConfig{URL: "smtps://" + srv.Addr(), TLSConfig: &tls.Config{RootCAs: roots}})
	if r := sender.Send(t.Context(), "hello@acme.test", []string{"x@globex.test"}, []byte("Subject: hi\r\n\r\nbody\r\n")); r[0].Status != outbound.Delivered {
		t.Fatalf("smtps: %+v", r[0])
	}
	if got := only(t, srv.Store()); !got.TLS || got.Subject != "hi" {
		t.Errorf("received %+v", got)
	}
}

func TestNoServerIsADeferral(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	free := ln.Addr().String()
	ln.Close()
	sender := newSender(t, outbound.SenderConfig{URL: "smtp://" + free, Timeout: 5 * time.Second})
	r := sender.Send(t.Context(), "a@acme.test", []string{"b@globex.test", "c@globex.test"}, []byte("Subject: x\r\n\r\nx\r\n"))
	for _, x := range r {
		if x.Status != outbound.Deferred || x.Code != 0 || !strings.Contains(x.Text, "refused") {
			t.Errorf("%+v", x)
		}
	}
}

func TestCancelledSendIsADeferral(t *testing.T) {
	t.Parallel()
	srv := startSandbox(t, sandbox.Options{})
	sender := newSender(t, outbound.SenderConfig{URL: srv.URL(), Concurrency: 1})
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	r := sender.Send(ctx, "a@acme.test", []string{"b@globex.test"}, []byte("Subject: x\r\n\r\nx\r\n"))
	if r[0].Status != outbound.Deferred || !strings.Contains(r[0].Text, "cancel") {
		t.Errorf("%+v", r[0])
	}
	// The slot came back: the next send gets through.
	if r := sender.Send(t.Context(), "a@acme.test", []string{"b@globex.test"}, []byte("Subject: x\r\n\r\nx\r\n")); r[0].Status != outbound.Delivered {
		t.Errorf("after a cancelled send: %+v", r[0])
	}
}

func TestAuthNeedsTLSAwayFromLoopback(t *testing.T) {
	t.Parallel()
	// A relay named smtp.relay.example without TLS (the test's dialer
	// routes the name to its in-process server): the password would cross
	// a network in clear, so the sender refuses before AUTH.
	srv := startSandbox(t, sandbox.Options{Addr: "127.0.0.1:0", Username: "u", Password: "p"})
	var dialled []string
	sender := newSender(t, outbound.SenderConfig{URL: "smtp://u:p@smtp.relay.example:2525",
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			dialled = append(dialled, addr)
			return (&net.Dialer{}).DialContext(ctx, network, srv.Addr())
		}})
	r := sender.Send(t.Context(), "a@acme.test", []string{"b@globex.test"}, []byte("Subject: x\r\n\r\nx\r\n"))
	if r[0].Status != outbound.Deferred || !strings.Contains(r[0].Text, "in clear") {
		t.Errorf("%+v", r[0])
	}
	if msgs, _ := srv.Store().List(t.Context(), 0); len(msgs) != 0 {
		t.Error("the message went through without authentication")
	}
	if len(dialled) == 0 || dialled[0] != "smtp.relay.example:2525" {
		t.Errorf("dialled %v", dialled)
	}
}

func TestHeaderInjectionIsRefused(t *testing.T) {
	t.Parallel()
	base := func() outbound.Message {
		return outbound.Message{
			From: addr(t, "hello@acme.test"), To: []address.Address{addr(t, "x@globex.test")}, Subject: "Hi", Text: "body",
		}
	}
	cases := map[string]func(m *outbound.Message){
		"subject CRLF":      func(m *outbound.Message) { m.Subject = "Hi\r\nBcc: victim@evil.test" },
		"subject LF":        func(m *outbound.Message) { m.Subject = "Hi\nX-Evil: 1" },
		"header value":      func(m *outbound.Message) { m.Headers = map[string]string{"X-Campaign": "a\r\nBcc: v@evil.test"} },
		"from name":         func(m *outbound.Message) { m.From.Name = "Acme\r\nBcc: v@evil.test" },
		"to address":        func(m *outbound.Message) { m.To[0].Email = "x@globex.test\r\nBcc: v@evil.test" },
		"reply-to":          func(m *outbound.Message) { m.ReplyTo = []address.Address{{Email: "r@acme.test\n"}} },
		"NUL in subject":    func(m *outbound.Message) { m.Subject = "Hi\x00there" },
		"bare CR in header": func(m *outbound.Message) { m.Headers = map[string]string{"In-Reply-To": "<a@b>\rX: y"} },
	}
	for name, mutate := range cases {
		m := base()
		mutate(&m)
		_, err := outbound.Build(m, time.Now())
		if !errors.Is(err, outbound.ErrHeaderInjection) || !errors.Is(err, outbound.ErrInvalid) {
			t.Errorf("%s: %v, want ErrHeaderInjection", name, err)
		}
	}
	for _, name := range []string{"Bcc", "From", "Subject", "DKIM-Signature", "Content-Type", "Received", "Return-Path", "X-Lumora-Account", "X Bad", "X-Ünicode"} {
		m := base()
		m.Headers = map[string]string{name: "v"}
		var e *outbound.Error
		if _, err := outbound.Build(m, time.Now()); !errors.As(err, &e) || !strings.HasPrefix(e.Field, "headers.") {
			t.Errorf("header %q: %v, want refused", name, err)
		}
	}
	m := base()
	m.Headers = map[string]string{"X-Campaign": "a", "x-campaign": "b"}
	if _, err := outbound.Build(m, time.Now()); !errors.Is(err, outbound.ErrInvalid) {
		t.Errorf("one header twice in different case: %v", err)
	}
	for _, name := range []string{"X-Campaign", "list-unsubscribe", "List-Unsubscribe-Post", "In-Reply-To", "References"} {
		m := base()
		m.Headers = map[string]string{name: "<a@b.test>"}
		if _, err := outbound.Build(m, time.Now()); err != nil {
			t.Errorf("header %q refused: %v", name, err)
		}
	}
}

func TestBuildRefusesIncompleteMessages(t *testing.T) {
	t.Parallel()
	cases := map[string]outbound.Message{
		"subject": {From: addr(t, "a@acme.test"), To: []address.Address{addr(t, "b@globex.test")}, Text: "x"},
		"to":      {From: addr(t, "a@acme.test"), Subject: "s", Text: "x"},
		"from":    {To: []address.Address{addr(t, "b@globex.test")}, Subject: "s", Text: "x"},
		"html":    {From: addr(t, "a@acme.test"), To: []address.Address{addr(t, "b@globex.test")}, Subject: "s"},
		"tags":    {From: addr(t, "a@acme.test"), To: []address.Address{addr(t, "b@globex.test")}, Subject: "s", Text: "x", Tags: []outbound.Tag{{Name: "a b"}}},
	}
	for field, m := range cases {
		var e *outbound.Error
		if _, err := outbound.Build(m, time.Now()); !errors.As(err, &e) || e.Field != field {
			t.Errorf("%s: %v", field, err)
		}
	}
}

func TestParseURL(t *testing.T) {
	t.Parallel()
	good := map[string]outbound.Endpoint{
		"smtp://relay.example.com":               {Host: "relay.example.com", Addr: "relay.example.com:587"},
		"smtp://u:p%40ss@relay.example.com:2525": {Host: "relay.example.com", Addr: "relay.example.com:2525", Username: "u", Password: "p@ss"},
		"smtps://apikey:k@smtp.example.com":      {ImplicitTLS: true, Host: "smtp.example.com", Addr: "smtp.example.com:465", Username: "apikey", Password: "k"},
		"smtp://127.0.0.1:1025/":                 {Host: "127.0.0.1", Addr: "127.0.0.1:1025"},
		"smtp://[::1]:25":                        {Host: "::1", Addr: "[::1]:25"},
	}
	for in, want := range good {
		got, err := outbound.ParseURL(in)
		if err != nil || got != want {
			t.Errorf("ParseURL(%q) = %+v, %v; want %+v", in, got, err, want)
		}
	}
	for _, in := range []string{"", "http://x.example.com", "smtp://", "smtp://h.example.com/path", "smtp://h.example.com?tls=no", "relay.example.com:25"} {
		if _, err := outbound.ParseURL(in); err == nil {
			t.Errorf("ParseURL(%q) accepted", in)
		}
	}
}

func TestRetrySchedule(t *testing.T) {
	t.Parallel()
	queued := time.Date(2026, 4, 21, 12, 0, 0, 0, time.UTC)
	window := 24 * time.Hour
	now := queued
	var waits []time.Duration
	for attempt := 1; ; attempt++ {
		next, giveUp := outbound.NextAttempt(queued, attempt, now, window)
		if giveUp {
			if now.Before(queued.Add(window)) {
				t.Fatalf("gave up at %s, before the window closed", now)
			}
			break
		}
		if !next.After(now) {
			t.Fatalf("attempt %d: next %s is not after %s", attempt, next, now)
		}
		waits = append(waits, next.Sub(now))
		now = next
		if attempt > 100 {
			t.Fatal("never gives up")
		}
	}
	wantStart := []time.Duration{time.Minute, 5 * time.Minute, 15 * time.Minute, 30 * time.Minute, time.Hour, 2 * time.Hour, 4 * time.Hour, 4 * time.Hour}
	for i, w := range wantStart {
		if waits[i] != w {
			t.Errorf("wait %d = %s, want %s", i+1, waits[i], w)
		}
	}
	// The final attempt is pulled in to the window's end, then it gives up.
	if now != queued.Add(window) {
		t.Errorf("last attempt at %s, want the window's end %s", now, queued.Add(window))
	}
	if _, giveUp := outbound.NextAttempt(queued, 1, queued.Add(time.Hour), time.Hour); !giveUp {
		t.Error("a short window does not give up")
	}
}
