package main

import (
	"context"
	"encoding/json"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"lumdesk/internal/platform/db"
)

func TestAccountCreate(t *testing.T) {
	t.Parallel()
	c := newCLI(t)
	code, out, errOut := c.run("", "account", "create", "--name", "Nightfall Studios", "--email", "Ops@Nightfall.gg", "--discord", "284019375561932801", "--note", "VIP")
	if code != 0 {
		t.Fatalf("create: %d %q %q", code, out, errOut)
	}
	id, err := strconv.ParseInt(strings.TrimSpace(out), 10, 64)
	if err != nil || id <= 0 {
		t.Fatalf("create printed %q, want the id", out)
	}
	code, out, errOut = c.run("", "account", "create", "--name", "Kestrel Labs", "--email", "team@kestrel.dev", "--json")
	if code != 0 {
		t.Fatalf("create --json: %d %q %q", code, out, errOut)
	}
	var got map[string]any
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatalf("json output %q: %v", out, err)
	}
	if diff := cmp.Diff(map[string]any{"id": float64(id + 1), "name": "Kestrel Labs", "email": "team@kestrel.dev"}, got); diff != "" {
		t.Fatalf("json (-want +got):\n%s", diff)
	}

	// Bad input: exit 2, one line on stderr.
	for _, args := range [][]string{
		{"account", "create", "--email", "x@example.com"},
		{"account", "create", "--name", "X"},
		{"account", "create", "--name", "X", "--email", "not-an-email"},
		{"account", "create", "--name", "X", "--email", "x@example.com", "--discord", "123"},
		{"account", "create", "--name", "X", "--email", "OPS@nightfall.gg"},
		{"account", "create", "--bogus"},
		{"account", "delete"},
	} {
		code, _, errOut := c.run("", args...)
		if code != 2 || errOut == "" || strings.Count(strings.TrimSpace(errOut), "\n") != 0 {
			t.Errorf("%v: exit %d, stderr %q; want 2 and one line", args[2:], code, errOut)
		}
	}
	if _, _, errOut := c.run("", "account", "create", "--name", "X", "--email", "ops@nightfall.gg"); !strings.Contains(errOut, "already used by account #"+strconv.FormatInt(id, 10)) {
		t.Errorf("duplicate email message: %q", errOut)
	}
	if code, out, _ := c.run("", "account", "create", "--help"); code != 0 || !strings.Contains(out, "--email") {
		t.Errorf("--help: %d %q", code, out)
	}

	// Audited as the CLI.
	d, err := db.Open(context.Background(), c.env["DATABASE_URL"])
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	var kind, label, entity string
	err = d.Pool.QueryRow(context.Background(),
		"SELECT actor_kind, actor_label, entity_id FROM audit_events WHERE action = 'account.create' ORDER BY id LIMIT 1").Scan(&kind, &label, &entity)
	if err != nil || kind != "cli" || label != "lumdesk account create" || entity != strconv.FormatInt(id, 10) {
		t.Fatalf("audit row: %q %q %q %v", kind, label, entity, err)
	}
}
