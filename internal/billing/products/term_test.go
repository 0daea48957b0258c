package products

import "testing"

// Ledger reasons say a term in proper English, not "1 month(s)".
func TestTermText(t *testing.T) {
	for got, want := range map[string]string{
		monthsText(1): "1 month", monthsText(3): "3 months", monthsText(12): "12 months",
		yearsText(1): "1 year", yearsText(2): "2 years",
	} {
		if got != want {
			t.Errorf("got %q, want %q", got, want)
		}
	}
}
