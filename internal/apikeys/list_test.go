package apikeys_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"lumdesk/internal/apikeys"
)

func TestListAndStats(t *testing.T) {
	t.Parallel()
	s, d := newService(t)
	ctx := context.Background()
	a1 := newAccount(t, d, "one@example.com")
	a2 := newAccount(t, d, "two@example.com")
	var all []apikeys.Created // oldest first
	for i := 0; i < 7; i++ {
		acc := a1
		if i%2 == 1 {
			acc = a2
		}
		all = append(all, mustCreate(t, s, apikeys.CreateInput{Product: "lumora", AccountID: &acc, Scopes: []string{"email:send"}}))
	}
	all = append(all, mustCreate(t, s, apikeys.CreateInput{Product: "lumi-domains", Operator: true}))
	if _, err := s.Revoke(ctx, actor, all[2].Key.ID, "test"); err != nil {
		t.Fatal(err)
	}
	if _, err := d.Pool.Exec(ctx, "UPDATE api_keys SET expires_at = now() - interval '1 hour' WHERE id = $1", all[3].Key.ID); err != nil {
		t.Fatal(err)
	}
	idsOf := func(p apikeys.Page) []int64 {
		var out []int64
		for _, k := range p.Keys {
			out = append(out, k.ID)
		}
		return out
	}
	id := func(i int) int64 { return all[i].Key.ID }
	list := func(p apikeys.ListParams) apikeys.Page {
		t.Helper()
		page, err := s.List(ctx, p)
		if err != nil {
			t.Fatal(err)
		}
		return page
	}

	// Newest first, pages of 3, forward and back.
	p1 := list(apikeys.ListParams{Limit: 3})
	if diff := cmp.Diff([]int64{id(7), id(6), id(5)}, idsOf(p1)); diff != "" || p1.Prev != "" || p1.Next == "" {
		t.Fatalf("page 1 %s prev=%q next=%q", diff, p1.Prev, p1.Next)
	}
	p2 := list(apikeys.ListParams{Limit: 3, Before: p1.Next})
	if diff := cmp.Diff([]int64{id(4), id(3), id(2)}, idsOf(p2)); diff != "" || p2.Prev == "" || p2.Next == "" {
		t.Fatalf("page 2 %s", diff)
	}
	p3 := list(apikeys.ListParams{Limit: 3, Before: p2.Next})
	if diff := cmp.Diff([]int64{id(1), id(0)}, idsOf(p3)); diff != "" || p3.Next != "" {
		t.Fatalf("page 3 %s next=%q", diff, p3.Next)
	}
	back := list(apikeys.ListParams{Limit: 3, After: p3.Prev})
	if diff := cmp.Diff(idsOf(p2), idsOf(back)); diff != "" || back.Prev == "" {
		t.Fatalf("back to page 2 %s", diff)
	}
	first := list(apikeys.ListParams{Limit: 3, After: back.Prev})
	if diff := cmp.Diff(idsOf(p1), idsOf(first)); diff != "" || first.Prev != "" {
		t.Fatalf("back to page 1 %s prev=%q", diff, first.Prev)
	}
	// A malformed cursor is the first page.
	if diff := cmp.Diff(idsOf(p1), idsOf(list(apikeys.ListParams{Limit: 3, Before: "junk"}))); diff != "" {
		t.Fatal(diff)
	}

	// Filters.
	if diff := cmp.Diff([]int64{id(6), id(4), id(2), id(0)}, idsOf(list(apikeys.ListParams{AccountID: &a1}))); diff != "" {
		t.Fatalf("account filter %s", diff)
	}
	if diff := cmp.Diff([]int64{id(7)}, idsOf(list(apikeys.ListParams{Product: "lumi-domains"}))); diff != "" {
		t.Fatalf("product filter %s", diff)
	}
	if diff := cmp.Diff([]int64{id(2)}, idsOf(list(apikeys.ListParams{Status: "revoked"}))); diff != "" {
		t.Fatalf("revoked filter %s", diff)
	}
	if diff := cmp.Diff([]int64{id(3)}, idsOf(list(apikeys.ListParams{Status: "expired"}))); diff != "" {
		t.Fatalf("expired filter %s", diff)
	}
	if got := len(list(apikeys.ListParams{Status: "active"}).Keys); got != 6 {
		t.Fatalf("active keys %d", got)
	}
	// Prefix search: underscores are literal, not LIKE wildcards.
	if diff := cmp.Diff([]int64{id(5)}, idsOf(list(apikeys.ListParams{PrefixSearch: all[5].Key.Prefix}))); diff != "" {
		t.Fatalf("prefix search %s", diff)
	}
	if got := len(list(apikeys.ListParams{PrefixSearch: "lum_sk_"}).Keys); got != 7 {
		t.Fatalf("prefix lum_sk_: %d", got)
	}
	if got := len(list(apikeys.ListParams{PrefixSearch: "lumXsk"}).Keys); got != 0 {
		t.Fatalf("prefix lumXsk: %d (underscore treated as wildcard?)", got)
	}
	if got := len(list(apikeys.ListParams{PrefixSearch: "%"}).Keys); got != 0 {
		t.Fatalf("prefix %%: %d", got)
	}
	k := list(apikeys.ListParams{AccountID: &a2, Limit: 1}).Keys[0]
	if k.AccountName != "Acct two@example.com" || k.AccountEmail != "two@example.com" {
		t.Fatalf("account join: %+v", k)
	}
	var verr apikeys.ValidationError
	if _, err := s.List(ctx, apikeys.ListParams{Status: "weird", Product: "x"}); !errors.As(err, &verr) || len(verr) != 2 {
		t.Fatalf("bad filters: %v", err)
	}

	stats, err := s.Stats(ctx)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]int64{"lumora": 5, "lumi-domains": 1}
	for _, st := range stats {
		if st.Active != want[st.Product] {
			t.Errorf("stats %s = %d, want %d", st.Product, st.Active, want[st.Product])
		}
	}
	if len(stats) != len(apikeys.Products) {
		t.Errorf("stats has %d products", len(stats))
	}
}

func TestResolveAccount(t *testing.T) {
	t.Parallel()
	s, d := newService(t)
	ctx := context.Background()
	id := newAccount(t, d, "Find.Me@example.com")
	for _, ref := range []string{" " + itoa(id) + " ", "find.me@example.com", "FIND.ME@EXAMPLE.COM"} {
		a, err := s.ResolveAccount(ctx, ref)
		if err != nil || a.ID != id {
			t.Errorf("ResolveAccount(%q) = %+v, %v", ref, a, err)
		}
	}
	for _, ref := range []string{"", "0", "-1", "nobody@example.com", "name", "99999"} {
		if _, err := s.ResolveAccount(ctx, ref); !errors.Is(err, apikeys.ErrAccountNotFound) {
			t.Errorf("ResolveAccount(%q): %v", ref, err)
		}
	}
}

func TestCursorRoundTrip(t *testing.T) {
	t.Parallel()
	c := apikeys.Cursor{CreatedAt: time.Date(2026, 1, 2, 3, 4, 5, 678901000, time.UTC), ID: 42}
	got, ok := apikeys.ParseCursor(c.String())
	if !ok || !got.CreatedAt.Equal(c.CreatedAt) || got.ID != 42 {
		t.Fatalf("round trip %v %v", got, ok)
	}
}

func FuzzParseCursor(f *testing.F) {
	for _, s := range []string{"1700000000000000-5", "", "-", "1-0", "+1-+2", "9999999999999999999-1", "1--1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		c, ok := apikeys.ParseCursor(s)
		if !ok {
			return
		}
		if c.ID <= 0 {
			t.Fatalf("accepted id %d", c.ID)
		}
		again, ok := apikeys.ParseCursor(c.String())
		if !ok || again != c {
			t.Fatalf("%q → %v → %q does not round-trip", s, c, c.String())
		}
	})
}

// Secrets come from request headers: the format check must never panic and
// must accept only well-formed secrets.
func FuzzProductMatches(f *testing.F) {
	for _, s := range []string{"", "lum_sk_", "lum_sk_" + strings.Repeat("a", 40), strings.Repeat("f", 64), "lumi_domains_\x00", "ÿ"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		for _, p := range apikeys.Products {
			if !p.Matches(s) {
				continue
			}
			if len(s) != len(p.SecretPrefix)+p.SecretLen || !strings.HasPrefix(s, p.SecretPrefix) {
				t.Fatalf("%s accepted %q", p.ID, s)
			}
			for _, c := range s[len(p.SecretPrefix):] {
				if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z') || p.Hex && (c > 'f' || c >= 'A' && c <= 'Z') {
					t.Fatalf("%s accepted %q", p.ID, s)
				}
			}
		}
	})
}
