// Package listcount is how a console list says how many results it has
// without counting a large table: a count query reads at most Cap+1 rows of
// the filtered list (SELECT count(*) FROM (SELECT 1 ... LIMIT cap+1)), so a
// list of a million keys costs 10,001 rows and reads "10,000+".
package listcount

import "context"

// Cap is how far lists count exactly.
const Cap = 10000

// SearchCap is how far a list filtered by a text search counts: the
// matches of a common word are read one by one from the search index. At a
// million keys counting 1,000 of them took 30-190 ms, two to five times the
// page itself; 200 take 6-33 ms. "200+ keys" says as much to someone
// refining a search.
const SearchCap = 200

// Count is a list's number of results: N exactly, or at least N when More.
type Count struct {
	N    int64
	More bool
}

// Limit is how far a list counts: limitTo (Cap when below 1), and at most
// SearchCap when the list is filtered by a text search.
func Limit(limitTo int, searching bool) int {
	if limitTo < 1 {
		limitTo = Cap
	}
	if searching {
		return min(limitTo, SearchCap)
	}
	return limitTo
}

// OfPage is the count a page already gives, without a query: a page with
// nothing before or after it holds every match. ok is false otherwise.
func OfPage(rows int, hasPrev, hasNext bool) (c Count, ok bool) {
	if hasPrev || hasNext {
		return Count{}, false
	}
	return Count{N: int64(rows)}, true
}

// Run counts with query, which returns the number of matching rows up to
// limit (cap+1). A cap below 1 is Cap.
func Run(ctx context.Context, limitTo int, query func(ctx context.Context, limit int32) (int64, error)) (Count, error) {
	if limitTo < 1 {
		limitTo = Cap
	}
	n, err := query(ctx, int32(limitTo)+1)
	if err != nil {
		return Count{}, err
	}
	if n > int64(limitTo) {
		return Count{N: int64(limitTo), More: true}, nil
	}
	return Count{N: n}, nil
}
