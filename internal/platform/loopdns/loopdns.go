// Package loopdns runs a real DNS server on loopback (UDP and TCP on one
// port) that answers from a zone its owner changes as it goes. Code that
// looks records up speaks the wire protocol to it exactly as to a recursive
// resolver: the demo's and the bench's sending domains (DNS_RESOLVER), and
// the tests' (platform/dnstest starts one for a test).
package loopdns

import (
	"fmt"
	"net"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/miekg/dns"
)

// Server is the zone and the server answering from it. Names are
// case-insensitive; a name without records answers NXDOMAIN.
type Server struct {
	// Addr is host:port, for mail.NewResolver or DNS_RESOLVER.
	Addr string

	mu      sync.Mutex
	rrs     map[string][]dns.RR // lower-case FQDN -> records
	rcode   map[string]int      // lower-case FQDN -> an error rcode to answer instead
	tcpHits atomic.Int32
	servers []*dns.Server
}

// Start runs a server until Close.
func Start() (*Server, error) {
	z := &Server{rrs: map[string][]dns.RR{}, rcode: map[string]int{}}
	var pc net.PacketConn
	var ln net.Listener
	// UDP first on a free port, then TCP on the same one (another process may hold it: try again).
	for attempt := 0; ; attempt++ {
		var err error
		if pc, err = net.ListenPacket("udp", "127.0.0.1:0"); err != nil {
			return nil, err
		}
		if ln, err = net.Listen("tcp", pc.LocalAddr().String()); err == nil {
			break
		}
		pc.Close()
		if attempt == 10 {
			return nil, fmt.Errorf("loopdns: no port free for both UDP and TCP: %w", err)
		}
	}
	z.Addr = pc.LocalAddr().String()
	for _, srv := range []*dns.Server{{PacketConn: pc, Handler: z}, {Listener: ln, Handler: z}} {
		started := make(chan struct{})
		srv.NotifyStartedFunc = func() { close(started) }
		go func() { _ = srv.ActivateAndServe() }()
		<-started
		z.servers = append(z.servers, srv)
	}
	return z, nil
}

// Close stops the server.
func (z *Server) Close() {
	for _, srv := range z.servers {
		_ = srv.Shutdown()
	}
}

// TCPHits is how many queries came over TCP (after a truncated UDP answer).
func (z *Server) TCPHits() int { return int(z.tcpHits.Load()) }

// ServeDNS answers one query from the zone.
func (z *Server) ServeDNS(w dns.ResponseWriter, req *dns.Msg) {
	m := new(dns.Msg)
	m.SetReply(req)
	m.RecursionAvailable = true
	udp := w.LocalAddr().Network() == "udp"
	if !udp {
		z.tcpHits.Add(1)
	}
	if len(req.Question) == 1 {
		q := req.Question[0]
		name := strings.ToLower(q.Name)
		z.mu.Lock()
		rc, failed := z.rcode[name]
		rrs, exists := z.rrs[name]
		for _, rr := range rrs {
			if rr.Header().Rrtype == q.Qtype {
				m.Answer = append(m.Answer, dns.Copy(rr))
			}
		}
		z.mu.Unlock()
		switch {
		case failed:
			m.Answer = nil
			m.Rcode = rc
		case !exists:
			m.Rcode = dns.RcodeNameError
		}
	}
	if udp {
		size := dns.MinMsgSize
		if o := req.IsEdns0(); o != nil {
			size = int(o.UDPSize())
		}
		m.Truncate(size)
	}
	_ = w.WriteMsg(m)
}

func hdr(name string, typ uint16) dns.RR_Header {
	return dns.RR_Header{Name: dns.Fqdn(strings.ToLower(name)), Rrtype: typ, Class: dns.ClassINET, Ttl: 300}
}

// Publish puts one record as a sending domain lists it ("TXT" or "CNAME",
// name, value), replacing the records of that type at name.
func (z *Server) Publish(typ, name, value string) {
	rr := record(typ, name, value)
	z.replace(name, rr.Header().Rrtype, []dns.RR{rr})
}

// Add adds one record ("TXT" or "CNAME", name, value) to those at name, as
// a DNS provider's "add record" does: a name may hold several TXT records.
func (z *Server) Add(typ, name, value string) {
	rr := record(typ, name, value)
	z.mu.Lock()
	defer z.mu.Unlock()
	key := rr.Header().Name
	z.rrs[key] = append(z.rrs[key], rr)
}

// record is a sending domain's record: a TXT value (split into
// character-strings past 255 bytes, as DNS providers do) or a CNAME.
func record(typ, name, value string) dns.RR {
	switch strings.ToUpper(typ) {
	case "CNAME":
		return &dns.CNAME{Hdr: hdr(name, dns.TypeCNAME), Target: dns.Fqdn(value)}
	case "TXT":
		var parts []string
		for len(value) > 255 {
			parts, value = append(parts, value[:255]), value[255:]
		}
		return &dns.TXT{Hdr: hdr(name, dns.TypeTXT), Txt: append(parts, value)}
	}
	panic("loopdns: a record is TXT or CNAME, not " + typ)
}

// TXT publishes TXT records at name, replacing those there.
func (z *Server) TXT(name string, values ...string) {
	var rrs []dns.RR
	for _, v := range values {
		rrs = append(rrs, record("TXT", name, v))
	}
	z.replace(name, dns.TypeTXT, rrs)
}

// CNAME points name at target (replacing a CNAME there).
func (z *Server) CNAME(name, target string) {
	z.replace(name, dns.TypeCNAME, []dns.RR{record("CNAME", name, target)})
}

// A publishes an A record at name, so the name exists without the record a check wants.
func (z *Server) A(name, ip string) {
	z.replace(name, dns.TypeA, []dns.RR{&dns.A{Hdr: hdr(name, dns.TypeA), A: net.ParseIP(ip)}})
}

// Remove deletes the records of one type at name (the name stays if others remain).
func (z *Server) Remove(name string, typ uint16) { z.replace(name, typ, nil) }

// Fail makes every query for name answer rcode (0 stops it).
func (z *Server) Fail(name string, rcode int) {
	z.mu.Lock()
	defer z.mu.Unlock()
	key := dns.Fqdn(strings.ToLower(name))
	if rcode == 0 {
		delete(z.rcode, key)
		return
	}
	z.rcode[key] = rcode
}

func (z *Server) replace(name string, typ uint16, rrs []dns.RR) {
	z.mu.Lock()
	defer z.mu.Unlock()
	key := dns.Fqdn(strings.ToLower(name))
	var keep []dns.RR
	for _, rr := range z.rrs[key] {
		if rr.Header().Rrtype != typ {
			keep = append(keep, rr)
		}
	}
	keep = append(keep, rrs...)
	if len(keep) == 0 {
		delete(z.rrs, key)
		return
	}
	z.rrs[key] = keep
}
