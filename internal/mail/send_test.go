package mail

import (
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"lumdesk/internal/accounts"
	"lumdesk/internal/jobs"
	"lumdesk/internal/licensing"
	"lumdesk/internal/mail/outbound"
)

// sendFixture is the fixture with a verified acme.test, an app whose
// default sender is on it, and the real River inserter as the queue.
type sendFixture struct {
	*fixture
	app    App
	domain Domain
	jobs   *jobs.Service
}

func newSendFixture(t *testing.T) *sendFixture {
	t.Helper()
	f := newFixture(t)
	sf := &sendFixture{fixture: f}
	sf.domain = f.verifiedDomain(t)
	app, err := f.svc.CreateApp(ctx, cli, accounts.Only(f.acct), AppInput{Name: "Shop", DefaultFromEmail: "hello@acme.test", DefaultFromName: "Acme"})
	if err != nil {
		t.Fatal(err)
	}
	sf.app = app
	lic := licensing.NewService(f.db)
	t.Cleanup(lic.Close)
	sf.jobs = jobs.New(f.db, lic)
	f.svc.SetQueue(sf.jobs)
	return sf
}

func (f *sendFixture) send(t *testing.T, in SendInput) SendResult {
	t.Helper()
	res, err := f.svc.Send(ctx, accounts.Only(f.acct), f.app.ID, in)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func (f *sendFixture) count(t *testing.T, sql string, args ...any) int {
	t.Helper()
	var n int
	if err := f.db.Pool.QueryRow(ctx, sql, args...).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func basic() SendInput {
	return SendInput{FromEmail: "hello@acme.test", FromName: "Acme", To: []string{"jordan@globex.test"},
		Subject: "Welcome to Acme", HTML: "<p>Hello Jordan</p>", Text: "Hello Jordan"}
}

// A valid send stores the message, one queued recipient with its event,
// and one River delivery job, and answers queued with a msg_ id.
func TestSendStoresMessageAndJob(t *testing.T) {
	t.Parallel()
	f := newSendFixture(t)
	in := basic()
	in.Cc = []string{"Ops <ops@globex.test>"}
	in.Bcc = []string{"audit@acme.test", "JORDAN@globex.test"} // the duplicate is sent once
	in.Headers = map[string]string{"X-Campaign": "spring"}
	in.Tags = []outbound.Tag{{Name: "category", Value: "welcome"}}
	res := f.send(t, in)
	if !strings.HasPrefix(res.MessageID, "msg_") || res.Status != MsgQueued || res.Replay {
		t.Fatalf("result %+v", res)
	}
	d, err := f.svc.GetMessage(ctx, accounts.Only(f.acct), res.MessageID)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range d.Recipients {
		got = append(got, r.Kind+":"+r.Email+":"+r.Status)
	}
	if want := "to:jordan@globex.test:queued cc:ops@globex.test:queued bcc:audit@acme.test:queued"; strings.Join(got, " ") != want {
		t.Errorf("recipients %v, want %s", got, want)
	}
	if len(d.Events) != 3 || d.Events[0].Type != RcptQueued || d.Message.Subject != "Welcome to Acme" {
		t.Errorf("detail %+v", d)
	}
	if n := f.count(t, `SELECT count(*) FROM river_job WHERE kind = 'mail_deliver'`); n != 1 {
		t.Errorf("%d delivery jobs, want 1", n)
	}
	if _, err := f.svc.GetMessage(ctx, accounts.Only(f.other), res.MessageID); !errors.Is(err, ErrMessageNotFound) {
		t.Errorf("another account reads the message: %v", err)
	}

	// Without from, the app's default sender sends.
	in = basic()
	in.FromEmail, in.FromName = "", ""
	res = f.send(t, in)
	d, _ = f.svc.GetMessage(ctx, accounts.AllAccounts, res.MessageID)
	if d.Message.FromEmail != "hello@acme.test" || d.Message.FromName != "Acme" {
		t.Errorf("default sender: %+v", d.Message)
	}
}

// Every bad field is a validation error naming it; header injection is
// refused wherever it is tried, and nothing is stored.
func TestSendRefusesBadInput(t *testing.T) {
	t.Parallel()
	f := newSendFixture(t)
	many := make([]string, 51)
	for i := range many {
		many[i] = "r" + strings.Repeat("x", i%5) + "@globex.test"
	}
	cases := []struct {
		name  string
		edit  func(*SendInput)
		field string
	}{
		{"no to", func(in *SendInput) { in.To = nil }, "to"},
		{"51 to", func(in *SendInput) { in.To = many }, "to"},
		{"bad to", func(in *SendInput) { in.To = []string{"not-an-address"} }, "to"},
		{"bad cc", func(in *SendInput) { in.Cc = []string{"a@@b.test"} }, "cc"},
		{"bad from", func(in *SendInput) { in.FromEmail = "hello@" }, "from"},
		{"crlf in from name", func(in *SendInput) { in.FromName = "Acme\r\nBcc: victim@x.test" }, "from"},
		{"crlf in to", func(in *SendInput) { in.To = []string{"jordan@globex.test\r\nBcc: victim@x.test"} }, "to"},
		{"crlf in subject", func(in *SendInput) { in.Subject = "Hi\r\nBcc: victim@x.test" }, "subject"},
		{"lf in subject", func(in *SendInput) { in.Subject = "Hi\nX-Evil: 1" }, "subject"},
		{"crlf in header", func(in *SendInput) { in.Headers = map[string]string{"X-Campaign": "a\r\nBcc: victim@x.test"} }, "headers.X-Campaign"},
		{"header not allowed", func(in *SendInput) { in.Headers = map[string]string{"Bcc": "victim@x.test"} }, "headers.Bcc"},
		{"no subject", func(in *SendInput) { in.Subject = " " }, "subject"},
		{"no body", func(in *SendInput) { in.HTML, in.Text = "", "" }, "html"},
		{"bad tag", func(in *SendInput) { in.Tags = []outbound.Tag{{Name: "a b"}} }, "tags"},
		{"template with a body", func(in *SendInput) { in.Template = "welcome" }, "html"},
		{"variables without template", func(in *SendInput) { in.Variables = map[string]any{"name": "Jo"} }, "variables"},
		{"short idempotency key", func(in *SendInput) { in.IdempotencyKey = "short" }, "Idempotency-Key"},
	}
	for _, tc := range cases {
		in := basic()
		tc.edit(&in)
		_, err := f.svc.Send(ctx, accounts.Only(f.acct), f.app.ID, in)
		var fe ValidationError
		if !errors.As(err, &fe) || fe[tc.field] == "" {
			t.Errorf("%s: %v, want a validation error on %s", tc.name, err, tc.field)
		}
	}
	if n := f.count(t, `SELECT count(*) FROM mail_messages`); n != 0 {
		t.Errorf("%d messages stored from bad input", n)
	}
}

// A sender domain that is pending, unknown or another account's is refused
// with the typed error; another account's app is not found.
func TestSendNeedsVerifiedSenderDomain(t *testing.T) {
	t.Parallel()
	f := newSendFixture(t)
	f.addDomain(t, "pending.test")
	for _, from := range []string{"a@pending.test", "a@unknown.test"} {
		in := basic()
		in.FromEmail = from
		_, err := f.svc.Send(ctx, accounts.Only(f.acct), f.app.ID, in)
		var se *SenderDomainError
		if !errors.Is(err, ErrSenderDomainNotVerified) || !errors.As(err, &se) {
			t.Errorf("from %s: %v", from, err)
		}
	}
	if _, err := f.svc.Send(ctx, accounts.Only(f.other), f.app.ID, basic()); !errors.Is(err, ErrAppNotFound) {
		t.Errorf("another account's app: %v", err)
	}
}

// Suppressed recipients get a suppressed event and no delivery; when every
// recipient is suppressed the send is refused.
func TestSendSkipsSuppressed(t *testing.T) {
	t.Parallel()
	f := newSendFixture(t)
	if err := f.svc.Suppress(ctx, f.acct, "Gone@Globex.test", ReasonManual, "test"); err != nil {
		t.Fatal(err)
	}
	in := basic()
	in.To = []string{"gone@globex.test", "jordan@globex.test"}
	res := f.send(t, in)
	d, _ := f.svc.GetMessage(ctx, accounts.AllAccounts, res.MessageID)
	if d.Recipients[0].Status != RcptSuppressed || d.Recipients[1].Status != RcptQueued {
		t.Errorf("recipients %+v", d.Recipients)
	}
	if e := d.Events[0]; e.Type != RcptSuppressed || e.Recipient != "gone@globex.test" {
		t.Errorf("first event %+v", e)
	}
	in.To = []string{"GONE@globex.test"}
	if _, err := f.svc.Send(ctx, accounts.Only(f.acct), f.app.ID, in); !errors.Is(err, ErrAllSuppressed) {
		t.Errorf("all suppressed: %v", err)
	}
	// The other account's list is its own.
	other, err := f.svc.ListSuppressions(ctx, accounts.Only(f.other), SuppressionFilter{AccountID: f.other, Limit: 10})
	if err != nil || len(other) != 0 {
		t.Errorf("other account's suppressions %v %v", other, err)
	}
}

// Twenty identical sends at once with one Idempotency-Key make one message
// and one job; all answer its id, one as the original. Another body with the
// key is refused; after 24 hours the key may be used again.
func TestSendIdempotencyRace(t *testing.T) {
	t.Parallel()
	f := newSendFixture(t)
	in := basic()
	in.IdempotencyKey, in.RequestHash = "order-1234-welcome", []byte("hash-of-body-1")
	var wg sync.WaitGroup
	results := make([]SendResult, 20)
	errs := make([]error, 20)
	for i := range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[i], errs[i] = f.svc.Send(ctx, accounts.Only(f.acct), f.app.ID, in)
		}()
	}
	wg.Wait()
	originals := 0
	for i, r := range results {
		if errs[i] != nil {
			t.Fatalf("send %d: %v", i, errs[i])
		}
		if r.MessageID != results[0].MessageID {
			t.Errorf("send %d answered %s, send 0 %s", i, r.MessageID, results[0].MessageID)
		}
		if !r.Replay {
			originals++
		}
	}
	if originals != 1 {
		t.Errorf("%d answers were not replays, want 1", originals)
	}
	if n := f.count(t, `SELECT count(*) FROM mail_messages`); n != 1 {
		t.Errorf("%d messages, want 1", n)
	}
	if n := f.count(t, `SELECT count(*) FROM river_job WHERE kind = 'mail_deliver'`); n != 1 {
		t.Errorf("%d delivery jobs, want 1", n)
	}

	other := in
	other.RequestHash = []byte("hash-of-body-2")
	if _, err := f.svc.Send(ctx, accounts.Only(f.acct), f.app.ID, other); !errors.Is(err, ErrIdempotencyKeyReused) {
		t.Errorf("other body: %v", err)
	}
	f.now = f.now.Add(IdempotencyKeep + time.Second)
	res := f.send(t, other)
	if res.Replay || res.MessageID == results[0].MessageID {
		t.Errorf("after 24h: %+v", res)
	}
}
