package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"lumdesk/db/store"
)

func TestProjectAndScriptCreate(t *testing.T) {
	t.Parallel()
	c := newCLI(t)
	if code, out, errOut := c.run("", "account", "create", "--name", "Nightfall", "--email", "ops@nightfall.test"); code != 0 {
		t.Fatalf("account create: %d %q %q", code, out, errOut)
	}
	code, out, errOut := c.run("", "project", "create", "--account", "ops@nightfall.test", "--name", "Hub", "--reset-cooldown", "2h", "--ffa", "--json")
	if code != 0 {
		t.Fatalf("project create: %d %q %q", code, out, errOut)
	}
	var p map[string]any
	if err := json.Unmarshal([]byte(out), &p); err != nil {
		t.Fatalf("json %q: %v", out, err)
	}
	id, _ := p["id"].(string)
	if !regexp.MustCompile(`^[0-9a-f]{22}$`).MatchString(id) || p["name"] != "Hub" || p["reset_cooldown_seconds"] != float64(7200) || p["ffa_default"] != true {
		t.Fatalf("project %v", p)
	}
	// The script takes the project's FFA default unless told.
	code, out, errOut = c.run("", "script", "create", "--project", id, "--name", "Main", "--json")
	var s map[string]any
	if code != 0 || json.Unmarshal([]byte(out), &s) != nil || s["project_id"] != id || s["ffa"] != true || len(s["id"].(string)) != 32 {
		t.Fatalf("script create: %d %q %q", code, out, errOut)
	}
	code, out, _ = c.run("", "script", "create", "--project", id, "--name", "Paid", "--ffa", "false")
	if code != 0 || !strings.HasPrefix(out, "created script ") {
		t.Fatalf("script create (text): %d %q", code, out)
	}
	code, out, _ = c.run("", "project", "create", "--account", "1", "--name", "By id")
	if code != 0 || !strings.Contains(out, "for account 1 (ops@nightfall.test)") {
		t.Fatalf("project create by id: %d %q", code, out)
	}

	// Usage errors: one line on stderr, exit 2.
	for _, args := range [][]string{
		{"project"}, {"project", "create"}, {"project", "create", "--account", "1"},
		{"project", "create", "--account", "nobody@nowhere.test", "--name", "X"},
		{"project", "create", "--account", "1", "--name", "X", "--reset-cooldown", "-1h"},
		{"script", "create", "--project", id}, {"script", "create", "--name", "X"},
		{"script", "create", "--project", "0000000000000000000000", "--name", "X"},
		{"script", "create", "--project", id, "--name", "X", "--ffa", "maybe"},
		{"seed", "--scale", "-5"},
	} {
		code, _, errOut := c.run("", args...)
		if code != 2 || errOut == "" || strings.Count(strings.TrimSpace(errOut), "\n") != 0 {
			t.Errorf("%v: exit %d, stderr %q; want 2 and one line", args, code, errOut)
		}
	}
	for _, args := range [][]string{{"project", "create", "--help"}, {"script", "create", "--help"}} {
		if code, out, _ := c.run("", args...); code != 0 || !strings.Contains(out, "Usage") {
			t.Errorf("%v: exit %d, out %q", args, code, out)
		}
	}
}

func TestSeedScale(t *testing.T) {
	t.Parallel()
	c := newCLI(t)
	manifest := filepath.Join(t.TempDir(), "m.json")
	code, out, errOut := c.run("", "seed", "--scale", "3000", "--projects", "2", "--manifest", manifest,
		"--accounts", "30", "--audit", "20", "--ledger", "10")
	if code != 0 || !strings.Contains(out, "loaded 3000 keys into 2 projects") {
		t.Fatalf("seed --scale: %d %q %q", code, out, errOut)
	}
	b, err := os.ReadFile(manifest)
	if err != nil {
		t.Fatal(err)
	}
	var m ScaleManifest
	if err := json.Unmarshal(b, &m); err != nil || len(m.Projects) != 2 || len(m.Samples) < 100 || len(m.APIKey) != 64 ||
		m.Projects[0].Keys+m.Projects[1].Keys != 3000 || m.Lists != (ScaleLists{Accounts: 30, AuditEvents: 20, Ledger: 10}) {
		t.Fatalf("manifest: %+v %v", m, err)
	}
	// Every loaded key has its row in the sort by last use's table, with
	// its project (the insert trigger of migration 00045 makes it during
	// the COPY) and its executions (written after it, migration 00053);
	// used says whether it ran, and a key that ran has a count.
	conn, err := pgx.Connect(context.Background(), c.env["DATABASE_URL"])
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	var keys, used, differ int
	if err := conn.QueryRow(context.Background(), `SELECT count(*), count(a.last_execution_at),
		count(*) FILTER (WHERE a.key_id IS NULL OR a.project_id <> k.project_id OR k.used <> (a.last_execution_at IS NOT NULL)
		                       OR (a.total_executions > 0) <> k.used)
		FROM license_keys k LEFT JOIN license_key_activity a ON a.key_id = k.id`).Scan(&keys, &used, &differ); err != nil {
		t.Fatal(err)
	}
	if keys != 3000 || used == 0 || differ != 0 {
		t.Errorf("license_key_activity after seed: %d keys, %d used, %d without their row or differing", keys, used, differ)
	}
	// The audit chain holds (one bulk-load event per chunk).
	if code, out, errOut := c.run("", "audit", "verify"); code != 0 {
		t.Fatalf("audit verify: %d %q %q", code, out, errOut)
	}
}

// seed --accounts/--audit/--ledger fill the other lists, and what they load
// keeps the audit chain and every balance's ledger verifiable.
func TestSeedScaleLists(t *testing.T) {
	t.Parallel()
	c := newCLI(t)
	code, out, errOut := c.run("", "seed", "--accounts", "2000", "--audit", "6000", "--ledger", "5000")
	if code != 0 || !strings.Contains(out, "loaded 2000 accounts") || !strings.Contains(out, "appended 6000 audit events") ||
		!strings.Contains(out, "loaded 5000 ledger entries") {
		t.Fatalf("seed: %d %q %q", code, out, errOut)
	}
	for _, args := range [][]string{{"audit", "verify"}, {"billing", "verify"}} {
		if code, out, errOut := c.run("", args...); code != 0 {
			t.Errorf("%v: %d %q %q", args, code, out, errOut)
		}
	}
	// The bulk load's COPY kept the ledger's daily roll-up (migration 00061).
	conn, err := pgx.Connect(context.Background(), c.env["DATABASE_URL"])
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	if off, err := store.New(conn).LedgerDaysOffTheirTotals(context.Background()); err != nil || len(off) != 0 {
		t.Errorf("days whose roll-up differs from the ledger after the bulk load: %v, %v", off, err)
	}
	if code, _, _ := c.run("", "seed", "--audit", "-1"); code == 0 {
		t.Error("a negative --audit was accepted")
	}
}
