// Package marketplace is Lumio, the extension marketplace: an account's
// extensions, the versions it submits for review with the facts of their
// bundle, the review decisions (approve with a staged rollout, reject with
// a reason) and write-only secrets. The rules live here once, for the
// console, the portal, the Lumio API and the CLI.
//
// Methods (scope is the caller's accounts.Scope: staff pass
// accounts.AllAccounts, an API key or portal session its own account; an
// object of another account is not found, exactly as an unknown one):
//
//	Extensions: CreateExtension (slug from the name, unique), GetExtension,
//	            ListExtensions (keyset), UpdateExtension (only the fields
//	            given; public needs an approved version), DeleteExtension
//	            (refused once the extension was ever public)
//	Versions:   SubmitVersion (SemVer 2.0, strictly above every earlier
//	            version; the bundle validated and stored through Bundles),
//	            GetVersion, ListVersions
//	Review:     Approve (with a rollout percentage), Reject (with a reason),
//	            SetRollout
//	Secrets:    SetSecret, DeleteSecret, ListSecretNames: values sealed
//	            under the master key, never returned and never audited
//
// Every change is audited in its transaction.
package marketplace

import (
	"errors"
	"fmt"
	"time"

	"lumdesk/internal/platform/apperr"
	"lumdesk/internal/platform/db"
	"lumdesk/internal/platform/secretbox"
)

// Errors returned to the HTTP layers and the CLI.
var (
	ErrExtensionNotFound = apperr.NotFound("extension not found")
	ErrVersionNotFound   = apperr.NotFound("version not found")
	ErrSecretNotFound    = apperr.NotFound("secret not found")
	ErrAccountNotFound   = apperr.NotFound("account not found")

	// ErrVersionExists: the extension already has this version (the API's
	// 409 version_exists).
	ErrVersionExists = errors.New("this version already exists for the extension")
	// ErrExtensionWasPublic: an extension that was ever public cannot be
	// deleted (the API's 409 extension_was_public).
	ErrExtensionWasPublic = errors.New("an extension that was publicly listed cannot be deleted")
	// ErrNotPending: the version was already reviewed or withdrawn.
	ErrNotPending = errors.New("the version is not waiting for review")
	// ErrNotApproved: only an approved version has a rollout.
	ErrNotApproved = errors.New("the version is not approved")
)

// ValidationError maps input fields to messages (422 in every layer).
type ValidationError = apperr.FieldErrors

// Extension statuses.
const (
	StatusDraft     = "draft"
	StatusPending   = "pending"
	StatusApproved  = "approved"
	StatusRejected  = "rejected"
	StatusSuspended = "suspended"
)

// Version statuses.
const (
	VersionPending   = "pending"
	VersionApproved  = "approved"
	VersionRejected  = "rejected"
	VersionWithdrawn = "withdrawn"
)

// Visibilities.
const (
	VisibilityPrivate  = "private"
	VisibilityUnlisted = "unlisted"
	VisibilityPublic   = "public"
)

// Service is the Lumio domain service.
type Service struct {
	db      *db.DB
	box     *secretbox.Box
	bundles Bundles
	now     func() time.Time
}

// NewService makes the service. box seals secret values; bundles validates
// and stores uploaded bundles.
func NewService(d *db.DB, box *secretbox.Box, bundles Bundles) *Service {
	return &Service{db: d, box: box, bundles: bundles, now: time.Now}
}

// WithClock returns a copy reading the time from now (tests, demo seed).
func (s *Service) WithClock(now func() time.Time) *Service {
	c := *s
	c.now = now
	return &c
}

func (s *Service) clock() time.Time { return s.now().UTC().Truncate(time.Microsecond) }

// wrap says where an unexpected error came from (deferred at the top of a
// method); the package's own answers pass unchanged, as callers show their
// text to people.
func wrap(errp *error, format string, args ...any) {
	if *errp == nil {
		return
	}
	var fe apperr.FieldErrors
	var nf interface{ NotFound() bool }
	if errors.As(*errp, &fe) || (errors.As(*errp, &nf) && nf.NotFound()) || errors.Is(*errp, ErrVersionExists) ||
		errors.Is(*errp, ErrExtensionWasPublic) || errors.Is(*errp, ErrNotPending) || errors.Is(*errp, ErrNotApproved) {
		return
	}
	*errp = fmt.Errorf(format+": %w", append(args, *errp)...)
}
