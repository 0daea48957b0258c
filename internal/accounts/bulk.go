package accounts

import (
	"context"
	"fmt"
	"time"

	"lumdesk/db/store"
	"lumdesk/internal/audit"
)

// BulkAccount is one account of a bulk load: a full row, as a synthetic
// data set describes it. Bulk loads are for `lumdesk seed --scale` only:
// they skip the rules (validation, the email check) and are audited once
// per call, not per account. Real accounts go through Create.
type BulkAccount struct {
	Name            string
	Email           string // must be unique (the COPY fails on a taken one)
	DiscordID       string
	Note            string
	Suspended       bool
	SuspendedReason string
	CreatedAt       time.Time
}

// BulkLoad writes accounts with COPY and returns how many.
func (s *Service) BulkLoad(ctx context.Context, actor audit.Actor, accs []BulkAccount) (int64, error) {
	rows := make([]store.CopyAccountsParams, len(accs))
	for i, a := range accs {
		status := StatusActive
		if a.Suspended {
			status = StatusSuspended
		}
		rows[i] = store.CopyAccountsParams{Name: a.Name, Email: a.Email, DiscordID: a.DiscordID, Note: a.Note,
			Status: status, SuspendedReason: a.SuspendedReason, CreatedAt: a.CreatedAt}
	}
	var n int64
	err := s.db.Tx(ctx, func(q *store.Queries) error {
		var err error
		if n, err = q.CopyAccounts(ctx, rows); err != nil {
			return fmt.Errorf("bulk load accounts: %w", err)
		}
		return audit.Record(ctx, q, actor, audit.Event{Action: "account.bulk_load", EntityType: "account",
			After: map[string]any{"accounts": n}})
	})
	return n, err
}

// Vacuum vacuums and analyzes the accounts after a bulk load: counts then
// read the indexes alone, and the planner knows the new rows.
func (s *Service) Vacuum(ctx context.Context) error { return s.db.VacuumAccounts(ctx) }

// NewestIDs returns the ids of up to n newest accounts, newest first.
func (s *Service) NewestIDs(ctx context.Context, n int) ([]int64, error) {
	return s.db.NewestAccountIDs(ctx, int32(n))
}
