package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"lumdesk/internal/audit"
	"lumdesk/internal/licensing"
)

func runScript(ctx context.Context, e *env, args []string) error {
	return subcommand(e, "script", args, map[string]func([]string) error{
		"create": func(args []string) error {
			fs := newFlags(e, "script create", "script create --project ID --name N [--ffa true|false] [--json]")
			project := fs.String("project", "", "project id, 22 hex digits (required)")
			name := fs.String("name", "", "script name (required)")
			ffa := fs.String("ffa", "", "free for all: true or false (default: the project's setting)")
			asJSON := fs.Bool("json", false, "print the new script as JSON")
			if err := parseFlags(fs, args); err != nil {
				return err
			}
			if *project == "" {
				return usagef("--project is required")
			}
			if *name == "" {
				return usagef("--name is required")
			}
			in := licensing.ScriptInput{Name: *name}
			switch *ffa {
			case "":
			case "true", "false":
				v := *ffa == "true"
				in.FFA = &v
			default:
				return usagef("--ffa must be true or false")
			}
			svc, err := e.services(ctx, true)
			if err != nil {
				return err
			}
			defer svc.Close()
			s, err := svc.Licensing.CreateScript(ctx, audit.CLI("lumdesk script create"), *project, in)
			var verr licensing.ValidationError
			switch {
			case errors.As(err, &verr):
				return usageError{verr.Error()}
			case errors.Is(err, licensing.ErrProjectNotFound):
				return usagef("no project %q", *project)
			case err != nil:
				return err
			}
			if *asJSON {
				return json.NewEncoder(e.stdout).Encode(map[string]any{"id": s.ID, "project_id": s.ProjectID, "name": s.Name,
					"ffa": s.FFA, "silent": s.Silent, "heartbeat": s.Heartbeat, "lightning": s.Lightning})
			}
			fmt.Fprintf(e.stdout, "created script %s %q in project %s\n", s.ID, s.Name, s.ProjectID)
			return nil
		},
	})
}
