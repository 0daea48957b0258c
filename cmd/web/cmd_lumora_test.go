package main

import (
	"context"
	"encoding/json"
	"strconv"
	"strings"
	"testing"

	"lumdesk/internal/platform/db"
	"lumdesk/internal/platform/dnstest"
)

type lumoraRecord struct{ Kind, Type, Name, Value, Status, Found string }

type lumoraDomain struct {
	ID        int64          `json:"id"`
	AccountID int64          `json:"account_id"`
	Domain    string         `json:"domain"`
	Status    string         `json:"status"`
	Records   []lumoraRecord `json:"records"`
}

func TestLumoraAppCreate(t *testing.T) {
	t.Parallel()
	c := newCLI(t)
	if code, out, errOut := c.run("", "account", "create", "--name", "Harbor Analytics", "--email", "dev@harbor.io"); code != 0 {
		t.Fatalf("account create: %d %q %q", code, out, errOut)
	}
	code, out, errOut := c.run("", "lumora", "app", "create", "--account", "dev@harbor.io", "--name", "Receipts", "--from", "billing@Harbor.IO", "--json")
	if code != 0 {
		t.Fatalf("app create: %d %q %q", code, out, errOut)
	}
	var app struct {
		ID        int64  `json:"id"`
		AccountID int64  `json:"account_id"`
		Name      string `json:"name"`
		From      string `json:"default_from_email"`
	}
	if err := json.Unmarshal([]byte(out), &app); err != nil || app.ID == 0 || app.Name != "Receipts" || app.From != "billing@harbor.io" {
		t.Fatalf("json %q: %v", out, err)
	}
	// The key for the app is made with the existing command, as the text output suggests.
	code, out, _ = c.run("", "lumora", "app", "create", "--account", strconv.FormatInt(app.AccountID, 10), "--name", "Alerts")
	if code != 0 || !strings.Contains(out, "apikey create --product lumora --app ") {
		t.Fatalf("text output: %d %q", code, out)
	}
	d := openDB(t, c)
	var kind, label string
	if err := d.Pool.QueryRow(context.Background(), "SELECT actor_kind, actor_label FROM audit_events WHERE action = 'mail_app.create' AND entity_id = $1",
		strconv.FormatInt(app.ID, 10)).Scan(&kind, &label); err != nil || kind != "cli" || label != "lumdesk lumora app create" {
		t.Fatalf("audit: %q %q %v", kind, label, err)
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--name", "X"}, "--account is required"},
		{[]string{"--account", "dev@harbor.io"}, "--name is required"},
		{[]string{"--account", "nobody@harbor.io", "--name", "X"}, "no account"},
		{[]string{"--account", "dev@harbor.io", "--name", "Receipts"}, "already has an app"},
		{[]string{"--account", "dev@harbor.io", "--name", "X", "--from", "Bob <bob@harbor.io>"}, "--from:"},
		{[]string{"--account", "dev@harbor.io", "--name", strings.Repeat("n", 101)}, "--name: Use at most 100"},
	} {
		code, _, errOut := c.run("", append([]string{"lumora", "app", "create"}, tc.args...)...)
		if code != 2 || !strings.Contains(errOut, tc.want) || strings.Count(strings.TrimSpace(errOut), "\n") != 0 {
			t.Errorf("%v: exit %d, stderr %q; want 2 and one line with %q", tc.args, code, errOut, tc.want)
		}
	}
	for _, args := range [][]string{{"lumora"}, {"lumora", "nope"}, {"lumora", "app"}, {"lumora", "app", "delete"}} {
		if code, _, errOut := c.run("", args...); code != 2 || errOut == "" {
			t.Errorf("%v: exit %d %q", args, code, errOut)
		}
	}
}

// domain add prints the four records; verify fails (exit 1, each record's
// finding) until they are published in the DNS server, then succeeds.
func TestLumoraDomainAddVerify(t *testing.T) {
	t.Parallel()
	c := newCLI(t)
	z := dnstest.Start(t)
	c.env["DNS_RESOLVER"] = z.Addr
	if code, out, errOut := c.run("", "account", "create", "--name", "Harbor Analytics", "--email", "dev@harbor.io"); code != 0 {
		t.Fatalf("account create: %d %q %q", code, out, errOut)
	}
	code, out, errOut := c.run("", "lumora", "domain", "add", "--account", "dev@harbor.io", "--domain", "Mail.Harbor.io")
	if code != 0 {
		t.Fatalf("domain add: %d %q %q", code, out, errOut)
	}
	for _, want := range []string{"SPF", "DKIM", "Return path", "DMARC", "type:  TXT", "type:  CNAME", "name:  _dmarc.mail.harbor.io",
		"value: v=spf1 include:spf.lumora.local ~all", "name:  bounces.mail.harbor.io", "value: return.lumora.local", "v=DKIM1; k=rsa; p="} {
		if !strings.Contains(out, want) {
			t.Errorf("domain add output lacks %q:\n%s", want, out)
		}
	}

	code, out, errOut = c.run("", "lumora", "domain", "verify", "--domain", "mail.harbor.io", "--json")
	var d lumoraDomain
	if code != 1 || json.Unmarshal([]byte(out), &d) != nil || d.Status != "pending" || len(d.Records) != 4 || !strings.Contains(errOut, "pending") {
		t.Fatalf("verify before publishing: %d %q %q", code, out, errOut)
	}
	for _, r := range d.Records {
		if r.Status != "failing" || r.Found == "" {
			t.Errorf("record %+v: want failing with what was found", r)
		}
	}
	// Publish all but DMARC: the text output names each status and what was found.
	for _, r := range d.Records[:3] {
		z.Add(r.Type, r.Name, r.Value)
	}
	code, out, _ = c.run("", "lumora", "domain", "verify", "--domain", "mail.harbor.io")
	if code != 1 || !strings.Contains(out, "SPF: verified") || !strings.Contains(out, "DMARC: failing") || !strings.Contains(out, "found: ") {
		t.Fatalf("verify with DMARC missing: %d %q", code, out)
	}
	z.Add("TXT", "_dmarc.mail.harbor.io", "v=DMARC1; p=none;")
	code, out, errOut = c.run("", "lumora", "domain", "verify", "--domain", "mail.harbor.io.", "--json")
	if code != 0 || json.Unmarshal([]byte(out), &d) != nil || d.Status != "verified" {
		t.Fatalf("verify after publishing: %d %q %q", code, out, errOut)
	}

	dbc := openDB(t, c)
	var n int
	if err := dbc.Pool.QueryRow(context.Background(), "SELECT count(*) FROM audit_events WHERE actor_kind = 'cli' AND action IN ('mail_domain.add', 'mail_domain.verified')").Scan(&n); err != nil || n != 2 {
		t.Fatalf("audit rows: %d %v", n, err)
	}

	// The same name in a second account: verify must be told which.
	if code, _, errOut := c.run("", "account", "create", "--name", "Other", "--email", "ops@other.io"); code != 0 {
		t.Fatal(errOut)
	}
	if code, _, errOut := c.run("", "lumora", "domain", "add", "--account", "ops@other.io", "--domain", "mail.harbor.io", "--json"); code != 0 {
		t.Fatal(errOut)
	}
	if code, _, errOut := c.run("", "lumora", "domain", "verify", "--domain", "mail.harbor.io"); code != 2 || !strings.Contains(errOut, "--account") {
		t.Fatalf("ambiguous verify: %d %q", code, errOut)
	}
	if code, out, _ := c.run("", "lumora", "domain", "verify", "--domain", "mail.harbor.io", "--account", "dev@harbor.io"); code != 0 || !strings.Contains(out, "verified") {
		t.Fatalf("verify with --account: %d %q", code, out)
	}

	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"add", "--domain", "x.io"}, "--account is required"},
		{[]string{"add", "--account", "dev@harbor.io"}, "--domain is required"},
		{[]string{"add", "--account", "dev@harbor.io", "--domain", "mail.harbor.io"}, "already has the sending domain"},
		{[]string{"add", "--account", "dev@harbor.io", "--domain", "localhost"}, "--domain:"},
		{[]string{"add", "--account", "dev@harbor.io", "--domain", "co.uk"}, "public suffix"},
		{[]string{"verify"}, "--domain is required"},
		{[]string{"verify", "--domain", "10.0.0.1"}, "IP address"},
		{[]string{"verify", "--domain", "never.added.io"}, "no sending domain never.added.io"},
		{[]string{"verify", "--domain", "mail.harbor.io", "--account", "nobody@x.io"}, "no account"},
	} {
		code, _, errOut := c.run("", append([]string{"lumora", "domain"}, tc.args...)...)
		if code != 2 || !strings.Contains(errOut, tc.want) || strings.Count(strings.TrimSpace(errOut), "\n") != 0 {
			t.Errorf("%v: exit %d, stderr %q; want 2 and one line with %q", tc.args, code, errOut, tc.want)
		}
	}
}

func openDB(t *testing.T, c *cli) *db.DB {
	t.Helper()
	d, err := db.Open(context.Background(), c.env["DATABASE_URL"])
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(d.Close)
	return d
}
