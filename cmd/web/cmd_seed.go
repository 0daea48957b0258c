package main

import (
	"context"
	"fmt"

	"lumdesk/internal/demo"
)

func runSeed(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "seed", "seed --demo   (idempotent: running it twice changes nothing)\n       lumdesk seed --scale N [--projects P] [--manifest FILE] [--accounts A] [--audit E] [--ledger L]")
	demoFlag := fs.Bool("demo", false, "load the demo staff users, accounts and API keys")
	scale := addScaleFlags(fs)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if (*scale.keys != 0 || scale.lists.any()) && !*demoFlag {
		return runSeedScale(ctx, e, scale)
	}
	if !*demoFlag {
		return usagef("say what to seed: --demo or --scale N")
	}
	svc, err := e.services(ctx, true)
	if err != nil {
		return err
	}
	defer svc.Close()
	creds, err := demo.Seed(ctx, svc.DemoDeps())
	if err != nil {
		return err
	}
	for _, c := range creds {
		fmt.Fprintf(e.stdout, "%-8s %s / %s\n", c.Role, c.Email, c.Password)
	}
	return nil
}
