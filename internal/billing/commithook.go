package billing

import (
	"context"

	"lumdesk/db/store"
)

// CommitHook runs inside the transaction that commits a money operation
// (a debit, a deposit's invoice), before it commits: what it writes commits
// with the money or not at all. The Lumi API uses it to record its
// Idempotency-Key as applied (internal/apikeys.Claim.Applied), so a process
// killed after the commit still leaves the key's record behind.
type CommitHook func(ctx context.Context, q *store.Queries) error

type commitHookKey struct{}

// WithCommitHook returns ctx carrying h; every money operation run with the
// context calls it in its transaction (so h must be safe to run more than
// once, as for a bulk request's items).
func WithCommitHook(ctx context.Context, h CommitHook) context.Context {
	return context.WithValue(ctx, commitHookKey{}, h)
}

// runCommitHook calls the context's hook, if any, in transaction q.
func runCommitHook(ctx context.Context, q *store.Queries) error {
	if h, ok := ctx.Value(commitHookKey{}).(CommitHook); ok && h != nil {
		return h(ctx, q)
	}
	return nil
}
