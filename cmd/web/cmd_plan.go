package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"

	"lumdesk/internal/audit"
	"lumdesk/internal/licensing"
)

// runPlan sets and shows an account's Luarmor plan (max users per project,
// script updates per month).
func runPlan(ctx context.Context, e *env, args []string) error {
	show := func(p licensing.PlanUsage, asJSON bool) error {
		if asJSON {
			return json.NewEncoder(e.stdout).Encode(map[string]any{"account_id": p.AccountID, "max_users": p.MaxUsers,
				"obfuscations": p.Obfuscations, "obfuscations_used": p.ObfuscationsUsed, "obfuscations_remaining": p.ObfuscationsRemaining})
		}
		limit := func(n int) string {
			if n == licensing.Unlimited {
				return "no limit"
			}
			return strconv.Itoa(n)
		}
		fmt.Fprintf(e.stdout, "account %d: max users per project %s, script updates per month %s (%d used this month, %s left)\n",
			p.AccountID, limit(p.MaxUsers), limit(p.Obfuscations), p.ObfuscationsUsed, limit(p.ObfuscationsRemaining))
		return nil
	}
	return subcommand(e, "plan", args, map[string]func([]string) error{
		"set": func(args []string) error {
			fs := newFlags(e, "plan set", "plan set --account ID|EMAIL --max-users N --obfuscations N --reason R [--json]  (N: a number, or -1 for no limit)")
			account := fs.String("account", "", "account id or email (required)")
			maxUsers := fs.String("max-users", "", "keys one project may hold, or -1 for no limit (required)")
			obfuscations := fs.String("obfuscations", "", "script creates and uploads per calendar month (UTC), or -1 for no limit (required)")
			reason := fs.String("reason", "", "why, for the audit log (required)")
			asJSON := fs.Bool("json", false, "print the plan as JSON")
			if err := parseFlags(fs, args); err != nil {
				return err
			}
			switch {
			case *account == "":
				return usagef("--account is required")
			case *maxUsers == "" || *obfuscations == "":
				return usagef("--max-users and --obfuscations are required (-1 for no limit)")
			case *reason == "":
				return usagef("--reason is required; it is recorded in the audit log")
			}
			mu, ok := licensing.ParsePlanLimit(*maxUsers)
			if !ok {
				return usagef("--max-users must be a whole number from 0 to %d, or -1 for no limit", licensing.MaxPlanLimit)
			}
			ob, ok := licensing.ParsePlanLimit(*obfuscations)
			if !ok {
				return usagef("--obfuscations must be a whole number from 0 to %d, or -1 for no limit", licensing.MaxPlanLimit)
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
			_, err = svc.Licensing.SetPlan(ctx, audit.CLI("lumdesk plan set"), acc.ID, licensing.PlanInput{MaxUsers: mu, Obfuscations: ob, Reason: *reason})
			var verr licensing.ValidationError
			if errors.As(err, &verr) {
				return usageError{verr.Error()}
			}
			if err != nil {
				return err
			}
			u, err := svc.Licensing.PlanUsage(ctx, acc.ID)
			if err != nil {
				return err
			}
			return show(u, *asJSON)
		},
		"show": func(args []string) error {
			fs := newFlags(e, "plan show", "plan show --account ID|EMAIL [--json]")
			account := fs.String("account", "", "account id or email (required)")
			asJSON := fs.Bool("json", false, "print the plan as JSON")
			if err := parseFlags(fs, args); err != nil {
				return err
			}
			if *account == "" {
				return usagef("--account is required")
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
			u, err := svc.Licensing.PlanUsage(ctx, acc.ID)
			if err != nil {
				return err
			}
			return show(u, *asJSON)
		},
	})
}
