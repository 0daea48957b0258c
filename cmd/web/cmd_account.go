package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"lumdesk/internal/accounts"
	"lumdesk/internal/audit"
)

func runAccount(ctx context.Context, e *env, args []string) error {
	return subcommand(e, "account", args, map[string]func([]string) error{
		"create": func(args []string) error {
			fs := newFlags(e, "account create", "account create --name N --email E [--discord ID] [--note T] [--json]")
			name := fs.String("name", "", "customer name, 1–200 characters (required)")
			email := fs.String("email", "", "customer email, unique (required)")
			discord := fs.String("discord", "", "Discord user ID (17–20 digits)")
			note := fs.String("note", "", "note for staff, up to 2000 characters")
			asJSON := fs.Bool("json", false, "print the new account as JSON")
			if err := parseFlags(fs, args); err != nil {
				return err
			}
			if *name == "" {
				return usagef("--name is required")
			}
			if *email == "" {
				return usagef("--email is required")
			}
			svc, err := e.services(ctx, true)
			if err != nil {
				return err
			}
			defer svc.Close()
			a, err := svc.Accounts.Create(ctx, audit.CLI("lumdesk account create"),
				accounts.CreateInput{Name: *name, Email: *email, DiscordID: *discord, Note: *note})
			var verr accounts.ValidationError
			if errors.As(err, &verr) {
				return usageError{verr.Error()}
			}
			if err != nil {
				return err
			}
			if *asJSON {
				return json.NewEncoder(e.stdout).Encode(map[string]any{"id": a.ID, "name": a.Name, "email": a.Email})
			}
			fmt.Fprintln(e.stdout, a.ID)
			return nil
		},
	})
}
