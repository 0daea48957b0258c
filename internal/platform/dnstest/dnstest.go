// Package dnstest runs a real DNS server on loopback (platform/loopdns) for
// the length of a test: Lumora's sending-domain checks (internal/mail) in
// the mail tests, and the whole app's in servertest and the browser tests
// (DNS_RESOLVER).
package dnstest

import (
	"testing"

	"lumdesk/internal/platform/loopdns"
)

// Server is the zone and the server answering from it.
type Server = loopdns.Server

// Start runs a server until the test ends.
func Start(t testing.TB) *Server {
	t.Helper()
	z, err := loopdns.Start()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(z.Close)
	return z
}
