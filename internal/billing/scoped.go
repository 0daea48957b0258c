package billing

import (
	"context"

	"lumdesk/internal/accounts"
	"lumdesk/internal/audit"
)

// The scoped methods serve callers that act for one account (the customer
// portal): the account comes from the scope, never from input, and another
// account's deposit is "not found" exactly like an unknown one. A scope of
// every account is refused: these pages show one account.

// scopeAccount is the one account of scope.
func scopeAccount(scope accounts.Scope) (int64, error) {
	if scope.All() || scope.AccountID() <= 0 {
		return 0, NotFoundError{What: "account", Ref: "in this scope"}
	}
	return scope.AccountID(), nil
}

// BalanceIn is the balance of the scope's account.
func (s *Service) BalanceIn(ctx context.Context, scope accounts.Scope) (Balance, error) {
	id, err := scopeAccount(scope)
	if err != nil {
		return Balance{}, err
	}
	return s.Balance(ctx, id)
}

// LedgerIn is Ledger restricted to the scope's account (f.AccountID is
// replaced by it).
func (s *Service) LedgerIn(ctx context.Context, scope accounts.Scope, f LedgerFilter) (LedgerPage, error) {
	id, err := scopeAccount(scope)
	if err != nil {
		return LedgerPage{}, err
	}
	f.AccountID = id
	return s.Ledger(ctx, f)
}

// ForEachLedgerIn is ForEachLedger restricted to the scope's account.
func (s *Service) ForEachLedgerIn(ctx context.Context, scope accounts.Scope, f LedgerFilter, fn func(LedgerEntry) error) error {
	id, err := scopeAccount(scope)
	if err != nil {
		return err
	}
	f.AccountID = id
	return s.ForEachLedger(ctx, f, fn)
}

// DepositsIn lists the scope's account's deposits, newest first (before:
// an internal id to page from, 0 for the newest).
func (s *Service) DepositsIn(ctx context.Context, scope accounts.Scope, before int64, limit int) ([]Deposit, error) {
	id, err := scopeAccount(scope)
	if err != nil {
		return nil, err
	}
	return s.Deposits(ctx, id, before, limit)
}

// DepositIn loads a deposit of the scope's account by internal id.
func (s *Service) DepositIn(ctx context.Context, scope accounts.Scope, id int64) (Deposit, error) {
	d, err := s.GetDeposit(ctx, id)
	if err != nil {
		return Deposit{}, err
	}
	if !scope.Allows(d.AccountID) {
		return Deposit{}, notFound("deposit", id)
	}
	return d, nil
}

// CreateDepositIn opens a deposit for the scope's account (in.AccountID is
// replaced by it).
func (s *Service) CreateDepositIn(ctx context.Context, actor audit.Actor, scope accounts.Scope, in DepositInput) (Deposit, error) {
	id, err := scopeAccount(scope)
	if err != nil {
		return Deposit{}, err
	}
	in.AccountID = id
	return s.CreateDeposit(ctx, actor, in)
}

// SimulateSandboxPaymentIn is SimulateSandboxPayment of a deposit of the
// scope's account: only sandbox deposits (the sandbox provider, or Crypto
// Pay without a token) can be paid this way; a deposit with a real
// provider is ErrNotSandbox.
func (s *Service) SimulateSandboxPaymentIn(ctx context.Context, actor audit.Actor, scope accounts.Scope, depositID int64, baseURL, note string) (Deposit, error) {
	if _, err := s.DepositIn(ctx, scope, depositID); err != nil {
		return Deposit{}, err
	}
	return s.SimulateSandboxPayment(ctx, actor, depositID, baseURL, note)
}
