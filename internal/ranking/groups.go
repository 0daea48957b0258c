package ranking

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/jackc/pgx/v5/pgconn"

	"lumdesk/db/store"
	"lumdesk/internal/accounts"
	"lumdesk/internal/audit"
	"lumdesk/internal/platform/db"
	"lumdesk/internal/platform/ids"
	"lumdesk/internal/ranking/discord"
	"lumdesk/internal/ranking/roblox"
)

// Group is an account's Roblox group as Lumira keeps it.
type Group struct {
	ID               string     `json:"id"` // grp_...
	AccountID        int64      `json:"account_id"`
	RobloxGroupID    int64      `json:"roblox_group_id"`
	Name             string     `json:"name"`
	Sandbox          bool       `json:"sandbox"`
	Status           string     `json:"status"` // connected, key_invalid, sandbox
	StatusMessage    string     `json:"status_message,omitempty"`
	HasKey           bool       `json:"has_key"`
	KeyScopes        []string   `json:"key_scopes"` // the scopes the key was seen to use
	Ceiling          int        `json:"ceiling"`    // only ranks strictly below are assigned
	Webhook          Webhook    `json:"webhook"`
	AutoPromote      bool       `json:"auto_promote"`
	LastSyncAt       *time.Time `json:"last_sync_at"`
	LastReconciledAt *time.Time `json:"last_reconciled_at"`
	CreatedAt        time.Time  `json:"created_at"`
	Roles            []Role     `json:"roles"` // lowest rank first
}

// Webhook is the state of a group's Discord webhook (its URL is never shown).
type Webhook struct {
	Set            bool       `json:"set"`
	Status         string     `json:"status"` // none, ok, disabled
	DisabledReason string     `json:"disabled_reason,omitempty"`
	DisabledAt     *time.Time `json:"disabled_at,omitempty"`
}

// Role is a group's role and its place on the ladder.
type Role struct {
	ID             string `json:"id"`
	Name           string `json:"name"`
	Rank           int    `json:"rank"`
	MemberCount    *int64 `json:"member_count,omitempty"`
	InLadder       bool   `json:"in_ladder"`
	LadderPosition *int   `json:"ladder_position,omitempty"` // 1 = the lowest step
	PointsRequired int64  `json:"points_required"`
	Assignable     bool   `json:"assignable"` // 0 < rank < ceiling
}

// Ladder is the group's ladder: its in-ladder roles, lowest first.
func (g Group) Ladder() []Role {
	var out []Role
	for _, r := range g.Roles {
		if r.InLadder {
			out = append(out, r)
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Rank < out[j].Rank })
	return out
}

// RoleByRank is the role of that rank (ok false: none).
func (g Group) RoleByRank(rank int) (Role, bool) {
	for _, r := range g.Roles {
		if r.Rank == rank {
			return r, true
		}
	}
	return Role{}, false
}

// RoleByID is the role of that id.
func (g Group) RoleByID(id string) (Role, bool) {
	for _, r := range g.Roles {
		if r.ID == id {
			return r, true
		}
	}
	return Role{}, false
}

func (g Group) assignable(rank int) bool { return rank > 0 && rank < 255 && rank < g.Ceiling }

func groupFromRow(r store.LumiraGroup, roles []store.LumiraRole) Group {
	g := Group{ID: r.PublicID, AccountID: r.AccountID, RobloxGroupID: r.RobloxGroupID, Name: r.Name, Sandbox: r.KeySealed == nil,
		Status: r.Status, StatusMessage: r.StatusMessage, HasKey: r.KeySealed != nil, KeyScopes: r.KeyScopes, Ceiling: int(r.CeilingRank),
		Webhook:     Webhook{Set: r.WebhookSealed != nil, Status: r.WebhookStatus, DisabledReason: r.WebhookDisabledReason, DisabledAt: utc(r.WebhookDisabledAt)},
		AutoPromote: r.AutoPromote, LastSyncAt: utc(r.LastSyncAt), LastReconciledAt: utc(r.LastReconciledAt), CreatedAt: r.CreatedAt.UTC(),
		Roles: []Role{}}
	if g.KeyScopes == nil {
		g.KeyScopes = []string{}
	}
	for _, x := range roles {
		role := Role{ID: x.RoleID, Name: x.Name, Rank: int(x.Rank), MemberCount: x.MemberCount, InLadder: x.InLadder, PointsRequired: x.PointsRequired}
		if x.LadderPosition != nil {
			p := int(*x.LadderPosition)
			role.LadderPosition = &p
		}
		role.Assignable = g.assignable(role.Rank)
		g.Roles = append(g.Roles, role)
	}
	return g
}

func utc(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	u := t.UTC()
	return &u
}

// groupAudit is what the history keeps of a group.
func groupAudit(g Group) map[string]any {
	var ladder []string
	for _, r := range g.Ladder() {
		step := fmt.Sprintf("%s (rank %d)", r.Name, r.Rank)
		if r.PointsRequired > 0 {
			step += fmt.Sprintf(", %d points", r.PointsRequired)
		}
		ladder = append(ladder, step)
	}
	return map[string]any{"account_id": g.AccountID, "roblox_group_id": g.RobloxGroupID, "name": g.Name, "sandbox": g.Sandbox,
		"status": g.Status, "has_key": g.HasKey, "key_scopes": g.KeyScopes, "ceiling_rank": g.Ceiling, "webhook_status": g.Webhook.Status,
		"auto_promote": g.AutoPromote, "ladder": ladder}
}

// findGroup is the group row, if it is inside the scope.
func findGroup(ctx context.Context, q *store.Queries, scope accounts.Scope, id string) (store.LumiraGroup, error) {
	if !ids.ValidPublic("grp_", id) {
		return store.LumiraGroup{}, ErrGroupNotFound
	}
	r, err := q.GetLumiraGroup(ctx, id)
	if db.IsNotFound(err) || (err == nil && !scope.Allows(r.AccountID)) {
		return store.LumiraGroup{}, ErrGroupNotFound
	}
	return r, err
}

func (s *Service) loadGroup(ctx context.Context, q *store.Queries, r store.LumiraGroup) (Group, error) {
	roles, err := q.ListLumiraRoles(ctx, r.ID)
	if err != nil {
		return Group{}, err
	}
	return groupFromRow(r, roles), nil
}

// client is the group's Roblox: the sandbox, or Open Cloud with its key.
func (s *Service) client(r store.LumiraGroup) (roblox.Client, error) {
	if r.KeySealed == nil {
		return roblox.Sandbox{DB: s.db, GroupID: r.ID, Name: r.Name}, nil
	}
	key, err := s.box.Open(r.KeySealed, keyContext(r.PublicID))
	if err != nil {
		return nil, fmt.Errorf("the group's Roblox key does not open (master key changed?): %w", err)
	}
	return roblox.NewHTTP(s.set.Roblox, string(key)), nil
}

// GroupInput adds a group.
type GroupInput struct {
	AccountID      *int64 // the account (staff); a one-account scope acts on its own
	RobloxGroupID  int64
	RobloxKey      string // an Open Cloud API key; "": a sandbox group
	Name           string // a sandbox group's name ("": "Sandbox group N"); a real group's comes from Roblox
	Ceiling        int    // the integration account's rank; 0: 255 with a key, 250 in the sandbox
	DiscordWebhook string // "": none
	AutoPromote    bool
}

var keyRE = regexp.MustCompile(`^[\x21-\x7e]+$`)

// AddGroup adds a Roblox group to an account: with a key, its name and
// roles are read from Roblox (a key Roblox refuses leaves the group
// key_invalid); without one, a sandbox group with demo roles and members.
// Every assignable role starts on the ladder.
func (s *Service) AddGroup(ctx context.Context, actor audit.Actor, scope accounts.Scope, in GroupInput) (_ Group, err error) {
	defer wrap(&err, "add lumira group %d", in.RobloxGroupID)
	fe := ValidationError{}
	acct, terr := scope.Target(in.AccountID)
	if terr != nil {
		fe["account"] = "No such account."
	} else if acct == nil {
		fe["account"] = "Choose the account."
	}
	if in.RobloxGroupID <= 0 || in.RobloxGroupID > 1<<53 {
		fe["group_id"] = "Enter the Roblox group ID (a positive number)."
	}
	in.RobloxKey = strings.TrimSpace(in.RobloxKey)
	sandbox := in.RobloxKey == ""
	if !sandbox && (len(in.RobloxKey) > MaxKey || !keyRE.MatchString(in.RobloxKey)) {
		fe["roblox_key"] = "Paste the Open Cloud API key as Roblox shows it."
	}
	if in.Ceiling == 0 {
		in.Ceiling = 255
		if sandbox {
			in.Ceiling = 250
		}
	}
	if in.Ceiling < 2 || in.Ceiling > 255 {
		fe["ceiling"] = "Enter the rank of the integration's Roblox account (2-255)."
	}
	in.Name = strings.TrimSpace(in.Name)
	if sandbox && in.Name == "" {
		in.Name = fmt.Sprintf("Sandbox group %d", in.RobloxGroupID)
	}
	checkText(fe, "name", in.Name, MaxGroupName)
	in.DiscordWebhook = strings.TrimSpace(in.DiscordWebhook)
	if in.DiscordWebhook != "" {
		if msg := discord.ValidateWebhookURL(in.DiscordWebhook, s.set.DiscordURL); msg != "" {
			fe["discord_webhook"] = msg
		}
	}
	if len(fe) > 0 {
		return Group{}, fe
	}
	now := s.clock()
	p := store.InsertLumiraGroupParams{PublicID: ids.Public("grp_"), AccountID: *acct, RobloxGroupID: in.RobloxGroupID, Name: in.Name,
		CeilingRank: int32(in.Ceiling), WebhookStatus: WebhookNone, Status: StatusSandbox, AutoPromote: in.AutoPromote, KeyScopes: []string{}, Now: now}
	if in.DiscordWebhook != "" {
		p.WebhookSealed, p.WebhookStatus = s.box.Seal([]byte(in.DiscordWebhook), webhookContext(p.PublicID)), WebhookOK
	}
	var roles []roblox.Role
	if sandbox {
		roles = roblox.DemoRoleList()
		p.LastSyncAt = &now
	} else {
		fp := roblox.Fingerprint(in.RobloxKey)
		p.KeySealed, p.KeyFingerprint, p.Status = s.box.Seal([]byte(in.RobloxKey), keyContext(p.PublicID)), &fp, StatusConnected
		c := roblox.NewHTTP(s.set.Roblox, in.RobloxKey)
		info, err := c.Group(ctx, in.RobloxGroupID)
		if err == nil {
			p.Name = info.Name
			roles, err = c.ListRoles(ctx, in.RobloxGroupID)
		}
		switch {
		case err == nil:
			p.KeyScopes = []string{"group:read"}
			if _, aerr := c.RankChanges(ctx, in.RobloxGroupID, now); aerr == nil {
				p.KeyScopes = append(p.KeyScopes, "legacy-group:manage")
			}
			p.LastSyncAt = &now
		case errors.Is(err, roblox.ErrNotFound):
			return Group{}, ValidationError{"group_id": "Roblox has no group with this id."}
		case errors.Is(err, roblox.ErrUnauthenticated), errors.Is(err, roblox.ErrPermissionDenied):
			p.Status, p.StatusMessage = StatusKeyInvalid, keyProblem(err)
			p.Name = fmt.Sprintf("Roblox group %d", in.RobloxGroupID)
		default:
			return Group{}, robloxFailed("read the group", err)
		}
	}
	if p.Name == "" {
		p.Name = fmt.Sprintf("Roblox group %d", in.RobloxGroupID)
	}
	var out Group
	err = s.db.Tx(ctx, func(q *store.Queries) error {
		r, err := q.InsertLumiraGroup(ctx, p)
		if db.IsUniqueViolation(err, "lumira_groups_account_group") {
			return ValidationError{"group_id": "The account already has this Roblox group."}
		} else if isForeignKey(err) {
			return ValidationError{"account": "No such account."}
		} else if err != nil {
			return err
		}
		if sandbox {
			if err := roblox.Seed(ctx, q, r.ID, roblox.DemoRoles, roblox.DemoMembers); err != nil {
				return err
			}
		}
		if err := saveRoles(ctx, q, r.ID, roles, true, sandbox); err != nil {
			return err
		}
		if out, err = s.loadGroup(ctx, q, r); err != nil {
			return err
		}
		return audit.Record(ctx, q, actor, audit.Event{Action: "lumira_group.create", EntityType: audit.EntityLumiraGroup,
			EntityID: out.ID, After: groupAudit(out)})
	})
	if err != nil {
		return Group{}, err
	}
	return out, nil
}

func isForeignKey(err error) bool {
	var pg *pgconn.PgError
	return errors.As(err, &pg) && pg.Code == "23503"
}

func keyProblem(err error) string {
	if errors.Is(err, roblox.ErrUnauthenticated) {
		return "Roblox refused the API key (invalid, expired or IP-restricted)."
	}
	return "The API key may not read this group (it needs the group:read and group:write scopes for this group)."
}

// demoPoints are the sandbox ladder's point thresholds, step by step.
var demoPoints = []int64{0, 10, 25, 50, 100, 200}

// saveRoles writes Roblox's roles; a new group's assignable ones go on the
// ladder (the sandbox's with demo point thresholds).
func saveRoles(ctx context.Context, q *store.Queries, groupID int64, roles []roblox.Role, initLadder, demo bool) error {
	keep := make([]string, 0, len(roles))
	for _, r := range roles {
		var mc *int64
		if r.MemberCount != nil {
			mc = r.MemberCount
		}
		if err := q.UpsertLumiraRole(ctx, store.UpsertLumiraRoleParams{GroupID: groupID, RoleID: r.ID, Name: r.Name, Rank: int32(r.Rank), MemberCount: mc}); err != nil {
			return err
		}
		keep = append(keep, r.ID)
	}
	if err := q.DeleteLumiraRolesExcept(ctx, store.DeleteLumiraRolesExceptParams{GroupID: groupID, Keep: keep}); err != nil {
		return err
	}
	if !initLadder {
		return nil
	}
	sorted := slices.Clone(roles)
	sort.SliceStable(sorted, func(i, j int) bool { return sorted[i].Rank < sorted[j].Rank })
	pos := int32(0)
	for _, r := range sorted {
		if r.Rank <= 0 || r.Rank >= 255 || (demo && r.Rank >= 250) {
			continue
		}
		var pts int64
		if demo && int(pos) < len(demoPoints) {
			pts = demoPoints[pos]
		}
		pos++
		p := pos
		if err := q.SetLumiraRoleLadder(ctx, store.SetLumiraRoleLadderParams{GroupID: groupID, RoleID: r.ID, InLadder: true, LadderPosition: &p, PointsRequired: pts}); err != nil {
			return err
		}
	}
	return nil
}

func checkText(fe ValidationError, field, v string, max int) {
	switch {
	case !utf8.ValidString(v):
		fe[field] = "Must be valid UTF-8 text."
	case utf8.RuneCountInString(v) > max:
		fe[field] = fmt.Sprintf("At most %d characters.", max)
	case strings.ContainsRune(v, 0):
		fe[field] = "Must not contain NUL characters."
	}
}

// GetGroup is a group with its roles and ladder.
func (s *Service) GetGroup(ctx context.Context, scope accounts.Scope, groupID string) (_ Group, err error) {
	defer wrap(&err, "get lumira group %s", groupID)
	r, err := findGroup(ctx, s.db.Queries, scope, groupID)
	if err != nil {
		return Group{}, err
	}
	return s.loadGroup(ctx, s.db.Queries, r)
}

// GroupFilter lists groups.
type GroupFilter struct {
	Scope    accounts.Scope
	BeforeID string // the last group of the previous page ("": the newest first)
	Limit    int    // 1-200; 0: 50
}

// ListGroups lists the scope's groups, newest first (with their roles).
func (s *Service) ListGroups(ctx context.Context, f GroupFilter) (_ []Group, err error) {
	defer wrap(&err, "list lumira groups")
	limit := f.Limit
	if limit <= 0 {
		limit = DefaultLimit
	}
	p := store.ListLumiraGroupsParams{Limit: int32(min(limit, MaxLogLimit)), AccountID: f.Scope.Filter()}
	if f.BeforeID != "" {
		r, err := findGroup(ctx, s.db.Queries, f.Scope, f.BeforeID)
		if err != nil {
			return nil, ValidationError{"cursor": "Unknown cursor."}
		}
		p.BeforeID = &r.ID
	}
	rows, err := s.db.ListLumiraGroups(ctx, p)
	if err != nil {
		return nil, err
	}
	out := make([]Group, 0, len(rows))
	for _, r := range rows {
		g, err := s.loadGroup(ctx, s.db.Queries, r)
		if err != nil {
			return nil, err
		}
		out = append(out, g)
	}
	return out, nil
}

// SyncRoles reads the group's name and roles from Roblox again. A key
// Roblox refuses marks the group key_invalid (ErrGroupNotSetUp); a key
// that works again makes it connected.
func (s *Service) SyncRoles(ctx context.Context, actor audit.Actor, scope accounts.Scope, groupID string) (_ Group, err error) {
	defer wrap(&err, "sync lumira group %s", groupID)
	r, err := findGroup(ctx, s.db.Queries, scope, groupID)
	if err != nil {
		return Group{}, err
	}
	return s.sync(ctx, actor, r)
}

func (s *Service) sync(ctx context.Context, actor audit.Actor, r store.LumiraGroup) (Group, error) {
	c, err := s.client(r)
	if err != nil {
		return Group{}, err
	}
	now := s.clock()
	name, status, msg, scopes := r.Name, r.Status, "", r.KeyScopes
	info, rerr := c.Group(ctx, r.RobloxGroupID)
	var roles []roblox.Role
	if rerr == nil {
		roles, rerr = c.ListRoles(ctx, r.RobloxGroupID)
	}
	switch {
	case rerr == nil:
		if r.KeySealed != nil {
			name, status, scopes = info.Name, StatusConnected, []string{"group:read"}
			if _, aerr := c.RankChanges(ctx, r.RobloxGroupID, now); aerr == nil {
				scopes = append(scopes, "legacy-group:manage")
			}
		}
	case r.KeySealed != nil && (errors.Is(rerr, roblox.ErrUnauthenticated) || errors.Is(rerr, roblox.ErrPermissionDenied) || errors.Is(rerr, roblox.ErrNotFound)):
		status, msg = StatusKeyInvalid, keyProblem(rerr)
	default:
		return Group{}, robloxFailed("list the group's roles", rerr)
	}
	var out Group
	err = s.db.Tx(ctx, func(q *store.Queries) error {
		before, err := s.loadGroup(ctx, q, r)
		if err != nil {
			return err
		}
		syncAt := r.LastSyncAt
		if rerr == nil {
			syncAt = &now
			fresh := len(before.Roles) == 0
			if err := saveRoles(ctx, q, r.ID, roles, fresh, false); err != nil {
				return err
			}
		}
		row, err := q.UpdateLumiraGroupSync(ctx, store.UpdateLumiraGroupSyncParams{ID: r.ID, Name: name, Status: status, StatusMessage: msg,
			KeyScopes: scopes, LastSyncAt: syncAt, Now: now})
		if err != nil {
			return err
		}
		if out, err = s.loadGroup(ctx, q, row); err != nil {
			return err
		}
		return audit.Record(ctx, q, actor, audit.Event{Action: "lumira_group.sync", EntityType: audit.EntityLumiraGroup,
			EntityID: out.ID, Before: groupAudit(before), After: groupAudit(out)})
	})
	if err != nil {
		return Group{}, err
	}
	if rerr != nil {
		return out, &Error{code: ErrGroupNotSetUp.code, msg: msg}
	}
	return out, nil
}

// SetKey replaces a group's Roblox key (a sandbox group stays a sandbox:
// add the real group separately) and syncs with it.
func (s *Service) SetKey(ctx context.Context, actor audit.Actor, scope accounts.Scope, groupID, key string) (_ Group, err error) {
	defer wrap(&err, "set the key of lumira group %s", groupID)
	r, err := findGroup(ctx, s.db.Queries, scope, groupID)
	if err != nil {
		return Group{}, err
	}
	key = strings.TrimSpace(key)
	if r.KeySealed == nil {
		return Group{}, ValidationError{"roblox_key": "A sandbox group has no Roblox key; add the real group with its key."}
	}
	if key == "" || len(key) > MaxKey || !keyRE.MatchString(key) {
		return Group{}, ValidationError{"roblox_key": "Paste the Open Cloud API key as Roblox shows it."}
	}
	fp := roblox.Fingerprint(key)
	row, err := s.db.SetLumiraGroupKey(ctx, store.SetLumiraGroupKeyParams{ID: r.ID, KeySealed: s.box.Seal([]byte(key), keyContext(r.PublicID)),
		KeyFingerprint: &fp, Now: s.clock()})
	if err != nil {
		return Group{}, err
	}
	return s.sync(ctx, actor, row)
}

// LadderStep is one step of a ladder, lowest first.
type LadderStep struct {
	RoleID         string `json:"role_id"`
	PointsRequired int64  `json:"points_required"`
}

// SetLadder sets the ladder: the roles given, in the order given (lowest
// first, ranks strictly rising, points never falling), are on it; every
// other role is off it and promote and demote skip it.
func (s *Service) SetLadder(ctx context.Context, actor audit.Actor, scope accounts.Scope, groupID string, steps []LadderStep) (_ Group, err error) {
	defer wrap(&err, "set the ladder of lumira group %s", groupID)
	var out Group
	err = s.db.Tx(ctx, func(q *store.Queries) error {
		r, err := findGroup(ctx, q, scope, groupID)
		if err != nil {
			return err
		}
		if _, err := q.LockLumiraGroup(ctx, r.ID); err != nil {
			return err
		}
		before, err := s.loadGroup(ctx, q, r)
		if err != nil {
			return err
		}
		fe := ValidationError{}
		if len(steps) == 0 {
			fe["ladder"] = "Put at least one role on the ladder."
		}
		seen := map[string]bool{}
		prevRank, prevPts := -1, int64(-1)
		for i, st := range steps {
			field := fmt.Sprintf("ladder.%d", i)
			role, ok := before.RoleByID(st.RoleID)
			switch {
			case !ok:
				fe[field] = "The group has no such role."
			case seen[st.RoleID]:
				fe[field] = "A role is on the ladder once."
			case role.Rank == 0 || role.Rank == 255:
				fe[field] = "Guest (0) and owner (255) cannot be on the ladder."
			case role.Rank <= prevRank:
				fe[field] = "The ladder goes up: each role's rank must be above the previous one's."
			case st.PointsRequired < 0 || st.PointsRequired > 1<<50:
				fe[field] = "Points required must be 0 or more."
			case st.PointsRequired < prevPts:
				fe[field] = "Points required never fall as the ladder goes up."
			}
			seen[st.RoleID] = true
			if ok {
				prevRank = role.Rank
			}
			prevPts = max(prevPts, st.PointsRequired)
		}
		if len(fe) > 0 {
			return fe
		}
		for _, role := range before.Roles {
			if err := q.SetLumiraRoleLadder(ctx, store.SetLumiraRoleLadderParams{GroupID: r.ID, RoleID: role.ID}); err != nil {
				return err
			}
		}
		for i, st := range steps {
			p := int32(i + 1)
			if err := q.SetLumiraRoleLadder(ctx, store.SetLumiraRoleLadderParams{GroupID: r.ID, RoleID: st.RoleID, InLadder: true,
				LadderPosition: &p, PointsRequired: st.PointsRequired}); err != nil {
				return err
			}
		}
		if out, err = s.loadGroup(ctx, q, r); err != nil {
			return err
		}
		return audit.Record(ctx, q, actor, audit.Event{Action: "lumira_group.ladder", EntityType: audit.EntityLumiraGroup,
			EntityID: out.ID, Before: groupAudit(before), After: groupAudit(out)})
	})
	if err != nil {
		return Group{}, err
	}
	return out, nil
}

// updateGroup runs one change of a group's settings, audited.
func (s *Service) updateGroup(ctx context.Context, actor audit.Actor, scope accounts.Scope, groupID, action string,
	fn func(q *store.Queries, r store.LumiraGroup) (store.LumiraGroup, error)) (Group, error) {
	var out Group
	err := s.db.Tx(ctx, func(q *store.Queries) error {
		r, err := findGroup(ctx, q, scope, groupID)
		if err != nil {
			return err
		}
		if r, err = q.LockLumiraGroup(ctx, r.ID); err != nil {
			return err
		}
		before, err := s.loadGroup(ctx, q, r)
		if err != nil {
			return err
		}
		row, err := fn(q, r)
		if err != nil {
			return err
		}
		if out, err = s.loadGroup(ctx, q, row); err != nil {
			return err
		}
		return audit.Record(ctx, q, actor, audit.Event{Action: action, EntityType: audit.EntityLumiraGroup,
			EntityID: out.ID, Before: groupAudit(before), After: groupAudit(out)})
	})
	if err != nil {
		return Group{}, err
	}
	return out, nil
}

// SetCeiling sets the rank of the integration's own Roblox account: only
// ranks strictly below it are assigned, members at or above are never changed.
func (s *Service) SetCeiling(ctx context.Context, actor audit.Actor, scope accounts.Scope, groupID string, ceiling int) (_ Group, err error) {
	defer wrap(&err, "set the ceiling of lumira group %s", groupID)
	if ceiling < 2 || ceiling > 255 {
		return Group{}, ValidationError{"ceiling": "Enter the rank of the integration's Roblox account (2-255)."}
	}
	return s.updateGroup(ctx, actor, scope, groupID, "lumira_group.ceiling", func(q *store.Queries, r store.LumiraGroup) (store.LumiraGroup, error) {
		return q.SetLumiraGroupCeiling(ctx, store.SetLumiraGroupCeilingParams{ID: r.ID, CeilingRank: int32(ceiling), Now: s.clock()})
	})
}

// SetAutoPromote turns auto-promotion by points on or off.
func (s *Service) SetAutoPromote(ctx context.Context, actor audit.Actor, scope accounts.Scope, groupID string, on bool) (_ Group, err error) {
	defer wrap(&err, "set auto-promotion of lumira group %s", groupID)
	return s.updateGroup(ctx, actor, scope, groupID, "lumira_group.auto_promote", func(q *store.Queries, r store.LumiraGroup) (store.LumiraGroup, error) {
		return q.SetLumiraGroupAutoPromote(ctx, store.SetLumiraGroupAutoPromoteParams{ID: r.ID, AutoPromote: on, Now: s.clock()})
	})
}

// SetWebhook sets (or, with "", removes) the group's Discord webhook; a
// disabled one is enabled again by setting it.
func (s *Service) SetWebhook(ctx context.Context, actor audit.Actor, scope accounts.Scope, groupID, url string) (_ Group, err error) {
	defer wrap(&err, "set the webhook of lumira group %s", groupID)
	url = strings.TrimSpace(url)
	if url != "" {
		if msg := discord.ValidateWebhookURL(url, s.set.DiscordURL); msg != "" {
			return Group{}, ValidationError{"discord_webhook": msg}
		}
	}
	return s.updateGroup(ctx, actor, scope, groupID, "lumira_group.webhook", func(q *store.Queries, r store.LumiraGroup) (store.LumiraGroup, error) {
		p := store.SetLumiraGroupWebhookParams{ID: r.ID, WebhookStatus: WebhookNone, Now: s.clock()}
		if url != "" {
			p.WebhookSealed, p.WebhookStatus = s.box.Seal([]byte(url), webhookContext(r.PublicID)), WebhookOK
		}
		return q.SetLumiraGroupWebhook(ctx, p)
	})
}

// Finding is a rank change made outside Lumira, found by reconciliation.
type Finding struct {
	UserID        int64      `json:"user_id"`
	FromRoleID    string     `json:"from_role_id,omitempty"`
	FromRank      *int       `json:"from_rank"`
	ToRoleID      string     `json:"to_role_id,omitempty"` // "": left the group
	ToRank        *int       `json:"to_rank"`
	ChangedByID   *int64     `json:"changed_by_id"`
	ChangedByName string     `json:"changed_by_name,omitempty"`
	ChangedAt     *time.Time `json:"changed_at"`
	Source        string     `json:"source"` // memberships or audit_log
	ActionID      string     `json:"action_id,omitempty"`
	FoundAt       time.Time  `json:"found_at"`
}

// Findings lists the group's outside rank changes, newest first.
func (s *Service) Findings(ctx context.Context, scope accounts.Scope, groupID string, limit int) (_ []Finding, err error) {
	defer wrap(&err, "list findings of lumira group %s", groupID)
	r, err := findGroup(ctx, s.db.Queries, scope, groupID)
	if err != nil {
		return nil, err
	}
	if limit <= 0 {
		limit = DefaultLimit
	}
	rows, err := s.db.ListLumiraFindings(ctx, store.ListLumiraFindingsParams{GroupID: r.ID, Limit: int32(min(limit, MaxLogLimit))})
	if err != nil {
		return nil, err
	}
	out := make([]Finding, 0, len(rows))
	for _, row := range rows {
		f := row.LumiraFinding
		x := Finding{UserID: f.RobloxUserID, FromRoleID: deref(f.FromRoleID), FromRank: intp(f.FromRank), ToRoleID: deref(f.ToRoleID),
			ToRank: intp(f.ToRank), ChangedByID: f.ChangedByID, ChangedByName: f.ChangedByName, ChangedAt: utc(f.ChangedAt),
			Source: f.Source, FoundAt: f.FoundAt.UTC()}
		if row.ActionPublicID != nil {
			x.ActionID = *row.ActionPublicID
		}
		out = append(out, x)
	}
	return out, nil
}

func deref(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

func intp(p *int32) *int {
	if p == nil {
		return nil
	}
	n := int(*p)
	return &n
}
