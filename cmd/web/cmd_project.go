package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"lumdesk/internal/audit"
	"lumdesk/internal/licensing"
)

func runProject(ctx context.Context, e *env, args []string) error {
	return subcommand(e, "project", args, map[string]func([]string) error{
		"create": func(args []string) error {
			fs := newFlags(e, "project create", "project create --account ID|EMAIL --name N [--reset-cooldown 24h] [--no-user-resets] [--ffa] [--json]")
			account := fs.String("account", "", "account id or email the project belongs to (required)")
			name := fs.String("name", "", "project name (required)")
			cooldown := fs.Duration("reset-cooldown", licensing.DefaultResetCooldown, "time between HWID resets (0 = none)")
			ffa := fs.Bool("ffa", false, "new scripts are free for all by default")
			noUserResets := fs.Bool("no-user-resets", false, "users may not reset their own HWID")
			asJSON := fs.Bool("json", false, "print the new project as JSON")
			if err := parseFlags(fs, args); err != nil {
				return err
			}
			switch {
			case *account == "":
				return usagef("--account is required")
			case *name == "":
				return usagef("--name is required")
			case *cooldown < 0 || *cooldown > licensing.MaxResetCooldown || *cooldown%time.Second != 0:
				return usagef("--reset-cooldown must be whole seconds between 0 and 8760h")
			}
			svc, err := e.services(ctx, true)
			if err != nil {
				return err
			}
			defer svc.Close()
			acc, err := svc.Licensing.ResolveAccount(ctx, *account)
			if errors.Is(err, licensing.ErrAccountNotFound) {
				return usagef("no account %q (give its id or email)", *account)
			}
			if err != nil {
				return err
			}
			p, err := svc.Licensing.CreateProject(ctx, audit.CLI("lumdesk project create"), licensing.ProjectInput{
				AccountID: acc.ID, Name: *name, ResetCooldown: *cooldown, UsersCanReset: !*noUserResets, FFADefault: *ffa})
			var verr licensing.ValidationError
			if errors.As(err, &verr) {
				return usageError{verr.Error()}
			}
			if err != nil {
				return err
			}
			if *asJSON {
				return json.NewEncoder(e.stdout).Encode(map[string]any{"id": p.ID, "name": p.Name, "account_id": p.AccountID,
					"reset_cooldown_seconds": int64(p.ResetCooldown / time.Second), "users_can_reset": p.UsersCanReset, "ffa_default": p.FFADefault})
			}
			fmt.Fprintf(e.stdout, "created project %s %q for account %d (%s)\n", p.ID, p.Name, acc.ID, acc.Email)
			return nil
		},
	})
}
