package localpg

import (
	"context"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// TestPrivateCluster runs a real initdb and pg_ctl: it forces the private
// cluster path, connects, creates a database, and stops the cluster.
func TestPrivateCluster(t *testing.T) {
	if _, err := findBins(""); err != nil {
		t.Fatalf("the PostgreSQL server binaries are a requirement of lumdesk (see README): %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	log := slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelDebug}))

	// The postgres user must be able to traverse the parent (MkdirTemp makes 0700).
	base, err := os.MkdirTemp("", "localpg-test-")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(base, 0o755); err != nil {
		t.Fatal(err)
	}
	dataDir := filepath.Join(base, "pg")
	t.Cleanup(func() {
		if err := StopPrivate(dataDir); err != nil {
			t.Errorf("cleanup StopPrivate: %v", err)
		}
		os.RemoveAll(base)
	})
	port := freePort(t)

	// Settings reach the server, a value with a space and a quote included.
	srv, err := Ensure(ctx, dataDir, log, PrivateOnly(), WithPort(port),
		WithSettings("work_mem=7MB", "application_name=it's a test"))
	if err != nil {
		t.Fatal(err)
	}
	if !srv.Started || srv.Port != port || srv.DataDir != dataDir {
		t.Fatalf("Ensure = %+v, want a cluster started in %s on port %d", srv, dataDir, port)
	}
	t.Logf("started private cluster: %s (data dir %s)", srv.AdminURL, srv.DataDir)

	// A database, twice: the second call finds it.
	var dbURL string
	for range 2 {
		if dbURL, err = srv.EnsureDatabase(ctx, "localpg_test"); err != nil {
			t.Fatal(err)
		}
	}
	conn, err := pgx.Connect(ctx, dbURL)
	if err != nil {
		t.Fatal(err)
	}
	var name, enc, workMem, app, lowered string
	if err := conn.QueryRow(ctx, "SELECT current_database(), pg_encoding_to_char(encoding) FROM pg_database WHERE datname = current_database()").Scan(&name, &enc); err != nil {
		t.Fatal(err)
	}
	if err := conn.QueryRow(ctx, "SELECT current_setting('work_mem'), reset_val FROM pg_settings WHERE name = 'application_name'").Scan(&workMem, &app); err != nil {
		t.Fatal(err)
	}
	// The cluster folds case beyond ASCII (its C.UTF-8 locale): name searches need it.
	if err := conn.QueryRow(ctx, "SELECT lower('ÉLODIE ÄR')").Scan(&lowered); err != nil {
		t.Fatal(err)
	}
	conn.Close(ctx)
	if lowered != "élodie är" {
		t.Errorf("lower('ÉLODIE ÄR') = %q, want élodie är", lowered)
	}
	if name != "localpg_test" || enc != "UTF8" {
		t.Fatalf("connected to %q (%s), want localpg_test (UTF8)", name, enc)
	}
	if workMem != "7MB" {
		t.Errorf("work_mem = %q, want the 7MB passed WithSettings", workMem)
	}
	if app != "it's a test" {
		t.Errorf("application_name's default = %q, want the value passed WithSettings", app)
	}

	// A second caller reuses the running cluster and does not own it.
	again, err := Ensure(ctx, dataDir, log, PrivateOnly(), WithPort(port+1))
	if err != nil {
		t.Fatal(err)
	}
	if again.Started || again.Port != port {
		t.Fatalf("second Ensure = %+v, want a reused cluster on port %d", again, port)
	}
	if err := again.Stop(); err != nil {
		t.Fatal(err)
	}
	if _, running, err := PrivateRunning(dataDir); err != nil || !running {
		t.Fatalf("after Stop on a reused server: running=%v err=%v, want still running", running, err)
	}

	if err := srv.Stop(); err != nil {
		t.Fatal(err)
	}
	if _, running, err := PrivateRunning(dataDir); err != nil || running {
		t.Fatalf("after Stop: running=%v err=%v, want stopped", running, err)
	}
	if err := probe(ctx, srv.AdminURL); err == nil {
		t.Fatal("server still accepts connections after Stop")
	}
	if err := StopPrivate(dataDir); err != nil {
		t.Fatalf("StopPrivate on a stopped cluster: %v", err)
	}
}

func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

func TestVersionLess(t *testing.T) {
	for _, c := range []struct {
		a, b string
		want bool
	}{{"9.6", "15", true}, {"15", "9.6", false}, {"14", "15", true}, {"15", "15", false}, {"10", "9.6", false}} {
		if got := versionLess(c.a, c.b); got != c.want {
			t.Errorf("versionLess(%q, %q) = %v", c.a, c.b, got)
		}
	}
}

// A running cluster that does not answer at once is asked again until the
// caller's deadline, and the last error is returned.
func TestProbeRunningRetries(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	var attempts atomic.Int32
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			attempts.Add(1)
			c.Close() // not a server yet
		}
	}()
	ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
	defer cancel()
	port := l.Addr().(*net.TCPAddr).Port
	if err := probeRunning(ctx, tcpURL("127.0.0.1", port)); err == nil {
		t.Fatal("probeRunning of a port that closes every connection succeeded")
	}
	if n := attempts.Load(); n < 2 {
		t.Fatalf("%d connection attempts, want the probe repeated", n)
	}
}
