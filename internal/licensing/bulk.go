package licensing

// Service methods of the dashboard's bulk work (internal/jobs runs them):
// generating and importing keys, extending expiries, recording an export.
//
// The methods that take a `then` callback run it inside the transaction of
// the change, after the change: a background job records its result for the
// item there, so a job resumed after a crash neither repeats nor loses an
// item it had finished (a generated key is never created without the job
// knowing it).

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"lumdesk/db/store"
	"lumdesk/internal/audit"
	"lumdesk/internal/platform/db"
)

// ErrNeverExpires: extending a key that never expires changes nothing.
var ErrNeverExpires = errors.New("this key never expires; there is nothing to extend")

// InTx runs inside a change's transaction with the changed key(s).
type InTx func(q *store.Queries, keys []Key) error

// GenerateKeysThen is GenerateKeys with then run in its transaction, for a
// background job that reports per item: when the project's plan has room
// for fewer than n keys, it creates those that fit (then sees them) and
// returns them with a *UserLimitError for the rest.
func (s *Service) GenerateKeysThen(ctx context.Context, actor audit.Actor, projectID string, n int, in KeyInput, then InTx) ([]Key, error) {
	if n < 1 || n > MaxGenerate {
		return nil, ValidationError{"count": fmt.Sprintf("must be between 1 and %d", MaxGenerate)}
	}
	now := s.clock()
	row, verr := s.newKeyRow(in, now)
	reason, err := checkReason(actor, in.Reason)
	if err != nil {
		return nil, err
	}
	if len(verr) > 0 {
		return nil, verr
	}
	out := make([]Key, 0, n)
	var limitErr error
	err = s.write(ctx, func(q *store.Queries) error {
		out, limitErr = out[:0], nil // a retried transaction starts over
		p, err := s.project(ctx, q, projectID)
		if err != nil {
			return err
		}
		room, maxUsers, users, err := s.keyRoom(ctx, q, p)
		if err != nil {
			return err
		}
		fit := n
		if room != Unlimited && n > room {
			fit = max(room, 0)
			limitErr = &UserLimitError{Max: maxUsers, Users: users + int64(fit), Requested: n - fit}
			if fit == 0 {
				return limitErr
			}
		}
		for range fit {
			r, err := insertKey(ctx, q, actor, p, row, reason, "license_key.generate", now)
			if err != nil {
				return err
			}
			out = append(out, keyFromRow(r, newKeyActivity, p.PublicID, p.Name, now))
		}
		if then != nil {
			return then(q, out)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, limitErr
}

// ImportInput is one key of a CSV import: the key's fields, and optionally
// its user_key (a key moving from elsewhere keeps its key).
type ImportInput struct {
	UserKey string // "" = generate one
	KeyInput
}

// ValidImportUserKey reports whether s can be an imported user_key: letters,
// digits, '-' and '_', at most MaxUserKeyLen.
func ValidImportUserKey(s string) bool {
	return s != "" && len(s) <= MaxUserKeyLen && !strings.ContainsFunc(s, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_')
	})
}

// ImportKey creates one imported key (audited as license_key.import), with
// then run in its transaction. A user_key already in use is a
// ValidationError on "user_key".
func (s *Service) ImportKey(ctx context.Context, actor audit.Actor, projectID string, in ImportInput, then InTx) (Key, error) {
	now := s.clock()
	row, verr := s.newKeyRow(in.KeyInput, now)
	if in.UserKey != "" && !ValidImportUserKey(in.UserKey) {
		verr["user_key"] = fmt.Sprintf("must be letters, digits, '-' or '_', at most %d characters", MaxUserKeyLen)
	}
	reason, err := checkReason(actor, in.Reason)
	if err != nil {
		return Key{}, err
	}
	if len(verr) > 0 {
		return Key{}, verr
	}
	var out Key
	err = s.write(ctx, func(q *store.Queries) error {
		p, err := s.project(ctx, q, projectID)
		if err != nil {
			return err
		}
		room, maxUsers, users, err := s.keyRoom(ctx, q, p)
		if err != nil {
			return err
		}
		if room != Unlimited && room < 1 {
			return &UserLimitError{Max: maxUsers, Users: users, Requested: 1}
		}
		var r store.LicenseKey
		if in.UserKey == "" {
			r, err = insertKey(ctx, q, actor, p, row, reason, "license_key.import", now)
			if err != nil {
				return err
			}
		} else {
			r, err = q.InsertLicenseKey(ctx, store.InsertLicenseKeyParams{ProjectID: p.ID, UserKey: in.UserKey,
				Identifier: row.Identifier, DiscordID: row.DiscordID, Note: row.Note, KeyDays: row.KeyDays,
				AuthExpire: row.AuthExpire, Now: now})
			if db.IsUniqueViolation(err, "license_keys_user_key") {
				return ValidationError{"user_key": "is already used by another key"}
			}
			if err != nil {
				return fmt.Errorf("import key: %w", err)
			}
			after := keyAudit(r, now)
			after["project_id"] = p.PublicID
			if err := audit.Record(ctx, q, actor, audit.Event{Action: "license_key.import", EntityType: "license_key",
				EntityID: strconv.FormatInt(r.ID, 10), Reason: reason, After: after}); err != nil {
				return err
			}
		}
		out = keyFromRow(r, newKeyActivity, p.PublicID, p.Name, now)
		if then != nil {
			return then(q, []Key{out})
		}
		return nil
	})
	if err != nil {
		return Key{}, err
	}
	return out, nil
}

// MaxExtendDays bounds one extension.
const MaxExtendDays = 3650

// ExtendKey gives a key more days: a key with an expiry gets days more from
// that expiry (from now if it has passed); a key whose key_days clock has not
// started gets days more key_days. A key that never expires is refused
// (ErrNeverExpires). Audited as license_key.extend; then runs in the
// transaction.
func (s *Service) ExtendKey(ctx context.Context, actor audit.Actor, projectID, userKey string, days int, reason string, then InTx) (Key, error) {
	if days < 1 || days > MaxExtendDays {
		return Key{}, ValidationError{"days": fmt.Sprintf("must be a whole number of days from 1 to %d", MaxExtendDays)}
	}
	reason, err := checkReason(actor, reason)
	if err != nil {
		return Key{}, err
	}
	return s.change(ctx, actor, projectID, userKey, "license_key.extend", reason,
		func(q *store.Queries, p store.LicensingProject, k *store.LicenseKey, now time.Time) error {
			switch {
			case k.AuthExpire != nil:
				base := *k.AuthExpire
				if base.Before(now) {
					base = now
				}
				t := base.Add(time.Duration(days) * day)
				if t.After(now.Add(maxExpiryAhead)) {
					return ValidationError{"days": "would move the expiry more than 100 years ahead"}
				}
				k.AuthExpire = &t
			case k.KeyDays != nil:
				n := int(*k.KeyDays) + days
				if n > MaxKeyDays {
					return ValidationError{"days": fmt.Sprintf("would give the key more than %d key_days", MaxKeyDays)}
				}
				d := int32(n)
				k.KeyDays = &d
			default:
				return ErrNeverExpires
			}
			return nil
		}, then)
}

// CheckKeyInput validates a new key's settings (and the reason) without
// creating anything, so a form can refuse them before work is queued.
func (s *Service) CheckKeyInput(actor audit.Actor, in KeyInput) error {
	_, verr := s.newKeyRow(in, s.clock())
	if _, err := checkReason(actor, in.Reason); err != nil {
		var rv ValidationError
		if !errors.As(err, &rv) {
			return err
		}
		for k, m := range rv {
			verr[k] = m
		}
	}
	if len(verr) > 0 {
		return verr
	}
	return nil
}

// RecordKeyExport audits a CSV export of keys with its filters (an export
// carries every key's user_key out of the dashboard).
func (s *Service) RecordKeyExport(ctx context.Context, actor audit.Actor, filters map[string]string) error {
	return s.write(ctx, func(q *store.Queries) error {
		return audit.Record(ctx, q, actor, audit.Event{Action: "license_key.export", EntityType: "license_key",
			After: map[string]any{"filters": filters}})
	})
}
