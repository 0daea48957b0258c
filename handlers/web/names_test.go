package web

import (
	"context"
	"errors"
	"testing"
)

// A list names its accounts when it can, and shows ids when it cannot.
func TestAccountNamesOf(t *testing.T) {
	ctx := context.Background()
	var none AccountNames
	if m := none.Of(ctx, 1); m != nil {
		t.Errorf("no lookup: %v", m)
	}
	calls := 0
	ok := AccountNames(func(_ context.Context, ids []int64) (map[int64]string, error) {
		calls++
		return map[int64]string{ids[0]: "Nightfall"}, nil
	})
	if m := ok.Of(ctx); m != nil || calls != 0 {
		t.Errorf("no ids: %v, %d lookups", m, calls)
	}
	if m := ok.Of(ctx, 7); m[7] != "Nightfall" {
		t.Errorf("lookup: %v", m)
	}
	failing := AccountNames(func(context.Context, []int64) (map[int64]string, error) { return nil, errors.New("down") })
	if m := failing.Of(ctx, 7); m != nil {
		t.Errorf("failed lookup: %v", m)
	}
	// One account, for a detail page: its name, or "" (the page shows the id).
	if got := ok.One(ctx, 7); got != "Nightfall" {
		t.Errorf("One: %q", got)
	}
	if got, got2 := failing.One(ctx, 7), none.One(ctx, 7); got != "" || got2 != "" {
		t.Errorf("One without a name: %q %q", got, got2)
	}
}
