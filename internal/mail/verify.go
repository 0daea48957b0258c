package mail

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode"
	"unicode/utf8"

	"lumdesk/db/store"
	"lumdesk/internal/accounts"
	"lumdesk/internal/audit"
	"lumdesk/internal/platform/db"
)

// check is the outcome of looking one record up.
type check struct {
	status string // StatusVerified or StatusFailing; "" when the lookup failed
	found  string
}

// maxFound bounds what we quote of a published value in a message.
const maxFound = 160

// Verify looks every record of the domain up in DNS now and stores what it
// found. The domain is verified when all four records are; a domain that
// was verified and no longer is becomes failing (from now, unless it was
// failing already), which CanSendFrom allows for the grace period only. A
// lookup that got no answer (timeout, SERVFAIL) keeps that record's last
// status: a resolver's bad minute is not the customer's DNS changing.
func (s *Service) Verify(ctx context.Context, actor audit.Actor, scope accounts.Scope, id int64) (_ Domain, err error) {
	defer wrap(&err, "verify mail domain %d", id)
	d, err := s.getDomain(ctx, s.db.Queries, scope, id)
	if err != nil {
		return Domain{}, err
	}
	checks := s.lookupAll(ctx, d)
	if err := ctx.Err(); err != nil {
		return Domain{}, err
	}
	var out Domain
	err = s.db.Tx(ctx, func(q *store.Queries) error {
		row, err := q.LockMailDomain(ctx, id)
		if db.IsNotFound(err) {
			return ErrDomainNotFound // deleted while we looked
		} else if err != nil {
			return err
		}
		recs, err := q.ListMailDomainRecords(ctx, id)
		if err != nil {
			return err
		}
		before := domainFromRow(row, recs)
		now := s.clock()
		all := true
		for i, r := range recs {
			c, ok := checks[r.Kind]
			if !ok {
				continue
			}
			if c.status != "" {
				recs[i].Status = c.status
			}
			recs[i].Found, recs[i].CheckedAt = c.found, &now
			if recs[i].Status != StatusVerified {
				all = false
			}
			if err := q.UpdateMailDomainRecord(ctx, store.UpdateMailDomainRecordParams{ID: r.ID, Status: recs[i].Status,
				Found: recs[i].Found, CheckedAt: &now}); err != nil {
				return fmt.Errorf("update %s record: %w", r.Kind, err)
			}
		}
		p := store.UpdateMailDomainStatusParams{ID: id, VerifiedAt: row.VerifiedAt, FailingSince: row.FailingSince, Now: now}
		switch {
		case all:
			p.Status, p.FailingSince = StatusVerified, nil
			if row.Status != StatusVerified {
				p.VerifiedAt = &now
			}
		case row.Status == StatusVerified || row.Status == StatusFailing:
			p.Status = StatusFailing
			if p.FailingSince == nil {
				p.FailingSince = &now
			}
		default:
			p.Status = StatusPending
		}
		row, err = q.UpdateMailDomainStatus(ctx, p)
		if err != nil {
			return err
		}
		out = domainFromRow(row, recs)
		if !statusChanged(before, out) {
			return nil // a check that changed no status is not a change worth a history row
		}
		action := "mail_domain.check"
		switch {
		case before.Status != StatusVerified && out.Status == StatusVerified:
			action = "mail_domain.verified"
		case before.Status != StatusFailing && out.Status == StatusFailing:
			action = "mail_domain.failing"
		}
		return audit.Record(ctx, q, actor, audit.Event{Action: action, EntityType: audit.EntityMailDomain,
			EntityID: strconv.FormatInt(id, 10), Before: domainAudit(before), After: domainAudit(out)})
	})
	if err != nil {
		return Domain{}, err
	}
	return out, nil
}

func statusChanged(a, b Domain) bool {
	if a.Status != b.Status || len(a.Records) != len(b.Records) {
		return true
	}
	for i := range a.Records {
		if a.Records[i].Status != b.Records[i].Status {
			return true
		}
	}
	return false
}

// lookupAll checks the four records at once (a "verify now" waits for the slowest only).
func (s *Service) lookupAll(ctx context.Context, d Domain) map[string]check {
	out := make(map[string]check, len(d.Records))
	var mu sync.Mutex
	var wg sync.WaitGroup
	for _, r := range d.Records {
		wg.Go(func() {
			c := s.checkRecord(ctx, d, r)
			mu.Lock()
			out[r.Kind] = c
			mu.Unlock()
		})
	}
	wg.Wait()
	return out
}

func (s *Service) checkRecord(ctx context.Context, d Domain, r Record) check {
	var c check
	var err error
	switch r.Kind {
	case KindReturnPath:
		var targets []string
		var nx bool
		if targets, nx, err = s.resolver.lookupCNAME(ctx, r.Name); err == nil {
			c = checkReturnPath(r.Name, targets, nx, s.set.ReturnPathHost)
		}
	default:
		var txts []string
		var nx bool
		if txts, nx, err = s.resolver.lookupTXT(ctx, r.Name); err == nil {
			switch r.Kind {
			case KindSPF:
				c = checkSPF(r.Name, txts, nx, s.set.SPFInclude)
			case KindDKIM:
				c = checkDKIM(r.Name, txts, nx, d.DKIMPublicKey)
			case KindDMARC:
				c = checkDMARC(r.Name, txts, nx)
			}
		}
	}
	if err != nil {
		c = check{found: err.Error() + "; the last result stands until the next check"}
	}
	c.found = cleanFound(c.found)
	return c
}

// maxFoundStored bounds a stored finding (a TXT record can be 64 KB).
const maxFoundStored = 500

// cleanFound makes a finding safe to store and show: what strangers
// publish may hold invalid UTF-8, NUL and control characters, which a
// Postgres text column refuses and a page should not print.
func cleanFound(s string) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	s = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return '?'
		}
		return r
	}, s)
	if utf8.RuneCountInString(s) > maxFoundStored {
		s = string([]rune(s)[:maxFoundStored-1]) + "…"
	}
	return s
}

func verified(found string) check { return check{status: StatusVerified, found: found} }
func failing(found string) check  { return check{status: StatusFailing, found: found} }

// missing says that nothing of the kind is at name.
func missing(typ, name string, nx bool) check {
	if nx {
		return failing("no " + typ + " record at " + name + " (the name does not exist)")
	}
	return failing("no " + typ + " record at " + name)
}

// quote shows a published value in a message, shortened when long.
func quote(v string) string {
	if len(v) > maxFound {
		v = v[:maxFound-20] + "…" + v[len(v)-12:]
	}
	return strconv.Quote(v)
}

// checkSPF wants exactly one SPF record at the domain, whose include of
// ours is reached before any "all" (RFC 7208 4.5: two records are a
// permanent error for every receiver).
func checkSPF(name string, txts []string, nx bool, include string) check {
	var spfs []string
	for _, t := range txts {
		if l := strings.ToLower(strings.TrimSpace(t)); l == "v=spf1" || strings.HasPrefix(l, "v=spf1 ") {
			spfs = append(spfs, strings.TrimSpace(t))
		}
	}
	switch {
	case len(spfs) == 0 && len(txts) == 0:
		return missing("TXT", name, nx)
	case len(spfs) == 0:
		return failing("no SPF record (v=spf1 …) among the " + strconv.Itoa(len(txts)) + " TXT records at " + name)
	case len(spfs) > 1:
		return failing(strconv.Itoa(len(spfs)) + " SPF records at " + name + ": a domain must publish exactly one, so merge them into one")
	}
	want := "include:" + strings.ToLower(include)
	allAt, includeAt := -1, -1
	for i, term := range strings.Fields(strings.ToLower(spfs[0]))[1:] {
		if strings.TrimSuffix(strings.TrimPrefix(term, "+"), ".") == want && includeAt < 0 {
			includeAt = i
		}
		if strings.TrimLeft(term, "+-~?") == "all" && allAt < 0 {
			allAt = i
		}
	}
	switch {
	case includeAt < 0:
		return failing("found " + quote(spfs[0]) + " without " + want)
	case allAt >= 0 && allAt < includeAt:
		return failing("found " + quote(spfs[0]) + " where " + want + " comes after all, so it is never reached")
	}
	return verified("found " + quote(spfs[0]))
}

// checkDKIM wants one TXT record at the selector whose p= is the domain's
// public key (RFC 6376 3.6.1: v, when present, first and DKIM1; k rsa).
func checkDKIM(name string, txts []string, nx bool, publicKey string) check {
	switch {
	case len(txts) == 0:
		return missing("TXT", name, nx)
	case len(txts) > 1:
		return failing(strconv.Itoa(len(txts)) + " TXT records at " + name + ": publish exactly one, the DKIM key")
	}
	tags, order := parseTags(txts[0])
	if v, ok := tags["v"]; ok && (v != "DKIM1" || order[0] != "v") {
		return failing("found " + quote(txts[0]) + ": a DKIM record starts with v=DKIM1")
	}
	if k, ok := tags["k"]; ok && k != "rsa" {
		return failing("found a key of type k=" + k + " at " + name + ", expected k=rsa")
	}
	p, ok := tags["p"]
	if !ok {
		return failing("found " + quote(txts[0]) + " without a public key (p=)")
	}
	p = strings.Join(strings.Fields(p), "")
	switch {
	case p == "":
		return failing("the key at " + name + " is revoked (empty p=)")
	case p != publicKey:
		return failing("found a different public key at " + name + " (p=" + shortKey(p) + "), expected p=" + shortKey(publicKey))
	}
	return verified("found the domain's public key (p=" + shortKey(p) + ")")
}

// shortKey is a key as people compare it by eye: its start and end.
func shortKey(p string) string {
	if len(p) <= 24 {
		return p
	}
	return p[:12] + "…" + p[len(p)-8:]
}

// checkReturnPath wants the CNAME at name to point at our return-path host.
func checkReturnPath(name string, targets []string, nx bool, host string) check {
	if len(targets) == 0 {
		return missing("CNAME", name, nx)
	}
	want := strings.TrimSuffix(strings.ToLower(host), ".")
	if targets[0] != want {
		return failing("CNAME points to " + targets[0] + ", expected " + want)
	}
	return verified("CNAME points to " + want)
}

// DMARCPolicies are the policies p= may name (RFC 7489 6.3).
var DMARCPolicies = []string{"none", "quarantine", "reject"}

// checkDMARC wants exactly one record starting with v=DMARC1 at _dmarc,
// with a valid policy (any of them: p=none is what we suggest).
func checkDMARC(name string, txts []string, nx bool) check {
	var recs []string
	for _, t := range txts {
		if tags, order := parseTags(t); len(order) > 0 && order[0] == "v" && tags["v"] == "DMARC1" {
			recs = append(recs, t)
		}
	}
	switch {
	case len(txts) == 0:
		return missing("TXT", name, nx)
	case len(recs) == 0:
		return failing("found " + quote(txts[0]) + ", which does not start with v=DMARC1")
	case len(recs) > 1:
		return failing(strconv.Itoa(len(recs)) + " DMARC records at " + name + ": receivers ignore them all unless there is exactly one")
	}
	tags, _ := parseTags(recs[0])
	p, ok := tags["p"]
	if !ok {
		return failing("found " + quote(recs[0]) + " without a policy (p=none, quarantine or reject)")
	}
	for _, v := range DMARCPolicies {
		if strings.EqualFold(p, v) {
			return verified("found " + quote(recs[0]))
		}
	}
	return failing("found " + quote(recs[0]) + " with an invalid policy p=" + p + " (use none, quarantine or reject)")
}

// parseTags reads a tag=value list ("v=DKIM1; k=rsa; p=..."), as DKIM and
// DMARC records are written: tag names trimmed, the first of a repeated tag
// kept, and the tags in their order.
func parseTags(s string) (map[string]string, []string) {
	tags := map[string]string{}
	var order []string
	for _, part := range strings.Split(s, ";") {
		k, v, ok := strings.Cut(part, "=")
		k = strings.TrimSpace(k)
		if !ok || k == "" {
			continue
		}
		if _, dup := tags[k]; dup {
			continue
		}
		tags[k] = strings.TrimSpace(v)
		order = append(order, k)
	}
	return tags, order
}

// RecheckBatch bounds one re-check pass.
const RecheckBatch = 1000

// RecheckDue checks again every domain that was verified once and was last
// checked about one re-check interval ago (LUMORA_DNS_RECHECK), with the
// system actor: drift turns a verified domain failing, and a fixed one
// verified again. It says how many domains it checked; a domain that could
// not be checked is logged and left for the next pass.
func (s *Service) RecheckDue(ctx context.Context) (int, error) {
	// Due at 90% of the interval, so that a pass running every interval
	// does not just miss the domains the previous pass checked a moment
	// after it started.
	before := s.clock().Add(-s.set.Recheck + s.set.Recheck/10)
	ids, err := s.db.ListMailDomainsDue(ctx, store.ListMailDomainsDueParams{Limit: RecheckBatch, CheckedBefore: before})
	if err != nil {
		return 0, fmt.Errorf("list mail domains due for a DNS check: %w", err)
	}
	var errs []error
	n := 0
	for _, id := range ids {
		if ctx.Err() != nil {
			break
		}
		if _, err := s.Verify(ctx, audit.System("mail-dns-recheck"), accounts.AllAccounts, id); err != nil {
			if !errors.Is(err, ErrDomainNotFound) {
				slog.Error("re-check mail domain", "domain_id", id, "err", err)
				errs = append(errs, err)
			}
			continue
		}
		n++
	}
	if len(errs) > 0 && n == 0 {
		return n, fmt.Errorf("re-check mail domains: %w", errors.Join(errs...))
	}
	return n, ctx.Err()
}

// RecheckEvery is the re-check interval the periodic job runs at.
func (s *Service) RecheckEvery() time.Duration { return s.set.Recheck }
