package mail

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"golang.org/x/net/publicsuffix"
)

func TestNormalizeDomain(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("a", 63) + "." + strings.Repeat("b", 63) + "." + strings.Repeat("c", 63) + "." + strings.Repeat("d", 57) + ".com" // 253
	for _, c := range []struct{ in, want, err string }{
		{"example.com", "example.com", ""},
		{"  Mail.Example.COM.  ", "mail.example.com", ""},
		{"bücher.example", "xn--bcher-kva.example", ""},
		{"BÜCHER.de", "xn--bcher-kva.de", ""},
		{"xn--bcher-kva.de", "xn--bcher-kva.de", ""},
		{"mail．example．com", "mail.example.com", ""}, // full-width dots map to dots
		{"acme.co.uk", "acme.co.uk", ""},
		{"a-b.example.io", "a-b.example.io", ""},
		{long, long, ""},
		{"e" + long, "", "The domain name is longer than 253 characters."},
		{"", "", "Enter a domain name, e.g. mail.example.com."},
		{"   ", "", "Enter a domain name, e.g. mail.example.com."},
		{"192.0.2.1", "", "An IP address is not a sending domain; enter a domain name."},
		{"[2001:db8::1]", "", "An IP address is not a sending domain; enter a domain name."},
		{"2001:db8::1", "", "An IP address is not a sending domain; enter a domain name."},
		{"10.0.0", "", "The last part of a domain name cannot be all digits."},
		{"example", "", "Enter a full domain name such as example.com, not a single label."},
		{"localhost", "", "Enter a full domain name such as example.com, not a single label."},
		{"mail.localhost", "", "localhost names only this machine; enter a public domain name."},
		{"com", "", "Enter a full domain name such as example.com, not a single label."},
		{"co.uk", "", "co.uk is a public suffix that anyone can register under; add your own domain, e.g. example.co.uk."},
		{"github.io", "", "github.io is a public suffix that anyone can register under; add your own domain, e.g. example.github.io."},
		{"hello@example.com", "", "Enter only the domain name (like mail.example.com), without an address, a scheme, a port or a path."},
		{"https://example.com", "", "Enter only the domain name (like mail.example.com), without an address, a scheme, a port or a path."},
		{"example.com:25", "", "Enter only the domain name (like mail.example.com), without an address, a scheme, a port or a path."},
		{"exa mple.com", "", "Enter only the domain name (like mail.example.com), without an address, a scheme, a port or a path."},
		{"example.com\r\nBcc: x", "", "Enter only the domain name (like mail.example.com), without an address, a scheme, a port or a path."},
		{"under_score.example.com", "", "This is not a valid domain name: each part may hold letters, digits and inner hyphens only."},
		{"-lead.example.com", "", "This is not a valid domain name: each part may hold letters, digits and inner hyphens only."},
		{"trail-.example.com", "", "This is not a valid domain name: each part may hold letters, digits and inner hyphens only."},
		{"two..dots.com", "", "The domain name has an empty part (two dots in a row, or a leading dot)."},
		{".lead.com", "", "The domain name has an empty part (two dots in a row, or a leading dot)."},
		{"xn--zz.example", "", "This is not a valid domain name: each part may hold letters, digits and inner hyphens only."},
		{strings.Repeat("a", 64) + ".com", "", "A part of the domain name is longer than 63 characters."},
		{"example.com..", "", "The domain name has an empty part (two dots in a row, or a leading dot)."},
		{strings.Repeat("a.", 600) + "com", "", "The domain name is longer than 253 characters."},
	} {
		got, err := NormalizeDomain(c.in)
		msg := ""
		if err != nil {
			msg = err.(ValidationError)["domain"]
		}
		if got != c.want || msg != c.err {
			t.Errorf("NormalizeDomain(%q) = %q, %q; want %q, %q", c.in, got, msg, c.want, c.err)
		}
	}
}

// Whatever is typed, an accepted name is canonical (normalising it again
// changes nothing), fits DNS, is lower-case ASCII of two labels or more,
// and is neither an address nor a public suffix; a refusal is always a
// message on the domain field.
func FuzzNormalizeDomain(f *testing.F) {
	for _, s := range []string{"example.com", "Mail.Example.COM.", "bücher.de", "192.0.2.1", "co.uk", "localhost", "[::1]",
		"xn--bcher-kva.de", "a..b", "a_b.com", "ß.example", "١.example", "mail．example．com", strings.Repeat("a.", 130) + "com"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		got, err := NormalizeDomain(in)
		if err != nil {
			fe, ok := err.(ValidationError)
			if !ok || len(fe) != 1 || fe["domain"] == "" || got != "" {
				t.Fatalf("NormalizeDomain(%q) = %q, %#v", in, got, err)
			}
			return
		}
		again, err := NormalizeDomain(got)
		if err != nil || again != got {
			t.Fatalf("not canonical: %q -> %q -> %q, %v", in, got, again, err)
		}
		if len(got) > MaxDomainLength || strings.Count(got, ".") < 1 || isIPLiteral(got) {
			t.Fatalf("NormalizeDomain(%q) = %q", in, got)
		}
		for _, r := range got {
			if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-' || r == '.') {
				t.Fatalf("NormalizeDomain(%q) = %q: %q is not a host name character", in, got, r)
			}
		}
		if s, _ := publicsuffix.PublicSuffix(got); s == got {
			t.Fatalf("NormalizeDomain(%q) = %q, a public suffix", in, got)
		}
	})
}

// The record checkers read what strangers publish: nothing they find may
// make them panic, and every outcome says something.
func FuzzRecordChecks(f *testing.F) {
	for _, s := range []string{"v=spf1 include:spf.lumora.test ~all", "v=DKIM1; k=rsa; p=QUJD", "v=DMARC1; p=none", "p=;v=", ";;==;", "v=spf1"} {
		f.Add(s, "v=spf1 -all")
	}
	f.Fuzz(func(t *testing.T, a, b string) {
		for _, c := range []check{
			checkSPF("x.test", []string{a, b}, false, "spf.lumora.test"),
			checkSPF("x.test", []string{a}, false, "spf.lumora.test"),
			checkDKIM("s._domainkey.x.test", []string{a}, false, "QUJD"),
			checkDMARC("_dmarc.x.test", []string{a, b}, false),
			checkDMARC("_dmarc.x.test", []string{a}, false),
			checkReturnPath("bounces.x.test", []string{a}, false, "return.lumora.test"),
		} {
			if (c.status != StatusVerified && c.status != StatusFailing) || c.found == "" {
				t.Fatalf("check of %q, %q = %+v", a, b, c)
			}
			if f := cleanFound(c.found); !utf8.ValidString(f) || strings.ContainsFunc(f, unicode.IsControl) || utf8.RuneCountInString(f) > maxFoundStored {
				t.Fatalf("stored finding of %q, %q = %q", a, b, f)
			}
		}
	})
}

func TestUnescapeTXT(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		`v=spf1 ~all`:          "v=spf1 ~all",
		`a\"b\\c\255\000d`:     "a\"b\\c\xff\x00d",
		`trailing\`:            `trailing\`,
		`\999 is not a byte\1`: "999 is not a byte1",
	} {
		if got := unescapeTXT(in); got != want {
			t.Errorf("unescapeTXT(%q) = %q, want %q", in, got, want)
		}
	}
}

// Without DNS_RESOLVER the first nameserver of resolv.conf is asked, on its port.
func TestResolverFromResolvConf(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	for _, c := range []struct{ conf, addr, want, err string }{
		{"# local\nnameserver 10.0.0.53\nnameserver 1.1.1.1\n", "", "10.0.0.53:53", ""},
		{"nameserver 2001:db8::53\n", "", "[2001:db8::53]:53", ""},
		{"nameserver 10.0.0.53\n", "127.0.0.1:5353", "127.0.0.1:5353", ""},
		{"search example.com\n", "", "", "names no nameserver"},
		{"", "127.0.0.1", "", `DNS resolver "127.0.0.1" is not host:port`},
	} {
		r, err := newResolver(c.addr, write("resolv.conf", c.conf))
		switch {
		case c.err != "" && (err == nil || !strings.Contains(err.Error(), c.err)):
			t.Errorf("%q, %q: err = %v, want %q", c.conf, c.addr, err, c.err)
		case c.err == "" && (err != nil || r.Addr != c.want):
			t.Errorf("%q, %q: %+v, %v; want %s", c.conf, c.addr, r, err, c.want)
		}
	}
	if _, err := newResolver("", filepath.Join(dir, "missing")); err == nil || !strings.Contains(err.Error(), "cannot be read") {
		t.Errorf("missing resolv.conf: %v", err)
	}
}
