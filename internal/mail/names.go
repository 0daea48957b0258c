package mail

import (
	"errors"
	"net/netip"
	"strings"
	"unicode/utf8"

	"golang.org/x/net/idna"
	"golang.org/x/net/publicsuffix"

	"lumdesk/internal/platform/apperr"
)

// MaxDomainLength is the longest domain name DNS carries (RFC 1035, without the root dot).
const MaxDomainLength = 253

// maxDomainInput bounds what the parser reads at all: a Unicode name longer
// than this cannot fit in 253 ASCII characters once encoded.
const maxDomainInput = 1024

// domainProfile maps what people type (upper case, full-width dots, Unicode)
// to the lower-case ASCII form DNS holds, and refuses what is not a host name
// (underscores, leading or trailing hyphens, bad punycode, mixed-direction labels).
// Lengths and empty labels are checked after it, with messages of our own.
var domainProfile = idna.New(idna.MapForLookup(), idna.BidiRule(), idna.ValidateLabels(true),
	idna.StrictDomainName(true), idna.Transitional(false))

// NormalizeDomain turns a sending domain as typed into its canonical form:
// lower-case ASCII with IDNA A-labels, no trailing dot. It refuses what can
// never be a domain a customer sends from: IP literals, single labels,
// localhost, public suffixes ("com", "co.uk") and names over 253 characters.
// The error is a FieldErrors on "domain" whose text says what is wrong.
func NormalizeDomain(raw string) (string, error) {
	bad := func(msg string) (string, error) { return "", apperr.FieldErrors{"domain": msg} }
	s := strings.TrimSpace(raw)
	if s == "" {
		return bad("Enter a domain name, e.g. mail.example.com.")
	}
	if len(s) > maxDomainInput {
		return bad("The domain name is longer than 253 characters.")
	}
	if strings.ContainsAny(s, "@/: \t\r\n") && !isIPLiteral(s) {
		return bad("Enter only the domain name (like mail.example.com), without an address, a scheme, a port or a path.")
	}
	if isIPLiteral(s) {
		return bad("An IP address is not a sending domain; enter a domain name.")
	}
	// One trailing dot is the fully qualified form of the same name.
	s = strings.TrimSuffix(s, ".")
	ascii, err := domainProfile.ToASCII(s)
	if err == nil {
		// The A-labels must read back as themselves: invalid UTF-8 or
		// disallowed characters can encode into punycode that does not.
		var again string
		if again, err = domainProfile.ToASCII(ascii); err == nil && again != ascii {
			err = errors.New("not canonical")
		}
	}
	if !utf8.ValidString(s) || err != nil {
		return bad("This is not a valid domain name: each part may hold letters, digits and inner hyphens only.")
	}
	ascii = strings.ToLower(ascii)
	if len(ascii) > MaxDomainLength {
		return bad("The domain name is longer than 253 characters.")
	}
	labels := strings.Split(ascii, ".")
	for _, l := range labels {
		if l == "" {
			return bad("The domain name has an empty part (two dots in a row, or a leading dot).")
		}
		if len(l) > 63 {
			return bad("A part of the domain name is longer than 63 characters.")
		}
	}
	if isIPLiteral(ascii) {
		return bad("An IP address is not a sending domain; enter a domain name.")
	}
	if len(labels) < 2 {
		return bad("Enter a full domain name such as example.com, not a single label.")
	}
	last := labels[len(labels)-1]
	if strings.Trim(last, "0123456789") == "" {
		// "1.2.3.4" caught above; "10.0.0" and the like are what resolvers read as addresses too.
		return bad("The last part of a domain name cannot be all digits.")
	}
	if last == "localhost" {
		return bad("localhost names only this machine; enter a public domain name.")
	}
	if suffix, _ := publicsuffix.PublicSuffix(ascii); suffix == ascii {
		return bad(ascii + " is a public suffix that anyone can register under; add your own domain, e.g. example." + ascii + ".")
	}
	return ascii, nil
}

// isIPLiteral reports whether s is an IPv4 or IPv6 address, bare or in brackets.
func isIPLiteral(s string) bool {
	s = strings.TrimSuffix(strings.TrimPrefix(s, "["), "]")
	if i := strings.IndexByte(s, '%'); i >= 0 { // an IPv6 zone
		s = s[:i]
	}
	_, err := netip.ParseAddr(s)
	return err == nil
}
