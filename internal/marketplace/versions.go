package marketplace

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"
	"time"

	"lumdesk/db/store"
	"lumdesk/internal/accounts"
	"lumdesk/internal/audit"
	"lumdesk/internal/platform/db"
	"lumdesk/internal/platform/ids"
)

// MaxChangelog bounds a version's changelog; MaxRejectionReason a reviewer's reason.
const (
	MaxChangelog       = 5000
	MaxRejectionReason = 2000
)

// BundleFile is one regular file of a bundle.
type BundleFile struct {
	Path   string `json:"path"`
	Size   int64  `json:"size"`
	SHA256 string `json:"sha256"` // lower-case hex
}

// BundleFacts are what validating a bundle found; the stored bundle is
// addressed by SHA256.
type BundleFacts struct {
	SHA256       string          // of the uploaded (compressed) bytes, lower-case hex
	Size         int64           // compressed, as uploaded
	UnpackedSize int64           // the files' total size
	FileCount    int             // regular files
	Manifest     json.RawMessage // the root manifest.json
	Files        []BundleFile
}

// ErrBundleInvalid marks a refused bundle: Bundles.Store returns an error
// wrapping it whose text names the problem and the entry, and stores
// nothing. SubmitVersion reports it as a validation error on "bundle".
var ErrBundleInvalid = errors.New("invalid bundle")

// Bundles validates an uploaded .tar.gz while it streams and stores it
// content-addressed (marketplace/bundle and marketplace/blob, adapted to
// this interface where the service is wired). version is the submitted
// version, which the manifest's must equal.
type Bundles interface {
	Store(ctx context.Context, r io.Reader, version string) (BundleFacts, error)
}

// VersionInfo is a submitted version of an extension.
type VersionInfo struct {
	ID                 string          `json:"id"` // ver_...
	ExtensionID        string          `json:"extension_id"`
	Version            string          `json:"version"`
	Changelog          string          `json:"changelog"`
	Status             string          `json:"status"`
	BundleSHA256       string          `json:"bundle_sha256"`
	BundleSize         int64           `json:"bundle_size"`
	BundleUnpackedSize int64           `json:"bundle_unpacked_size"`
	FileCount          int             `json:"file_count"`
	Manifest           json.RawMessage `json:"manifest"`
	Files              []BundleFile    `json:"files"`
	SubmittedAt        time.Time       `json:"submitted_at"`
	ApprovedAt         *time.Time      `json:"approved_at,omitempty"`
	ReviewedAt         *time.Time      `json:"reviewed_at,omitempty"`
	ReviewerID         *int64          `json:"reviewer_id,omitempty"` // staff user
	RejectionReason    string          `json:"rejection_reason,omitempty"`
	RolloutPercent     int             `json:"rollout_percent"`
}

func versionFromRow(r store.MarketplaceVersion, extPublicID string) (VersionInfo, error) {
	v := VersionInfo{ID: r.PublicID, ExtensionID: extPublicID, Version: r.Version, Changelog: r.Changelog, Status: r.Status,
		BundleSHA256: r.BundleSha256, BundleSize: r.BundleSize, BundleUnpackedSize: r.BundleUnpackedSize,
		FileCount: int(r.FileCount), Manifest: r.Manifest, SubmittedAt: r.SubmittedAt.UTC(), ApprovedAt: utcPtr(r.ApprovedAt),
		ReviewedAt: utcPtr(r.ReviewedAt), ReviewerID: r.ReviewerID, RejectionReason: r.RejectionReason,
		RolloutPercent: int(r.RolloutPercent)}
	if err := json.Unmarshal(r.Files, &v.Files); err != nil {
		return VersionInfo{}, fmt.Errorf("version %s files: %w", r.PublicID, err)
	}
	return v, nil
}

func utcPtr(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	u := t.UTC()
	return &u
}

// versionAudit is what the history keeps of a version: the facts, not the file list.
func versionAudit(v VersionInfo) map[string]any {
	m := map[string]any{"extension": v.ExtensionID, "version": v.Version, "changelog": v.Changelog, "status": v.Status,
		"bundle_sha256": v.BundleSHA256, "bundle_size": v.BundleSize, "unpacked_size": v.BundleUnpackedSize,
		"file_count": v.FileCount, "rollout_percent": v.RolloutPercent}
	if v.RejectionReason != "" {
		m["rejection_reason"] = v.RejectionReason
	}
	if v.ReviewerID != nil {
		m["reviewer_id"] = strconv.FormatInt(*v.ReviewerID, 10)
	}
	if v.ApprovedAt != nil {
		m["approved_at"] = v.ApprovedAt.Format(time.RFC3339)
	}
	return m
}

// VersionInput submits a version.
type VersionInput struct {
	Version   string
	Changelog string
	Bundle    io.Reader // the .tar.gz as it arrives
}

// checkNewVersion says whether v may follow the versions already submitted:
// strictly above every one of them.
func checkNewVersion(v Version, existing []string) error {
	for _, s := range existing {
		old, err := ParseVersion(s)
		if err != nil {
			return fmt.Errorf("stored version %q: %w", s, err)
		}
		switch v.Compare(old) {
		case 0:
			return ErrVersionExists
		case -1:
			return ValidationError{"version": "Must be greater than every earlier version (" + s + " exists)."}
		}
	}
	return nil
}

// SubmitVersion checks the version against the earlier ones, streams the
// bundle through Bundles (validated and stored, or refused with nothing
// stored) and records the version as pending review. An extension with no
// approved version becomes pending; one with an approved version stays
// approved (its current version keeps serving) and a suspended one
// suspended.
func (s *Service) SubmitVersion(ctx context.Context, actor audit.Actor, scope accounts.Scope, extID string, in VersionInput) (_ VersionInfo, err error) {
	defer wrap(&err, "submit version of %s", extID)
	row, err := findExtension(ctx, s.db.Queries, scope, extID, false)
	if err != nil {
		return VersionInfo{}, err
	}
	in.Version = strings.TrimSpace(in.Version)
	fe := ValidationError{}
	ver, verr := ParseVersion(in.Version)
	if verr != nil {
		fe["version"] = "Must be a semantic version (SemVer 2.0) such as 1.2.0 or 2.0.0-beta.1."
	}
	checkText(fe, "changelog", in.Changelog, MaxChangelog, false)
	if in.Bundle == nil {
		fe["bundle"] = "Required: the extension's files as a .tar.gz archive."
	}
	if len(fe) > 0 {
		return VersionInfo{}, fe
	}
	// Refuse before reading the upload what the transaction would refuse anyway.
	existing, err := s.db.ListMarketplaceVersionStrings(ctx, row.ID)
	if err != nil {
		return VersionInfo{}, err
	}
	if err := checkNewVersion(ver, existing); err != nil {
		return VersionInfo{}, err
	}
	facts, err := s.bundles.Store(ctx, in.Bundle, in.Version)
	if errors.Is(err, ErrBundleInvalid) {
		return VersionInfo{}, ValidationError{"bundle": err.Error()}
	} else if err != nil {
		var bfe ValidationError
		if errors.As(err, &bfe) {
			return VersionInfo{}, bfe
		}
		return VersionInfo{}, fmt.Errorf("store bundle: %w", err)
	}
	if !sha256RE.MatchString(facts.SHA256) || facts.Size <= 0 || len(facts.Manifest) == 0 {
		return VersionInfo{}, fmt.Errorf("store bundle: incomplete facts (sha256 %q, size %d)", facts.SHA256, facts.Size)
	}
	files := facts.Files
	if files == nil {
		files = []BundleFile{}
	}
	filesJSON, err := json.Marshal(files)
	if err != nil {
		return VersionInfo{}, err
	}
	var out VersionInfo
	err = s.db.Tx(ctx, func(q *store.Queries) error {
		// The lock orders concurrent submissions of one extension, so the
		// "above every earlier version" check holds.
		row, err := findExtension(ctx, q, scope, extID, true)
		if err != nil {
			return err
		}
		existing, err := q.ListMarketplaceVersionStrings(ctx, row.ID)
		if err != nil {
			return err
		}
		if err := checkNewVersion(ver, existing); err != nil {
			return err
		}
		now := s.clock()
		vrow, err := q.InsertMarketplaceVersion(ctx, store.InsertMarketplaceVersionParams{PublicID: ids.Public("ver_"),
			ExtensionID: row.ID, Version: in.Version, Changelog: in.Changelog, BundleSha256: facts.SHA256,
			BundleSize: facts.Size, BundleUnpackedSize: facts.UnpackedSize, FileCount: int32(facts.FileCount),
			Manifest: facts.Manifest, Files: filesJSON, Now: now})
		if db.IsUniqueViolation(err, "marketplace_versions_version") {
			return ErrVersionExists
		} else if err != nil {
			return err
		}
		if out, err = versionFromRow(vrow, row.PublicID); err != nil {
			return err
		}
		if err := audit.Record(ctx, q, actor, audit.Event{Action: "lumio_version.submit", EntityType: audit.EntityLumioVersion,
			EntityID: out.ID, After: versionAudit(out)}); err != nil {
			return err
		}
		if row.Status == StatusDraft || row.Status == StatusRejected {
			return s.setExtensionReview(ctx, q, actor, row, StatusPending, row.CurrentVersionID, now)
		}
		return nil
	})
	if err != nil {
		return VersionInfo{}, err
	}
	return out, nil
}

var sha256RE = regexp.MustCompile(`^[0-9a-f]{64}$`)

// setExtensionReview moves the extension's status and current version,
// audited on the extension.
func (s *Service) setExtensionReview(ctx context.Context, q *store.Queries, actor audit.Actor, row store.MarketplaceExtension,
	status string, current *int64, now time.Time) error {
	before, err := s.extensionFromRow(ctx, q, row)
	if err != nil {
		return err
	}
	updated, err := q.SetMarketplaceExtensionReview(ctx, store.SetMarketplaceExtensionReviewParams{ID: row.ID, Status: status,
		CurrentVersionID: current, Now: now})
	if err != nil {
		return err
	}
	after, err := s.extensionFromRow(ctx, q, updated)
	if err != nil {
		return err
	}
	return audit.Record(ctx, q, actor, audit.Event{Action: "lumio_extension.update", EntityType: audit.EntityLumioExtension,
		EntityID: after.ID, Before: extensionAudit(before), After: extensionAudit(after)})
}

// findVersion is the version with public id id whose extension is inside
// the scope; anything else is ErrVersionNotFound.
func findVersion(ctx context.Context, q *store.Queries, scope accounts.Scope, id string, lock bool) (store.MarketplaceVersion, store.MarketplaceExtension, error) {
	if !ids.ValidPublic("ver_", id) {
		return store.MarketplaceVersion{}, store.MarketplaceExtension{}, ErrVersionNotFound
	}
	get := q.GetMarketplaceVersion
	if lock {
		get = q.LockMarketplaceVersion
	}
	v, err := get(ctx, id)
	if db.IsNotFound(err) {
		return store.MarketplaceVersion{}, store.MarketplaceExtension{}, ErrVersionNotFound
	} else if err != nil {
		return store.MarketplaceVersion{}, store.MarketplaceExtension{}, err
	}
	getExt := q.GetMarketplaceExtensionByID
	if lock {
		getExt = q.LockMarketplaceExtensionByID
	}
	e, err := getExt(ctx, v.ExtensionID)
	if err != nil {
		return store.MarketplaceVersion{}, store.MarketplaceExtension{}, err
	}
	if !scope.Allows(e.AccountID) {
		return store.MarketplaceVersion{}, store.MarketplaceExtension{}, ErrVersionNotFound
	}
	return v, e, nil
}

// GetVersion is the version, if its extension is inside the scope.
func (s *Service) GetVersion(ctx context.Context, scope accounts.Scope, id string) (_ VersionInfo, err error) {
	defer wrap(&err, "get version %s", id)
	v, e, err := findVersion(ctx, s.db.Queries, scope, id, false)
	if err != nil {
		return VersionInfo{}, err
	}
	return versionFromRow(v, e.PublicID)
}

// ListVersions is the extension's versions, newest submission first.
func (s *Service) ListVersions(ctx context.Context, scope accounts.Scope, extID string) (_ []VersionInfo, err error) {
	defer wrap(&err, "list versions of %s", extID)
	e, err := findExtension(ctx, s.db.Queries, scope, extID, false)
	if err != nil {
		return nil, err
	}
	rows, err := s.db.ListMarketplaceVersions(ctx, e.ID)
	if err != nil {
		return nil, err
	}
	out := make([]VersionInfo, 0, len(rows))
	for _, r := range rows {
		v, err := versionFromRow(r, e.PublicID)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, nil
}

func checkRollout(percent int) error {
	if percent < 1 || percent > 100 {
		return ValidationError{"rollout_percent": "Must be between 1 and 100."}
	}
	return nil
}

// reviewerID is the staff user behind actor, if any.
func reviewerID(actor audit.Actor) *int64 {
	if actor.Kind != audit.KindStaff {
		return nil
	}
	id, err := strconv.ParseInt(actor.ID, 10, 64)
	if err != nil || id <= 0 {
		return nil
	}
	return &id
}

// Approve approves a pending version for rolloutPercent (1–100) of
// installs: it becomes the extension's current version, and the extension
// approved (a suspended one stays suspended).
func (s *Service) Approve(ctx context.Context, actor audit.Actor, versionID string, rolloutPercent int) (_ VersionInfo, err error) {
	defer wrap(&err, "approve version %s", versionID)
	if err := checkRollout(rolloutPercent); err != nil {
		return VersionInfo{}, err
	}
	var out VersionInfo
	err = s.db.Tx(ctx, func(q *store.Queries) error {
		v, e, err := findVersion(ctx, q, accounts.AllAccounts, versionID, true)
		if err != nil {
			return err
		}
		if v.Status != VersionPending {
			return ErrNotPending
		}
		before, err := versionFromRow(v, e.PublicID)
		if err != nil {
			return err
		}
		now := s.clock()
		upd, err := q.ReviewMarketplaceVersion(ctx, store.ReviewMarketplaceVersionParams{ID: v.ID, Status: VersionApproved,
			ApprovedAt: &now, ReviewerID: reviewerID(actor), RejectionReason: "", RolloutPercent: int32(rolloutPercent), Now: now})
		if err != nil {
			return err
		}
		if out, err = versionFromRow(upd, e.PublicID); err != nil {
			return err
		}
		if err := audit.Record(ctx, q, actor, audit.Event{Action: "lumio_version.approve", EntityType: audit.EntityLumioVersion,
			EntityID: out.ID, Before: versionAudit(before), After: versionAudit(out)}); err != nil {
			return err
		}
		status := StatusApproved
		if e.Status == StatusSuspended {
			status = StatusSuspended
		}
		return s.setExtensionReview(ctx, q, actor, e, status, &v.ID, now)
	})
	if err != nil {
		return VersionInfo{}, err
	}
	return out, nil
}

// Reject refuses a pending version with a reason the developer sees. An
// extension with no approved version becomes rejected; one with an
// approved version keeps serving it.
func (s *Service) Reject(ctx context.Context, actor audit.Actor, versionID, reason string) (_ VersionInfo, err error) {
	defer wrap(&err, "reject version %s", versionID)
	reason = strings.TrimSpace(reason)
	fe := ValidationError{}
	checkText(fe, "reason", reason, MaxRejectionReason, true)
	if len(fe) > 0 {
		return VersionInfo{}, fe
	}
	var out VersionInfo
	err = s.db.Tx(ctx, func(q *store.Queries) error {
		v, e, err := findVersion(ctx, q, accounts.AllAccounts, versionID, true)
		if err != nil {
			return err
		}
		if v.Status != VersionPending {
			return ErrNotPending
		}
		before, err := versionFromRow(v, e.PublicID)
		if err != nil {
			return err
		}
		now := s.clock()
		upd, err := q.ReviewMarketplaceVersion(ctx, store.ReviewMarketplaceVersionParams{ID: v.ID, Status: VersionRejected,
			ReviewerID: reviewerID(actor), RejectionReason: reason, RolloutPercent: v.RolloutPercent, Now: now})
		if err != nil {
			return err
		}
		if out, err = versionFromRow(upd, e.PublicID); err != nil {
			return err
		}
		if err := audit.Record(ctx, q, actor, audit.Event{Action: "lumio_version.reject", EntityType: audit.EntityLumioVersion,
			EntityID: out.ID, Reason: reason, Before: versionAudit(before), After: versionAudit(out)}); err != nil {
			return err
		}
		if e.CurrentVersionID == nil && e.Status == StatusPending {
			return s.setExtensionReview(ctx, q, actor, e, StatusRejected, nil, now)
		}
		return nil
	})
	if err != nil {
		return VersionInfo{}, err
	}
	return out, nil
}

// SetRollout changes an approved version's rollout percentage (1–100).
func (s *Service) SetRollout(ctx context.Context, actor audit.Actor, versionID string, rolloutPercent int) (_ VersionInfo, err error) {
	defer wrap(&err, "set rollout of version %s", versionID)
	if err := checkRollout(rolloutPercent); err != nil {
		return VersionInfo{}, err
	}
	var out VersionInfo
	err = s.db.Tx(ctx, func(q *store.Queries) error {
		v, e, err := findVersion(ctx, q, accounts.AllAccounts, versionID, true)
		if err != nil {
			return err
		}
		if v.Status != VersionApproved {
			return ErrNotApproved
		}
		before, err := versionFromRow(v, e.PublicID)
		if err != nil {
			return err
		}
		upd, err := q.SetMarketplaceVersionRollout(ctx, store.SetMarketplaceVersionRolloutParams{ID: v.ID, RolloutPercent: int32(rolloutPercent)})
		if err != nil {
			return err
		}
		if out, err = versionFromRow(upd, e.PublicID); err != nil {
			return err
		}
		return audit.Record(ctx, q, actor, audit.Event{Action: "lumio_version.rollout", EntityType: audit.EntityLumioVersion,
			EntityID: out.ID, Before: versionAudit(before), After: versionAudit(out)})
	})
	if err != nil {
		return VersionInfo{}, err
	}
	return out, nil
}
