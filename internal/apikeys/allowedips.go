package apikeys

import (
	"context"
	"fmt"
	"net/netip"
	"slices"
	"strconv"
	"strings"

	"lumdesk/db/store"
	"lumdesk/internal/accounts"
	"lumdesk/internal/audit"
	"lumdesk/internal/platform/db"
)

// MaxAllowedIPs bounds a key's IP allow list.
const MaxAllowedIPs = 100

// ErrAllowedIPsProduct: only Luarmor keys keep an IP allow list (the
// Luarmor API is the one that enforces it).
var ErrAllowedIPsProduct = ValidationError{"allowed_ips": "only Luarmor keys have an IP allow list"}

// inScope reports whether a key of account acc (nil: an operator key) is
// within scope: an account's scope never reaches operator keys.
func inScope(scope accounts.Scope, acc *int64) bool {
	if scope.All() {
		return true
	}
	return acc != nil && scope.Allows(*acc)
}

// prefixString shows a single address without its /32 or /128.
func prefixString(p netip.Prefix) string {
	if p.IsSingleIP() {
		return p.Addr().String()
	}
	return p.String()
}

// prefixStrings shows a list (nil when empty, as a key without one reads).
func prefixStrings(ps []netip.Prefix) []string {
	if len(ps) == 0 {
		return nil
	}
	out := make([]string, len(ps))
	for i, p := range ps {
		out[i] = prefixString(p)
	}
	return out
}

// ParseAllowedIPs reads allow list entries (IPv4 or IPv6 addresses and
// CIDR networks), normalised: host bits cleared, IPv4-mapped IPv6
// addresses as IPv4, duplicates dropped, empty entries ignored.
func ParseAllowedIPs(entries []string) ([]netip.Prefix, error) {
	out := make([]netip.Prefix, 0, len(entries))
	for _, e := range entries {
		e = strings.TrimSpace(e)
		if e == "" {
			continue
		}
		p, err := parseAllowedIP(e)
		if err != nil {
			return nil, ValidationError{"allowed_ips": err.Error()}
		}
		if !slices.Contains(out, p) {
			out = append(out, p)
		}
		if len(out) > MaxAllowedIPs {
			return nil, ValidationError{"allowed_ips": fmt.Sprintf("at most %d addresses or networks per key", MaxAllowedIPs)}
		}
	}
	return out, nil
}

func parseAllowedIP(e string) (netip.Prefix, error) {
	shown := truncate(e, 60)
	bad := fmt.Errorf("%q is not an IP address or CIDR network (like 203.0.113.7, 10.0.0.0/8 or 2001:db8::/32)", shown)
	if addrPart, bitsPart, ok := strings.Cut(e, "/"); ok {
		a, err := netip.ParseAddr(addrPart)
		if err != nil || a.Zone() != "" {
			return netip.Prefix{}, bad
		}
		bits, err := strconv.Atoi(bitsPart)
		if err != nil || bitsPart != strconv.Itoa(bits) || bits < 0 || bits > a.BitLen() {
			return netip.Prefix{}, fmt.Errorf("%q has a prefix length outside 0 to %d", shown, a.BitLen())
		}
		if a.Is4In6() && bits >= 96 {
			a, bits = a.Unmap(), bits-96
		}
		return netip.PrefixFrom(a, bits).Masked(), nil
	}
	a, err := netip.ParseAddr(e)
	if err != nil || a.Zone() != "" {
		return netip.Prefix{}, bad
	}
	a = a.Unmap()
	return netip.PrefixFrom(a, a.BitLen()), nil
}

// AllowsIP reports whether the key accepts a request from ip: any address
// when its allow list is empty, else one inside a listed network. An
// unreadable address is refused by a non-empty list.
func (k Key) AllowsIP(ip string) bool {
	if len(k.allowedNets) == 0 {
		return true
	}
	a, err := netip.ParseAddr(strings.TrimSpace(ip))
	if err != nil {
		return false
	}
	a = a.Unmap().WithZone("")
	for _, p := range k.allowedNets {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// SetAllowedIPs replaces the IP allow list of a Luarmor key within scope
// (entries as ParseAllowedIPs reads them; none: any address). A key of
// another account is ErrNotFound; a revoked key is ErrAlreadyRevoked.
func (s *Service) SetAllowedIPs(ctx context.Context, actor audit.Actor, scope accounts.Scope, id int64, entries []string) (Key, error) {
	if len(entries) > 4*MaxAllowedIPs {
		return Key{}, ValidationError{"allowed_ips": fmt.Sprintf("at most %d addresses or networks per key", MaxAllowedIPs)}
	}
	nets, verr := ParseAllowedIPs(entries)
	err := s.db.Tx(ctx, func(q *store.Queries) error {
		old, err := q.LockAPIKey(ctx, id)
		if db.IsNotFound(err) || (err == nil && !inScope(scope, old.AccountID)) {
			return ErrNotFound
		}
		if err != nil {
			return fmt.Errorf("set allowed ips of api key %d: %w", id, err)
		}
		switch {
		case old.Product != Luarmor:
			return ErrAllowedIPsProduct
		case verr != nil:
			return verr
		case old.RevokedAt != nil:
			return ErrAlreadyRevoked
		}
		row, err := q.SetAPIKeyAllowedIPs(ctx, store.SetAPIKeyAllowedIPsParams{ID: id, AllowedIps: nets})
		if err != nil {
			return fmt.Errorf("set allowed ips of api key %d: %w", id, err)
		}
		return audit.Record(ctx, q, actor, audit.Event{Action: "api_key.allowed_ips", EntityType: "api_key",
			EntityID: strconv.FormatInt(id, 10),
			Before:   map[string]any{"allowed_ips": auditList(old.AllowedIps)},
			After:    map[string]any{"allowed_ips": auditList(row.AllowedIps)}})
	})
	if err != nil {
		return Key{}, err
	}
	return s.GetIn(ctx, scope, id)
}

// auditList is the list as audit rows show it ([] rather than null).
func auditList(ps []netip.Prefix) []string {
	if out := prefixStrings(ps); out != nil {
		return out
	}
	return []string{}
}
