package server_test

import (
	"context"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"lumdesk/handlers/server/servertest"
	"lumdesk/internal/accounts"
	"lumdesk/internal/audit"
	"lumdesk/internal/billing"
	"lumdesk/internal/licensing"
	"lumdesk/internal/mail"
	"lumdesk/internal/marketplace"
	"lumdesk/internal/platform/config"
	"lumdesk/internal/platform/db"
	"lumdesk/internal/platform/localpg"
)

// TestListsReadFromTheReplica runs lumdesk over a private primary and a
// streaming replica made from it with pg_basebackup (DATABASE_REPLICA_URL).
// With the replica's replay paused, rows written straight to the primary
// are missing from the keys list, the accounts list, the audit log, the
// palette, the Lumi ledger, Lumora's domains, Lumio's extensions and the
// keys' CSV export: those come from the replica. A browser that then writes (a key's note, through the console)
// sees its write on its next list page, read from the primary, while
// another browser still gets the replica's older page. Once replay resumes and catches up, the
// writer is back on the replica (its position cookie dropped, and a new
// hidden row is missing again). With the replica stopped, the lists answer
// from the primary and /readyz stays ok.
func TestListsReadFromTheReplica(t *testing.T) {
	t.Parallel() // two initdb-sized steps: overlap them with the package's other tests
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	base := t.TempDir()
	// When we run as root the clusters belong to the postgres user, which
	// must traverse to them (TempDir makes 0700 directories).
	for _, d := range []string{filepath.Dir(base), base} {
		if err := os.Chmod(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	primary, err := localpg.Ensure(ctx, filepath.Join(base, "primary", "pg"), nil, localpg.PrivateOnly(), localpg.WithPort(replicaTestPort(t)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := primary.Stop(); err != nil {
			t.Errorf("stop the primary: %v", err)
		}
	})
	dbURL, err := primary.EnsureDatabase(ctx, "lumdesk_replica")
	if err != nil {
		t.Fatal(err)
	}
	replica, err := primary.StartReplica(ctx, filepath.Join(base, "replica", "pg"), replicaTestPort(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { // before the primary's (cleanups run last first)
		if err := replica.Stop(); err != nil {
			t.Errorf("stop the replica: %v", err)
		}
	})
	replicaURL, err := replica.EnsureDatabase(ctx, "lumdesk_replica") // there already, copied by pg_basebackup
	if err != nil {
		t.Fatal(err)
	}
	rep, err := pgx.Connect(ctx, replicaURL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { rep.Close(context.Background()) })
	var inRecovery bool
	if err := rep.QueryRow(ctx, "SELECT pg_is_in_recovery()").Scan(&inRecovery); err != nil || !inRecovery {
		t.Fatalf("the replica is not a standby: in recovery %v, %v", inRecovery, err)
	}

	if err := db.Migrate(ctx, dbURL); err != nil { // the replica follows through the WAL
		t.Fatal(err)
	}
	e := servertest.NewOn(t, dbURL, func(c *config.Config) { c.ReplicaURL = replicaURL })
	actor := audit.CLI("replica test")
	acct, err := e.Accounts.Create(ctx, actor, accounts.CreateInput{Name: "Seeded Studio", Email: "ops@seeded.test"})
	if err != nil {
		t.Fatal(err)
	}
	project, err := e.Licensing.CreateProject(ctx, actor, licensing.ProjectInput{AccountID: acct.ID, Name: "Hub"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.Billing.ManualTopUp(ctx, actor, billing.ManualInput{AccountID: acct.ID, Amount: "10.00", Reason: "replica test"}); err != nil {
		t.Fatal(err)
	}
	seeded, err := e.Licensing.CreateKey(ctx, actor, project.ID, licensing.KeyInput{Note: "seeded"})
	if err != nil {
		t.Fatal(err)
	}
	// A Lumora domain and a Lumio extension of each account: the seeded
	// account's now, the hidden one's while replay is paused.
	product := func(acc int64, name string) {
		t.Helper()
		if _, err := e.Mail.AddDomain(ctx, actor, accounts.Only(acc), mail.DomainInput{Name: "mail." + name + ".test"}); err != nil {
			t.Fatal(err)
		}
		if _, err := e.Marketplace.CreateExtension(ctx, actor, accounts.Only(acc), marketplace.ExtensionInput{Name: name + " Scoreboard"}); err != nil {
			t.Fatal(err)
		}
	}
	product(acct.ID, "seeded")
	writer, reader := e.As("admin"), e.As("admin") // two browsers; signing in is a write

	// waitReplayed waits until the replica has replayed everything the
	// primary has written so far.
	waitReplayed := func() {
		t.Helper()
		lsn, err := e.DB.WriteLSN(ctx)
		if err != nil {
			t.Fatal(err)
		}
		deadline := time.Now().Add(30 * time.Second)
		for {
			var done bool
			if err := rep.QueryRow(ctx, "SELECT pg_last_wal_replay_lsn() >= $1::pg_lsn", lsn.String()).Scan(&done); err != nil {
				t.Fatal(err)
			}
			if done {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("the replica did not replay up to %s within 30s", lsn)
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
	pause := func() {
		t.Helper()
		if _, err := rep.Exec(ctx, "SELECT pg_wal_replay_pause()"); err != nil {
			t.Fatal(err)
		}
		deadline := time.Now().Add(30 * time.Second)
		for {
			var state string
			if err := rep.QueryRow(ctx, "SELECT pg_get_wal_replay_pause_state()").Scan(&state); err != nil {
				t.Fatal(err)
			}
			if state == "paused" {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("replay not paused within 30s: %s", state)
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
	page := func(c *servertest.Client, path string) *servertest.Response {
		t.Helper()
		r := c.Get(path)
		if r.Status != http.StatusOK {
			t.Fatalf("GET %s: %d", path, r.Status)
		}
		return r
	}
	const keysPath = "/luarmor/keys?cols=key&cols=note" // the note column shows the writer's edit
	keyHref := func(k licensing.Key) string { return `href="/luarmor/keys/` + strconv.FormatInt(k.ID, 10) + `"` }
	// hiddenKey writes a key to the primary behind the app's back: no
	// browser's position covers it.
	hiddenKey := func(note string) licensing.Key {
		t.Helper()
		k, err := e.Licensing.CreateKey(ctx, actor, project.ID, licensing.KeyInput{Note: note})
		if err != nil {
			t.Fatal(err)
		}
		var n int
		if err := e.DB.Pool.QueryRow(ctx, "SELECT count(*) FROM license_keys WHERE id = $1", k.ID).Scan(&n); err != nil || n != 1 {
			t.Fatalf("key %d on the primary: %d, %v", k.ID, n, err)
		}
		return k
	}

	waitReplayed()
	pause()
	hidden := hiddenKey("hidden from the replica")
	hiddenAcct, err := e.Accounts.Create(ctx, actor, accounts.CreateInput{Name: "Hidden Studio", Email: "ops@hidden.test"})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []*servertest.Client{writer, reader} {
		keys := page(c, keysPath)
		if !strings.Contains(keys.Body, seeded.UserKey) || strings.Contains(keys.Body, hidden.UserKey) {
			t.Fatalf("keys list with replay paused: seeded shown %v (want true), hidden shown %v (want false)",
				strings.Contains(keys.Body, seeded.UserKey), strings.Contains(keys.Body, hidden.UserKey))
		}
	}
	if accts := page(reader, "/accounts"); !strings.Contains(accts.Body, "Seeded Studio") || strings.Contains(accts.Body, hiddenAcct.Name) {
		t.Fatalf("accounts list with replay paused: seeded shown %v (want true), hidden shown %v (want false)",
			strings.Contains(accts.Body, "Seeded Studio"), strings.Contains(accts.Body, hiddenAcct.Name))
	}
	if r := page(reader, "/search?q="+seeded.UserKey); !strings.Contains(r.Body, keyHref(seeded)) {
		t.Fatalf("the palette does not find the seeded key: %s", r.Body)
	}
	if r := page(reader, "/search?q="+hidden.UserKey); strings.Contains(r.Body, keyHref(hidden)) {
		t.Fatal("the palette found a key the paused replica has not replayed: it read the primary")
	}

	if _, err := e.Billing.ManualTopUp(ctx, actor, billing.ManualInput{AccountID: hiddenAcct.ID, Amount: "10.00", Reason: "replica test"}); err != nil {
		t.Fatal(err)
	}
	if r := page(reader, "/lumi/ledger"); !strings.Contains(r.Body, "Seeded Studio") || strings.Contains(r.Body, hiddenAcct.Name) {
		t.Fatalf("Lumi ledger with replay paused: seeded account's top-up shown %v (want true), hidden one's %v (want false)",
			strings.Contains(r.Body, "Seeded Studio"), strings.Contains(r.Body, hiddenAcct.Name))
	}
	product(hiddenAcct.ID, "hidden")
	for path, what := range map[string][2]string{"/lumora/domains": {"mail.seeded.test", "mail.hidden.test"}, "/lumio": {"seeded Scoreboard", "hidden Scoreboard"}} {
		if r := page(reader, path); !strings.Contains(r.Body, what[0]) || strings.Contains(r.Body, what[1]) {
			t.Fatalf("%s with replay paused: %s shown %v (want true), %s shown %v (want false)", path,
				what[0], strings.Contains(r.Body, what[0]), what[1], strings.Contains(r.Body, what[1]))
		}
	}
	if r := page(reader, "/audit"); !strings.Contains(r.Body, "Seeded Studio") || strings.Contains(r.Body, hiddenAcct.Name) {
		t.Fatalf("audit log with replay paused: seeded account's event shown %v (want true), hidden one's %v (want false)",
			strings.Contains(r.Body, "Seeded Studio"), strings.Contains(r.Body, hiddenAcct.Name))
	}
	// The export records itself (a write), yet reads its rows from the replica.
	if r := page(writer, "/luarmor/keys/export.csv"); !strings.Contains(r.Body, seeded.UserKey) || strings.Contains(r.Body, hidden.UserKey) {
		t.Fatalf("keys export with replay paused: seeded shown %v (want true), hidden shown %v (want false)",
			strings.Contains(r.Body, seeded.UserKey), strings.Contains(r.Body, hidden.UserKey))
	}

	// The writer edits a key through the console: its next list page reads
	// the primary (the replica is behind its write), the other browser's
	// still reads the replica.
	r := writer.PostForm("/luarmor/keys/"+strconv.FormatInt(seeded.ID, 10)+"/edit",
		url.Values{"note": {"edited by the writer"}, "auth_expire": {""}, "key_days": {""}, "reason": {"replica test"}})
	if r.Status != http.StatusSeeOther {
		t.Fatalf("edit the key: %d: %s", r.Status, r.Text("[role=alert]"))
	}
	if keys := page(writer, keysPath); !strings.Contains(keys.Body, "edited by the writer") || !strings.Contains(keys.Body, hidden.UserKey) {
		t.Fatal("after its write, the writer's keys list does not show it (or the row the primary has): it read the paused replica")
	}
	if keys := page(reader, keysPath); strings.Contains(keys.Body, "edited by the writer") || strings.Contains(keys.Body, hidden.UserKey) {
		t.Fatal("the other browser's keys list shows rows the paused replica has not replayed: it read the primary")
	}

	// Replay resumes and catches up: the writer is back on the replica.
	if _, err := rep.Exec(ctx, "SELECT pg_wal_replay_resume()"); err != nil {
		t.Fatal(err)
	}
	waitReplayed()
	// The app asks the replica's position at most every 20 ms
	// (db.replicaFresh) and answers from the last one in between, so the
	// first page after the catch-up may still read the primary and keep
	// the cookie; within a few pages it must drop it.
	var keys *servertest.Response
	dropped := false
	for deadline := time.Now().Add(5 * time.Second); !dropped && time.Now().Before(deadline); {
		keys = page(writer, keysPath)
		if !strings.Contains(keys.Body, "edited by the writer") || !strings.Contains(keys.Body, hidden.UserKey) {
			t.Fatal("the caught-up replica's keys list lacks the rows written while it was paused")
		}
		for _, ck := range keys.Header.Values("Set-Cookie") {
			dropped = dropped || strings.HasPrefix(ck, "lumdesk_lsn=;") && strings.Contains(ck, "1970")
		}
	}
	if !dropped {
		t.Errorf("the writer's position cookie was not dropped once the replica caught up: %q", keys.Header.Values("Set-Cookie"))
	}
	pause()
	hidden2 := hiddenKey("hidden again")
	if keys := page(writer, keysPath); strings.Contains(keys.Body, hidden2.UserKey) || !strings.Contains(keys.Body, hidden.UserKey) {
		t.Fatal("after catching up, the writer's keys list does not come from the replica")
	}
	if _, err := rep.Exec(ctx, "SELECT pg_wal_replay_resume()"); err != nil {
		t.Fatal(err)
	}

	// The replica goes away: the lists answer from the primary.
	rep.Close(ctx)
	if err := replica.Stop(); err != nil {
		t.Fatal(err)
	}
	for _, c := range []*servertest.Client{writer, reader} {
		if keys := page(c, keysPath); !strings.Contains(keys.Body, hidden2.UserKey) {
			t.Fatal("with the replica stopped, the keys list does not show the primary's rows")
		}
	}
	if accts := page(reader, "/accounts"); !strings.Contains(accts.Body, hiddenAcct.Name) {
		t.Fatal("with the replica stopped, the accounts list does not show the primary's rows")
	}
	if r := page(reader, "/readyz"); !strings.Contains(r.Body, `"database":"ok"`) {
		t.Fatalf("readyz with only the replica down: %s", r.Body)
	}
}

func replicaTestPort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}
