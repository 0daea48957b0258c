package mail

import (
	"bytes"
	"context"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"fmt"
	"strconv"
	"sync"
	"time"

	"lumdesk/db/store"
	"lumdesk/internal/accounts"
	"lumdesk/internal/audit"
	"lumdesk/internal/platform/db"
)

// Record kinds, in the order the console lists them.
const (
	KindSPF        = "spf"
	KindDKIM       = "dkim"
	KindReturnPath = "return_path"
	KindDMARC      = "dmarc"
)

// DKIMKeyBits is the size of the RSA keys made for domains: 2048 is what
// receivers expect today and still fits one TXT record.
const DKIMKeyBits = 2048

// SuggestedDMARC is the DMARC record we propose: monitoring only, which a
// customer can tighten once reports show every sender aligned.
const SuggestedDMARC = "v=DMARC1; p=none;"

// Domain is a sending domain with the records it must publish.
type Domain struct {
	ID            int64      `json:"id"`
	AccountID     int64      `json:"account_id"`
	AccountName   string     `json:"account_name,omitempty"` // in lists only
	Name          string     `json:"name"`
	Status        string     `json:"status"`
	DKIMSelector  string     `json:"dkim_selector"`
	DKIMPublicKey string     `json:"dkim_public_key"` // base64 PKIX DER
	VerifiedAt    *time.Time `json:"verified_at,omitempty"`
	FailingSince  *time.Time `json:"failing_since,omitempty"`
	LastCheckedAt *time.Time `json:"last_checked_at,omitempty"`
	CreatedAt     time.Time  `json:"created_at"`
	Records       []Record   `json:"records"`
}

// Record is one DNS record a domain must publish and what the last check found.
type Record struct {
	ID        int64      `json:"id"`
	Kind      string     `json:"kind"` // KindSPF, KindDKIM, KindReturnPath, KindDMARC
	Type      string     `json:"type"` // TXT or CNAME
	Name      string     `json:"name"` // fully qualified, no trailing dot
	Value     string     `json:"value"`
	Status    string     `json:"status"`
	Found     string     `json:"found,omitempty"` // what the last check saw, in words
	CheckedAt *time.Time `json:"checked_at,omitempty"`
}

// SendGraceEnds is when a failing domain stops sending (nil unless failing).
func (d Domain) SendGraceEnds(grace time.Duration) *time.Time {
	if d.Status != StatusFailing || d.FailingSince == nil {
		return nil
	}
	t := d.FailingSince.Add(grace)
	return &t
}

func domainFromRow(r store.MailDomain, recs []store.MailDomainRecord) Domain {
	d := Domain{ID: r.ID, AccountID: r.AccountID, Name: r.Name, Status: r.Status, DKIMSelector: r.DkimSelector,
		DKIMPublicKey: r.DkimPublicKey, VerifiedAt: utcPtr(r.VerifiedAt), FailingSince: utcPtr(r.FailingSince),
		LastCheckedAt: utcPtr(r.LastCheckedAt), CreatedAt: r.CreatedAt.UTC(), Records: make([]Record, len(recs))}
	for i, x := range recs {
		d.Records[i] = Record{ID: x.ID, Kind: x.Kind, Type: x.Type, Name: x.Name, Value: x.Value, Status: x.Status,
			Found: x.Found, CheckedAt: utcPtr(x.CheckedAt)}
	}
	return d
}

// domainAudit is what the audit history keeps of a domain: never the key.
func domainAudit(d Domain) map[string]any {
	recs := make(map[string]any, len(d.Records))
	for _, r := range d.Records {
		recs[r.Kind] = map[string]any{"type": r.Type, "name": r.Name, "value": r.Value, "status": r.Status, "found": r.Found}
	}
	v := map[string]any{"account_id": d.AccountID, "name": d.Name, "status": d.Status, "dkim_selector": d.DKIMSelector, "records": recs}
	if d.FailingSince != nil {
		v["failing_since"] = d.FailingSince.Format(time.RFC3339)
	}
	return v
}

// expectedRecords are the records name must publish under these settings.
func (s *Service) expectedRecords(name, selector, publicKey string) []store.InsertMailDomainRecordParams {
	return []store.InsertMailDomainRecordParams{
		{Kind: KindSPF, Type: "TXT", Name: name, Value: "v=spf1 include:" + s.set.SPFInclude + " ~all"},
		{Kind: KindDKIM, Type: "TXT", Name: selector + "._domainkey." + name, Value: "v=DKIM1; k=rsa; p=" + publicKey},
		{Kind: KindReturnPath, Type: "CNAME", Name: s.set.ReturnPathLabel + "." + name, Value: s.set.ReturnPathHost},
		{Kind: KindDMARC, Type: "TXT", Name: "_dmarc." + name, Value: SuggestedDMARC},
	}
}

// DomainInput adds a sending domain.
type DomainInput struct {
	AccountID *int64 // the account (staff); a one-account scope acts on its own
	Name      string
}

// AddDomain adds a sending domain to the scope's account: the name
// normalised (NormalizeDomain), a fresh DKIM key pair under a dated
// selector, and the four records to publish, all pending until Verify.
func (s *Service) AddDomain(ctx context.Context, actor audit.Actor, scope accounts.Scope, in DomainInput) (_ Domain, err error) {
	defer wrap(&err, "add mail domain %q", in.Name)
	target, err := scope.Target(in.AccountID)
	if err != nil {
		return Domain{}, ErrAccountNotFound
	}
	name, nerr := NormalizeDomain(in.Name)
	fe := ValidationError{}
	if target == nil {
		fe["account"] = "Choose the account the domain belongs to."
	}
	if nerr != nil {
		for k, v := range nerr.(ValidationError) {
			fe[k] = v
		}
		return Domain{}, fe
	}
	now := s.clock()
	selector := "lum" + now.Format("20060102")
	// The names under the domain that we ask the customer to publish must fit DNS too.
	if n := len(selector) + len("._domainkey.") + len(name); n > MaxDomainLength {
		fe["domain"] = "The domain name is too long for its DKIM record: " + selector + "._domainkey.<domain> would exceed 253 characters."
	} else if len(s.set.ReturnPathLabel)+1+len(name) > MaxDomainLength {
		fe["domain"] = "The domain name is too long for its return-path record."
	}
	if len(fe) > 0 {
		return Domain{}, fe
	}
	key, err := rsa.GenerateKey(rand.Reader, DKIMKeyBits)
	if err != nil {
		return Domain{}, fmt.Errorf("generate DKIM key: %w", err)
	}
	priv, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return Domain{}, err
	}
	pubDER, err := x509.MarshalPKIXPublicKey(&key.PublicKey)
	if err != nil {
		return Domain{}, err
	}
	pub := base64.StdEncoding.EncodeToString(pubDER)

	var out Domain
	err = s.db.Tx(ctx, func(q *store.Queries) error {
		if _, err := q.GetAccount(ctx, *target); db.IsNotFound(err) {
			return ErrAccountNotFound
		} else if err != nil {
			return err
		}
		row, err := q.InsertMailDomain(ctx, store.InsertMailDomainParams{AccountID: *target, Name: name,
			DkimSelector: selector, DkimPublicKey: pub, Now: now})
		if db.IsUniqueViolation(err, "mail_domains_account_name") {
			return ValidationError{"domain": "This account already has the sending domain " + name + "."}
		} else if err != nil {
			return err
		}
		// Sealed under the row's id, so a sealed key copied to another domain does not open.
		if err := q.SetMailDomainKey(ctx, store.SetMailDomainKeyParams{ID: row.ID, DkimPrivateKeySealed: s.box.Seal(priv, dkimContext(row.ID))}); err != nil {
			return err
		}
		var recs []store.MailDomainRecord
		for _, p := range s.expectedRecords(name, selector, pub) {
			p.DomainID = row.ID
			rec, err := q.InsertMailDomainRecord(ctx, p)
			if err != nil {
				return fmt.Errorf("insert %s record: %w", p.Kind, err)
			}
			recs = append(recs, rec)
		}
		out = domainFromRow(row, recs)
		return audit.Record(ctx, q, actor, audit.Event{Action: "mail_domain.add", EntityType: audit.EntityMailDomain,
			EntityID: strconv.FormatInt(row.ID, 10), After: domainAudit(out)})
	})
	if err != nil {
		return Domain{}, err
	}
	return out, nil
}

func dkimContext(domainID int64) string { return "mail_domain_dkim:" + strconv.FormatInt(domainID, 10) }

// GetDomain is the domain with its records, if it is inside the scope.
func (s *Service) GetDomain(ctx context.Context, scope accounts.Scope, id int64) (_ Domain, err error) {
	defer wrap(&err, "get mail domain %d", id)
	return s.getDomain(ctx, s.db.Queries, scope, id)
}

func (s *Service) getDomain(ctx context.Context, q *store.Queries, scope accounts.Scope, id int64) (Domain, error) {
	row, err := q.GetMailDomain(ctx, id)
	if db.IsNotFound(err) || (err == nil && !scope.Allows(row.AccountID)) {
		return Domain{}, ErrDomainNotFound
	} else if err != nil {
		return Domain{}, err
	}
	recs, err := q.ListMailDomainRecords(ctx, id)
	if err != nil {
		return Domain{}, err
	}
	return domainFromRow(row, recs), nil
}

// DomainByName is an account's domain of that name (as typed: it is
// normalised first).
func (s *Service) DomainByName(ctx context.Context, accountID int64, name string) (_ Domain, err error) {
	defer wrap(&err, "get mail domain %q", name)
	n, err := NormalizeDomain(name)
	if err != nil {
		return Domain{}, ErrDomainNotFound
	}
	row, err := s.db.GetMailDomainByName(ctx, store.GetMailDomainByNameParams{AccountID: accountID, Name: n})
	if db.IsNotFound(err) {
		return Domain{}, ErrDomainNotFound
	} else if err != nil {
		return Domain{}, err
	}
	return s.getDomain(ctx, s.db.Queries, accounts.Only(accountID), row.ID)
}

// DomainFilter selects a page of domains, newest first.
type DomainFilter struct {
	Scope    accounts.Scope
	Status   string // "" or a status
	Query    string // "" or the start of a domain name (the console's search)
	BeforeID int64  // 0: from the newest; else the last id of the previous page
	Limit    int    // 1..200, 0 = 50
}

// ListDomains is a page of the scope's domains (without their records).
func (s *Service) ListDomains(ctx context.Context, f DomainFilter) (_ []Domain, err error) {
	defer wrap(&err, "list mail domains")
	status, err := domainStatus(f.Status)
	if err != nil {
		return nil, err
	}
	var rows []store.ListMailDomainsRow
	err = s.db.Read(ctx, func(q *store.Queries) (err error) {
		rows, err = q.ListMailDomains(ctx, store.ListMailDomainsParams{Limit: clampLimit(f.Limit),
			AccountID: f.Scope.Filter(), Status: status, Q: namePrefix(f.Query), BeforeID: positive(f.BeforeID)})
		return err
	})
	if err != nil {
		return nil, err
	}
	out := make([]Domain, len(rows))
	for i, r := range rows {
		out[i] = domainFromRow(r.MailDomain, nil)
		out[i].AccountName = r.AccountName
	}
	return out, nil
}

// DeleteDomain removes a domain and its key: mail from it is refused from now on.
func (s *Service) DeleteDomain(ctx context.Context, actor audit.Actor, scope accounts.Scope, id int64, reason string) (err error) {
	defer wrap(&err, "delete mail domain %d", id)
	return s.db.Tx(ctx, func(q *store.Queries) error {
		if _, err := q.LockMailDomain(ctx, id); db.IsNotFound(err) {
			return ErrDomainNotFound
		} else if err != nil {
			return err
		}
		d, err := s.getDomain(ctx, q, scope, id)
		if err != nil {
			return err
		}
		if err := q.DeleteMailDomain(ctx, id); err != nil {
			return err
		}
		return audit.Record(ctx, q, actor, audit.Event{Action: "mail_domain.delete", EntityType: audit.EntityMailDomain,
			EntityID: strconv.FormatInt(id, 10), Reason: reason, Before: domainAudit(d)})
	})
}

// DKIMKey is the selector and private key that sign mail of the domain
// (the delivery worker's; it never leaves the process).
func (s *Service) DKIMKey(ctx context.Context, domainID int64) (_ string, _ crypto.Signer, err error) {
	defer wrap(&err, "DKIM key of mail domain %d", domainID)
	row, err := s.db.GetMailDomain(ctx, domainID)
	if db.IsNotFound(err) {
		return "", nil, ErrDomainNotFound
	} else if err != nil {
		return "", nil, err
	}
	if signer, ok := s.signers.get(row.ID, row.DkimPrivateKeySealed); ok {
		return row.DkimSelector, signer, nil
	}
	der, err := s.box.Open(row.DkimPrivateKeySealed, dkimContext(row.ID))
	if err != nil {
		return "", nil, err
	}
	k, err := x509.ParsePKCS8PrivateKey(der)
	if err != nil {
		return "", nil, err
	}
	signer, ok := k.(crypto.Signer)
	if !ok {
		return "", nil, fmt.Errorf("sealed key is a %T, not a signer", k)
	}
	s.signers.put(row.ID, row.DkimPrivateKeySealed, signer)
	return row.DkimSelector, signer, nil
}

// signerCache keeps each domain's parsed DKIM key: parsing an RSA-2048 key
// (which validates it) costs a third of a signature, and every delivery
// signs. An entry holds while the domain's sealed key is the one it was
// parsed from, so a new key is parsed on its first use. Signatures are
// never cached: every message is signed.
type signerCache struct {
	mu sync.Mutex
	m  map[int64]cachedSigner
}

type cachedSigner struct {
	sealed []byte
	signer crypto.Signer
}

// maxCachedSigners bounds the cache; past it, it starts again empty.
const maxCachedSigners = 10_000

func (c *signerCache) get(domainID int64, sealed []byte) (crypto.Signer, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.m[domainID]
	if !ok || !bytes.Equal(e.sealed, sealed) {
		return nil, false
	}
	return e.signer, true
}

func (c *signerCache) put(domainID int64, sealed []byte, signer crypto.Signer) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.m) >= maxCachedSigners {
		clear(c.m)
	}
	c.m[domainID] = cachedSigner{sealed: bytes.Clone(sealed), signer: signer}
}

// CanSendFrom reports whether an account may send from fromDomain: the
// domain is one of its verified domains, or a failing one whose grace
// period (72 hours by default) has not run out. Otherwise a
// *SenderDomainError (errors.Is ErrSenderDomainNotVerified) says why.
func (s *Service) CanSendFrom(ctx context.Context, accountID int64, fromDomain string) error {
	_, err := s.sendingDomain(ctx, accountID, fromDomain)
	return err
}

// sendingDomain is CanSendFrom returning the domain's row when it may send.
func (s *Service) sendingDomain(ctx context.Context, accountID int64, fromDomain string) (_ store.MailDomain, err error) {
	defer wrap(&err, "check sender domain %q", fromDomain)
	name, nerr := NormalizeDomain(fromDomain)
	if nerr != nil {
		return store.MailDomain{}, &SenderDomainError{Domain: fromDomain, Reason: "not a valid domain name"}
	}
	row, err := s.db.GetMailDomainByName(ctx, store.GetMailDomainByNameParams{AccountID: accountID, Name: name})
	if db.IsNotFound(err) {
		return store.MailDomain{}, &SenderDomainError{Domain: name, Reason: "it is not a sending domain of this account"}
	} else if err != nil {
		return store.MailDomain{}, err
	}
	switch row.Status {
	case StatusVerified:
		return row, nil
	case StatusFailing:
		ends := row.FailingSince.Add(s.set.SendGrace)
		if s.clock().Before(ends) {
			return row, nil
		}
		return store.MailDomain{}, &SenderDomainError{Domain: name, Reason: "its DNS records have been failing since " +
			row.FailingSince.UTC().Format(time.RFC3339) + " and sending stopped at " + ends.UTC().Format(time.RFC3339)}
	default:
		return store.MailDomain{}, &SenderDomainError{Domain: name, Reason: "its DNS records are not verified yet"}
	}
}

func utcPtr(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	u := t.UTC()
	return &u
}
