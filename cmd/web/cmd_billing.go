package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"lumdesk/internal/accounts"
	"lumdesk/internal/audit"
	"lumdesk/internal/billing"
)

func runBilling(ctx context.Context, e *env, args []string) error {
	return subcommand(e, "billing", args, map[string]func([]string) error{
		"adjust": func(args []string) error {
			fs := newFlags(e, "billing adjust", "billing adjust --account ID|EMAIL --amount 10.00 --reason R [--json]   (above BILLING_APPROVAL_LIMIT it waits for approval)")
			account := fs.String("account", "", "account id or email (required)")
			amount := fs.String("amount", "", "USD, positive or negative, like 10.00 or -2.50 (required)")
			reason := fs.String("reason", "", "why; kept in the ledger and the audit history (required)")
			asJSON := fs.Bool("json", false, "print the outcome as JSON")
			if err := parseFlags(fs, args); err != nil {
				return err
			}
			if *account == "" {
				return usagef("--account is required")
			}
			if _, err := billing.ParseAmount("amount", *amount, true); err != nil {
				return usagef("--amount: %s", err.(billing.ValidationError)["amount"])
			}
			if _, err := billing.CheckReason(*reason, true); err != nil {
				return usagef("--reason: %s", err.(billing.ValidationError)["reason"])
			}
			svc, err := e.services(ctx, true)
			if err != nil {
				return err
			}
			defer svc.Close()
			acc, err := svc.Accounts.Resolve(ctx, *account)
			if errors.Is(err, accounts.ErrNotFound) {
				return usagef("no account %q (give its id or email)", *account)
			}
			if err != nil {
				return err
			}
			out, err := svc.Billing.Adjust(ctx, audit.CLI("lumdesk billing adjust"), billing.ManualInput{AccountID: acc.ID, Amount: *amount, Reason: *reason})
			var verr billing.ValidationError
			if errors.As(err, &verr) {
				return usageError{verr.Error()}
			}
			if errors.Is(err, billing.ErrInsufficientFunds) {
				bal, _ := svc.Billing.Balance(ctx, acc.ID)
				return fmt.Errorf("account %d has %s; an adjustment of %s would make it negative (nothing moved)", acc.ID, bal.Amount, *amount)
			}
			if err != nil {
				return err
			}
			limit := svc.Billing.ApprovalLimit()
			if out.Pending() {
				r := out.Request
				if *asJSON {
					return json.NewEncoder(e.stdout).Encode(map[string]any{"status": "pending_approval", "request_id": r.ID, "account_id": acc.ID,
						"amount": r.Amount.String(), "approval_limit": limit.String()})
				}
				fmt.Fprintf(e.stdout, "%s is above the approval limit of %s: request #%d waits for a finance user's approval at /lumi/approvals; no money moved yet\n",
					r.Amount, limit, r.ID)
				return nil
			}
			en := out.Entry
			if *asJSON {
				return json.NewEncoder(e.stdout).Encode(map[string]any{"status": "applied", "entry_id": en.ID, "account_id": acc.ID,
					"amount": en.Amount.String(), "balance": en.BalanceAfter.String()})
			}
			fmt.Fprintf(e.stdout, "adjusted account %d (%s) by %s: balance %s (ledger entry %d)\n", acc.ID, acc.Name, en.Amount, en.BalanceAfter, en.ID)
			return nil
		},
		"verify": func(args []string) error {
			fs := newFlags(e, "billing verify", "billing verify   (exit 1 if a balance does not equal the sum of its ledger)")
			if err := parseFlags(fs, args); err != nil {
				return err
			}
			svc, err := e.services(ctx, true)
			if err != nil {
				return err
			}
			defer svc.Close()
			v, err := svc.Billing.Verify(ctx)
			if err != nil {
				return err
			}
			if v.OK() {
				fmt.Fprintf(e.stdout, "all %d balances match their ledgers (%d entries)\n", v.Accounts, v.Entries)
				return nil
			}
			for _, p := range v.Problems {
				fmt.Fprintf(e.stdout, "account %d: %s\n", p.AccountID, p.Message)
			}
			return fmt.Errorf("%d of %d balances do not match their ledgers", len(v.Problems), v.Accounts)
		},
	})
}
