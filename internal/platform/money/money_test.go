package money

import (
	"errors"
	"testing"
)

func TestParse(t *testing.T) {
	ok := map[string]Cents{"5": 500, "5.1": 510, "5.15": 515, "0.05": 5, "-3.00": -300, "+1": 100, "0": 0, "92233720368547757": 9223372036854775700}
	for in, want := range ok {
		got, err := Parse(in)
		if err != nil || got != want {
			t.Errorf("Parse(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, in := range []string{"", "5.", ".5", "5.155", "1e3", "1,000", " 5", "5 ", "abc", "--5", "5.-1", "92233720368547758.08", "999999999999999999999"} {
		if _, err := Parse(in); !errors.Is(err, ErrInvalid) {
			t.Errorf("Parse(%q) err = %v, want ErrInvalid", in, err)
		}
	}
}

func TestString(t *testing.T) {
	for c, want := range map[Cents]string{515: "5.15", 5: "0.05", -5: "-0.05", 0: "0.00", -300: "-3.00"} {
		if got := c.String(); got != want {
			t.Errorf("%d.String() = %q, want %q", c, got, want)
		}
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{"5.15", "-1", "0.1", "1e9", "99999999999999999"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		c, err := Parse(s)
		if err != nil {
			return
		}
		back, err := Parse(c.String())
		if err != nil || back != c {
			t.Fatalf("round trip %q -> %d -> %q -> %d, %v", s, c, c.String(), back, err)
		}
	})
}
