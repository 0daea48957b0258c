package licensing

import (
	"context"
	"errors"
	"fmt"
	"time"

	"lumdesk/db/store"
	"lumdesk/internal/accounts"
	"lumdesk/internal/audit"
	"lumdesk/internal/platform/listcount"
)

// In is the service as a caller in scope sees it (an API key of one
// account, or staff and operator keys for every account). Every method
// finds the project within the scope first: another account's project is
// ErrProjectNotFound, exactly like an unknown one.
func (s *Service) In(scope accounts.Scope) Scoped { return Scoped{s: s, scope: scope} }

// Scoped is the licensing service limited to one scope.
type Scoped struct {
	s     *Service
	scope accounts.Scope
	bound string // a project already found within the scope (see Project)
}

// GetProject is the project, if it is inside the scope.
func (x Scoped) GetProject(ctx context.Context, projectID string) (Project, error) {
	p, err := x.s.GetProject(ctx, projectID)
	if err != nil {
		return Project{}, err
	}
	if !x.scope.Allows(p.AccountID) {
		return Project{}, ErrProjectNotFound
	}
	return p, nil
}

// Project is GetProject that also returns the handle bound to the
// project found, whose methods skip the lookup for that project (a request
// checks its project once).
func (x Scoped) Project(ctx context.Context, projectID string) (Scoped, Project, error) {
	p, err := x.GetProject(ctx, projectID)
	if err != nil {
		return x, p, err
	}
	x.bound = p.ID
	return x, p, nil
}

func (x Scoped) own(ctx context.Context, projectID string) error {
	if x.bound != "" && x.bound == projectID {
		return nil
	}
	_, err := x.GetProject(ctx, projectID)
	return err
}

// CreateKey is Service.CreateKey within the scope.
func (x Scoped) CreateKey(ctx context.Context, actor audit.Actor, projectID string, in KeyInput) (Key, error) {
	if err := x.own(ctx, projectID); err != nil {
		return Key{}, err
	}
	return x.s.CreateKey(ctx, actor, projectID, in)
}

// UpdateKey is Service.UpdateKey within the scope.
func (x Scoped) UpdateKey(ctx context.Context, actor audit.Actor, projectID, userKey string, in KeyPatch) (Key, error) {
	if err := x.own(ctx, projectID); err != nil {
		return Key{}, err
	}
	return x.s.UpdateKey(ctx, actor, projectID, userKey, in)
}

// DeleteKey is Service.DeleteKey within the scope.
func (x Scoped) DeleteKey(ctx context.Context, actor audit.Actor, projectID, userKey, reason string) error {
	if err := x.own(ctx, projectID); err != nil {
		return err
	}
	return x.s.DeleteKey(ctx, actor, projectID, userKey, reason)
}

// ListKeys is Service.ListKeys within the scope (without a project: the
// scope's account's keys only).
func (x Scoped) ListKeys(ctx context.Context, f KeyFilter) (KeyPage, error) {
	if f.ProjectID != "" {
		if err := x.own(ctx, f.ProjectID); err != nil {
			return KeyPage{}, err
		}
	} else if !x.scope.All() {
		f.AccountID = x.scope.AccountID()
	}
	return x.s.ListKeys(ctx, f)
}

// ResetHWID is Service.ResetHWID within the scope.
func (x Scoped) ResetHWID(ctx context.Context, actor audit.Actor, projectID, userKey string, opts ResetOpts) (Key, error) {
	if err := x.own(ctx, projectID); err != nil {
		return Key{}, err
	}
	return x.s.ResetHWID(ctx, actor, projectID, userKey, opts)
}

// LinkDiscord is Service.LinkDiscord within the scope.
func (x Scoped) LinkDiscord(ctx context.Context, actor audit.Actor, projectID, userKey, discordID string, opts LinkOpts) (Key, error) {
	if err := x.own(ctx, projectID); err != nil {
		return Key{}, err
	}
	return x.s.LinkDiscord(ctx, actor, projectID, userKey, discordID, opts)
}

// Blacklist is Service.Blacklist within the scope.
func (x Scoped) Blacklist(ctx context.Context, actor audit.Actor, projectID, userKey string, in BlacklistInput) (Key, error) {
	if err := x.own(ctx, projectID); err != nil {
		return Key{}, err
	}
	return x.s.Blacklist(ctx, actor, projectID, userKey, in)
}

// UpdateScript is Service.UpdateScript within the scope.
func (x Scoped) UpdateScript(ctx context.Context, actor audit.Actor, projectID, scriptID string, in ScriptUpdate) (Script, error) {
	if err := x.own(ctx, projectID); err != nil {
		return Script{}, err
	}
	return x.s.UpdateScript(ctx, actor, projectID, scriptID, in)
}

// AccountDetails is the scope's account and its projects (every project
// for the all-accounts scope).
func (x Scoped) AccountDetails(ctx context.Context) (Account, []ProjectDetail, error) {
	return x.s.AccountDetails(ctx, x.scope.AccountID())
}

// AccountStats is Service.AccountStats of the scope's account.
func (x Scoped) AccountStats(ctx context.Context, withUsers bool) (Stats, error) {
	return x.s.AccountStats(ctx, x.scope.AccountID(), withUsers)
}

// AccountOverview is what the account page's overview card shows of one
// account's Luarmor use.
type AccountOverview struct {
	Projects int
	Keys     UserCounts
	// LastActivity is the newest execution, HWID reset or key creation;
	// zero without keys.
	LastActivity time.Time
}

// Overview counts the scope's account's projects and keys and finds its
// newest key activity. The all-accounts scope has no account to summarise.
// An account of CheapKeys keys or more gets the last answer, up to OverviewMaxAge old,
// while the next is read in the background: counting a quarter of a
// million keys and finding their newest activity took 0.65 s a load.
func (x Scoped) Overview(ctx context.Context) (AccountOverview, error) {
	if x.scope.All() {
		return AccountOverview{}, ErrAccountNotFound
	}
	o, _, err := x.s.overviews.Get(ctx, x.scope.AccountID())
	return o, err
}

// OverviewMaxAge is how old an account's Overview may be once the account
// has CheapKeys keys or more.
const OverviewMaxAge = time.Minute

func cheapOverview(o AccountOverview) bool { return o.Keys.Total < CheapKeys }

// overview is the overviews cache's read; account 0 is every account's
// projects (AccountStats for an operator key).
func (s *Service) overview(ctx context.Context, accountID int64) (AccountOverview, error) {
	_, projects, err := s.projectsOf(ctx, accountID)
	if err != nil {
		return AccountOverview{}, err
	}
	out := AccountOverview{Projects: len(projects)}
	if len(projects) == 0 {
		return out, nil
	}
	ids := make([]int64, len(projects))
	for i, p := range projects {
		ids[i] = p.DBID
	}
	c, err := s.db.CountLicenseKeysOfProjects(ctx, store.CountLicenseKeysOfProjectsParams{Now: s.clock(), ProjectIds: ids})
	if err != nil {
		return AccountOverview{}, fmt.Errorf("overview: keys: %w", err)
	}
	out.Keys = UserCounts{Total: c.Total, Active: c.Active, Banned: c.Banned, Whitelisted: c.Total - c.Banned, Expired: c.Expired}
	if c.Total > 0 { // max() over no keys is NULL
		out.LastActivity, err = s.db.LastLicenseKeyActivityOfProjects(ctx, ids)
		if err != nil {
			return AccountOverview{}, fmt.Errorf("overview: last activity: %w", err)
		}
		out.LastActivity = out.LastActivity.UTC()
	}
	return out, nil
}

// ListProjects is Service.ListProjects limited to the scope's account
// (every account for the all-accounts scope).
func (x Scoped) ListProjects(ctx context.Context, f ProjectFilter) (ProjectPage, error) {
	if !x.scope.All() {
		f.AccountID = x.scope.AccountID()
	}
	return x.s.ListProjects(ctx, f)
}

// ProjectKeyCounts is Service.ProjectKeyCounts of the projects inside the
// scope (others are left out of the answer).
func (x Scoped) ProjectKeyCounts(ctx context.Context, projects []Project, limit int) (map[int64]int64, error) {
	ids := make([]int64, 0, len(projects))
	for _, p := range projects {
		if x.scope.Allows(p.AccountID) {
			ids = append(ids, p.DBID)
		}
	}
	return x.s.ProjectKeyCounts(ctx, ids, limit)
}

// CountKeys is Service.CountKeys within the scope (as ListKeys).
func (x Scoped) CountKeys(ctx context.Context, f KeyFilter, limitTo int) (listcount.Count, error) {
	if f.ProjectID != "" {
		if err := x.own(ctx, f.ProjectID); err != nil {
			return listcount.Count{}, err
		}
	} else if !x.scope.All() {
		f.AccountID = x.scope.AccountID()
	}
	return x.s.CountKeys(ctx, f, limitTo)
}

// GetKeyByID is Service.GetKeyByID within the scope: a key of another
// account's project is ErrKeyNotFound, like an unknown one.
func (x Scoped) GetKeyByID(ctx context.Context, id int64) (Key, error) {
	k, err := x.s.GetKeyByID(ctx, id)
	if err != nil {
		return Key{}, err
	}
	if err := x.own(ctx, k.ProjectID); err != nil {
		if errors.Is(err, ErrProjectNotFound) {
			return Key{}, ErrKeyNotFound
		}
		return Key{}, err
	}
	return k, nil
}

// GenerateKeys is Service.GenerateKeys within the scope (the plan's user
// limit applies as for any caller).
func (x Scoped) GenerateKeys(ctx context.Context, actor audit.Actor, projectID string, n int, in KeyInput) ([]Key, error) {
	if err := x.own(ctx, projectID); err != nil {
		return nil, err
	}
	return x.s.GenerateKeys(ctx, actor, projectID, n, in)
}

// Unban is Service.Unban within the scope.
func (x Scoped) Unban(ctx context.Context, actor audit.Actor, projectID, userKey, reason string) (Key, error) {
	if err := x.own(ctx, projectID); err != nil {
		return Key{}, err
	}
	return x.s.Unban(ctx, actor, projectID, userKey, reason)
}

// GetScript is Service.GetScript within the scope.
func (x Scoped) GetScript(ctx context.Context, projectID, scriptID string) (Script, error) {
	if err := x.own(ctx, projectID); err != nil {
		return Script{}, err
	}
	return x.s.GetScript(ctx, projectID, scriptID)
}

// ListScripts is Service.ListScripts within the scope.
func (x Scoped) ListScripts(ctx context.Context, projectID string) ([]Script, error) {
	if err := x.own(ctx, projectID); err != nil {
		return nil, err
	}
	return x.s.ListScripts(ctx, projectID)
}

// ScriptVersions is Service.ScriptVersions within the scope.
func (x Scoped) ScriptVersions(ctx context.Context, projectID, scriptID string) ([]ScriptVersion, error) {
	if err := x.own(ctx, projectID); err != nil {
		return nil, err
	}
	return x.s.ScriptVersions(ctx, projectID, scriptID)
}

// ScriptVersion is Service.ScriptVersion within the scope.
func (x Scoped) ScriptVersion(ctx context.Context, projectID, scriptID string, version int) (ScriptVersion, error) {
	if err := x.own(ctx, projectID); err != nil {
		return ScriptVersion{}, err
	}
	return x.s.ScriptVersion(ctx, projectID, scriptID, version)
}

// RecordKeyExport is Service.RecordKeyExport of one project's keys within
// the scope (the project is recorded with the filters).
func (x Scoped) RecordKeyExport(ctx context.Context, actor audit.Actor, projectID string, filters map[string]string) error {
	if err := x.own(ctx, projectID); err != nil {
		return err
	}
	f := map[string]string{"project": projectID}
	for k, v := range filters {
		f[k] = v
	}
	return x.s.RecordKeyExport(ctx, actor, f)
}

// PlanUsage is Service.PlanUsage of the scope's account.
func (x Scoped) PlanUsage(ctx context.Context) (PlanUsage, error) {
	if x.scope.All() {
		return PlanUsage{}, ErrAccountNotFound
	}
	return x.s.PlanUsage(ctx, x.scope.AccountID())
}
