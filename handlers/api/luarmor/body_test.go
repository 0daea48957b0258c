package luarmor

import (
	"encoding/json"
	"testing"
)

// TestBodyStr: a string field reads the same whether it takes the fast path
// (no escapes: the bytes between the quotes) or the decoder (escapes), and
// a field of another type names itself.
func TestBodyStr(t *testing.T) {
	for raw, want := range map[string]string{
		`"HWID-0123"`:         "HWID-0123",
		`"é ünïcode ✓"`:       "é ünïcode ✓",
		`"say \"hi\""`:        `say "hi"`,
		`"tab\tand \u00e9"`:   "tab\tand é",
		`"back\\slash"`:       `back\slash`,
		`"   "`:               "   ",
		`"a\/b"`:              "a/b",
		`"\ud83d\ude00 face"`: "😀 face",
	} {
		b := &body{fields: map[string]json.RawMessage{"hwid": json.RawMessage(raw)}}
		got := b.str("hwid", false)
		if got == nil || *got != want || b.err != "" {
			t.Errorf("%s: got %v (problem %q), want %q", raw, got, b.err, want)
		}
	}
	for raw, problem := range map[string]string{
		`12`:    "hwid must be a string.",
		`true`:  "hwid must be a string.",
		`["a"]`: "hwid must be a string.",
		`""`:    "hwid is required.",
		`" "`:   "hwid is required.",
	} {
		b := &body{fields: map[string]json.RawMessage{"hwid": json.RawMessage(raw)}}
		if got := b.str("hwid", true); got != nil || b.err != problem {
			t.Errorf("%s: got %v, problem %q, want %q", raw, got, b.err, problem)
		}
	}
}

// BenchmarkBodyStr reads the loader check's fields: plain strings take the
// fast path, an escaped one the decoder (make bench-go).
func BenchmarkBodyStr(b *testing.B) {
	for _, c := range []struct{ name, raw string }{
		{"plain", `"HWID-0123456789abcdef"`},
		{"escaped", `"HWID-0123456789abcde\u0066"`},
	} {
		b.Run(c.name, func(b *testing.B) {
			f := &body{fields: map[string]json.RawMessage{"hwid": json.RawMessage(c.raw)}}
			b.ReportAllocs()
			for b.Loop() {
				if s := f.str("hwid", true); s == nil || *s != "HWID-0123456789abcdef" {
					b.Fatalf("got %v", s)
				}
			}
		})
	}
}
