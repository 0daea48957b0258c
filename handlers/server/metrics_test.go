package server_test

import (
	"context"
	"net/http/httptest"
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
	scrape := func() map[string]string {
		rec := httptest.NewRecorder()
		env.Handlers.MetricsHandler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
		got := map[string]string{}
		for _, line := range strings.Split(rec.Body.String(), "\n") {
			if name, v, ok := strings.Cut(line, " "); ok && strings.HasPrefix(name, "lumdesk_licensing_check_cache_") {
				got[strings.TrimPrefix(name, "lumdesk_licensing_check_cache_")] = v
			}
		}
		return got
	}
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

	actor := audit.CLI("metrics test")
	acc := env.CreateAccount("Cache Co")
	p, err := env.Licensing.CreateProject(ctx, actor, licensing.ProjectInput{AccountID: acc.ID, Name: "Hub", ResetCooldown: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	s, err := env.Licensing.CreateScript(ctx, actor, p.ID, licensing.ScriptInput{Name: "Main"})
	if err != nil {
		t.Fatal(err)
	}
	k, err := env.Licensing.CreateKey(ctx, actor, p.ID, licensing.KeyInput{})
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
