package licensing

// Plans: what an account's Luarmor plan allows. Two limits, both reported by
// the API's key stats:
//
//   - max users: keys one project may hold. Every path that creates keys
//     (CreateKey, GenerateKeys, GenerateKeysThen, ImportKey) checks the room
//     left under a lock of the project row, in the transaction that inserts
//     the keys, so two concurrent creates at limit-1 cannot both pass.
//   - obfuscations: script creates and source uploads per calendar month
//     (UTC), counted in licensing_obfuscations by one upsert in the change's
//     transaction; the upsert's row lock serialises one account's uploads,
//     and a refused upload rolls its count back with it.
//
// An account without a plan has no limits; so has a limit of Unlimited.

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgtype"

	"lumdesk/db/store"
	"lumdesk/internal/audit"
	"lumdesk/internal/platform/db"
)

// Unlimited is a plan limit that does not limit (the API's -1).
const Unlimited = -1

// MaxPlanLimit bounds a plan's limits (a larger number is a typing error).
const MaxPlanLimit = 10_000_000

// Plan errors. The typed errors below match them with errors.Is.
var (
	ErrUserLimit        = errors.New("the project has reached its plan's user limit")
	ErrObfuscationQuota = errors.New("the plan's script updates for this month are used up")
)

// UserLimitError refuses keys past the project's max users.
type UserLimitError struct {
	Max       int   // the plan's max users per project
	Users     int64 // keys the project holds (counted up to Max)
	Requested int   // keys asked for
}

func (e *UserLimitError) Error() string {
	if e.Requested > 1 && int64(e.Max) > e.Users {
		return fmt.Sprintf("the project has %d of the %d users its plan allows, so %d more do not fit; delete keys or raise the plan's limit",
			e.Users, e.Max, e.Requested)
	}
	return fmt.Sprintf("the project has %d of the %d users its plan allows; delete keys or raise the plan's limit", e.Users, e.Max)
}

// Is makes the error match ErrUserLimit.
func (e *UserLimitError) Is(target error) bool { return target == ErrUserLimit }

// ObfuscationQuotaError refuses a script create or upload past the month's quota.
type ObfuscationQuotaError struct {
	Max    int       // the plan's obfuscations per month
	Resets time.Time // the first instant of the next month (UTC)
}

func (e *ObfuscationQuotaError) Error() string {
	return fmt.Sprintf("the plan's %d script updates for this month are used up; the quota resets on %s",
		e.Max, e.Resets.Format("2006-01-02 15:04 UTC"))
}

// Is makes the error match ErrObfuscationQuota.
func (e *ObfuscationQuotaError) Is(target error) bool { return target == ErrObfuscationQuota }

// Plan is an account's Luarmor plan.
type Plan struct {
	AccountID int64
	// MaxUsers is the keys one project may hold (Unlimited: no limit).
	MaxUsers int
	// Obfuscations is the script creates and uploads per UTC month
	// (Unlimited: no limit).
	Obfuscations int
	// UpdatedAt is nil for an account whose plan was never set (no limits).
	UpdatedAt *time.Time
}

// PlanUsage is a plan with what the current month used of it.
type PlanUsage struct {
	Plan
	Month            time.Time // the first day of the current UTC month
	ObfuscationsUsed int
	// ObfuscationsRemaining is Unlimited when the plan has no quota.
	ObfuscationsRemaining int
}

// PlanInput sets a plan. Reason is required from every actor.
type PlanInput struct {
	MaxUsers     int // Unlimited or 0..MaxPlanLimit
	Obfuscations int // Unlimited or 0..MaxPlanLimit
	Reason       string
}

func limitOf(v *int32) int {
	if v == nil {
		return Unlimited
	}
	return int(*v)
}

func limitArg(n int) *int32 {
	if n == Unlimited {
		return nil
	}
	v := int32(n)
	return &v
}

func planFromRow(r store.LicensingPlan) Plan {
	t := r.UpdatedAt.UTC()
	return Plan{AccountID: r.AccountID, MaxUsers: limitOf(r.MaxUsersPerProject), Obfuscations: limitOf(r.ObfuscationsPerMonth), UpdatedAt: &t}
}

func planAudit(p Plan) map[string]any {
	return map[string]any{"max_users_per_project": p.MaxUsers, "obfuscations_per_month": p.Obfuscations}
}

// monthOf is the first instant of t's UTC month.
func monthOf(t time.Time) time.Time {
	t = t.UTC()
	return time.Date(t.Year(), t.Month(), 1, 0, 0, 0, 0, time.UTC)
}

// plan reads an account's plan with q (no row: no limits).
func plan(ctx context.Context, q *store.Queries, accountID int64) (Plan, error) {
	r, err := q.GetLicensingPlan(ctx, accountID)
	if db.IsNotFound(err) {
		return Plan{AccountID: accountID, MaxUsers: Unlimited, Obfuscations: Unlimited}, nil
	}
	if err != nil {
		return Plan{}, fmt.Errorf("plan of account %d: %w", accountID, err)
	}
	return planFromRow(r), nil
}

// GetPlan is an account's plan (no limits if it was never set).
func (s *Service) GetPlan(ctx context.Context, accountID int64) (Plan, error) {
	if _, err := s.account(ctx, accountID); err != nil {
		return Plan{}, err
	}
	return plan(ctx, s.db.Queries, accountID)
}

// PlanUsage is an account's plan with the current month's obfuscations.
func (s *Service) PlanUsage(ctx context.Context, accountID int64) (PlanUsage, error) {
	p, err := s.GetPlan(ctx, accountID)
	if err != nil {
		return PlanUsage{}, err
	}
	month := monthOf(s.clock())
	used, err := s.db.GetLicensingObfuscationsUsed(ctx, store.GetLicensingObfuscationsUsedParams{AccountID: accountID,
		Month: pgtype.Date{Time: month, Valid: true}})
	if err != nil {
		return PlanUsage{}, fmt.Errorf("obfuscations of account %d: %w", accountID, err)
	}
	u := PlanUsage{Plan: p, Month: month, ObfuscationsUsed: int(used), ObfuscationsRemaining: Unlimited}
	if p.Obfuscations != Unlimited {
		u.ObfuscationsRemaining = max(p.Obfuscations-int(used), 0)
	}
	return u, nil
}

func (s *Service) account(ctx context.Context, accountID int64) (Account, error) {
	acc, err := s.db.GetLicensingAccount(ctx, accountID)
	if db.IsNotFound(err) {
		return Account{}, ErrAccountNotFound
	}
	if err != nil {
		return Account{}, fmt.Errorf("account %d: %w", accountID, err)
	}
	return Account(acc), nil
}

func checkLimit(n int, field string, verr ValidationError) {
	if n != Unlimited && (n < 0 || n > MaxPlanLimit) {
		verr[field] = fmt.Sprintf("must be a whole number from 0 to %s, or -1 for no limit", strconv.Itoa(MaxPlanLimit))
	}
}

// SetPlan sets an account's plan, audited (licensing_plan.set) in the same
// transaction. The reason is required from every actor: a plan decides what
// a customer may do. Lowering a limit below what is in use keeps what exists
// and refuses only new keys and uploads.
func (s *Service) SetPlan(ctx context.Context, actor audit.Actor, accountID int64, in PlanInput) (Plan, error) {
	verr := ValidationError{}
	checkLimit(in.MaxUsers, "max_users", verr)
	checkLimit(in.Obfuscations, "obfuscations", verr)
	reason, err := checkReason(actor, in.Reason)
	if err != nil {
		var rv ValidationError
		if !errors.As(err, &rv) {
			return Plan{}, err
		}
		for k, m := range rv {
			verr[k] = m
		}
	} else if reason == "" {
		verr["reason"] = "is required; it is recorded in the audit log"
	} else if strings.ContainsRune(reason, 0) {
		verr["reason"] = "must be text without NUL characters"
	}
	if len(verr) > 0 {
		return Plan{}, verr
	}
	if _, err := s.account(ctx, accountID); err != nil {
		return Plan{}, err
	}
	now := s.clock()
	var out Plan
	err = s.write(ctx, func(q *store.Queries) error {
		var before any
		old, err := q.LockLicensingPlan(ctx, accountID)
		switch {
		case err == nil:
			before = planAudit(planFromRow(old))
		case !db.IsNotFound(err):
			return fmt.Errorf("set plan of account %d: %w", accountID, err)
		}
		r, err := q.UpsertLicensingPlan(ctx, store.UpsertLicensingPlanParams{AccountID: accountID,
			MaxUsersPerProject: limitArg(in.MaxUsers), ObfuscationsPerMonth: limitArg(in.Obfuscations), Now: now})
		if err != nil {
			return fmt.Errorf("set plan of account %d: %w", accountID, err)
		}
		out = planFromRow(r)
		return audit.Record(ctx, q, actor, audit.Event{Action: "licensing_plan.set", EntityType: "account",
			EntityID: strconv.FormatInt(accountID, 10), Reason: reason, Before: before, After: planAudit(out)})
	})
	if err != nil {
		return Plan{}, err
	}
	return out, nil
}

// ParsePlanLimit reads a limit as typed in a form or on the command line:
// a whole number, or "", "-1" or "unlimited" for no limit.
func ParsePlanLimit(s string) (int, bool) {
	s = strings.TrimSpace(s)
	switch strings.ToLower(s) {
	case "", "-1", "unlimited", "none":
		return Unlimited, true
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 0 || n > MaxPlanLimit {
		return 0, false
	}
	return n, true
}

// keyRoom locks the project row when its account's plan limits users and
// says how many more keys the project may take (Unlimited: no limit). It
// runs in the transaction that inserts the keys: the lock makes concurrent
// creates in the project count one after the other.
func (s *Service) keyRoom(ctx context.Context, q *store.Queries, p store.LicensingProject) (room, maxUsers int, users int64, err error) {
	pl, err := plan(ctx, q, p.AccountID)
	if err != nil {
		return 0, 0, 0, err
	}
	if pl.MaxUsers == Unlimited {
		return Unlimited, Unlimited, 0, nil
	}
	if _, err := q.LockLicensingProject(ctx, p.PublicID); err != nil {
		return 0, 0, 0, fmt.Errorf("lock project %s: %w", p.PublicID, err)
	}
	users, err = q.CountLicenseKeysOfProjectUpTo(ctx, store.CountLicenseKeysOfProjectUpToParams{ProjectID: p.ID, Lim: int32(pl.MaxUsers)})
	if err != nil {
		return 0, 0, 0, fmt.Errorf("count keys of project %s: %w", p.PublicID, err)
	}
	s.limitCounted()
	return pl.MaxUsers - int(users), pl.MaxUsers, users, nil
}

// useObfuscation counts a script create or upload against the account's
// monthly quota, in the caller's transaction (after the project lock).
func (s *Service) useObfuscation(ctx context.Context, q *store.Queries, accountID int64, now time.Time) error {
	pl, err := plan(ctx, q, accountID)
	if err != nil {
		return err
	}
	month := monthOf(now)
	used, err := q.UseLicensingObfuscation(ctx, store.UseLicensingObfuscationParams{AccountID: accountID,
		Month: pgtype.Date{Time: month, Valid: true}})
	if err != nil {
		return fmt.Errorf("count obfuscation of account %d: %w", accountID, err)
	}
	s.limitCounted()
	if pl.Obfuscations != Unlimited && int(used) > pl.Obfuscations {
		return &ObfuscationQuotaError{Max: pl.Obfuscations, Resets: month.AddDate(0, 1, 0)}
	}
	return nil
}

// limitCounted runs the test hook between a limit's count and the change it
// allows (the window a race would use); nil outside tests.
func (s *Service) limitCounted() {
	if s.afterLimitCount != nil {
		s.afterLimitCount()
	}
}
