package main

import (
	"context"
	"fmt"

	"lumdesk/internal/audit"
)

func runAudit(ctx context.Context, e *env, args []string) error {
	return subcommand(e, "audit", args, map[string]func([]string) error{
		"verify": func(args []string) error {
			fs := newFlags(e, "audit verify", "audit verify   (exit 1 if the hash chain is broken)")
			if err := parseFlags(fs, args); err != nil {
				return err
			}
			d, err := e.openDatabase(ctx, true)
			if err != nil {
				return err
			}
			defer d.Close()
			// Recorded, so the audit pages continue this walk (audit.PageWalk).
			w, err := audit.NewService(d.DB).VerifyAll(ctx)
			if err != nil {
				return err
			}
			if err := w.Err(); err != nil {
				return err
			}
			v := w.Verification
			fmt.Fprintf(e.stdout, "audit chain intact: %d events verified\n", v.Rows)
			if v.Anchored {
				fmt.Fprintf(e.stdout, "the chain starts at event %d: older months were removed by the audit retention (RETENTION_AUDIT_EVENTS_MONTHS)\n", v.FirstID)
			}
			return nil
		},
	})
}
