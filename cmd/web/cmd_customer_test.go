package main

import (
	"context"
	"encoding/json"
	"strconv"
	"strings"
	"testing"
	"time"
)

// customer invite makes an invitation and prints its link; the link's
// token is stored only as a hash, and the mail is queued through Lumora.
func TestCustomerInvite(t *testing.T) {
	t.Parallel()
	c := newCLI(t)
	c.env["PUBLIC_URL"] = "https://desk.example.com"
	if code, out, errOut := c.run("", "account", "create", "--name", "Harbor Analytics", "--email", "dev@harbor.io"); code != 0 {
		t.Fatalf("account create: %d %q %q", code, out, errOut)
	}
	code, out, errOut := c.run("", "customer", "invite", "--account", "dev@harbor.io", "--email", "Ana@Harbor.io", "--role", "owner", "--json")
	if code != 0 {
		t.Fatalf("invite: %d %q %q", code, out, errOut)
	}
	var inv struct {
		ID        int64     `json:"id"`
		AccountID int64     `json:"account_id"`
		Email     string    `json:"email"`
		Role      string    `json:"role"`
		ExpiresAt time.Time `json:"expires_at"`
		URL       string    `json:"url"`
	}
	if err := json.Unmarshal([]byte(out), &inv); err != nil || inv.ID == 0 || inv.Email != "ana@harbor.io" || inv.Role != "owner" ||
		!strings.HasPrefix(inv.URL, "https://desk.example.com/portal/invite/") || inv.ExpiresAt.Before(time.Now().Add(6*24*time.Hour)) {
		t.Fatalf("json %q: %v", out, err)
	}
	d := openDB(t, c)
	ctx := context.Background()
	var kind, label string
	if err := d.Pool.QueryRow(ctx, "SELECT actor_kind, actor_label FROM audit_events WHERE action = 'account.invite' AND entity_id = $1",
		strconv.FormatInt(inv.AccountID, 10)).Scan(&kind, &label); err != nil || kind != "cli" || label != "lumdesk customer invite" {
		t.Fatalf("audit: %q %q %v", kind, label, err)
	}
	var mailed string
	if err := d.Pool.QueryRow(ctx, `SELECT m.text_body FROM mail_messages m JOIN mail_recipients r ON r.message_id = m.id WHERE r.email = 'ana@harbor.io'`).Scan(&mailed); err != nil ||
		!strings.Contains(mailed, inv.URL) {
		t.Fatalf("mail: %q %v", mailed, err)
	}
	// Text output: the link on its own line.
	code, out, _ = c.run("", "customer", "invite", "--account", strconv.FormatInt(inv.AccountID, 10), "--email", "ro@harbor.io", "--role", "read_only")
	if lines := strings.Split(strings.TrimSpace(out), "\n"); code != 0 || !strings.HasPrefix(lines[len(lines)-1], "https://desk.example.com/portal/invite/") {
		t.Fatalf("text output: %d %q", code, out)
	}
	if code, out, errOut := c.run("", "account", "create", "--name", "Gone", "--email", "gone@harbor.io"); code != 0 {
		t.Fatalf("account create: %d %q %q", code, out, errOut)
	}
	if _, err := d.Pool.Exec(ctx, "UPDATE accounts SET status = 'suspended' WHERE email = 'gone@harbor.io'"); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--email", "x@harbor.io", "--role", "owner"}, "--account is required"},
		{[]string{"--account", "dev@harbor.io", "--role", "owner"}, "--email is required"},
		{[]string{"--account", "dev@harbor.io", "--email", "x@harbor.io"}, "--role is required"},
		{[]string{"--account", "dev@harbor.io", "--email", "x@harbor.io", "--role", "admin"}, "--role: choose one of"},
		{[]string{"--account", "nobody@harbor.io", "--email", "x@harbor.io", "--role", "owner"}, "no account"},
		{[]string{"--account", "dev@harbor.io", "--email", "not an address", "--role", "owner"}, "--email:"},
		{[]string{"--account", "gone@harbor.io", "--email", "x@harbor.io", "--role", "owner"}, "suspended"},
	} {
		code, _, errOut := c.run("", append([]string{"customer", "invite"}, tc.args...)...)
		if code != 2 || !strings.Contains(errOut, tc.want) || strings.Count(strings.TrimSpace(errOut), "\n") != 0 {
			t.Errorf("%v: exit %d, stderr %q; want 2 and one line with %q", tc.args, code, errOut, tc.want)
		}
	}
	for _, args := range [][]string{{"customer"}, {"customer", "nope"}} {
		if code, _, errOut := c.run("", args...); code != 2 || errOut == "" {
			t.Errorf("%v: exit %d %q", args, code, errOut)
		}
	}
}
