package listcount

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

func TestRunCapsTheCount(t *testing.T) {
	rows := int64(7)
	query := func(_ context.Context, limit int32) (int64, error) { return min(rows, int64(limit)), nil }
	for _, tc := range []struct {
		cap  int
		want Count
	}{{10, Count{N: 7}}, {7, Count{N: 7}}, {6, Count{N: 6, More: true}}, {0, Count{N: 7}}} {
		if got, err := Run(context.Background(), tc.cap, query); err != nil || got != tc.want {
			t.Errorf("cap %d: %+v, %v; want %+v", tc.cap, got, err, tc.want)
		}
	}
}

var marker = regexp.MustCompile(`(?m)^-- count of: (\w+)$`)

// TestCountsFilterAsTheirLists: sqlc cannot share SQL between queries, so a
// count query ("-- count of: ListX") repeats its list's WHERE clause; this
// holds the copy to the list, word for word.
func TestCountsFilterAsTheirLists(t *testing.T) {
	files, err := filepath.Glob("../../../db/queries/*.sql")
	if err != nil || len(files) == 0 {
		t.Fatalf("no query files: %v", err)
	}
	queries := map[string]string{}
	var counts []string
	for _, file := range files {
		b, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		for _, q := range strings.Split(string(b), "-- name: ")[1:] {
			name, _, _ := strings.Cut(q, " ")
			queries[name] = q
			if marker.MatchString(q) {
				counts = append(counts, name)
			}
		}
	}
	if len(counts) < 2 {
		t.Fatalf("found %d count queries", len(counts))
	}
	for _, name := range counts {
		list := marker.FindStringSubmatch(queries[name])[1]
		if queries[list] == "" {
			t.Errorf("%s counts %s, which does not exist", name, list)
			continue
		}
		if got, want := where(queries[name]), where(queries[list]); got == "" || got != want {
			t.Errorf("%s filters differently from %s:\n%s\nwant\n%s", name, list, got, want)
		}
	}
}

// where is a query's WHERE clause up to its ORDER BY, OFFSET or LIMIT.
func where(q string) string {
	_, w, ok := strings.Cut(q, "\nWHERE ")
	if !ok {
		return ""
	}
	var out []string
	for _, l := range strings.Split(w, "\n") {
		if strings.HasPrefix(l, "ORDER BY") || strings.HasPrefix(l, "OFFSET") || strings.HasPrefix(l, "LIMIT") || strings.HasPrefix(l, "GROUP BY") {
			break
		}
		out = append(out, l)
	}
	return strings.Join(out, "\n")
}

func TestOfPageIsTheCountOnlyOfAWholeList(t *testing.T) {
	for _, tc := range []struct {
		prev, next bool
		want       Count
		ok         bool
	}{{false, false, Count{N: 7}, true}, {true, false, Count{}, false}, {false, true, Count{}, false}, {true, true, Count{}, false}} {
		if got, ok := OfPage(7, tc.prev, tc.next); got != tc.want || ok != tc.ok {
			t.Errorf("OfPage(7, prev %v, next %v) = %+v, %v; want %+v, %v", tc.prev, tc.next, got, ok, tc.want, tc.ok)
		}
	}
}

func TestLimitCapsSearches(t *testing.T) {
	for _, tc := range []struct {
		limitTo   int
		searching bool
		want      int
	}{{0, false, Cap}, {0, true, SearchCap}, {50, true, 50}, {Cap, true, SearchCap}, {Cap + 5, false, Cap + 5}} {
		if got := Limit(tc.limitTo, tc.searching); got != tc.want {
			t.Errorf("Limit(%d, %v) = %d, want %d", tc.limitTo, tc.searching, got, tc.want)
		}
	}
}
