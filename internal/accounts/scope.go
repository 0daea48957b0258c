package accounts

// Scope is whose objects a caller may touch: one customer account (a
// reseller's API key), or every account (staff, operator keys). Services
// take it on every method that reads or changes a customer's object and
// answer an object outside it with their own not-found error, exactly as
// an unknown one, so a caller learns nothing about other accounts.
type Scope struct {
	accountID int64 // 0: every account
}

// AllAccounts is the scope of staff and operator keys.
var AllAccounts = Scope{}

// Only is the scope of one account's own callers. An id <= 0 would mean
// "every account", so it is clamped to an account that cannot exist.
func Only(accountID int64) Scope {
	if accountID <= 0 {
		return Scope{accountID: -1}
	}
	return Scope{accountID: accountID}
}

// All reports whether the scope covers every account.
func (s Scope) All() bool { return s.accountID == 0 }

// AccountID is the one account of the scope (0 for every account).
func (s Scope) AccountID() int64 { return s.accountID }

// Allows reports whether an object of accountID is inside the scope.
func (s Scope) Allows(accountID int64) bool { return s.accountID == 0 || s.accountID == accountID }

// Filter is the account filter of a list within the scope (nil: every account).
func (s Scope) Filter() *int64 {
	if s.accountID == 0 {
		return nil
	}
	id := s.accountID
	return &id
}

// Target is the account a request acts on when it names one (named nil:
// none named). In a one-account scope that is the scope's account, and
// naming another is a NotFoundError; in the all-accounts scope it is the
// named one (nil when none).
func (s Scope) Target(named *int64) (*int64, error) {
	if s.accountID == 0 {
		return named, nil
	}
	if named != nil && *named != s.accountID {
		return nil, NotFoundError{}
	}
	id := s.accountID
	return &id, nil
}
