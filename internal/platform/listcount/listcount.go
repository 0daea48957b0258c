// Package listcount is how a console list says how many results it has
// without counting a large table: a count query reads at most Cap+1 rows of
// the filtered list (SELECT count(*) FROM (SELECT 1 ... LIMIT cap+1)), so a
// list of a million keys costs 10,001 rows and reads "10,000+".
package listcount

import "context"

// Cap is how far lists count exactly.
const Cap = 10000

// SearchCap is how far a list filtered by a text search counts: the
// matches of a common word are read one by one from the search index, and
// at a million keys counting 10,000 of them cost ten times the page
// itself. "1,000+ keys" says as much to someone refining a search.
const SearchCap = 1000

// Count is a list's number of results: N exactly, or at least N when More.
type Count struct {
	N    int64
	More bool
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
