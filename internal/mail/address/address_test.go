package address

import (
	"errors"
	"strings"
	"testing"
	"unicode"
)

func TestParseAccepts(t *testing.T) {
	cases := []struct{ in, name, email string }{
		{"jordan@globex.com", "", "jordan@globex.com"},
		{"Jordan <jordan@Globex.COM>", "Jordan", "jordan@globex.com"},
		{`"Acme, Inc." <hello@mail.acme.com>`, "Acme, Inc.", "hello@mail.acme.com"},
		{"=?utf-8?q?Andr=C3=A9?= <a@b.co>", "André", "a@b.co"},
		{"user+tag@bücher.example", "", "user+tag@xn--bcher-kva.example"},
		{"o'brien@example.org", "", "o'brien@example.org"},
	}
	for _, c := range cases {
		a, err := Parse(c.in)
		if err != nil {
			t.Errorf("Parse(%q): %v", c.in, err)
			continue
		}
		if a.Name != c.name || a.Email != c.email {
			t.Errorf("Parse(%q) = %+v, want name %q email %q", c.in, a, c.name, c.email)
		}
	}
}

func TestParseRefuses(t *testing.T) {
	cases := map[string]string{
		"":                                 "empty",
		"no-at-sign":                       "not an address",
		"a@localhost":                      "dot",
		"a@[127.0.0.1]":                    "IP",
		"a@127.0.0.1":                      "IP",
		"a@exa_mple.com":                   "host name",
		"a@-bad.com":                       "host name",
		"a b@x.com":                        "not an address",
		`"a b"@x.com`:                      "not an address",
		"a..b@x.com":                       "not an address",
		"jörg@x.com":                       "before @",
		"a@x.com\r\nBcc: victim@y.com":     "line break",
		"Eve\n <a@x.com>":                  "line break",
		"=?utf-8?q?a=0D=0Ab?= <a@x.com>":   "line break",
		"=?utf-8?q?a=00b?= <a@x.com>":      "control",
		strings.Repeat("a", 65) + "@x.com": "64",
		"a@" + strings.Repeat("b", 63) + "." + strings.Repeat("c", 63) + "." + strings.Repeat("d", 63) + "." + strings.Repeat("e", 61) + ".com": "",
		"a@x.com, b@y.com": "not an address",
	}
	for in, why := range cases {
		_, err := Parse(in)
		if err == nil {
			t.Errorf("Parse(%q) accepted", in)
			continue
		}
		if !errors.Is(err, ErrInvalid) {
			t.Errorf("Parse(%q): %v is not ErrInvalid", in, err)
		}
		if !strings.Contains(err.Error(), why) {
			t.Errorf("Parse(%q): %q does not say %q", in, err, why)
		}
	}
}

func TestNewChecksTheNameToo(t *testing.T) {
	if _, err := New("Acme\r\nBcc: x@y.com", "hello@acme.com"); !errors.Is(err, ErrInvalid) {
		t.Fatalf("name with CR/LF: %v", err)
	}
	if _, err := New(strings.Repeat("n", MaxNameLen+1), "hello@acme.com"); err == nil {
		t.Fatal("over-long name accepted")
	}
	a, err := New("  Acme  ", " Hello@Acme.com ")
	if err != nil || a.Name != "Acme" || a.Email != "Hello@acme.com" || a.Domain() != "acme.com" {
		t.Fatalf("New = %+v, %v", a, err)
	}
}

func TestStringEncodesNonASCIINames(t *testing.T) {
	a, err := New("Zoë Ångström", "zoe@example.com")
	if err != nil {
		t.Fatal(err)
	}
	s := a.String()
	if !strings.HasPrefix(s, "=?utf-8?") || !strings.HasSuffix(s, " <zoe@example.com>") {
		t.Fatalf("String() = %q", s)
	}
	back, err := Parse(s)
	if err != nil || back != a {
		t.Fatalf("round trip: %+v, %v", back, err)
	}
}

// FuzzParseAddress holds the parser to its promises for any input: whatever it
// accepts has no control characters, respects the length limits, has a dotted
// lower-case ASCII domain, and reads back to itself from its header form.
func FuzzParseAddress(f *testing.F) {
	for _, s := range []string{
		"jordan@globex.com", "Jordan <jordan@globex.com>", `"A, B" <a@b.co>`,
		"=?utf-8?q?Andr=C3=A9?= <a@b.co>", "user@bücher.example", "a@[1.2.3.4]",
		"a@x.com\r\nBcc: v@y.com", "=?utf-8?b?YQ0KYg==?= <a@x.com>", "<a@b.c>", "a@b",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		a, err := Parse(in)
		if err != nil {
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("Parse(%q): error %v is not ErrInvalid", in, err)
			}
			return
		}
		for _, r := range a.Name + a.Email {
			if unicode.IsControl(r) {
				t.Fatalf("Parse(%q) kept a control character: %+v", in, a)
			}
		}
		if len(a.Email) > MaxEmailLen || strings.Count(a.Email, "@") != 1 {
			t.Fatalf("Parse(%q) = %q: bad shape", in, a.Email)
		}
		d := a.Domain()
		if !strings.Contains(d, ".") || d != strings.ToLower(d) || len(d) > MaxDomainLen {
			t.Fatalf("Parse(%q): domain %q", in, d)
		}
		for i := 0; i < len(a.Email); i++ {
			if a.Email[i] >= 0x80 || a.Email[i] <= ' ' {
				t.Fatalf("Parse(%q): email %q is not printable ASCII", in, a.Email)
			}
		}
		back, err := Parse(a.String())
		if err != nil || back != a {
			t.Fatalf("Parse(%q) = %+v; its header form %q reads back as %+v, %v", in, a, a.String(), back, err)
		}
	})
}
