package billing

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"lumdesk/db/store"
	"lumdesk/internal/audit"
	"lumdesk/internal/platform/db"
	"lumdesk/internal/platform/ids"
	"lumdesk/internal/platform/money"
)

// Deposit statuses.
const (
	DepositPending   = "pending"
	DepositPaid      = "paid"
	DepositExpired   = "expired"
	DepositCancelled = "cancelled"
)

// Deposit providers.
const (
	ProviderSandboxCrypto = "sandbox_crypto"
	ProviderManual        = "manual"
)

// Providers lists the deposit providers.
var Providers = []string{ProviderSandboxCrypto, ProviderManual}

// ProviderLabel is how the dashboard names a provider.
func ProviderLabel(p string) string {
	switch p {
	case ProviderSandboxCrypto:
		return "Sandbox crypto"
	case ProviderManual:
		return "Manual"
	}
	return p
}

// ManualDepositTTL is how long a manual invoice waits for its payment.
const ManualDepositTTL = 7 * 24 * time.Hour

// Deposit is a top-up invoice.
type Deposit struct {
	ID          int64       `json:"-"`
	PublicID    string      `json:"id"` // "dep_…", what clients and the provider see
	AccountID   int64       `json:"account_id"`
	Amount      money.Cents `json:"amount"`
	Provider    string      `json:"provider"`
	Status      string      `json:"status"`
	ProviderRef string      `json:"provider_ref,omitempty"`
	PayURL      string      `json:"pay_url,omitempty"`
	Note        string      `json:"note,omitempty"`
	CreatedAt   time.Time   `json:"created_at"`
	PaidAt      *time.Time  `json:"paid_at,omitempty"`
	ExpiresAt   *time.Time  `json:"expires_at,omitempty"`
	ClosedAt    *time.Time  `json:"closed_at,omitempty"`
}

// Sandbox reports whether the deposit goes through a sandbox provider.
func (d Deposit) Sandbox() bool { return d.Provider == ProviderSandboxCrypto }

func depositOf(r store.Deposit) Deposit {
	d := Deposit{ID: r.ID, PublicID: r.PublicID, AccountID: r.AccountID, Amount: money.Cents(r.AmountCents), Provider: r.Provider,
		Status: r.Status, PayURL: r.PayUrl, Note: r.Note, CreatedAt: r.CreatedAt.UTC(), PaidAt: utcPtr(r.PaidAt),
		ExpiresAt: utcPtr(r.ExpiresAt), ClosedAt: utcPtr(r.ClosedAt)}
	if r.ProviderRef != nil {
		d.ProviderRef = *r.ProviderRef
	}
	return d
}

func utcPtr(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	u := t.UTC()
	return &u
}

func depositAudit(d store.Deposit) map[string]any {
	return map[string]any{"deposit": d.PublicID, "amount": money.Cents(d.AmountCents).String(), "provider": d.Provider, "status": d.Status}
}

// DepositInput is a new top-up invoice.
type DepositInput struct {
	AccountID int64
	Amount    string // decimal USD, "10.00"
	Provider  string // ProviderSandboxCrypto or ProviderManual
	Note      string // optional
}

// CreateDeposit opens a pending invoice with the provider. No money moves
// until it is paid.
func (s *Service) CreateDeposit(ctx context.Context, actor audit.Actor, in DepositInput) (Deposit, error) {
	verr := ValidationError{}
	amount, err := ParseAmount("amount", in.Amount, false)
	if err != nil {
		maps(verr, err)
	}
	if !slices.Contains(Providers, in.Provider) {
		verr["provider"] = "Choose a provider: sandbox_crypto or manual."
	}
	note, err := CheckReason(in.Note, false)
	if err != nil {
		verr["note"] = err.(ValidationError)["reason"]
	}
	if len(verr) > 0 {
		return Deposit{}, verr
	}
	var out store.Deposit
	err = s.tx(ctx, func(q *store.Queries) error {
		if err := accountExists(ctx, q, in.AccountID); err != nil {
			return err
		}
		p := store.InsertDepositParams{PublicID: "dep_" + ids.Token(24), AccountID: in.AccountID, AmountCents: int64(amount),
			Provider: in.Provider, Note: note, CreatedAt: s.now().UTC()}
		if in.Provider == ProviderSandboxCrypto {
			inv, err := s.sandbox.NewInvoice(ctx, p.PublicID, amount)
			if err != nil {
				return err
			}
			p.ProviderRef, p.PayUrl, p.ExpiresAt = &inv.Ref, inv.PayURL, &inv.ExpiresAt
		} else {
			exp := s.now().UTC().Add(ManualDepositTTL)
			p.ExpiresAt = &exp
		}
		var err error
		if out, err = q.InsertDeposit(ctx, p); err != nil {
			return fmt.Errorf("insert deposit: %w", err)
		}
		return audit.Record(ctx, q, actor, audit.Event{Action: "deposit.create", EntityType: "account", EntityID: idStr(in.AccountID),
			Reason: note, After: depositAudit(out)})
	})
	if err != nil {
		return Deposit{}, err
	}
	return depositOf(out), nil
}

func maps(dst ValidationError, err error) {
	var v ValidationError
	if errors.As(err, &v) {
		for k, m := range v {
			dst[k] = m
		}
	}
}

// GetDeposit loads a deposit by internal id.
func (s *Service) GetDeposit(ctx context.Context, id int64) (Deposit, error) {
	r, err := s.db.GetDeposit(ctx, id)
	if db.IsNotFound(err) {
		return Deposit{}, notFound("deposit", id)
	}
	if err != nil {
		return Deposit{}, fmt.Errorf("get deposit %d: %w", id, err)
	}
	return depositOf(r), nil
}

// GetDepositByPublicID loads a deposit by its "dep_…" id.
func (s *Service) GetDepositByPublicID(ctx context.Context, publicID string) (Deposit, error) {
	if len(publicID) > 64 {
		return Deposit{}, NotFoundError{What: "deposit", Ref: "with that id"}
	}
	r, err := s.db.GetDepositByPublicID(ctx, publicID)
	if db.IsNotFound(err) {
		return Deposit{}, NotFoundError{What: "deposit", Ref: publicID}
	}
	if err != nil {
		return Deposit{}, fmt.Errorf("get deposit: %w", err)
	}
	return depositOf(r), nil
}

// Deposits lists an account's deposits, newest first (before: an internal id
// to page from, 0 for the newest).
func (s *Service) Deposits(ctx context.Context, accountID int64, before int64, limit int) ([]Deposit, error) {
	p := store.ListAccountDepositsParams{AccountID: accountID, Lim: int32(clampLimit(limit))}
	if before > 0 {
		p.BeforeID = &before
	}
	rows, err := s.db.ListAccountDeposits(ctx, p)
	if err != nil {
		return nil, fmt.Errorf("list deposits: %w", err)
	}
	out := make([]Deposit, len(rows))
	for i, r := range rows {
		out[i] = depositOf(r)
	}
	return out, nil
}

// PayResult is the outcome of a payment confirmation.
type PayResult struct {
	Deposit Deposit
	Entry   LedgerEntry // the credit (the existing one when AlreadyPaid)
	// AlreadyPaid: the deposit had been credited before; nothing moved now.
	AlreadyPaid bool
}

// creditDeposit marks a pending deposit paid and credits it, once: of any
// number of concurrent confirmations exactly one wins the conditional
// UPDATE … WHERE status = 'pending', inside the transaction that credits.
// The others see it paid and get AlreadyPaid.
func (s *Service) creditDeposit(ctx context.Context, q *store.Queries, actor audit.Actor, depositID int64, reason, action string) (PayResult, error) {
	cur, err := q.GetDeposit(ctx, depositID)
	if db.IsNotFound(err) {
		return PayResult{}, notFound("deposit", depositID)
	}
	if err != nil {
		return PayResult{}, fmt.Errorf("get deposit: %w", err)
	}
	if cur.Status == DepositPending && cur.ExpiresAt != nil && !s.now().Before(*cur.ExpiresAt) {
		return PayResult{Deposit: depositOf(cur)}, ErrDepositExpired
	}
	claimed, err := q.ClaimDepositPaid(ctx, store.ClaimDepositPaidParams{ID: depositID, At: s.now().UTC()})
	if db.IsNotFound(err) {
		again, gerr := q.GetDeposit(ctx, depositID)
		if gerr != nil {
			return PayResult{}, fmt.Errorf("get deposit: %w", gerr)
		}
		if again.Status != DepositPaid {
			return PayResult{Deposit: depositOf(again)}, ErrDepositNotPending
		}
		e, gerr := q.GetLedgerEntryByCause(ctx, store.GetLedgerEntryByCauseParams{CauseType: CauseDeposit, CauseID: idStr(depositID), Kind: KindDeposit})
		if gerr != nil {
			return PayResult{}, fmt.Errorf("find the credit of deposit %d: %w", depositID, gerr)
		}
		return PayResult{Deposit: depositOf(again), Entry: entryOf(e), AlreadyPaid: true}, nil
	}
	if err != nil {
		return PayResult{}, fmt.Errorf("claim deposit: %w", err)
	}
	e, err := s.apply(ctx, q, actor, move{accountID: claimed.AccountID, amount: money.Cents(claimed.AmountCents), kind: KindDeposit,
		causeType: CauseDeposit, causeID: idStr(claimed.ID), reason: reason, action: action,
		extra: map[string]any{"deposit": claimed.PublicID, "provider": claimed.Provider}})
	if err != nil {
		return PayResult{}, err
	}
	return PayResult{Deposit: depositOf(claimed), Entry: e}, nil
}

// MarkDepositPaid is finance confirming a payment by hand (a bank transfer
// arrived, a provider's webhook was lost). The reason is required.
func (s *Service) MarkDepositPaid(ctx context.Context, actor audit.Actor, depositID int64, reason string) (PayResult, error) {
	reason, err := CheckReason(reason, true)
	if err != nil {
		return PayResult{}, err
	}
	var res PayResult
	err = s.tx(ctx, func(q *store.Queries) error {
		var err error
		res, err = s.creditDeposit(ctx, q, actor, depositID, reason, "balance.deposit")
		return err
	})
	if err == nil && res.AlreadyPaid {
		return res, ErrDepositNotPending
	}
	return res, err
}

// CancelDeposit closes a pending deposit without payment.
func (s *Service) CancelDeposit(ctx context.Context, actor audit.Actor, depositID int64, reason string) (Deposit, error) {
	reason, err := CheckReason(reason, true)
	if err != nil {
		return Deposit{}, err
	}
	return s.closeDeposit(ctx, actor, depositID, DepositCancelled, "deposit.cancel", reason)
}

func (s *Service) closeDeposit(ctx context.Context, actor audit.Actor, depositID int64, status, action, reason string) (Deposit, error) {
	var out store.Deposit
	err := s.tx(ctx, func(q *store.Queries) error {
		before, err := q.GetDeposit(ctx, depositID)
		if db.IsNotFound(err) {
			return notFound("deposit", depositID)
		}
		if err != nil {
			return fmt.Errorf("get deposit: %w", err)
		}
		out, err = q.CloseDeposit(ctx, store.CloseDepositParams{ID: depositID, Status: status, At: s.now().UTC()})
		if db.IsNotFound(err) {
			return ErrDepositNotPending
		}
		if err != nil {
			return fmt.Errorf("close deposit: %w", err)
		}
		return audit.Record(ctx, q, actor, audit.Event{Action: action, EntityType: "account", EntityID: idStr(out.AccountID),
			Reason: reason, Before: depositAudit(before), After: depositAudit(out)})
	})
	if err != nil {
		return Deposit{}, err
	}
	return depositOf(out), nil
}

// ExpireDeposits marks pending deposits past their expiry as expired (at most
// limit of them per call) and returns how many. A background job runs it.
func (s *Service) ExpireDeposits(ctx context.Context, actor audit.Actor, limit int) (int, error) {
	n := 0
	err := s.tx(ctx, func(q *store.Queries) error {
		due, err := q.ListDueDeposits(ctx, store.ListDueDepositsParams{Now: s.now().UTC(), Lim: int32(clampLimit(limit))})
		if err != nil {
			return fmt.Errorf("list due deposits: %w", err)
		}
		for _, d := range due {
			out, err := q.CloseDeposit(ctx, store.CloseDepositParams{ID: d.ID, Status: DepositExpired, At: s.now().UTC()})
			if db.IsNotFound(err) {
				continue
			}
			if err != nil {
				return fmt.Errorf("expire deposit %d: %w", d.ID, err)
			}
			if err := audit.Record(ctx, q, actor, audit.Event{Action: "deposit.expire", EntityType: "account", EntityID: idStr(d.AccountID),
				Before: depositAudit(d), After: depositAudit(out)}); err != nil {
				return err
			}
			n++
		}
		return nil
	})
	return n, err
}

func clampLimit(n int) int {
	switch {
	case n <= 0:
		return 50
	case n > 1000:
		return 1000
	}
	return n
}
