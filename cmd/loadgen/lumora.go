package main

// The Lumora section of `make bench`: the send API's accept rate, delivery
// throughput into a local SMTP sink with its queued→delivered latency, and
// the sink's own ceiling when a plain SMTP client pushes the same messages.
//
// It sets up through the CLI (account, app, sending domain verified against
// a DNS server on loopback, one API key per client so that the per-key rate
// limit of 10,000/min does not cap the run) on its own database
// lumdesk_bench_lumora, starts `lumdesk serve` with LUMORA_SMTP_URL pointing
// at the sink (the sandbox inbox's SMTP server, run here), and reads the
// delivery timestamps from the database.

import (
	"bytes"
	"context"
	crand "crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/emersion/go-smtp"
	"github.com/jackc/pgx/v5/pgxpool"

	"lumdesk/internal/mail/outbound"
	"lumdesk/internal/mail/sandbox"
	"lumdesk/internal/platform/localpg"
	"lumdesk/internal/platform/loopdns"
)

// sinkStore counts what the sink receives and keeps the first messages to
// push again for the ceiling.
type sinkStore struct {
	n    atomic.Int64
	mu   sync.Mutex
	keep [][]byte
	max  int
}

func (s *sinkStore) Add(_ context.Context, m sandbox.Message) error {
	s.n.Add(1)
	s.mu.Lock()
	if len(s.keep) < s.max {
		s.keep = append(s.keep, m.Raw)
	}
	s.mu.Unlock()
	return nil
}
func (s *sinkStore) List(context.Context, int) ([]sandbox.Message, error) { return nil, nil }
func (s *sinkStore) Get(context.Context, string) (sandbox.Message, bool, error) {
	return sandbox.Message{}, false, nil
}

type lumoraResult struct {
	accept                      result
	accepted                    int64
	deliverRate                 float64
	delivered                   int64
	pacedRate                   float64
	latP50, latP99              time.Duration
	ceiling                     float64
	ceilingN                    int
	smtpConcurrency, acceptSecs int
	signBound                   float64 // messages/s the machine's cores DKIM-sign, doing nothing else
	signCores                   int
	serverCPU                   time.Duration // the server's CPU time from the accept phase's start until its backlog was delivered
}

func runLumora(ctx context.Context, cfg config) (*lumoraResult, error) {
	fmt.Println("\nLumora: setting up (database lumdesk_bench_lumora, a DNS server and the SMTP sink on loopback)...")
	dbURL := cfg.lumoraDBURL
	if dbURL == "" {
		srv, err := localpg.Ensure(ctx, filepath.Join(".data", "pg"), slog.New(slog.NewTextHandler(io.Discard, nil)))
		if err != nil {
			return nil, fmt.Errorf("find PostgreSQL: %w", err)
		}
		if srv.Started {
			defer func() { _ = srv.Stop() }()
		}
		if dbURL, err = srv.EnsureDatabase(ctx, "lumdesk_bench_lumora"); err != nil {
			return nil, err
		}
	}
	store := &sinkStore{max: 5000}
	sink, err := sandbox.Start(ctx, sandbox.Options{Store: store})
	if err != nil {
		return nil, fmt.Errorf("SMTP sink: %w", err)
	}
	defer sink.Close()
	zone, err := loopdns.Start()
	if err != nil {
		return nil, fmt.Errorf("DNS server: %w", err)
	}
	defer zone.Close()

	const smtpConcurrency = 4 // LUMORA_SMTP_CONCURRENCY's default; the ceiling uses as many connections
	envv := append(os.Environ(), "DATABASE_URL="+dbURL, "DATA_DIR="+filepath.Join(".data", "bench"), "LISTEN_ADDR="+cfg.addr,
		"LOG_LEVEL=warn", "LUMDESK_DEMO=false", "DNS_RESOLVER="+zone.Addr, "LUMORA_SMTP_URL="+sink.URL(),
		"LUMORA_SMTP_CONCURRENCY="+strconv.Itoa(smtpConcurrency))
	var pprofAddr string
	if cfg.lumoraPprof != "" {
		if pprofAddr, err = freeAddr(); err != nil {
			return nil, err
		}
		if err := os.MkdirAll(cfg.lumoraPprof, 0o755); err != nil {
			return nil, err
		}
		envv = append(envv, "METRICS_ADDR="+pprofAddr, "LUMDESK_PPROF=true")
	}
	// profile writes the server's CPU profile of the next d into name.
	profile := func(name string, d time.Duration) (wait func()) {
		if pprofAddr == "" {
			return func() {}
		}
		done := make(chan struct{})
		go func() {
			defer close(done)
			if err := cpuProfile(pprofAddr, filepath.Join(cfg.lumoraPprof, name), d); err != nil {
				fmt.Fprintf(os.Stderr, "profile %s: %v\n", name, err)
			}
		}()
		return func() { <-done }
	}
	cli := func(args ...string) (map[string]any, error) {
		cmd := execLumdesk(ctx, cfg.bin, envv, args...)
		var out, errb bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &errb
		if err := cmd.Run(); err != nil {
			return nil, fmt.Errorf("lumdesk %s: %w: %s", strings.Join(args, " "), err, strings.TrimSpace(errb.String()))
		}
		var v map[string]any
		if bytes.HasPrefix(out.Bytes(), []byte("{")) {
			if err := json.Unmarshal(out.Bytes(), &v); err != nil {
				return nil, fmt.Errorf("lumdesk %s: %w", args[0], err)
			}
		}
		return v, nil
	}
	run := strconv.FormatInt(time.Now().Unix(), 36)
	email := "bench-" + run + "@lumora-bench.com"
	if _, err := cli("migrate", "up"); err != nil {
		return nil, err
	}
	if _, err := cli("account", "create", "--name", "Lumora bench "+run, "--email", email); err != nil {
		return nil, err
	}
	app, err := cli("lumora", "app", "create", "--account", email, "--name", "bench", "--json")
	if err != nil {
		return nil, err
	}
	appID := strconv.FormatInt(int64(app["id"].(float64)), 10)
	domain := "m" + run + ".lumora-bench.com"
	dom, err := cli("lumora", "domain", "add", "--account", email, "--domain", domain, "--json")
	if err != nil {
		return nil, err
	}
	for _, r := range dom["records"].([]any) {
		rec := r.(map[string]any)
		zone.Add(rec["type"].(string), rec["name"].(string), rec["value"].(string))
	}
	if _, err := cli("lumora", "domain", "verify", "--domain", domain, "--json"); err != nil {
		return nil, err
	}
	keys := make([]string, cfg.concurrency)
	for i := range keys {
		k, err := cli("apikey", "create", "--product", "lumora", "--app", appID, "--scopes", "email:send",
			"--rate-limit", "10000", "--name", fmt.Sprintf("bench client %d", i), "--json")
		if err != nil {
			return nil, err
		}
		keys[i] = k["secret"].(string)
	}

	cmd := execLumdesk(context.WithoutCancel(ctx), cfg.bin, envv, "serve")
	cmd.Stdout, cmd.Stderr = io.Discard, os.Stderr
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start server: %w", err)
	}
	var once sync.Once
	stopServer := func() { once.Do(func() { stopProcess(cmd) }) }
	defer stopServer()
	if err := waitReady(cfg.addr); err != nil {
		return nil, err
	}
	base := "http://" + cfg.addr + "/api/lumora/v1/email/send"
	client := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{
		MaxIdleConns: cfg.concurrency * 2, MaxIdleConnsPerHost: cfg.concurrency * 2, IdleConnTimeout: time.Minute}}
	var seq atomic.Int64
	send := func(rng *rand.Rand, key string) (*http.Request, int) {
		n := seq.Add(1)
		body, _ := json.Marshal(map[string]any{
			"from":    map[string]string{"email": "bench@" + domain, "name": "Lumora bench"},
			"to":      []string{fmt.Sprintf("rcpt-%d@sink.lumora-bench.com", n)},
			"subject": fmt.Sprintf("Bench message %d", n),
			"text":    "Hello from the Lumora benchmark. Your code is " + strconv.Itoa(rng.IntN(1e6)) + ".",
			"html":    "<p>Hello from the <b>Lumora</b> benchmark.</p>"})
		req, _ := http.NewRequest("POST", base, bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("x-api-key", key)
		return req, http.StatusOK
	}
	perClient := func(w int) func(*rand.Rand) (*http.Request, int) {
		return func(rng *rand.Rand) (*http.Request, int) { return send(rng, keys[w]) }
	}

	pool, err := pgxpool.New(ctx, dbURL)
	if err != nil {
		return nil, err
	}
	defer pool.Close()
	res := &lumoraResult{smtpConcurrency: smtpConcurrency, acceptSecs: int(cfg.lumoraDuration.Seconds())}
	// A run stopped early leaves its backlog queued; it is not this run's.
	if _, err := pool.Exec(ctx, `DELETE FROM river_job WHERE kind = 'mail_deliver' AND state IN ('available', 'scheduled', 'retryable')`); err != nil {
		return nil, err
	}

	// 1. Latency without a backlog: sends paced at a rate the delivery
	// worker keeps up with, before anything else is queued.
	_ = measureEach(ctx, client, cfg.concurrency, "warm-up", perClient, time.Second)
	if err := waitDrained(ctx, pool, appID, time.Minute); err != nil {
		return nil, err
	}
	res.pacedRate = cfg.lumoraPacedRate
	pacedFrom := time.Now()
	paced(ctx, client, func() *http.Request {
		r, _ := send(rand.New(rand.NewPCG(1, uint64(time.Now().UnixNano()))), keys[0])
		return r
	}, res.pacedRate, 5*time.Second)
	pacedUntil := time.Now()
	if err := waitDrained(ctx, pool, appID, time.Minute); err != nil {
		return nil, err
	}
	var p50, p99 float64
	err = pool.QueryRow(ctx, `SELECT coalesce(percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM e.at - m.created_at)), 0),
		coalesce(percentile_cont(0.99) WITHIN GROUP (ORDER BY extract(epoch FROM e.at - m.created_at)), 0)
		FROM mail_events e JOIN mail_messages m ON m.id = e.message_id
		WHERE e.type = 'delivered' AND m.app_id = $1 AND m.created_at BETWEEN $2 AND $3`, appID, pacedFrom, pacedUntil).Scan(&p50, &p99)
	if err != nil {
		return nil, err
	}
	res.latP50, res.latP99 = time.Duration(p50*float64(time.Second)), time.Duration(p99*float64(time.Second))
	fmt.Printf("  %-64s p50 %s  p99 %s\n", fmt.Sprintf("queued→delivered at %.0f msg/s", res.pacedRate), ms(res.latP50), ms(res.latP99))

	// 2. Accept rate: the clients send as fast as the API answers (the
	// delivery worker runs meanwhile, as it would in production).
	from := time.Now()
	cpuFrom, _ := processCPU(cmd.Process.Pid)
	acceptProfiled := profile("accept.pprof", max(cfg.lumoraDuration-time.Second, time.Second))
	res.accept = measureEach(ctx, client, cfg.concurrency, "send API     POST /api/lumora/v1/email/send", perClient, cfg.lumoraDuration)
	until := time.Now()

	// 3. Delivery throughput: working off the backlog the accept phase
	// left, from its first delivery to its last, within the drain window
	// (what is left then is dropped from the queue below).
	acceptProfiled()
	deliveryProfiled := profile("deliver.pprof", min(10*time.Second, cfg.lumoraDrain))
	_ = waitDrained(ctx, pool, appID, cfg.lumoraDrain)
	deliveryProfiled()
	if cpuUntil, err := processCPU(cmd.Process.Pid); err == nil && cpuFrom > 0 {
		res.serverCPU = cpuUntil - cpuFrom
	}
	var first, last *time.Time
	err = pool.QueryRow(ctx, `SELECT count(*), min(e.at), max(e.at) FROM mail_events e JOIN mail_messages m ON m.id = e.message_id
		WHERE e.type = 'delivered' AND m.app_id = $1 AND m.created_at BETWEEN $2 AND $3`, appID, from, until).Scan(&res.delivered, &first, &last)
	if err != nil {
		return nil, err
	}
	_ = pool.QueryRow(ctx, `SELECT count(*) FROM mail_messages WHERE app_id = $1 AND created_at BETWEEN $2 AND $3`, appID, from, until).Scan(&res.accepted)
	if first != nil && last.Sub(*first) > 0 {
		res.deliverRate = float64(res.delivered) / last.Sub(*first).Seconds()
	}
	fmt.Printf("  %-64s %8.0f msg/s  (%d of %d accepted messages delivered)\n", "delivery into the SMTP sink (backlog)", res.deliverRate, res.delivered, res.accepted)

	// 4. The ceiling: the server stopped, the same (signed) messages pushed
	// into the same sink by a plain SMTP client over reused connections.
	client.CloseIdleConnections()
	stopServer()
	// The bench database's own queue: what the drain window left is not
	// delivered by the next run's server.
	if _, err := pool.Exec(ctx, `DELETE FROM river_job WHERE kind = 'mail_deliver' AND state IN ('available', 'scheduled', 'retryable')`); err != nil {
		return nil, err
	}
	store.mu.Lock()
	raws := slices.Clone(store.keep)
	store.mu.Unlock()
	n := min(int(res.delivered), 5000)
	if len(raws) == 0 || n == 0 {
		return res, errors.New("the sink received nothing to push again")
	}
	res.ceilingN = n
	res.ceiling, err = smtpCeiling(sink.Addr(), raws, n, smtpConcurrency)
	if err != nil {
		return res, fmt.Errorf("SMTP ceiling: %w", err)
	}
	fmt.Printf("  %-64s %8.0f msg/s\n", fmt.Sprintf("plain SMTP client, %d reused connections (ceiling)", smtpConcurrency), res.ceiling)

	// 5. The DKIM-signing bound: every core signing the same messages with
	// an RSA-2048 key and doing nothing else. Delivery signs each message
	// once, so it cannot pass this rate on this machine.
	res.signCores = runtime.GOMAXPROCS(0)
	res.signBound, err = signBound(raws, res.signCores, 3*time.Second)
	if err != nil {
		return res, fmt.Errorf("DKIM-signing bound: %w", err)
	}
	fmt.Printf("  %-64s %8.0f msg/s\n", fmt.Sprintf("RSA-2048 DKIM signing on %d cores, nothing else (bound)", res.signCores), res.signBound)
	return res, nil
}

// signBound signs raws (cycling) on cores goroutines for d and returns
// signatures a second.
func signBound(raws [][]byte, cores int, d time.Duration) (float64, error) {
	k, err := rsa.GenerateKey(crand.Reader, 2048)
	if err != nil {
		return 0, err
	}
	key := outbound.DKIMKey{Domain: "lumora-bench.com", Selector: "bench", Signer: k}
	var n atomic.Int64
	var firstErr atomic.Value
	start := time.Now()
	deadline := start.Add(d)
	var wg sync.WaitGroup
	for range cores {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for time.Now().Before(deadline) {
				i := n.Add(1)
				if _, err := outbound.Sign(raws[int(i)%len(raws)], key); err != nil {
					firstErr.CompareAndSwap(nil, err)
					return
				}
			}
		}()
	}
	wg.Wait()
	if e := firstErr.Load(); e != nil {
		return 0, e.(error)
	}
	return float64(n.Load()) / time.Since(start).Seconds(), nil
}

// processCPU is the user and system CPU time a process has used so far
// (Linux: /proc/<pid>/stat, in clock ticks of 1/100 s).
func processCPU(pid int) (time.Duration, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	// The fields after the command name, which is in parentheses.
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return 0, errors.New("unexpected /proc stat")
	}
	f := strings.Fields(string(b[i+1:]))
	if len(f) < 13 {
		return 0, errors.New("unexpected /proc stat")
	}
	utime, err1 := strconv.ParseInt(f[11], 10, 64)
	stime, err2 := strconv.ParseInt(f[12], 10, 64)
	if err1 != nil || err2 != nil {
		return 0, errors.New("unexpected /proc stat")
	}
	return time.Duration(utime+stime) * 10 * time.Millisecond, nil
}

// ownCPU is processCPU of the load generator itself; zero where unknown.
func ownCPU() time.Duration {
	d, _ := processCPU(os.Getpid())
	return d
}

// freeAddr is a loopback address with a port free now.
func freeAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}

// cpuProfile fetches the server's CPU profile of the next d into path.
func cpuProfile(addr, path string, d time.Duration) error {
	secs := max(int(d/time.Second), 1)
	c := &http.Client{Timeout: time.Duration(secs+30) * time.Second}
	res, err := c.Get(fmt.Sprintf("http://%s/debug/pprof/profile?seconds=%d", addr, secs))
	if err != nil {
		return err
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		return fmt.Errorf("pprof answered %s", res.Status)
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if _, err := io.Copy(f, res.Body); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

func printLumora(r *lumoraResult, clients int) {
	fmt.Printf("\n%-64s %10s %9s %9s %8s\n", "Lumora", "msg/s", "p50", "p99", "errors")
	fmt.Printf("%-64s %10.0f %9s %9s %8d\n", fmt.Sprintf("send API accept, %d clients", clients), r.accept.rps, ms(r.accept.p50), ms(r.accept.p99), r.accept.errors)
	fmt.Printf("%-64s %10.0f\n", fmt.Sprintf("delivery into the SMTP sink (%d of %d messages)", r.delivered, r.accepted), r.deliverRate)
	fmt.Printf("%-64s %10s %9s %9s\n", fmt.Sprintf("queued→delivered latency at %.0f msg/s", r.pacedRate), "", ms(r.latP50), ms(r.latP99))
	fmt.Printf("%-64s %10.0f\n", fmt.Sprintf("plain SMTP client into the same sink (%d messages)", r.ceilingN), r.ceiling)
	fmt.Printf("%-64s %10.0f\n", fmt.Sprintf("RSA-2048 DKIM signing on %d cores, nothing else (bound)", r.signCores), r.signBound)
	if r.serverCPU > 0 && r.delivered > 0 {
		fmt.Printf("%-64s %10s\n", "server CPU per message, accepted and delivered", ms(r.serverCPU/time.Duration(r.delivered)))
	}
	if r.ceiling > 0 {
		fmt.Printf("\ndelivery %.0f msg/s = %.1f%% of the plain SMTP client's ceiling %.0f/s", r.deliverRate, 100*r.deliverRate/r.ceiling, r.ceiling)
		if r.signBound > 0 {
			fmt.Printf(", %.1f%% of the DKIM-signing bound %.0f/s", 100*r.deliverRate/r.signBound, r.signBound)
		}
		fmt.Println()
		if r.signBound > 0 && r.signBound < r.ceiling/2 {
			fmt.Printf("(every delivered message is RSA-2048 signed: on %d cores signing alone stops at %.0f/s = %.1f%% of the ceiling)\n",
				r.signCores, r.signBound, 100*r.signBound/r.ceiling)
		}
	}
}

// measureEach is measure with a request maker per client (each client has its own key).
func measureEach(ctx context.Context, client *http.Client, clients int, name string, next func(w int) func(*rand.Rand) (*http.Request, int), d time.Duration) result {
	var w atomic.Int64
	makers := make([]func(*rand.Rand) (*http.Request, int), clients)
	for i := range makers {
		makers[i] = next(i)
	}
	// measure numbers its clients' generators by seed; a client keeps the
	// maker it took first, found through its generator.
	var mu sync.Mutex
	byRNG := map[*rand.Rand]func(*rand.Rand) (*http.Request, int){}
	return measure(ctx, client, config{concurrency: clients}, name, func(rng *rand.Rand) (*http.Request, int) {
		mu.Lock()
		f, ok := byRNG[rng]
		if !ok {
			f = makers[int(w.Add(1)-1)%clients]
			byRNG[rng] = f
		}
		mu.Unlock()
		return f(rng)
	}, d)
}

// paced sends at rate per second for d, one request at a time per tick.
func paced(ctx context.Context, client *http.Client, next func() *http.Request, rate float64, d time.Duration) {
	tick := time.NewTicker(time.Duration(float64(time.Second) / rate))
	defer tick.Stop()
	end := time.After(d)
	var wg sync.WaitGroup
	for {
		select {
		case <-ctx.Done():
			wg.Wait()
			return
		case <-end:
			wg.Wait()
			return
		case <-tick.C:
			wg.Add(1)
			go func() {
				defer wg.Done()
				if res, err := client.Do(next()); err == nil {
					_, _ = io.Copy(io.Discard, res.Body)
					res.Body.Close()
				}
			}()
		}
	}
}

// waitDrained waits until no recipient of the app is queued or deferred.
func waitDrained(ctx context.Context, pool *pgxpool.Pool, appID string, limit time.Duration) error {
	deadline := time.Now().Add(limit)
	for {
		var left int64
		err := pool.QueryRow(ctx, `SELECT count(*) FROM mail_recipients r JOIN mail_messages m ON m.id = r.message_id
			WHERE m.app_id = $1 AND r.status IN ('queued', 'deferred')`, appID).Scan(&left)
		if err != nil {
			return err
		}
		if left == 0 {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%d recipients still undelivered after %s", left, limit)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func waitReady(addr string) error {
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		if res, err := http.Get("http://" + addr + "/readyz"); err == nil {
			res.Body.Close()
			if res.StatusCode == 200 {
				return nil
			}
		}
		time.Sleep(200 * time.Millisecond)
	}
	return errors.New("the server did not become ready within 60s")
}

// smtpCeiling pushes n messages (cycling through raws) into the SMTP server
// at addr over conns connections, each reused for every message it sends.
func smtpCeiling(addr string, raws [][]byte, n, conns int) (float64, error) {
	var next atomic.Int64
	var firstErr atomic.Value
	start := time.Now()
	var wg sync.WaitGroup
	for range conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c, err := smtp.Dial(addr)
			if err != nil {
				firstErr.CompareAndSwap(nil, err)
				return
			}
			defer c.Close()
			if err := c.Hello("loadgen.lumora-bench.com"); err != nil {
				firstErr.CompareAndSwap(nil, err)
				return
			}
			for {
				i := int(next.Add(1) - 1)
				if i >= n {
					_ = c.Quit()
					return
				}
				err := func() error {
					if err := c.Mail("bench@lumora-bench.com", nil); err != nil {
						return err
					}
					if err := c.Rcpt(fmt.Sprintf("rcpt-%d@sink.lumora-bench.com", i), nil); err != nil {
						return err
					}
					w, err := c.Data()
					if err != nil {
						return err
					}
					if _, err := w.Write(raws[i%len(raws)]); err != nil {
						return err
					}
					return w.Close()
				}()
				if err != nil {
					firstErr.CompareAndSwap(nil, err)
					return
				}
			}
		}()
	}
	wg.Wait()
	if e := firstErr.Load(); e != nil {
		return 0, e.(error)
	}
	return float64(n) / time.Since(start).Seconds(), nil
}
