package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"

	"lumdesk/internal/accounts"
	"lumdesk/internal/apikeys"
	"lumdesk/internal/audit"
	"lumdesk/internal/mail"
)

// runLumora is scripted Lumora set-up: apps and sending domains, through
// the same mail.Service the console and the API call.
func runLumora(ctx context.Context, e *env, args []string) error {
	return subcommand(e, "lumora", args, map[string]func([]string) error{
		"app":    func(args []string) error { return runLumoraApp(ctx, e, args) },
		"domain": func(args []string) error { return runLumoraDomain(ctx, e, args) },
	})
}

func runLumoraApp(ctx context.Context, e *env, args []string) error {
	return subcommand(e, "lumora app", args, map[string]func([]string) error{
		"create": func(args []string) error {
			fs := newFlags(e, "lumora app create", "lumora app create --account ID|EMAIL --name N [--from EMAIL] [--from-name NAME] [--json]")
			account := fs.String("account", "", "account id or email the app belongs to (required)")
			name := fs.String("name", "", "app name, unique in the account (required)")
			from := fs.String("from", "", "default sender address (a send without from uses it)")
			fromName := fs.String("from-name", "", "default sender name")
			asJSON := fs.Bool("json", false, "print the new app as JSON")
			if err := parseFlags(fs, args); err != nil {
				return err
			}
			switch {
			case *account == "":
				return usagef("--account is required")
			case strings.TrimSpace(*name) == "":
				return usagef("--name is required")
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
			app, err := svc.Mail.CreateApp(ctx, audit.CLI("lumdesk lumora app create"), accounts.AllAccounts,
				mail.AppInput{AccountID: &acc.ID, Name: *name, DefaultFromEmail: *from, DefaultFromName: *fromName})
			if err := mailUsage(err, map[string]string{"name": "--name", "default_from_email": "--from", "default_from_name": "--from-name"}); err != nil {
				return err
			}
			if *asJSON {
				return json.NewEncoder(e.stdout).Encode(map[string]any{"id": app.ID, "account_id": app.AccountID, "name": app.Name,
					"default_from_email": app.DefaultFromEmail, "default_from_name": app.DefaultFromName})
			}
			fmt.Fprintf(e.stdout, "created Lumora app %d %q for account %d (%s)\n", app.ID, app.Name, acc.ID, acc.Email)
			fmt.Fprintf(e.stdout, "next: lumdesk apikey create --product lumora --app %d\n", app.ID)
			return nil
		},
	})
}

func runLumoraDomain(ctx context.Context, e *env, args []string) error {
	return subcommand(e, "lumora domain", args, map[string]func([]string) error{
		"add": func(args []string) error {
			fs := newFlags(e, "lumora domain add", "lumora domain add --account ID|EMAIL --domain D [--json]")
			account := fs.String("account", "", "account id or email the domain belongs to (required)")
			domain := fs.String("domain", "", "the domain mail is sent from, e.g. mail.example.com (required)")
			asJSON := fs.Bool("json", false, "print the domain and its records as JSON")
			if err := parseFlags(fs, args); err != nil {
				return err
			}
			switch {
			case *account == "":
				return usagef("--account is required")
			case strings.TrimSpace(*domain) == "":
				return usagef("--domain is required")
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
			d, err := svc.Mail.AddDomain(ctx, audit.CLI("lumdesk lumora domain add"), accounts.AllAccounts,
				mail.DomainInput{AccountID: &acc.ID, Name: *domain})
			if err := mailUsage(err, map[string]string{"domain": "--domain"}); err != nil {
				return err
			}
			if *asJSON {
				return json.NewEncoder(e.stdout).Encode(domainJSON(d))
			}
			fmt.Fprintf(e.stdout, "added sending domain %d %s for account %d (%s); publish these records, then run\n", d.ID, d.Name, acc.ID, acc.Email)
			fmt.Fprintf(e.stdout, "lumdesk lumora domain verify --domain %s\n\n", d.Name)
			printRecords(e, d, false)
			return nil
		},
		"verify": func(args []string) error {
			fs := newFlags(e, "lumora domain verify", "lumora domain verify --domain D [--account ID|EMAIL] [--json]")
			domain := fs.String("domain", "", "the sending domain to look up in DNS now (required)")
			account := fs.String("account", "", "the account, when several accounts added the same domain")
			asJSON := fs.Bool("json", false, "print the domain and each record's status as JSON")
			if err := parseFlags(fs, args); err != nil {
				return err
			}
			if strings.TrimSpace(*domain) == "" {
				return usagef("--domain is required")
			}
			name, nerr := mail.NormalizeDomain(*domain)
			if nerr != nil {
				return usagef("--domain: %s", fieldText(nerr))
			}
			svc, err := e.services(ctx, true)
			if err != nil {
				return err
			}
			defer svc.Close()
			id, err := findMailDomain(ctx, svc, name, *account)
			if err != nil {
				return err
			}
			d, err := svc.Mail.Verify(ctx, audit.CLI("lumdesk lumora domain verify"), accounts.AllAccounts, id)
			if err != nil {
				return err
			}
			if *asJSON {
				if err := json.NewEncoder(e.stdout).Encode(domainJSON(d)); err != nil {
					return err
				}
			} else {
				fmt.Fprintf(e.stdout, "%s (account %d): %s\n\n", d.Name, d.AccountID, d.Status)
				printRecords(e, d, true)
			}
			if d.Status != mail.StatusVerified {
				// Exit 1 with one line, so a script can wait for DNS in a loop.
				return fmt.Errorf("%s is %s: not every record verifies yet", d.Name, d.Status)
			}
			return nil
		},
	})
}

// resolveMailAccount is the account named by id or email, or a usage error.
func resolveMailAccount(ctx context.Context, svc *services, ref string) (apikeys.Account, error) {
	acc, err := svc.APIKeys.ResolveAccount(ctx, ref)
	if errors.Is(err, apikeys.ErrAccountNotFound) {
		return acc, usagef("no account %q (give its id or email)", ref)
	}
	return acc, err
}

// findMailDomain is the id of the domain of that (normalised) name; names
// are unique per account only, so two accounts with it need --account.
func findMailDomain(ctx context.Context, svc *services, name, account string) (int64, error) {
	if account != "" {
		acc, err := resolveMailAccount(ctx, svc, account)
		if err != nil {
			return 0, err
		}
		d, err := svc.Mail.DomainByName(ctx, acc.ID, name)
		if errors.Is(err, mail.ErrDomainNotFound) {
			return 0, usagef("account %d has no sending domain %s (add it with lumdesk lumora domain add)", acc.ID, name)
		}
		return d.ID, err
	}
	var found []mail.Domain
	var before int64
	for {
		page, err := svc.Mail.ListDomains(ctx, mail.DomainFilter{Scope: accounts.AllAccounts, BeforeID: before, Limit: mail.MaxListLimit})
		if err != nil {
			return 0, err
		}
		for _, d := range page {
			if d.Name == name {
				found = append(found, d)
			}
		}
		if len(page) < mail.MaxListLimit {
			break
		}
		before = page[len(page)-1].ID
	}
	switch len(found) {
	case 0:
		return 0, usagef("no sending domain %s (add it with lumdesk lumora domain add)", name)
	case 1:
		return found[0].ID, nil
	}
	ids := make([]string, len(found))
	for i, d := range found {
		ids[i] = fmt.Sprint(d.AccountID)
	}
	return 0, usagef("%s is a sending domain of accounts %s: say which with --account", name, strings.Join(ids, ", "))
}

// mailUsage turns the service's field errors into one usage line naming
// the flags; other errors pass unchanged.
func mailUsage(err error, flags map[string]string) error {
	var fe mail.ValidationError
	switch {
	case err == nil:
		return nil
	case errors.As(err, &fe):
		keys := make([]string, 0, len(fe))
		for k := range fe {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		parts := make([]string, len(keys))
		for i, k := range keys {
			f := flags[k]
			if f == "" {
				f = k
			}
			parts[i] = f + ": " + fe[k]
		}
		return usageError{strings.Join(parts, "; ")}
	case errors.Is(err, mail.ErrAccountNotFound):
		return usagef("no such account")
	}
	return err
}

// fieldText is the messages of a field error, joined (NormalizeDomain's).
func fieldText(err error) string {
	var fe mail.ValidationError
	if !errors.As(err, &fe) {
		return err.Error()
	}
	var parts []string
	for _, v := range fe {
		parts = append(parts, v)
	}
	sort.Strings(parts)
	return strings.Join(parts, " ")
}

func domainJSON(d mail.Domain) map[string]any {
	recs := make([]map[string]any, len(d.Records))
	for i, r := range d.Records {
		recs[i] = map[string]any{"kind": r.Kind, "type": r.Type, "name": r.Name, "value": r.Value, "status": r.Status, "found": r.Found}
	}
	return map[string]any{"id": d.ID, "account_id": d.AccountID, "domain": d.Name, "status": d.Status,
		"dkim_selector": d.DKIMSelector, "records": recs}
}

// printRecords lists the records to publish: type, name and value on
// their own lines, as they are pasted into a DNS provider's form.
func printRecords(e *env, d mail.Domain, withStatus bool) {
	for _, r := range d.Records {
		label := map[string]string{mail.KindSPF: "SPF", mail.KindDKIM: "DKIM", mail.KindReturnPath: "Return path", mail.KindDMARC: "DMARC"}[r.Kind]
		if withStatus {
			fmt.Fprintf(e.stdout, "%s: %s\n", label, r.Status)
		} else {
			fmt.Fprintf(e.stdout, "%s\n", label)
		}
		fmt.Fprintf(e.stdout, "  type:  %s\n  name:  %s\n  value: %s\n", r.Type, r.Name, r.Value)
		if withStatus && r.Found != "" {
			fmt.Fprintf(e.stdout, "  found: %s\n", r.Found)
		}
		fmt.Fprintln(e.stdout)
	}
}
