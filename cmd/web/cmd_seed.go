package main

import (
	"context"
	"fmt"

	"lumdesk/internal/demo"
)

func runSeed(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "seed", "seed --demo   (idempotent: running it twice changes nothing)")
	demoFlag := fs.Bool("demo", false, "load the demo staff users, accounts and API keys")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if !*demoFlag {
		return usagef("say what to seed: --demo")
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
