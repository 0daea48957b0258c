package audit

import (
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"
)

func TestFilterInputParse(t *testing.T) {
	t.Parallel()
	day := func(s string) time.Time { t, _ := time.Parse(time.RFC3339, s); return t }
	for _, tc := range []struct {
		name string
		in   FilterInput
		want Filter
		errs []string // fields with an error
	}{
		{name: "empty", in: FilterInput{}},
		{
			name: "all fields",
			in: FilterInput{Actor: "  ops@x.test ", Action: "account.", EntityType: "api_key", EntityID: "42",
				From: "2025-03-01", To: "2025-03-31", Before: "900"},
			want: Filter{Actor: "ops@x.test", Action: "account.", EntityType: "api_key", EntityID: "42",
				Since: day("2025-03-01T00:00:00Z"), Until: day("2025-04-01T00:00:00Z"), Before: 900},
		},
		{
			name: "datetime-local is UTC and To includes its minute",
			in:   FilterInput{From: "2025-03-01T10:15", To: "2025-03-01T10:15"},
			want: Filter{Since: day("2025-03-01T10:15:00Z"), Until: day("2025-03-01T10:16:00Z")},
		},
		{
			name: "seconds and RFC 3339 with a zone",
			in:   FilterInput{From: "2025-03-01T09:15:30", To: "2025-03-01T12:00:00+02:00"},
			want: Filter{Since: day("2025-03-01T09:15:30Z"), Until: day("2025-03-01T10:00:00Z").Add(time.Microsecond)},
		},
		{
			name: "malformed dates",
			in:   FilterInput{From: "yesterday", To: "2025-02-30"},
			errs: []string{"from", "to"},
		},
		{
			name: "to before from keeps from",
			in:   FilterInput{From: "2025-03-02", To: "2025-03-01"},
			want: Filter{Since: day("2025-03-02T00:00:00Z")},
			errs: []string{"to"},
		},
		{name: "year out of range", in: FilterInput{From: "0001-01-01", To: "1969-12-31"}, errs: []string{"from", "to"}},
		{
			name: "bad values each rejected",
			in: FilterInput{Actor: strings.Repeat("a", MaxActorLen+1), Action: "Account.Suspend; drop", EntityType: "Account",
				EntityID: strings.Repeat("9", MaxEntityIDLen+1), Before: "-3"},
			errs: []string{"action", "actor", "before", "entity_id", "entity_type"},
		},
		{name: "NUL and invalid UTF-8", in: FilterInput{Actor: "a\x00b", EntityID: "\xff"}, errs: []string{"actor", "entity_id"}},
		{name: "cursor not a number", in: FilterInput{Before: "abc"}, errs: []string{"before"}},
		{name: "cursor overflow", in: FilterInput{Before: "99999999999999999999"}, errs: []string{"before"}},
		{name: "entity type too long", in: FilterInput{EntityType: strings.Repeat("a", 41)}, errs: []string{"entity_type"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, errs := tc.in.Parse()
			if d := cmp.Diff(tc.want, got); d != "" {
				t.Errorf("filter (-want +got):\n%s", d)
			}
			var fields []string
			for _, k := range []string{"action", "actor", "before", "entity_id", "entity_type", "from", "to"} {
				if errs[k] != "" {
					fields = append(fields, k)
				}
			}
			if d := cmp.Diff(tc.errs, fields); d != "" {
				t.Errorf("error fields (-want +got):\n%s (%v)", d, errs)
			}
		})
	}
}

func TestFilterInputValues(t *testing.T) {
	t.Parallel()
	in := FilterInput{Actor: " a b ", Action: "", EntityType: "account", To: "2025-01-02", Before: "5"}
	if got, want := in.Values().Encode(), "actor=a+b&entity_type=account&to=2025-01-02"; got != want {
		t.Errorf("Values = %q, want %q", got, want)
	}
	if in.Empty() || !(FilterInput{Before: "5"}).Empty() {
		t.Error("Empty is wrong")
	}
}

// Whatever arrives in the URL, Parse must hand the database only values it
// accepts: valid UTF-8 without NUL, bounded lengths, sane times.
func FuzzFilterInputParse(f *testing.F) {
	f.Add("ops@x", "account.", "account", "42", "2025-03-01", "2025-03-01T10:00", "17")
	f.Add("\x00", "a%", "A", "\xff", "9999-12-31", "0000-01-01", "-1")
	f.Fuzz(func(t *testing.T, actor, action, etype, eid, from, to, before string) {
		got, _ := FilterInput{actor, action, etype, eid, from, to, before}.Parse()
		for _, s := range []string{got.Actor, got.Action, got.EntityType, got.EntityID} {
			if !utf8.ValidString(s) || strings.ContainsRune(s, 0) {
				t.Fatalf("unsafe value %q", s)
			}
		}
		if len(got.Actor) > MaxActorLen || len(got.Action) > MaxActionLen || len(got.EntityID) > MaxEntityIDLen || len(got.EntityType) > 40 {
			t.Fatalf("too long: %+v", got)
		}
		if got.Before < 0 {
			t.Fatalf("negative cursor %d", got.Before)
		}
		for _, tm := range []time.Time{got.Since, got.Until} {
			if !tm.IsZero() && (tm.Year() < 1970 || tm.Year() > 10000) {
				t.Fatalf("time out of range %v", tm)
			}
		}
		if !got.Since.IsZero() && !got.Until.IsZero() && !got.Until.After(got.Since) {
			t.Fatalf("empty range %v..%v", got.Since, got.Until)
		}
	})
}
