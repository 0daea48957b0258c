package licensing

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
	"lumdesk/internal/platform/ids"
)

// KeyInput is a new key. Everything is optional: a key without identifier or
// discord_id is unassigned and gets both when first used.
type KeyInput struct {
	Identifier string
	DiscordID  string
	Note       string
	// KeyDays: days the key gets from its first execution or Discord link.
	KeyDays *int
	// AuthExpire: nil or Never = never expires. For a key without identifier
	// and discord_id it is converted to KeyDays (counted from activation).
	AuthExpire *Expiry
	Reason     string
}

// newKeyRow validates a new key and applies the time rules.
func (s *Service) newKeyRow(in KeyInput, now time.Time) (store.LicenseKey, ValidationError) {
	verr := ValidationError{}
	k := store.LicenseKey{
		Identifier: checkIdentifier(in.Identifier, verr),
		DiscordID:  checkDiscordID(in.DiscordID, verr),
		Note:       checkNote(in.Note, verr),
	}
	if in.KeyDays != nil {
		checkKeyDays(*in.KeyDays, verr)
		d := int32(*in.KeyDays)
		k.KeyDays = &d
	}
	if in.AuthExpire != nil && !in.AuthExpire.Never {
		if in.KeyDays != nil {
			verr["auth_expire"] = "cannot be combined with key_days"
		} else {
			applyExpiry(&k, *in.AuthExpire, now, false, verr)
		}
	}
	return k, verr
}

func insertKey(ctx context.Context, q *store.Queries, actor audit.Actor, p store.LicensingProject, k store.LicenseKey, reason, action string, now time.Time) (store.LicenseKey, error) {
	for attempt := 0; ; attempt++ {
		r, err := q.InsertLicenseKey(ctx, store.InsertLicenseKeyParams{ProjectID: p.ID, UserKey: ids.Token(UserKeyLen),
			Identifier: k.Identifier, DiscordID: k.DiscordID, Note: k.Note, KeyDays: k.KeyDays, AuthExpire: k.AuthExpire, Now: now})
		if db.IsUniqueViolation(err, "license_keys_user_key") && attempt < 2 {
			continue // 62^32 makes this practically impossible; retry anyway
		}
		if err != nil {
			return store.LicenseKey{}, fmt.Errorf("insert key: %w", err)
		}
		after := keyAudit(r, now)
		after["project_id"] = p.PublicID
		return r, audit.Record(ctx, q, actor, audit.Event{Action: action, EntityType: "license_key",
			EntityID: strconv.FormatInt(r.ID, 10), Reason: reason, After: after})
	}
}

// CreateKey generates a key in a project.
func (s *Service) CreateKey(ctx context.Context, actor audit.Actor, projectID string, in KeyInput) (Key, error) {
	keys, err := s.createKeys(ctx, actor, projectID, 1, in, "license_key.create")
	if err != nil {
		return Key{}, err
	}
	return keys[0], nil
}

// GenerateKeys generates n keys with the same settings in one transaction.
func (s *Service) GenerateKeys(ctx context.Context, actor audit.Actor, projectID string, n int, in KeyInput) ([]Key, error) {
	if n < 1 || n > MaxGenerate {
		return nil, ValidationError{"count": fmt.Sprintf("must be between 1 and %d", MaxGenerate)}
	}
	return s.createKeys(ctx, actor, projectID, n, in, "license_key.generate")
}

func (s *Service) createKeys(ctx context.Context, actor audit.Actor, projectID string, n int, in KeyInput, action string) ([]Key, error) {
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
	err = s.write(ctx, func(q *store.Queries) error {
		p, err := s.project(ctx, q, projectID)
		if err != nil {
			return err
		}
		room, maxUsers, users, err := s.keyRoom(ctx, q, p)
		if err != nil {
			return err
		}
		if room != Unlimited && n > room {
			return &UserLimitError{Max: maxUsers, Users: users, Requested: n}
		}
		for range n {
			r, err := insertKey(ctx, q, actor, p, row, reason, action, now)
			if err != nil {
				return err
			}
			out = append(out, keyFromRow(r, newKeyActivity, p.PublicID, p.Name, now))
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// GetKey loads a key of a project by user_key.
func (s *Service) GetKey(ctx context.Context, projectID, userKey string) (Key, error) {
	if !validUserKey(userKey) {
		return Key{}, ErrKeyNotFound
	}
	p, err := s.project(ctx, s.db.Queries, projectID)
	if err != nil {
		return Key{}, err
	}
	r, err := s.db.GetLicenseKey(ctx, store.GetLicenseKeyParams{ProjectID: p.ID, UserKey: userKey})
	if db.IsNotFound(err) {
		return Key{}, ErrKeyNotFound
	}
	if err != nil {
		return Key{}, fmt.Errorf("get key: %w", err)
	}
	return keyFromRow(r.LicenseKey, r.LicenseKeyActivity, p.PublicID, p.Name, s.clock()), nil
}

// GetKeyByID loads a key by its internal id (dashboard URLs).
func (s *Service) GetKeyByID(ctx context.Context, id int64) (Key, error) {
	r, err := s.db.GetLicenseKeyByID(ctx, id)
	if db.IsNotFound(err) {
		return Key{}, ErrKeyNotFound
	}
	if err != nil {
		return Key{}, fmt.Errorf("get key %d: %w", id, err)
	}
	return keyFromRow(r.LicenseKey, r.LicenseKeyActivity, r.ProjectPublicID, r.ProjectName, s.clock()), nil
}

// change locks a key, lets fn change it, saves it and audits the change, in
// one transaction; then (if any) runs in it with the saved key.
func (s *Service) change(ctx context.Context, actor audit.Actor, projectID, userKey, action, reason string,
	fn func(q *store.Queries, p store.LicensingProject, k *store.LicenseKey, now time.Time) error, then InTx) (Key, error) {
	if !validUserKey(userKey) {
		return Key{}, ErrKeyNotFound
	}
	now := s.clock()
	var out Key
	err := s.write(ctx, func(q *store.Queries) error {
		p, err := s.project(ctx, q, projectID)
		if err != nil {
			return err
		}
		old, err := q.LockLicenseKey(ctx, store.LockLicenseKeyParams{ProjectID: p.ID, UserKey: userKey})
		if db.IsNotFound(err) {
			return ErrKeyNotFound
		}
		if err != nil {
			return fmt.Errorf("%s: lock key: %w", action, err)
		}
		k := old.LicenseKey
		if err := fn(q, p, &k, now); err != nil {
			return err
		}
		r, err := q.SaveLicenseKey(ctx, saveParams(k, now))
		if err != nil {
			return fmt.Errorf("%s: save key: %w", action, err)
		}
		out = keyFromRow(r, old.LicenseKeyActivity, p.PublicID, p.Name, now)
		if err := audit.Record(ctx, q, actor, audit.Event{Action: action, EntityType: "license_key",
			EntityID: strconv.FormatInt(r.ID, 10), Reason: reason, Before: keyAudit(old.LicenseKey, now), After: keyAudit(r, now)}); err != nil {
			return err
		}
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

// KeyPatch edits a key; nil fields stay as they are (the API's PATCH).
type KeyPatch struct {
	Identifier *string
	DiscordID  *string
	Note       *string
	// AuthExpire: Never (-1) = never expires; a time is the expiry of a
	// claimed key and becomes key_days for an unclaimed one.
	AuthExpire *Expiry
	// KeyDays sets the day budget of a key whose days have not started.
	KeyDays *int
	Reason  string
}

// UpdateKey edits a key.
func (s *Service) UpdateKey(ctx context.Context, actor audit.Actor, projectID, userKey string, in KeyPatch) (Key, error) {
	reason, err := checkReason(actor, in.Reason)
	if err != nil {
		return Key{}, err
	}
	verr := ValidationError{}
	if in.Identifier != nil {
		v := checkIdentifier(*in.Identifier, verr)
		in.Identifier = &v
	}
	if in.DiscordID != nil {
		v := checkDiscordID(*in.DiscordID, verr)
		in.DiscordID = &v
	}
	if in.Note != nil {
		checkNote(*in.Note, verr)
	}
	if in.KeyDays != nil {
		checkKeyDays(*in.KeyDays, verr)
		if _, bad := verr["key_days"]; !bad && in.AuthExpire != nil {
			verr["key_days"] = "cannot be combined with auth_expire"
		}
	}
	if len(verr) > 0 {
		return Key{}, verr
	}
	return s.change(ctx, actor, projectID, userKey, "license_key.update", reason,
		func(_ *store.Queries, _ store.LicensingProject, k *store.LicenseKey, now time.Time) error {
			setIf(&k.Identifier, in.Identifier)
			setIf(&k.DiscordID, in.DiscordID)
			setIf(&k.Note, in.Note)
			if in.AuthExpire != nil {
				applyExpiry(k, *in.AuthExpire, now, true, verr)
			}
			if in.KeyDays != nil {
				if k.ActivatedAt != nil {
					return ErrKeyActivated
				}
				d := int32(*in.KeyDays)
				k.KeyDays, k.AuthExpire = &d, nil
			}
			if len(verr) > 0 {
				return verr
			}
			return nil
		}, nil)
}

// DeleteKey deletes a key (and its execution history).
func (s *Service) DeleteKey(ctx context.Context, actor audit.Actor, projectID, userKey, reason string) error {
	reason, err := checkReason(actor, reason)
	if err != nil {
		return err
	}
	if !validUserKey(userKey) {
		return ErrKeyNotFound
	}
	now := s.clock()
	return s.write(ctx, func(q *store.Queries) error {
		p, err := s.project(ctx, q, projectID)
		if err != nil {
			return err
		}
		old, err := q.LockLicenseKey(ctx, store.LockLicenseKeyParams{ProjectID: p.ID, UserKey: userKey})
		if db.IsNotFound(err) {
			return ErrKeyNotFound
		}
		if err != nil {
			return fmt.Errorf("delete key: %w", err)
		}
		id := old.LicenseKey.ID
		if err := q.DeleteLicenseKeyDailyExecutions(ctx, id); err != nil {
			return fmt.Errorf("delete key: %w", err)
		}
		if err := q.DeleteLicenseKey(ctx, id); err != nil {
			return fmt.Errorf("delete key: %w", err)
		}
		before := keyAudit(old.LicenseKey, now)
		before["project_id"] = p.PublicID
		return audit.Record(ctx, q, actor, audit.Event{Action: "license_key.delete", EntityType: "license_key",
			EntityID: strconv.FormatInt(id, 10), Reason: reason, Before: before})
	})
}

// ResetOpts are the options of a HWID reset.
type ResetOpts struct {
	Force  bool // ignore the project's cooldown (a separate permission in the dashboard)
	Reason string
	// ByKeyHolder: the key's holder asks for the reset themselves (the
	// Discord bot's Reset HWID button, a customer-facing page), not staff:
	// refused with ErrUsersMayNotReset when the project does not let users
	// reset, and the cooldown always applies (Force is refused).
	ByKeyHolder bool
	// HolderDiscordID, when set, must be the Discord ID linked to the key,
	// checked under the key's lock (ErrKeyNotFound otherwise), so a key
	// moved to someone else meanwhile is not reset for its former holder.
	HolderDiscordID string
}

// ResetCooldownEnds is when the key may be reset again without force (zero:
// now). The dashboard shows it next to the reset button.
func ResetCooldownEnds(p Project, k Key) time.Time {
	if k.LastResetAt == nil || p.ResetCooldown == 0 {
		return time.Time{}
	}
	return k.LastResetAt.Add(p.ResetCooldown)
}

// ResetHWID unlinks the key's HWID so the next execution binds a new one.
// Refused within the project's cooldown since the last reset unless forced
// (*ResetCooldownError), for a key without HWID (ErrNoHWID) and for a banned
// key (ErrKeyBanned: the ban covers the HWID too); a key holder's own reset
// (ResetOpts.ByKeyHolder) only where the project lets users reset
// (ErrUsersMayNotReset).
func (s *Service) ResetHWID(ctx context.Context, actor audit.Actor, projectID, userKey string, opts ResetOpts) (Key, error) {
	reason, err := checkReason(actor, opts.Reason)
	if err != nil {
		return Key{}, err
	}
	if opts.ByKeyHolder && opts.Force {
		return Key{}, ValidationError{"force": "a key holder cannot skip the reset cooldown"}
	}
	action := "license_key.reset_hwid"
	if opts.Force {
		action = "license_key.reset_hwid_force"
	}
	return s.change(ctx, actor, projectID, userKey, action, reason,
		func(q *store.Queries, p store.LicensingProject, k *store.LicenseKey, now time.Time) error {
			if opts.HolderDiscordID != "" && k.DiscordID != opts.HolderDiscordID {
				return ErrKeyNotFound
			}
			if opts.ByKeyHolder && !p.UsersCanReset {
				return ErrUsersMayNotReset
			}
			if banInForce(k.Banned, k.BanExpire, now) {
				return ErrKeyBanned
			}
			if k.Identifier == "" {
				return ErrNoHWID
			}
			if cd := time.Duration(p.ResetCooldownSeconds) * time.Second; !opts.Force && cd > 0 && k.LastResetAt != nil {
				if ends := k.LastResetAt.Add(cd); ends.After(now) {
					return &ResetCooldownError{Ends: ends.UTC()}
				}
			}
			if err := q.InsertLicenseKeyReset(ctx, store.InsertLicenseKeyResetParams{KeyID: k.ID, ProjectID: p.ID,
				OldIdentifier: k.Identifier, Forced: opts.Force, ActorKind: actor.Kind, ResetAt: now}); err != nil {
				return fmt.Errorf("reset hwid: %w", err)
			}
			k.Identifier = ""
			k.TotalResets++
			k.LastResetAt = &now
			return nil
		}, nil)
}

// LinkOpts are the options of a Discord link.
type LinkOpts struct {
	Force  bool // overwrite another linked Discord ID
	Reason string
	// ByKeyHolder: the Discord user claims the key themselves (the bot's
	// Redeem key), not staff: a banned key is refused (ErrKeyBanned) and
	// another user's key stays theirs (Force is refused).
	ByKeyHolder bool
}

// LinkDiscord links a Discord ID to the key (the bot's "Redeem"): it claims
// the key and starts its key_days clock if it had not started. The key is
// locked while it is checked and linked, so of two users claiming one key
// at once exactly one wins; the other gets ErrDiscordLinked.
func (s *Service) LinkDiscord(ctx context.Context, actor audit.Actor, projectID, userKey, discordID string, opts LinkOpts) (Key, error) {
	reason, err := checkReason(actor, opts.Reason)
	if err != nil {
		return Key{}, err
	}
	if opts.ByKeyHolder && opts.Force {
		return Key{}, ValidationError{"force": "a key holder cannot take another user's key"}
	}
	verr := ValidationError{}
	discordID = checkDiscordID(discordID, verr)
	if discordID == "" {
		verr["discord_id"] = "is required"
	}
	if len(verr) > 0 {
		return Key{}, verr
	}
	return s.change(ctx, actor, projectID, userKey, "license_key.link_discord", reason,
		func(_ *store.Queries, _ store.LicensingProject, k *store.LicenseKey, now time.Time) error {
			if k.DiscordID != "" && k.DiscordID != discordID && !opts.Force {
				return ErrDiscordLinked
			}
			if opts.ByKeyHolder && banInForce(k.Banned, k.BanExpire, now) {
				return ErrKeyBanned
			}
			k.DiscordID = discordID
			activate(k, now)
			return nil
		}, nil)
}

// BlacklistInput is a ban.
type BlacklistInput struct {
	BanReason string     // shown to the user when they execute; also the audit row's reason
	Expire    *time.Time // nil: no end; the ban ends by itself at Expire
	Note      string     // optional internal note, added to the audit row only
}

// blacklistReason is the audit row's reason: the reason the user is shown,
// then the internal note, so that what support wrote and what the user reads
// agree. Staff must give one of them (checkReason).
func blacklistReason(actor audit.Actor, in BlacklistInput) (string, error) {
	ban, note := strings.TrimSpace(in.BanReason), strings.TrimSpace(in.Note)
	reason := ban
	switch {
	case note != "" && ban == "":
		reason = note
	case note != "":
		reason = ban + " · Internal note: " + note
	}
	return checkReason(actor, reason)
}

// Blacklist bans the key and, through it, its HWID: other keys executed from
// that HWID in the project are refused too. Every blacklist makes a new
// unban token.
func (s *Service) Blacklist(ctx context.Context, actor audit.Actor, projectID, userKey string, in BlacklistInput) (Key, error) {
	verr := ValidationError{}
	if len(in.BanReason) > MaxBanReasonLen || !plainLine(in.BanReason) {
		verr["ban_reason"] = fmt.Sprintf("must be text on one line, at most %d bytes", MaxBanReasonLen)
	}
	now := s.clock()
	if in.Expire != nil && (!in.Expire.After(now) || in.Expire.After(now.Add(maxExpiryAhead))) {
		// Each face says how to ask for a ban without end (API: -1; forms: empty).
		verr["ban_expire"] = "must be in the future"
	}
	if len(verr) > 0 {
		return Key{}, verr
	}
	reason, err := blacklistReason(actor, in)
	if err != nil {
		return Key{}, err
	}
	return s.change(ctx, actor, projectID, userKey, "license_key.blacklist", reason,
		func(_ *store.Queries, _ store.LicensingProject, k *store.LicenseKey, _ time.Time) error {
			tok := ids.Token(UnbanTokenLen)
			k.Banned, k.BanReason, k.BanExpire, k.UnbanToken = true, in.BanReason, utcPtr(in.Expire), &tok
			return nil
		}, nil)
}

func clearBan(k *store.LicenseKey) {
	k.Banned, k.BanReason, k.BanExpire, k.UnbanToken = false, "", nil, nil
}

// Unban lifts a key's ban (also one that has run out, to clear it).
func (s *Service) Unban(ctx context.Context, actor audit.Actor, projectID, userKey, reason string) (Key, error) {
	reason, err := checkReason(actor, reason)
	if err != nil {
		return Key{}, err
	}
	return s.change(ctx, actor, projectID, userKey, "license_key.unban", reason,
		func(_ *store.Queries, _ store.LicensingProject, k *store.LicenseKey, _ time.Time) error {
			if !k.Banned {
				return ErrNotBanned
			}
			clearBan(k)
			return nil
		}, nil)
}

// UnbanByToken lifts the ban of the project's key holding the token. The
// token works once.
func (s *Service) UnbanByToken(ctx context.Context, actor audit.Actor, projectID, token string) (Key, error) {
	if len(token) != UnbanTokenLen || !plainLine(token) {
		return Key{}, ErrUnbanTokenInvalid
	}
	now := s.clock()
	var out Key
	err := s.write(ctx, func(q *store.Queries) error {
		p, err := s.project(ctx, q, projectID)
		if errors.Is(err, ErrProjectNotFound) {
			return ErrUnbanTokenInvalid
		}
		if err != nil {
			return err
		}
		old, err := q.LockLicenseKeyByUnbanToken(ctx, store.LockLicenseKeyByUnbanTokenParams{ProjectID: p.ID, UnbanToken: token})
		if db.IsNotFound(err) {
			return ErrUnbanTokenInvalid
		}
		if err != nil {
			return fmt.Errorf("unban: %w", err)
		}
		k := old.LicenseKey
		clearBan(&k)
		r, err := q.SaveLicenseKey(ctx, saveParams(k, now))
		if err != nil {
			return fmt.Errorf("unban: %w", err)
		}
		out = keyFromRow(r, old.LicenseKeyActivity, p.PublicID, p.Name, now)
		return audit.Record(ctx, q, actor, audit.Event{Action: "license_key.unban", EntityType: "license_key",
			EntityID: strconv.FormatInt(r.ID, 10), Reason: "unban token used", Before: keyAudit(old.LicenseKey, now), After: keyAudit(r, now)})
	})
	if err != nil {
		return Key{}, err
	}
	return out, nil
}

func saveParams(k store.LicenseKey, now time.Time) store.SaveLicenseKeyParams {
	return store.SaveLicenseKeyParams{ID: k.ID, Identifier: k.Identifier, DiscordID: k.DiscordID,
		Note: k.Note, KeyDays: k.KeyDays, AuthExpire: k.AuthExpire, ActivatedAt: k.ActivatedAt, Banned: k.Banned,
		BanReason: k.BanReason, BanExpire: k.BanExpire, UnbanToken: k.UnbanToken, TotalResets: k.TotalResets,
		LastResetAt: k.LastResetAt, Now: now}
}
