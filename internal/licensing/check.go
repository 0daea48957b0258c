package licensing

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"lumdesk/db/store"
	"lumdesk/internal/audit"
	"lumdesk/internal/platform/db"
)

// Reason is why the loader check answered as it did.
type Reason string

// Reasons of a check.
const (
	ReasonOK           Reason = "ok"            // the key is valid for this HWID
	ReasonFFA          Reason = "ffa"           // the script is free for all
	ReasonKeyRequired  Reason = "key_required"  // no script_key and the script is not FFA
	ReasonUnknownKey   Reason = "unknown_key"   // no such key in the project
	ReasonBanned       Reason = "banned"        // the key is blacklisted
	ReasonHWIDBanned   Reason = "hwid_banned"   // the HWID is blacklisted through another key
	ReasonExpired      Reason = "expired"       // auth_expire has passed
	ReasonHWIDMismatch Reason = "hwid_mismatch" // the key is bound to another HWID
	ReasonHWIDRequired Reason = "hwid_required" // an unassigned key needs a HWID to bind
)

// CheckInput is one execution of a loader.
type CheckInput struct {
	ProjectID string // public ids
	ScriptID  string
	ScriptKey string // the user's key ("" when the loader has none)
	HWID      string
	// DryRun answers without binding a HWID or counting the execution
	// ("why is this key refused?"). A dry run without HWID skips the HWID
	// comparison.
	DryRun bool
	// Actor is who executes (IP, user agent) for the audit row of a HWID
	// binding; zero means an anonymous loader.
	Actor audit.Actor
}

// CheckResult is the answer of the loader check.
type CheckResult struct {
	Allowed    bool
	Reason     Reason
	Message    string // for the user (and support)
	Assigned   bool   // this execution bound the HWID (a dry run: would bind it)
	ScriptID   string
	ScriptName string
	Key        *Key       // nil without a (known) key
	BanReason  string     // for ReasonBanned / ReasonHWIDBanned
	BanExpire  *time.Time // nil: the ban has no end
	AuthExpire *time.Time // the key's expiry, if any
}

// maxBindAttempts: re-reads after losing a first-execution race.
const maxBindAttempts = 3

// Check is the loader check: is this key allowed to run this script on this
// HWID? It binds the HWID and starts the key_days clock on the key's first
// execution (one compare-and-set UPDATE: of concurrent first executions
// exactly one binds), honours FFA and blacklisted HWIDs, and counts the
// execution in the batched counter. What it reads may come from the
// node's check cache (cache.go), which every change invalidates: a ban or
// reset is seen by this node's next check, and by other nodes' as soon as
// Postgres delivers the change's notification.
func (s *Service) Check(ctx context.Context, in CheckInput) (CheckResult, error) {
	in.HWID = strings.TrimSpace(in.HWID)
	in.ScriptKey = strings.TrimSpace(in.ScriptKey)
	if len(in.HWID) > MaxIdentifierLen || !plainLine(in.HWID) {
		return CheckResult{}, ValidationError{"hwid": fmt.Sprintf("must be text on one line, at most %d bytes", MaxIdentifierLen)}
	}
	lookup := in.ScriptKey
	if !validUserKey(lookup) {
		lookup = "" // no key has an empty user_key: the script is still looked up
	}
	ck := checkKey{project: in.ProjectID, script: in.ScriptID, userKey: lookup, hwid: in.HWID}
	for attempt := 1; ; attempt++ {
		now := s.clock()
		var row store.CheckLicenseRow
		var counted int64
		cached := false
		if attempt == 1 { // a lost bind re-reads the database
			row, counted, cached = s.cache.get(ck, now)
		}
		if !cached {
			epoch := s.cache.begin()
			var err error
			row, err = s.db.CheckLicense(ctx, store.CheckLicenseParams{UserKey: lookup, Hwid: in.HWID, Now: now,
				ProjectPublicID: in.ProjectID, ScriptPublicID: in.ScriptID})
			if db.IsNotFound(err) {
				return CheckResult{}, ErrScriptNotFound
			}
			if err != nil {
				return CheckResult{}, fmt.Errorf("check: %w", err)
			}
			s.cache.put(ck, row, epoch, now)
		}
		res, keyID, bind := evaluate(row, in, now)
		if res.Key != nil {
			res.Key.TotalExecutions += counted // what this node counted since the row was read
		}
		if !bind || in.DryRun {
			if res.Allowed && !in.DryRun {
				s.counter.add(keyID, row.ScriptID, row.ProjectID, now, row.LastExecutionAt == nil)
				if cached {
					s.cache.count(ck)
				}
			}
			return res, nil
		}
		bound, won, err := s.bindHWID(ctx, in, keyOfCheckRow(row), now)
		if err != nil {
			return CheckResult{}, err
		}
		if won {
			k := keyFromRow(bound, activityOfCheckRow(row), in.ProjectID, row.ProjectName, now)
			res.Key, res.AuthExpire = &k, k.AuthExpire
			s.counter.add(k.ID, row.ScriptID, row.ProjectID, now, row.LastExecutionAt == nil)
			return res, nil
		}
		if attempt == maxBindAttempts {
			return CheckResult{}, fmt.Errorf("check: key %d changed %d times while binding its HWID", keyID, attempt)
		}
		// Another execution (or a change) got there first: look again.
	}
}

// evaluate decides from the one read; bind is set when the answer is
// "allowed" on condition of binding the HWID (first execution). It names
// the key by its ID (0: none): a pointer to the key would be one more
// allocation on every check, for the rare first execution's bind.
func evaluate(row store.CheckLicenseRow, in CheckInput, now time.Time) (res CheckResult, keyID int64, bind bool) {
	res = CheckResult{ScriptID: in.ScriptID, ScriptName: row.ScriptName}
	refuse := func(r Reason, msg string) (CheckResult, int64, bool) {
		res.Reason, res.Message = r, msg
		return res, keyID, false
	}
	allow := func(r Reason, msg string) (CheckResult, int64, bool) {
		res.Allowed, res.Reason, res.Message = true, r, msg
		return res, keyID, false
	}
	hwidBanned := func() (CheckResult, int64, bool) {
		res.BanReason, res.BanExpire = row.HwidBanReason, utcPtr(row.HwidBanExpire)
		return refuse(ReasonHWIDBanned, banMessage("This device is blacklisted", row.HwidBanReason, row.HwidBanExpire))
	}
	if row.KeyID == nil {
		switch {
		case row.HwidBanned:
			return hwidBanned()
		case row.Ffa:
			return allow(ReasonFFA, "The script is free for all.")
		case in.ScriptKey == "":
			return refuse(ReasonKeyRequired, "This script needs a key: put script_key = \"YOUR KEY\"; on top of the loader.")
		default:
			return refuse(ReasonUnknownKey, "This key does not exist in this project.")
		}
	}
	k := keyOfCheckRow(row)
	keyID = k.ID
	view := keyFromRow(k, activityOfCheckRow(row), in.ProjectID, row.ProjectName, now)
	res.Key, res.AuthExpire = &view, view.AuthExpire
	switch {
	case view.Banned:
		res.BanReason, res.BanExpire = view.BanReason, view.BanExpire
		return refuse(ReasonBanned, banMessage("This key is blacklisted", k.BanReason, k.BanExpire))
	case row.HwidBanned:
		return hwidBanned()
	case row.Ffa:
		return allow(ReasonFFA, "The script is free for all.")
	case view.Expired:
		return refuse(ReasonExpired, "This key expired on "+k.AuthExpire.UTC().Format("2006-01-02 15:04 UTC")+".")
	case k.Identifier == "" && in.HWID == "" && !in.DryRun:
		return refuse(ReasonHWIDRequired, "This key is not bound to a device yet and the loader sent no HWID.")
	case k.Identifier == "" && in.HWID == "":
		return allow(ReasonOK, "The key is valid and unassigned: its first execution will bind the HWID.")
	case k.Identifier == "":
		res.Allowed, res.Reason, res.Assigned = true, ReasonOK, true
		res.Message = "The key is now bound to this HWID."
		if in.DryRun {
			res.Message = "The key is valid and unassigned: this execution would bind this HWID."
		}
		return res, keyID, true
	case in.HWID == "" && in.DryRun:
		return allow(ReasonOK, "The key is valid (HWID not compared: none given).")
	case k.Identifier != in.HWID:
		return refuse(ReasonHWIDMismatch, "This key is bound to another device; ask for a HWID reset.")
	default:
		return allow(ReasonOK, "The key is valid.")
	}
}

func banMessage(prefix, reason string, until *time.Time) string {
	msg := prefix
	if reason != "" {
		msg += ": " + reason
	}
	if until != nil {
		msg += " (until " + until.UTC().Format("2006-01-02 15:04 UTC") + ")"
	}
	return msg + "."
}

// keyOfCheckRow is the key the check read (the row has one).
func keyOfCheckRow(r store.CheckLicenseRow) store.LicenseKey {
	return store.LicenseKey{ID: *r.KeyID, ProjectID: r.ProjectID, UserKey: *r.UserKey, Identifier: *r.Identifier,
		DiscordID: *r.DiscordID, Note: *r.Note, KeyDays: r.KeyDays, AuthExpire: r.AuthExpire, ActivatedAt: r.ActivatedAt,
		Banned: *r.Banned, BanReason: *r.BanReason, BanExpire: r.BanExpire, UnbanToken: r.UnbanToken,
		TotalResets: *r.TotalResets, LastResetAt: r.LastResetAt, Version: *r.Version, CreatedAt: *r.CreatedAt, UpdatedAt: *r.UpdatedAt}
}

// activityOfCheckRow is the executions of the key the check read.
func activityOfCheckRow(r store.CheckLicenseRow) store.LicenseKeyActivity {
	a := store.LicenseKeyActivity{LastExecutionAt: r.LastExecutionAt}
	// Never nil with a key: its activity row is made in the transaction
	// that inserts it (00045), and one statement reads both.
	if r.TotalExecutions != nil {
		a.TotalExecutions = *r.TotalExecutions
	}
	return a
}

// bindHWID is the first execution: compare-and-set on the version the check
// read. won is false when another execution or a change came first.
func (s *Service) bindHWID(ctx context.Context, in CheckInput, k store.LicenseKey, now time.Time) (store.LicenseKey, bool, error) {
	next := k
	next.Identifier = in.HWID
	activate(&next, now)
	actor := in.Actor
	if actor.Kind == "" {
		actor.Kind = audit.KindAnonymous
	}
	if actor.Label == "" {
		actor.Label = "loader"
	}
	var out store.LicenseKey
	won := false
	err := s.db.Tx(ctx, func(q *store.Queries) error {
		r, err := q.ActivateLicenseKey(ctx, store.ActivateLicenseKeyParams{ID: k.ID, Identifier: next.Identifier,
			ActivatedAt: next.ActivatedAt, AuthExpire: next.AuthExpire, Version: k.Version, Now: now})
		if db.IsNotFound(err) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("bind hwid of key %d: %w", k.ID, err)
		}
		out, won = r, true
		return audit.Record(ctx, q, actor, audit.Event{Action: "license_key.hwid_assign", EntityType: "license_key",
			EntityID: strconv.FormatInt(k.ID, 10), Reason: "first execution", Before: keyAudit(k, now), After: keyAudit(r, now)})
	})
	if err != nil {
		return store.LicenseKey{}, false, err
	}
	if won {
		s.cache.dropProject(k.ProjectID) // this node's next check sees the binding
	}
	return out, won, nil
}
