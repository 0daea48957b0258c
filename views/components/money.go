package components

import (
	"strings"

	"lumdesk/internal/platform/money"
)

// Money is the one way the console shows an amount to a person: dollar sign,
// thousands separators, two decimals ("$1,063.60", "-$12.50", "$0.00").
// CSV exports, API bodies and form input values keep money.Cents.String()
// ("1063.60"), because machines and the amount parser read those.
func Money(c money.Cents) string {
	plain := c.String() // "-1063.60"; safe for MinInt64
	neg := strings.HasPrefix(plain, "-")
	plain = strings.TrimPrefix(plain, "-")
	whole, frac, _ := strings.Cut(plain, ".")
	var b strings.Builder
	if neg {
		b.WriteByte('-')
	}
	b.WriteByte('$')
	for i, r := range whole {
		if i > 0 && (len(whole)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(r)
	}
	b.WriteByte('.')
	b.WriteString(frac)
	return b.String()
}

// MoneyTile is Money for a stat tile: from a million dollars on, in
// millions ("$14.8M", "-$2.1M"), where the whole amount would overflow the
// tile; the page the tile links to shows it whole.
func MoneyTile(c money.Cents) string {
	if c > -100_000_000 && c < 100_000_000 {
		return Money(c)
	}
	dollars := int64(c) / 100
	if dollars < 0 {
		return "-$" + Compact(-dollars)
	}
	return "$" + Compact(dollars)
}
