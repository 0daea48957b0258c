package marketplace

import (
	"context"
	"strings"

	"lumdesk/db/store"
	"lumdesk/internal/accounts"
	"lumdesk/internal/audit"
)

// Moderation by staff: suspend and unsuspend an extension, deprecate it
// (optionally naming a replacement) and take the deprecation back. Each
// needs a reason, which the history keeps.

// MaxModerationReason bounds a moderation reason.
const MaxModerationReason = 2000

func checkReason(reason string) (string, error) {
	reason = strings.TrimSpace(reason)
	fe := ValidationError{}
	checkText(fe, "reason", reason, MaxModerationReason, true)
	if len(fe) > 0 {
		return "", fe
	}
	return reason, nil
}

// moderate locks the extension, applies change and audits action with
// the before and after.
func (s *Service) moderate(ctx context.Context, actor audit.Actor, extID, action, reason string,
	change func(q *store.Queries, row store.MarketplaceExtension) (store.MarketplaceExtension, error)) (Extension, error) {
	var out Extension
	err := s.db.Tx(ctx, func(q *store.Queries) error {
		row, err := findExtension(ctx, q, accounts.AllAccounts, extID, true)
		if err != nil {
			return err
		}
		before, err := s.extensionFromRow(ctx, q, row)
		if err != nil {
			return err
		}
		upd, err := change(q, row)
		if err != nil {
			return err
		}
		if out, err = s.extensionFromRow(ctx, q, upd); err != nil {
			return err
		}
		return audit.Record(ctx, q, actor, audit.Event{Action: action, EntityType: audit.EntityLumioExtension, EntityID: out.ID,
			Reason: reason, Before: extensionAudit(before), After: extensionAudit(out)})
	})
	if err != nil {
		return Extension{}, err
	}
	return out, nil
}

// ErrAlreadySuspended and ErrNotSuspended refuse a suspension that changes nothing.
var (
	ErrAlreadySuspended = ValidationError{"reason": "The extension is already suspended."}
	ErrNotSuspended     = ValidationError{"reason": "The extension is not suspended."}
	ErrNotDeprecated    = ValidationError{"reason": "The extension is not deprecated."}
)

// Suspend takes the extension off the marketplace: its status becomes
// suspended whatever it was, until Unsuspend.
func (s *Service) Suspend(ctx context.Context, actor audit.Actor, extID, reason string) (_ Extension, err error) {
	defer wrap(&err, "suspend extension %s", extID)
	if reason, err = checkReason(reason); err != nil {
		return Extension{}, err
	}
	return s.moderate(ctx, actor, extID, "lumio_extension.suspend", reason, func(q *store.Queries, row store.MarketplaceExtension) (store.MarketplaceExtension, error) {
		if row.Status == StatusSuspended {
			return row, ErrAlreadySuspended
		}
		return q.SetMarketplaceExtensionStatus(ctx, store.SetMarketplaceExtensionStatusParams{ID: row.ID, Status: StatusSuspended, Now: s.clock()})
	})
}

// Unsuspend lifts a suspension: the extension's status becomes what its
// versions make it, approved when it has a current version, else pending
// with a version waiting for review, else rejected when one was refused,
// else draft.
func (s *Service) Unsuspend(ctx context.Context, actor audit.Actor, extID, reason string) (_ Extension, err error) {
	defer wrap(&err, "unsuspend extension %s", extID)
	if reason, err = checkReason(reason); err != nil {
		return Extension{}, err
	}
	return s.moderate(ctx, actor, extID, "lumio_extension.unsuspend", reason, func(q *store.Queries, row store.MarketplaceExtension) (store.MarketplaceExtension, error) {
		if row.Status != StatusSuspended {
			return row, ErrNotSuspended
		}
		status := StatusDraft
		if row.CurrentVersionID != nil {
			status = StatusApproved
		} else {
			n, err := q.CountMarketplaceVersionsByStatus(ctx, row.ID)
			if err != nil {
				return row, err
			}
			switch {
			case n.Pending > 0:
				status = StatusPending
			case n.Rejected > 0:
				status = StatusRejected
			}
		}
		return q.SetMarketplaceExtensionStatus(ctx, store.SetMarketplaceExtensionStatusParams{ID: row.ID, Status: status, Now: s.clock()})
	})
}

// Deprecate marks the extension deprecated; replacementID ("" for none)
// names the extension people should move to, of any account but not this one.
func (s *Service) Deprecate(ctx context.Context, actor audit.Actor, extID, reason, replacementID string) (_ Extension, err error) {
	defer wrap(&err, "deprecate extension %s", extID)
	if reason, err = checkReason(reason); err != nil {
		return Extension{}, err
	}
	replacementID = strings.TrimSpace(replacementID)
	return s.moderate(ctx, actor, extID, "lumio_extension.deprecate", reason, func(q *store.Queries, row store.MarketplaceExtension) (store.MarketplaceExtension, error) {
		var repl *int64
		if replacementID != "" {
			r, err := findExtension(ctx, q, accounts.AllAccounts, replacementID, false)
			switch {
			case err == ErrExtensionNotFound:
				return row, ValidationError{"replacement": "No extension has that id."}
			case err != nil:
				return row, err
			case r.ID == row.ID:
				return row, ValidationError{"replacement": "An extension cannot replace itself."}
			}
			repl = &r.ID
		}
		return q.SetMarketplaceExtensionDeprecation(ctx, store.SetMarketplaceExtensionDeprecationParams{ID: row.ID, Deprecated: true,
			ReplacementID: repl, Now: s.clock()})
	})
}

// Undeprecate takes a deprecation (and its replacement) back.
func (s *Service) Undeprecate(ctx context.Context, actor audit.Actor, extID, reason string) (_ Extension, err error) {
	defer wrap(&err, "undeprecate extension %s", extID)
	if reason, err = checkReason(reason); err != nil {
		return Extension{}, err
	}
	return s.moderate(ctx, actor, extID, "lumio_extension.undeprecate", reason, func(q *store.Queries, row store.MarketplaceExtension) (store.MarketplaceExtension, error) {
		if !row.Deprecated {
			return row, ErrNotDeprecated
		}
		return q.SetMarketplaceExtensionDeprecation(ctx, store.SetMarketplaceExtensionDeprecationParams{ID: row.ID, Deprecated: false, Now: s.clock()})
	})
}
