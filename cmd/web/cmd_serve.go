package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/pprof"
	"time"

	"lumdesk/handlers/server"
	"lumdesk/handlers/web"
	"lumdesk/internal/demo"
)

func runServe(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "serve", "serve [--demo]")
	demoFlag := fs.Bool("demo", false, "demo mode: seed demo data and print the demo sign-ins (same as LUMDESK_DEMO=true)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *demoFlag && !e.cfg.Demo {
		e.cfg.Demo = true
		e.cfg.CookieSecure = false
	}
	svc, err := e.services(ctx, true)
	if err != nil {
		return err
	}
	defer svc.Close()
	if e.cfg.ReplicaURL != "" {
		// Lazy: a replica that is down now only sends list reads to the
		// primary until it answers; /readyz checks the primary alone.
		if err := svc.db.OpenReplica(e.cfg.ReplicaURL, e.log); err != nil {
			return fmt.Errorf("DATABASE_REPLICA_URL: %w", err)
		}
	}
	var creds []demo.Credential
	if e.cfg.Demo {
		if creds, err = demo.Seed(ctx, svc.DemoDeps()); err != nil {
			return fmt.Errorf("seed demo data: %w", err)
		}
	}
	app, h := server.NewApp(e.cfg, svc.Services, e.log)
	tcp, err := net.Listen("tcp", e.cfg.ListenAddr)
	if err != nil {
		return fmt.Errorf("LISTEN_ADDR %s: %w", e.cfg.ListenAddr, err)
	}
	ln := web.NewListener(tcp)
	if e.cfg.MetricsAddr != "" {
		stop, err := serveMetrics(e, h.MetricsHandler())
		if err != nil {
			return err
		}
		defer stop()
	}
	go svc.sweepSessions(ctx, e)
	go svc.LumiAPI.SweepBatches(ctx, e.log) // bulk batches a stopped process left running
	if e.cfg.CheckCache {
		svc.Licensing.StartCheckCache(ctx) // the loader check answers from memory, kept coherent by LISTEN/NOTIFY
	}
	if err := svc.StartMailSandbox(ctx, e.cfg); err != nil {
		return fmt.Errorf("Lumora sandbox inbox: %w", err)
	}
	svc.Jobs.SetLogger(e.log)
	// The job runner starts alongside the listener, not before it: requests
	// only enqueue (through the jobs service's inserter, which needs no
	// runner), and the runner takes up whatever was enqueued meanwhile once
	// it runs. Its start (a pool of its own, River's LISTEN connection, its
	// producers) was a third of the time from start to ready. A failed
	// start still ends the server, and the runner is stopped only after its
	// start has returned.
	jobsStarted := make(chan struct{})
	jobsFailed := make(chan error, 1)
	go func() {
		defer close(jobsStarted)
		if err := svc.Jobs.Start(ctx); err != nil {
			jobsFailed <- err
		}
	}()
	defer func() { <-jobsStarted; stopJobs(e, svc) }()
	printBanner(e, ln.Addr().String(), svc.db.Describe(), creds)
	errc := make(chan error, 1)
	go func() { errc <- app.Listener(ln) }()
	select {
	case err := <-errc:
		return err
	case err := <-jobsFailed:
		_ = ln.Shutdown(app, 10*time.Second)
		return err
	case <-ctx.Done():
	}
	e.log.Info("shutting down")
	if err := ln.Shutdown(app, 10*time.Second); err != nil && !errors.Is(err, context.Canceled) {
		return fmt.Errorf("shutdown: %w", err)
	}
	return nil
}

// serveMetrics serves /metrics alone on METRICS_ADDR (a private address:
// no token there), and with LUMDESK_PPROF=true Go's profiles under
// /debug/pprof/.
func serveMetrics(e *env, h http.Handler) (stop func(), err error) {
	ln, err := net.Listen("tcp", e.cfg.MetricsAddr)
	if err != nil {
		return nil, fmt.Errorf("METRICS_ADDR %s: %w", e.cfg.MetricsAddr, err)
	}
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", h)
	if e.cfg.Pprof {
		// Profiling for benchmarks (cmd/loadgen -lumora-pprof), on this
		// private listener only.
		mux.HandleFunc("GET /debug/pprof/", pprof.Index)
		mux.HandleFunc("GET /debug/pprof/profile", pprof.Profile)
		mux.HandleFunc("GET /debug/pprof/trace", pprof.Trace)
	}
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			e.log.Error("metrics listener stopped", "err", err)
		}
	}()
	return func() { _ = srv.Close() }, nil
}

// stopJobs stops the job runner before the database closes: running jobs
// get a few seconds to finish their slice; the rest continues at the next start.
func stopJobs(e *env, s *services) {
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	if err := s.Jobs.Stop(ctx); err != nil {
		e.log.Warn("stop background jobs", "err", err)
	}
}

// sweepSessions deletes expired session rows every few minutes.
func (s *services) sweepSessions(ctx context.Context, e *env) {
	t := time.NewTicker(5 * time.Minute)
	defer t.Stop()
	for {
		// Console and portal sessions share the timeouts.
		for _, sweep := range []func(context.Context, float64) (int64, error){s.db.DeleteExpiredStaffSessions, s.db.DeleteExpiredCustomerSessions} {
			if n, err := sweep(ctx, e.cfg.SessionIdle.Seconds()); err != nil && ctx.Err() == nil {
				e.log.Warn("session sweep failed", "err", err)
			} else if n > 0 {
				e.log.Info("expired sessions removed", "count", n)
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// printBanner ends start-up with where to go: the address, the database in
// use, and (in demo mode) the sign-ins as the last thing on screen: the
// console's staff, then the customer portal's.
func printBanner(e *env, addr, database string, creds []demo.Credential) {
	url := "http://" + addr
	if host, port, err := net.SplitHostPort(addr); err == nil && (host == "127.0.0.1" || host == "::1" || host == "0.0.0.0" || host == "::") {
		url = "http://localhost:" + port
	}
	w := e.stdout
	fmt.Fprintf(w, "\n  lumdesk is running at %s\n", url)
	fmt.Fprintf(w, "  Using %s\n", database)
	fmt.Fprintf(w, "  Health: %s/healthz   Stop: Ctrl+C\n", url)
	if len(creds) > 0 {
		fmt.Fprintf(w, "\n  Demo mode: sample data, TOTP not enforced, request logs at debug level (LOG_LEVEL=debug shows them).\n")
		fmt.Fprintf(w, "  Sign in at %s/login as:\n\n", url)
		fmt.Fprintf(w, "    %-8s  %-28s  %s\n", "role", "email", "password")
		for _, c := range creds {
			fmt.Fprintf(w, "    %-8s  %-28s  %s\n", c.Role, c.Email, c.Password)
		}
		fmt.Fprintf(w, "\n  Customer portal (%s, account %s): sign in at %s/portal/login as:\n\n", "Nightfall Studios", demo.PortalAccountEmail, url)
		fmt.Fprintf(w, "    %-9s  %-28s  %s\n", "role", "email", "password")
		for _, c := range demo.PortalCredentials {
			fmt.Fprintf(w, "    %-9s  %-28s  %s\n", c.Role, c.Email, c.Password)
		}
	}
	fmt.Fprintln(w)
}
