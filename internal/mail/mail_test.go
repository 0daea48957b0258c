package mail

import (
	"bytes"
	"context"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/miekg/dns"

	"lumdesk/internal/accounts"
	"lumdesk/internal/audit"
	"lumdesk/internal/platform/db"
	"lumdesk/internal/platform/dnstest"
	"lumdesk/internal/platform/secretbox"
	"lumdesk/internal/platform/testdb"
)

var (
	ctx = context.Background()
	cli = audit.CLI("test")
)

type fixture struct {
	db       *db.DB
	svc      *Service
	zone     *dnstest.Server
	now      time.Time
	acct     int64 // the account the tests act for
	other    int64 // another customer
	settings Settings
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	d := db.New(testdb.New(t))
	box, err := secretbox.New(bytes.Repeat([]byte{9}, 32))
	if err != nil {
		t.Fatal(err)
	}
	f := &fixture{db: d, zone: dnstest.Start(t), now: time.Date(2026, 12, 4, 10, 0, 0, 0, time.UTC)}
	res, err := NewResolver(f.zone.Addr)
	if err != nil {
		t.Fatal(err)
	}
	f.settings = Settings{SPFInclude: "spf.lumora.test", ReturnPathLabel: "bounces", ReturnPathHost: "return.lumora.test", Recheck: 6 * time.Hour}
	f.svc = NewService(d, box, res, f.settings).WithClock(func() time.Time { return f.now })
	acc := accounts.NewService(d)
	for _, p := range []struct {
		id          *int64
		name, email string
	}{{&f.acct, "Acme", "ops@acme.test"}, {&f.other, "Globex", "ops@globex.test"}} {
		a, err := acc.Create(ctx, cli, accounts.CreateInput{Name: p.name, Email: p.email})
		if err != nil {
			t.Fatal(err)
		}
		*p.id = a.ID
	}
	return f
}

func (f *fixture) addDomain(t *testing.T, name string) Domain {
	t.Helper()
	d, err := f.svc.AddDomain(ctx, cli, accounts.Only(f.acct), DomainInput{Name: name})
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// publish puts every record the domain asks for into the zone.
func (f *fixture) publish(d Domain) {
	for _, r := range d.Records {
		if r.Type == "CNAME" {
			f.zone.CNAME(r.Name, r.Value)
		} else {
			f.zone.TXT(r.Name, r.Value)
		}
	}
}

func (f *fixture) verify(t *testing.T, id int64) Domain {
	t.Helper()
	d, err := f.svc.Verify(ctx, cli, accounts.Only(f.acct), id)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// outcome is a record's status and what was found, by kind.
type outcome struct{ Status, Found string }

func outcomes(d Domain) map[string]outcome {
	m := map[string]outcome{}
	for _, r := range d.Records {
		m[r.Kind] = outcome{r.Status, r.Found}
	}
	return m
}

func (f *fixture) auditActions(t *testing.T, entityID int64) []string {
	t.Helper()
	rows, err := f.db.Pool.Query(ctx, `SELECT action FROM audit_events WHERE entity_type = 'mail_domain' AND entity_id = $1 ORDER BY id`,
		strconv.FormatInt(entityID, 10))
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var a string
		if err := rows.Scan(&a); err != nil {
			t.Fatal(err)
		}
		out = append(out, a)
	}
	return out
}

// Adding a domain makes a dated selector, an RSA-2048 key whose private
// half is sealed (and opens to the key published in p=) and the four
// records to publish, all pending; the name is normalised.
func TestAddDomainMakesKeyAndRecords(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	d, err := f.svc.AddDomain(ctx, cli, accounts.Only(f.acct), DomainInput{Name: " Mail.ACME.test. "})
	if err != nil {
		t.Fatal(err)
	}
	if d.Name != "mail.acme.test" || d.Status != StatusPending || d.DKIMSelector != "lum20261204" || d.AccountID != f.acct {
		t.Fatalf("domain = %+v", d)
	}
	type rec struct{ Kind, Type, Name, Value, Status string }
	var got []rec
	for _, r := range d.Records {
		got = append(got, rec{r.Kind, r.Type, r.Name, r.Value, r.Status})
	}
	want := []rec{
		{KindSPF, "TXT", "mail.acme.test", "v=spf1 include:spf.lumora.test ~all", StatusPending},
		{KindDKIM, "TXT", "lum20261204._domainkey.mail.acme.test", "v=DKIM1; k=rsa; p=" + d.DKIMPublicKey, StatusPending},
		{KindReturnPath, "CNAME", "bounces.mail.acme.test", "return.lumora.test", StatusPending},
		{KindDMARC, "TXT", "_dmarc.mail.acme.test", "v=DMARC1; p=none;", StatusPending},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatalf("records (-want +got):\n%s", diff)
	}

	sel, key, err := f.svc.DKIMKey(ctx, d.ID)
	if err != nil {
		t.Fatal(err)
	}
	rk, ok := key.(*rsa.PrivateKey)
	if !ok || rk.N.BitLen() != DKIMKeyBits || sel != d.DKIMSelector {
		t.Fatalf("DKIM key: %T selector %q", key, sel)
	}
	pub, _ := x509.MarshalPKIXPublicKey(&rk.PublicKey)
	if base64.StdEncoding.EncodeToString(pub) != d.DKIMPublicKey {
		t.Fatal("the sealed private key does not belong to the published public key")
	}
	var sealed []byte
	if err := f.db.Pool.QueryRow(ctx, `SELECT dkim_private_key_sealed FROM mail_domains WHERE id = $1`, d.ID).Scan(&sealed); err != nil {
		t.Fatal(err)
	}
	der, _ := x509.MarshalPKCS8PrivateKey(rk)
	if len(sealed) == 0 || bytes.Contains(sealed, der[len(der)-64:]) {
		t.Fatal("the private key is stored in clear")
	}
	if diff := cmp.Diff([]string{"mail_domain.add"}, f.auditActions(t, d.ID)); diff != "" {
		t.Fatalf("audit (-want +got):\n%s", diff)
	}
	var after string
	if err := f.db.Pool.QueryRow(ctx, `SELECT after::text FROM audit_events WHERE action = 'mail_domain.add'`).Scan(&after); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(after, "PRIVATE") || !strings.Contains(after, "lum20261204") {
		t.Fatalf("audit row: %s", after)
	}

	_, err = f.svc.AddDomain(ctx, cli, accounts.Only(f.acct), DomainInput{Name: "MAIL.acme.test"})
	if diff := cmp.Diff(ValidationError{"domain": "This account already has the sending domain mail.acme.test."}, err); diff != "" {
		t.Fatalf("second add (-want +got):\n%s", diff)
	}
	// Another account may add the same name: it proves control with its own key.
	if _, err := f.svc.AddDomain(ctx, cli, accounts.Only(f.other), DomainInput{Name: "mail.acme.test"}); err != nil {
		t.Fatal(err)
	}
	_, err = f.svc.AddDomain(ctx, cli, accounts.AllAccounts, DomainInput{Name: "x.acme.test"})
	if diff := cmp.Diff(ValidationError{"account": "Choose the account the domain belongs to."}, err); diff != "" {
		t.Fatalf("staff without an account (-want +got):\n%s", diff)
	}
	long := strings.Repeat("a", 60) + "." + strings.Repeat("b", 60) + "." + strings.Repeat("c", 60) + "." + strings.Repeat("d", 50) + ".test" // 240
	for in, msg := range map[string]string{
		"co.uk":     "co.uk is a public suffix that anyone can register under; add your own domain, e.g. example.co.uk.",
		"192.0.2.7": "An IP address is not a sending domain; enter a domain name.",
		long:        "The domain name is too long for its DKIM record: lum20261204._domainkey.<domain> would exceed 253 characters.",
	} {
		_, err := f.svc.AddDomain(ctx, cli, accounts.Only(f.acct), DomainInput{Name: in})
		if diff := cmp.Diff(ValidationError{"domain": msg}, err); diff != "" {
			t.Errorf("AddDomain(%q) (-want +got):\n%s", in, diff)
		}
	}
	missing := int64(999999)
	if _, err := f.svc.AddDomain(ctx, cli, accounts.AllAccounts, DomainInput{AccountID: &missing, Name: "x.acme.test"}); !errors.Is(err, ErrAccountNotFound) {
		t.Fatalf("unknown account: %v", err)
	}
}

// Each record is checked against a real DNS server: missing, then wrong in
// every way the customer can get it wrong, then fixed; the domain is
// verified only when all four are.
func TestVerifyEachRecordMissingWrongThenFixed(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	d := f.addDomain(t, "acme.test")
	dkimName := "lum20261204._domainkey.acme.test"

	// Nothing published: the domain does not even exist.
	got := f.verify(t, d.ID)
	want := map[string]outcome{
		KindSPF:        {StatusFailing, "no TXT record at acme.test (the name does not exist)"},
		KindDKIM:       {StatusFailing, "no TXT record at " + dkimName + " (the name does not exist)"},
		KindReturnPath: {StatusFailing, "no CNAME record at bounces.acme.test (the name does not exist)"},
		KindDMARC:      {StatusFailing, "no TXT record at _dmarc.acme.test (the name does not exist)"},
	}
	if diff := cmp.Diff(want, outcomes(got)); diff != "" || got.Status != StatusPending || got.LastCheckedAt == nil {
		t.Fatalf("nothing published: status %s (-want +got):\n%s", got.Status, diff)
	}

	// Every record there, every one wrong.
	otherKey := strings.Repeat("QUJD", 20)
	f.zone.TXT("acme.test", "v=spf1 include:_spf.google.com ~all", "google-site-verification=abc")
	f.zone.TXT(dkimName, "v=DKIM1; k=rsa; p="+otherKey)
	f.zone.CNAME("bounces.acme.test", "bounces.elsewhere.test")
	f.zone.TXT("_dmarc.acme.test", "v=DMARC1; p=monitor")
	got = f.verify(t, d.ID)
	want = map[string]outcome{
		KindSPF:        {StatusFailing, `found "v=spf1 include:_spf.google.com ~all" without include:spf.lumora.test`},
		KindDKIM:       {StatusFailing, "found a different public key at " + dkimName + " (p=QUJDQUJDQUJD…QUJDQUJD), expected p=" + shortKey(d.DKIMPublicKey)},
		KindReturnPath: {StatusFailing, "CNAME points to bounces.elsewhere.test, expected return.lumora.test"},
		KindDMARC:      {StatusFailing, `found "v=DMARC1; p=monitor" with an invalid policy p=monitor (use none, quarantine or reject)`},
	}
	if diff := cmp.Diff(want, outcomes(got)); diff != "" || got.Status != StatusPending {
		t.Fatalf("all wrong: status %s (-want +got):\n%s", got.Status, diff)
	}

	// More ways to be wrong: two SPF records, include after all, a revoked
	// key, no CNAME (an A record instead), a record that is not DMARC.
	f.zone.TXT("acme.test", "v=spf1 include:spf.lumora.test ~all", "v=spf1 include:_spf.google.com ~all")
	f.zone.TXT(dkimName, "v=DKIM1; k=rsa; p=")
	f.zone.Remove("bounces.acme.test", dns.TypeCNAME)
	f.zone.A("bounces.acme.test", "192.0.2.1")
	f.zone.TXT("_dmarc.acme.test", "p=reject; v=DMARC1")
	got = f.verify(t, d.ID)
	want = map[string]outcome{
		KindSPF:        {StatusFailing, "2 SPF records at acme.test: a domain must publish exactly one, so merge them into one"},
		KindDKIM:       {StatusFailing, "the key at " + dkimName + " is revoked (empty p=)"},
		KindReturnPath: {StatusFailing, "no CNAME record at bounces.acme.test"},
		KindDMARC:      {StatusFailing, `found "p=reject; v=DMARC1", which does not start with v=DMARC1`},
	}
	if diff := cmp.Diff(want, outcomes(got)); diff != "" {
		t.Fatalf("more wrong (-want +got):\n%s", diff)
	}
	f.zone.TXT("acme.test", "v=spf1 -all include:spf.lumora.test")
	f.zone.TXT(dkimName, "v=DKIM1; k=ed25519; p="+otherKey)
	f.zone.TXT("_dmarc.acme.test", "v=DMARC1; p=none", "v=DMARC1; p=reject")
	got = f.verify(t, d.ID)
	want[KindSPF] = outcome{StatusFailing, `found "v=spf1 -all include:spf.lumora.test" where include:spf.lumora.test comes after all, so it is never reached`}
	want[KindDKIM] = outcome{StatusFailing, "found a key of type k=ed25519 at " + dkimName + ", expected k=rsa"}
	want[KindDMARC] = outcome{StatusFailing, "2 DMARC records at _dmarc.acme.test: receivers ignore them all unless there is exactly one"}
	if diff := cmp.Diff(want, outcomes(got)); diff != "" {
		t.Fatalf("still wrong (-want +got):\n%s", diff)
	}

	// Fixed one at a time: the domain stays pending until the last.
	f.zone.TXT("acme.test", "v=spf1 a mx +include:SPF.lumora.test. ~all", "google-site-verification=abc")
	f.zone.TXT(dkimName, "v=DKIM1; k=rsa; p="+d.DKIMPublicKey) // split into 255-byte strings by the zone
	f.zone.Remove("bounces.acme.test", dns.TypeA)
	f.zone.CNAME("bounces.acme.test", "Return.Lumora.test")
	got = f.verify(t, d.ID)
	if got.Status != StatusPending || outcomes(got)[KindDMARC].Status != StatusFailing {
		t.Fatalf("three of four: %+v", outcomes(got))
	}
	if err := f.svc.CanSendFrom(ctx, f.acct, "acme.test"); !errors.Is(err, ErrSenderDomainNotVerified) {
		t.Fatalf("pending domain may send: %v", err)
	}
	f.zone.TXT("_dmarc.acme.test", "v=DMARC1; p=quarantine; rua=mailto:dmarc@acme.test")
	got = f.verify(t, d.ID)
	want = map[string]outcome{
		KindSPF:        {StatusVerified, `found "v=spf1 a mx +include:SPF.lumora.test. ~all"`},
		KindDKIM:       {StatusVerified, "found the domain's public key (p=" + shortKey(d.DKIMPublicKey) + ")"},
		KindReturnPath: {StatusVerified, "CNAME points to return.lumora.test"},
		KindDMARC:      {StatusVerified, `found "v=DMARC1; p=quarantine; rua=mailto:dmarc@acme.test"`},
	}
	if diff := cmp.Diff(want, outcomes(got)); diff != "" {
		t.Fatalf("fixed (-want +got):\n%s", diff)
	}
	if got.Status != StatusVerified || got.VerifiedAt == nil || !got.VerifiedAt.Equal(f.now) || got.FailingSince != nil {
		t.Fatalf("domain = %+v", got)
	}
	if err := f.svc.CanSendFrom(ctx, f.acct, "ACME.test"); err != nil {
		t.Fatalf("verified domain may not send: %v", err)
	}
	if err := f.svc.CanSendFrom(ctx, f.acct, "sub.acme.test"); !errors.Is(err, ErrSenderDomainNotVerified) {
		t.Fatalf("a subdomain that was not added may send: %v", err)
	}
	// A check that changes nothing writes no history row.
	f.verify(t, d.ID)
	if diff := cmp.Diff([]string{"mail_domain.add", "mail_domain.check", "mail_domain.check", "mail_domain.verified"}, f.auditActions(t, d.ID)); diff != "" {
		t.Fatalf("audit (-want +got):\n%s", diff)
	}
	stored, err := f.svc.GetDomain(ctx, accounts.AllAccounts, d.ID)
	if err != nil || cmp.Diff(got, stored) != "" {
		t.Fatalf("stored domain differs from the returned one: %v\n%s", err, cmp.Diff(got, stored))
	}
}

// verifiedDomain adds and verifies acme.test.
func (f *fixture) verifiedDomain(t *testing.T) Domain {
	t.Helper()
	d := f.addDomain(t, "acme.test")
	f.publish(d)
	if d = f.verify(t, d.ID); d.Status != StatusVerified {
		t.Fatalf("not verified: %+v", outcomes(d))
	}
	return d
}

// A verified domain whose DKIM record is removed is caught by the
// re-check when it is due: it becomes failing (audited), may send for 72
// hours more, then is refused; putting the record back verifies it again.
func TestRecheckCatchesDriftWithGracePeriod(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	d := f.verifiedDomain(t)
	checkedAt := f.now
	f.zone.Remove(d.Records[1].Name, dns.TypeTXT)

	f.now = checkedAt.Add(time.Hour)
	if n, err := f.svc.RecheckDue(ctx); err != nil || n != 0 {
		t.Fatalf("re-check an hour later checked %d, %v; nothing is due", n, err)
	}
	f.now = checkedAt.Add(6 * time.Hour)
	if n, err := f.svc.RecheckDue(ctx); err != nil || n != 1 {
		t.Fatalf("re-check when due checked %d, %v", n, err)
	}
	got, err := f.svc.GetDomain(ctx, accounts.AllAccounts, d.ID)
	if err != nil {
		t.Fatal(err)
	}
	failedAt := f.now
	if got.Status != StatusFailing || got.FailingSince == nil || !got.FailingSince.Equal(failedAt) || !got.VerifiedAt.Equal(checkedAt) {
		t.Fatalf("after drift: %+v", got)
	}
	if diff := cmp.Diff(outcome{StatusFailing, "no TXT record at " + d.Records[1].Name + " (the name does not exist)"}, outcomes(got)[KindDKIM]); diff != "" {
		t.Fatalf("DKIM (-want +got):\n%s", diff)
	}
	if ends := got.SendGraceEnds(DefaultSendGrace); ends == nil || !ends.Equal(failedAt.Add(72*time.Hour)) {
		t.Fatalf("grace ends %v", ends)
	}

	// A later re-check keeps the first failing time.
	f.now = failedAt.Add(6 * time.Hour)
	if n, err := f.svc.RecheckDue(ctx); err != nil || n != 1 {
		t.Fatalf("second re-check: %d, %v", n, err)
	}
	f.now = failedAt.Add(72*time.Hour - time.Second)
	if err := f.svc.CanSendFrom(ctx, f.acct, "acme.test"); err != nil {
		t.Fatalf("within the grace period: %v", err)
	}
	f.now = failedAt.Add(72 * time.Hour)
	err = f.svc.CanSendFrom(ctx, f.acct, "acme.test")
	var sde *SenderDomainError
	if !errors.As(err, &sde) || !errors.Is(err, ErrSenderDomainNotVerified) ||
		sde.Reason != "its DNS records have been failing since 2026-12-04T16:00:00Z and sending stopped at 2026-12-07T16:00:00Z" {
		t.Fatalf("after the grace period: %v", err)
	}

	f.publish(d)
	f.now = f.now.Add(6 * time.Hour)
	if n, err := f.svc.RecheckDue(ctx); err != nil || n != 1 {
		t.Fatalf("re-check after the fix: %d, %v", n, err)
	}
	got, _ = f.svc.GetDomain(ctx, accounts.AllAccounts, d.ID)
	if got.Status != StatusVerified || got.FailingSince != nil || !got.VerifiedAt.Equal(f.now) {
		t.Fatalf("after the fix: %+v", got)
	}
	if err := f.svc.CanSendFrom(ctx, f.acct, "acme.test"); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"mail_domain.add", "mail_domain.verified", "mail_domain.failing", "mail_domain.verified"}, f.auditActions(t, d.ID)); diff != "" {
		t.Fatalf("audit (-want +got):\n%s", diff)
	}
	var actor string
	if err := f.db.Pool.QueryRow(ctx, `SELECT actor_kind || ':' || actor_label FROM audit_events WHERE action = 'mail_domain.failing'`).Scan(&actor); err != nil || actor != "system:mail-dns-recheck" {
		t.Fatalf("failing audited by %q, %v", actor, err)
	}
	// Pending domains are not re-checked: they wait for their owner.
	f.addDomain(t, "pending.acme.test")
	f.now = f.now.Add(24 * time.Hour)
	if n, err := f.svc.RecheckDue(ctx); err != nil || n != 1 {
		t.Fatalf("re-check with a pending domain: %d, %v", n, err)
	}
}

// A resolver that answers SERVFAIL tells nothing about the records: a
// verified domain stays verified, and the record says the lookup failed.
func TestLookupFailureKeepsLastResult(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	d := f.verifiedDomain(t)
	f.zone.Fail("_dmarc.acme.test", dns.RcodeServerFailure)
	f.now = f.now.Add(time.Minute)
	got := f.verify(t, d.ID)
	if diff := cmp.Diff(outcome{StatusVerified, "DNS lookup of _dmarc.acme.test failed: the resolver answered SERVFAIL; the last result stands until the next check"},
		outcomes(got)[KindDMARC]); diff != "" || got.Status != StatusVerified {
		t.Fatalf("status %s (-want +got):\n%s", got.Status, diff)
	}
	// An unreachable resolver: the same, after its short timeout.
	res := &Resolver{Addr: "127.0.0.1:1", Timeout: 200 * time.Millisecond}
	svc := NewService(f.db, f.svc.box, res, f.settings).WithClock(func() time.Time { return f.now })
	got, err := svc.Verify(ctx, cli, accounts.AllAccounts, d.ID)
	if err != nil || got.Status != StatusVerified || !strings.HasPrefix(outcomes(got)[KindSPF].Found, "DNS lookup of acme.test failed: ") {
		t.Fatalf("unreachable resolver: %+v, %v", outcomes(got), err)
	}
}

// An answer too big for UDP comes truncated and is asked again over TCP.
func TestTruncatedAnswerRetriedOverTCP(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	d := f.addDomain(t, "acme.test")
	f.publish(d)
	var junk []string
	for i := range 12 {
		junk = append(junk, "verification-"+strconv.Itoa(i)+"="+strings.Repeat("x", 150))
	}
	f.zone.TXT("acme.test", append(junk, "v=spf1 include:spf.lumora.test ~all")...)
	got := f.verify(t, d.ID)
	if got.Status != StatusVerified || f.zone.TCPHits() == 0 {
		t.Fatalf("status %s after %d TCP queries: %+v", got.Status, f.zone.TCPHits(), outcomes(got))
	}
}

// A caller scoped to one account does not find another account's domains
// or apps through any method, exactly like unknown ones.
func TestAccountScopeHidesOtherAccounts(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	d := f.verifiedDomain(t)
	app, err := f.svc.CreateApp(ctx, cli, accounts.Only(f.acct), AppInput{Name: "Web"})
	if err != nil {
		t.Fatal(err)
	}
	them := accounts.Only(f.other)
	calls := map[string]func() error{
		"GetDomain":    func() error { _, err := f.svc.GetDomain(ctx, them, d.ID); return err },
		"Verify":       func() error { _, err := f.svc.Verify(ctx, cli, them, d.ID); return err },
		"DeleteDomain": func() error { return f.svc.DeleteDomain(ctx, cli, them, d.ID, "") },
		"GetApp":       func() error { _, err := f.svc.GetApp(ctx, them, app.ID); return err },
		"DomainByName": func() error { _, err := f.svc.DomainByName(ctx, f.other, "acme.test"); return err },
		"CreateApp (naming the other account)": func() error {
			_, err := f.svc.CreateApp(ctx, cli, them, AppInput{AccountID: &f.acct, Name: "Sneaky"})
			return err
		},
		"AddDomain (naming the other account)": func() error {
			_, err := f.svc.AddDomain(ctx, cli, them, DomainInput{AccountID: &f.acct, Name: "sneaky.test"})
			return err
		},
	}
	for name, call := range calls {
		err := call()
		var nf interface{ NotFound() bool }
		if !errors.As(err, &nf) || !nf.NotFound() {
			t.Errorf("%s: err = %v, want not found", name, err)
		}
	}
	if err := f.svc.CanSendFrom(ctx, f.other, "acme.test"); !errors.Is(err, ErrSenderDomainNotVerified) {
		t.Errorf("another account may send from acme.test: %v", err)
	}
	for scope, want := range map[accounts.Scope]int{them: 0, accounts.Only(f.acct): 1, accounts.AllAccounts: 1} {
		ds, err := f.svc.ListDomains(ctx, DomainFilter{Scope: scope})
		apps, err2 := f.svc.ListApps(ctx, scope, 0, 0)
		if err != nil || err2 != nil || len(ds) != want || len(apps) != want {
			t.Errorf("scope %+v: %d domains, %d apps (%v, %v), want %d", scope, len(ds), len(apps), err, err2, want)
		}
	}
	// The owner still has it, and deleting it stops sending.
	if err := f.svc.DeleteDomain(ctx, cli, accounts.Only(f.acct), d.ID, "moved"); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.GetDomain(ctx, accounts.AllAccounts, d.ID); !errors.Is(err, ErrDomainNotFound) {
		t.Fatalf("deleted domain: %v", err)
	}
	if err := f.svc.CanSendFrom(ctx, f.acct, "acme.test"); !errors.Is(err, ErrSenderDomainNotVerified) {
		t.Fatalf("deleted domain may send: %v", err)
	}
}

// Apps: the sender is a plain address, names are one line, unique per account.
func TestCreateAppValidates(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	mine := accounts.Only(f.acct)
	app, err := f.svc.CreateApp(ctx, cli, mine, AppInput{Name: " Web shop ", DefaultFromEmail: "Hello@ACME.test", DefaultFromName: "Acme"})
	if err != nil {
		t.Fatal(err)
	}
	want := App{ID: app.ID, AccountID: f.acct, Name: "Web shop", DefaultFromEmail: "Hello@acme.test", DefaultFromName: "Acme",
		CreatedAt: f.now, UpdatedAt: f.now}
	if diff := cmp.Diff(want, app); diff != "" {
		t.Fatalf("app (-want +got):\n%s", diff)
	}
	got, err := f.svc.GetApp(ctx, mine, app.ID)
	if err != nil || cmp.Diff(want, got) != "" {
		t.Fatalf("stored app: %+v, %v", got, err)
	}
	for _, c := range []struct {
		in   AppInput
		want ValidationError
	}{
		{AppInput{Name: "Web shop"}, ValidationError{"name": `This account already has an app named "Web shop".`}},
		{AppInput{Name: ""}, ValidationError{"name": "Enter a name."}},
		{AppInput{Name: "A\r\nBcc: x@evil.test"}, ValidationError{"name": "Use one line of text without control characters."}},
		{AppInput{Name: "Ok", DefaultFromEmail: "Acme <hello@acme.test>"}, ValidationError{"default_from_email": "Enter a plain email address such as hello@example.com."}},
		{AppInput{Name: "Ok", DefaultFromEmail: "hello@acme.test\r\nBcc: x@evil.test"}, ValidationError{"default_from_email": "The email address contains control characters."}},
		{AppInput{Name: "Ok", DefaultFromName: "Acme\nX-Evil: 1"}, ValidationError{"default_from_name": "Use one line of text without control characters."}},
		{AppInput{Name: strings.Repeat("n", 101)}, ValidationError{"name": "Use at most 100 characters."}},
	} {
		_, err := f.svc.CreateApp(ctx, cli, mine, c.in)
		if diff := cmp.Diff(c.want, err); diff != "" {
			t.Errorf("%+v (-want +got):\n%s", c.in, diff)
		}
	}
	if diff := cmp.Diff([]string{"mail_app.create"}, appAuditActions(t, f)); diff != "" {
		t.Fatalf("audit (-want +got):\n%s", diff)
	}
}

func appAuditActions(t *testing.T, f *fixture) []string {
	t.Helper()
	var out []string
	rows, err := f.db.Pool.Query(ctx, `SELECT action FROM audit_events WHERE entity_type = 'mail_app' ORDER BY id`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var a string
		if err := rows.Scan(&a); err != nil {
			t.Fatal(err)
		}
		out = append(out, a)
	}
	return out
}

// Bytes a stranger publishes (NUL, invalid UTF-8, newlines) are stored as
// a readable finding, not an error of the check.
func TestHostileRecordContentIsStoredSafely(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	d := f.addDomain(t, "acme.test")
	f.publish(d)
	f.zone.TXT(d.Records[1].Name, "v=DKIM1; k=rsa\x00\xff\r\nX; p=abc")
	got := f.verify(t, d.ID)
	if diff := cmp.Diff(outcome{StatusFailing, "found a key of type k=rsa?\uFFFD??X at " + d.Records[1].Name + ", expected k=rsa"}, outcomes(got)[KindDKIM]); diff != "" {
		t.Fatalf("(-want +got):\n%s", diff)
	}
}
