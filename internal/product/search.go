package product

import (
	"context"
	"strings"
)

// SearchKind is one kind of thing the palette finds: its results form one
// group, shown only to staff holding Permission.
type SearchKind struct {
	Name       string // "license_key"
	Label      string // the group's title ("License keys")
	Permission string // needed to see its results
	Icon       string // components.Icon name
	// List is the kind's list page searching for the query ("/luarmor/keys?q="
	// then the query): where the palette sends people when partial matches
	// ran out of time. Empty: the kind has no such list.
	List string
}

// SearchCandidates bounds the matches a searcher's partial search reads
// before the console ranks them and keeps the best of each kind.
const SearchCandidates = 50

// SearchHit is one result of a kind.
type SearchHit struct {
	Title    string
	Subtitle string
	Href     string
	Meta     string
	// Rank orders hits within a kind: RankExact, RankPrefix, RankContains.
	Rank int
}

// Ranks of a hit: what the query matched.
const (
	RankExact = iota
	RankPrefix
	RankContains
)

// Searcher finds up to limit hits of one kind for q. q is trimmed, valid
// UTF-8 without control characters, at most 100 characters; Contains says
// whether partial matches are wanted (three or more characters, below which a
// trigram index cannot answer).
//
// ctx carries the palette's time budget: a searcher that runs out of it
// returns the hits found so far (its exact lookups) with ctx's error, and
// the palette shows them with a link to the kind's list.
type Searcher func(ctx context.Context, q Query, limit int) ([]SearchHit, error)

// Query is the cleaned search text.
type Query struct {
	Text     string
	Contains bool
}

// Rank says how well q matches the best of fields (case-insensitive).
func Rank(q string, fields ...string) int {
	best := RankContains
	lq := strings.ToLower(q)
	for _, f := range fields {
		lf := strings.ToLower(f)
		switch {
		case lf == lq:
			return RankExact
		case strings.HasPrefix(lf, lq):
			best = RankPrefix
		}
	}
	return best
}

// SearchKindsOf lists every product's search kinds in console order.
func SearchKindsOf() []SearchKind {
	var out []SearchKind
	for _, p := range all {
		out = append(out, p.SearchKinds...)
	}
	return out
}
