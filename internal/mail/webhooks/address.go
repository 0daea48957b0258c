package webhooks

import (
	"context"
	"crypto/tls"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"syscall"
	"time"
	"unicode"
	"unicode/utf8"
)

// reserved are the ranges, beyond what netip classifies itself, that are not
// the public internet.
var reserved = []struct {
	prefix netip.Prefix
	what   string
}{
	{netip.MustParsePrefix("0.0.0.0/8"), "an unspecified"},
	{netip.MustParsePrefix("100.64.0.0/10"), "a carrier-grade NAT (CGNAT)"},
	{netip.MustParsePrefix("192.0.0.0/24"), "a reserved"},
	{netip.MustParsePrefix("192.0.2.0/24"), "a documentation"},
	{netip.MustParsePrefix("198.18.0.0/15"), "a benchmarking"},
	{netip.MustParsePrefix("198.51.100.0/24"), "a documentation"},
	{netip.MustParsePrefix("203.0.113.0/24"), "a documentation"},
	{netip.MustParsePrefix("240.0.0.0/4"), "a reserved"}, // with 255.255.255.255, the broadcast address
	{netip.MustParsePrefix("100::/64"), "a discard"},
	{netip.MustParsePrefix("2001:db8::/32"), "a documentation"},
	{netip.MustParsePrefix("fec0::/10"), "a private (site-local)"},
}

// Prefixes of IPv6 addresses that carry an IPv4 address, which is what they
// reach in the end.
var (
	nat64     = netip.MustParsePrefix("64:ff9b::/96")
	sixToFour = netip.MustParsePrefix("2002::/16")
)

// blocked says what kind of non-public address ip is ("a loopback"), or ""
// when it is a public one.
func blocked(ip netip.Addr) string {
	ip = ip.Unmap()
	switch {
	case !ip.IsValid():
		return "an invalid"
	case ip.IsUnspecified():
		return "an unspecified"
	case ip.IsLoopback():
		return "a loopback"
	case ip.IsPrivate():
		return "a private"
	case ip.IsLinkLocalUnicast():
		return "a link-local"
	case ip.IsMulticast(), ip.IsLinkLocalMulticast(), ip.IsInterfaceLocalMulticast():
		return "a multicast"
	}
	for _, r := range reserved {
		if r.prefix.Contains(ip) {
			return r.what
		}
	}
	if nat64.Contains(ip) {
		b := ip.As16()
		return blocked(netip.AddrFrom4([4]byte(b[12:16])))
	}
	if sixToFour.Contains(ip) {
		b := ip.As16()
		return blocked(netip.AddrFrom4([4]byte(b[2:6])))
	}
	return ""
}

// blockedError is a dial refused because the address is not public.
type blockedError struct {
	ip   netip.Addr
	what string
}

func (e *blockedError) Error() string {
	return fmt.Sprintf("refused to connect to %s, %s address: webhooks go to public addresses only", e.ip, e.what)
}

// checkURL validates and normalises an endpoint URL; the message says what is
// wrong for the person who typed it ("" when it is fine). Unless private
// addresses are allowed, the host must resolve, and only to public addresses.
func (s *Service) checkURL(ctx context.Context, raw string) (string, string) {
	raw = strings.TrimSpace(raw)
	switch {
	case raw == "":
		return "", "Enter the URL webhooks are sent to."
	case len(raw) > MaxURL:
		return "", fmt.Sprintf("Use a URL of at most %d characters.", MaxURL)
	case !utf8.ValidString(raw) || strings.ContainsFunc(raw, func(r rune) bool { return unicode.IsControl(r) || unicode.IsSpace(r) }):
		return "", "The URL contains spaces or control characters."
	}
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || u.Opaque != "" {
		return "", "Enter a full URL such as https://example.com/webhooks."
	}
	u.Scheme = strings.ToLower(u.Scheme)
	switch {
	case u.Scheme == "http" && !s.set.AllowPrivate:
		return "", "Use an https:// URL; plain http is refused."
	case u.Scheme != "https" && u.Scheme != "http":
		return "", "Use an https:// URL such as https://example.com/webhooks."
	case u.User != nil:
		// A password in the URL would show in every log of it; the signature authenticates us instead.
		return "", "Leave user name and password out of the URL; check the webhook-signature header instead."
	case u.Fragment != "" || strings.Contains(raw, "#"):
		return "", "Remove the #fragment from the URL; it is never sent."
	}
	host := strings.ToLower(u.Hostname())
	if p := u.Port(); p != "" {
		if n := atoiPort(p); n < 1 || n > 65535 {
			return "", "Use a port from 1 to 65535."
		}
	}
	// The messages below lead with a word, not the host: a form capitalises
	// its message's first letter, and "Hooks.example.com" is not the host.
	ip, ipErr := netip.ParseAddr(host)
	if ipErr != nil && !isHostname(host) {
		return "", "Use a host name of letters, digits and hyphens (IDN names in their xn-- form) or an IP address."
	}
	if !s.set.AllowPrivate {
		if ipErr == nil {
			if what := blocked(ip); what != "" {
				return "", fmt.Sprintf("The address %s is %s address; webhooks go to public addresses only.", ip, what)
			}
		} else {
			lctx, cancel := context.WithTimeout(ctx, 5*time.Second)
			defer cancel()
			addrs, err := s.resolver.LookupNetIP(lctx, "ip", host)
			if err != nil || len(addrs) == 0 {
				return "", fmt.Sprintf("The host %s does not resolve to an address; publish its DNS record first.", host)
			}
			for _, a := range addrs {
				if what := blocked(a); what != "" {
					return "", fmt.Sprintf("The host %s resolves to %s, %s address; webhooks go to public addresses only.", host, a.Unmap(), what)
				}
			}
		}
	}
	u.Host = strings.ToLower(u.Host)
	return u.String(), ""
}

func atoiPort(p string) int {
	if len(p) > 5 {
		return -1
	}
	n := 0
	for _, c := range p {
		if c < '0' || c > '9' {
			return -1
		}
		n = n*10 + int(c-'0')
	}
	return n
}

// isHostname reports whether s is an ASCII host name: labels of letters,
// digits, hyphens and underscores, at most 253 characters in all.
func isHostname(s string) bool {
	s = strings.TrimSuffix(s, ".")
	if s == "" || len(s) > 253 {
		return false
	}
	for _, l := range strings.Split(s, ".") {
		if l == "" || len(l) > 63 || l[0] == '-' || l[len(l)-1] == '-' {
			return false
		}
		for _, r := range l {
			if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-' || r == '_') {
				return false
			}
		}
	}
	return true
}

// newClient is the HTTP client of deliveries. Its dialer checks the address
// it is about to connect to, after resolution: a host that resolved to a
// public address when the endpoint was created and resolves to a private one
// now is refused here. No proxy (it would hide the address dialled) and no
// redirects (a 3xx is an answer, not a delivery).
func (s *Service) newClient() *http.Client {
	d := &net.Dialer{Timeout: s.set.Timeout, KeepAlive: 30 * time.Second, Resolver: s.resolver}
	if !s.set.AllowPrivate {
		d.Control = func(network, address string, _ syscall.RawConn) error {
			ap, err := netip.ParseAddrPort(address)
			if err != nil {
				return fmt.Errorf("refused to connect to %q: not an IP address", address)
			}
			if what := blocked(ap.Addr()); what != "" {
				return &blockedError{ip: ap.Addr().Unmap(), what: what}
			}
			return nil
		}
	}
	tr := &http.Transport{
		Proxy:                 nil,
		DialContext:           d.DialContext,
		TLSClientConfig:       &tls.Config{RootCAs: s.set.RootCAs, MinVersion: tls.VersionTLS12},
		TLSHandshakeTimeout:   s.set.Timeout,
		ResponseHeaderTimeout: s.set.Timeout,
		MaxIdleConns:          64,
		MaxIdleConnsPerHost:   4,
		IdleConnTimeout:       90 * time.Second,
		ForceAttemptHTTP2:     true,
	}
	return &http.Client{
		Transport:     tr,
		Timeout:       s.set.Timeout,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}
