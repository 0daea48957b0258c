package demo_test

import (
	"bytes"
	"context"
	"testing"
	"time"

	"lumdesk/handlers/server"
	"lumdesk/internal/accounts"
	"lumdesk/internal/demo"
	"lumdesk/internal/mail"
	"lumdesk/internal/platform/config"
	"lumdesk/internal/platform/db"
	"lumdesk/internal/platform/secretbox"
	"lumdesk/internal/platform/testdb"
)

// The demo's Lumora has apps with a verified domain, a template, keys bound
// to the apps and weeks of messages whose statuses come from delivery, so
// the console's log and stats show something; seeding twice adds nothing.
func TestSeedLumora(t *testing.T) {
	t.Parallel()
	d := db.New(testdb.New(t))
	box, _ := secretbox.New(bytes.Repeat([]byte{1}, 32))
	svc := server.NewServices(config.Config{Demo: true, LumoraSPFInclude: "spf.lumora.local", LumoraReturnPathLabel: "bounces",
		LumoraReturnPathHost: "return.lumora.local"}, d, box)
	t.Cleanup(svc.Licensing.Close)
	ctx := context.Background()
	for i := 0; i < 2; i++ {
		if _, err := demo.Seed(ctx, svc.DemoDeps()); err != nil {
			t.Fatalf("seed %d: %v", i, err)
		}
	}
	apps, err := svc.Mail.ListApps(ctx, accounts.AllAccounts, 0, 10)
	if err != nil || len(apps) != 3 {
		t.Fatalf("apps: %d %v", len(apps), err)
	}
	var verified, pending, bound int
	_ = d.Pool.QueryRow(ctx, `SELECT count(*) FILTER (WHERE status = 'verified'), count(*) FILTER (WHERE status = 'pending') FROM mail_domains`).Scan(&verified, &pending)
	_ = d.Pool.QueryRow(ctx, `SELECT count(*) FROM api_keys WHERE mail_app_id IS NOT NULL`).Scan(&bound)
	if verified != 3 || pending != 1 || bound != 2 {
		t.Fatalf("domains verified %d pending %d; keys bound to apps %d", verified, pending, bound)
	}
	// Checked last at the seed's end, not on its first day: the server's
	// re-check, which asks public DNS where the demo's names are not,
	// finds none due when it starts, so they stay verified.
	if n, err := svc.Mail.RecheckDue(ctx); err != nil || n != 0 {
		t.Fatalf("domains due for a re-check after the seed: %d %v", n, err)
	}
	since := time.Now().Add(-40 * 24 * time.Hour)
	for _, a := range apps {
		st, err := svc.Mail.Stats(ctx, accounts.AllAccounts, a.ID, &since, nil)
		if err != nil {
			t.Fatal(err)
		}
		if st.Totals[mail.RcptDelivered] < 20 || st.Totals[mail.RcptBounced] == 0 || st.Totals[mail.RcptDeferred] == 0 || len(st.Days) < 10 {
			t.Errorf("app %q stats: %v over %d days", a.Name, st.Totals, len(st.Days))
		}
	}
	var days, templated, queued int
	_ = d.Pool.QueryRow(ctx, `SELECT count(DISTINCT created_at::date), (SELECT count(*) FROM mail_templates), count(*) FILTER (WHERE status = 'queued') FROM mail_messages`).Scan(&days, &templated, &queued)
	if days < 15 || templated == 0 || queued != 0 {
		t.Fatalf("messages over %d days, %d from templates, %d still queued", days, templated, queued)
	}
	// The log lists by id, newest first: the demo's ids follow its times,
	// as a real account's do.
	var outOfOrder int
	if err := d.Pool.QueryRow(ctx, `SELECT count(*) FROM mail_messages a JOIN mail_messages b ON b.account_id = a.account_id AND b.id > a.id AND b.created_at < a.created_at`).Scan(&outOfOrder); err != nil || outOfOrder != 0 {
		t.Fatalf("%d pairs of messages whose ids and times disagree (%v)", outOfOrder, err)
	}
}
