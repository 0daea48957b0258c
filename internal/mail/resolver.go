package mail

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/miekg/dns"
)

// Resolver asks one recursive DNS server (DNS_RESOLVER) the exact names a
// domain must publish. It does no caching of its own: a customer who just
// fixed a record and presses "verify now" wants the answer of now.
type Resolver struct {
	Addr    string        // host:port
	Timeout time.Duration // per exchange (default 2s)
}

// SystemResolverConf is where the system's resolver is read from when
// DNS_RESOLVER is unset.
const SystemResolverConf = "/etc/resolv.conf"

// NewResolver asks addr (host:port); an empty addr takes the first
// nameserver of /etc/resolv.conf.
func NewResolver(addr string) (*Resolver, error) { return newResolver(addr, SystemResolverConf) }

func newResolver(addr, confPath string) (*Resolver, error) {
	if addr == "" {
		conf, err := dns.ClientConfigFromFile(confPath)
		if err != nil {
			return nil, fmt.Errorf("DNS_RESOLVER is unset and %s cannot be read: %w", confPath, err)
		}
		if len(conf.Servers) == 0 {
			return nil, fmt.Errorf("DNS_RESOLVER is unset and %s names no nameserver", confPath)
		}
		addr = net.JoinHostPort(conf.Servers[0], conf.Port)
	}
	if _, port, err := net.SplitHostPort(addr); err != nil || port == "" {
		return nil, fmt.Errorf("DNS resolver %q is not host:port", addr)
	}
	return &Resolver{Addr: addr, Timeout: 2 * time.Second}, nil
}

// answer is what one lookup found: the records of the asked type at the
// name (CNAMEs on the way are not followed into: we ask exact names), and
// whether the name exists at all.
type answer struct {
	records  []dns.RR
	nxdomain bool
}

// LookupError is a lookup that got no usable answer (timeout, SERVFAIL,
// REFUSED, unreachable resolver). It says nothing about the record, so a
// check that meets it keeps the record's last status.
type LookupError struct {
	Name string
	Err  error
}

func (e *LookupError) Error() string { return "DNS lookup of " + e.Name + " failed: " + e.Err.Error() }
func (e *LookupError) Unwrap() error { return e.Err }

// udpSize is the EDNS0 buffer we offer: the DNS Flag Day 2020 size, which
// avoids IP fragmentation; a bigger answer comes truncated and is asked
// again over TCP.
const udpSize = 1232

// lookup asks for qtype records at name: over UDP (tried twice on a
// timeout), then over TCP when the answer came truncated.
func (r *Resolver) lookup(ctx context.Context, name string, qtype uint16) (answer, error) {
	q := new(dns.Msg)
	q.SetQuestion(dns.Fqdn(name), qtype)
	q.RecursionDesired = true
	q.SetEdns0(udpSize, false)
	timeout := r.Timeout
	if timeout <= 0 {
		timeout = 2 * time.Second
	}
	var resp *dns.Msg
	var err error
	for attempt := 0; attempt < 2; attempt++ {
		c := &dns.Client{Net: "udp", Timeout: timeout, UDPSize: udpSize}
		resp, _, err = c.ExchangeContext(ctx, q, r.Addr)
		if err == nil || ctx.Err() != nil || !isTimeout(err) {
			break
		}
	}
	if err == nil && resp.Truncated {
		c := &dns.Client{Net: "tcp", Timeout: timeout}
		resp, _, err = c.ExchangeContext(ctx, q, r.Addr)
	}
	if err != nil {
		return answer{}, &LookupError{Name: name, Err: err}
	}
	switch resp.Rcode {
	case dns.RcodeSuccess:
	case dns.RcodeNameError:
		return answer{nxdomain: true}, nil
	default:
		return answer{}, &LookupError{Name: name, Err: errors.New("the resolver answered " + rcodeName(resp.Rcode))}
	}
	var out answer
	want := dns.Fqdn(strings.ToLower(name))
	for _, rr := range resp.Answer {
		h := rr.Header()
		if h.Rrtype == qtype && strings.ToLower(h.Name) == want {
			out.records = append(out.records, rr)
		}
	}
	return out, nil
}

// lookupTXT is every TXT record at name, each with its character-strings
// joined (RFC 7208 3.3: a record split into strings reads as one).
func (r *Resolver) lookupTXT(ctx context.Context, name string) ([]string, bool, error) {
	a, err := r.lookup(ctx, name, dns.TypeTXT)
	if err != nil {
		return nil, false, err
	}
	var out []string
	for _, rr := range a.records {
		if t, ok := rr.(*dns.TXT); ok {
			out = append(out, unescapeTXT(strings.Join(t.Txt, "")))
		}
	}
	return out, a.nxdomain, nil
}

// lookupCNAME is the CNAME targets at name, without the trailing dot.
func (r *Resolver) lookupCNAME(ctx context.Context, name string) ([]string, bool, error) {
	a, err := r.lookup(ctx, name, dns.TypeCNAME)
	if err != nil {
		return nil, false, err
	}
	var out []string
	for _, rr := range a.records {
		if c, ok := rr.(*dns.CNAME); ok {
			out = append(out, strings.TrimSuffix(strings.ToLower(c.Target), "."))
		}
	}
	return out, a.nxdomain, nil
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

func rcodeName(rc int) string {
	if s, ok := dns.RcodeToString[rc]; ok {
		return s
	}
	return "rcode " + strconv.Itoa(rc)
}

// unescapeTXT turns the presentation form miekg/dns gives TXT strings in
// (\DDD for a byte that is not printable ASCII, \" and \\ for quote and
// backslash) back into the bytes published.
func unescapeTXT(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c != '\\' || i+1 == len(s) {
			b.WriteByte(c)
			continue
		}
		if i+3 < len(s) && isDigit(s[i+1]) && isDigit(s[i+2]) && isDigit(s[i+3]) {
			if n, err := strconv.Atoi(s[i+1 : i+4]); err == nil && n <= 255 {
				b.WriteByte(byte(n))
				i += 3
				continue
			}
		}
		b.WriteByte(s[i+1])
		i++
	}
	return b.String()
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }
