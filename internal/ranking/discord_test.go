package ranking_test

import (
	"context"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"lumdesk/internal/jobs"
	"lumdesk/internal/licensing"
	"lumdesk/internal/ranking"
	"lumdesk/internal/ranking/discord"
)

// startRankingRunner runs River with the ranking service's worker, as the
// server wires it.
func startRankingRunner(t *testing.T, f *rFixture) {
	t.Helper()
	startRankingRunnerWith(t, f, nil)
}

func startRankingRunnerWith(t *testing.T, f *rFixture, setup func(*jobs.Service)) {
	t.Helper()
	lic := licensing.NewService(f.db)
	t.Cleanup(lic.Close)
	runner := jobs.New(f.db, lic)
	runner.SetLogger(slog.New(slog.NewTextHandler(io.Discard, nil)))
	f.svc.SetLogger(slog.New(slog.NewTextHandler(io.Discard, nil)))
	runner.AddWorkers(f.svc.Register)
	runner.SetOptions(jobs.Options{TestOnly: true, PollInterval: 50 * time.Millisecond})
	if setup != nil {
		setup(runner)
	}
	if err := runner.Start(rctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = runner.Stop(sctx)
	})
}

func waitPosted(t *testing.T, ch chan discord.Message) discord.Message {
	t.Helper()
	select {
	case m := <-ch:
		return m
	case <-time.After(30 * time.Second):
		t.Fatal("nothing was posted to Discord")
	}
	return discord.Message{}
}

// A rank change posts its embed; Discord's 429 (float retry_after) is
// waited out and the post retried; a 404 disables the webhook.
func TestDiscordLogRetriesAndDisables(t *testing.T) {
	t.Parallel()
	f := newRFixture(t)
	f.member(1, "alpha", "101")
	startRankingRunner(t, f)
	f.dc.RateLimit(1, 0.25)
	if _, err := f.svc.Promote(rctx, rActor, f.scope, f.group.ID, 1, "great trial"); err != nil {
		t.Fatal(err)
	}
	m := waitPosted(t, f.dc.Posted)
	if f.dc.Limited != 1 || f.dc.Waited < 2 {
		t.Fatalf("429s %d, posts with wait=true %d", f.dc.Limited, f.dc.Waited)
	}
	e := m.Embeds[0]
	text := e.Description
	for _, fl := range e.Fields {
		text += "|" + fl.Name + "=" + fl.Value
	}
	for _, want := range []string{"Member (1) → Trainee (5)", "User=User 1", "By=test", "Reason=great trial"} {
		if !strings.Contains(text, want) {
			t.Fatalf("embed %q lacks %q", text, want)
		}
	}
	if e.Title != "Promoted" || e.Timestamp == "" {
		t.Fatalf("embed = %+v", e)
	}
	if err := f.svc.Notify(rctx, rActor, f.scope, f.group.ID, ranking.NotifyInput{Content: strings.Repeat("x", 2500)}); err != nil {
		t.Fatal(err)
	}
	if m := waitPosted(t, f.dc.Posted); len([]rune(m.Content)) != discord.MaxContent {
		t.Fatalf("custom message of %d characters", len([]rune(m.Content)))
	}

	f.dc.Delete()
	if _, err := f.svc.Promote(rctx, rActor, f.scope, f.group.ID, 1, ""); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		g, err := f.svc.GetGroup(rctx, f.scope, f.group.ID)
		if err != nil {
			t.Fatal(err)
		}
		if g.Webhook.Status == ranking.WebhookDisabled {
			if !strings.Contains(g.Webhook.DisabledReason, "404") || g.Webhook.DisabledAt == nil {
				t.Fatalf("webhook = %+v", g.Webhook)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the webhook was not disabled after Discord's 404")
		}
		time.Sleep(50 * time.Millisecond)
	}
	err := f.svc.Notify(rctx, rActor, f.scope, f.group.ID, ranking.NotifyInput{Content: "hello"})
	wantCode(t, err, "group_not_set_up")
	// Setting the webhook again enables it.
	g, err := f.svc.SetWebhook(rctx, rActor, f.scope, f.group.ID, f.dc.WebhookURL())
	if err != nil || g.Webhook.Status != ranking.WebhookOK || g.Webhook.DisabledReason != "" {
		t.Fatalf("webhook = %+v, %v", g.Webhook, err)
	}
	if _, err := f.svc.SetWebhook(rctx, rActor, f.scope, f.group.ID, "https://example.com/api/webhooks/1/x"); ranking.ErrorCode(err) != "validation_error" {
		t.Fatalf("a non-Discord URL: %v", err)
	}
}

// The periodic reconciliation (run on start, as the server wires it) finds
// a rank change made in Roblox.
func TestPeriodicReconciliationRuns(t *testing.T) {
	t.Parallel()
	f := newRFixture(t)
	f.member(1, "alpha", "101")
	if _, err := f.svc.GetMember(rctx, f.scope, f.group.ID, 1); err != nil {
		t.Fatal(err)
	}
	f.rbx.SetRoleOutside(rGroupID, 1, "110", 77, "someone", time.Now().UTC())
	startRankingRunnerWith(t, f, func(r *jobs.Service) { r.SetLumiraReconcile(time.Hour, f.svc.ReconcileAll) })
	deadline := time.Now().Add(30 * time.Second)
	for {
		fs, err := f.svc.Findings(rctx, f.scope, f.group.ID, 10)
		if err != nil {
			t.Fatal(err)
		}
		if len(fs) == 1 {
			if fs[0].ToRoleID != "110" || fs[0].ChangedByName != "someone" {
				t.Fatalf("finding = %+v", fs[0])
			}
			return
		}
		if time.Now().After(deadline) {
			t.Fatal("the periodic reconciliation found nothing")
		}
		time.Sleep(50 * time.Millisecond)
	}
}
