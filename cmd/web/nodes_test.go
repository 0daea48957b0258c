package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"os/signal"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"lumdesk/handlers/server"
	"lumdesk/internal/platform/config"
	"lumdesk/internal/platform/db"
	"lumdesk/internal/platform/money"
	"lumdesk/internal/platform/secretbox"
	"lumdesk/internal/platform/syncbuf"
)

// envTestNode makes the test binary a `lumdesk` process: startNode runs the
// binary it is part of with this set, so a node needs no build step and is
// instrumented like the test (-race included).
const envTestNode = "LUMDESK_TEST_NODE"

func TestMain(m *testing.M) {
	if os.Getenv(envTestNode) == "1" {
		ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
		code := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr, os.Getenv)
		stop()
		os.Exit(code)
	}
	os.Exit(m.Run())
}

// nodeMasterKey is every node's MASTER_KEY (hex); nodeServices opens its
// box with the same bytes.
var nodeMasterKey = strings.Repeat("cd", 32)

// node is one `lumdesk serve` OS process.
type node struct {
	name   string
	cmd    *exec.Cmd
	url    string
	out    *syncbuf.Buffer // stdout and stderr
	exited chan struct{}
	ready  bool // it answered /readyz (and so handles SIGTERM)
}

// bannerPort finds the port in serve's start-up banner ("running at
// http://localhost:PORT"): the node listens on port 0, so two nodes never
// race for a port picked in advance.
var bannerPort = regexp.MustCompile(`running at http://\S*:(\d+)`)

// startNodes runs `serve` on dbURL as OS processes (the test binary
// itself), one per name, with application_name name (so the test can see
// its database sessions), a pool of 8 connections and env's extra
// NAME=value settings, and waits until each answers 200 on /readyz. They
// start at once: start-up is most of a short test's time. Each gets SIGTERM when the test ends; its output
// is shown if the test failed, and a data race it reported fails the test.
func startNodes(t *testing.T, dbURL string, env []string, names ...string) []*node {
	t.Helper()
	nodes := make([]*node, len(names))
	for i, name := range names {
		nodes[i] = spawnNode(t, dbURL, name, env)
	}
	for _, n := range nodes {
		n.waitReady(t)
	}
	return nodes
}

func spawnNode(t *testing.T, dbURL, name string, env []string) *node {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(exe, "serve")
	out := &syncbuf.Buffer{}
	cmd.Stdout, cmd.Stderr = out, out
	// A small pool per node (serve's default is 20): the database server
	// is shared with the other tests of the run.
	dbURL = withQuery(t, withQuery(t, dbURL, "application_name", name), "pool_max_conns", "8")
	cmd.Env = append(os.Environ(), envTestNode+"=1", "DATABASE_URL="+dbURL, "MASTER_KEY="+nodeMasterKey,
		"LISTEN_ADDR=127.0.0.1:0", "METRICS_ADDR=", "DATA_DIR="+t.TempDir(), "LOG_LEVEL=error", "LOG_FORMAT=text",
		"API_MONEY_ENABLED=true", "API_ENABLED=true", "LUMDESK_DEMO=false", "LICENSING_CHECK_CACHE=true")
	cmd.Env = append(cmd.Env, env...)
	dieWithTest(cmd)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	n := &node{name: name, cmd: cmd, out: out, exited: make(chan struct{})}
	go func() { _ = cmd.Wait(); close(n.exited) }()
	t.Cleanup(func() {
		select {
		case <-n.exited:
		default:
			_ = cmd.Process.Signal(syscall.SIGTERM)
			select {
			case <-n.exited:
				if code := cmd.ProcessState.ExitCode(); code != 0 && n.ready {
					t.Errorf("%s exited with status %d after SIGTERM", name, code)
				}
			case <-time.After(20 * time.Second):
				t.Errorf("%s still running 20s after SIGTERM", name)
				_ = cmd.Process.Kill()
				<-n.exited
			}
		}
		if strings.Contains(out.String(), "WARNING: DATA RACE") {
			t.Errorf("%s reported a data race", name)
		}
		if t.Failed() {
			t.Logf("%s output:\n%s", name, out.String())
		}
	})
	return n
}

// waitReady polls, with a bound, for the banner's port and then for /readyz.
func (n *node) waitReady(t *testing.T) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for {
		if n.url == "" {
			if m := bannerPort.FindStringSubmatch(n.out.String()); m != nil {
				n.url = "http://127.0.0.1:" + m[1]
			}
		}
		if n.url != "" {
			if resp, err := http.Get(n.url + "/readyz"); err == nil {
				resp.Body.Close()
				if resp.StatusCode == http.StatusOK {
					n.ready = true
					return
				}
			}
		}
		select {
		case <-n.exited:
			t.Fatalf("%s exited before it was ready (status %d):\n%s", n.name, n.cmd.ProcessState.ExitCode(), n.out.String())
		case <-tick.C:
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s not ready in 60s:\n%s", n.name, n.out.String())
		}
	}
}

// withQuery adds name=value to a database URL's query.
func withQuery(t *testing.T, dbURL, name, value string) string {
	t.Helper()
	u, err := url.Parse(dbURL)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	q.Set(name, value)
	u.RawQuery = q.Encode()
	return u.String()
}

// kill ends the process with SIGKILL, as a crash would, and waits for it.
func (n *node) kill(t *testing.T) {
	t.Helper()
	if err := n.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	<-n.exited
}

// nodeClient is the tests' HTTP client: many connections per node, so
// concurrent requests are concurrent on the server too.
var nodeClient = &http.Client{Timeout: 60 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 100, MaxConnsPerHost: 100}}

// answer is a node's HTTP answer.
type answer struct {
	Status int
	Header http.Header
	Raw    []byte
	JSON   map[string]any
}

// str reads a string at a dotted path of the JSON body ("error.code").
func (a answer) str(path string) string {
	s, _ := a.at(path).(string)
	return s
}

func (a answer) num(path string) float64 {
	f, _ := a.at(path).(float64)
	return f
}

func (a answer) at(path string) any {
	var v any = a.JSON
	for _, p := range strings.Split(path, ".") {
		m, _ := v.(map[string]any)
		v = m[p]
	}
	return v
}

// do sends one request: auth is the Authorization header's whole value ("":
// none), body is JSON ("": none), hdr more headers as name, value pairs.
// It is safe from any goroutine: it returns the error rather than failing.
func (n *node) do(method, path, auth, body string, hdr ...string) (answer, error) {
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, n.url+path, rd)
	if err != nil {
		return answer{}, err
	}
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	res, err := nodeClient.Do(req)
	if err != nil {
		return answer{}, fmt.Errorf("%s %s on %s: %w", method, path, n.name, err)
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(res.Body)
	if err != nil {
		return answer{}, fmt.Errorf("%s %s on %s: %w", method, path, n.name, err)
	}
	a := answer{Status: res.StatusCode, Header: res.Header, Raw: raw}
	_ = json.Unmarshal(raw, &a.JSON)
	return a, nil
}

// must is do for the test's own goroutine.
func (n *node) must(t *testing.T, method, path, auth, body string, hdr ...string) answer {
	t.Helper()
	a, err := n.do(method, path, auth, body, hdr...)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// nodeServices are the test's own services over the nodes' database (its
// own pool: one more process), to set data up and read it back.
func nodeServices(t *testing.T, dbURL string) (*server.Services, *pgxpool.Pool) {
	t.Helper()
	pool, err := pgxpool.New(context.Background(), dbURL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	cfg, err := config.Load(func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	cfg.BillingApprovalLimit = money.Cents(1_000_000_00) // top-ups in tests need no second approver
	box, err := secretbox.New(bytes.Repeat([]byte{0xcd}, 32))
	if err != nil {
		t.Fatal(err)
	}
	svc := server.NewServices(cfg, db.New(pool), box)
	t.Cleanup(svc.Licensing.Close) // before the pool closes
	return svc, pool
}
