package clip

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestChars(t *testing.T) {
	emoji := strings.Repeat("😀", 300)
	for _, c := range []struct {
		in   string
		n    int
		want string
	}{
		{"", 5, ""},
		{"abc", 5, "abc"},
		{"abcdef", 3, "abc"},
		{"abc", 0, ""},
		{"abc", -1, ""},
		{emoji, 101, strings.Repeat("😀", 101)}, // still over a 100-character limit
		{"名名名", 2, "名名"},
		{"aé", 1, "a"},
		{"a\xffb", 2, "a\xff"}, // invalid bytes count one each and are kept as sent
	} {
		got := Chars(c.in, c.n)
		if got != c.want {
			t.Errorf("Chars(%q, %d) = %q, want %q", c.in, c.n, got, c.want)
		}
		if utf8.ValidString(c.in) && !utf8.ValidString(got) {
			t.Errorf("Chars(%q, %d) cut inside a character", c.in, c.n)
		}
	}
}

func BenchmarkChars(b *testing.B) {
	s := strings.Repeat("Ω😀<b>x</b>", 600)
	for b.Loop() {
		_ = Chars(s, 300)
	}
}
