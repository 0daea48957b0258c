package licensing

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5/pgtype"

	"lumdesk/db/store"
	"lumdesk/internal/platform/db"
)

// maxOperatorProjects bounds what an operator key (no account) sees at once.
const maxOperatorProjects = 1000

// ProjectDetail is a project with its scripts.
type ProjectDetail struct {
	Project Project
	Scripts []Script
}

// AccountDetails lists the account's projects with their scripts (the API's
// key details). accountID 0 (an operator key) covers every project.
func (s *Service) AccountDetails(ctx context.Context, accountID int64) (Account, []ProjectDetail, error) {
	acc, projects, err := s.projectsOf(ctx, accountID)
	if err != nil {
		return Account{}, nil, err
	}
	ids := make([]int64, len(projects))
	byID := map[int64]int{}
	out := make([]ProjectDetail, len(projects))
	for i, p := range projects {
		ids[i], byID[p.DBID] = p.DBID, i
		out[i].Project = p
		out[i].Scripts = []Script{}
	}
	scripts, err := s.db.ListLicensingScriptsOfProjects(ctx, ids)
	if err != nil {
		return Account{}, nil, fmt.Errorf("account details: %w", err)
	}
	for _, r := range scripts {
		i := byID[r.ProjectID]
		out[i].Scripts = append(out[i].Scripts, scriptFromRow(r, out[i].Project.ID))
	}
	return acc, out, nil
}

func (s *Service) projectsOf(ctx context.Context, accountID int64) (Account, []Project, error) {
	if accountID != 0 {
		acc, err := s.db.GetLicensingAccount(ctx, accountID)
		if db.IsNotFound(err) {
			return Account{}, nil, ErrAccountNotFound
		}
		if err != nil {
			return Account{}, nil, fmt.Errorf("account %d: %w", accountID, err)
		}
		rows, err := s.db.ListLicensingProjectsOfAccount(ctx, accountID)
		if err != nil {
			return Account{}, nil, fmt.Errorf("projects of account %d: %w", accountID, err)
		}
		out := make([]Project, len(rows))
		for i, r := range rows {
			out[i] = projectFromRow(r, acc.Name, acc.Email)
		}
		return Account(acc), out, nil
	}
	rows, err := s.db.ListAllLicensingProjects(ctx, maxOperatorProjects)
	if err != nil {
		return Account{}, nil, fmt.Errorf("all projects: %w", err)
	}
	out := make([]Project, len(rows))
	for i, r := range rows {
		out[i] = projectFromRow(r, "", "")
	}
	return Account{Name: "operator"}, out, nil
}

// DayCount is a count on one UTC day.
type DayCount struct {
	Day   time.Time
	Count int64
}

// UserCounts are the keys of an account's projects.
type UserCounts struct {
	Total       int64
	Active      int64 // a HWID is linked
	Banned      int64 // ban in force
	Whitelisted int64 // not banned
	Expired     int64
}

// Stats are the API's key stats.
type Stats struct {
	Projects        int
	Scripts         int
	TotalExecutions int64
	Daily           []DayCount  // the last 30 days, oldest first, zeros included
	Users           *UserCounts // nil unless asked for (it counts every key)
	// The account's plan (Unlimited for an operator key, which covers
	// every account): max users per project, and this UTC month's
	// obfuscations (script creates and uploads).
	MaxUsers              int
	ObfuscationsUsed      int
	ObfuscationsRemaining int
	ObfuscationsMax       int
}

// StatsDays is how many days of executions Stats returns.
const StatsDays = 30

// AccountStats counts an account's projects, scripts and executions, and
// with withUsers its keys (as its Overview does: up to OverviewMaxAge old
// from CheapKeys keys on). accountID 0 (an operator key) covers every project.
func (s *Service) AccountStats(ctx context.Context, accountID int64, withUsers bool) (Stats, error) {
	_, details, err := s.AccountDetails(ctx, accountID)
	if err != nil {
		return Stats{}, err
	}
	st := Stats{Projects: len(details), MaxUsers: Unlimited, ObfuscationsRemaining: Unlimited, ObfuscationsMax: Unlimited}
	if accountID != 0 {
		u, err := s.PlanUsage(ctx, accountID)
		if err != nil {
			return Stats{}, err
		}
		st.MaxUsers, st.ObfuscationsMax = u.MaxUsers, u.Obfuscations
		st.ObfuscationsUsed, st.ObfuscationsRemaining = u.ObfuscationsUsed, u.ObfuscationsRemaining
	}
	ids := make([]int64, len(details))
	for i, d := range details {
		ids[i] = d.Project.DBID
		st.Scripts += len(d.Scripts)
		for _, sc := range d.Scripts {
			st.TotalExecutions += sc.TotalExecutions
		}
	}
	now := s.clock()
	today := now.Truncate(day)
	since := today.Add(-(StatsDays - 1) * day)
	rows, err := s.db.ProjectDailyExecutions(ctx, store.ProjectDailyExecutionsParams{ProjectIds: ids,
		Since: pgtype.Date{Time: since, Valid: true}})
	if err != nil {
		return Stats{}, fmt.Errorf("stats: %w", err)
	}
	st.Daily = fillDays(since, StatsDays, func(yield func(time.Time, int64)) {
		for _, r := range rows {
			yield(r.Day.Time, r.Executions)
		}
	})
	if withUsers {
		// The key counts are the account's overview's (Scoped.Overview;
		// account 0's for an operator key): read fresh below CheapKeys keys,
		// else up to OverviewMaxAge old while the next count runs in the
		// background. Counting a million keys took 125 ms a call, for an
		// answer the spec expects within milliseconds.
		o, _, err := s.overviews.Get(ctx, accountID)
		if err != nil {
			return Stats{}, fmt.Errorf("stats: users: %w", err)
		}
		st.Users = &o.Keys
	}
	return st, nil
}

func fillDays(since time.Time, n int, each func(func(time.Time, int64))) []DayCount {
	out := make([]DayCount, n)
	for i := range out {
		out[i].Day = since.Add(time.Duration(i) * day)
	}
	each(func(d time.Time, c int64) {
		i := int(d.UTC().Sub(since) / day)
		if i >= 0 && i < n {
			out[i].Count += c
		}
	})
	return out
}

// KeyExecutionsByDay is the key's executions per UTC day over the last days
// (oldest first, zeros included), for the key page's sparkline. Counts of
// the last second may still wait in the batched counter.
func (s *Service) KeyExecutionsByDay(ctx context.Context, keyID int64, days int) ([]DayCount, error) {
	if days < 1 || days > 366 {
		return nil, ValidationError{"days": "must be between 1 and 366"}
	}
	since := s.clock().Truncate(day).Add(-time.Duration(days-1) * day)
	rows, err := s.db.LicenseKeyDailyExecutions(ctx, store.LicenseKeyDailyExecutionsParams{KeyID: keyID,
		Since: pgtype.Date{Time: since, Valid: true}})
	if err != nil {
		return nil, fmt.Errorf("executions of key %d: %w", keyID, err)
	}
	return fillDays(since, days, func(yield func(time.Time, int64)) {
		for _, r := range rows {
			yield(r.Day.Time, r.Executions)
		}
	}), nil
}

// ResetCount is a key with its HWID resets in a period.
type ResetCount struct {
	Key         Key
	Resets      int64
	LastResetAt time.Time
}

// TopResets lists the keys with the most HWID resets since a time (a
// project's, or every project's with projectID "").
func (s *Service) TopResets(ctx context.Context, projectID string, since time.Time, limit int) ([]ResetCount, error) {
	p := store.TopLicenseKeyResetsParams{Since: since, Lim: int32(min(max(limit, 1), 100))}
	if projectID != "" {
		proj, err := s.project(ctx, s.db.Queries, projectID)
		if err != nil {
			return nil, err
		}
		p.ProjectID = &proj.ID
	}
	rows, err := s.db.TopLicenseKeyResets(ctx, p)
	if err != nil {
		return nil, fmt.Errorf("top resets: %w", err)
	}
	out := make([]ResetCount, 0, len(rows))
	for _, r := range rows {
		k, err := s.GetKeyByID(ctx, r.KeyID)
		if err != nil {
			return nil, err
		}
		out = append(out, ResetCount{Key: k, Resets: r.Resets, LastResetAt: r.LastResetAt.UTC()})
	}
	return out, nil
}

// SharedHWID is a HWID bound to several keys of one project.
type SharedHWID struct {
	ProjectID  string
	Identifier string
	Keys       int64
	KeyIDs     []int64
}

// SharedMaxAge is how old a SharedHWIDs answer may be before it is read
// again (in the background), once the keys are many (CheapKeys).
const SharedMaxAge = time.Minute

// CheapKeys is how many keys a read that scans them may cover and still be
// read anew on each page load: finding the shared HWIDs groups every bound
// key, 1.4 - 1.9 s at a million keys and a few milliseconds at a few
// thousand; an account's overview counts its keys (0.65 s at 250,000).
const CheapKeys = 20_000

type sharedQuery struct {
	projectID string
	limit     int
}

// sharedAnswer is a read of the shared HWIDs and how many keys it scanned
// (the planner's estimate of the table).
type sharedAnswer struct {
	hwids []SharedHWID
	keys  int64
}

func cheapShared(a sharedAnswer) bool { return a.keys < CheapKeys }

// SharedHWIDs lists HWIDs bound to more than one key, most keys first, and
// says when they were read: past CheapKeys keys the last answer, up to
// SharedMaxAge old, while the next is read in the background.
func (s *Service) SharedHWIDs(ctx context.Context, projectID string, limit int) ([]SharedHWID, time.Time, error) {
	a, at, err := s.shared.Get(ctx, sharedQuery{projectID: projectID, limit: min(max(limit, 1), 100)})
	return a.hwids, at, err
}

func (s *Service) sharedHWIDs(ctx context.Context, sq sharedQuery) (sharedAnswer, error) {
	p := store.SharedLicenseHWIDsParams{Lim: int32(sq.limit)}
	if sq.projectID != "" {
		proj, err := s.project(ctx, s.db.Queries, sq.projectID)
		if err != nil {
			return sharedAnswer{}, err
		}
		p.ProjectID = &proj.ID
	}
	keys, err := s.db.EstimateRows(ctx, "license_keys")
	if err != nil {
		return sharedAnswer{}, fmt.Errorf("shared hwids: %w", err)
	}
	rows, err := s.db.SharedLicenseHWIDs(ctx, p)
	if err != nil {
		return sharedAnswer{}, fmt.Errorf("shared hwids: %w", err)
	}
	out := make([]SharedHWID, 0, len(rows))
	names := map[int64]string{}
	for _, r := range rows {
		if _, ok := names[r.ProjectID]; !ok {
			pr, err := s.db.GetLicensingProjectByID(ctx, r.ProjectID)
			if err != nil {
				return sharedAnswer{}, fmt.Errorf("shared hwids: %w", err)
			}
			names[r.ProjectID] = pr.LicensingProject.PublicID
		}
		out = append(out, SharedHWID{ProjectID: names[r.ProjectID], Identifier: r.Identifier, Keys: r.Keys, KeyIDs: r.KeyIds})
	}
	return sharedAnswer{hwids: out, keys: keys}, nil
}
