package licensing

import (
	"errors"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"lumdesk/db/store"
	"lumdesk/internal/accounts"
	"lumdesk/internal/product"
)

func TestNoteWords(t *testing.T) {
	t.Parallel()
	for term, want := range map[string]string{
		"order #12":        "order & 12:*",
		"  Lifetime  ":     "Lifetime:*",
		`'&|!():*\`:        "",
		`o'brien & !co:*`:  "o & brien & co:*",
		"wörd ünïcode 日本":  "wörd & ünïcode & 日本:*",
		"user@example.com": "user & example & com:*",
		"---":              "",
		"giveaway 7":       "giveaway & 7",
		"7":                "7",
		"giveaway 72":      "giveaway & 72:*",
		"ü":                "ü",
	} {
		got := ""
		if q := noteWords(term); q != nil {
			got = *q
		}
		if got != want {
			t.Errorf("noteWords(%q) = %q, want %q", term, got, want)
		}
	}
}

// TestKeySearchWordsAndFragments: the search matches a fragment of the
// key, HWID or Discord ID anywhere, and the note by its words (every word
// of the term a word of the note, the last one a word's start); a fragment
// inside a note's word no longer matches (it did while one trigram index
// covered the note). Every
// sort and the count agree, odd terms are answered without an error, and
// another account's keys never show.
func TestKeySearchWordsAndFragments(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	paid := f.key(KeyInput{Identifier: "HWID-DEADBEEF01", DiscordID: "123456789012345678",
		Note: "paid by card, order #12345 lifetime (vip)"})
	f.advance(time.Second)
	reseller := f.key(KeyInput{Note: "Reseller batch 7"})
	f.advance(time.Second)
	plain := f.key(KeyInput{Identifier: "hw-plain-0042"})
	f.advance(time.Second)
	// "3527e0113b" is parsed as a number in scientific notation and a
	// letter, in the note and in the search alike.
	split := f.key(KeyInput{Note: "lot 3527e0113b shipped, lot 12e5bcd"})
	f.check(plain.UserKey, "hw-plain-0042")
	if err := f.svc.FlushExecutions(ctx); err != nil {
		t.Fatal(err)
	}
	// Another account's key with the same note and a look-alike HWID.
	foreign := f.foreignProject()
	theirs, err := f.svc.CreateKey(ctx, cli, foreign.ID, KeyInput{Identifier: "HWID-DEADBEEF02", Note: "paid by card, order #12345 lifetime (vip)"})
	if err != nil {
		t.Fatal(err)
	}
	mine := f.svc.In(accounts.Only(f.project.AccountID))

	search := func(term string, scoped bool) ([]string, error) {
		t.Helper()
		var want []string
		// The sorts by expiry and last use read a search's matches, or walk
		// the sort's index when the search matches many (sortMatches nil).
		defer func() { f.svc.sortMatches = sortMatchesUpTo }()
		for _, plan := range []string{SortCreated, SortExpires, SortExpires + " walk", SortLastUsed, SortLastUsed + " walk"} {
			sort, walk, _ := strings.Cut(plan, " ")
			f.svc.sortMatches = sortMatchesUpTo
			if walk != "" {
				f.svc.sortMatches = nil
			}
			for _, desc := range []bool{false, true} {
				kf := KeyFilter{Search: term, Sort: sort, Desc: desc}
				var page KeyPage
				var err error
				if scoped {
					page, err = mine.ListKeys(ctx, kf)
				} else {
					kf.ProjectID = f.project.ID
					page, err = f.svc.ListKeys(ctx, kf)
				}
				if err != nil {
					return nil, err
				}
				got := []string{}
				for _, k := range page.Keys {
					got = append(got, k.UserKey)
				}
				slices.Sort(got)
				if want == nil {
					want = got
				} else if diff := cmp.Diff(want, got); diff != "" {
					t.Errorf("search %q sorted by %s desc=%v finds other keys (-first +this):\n%s", term, plan, desc, diff)
				}
			}
		}
		if scoped {
			c, err := mine.CountKeys(ctx, KeyFilter{Search: term}, 0)
			if err != nil {
				return nil, err
			}
			if c.N != int64(len(want)) || c.More {
				t.Errorf("search %q: count %+v, list %d", term, c, len(want))
			}
		} else {
			c, err := f.svc.CountKeys(ctx, KeyFilter{ProjectID: f.project.ID, Search: term}, 0)
			if err != nil {
				return nil, err
			}
			if c.N != int64(len(want)) || c.More {
				t.Errorf("search %q: count %+v, list %d", term, c, len(want))
			}
		}
		return want, nil
	}
	sorted := func(keys ...Key) []string {
		out := []string{}
		for _, k := range keys {
			out = append(out, k.UserKey)
		}
		slices.Sort(out)
		return out
	}
	for _, c := range []struct {
		term string
		want []string
	}{
		{"lifetime", sorted(paid)},                 // a word in the middle of the note
		{"LIFE", sorted(paid)},                     // a word's prefix, any case
		{"order 123", sorted(paid)},                // every word, the last a prefix
		{"ord 12345", sorted()},                    // the words before the last are whole words
		{"12345 ORDER", sorted(paid)},              // in any order
		{"order #12", sorted(paid)},                // punctuation splits words
		{"vip", sorted(paid)},                      // inside parentheses
		{"reseller batch", sorted(reseller)},       //
		{"order reseller", sorted()},               // every word must match
		{"ifetime", sorted()},                      // inside a word: no longer a match
		{"rder #12", sorted()},                     //
		{"eseller", sorted()},                      //
		{reseller.UserKey[7:19], sorted(reseller)}, // a key fragment
		{strings.ToLower(reseller.UserKey[3:9]), sorted(reseller)},
		{"deadbeef", sorted(paid)},            // a HWID fragment, any case
		{"plain-00", sorted(plain)},           //
		{"5678901234", sorted(paid)},          // a Discord ID fragment
		{"3527e0113b", sorted(split)},         // a word the parser splits: its parts, in order
		{"3527e0113", sorted(split)},          //
		{"3527e0113b shipped", sorted(split)}, //
		{"12e5bc", sorted(split)},             // a split-off part of two characters is a prefix
		{"12e5b", sorted()},                   // of one, a whole word (migration 00049)
		{"lot 3", sorted()},                   // a last word of one character is a whole word
		{"batch 7", sorted(reseller)},         // (noteWords)
		{"%", sorted()},                       // LIKE wildcards are literal
		{"_", sorted()},                       //
		// Hostile or odd terms: never a query error.
		{`'&|!():*\`, sorted()},
		{`'`, sorted()},
		{`\`, sorted()},
		{`:*`, sorted()},
		{`"lifetime"`, sorted(paid)},
		{`!lifetime`, sorted(paid)},       // not a negation
		{`lifetime:*`, sorted(paid)},      // not query syntax
		{`lifetime | reseller`, sorted()}, // not an OR: both words required
		{`(order) & 'card'`, sorted(paid)},
		{`a:* & !b`, sorted()},
		{"...---...", sorted()},
		{strings.Repeat("x ", 50), sorted()},          // 50 words, MaxSearchLen characters
		{strings.Repeat("é", MaxSearchLen), sorted()}, // one long word
		{strings.Repeat(`'\`, MaxSearchLen/2), sorted()},
	} {
		got, err := search(c.term, false)
		if err != nil {
			t.Errorf("search %q: %v", c.term, err)
			continue
		}
		if diff := cmp.Diff(c.want, got); diff != "" {
			t.Errorf("search %q (-want +got):\n%s", c.term, diff)
		}
	}
	// Longer than MaxSearchLen: refused as a validation error, never a
	// database error.
	var verr ValidationError
	if _, err := search(strings.Repeat("order ", 100)[:500], false); !errors.As(err, &verr) || verr["search"] == "" {
		t.Errorf("500-character search: %v, want a validation error on search", err)
	}
	// Scoped to the account: the other account's key with the same words
	// and a look-alike HWID never shows, in the list, the count or the
	// palette of a portal user.
	for _, term := range []string{"lifetime", "order #12", "deadbeef", "HWID-DEAD"} {
		got, err := search(term, true)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(sorted(paid), got); diff != "" {
			t.Errorf("scoped search %q (-want +got):\n%s", term, diff)
		}
	}
	// Across every project (staff), both are found.
	page, err := f.svc.ListKeys(ctx, KeyFilter{Search: "lifetime order"})
	if err != nil {
		t.Fatal(err)
	}
	var all []string
	for _, k := range page.Keys {
		all = append(all, k.UserKey)
	}
	slices.Sort(all)
	if diff := cmp.Diff(sorted(paid, theirs), all); diff != "" {
		t.Errorf("unscoped search (-want +got):\n%s", diff)
	}
	// The staff palette searches the same way.
	hits, err := Searchers(f.db)["license_key"](ctx, product.Query{Text: "lifetime", Contains: true}, 10)
	if err != nil {
		t.Fatal(err)
	}
	var titles []string
	for _, h := range hits {
		titles = append(titles, h.Title)
	}
	slices.Sort(titles)
	if diff := cmp.Diff(sorted(paid, theirs), titles); diff != "" {
		t.Errorf("palette search (-want +got):\n%s", diff)
	}
	if _, err := Searchers(f.db)["license_key"](ctx, product.Query{Text: `'&|!():*\`, Contains: true}, 10); err != nil {
		t.Errorf("palette search of punctuation: %v", err)
	}
}

// TestKeySearchFollowsEdits: the search reads stored columns (search_ids,
// note_words, migration 00048) that Postgres derives from the key's fields;
// an edited note, a reset HWID and a new Discord ID are searched by their
// new values at once, and the old ones no longer find the key.
// key_note_query: the parser's one-character parts of a split word are
// whole words, everything else is to_tsquery's.
func TestKeyNoteQuery(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	for in, want := range map[string]string{
		"3527e0113b:*":       `'3527e0113':* <-> 'b'`,
		"12e5bc:*":           `'12e5':* <-> 'bc':*`,
		"giveaway & 7:*":     `'giveaway' & '7':*`,
		"3.5b & order & b:*": `'3.5' <-> 'b' & 'order' & 'b':*`,
		"Wörd & 1e2é:*":      `'wörd' & '1e2':* <-> 'é'`,
	} {
		var got string
		if err := f.db.Pool.QueryRow(ctx, `SELECT key_note_query($1)::text`, in).Scan(&got); err != nil {
			t.Fatal(err)
		}
		if got != want {
			t.Errorf("key_note_query(%q) = %s, want %s", in, got, want)
		}
	}
}

func TestKeySearchFollowsEdits(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	k := f.key(KeyInput{Identifier: "HWID-OLDBOX77", Note: "trial giveaway"})
	found := func(term string) bool {
		t.Helper()
		page, err := f.svc.ListKeys(ctx, KeyFilter{ProjectID: f.project.ID, Search: term})
		if err != nil {
			t.Fatal(err)
		}
		return len(page.Keys) == 1 && page.Keys[0].UserKey == k.UserKey
	}
	for _, term := range []string{"oldbox", "giveaway"} {
		if !found(term) {
			t.Fatalf("%q does not find the new key", term)
		}
	}
	note, discord := "Lifetime reseller", "998877665544332211"
	if _, err := f.svc.UpdateKey(ctx, cli, f.project.ID, k.UserKey, KeyPatch{Note: &note, DiscordID: &discord}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.ResetHWID(ctx, cli, f.project.ID, k.UserKey, ResetOpts{Force: true}); err != nil {
		t.Fatal(err)
	}
	for term, want := range map[string]bool{
		"oldbox": false, "giveaway": false, // the old HWID and note
		"lifetime resel": true, "7665544": true, // the new note and Discord ID
	} {
		if got := found(term); got != want {
			t.Errorf("after the edit and the reset, %q finds the key: %v, want %v", term, got, want)
		}
	}
}

// TestKeysSortByLastUse: the sort by last use reads license_key_activity
// (migration 00045), which the execution counter's flush, key creation and
// bulk loads keep equal to license_keys.last_execution_at: keys come in
// order of their last flushed execution across keyset pages, never-used
// ones at the end (first ascending), and a key used again moves up.
func TestKeysSortByLastUse(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	var keys []Key
	for range 5 {
		keys = append(keys, f.key(KeyInput{}))
	}
	// Bulk-loaded keys (seed --scale's COPY) get their row too, with their
	// last execution and the copies the filters read (migration 00052).
	base := f.now()
	bulk := []BulkKey{
		{UserKey: "bulk-used-early", LastExecutionAt: ptr(base.Add(-time.Hour)), TotalExecutions: 3, CreatedAt: base.Add(-2 * time.Hour),
			Identifier: "bulk-bound", AuthExpire: ptr(base.Add(48 * time.Hour))},
		{UserKey: "bulk-never-used", CreatedAt: base.Add(-2 * time.Hour), Banned: true, BanReason: "sharing"},
	}
	if _, err := f.svc.BulkLoadKeys(ctx, cli, f.project.ID, bulk); err != nil {
		t.Fatal(err)
	}
	// Executions: keys[2] then keys[0] then keys[4]; keys 1 and 3 never.
	for _, i := range []int{2, 0, 4} {
		f.advance(time.Minute)
		f.check(keys[i].UserKey, "hw-"+keys[i].UserKey)
	}
	if err := f.svc.FlushExecutions(ctx); err != nil {
		t.Fatal(err)
	}
	list := func(desc bool, never *bool) []string {
		t.Helper()
		return f.pages(KeyFilter{ProjectID: f.project.ID, Sort: SortLastUsed, Desc: desc, NeverUsed: never, Limit: 2})
	}
	// Never-used keys come last either way, in the direction's id order
	// (the bulk key was inserted after keys[4]).
	wantDesc := []string{keys[4].UserKey, keys[0].UserKey, keys[2].UserKey, "bulk-used-early",
		"bulk-never-used", keys[3].UserKey, keys[1].UserKey}
	if diff := cmp.Diff(wantDesc, list(true, nil)); diff != "" {
		t.Errorf("last used, newest first (-want +got):\n%s", diff)
	}
	wantAsc := []string{"bulk-used-early", keys[2].UserKey, keys[0].UserKey, keys[4].UserKey,
		keys[1].UserKey, keys[3].UserKey, "bulk-never-used"}
	if diff := cmp.Diff(wantAsc, list(false, nil)); diff != "" {
		t.Errorf("last used, oldest first (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(wantDesc[4:], list(true, ptr(true))); diff != "" {
		t.Errorf("never used, newest first (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(wantAsc[4:], list(false, ptr(true))); diff != "" {
		t.Errorf("never used, oldest first (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(wantAsc[:4], list(false, ptr(false))); diff != "" {
		t.Errorf("used, oldest first (-want +got):\n%s", diff)
	}
	// By offset (the API's from), across the end of the used keys, in both
	// directions; an offset and a cursor together are refused.
	for _, desc := range []bool{false, true} {
		want := wantAsc
		if desc {
			want = wantDesc
		}
		for off := range len(want) + 1 {
			page, err := f.svc.ListKeys(ctx, KeyFilter{ProjectID: f.project.ID, Sort: SortLastUsed, Desc: desc, Offset: off, Limit: 2})
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, k := range page.Keys {
				got = append(got, k.UserKey)
			}
			if diff := cmp.Diff(want[off:min(off+2, len(want))], got, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("desc %v, offset %d (-want +got):\n%s", desc, off, diff)
			}
		}
	}
	var verr ValidationError
	if _, err := f.svc.ListKeys(ctx, KeyFilter{ProjectID: f.project.ID, Sort: SortLastUsed, Offset: 1,
		After: &Cursor{At: base, ID: 1}}); !errors.As(err, &verr) || verr["from"] == "" {
		t.Errorf("offset with a cursor: %v", err)
	}
	// keys[2] runs again: it moves to the top once flushed, and a never-used
	// key leaves the never-used ones.
	f.advance(time.Minute)
	f.check(keys[2].UserKey, "hw-"+keys[2].UserKey)
	f.check(keys[1].UserKey, "hw-"+keys[1].UserKey)
	if diff := cmp.Diff(wantDesc, list(true, nil)); diff != "" {
		t.Errorf("before the flush the order is the flushed one (-want +got):\n%s", diff)
	}
	if err := f.svc.FlushExecutions(ctx); err != nil {
		t.Fatal(err)
	}
	// keys[1] and keys[2] ran at the same instant: the higher id first.
	wantDesc = []string{keys[2].UserKey, keys[1].UserKey, keys[4].UserKey, keys[0].UserKey, "bulk-used-early",
		"bulk-never-used", keys[3].UserKey}
	if diff := cmp.Diff(wantDesc, list(true, nil)); diff != "" {
		t.Errorf("after another flush (-want +got):\n%s", diff)
	}
	// A search, sorted from its matches (few, by the planner's estimate) or
	// by the walk (sortMatches nil): the same keys in the same order, page by
	// page. "hw-" matches the HWIDs the checks bound.
	hwids := []string{keys[2].UserKey, keys[1].UserKey, keys[4].UserKey, keys[0].UserKey}
	for _, sortMatches := range []map[string]int64{sortMatchesUpTo, nil} {
		f.svc.sortMatches = sortMatches
		for _, desc := range []bool{true, false} {
			want := slices.Clone(hwids)
			if !desc {
				slices.Reverse(want)
			}
			got := f.pages(KeyFilter{ProjectID: f.project.ID, Sort: SortLastUsed, Desc: desc, Search: "hw-", Limit: 2})
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("search, desc %v, sortMatches %v (-want +got):\n%s", desc, sortMatches, diff)
			}
		}
	}
	f.svc.sortMatches = sortMatchesUpTo
	// The sort's table and the key agree on every key.
	var mismatched int
	if err := f.db.Pool.QueryRow(ctx, `SELECT count(*) FROM license_keys k FULL JOIN license_key_activity a ON a.key_id = k.id
		WHERE a.key_id IS NULL OR k.id IS NULL OR a.project_id <> k.project_id
		   OR k.used <> (a.last_execution_at IS NOT NULL)
		   OR a.banned <> k.banned OR a.bound <> (k.identifier <> '')
		   OR a.auth_expire IS DISTINCT FROM k.auth_expire`).Scan(&mismatched); err != nil {
		t.Fatal(err)
	}
	if mismatched != 0 {
		t.Errorf("%d keys differ between license_keys and license_key_activity", mismatched)
	}
	// A deleted key leaves the sort with its row.
	if err := f.svc.DeleteKey(ctx, cli, f.project.ID, keys[3].UserKey, "test"); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(wantDesc[:6], list(true, nil)); diff != "" {
		t.Errorf("after a delete (-want +got):\n%s", diff)
	}
}

// TestKeysOfOneMinuteSortByID: the sort by last use is by the minute of
// the last run, then by id (migration 00054, so the counter's flush of a
// key's later runs of a minute stays HOT). Keys run in one minute come in
// id order whatever their seconds, and the keyset cursor (lastUsedSort)
// pages through them once each, walked or sorted from a search's matches.
func TestKeysOfOneMinuteSortByID(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	keys := []Key{f.key(KeyInput{}), f.key(KeyInput{}), f.key(KeyInput{})}
	f.advance(lastUsedSort(f.now()).Add(time.Minute).Sub(f.now()))
	for _, i := range []int{2, 0, 1} { // at :00, :20 and :40 of one minute
		f.check(keys[i].UserKey, "hw-"+keys[i].UserKey)
		f.advance(20 * time.Second)
	}
	if err := f.svc.FlushExecutions(ctx); err != nil {
		t.Fatal(err)
	}
	if last := f.get(keys[1].UserKey).LastExecutionAt; last == nil || last.Second() != 40 {
		t.Fatalf("the key keeps its last run to the second: %v", last)
	}
	byID := []string{keys[2].UserKey, keys[1].UserKey, keys[0].UserKey}
	for _, sortMatches := range []map[string]int64{sortMatchesUpTo, nil} {
		f.svc.sortMatches = sortMatches
		for _, search := range []string{"", "hw-"} {
			for _, desc := range []bool{true, false} {
				want := slices.Clone(byID)
				if !desc {
					slices.Reverse(want)
				}
				got := f.pages(KeyFilter{ProjectID: f.project.ID, Sort: SortLastUsed, Desc: desc, Search: search, Limit: 2})
				if diff := cmp.Diff(want, got); diff != "" {
					t.Errorf("search %q, desc %v, sortMatches %v (-want +got):\n%s", search, desc, sortMatches, diff)
				}
			}
		}
	}
}

// TestSearchSortedEitherPlan: a search sorted by expiry or last use reads
// the same keys in the same order, page by page, whether it sorts its
// matches (a search of few keys, by the planner's estimate) or walks the
// sort's index (sortMatches nil): ties on the sort value (never expires,
// never used) follow the id, and the keyset carries across pages.
func TestSearchSortedEitherPlan(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	base := f.now()
	at := func(d time.Duration) *time.Time { return ptr(base.Add(d)) }
	// In id order: BulkLoadKeys writes them as listed.
	keys := []BulkKey{
		{UserKey: "batch-a", AuthExpire: at(3 * time.Hour), LastExecutionAt: at(-time.Hour)},
		{UserKey: "batch-b"},
		{UserKey: "batch-c", AuthExpire: at(time.Hour), LastExecutionAt: at(-3 * time.Hour)},
		{UserKey: "batch-d", AuthExpire: at(time.Hour), LastExecutionAt: at(-2 * time.Hour)},
		{UserKey: "batch-e", AuthExpire: at(2 * time.Hour)},
		{UserKey: "stock-f", AuthExpire: at(30 * time.Minute), LastExecutionAt: at(-4 * time.Hour)},
	}
	for i := range keys {
		keys[i].CreatedAt = base.Add(-time.Duration(10-i) * time.Hour)
	}
	if _, err := f.svc.BulkLoadKeys(ctx, cli, f.project.ID, keys); err != nil {
		t.Fatal(err)
	}
	list := func(sort string, desc bool) []string {
		t.Helper()
		return f.pages(KeyFilter{ProjectID: f.project.ID, Search: "batch", Sort: sort, Desc: desc, Limit: 2})
	}

	// Ascending, then descending: never-used keys come last both ways.
	want := map[string][2][]string{
		SortExpires: {{"batch-c", "batch-d", "batch-e", "batch-a", "batch-b"},
			{"batch-b", "batch-a", "batch-e", "batch-d", "batch-c"}},
		SortLastUsed: {{"batch-c", "batch-d", "batch-a", "batch-b", "batch-e"},
			{"batch-a", "batch-d", "batch-c", "batch-e", "batch-b"}},
	}
	defer func() { f.svc.sortMatches = sortMatchesUpTo }()
	for _, sortMatches := range []map[string]int64{sortMatchesUpTo, nil} {
		f.svc.sortMatches = sortMatches
		for sort, both := range want {
			if diff := cmp.Diff(both[0], list(sort, false)); diff != "" {
				t.Errorf("%s ascending, sortMatches %v (-want +got):\n%s", sort, sortMatches, diff)
			}
			if diff := cmp.Diff(both[1], list(sort, true)); diff != "" {
				t.Errorf("%s descending, sortMatches %v (-want +got):\n%s", sort, sortMatches, diff)
			}
		}
	}
}

// TestNoteSubstringEitherPlan: the API's search (NoteInside: the term
// anywhere in the key, HWID, Discord ID or note) sorted by creation reads
// its matches and sorts them when the estimate is small, else walks the
// creation index; both give the same keys in the same order, by offset
// (the API's from/until) and by cursor, either way.
func TestNoteSubstringEitherPlan(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	base := f.now()
	keys := []BulkKey{
		{UserKey: "note-a", Note: "Paid, ORDER #1234"},
		{UserKey: "note-b", Note: "lifetime"},
		{UserKey: "order-12c"}, // the term in the key itself
		{UserKey: "note-d", Identifier: "hw-ORDER #12-x"},
		{UserKey: "note-e", Note: "reorder #129 pending"},
		{UserKey: "note-f", Note: "order #13"},
		{UserKey: "note-g", Note: "order #12"},
	}
	for i := range keys {
		keys[i].CreatedAt = base.Add(-time.Duration(10-i) * time.Hour)
	}
	if _, err := f.svc.BulkLoadKeys(ctx, cli, f.project.ID, keys); err != nil {
		t.Fatal(err)
	}
	// "order-12c" holds "order-12", not "order #12".
	want := []string{"note-a", "note-d", "note-e", "note-g"}
	defer func() { f.svc.sortMatches = sortMatchesUpTo }()
	for _, sortMatches := range []map[string]int64{sortMatchesUpTo, nil} {
		f.svc.sortMatches = sortMatches
		for _, desc := range []bool{false, true} {
			exp := slices.Clone(want)
			if desc {
				slices.Reverse(exp)
			}
			kf := KeyFilter{ProjectID: f.project.ID, Search: "order #12", NoteInside: true, Desc: desc, Limit: 3}
			if diff := cmp.Diff(exp, f.pages(kf)); diff != "" {
				t.Errorf("by cursor, desc %v, sortMatches %v (-want +got):\n%s", desc, sortMatches, diff)
			}
			var got []string
			for off := 0; off < 10; off += 3 {
				kf.Offset = off
				page, err := f.svc.ListKeys(ctx, kf)
				if err != nil {
					t.Fatal(err)
				}
				for _, k := range page.Keys {
					got = append(got, k.UserKey)
				}
			}
			if diff := cmp.Diff(exp, got); diff != "" {
				t.Errorf("by offset, desc %v, sortMatches %v (-want +got):\n%s", desc, sortMatches, diff)
			}
		}
	}
}

// pages lists the keys of kf page by page, following each page's keyset
// cursor, and returns their user keys in order. On the way it checks that
// listing in Reverse from each page's first row (the console's "Previous")
// gives the page before it.
func (f *fixture) pages(kf KeyFilter) []string {
	f.t.Helper()
	var got []string
	userKeys := func(keys []Key) []string {
		out := make([]string, len(keys))
		for i, k := range keys {
			out[i] = k.UserKey
		}
		return out
	}
	var prev []string
	for range 20 {
		page, err := f.svc.ListKeys(ctx, kf)
		if err != nil {
			f.t.Fatal(err)
		}
		if prev != nil && len(page.Keys) > 0 {
			back := kf
			c := KeyCursor(page.Keys[0], kf.Sort, kf.Desc)
			back.After, back.Reverse = &c, true
			before, err := f.svc.ListKeys(ctx, back)
			if err != nil {
				f.t.Fatal(err)
			}
			rev := userKeys(before.Keys)
			slices.Reverse(rev)
			if diff := cmp.Diff(prev, rev); diff != "" {
				f.t.Errorf("the page before %v, in reverse (-want +got):\n%s", userKeys(page.Keys), diff)
			}
			if (before.Next != nil) != (len(got) > len(prev)) {
				f.t.Errorf("the page before %v: more before it %v, want %v", userKeys(page.Keys), before.Next != nil, len(got) > len(prev))
			}
		}
		prev = userKeys(page.Keys)
		got = append(got, prev...)
		if page.Next == nil {
			return got
		}
		c, err := ParseCursor(page.Next.String())
		if err != nil {
			f.t.Fatal(err)
		}
		kf.After = &c
	}
	f.t.Fatal("more than 20 pages")
	return nil
}

// TestMatchesParamsCopyEveryFilter: matchesParams copies the walks' params
// field by field, so a filter added to the queries would otherwise be left
// out of the sorted matches without a compile error. Every field is set to
// a value of its own and must arrive under its name.
func TestMatchesParamsCopyEveryFilter(t *testing.T) {
	t.Parallel()
	var p store.ListLicenseKeysCreatedDescParams
	in := reflect.ValueOf(&p).Elem()
	for i := range in.NumField() {
		f := in.Field(i)
		switch f.Kind() {
		case reflect.Pointer:
			f.Set(reflect.New(f.Type().Elem()))
			v := f.Elem()
			switch v.Kind() {
			case reflect.String:
				v.SetString(in.Type().Field(i).Name)
			case reflect.Int64:
				v.SetInt(int64(i + 1))
			case reflect.Bool:
				v.SetBool(true)
			case reflect.Struct: // time.Time
				v.Set(reflect.ValueOf(time.Unix(int64(i+1), 0)))
			default:
				t.Fatalf("field %s: kind %s not handled", in.Type().Field(i).Name, v.Kind())
			}
		case reflect.Int32:
			f.SetInt(int64(i + 1))
		default:
			t.Fatalf("field %s: kind %s not handled", in.Type().Field(i).Name, f.Kind())
		}
	}
	out := reflect.ValueOf(matchesParams(p, SortExpires, true, neverUsed))
	for i := range in.NumField() {
		name := in.Type().Field(i).Name
		got := out.FieldByName(name)
		if !got.IsValid() {
			t.Errorf("ListLicenseKeysMatchesParams has no %s", name)
			continue
		}
		if !reflect.DeepEqual(got.Interface(), in.Field(i).Interface()) {
			t.Errorf("%s: not copied", name)
		}
	}
	if m := matchesParams(p, SortCreated, false, neverExpires); m.SortBy != SortCreated || m.Descending || !m.NeverUsedAt.Equal(neverExpires) {
		t.Errorf("sort choice: %+v", m)
	}
}

// TestLastUseFiltersByFlags: the sort by last use filtered to banned keys
// or keys by status reads license_key_activity's copies of the ban and the
// HWID's presence (migration 00052), which a trigger keeps as keys are
// banned, unbanned, reset and bound. The lists are the filters' keys in
// order, never-used last, one a page, forward and back.
func TestLastUseFiltersByFlags(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	k := make([]Key, 6)
	for i := range 5 {
		k[i] = f.key(KeyInput{})
	}
	k[5] = f.key(KeyInput{KeyDays: ptr(1)}) // its day starts at its first run
	// They run in this order; 3 and 4 never do.
	for _, i := range []int{0, 1, 2, 5} {
		f.advance(time.Minute)
		f.check(k[i].UserKey, "hw-"+k[i].UserKey)
	}
	if err := f.svc.FlushExecutions(ctx); err != nil {
		t.Fatal(err)
	}
	for _, i := range []int{0, 3} {
		if _, err := f.svc.Blacklist(ctx, cli, f.project.ID, k[i].UserKey, BlacklistInput{BanReason: "sharing"}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := f.svc.ResetHWID(ctx, cli, f.project.ID, k[1].UserKey, ResetOpts{Force: true}); err != nil {
		t.Fatal(err)
	}
	keys := func(is ...int) []string {
		out := make([]string, len(is))
		for j, i := range is {
			out[j] = k[i].UserKey
		}
		return out
	}
	lists := func(want map[string][2][]string) {
		t.Helper()
		filters := map[string]KeyFilter{"banned": {Banned: ptr(true)}, "status reset": {Status: StatusReset},
			"status banned": {Status: StatusBanned}, "status active": {Status: StatusActive},
			"expired": {Expired: ptr(true)}, "unexpired": {Expired: ptr(false)}}
		for name, w := range want {
			for d, desc := range []bool{false, true} {
				kf := filters[name]
				kf.ProjectID, kf.Sort, kf.Desc, kf.Limit = f.project.ID, SortLastUsed, desc, 1
				if diff := cmp.Diff(w[d], f.pages(kf), cmpopts.EquateEmpty()); diff != "" {
					t.Errorf("%s, desc %v (-want +got):\n%s", name, desc, diff)
				}
			}
		}
	}
	lists(map[string][2][]string{
		"banned":        {keys(0, 3), keys(0, 3)},
		"status reset":  {keys(1, 4), keys(1, 4)},
		"status banned": {keys(3), keys(3)},
		"status active": {keys(0, 2, 5), keys(5, 2, 0)},
		"expired":       {nil, nil},
		"unexpired":     {keys(0, 1, 2, 5, 3, 4), keys(5, 2, 1, 0, 4, 3)},
	})
	// An unban, a reset, a first run and k[5]'s day over: the copies follow.
	if _, err := f.svc.Unban(ctx, cli, f.project.ID, k[0].UserKey, "appeal"); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.ResetHWID(ctx, cli, f.project.ID, k[2].UserKey, ResetOpts{Force: true}); err != nil {
		t.Fatal(err)
	}
	f.advance(time.Minute)
	f.check(k[4].UserKey, "hw-"+k[4].UserKey)
	if err := f.svc.FlushExecutions(ctx); err != nil {
		t.Fatal(err)
	}
	f.advance(24 * time.Hour)
	lists(map[string][2][]string{
		"banned":        {keys(3), keys(3)},
		"status reset":  {keys(1, 2), keys(2, 1)},
		"status active": {keys(0, 5, 4), keys(4, 5, 0)},
		"expired":       {keys(5), keys(5)},
		"unexpired":     {keys(0, 1, 2, 4, 3), keys(4, 2, 1, 0, 3)},
	})
	var mismatched int
	if err := f.db.Pool.QueryRow(ctx, `SELECT count(*) FROM license_keys k JOIN license_key_activity a ON a.key_id = k.id
		WHERE a.banned <> k.banned OR a.bound <> (k.identifier <> '')
		   OR a.auth_expire IS DISTINCT FROM k.auth_expire`).Scan(&mismatched); err != nil {
		t.Fatal(err)
	}
	if mismatched != 0 {
		t.Errorf("%d keys' flags differ between license_keys and license_key_activity", mismatched)
	}
}

// TestNoteSubstringReadsItsIndex: the API's note substring (note ILIKE, as
// the list queries write it beside search_ids LIKE) can be read from the
// note's trigram index (migration 00062), so the planner can OR the two
// bitmaps rather than walk every key of the project (the project's own
// condition left out: on the tiny test table its index would win).
// Sequential scans are priced out for the same reason.
func TestNoteSubstringReadsItsIndex(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	tx, err := f.db.Pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = tx.Rollback(ctx) }()
	if _, err := tx.Exec(ctx, "SET LOCAL enable_seqscan = off"); err != nil {
		t.Fatal(err)
	}
	var plan string
	if err := tx.QueryRow(ctx, `EXPLAIN (FORMAT JSON) SELECT k.id FROM license_keys k
		WHERE k.search_ids LIKE lower($1) OR ($2::text IS NOT NULL AND k.note ILIKE $2)`,
		"%order #12%", "%order #12%").Scan(&plan); err != nil {
		t.Fatal(err)
	}
	for _, index := range []string{"license_keys_search_ids", "license_keys_note_trgm"} {
		if !strings.Contains(plan, `"Index Name": "`+index+`"`) {
			t.Errorf("the plan reads no %s:\n%s", index, plan)
		}
	}
}
