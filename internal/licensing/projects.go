package licensing

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"lumdesk/db/store"
	"lumdesk/internal/audit"
	"lumdesk/internal/platform/db"
	"lumdesk/internal/platform/ids"
)

// Public id lengths (hex digits), as Luarmor's ids look.
const (
	projectIDLen = 22
	scriptIDLen  = 32
)

// DefaultResetCooldown is a new project's HWID reset cooldown.
const DefaultResetCooldown = 24 * time.Hour

// Account is the little of a customer account licensing needs.
type Account struct {
	ID     int64
	Name   string
	Email  string
	Status string
}

// ResolveAccount finds an account by id ("42") or email.
func (s *Service) ResolveAccount(ctx context.Context, ref string) (Account, error) {
	ref = strings.TrimSpace(ref)
	var (
		r   store.GetLicensingAccountRow
		err error
	)
	if id, perr := strconv.ParseInt(ref, 10, 64); perr == nil && id > 0 {
		r, err = s.db.GetLicensingAccount(ctx, id)
	} else if strings.Contains(ref, "@") && len(ref) <= 254 && utf8.ValidString(ref) {
		var e store.GetLicensingAccountByEmailRow
		e, err = s.db.GetLicensingAccountByEmail(ctx, ref)
		r = store.GetLicensingAccountRow(e)
	} else {
		return Account{}, ErrAccountNotFound
	}
	if db.IsNotFound(err) {
		return Account{}, ErrAccountNotFound
	}
	if err != nil {
		return Account{}, fmt.Errorf("resolve account %q: %w", ref, err)
	}
	return Account(r), nil
}

// ProjectInput is a new project, or a project's settings.
type ProjectInput struct {
	AccountID     int64 // creation only
	Name          string
	ResetCooldown time.Duration // whole seconds; 0 = no cooldown
	UsersCanReset bool
	FFADefault    bool
	Reason        string
}

func checkProject(in ProjectInput) (ProjectInput, ValidationError) {
	verr := ValidationError{}
	in.Name = checkName(in.Name, verr)
	if in.ResetCooldown < 0 || in.ResetCooldown > MaxResetCooldown || in.ResetCooldown%time.Second != 0 {
		verr["reset_cooldown"] = "must be whole seconds between 0 and 365 days"
	}
	return in, verr
}

// CreateProject adds a project to an account.
func (s *Service) CreateProject(ctx context.Context, actor audit.Actor, in ProjectInput) (Project, error) {
	in, verr := checkProject(in)
	reason, err := checkReason(actor, in.Reason)
	if err != nil {
		return Project{}, err
	}
	if len(verr) > 0 {
		return Project{}, verr
	}
	acc, err := s.db.GetLicensingAccount(ctx, in.AccountID)
	if db.IsNotFound(err) {
		return Project{}, ErrAccountNotFound
	}
	if err != nil {
		return Project{}, fmt.Errorf("create project: load account: %w", err)
	}
	now := s.clock()
	var out Project
	err = s.write(ctx, func(q *store.Queries) error {
		p, err := q.InsertLicensingProject(ctx, store.InsertLicensingProjectParams{
			PublicID: ids.Hex(projectIDLen), AccountID: in.AccountID, Name: in.Name,
			ResetCooldownSeconds: int32(in.ResetCooldown / time.Second), UsersCanReset: in.UsersCanReset,
			FfaDefault: in.FFADefault, Now: now,
		})
		if err != nil {
			return fmt.Errorf("create project: %w", err)
		}
		out = projectFromRow(p, acc.Name, acc.Email)
		return audit.Record(ctx, q, actor, audit.Event{Action: "licensing_project.create", EntityType: "licensing_project",
			EntityID: p.PublicID, Reason: reason, After: projectAudit(p)})
	})
	return out, err
}

// UpdateProject changes a project's name and settings.
func (s *Service) UpdateProject(ctx context.Context, actor audit.Actor, projectID string, in ProjectInput) (Project, error) {
	in, verr := checkProject(in)
	reason, err := checkReason(actor, in.Reason)
	if err != nil {
		return Project{}, err
	}
	if len(verr) > 0 {
		return Project{}, verr
	}
	now := s.clock()
	err = s.write(ctx, func(q *store.Queries) error {
		old, err := q.LockLicensingProject(ctx, projectID)
		if db.IsNotFound(err) {
			return ErrProjectNotFound
		}
		if err != nil {
			return fmt.Errorf("update project %s: %w", projectID, err)
		}
		p, err := q.UpdateLicensingProject(ctx, store.UpdateLicensingProjectParams{ID: old.ID, Name: in.Name,
			ResetCooldownSeconds: int32(in.ResetCooldown / time.Second), UsersCanReset: in.UsersCanReset,
			FfaDefault: in.FFADefault, Now: now})
		if err != nil {
			return fmt.Errorf("update project %s: %w", projectID, err)
		}
		return audit.Record(ctx, q, actor, audit.Event{Action: "licensing_project.update", EntityType: "licensing_project",
			EntityID: p.PublicID, Reason: reason, Before: projectAudit(old), After: projectAudit(p)})
	})
	if err != nil {
		return Project{}, err
	}
	return s.GetProject(ctx, projectID)
}

// GetProject loads a project by its public id.
func (s *Service) GetProject(ctx context.Context, projectID string) (Project, error) {
	r, err := s.db.GetLicensingProject(ctx, projectID)
	if db.IsNotFound(err) {
		return Project{}, ErrProjectNotFound
	}
	if err != nil {
		return Project{}, fmt.Errorf("get project %s: %w", projectID, err)
	}
	return projectFromRow(r.LicensingProject, r.AccountName, r.AccountEmail), nil
}

// ProjectFilter selects projects, newest first.
type ProjectFilter struct {
	AccountID int64  // 0 = every account
	Search    string // part of the name, or the exact public id
	Before    *Cursor
	Limit     int
}

// ProjectPage is one page of projects; Next is nil on the last page.
type ProjectPage struct {
	Projects []Project
	Next     *Cursor
}

// ListProjects lists projects, newest first (keyset pagination).
func (s *Service) ListProjects(ctx context.Context, f ProjectFilter) (ProjectPage, error) {
	limit := f.Limit
	if limit <= 0 || limit > MaxPageSize {
		limit = DefaultPageSize
	}
	p := store.ListLicensingProjectsParams{Lim: int32(limit + 1)}
	if f.AccountID != 0 {
		p.AccountID = &f.AccountID
	}
	if q := strings.TrimSpace(f.Search); q != "" {
		if utf8.RuneCountInString(q) > MaxSearchLen {
			return ProjectPage{}, ValidationError{"search": fmt.Sprintf("at most %d characters", MaxSearchLen)}
		}
		pat := "%" + db.EscapeLike(q) + "%"
		p.Search, p.Plain = &pat, &q
	}
	if f.Before != nil {
		p.BeforeAt, p.BeforeID = &f.Before.At, &f.Before.ID
	}
	rows, err := s.db.ListLicensingProjects(ctx, p)
	if err != nil {
		return ProjectPage{}, fmt.Errorf("list projects: %w", err)
	}
	var out ProjectPage
	for i, r := range rows {
		if i == limit {
			last := out.Projects[limit-1]
			out.Next = &Cursor{At: last.CreatedAt, ID: last.DBID}
			break
		}
		out.Projects = append(out.Projects, projectFromRow(r.LicensingProject, r.AccountName, r.AccountEmail))
	}
	return out, nil
}

// ProjectsOfAccount lists an account's projects, oldest first.
func (s *Service) ProjectsOfAccount(ctx context.Context, accountID int64) ([]Project, error) {
	if accountID == 0 { // projectsOf's every project; no account has id 0
		return nil, ErrAccountNotFound
	}
	_, ps, err := s.projectsOf(ctx, accountID)
	return ps, err
}

// ScriptInput is a new script.
type ScriptInput struct {
	Name string
	// FFA nil takes the project's FFA default.
	FFA                          *bool
	Silent, Heartbeat, Lightning bool
	Reason                       string
}

// CreateScript adds a script (without source yet) to a project.
func (s *Service) CreateScript(ctx context.Context, actor audit.Actor, projectID string, in ScriptInput) (Script, error) {
	verr := ValidationError{}
	in.Name = checkName(in.Name, verr)
	reason, err := checkReason(actor, in.Reason)
	if err != nil {
		return Script{}, err
	}
	if len(verr) > 0 {
		return Script{}, verr
	}
	now := s.clock()
	var out Script
	err = s.write(ctx, func(q *store.Queries) error {
		p, err := q.LockLicensingProject(ctx, projectID)
		if db.IsNotFound(err) {
			return ErrProjectNotFound
		}
		if err != nil {
			return fmt.Errorf("create script: %w", err)
		}
		// A new script is obfuscated once: it counts against the quota.
		if err := s.useObfuscation(ctx, q, p.AccountID, now); err != nil {
			return err
		}
		ffa := p.FfaDefault
		if in.FFA != nil {
			ffa = *in.FFA
		}
		r, err := q.InsertLicensingScript(ctx, store.InsertLicensingScriptParams{PublicID: ids.Hex(scriptIDLen),
			ProjectID: p.ID, Name: in.Name, Silent: in.Silent, Ffa: ffa, Heartbeat: in.Heartbeat, Lightning: in.Lightning, Now: now})
		if err != nil {
			return fmt.Errorf("create script: %w", err)
		}
		out = scriptFromRow(r, p.PublicID)
		after := scriptAudit(r)
		after["project_id"] = p.PublicID
		return audit.Record(ctx, q, actor, audit.Event{Action: "licensing_script.create", EntityType: "licensing_script",
			EntityID: r.PublicID, Reason: reason, After: after})
	})
	return out, err
}

// ScriptUpdate is an update of a script: the API's PUT (Source required
// there) or a dashboard edit. Nil fields stay as they are; a Source makes a
// new version, kept with the flags it was uploaded with.
type ScriptUpdate struct {
	Name                              *string
	Source                            *string
	Silent, FFA, Heartbeat, Lightning *bool
	Reason                            string
}

// UpdateScript changes a script; every Source upload is a new version.
func (s *Service) UpdateScript(ctx context.Context, actor audit.Actor, projectID, scriptID string, in ScriptUpdate) (Script, error) {
	verr := ValidationError{}
	if in.Name != nil {
		n := checkName(*in.Name, verr)
		in.Name = &n
	}
	if in.Source != nil && (len(*in.Source) > MaxScriptLen || !utf8.ValidString(*in.Source)) {
		verr["script"] = fmt.Sprintf("must be text of at most %d bytes", MaxScriptLen)
	}
	reason, err := checkReason(actor, in.Reason)
	if err != nil {
		return Script{}, err
	}
	if len(verr) > 0 {
		return Script{}, verr
	}
	now := s.clock()
	var out Script
	err = s.write(ctx, func(q *store.Queries) error {
		p, err := q.LockLicensingProject(ctx, projectID)
		if db.IsNotFound(err) {
			return ErrProjectNotFound
		}
		if err != nil {
			return fmt.Errorf("update script: %w", err)
		}
		old, err := q.LockLicensingScript(ctx, store.LockLicensingScriptParams{ProjectID: p.ID, PublicID: scriptID})
		if db.IsNotFound(err) {
			return ErrScriptNotFound
		}
		if err != nil {
			return fmt.Errorf("update script %s: %w", scriptID, err)
		}
		next := store.UpdateLicensingScriptParams{ID: old.ID, Name: old.Name, Silent: old.Silent, Ffa: old.Ffa,
			Heartbeat: old.Heartbeat, Lightning: old.Lightning, Version: old.Version, Now: now}
		setIf(&next.Name, in.Name)
		setIf(&next.Silent, in.Silent)
		setIf(&next.Ffa, in.FFA)
		setIf(&next.Heartbeat, in.Heartbeat)
		setIf(&next.Lightning, in.Lightning)
		action := "licensing_script.update"
		if in.Source != nil {
			// Every upload is obfuscated: it counts against the quota.
			if err := s.useObfuscation(ctx, q, p.AccountID, now); err != nil {
				return err
			}
			next.Version++
			action = "licensing_script.upload"
			sum := sha256.Sum256([]byte(*in.Source))
			if _, err := q.InsertLicensingScriptVersion(ctx, store.InsertLicensingScriptVersionParams{
				ScriptID: old.ID, Version: next.Version, Source: *in.Source, Sha256: hex.EncodeToString(sum[:]),
				Silent: next.Silent, Ffa: next.Ffa, Heartbeat: next.Heartbeat, Lightning: next.Lightning,
				CreatedBy: actorLabel(actor), Now: now,
			}); err != nil {
				return fmt.Errorf("update script %s: version: %w", scriptID, err)
			}
		}
		r, err := q.UpdateLicensingScript(ctx, next)
		if err != nil {
			return fmt.Errorf("update script %s: %w", scriptID, err)
		}
		out = scriptFromRow(r, p.PublicID)
		after := scriptAudit(r)
		if in.Source != nil {
			after["source_bytes"] = len(*in.Source)
		}
		return audit.Record(ctx, q, actor, audit.Event{Action: action, EntityType: "licensing_script",
			EntityID: r.PublicID, Reason: reason, Before: scriptAudit(old), After: after})
	})
	return out, err
}

func setIf[T any](dst *T, v *T) {
	if v != nil {
		*dst = *v
	}
}

func actorLabel(a audit.Actor) string {
	if a.Label != "" {
		return a.Kind + ":" + a.Label
	}
	return a.Kind
}

func (s *Service) project(ctx context.Context, q *store.Queries, projectID string) (store.LicensingProject, error) {
	r, err := q.GetLicensingProject(ctx, projectID)
	if db.IsNotFound(err) {
		return store.LicensingProject{}, ErrProjectNotFound
	}
	if err != nil {
		return store.LicensingProject{}, fmt.Errorf("project %s: %w", projectID, err)
	}
	return r.LicensingProject, nil
}

// GetScript loads a script of a project.
func (s *Service) GetScript(ctx context.Context, projectID, scriptID string) (Script, error) {
	p, err := s.project(ctx, s.db.Queries, projectID)
	if err != nil {
		return Script{}, err
	}
	r, err := s.db.GetLicensingScript(ctx, store.GetLicensingScriptParams{ProjectID: p.ID, PublicID: scriptID})
	if db.IsNotFound(err) {
		return Script{}, ErrScriptNotFound
	}
	if err != nil {
		return Script{}, fmt.Errorf("get script %s: %w", scriptID, err)
	}
	return scriptFromRow(r, p.PublicID), nil
}

// ListScripts lists a project's scripts, oldest first.
func (s *Service) ListScripts(ctx context.Context, projectID string) ([]Script, error) {
	p, err := s.project(ctx, s.db.Queries, projectID)
	if err != nil {
		return nil, err
	}
	rows, err := s.db.ListLicensingScripts(ctx, p.ID)
	if err != nil {
		return nil, fmt.Errorf("list scripts of %s: %w", projectID, err)
	}
	out := make([]Script, len(rows))
	for i, r := range rows {
		out[i] = scriptFromRow(r, p.PublicID)
	}
	return out, nil
}

// ScriptVersion is one upload of a script. Source is set by ScriptVersion
// only (ScriptVersions lists without sources).
type ScriptVersion struct {
	Version                           int
	SHA256                            string
	Size                              int
	Source                            string
	Silent, FFA, Heartbeat, Lightning bool
	CreatedBy                         string
	CreatedAt                         time.Time
}

// ScriptVersions lists a script's versions, newest first.
func (s *Service) ScriptVersions(ctx context.Context, projectID, scriptID string) ([]ScriptVersion, error) {
	sc, err := s.GetScript(ctx, projectID, scriptID)
	if err != nil {
		return nil, err
	}
	rows, err := s.db.ListLicensingScriptVersions(ctx, sc.DBID)
	if err != nil {
		return nil, fmt.Errorf("versions of script %s: %w", scriptID, err)
	}
	out := make([]ScriptVersion, len(rows))
	for i, r := range rows {
		out[i] = ScriptVersion{Version: int(r.Version), SHA256: r.Sha256, Size: int(r.Size), Silent: r.Silent, FFA: r.Ffa,
			Heartbeat: r.Heartbeat, Lightning: r.Lightning, CreatedBy: r.CreatedBy, CreatedAt: r.CreatedAt.UTC()}
	}
	return out, nil
}

// ScriptVersion loads one version with its source (version 0: the current one).
func (s *Service) ScriptVersion(ctx context.Context, projectID, scriptID string, version int) (ScriptVersion, error) {
	sc, err := s.GetScript(ctx, projectID, scriptID)
	if err != nil {
		return ScriptVersion{}, err
	}
	if version == 0 {
		version = sc.Version
	}
	r, err := s.db.GetLicensingScriptVersion(ctx, store.GetLicensingScriptVersionParams{ScriptID: sc.DBID, Version: int32(version)})
	if db.IsNotFound(err) {
		return ScriptVersion{}, ErrVersionNotFound
	}
	if err != nil {
		return ScriptVersion{}, fmt.Errorf("script %s version %d: %w", scriptID, version, err)
	}
	return ScriptVersion{Version: int(r.Version), SHA256: r.Sha256, Size: len(r.Source), Source: r.Source, Silent: r.Silent,
		FFA: r.Ffa, Heartbeat: r.Heartbeat, Lightning: r.Lightning, CreatedBy: r.CreatedBy, CreatedAt: r.CreatedAt.UTC()}, nil
}
