package main

import (
	"context"
	"encoding/json"
	"strconv"
	"strings"
	"testing"

	"lumdesk/internal/platform/db"
)

// apikey create --product lumora --app APP_ID: the key belongs to the app
// and to the app's account.
func TestAPIKeyCreateForMailApp(t *testing.T) {
	t.Parallel()
	c := newCLI(t)
	code, out, errOut := c.run("", "account", "create", "--name", "Harbor Analytics", "--email", "dev@harbor.io")
	if code != 0 {
		t.Fatalf("account create: %d %q %q", code, out, errOut)
	}
	acc, _ := strconv.ParseInt(strings.TrimSpace(out), 10, 64)
	d, err := db.Open(context.Background(), c.env["DATABASE_URL"])
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	var app int64
	if err := d.Pool.QueryRow(context.Background(), "INSERT INTO mail_apps (account_id, name) VALUES ($1, 'Shop') RETURNING id", acc).Scan(&app); err != nil {
		t.Fatal(err)
	}
	code, out, errOut = c.run("", "apikey", "create", "--product", "lumora", "--app", strconv.FormatInt(app, 10), "--json")
	if code != 0 {
		t.Fatalf("apikey create --app: %d %q %q", code, out, errOut)
	}
	var got map[string]any
	if err := json.Unmarshal([]byte(out), &got); err != nil || got["app_id"] != float64(app) || got["account_id"] != float64(acc) {
		t.Fatalf("json output %q: %v", out, err)
	}
	for _, args := range [][]string{
		{"--product", "luarmor", "--account", "dev@harbor.io", "--app", strconv.FormatInt(app, 10)},
		{"--product", "lumora", "--app", "999"},
		{"--product", "lumora", "--app", "-1"},
	} {
		code, _, errOut := c.run("", append([]string{"apikey", "create"}, args...)...)
		if code != 2 || errOut == "" || strings.Count(strings.TrimSpace(errOut), "\n") != 0 {
			t.Errorf("%v: exit %d, stderr %q; want 2 and one line", args, code, errOut)
		}
	}
}
