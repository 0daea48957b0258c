package luarmor_test

import (
	"strings"
	"testing"

	"lumdesk/internal/accounts"
	"lumdesk/internal/apikeys"
	"lumdesk/internal/platform/config"
)

// allowOnly sets the world key's IP allow list.
func (w *world) allowOnly(entries ...string) {
	w.t.Helper()
	page, err := w.env.APIKeys.ListIn(ctx, accounts.Only(w.account.ID), apikeys.ListParams{Product: apikeys.Luarmor})
	if err != nil || len(page.Keys) != 1 {
		w.t.Fatalf("the world's key: %v %v", page.Keys, err)
	}
	if _, err := w.env.APIKeys.SetAllowedIPs(ctx, actor, accounts.Only(w.account.ID), page.Keys[0].ID, entries); err != nil {
		w.t.Fatal(err)
	}
}

func refusedFrom(t *testing.T, name string, r resp, ip string) {
	t.Helper()
	want(t, name, r, 403, "")
	if msg := r.str("message"); !strings.Contains(msg, "does not accept requests from "+ip) || !strings.Contains(msg, "IP allow list") {
		t.Errorf("%s: message %q does not name %s and the allow list", name, msg, ip)
	}
}

// Without TRUST_PROXY the client is the connection's address (127.0.0.1
// here) and X-Forwarded-For is ignored.
func TestAllowedIPsDirect(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	if r := w.call("GET", w.users(), w.key, nil); r.Status != 200 {
		t.Fatalf("empty list: %d %s", r.Status, r.Raw)
	}
	w.allowOnly("127.0.0.1")
	if r := w.call("GET", w.users(), w.key, nil); r.Status != 200 {
		t.Errorf("allowed address: %d %s", r.Status, r.Raw)
	}
	w.allowOnly("127.0.0.0/8")
	if r := w.call("GET", w.users(), w.key, nil); r.Status != 200 {
		t.Errorf("allowed network: %d %s", r.Status, r.Raw)
	}
	w.allowOnly("198.51.100.0/24", "2001:db8::/32")
	refusedFrom(t, "refused", w.call("GET", w.users(), w.key, nil), "127.0.0.1")
	// A forwarded header claiming an allowed address changes nothing.
	refusedFrom(t, "xff ignored", w.call("GET", w.users(), w.key, nil, "X-Forwarded-For", "198.51.100.7"), "127.0.0.1")
	// The key-in-path routes are guarded too, and a refusal spends no rate limit.
	refusedFrom(t, "details", w.call("GET", "/api/luarmor/v3/keys/"+w.key+"/details", "", nil), "127.0.0.1")
	w.allowOnly()
	if r := w.call("GET", w.users(), w.key, nil); r.Status != 200 {
		t.Errorf("cleared list: %d %s", r.Status, r.Raw)
	}
}

// With TRUST_PROXY the client address is X-Forwarded-For's (the last entry,
// the one the trusted proxy appended).
func TestAllowedIPsBehindProxy(t *testing.T) {
	t.Parallel()
	w := newWorld(t, func(c *config.Config) { c.TrustProxy = true })
	w.allowOnly("198.51.100.0/24", "2001:db8::/32", "203.0.113.9")
	xff := func(v string) resp { return w.call("GET", w.users(), w.key, nil, "X-Forwarded-For", v) }
	for _, ok := range []string{"198.51.100.77", "2001:db8:1::5", "203.0.113.9", "10.9.9.9, 198.51.100.3"} {
		if r := xff(ok); r.Status != 200 {
			t.Errorf("X-Forwarded-For %q: %d %s", ok, r.Status, r.Raw)
		}
	}
	refusedFrom(t, "ipv4 outside", xff("203.0.113.10"), "203.0.113.10")
	refusedFrom(t, "ipv6 outside", xff("2001:db9::1"), "2001:db9::1")
	refusedFrom(t, "spoofed first entry", xff("198.51.100.3, 192.0.2.50"), "192.0.2.50")
	// No header: no address to check against a non-empty list.
	refusedFrom(t, "no header", w.call("GET", w.users(), w.key, nil), "an unknown address")
}

// A refused request is not recorded as the key's last use.
func TestRefusedAddressIsNotLastUse(t *testing.T) {
	t.Parallel()
	w := newWorld(t, func(c *config.Config) { c.TrustProxy = true })
	w.allowOnly("198.51.100.0/24")
	refusedFrom(t, "refused", w.call("GET", w.users(), w.key, nil, "X-Forwarded-For", "192.0.2.1"), "192.0.2.1")
	page, err := w.env.APIKeys.ListIn(ctx, accounts.Only(w.account.ID), apikeys.ListParams{})
	if err != nil || page.Keys[0].LastUsedAt != nil {
		t.Fatalf("refused request recorded as use: %+v %v", page.Keys[0].LastUsedIP, err)
	}
	if r := w.call("GET", w.users(), w.key, nil, "X-Forwarded-For", "198.51.100.8"); r.Status != 200 {
		t.Fatalf("allowed: %d %s", r.Status, r.Raw)
	}
	page, _ = w.env.APIKeys.ListIn(ctx, accounts.Only(w.account.ID), apikeys.ListParams{})
	if page.Keys[0].LastUsedIP != "198.51.100.8" {
		t.Errorf("last used from %q, want 198.51.100.8", page.Keys[0].LastUsedIP)
	}
}
