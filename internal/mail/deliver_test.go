package mail

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-msgauth/dkim"
	"github.com/jackc/pgx/v5"

	"lumdesk/internal/accounts"
	"lumdesk/internal/jobs"
	"lumdesk/internal/mail/outbound"
	"lumdesk/internal/mail/sandbox"
	"lumdesk/internal/mail/webhooks"
	"lumdesk/internal/platform/secretbox"
)

// notifyStore is the sandbox's memory store that also says when mail arrives.
type notifyStore struct {
	*sandbox.MemoryStore
	added chan struct{}
}

func (s notifyStore) Add(ctx context.Context, m sandbox.Message) error {
	err := s.MemoryStore.Add(ctx, m)
	s.added <- struct{}{}
	return err
}

type deliverFixture struct {
	*sendFixture
	smtp  *sandbox.Server
	store notifyStore
}

// newDeliverFixture delivers into a real SMTP server on loopback.
func newDeliverFixture(t *testing.T, retryFor time.Duration) *deliverFixture {
	t.Helper()
	f := &deliverFixture{sendFixture: newSendFixture(t), store: notifyStore{sandbox.NewMemoryStore(50), make(chan struct{}, 50)}}
	srv, err := sandbox.Start(t.Context(), sandbox.Options{Store: f.store})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	f.smtp = srv
	sender, err := outbound.NewSender(outbound.SenderConfig{URL: srv.URL(), HeloName: "mta.lumora.test"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sender.Close() })
	f.svc.SetTransport(sender, retryFor)
	return f
}

func (f *deliverFixture) messageID(t *testing.T, publicID string) int64 {
	t.Helper()
	d, err := f.svc.GetMessage(ctx, accounts.AllAccounts, publicID)
	if err != nil {
		t.Fatal(err)
	}
	return d.Message.ID
}

func (f *deliverFixture) deliver(t *testing.T, publicID string) time.Time {
	t.Helper()
	next, err := f.svc.Deliver(ctx, f.messageID(t, publicID))
	if err != nil {
		t.Fatal(err)
	}
	return next
}

func (f *deliverFixture) received(t *testing.T) []sandbox.Message {
	t.Helper()
	msgs, err := f.store.List(ctx, 0)
	if err != nil {
		t.Fatal(err)
	}
	return msgs
}

// timeline is "recipient:type" of each event.
func (f *deliverFixture) timeline(t *testing.T, publicID string) (string, MessageDetail) {
	t.Helper()
	d, err := f.svc.GetMessage(ctx, accounts.AllAccounts, publicID)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range d.Events {
		out = append(out, e.Recipient+":"+e.Type)
	}
	return strings.Join(out, " "), d
}

// A message reaches the SMTP server with its headers and both bodies, and
// its DKIM signature verifies against the key the domain publishes in DNS.
func TestDeliverSignedMessage(t *testing.T) {
	t.Parallel()
	f := newDeliverFixture(t, 0)
	in := basic()
	in.Subject = "Grüße from Acme"
	in.Cc = []string{"Ops Team <ops@globex.test>"}
	in.Bcc = []string{"audit@acme.test"}
	in.ReplyTo = []string{"support@acme.test"}
	in.Headers = map[string]string{"X-Campaign": "spring"}
	res := f.send(t, in)
	if next := f.deliver(t, res.MessageID); !next.IsZero() {
		t.Errorf("next attempt %v after delivering everything", next)
	}
	msgs := f.received(t)
	if len(msgs) != 1 {
		t.Fatalf("%d messages received", len(msgs))
	}
	got := msgs[0]
	if got.MailFrom != "hello@acme.test" || fmt.Sprint(got.RcptTo) != "[jordan@globex.test ops@globex.test audit@acme.test]" {
		t.Errorf("envelope %s -> %v", got.MailFrom, got.RcptTo)
	}
	for name, want := range map[string]string{"From": `"Acme" <hello@acme.test>`, "To": "<jordan@globex.test>",
		"Cc": "<ops@globex.test>", "Reply-To": "<support@acme.test>", "Subject": "Grüße from Acme", "X-Campaign": "spring"} {
		if v := got.HeaderValue(name); v != want {
			t.Errorf("%s: %q, want %q", name, v, want)
		}
	}
	if got.Text != "Hello Jordan" || got.HTML != "<p>Hello Jordan</p>" || bytes.Contains(got.Raw, []byte("audit@acme.test")) {
		t.Errorf("bodies %q %q, or the Bcc shows", got.Text, got.HTML)
	}
	if !strings.HasSuffix(got.MessageID, "@acme.test") {
		t.Errorf("Message-ID %q", got.MessageID)
	}
	// The verifier asks the test DNS server, where the domain's record was published.
	lookup := func(name string) ([]string, error) {
		txts, _, err := f.svc.resolver.lookupTXT(context.Background(), name)
		return txts, err
	}
	verifs, err := dkim.VerifyWithOptions(bytes.NewReader(got.Raw), &dkim.VerifyOptions{LookupTXT: lookup})
	if err != nil || len(verifs) != 1 || verifs[0].Err != nil || verifs[0].Domain != "acme.test" {
		t.Fatalf("DKIM: %+v %v", verifs, err)
	}
	line, d := f.timeline(t, res.MessageID)
	want := "jordan@globex.test:queued ops@globex.test:queued audit@acme.test:queued " +
		"jordan@globex.test:delivered ops@globex.test:delivered audit@acme.test:delivered"
	if line != want || d.Message.Status != MsgDelivered || d.Message.SMTPMessageID != got.MessageID {
		t.Errorf("timeline %q (status %s, id %s)", line, d.Message.Status, d.Message.SMTPMessageID)
	}
	// Delivering again sends nothing more.
	f.deliver(t, res.MessageID)
	if n := len(f.received(t)); n != 1 {
		t.Errorf("%d messages after a second run", n)
	}
}

// A 4xx defers the recipient to outbound's next attempt; at that time it is
// tried again and delivered.
func TestDeliverRetriesDeferred(t *testing.T) {
	t.Parallel()
	f := newDeliverFixture(t, 0)
	f.smtp.SetReply("jordan@globex.test", sandbox.Reply{Code: 451, Message: "Greylisted, try later", Times: 1})
	res := f.send(t, basic())
	next := f.deliver(t, res.MessageID)
	if want := f.now.Add(time.Minute); !next.Equal(want) {
		t.Fatalf("next attempt %v, want %v", next, want)
	}
	if again := f.deliver(t, res.MessageID); !again.Equal(next) || len(f.received(t)) != 0 {
		t.Fatalf("an early run sent: next %v, %d received", again, len(f.received(t)))
	}
	f.now = next
	if n := f.deliver(t, res.MessageID); !n.IsZero() {
		t.Errorf("next %v after delivery", n)
	}
	line, d := f.timeline(t, res.MessageID)
	if line != "jordan@globex.test:queued jordan@globex.test:deferred jordan@globex.test:delivered" || d.Message.Status != MsgDelivered {
		t.Errorf("timeline %q, status %s", line, d.Message.Status)
	}
	if e := d.Events[1]; !strings.Contains(e.Detail, "451") || !strings.Contains(e.Detail, "Greylisted") {
		t.Errorf("deferred detail %q", e.Detail)
	}
	if r := d.Recipients[0]; r.Attempts != 2 || r.LastSMTPCode != 0 && r.LastSMTPCode != 250 {
		t.Errorf("recipient %+v", r)
	}
}

// A recipient deferred for the whole retry window fails.
func TestDeliverGivesUpAfterRetryWindow(t *testing.T) {
	t.Parallel()
	f := newDeliverFixture(t, 10*time.Minute)
	f.smtp.SetReply("jordan@globex.test", sandbox.Reply{Code: 421, Message: "Try again"})
	res := f.send(t, basic())
	attempts := 0
	for next := f.deliver(t, res.MessageID); !next.IsZero(); next = f.deliver(t, res.MessageID) {
		attempts++
		if attempts > 10 {
			t.Fatal("never gave up")
		}
		f.now = next
	}
	_, d := f.timeline(t, res.MessageID)
	if d.Message.Status != MsgFailed || d.Recipients[0].Status != RcptFailed || d.Events[len(d.Events)-1].Type != RcptFailed {
		t.Errorf("after %d attempts: %+v", attempts, d)
	}
}

// A 5xx bounces the recipient and suppresses the address; the next send to
// it never reaches the SMTP server.
func TestDeliverBounceSuppresses(t *testing.T) {
	t.Parallel()
	f := newDeliverFixture(t, 0)
	f.smtp.SetReply("gone@globex.test", sandbox.Reply{Code: 550, Message: "No such user"})
	in := basic()
	in.To = []string{"gone@globex.test", "jordan@globex.test"}
	res := f.send(t, in)
	f.deliver(t, res.MessageID)
	line, d := f.timeline(t, res.MessageID)
	if line != "gone@globex.test:queued jordan@globex.test:queued gone@globex.test:bounced jordan@globex.test:delivered" || d.Message.Status != MsgPartial {
		t.Errorf("timeline %q, status %s", line, d.Message.Status)
	}
	sup, err := f.svc.ListSuppressions(ctx, accounts.Only(f.acct), SuppressionFilter{AccountID: f.acct, Limit: 10})
	if err != nil || len(sup) != 1 || sup[0].Email != "gone@globex.test" || sup[0].Reason != ReasonHardBounce || !strings.Contains(sup[0].Origin, "550") {
		t.Fatalf("suppressions %+v %v", sup, err)
	}
	if err := f.svc.DeleteSuppression(ctx, accounts.Only(f.acct), f.acct, "gone@globex.test"); err == nil {
		t.Error("a hard bounce was lifted through the API")
	}

	f.smtp.ClearReplies()
	res = f.send(t, in)
	f.deliver(t, res.MessageID)
	msgs := f.received(t)
	if len(msgs) != 2 || fmt.Sprint(msgs[0].RcptTo) != "[jordan@globex.test]" {
		t.Fatalf("second message reached %v", msgs[0].RcptTo)
	}
	if !strings.Contains(msgs[0].HeaderValue("To"), "gone@globex.test") {
		t.Errorf("the To header lost the suppressed address: %q", msgs[0].HeaderValue("To"))
	}
}

// Each recipient's new status is announced to the app's subscribed webhook
// endpoints, in the transaction recording it.
func TestDeliverAnnouncesWebhooks(t *testing.T) {
	t.Parallel()
	f := newDeliverFixture(t, 0)
	box, err := secretbox.New(bytes.Repeat([]byte{7}, 32))
	if err != nil {
		t.Fatal(err)
	}
	hooks := webhooks.NewService(f.db, box, webhooks.Settings{AllowPrivate: true})
	f.svc.SetWebhooks(hooks)
	if _, err := hooks.CreateEndpoint(ctx, cli, accounts.Only(f.acct), f.app.ID, webhooks.EndpointInput{
		URL: "http://127.0.0.1:9/hooks", Events: webhooks.Events}); err != nil {
		t.Fatal(err)
	}
	f.smtp.SetReply("gone@globex.test", sandbox.Reply{Code: 550, Message: "No such user"})
	f.smtp.SetReply("jordan@globex.test", sandbox.Reply{Code: 451, Message: "Greylisted", Times: 1})
	in := basic()
	in.To = []string{"gone@globex.test", "jordan@globex.test"}
	res := f.send(t, in)
	f.now = f.deliver(t, res.MessageID)
	f.deliver(t, res.MessageID)

	rows, err := f.db.Pool.Query(ctx, `SELECT event_type || ' ' || (payload->'data'->>'recipient') || ' ' ||
		coalesce(payload->'data'->>'smtp_code', '-') || ' ' || (payload->'data'->>'message_id')
		FROM mail_webhook_deliveries ORDER BY event_type`)
	if err != nil {
		t.Fatal(err)
	}
	got, err := pgx.CollectRows(rows, pgx.RowTo[string])
	want := []string{"email.bounced gone@globex.test 550 " + res.MessageID, "email.deferred jordan@globex.test 451 " + res.MessageID,
		"email.delivered jordan@globex.test 250 " + res.MessageID}
	if err != nil || fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("webhook deliveries %q (%v), want %q", got, err, want)
	}
}

// Through River: the send's job delivers into the SMTP server.
func TestDeliveryJobRuns(t *testing.T) {
	t.Parallel()
	f := newDeliverFixture(t, 0)
	done := make(chan error, 4)
	f.jobs.SetMailDeliver(func(ctx context.Context, id int64) (time.Time, error) {
		next, err := f.svc.Deliver(ctx, id)
		done <- err
		return next, err
	})
	f.jobs.SetLogger(slog.New(slog.NewTextHandler(io.Discard, nil)))
	f.jobs.SetOptions(jobs.Options{TestOnly: true, PollInterval: 50 * time.Millisecond})
	res := f.send(t, basic())
	if err := f.jobs.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = f.jobs.Stop(context.Background()) })
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("the delivery job did not run")
	}
	if _, d := f.timeline(t, res.MessageID); d.Message.Status != MsgDelivered || len(f.received(t)) != 1 {
		t.Fatalf("after the job: status %s, %d received", d.Message.Status, len(f.received(t)))
	}
}
