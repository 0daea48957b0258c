package audit

import (
	"encoding/json"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// obj decodes JSON the way entries are parsed (numbers exact).
func obj(t *testing.T, s string) map[string]any {
	t.Helper()
	if s == "" {
		return nil
	}
	if !json.Valid([]byte(s)) {
		t.Fatalf("bad test JSON %s", s)
	}
	return parseObject([]byte(s))
}

func TestDiff(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name          string
		before, after string
		want          []Change
	}{
		{name: "both absent", want: nil},
		{name: "identical", before: `{"a":1,"b":{"c":"x"}}`, after: `{"b":{"c":"x"},"a":1}`, want: nil},
		{
			name: "creation", after: `{"name":"Acme","status":"active"}`,
			want: []Change{
				{Field: "name", New: "Acme", Kind: Added},
				{Field: "status", New: "active", Kind: Added},
			},
		},
		{
			name: "deletion", before: `{"name":"Acme","n":3}`,
			want: []Change{
				{Field: "n", Old: "3", Kind: Removed},
				{Field: "name", Old: "Acme", Kind: Removed},
			},
		},
		{
			name: "changed, added, removed, sorted", before: `{"z":1,"status":"active","gone":true}`,
			after: `{"z":1,"status":"suspended","new":null,"a":"first"}`,
			want: []Change{
				{Field: "a", New: "first", Kind: Added},
				{Field: "gone", Old: "true", Kind: Removed},
				{Field: "new", New: "null", Kind: Added},
				{Field: "status", Old: "active", New: "suspended", Kind: Changed},
			},
		},
		{
			name: "nested objects flatten to dotted paths", before: `{"limits":{"daily":100,"burst":{"n":5}},"x":1}`,
			after: `{"limits":{"daily":250,"burst":{"n":5,"window":"1m"}},"x":1}`,
			want: []Change{
				{Field: "limits.burst.window", New: "1m", Kind: Added},
				{Field: "limits.daily", Old: "100", New: "250", Kind: Changed},
			},
		},
		{
			name: "object replaced by scalar and back", before: `{"a":{"b":1},"c":2}`, after: `{"a":2,"c":{"d":3}}`,
			want: []Change{
				{Field: "a", New: "2", Kind: Added},
				{Field: "a.b", Old: "1", Kind: Removed},
				{Field: "c", Old: "2", Kind: Removed},
				{Field: "c.d", New: "3", Kind: Added},
			},
		},
		{
			name: "empty nested object is a leaf", before: `{"meta":{}}`, after: `{"meta":{"k":"v"}}`,
			want: []Change{
				{Field: "meta", Old: "{}", Kind: Removed},
				{Field: "meta.k", New: "v", Kind: Added},
			},
		},
		{
			name: "arrays are leaves in compact JSON", before: `{"scopes":["read"],"m":[{"b":1,"a":2}]}`,
			after: `{"scopes":["read","write"],"m":[{"a":2,"b":1}]}`,
			want:  []Change{{Field: "scopes", Old: `["read"]`, New: `["read","write"]`, Kind: Changed}},
		},
		{
			name: "type changes stay visible", before: `{"n":42,"s":"","b":false,"z":null}`,
			after: `{"n":"42","s":null,"b":"false","z":"null"}`,
			want: []Change{
				{Field: "b", Old: "false", New: `"false"`, Kind: Changed},
				{Field: "n", Old: "42", New: `"42"`, Kind: Changed},
				{Field: "s", Old: `""`, New: "null", Kind: Changed},
				{Field: "z", Old: "null", New: `"null"`, Kind: Changed},
			},
		},
		{
			name: "big numbers stay exact", before: `{"n":1152921504606846976}`, after: `{"n":1152921504606846977}`,
			want: []Change{{Field: "n", Old: "1152921504606846976", New: "1152921504606846977", Kind: Changed}},
		},
		{
			name: "html and unicode are not escaped", before: `{"t":"<b>&</b>"}`, after: `{"t":["<i>","ü"]}`,
			want: []Change{{Field: "t", Old: "<b>&</b>", New: `["<i>","ü"]`, Kind: Changed}},
		},
		{
			name: "non-object values diff under value", before: `"old"`, after: `[1,2]`,
			want: []Change{{Field: "value", Old: "old", New: "[1,2]", Kind: Changed}},
		},
		{name: "json null is absent", before: `null`, after: `null`, want: nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := Diff(obj(t, tc.before), obj(t, tc.after))
			if d := cmp.Diff(tc.want, got); d != "" {
				t.Errorf("Diff mismatch (-want +got):\n%s", d)
			}
		})
	}
}

// The output order must not depend on map iteration order.
func TestDiffStable(t *testing.T) {
	t.Parallel()
	before := obj(t, `{"a":1,"b":2,"c":3,"d":{"e":4,"f":5},"g":6,"h":7}`)
	after := obj(t, `{"a":0,"b":2,"c":9,"d":{"e":0,"f":5,"x":1},"i":8}`)
	first := Diff(before, after)
	for i := 0; i < 50; i++ {
		if d := cmp.Diff(first, Diff(before, after)); d != "" {
			t.Fatalf("run %d differs:\n%s", i, d)
		}
	}
	want := []string{"a", "c", "d.e", "d.x", "g", "h", "i"}
	var got []string
	for _, c := range first {
		got = append(got, c.Field)
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Fatal(d)
	}
}

func TestParseObject(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		raw  string
		want map[string]any
	}{
		{"", nil},
		{"null", nil},
		{`{"a":1}`, map[string]any{"a": json.Number("1")}},
		{`7`, map[string]any{"value": json.Number("7")}},
		{`{broken`, map[string]any{"value": "{broken"}},
	} {
		if d := cmp.Diff(tc.want, parseObject([]byte(tc.raw))); d != "" {
			t.Errorf("parseObject(%q): %s", tc.raw, d)
		}
	}
}

func FuzzDiff(f *testing.F) {
	f.Add(`{"a":{"b":1}}`, `{"a":{"b":2},"c":[1]}`)
	f.Add(`"x"`, `{"":{"":null}}`)
	f.Fuzz(func(t *testing.T, before, after string) {
		b, a := parseObject([]byte(before)), parseObject([]byte(after))
		changes := Diff(b, a)
		for i, c := range changes {
			if i > 0 && changes[i-1].Field > c.Field {
				t.Fatalf("not sorted: %q before %q", changes[i-1].Field, c.Field)
			}
			if c.Kind == Changed && c.Old == c.New {
				t.Fatalf("change without difference: %+v", c)
			}
		}
		if len(Diff(a, a)) != 0 {
			t.Fatalf("a value differs from itself")
		}
	})
}
