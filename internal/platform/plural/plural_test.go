package plural

import "testing"

// Ledger reasons and job titles say a term in proper English, not "1 month(s)".
func TestOf(t *testing.T) {
	for _, c := range []struct {
		n    int
		want string
	}{{1, "1 month"}, {3, "3 months"}, {12, "12 months"}, {0, "0 months"}} {
		if got := Of(c.n, "month", "months"); got != c.want {
			t.Errorf("Of(%d) = %q, want %q", c.n, got, c.want)
		}
	}
}
