package components

import "testing"

func TestChipHrefDropsOneFilterAndThePagePosition(t *testing.T) {
	t.Parallel()
	b := ListBar{
		Base:  "/accounts",
		Query: "?cursor=abc&from=2026-01-01&q=ann+b&sort=name&status=active",
		Filters: []ActiveFilter{
			{Param: "q", Label: "Search", Value: "ann b"},
			{Param: "status", Label: "Status", Value: "Active"},
			{Param: "from", Label: "Created from", Value: "2026-01-01"},
		},
	}
	for _, tc := range []struct {
		f    ActiveFilter
		want string
	}{
		{b.Filters[0], "/accounts?from=2026-01-01&sort=name&status=active"},
		{b.Filters[1], "/accounts?from=2026-01-01&q=ann+b&sort=name"},
		{b.Filters[2], "/accounts?q=ann+b&sort=name&status=active"},
	} {
		if got := b.ChipHref(tc.f); got != tc.want {
			t.Errorf("ChipHref(%s) = %q, want %q", tc.f.Param, got, tc.want)
		}
	}
	// Clear all keeps the sort, drops every filter and the cursor.
	if got := b.ClearHref(); got != "/accounts?sort=name" {
		t.Errorf("ClearHref = %q", got)
	}
	// The last filter leaves the bare list.
	one := ListBar{Base: "/lumi/ledger", Query: "?kind=deposit", Filters: Filter("kind", "Kind", "Deposit")}
	if got := one.ChipHref(one.Filters[0]); got != "/lumi/ledger" {
		t.Errorf("ChipHref of the only filter = %q", got)
	}
	// A repeated parameter (cols=a&cols=b) survives another filter's removal.
	rep := ListBar{Base: "/luarmor/keys", Query: "?cols=key&cols=hwid&status=active"}
	if got := WithoutFilters(rep.Base, rep.Query, "status"); got != "/luarmor/keys?cols=key&cols=hwid" {
		t.Errorf("WithoutFilters kept %q", got)
	}
}

func TestResultCountText(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		c    ResultCount
		want string
	}{
		{ResultCount{N: 0, One: "key", Many: "keys"}, "0 keys"},
		{ResultCount{N: 1, One: "key", Many: "keys"}, "1 key"},
		{ResultCount{N: 1234, One: "key", Many: "keys"}, "1,234 keys"},
		{ResultCount{N: 10000, More: true, One: "key", Many: "keys"}, "10,000+ keys"},
	} {
		if got := tc.c.Text(); got != tc.want {
			t.Errorf("%+v: %q, want %q", tc.c, got, tc.want)
		}
	}
}
