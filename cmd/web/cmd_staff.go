package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"lumdesk/internal/audit"
	"lumdesk/internal/staff"
)

func runStaff(ctx context.Context, e *env, args []string) error {
	return subcommand(e, "staff", args, map[string]func([]string) error{
		"create": func(args []string) error {
			fs := newFlags(e, "staff create", "staff create --email E --role admin|support|finance|viewer --password-stdin [--name N] [--json]")
			email := fs.String("email", "", "sign-in email (required)")
			role := fs.String("role", "", "admin, support, finance or viewer (required)")
			name := fs.String("name", "", "display name")
			pwStdin := fs.Bool("password-stdin", false, "read the password from the first line of standard input (required)")
			asJSON := fs.Bool("json", false, "print the new user as JSON")
			if err := parseFlags(fs, args); err != nil {
				return err
			}
			if *email == "" {
				return usagef("--email is required")
			}
			if _, ok := staff.ParseRole(*role); !ok {
				return usagef("--role must be admin, support, finance or viewer")
			}
			if !*pwStdin {
				return usagef("--password-stdin is required (passwords never go on the command line)")
			}
			line, err := bufio.NewReader(e.stdin).ReadString('\n')
			if err != nil && line == "" {
				return usagef("no password on standard input")
			}
			password := strings.TrimRight(line, "\r\n")
			svc, err := e.services(ctx, true)
			if err != nil {
				return err
			}
			defer svc.Close()
			u, err := svc.Staff.Create(ctx, audit.CLI("lumdesk staff create"), staff.CreateInput{Email: *email, Name: *name, Role: *role, Password: password})
			var verr staff.ValidationError
			if errors.As(err, &verr) {
				return usageError{verr.Error()}
			}
			if err != nil {
				return err
			}
			if *asJSON {
				return json.NewEncoder(e.stdout).Encode(map[string]any{"id": u.ID, "email": u.Email, "role": u.Role})
			}
			fmt.Fprintf(e.stdout, "created staff user %d %s (%s)\n", u.ID, u.Email, u.Role)
			return nil
		},
	})
}
