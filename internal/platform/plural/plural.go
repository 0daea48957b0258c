// Package plural says a count with the noun that agrees with it, for the
// text the services write (job titles, ledger reasons). Pages use
// components.Plural, which also groups thousands.
package plural

import "strconv"

// Of is n and its noun: "1 key", "3 keys", "0 keys".
func Of(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return strconv.Itoa(n) + " " + many
}
