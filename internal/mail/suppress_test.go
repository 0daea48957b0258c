package mail

import (
	"errors"
	"strings"
	"testing"

	"lumdesk/internal/accounts"
	"lumdesk/internal/platform/apperr"
)

// Staff add a suppression with a reason: the address is validated, a
// duplicate (any letter case) is a field message, another account's scope
// or an unknown account is not found, and only a success is audited.
func TestAddSuppression(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	for name, in := range map[string][2]string{
		"empty":        {"", "asked"},
		"invalid":      {"not an address", "asked"},
		"display name": {"Jo <jo@globex.test>", "asked"},
		"CR/LF":        {"jo@globex.test\r\nBcc: x@evil.test", "asked"},
		"oversized":    {strings.Repeat("a", 250) + "@globex.test", "asked"},
		"no reason":    {"jo@globex.test", " "},
		"long reason":  {"jo@globex.test", strings.Repeat("r", MaxSuppressionReason+1)},
		"reason CR/LF": {"jo@globex.test", "one\r\ntwo"},
	} {
		var fe apperr.FieldErrors
		if err := f.svc.AddSuppression(ctx, cli, accounts.AllAccounts, f.acct, in[0], in[1]); !errors.As(err, &fe) {
			t.Errorf("%s: %v, want field errors", name, err)
		}
	}
	if err := f.svc.AddSuppression(ctx, cli, accounts.Only(f.other), f.acct, "jo@globex.test", "asked"); !errors.Is(err, ErrAccountNotFound) {
		t.Errorf("another account's scope: %v", err)
	}
	if err := f.svc.AddSuppression(ctx, cli, accounts.AllAccounts, 999999, "jo@globex.test", "asked"); !errors.Is(err, ErrAccountNotFound) {
		t.Errorf("unknown account: %v", err)
	}
	if err := f.svc.AddSuppression(ctx, cli, accounts.AllAccounts, f.acct, "Jo@GLOBEX.test", "Asked by phone"); err != nil {
		t.Fatal(err)
	}
	var fe apperr.FieldErrors
	if err := f.svc.AddSuppression(ctx, cli, accounts.AllAccounts, f.acct, "jo@globex.test", "again"); !errors.As(err, &fe) || !strings.Contains(fe["email"], "already") {
		t.Errorf("duplicate: %v", err)
	}
	ss, err := f.svc.ListSuppressions(ctx, accounts.AllAccounts, SuppressionFilter{AccountID: f.acct, Limit: 10})
	if err != nil || len(ss) != 1 || ss[0].Email != "Jo@globex.test" || ss[0].Reason != ReasonManual || !strings.Contains(ss[0].Origin, "test") {
		t.Fatalf("suppressions %+v, %v", ss, err)
	}
	var n int
	var reason string
	if err := f.db.Pool.QueryRow(ctx, `SELECT count(*), max(reason) FROM audit_events WHERE action = 'mail_suppression.add'`).Scan(&n, &reason); err != nil {
		t.Fatal(err)
	}
	if n != 1 || reason != "Asked by phone" {
		t.Errorf("%d audit rows, reason %q", n, reason)
	}
}

// The suppression lists' search finds an address by any part of it, in any
// case and literally (LIKE's wildcards are characters), within the account;
// the reason filter keeps one reason; a bad reason or a search that is not
// text is a field message.
func TestSuppressionSearch(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	for _, s := range []struct {
		acct          int64
		email, reason string
	}{
		{f.acct, "Alice@Example.com", ReasonManual}, {f.acct, "bob@shop.test", ReasonHardBounce},
		{f.acct, "carol_x@example.com", ReasonComplaint}, {f.other, "alice@example.com", ReasonManual},
	} {
		if _, err := f.db.Pool.Exec(ctx, `INSERT INTO mail_suppressions (account_id, email, reason) VALUES ($1, $2, $3)`, s.acct, s.email, s.reason); err != nil {
			t.Fatal(err)
		}
	}
	find := func(scope accounts.Scope, flt SuppressionFilter) ([]string, error) {
		t.Helper()
		ss, err := f.svc.ListSuppressions(ctx, scope, flt)
		var out []string
		for _, s := range ss {
			out = append(out, s.Email)
		}
		if err == nil {
			n, cerr := f.svc.CountSuppressions(ctx, scope, flt, 100)
			if cerr != nil || n.N != int64(len(out)) {
				t.Errorf("%+v: count %+v %v, list %d", flt, n, cerr, len(out))
			}
		}
		return out, err
	}
	for _, c := range []struct {
		f    SuppressionFilter
		want string
	}{
		{SuppressionFilter{AccountID: f.acct, Search: "EXAMPLE"}, "carol_x@example.com Alice@Example.com"},
		{SuppressionFilter{AccountID: f.acct, Search: " lice@ex "}, "Alice@Example.com"},
		{SuppressionFilter{AccountID: f.acct, Search: "l_x"}, "carol_x@example.com"}, // _ is itself
		{SuppressionFilter{AccountID: f.acct, Search: "%"}, ""},
		{SuppressionFilter{AccountID: f.acct, Reason: ReasonHardBounce}, "bob@shop.test"},
		{SuppressionFilter{AccountID: f.acct, Search: "example", Reason: ReasonManual}, "Alice@Example.com"},
		{SuppressionFilter{AccountID: f.acct}, "carol_x@example.com bob@shop.test Alice@Example.com"},
	} {
		got, err := find(accounts.AllAccounts, c.f)
		if err != nil || strings.Join(got, " ") != c.want {
			t.Errorf("%+v: %v %v, want %q", c.f, got, err, c.want)
		}
	}
	if _, err := find(accounts.Only(f.other), SuppressionFilter{AccountID: f.acct, Search: "alice"}); !errors.Is(err, ErrAccountNotFound) {
		t.Errorf("another account's scope: %v", err)
	}
	for _, bad := range []SuppressionFilter{{AccountID: f.acct, Reason: "spam"}, {AccountID: f.acct, Search: "\xff\xfe"},
		{AccountID: f.acct, Search: strings.Repeat("a", MaxSuppressionSearch+1)}} {
		var fe apperr.FieldErrors
		if _, err := f.svc.ListSuppressions(ctx, accounts.AllAccounts, bad); !errors.As(err, &fe) {
			t.Errorf("%+v: %v, want field errors", bad, err)
		}
	}
}
