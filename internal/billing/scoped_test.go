package billing_test

import (
	"errors"
	"testing"

	"lumdesk/internal/accounts"
	"lumdesk/internal/billing"
)

// The scoped methods act on the scope's account only: another account's
// deposit is not found (as an unknown one), the account of an input is
// replaced by the scope's, and the every-account scope is refused.
func TestScopedMethodsKeepToTheScopesAccount(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	a, b := f.account("Scope A"), f.account("Scope B")
	sa, sb := accounts.Only(a), accounts.Only(b)

	d, err := f.svc.CreateDepositIn(ctx, cli, sa, billing.DepositInput{AccountID: b, Amount: "12.00", Provider: billing.ProviderCryptoBot})
	if err != nil {
		t.Fatal(err)
	}
	if d.AccountID != a || !d.Sandbox() {
		t.Fatalf("deposit went to account %d (sandbox %v), want %d", d.AccountID, d.Sandbox(), a)
	}
	if _, err := f.svc.DepositIn(ctx, sb, d.ID); !errors.Is(err, billing.ErrNotFound) {
		t.Fatalf("B read A's deposit: %v", err)
	}
	if got, err := f.svc.DepositIn(ctx, sa, d.ID); err != nil || got.ID != d.ID {
		t.Fatalf("A's own deposit: %+v %v", got, err)
	}
	if _, err := f.svc.SimulateSandboxPaymentIn(ctx, cli, sb, d.ID, "http://127.0.0.1:1", ""); !errors.Is(err, billing.ErrNotFound) {
		t.Fatalf("B paid A's deposit: %v", err)
	}
	if ds, err := f.svc.DepositsIn(ctx, sb, 0, 10); err != nil || len(ds) != 0 {
		t.Fatalf("B's deposits: %+v %v", ds, err)
	}
	if ds, err := f.svc.DepositsIn(ctx, sa, 0, 10); err != nil || len(ds) != 1 {
		t.Fatalf("A's deposits: %+v %v", ds, err)
	}

	if _, err := f.svc.ManualTopUp(ctx, cli, billing.ManualInput{AccountID: a, Amount: "30.00", Reason: "test"}); err != nil {
		t.Fatal(err)
	}
	page, err := f.svc.LedgerIn(ctx, sb, billing.LedgerFilter{AccountID: a})
	if err != nil || len(page.Items) != 0 {
		t.Fatalf("B's ledger asked for A's entries: %+v %v", page.Items, err)
	}
	page, err = f.svc.LedgerIn(ctx, sa, billing.LedgerFilter{})
	if err != nil || len(page.Items) != 1 || page.Items[0].AccountID != a {
		t.Fatalf("A's ledger: %+v %v", page.Items, err)
	}
	n := 0
	if err := f.svc.ForEachLedgerIn(ctx, sb, billing.LedgerFilter{AccountID: a}, func(billing.LedgerEntry) error { n++; return nil }); err != nil || n != 0 {
		t.Fatalf("B's export saw %d of A's entries: %v", n, err)
	}
	if bal, err := f.svc.BalanceIn(ctx, sa); err != nil || bal.Amount != 30_00 {
		t.Fatalf("A's balance: %+v %v", bal, err)
	}

	for name, err := range map[string]error{
		"balance":  func() error { _, err := f.svc.BalanceIn(ctx, accounts.AllAccounts); return err }(),
		"ledger":   func() error { _, err := f.svc.LedgerIn(ctx, accounts.AllAccounts, billing.LedgerFilter{}); return err }(),
		"deposits": func() error { _, err := f.svc.DepositsIn(ctx, accounts.AllAccounts, 0, 10); return err }(),
		"create": func() error {
			_, err := f.svc.CreateDepositIn(ctx, cli, accounts.AllAccounts, billing.DepositInput{Amount: "1", Provider: billing.ProviderCryptoBot})
			return err
		}(),
	} {
		if !errors.Is(err, billing.ErrNotFound) {
			t.Errorf("%s in the every-account scope: %v", name, err)
		}
	}
}

// A deposit with a real provider is never paid by the sandbox button.
func TestSandboxPaymentRefusesARealProvidersDeposit(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	a := f.account("Real Money")
	d, err := f.svc.CreateDepositIn(ctx, cli, accounts.Only(a), billing.DepositInput{Amount: "5.00", Provider: billing.ProviderManual})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.SimulateSandboxPaymentIn(ctx, cli, accounts.Only(a), d.ID, "http://127.0.0.1:1", ""); !errors.Is(err, billing.ErrNotSandbox) {
		t.Fatalf("sandbox-paid a manual deposit: %v", err)
	}
}
