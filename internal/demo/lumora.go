package demo

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"lumdesk/internal/accounts"
	"lumdesk/internal/mail"
	"lumdesk/internal/mail/outbound"
	"lumdesk/internal/mail/templates"
	"lumdesk/internal/platform/loopdns"
)

// demoMailApp is one account's Lumora set-up: an app, its sending domain
// (verified), a template, and Sends messages over the last MailDays.
type demoMailApp struct {
	Email, App, From, FromName string
	Domain                     string // verified through DNS (demo DNS server)
	Pending                    string // a second domain left pending, "" for none
	Template                   templates.CreateInput
	Sends                      int
}

// MailDays is how far back the demo's Lumora messages reach.
const MailDays = 28

var demoMailApps = []demoMailApp{
	{Email: "dev@harbor.io", App: "Harbor alerts", From: "alerts@mail.harbor.io", FromName: "Harbor Analytics",
		Domain: "mail.harbor.io", Pending: "harbor.io", Sends: 60,
		Template: templates.CreateInput{Slug: "threshold-alert", Name: "Threshold alert",
			Subject: "{{metric}} crossed {{threshold}}",
			HTML:    "<p>Hi {{name}},</p><p><strong>{{metric}}</strong> is at {{value}}, above your threshold of {{threshold}}.</p>",
			Text:    "Hi {{name}},\n\n{{metric}} is at {{value}}, above your threshold of {{threshold}}.\n"}},
	// The portal's demo account (PortalAccountEmail) has data in every live product.
	{Email: "ops@nightfall.gg", App: "Nightfall notices", From: "hub@mail.nightfall.gg", FromName: "Nightfall Studios",
		Domain: "mail.nightfall.gg", Sends: 40,
		Template: templates.CreateInput{Slug: "key-issued", Name: "License key issued",
			Subject: "Your Nightfall Hub key",
			HTML:    "<p>Hi {{name}},</p><p>Your Nightfall Hub key is ready. Issue {{issue}}.</p>",
			Text:    "Hi {{name}},\n\nYour Nightfall Hub key is ready. Issue {{issue}}.\n"}},
	{Email: "editor@helixletter.com", App: "Helix newsletter", From: "editor@news.helixletter.com", FromName: "Helix Newsletter",
		Domain: "news.helixletter.com", Sends: 40,
		Template: templates.CreateInput{Slug: "weekly-issue", Name: "Weekly issue",
			Subject: "Helix #{{issue}}: {{headline}}",
			HTML:    "<h1>{{headline}}</h1><p>Hello {{name}}, this week in Helix.</p>",
			Text:    "{{headline}}\n\nHello {{name}}, this week in Helix.\n"}},
}

// seedLumora adds the demo Lumora apps once per account (an account that
// has an app already is left alone). Everything goes through mail.Service:
// the domains are verified by real DNS lookups against a DNS server the
// seed runs on loopback for the purpose, and the messages are sent and
// delivered (on clocks set to past days) to demoMTA, which answers like a
// receiving server so that statuses and events come from the real code.
func seedLumora(ctx context.Context, d Deps) error {
	if d.Mail == nil || d.Accounts == nil {
		return nil
	}
	if set := d.Mail.Settings(); set.ReturnPathLabel == "" || set.ReturnPathHost == "" || set.SPFInclude == "" {
		return nil // a service made from a bare config (some tests) has no records to publish
	}
	var zone *loopdns.Server
	for i, m := range demoMailApps {
		acc, err := d.Accounts.GetByEmail(ctx, m.Email)
		if errors.Is(err, accounts.ErrNotFound) {
			continue
		}
		if err != nil {
			return fmt.Errorf("demo lumora %s: %w", m.Email, err)
		}
		if apps, err := d.Mail.ListApps(ctx, accounts.Only(acc.ID), 0, 1); err != nil || len(apps) > 0 {
			if err != nil {
				return fmt.Errorf("demo lumora %s: %w", m.Email, err)
			}
			continue
		}
		if zone == nil {
			if zone, err = loopdns.Start(); err != nil {
				return fmt.Errorf("demo lumora: DNS server: %w", err)
			}
			defer zone.Close()
		}
		if err := seedMailApp(ctx, d, zone, acc.ID, m, rand.New(rand.NewPCG(uint64(i)+7, 9))); err != nil {
			return fmt.Errorf("demo lumora %s: %w", m.Email, err)
		}
	}
	return nil
}

func seedMailApp(ctx context.Context, d Deps, zone *loopdns.Server, accountID int64, m demoMailApp, rng *rand.Rand) error {
	today := time.Now().UTC().Truncate(24 * time.Hour)
	start := today.Add(-MailDays * 24 * time.Hour).Add(9 * time.Hour)
	svc := d.Mail.WithClock(func() time.Time { return start })
	app, err := svc.CreateApp(ctx, actor, accounts.AllAccounts, mail.AppInput{AccountID: &accountID, Name: m.App,
		DefaultFromEmail: m.From, DefaultFromName: m.FromName})
	if err != nil {
		return err
	}
	dom, err := svc.AddDomain(ctx, actor, accounts.AllAccounts, mail.DomainInput{AccountID: &accountID, Name: m.Domain})
	if err != nil {
		return err
	}
	for _, r := range dom.Records {
		zone.Add(r.Type, r.Name, r.Value)
	}
	resolver, err := mail.NewResolver(zone.Addr)
	if err != nil {
		return err
	}
	if dom, err = svc.WithResolver(resolver).Verify(ctx, actor, accounts.AllAccounts, dom.ID); err != nil {
		return err
	} else if dom.Status != mail.StatusVerified {
		return fmt.Errorf("domain %s did not verify against the demo DNS server: %+v", dom.Name, dom.Records)
	}
	if m.Pending != "" {
		if _, err := svc.AddDomain(ctx, actor, accounts.AllAccounts, mail.DomainInput{AccountID: &accountID, Name: m.Pending}); err != nil {
			return err
		}
	}
	if d.Templates != nil {
		tin := m.Template
		tin.AccountID = &accountID
		if _, err := d.Templates.Create(ctx, actor, accounts.AllAccounts, tin); err != nil {
			return err
		}
	}
	// Send oldest first, each delivered a few seconds after it was queued:
	// the message log lists by id, newest first, as a real account's sends
	// are numbered, so the demo's ids follow its times too.
	sendTimes := make([]time.Time, m.Sends)
	for i := range sendTimes {
		day := time.Duration(rng.IntN(MailDays)) * 24 * time.Hour
		sendTimes[i] = start.Add(day).Add(time.Duration(rng.IntN(10*3600)) * time.Second)
		if sendTimes[i].After(time.Now()) {
			sendTimes[i] = time.Now().Add(-time.Hour)
		}
	}
	slices.SortFunc(sendTimes, time.Time.Compare)
	var now time.Time
	clocked := d.Mail.WithClock(func() time.Time { return now })
	clocked.SetQueue(noQueue{})
	clocked.SetTransport(&demoMTA{deferred: map[string]bool{}}, 0)
	for i, at := range sendTimes {
		now = at
		in := mail.SendInput{To: []string{demoRecipient(rng)}}
		if rng.IntN(5) == 0 {
			in.Cc = []string{demoRecipient(rng)}
		}
		if d.Templates != nil && rng.IntN(3) > 0 {
			in.Template = m.Template.Slug
			in.Variables = map[string]any{"name": "Sam", "metric": "p99 latency", "value": "412 ms", "threshold": "300 ms",
				"issue": 100 + i, "headline": "What shipped this week"}
		} else {
			in.Subject, in.Text = "Your weekly summary", "Here is your summary for the week."
			in.HTML = "<p>Here is your <b>summary</b> for the week.</p>"
		}
		res, err := clocked.Send(ctx, accounts.AllAccounts, app.ID, in)
		if errors.Is(err, mail.ErrAllSuppressed) {
			continue // an address that bounced earlier: the suppressed event is the demo's point
		}
		if err != nil {
			return fmt.Errorf("send: %w", err)
		}
		sent, err := clocked.GetMessage(ctx, accounts.AllAccounts, res.MessageID)
		if err != nil {
			return err
		}
		id := sent.Message.ID
		// Deferred recipients are tried again when due, as the River job would.
		for attempt := 0; attempt < 3; attempt++ {
			now = now.Add(time.Duration(2+rng.IntN(20)) * time.Second)
			next, err := clocked.Deliver(ctx, id)
			if err != nil {
				return fmt.Errorf("deliver: %w", err)
			}
			if next.IsZero() {
				break
			}
			now = next
		}
	}
	// Checked again now, against the same records: the server re-checks a
	// domain a re-check interval after its last check (RecheckDue), and
	// asks public DNS, where the demo's names are not. Last checked on the
	// seed's first day, the domain would turn failing as the server starts.
	_, err = d.Mail.WithResolver(resolver).Verify(ctx, actor, accounts.AllAccounts, dom.ID)
	return err
}

// demoRecipient is a sample address: mostly deliverable, some that bounce
// (unknown users) or defer (a full mailbox) at demoMTA.
func demoRecipient(rng *rand.Rand) string {
	names := []string{"ana", "ben", "chen", "dara", "eli", "fatima", "gus", "hana", "ivo", "jo", "kai", "lena"}
	switch n := rng.IntN(20); {
	case n == 0:
		return "nobody@example.net"
	case n == 1:
		return "former.employee@example.org"
	case n <= 3:
		return "full@example.com"
	default:
		return names[rng.IntN(len(names))] + "@example.com"
	}
}

// demoMTA answers as a receiving server would, without the network:
// unknown users bounce (550 5.1.1), a full mailbox defers (452 4.2.2) on
// its first attempt, everyone else is accepted.
// The seed delivers one message at a time, retrying it at once when due,
// so deferring every other attempt to an address defers each message once.
type demoMTA struct{ deferred map[string]bool }

func (t *demoMTA) Send(_ context.Context, _ string, rcpts []string, _ []byte) []outbound.RecipientResult {
	out := make([]outbound.RecipientResult, len(rcpts))
	for i, r := range rcpts {
		switch {
		case strings.HasPrefix(r, "nobody@") || strings.HasPrefix(r, "former.employee@"):
			out[i] = outbound.RecipientResult{Email: r, Status: outbound.Bounced, Code: 550, EnhancedCode: "5.1.1", Text: "The email account that you tried to reach does not exist"}
		case strings.HasPrefix(r, "full@"):
			t.deferred[r] = !t.deferred[r]
			if t.deferred[r] {
				out[i] = outbound.RecipientResult{Email: r, Status: outbound.Deferred, Code: 452, EnhancedCode: "4.2.2", Text: "Mailbox full, try again later"}
				continue
			}
			fallthrough
		default:
			out[i] = outbound.RecipientResult{Email: r, Status: outbound.Delivered, Code: 250, EnhancedCode: "2.0.0", Text: "OK queued"}
		}
	}
	return out
}

// noQueue drops the delivery job: the seed delivers itself, on its clock.
type noQueue struct{}

func (noQueue) EnqueueMailDeliveryTx(context.Context, pgx.Tx, int64) error { return nil }
