// Package mail is Lumora, transactional email: the apps of an account and
// the sending domains it proves it controls through DNS. The rules live
// here once, for the console, the portal, the Lumora API and the CLI.
//
// Methods (scope is the caller's accounts.Scope: staff pass
// accounts.AllAccounts, an API key or portal session its own account; an
// object of another account is not found, exactly as an unknown one):
//
//	Apps:     CreateApp, GetApp, ListApps
//	Domains:  AddDomain (normalises the name, makes the DKIM key pair and the
//	          four records to publish), GetDomain, ListDomains, DeleteDomain
//	DNS:      Verify (real lookups against the configured resolver; each
//	          record verified or failing with what was found), RecheckDue (the
//	          periodic re-check of domains verified once)
//	Sending:  CanSendFrom (a verified domain, or a failing one within the
//	          grace period), DKIMKey (the selector and private key that sign),
//	          Send (render the template it names, validate, suppress, store
//	          and enqueue in one transaction), Deliver (the River worker's:
//	          build, sign, SMTP, record outcomes); each recipient status
//	          change enqueues its webhooks in the transaction recording it
//	Platform: SendPlatform (lumdesk's own mail, from PLATFORM_MAIL_FROM
//	          through the built-in platform app; no verified domain, unsigned)
//	Reading:  GetMessage (the account's), GetAppMessage (one app's: the
//	          API key's), ListEvents (the log), Stats, ListSuppressions,
//	          SuppressionPage (with the next page's cursor), DeleteSuppression
//	Staff:    AddSuppression and LiftSuppression (an address by hand, with
//	          a reason kept in the account's history)
//
// Every change is audited in its transaction.
package mail

import (
	"errors"
	"fmt"
	"time"

	"lumdesk/internal/mail/templates"
	"lumdesk/internal/platform/apperr"
	"lumdesk/internal/platform/db"
	"lumdesk/internal/platform/secretbox"
)

// Domain and record statuses.
const (
	StatusPending  = "pending"  // not verified yet
	StatusVerified = "verified" // every record verified at the last check
	StatusFailing  = "failing"  // verified once, and a record stopped verifying
)

// DefaultSendGrace is how long a failing domain may still send.
const DefaultSendGrace = 72 * time.Hour

// ValidationError maps input fields to messages (422 in every layer).
type ValidationError = apperr.FieldErrors

// Errors returned to the HTTP layers and the CLI.
var (
	ErrAppNotFound     = apperr.NotFound("app not found")
	ErrDomainNotFound  = apperr.NotFound("domain not found")
	ErrAccountNotFound = apperr.NotFound("account not found")

	// ErrSenderDomainNotVerified: the from address's domain is not a
	// verified domain of the account (the API's sender_domain_not_verified).
	ErrSenderDomainNotVerified = errors.New("sender domain is not verified or does not belong to this account")
)

// SenderDomainError says why a sender's domain may not send;
// errors.Is(err, ErrSenderDomainNotVerified) holds.
type SenderDomainError struct {
	Domain string // as normalised, or as given when it is not a domain at all
	Reason string // "not added", "pending", "failing since ..."
}

func (e *SenderDomainError) Error() string {
	return fmt.Sprintf("sender domain %s is not verified: %s", e.Domain, e.Reason)
}

// Is makes the error match ErrSenderDomainNotVerified.
func (e *SenderDomainError) Is(target error) bool { return target == ErrSenderDomainNotVerified }

// Settings are the deployment's Lumora DNS values (config.Config).
type Settings struct {
	SPFInclude      string        // LUMORA_SPF_INCLUDE: the include: customers add to their SPF record
	ReturnPathLabel string        // LUMORA_RETURN_PATH_LABEL: the label of the return-path CNAME under the domain
	ReturnPathHost  string        // LUMORA_RETURN_PATH_HOST: where that CNAME points
	Recheck         time.Duration // LUMORA_DNS_RECHECK: how often verified domains are checked again
	SendGrace       time.Duration // how long a failing domain may still send (0: DefaultSendGrace)
	PlatformFrom    string        // PLATFORM_MAIL_FROM: the sender of lumdesk's own mail ("": DefaultPlatformFrom)
}

// Service is the Lumora domain service.
type Service struct {
	db       *db.DB
	box      *secretbox.Box
	resolver *Resolver
	set      Settings
	now      func() time.Time

	queue     DeliveryQueue // where sends enqueue their delivery (SetQueue)
	transport Transport     // where the delivery worker hands mail (SetTransport)
	retryFor  time.Duration // LUMORA_RETRY_FOR
	templates Templates     // where sends naming a template render it (SetTemplates)
	webhooks  Webhooks      // where recipient status changes are announced (SetWebhooks)
	platform  *platformState
	signers   *signerCache // parsed DKIM keys (DKIMKey)
}

// NewService makes the service. box seals the DKIM private keys; resolver
// is where Verify asks (NewResolver).
func NewService(d *db.DB, box *secretbox.Box, resolver *Resolver, set Settings) *Service {
	if set.SendGrace <= 0 {
		set.SendGrace = DefaultSendGrace
	}
	if set.Recheck <= 0 {
		set.Recheck = 6 * time.Hour
	}
	if set.PlatformFrom == "" {
		set.PlatformFrom = DefaultPlatformFrom
	}
	return &Service{db: d, box: box, resolver: resolver, set: set, now: time.Now, platform: &platformState{},
		signers: &signerCache{m: map[int64]cachedSigner{}}}
}

// WithClock returns a copy reading the time from now (tests, demo seed).
func (s *Service) WithClock(now func() time.Time) *Service {
	c := *s
	c.now = now
	return &c
}

// WithResolver returns a copy whose Verify asks resolver: the demo seed
// verifies its sample domains through the real lookups against a DNS
// server of its own, since no public DNS holds their records.
func (s *Service) WithResolver(r *Resolver) *Service {
	c := *s
	c.resolver = r
	return &c
}

// Settings are the DNS values the service was made with.
func (s *Service) Settings() Settings { return s.set }

func (s *Service) clock() time.Time { return s.now().UTC().Truncate(time.Microsecond) }

// wrap says where an unexpected error came from (deferred at the top of a
// method); the package's own answers (validation, not found, the sender
// error) pass unchanged, as callers show their text to people.
func wrap(errp *error, format string, args ...any) {
	if *errp == nil {
		return
	}
	var fe apperr.FieldErrors
	var nf interface{ NotFound() bool }
	if errors.As(*errp, &fe) || (errors.As(*errp, &nf) && nf.NotFound()) || errors.Is(*errp, ErrSenderDomainNotVerified) ||
		errors.Is(*errp, ErrAllSuppressed) || errors.Is(*errp, ErrIdempotencyKeyReused) || errors.Is(*errp, ErrHardBounceSuppression) ||
		errors.Is(*errp, ErrTemplateNotFound) || errors.Is(*errp, templates.ErrVariableMissing) || errors.Is(*errp, templates.ErrRender) {
		return
	}
	*errp = fmt.Errorf(format+": %w", append(args, *errp)...)
}
