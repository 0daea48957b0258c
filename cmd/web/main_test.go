package main

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"lumdesk/internal/platform/testdb"
)

// cli runs the binary's entry point with a fresh test database.
type cli struct {
	t   *testing.T
	env map[string]string
}

func newCLI(t *testing.T) *cli {
	return &cli{t: t, env: map[string]string{
		"DATABASE_URL": testdb.NewURL(t),
		"MASTER_KEY":   strings.Repeat("ab", 32),
		"DATA_DIR":     t.TempDir(),
		"LOG_LEVEL":    "error",
	}}
}

func (c *cli) run(stdin string, args ...string) (code int, stdout, stderr string) {
	var out, errb bytes.Buffer
	code = run(context.Background(), args, strings.NewReader(stdin), &out, &errb, func(k string) string { return c.env[k] })
	return code, out.String(), errb.String()
}

func TestHelpAndUsageErrors(t *testing.T) {
	t.Parallel()
	c := &cli{t: t, env: map[string]string{}}
	if code, out, _ := c.run("", "help"); code != 0 || !strings.Contains(out, "migrate") || !strings.Contains(out, "audit") {
		t.Fatalf("help: %d %q", code, out)
	}
	for _, args := range [][]string{{"nope"}, {"staff"}, {"staff", "fire"}, {"staff", "create", "--bogus"}, {"migrate", "sideways"}, {"seed"}} {
		code, _, errOut := c.run("", args...)
		if code != 2 || strings.Count(strings.TrimSpace(errOut), "\n") != 0 || errOut == "" {
			t.Errorf("%v: exit %d, stderr %q; want 2 and one line", args, code, errOut)
		}
	}
	// A bad flag: one line naming the flag and where help is, no usage block.
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"seed", "--scale", "abc"}, `lumdesk seed: invalid value "abc" for flag -scale`},
		{[]string{"migrate", "status", "--bogus"}, "-bogus (see lumdesk migrate status --help)"},
		{[]string{"--bogus"}, "-bogus (see lumdesk serve --help)"},
		{[]string{"seed", "extra"}, `unexpected argument "extra" (see lumdesk seed --help)`},
	} {
		code, out, errOut := c.run("", tc.args...)
		if code != 2 || out != "" || strings.Count(errOut, "\n") != 1 || !strings.Contains(errOut, tc.want) {
			t.Errorf("%v: exit %d, stdout %q, stderr %q; want 2, no stdout and one line with %q", tc.args, code, out, errOut, tc.want)
		}
	}
	// --help: the usage once, on stdout.
	for _, args := range [][]string{{"staff", "create", "--help"}, {"migrate", "--help"}, {"serve", "--help"}, {"audit", "verify", "--help"}, {"seed", "-h"}} {
		if code, out, errOut := c.run("", args...); code != 0 || strings.Count(out, "Usage") != 1 || errOut != "" {
			t.Errorf("%v: exit %d, out %q, stderr %q; want 0 and the usage once", args, code, out, errOut)
		}
	}
	// A bad DATABASE_URL is named, its password masked.
	c.env["DATABASE_URL"] = "notaurl://u:hunter2@x"
	if code, _, errOut := c.run("", "migrate", "status"); code != 1 || !strings.Contains(errOut, "lumdesk migrate: DATABASE_URL: ") || strings.Contains(errOut, "hunter2") {
		t.Errorf("bad DATABASE_URL: exit %d, stderr %q; want 1 naming DATABASE_URL without the password", code, errOut)
	}
	delete(c.env, "DATABASE_URL")
	c.env["SESSION_IDLE_TIMEOUT"] = "soon"
	if code, _, errOut := c.run("", "migrate", "status"); code != 2 || !strings.Contains(errOut, "SESSION_IDLE_TIMEOUT") {
		t.Fatalf("bad env: %d %q", code, errOut)
	}
}

func TestStaffCreateMigrateAuditVerify(t *testing.T) {
	t.Parallel()
	c := newCLI(t)
	if code, out, errOut := c.run("", "migrate", "up"); code != 0 {
		t.Fatalf("migrate up: %d %s %s", code, out, errOut)
	}
	if code, out, _ := c.run("", "migrate", "status"); code != 0 || !strings.Contains(out, "00001") || !strings.Contains(out, "applied") {
		t.Fatalf("migrate status: %d %q", code, out)
	}
	code, out, errOut := c.run("a-long-enough-password\n", "staff", "create", "--email", "ops@x.test", "--role", "support", "--password-stdin", "--json")
	if code != 0 || !strings.Contains(out, `"email":"ops@x.test"`) {
		t.Fatalf("staff create: %d %q %q", code, out, errOut)
	}
	if code, _, errOut := c.run("short\n", "staff", "create", "--email", "x@x.test", "--role", "viewer", "--password-stdin"); code != 2 || !strings.Contains(errOut, "password") {
		t.Fatalf("weak password: %d %q", code, errOut)
	}
	if code, _, errOut := c.run("a-long-enough-password\n", "staff", "create", "--email", "ops@x.test", "--role", "viewer", "--password-stdin"); code != 2 || !strings.Contains(errOut, "already exists") {
		t.Fatalf("duplicate: %d %q", code, errOut)
	}
	if code, _, _ := c.run("", "staff", "create", "--email", "y@x.test", "--role", "god", "--password-stdin"); code != 2 {
		t.Fatalf("bad role accepted")
	}
	if code, out, errOut := c.run("", "seed", "--demo"); code != 0 || !strings.Contains(out, "admin@lumdesk.local") {
		t.Fatalf("seed: %d %q %q", code, out, errOut)
	}
	if code, _, errOut := c.run("", "seed", "--demo"); code != 0 {
		t.Fatalf("second seed (idempotent): %d %q", code, errOut)
	}
	code, out, errOut = c.run("", "audit", "verify")
	if code != 0 || !strings.Contains(out, "intact") {
		t.Fatalf("audit verify: %d %q %q", code, out, errOut)
	}
}
