package components

import (
	"net/url"
	"testing"
)

func TestFilterQuery(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		pairs []string
		want  string
	}{
		{nil, ""},
		{[]string{"q", "", "sort", ""}, ""},
		{[]string{"q", "a b", "sort", "name"}, "?q=a+b&sort=name"},
		{[]string{"q", "x", "cursor", "c1", "cursor", "c2"}, "?cursor=c2&q=x"}, // a later pair wins
		{[]string{"q", "x", "q", ""}, "?q=x"},                                  // an empty one does not clear
		{[]string{"odd"}, ""},
	} {
		if got := FilterQuery(tc.pairs...); got != tc.want {
			t.Errorf("FilterQuery(%q) = %q, want %q", tc.pairs, got, tc.want)
		}
	}
	if got := QueryOf(url.Values{"a": {"1"}}, "b", "2"); got != "?a=1&b=2" {
		t.Errorf("QueryOf = %q", got)
	}
}
