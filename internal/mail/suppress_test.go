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
	ss, err := f.svc.ListSuppressions(ctx, accounts.AllAccounts, f.acct, 0, 10)
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
