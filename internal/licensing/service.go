// Package licensing is Luarmor: projects of an account, their scripts
// (every upload kept as a version) and license keys, with the rules the
// Luarmor API and the dashboard share. A rule lives here once; both faces
// call the same methods, and every change is audited in its transaction.
//
// Methods (projectID and scriptID are the public hex ids; userKey is the
// key's 32-character user_key):
//
//	Projects:  CreateProject, UpdateProject, GetProject, ListProjects, ProjectsOfAccount, ResolveAccount
//	Scripts:   CreateScript, UpdateScript (every source upload is a new version), GetScript,
//	           ListScripts, ScriptVersions, ScriptVersion (source, for the code view and diffs)
//	Keys:      CreateKey, GenerateKeys (bulk, up to MaxGenerate), UpdateKey, DeleteKey,
//	           GetKey, GetKeyByID, ListKeys (KeyFilter: filters, search, sort, keyset
//	           cursor or offset), ResetHWID (ResetOpts{Force, Reason, ByKeyHolder,
//	           HolderDiscordID}: cooldown -> *ResetCooldownError with Ends; a holder's
//	           reset where users may not -> ErrUsersMayNotReset), LinkDiscord
//	           (LinkOpts{Force, Reason, ByKeyHolder}: a holder cannot claim a banned key),
//	           Blacklist (BlacklistInput{BanReason, Expire, Note}), Unban, UnbanByToken;
//	           ResetCooldownEnds(project, key) is when a reset is allowed again
//	Loader:    Check (CheckInput{..., DryRun}) -> CheckResult{Allowed, Reason, Message, ...};
//	           a dry run changes nothing and explains the answer ("why is this key refused?")
//	Counters:  FlushExecutions (the batched execution counter; Close flushes on shutdown),
//	           KeyExecutionsByDay (sparkline), AccountStats, AccountDetails
//	Signals:   TopResets (most HWID resets since a time), SharedHWIDs (HWIDs on several keys)
//	Plans:     GetPlan, SetPlan (reason required, audited), PlanUsage: an account's max users
//	           per project and script creates/uploads per UTC month, enforced by the key
//	           and script methods (*UserLimitError, *ObfuscationQuotaError); see plans.go
//	Bulk load: BulkLoadKeys (COPY), BulkLoadProjectExecutions, DropSearchIndex /
//	           RebuildSearchIndex, Analyze, FindProject (lumdesk seed --scale, demo seed)
//
// Errors are typed (ErrProjectNotFound, ErrScriptNotFound, ErrKeyNotFound,
// ErrResetCooldown via *ResetCooldownError, ErrNoHWID, ErrKeyBanned,
// ErrNotBanned, ErrDiscordLinked, ErrUsersMayNotReset, ErrUnbanTokenInvalid, ErrUserLimit, ErrObfuscationQuota,
// ValidationError ...);
// not-found errors implement NotFound() bool for the dashboard's 404 page.
// A staff actor must give a reason for every change (it goes into the audit
// row); API and CLI actors may leave it empty.
package licensing

import (
	"errors"
	"fmt"
	"log/slog"
	"time"

	"lumdesk/db/store"
	"lumdesk/internal/platform/apperr"
	"lumdesk/internal/platform/db"
	"lumdesk/internal/platform/refresh"
)

// Errors returned to the HTTP layers and the CLI.
var (
	ErrProjectNotFound   = apperr.NotFound("project not found")
	ErrScriptNotFound    = apperr.NotFound("script not found")
	ErrKeyNotFound       = apperr.NotFound("key not found")
	ErrAccountNotFound   = apperr.NotFound("account not found")
	ErrVersionNotFound   = apperr.NotFound("script version not found")
	ErrUnbanTokenInvalid = apperr.NotFound("unban token is invalid or was already used")

	ErrResetCooldown = errors.New("HWID reset is on cooldown")
	ErrNoHWID        = errors.New("this key has no HWID to reset")
	ErrKeyBanned     = errors.New("this key is blacklisted; unban it first")
	ErrNotBanned     = errors.New("this key is not blacklisted")
	ErrDiscordLinked = errors.New("this key already has another Discord ID linked; use force to overwrite it")
	// ErrUsersMayNotReset: a key holder asked for a HWID reset
	// (ResetOpts.ByKeyHolder) in a project whose users may not reset.
	ErrUsersMayNotReset = errors.New("this project does not let users reset their HWID; ask its support")
	ErrKeyActivated     = errors.New("the key's days already started; set auth_expire instead of key_days")
)

// StateRefusal reports whether err refuses an action because of the key's
// state (no HWID to reset, blacklisted, not blacklisted, another Discord ID
// linked, its days started): every face answers it as a conflict (409) in
// the error's own words, not as bad input or a failure.
func StateRefusal(err error) bool {
	for _, e := range []error{ErrNoHWID, ErrKeyBanned, ErrNotBanned, ErrDiscordLinked, ErrKeyActivated} {
		if errors.Is(err, e) {
			return true
		}
	}
	return false
}

// ResetCooldownError is returned by ResetHWID when the project's cooldown has
// not passed since the last reset; errors.Is(err, ErrResetCooldown) holds.
type ResetCooldownError struct {
	Ends time.Time // when a reset is allowed again
}

func (e *ResetCooldownError) Error() string {
	return fmt.Sprintf("HWID reset is on cooldown until %s", e.Ends.UTC().Format(time.RFC3339))
}

// Is makes the error match ErrResetCooldown.
func (e *ResetCooldownError) Is(target error) bool { return target == ErrResetCooldown }

// ValidationError maps input field names to messages.
type ValidationError = apperr.FieldErrors

// Service is the licensing domain service.
type Service struct {
	db        *db.DB
	now       func() time.Time
	log       *slog.Logger
	counter   *counter
	cache     *checkCache                               // the loader check's per-node cache (cache.go)
	shared    *refresh.Cache[sharedQuery, sharedAnswer] // SharedHWIDs' last results
	overviews *refresh.Cache[int64, AccountOverview]    // Scoped.Overview's, by account
	// sortMatches: see sortMatchesUpTo (tests change it to choose a plan;
	// nil walks every sort's index)
	sortMatches map[string]int64
	// afterLimitCount, when set (tests only), runs after a plan limit was
	// counted and before the change it allows.
	afterLimitCount func()
}

// NewService makes the service. Its execution counter starts flushing on the
// first counted execution; call Close on shutdown to flush the rest.
func NewService(d *db.DB) *Service {
	s := &Service{db: d, now: time.Now, log: slog.Default(), cache: newCheckCache(), sortMatches: sortMatchesUpTo}
	s.counter = newCounter(s, time.Second)
	s.shared = refresh.New("shared HWIDs", SharedMaxAge, s.sharedHWIDs).ReadAgainWhile(cheapShared)
	s.overviews = refresh.New("account key overview", OverviewMaxAge, s.overview).ReadAgainWhile(cheapOverview)
	return s
}

// SetLogger sets where flush failures are logged.
func (s *Service) SetLogger(l *slog.Logger) {
	if l != nil {
		s.log = l
	}
}

func (s *Service) clock() time.Time { return s.now().UTC().Truncate(time.Microsecond) }

// Project is a licensing project.
type Project struct {
	ID            string // public id (22 hex digits)
	DBID          int64
	AccountID     int64
	AccountName   string
	AccountEmail  string
	Name          string
	ResetCooldown time.Duration
	UsersCanReset bool
	FFADefault    bool
	CreatedAt     time.Time
	UpdatedAt     time.Time
}

func projectFromRow(p store.LicensingProject, accName, accEmail string) Project {
	return Project{ID: p.PublicID, DBID: p.ID, AccountID: p.AccountID, AccountName: accName, AccountEmail: accEmail,
		Name: p.Name, ResetCooldown: time.Duration(p.ResetCooldownSeconds) * time.Second,
		UsersCanReset: p.UsersCanReset, FFADefault: p.FfaDefault, CreatedAt: p.CreatedAt.UTC(), UpdatedAt: p.UpdatedAt.UTC()}
}

// Script is a script of a project.
type Script struct {
	ID              string // public id (32 hex digits)
	DBID            int64
	ProjectID       string
	Name            string
	Silent          bool
	FFA             bool
	Heartbeat       bool
	Lightning       bool
	Version         int // 0 until the first upload
	TotalExecutions int64
	LastExecutionAt *time.Time
	CreatedAt       time.Time
	UpdatedAt       time.Time
}

func scriptFromRow(r store.LicensingScript, projectID string) Script {
	return Script{ID: r.PublicID, DBID: r.ID, ProjectID: projectID, Name: r.Name, Silent: r.Silent, FFA: r.Ffa,
		Heartbeat: r.Heartbeat, Lightning: r.Lightning, Version: int(r.Version), TotalExecutions: r.TotalExecutions,
		LastExecutionAt: utcPtr(r.LastExecutionAt), CreatedAt: r.CreatedAt.UTC(), UpdatedAt: r.UpdatedAt.UTC()}
}

// Key statuses, exactly as the Luarmor API defines them.
const (
	StatusActive = "active" // a HWID is linked (the key may still be banned: "active but banned")
	StatusReset  = "reset"  // no HWID: new or reset, assigned at the next execution
	StatusBanned = "banned" // no HWID linked, and banned
)

// Key is a license key ("user" in the Luarmor API) as both faces show it.
type Key struct {
	ID          int64
	ProjectID   string // public id
	ProjectName string
	UserKey     string
	Identifier  string // HWID; "" while unassigned
	DiscordID   string
	Note        string
	KeyDays     *int       // days the key gets when activated
	AuthExpire  *time.Time // nil: never expires (or key_days not started)
	ActivatedAt *time.Time // first execution or Discord link
	// Banned is the ban in force now: a ban whose BanExpire passed has ended
	// by itself and reads as not banned.
	Banned          bool
	BanReason       string
	BanExpire       *time.Time
	UnbanToken      string
	Status          string // StatusActive, StatusReset or StatusBanned
	Expired         bool
	TotalResets     int
	LastResetAt     *time.Time
	TotalExecutions int64
	LastExecutionAt *time.Time
	CreatedAt       time.Time
	UpdatedAt       time.Time
}

// newKeyActivity is a key's activity row at its insert: no executions.
var newKeyActivity store.LicenseKeyActivity

// keyFromRow is a key as the service shows it: its row and its activity row
// (its executions, migration 00053).
func keyFromRow(r store.LicenseKey, a store.LicenseKeyActivity, projectID, projectName string, now time.Time) Key {
	banned := banInForce(r.Banned, r.BanExpire, now)
	k := Key{
		ID: r.ID, ProjectID: projectID, ProjectName: projectName, UserKey: r.UserKey, Identifier: r.Identifier,
		DiscordID: r.DiscordID, Note: r.Note, AuthExpire: utcPtr(r.AuthExpire), ActivatedAt: utcPtr(r.ActivatedAt),
		Banned: banned, Status: keyStatus(r.Identifier, banned), Expired: expired(r.AuthExpire, now),
		TotalResets: int(r.TotalResets), LastResetAt: utcPtr(r.LastResetAt), TotalExecutions: a.TotalExecutions,
		LastExecutionAt: utcPtr(a.LastExecutionAt), CreatedAt: r.CreatedAt.UTC(), UpdatedAt: r.UpdatedAt.UTC(),
	}
	if r.KeyDays != nil {
		d := int(*r.KeyDays)
		k.KeyDays = &d
	}
	if banned {
		k.BanReason, k.BanExpire = r.BanReason, utcPtr(r.BanExpire)
		if r.UnbanToken != nil {
			k.UnbanToken = *r.UnbanToken
		}
	}
	return k
}

func utcPtr(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	u := t.UTC()
	return &u
}

// keyAudit is what the audit history keeps of a key.
func keyAudit(r store.LicenseKey, now time.Time) map[string]any {
	banned := banInForce(r.Banned, r.BanExpire, now)
	v := map[string]any{
		"user_key": r.UserKey, "identifier": r.Identifier, "discord_id": r.DiscordID, "note": r.Note,
		"status": keyStatus(r.Identifier, banned), "banned": banned, "total_resets": r.TotalResets,
	}
	if r.KeyDays != nil {
		v["key_days"] = *r.KeyDays
	}
	if r.AuthExpire != nil {
		v["auth_expire"] = r.AuthExpire.UTC().Format(time.RFC3339)
	}
	if r.ActivatedAt != nil {
		v["activated_at"] = r.ActivatedAt.UTC().Format(time.RFC3339)
	}
	if banned {
		v["ban_reason"] = r.BanReason
		if r.BanExpire != nil {
			v["ban_expire"] = r.BanExpire.UTC().Format(time.RFC3339)
		}
	}
	return v
}

func projectAudit(p store.LicensingProject) map[string]any {
	return map[string]any{"account_id": p.AccountID, "name": p.Name, "reset_cooldown_seconds": p.ResetCooldownSeconds,
		"users_can_reset": p.UsersCanReset, "ffa_default": p.FfaDefault}
}

func scriptAudit(r store.LicensingScript) map[string]any {
	return map[string]any{"name": r.Name, "silent": r.Silent, "ffa": r.Ffa, "heartbeat": r.Heartbeat,
		"lightning": r.Lightning, "version": r.Version}
}
