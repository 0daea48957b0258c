package products

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"lumdesk/db/store"
	"lumdesk/internal/accounts"
	"lumdesk/internal/billing"
	"lumdesk/internal/platform/db"
	"lumdesk/internal/platform/ids"
)

// Batch is an asynchronous bulk purchase of the reseller API (api_batches):
// its items run in the process that holds the batch's lease, which renews
// it after every item; a batch whose lease ran out may be taken over.
type Batch struct {
	ID             string
	KeyID          int64
	AccountID      int64
	Kind           string
	Total          int
	IdempotencyKey string
	LeaseUntil     time.Time
	Status         string // running, done
	CreatedAt      time.Time
	FinishedAt     *time.Time
}

// BatchItem is one purchase of a batch; Status is pending, ok or failed.
type BatchItem struct {
	Idx    int
	Ref    string
	Input  json.RawMessage
	Status string
	Result json.RawMessage
}

// BatchItemInput is an item to store with a new batch.
type BatchItemInput struct {
	Ref   string
	Input json.RawMessage
}

// CreateBatch stores a running batch and its pending items in one
// transaction, leased to the caller for lease.
func (s *Service) CreateBatch(ctx context.Context, keyID, accountID int64, kind string, items []BatchItemInput, idemKey string, lease time.Duration) (string, error) {
	id := "bat_" + ids.Token(24)
	err := s.db.Tx(ctx, func(q *store.Queries) error {
		if err := q.InsertAPIBatch(ctx, store.InsertAPIBatchParams{ID: id, KeyID: keyID, AccountID: accountID, Kind: kind,
			Total: int32(len(items)), IdempotencyKey: idemKey, LeaseUntil: time.Now().Add(lease)}); err != nil {
			return fmt.Errorf("insert batch: %w", err)
		}
		for i, it := range items {
			if err := q.InsertAPIBatchItem(ctx, store.InsertAPIBatchItemParams{BatchID: id, Idx: int32(i), Ref: it.Ref, Input: it.Input}); err != nil {
				return fmt.Errorf("insert batch item %d: %w", i, err)
			}
		}
		return nil
	})
	if err != nil {
		return "", fmt.Errorf("create batch for account %d: %w", accountID, err)
	}
	return id, nil
}

// GetBatch is a batch within scope with its items; another account's batch
// is not found, as an unknown one.
func (s *Service) GetBatch(ctx context.Context, scope accounts.Scope, id string) (Batch, []BatchItem, error) {
	notFound := billing.NotFoundError{What: "batch", Ref: id}
	if len(id) > 64 {
		return Batch{}, nil, notFound
	}
	b, err := s.db.GetAPIBatch(ctx, id)
	if db.IsNotFound(err) || (err == nil && !scope.Allows(b.AccountID)) {
		return Batch{}, nil, notFound
	}
	if err != nil {
		return Batch{}, nil, fmt.Errorf("get batch %s: %w", id, err)
	}
	rows, err := s.db.ListAPIBatchItems(ctx, id)
	if err != nil {
		return Batch{}, nil, fmt.Errorf("list items of batch %s: %w", id, err)
	}
	items := make([]BatchItem, len(rows))
	for i, r := range rows {
		items[i] = BatchItem{Idx: int(r.Idx), Ref: r.Ref, Input: r.Input, Status: r.Status, Result: r.Result}
	}
	return Batch{ID: b.ID, KeyID: b.KeyID, AccountID: b.AccountID, Kind: b.Kind, Total: int(b.Total),
		IdempotencyKey: b.IdempotencyKey, LeaseUntil: b.LeaseUntil, Status: b.Status, CreatedAt: b.CreatedAt,
		FinishedAt: b.FinishedAt}, items, nil
}

// SetBatchItemResult stores one item's outcome and renews the lease.
func (s *Service) SetBatchItemResult(ctx context.Context, id string, idx int, status string, result json.RawMessage, lease time.Duration) error {
	if err := s.db.SetAPIBatchItemResult(ctx, store.SetAPIBatchItemResultParams{Status: status, Result: result, BatchID: id, Idx: int32(idx)}); err != nil {
		return fmt.Errorf("store item %d of batch %s: %w", idx, id, err)
	}
	if err := s.db.RenewAPIBatchLease(ctx, store.RenewAPIBatchLeaseParams{ID: id, LeaseUntil: time.Now().Add(lease)}); err != nil {
		return fmt.Errorf("renew lease of batch %s: %w", id, err)
	}
	return nil
}

// FinishBatch marks a batch done.
func (s *Service) FinishBatch(ctx context.Context, id string) error {
	if err := s.db.FinishAPIBatch(ctx, id); err != nil {
		return fmt.Errorf("finish batch %s: %w", id, err)
	}
	return nil
}

// LeaseBatch takes over a running batch whose lease ran out; won is false
// when another process holds it.
func (s *Service) LeaseBatch(ctx context.Context, id string, lease time.Duration) (won bool, err error) {
	n, err := s.db.LeaseAPIBatch(ctx, store.LeaseAPIBatchParams{ID: id, LeaseUntil: time.Now().Add(lease)})
	if err != nil {
		return false, fmt.Errorf("lease batch %s: %w", id, err)
	}
	return n == 1, nil
}

// StaleBatches lists running batches whose lease ran out (their runner
// stopped), oldest first, at most limit.
func (s *Service) StaleBatches(ctx context.Context, limit int) ([]string, error) {
	rows, err := s.db.ListStaleAPIBatches(ctx, int32(limit))
	if err != nil {
		return nil, fmt.Errorf("list stale batches: %w", err)
	}
	out := make([]string, len(rows))
	for i, b := range rows {
		out[i] = b.ID
	}
	return out, nil
}
