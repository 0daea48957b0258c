package billing

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
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
	ProviderCryptoBot     = "cryptobot" // Crypto Pay (@CryptoBot), the spec's provider
	ProviderManual        = "manual"
)

// Providers lists the deposit providers.
var Providers = []string{ProviderSandboxCrypto, ProviderCryptoBot, ProviderManual}

// DepositProviders are the providers a deposit may use now. While Crypto
// Pay takes real payments the sandbox is left out: a sandbox deposit is
// paid by the server's own signed webhook, so beside real money one person
// could credit any amount past the approval limit.
func (s *Service) DepositProviders() []string {
	if s.cryptopay.Sandbox() {
		return Providers
	}
	return Providers[1:] // ProviderSandboxCrypto is first
}

// ProviderLabel is how the dashboard names a provider.
func ProviderLabel(p string) string {
	switch p {
	case ProviderSandboxCrypto:
		return "Sandbox crypto"
	case ProviderCryptoBot:
		return "Crypto Pay"
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

// Sandbox reports whether the deposit goes through a sandbox provider: the
// sandbox itself, or Crypto Pay run without a token (its invoices are "sbx_…").
func (d Deposit) Sandbox() bool {
	return d.Provider == ProviderSandboxCrypto || (d.Provider == ProviderCryptoBot && strings.HasPrefix(d.ProviderRef, sandboxRefPrefix))
}

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
	Provider  string // ProviderSandboxCrypto, ProviderCryptoBot or ProviderManual
	Note      string // optional
	// IdempotencyKey (optional, at most 200 characters) ties the deposit to
	// a client's request: a repeat returns the same deposit and opens no
	// second invoice, even after a crash between our row and the provider.
	IdempotencyKey string
}

// provider is the adapter of a deposit provider; nil for manual deposits.
func (s *Service) provider(id string) Provider {
	switch id {
	case ProviderSandboxCrypto:
		return s.sandbox
	case ProviderCryptoBot:
		return s.cryptopay
	}
	return nil
}

// CreateDeposit opens a pending invoice with the provider. No money moves
// until it is paid. The row is written first, with the idempotency key, then
// the provider is asked for the invoice, then its reference is stored: a
// retry after a crash anywhere finds the row and only asks the provider if
// no invoice was stored yet. The context's commit hook runs in the
// transaction that completes the deposit.
func (s *Service) CreateDeposit(ctx context.Context, actor audit.Actor, in DepositInput) (Deposit, error) {
	verr := ValidationError{}
	amount, err := ParseAmount("amount", in.Amount, false)
	if err != nil {
		maps(verr, err)
	}
	switch {
	case !slices.Contains(Providers, in.Provider):
		verr["provider"] = "Choose a provider: sandbox_crypto, cryptobot or manual."
	case !slices.Contains(s.DepositProviders(), in.Provider):
		verr["provider"] = "The sandbox provider is off while Crypto Pay takes real payments."
	}
	note, err := CheckReason(in.Note, false)
	if err != nil {
		verr["note"] = err.(ValidationError)["reason"]
	}
	if len(in.IdempotencyKey) > 200 {
		verr["idempotency_key"] = "The idempotency key has at most 200 characters."
	}
	if len(verr) > 0 {
		return Deposit{}, verr
	}
	if in.IdempotencyKey != "" {
		if d, found, err := s.depositReplay(ctx, actor, in, amount); found || err != nil {
			return d, err
		}
	}
	prov := s.provider(in.Provider)
	var row store.Deposit
	err = s.tx(ctx, func(q *store.Queries) error {
		if err := accountExists(ctx, q, in.AccountID); err != nil {
			return err
		}
		// Until the provider's invoice is stored the row expires on its own,
		// so an invoice that never came does not stay pending forever.
		exp := s.now().UTC().Add(ManualDepositTTL)
		if prov != nil {
			exp = s.now().UTC().Add(CryptoPayInvoiceTTL)
		}
		p := store.InsertDepositParams{PublicID: "dep_" + ids.Token(24), AccountID: in.AccountID, AmountCents: int64(amount),
			Provider: in.Provider, Note: note, CreatedAt: s.now().UTC(), ExpiresAt: &exp}
		if in.IdempotencyKey != "" {
			p.IdempotencyKey = &in.IdempotencyKey
		}
		var err error
		row, err = q.InsertDeposit(ctx, p)
		if db.IsUniqueViolation(err, "deposits_idem") {
			return errDepositReplay
		}
		if err != nil {
			return fmt.Errorf("insert deposit: %w", err)
		}
		if err := audit.Record(ctx, q, actor, audit.Event{Action: "deposit.create", EntityType: "account", EntityID: idStr(in.AccountID),
			Reason: note, After: depositAudit(row)}); err != nil {
			return err
		}
		if prov == nil {
			return runCommitHook(ctx, q)
		}
		return nil
	})
	if errors.Is(err, errDepositReplay) {
		d, _, err := s.depositReplay(ctx, actor, in, amount)
		return d, err
	}
	if err != nil {
		return Deposit{}, err
	}
	if prov == nil {
		return depositOf(row), nil
	}
	return s.openInvoice(ctx, actor, prov, row)
}

var errDepositReplay = errors.New("deposit replay")

// depositReplay finds the deposit of in.IdempotencyKey (found false: none)
// and opens its invoice if a crash left it without one.
func (s *Service) depositReplay(ctx context.Context, actor audit.Actor, in DepositInput, amount money.Cents) (Deposit, bool, error) {
	r, err := s.db.GetDepositByIdempotencyKey(ctx, store.GetDepositByIdempotencyKeyParams{AccountID: in.AccountID, IdempotencyKey: &in.IdempotencyKey})
	if db.IsNotFound(err) {
		return Deposit{}, false, nil
	}
	if err != nil {
		return Deposit{}, false, fmt.Errorf("find deposit by idempotency key: %w", err)
	}
	if money.Cents(r.AmountCents) != amount || r.Provider != in.Provider {
		return Deposit{}, true, ErrIdempotencyMismatch
	}
	if prov := s.provider(r.Provider); prov != nil && r.ProviderRef == nil && r.Status == DepositPending {
		d, err := s.openInvoice(ctx, actor, prov, r)
		return d, true, err
	}
	return depositOf(r), true, nil
}

// openInvoice asks the provider for the invoice of a deposit that has none
// and stores it. A provider failure leaves the deposit pending without an
// invoice (it expires on its own) and is ErrProviderUnavailable.
func (s *Service) openInvoice(ctx context.Context, actor audit.Actor, prov Provider, row store.Deposit) (Deposit, error) {
	inv, err := prov.NewInvoice(ctx, row.PublicID, money.Cents(row.AmountCents))
	if err != nil {
		if !errors.Is(err, ErrProviderUnavailable) {
			err = fmt.Errorf("%w: %w", ErrProviderUnavailable, err)
		}
		return depositOf(row), fmt.Errorf("open %s invoice for deposit %s: %w", prov.ID(), row.PublicID, err)
	}
	var out store.Deposit
	err = s.tx(ctx, func(q *store.Queries) error {
		var err error
		out, err = q.SetDepositInvoice(ctx, store.SetDepositInvoiceParams{ID: row.ID, ProviderRef: inv.Ref, PayUrl: inv.PayURL, ExpiresAt: inv.ExpiresAt})
		if db.IsNotFound(err) {
			// Stored by a concurrent retry: keep that one.
			if out, err = q.GetDeposit(ctx, row.ID); err != nil {
				return fmt.Errorf("get deposit %s: %w", row.PublicID, err)
			}
			return runCommitHook(ctx, q)
		}
		if err != nil {
			return fmt.Errorf("store invoice of deposit %s: %w", row.PublicID, err)
		}
		if err := audit.Record(ctx, q, actor, audit.Event{Action: "deposit.invoice", EntityType: "account", EntityID: idStr(row.AccountID),
			After: map[string]any{"deposit": row.PublicID, "provider": row.Provider, "provider_ref": inv.Ref}}); err != nil {
			return err
		}
		return runCommitHook(ctx, q)
	})
	if err != nil {
		return depositOf(row), err
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
	// Request: marked paid above the approval limit, the deposit waits for
	// a second finance user (Entry is empty, nothing moved).
	Request *AdjustmentRequest
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
// arrived, a provider's webhook was lost). The reason is required. Above
// the approval limit it files a request for a second finance user instead
// (PayResult.Request) and the deposit stays pending: otherwise one person
// could open a manual deposit of any amount and credit it.
func (s *Service) MarkDepositPaid(ctx context.Context, actor audit.Actor, depositID int64, reason string) (PayResult, error) {
	reason, err := CheckReason(reason, true)
	if err != nil {
		return PayResult{}, err
	}
	var res PayResult
	err = s.tx(ctx, func(q *store.Queries) error {
		d, err := q.GetDeposit(ctx, depositID)
		if db.IsNotFound(err) {
			return notFound("deposit", depositID)
		}
		if err != nil {
			return fmt.Errorf("get deposit: %w", err)
		}
		expired := d.ExpiresAt != nil && !s.now().Before(*d.ExpiresAt)
		if d.Status == DepositPending && !expired && s.NeedsApproval(money.Cents(d.AmountCents)) {
			r, err := fileRequest(ctx, q, actor, store.InsertAdjustmentRequestParams{AccountID: d.AccountID, Kind: RequestDeposit,
				AmountCents: d.AmountCents, Reason: reason, DepositID: &d.ID})
			res = PayResult{Deposit: depositOf(d), Request: &r}
			return err
		}
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
