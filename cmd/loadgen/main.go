// Command loadgen benchmarks Luarmor on a large data set: the loader check
// and a keys query with a search, against a running lumdesk server, and
// pgbench -S on the same database as the ceiling the database itself sets;
// then Lumora: the send API's accept rate, delivery into a local SMTP sink
// and that sink's own ceiling (lumora.go). -only lumora runs that alone.
//
//	go run ./cmd/loadgen            (what `make bench` runs)
//
// By default it does everything: makes a database lumdesk_bench_<N> on the
// local PostgreSQL (or BENCH_DATABASE_URL), seeds it once with
// `lumdesk seed --scale N --accounts L --audit L --ledger L` (the manifest in
// .data/bench/ marks it done),
// starts `bin/lumdesk serve` on it, runs each scenario for a while at a fixed
// concurrency (the loader check in three rounds, each followed by a round of
// pgbench -S with as many clients), then stops the server and measures a
// bare Fiber endpoint, in a process of its own (like the server) and in the
// load generator's. It reports requests per second, p50 and p99, and the
// loader check's throughput as a share of pgbench -S and of bare Fiber.
//
// Environment (flags of the same meaning win): BENCH_KEYS (1000000),
// BENCH_LISTS (accounts, audit events and ledger entries each; as many as keys),
// BENCH_DURATION (15s), BENCH_CONCURRENCY (32), BENCH_DATABASE_URL,
// BENCH_URL + BENCH_MANIFEST (use an already running server seeded with
// that manifest), BENCH_LIST_PATH (the keys list page measured with a
// search, default "/luarmor/keys?q=%s", signed in as the demo admin; "api"
// measures the API's GET users?search= instead, which also pays for the API
// key's rate limit, one row every request of that key updates).
package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/jackc/pgx/v5/pgxpool"

	"lumdesk/internal/platform/localpg"
	"lumdesk/internal/platform/procs"
	"lumdesk/views/components"
)

type manifest struct {
	APIKey   string `json:"api_key"`
	Projects []struct {
		ID       string `json:"id"`
		ScriptID string `json:"script_id"`
		Keys     int    `json:"keys"`
	} `json:"projects"`
	Samples  []sample `json:"samples"`
	Searches []string `json:"searches"`
	Keys     int      `json:"keys"`
	Lists    lists    `json:"lists"`
}

// lists are the rows of the other large console lists (cmd/web's ScaleLists).
type lists struct {
	Accounts    int `json:"accounts"`
	AuditEvents int `json:"audit_events"`
	Ledger      int `json:"ledger_entries"`
}

// sample is a key the loader check allows (Project indexes Projects).
type sample struct {
	Project int    `json:"project"`
	UserKey string `json:"user_key"`
	HWID    string `json:"hwid"`
}

type config struct {
	keys        int
	lists       int // rows of each other large list: accounts, audit events, ledger entries
	duration    time.Duration
	concurrency int
	bin         string
	dbURL       string
	serverURL   string
	manifest    string
	listPath    string
	addr        string
	metricsAddr string // the started server's METRICS_ADDR ("": none)
	reseed      bool
	skipPgbench bool

	only            string        // "", "luarmor", "lumio" or "lumora"
	lumoraDuration  time.Duration // the Lumora accept phase
	lumoraDBURL     string
	lumoraPprof     string        // directory for the server's CPU profiles ("": none)
	lumoraDrain     time.Duration // how long delivery may work off the accept phase's backlog
	lumoraPacedRate float64       // messages/s of the latency phase
}

func env(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}

func main() {
	if os.Getenv(envBare) == "1" {
		serveBare()
		return
	}
	var cfg config
	keys, _ := strconv.ParseFloat(env("BENCH_KEYS", "1000000"), 64) // 1e6 works too
	dur, err := time.ParseDuration(env("BENCH_DURATION", "15s"))
	if err != nil {
		fatal("BENCH_DURATION: %v", err)
	}
	conc, _ := strconv.Atoi(env("BENCH_CONCURRENCY", "32"))
	flag.IntVar(&cfg.keys, "keys", int(keys), "keys in the data set (BENCH_KEYS)")
	lists, _ := strconv.ParseFloat(env("BENCH_LISTS", "-1"), 64)
	flag.IntVar(&cfg.lists, "lists", int(lists), "accounts, audit events and ledger entries each in the data set (BENCH_LISTS; default: as many as keys)")
	flag.DurationVar(&cfg.duration, "duration", dur, "how long each scenario runs (BENCH_DURATION)")
	flag.IntVar(&cfg.concurrency, "concurrency", conc, "concurrent clients (BENCH_CONCURRENCY)")
	flag.StringVar(&cfg.bin, "bin", "bin/lumdesk", "the lumdesk binary")
	flag.StringVar(&cfg.dbURL, "database-url", os.Getenv("BENCH_DATABASE_URL"), "bench database (default: lumdesk_bench_<N> on the local server)")
	flag.StringVar(&cfg.serverURL, "url", os.Getenv("BENCH_URL"), "an already running server (then -manifest is required)")
	flag.StringVar(&cfg.manifest, "manifest", os.Getenv("BENCH_MANIFEST"), "the seed manifest (default .data/bench/manifest-<N>.json)")
	flag.StringVar(&cfg.listPath, "list-path", env("BENCH_LIST_PATH", "/luarmor/keys?q=%s"), `the dashboard keys page to measure (%s = search term), or "api" for the API's GET users`)
	flag.StringVar(&cfg.addr, "addr", env("BENCH_ADDR", "127.0.0.1:8097"), "where the started server listens")
	flag.BoolVar(&cfg.reseed, "reseed", false, "seed again even if the manifest exists")
	flag.BoolVar(&cfg.skipPgbench, "skip-pgbench", false, "do not run pgbench")
	flag.StringVar(&cfg.only, "only", os.Getenv("BENCH_ONLY"), `run one section: "luarmor", "lumio" or "lumora" (BENCH_ONLY; default all)`)
	lumDur, err := time.ParseDuration(env("BENCH_LUMORA_DURATION", "5s"))
	if err != nil {
		fatal("BENCH_LUMORA_DURATION: %v", err)
	}
	flag.DurationVar(&cfg.lumoraDuration, "lumora-duration", lumDur, "how long the Lumora send API is loaded (BENCH_LUMORA_DURATION)")
	drain, err := time.ParseDuration(env("BENCH_LUMORA_DRAIN", "45s"))
	if err != nil {
		fatal("BENCH_LUMORA_DRAIN: %v", err)
	}
	flag.DurationVar(&cfg.lumoraDrain, "lumora-drain", drain, "how long delivery works off the accept phase's backlog before it is measured (BENCH_LUMORA_DRAIN)")
	pacedRate, _ := strconv.ParseFloat(env("BENCH_LUMORA_PACED_RATE", "10"), 64)
	flag.Float64Var(&cfg.lumoraPacedRate, "lumora-paced-rate", pacedRate, "messages/s of the latency phase, below the delivery rate (BENCH_LUMORA_PACED_RATE)")
	flag.StringVar(&cfg.lumoraDBURL, "lumora-database-url", os.Getenv("BENCH_LUMORA_DATABASE_URL"), "Lumora bench database (default: lumdesk_bench_lumora on the local server)")
	flag.StringVar(&cfg.lumoraPprof, "lumora-pprof", os.Getenv("BENCH_LUMORA_PPROF"), "write the server's CPU profiles of the accept and delivery phases into this directory (BENCH_LUMORA_PPROF)")
	flag.Parse()
	if cfg.lumoraPacedRate <= 0 || cfg.lumoraDrain <= 0 || cfg.lumoraDuration <= 0 {
		fatal("the Lumora durations and rate must be positive")
	}
	if cfg.only != "" && cfg.only != "luarmor" && cfg.only != "lumio" && cfg.only != "lumora" {
		fatal(`-only is "luarmor", "lumio" or "lumora"`)
	}
	if cfg.keys < 1 || cfg.concurrency < 1 || cfg.duration <= 0 {
		fatal("keys, concurrency and duration must be positive")
	}
	if cfg.lists < 0 {
		cfg.lists = cfg.keys
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if cfg.only == "" || cfg.only == "luarmor" {
		if err := run(ctx, cfg); err != nil {
			fatal("%v", err)
		}
	}
	if cfg.only == "" || cfg.only == "lumio" {
		r, err := runLumio(ctx, cfg)
		if err != nil {
			fatal("lumio: %v", err)
		}
		printLumio(r)
	}
	if cfg.only == "" || cfg.only == "lumora" {
		r, err := runLumora(ctx, cfg)
		if err != nil {
			fatal("lumora: %v", err)
		}
		printLumora(r, cfg.concurrency)
	}
}

func fatal(format string, a ...any) {
	fmt.Fprintf(os.Stderr, "loadgen: "+format+"\n", a...)
	os.Exit(1)
}

func run(ctx context.Context, cfg config) error {
	if cfg.manifest == "" {
		cfg.manifest = filepath.Join(".data", "bench", fmt.Sprintf("manifest-%d.json", cfg.keys))
	}
	stopServer := func() {}
	if cfg.serverURL == "" {
		if err := os.MkdirAll(filepath.Dir(cfg.manifest), 0o755); err != nil {
			return err
		}
		if cfg.dbURL == "" {
			srv, err := localpg.Ensure(ctx, filepath.Join(".data", "pg"), slog.New(slog.NewTextHandler(io.Discard, nil)))
			if err != nil {
				return fmt.Errorf("find PostgreSQL: %w", err)
			}
			if srv.Started {
				defer func() { _ = srv.Stop() }()
			}
			if cfg.dbURL, err = srv.EnsureDatabase(ctx, fmt.Sprintf("lumdesk_bench_%d", cfg.keys)); err != nil {
				return err
			}
		}
		if err := seedOnce(ctx, cfg); err != nil {
			return err
		}
		// The server runs in demo mode (the console's staff to sign in as),
		// whose first start loads the demo data before it is ready: 5.2 –
		// 5.6 s against 0.2 – 0.3 s. Loading it here (idempotent: a few ms
		// when it is there) keeps that out of the start measured below.
		if err := lumdesk(ctx, cfg, io.Discard, "seed", "--demo").Run(); err != nil {
			return fmt.Errorf("seed --demo: %w", err)
		}
		// A start walks the whole audit chain in the background unless a
		// walk ran in the last half hour (audit.WalkIfDue): a million
		// events take 10 - 14 s of a core, which would fall on the first
		// scenarios. Walked here instead, before the server starts.
		if err := lumdesk(ctx, cfg, io.Discard, "audit", "verify").Run(); err != nil {
			return fmt.Errorf("audit verify: %w", err)
		}
		var err error
		if stopServer, err = startServer(ctx, cfg); err != nil {
			return err
		}
		defer stopServer()
		cfg.serverURL = "http://" + cfg.addr
	}
	m, err := readManifest(cfg.manifest)
	if err != nil {
		return err
	}
	client := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{
		MaxIdleConns: cfg.concurrency * 2, MaxIdleConnsPerHost: cfg.concurrency * 2, IdleConnTimeout: time.Minute}}
	fmt.Printf("\n%d keys, %d projects, %d sample keys; %d accounts, %d audit events, %d ledger entries; %d clients, %s per scenario, server %s\n\n",
		m.Keys, len(m.Projects), len(m.Samples), m.Lists.Accounts, m.Lists.AuditEvents, m.Lists.Ledger, cfg.concurrency, cfg.duration, cfg.serverURL)

	// Each sample key's check, built once (wire.go).
	addr := strings.TrimPrefix(cfg.serverURL, "http://")
	checkReqs := make([]wireRequest, len(m.Samples))
	for i, s := range m.Samples {
		p := m.Projects[s.Project]
		body, _ := json.Marshal(map[string]string{"script_key": s.UserKey, "hwid": s.HWID})
		if checkReqs[i], err = postJSON(cfg.serverURL+"/api/luarmor/v3/projects/"+p.ID+"/scripts/"+p.ScriptID+"/check", body); err != nil {
			return err
		}
	}
	check := func(rng *rand.Rand) wireRequest { return checkReqs[rng.IntN(len(checkReqs))] }
	if serverFootprint.pid != 0 {
		time.Sleep(time.Second) // idle: started, nothing asked yet
		serverFootprint.idleKiB = rss(serverFootprint.pid)
	}
	// Every sample key once, in turn: each key's first check reads the
	// database (and fills the node's cache). Measured apart from the steady
	// state that follows, where a key that executes again is answered from
	// memory: a short run over thousands of keys otherwise measures mostly
	// first checks.
	var next atomic.Int64
	firstChecks := func(*rand.Rand) wireRequest {
		i := int(next.Add(1)) - 1
		if i >= len(checkReqs) {
			return nil
		}
		return checkReqs[i]
	}
	first := measureWire(ctx, cfg, addr, "loader check, each key's first (the database)", firstChecks, 5*time.Minute)
	// The steady state against pgbench -S, in turns: this machine's speed
	// drifts by a factor of two and more between minutes (pgbench -S alone
	// made 7,862 – 31,051 tps at 32 clients across runs), so two runs
	// minutes apart compare the machine's moments more than the two servers.
	var bench *pgbenchTables
	if !cfg.skipPgbench && cfg.dbURL != "" {
		if bench, err = initPgbench(ctx, cfg); err != nil {
			fmt.Fprintf(os.Stderr, "pgbench: %v\n", err)
		} else {
			defer bench.drop()
		}
	}
	var checks, pgbenchs []result
	var wal walMeter
	if cfg.dbURL != "" {
		wal = newWalMeter(ctx, cfg.dbURL)
		defer wal.close()
		wal.checkpoint(ctx)
	}
	before := licensingMetrics(serverFootprint.metricsAddr)
	for round := range rounds {
		from, began := wal.position(ctx), time.Now()
		checks = append(checks, measureWire(ctx, cfg, addr, fmt.Sprintf("loader check   POST .../scripts/:id/check (round %d)", round+1), check, cfg.duration))
		// The server's batched execution counts flush every second: the
		// round's last flush is done before its WAL is read and pgbench
		// starts.
		time.Sleep(2 * time.Second)
		serverFootprint.checkRounds += time.Since(began) // pgbench's turns run no flush
		wal.add(ctx, from)
		if bench == nil {
			continue
		}
		if r, err := bench.run(ctx, cfg.duration); err != nil {
			fmt.Fprintf(os.Stderr, "pgbench: %v\n", err)
			bench = nil
		} else {
			pgbenchs = append(pgbenchs, r)
		}
	}
	after := licensingMetrics(serverFootprint.metricsAddr)
	delta := func(name string) float64 { return after[name] - before[name] }
	serverFootprint.cacheHits, serverFootprint.cacheMisses = delta("check_cache_hits_total"), delta("check_cache_misses_total")
	serverFootprint.flushes, serverFootprint.flushedKeys = delta("executions_flushes_total"), delta("executions_flushed_keys_total")
	serverFootprint.flushSeconds = delta("executions_flush_seconds_total")
	checksAll := merge("loader check   POST .../scripts/:id/check", checks)
	results := []result{checksAll, first}

	// Two kinds of search: selective (a fragment of one key's user_key or
	// HWID, what support types to find a key) and broad (note words that
	// match thousands of keys).
	var selective []string
	for i, smp := range m.Samples[:min(100, len(m.Samples))] {
		if i%2 == 0 {
			selective = append(selective, smp.UserKey[3:13])
		} else {
			selective = append(selective, strings.TrimPrefix(smp.HWID, "HWID-")[:10])
		}
	}
	apiSearch := func(terms []string) func(*rand.Rand) (*http.Request, int) {
		return func(rng *rand.Rand) (*http.Request, int) {
			p := m.Projects[rng.IntN(len(m.Projects))]
			req, _ := http.NewRequest("GET", cfg.serverURL+"/api/luarmor/v3/projects/"+p.ID+"/users?until=50&search="+url.QueryEscape(terms[rng.IntN(len(terms))]), nil)
			req.Header.Set("Authorization", m.APIKey)
			return req, http.StatusOK
		}
	}
	search := func(terms []string) func(*rand.Rand) (*http.Request, int) {
		if cfg.listPath == "" {
			return apiSearch(terms)
		}
		return func(rng *rand.Rand) (*http.Request, int) {
			req, _ := http.NewRequest("GET", cfg.serverURL+fmt.Sprintf(cfg.listPath, url.QueryEscape(terms[rng.IntN(len(terms))])), nil)
			return req, http.StatusOK
		}
	}
	apiClient := client
	name := "keys search    GET .../users?search=&until=50"
	if cfg.listPath != "" && cfg.listPath != "api" {
		if jar, err := signIn(client, cfg.serverURL, cfg.listPath); err != nil {
			fmt.Fprintf(os.Stderr, "  the dashboard keys page is not usable (%v); measuring the API's GET users instead\n", err)
			cfg.listPath = ""
		} else {
			client = &http.Client{Timeout: client.Timeout, Transport: client.Transport, Jar: jar}
			name = "keys page      GET " + strings.ReplaceAll(cfg.listPath, "%s", "")
		}
	} else {
		cfg.listPath = ""
	}
	results = append(results, measure(ctx, client, cfg, name+" (key/HWID part)", search(selective), cfg.duration))
	results = append(results, measure(ctx, client, cfg, name+" (note words)", search(m.Searches), cfg.duration))
	if cfg.listPath != "" {
		// A page of a broad search shows its rows, then asks for its count
		// (components.ListBar.CountFrom): the count's own request.
		results = append(results, measure(ctx, client, cfg, name+" (note words, the count)", countOf(search(m.Searches)), cfg.duration))
		// The other sorts, each walking its own index: none, a fragment or
		// note words as the search.
		terms := append([]string{""}, m.Searches...)
		terms = append(terms, selective[:min(4, len(selective))]...)
		sorts := []string{"created", "expires", "-expires", "last_used", "-last_used"}
		other := func(rng *rand.Rand) (*http.Request, int) {
			path := fmt.Sprintf(cfg.listPath, url.QueryEscape(terms[rng.IntN(len(terms))])) + "&sort=" + sorts[rng.IntN(len(sorts))]
			req, _ := http.NewRequest("GET", cfg.serverURL+path, nil)
			return req, http.StatusOK
		}
		results = append(results, measure(ctx, client, cfg, name+" (the other sorts)", other, cfg.duration))
		// The other large console lists, signed in as for the keys page, with
		// a search or filter each: common and rare terms of the data
		// `seed --accounts/--audit/--ledger` loads (-lists rows of each).
		page := func(path string, terms ...string) func(*rand.Rand) (*http.Request, int) {
			return func(rng *rand.Rand) (*http.Request, int) {
				req, _ := http.NewRequest("GET", cfg.serverURL+fmt.Sprintf(path, url.QueryEscape(terms[rng.IntN(len(terms))])), nil)
				return req, http.StatusOK
			}
		}
		// A page of more than one page's rows shows them, then asks for its
		// count (web.PageCount), as the keys page does: each its own scenario.
		names := page("/accounts?q=%s", "silva", "quixote", "maria", "gmail")
		actors := page("/audit?actor=%s", "staff1@", "rare.auditor", "customer42")
		kinds := page("/lumi/ledger?kind=%s", "deposit", "purchase", "adjustment")
		results = append(results,
			measure(ctx, client, cfg, "accounts page  GET /accounts?q= (names, emails)", names, cfg.duration),
			measure(ctx, client, cfg, "accounts page  GET /accounts?q= (the count)", countOf(names), cfg.duration),
			measure(ctx, client, cfg, "audit page     GET /audit?actor=", actors, cfg.duration),
			measure(ctx, client, cfg, "audit page     GET /audit?actor= (the count)", countOf(actors), cfg.duration),
			measure(ctx, client, cfg, "ledger page    GET /lumi/ledger?kind=", kinds, cfg.duration),
			measure(ctx, client, cfg, "ledger page    GET /lumi/ledger?kind= (the count)", countOf(kinds), cfg.duration))
		// The list's filters, each on its own with no search, in every sort
		// and direction: where a filter's keys sit together at the far end
		// of a sort (keys never used have no expiry and no last use), the
		// walk passes the others first (docs/scaling.md).
		filters := []string{"status=active", "status=reset", "status=banned", "never_used=yes", "never_used=no",
			"expired=yes", "expired=no", "discord=yes", "discord=no"}
		allSorts := []string{"created", "-created", "expires", "-expires", "last_used", "-last_used"}
		filtered := func(rng *rand.Rand) (*http.Request, int) {
			path := fmt.Sprintf(cfg.listPath, "") + "&" + filters[rng.IntN(len(filters))] + "&sort=" + allSorts[rng.IntN(len(allSorts))]
			req, _ := http.NewRequest("GET", cfg.serverURL+path, nil)
			return req, http.StatusOK
		}
		results = append(results, measure(ctx, client, cfg, name+" (filters and sorts)", filtered, cfg.duration))
		// The API's search of the same keys: its spec's substring anywhere in
		// the key, HWID, Discord ID or note (the searches are substrings of
		// notes too), paged by offset.
		results = append(results, measure(ctx, apiClient, cfg, "keys search    GET .../users?search=&until=50 (API: parts of keys, HWIDs, notes)",
			apiSearch(append(slices.Clone(selective), m.Searches...)), cfg.duration))
	}

	if serverFootprint.pid != 0 {
		serverFootprint.afterLoadKiB, serverFootprint.peakKiB = rss(serverFootprint.pid), peakRSS(serverFootprint.pid)
	}
	var prop propagation
	if cfg.dbURL != "" && cfg.bin != "" {
		if prop, err = banPropagation(ctx, cfg, m, 50); err != nil {
			fmt.Fprintf(os.Stderr, "ban propagation: %v\n", err)
		}
	}
	client.CloseIdleConnections() // or the server's graceful shutdown waits for them
	stopServer()                  // the bare Fiber endpoint gets the machine to itself

	// The HTTP ceiling: a bare Fiber JSON endpoint on this machine, driven
	// by the same clients with the same request. In a process of its own,
	// as the server is: at few clients, where each request waits for the
	// last, a request that crosses from one process to another costs a
	// wake-up each way that one process spares (README, Performance).
	ceiling, err := bareFiber(ctx, cfg, true)
	if err != nil {
		fmt.Fprintf(os.Stderr, "bare fiber: %v\n", err)
	}
	inProcess, err := bareFiber(ctx, cfg, false)
	if err != nil {
		fmt.Fprintf(os.Stderr, "bare fiber: %v\n", err)
	}
	// steal: the share of the machine's CPU time its hypervisor gave to
	// other guests while the scenario ran (steal.go).
	fmt.Printf("\n%-64s %10s %9s %9s %8s %6s\n", "scenario", "req/s", "p50", "p99", "errors", "steal")
	for _, r := range results {
		fmt.Printf("%-64s %10.0f %9s %9s %8d %6s\n", r.name, r.rps, ms(r.p50), ms(r.p99), r.errors, r.cpu.stolen())
	}
	for _, c := range []result{ceiling, inProcess} {
		if c.rps > 0 {
			fmt.Printf("%-64s %10.0f %9s %9s %8d %6s\n", c.name, c.rps, ms(c.p50), ms(c.p99), c.errors, c.cpu.stolen())
		}
	}
	if len(pgbenchs) > 0 {
		pg := merge(fmt.Sprintf("pgbench -S (select only, %d clients)", cfg.concurrency), pgbenchs)
		fmt.Printf("%-64s %10.0f %9s %9s %8s %6s\n", pg.name, pg.rps, ms(pg.p50), ms(pg.p99), "", pg.cpu.stolen())
		fmt.Printf("\nloader check throughput = %.0f%% of pgbench -S on the same database, in %d rounds each, taken in turns (round by round:",
			100*results[0].rps/pg.rps, len(pgbenchs))
		for i, p := range pgbenchs {
			fmt.Printf(" %.0f%%", 100*checks[i].rps/p.rps)
		}
		fmt.Printf("; CPU time stolen: %s in the check's rounds, %s in pgbench's;", results[0].cpu.stolen(), pg.cpu.stolen())
		// On a machine of few cores the clients share them with what they
		// measure: each one's own CPU per request says how much it took.
		fmt.Printf(" the clients' own CPU: %s a check, %s a pgbench transaction)\n", checksAll.clientPerRequest(), pg.clientPerRequest())
	}
	if ceiling.rps > 0 {
		fmt.Printf("loader check throughput = %.0f%% of a bare Fiber JSON endpoint in its own process (the HTTP ceiling)\n", 100*results[0].rps/ceiling.rps)
	}
	if inProcess.rps > 0 {
		fmt.Printf("loader check throughput = %.0f%% of a bare Fiber JSON endpoint in the load generator's process\n", 100*results[0].rps/inProcess.rps)
	}
	if n := len(results[0].lat); wal.bytes > 0 && n > 0 {
		// The check reads from memory; what it writes is the execution
		// counts (docs/scaling.md, "Writes that grow with checks").
		fmt.Printf("loader check rounds wrote %.0f MB of WAL: %.0f bytes a check\n", wal.bytes/1e6, wal.bytes/float64(n))
	}
	if f := serverFootprint; f.cacheHits+f.cacheMisses > 0 {
		// Each sample key's first check reads the database; the ratio says
		// how much of the run was the cache's steady state.
		fmt.Printf("loader check cache: %.0f%% of checks answered from memory (%.0f hits, %.0f misses)\n",
			100*f.cacheHits/(f.cacheHits+f.cacheMisses), f.cacheHits, f.cacheMisses)
	}
	if f := serverFootprint; f.flushes > 0 {
		// The batched execution counts are what the cached check costs the
		// database: each flush's transaction, timed by the server.
		fmt.Printf("execution counts: %.0f flushes during the check rounds, %.0f ms and %.0f keys a flush on average: %.0f ms of each second of the rounds\n",
			f.flushes, 1000*f.flushSeconds/f.flushes, f.flushedKeys/f.flushes, 1000*f.flushSeconds/f.checkRounds.Seconds())
	}
	if prop.samples > 0 {
		fmt.Printf("a ban on node A → the first refused check on node B (%d keys, both nodes caching): p50 %s, max %s\n", prop.samples, ms(prop.p50), ms(prop.max))
	}
	if f := serverFootprint; f.pid != 0 {
		fmt.Printf("server: start to first /readyz 200 %s (aim <= 300ms); RSS idle %.1f MiB (aim <= 60), after the load %.1f MiB, peak %.1f MiB (aim <= 200)\n",
			f.ready.Round(time.Millisecond), float64(f.idleKiB)/1024, float64(f.afterLoadKiB)/1024, float64(f.peakKiB)/1024)
	}
	return nil
}

// envBare makes the load generator the bare endpoint's process (bareFiber).
const envBare = "LOADGEN_BARE_FIBER"

// bareApp answers every POST with a small JSON object and does nothing
// else: what HTTP alone costs on this machine.
func bareApp() *fiber.App {
	app := fiber.New(fiber.Config{DisableStartupMessage: true})
	app.Post("/check", func(c *fiber.Ctx) error {
		return c.JSON(fiber.Map{"success": true, "message": "The key is valid.", "code": "ok", "assigned": false})
	})
	return app
}

// serveBare is the bare endpoint's own process: it prints its address and
// serves until it is killed.
func serveBare() {
	procs.Set() // as the server does, so the ceiling is the server's
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fmt.Println(ln.Addr().String())
	_ = bareApp().Listener(ln)
}

// bareFiber measures bareApp, in a process of its own (this program run
// again with envBare) or in this one.
func bareFiber(ctx context.Context, cfg config, ownProcess bool) (result, error) {
	name := "bare Fiber JSON endpoint, in the load generator's process"
	var addr string
	if ownProcess {
		name = "bare Fiber JSON endpoint, its own process (HTTP ceiling)"
		exe, err := os.Executable()
		if err != nil {
			return result{}, err
		}
		cmd := exec.CommandContext(ctx, exe)
		cmd.Env = append(os.Environ(), envBare+"=1")
		out, err := cmd.StdoutPipe()
		if err != nil {
			return result{}, err
		}
		if err := cmd.Start(); err != nil {
			return result{}, err
		}
		defer func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }()
		line, err := bufio.NewReader(out).ReadString('\n')
		if err != nil {
			return result{}, fmt.Errorf("the bare endpoint's process: %w", err)
		}
		addr = strings.TrimSpace(line)
	} else {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return result{}, err
		}
		app := bareApp()
		go func() { _ = app.Listener(ln) }()
		defer app.Shutdown()
		addr = ln.Addr().String()
	}
	req, err := postJSON("http://"+addr+"/check", []byte(`{"script_key":"0123456789abcdef0123456789abcdef","hwid":"HWID-0123456789"}`))
	if err != nil {
		return result{}, err
	}
	same := func(*rand.Rand) wireRequest { return req }
	_ = measureWire(ctx, cfg, addr, "warm-up", same, time.Second)
	r := measureWire(ctx, cfg, addr, name, same, cfg.duration)
	if !ownProcess {
		r.client = 0 // this process's CPU is the endpoint's too
	}
	return r, nil
}

func ms(d time.Duration) string { return fmt.Sprintf("%.2fms", float64(d.Microseconds())/1000) }

// seedOnce seeds the bench database unless the manifest says it holds the
// keys and cfg.lists rows of each other list: the keys and lists in one
// `seed --scale` the first time; the lists alone (--scale 0) into a
// database seeded before the manifest recorded them, noted in the manifest.
func seedOnce(ctx context.Context, cfg config) error {
	listFlags := func(a, e, l int) []string {
		return []string{"--accounts", strconv.Itoa(a), "--audit", strconv.Itoa(e), "--ledger", strconv.Itoa(l)}
	}
	m, err := readManifest(cfg.manifest)
	if err != nil || cfg.reseed {
		fmt.Printf("seeding %d keys and %d rows of each other list (once; the manifest %s marks it done)...\n", cfg.keys, cfg.lists, cfg.manifest)
		args := append([]string{"seed", "--scale", strconv.Itoa(cfg.keys), "--manifest", cfg.manifest}, listFlags(cfg.lists, cfg.lists, cfg.lists)...)
		if err := lumdesk(ctx, cfg, os.Stdout, args...).Run(); err != nil {
			return fmt.Errorf("seed: %w", err)
		}
		return nil
	}
	have := m.Lists
	more := lists{max(0, cfg.lists-have.Accounts), max(0, cfg.lists-have.AuditEvents), max(0, cfg.lists-have.Ledger)}
	if more == (lists{}) {
		return nil
	}
	fmt.Printf("adding %d accounts, %d audit events and %d ledger entries (once; the manifest %s marks it done)...\n",
		more.Accounts, more.AuditEvents, more.Ledger, cfg.manifest)
	if err := lumdesk(ctx, cfg, os.Stdout, append([]string{"seed", "--scale", "0"}, listFlags(more.Accounts, more.AuditEvents, more.Ledger)...)...).Run(); err != nil {
		return fmt.Errorf("seed the lists: %w", err)
	}
	return noteLists(cfg.manifest, lists{have.Accounts + more.Accounts, have.AuditEvents + more.AuditEvents, have.Ledger + more.Ledger})
}

// noteLists records in the manifest at path that its database holds l. The
// manifest is cmd/web's: only its lists change; the rest stays as written.
func noteLists(path string, l lists) error {
	var raw map[string]json.RawMessage
	b, err := os.ReadFile(path)
	if err == nil {
		err = json.Unmarshal(b, &raw)
	}
	if err != nil {
		return fmt.Errorf("manifest: %w", err)
	}
	raw["lists"], _ = json.Marshal(l)
	b, _ = json.MarshalIndent(raw, "", " ")
	return os.WriteFile(path, b, 0o600)
}

func readManifest(path string) (manifest, error) {
	var m manifest
	b, err := os.ReadFile(path)
	if err != nil {
		return m, fmt.Errorf("manifest: %w", err)
	}
	if err := json.Unmarshal(b, &m); err != nil {
		return m, fmt.Errorf("manifest %s: %w", path, err)
	}
	if len(m.Samples) == 0 || len(m.Projects) == 0 {
		return m, fmt.Errorf("manifest %s has no sample keys", path)
	}
	if len(m.Searches) == 0 {
		m.Searches = []string{"reseller"}
	}
	return m, nil
}

// execLumdesk is the lumdesk binary with its environment.
func execLumdesk(ctx context.Context, bin string, env []string, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Env = env
	return cmd
}

func lumdesk(ctx context.Context, cfg config, out io.Writer, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, cfg.bin, args...)
	cmd.Env = append(os.Environ(), "DATABASE_URL="+cfg.dbURL, "DATA_DIR="+filepath.Join(".data", "bench"),
		"LISTEN_ADDR="+cfg.addr, "LOG_LEVEL=warn", "LUMDESK_DEMO=true")
	if cfg.metricsAddr != "" {
		cmd.Env = append(cmd.Env, "METRICS_ADDR="+cfg.metricsAddr)
	}
	cmd.Stdout, cmd.Stderr = out, os.Stderr
	return cmd
}

// startServer runs `lumdesk serve` on the bench database and waits until it
// is ready, noting its footprint; the returned func stops it (SIGINT: a
// clean shutdown flushes the execution counter).
func startServer(ctx context.Context, cfg config) (func(), error) {
	maddr, err := freeAddr()
	if err != nil {
		return nil, err
	}
	cfg.metricsAddr = maddr
	stop, pid, ready, err := startNode(ctx, cfg, cfg.addr)
	if err != nil {
		return nil, err
	}
	serverFootprint.pid, serverFootprint.ready, serverFootprint.metricsAddr = pid, ready, maddr
	return stop, nil
}

// startNode runs `lumdesk serve` on addr and waits for its first /readyz
// 200: the returned func stops it, pid and ready are its process and the
// time it took.
func startNode(ctx context.Context, cfg config, addr string) (stop func(), pid int, ready time.Duration, err error) {
	node := cfg
	node.addr = addr
	// Another server already on addr (a second bench on the shared machine)
	// would answer /readyz for ours, which then fails to listen: its start
	// and RSS would be measured on a process that is not serving.
	if ln, err := net.Listen("tcp", addr); err != nil {
		return nil, 0, 0, fmt.Errorf("start server: %s is taken (-addr or BENCH_ADDR picks another): %w", addr, err)
	} else {
		ln.Close()
	}
	cmd := lumdesk(context.WithoutCancel(ctx), node, io.Discard, "serve")
	start := time.Now()
	if err := cmd.Start(); err != nil {
		return nil, 0, 0, fmt.Errorf("start server: %w", err)
	}
	var once sync.Once
	stop = func() { once.Do(func() { stopProcess(cmd) }) }
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		res, err := http.Get("http://" + addr + "/readyz")
		if err == nil {
			res.Body.Close()
			if res.StatusCode == 200 {
				return stop, cmd.Process.Pid, time.Since(start), nil
			}
		}
		time.Sleep(5 * time.Millisecond)
	}
	stop()
	return nil, 0, 0, errors.New("the server did not become ready within 60s")
}

// serverFootprint is what the started server costs: the time from start
// to the first /readyz 200, and its resident memory idle and after the load.
var serverFootprint struct {
	pid              int
	ready            time.Duration
	idleKiB, peakKiB int64
	afterLoadKiB     int64
	metricsAddr      string
	// during the loader check rounds: the check cache's hits and misses,
	// the execution counter's flushes, and the rounds' time
	cacheHits, cacheMisses             float64
	flushes, flushedKeys, flushSeconds float64
	checkRounds                        time.Duration
}

// licensingMetrics reads the server's lumdesk_licensing_* metrics (the check
// cache, the execution counter's flushes) from its metrics listener, by
// the rest of their names (none when it has no listener).
func licensingMetrics(addr string) map[string]float64 {
	m := map[string]float64{}
	if addr == "" {
		return m
	}
	res, err := http.Get("http://" + addr + "/metrics")
	if err != nil {
		return m
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	for _, line := range strings.Split(string(b), "\n") {
		name, v, _ := strings.Cut(line, " ")
		if rest, ok := strings.CutPrefix(name, "lumdesk_licensing_"); ok {
			m[rest], _ = strconv.ParseFloat(v, 64)
		}
	}
	return m
}

// rss is the process's resident set (VmRSS) in KiB, 0 when /proc does not say.
func rss(pid int) int64 { return procStatusKiB(pid, "VmRSS:") }

func stopProcess(cmd *exec.Cmd) {
	_ = cmd.Process.Signal(os.Interrupt)
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(20 * time.Second):
		_ = cmd.Process.Kill()
	}
}

var csrfField = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// countOf asks for the count that the pages of next defer
// (components.ListBar.CountFrom): each page's own URL, as htmx sends it.
func countOf(next func(*rand.Rand) (*http.Request, int)) func(*rand.Rand) (*http.Request, int) {
	return func(rng *rand.Rand) (*http.Request, int) {
		req, want := next(rng)
		req.Header.Set("HX-Request", "true")
		req.Header.Set("HX-Target", components.ResultCountID)
		return req, want
	}
}

// signIn signs in as the demo admin (the server runs in demo mode: no TOTP)
// and checks that the page answers.
func signIn(client *http.Client, base, listPath string) (http.CookieJar, error) {
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar, Timeout: client.Timeout, Transport: client.Transport,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	res, err := c.Get(base + "/login")
	if err != nil {
		return nil, err
	}
	page, _ := io.ReadAll(res.Body)
	res.Body.Close()
	m := csrfField.FindSubmatch(page)
	if m == nil {
		return nil, errors.New("sign in: no CSRF field on /login")
	}
	form := url.Values{"email": {env("BENCH_STAFF_EMAIL", "admin@lumdesk.local")},
		"password": {env("BENCH_STAFF_PASSWORD", "demo-admin-password")}, "csrf": {string(m[1])}}
	res, err = c.PostForm(base+"/login", form)
	if err != nil {
		return nil, err
	}
	res.Body.Close()
	if res.StatusCode != http.StatusSeeOther {
		return nil, fmt.Errorf("sign in: status %d", res.StatusCode)
	}
	res, err = c.Get(base + fmt.Sprintf(listPath, "probe"))
	if err != nil {
		return nil, err
	}
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET %s: status %d", listPath, res.StatusCode)
	}
	return jar, nil
}

type result struct {
	name     string
	rps      float64
	p50, p99 time.Duration
	errors   int64
	lat      []time.Duration // every request's, sorted
	elapsed  time.Duration   // over which they were made
	cpu      cpuClock        // the machine's CPU time over them, and how much was stolen (steal.go)
	client   time.Duration   // the CPU time the client itself spent on them (this process, or pgbench's)
}

// clientPerRequest is the client's CPU time per request.
func (r result) clientPerRequest() string {
	if len(r.lat) == 0 || r.client == 0 {
		return "-"
	}
	return fmt.Sprintf("%.0fµs", float64(r.client.Nanoseconds())/1e3/float64(len(r.lat)))
}

// measure runs next() requests from cfg.concurrency clients for d, through
// net/http's client.
func measure(ctx context.Context, client *http.Client, cfg config, name string, next func(*rand.Rand) (*http.Request, int), d time.Duration) result {
	// Requests in flight at the end run to their answer, and count: cut off,
	// the slowest would leave the sample, and their queries would run on
	// into the next scenario's. So they carry the caller's context, not d's.
	reqCtx := ctx
	return drive(ctx, cfg, name, d, func() send {
		return func(rng *rand.Rand) (bool, error) {
			req, want := next(rng)
			if req == nil { // the scenario has no more requests
				return true, nil
			}
			// The gzip net/http's transport asks for anyway, asked for by
			// name: the server compresses as before, and the transport
			// leaves the body compressed. Unpacking a page took the client
			// most of its 0.4 – 1 ms of CPU a page, on the cores the server
			// measured shares.
			if req.Header.Get("Accept-Encoding") == "" {
				req.Header.Set("Accept-Encoding", "gzip")
			}
			res, err := client.Do(req.WithContext(reqCtx))
			if err != nil {
				if reqCtx.Err() != nil {
					err = nil // the run was interrupted: not the server's error
				}
				return false, err
			}
			_, _ = io.Copy(io.Discard, res.Body)
			res.Body.Close()
			if res.StatusCode != want {
				return false, fmt.Errorf("status %d from %s", res.StatusCode, req.URL.Path)
			}
			return false, nil
		}
	})
}

// send makes one request: done when the scenario has no more, err when the
// answer was not the one wanted.
type send func(*rand.Rand) (done bool, err error)

// drive runs cfg.concurrency clients, each with its own sender, for d, and
// times every request.
func drive(ctx context.Context, cfg config, name string, d time.Duration, newSender func() send) result {
	ctx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	var errs atomic.Int64
	var mu sync.Mutex
	var all []time.Duration
	var firstErr atomic.Value
	start, clock, self := time.Now(), readCPUClock(), ownCPU()
	var wg sync.WaitGroup
	for w := range cfg.concurrency {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(w), uint64(start.UnixNano())))
			do := newSender()
			lat := make([]time.Duration, 0, 4096)
			for ctx.Err() == nil {
				t := time.Now()
				done, err := do(rng)
				if done {
					break
				}
				lat = append(lat, time.Since(t))
				if err != nil {
					errs.Add(1)
					firstErr.CompareAndSwap(nil, err.Error())
				}
			}
			mu.Lock()
			all = append(all, lat...)
			mu.Unlock()
		}()
	}
	wg.Wait()
	r := summarize(strings.TrimSpace(name), all, time.Since(start))
	r.errors, r.cpu, r.client = errs.Load(), readCPUClock().since(clock), ownCPU()-self
	if e := firstErr.Load(); e != nil {
		fmt.Fprintf(os.Stderr, "  %s: %d errors, first: %s\n", r.name, r.errors, e)
	}
	if name != "warm-up" {
		fmt.Printf("  %-64s %8.0f req/s  p50 %s  p99 %s  steal %s  client %s/req\n", r.name, r.rps, ms(r.p50), ms(r.p99), r.cpu.stolen(), r.clientPerRequest())
	}
	return r
}

// summarize is the rate and percentiles of latencies taken over elapsed.
func summarize(name string, all []time.Duration, elapsed time.Duration) result {
	slices.Sort(all)
	r := result{name: name, rps: float64(len(all)) / elapsed.Seconds(), lat: all, elapsed: elapsed}
	if n := len(all); n > 0 {
		r.p50, r.p99 = all[n/2], all[min(n-1, n*99/100)]
	}
	return r
}

// rounds is how many turns the loader check and pgbench -S each take.
const rounds = 3

// pgbenchTables are pgbench's own tables in the bench database, at scale 10
// (a million pgbench_accounts rows, like the million keys).
type pgbenchTables struct {
	dbURL       string
	concurrency int
}

func initPgbench(ctx context.Context, cfg config) (*pgbenchTables, error) {
	if _, err := exec.LookPath("pgbench"); err != nil {
		return nil, errors.New("pgbench is not installed (apt-get install postgresql-client)")
	}
	fmt.Println("\npgbench: initialising its tables (scale 10) in the bench database...")
	t := &pgbenchTables{dbURL: cfg.dbURL, concurrency: cfg.concurrency}
	if _, err := t.pgbench(ctx, "-i", "-q", "-s", "10", "-I", "dtgvp"); err != nil {
		return nil, err
	}
	return t, nil
}

func (t *pgbenchTables) drop() { _, _ = t.pgbench(context.Background(), "-i", "-I", "d") }

// pgbench runs pgbench on the bench database, and returns the CPU time it
// spent; its output is only the error's.
func (t *pgbenchTables) pgbench(ctx context.Context, args ...string) (time.Duration, error) {
	var out bytes.Buffer
	cmd := exec.CommandContext(ctx, "pgbench", append(args, t.dbURL)...)
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		return 0, fmt.Errorf("pgbench %s: %w: %s", strings.Join(args, " "), err, out.String())
	}
	return cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime(), nil
}

// run is one pgbench -S run of d, with the same clients as the loader check
// and its percentiles from pgbench's log of every transaction.
func (t *pgbenchTables) run(ctx context.Context, d time.Duration) (result, error) {
	dir, err := os.MkdirTemp("", "pgbench-log")
	if err != nil {
		return result{}, err
	}
	defer os.RemoveAll(dir)
	clock := readCPUClock()
	client, err := t.pgbench(ctx, "-S", "-n", "-c", strconv.Itoa(t.concurrency), "-j", "2", "-T", strconv.Itoa(int(d.Seconds())),
		"-l", "--log-prefix", filepath.Join(dir, "tx"))
	if err != nil {
		return result{}, err
	}
	lat, err := pgbenchLatencies(dir)
	if err != nil {
		return result{}, err
	}
	// Over -T, as pgbench's own tps "without initial connection time".
	r := summarize("pgbench -S", lat, d)
	r.cpu, r.client = readCPUClock().since(clock), client
	fmt.Printf("  %-64s %8.0f tps    p50 %s  p99 %s  steal %s  client %s/tx\n", r.name, r.rps, ms(r.p50), ms(r.p99), r.cpu.stolen(), r.clientPerRequest())
	return r, nil
}

// pgbenchLatencies reads every transaction's latency from pgbench's logs
// (-l: "client transaction latency_us script epoch_s epoch_us" per line).
func pgbenchLatencies(dir string) ([]time.Duration, error) {
	files, err := filepath.Glob(filepath.Join(dir, "tx*"))
	if err != nil || len(files) == 0 {
		return nil, fmt.Errorf("no pgbench log in %s", dir)
	}
	var lat []time.Duration
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			return nil, err
		}
		for line := range strings.Lines(string(b)) {
			fields := strings.Fields(line)
			if len(fields) < 3 {
				continue
			}
			us, err := strconv.ParseInt(fields[2], 10, 64)
			if err != nil {
				return nil, fmt.Errorf("pgbench log %s: %q", f, line)
			}
			lat = append(lat, time.Duration(us)*time.Microsecond)
		}
	}
	return lat, nil
}

// merge is several rounds of one scenario as one: their requests over their
// summed time.
func merge(name string, rs []result) result {
	var all []time.Duration
	var elapsed time.Duration
	var errs int64
	var cpu cpuClock
	var client time.Duration
	for _, r := range rs {
		all = append(all, r.lat...)
		elapsed += r.elapsed
		errs += r.errors
		cpu = cpu.add(r.cpu)
		client += r.client
	}
	r := summarize(name, all, elapsed)
	r.errors, r.cpu, r.client = errs, cpu, client
	return r
}

// walMeter adds up the WAL the database writes over spans of a run (a zero
// meter, with no database, measures nothing).
type walMeter struct {
	pool  *pgxpool.Pool
	bytes float64
}

func newWalMeter(ctx context.Context, dbURL string) walMeter {
	pool, err := pgxpool.New(ctx, dbURL)
	if err != nil {
		fmt.Fprintf(os.Stderr, "  wal: %v\n", err)
		return walMeter{}
	}
	return walMeter{pool: pool}
}

// position is the WAL's current position ("" when it cannot be read).
func (w *walMeter) position(ctx context.Context) string {
	var lsn string
	if w.pool == nil || w.pool.QueryRow(ctx, "SELECT pg_current_wal_lsn()::text").Scan(&lsn) != nil {
		return ""
	}
	return lsn
}

// add counts the WAL written since from.
func (w *walMeter) add(ctx context.Context, from string) {
	var n float64
	if from == "" || w.pool.QueryRow(ctx, "SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), $1::pg_lsn)::float8", from).Scan(&n) != nil {
		return
	}
	w.bytes += n
}

// checkpoint writes out what pgbench's tables and the first checks left
// dirty, so that the checkpointer does not write it during the first round.
func (w *walMeter) checkpoint(ctx context.Context) {
	if w.pool == nil {
		return
	}
	if _, err := w.pool.Exec(ctx, "CHECKPOINT"); err != nil {
		fmt.Fprintf(os.Stderr, "  checkpoint: %v\n", err)
	}
}

func (w *walMeter) close() {
	if w.pool != nil {
		w.pool.Close()
	}
}
