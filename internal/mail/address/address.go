// Package address parses and validates the email addresses Lumora sends from
// and to. It is stricter than net/mail (which it builds on) because an address
// here ends up in an SMTP envelope and in message headers: nothing may smuggle
// a line break, the domain must be a real host name (IDNA-normalised to its
// ASCII form, with a dot), and the RFC 5321 length limits hold.
package address

import (
	"errors"
	"net/mail"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/net/idna"
)

// Limits from RFC 5321 section 4.5.3.1 (local part, domain, forward path) and
// a bound on display names so one header line stays reasonable.
const (
	MaxLocalLen  = 64
	MaxDomainLen = 253
	MaxEmailLen  = 254
	MaxNameLen   = 200
	maxInputLen  = 1024
)

// ErrInvalid is what every validation failure matches with errors.Is.
var ErrInvalid = errors.New("invalid email address")

// Error says why an address was refused.
type Error struct{ Reason string }

func (e *Error) Error() string        { return "invalid email address: " + e.Reason }
func (e *Error) Is(target error) bool { return target == ErrInvalid }

func invalid(reason string) error { return &Error{Reason: reason} }

// Address is a validated mailbox. Email is local@domain with the domain in
// lower-case ASCII (punycode for internationalised names); Name is the
// display name, free text without control characters.
type Address struct {
	Name  string
	Email string
}

// Domain is the part after the @.
func (a Address) Domain() string { return a.Email[strings.LastIndexByte(a.Email, '@')+1:] }

// String formats the address for a header, RFC 2047-encoding a non-ASCII name.
func (a Address) String() string { return (&mail.Address{Name: a.Name, Address: a.Email}).String() }

// Parse reads one address, either bare (jordan@globex.com) or with a display
// name (Jordan <jordan@globex.com>), as the API's "to" strings come.
func Parse(s string) (Address, error) {
	if len(s) > maxInputLen {
		return Address{}, invalid("too long")
	}
	if err := noControl(s); err != nil {
		return Address{}, err
	}
	s = strings.TrimSpace(s)
	if s == "" {
		return Address{}, invalid("empty")
	}
	parsed, err := mail.ParseAddress(s)
	if err != nil {
		return Address{}, invalid(NotAnAddress)
	}
	// The display name may have been RFC 2047-encoded, so its decoded form is
	// checked again: "=?utf-8?q?a=0D=0Ab?=" would otherwise carry a CR/LF.
	return New(parsed.Name, parsed.Address)
}

// NotAnAddress is the reason for text that is no address at all (rather
// than an address with one thing wrong): a form whose own message shows an
// example says nothing more.
const NotAnAddress = "not an address like name@example.com"

// New validates an address given as separate parts, as the API's
// {"email", "name"} objects come.
func New(name, email string) (Address, error) {
	name = strings.TrimSpace(name)
	if err := noControl(name); err != nil {
		return Address{}, err
	}
	if !utf8.ValidString(name) {
		return Address{}, invalid("display name is not valid UTF-8")
	}
	if utf8.RuneCountInString(name) > MaxNameLen {
		return Address{}, invalid("display name is too long")
	}
	email = strings.TrimSpace(email)
	if err := noControl(email); err != nil {
		return Address{}, err
	}
	if len(email) > maxInputLen {
		return Address{}, invalid("too long")
	}
	// net/mail checks the local part's syntax (dot-atom or quoted string).
	parsed, err := mail.ParseAddress("<" + email + ">")
	if err != nil || parsed.Address == "" {
		return Address{}, invalid(NotAnAddress)
	}
	at := strings.LastIndexByte(parsed.Address, '@')
	if at <= 0 {
		return Address{}, invalid("missing @")
	}
	local, domain := parsed.Address[:at], parsed.Address[at+1:]
	if err := dotAtom(local); err != nil {
		return Address{}, err
	}
	if len(local) > MaxLocalLen {
		return Address{}, invalid("the part before @ is longer than 64 characters")
	}
	ascii, err := NormalizeDomain(domain)
	if err != nil {
		return Address{}, err
	}
	out := Address{Name: name, Email: local + "@" + ascii}
	if len(out.Email) > MaxEmailLen {
		return Address{}, invalid("longer than 254 characters")
	}
	return out, nil
}

var idnaProfile = idna.New(
	idna.MapForLookup(),
	idna.BidiRule(),
	idna.ValidateLabels(true),
	idna.StrictDomainName(true),
	idna.VerifyDNSLength(true),
)

// NormalizeDomain turns a domain into lower-case ASCII (punycode for
// internationalised labels) and refuses what can't be a mail host: IP
// literals, single labels, and anything that is not a valid host name.
func NormalizeDomain(domain string) (string, error) {
	if strings.HasPrefix(domain, "[") {
		return "", invalid("IP address domains are not accepted")
	}
	domain = strings.TrimSuffix(domain, ".")
	ascii, err := idnaProfile.ToASCII(domain)
	if err != nil || ascii == "" {
		return "", invalid("the domain is not a valid host name")
	}
	ascii = strings.ToLower(ascii)
	if len(ascii) > MaxDomainLen {
		return "", invalid("the domain is longer than 253 characters")
	}
	if !strings.Contains(ascii, ".") {
		return "", invalid("the domain must contain a dot")
	}
	labels := strings.Split(ascii, ".")
	tld := labels[len(labels)-1]
	allDigits := true
	for _, r := range tld {
		if r < '0' || r > '9' {
			allDigits = false
		}
	}
	if allDigits {
		return "", invalid("IP address domains are not accepted")
	}
	return ascii, nil
}

// dotAtom accepts the local parts that need no quoting (RFC 5322 dot-atom,
// ASCII only). net/mail also accepts quoted strings ("a b"@x) and returns them
// unquoted, which would then be wrong in an SMTP envelope; and without SMTPUTF8
// at every relay a non-ASCII local part can't be delivered reliably. Refusing
// both here beats a bounce later.
func dotAtom(local string) error {
	if local == "" || local[0] == '.' || local[len(local)-1] == '.' || strings.Contains(local, "..") {
		return invalid("the part before @ is not valid")
	}
	for i := 0; i < len(local); i++ {
		c := local[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '.':
		case strings.IndexByte("!#$%&'*+-/=?^_`{|}~", c) >= 0:
		default:
			return invalid("the part before @ may only use letters, digits and !#$%&'*+-/=?^_`{|}~.")
		}
	}
	return nil
}

// noControl refuses CR, LF and the other control characters anywhere: they are
// how header injection starts, and no real address or name needs them.
func noControl(s string) error {
	for _, r := range s {
		if r == '\r' || r == '\n' {
			return invalid("contains a line break")
		}
		if unicode.IsControl(r) {
			return invalid("contains a control character")
		}
	}
	return nil
}
