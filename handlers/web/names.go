package web

import (
	"context"
	"log/slog"
)

// AccountNames names accounts by id (accounts.Service.Names): the lists of
// other areas' objects show their owners by name.
type AccountNames func(ctx context.Context, ids []int64) (map[int64]string, error)

// Of maps ids to names. Without a lookup, or when it fails (logged), it
// gives none and the page shows ids: a name is a label, not worth failing
// a page over.
func (n AccountNames) Of(ctx context.Context, ids ...int64) map[int64]string {
	if n == nil || len(ids) == 0 {
		return nil
	}
	m, err := n(ctx, ids)
	if err != nil {
		slog.Warn("account names", "err", err)
		return nil
	}
	return m
}

// One is one account's name, "" when it is not at hand (the page shows the
// id), for a detail page.
func (n AccountNames) One(ctx context.Context, id int64) string { return n.Of(ctx, id)[id] }
