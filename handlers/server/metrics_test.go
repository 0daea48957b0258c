package server_test

import (
	"context"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"lumdesk/handlers/server/servertest"
	"lumdesk/internal/audit"
	"lumdesk/internal/licensing"
)

// TestCheckCacheMetrics: the metrics listener shows this node's loader
// check cache: live once its listener is up, a miss for a key's first
// check (read from the database) and a hit for the next.
func TestCheckCacheMetrics(t *testing.T) {
	t.Parallel()
	env := servertest.New(t)
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	scrape := func() map[string]string { return scrapeMetrics(env, "lumdesk_licensing_check_cache_") }
	if got := scrape(); got["live"] != "0" || got["entries"] != "0" {
		t.Fatalf("before the cache starts: %v", got)
	}
	env.Licensing.StartCheckCache(ctx)
	for deadline := time.Now().Add(10 * time.Second); scrape()["live"] != "1"; {
		if time.Now().After(deadline) {
			t.Fatalf("the cache never went live: %v", scrape())
		}
		time.Sleep(10 * time.Millisecond)
	}

	p, s := licensedScript(t, env, "Cache Co")
	k, err := env.Licensing.CreateKey(ctx, metricsActor, p.ID, licensing.KeyInput{})
	if err != nil {
		t.Fatal(err)
	}
	check := func() {
		t.Helper()
		r, err := env.Licensing.Check(ctx, licensing.CheckInput{ProjectID: p.ID, ScriptID: s.ID, ScriptKey: k.UserKey, HWID: "hw-1"})
		if err != nil || !r.Allowed {
			t.Fatalf("check: %+v, %v", r, err)
		}
	}
	check() // binds the HWID: a write, which drops the project's entries
	// The binding's notification, or the execution counter's flush (a write
	// to the key), may arrive after a read stored its entry and drop it
	// again: check until a check was answered from memory and the entry is
	// there in the same scrape.
	got := scrape()
	for deadline := time.Now().Add(10 * time.Second); got["hits_total"] == "0" || got["entries"] != "1"; got = scrape() {
		if time.Now().After(deadline) {
			t.Fatalf("no check was answered from the cache with its entry kept: %v", got)
		}
		check()
	}
	if got["misses_total"] == "0" || got["live"] != "1" {
		t.Errorf("after checks of one key: %v; want some misses, live", got)
	}
}

var metricsActor = audit.CLI("metrics test")

// licensedScript is a new account's project and its script, for checks.
func licensedScript(t *testing.T, env *servertest.Env, account string) (licensing.Project, licensing.Script) {
	t.Helper()
	ctx := context.Background()
	acc := env.CreateAccount(account)
	p, err := env.Licensing.CreateProject(ctx, metricsActor, licensing.ProjectInput{AccountID: acc.ID, Name: "Hub", ResetCooldown: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	s, err := env.Licensing.CreateScript(ctx, metricsActor, p.ID, licensing.ScriptInput{Name: "Main"})
	if err != nil {
		t.Fatal(err)
	}
	return p, s
}

// scrapeMetrics is the node's metrics named with prefix, by the rest of
// their names.
func scrapeMetrics(env *servertest.Env, prefix string) map[string]string {
	rec := httptest.NewRecorder()
	env.Handlers.MetricsHandler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	got := map[string]string{}
	for _, line := range strings.Split(rec.Body.String(), "\n") {
		if name, v, ok := strings.Cut(line, " "); ok && strings.HasPrefix(name, prefix) {
			got[strings.TrimPrefix(name, prefix)] = v
		}
	}
	return got
}

// TestExecutionFlushMetrics: the metrics show what the execution counter's
// flushes wrote and how long they took (make bench reads them).
func TestExecutionFlushMetrics(t *testing.T) {
	t.Parallel()
	env := servertest.New(t)
	ctx := context.Background()
	scrape := func() map[string]string { return scrapeMetrics(env, "lumdesk_licensing_executions_") }
	if got := scrape(); got["flushes_total"] != "0" || got["flushed_keys_total"] != "0" || got["flush_seconds_total"] != "0" {
		t.Fatalf("before any check: %v", got)
	}
	p, s := licensedScript(t, env, "Flush Co")
	for _, hwid := range []string{"hw-1", "hw-2"} {
		k, err := env.Licensing.CreateKey(ctx, metricsActor, p.ID, licensing.KeyInput{})
		if err != nil {
			t.Fatal(err)
		}
		for range 3 {
			if r, err := env.Licensing.Check(ctx, licensing.CheckInput{ProjectID: p.ID, ScriptID: s.ID, ScriptKey: k.UserKey, HWID: hwid}); err != nil || !r.Allowed {
				t.Fatalf("check: %+v, %v", r, err)
			}
		}
	}
	if err := env.Licensing.FlushExecutions(ctx); err != nil {
		t.Fatal(err)
	}
	// The counter's own loop (every second) may have flushed some of them
	// first: each flush wrote one or both keys, and each key was written.
	got := scrape()
	num := func(name string) float64 {
		n, err := strconv.ParseFloat(got[name], 64)
		if err != nil {
			t.Fatalf("%s: %v (%v)", name, err, got)
		}
		return n
	}
	flushes, keys := num("flushes_total"), num("flushed_keys_total")
	if flushes < 1 || keys < 2 || keys > 2*flushes || num("flush_seconds_total") <= 0 {
		t.Errorf("after six checks of two keys and a flush: %v; want each key written, at most two a flush, some time", got)
	}
}
