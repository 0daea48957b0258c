package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"lumdesk/internal/apikeys"
	"lumdesk/internal/audit"
)

func runAPIKey(ctx context.Context, e *env, args []string) error {
	return subcommand(e, "apikey", args, map[string]func([]string) error{
		"create": func(args []string) error {
			fs := newFlags(e, "apikey create", "apikey create --product P (--account ID|EMAIL | --operator | --app APP_ID) [--scopes a,b] [--name N] [--rate-limit N] [--json]")
			product := fs.String("product", "", "one of "+strings.Join(apikeys.ProductIDs(), ", ")+" (required)")
			account := fs.String("account", "", "account id or email the key belongs to")
			operator := fs.Bool("operator", false, "an operator key: no account, every scope")
			app := fs.Int64("app", 0, "lumora: the app the key sends for (the account is the app's)")
			scopes := fs.String("scopes", "", "comma-separated scopes, e.g. email:send,email:read (default: the product's standard scopes, all but operator-only ones)")
			name := fs.String("name", "", "where the key is used")
			rateLimit := fs.Int("rate-limit", apikeys.DefaultRateLimit, "requests per minute (1-10000)")
			asJSON := fs.Bool("json", false, "print the new key as JSON")
			if err := parseFlags(fs, args); err != nil {
				return err
			}
			p, ok := apikeys.LookupProduct(*product)
			if !ok {
				return usagef("--product must be one of %s", strings.Join(apikeys.ProductIDs(), ", "))
			}
			switch {
			case *operator && *account != "":
				return usagef("--operator and --account are mutually exclusive")
			case *app != 0 && p.ID != apikeys.Lumora:
				return usagef("--app is for lumora keys only")
			case *app < 0:
				return usagef("--app must be an app id")
			case !*operator && *account == "" && *app == 0:
				return usagef("--account or --operator is required")
			}
			var scopeList []string
			for _, s := range strings.Split(*scopes, ",") {
				if s = strings.TrimSpace(s); s != "" {
					if !p.HasScope(s) {
						return usagef("%s keys have no scope %q", p.Label, s)
					}
					scopeList = append(scopeList, s)
				}
			}
			if *rateLimit < 1 || *rateLimit > apikeys.MaxRateLimit {
				return usagef("--rate-limit must be between 1 and %d", apikeys.MaxRateLimit)
			}
			svc, err := e.services(ctx, true)
			if err != nil {
				return err
			}
			defer svc.Close()
			in := apikeys.CreateInput{Product: p.ID, Operator: *operator, Name: *name, Scopes: scopeList, RateLimitPerMinute: *rateLimit}
			if *app != 0 {
				in.MailAppID = app
			}
			if *account != "" {
				acc, err := svc.APIKeys.ResolveAccount(ctx, *account)
				if errors.Is(err, apikeys.ErrAccountNotFound) {
					return usagef("no account %q (give its id or email)", *account)
				}
				if err != nil {
					return err
				}
				in.AccountID = &acc.ID
			}
			created, err := svc.APIKeys.Create(ctx, audit.CLI("lumdesk apikey create"), in)
			var verr apikeys.ValidationError
			if errors.As(err, &verr) {
				return usageError{verr.Error()}
			}
			if err != nil {
				return err
			}
			k := created.Key
			if *asJSON {
				out := map[string]any{"id": k.ID, "product": k.Product, "prefix": k.Prefix, "secret": created.Secret,
					"scopes": k.Scopes, "account_id": k.AccountID, "operator": k.Operator}
				if k.MailAppID != nil {
					out["app_id"] = *k.MailAppID
				}
				return json.NewEncoder(e.stdout).Encode(out)
			}
			owner := "operator key"
			if k.AccountID != nil {
				owner = fmt.Sprintf("account %d", *k.AccountID)
			}
			fmt.Fprintf(e.stdout, "created %s API key %d (%s…) for %s\n", p.Label, k.ID, k.Prefix, owner)
			fmt.Fprintf(e.stdout, "secret: %s\n", created.Secret)
			fmt.Fprintln(e.stdout, "This is the only time the secret is shown; store it now.")
			return nil
		},
	})
}
