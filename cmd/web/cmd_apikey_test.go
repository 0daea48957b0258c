package main

import (
	"bytes"
	"context"
	"encoding/json"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"lumdesk/internal/platform/db"
	"lumdesk/internal/platform/ids"
)

func TestAPIKeyCreate(t *testing.T) {
	t.Parallel()
	c := newCLI(t)
	code, out, errOut := c.run("", "account", "create", "--name", "Harbor Analytics", "--email", "dev@harbor.io")
	if code != 0 {
		t.Fatalf("account create: %d %q %q", code, out, errOut)
	}
	acc, _ := strconv.ParseInt(strings.TrimSpace(out), 10, 64)

	code, out, errOut = c.run("", "apikey", "create", "--product", "lumora", "--account", "dev@harbor.io",
		"--scopes", "email:send, email:read", "--name", "Alert mailer", "--rate-limit", "600", "--json")
	if code != 0 {
		t.Fatalf("apikey create --json: %d %q %q", code, out, errOut)
	}
	var got map[string]any
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatalf("json output %q: %v", out, err)
	}
	secret, _ := got["secret"].(string)
	if !strings.HasPrefix(secret, "lum_sk_") || len(secret) != len("lum_sk_")+40 {
		t.Fatalf("secret %q", secret)
	}
	want := map[string]any{"id": float64(1), "product": "lumora", "prefix": secret[:len("lum_sk_")+6], "secret": secret,
		"scopes": []any{"email:send", "email:read"}, "account_id": float64(acc), "operator": false}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatalf("json (-want +got):\n%s", diff)
	}

	// By id, as text: the secret is printed once.
	code, out, errOut = c.run("", "apikey", "create", "--product", "luarmor", "--account", strconv.FormatInt(acc, 10), "--scopes", "keys:read")
	if code != 0 {
		t.Fatalf("apikey create: %d %q %q", code, out, errOut)
	}
	if !strings.Contains(out, "secret: ") || !strings.Contains(out, "account "+strconv.FormatInt(acc, 10)) {
		t.Fatalf("text output %q", out)
	}
	line := out[strings.Index(out, "secret: ")+len("secret: "):]
	hexSecret := strings.TrimSpace(line[:strings.Index(line, "\n")])
	if len(hexSecret) != 64 || strings.Count(out, hexSecret) != 1 {
		t.Fatalf("luarmor secret %q in %q", hexSecret, out)
	}

	// Without --scopes (the Luarmor spec has no scopes): the product's
	// standard scopes, every one but the operator-only admin:*.
	for product, scopes := range map[string][]any{
		"luarmor":    {"keys:read", "keys:write", "scripts:write"},
		"lumi-proxy": {"proxy:read", "proxy:write", "proxy:buy", "deposits:write"},
	} {
		code, out, errOut = c.run("", "apikey", "create", "--product", product, "--account", "dev@harbor.io", "--json")
		if code != 0 {
			t.Fatalf("%s without --scopes: exit %d %q %q", product, code, out, errOut)
		}
		var k map[string]any
		if err := json.Unmarshal([]byte(out), &k); err != nil {
			t.Fatalf("json output %q: %v", out, err)
		}
		if diff := cmp.Diff(scopes, k["scopes"]); diff != "" {
			t.Errorf("%s default scopes (-want +got):\n%s", product, diff)
		}
	}

	// Operator key.
	code, out, errOut = c.run("", "apikey", "create", "--product", "lumi-domains", "--operator", "--json")
	if code != 0 {
		t.Fatalf("operator: %d %q %q", code, out, errOut)
	}
	var op map[string]any
	_ = json.Unmarshal([]byte(out), &op)
	if op["operator"] != true || op["account_id"] != nil || !strings.HasPrefix(op["secret"].(string), "lumi_domains_") {
		t.Fatalf("operator key %v", op)
	}

	// Bad input: exit 2, one line on stderr, nothing created.
	for _, args := range [][]string{
		{"--product", "lumi", "--account", "dev@harbor.io"},
		{"--account", "dev@harbor.io"},
		{"--product", "lumora", "--account", "dev@harbor.io", "--scopes", "domains:buy"},
		{"--product", "lumora", "--account", "nobody@example.com", "--scopes", "email:send"},
		{"--product", "lumora", "--account", "999", "--scopes", "email:send"},
		{"--product", "lumora", "--account", "dev@harbor.io", "--operator"},
		{"--product", "lumora", "--scopes", "email:send"},
		{"--product", "lumi-proxy", "--account", "dev@harbor.io", "--scopes", "admin:*"},
		{"--product", "lumora", "--account", "dev@harbor.io", "--scopes", "email:send", "--rate-limit", "0"},
		{"--product", "lumora", "--account", "dev@harbor.io", "--scopes", "email:send", "--rate-limit", "x"},
		{"--bogus"},
	} {
		code, _, errOut := c.run("", append([]string{"apikey", "create"}, args...)...)
		if code != 2 || errOut == "" || strings.Count(strings.TrimSpace(errOut), "\n") != 0 {
			t.Errorf("%v: exit %d, stderr %q; want 2 and one line", args, code, errOut)
		}
	}
	if code, out, _ := c.run("", "apikey", "create", "--help"); code != 0 || !strings.Contains(out, "--product") {
		t.Errorf("--help: %d %q", code, out)
	}
	if code, _, _ := c.run("", "apikey", "delete"); code != 2 {
		t.Errorf("unknown verb: exit %d", code)
	}

	d, err := db.Open(context.Background(), c.env["DATABASE_URL"])
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	var n int
	var hash []byte
	_ = d.Pool.QueryRow(context.Background(), "SELECT count(*) FROM api_keys").Scan(&n)
	_ = d.Pool.QueryRow(context.Background(), "SELECT secret_hash FROM api_keys WHERE id = 1").Scan(&hash)
	if n != 5 || !bytes.Equal(hash, ids.Hash(secret)) {
		t.Fatalf("%d keys stored (want 5); hash matches: %v", n, bytes.Equal(hash, ids.Hash(secret)))
	}
	var kind, label string
	_ = d.Pool.QueryRow(context.Background(), "SELECT actor_kind, actor_label FROM audit_events WHERE action = 'api_key.create' LIMIT 1").Scan(&kind, &label)
	if kind != "cli" || label != "lumdesk apikey create" {
		t.Fatalf("audit actor %q %q", kind, label)
	}
}
