package main

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestPlanSetAndShow(t *testing.T) {
	t.Parallel()
	c := newCLI(t)
	if code, out, errOut := c.run("", "account", "create", "--name", "Nightfall", "--email", "ops@nightfall.test"); code != 0 {
		t.Fatalf("account create: %d %q %q", code, out, errOut)
	}
	code, out, errOut := c.run("", "plan", "show", "--account", "ops@nightfall.test")
	if code != 0 || !strings.Contains(out, "max users per project no limit, script updates per month no limit") {
		t.Fatalf("plan show: %d %q %q", code, out, errOut)
	}
	code, out, errOut = c.run("", "plan", "set", "--account", "ops@nightfall.test", "--max-users", "250", "--obfuscations", "-1",
		"--reason", "Pro plan", "--json")
	if code != 0 {
		t.Fatalf("plan set: %d %q %q", code, out, errOut)
	}
	var got map[string]any
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatalf("json %q: %v", out, err)
	}
	want := map[string]any{"account_id": float64(1), "max_users": float64(250), "obfuscations": float64(-1),
		"obfuscations_used": float64(0), "obfuscations_remaining": float64(-1)}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatalf("plan (-want +got):\n%s", diff)
	}
	if code, out, _ := c.run("", "plan", "show", "--account", "1"); code != 0 || !strings.Contains(out, "max users per project 250") {
		t.Fatalf("plan show after set: %d %q", code, out)
	}
	for _, args := range [][]string{
		{"plan"}, {"plan", "set"},
		{"plan", "set", "--account", "1", "--max-users", "5", "--obfuscations", "5"},
		{"plan", "set", "--account", "1", "--max-users", "5", "--reason", "x"},
		{"plan", "set", "--account", "1", "--max-users", "-2", "--obfuscations", "5", "--reason", "x"},
		{"plan", "set", "--account", "1", "--max-users", "5", "--obfuscations", "many", "--reason", "x"},
		{"plan", "set", "--account", "nobody@nowhere.test", "--max-users", "5", "--obfuscations", "5", "--reason", "x"},
		{"plan", "show"},
	} {
		code, _, errOut := c.run("", args...)
		if code != 2 || errOut == "" || strings.Count(strings.TrimSpace(errOut), "\n") != 0 {
			t.Errorf("%v: exit %d, stderr %q; want 2 and one line", args, code, errOut)
		}
	}
}
