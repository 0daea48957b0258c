package main

// lumdesk seed --scale ... --accounts A --audit E --ledger L: the other
// console lists at scale (accounts, the audit log, the Lumi ledger), each
// loaded with COPY through its service's bulk loader.

import (
	"context"
	"flag"
	"fmt"
	"math/rand/v2"
	"strconv"
	"time"

	"golang.org/x/sync/errgroup"

	"lumdesk/db/store"

	"lumdesk/internal/accounts"
	"lumdesk/internal/audit"
	"lumdesk/internal/billing"
	"lumdesk/internal/platform/money"
	"lumdesk/internal/platform/partition"
)

// listFlags are the flags for the lists other than the keys.
type listFlags struct {
	accounts, audit, ledger *int
}

func addListFlags(fs *flag.FlagSet) listFlags {
	return listFlags{
		accounts: fs.Int("accounts", 0, "with seed --scale: also load N synthetic accounts with COPY (0 = none)"),
		audit:    fs.Int("audit", 0, "with seed --scale: also append N synthetic audit events over the past year, hash-chained (0 = none)"),
		ledger:   fs.Int("ledger", 0, "with seed --scale: also load N synthetic Lumi ledger entries over the newest 20,000 accounts, balances kept (0 = none)"),
	}
}

func (l listFlags) loaded() ScaleLists {
	return ScaleLists{Accounts: *l.accounts, AuditEvents: *l.audit, Ledger: *l.ledger}
}

func (l listFlags) any() bool { return *l.accounts != 0 || *l.audit != 0 || *l.ledger != 0 }

func (l listFlags) check() error {
	for _, f := range []struct {
		name string
		n    int
	}{{"--accounts", *l.accounts}, {"--audit", *l.audit}, {"--ledger", *l.ledger}} {
		if f.n < 0 || f.n > 50_000_000 {
			return usagef("%s must be between 0 and 50000000", f.name)
		}
	}
	return nil
}

const (
	listChunk = 50_000
	// auditChunk is small: see audit.BulkRecord.
	auditChunk = 2_500
	// ledgerAccounts is how many of the newest accounts a ledger load spreads over.
	ledgerAccounts = 20_000
)

func seedLists(ctx context.Context, e *env, svc *services, l listFlags) error {
	actor := audit.CLI("lumdesk seed --scale")
	start := time.Now()
	tag := strconv.FormatInt(start.Unix(), 36) // emails stay unique across runs
	if n := *l.accounts; n > 0 {
		t := time.Now()
		g, gctx := errgroup.WithContext(ctx)
		g.SetLimit(2)
		var loaded int64
		for off := 0; off < n; off += listChunk {
			g.Go(func() error {
				rng := rand.New(rand.NewPCG(uint64(off)+1, uint64(start.UnixNano())))
				accs := scaleAccounts(rng, min(listChunk, n-off), scaleCreated{now: start, from: off, of: n}, off, tag)
				got, err := svc.Accounts.BulkLoad(gctx, actor, accs)
				if err != nil {
					return err
				}
				progress(e, "accounts", &loaded, got, n, t)
				return nil
			})
		}
		if err := g.Wait(); err != nil {
			return err
		}
		if err := svc.Accounts.Vacuum(ctx); err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "\nloaded %d accounts in %.1fs\n", loaded, time.Since(t).Seconds())
	}
	if n := *l.audit; n > 0 {
		t := time.Now()
		// Every month the events fall in gets its partition first.
		if _, err := partition.EnsureMonths(ctx, svc.db.Pool, "audit_events", start.AddDate(-1, 0, 0), start); err != nil {
			return err
		}
		var loaded int64
		// One chunk after another: each continues the chain the one before ended.
		for off := 0; off < n; off += auditChunk {
			rng := rand.New(rand.NewPCG(uint64(off)+7, uint64(start.UnixNano())))
			evs := scaleAuditEvents(rng, min(auditChunk, n-off), scaleCreated{now: start, from: off, of: n})
			var got int64
			err := svc.db.Tx(ctx, func(q *store.Queries) (err error) {
				got, err = audit.BulkRecord(ctx, q, actor, evs)
				return err
			})
			if err != nil {
				return err
			}
			progress(e, "audit events", &loaded, got, n, t)
		}
		if err := svc.db.VacuumAuditEvents(ctx); err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "\nappended %d audit events in %.1fs\n", loaded, time.Since(t).Seconds())
	}
	if n := *l.ledger; n > 0 {
		t := time.Now()
		ids, err := svc.Accounts.NewestIDs(ctx, ledgerAccounts)
		if err != nil {
			return err
		}
		if len(ids) == 0 {
			return usagef("--ledger needs accounts: add --accounts N")
		}
		gen := newScaleLedger(ids)
		var loaded int64
		// One chunk after another: each continues the balances the one before left.
		for off := 0; off < n; off += listChunk {
			rng := rand.New(rand.NewPCG(uint64(off)+13, uint64(start.UnixNano())))
			got, err := svc.Billing.BulkLoadLedger(ctx, actor, gen.entries(rng, min(listChunk, n-off), scaleCreated{now: start, from: off, of: n}))
			if err != nil {
				return err
			}
			progress(e, "ledger entries", &loaded, got, n, t)
		}
		if err := svc.Billing.VacuumLedger(ctx); err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "\nloaded %d ledger entries over %d accounts in %.1fs\n", loaded, len(ids), time.Since(t).Seconds())
	}
	return nil
}

var progressMu = make(chan struct{}, 1)

func progress(e *env, what string, loaded *int64, got int64, n int, since time.Time) {
	progressMu <- struct{}{}
	defer func() { <-progressMu }()
	*loaded += got
	fmt.Fprintf(e.stdout, "\r  %d / %d %s (%.0fs)", *loaded, n, what, time.Since(since).Seconds())
}

var (
	scaleFirstNames = []string{"Maria", "João", "Ana", "Lucas", "Emma", "Liam", "Olivia", "Noah", "Sofia", "Mateo",
		"Yuki", "Hiro", "Aisha", "Omar", "Chen", "Wei", "Anna", "Jonas", "Lea", "Finn", "Chloé", "Hugo", "Priya", "Arjun"}
	scaleLastNames = []string{"Silva", "Santos", "Oliveira", "Smith", "Johnson", "Brown", "Müller", "Schmidt", "Garcia",
		"Martinez", "Rossi", "Bianchi", "Tanaka", "Sato", "Kim", "Park", "Nguyen", "Tran", "Kowalski", "Nowak",
		"Dubois", "Martin", "Patel", "Singh", "Ivanov", "Petrov", "Jensen", "Hansen", "Costa", "Ferreira"}
	scaleCompanies = []string{"Studios", "Games", "Scripts", "Hub", "Labs", "Network", "Hosting", "Dev", "Team", "Works"}
	scaleDomains   = []string{"gmail.com", "outlook.com", "proton.me", "yahoo.com", "icloud.com", "hotmail.com", "gmx.de"}
)

// scaleAccounts makes size synthetic accounts: people and small studios,
// a third with a Discord ID, some suspended, some with a note; one in about
// 100,000 is a "Quixote", the rare search of the benchmarks.
func scaleAccounts(rng *rand.Rand, size int, created scaleCreated, base int, tag string) []accounts.BulkAccount {
	out := make([]accounts.BulkAccount, size)
	for i := range out {
		a := &out[i]
		first := scaleFirstNames[rng.IntN(len(scaleFirstNames))]
		last := scaleLastNames[rng.IntN(len(scaleLastNames))]
		if rng.IntN(100_000) == 0 {
			last = "Quixote"
		}
		a.Name = first + " " + last
		if rng.IntN(5) == 0 {
			a.Name = last + " " + scaleCompanies[rng.IntN(len(scaleCompanies))]
		}
		a.Email = fmt.Sprintf("%s.%s.%d.%s@%s", lowerASCII(first), lowerASCII(last), base+i, tag, scaleDomains[rng.IntN(len(scaleDomains))])
		if rng.IntN(3) == 0 {
			a.DiscordID = strconv.FormatInt(100_000_000_000_000_000+rng.Int64N(900_000_000_000_000_000), 10)
		}
		if rng.IntN(10) == 0 {
			a.Note = fmt.Sprintf(scaleNotes[rng.IntN(len(scaleNotes))], rng.IntN(100_000))
		}
		if rng.IntN(100) < 3 {
			a.Suspended, a.SuspendedReason = true, []string{"Chargeback", "Abuse report", "Unpaid invoice"}[rng.IntN(3)]
		}
		a.CreatedAt = created.at(rng, i)
	}
	return out
}

func lowerASCII(s string) string {
	b := []byte(s)
	out := b[:0]
	for _, c := range b {
		switch {
		case c >= 'A' && c <= 'Z':
			out = append(out, c+'a'-'A')
		case c >= 'a' && c <= 'z':
			out = append(out, c)
		}
	}
	return string(out)
}

// scaleAuditEvents makes size synthetic events in time order: mostly staff
// and customers working on accounts and keys, sign-ins, API keys and the
// server's jobs. One actor in about 100,000 events is
// "rare.auditor@lumdesk.test", the rare search of the benchmarks.
func scaleAuditEvents(rng *rand.Rand, size int, created scaleCreated) []audit.BulkEvent {
	type kind struct {
		action, entity string
		weight         int
	}
	kinds := []kind{
		{"license_key.ban", audit.EntityLicenseKey, 10}, {"license_key.reset", audit.EntityLicenseKey, 15}, {"license_key.update", audit.EntityLicenseKey, 10},
		{"account.update", audit.EntityAccount, 8}, {"account.suspend", audit.EntityAccount, 1}, {"account.create", audit.EntityAccount, 4},
		{"staff.login", audit.EntityStaffUser, 10}, {"customer.login", audit.EntityCustomerUser, 20}, {"customer.login_failed", audit.EntityCustomerUser, 4},
		{"api_key.create", audit.EntityAPIKey, 2}, {"api_key.revoke", audit.EntityAPIKey, 1}, {"domain.renew", audit.EntityDomain, 5},
		{"vps.create", audit.EntityVPS, 2}, {"balance.deposit", audit.EntityAccount, 6}, {"balance.charge", audit.EntityAccount, 6},
	}
	total := 0
	for _, k := range kinds {
		total += k.weight
	}
	out := make([]audit.BulkEvent, size)
	for i := range out {
		r := rng.IntN(total)
		k := kinds[0]
		for _, c := range kinds {
			if r < c.weight {
				k = c
				break
			}
			r -= c.weight
		}
		var a audit.Actor
		switch {
		case rng.IntN(100_000) == 0:
			a = audit.Staff(99, "rare.auditor@lumdesk.test")
		case k.entity == audit.EntityCustomerUser:
			id := rng.IntN(500_000) + 1
			a = audit.Actor{Kind: audit.KindCustomer, ID: strconv.Itoa(id), Label: fmt.Sprintf("customer%d@example.com", id)}
		case k.entity == audit.EntityLicenseKey && rng.IntN(2) == 0:
			a = audit.Actor{Kind: audit.KindAPIKey, ID: strconv.Itoa(rng.IntN(200) + 1), Label: "lm_" + strconv.Itoa(rng.IntN(200)+1000)}
		case rng.IntN(10) == 0:
			a = audit.System("job " + []string{"renewals", "partitions.maintain", "expire_keys"}[rng.IntN(3)])
		default:
			n := rng.IntN(20) + 1
			a = audit.Staff(int64(n), fmt.Sprintf("staff%d@lumdesk.test", n))
		}
		a.IP = fmt.Sprintf("203.0.113.%d", rng.IntN(254)+1)
		// k.entity is one of the audit.Entity* constants of kinds.
		ev := audit.Event{Action: k.action, EntityID: strconv.Itoa(rng.IntN(1_000_000) + 1)}
		ev.EntityType = k.entity
		switch k.action {
		case "license_key.ban", "account.suspend":
			ev.Reason = []string{"Key sharing", "Chargeback", "Exploiting"}[rng.IntN(3)]
			ev.Before, ev.After = map[string]any{"banned": false}, map[string]any{"banned": true}
		case "license_key.update", "account.update":
			ev.Before, ev.After = map[string]any{"note": ""}, map[string]any{"note": fmt.Sprintf("order #%d", rng.IntN(100_000))}
		case "balance.deposit", "balance.charge":
			ev.After = map[string]any{"amount": money.Cents(rng.IntN(10_000) + 100).String()}
		}
		out[i] = audit.BulkEvent{At: created.at(rng, i), Actor: a, Event: ev}
	}
	return out
}

// scaleLedger makes ledger entries over a set of accounts, keeping each
// account's balance as the entries so far leave it (on top of whatever it
// had, which is at least zero), so no entry overdraws.
type scaleLedger struct {
	ids []int64
	bal map[int64]money.Cents
}

func newScaleLedger(ids []int64) *scaleLedger {
	return &scaleLedger{ids: ids, bal: map[int64]money.Cents{}}
}

func (g *scaleLedger) entries(rng *rand.Rand, size int, created scaleCreated) []billing.BulkEntry {
	out := make([]billing.BulkEntry, size)
	for i := range out {
		// A few busy accounts, a long tail: the square favours low indexes.
		f := rng.Float64()
		id := g.ids[int(f*f*float64(len(g.ids)))]
		b := g.bal[id]
		e := billing.BulkEntry{AccountID: id, CreatedAt: created.at(rng, i)}
		switch r := rng.IntN(100); {
		case b < 500 || r < 25:
			e.Kind, e.Amount, e.Reason = billing.KindDeposit, money.Cents(500+rng.IntN(20_000)), "Top-up"
		case r < 28:
			e.Kind, e.Amount, e.Reason = billing.KindAdjustment, money.Cents(rng.IntN(int(min(b, 1000)))+1)*money.Cents(1-2*rng.IntN(2)), "Goodwill correction"
		case r < 60:
			e.Kind, e.Amount, e.Reason = billing.KindRenewal, -money.Cents(rng.IntN(int(min(b, 3000)))+1), "Domain renewal"
		default:
			e.Kind, e.Amount, e.Reason = billing.KindPurchase, -money.Cents(rng.IntN(int(min(b, 5000)))+1),
				[]string{"Domain registration", "VPS", "Proxy plan"}[rng.IntN(3)]
		}
		g.bal[id] = b + e.Amount
		out[i] = e
	}
	return out
}
