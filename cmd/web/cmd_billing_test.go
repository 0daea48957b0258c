package main

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"lumdesk/internal/platform/db"
)

func TestBillingAdjustAndVerify(t *testing.T) {
	t.Parallel()
	c := newCLI(t)
	if code, out, errOut := c.run("", "account", "create", "--name", "Nightfall Studios", "--email", "ops@nightfall.gg"); code != 0 {
		t.Fatalf("account: %d %q %q", code, out, errOut)
	}
	if code, out, errOut := c.run("", "billing", "verify"); code != 0 || !strings.Contains(out, "all 0 balances match") {
		t.Fatalf("verify empty: %d %q %q", code, out, errOut)
	}
	code, out, errOut := c.run("", "billing", "adjust", "--account", "ops@nightfall.gg", "--amount", "10.00", "--reason", "Goodwill credit")
	if code != 0 || !strings.Contains(out, "by 10.00: balance 10.00") {
		t.Fatalf("adjust: %d %q %q", code, out, errOut)
	}
	code, out, errOut = c.run("", "billing", "adjust", "--account", "1", "--amount", "-2.50", "--reason", "Correction", "--json")
	var got map[string]any
	if code != 0 || json.Unmarshal([]byte(out), &got) != nil {
		t.Fatalf("adjust --json: %d %q %q", code, out, errOut)
	}
	delete(got, "entry_id")
	if diff := cmp.Diff(map[string]any{"status": "applied", "account_id": float64(1), "amount": "-2.50", "balance": "7.50"}, got); diff != "" {
		t.Fatalf("json (-want +got):\n%s", diff)
	}
	// Above the limit: a pending request, exit 0, no money.
	code, out, _ = c.run("", "billing", "adjust", "--account", "1", "--amount", "500.01", "--reason", "Big wire")
	if code != 0 || !strings.Contains(out, "above the approval limit of 500.00: request #1 waits") {
		t.Fatalf("adjust above the limit: %d %q", code, out)
	}
	code, out, _ = c.run("", "billing", "adjust", "--account", "1", "--amount", "900", "--reason", "Bigger wire", "--json")
	if code != 0 || !strings.Contains(out, `"status":"pending_approval"`) || !strings.Contains(out, `"request_id":2`) {
		t.Fatalf("adjust above the limit --json: %d %q", code, out)
	}
	// More than the balance: exit 1, nothing moved.
	if code, _, errOut := c.run("", "billing", "adjust", "--account", "1", "--amount", "-8", "--reason", "Too much"); code != 1 || !strings.Contains(errOut, "would make it negative") {
		t.Fatalf("overdraw: %d %q", code, errOut)
	}
	// Usage errors: exit 2 and one line.
	for _, args := range [][]string{
		{"billing", "adjust", "--amount", "5", "--reason", "r"},
		{"billing", "adjust", "--account", "1", "--reason", "r"},
		{"billing", "adjust", "--account", "1", "--amount", "abc", "--reason", "r"},
		{"billing", "adjust", "--account", "1", "--amount", "0", "--reason", "r"},
		{"billing", "adjust", "--account", "1", "--amount", "5"},
		{"billing", "adjust", "--account", "nobody@example.com", "--amount", "5", "--reason", "r"},
		{"billing", "adjust", "--account", "99", "--amount", "5", "--reason", "r"},
		{"billing", "adjust", "--bogus"},
		{"billing", "refund"},
		{"billing"},
	} {
		code, _, errOut := c.run("", args...)
		if code != 2 || errOut == "" || strings.Count(strings.TrimSpace(errOut), "\n") != 0 {
			t.Errorf("%v: exit %d, stderr %q; want 2 and one line", args[1:], code, errOut)
		}
	}
	for _, args := range [][]string{{"billing", "adjust", "--help"}, {"billing", "verify", "--help"}, {"billing", "--help"}} {
		if code, out, _ := c.run("", args...); code != 0 || !strings.Contains(out, "Usage") {
			t.Errorf("%v: %d %q", args, code, out)
		}
	}

	// Audited as the CLI.
	ctx := context.Background()
	d, err := db.Open(ctx, c.env["DATABASE_URL"])
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	var n int
	if err := d.Pool.QueryRow(ctx, `SELECT count(*) FROM audit_events WHERE actor_kind = 'cli' AND actor_label = 'lumdesk billing adjust'
		AND action IN ('balance.adjust', 'balance.adjustment_request')`).Scan(&n); err != nil || n != 4 {
		t.Fatalf("audit rows: %d, %v", n, err)
	}
	if code, out, _ := c.run("", "billing", "verify"); code != 0 || !strings.Contains(out, "all 1 balances match their ledgers (2 entries)") {
		t.Fatalf("verify: %d %q", code, out)
	}
	// A balance changed behind the ledger's back: exit 1 with the problem.
	if _, err := d.Pool.Exec(ctx, `UPDATE balances SET balance_cents = 100000`); err != nil {
		t.Fatal(err)
	}
	code, out, errOut = c.run("", "billing", "verify")
	if code != 1 || !strings.Contains(out, "account 1: balance 1000.00 but the ledger sums to 7.50") || !strings.Contains(errOut, "1 of 1 balances do not match") {
		t.Fatalf("verify broken: %d %q %q", code, out, errOut)
	}
}

func TestBillingApprovalLimitComesFromTheEnvironment(t *testing.T) {
	t.Parallel()
	c := newCLI(t)
	c.env["BILLING_APPROVAL_LIMIT"] = "5.00"
	if code, _, errOut := c.run("", "account", "create", "--name", "Kestrel Labs", "--email", "team@kestrel.dev"); code != 0 {
		t.Fatal(errOut)
	}
	if code, out, _ := c.run("", "billing", "adjust", "--account", "1", "--amount", "5.01", "--reason", "r"); code != 0 || !strings.Contains(out, "above the approval limit of 5.00") {
		t.Fatalf("adjust above a 5.00 limit: %d %q", code, out)
	}
	c.env["BILLING_APPROVAL_LIMIT"] = "lots"
	if code, _, errOut := c.run("", "billing", "verify"); code != 2 || !strings.Contains(errOut, "BILLING_APPROVAL_LIMIT") {
		t.Fatalf("bad limit: %d %q", code, errOut)
	}
}
