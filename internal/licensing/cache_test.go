package licensing

import (
	"context"
	"testing"
	"time"
	"unsafe"

	"github.com/jackc/pgx/v5"

	"lumdesk/internal/platform/testdb"
)

// node is a second lumdesk process's licensing service over the same
// database, sharing the fixture's clock.
func (f *fixture) node() *Service {
	s := NewService(f.db)
	s.now = f.now
	s.counter.interval = time.Hour
	f.t.Cleanup(s.Close)
	return s
}

// startCache turns s's check cache on and waits until it listens.
func startCache(t *testing.T, s *Service) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	s.StartCheckCache(ctx)
	eventually(t, "the cache listens", func() bool { return s.CheckCacheStats().Live })
}

// eventually polls cond for up to 10 s.
func eventually(t *testing.T, what string, cond func() bool) time.Duration {
	t.Helper()
	start := time.Now()
	for !cond() {
		if time.Since(start) > 10*time.Second {
			t.Fatalf("timed out: %s", what)
		}
		time.Sleep(2 * time.Millisecond)
	}
	return time.Since(start)
}

func checkOn(t *testing.T, s *Service, f *fixture, userKey, hwid string) CheckResult {
	t.Helper()
	r, err := s.Check(ctx, CheckInput{ProjectID: f.project.ID, ScriptID: f.script.ID, ScriptKey: userKey, HWID: hwid})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestCheckCacheAcrossNodes(t *testing.T) {
	t.Parallel()
	f := newFixture(t, testdb.New(t))
	a, b := f.svc, f.node()
	startCache(t, a)
	startCache(t, b)
	k := f.key(KeyInput{})

	// The first execution binds through the database; then both nodes answer from memory.
	if r := checkOn(t, a, f, k.UserKey, "hw-1"); !r.Allowed || !r.Assigned {
		t.Fatalf("first execution: %+v", r)
	}
	for _, s := range []*Service{a, b, a, b} {
		if r := checkOn(t, s, f, k.UserKey, "hw-1"); !r.Allowed {
			t.Fatalf("check: %+v", r)
		}
	}
	// The binding's notification may reach b after b stored its entry, and
	// drop it once more: b answers from memory by the next check after it.
	eventually(t, "node b answers from its cache", func() bool {
		checkOn(t, b, f, k.UserKey, "hw-1")
		return b.CheckCacheStats().Hits > 0
	})
	if st := b.CheckCacheStats(); st.Entries != 1 {
		t.Fatalf("node b's cache: %+v", st)
	}
	// The counter's flush changes no column the check reads, so it sends no
	// invalidation: on a connection listening as the nodes do, the first
	// notification after it is the test's own marker. (Node b's hits cannot
	// show it: the binding's notification may still be on its way to b, and
	// drop b's entry after the flush.)
	listener, err := pgx.ConnectConfig(ctx, f.db.Pool.Config().ConnConfig)
	if err != nil {
		t.Fatal(err)
	}
	defer listener.Close(context.Background())
	if _, err := listener.Exec(ctx, "LISTEN "+cacheChannel); err != nil {
		t.Fatal(err)
	}
	if err := a.FlushExecutions(ctx); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the executions stored", func() bool { return f.get(k.UserKey).TotalExecutions == 3 })
	const marker = "-1" // no project's id: the nodes drop nothing for it
	if _, err := f.db.Pool.Exec(ctx, "SELECT pg_notify($1, $2)", cacheChannel, marker); err != nil {
		t.Fatal(err)
	}
	waitCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if n, err := listener.WaitForNotification(waitCtx); err != nil || n.Payload != marker {
		t.Fatalf("after a flush, the first notification: %+v %v (want the marker %q)", n, err, marker)
	}
	if r := checkOn(t, b, f, k.UserKey, "hw-1"); !r.Allowed {
		t.Fatalf("after a flush: %+v", r)
	}

	// A ban on node a: a refuses at once, b once the notification arrives.
	if _, err := a.Blacklist(ctx, staff, f.project.ID, k.UserKey, BlacklistInput{BanReason: "chargeback"}); err != nil {
		t.Fatal(err)
	}
	if r := checkOn(t, a, f, k.UserKey, "hw-1"); r.Allowed || r.Reason != ReasonBanned {
		t.Fatalf("the banning node still allows: %+v", r)
	}
	took := eventually(t, "node b refuses the banned key", func() bool { return !checkOn(t, b, f, k.UserKey, "hw-1").Allowed })
	t.Logf("ban on a → first refusal on b: %s", took)

	// Unban and reset on b; a new device binds on a after the notification.
	if _, err := b.Unban(ctx, staff, f.project.ID, k.UserKey, "cleared"); err != nil {
		t.Fatal(err)
	}
	if _, err := b.ResetHWID(ctx, staff, f.project.ID, k.UserKey, ResetOpts{Force: true, Reason: "new pc"}); err != nil {
		t.Fatal(err)
	}
	eventually(t, "node a sees the reset", func() bool {
		r := checkOn(t, a, f, k.UserKey, "hw-2")
		return r.Allowed && r.Assigned
	})
	if r := checkOn(t, b, f, k.UserKey, "hw-1"); r.Allowed || r.Reason != ReasonHWIDMismatch {
		t.Fatalf("the old device after the reset, on b: %+v", r)
	}

	// Hand-written SQL notifies too (the trigger, not the service).
	if _, err := f.db.Pool.Exec(ctx, "UPDATE license_keys SET banned = true, ban_reason = 'by hand' WHERE id = $1", k.ID); err != nil {
		t.Fatal(err)
	}
	for _, s := range []*Service{a, b} {
		eventually(t, "a ban made by hand is seen", func() bool { return checkOn(t, s, f, k.UserKey, "hw-2").Reason == ReasonBanned })
	}
	// A key created after an "unknown key" answer was cached.
	if r := checkOn(t, b, f, "not-yet-a-key-0000000000000000", "hw-9"); r.Reason != ReasonUnknownKey {
		t.Fatalf("unknown key: %+v", r)
	}
	if _, err := a.ImportKey(ctx, cli, f.project.ID, ImportInput{UserKey: "not-yet-a-key-0000000000000000"}, nil); err != nil {
		t.Fatal(err)
	}
	eventually(t, "node b sees the new key", func() bool { return checkOn(t, b, f, "not-yet-a-key-0000000000000000", "hw-9").Allowed })
}

func TestCheckCacheOffWhileItsListenerIsLost(t *testing.T) {
	t.Parallel()
	f := newFixture(t, testdb.New(t))
	s := f.svc
	startCache(t, s)
	k := f.key(KeyInput{})
	checkOn(t, s, f, k.UserKey, "hw-1") // binds; its notification arrives a moment later and drops the project again
	eventually(t, "a check answered from the cache", func() bool {
		checkOn(t, s, f, k.UserKey, "hw-1")
		return s.CheckCacheStats().Hits > 0
	})
	// End the listener's connection, and ban the key by hand while no one listens.
	var old int32
	var n int
	if err := f.db.Pool.QueryRow(ctx, `SELECT min(pid), count(pg_terminate_backend(pid)) FROM pg_stat_activity
		WHERE datname = current_database() AND query = 'LISTEN licensing_cache'`).Scan(&old, &n); err != nil || n != 1 {
		t.Fatalf("terminated %d listeners: %v", n, err)
	}
	if _, err := f.db.Pool.Exec(ctx, "UPDATE license_keys SET banned = true WHERE id = $1", k.ID); err != nil {
		t.Fatal(err)
	}
	// Whether the ban came before or after the listener returned, the
	// cache was dropped with the connection: the next check is refused.
	// Live alone may still be the lost listener's, not yet noticed (more so
	// on a busy machine): wait for a new listener's backend first; the lost
	// one's end turned the cache off before it connected.
	eventually(t, "the listener returns", func() bool {
		var again bool
		if err := f.db.Pool.QueryRow(ctx, `SELECT EXISTS (SELECT FROM pg_stat_activity
			WHERE datname = current_database() AND query = 'LISTEN licensing_cache' AND pid <> $1)`, old).Scan(&again); err != nil {
			t.Fatal(err)
		}
		return again && s.CheckCacheStats().Live
	})
	if r := checkOn(t, s, f, k.UserKey, "hw-1"); r.Reason != ReasonBanned {
		t.Fatalf("after a lost listener: %+v", r)
	}
}

// TestCheckCacheOwnsItsKeys: the HTTP server hands the check its path
// parameters as strings over its request buffer, which the next request
// reuses. An entry stored under such a string must still be found after
// the buffer changes.
func TestCheckCacheOwnsItsKeys(t *testing.T) {
	f := newFixture(t, testdb.New(t))
	startCache(t, f.svc)
	k := f.key(KeyInput{})
	checkOn(t, f.svc, f, k.UserKey, "hw-1") // binds: a write, whose notification empties the project's entries
	eventually(t, "the cache settles after the binding", func() bool {
		hits := f.svc.CheckCacheStats().Hits
		checkOn(t, f.svc, f, k.UserKey, "hw-1")
		return f.svc.CheckCacheStats().Hits > hits
	})
	// Another HWID is refused without a write: its row is stored under the
	// reused buffer.
	buf := []byte(f.project.ID)
	reused := unsafe.String(&buf[0], len(buf)) // what Fiber's c.Params gives
	other := func(project string) {
		t.Helper()
		r, err := f.svc.Check(ctx, CheckInput{ProjectID: project, ScriptID: f.script.ID, ScriptKey: k.UserKey, HWID: "hw-2"})
		if err != nil || r.Allowed {
			t.Fatalf("check from another HWID: %+v, %v", r, err)
		}
	}
	other(reused)
	for i := range buf { // the next request overwrites the buffer
		buf[i] = 'x'
	}
	before := f.svc.CheckCacheStats()
	other(f.project.ID)
	if after := f.svc.CheckCacheStats(); after.Hits != before.Hits+1 || after.Entries != 2 {
		t.Fatalf("the entry stored under a reused buffer was not found: before %+v, after %+v", before, after)
	}
}
