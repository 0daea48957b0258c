package billing

import (
	"context"
	"fmt"
	"time"

	"lumdesk/db/store"
	"lumdesk/internal/audit"
	"lumdesk/internal/platform/db"
	"lumdesk/internal/platform/ids"
	"lumdesk/internal/platform/money"
)

// Request kinds and statuses.
const (
	RequestTopUp      = "topup"
	RequestAdjustment = "adjustment"
	// RequestDeposit: a deposit marked paid by hand above the limit;
	// approving it credits the deposit (DepositID).
	RequestDeposit = "deposit"

	RequestPending  = "pending"
	RequestApplied  = "applied"
	RequestRejected = "rejected"
)

// AdjustmentRequest is a manual top-up or adjustment above the approval
// limit, waiting for (or decided by) a second finance user.
type AdjustmentRequest struct {
	ID             int64       `json:"id"`
	AccountID      int64       `json:"account_id"`
	Kind           string      `json:"kind"`                 // topup, adjustment or deposit
	DepositID      int64       `json:"deposit_id,omitempty"` // the deposit a "deposit" request credits
	Amount         money.Cents `json:"amount"`
	Reason         string      `json:"reason"`
	Status         string      `json:"status"`
	RequestedBy    int64       `json:"requested_by,omitempty"` // staff id; 0 from the CLI
	RequestedLabel string      `json:"requested_label"`
	DecidedBy      int64       `json:"decided_by,omitempty"`
	DecidedLabel   string      `json:"decided_label,omitempty"`
	DecidedAt      *time.Time  `json:"decided_at,omitempty"`
	DecisionReason string      `json:"decision_reason,omitempty"`
	LedgerEntryID  int64       `json:"ledger_entry_id,omitempty"`
	CreatedAt      time.Time   `json:"created_at"`

	AccountName  string `json:"account_name,omitempty"`
	AccountEmail string `json:"account_email,omitempty"`
}

func requestOf(r store.AdjustmentRequest) AdjustmentRequest {
	out := AdjustmentRequest{ID: r.ID, AccountID: r.AccountID, Kind: r.Kind, Amount: money.Cents(r.AmountCents), Reason: r.Reason,
		Status: r.Status, RequestedLabel: r.RequestedLabel, DecidedLabel: r.DecidedLabel, DecidedAt: utcPtr(r.DecidedAt),
		DecisionReason: r.DecisionReason, CreatedAt: r.CreatedAt.UTC()}
	if r.RequestedBy != nil {
		out.RequestedBy = *r.RequestedBy
	}
	if r.DecidedBy != nil {
		out.DecidedBy = *r.DecidedBy
	}
	if r.LedgerEntryID != nil {
		out.LedgerEntryID = *r.LedgerEntryID
	}
	if r.DepositID != nil {
		out.DepositID = *r.DepositID
	}
	return out
}

func requestAudit(r store.AdjustmentRequest) map[string]any {
	return map[string]any{"request": r.ID, "kind": r.Kind, "amount": money.Cents(r.AmountCents).String(), "status": r.Status}
}

// Outcome is what a manual top-up or adjustment did: either money moved
// (Entry, and Deposit for a top-up) or, above the approval limit, a request
// now waits for a second finance user (Request).
type Outcome struct {
	Entry   *LedgerEntry
	Deposit *Deposit
	Request *AdjustmentRequest
}

// Pending reports whether the outcome is a request waiting for approval.
func (o Outcome) Pending() bool { return o.Request != nil }

// ManualInput is a manual top-up or adjustment typed by finance (or given to the CLI).
type ManualInput struct {
	AccountID int64
	Amount    string // decimal USD; a top-up is positive, an adjustment either sign
	Reason    string // required
}

func (s *Service) manualInput(in ManualInput, signed bool) (money.Cents, string, error) {
	verr := ValidationError{}
	amount, err := ParseAmount("amount", in.Amount, signed)
	maps(verr, err)
	reason, err := CheckReason(in.Reason, true)
	maps(verr, err)
	if len(verr) > 0 {
		return 0, "", verr
	}
	return amount, reason, nil
}

// CheckManual validates a manual top-up (signed false) or adjustment
// without moving money: the console reads the amount back for confirmation.
func (s *Service) CheckManual(in ManualInput, signed bool) (money.Cents, error) {
	amount, _, err := s.manualInput(in, signed)
	return amount, err
}

// NeedsApproval reports whether a manual move of amount waits for a second user.
func (s *Service) NeedsApproval(amount money.Cents) bool {
	if amount < 0 {
		amount = -amount
	}
	return amount > s.limit
}

// ManualTopUp credits money received outside a provider (a bank transfer):
// a manual deposit, paid at once. Above the approval limit it creates a
// pending request instead and moves nothing.
func (s *Service) ManualTopUp(ctx context.Context, actor audit.Actor, in ManualInput) (Outcome, error) {
	amount, reason, err := s.manualInput(in, false)
	if err != nil {
		return Outcome{}, err
	}
	if s.NeedsApproval(amount) {
		return s.request(ctx, actor, in.AccountID, RequestTopUp, amount, reason)
	}
	var out Outcome
	err = s.tx(ctx, func(q *store.Queries) error {
		d, e, err := s.topUpTx(ctx, q, actor, in.AccountID, amount, reason, "balance.topup", nil)
		out = Outcome{Entry: &e, Deposit: &d}
		return err
	})
	if err != nil {
		return Outcome{}, err
	}
	return out, nil
}

// topUpTx records a manual deposit and credits it.
func (s *Service) topUpTx(ctx context.Context, q *store.Queries, actor audit.Actor, accountID int64, amount money.Cents, reason, action string,
	extra map[string]any) (Deposit, LedgerEntry, error) {
	if err := accountExists(ctx, q, accountID); err != nil {
		return Deposit{}, LedgerEntry{}, err
	}
	exp := s.now().UTC().Add(ManualDepositTTL)
	d, err := q.InsertDeposit(ctx, store.InsertDepositParams{PublicID: "dep_" + ids.Token(24), AccountID: accountID,
		AmountCents: int64(amount), Provider: ProviderManual, Note: reason, ExpiresAt: &exp, CreatedAt: s.now().UTC()})
	if err != nil {
		return Deposit{}, LedgerEntry{}, fmt.Errorf("insert deposit: %w", err)
	}
	if _, err := q.ClaimDepositPaid(ctx, store.ClaimDepositPaidParams{ID: d.ID, At: s.now().UTC()}); err != nil {
		return Deposit{}, LedgerEntry{}, fmt.Errorf("mark deposit paid: %w", err)
	}
	m := move{accountID: accountID, amount: amount, kind: KindDeposit, causeType: CauseDeposit, causeID: idStr(d.ID),
		reason: reason, action: action, extra: map[string]any{"deposit": d.PublicID, "provider": ProviderManual}}
	for k, v := range extra {
		m.extra[k] = v
	}
	e, err := s.apply(ctx, q, actor, m)
	if err != nil {
		return Deposit{}, LedgerEntry{}, err
	}
	paid, err := q.GetDeposit(ctx, d.ID)
	if err != nil {
		return Deposit{}, LedgerEntry{}, fmt.Errorf("get deposit: %w", err)
	}
	return depositOf(paid), e, nil
}

// Adjust corrects a balance by a signed amount (kind adjustment). Above the
// approval limit it creates a pending request instead and moves nothing.
func (s *Service) Adjust(ctx context.Context, actor audit.Actor, in ManualInput) (Outcome, error) {
	amount, reason, err := s.manualInput(in, true)
	if err != nil {
		return Outcome{}, err
	}
	if s.NeedsApproval(amount) {
		return s.request(ctx, actor, in.AccountID, RequestAdjustment, amount, reason)
	}
	var e LedgerEntry
	err = s.tx(ctx, func(q *store.Queries) error {
		var err error
		e, err = s.apply(ctx, q, actor, move{accountID: in.AccountID, amount: amount, kind: KindAdjustment, reason: reason, action: "balance.adjust"})
		return err
	})
	if err != nil {
		return Outcome{}, err
	}
	return Outcome{Entry: &e}, nil
}

func (s *Service) request(ctx context.Context, actor audit.Actor, accountID int64, kind string, amount money.Cents, reason string) (Outcome, error) {
	var r AdjustmentRequest
	err := s.tx(ctx, func(q *store.Queries) error {
		if err := accountExists(ctx, q, accountID); err != nil {
			return err
		}
		// A debit the balance cannot cover now is refused now, as one under
		// the limit is, rather than filed for an approval that cannot apply
		// it. Approval checks again: the balance may fall in between.
		if amount < 0 {
			bal, err := q.GetBalance(ctx, accountID)
			if err != nil && !db.IsNotFound(err) {
				return fmt.Errorf("get balance: %w", err)
			}
			if bal.BalanceCents+int64(amount) < 0 {
				return ErrInsufficientFunds
			}
		}
		var err error
		r, err = fileRequest(ctx, q, actor, store.InsertAdjustmentRequestParams{AccountID: accountID, Kind: kind, AmountCents: int64(amount), Reason: reason})
		return err
	})
	if err != nil {
		return Outcome{}, err
	}
	return Outcome{Request: &r}, nil
}

// fileRequest inserts a pending request, by actor, and audits it.
func fileRequest(ctx context.Context, q *store.Queries, actor audit.Actor, p store.InsertAdjustmentRequestParams) (AdjustmentRequest, error) {
	p.RequestedKind, p.RequestedLabel = actorKind(actor), actor.Label
	if id := actor.StaffID(); id != 0 {
		p.RequestedBy = &id
	}
	out, err := q.InsertAdjustmentRequest(ctx, p)
	if db.IsUniqueViolation(err, "adjustment_requests_deposit_pending") {
		return AdjustmentRequest{}, ErrDepositAwaitsApproval
	}
	if err != nil {
		return AdjustmentRequest{}, fmt.Errorf("insert adjustment request: %w", err)
	}
	after := requestAudit(out)
	if p.DepositID != nil {
		after["deposit"] = *p.DepositID
	}
	return requestOf(out), audit.Record(ctx, q, actor, audit.Event{Action: "balance.adjustment_request", EntityType: "account",
		EntityID: idStr(p.AccountID), Reason: p.Reason, After: after})
}

// decide locks a pending request and checks the second pair of eyes.
func decide(ctx context.Context, q *store.Queries, actor audit.Actor, id int64) (store.AdjustmentRequest, error) {
	r, err := q.LockAdjustmentRequest(ctx, id)
	if db.IsNotFound(err) {
		return r, notFound("adjustment request", id)
	}
	if err != nil {
		return r, fmt.Errorf("lock adjustment request: %w", err)
	}
	if r.Status != RequestPending {
		return r, ErrNotPending
	}
	staffID := actor.StaffID()
	if staffID == 0 {
		return r, ErrApproverNotStaff
	}
	if r.RequestedBy != nil && *r.RequestedBy == staffID {
		return r, ErrSameApprover
	}
	return r, nil
}

// Approve applies a pending request, once, as a different staff user than
// the one who made it. The money moves in the same transaction.
func (s *Service) Approve(ctx context.Context, actor audit.Actor, id int64, note string) (AdjustmentRequest, LedgerEntry, error) {
	note, err := CheckReason(note, false)
	if err != nil {
		return AdjustmentRequest{}, LedgerEntry{}, err
	}
	var out store.AdjustmentRequest
	var e LedgerEntry
	err = s.tx(ctx, func(q *store.Queries) error {
		r, err := decide(ctx, q, actor, id)
		if err != nil {
			return err
		}
		extra := map[string]any{"request": r.ID, "requested_by": r.RequestedLabel}
		reason := r.Reason
		if note != "" {
			extra["approval_note"] = note
		}
		switch r.Kind {
		case RequestTopUp:
			_, e, err = s.topUpTx(ctx, q, actor, r.AccountID, money.Cents(r.AmountCents), reason, "balance.adjustment_approve", extra)
		case RequestDeposit:
			// Paid meanwhile by its provider, cancelled or expired: nothing
			// to credit, and the request is for rejecting.
			var res PayResult
			res, err = s.creditDeposit(ctx, q, actor, *r.DepositID, reason, "balance.adjustment_approve")
			if err == nil && res.AlreadyPaid {
				err = ErrDepositNotPending
			}
			e = res.Entry
		default:
			e, err = s.apply(ctx, q, actor, move{accountID: r.AccountID, amount: money.Cents(r.AmountCents), kind: KindAdjustment,
				causeType: CauseAdjustmentRequest, causeID: idStr(r.ID), reason: reason, action: "balance.adjustment_approve", extra: extra})
		}
		if err != nil {
			return err
		}
		staffID := actor.StaffID()
		out, err = q.DecideAdjustmentRequest(ctx, store.DecideAdjustmentRequestParams{ID: r.ID, Status: RequestApplied,
			DecidedBy: &staffID, DecidedLabel: actor.Label, DecisionReason: note, LedgerEntryID: &e.ID})
		if db.IsNotFound(err) {
			return ErrNotPending
		}
		if err != nil {
			return fmt.Errorf("decide adjustment request: %w", err)
		}
		return nil
	})
	if err != nil {
		return AdjustmentRequest{}, LedgerEntry{}, err
	}
	return requestOf(out), e, nil
}

// Reject closes a pending request without moving money; the reason is required.
func (s *Service) Reject(ctx context.Context, actor audit.Actor, id int64, reason string) (AdjustmentRequest, error) {
	reason, err := CheckReason(reason, true)
	if err != nil {
		return AdjustmentRequest{}, err
	}
	var out store.AdjustmentRequest
	err = s.tx(ctx, func(q *store.Queries) error {
		r, err := decide(ctx, q, actor, id)
		if err != nil {
			return err
		}
		staffID := actor.StaffID()
		out, err = q.DecideAdjustmentRequest(ctx, store.DecideAdjustmentRequestParams{ID: r.ID, Status: RequestRejected,
			DecidedBy: &staffID, DecidedLabel: actor.Label, DecisionReason: reason})
		if err != nil {
			return fmt.Errorf("decide adjustment request: %w", err)
		}
		return audit.Record(ctx, q, actor, audit.Event{Action: "balance.adjustment_reject", EntityType: "account",
			EntityID: idStr(r.AccountID), Reason: reason, Before: requestAudit(r), After: requestAudit(out)})
	})
	if err != nil {
		return AdjustmentRequest{}, err
	}
	return requestOf(out), nil
}

// Request loads one request with its account's name.
func (s *Service) Request(ctx context.Context, id int64) (AdjustmentRequest, error) {
	r, err := s.db.GetAdjustmentRequestView(ctx, id)
	if db.IsNotFound(err) {
		return AdjustmentRequest{}, notFound("adjustment request", id)
	}
	if err != nil {
		return AdjustmentRequest{}, fmt.Errorf("get adjustment request: %w", err)
	}
	out := requestOf(r.AdjustmentRequest)
	out.AccountName, out.AccountEmail = r.AccountName, r.AccountEmail
	return out, nil
}

// PendingRequests lists the approval queue, oldest first (after: the last id
// of the previous page, 0 for the start).
func (s *Service) PendingRequests(ctx context.Context, after int64, limit int) ([]AdjustmentRequest, error) {
	p := store.ListPendingAdjustmentRequestsParams{Lim: int32(clampLimit(limit))}
	if after > 0 {
		p.AfterID = &after
	}
	rows, err := s.db.ListPendingAdjustmentRequests(ctx, p)
	if err != nil {
		return nil, fmt.Errorf("list pending requests: %w", err)
	}
	out := make([]AdjustmentRequest, len(rows))
	for i, r := range rows {
		out[i] = requestOf(r.AdjustmentRequest)
		out[i].AccountName, out[i].AccountEmail = r.AccountName, r.AccountEmail
	}
	return out, nil
}

// DecidedRequests lists the most recently decided requests.
func (s *Service) DecidedRequests(ctx context.Context, limit int) ([]AdjustmentRequest, error) {
	rows, err := s.db.ListDecidedAdjustmentRequests(ctx, int32(clampLimit(limit)))
	if err != nil {
		return nil, fmt.Errorf("list decided requests: %w", err)
	}
	out := make([]AdjustmentRequest, len(rows))
	for i, r := range rows {
		out[i] = requestOf(r.AdjustmentRequest)
		out[i].AccountName, out[i].AccountEmail = r.AccountName, r.AccountEmail
	}
	return out, nil
}

// AccountRequests lists an account's requests, newest first.
func (s *Service) AccountRequests(ctx context.Context, accountID int64, limit int) ([]AdjustmentRequest, error) {
	rows, err := s.db.ListAccountAdjustmentRequests(ctx, store.ListAccountAdjustmentRequestsParams{AccountID: accountID, Lim: int32(clampLimit(limit))})
	if err != nil {
		return nil, fmt.Errorf("list account requests: %w", err)
	}
	out := make([]AdjustmentRequest, len(rows))
	for i, r := range rows {
		out[i] = requestOf(r)
	}
	return out, nil
}

// PendingCount is the length of the approval queue.
func (s *Service) PendingCount(ctx context.Context) (int64, error) {
	n, err := s.db.CountPendingAdjustmentRequests(ctx)
	if err != nil {
		return 0, fmt.Errorf("count pending requests: %w", err)
	}
	return n, nil
}
