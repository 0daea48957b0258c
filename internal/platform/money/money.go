// Package money converts between integer cents (how money is stored and
// computed) and decimal strings like "5.15" (how it crosses every API edge).
package money

import (
	"errors"
	"fmt"
	"math"
	"strings"
)

// Cents is an amount of USD cents.
type Cents int64

// ErrInvalid is returned for anything that is not a plain decimal amount.
var ErrInvalid = errors.New("amount must be a decimal number with at most 2 decimal places, like 5 or 5.15")

// maxWhole keeps whole*100+frac inside int64.
const maxWhole = math.MaxInt64/100 - 1

// Parse reads "5", "5.1", "5.15", "-3.00" (sign optional). No exponent, no
// thousands separators, no more than two decimals.
func Parse(s string) (Cents, error) {
	if s == "" || len(s) > 24 {
		return 0, ErrInvalid
	}
	neg := false
	switch s[0] {
	case '-':
		neg, s = true, s[1:]
	case '+':
		s = s[1:]
	}
	whole, frac, hasDot := strings.Cut(s, ".")
	if whole == "" || len(frac) > 2 || (hasDot && frac == "") {
		return 0, ErrInvalid
	}
	var w int64
	for _, r := range whole {
		if r < '0' || r > '9' {
			return 0, ErrInvalid
		}
		if w > maxWhole/10 {
			return 0, ErrInvalid
		}
		w = w*10 + int64(r-'0')
	}
	if w > maxWhole {
		return 0, ErrInvalid
	}
	var f int64
	for i := 0; i < 2; i++ {
		f *= 10
		if i < len(frac) {
			if frac[i] < '0' || frac[i] > '9' {
				return 0, ErrInvalid
			}
			f += int64(frac[i] - '0')
		}
	}
	c := w*100 + f
	if neg {
		c = -c
	}
	return Cents(c), nil
}

// String formats as "5.15" / "-0.05".
func (c Cents) String() string {
	sign := ""
	v := int64(c)
	if v < 0 {
		sign = "-"
		if v == math.MinInt64 {
			return "-92233720368547758.08"
		}
		v = -v
	}
	return fmt.Sprintf("%s%d.%02d", sign, v/100, v%100)
}
