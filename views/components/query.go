package components

import "net/url"

// FilterQuery is the URL query ("?a=1&b=2", or "" when empty) of key/value
// pairs: a list's filters, then extra pairs (a cursor, another sort). Empty
// values are left out; a later pair replaces an earlier one of the same key.
func FilterQuery(pairs ...string) string { return QueryOf(url.Values{}, pairs...) }

// QueryOf is FilterQuery over values already collected.
func QueryOf(v url.Values, pairs ...string) string {
	for i := 0; i+1 < len(pairs); i += 2 {
		if pairs[i+1] != "" {
			v.Set(pairs[i], pairs[i+1])
		}
	}
	if len(v) == 0 {
		return ""
	}
	return "?" + v.Encode()
}
