package apikeys_test

import (
	"context"
	"errors"
	"slices"
	"strconv"
	"strings"
	"testing"

	"lumdesk/internal/accounts"
	"lumdesk/internal/apikeys"
)

func TestParseAllowedIPsNormalises(t *testing.T) {
	t.Parallel()
	got, err := apikeys.ParseAllowedIPs([]string{" 203.0.113.7 ", "10.1.2.3/8", "", "2001:DB8::1", "2001:db8:0:0:1::/64",
		"::ffff:198.51.100.4", "203.0.113.7/32", "10.0.0.0/8"})
	if err != nil {
		t.Fatal(err)
	}
	var shown []string
	for _, p := range got {
		shown = append(shown, p.String())
	}
	want := []string{"203.0.113.7/32", "10.0.0.0/8", "2001:db8::1/128", "2001:db8::/64", "198.51.100.4/32"}
	if !slices.Equal(shown, want) {
		t.Errorf("got %v, want %v", shown, want)
	}
	for _, bad := range []string{"300.1.1.1", "10.0.0.0/33", "2001:db8::/129", "fe80::1%eth0", "example.com", "10.0.0.0/", "10.0.0.0/+8", "1.2.3.4/-1"} {
		_, err := apikeys.ParseAllowedIPs([]string{bad})
		var verr apikeys.ValidationError
		if !errors.As(err, &verr) || verr["allowed_ips"] == "" {
			t.Errorf("%q: got %v, want a validation error", bad, err)
		}
	}
	many := make([]string, 0, 101)
	for i := range 101 {
		many = append(many, "10.0."+strconv.Itoa(i/256)+"."+strconv.Itoa(i%256))
	}
	if _, err := apikeys.ParseAllowedIPs(many); err == nil || !strings.Contains(err.Error(), "100") {
		t.Errorf("101 entries: %v", err)
	}
	if _, err := apikeys.ParseAllowedIPs(many[:100]); err != nil {
		t.Errorf("100 entries: %v", err)
	}
}

func TestSetAllowedIPsScopedAuditedEnforcedByAllowsIP(t *testing.T) {
	t.Parallel()
	s, d := newService(t)
	ctx := context.Background()
	a, b := newAccount(t, d, "a@ips.test"), newAccount(t, d, "b@ips.test")
	k := mustCreate(t, s, apikeys.CreateInput{Product: apikeys.Luarmor, AccountID: &a})

	if _, err := s.SetAllowedIPs(ctx, actor, accounts.Only(b), k.Key.ID, []string{"10.0.0.1"}); !errors.Is(err, apikeys.ErrNotFound) {
		t.Fatalf("another account: %v, want not found", err)
	}
	got, err := s.SetAllowedIPs(ctx, actor, accounts.Only(a), k.Key.ID, []string{"10.0.0.0/8", "2001:db8::/32", "203.0.113.7"})
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"10.0.0.0/8", "2001:db8::/32", "203.0.113.7"}; !slices.Equal(got.AllowedIPs, want) {
		t.Errorf("allowed ips %v, want %v", got.AllowedIPs, want)
	}
	for ip, want := range map[string]bool{"10.200.1.1": true, "11.0.0.1": false, "2001:db8:ffff::1": true, "2001:db9::1": false,
		"203.0.113.7": true, "203.0.113.8": false, "::ffff:10.0.0.9": true, "": false, "garbage": false} {
		if g := got.AllowsIP(ip); g != want {
			t.Errorf("AllowsIP(%q) = %v, want %v", ip, g, want)
		}
	}
	var before, after string
	if err := d.Pool.QueryRow(ctx, `SELECT before::text, after::text FROM audit_events WHERE action = 'api_key.allowed_ips'`).Scan(&before, &after); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(before, "[]") || !strings.Contains(after, "2001:db8::/32") {
		t.Errorf("audit before %s after %s", before, after)
	}
	// Rotation keeps the list; an empty list lets any address in again.
	rot, err := s.RotateIn(ctx, actor, accounts.Only(a), k.Key.ID, "test")
	if err != nil {
		t.Fatal(err)
	}
	if len(rot.Key.AllowedIPs) != 3 {
		t.Errorf("rotated key lost its allow list: %v", rot.Key.AllowedIPs)
	}
	cleared, err := s.SetAllowedIPs(ctx, actor, accounts.Only(a), rot.Key.ID, nil)
	if err != nil || len(cleared.AllowedIPs) != 0 || !cleared.AllowsIP("192.0.2.1") {
		t.Errorf("cleared: %v %v", cleared.AllowedIPs, err)
	}
	// The old key is revoked; other products keep no list.
	if _, err := s.SetAllowedIPs(ctx, actor, accounts.Only(a), k.Key.ID, []string{"10.0.0.1"}); !errors.Is(err, apikeys.ErrAlreadyRevoked) {
		t.Errorf("revoked key: %v", err)
	}
	lumio := mustCreate(t, s, apikeys.CreateInput{Product: apikeys.Lumio, AccountID: &a})
	var verr apikeys.ValidationError
	if _, err := s.SetAllowedIPs(ctx, actor, accounts.Only(a), lumio.Key.ID, []string{"10.0.0.1"}); !errors.As(err, &verr) {
		t.Errorf("lumio key: %v", err)
	}
	if _, err := s.SetAllowedIPs(ctx, actor, accounts.Only(a), rot.Key.ID, []string{"10.0.0.1", "nope"}); !errors.As(err, &verr) || !strings.Contains(verr["allowed_ips"], "nope") {
		t.Errorf("bad entry: %v", err)
	}
}

func TestScopedGetRevokeRotateList(t *testing.T) {
	t.Parallel()
	s, d := newService(t)
	ctx := context.Background()
	a, b := newAccount(t, d, "a@scope.test"), newAccount(t, d, "b@scope.test")
	ka := mustCreate(t, s, apikeys.CreateInput{Product: apikeys.Luarmor, AccountID: &a})
	op := mustCreate(t, s, apikeys.CreateInput{Product: apikeys.Luarmor, Operator: true})
	for _, id := range []int64{ka.Key.ID, op.Key.ID} {
		if _, err := s.GetIn(ctx, accounts.Only(b), id); !errors.Is(err, apikeys.ErrNotFound) {
			t.Errorf("GetIn %d: %v", id, err)
		}
		if _, err := s.RevokeIn(ctx, actor, accounts.Only(b), id, "x"); !errors.Is(err, apikeys.ErrNotFound) {
			t.Errorf("RevokeIn %d: %v", id, err)
		}
		if _, err := s.RotateIn(ctx, actor, accounts.Only(b), id, "x"); !errors.Is(err, apikeys.ErrNotFound) {
			t.Errorf("RotateIn %d: %v", id, err)
		}
	}
	page, err := s.ListIn(ctx, accounts.Only(b), apikeys.ListParams{AccountID: &a})
	if err != nil || len(page.Keys) != 0 {
		t.Errorf("B's list shows %d keys (%v)", len(page.Keys), err)
	}
	page, err = s.ListIn(ctx, accounts.Only(a), apikeys.ListParams{})
	if err != nil || len(page.Keys) != 1 || page.Keys[0].ID != ka.Key.ID {
		t.Errorf("A's list: %+v %v", page.Keys, err)
	}
	if k, err := s.RevokeIn(ctx, actor, accounts.Only(a), ka.Key.ID, "done"); err != nil || k.Status() != apikeys.StatusRevoked {
		t.Errorf("RevokeIn own: %v %v", k.Status(), err)
	}
}

func TestCreateInIsTheAccountsNeverOperator(t *testing.T) {
	t.Parallel()
	s, d := newService(t)
	ctx := context.Background()
	a, b := newAccount(t, d, "a@create.test"), newAccount(t, d, "b@create.test")
	var appA, appB int64
	for acc, dst := range map[int64]*int64{a: &appA, b: &appB} {
		if err := d.Pool.QueryRow(ctx, "INSERT INTO mail_apps (account_id, name) VALUES ($1, 'App') RETURNING id", acc).Scan(dst); err != nil {
			t.Fatal(err)
		}
	}
	c, err := s.CreateIn(ctx, actor, accounts.Only(a), apikeys.CreateInput{Product: apikeys.Luarmor, Operator: true, AccountID: &b})
	if err != nil {
		t.Fatal(err)
	}
	if c.Key.Operator || c.Key.AccountID == nil || *c.Key.AccountID != a {
		t.Errorf("created %+v, want account %d's non-operator key", c.Key, a)
	}
	var verr apikeys.ValidationError
	if _, err := s.CreateIn(ctx, actor, accounts.Only(a), apikeys.CreateInput{Product: apikeys.Lumora}); !errors.As(err, &verr) || verr["app"] == "" {
		t.Errorf("lumora without app: %v", err)
	}
	if _, err := s.CreateIn(ctx, actor, accounts.Only(a), apikeys.CreateInput{Product: apikeys.Lumora, MailAppID: &appB}); !errors.As(err, &verr) || verr["app"] != "choose one of your Lumora apps" {
		t.Errorf("lumora with B's app: %v", err)
	}
	if _, err := s.CreateIn(ctx, actor, accounts.Only(a), apikeys.CreateInput{Product: apikeys.LumiDomains, Scopes: []string{"admin:*"}}); !errors.As(err, &verr) || verr["scopes"] == "" {
		t.Errorf("operator-only scope: %v", err)
	}
	k, err := s.CreateIn(ctx, actor, accounts.Only(a), apikeys.CreateInput{Product: apikeys.Lumora, MailAppID: &appA, RateLimitPerMinute: 120})
	if err != nil || k.Key.MailAppID == nil || *k.Key.MailAppID != appA || k.Key.RateLimitPerMinute != 120 {
		t.Errorf("lumora key: %+v %v", k.Key, err)
	}
}
