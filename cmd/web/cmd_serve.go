package main

import (
	"context"
	"errors"
	"fmt"
	"net"
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
	var creds []demo.Credential
	if e.cfg.Demo {
		if creds, err = demo.Seed(ctx, svc.DemoDeps()); err != nil {
			return fmt.Errorf("seed demo data: %w", err)
		}
	}
	app, _ := server.NewApp(e.cfg, svc.Services, e.log)
	ln, err := net.Listen("tcp", e.cfg.ListenAddr)
	if err != nil {
		return fmt.Errorf("LISTEN_ADDR %s: %w", e.cfg.ListenAddr, err)
	}
	go svc.sweepSessions(ctx, e)
	svc.Jobs.SetLogger(e.log)
	if err := svc.Jobs.Start(ctx); err != nil {
		return err
	}
	defer stopJobs(e, svc)
	printBanner(e, ln.Addr().String(), creds)
	errc := make(chan error, 1)
	go func() { errc <- app.Listener(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	e.log.Info("shutting down")
	if err := web.Shutdown(app, 10*time.Second); err != nil && !errors.Is(err, context.Canceled) {
		return fmt.Errorf("shutdown: %w", err)
	}
	return nil
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
		if n, err := s.db.DeleteExpiredStaffSessions(ctx, e.cfg.SessionIdle.Seconds()); err != nil && ctx.Err() == nil {
			e.log.Warn("session sweep failed", "err", err)
		} else if n > 0 {
			e.log.Info("expired sessions removed", "count", n)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

func printBanner(e *env, addr string, creds []demo.Credential) {
	url := "http://" + addr
	if host, port, err := net.SplitHostPort(addr); err == nil && (host == "127.0.0.1" || host == "::1" || host == "0.0.0.0" || host == "::") {
		url = "http://localhost:" + port
	}
	w := e.stdout
	fmt.Fprintf(w, "\n  lumdesk is running at %s\n", url)
	if len(creds) > 0 {
		fmt.Fprintf(w, "\n  Demo mode: sample data, TOTP not enforced. Sign in at %s/login as:\n\n", url)
		fmt.Fprintf(w, "    %-8s  %-28s  %s\n", "role", "email", "password")
		for _, c := range creds {
			fmt.Fprintf(w, "    %-8s  %-28s  %s\n", c.Role, c.Email, c.Password)
		}
	}
	fmt.Fprintf(w, "\n  Health: %s/healthz   Metrics: %s/metrics   Stop: Ctrl+C\n\n", url, url)
}
