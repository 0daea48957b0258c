package staff

import "testing"

func TestViewQueryDropsThePagePosition(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		in, want string
		ok       bool
	}{
		{"", "", true},
		{"?status=active&cursor=abc&q=x", "q=x&status=active", true},
		{"before=1&after=2&page=3&sort=name", "sort=name", true},
		{"q=&status=active", "status=active", true}, // an empty filter is no filter
		{"cols=key&cols=hwid", "cols=key&cols=hwid", true},
		{"%zz", "", false},
	} {
		got, ok := ViewQuery(tc.in)
		if got != tc.want || ok != tc.ok {
			t.Errorf("ViewQuery(%q) = %q, %v; want %q, %v", tc.in, got, ok, tc.want, tc.ok)
		}
	}
}
