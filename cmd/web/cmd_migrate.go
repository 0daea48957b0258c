package main

import (
	"context"
	"fmt"

	"lumdesk/internal/platform/db"
)

func runMigrate(ctx context.Context, e *env, args []string) error {
	open := func(fs interface{ Parse([]string) error }) (*database, error) { return e.openDatabase(ctx, false) }
	return subcommand(e, "migrate", args, map[string]func([]string) error{
		"up": func(args []string) error {
			fs := newFlags(e, "migrate up", "migrate up")
			if err := parseFlags(fs, args); err != nil {
				return err
			}
			d, err := open(fs)
			if err != nil {
				return err
			}
			defer d.Close()
			if err := db.Migrate(ctx, d.URL); err != nil {
				return err
			}
			fmt.Fprintln(e.stdout, "migrations applied")
			return nil
		},
		"down": func(args []string) error {
			fs := newFlags(e, "migrate down", "migrate down   (rolls back the newest migration)")
			if err := parseFlags(fs, args); err != nil {
				return err
			}
			d, err := open(fs)
			if err != nil {
				return err
			}
			defer d.Close()
			if err := db.MigrateDown(ctx, d.URL); err != nil {
				return err
			}
			fmt.Fprintln(e.stdout, "rolled back one migration")
			return nil
		},
		"status": func(args []string) error {
			fs := newFlags(e, "migrate status", "migrate status")
			if err := parseFlags(fs, args); err != nil {
				return err
			}
			d, err := open(fs)
			if err != nil {
				return err
			}
			defer d.Close()
			return db.MigrateStatus(ctx, d.URL, e.stdout)
		},
	})
}
