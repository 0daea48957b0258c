// Package ranking is Lumira: an account's Roblox groups (through Open Cloud
// or a sandbox group), their roles and rank ladder with point thresholds,
// rank changes (set, promote, demote, points with auto-promotion, batch),
// Discord logs, and reconciliation with what Roblox says. The rules live
// here once, for the console, the portal, the Lumira API and the CLI.
//
// Methods (scope is the caller's accounts.Scope: staff pass
// accounts.AllAccounts, an API key or portal session its own account; a
// group of another account is ErrGroupNotFound, exactly as an unknown one):
//
//	Groups:   AddGroup (the Roblox key sealed; name and roles synced, or a
//	          sandbox group with demo roles and members), SetKey, SyncRoles,
//	          SetLadder, SetCeiling, SetWebhook, SetAutoPromote, GetGroup,
//	          ListGroups, Findings
//	Members:  GetMember (re-read from Roblox), ListMembers, LookupUsername
//	Changes:  SetRank, Promote, Demote, AddPoints, Batch
//	Logs:     Logs (keyset), GetAction, Notify (a custom Discord message)
//	Upkeep:   SettlePending, Reconcile, ReconcileAll (the River job)
//	River:    Register adds the Discord delivery worker
//
// A rank change is never half-recorded: its action row is committed
// (pending) before Roblox is called and settled after (done, or failed
// with Roblox's answer); when the answer is lost (timeout, crash) the row
// stays pending and SettlePending settles it by re-reading the membership.
//
// Changes to one member are serialised across server processes by a
// transaction-scoped advisory lock on (group, user) (LockLumiraMember),
// held from the membership's re-read until the change is settled, in a
// transaction of its own that does nothing else: the action and audit
// rows are written by separate short transactions, so the audit chain's
// lock is never held while Roblox is called. An advisory lock rather than
// a row lock on lumira_members: it also covers a member Lumira has not
// seen before, whose row does not exist yet.
//
// Every change is audited in the transaction that writes it (entity types
// lumira_group and lumira_action); each rank change enqueues its Discord
// log job in the transaction that settles it.
package ranking

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"

	"lumdesk/internal/platform/apperr"
	"lumdesk/internal/platform/db"
	"lumdesk/internal/platform/secretbox"
	"lumdesk/internal/ranking/discord"
	"lumdesk/internal/ranking/roblox"
)

// Error is one of the package's outcomes, with the stable code the Lumira
// API answers (the HTTP status is the API's business).
type Error struct {
	code     string
	msg      string
	notFound bool
	cause    error // for the log: what the message leaves out
}

func (e *Error) Error() string { return e.msg }

// Unwrap is the cause the message leaves out (a network failure's detail).
func (e *Error) Unwrap() error { return e.cause }

// Code is the API's error code: group_not_found, user_not_in_group, ...
func (e *Error) Code() string { return e.code }

// NotFound marks not-found outcomes for the console's error handler.
func (e *Error) NotFound() bool { return e.notFound }

// Is matches errors of the same code, so a wrapped or re-worded error
// (ErrRobloxUnavailable with Roblox's message) still matches its sentinel.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.code == e.code
}

// Errors. Roblox failures are ErrRobloxUnavailable (502 roblox_unavailable)
// with Roblox's answer in the message.
var (
	ErrGroupNotFound      = &Error{code: "group_not_found", msg: "group not found", notFound: true}
	ErrActionNotFound     = &Error{code: "action_not_found", msg: "action not found", notFound: true}
	ErrUserNotInGroup     = &Error{code: "user_not_in_group", msg: "the user is not in the group", notFound: true}
	ErrUserNotFound       = &Error{code: "user_not_found", msg: "no Roblox user has this name", notFound: true}
	ErrRankNotAssignable  = &Error{code: "rank_not_assignable", msg: "this rank cannot be assigned: only ranks strictly below the group's ceiling, never 0 (guest) or 255 (owner)"}
	ErrMemberAboveCeiling = &Error{code: "member_above_ceiling", msg: "the member is at or above the group's ceiling and is never changed"}
	ErrGroupNotSetUp      = &Error{code: "group_not_set_up", msg: "the group has no working Roblox API key"}
	ErrNoWebhook          = &Error{code: "group_not_set_up", msg: "the group has no working Discord webhook"}
	ErrTopOfLadder        = &Error{code: "top_of_ladder", msg: "the member is at the top of the ladder"}
	ErrBottomOfLadder     = &Error{code: "bottom_of_ladder", msg: "the member is at the bottom of the ladder"}
	ErrRobloxUnavailable  = &Error{code: "roblox_unavailable", msg: "Roblox did not answer as expected"}
	ErrGroupExists        = &Error{code: "group_exists", msg: "the account already has this Roblox group"}
)

// ValidationError maps input fields to messages (400 validation_error).
type ValidationError = apperr.FieldErrors

// ErrorCode is the API code of any error the service returns:
// validation_error, a package code, or internal_error.
func ErrorCode(err error) string {
	var fe apperr.FieldErrors
	var e *Error
	switch {
	case err == nil:
		return ""
	case errors.As(err, &fe):
		return "validation_error"
	case errors.As(err, &e):
		return e.code
	}
	return "internal_error"
}

// robloxFailed wraps a Roblox error as ErrRobloxUnavailable, keeping
// Roblox's answer in the message. A failure to reach Roblox at all (DNS,
// connect, timeout) says only that: its detail names this server's network
// (a resolver's address), which is the operator's business, not the
// client's; it stays in the error's chain for the log.
func robloxFailed(what string, err error) error {
	if unreached(err) {
		return &Error{code: ErrRobloxUnavailable.code, msg: fmt.Sprintf("Roblox could not be reached to %s; try again shortly", what), cause: err}
	}
	return &Error{code: ErrRobloxUnavailable.code, msg: fmt.Sprintf("Roblox failed to %s: %v", what, err)}
}

// unreached: err is a failure to talk to Roblox, not an answer of Roblox's.
func unreached(err error) bool {
	var ae *roblox.APIError
	return !errors.As(err, &ae)
}

// Group statuses.
const (
	StatusConnected  = "connected"
	StatusKeyInvalid = "key_invalid"
	StatusSandbox    = "sandbox"
)

// Webhook statuses.
const (
	WebhookNone     = "none"
	WebhookOK       = "ok"
	WebhookDisabled = "disabled"
)

// Action kinds and statuses.
const (
	KindSet           = "set"
	KindPromote       = "promote"
	KindDemote        = "demote"
	KindPoints        = "points"
	KindOutsideChange = "outside_change"

	ActionPending = "pending"
	ActionDone    = "done"
	ActionFailed  = "failed"
)

// Limits.
const (
	MaxBatch      = 100
	MaxLogLimit   = 200
	DefaultLimit  = 50
	MaxReason     = 500
	MaxGroupName  = 100
	MaxKey        = 4096
	MaxPointsStep = 1_000_000
	// PendingAfter is how long an action may stay pending before
	// SettlePending considers its outcome lost.
	PendingAfter = 2 * time.Minute
)

// KindDiscord is the River kind of a Discord log post.
const KindDiscord = "lumira.discord_post"

// Settings configure the service; zero values take the defaults.
type Settings struct {
	Roblox     roblox.Settings // ROBLOX_API_URL, ROBLOX_USERS_URL; its Budget defaults to the Postgres one
	DiscordURL string          // LUMIRA_DISCORD_URL: another allowed webhook base (tests)
	Discord    *http.Client    // nil: 10-second timeout
	// DiscordMaxAttempts bounds a log post's River attempts (default 10).
	DiscordMaxAttempts int
	// Users resolves usernames; nil: Roblox's users API over Roblox.UsersURL.
	Users roblox.Users
}

// Service is the Lumira domain service.
type Service struct {
	db       *db.DB
	box      *secretbox.Box
	set      Settings
	users    roblox.Users
	discord  discord.Client
	inserter *river.Client[pgx.Tx] // enqueues in our transactions; works no job
	log      *slog.Logger
	now      func() time.Time
	// lockSlots bounds the connections held by member locks (holders and
	// waiters) to half the pool, so a lock holder always finds a connection
	// for its own work.
	lockSlots chan struct{}
}

// NewService makes the service. box seals the Roblox keys and webhook URLs.
func NewService(d *db.DB, box *secretbox.Box, set Settings) *Service {
	if set.Roblox.Budget == nil {
		set.Roblox.Budget = roblox.PGBudget{DB: d}
	}
	if set.DiscordMaxAttempts <= 0 {
		set.DiscordMaxAttempts = 10
	}
	if set.DiscordURL == "" {
		set.DiscordURL = discord.DefaultBaseURL
	}
	s := &Service{db: d, box: box, set: set, users: set.Users, discord: discord.Client{HTTP: set.Discord}, log: slog.Default(), now: time.Now,
		lockSlots: make(chan struct{}, max(1, d.Pool.Config().MaxConns/2))}
	if s.users == nil {
		s.users = roblox.NewHTTPUsers(set.Roblox)
	}
	c, err := river.NewClient(riverpgxv5.New(d.Pool), &river.Config{})
	if err != nil {
		panic(fmt.Sprintf("ranking: river client: %v", err)) // only a programming error gets here
	}
	s.inserter = c
	return s
}

// WithClock returns a copy reading the time from now (tests, demo seed).
func (s *Service) WithClock(now func() time.Time) *Service {
	c := *s
	c.now = now
	return &c
}

// SetLogger sets where background failures are logged.
func (s *Service) SetLogger(l *slog.Logger) {
	if l != nil {
		s.log = l
	}
}

func (s *Service) clock() time.Time { return s.now().UTC().Truncate(time.Microsecond) }

// wrap says where an unexpected error came from; the package's own answers
// pass unchanged, as callers show their text to people.
func wrap(errp *error, format string, args ...any) {
	if *errp == nil {
		return
	}
	var fe apperr.FieldErrors
	var e *Error
	if errors.As(*errp, &fe) || errors.As(*errp, &e) {
		return
	}
	*errp = fmt.Errorf(format+": %w", append(args, *errp)...)
}

func keyContext(publicID string) string     { return "lumira_group_key:" + publicID }
func webhookContext(publicID string) string { return "lumira_group_webhook:" + publicID }
