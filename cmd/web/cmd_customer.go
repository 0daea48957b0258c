package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"

	"lumdesk/internal/audit"
	"lumdesk/internal/customers"
	"lumdesk/internal/platform/apperr"
)

// runCustomer manages the customer portal's users, through the same
// customers.Service the console and the portal call.
func runCustomer(ctx context.Context, e *env, args []string) error {
	return subcommand(e, "customer", args, map[string]func([]string) error{
		"invite": func(args []string) error { return runCustomerInvite(ctx, e, args) },
	})
}

func runCustomerInvite(ctx context.Context, e *env, args []string) error {
	roles := make([]string, len(customers.Roles))
	for i, r := range customers.Roles {
		roles[i] = string(r)
	}
	fs := newFlags(e, "customer invite", "customer invite --account ID|EMAIL --email E --role "+strings.Join(roles, "|")+" [--json]")
	account := fs.String("account", "", "account id or email the user joins (required)")
	email := fs.String("email", "", "the invited person's email; the invitation is mailed there (required)")
	roleFlag := fs.String("role", "", "their role: "+strings.Join(roles, ", ")+" (required)")
	asJSON := fs.Bool("json", false, "print the invitation as JSON")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	switch {
	case *account == "":
		return usagef("--account is required")
	case strings.TrimSpace(*email) == "":
		return usagef("--email is required")
	case *roleFlag == "":
		return usagef("--role is required (%s)", strings.Join(roles, ", "))
	}
	role, ok := customers.ParseRole(*roleFlag)
	if !ok {
		return usagef("--role: choose one of %s", strings.Join(roles, ", "))
	}
	svc, err := e.services(ctx, true)
	if err != nil {
		return err
	}
	defer svc.Close()
	acc, err := resolveMailAccount(ctx, svc, *account)
	if err != nil {
		return err
	}
	inv, err := svc.Customers.Invite(ctx, audit.CLI("lumdesk customer invite"), acc.ID, *email, role)
	var fe apperr.FieldErrors
	switch {
	case err == nil:
	case inv.URL != "":
		// Made, but the mail was not sent: the link still works.
		fmt.Fprintf(e.stderr, "warning: the invitation mail was not sent (%v); give them the link yourself\n", err)
	case errors.As(err, &fe):
		keys := make([]string, 0, len(fe))
		for k := range fe {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		parts := make([]string, len(keys))
		for i, k := range keys {
			parts[i] = "--" + k + ": " + fe[k]
		}
		return usageError{strings.Join(parts, "; ")}
	case errors.Is(err, customers.ErrSuspended):
		return usagef("account %d is suspended: reactivate it before inviting anyone", acc.ID)
	default:
		return err
	}
	if *asJSON {
		return json.NewEncoder(e.stdout).Encode(map[string]any{"id": inv.ID, "account_id": inv.AccountID, "email": inv.Email,
			"role": string(inv.Role), "expires_at": inv.ExpiresAt, "url": inv.URL})
	}
	fmt.Fprintf(e.stdout, "invited %s to account %d (%s) as %s; the link works once, until %s:\n%s\n",
		inv.Email, acc.ID, acc.Email, role.Label(), inv.ExpiresAt.Format("2006-01-02 15:04 MST"), inv.URL)
	return nil
}
