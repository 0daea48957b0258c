package server_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"lumdesk/handlers/server/servertest"
	"lumdesk/internal/accounts"
	"lumdesk/internal/apikeys"
	"lumdesk/internal/audit"
	"lumdesk/internal/jobs"
	"lumdesk/internal/licensing"
	"lumdesk/internal/platform/db"
	"lumdesk/internal/platform/localpg"
)

// outcome is one request of the loop.
type outcome struct {
	at         time.Time
	status     int
	retryAfter string
	body       string
	userKey    string
}

// TestDatabaseRestartUnderLoad stops the private Postgres cluster in the
// middle of a loop of key creations through the Luarmor API and starts it
// again: while it is away every request is 503 with Retry-After in
// Luarmor's envelope (never a 500), /readyz fails, requests succeed again
// within 5 s of its return, and every key the API acknowledged is there.
func TestDatabaseRestartUnderLoad(t *testing.T) {
	t.Parallel() // initdb takes seconds: overlap it with the package's other tests
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	base, err := os.MkdirTemp("", "lumdesk-restart-")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(base, 0o755); err != nil { // the postgres user traverses it
		t.Fatal(err)
	}
	dataDir := filepath.Join(base, "pg")
	t.Cleanup(func() {
		if err := localpg.StopPrivate(dataDir); err != nil {
			t.Errorf("stop the cluster: %v", err)
		}
		os.RemoveAll(base)
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	pg, err := localpg.Ensure(ctx, dataDir, nil, localpg.PrivateOnly(), localpg.WithPort(port))
	if err != nil {
		t.Fatal(err)
	}
	dbURL, err := pg.EnsureDatabase(ctx, "lumdesk_restart")
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Migrate(ctx, dbURL); err != nil {
		t.Fatal(err)
	}
	e := servertest.NewOn(t, dbURL+"&connect_timeout=2")
	actor := audit.CLI("restart test")
	acct, err := e.Accounts.Create(ctx, actor, accounts.CreateInput{Name: "Nightfall", Email: "ops@nightfall.test"})
	if err != nil {
		t.Fatal(err)
	}
	project, err := e.Licensing.CreateProject(ctx, actor, licensing.ProjectInput{AccountID: acct.ID, Name: "Hub"})
	if err != nil {
		t.Fatal(err)
	}
	key, err := e.APIKeys.Create(ctx, actor, apikeys.CreateInput{Product: apikeys.Luarmor, AccountID: &acct.ID,
		Scopes: []string{"keys:read", "keys:write"}, RateLimitPerMinute: apikeys.MaxRateLimit})
	if err != nil {
		t.Fatal(err)
	}

	// The background job runner lives through the outage too.
	e.Jobs.SetOptions(jobs.Options{TestOnly: true, PollInterval: 50 * time.Millisecond})
	if err := e.Jobs.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		stopCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := e.Jobs.Stop(stopCtx); err != nil {
			t.Errorf("stop jobs: %v", err)
		}
	})

	var mu sync.Mutex
	var log []outcome
	count := func(pred func(outcome) bool) int {
		mu.Lock()
		defer mu.Unlock()
		n := 0
		for _, o := range log {
			if pred(o) {
				n++
			}
		}
		return n
	}
	ok := func(o outcome) bool { return o.status == 200 }
	stop := make(chan struct{})
	done := make(chan struct{})
	client := &http.Client{Timeout: 10 * time.Second}
	go func() {
		defer close(done)
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			req, _ := http.NewRequest("POST", e.URL+"/api/luarmor/v3/projects/"+project.ID+"/users",
				strings.NewReader(fmt.Sprintf(`{"note":"loop %d"}`, i)))
			req.Header.Set("Authorization", key.Secret)
			req.Header.Set("Content-Type", "application/json")
			resp, err := client.Do(req)
			if err != nil {
				t.Errorf("request %d: %v", i, err)
				return
			}
			raw, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			o := outcome{at: time.Now(), status: resp.StatusCode, retryAfter: resp.Header.Get("Retry-After"), body: string(raw)}
			var b struct {
				UserKey string `json:"user_key"`
			}
			if json.Unmarshal(raw, &b) == nil {
				o.userKey = b.UserKey
			}
			mu.Lock()
			log = append(log, o)
			mu.Unlock()
		}
	}()
	waitFor := func(what string, cond func() bool) {
		t.Helper()
		deadline := time.Now().Add(60 * time.Second)
		for !cond() {
			if time.Now().After(deadline) {
				close(stop)
				t.Fatalf("timed out waiting for %s", what)
			}
			time.Sleep(10 * time.Millisecond)
		}
	}

	waitFor("20 keys before the restart", func() bool { return count(ok) >= 20 })
	if err := pg.Stop(); err != nil {
		t.Fatal(err)
	}
	stopped := time.Now()
	waitFor("refusals while the database is away", func() bool {
		return count(func(o outcome) bool { return o.at.After(stopped) && o.status == 503 }) >= 5
	})
	if r := e.Anonymous().Get("/readyz"); r.Status != 503 {
		t.Errorf("readyz while away: %d", r.Status)
	}
	if pg, err = localpg.Ensure(ctx, dataDir, nil, localpg.PrivateOnly(), localpg.WithPort(port)); err != nil || !pg.Started {
		t.Fatalf("restart: %+v %v", pg, err)
	}
	back := time.Now()
	waitFor("a key after the restart", func() bool { return count(func(o outcome) bool { return o.at.After(back) && ok(o) }) >= 1 })
	before := count(ok)
	// A job queued after the restart is run by the runner started before it.
	job, err := e.Jobs.EnqueueGenerate(ctx, actor, jobs.Generate{ProjectID: project.ID, Count: 5, KeyInput: licensing.KeyInput{Note: "after the restart"}})
	if err != nil {
		t.Fatalf("enqueue after the restart: %v", err)
	}
	waitFor("20 more keys", func() bool { return count(ok) >= before+20 })
	waitFor("the job queued after the restart", func() bool {
		j, err := e.Jobs.Get(ctx, job.ID)
		return err == nil && j.Finished()
	})
	if j, _ := e.Jobs.Get(ctx, job.ID); j.Status != jobs.StatusDone || j.OK != 5 {
		t.Errorf("the job after the restart: %+v", j)
	}
	close(stop)
	<-done

	mu.Lock()
	defer mu.Unlock()
	var acked []string
	var recovered time.Time
	for _, o := range log {
		switch {
		case o.status == 200:
			acked = append(acked, o.userKey)
			if recovered.IsZero() && o.at.After(back) {
				recovered = o.at
			}
		case o.status != 503 || o.retryAfter == "" || !strings.Contains(o.body, `"success":false`):
			t.Errorf("answered %d (Retry-After %q): %s", o.status, o.retryAfter, o.body)
		}
	}
	if took := recovered.Sub(back); took > 5*time.Second {
		t.Errorf("the first key after the restart took %s", took)
	}
	var found int
	if err := e.DB.Pool.QueryRow(ctx, "SELECT count(*) FROM license_keys WHERE user_key = ANY($1)", acked).Scan(&found); err != nil {
		t.Fatal(err)
	}
	if found != len(acked) {
		t.Fatalf("%d keys acknowledged, %d stored", len(acked), found)
	}
	t.Logf("%d requests: %d keys acknowledged and stored; answering again %s after the restart",
		len(log), len(acked), recovered.Sub(back).Round(time.Millisecond))
}
