package main

// The Lumio section of `make bench`: the developer API's reads at
// cfg.concurrency clients (GET /extensions, GET …/installs), install-event
// ingestion in batches of 1,000, and bundle uploads: a 20 MiB bundle's
// throughput and the server's peak RSS (VmHWM) after a 1 MiB and a 20 MiB
// upload. Uploads stream through the validator into the blob store, so the
// peak must not grow with the bundle.
//
// It sets up through the CLI on its own database lumdesk_bench_lumio: an
// account with a developer key (which creates the extension) and an
// operator key per client (the store backend's) at the highest per-minute
// limit, which the per-minute groups (GET 120/minute) yield to, so the
// reads measure the server and not the limiter.

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	crand "crypto/rand"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"mime/multipart"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"lumdesk/internal/platform/localpg"
)

type lumioResult struct {
	list, installs result
	ingest         result // requests of 1,000 events
	uploadMiBps    float64
	rssBase        int64 // KiB, VmHWM before any upload
	rss1, rss20    int64 // KiB, VmHWM after the 1 MiB and the 20 MiB upload
	uploadErr      string
	extensions     int
}

func runLumio(ctx context.Context, cfg config) (*lumioResult, error) {
	fmt.Println("\nLumio: setting up (database lumdesk_bench_lumio)...")
	srv, err := localpg.Ensure(ctx, filepath.Join(".data", "pg"), slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		return nil, fmt.Errorf("find PostgreSQL: %w", err)
	}
	if srv.Started {
		defer func() { _ = srv.Stop() }()
	}
	dbURL, err := srv.EnsureDatabase(ctx, "lumdesk_bench_lumio")
	if err != nil {
		return nil, err
	}
	envv := append(os.Environ(), "DATABASE_URL="+dbURL, "DATA_DIR="+filepath.Join(".data", "bench"), "LISTEN_ADDR="+cfg.addr,
		"LOG_LEVEL=warn", "LUMDESK_DEMO=false")
	cli := func(args ...string) (map[string]any, error) {
		cmd := execLumdesk(ctx, cfg.bin, envv, args...)
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, os.Stderr
		if err := cmd.Run(); err != nil {
			return nil, fmt.Errorf("lumdesk %s: %w", strings.Join(args, " "), err)
		}
		var v map[string]any
		if strings.Contains(strings.Join(args, " "), "--json") {
			if err := json.Unmarshal(out.Bytes(), &v); err != nil {
				return nil, fmt.Errorf("lumdesk %s: %w", strings.Join(args, " "), err)
			}
		}
		return v, nil
	}
	run := strconv.FormatInt(time.Now().Unix(), 36)
	email := "bench-" + run + "@lumio-bench.com"
	if _, err := cli("migrate", "up"); err != nil {
		return nil, err
	}
	if _, err := cli("account", "create", "--name", "Lumio bench "+run, "--email", email); err != nil {
		return nil, err
	}
	dev, err := cli("apikey", "create", "--product", "lumio", "--account", email, "--scopes", "extensions:read,extensions:write", "--name", "bench developer", "--json")
	if err != nil {
		return nil, err
	}
	// One operator key per client, each at the highest per-minute limit
	// (which a GET group's 120/minute yields to), as the Lumora section does.
	opKeys := make([]string, cfg.concurrency)
	for i := range opKeys {
		op, err := cli("apikey", "create", "--product", "lumio", "--operator", "--rate-limit", "10000",
			"--name", fmt.Sprintf("bench store backend %d", i), "--json")
		if err != nil {
			return nil, err
		}
		opKeys[i] = op["secret"].(string)
	}
	devKey, opKey := dev["secret"].(string), opKeys[0]

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
	base := "http://" + cfg.addr + "/api/lumio"
	client := &http.Client{Timeout: 5 * time.Minute, Transport: &http.Transport{
		MaxIdleConns: cfg.concurrency * 2, MaxIdleConnsPerHost: cfg.concurrency * 2, IdleConnTimeout: time.Minute}}
	call := func(method, path, key string, body io.Reader, ctype string) (map[string]any, error) {
		req, err := http.NewRequestWithContext(ctx, method, base+path, body)
		if err != nil {
			return nil, err
		}
		req.Header.Set("Authorization", "Bearer "+key)
		if ctype != "" {
			req.Header.Set("Content-Type", ctype)
		}
		res, err := client.Do(req)
		if err != nil {
			return nil, err
		}
		defer res.Body.Close()
		var v map[string]any
		raw, _ := io.ReadAll(res.Body)
		if res.StatusCode >= 300 {
			return nil, fmt.Errorf("%s %s: %d %s", method, path, res.StatusCode, raw)
		}
		_ = json.Unmarshal(raw, &v)
		return v, nil
	}
	created, err := call("POST", "/developer/v1/extensions", devKey,
		strings.NewReader(`{"name": "Bench Scoreboard `+run+`", "short_description": "Scores for the benchmark.", "pricing": {"type": "free"}}`), "application/json")
	if err != nil {
		return nil, err
	}
	extID := created["extension"].(map[string]any)["id"].(string)

	res := &lumioResult{}
	pid := cmd.Process.Pid
	res.rssBase = peakRSS(pid)
	// upload submits version with a bundle of about size bytes of
	// incompressible files; it returns the version id and the seconds the
	// request took.
	upload := func(version string, size int) (string, float64, error) {
		pr, pw := io.Pipe()
		mw := multipart.NewWriter(pw)
		go func() {
			_ = mw.WriteField("version", version)
			_ = mw.WriteField("changelog", "Benchmark upload of "+strconv.Itoa(size)+" bytes.")
			part, err := mw.CreateFormFile("bundle", "bundle.tar.gz")
			if err == nil {
				err = writeBenchBundle(part, version, size)
			}
			if err == nil {
				err = mw.Close()
			}
			pw.CloseWithError(err)
		}()
		t := time.Now()
		v, err := call("POST", "/developer/v1/extensions/"+extID+"/versions", opKey, pr, mw.FormDataContentType())
		if err != nil {
			return "", 0, err
		}
		return v["version"].(map[string]any)["id"].(string), time.Since(t).Seconds(), nil
	}
	verID, _, err := upload("1.0.0", 1<<20)
	if err != nil {
		return nil, err
	}
	res.rss1 = peakRSS(pid)
	if _, secs, err := upload("2.0.0", 20<<20); err != nil {
		res.uploadErr = err.Error()
	} else {
		res.uploadMiBps = 20 / secs
	}
	res.rss20 = peakRSS(pid)

	// A hundred extensions so the list is a page, not one row: written
	// straight into the bench database, as the API allows a developer ten
	// new extensions an hour.
	if res.extensions, err = seedBenchExtensions(ctx, dbURL, extID, 99); err != nil {
		return nil, err
	}

	get := func(path string) func(w int) func(*rand.Rand) (*http.Request, int) {
		return func(w int) func(*rand.Rand) (*http.Request, int) {
			return func(*rand.Rand) (*http.Request, int) {
				req, _ := http.NewRequest("GET", base+path, nil)
				req.Header.Set("Authorization", "Bearer "+opKeys[w])
				return req, http.StatusOK
			}
		}
	}
	_ = measureEach(ctx, client, cfg.concurrency, "warm-up", get("/developer/v1/extensions"), time.Second)
	res.list = measureEach(ctx, client, cfg.concurrency, fmt.Sprintf("GET /extensions (%d extensions), %d clients", res.extensions, cfg.concurrency),
		get("/developer/v1/extensions"), cfg.duration)
	res.installs = measureEach(ctx, client, cfg.concurrency, fmt.Sprintf("GET /extensions/:id/installs, %d clients", cfg.concurrency),
		get("/developer/v1/extensions/"+extID+"/installs"), cfg.duration)

	// Ingestion: each request a batch of 1,000 new installs.
	var seq atomic.Int64
	at := time.Now().UTC().Add(-time.Minute).Format(time.RFC3339)
	ingestCfg := cfg
	ingestCfg.concurrency = min(cfg.concurrency, 8)
	res.ingest = measure(ctx, client, ingestCfg, fmt.Sprintf("POST /v1/installs/events, batches of 1,000, %d clients", ingestCfg.concurrency),
		func(*rand.Rand) (*http.Request, int) {
			n := seq.Add(1)
			var b strings.Builder
			b.WriteString(`{"events": [`)
			for i := range 1000 {
				if i > 0 {
					b.WriteByte(',')
				}
				fmt.Fprintf(&b, `{"installId": "b%d-%d", "extensionId": %q, "versionId": %q, "event": "install", "at": %q}`, n, i, extID, verID, at)
			}
			b.WriteString("]}")
			req, _ := http.NewRequest("POST", base+"/v1/installs/events", strings.NewReader(b.String()))
			req.Header.Set("Authorization", "Bearer "+opKey)
			req.Header.Set("Content-Type", "application/json")
			return req, http.StatusOK
		}, cfg.duration)
	return res, nil
}

// seedBenchExtensions adds n extensions to extID's account; it returns
// how many the account has.
func seedBenchExtensions(ctx context.Context, dbURL, extID string, n int) (int, error) {
	pool, err := pgxpool.New(ctx, dbURL)
	if err != nil {
		return 0, err
	}
	defer pool.Close()
	var total int
	err = pool.QueryRow(ctx, `
		WITH a AS (SELECT account_id FROM marketplace_extensions WHERE public_id = $1),
		ins AS (
			INSERT INTO marketplace_extensions (public_id, account_id, slug, name, short_description)
			SELECT 'ext_' || substr(translate(md5($1 || i::text), '0189', 'wxyz'), 1, 16), a.account_id,
			       'bench-' || substr(md5($1 || i::text), 1, 12), 'Bench extension ' || i, 'Seeded for the benchmark.'
			FROM a, generate_series(1, $2::int) AS i
			RETURNING 1)
		SELECT (SELECT count(*) FROM ins) + 1`, extID, n).Scan(&total)
	return total, err
}

// writeBenchBundle writes a .tar.gz of a manifest and random (so
// incompressible) files adding up to about size bytes.
func writeBenchBundle(w io.Writer, version string, size int) error {
	gz, _ := gzip.NewWriterLevel(w, gzip.BestSpeed)
	tw := tar.NewWriter(gz)
	manifest := fmt.Sprintf(`{"name": "bench", "version": %q, "permissions": ["storage"]}`, version)
	add := func(name string, body io.Reader, n int64) error {
		if err := tw.WriteHeader(&tar.Header{Name: name, Mode: 0o644, Size: n, Typeflag: tar.TypeReg, ModTime: time.Unix(946684800, 0)}); err != nil {
			return err
		}
		_, err := io.CopyN(tw, body, n)
		return err
	}
	if err := add("manifest.json", strings.NewReader(manifest), int64(len(manifest))); err != nil {
		return err
	}
	const chunk = 1 << 20
	for i := 0; size > 0; i++ {
		n := min(size, chunk)
		if err := add(fmt.Sprintf("assets/blob-%03d.bin", i), crand.Reader, int64(n)); err != nil {
			return err
		}
		size -= n
	}
	if err := tw.Close(); err != nil {
		return err
	}
	return gz.Close()
}

// peakRSS is the process's peak resident set (VmHWM) in KiB, 0 when
// /proc does not say (not Linux).
func peakRSS(pid int) int64 { return procStatusKiB(pid, "VmHWM:") }

// procStatusKiB reads a "Name:   123 kB" line of /proc/<pid>/status.
func procStatusKiB(pid int, field string) int64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, field); ok {
			n, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			return n
		}
	}
	return 0
}

func printLumio(r *lumioResult) {
	fmt.Printf("\n%-64s %10s %9s %9s %8s\n", "Lumio", "req/s", "p50", "p99", "errors")
	for _, m := range []result{r.list, r.installs} {
		fmt.Printf("%-64s %10.0f %9s %9s %8d\n", m.name, m.rps, ms(m.p50), ms(m.p99), m.errors)
	}
	fmt.Printf("%-64s %10.0f %9s %9s %8d   (events/s; aim >= 10,000)\n", r.ingest.name, r.ingest.rps*1000, ms(r.ingest.p50), ms(r.ingest.p99), r.ingest.errors)
	if r.uploadErr != "" {
		fmt.Printf("%-64s failed: %s\n", "20 MiB bundle upload", r.uploadErr)
	} else {
		fmt.Printf("%-64s %10.1f MiB/s\n", "20 MiB bundle upload (validated, hashed, stored)", r.uploadMiBps)
	}
	if r.rssBase > 0 {
		fmt.Printf("%-64s %7.1f MiB\n", "server peak RSS before any upload", float64(r.rssBase)/1024)
		fmt.Printf("%-64s %7.1f MiB\n", "server peak RSS after a 1 MiB bundle", float64(r.rss1)/1024)
		fmt.Printf("%-64s %7.1f MiB (%+.1f MiB for 19 MiB more bundle)\n", "server peak RSS after a 20 MiB bundle", float64(r.rss20)/1024,
			float64(r.rss20-r.rss1)/1024)
	}
}
