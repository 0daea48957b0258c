package components

import (
	"context"
	"strings"
	"testing"
)

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

// The header shows a count, or the request for one, and is left out when
// it has nothing to show; OnPage is every pager's summary.
func TestListHeaderCountAndOnPage(t *testing.T) {
	t.Parallel()
	render := func(b ListBar) string {
		var sb strings.Builder
		if err := ListHeader(b).Render(context.Background(), &sb); err != nil {
			t.Fatal(err)
		}
		return sb.String()
	}
	if got := render(ListBar{}); got != "" {
		t.Errorf("empty bar renders %q", got)
	}
	if got := render(ListBar{Count: Counted(10000, true, "key", "keys")}); !strings.Contains(got, ">10,000+ keys</p>") || strings.Contains(got, "hx-get") {
		t.Errorf("counted bar: %s", got)
	}
	got := render(ListBar{CountFrom: "/luarmor/keys?q=a&b=<c>"})
	for _, want := range []string{`id="result-count"`, `hx-get="/luarmor/keys?q=a&amp;b=&lt;c&gt;"`, `hx-trigger="load"`, "data-pending", "Counting…"} {
		if !strings.Contains(got, want) {
			t.Errorf("deferred bar lacks %s: %s", want, got)
		}
	}
	for n, want := range map[int]string{0: "0 keys on this page", 1: "1 key on this page", 1200: "1,200 keys on this page"} {
		if got := OnPage(n, "key", "keys"); got != want {
			t.Errorf("OnPage(%d) = %q, want %q", n, got, want)
		}
	}
}
