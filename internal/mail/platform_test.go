package mail

import (
	"errors"
	"testing"

	"lumdesk/internal/accounts"
)

// Platform mail goes the customers' way (stored, queued, delivered over
// SMTP, logged) from PLATFORM_MAIL_FROM, which has no verified domain: it
// reaches the SMTP server unsigned, and no customer app may use the sender.
func TestSendPlatformReachesTheSandbox(t *testing.T) {
	t.Parallel()
	f := newDeliverFixture(t, 0)
	res, err := f.svc.SendPlatform(ctx, "new.staff@globex.test", "You are invited to lumdesk", "Open the link to sign in.", "<p>Open the link to sign in.</p>")
	if err != nil {
		t.Fatal(err)
	}
	if next := f.deliver(t, res.MessageID); !next.IsZero() {
		t.Fatalf("next attempt %v after delivering", next)
	}
	msgs := f.received(t)
	if len(msgs) != 1 {
		t.Fatalf("%d messages received", len(msgs))
	}
	got := msgs[0]
	if got.MailFrom != DefaultPlatformFrom || got.HeaderValue("From") != `"lumdesk" <lumdesk@localhost>` || got.Subject != "You are invited to lumdesk" ||
		got.Text != "Open the link to sign in." || got.HTML != "<p>Open the link to sign in.</p>" || got.HeaderValue("DKIM-Signature") != "" {
		t.Fatalf("received %s %q %q %q %q dkim %q", got.MailFrom, got.HeaderValue("From"), got.Subject, got.Text, got.HTML, got.HeaderValue("DKIM-Signature"))
	}
	line, d := f.timeline(t, res.MessageID)
	if line != "new.staff@globex.test:queued new.staff@globex.test:delivered" || d.Message.Status != MsgDelivered {
		t.Fatalf("timeline %q, status %s", line, d.Message.Status)
	}
	// Delivered, its body (a one-time link) is not kept.
	if n := f.count(t, "SELECT count(*) FROM mail_messages WHERE public_id = $1 AND text_body = $2 AND html_body = ''", res.MessageID, PlatformBodyForgotten); n != 1 {
		t.Fatal("a delivered platform message kept its body")
	}

	// The built-in app is made once and listed under its own account.
	if _, err := f.svc.SendPlatform(ctx, "second@globex.test", "Password reset", "Reset it here.", ""); err != nil {
		t.Fatal(err)
	}
	if n := f.count(t, "SELECT count(*) FROM mail_apps WHERE name = $1", PlatformAppName); n != 1 {
		t.Fatalf("%d platform apps", n)
	}
	if n := f.count(t, "SELECT count(*) FROM accounts WHERE email = $1", PlatformAccountEmail); n != 1 {
		t.Fatalf("%d platform accounts", n)
	}
	// Bad input is refused as any send's is.
	var fe ValidationError
	if _, err := f.svc.SendPlatform(ctx, "not an address", "Hi", "x", ""); !errors.As(err, &fe) || fe["to"] == "" {
		t.Fatalf("bad recipient: %v", err)
	}
	// A customer app may not borrow the platform's sender.
	in := basic()
	in.FromEmail = "lumdesk@localhost"
	if _, err := f.svc.Send(ctx, accounts.Only(f.acct), f.app.ID, in); err == nil {
		t.Fatal("a customer app sent from the platform sender")
	}
}

// Platform mail queued by another process (the CLI's `customer invite`)
// is delivered by a server that found no platform account a moment before
// and would otherwise trust that for a minute.
func TestPlatformMailFromAnotherProcessIsDelivered(t *testing.T) {
	t.Parallel()
	f := newDeliverFixture(t, 0)
	if p, err := f.svc.isPlatformAccount(ctx, f.acct); err != nil || p {
		t.Fatalf("before any platform mail: %v %v", p, err)
	}
	cli := *f.svc
	cli.platform = &platformState{} // another process: its own memory
	res, err := cli.SendPlatform(ctx, "invited@globex.test", "You are invited", "Open the link.", "")
	if err != nil {
		t.Fatal(err)
	}
	if next := f.deliver(t, res.MessageID); !next.IsZero() {
		t.Fatalf("next attempt %v after delivering", next)
	}
	if _, d := f.timeline(t, res.MessageID); d.Message.Status != MsgDelivered {
		t.Fatalf("status %s, want delivered", d.Message.Status)
	}
}
