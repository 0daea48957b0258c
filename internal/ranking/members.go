package ranking

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"lumdesk/db/store"
	"lumdesk/internal/accounts"
	"lumdesk/internal/audit"
	"lumdesk/internal/platform/clip"
	"lumdesk/internal/platform/db"
	"lumdesk/internal/platform/ids"
	"lumdesk/internal/ranking/roblox"
)

// Member is a group member as Lumira sees it.
type Member struct {
	UserID       int64      `json:"user_id"`
	Username     string     `json:"username,omitempty"`
	RoleID       string     `json:"role_id"`
	RoleName     string     `json:"role_name"`
	Rank         int        `json:"rank"`
	Points       int64      `json:"points"`
	LastChangeAt *time.Time `json:"last_change_at"`
}

// RoleRef names a role in a change.
type RoleRef struct {
	ID   string `json:"id"`
	Name string `json:"name"`
	Rank int    `json:"rank"`
}

// Change is the outcome of a rank or points change.
type Change struct {
	Changed bool    `json:"changed"` // false: the member already held the role (nothing was called)
	UserID  int64   `json:"user_id"`
	OldRole RoleRef `json:"old_role"`
	NewRole RoleRef `json:"new_role"`
	Points  int64   `json:"points"`
	Action  *Action `json:"action,omitempty"` // the rank action (nil when nothing changed)
	// PointsAction is AddPoints' own action; Action is then its
	// auto-promotion, if any.
	PointsAction *Action `json:"points_action,omitempty"`
}

// Action is one recorded action.
type Action struct {
	ID          string     `json:"id"` // act_...
	GroupID     string     `json:"group_id"`
	UserID      int64      `json:"user_id"`
	Kind        string     `json:"kind"`
	OldRoleID   string     `json:"old_role_id,omitempty"`
	OldRank     *int       `json:"old_rank"`
	NewRoleID   string     `json:"new_role_id,omitempty"`
	NewRank     *int       `json:"new_rank"`
	PointsDelta int64      `json:"points_delta"`
	Reason      string     `json:"reason"`
	ActorKind   string     `json:"actor_kind"`
	ActorID     string     `json:"actor_id,omitempty"`
	ActorLabel  string     `json:"actor_label"`
	Status      string     `json:"status"`
	Error       string     `json:"error,omitempty"`
	CreatedAt   time.Time  `json:"created_at"`
	SettledAt   *time.Time `json:"settled_at"`
}

func actionFromRow(r store.LumiraAction, groupPublicID string) Action {
	return Action{ID: r.PublicID, GroupID: groupPublicID, UserID: r.RobloxUserID, Kind: r.Kind, OldRoleID: deref(r.OldRoleID),
		OldRank: intp(r.OldRank), NewRoleID: deref(r.NewRoleID), NewRank: intp(r.NewRank), PointsDelta: r.PointsDelta, Reason: r.Reason,
		ActorKind: r.ActorKind, ActorID: r.ActorID, ActorLabel: r.ActorLabel, Status: r.Status, Error: r.Error,
		CreatedAt: r.CreatedAt.UTC(), SettledAt: utc(r.SettledAt)}
}

func actionAudit(a Action) map[string]any {
	v := map[string]any{"group": a.GroupID, "user_id": a.UserID, "kind": a.Kind, "status": a.Status, "reason": a.Reason}
	if a.OldRoleID != "" {
		v["old_role"], v["old_rank"] = a.OldRoleID, a.OldRank
	}
	if a.NewRoleID != "" {
		v["new_role"], v["new_rank"] = a.NewRoleID, a.NewRank
	}
	if a.PointsDelta != 0 {
		v["points_delta"] = a.PointsDelta
	}
	if a.Error != "" {
		v["error"] = a.Error
	}
	return v
}

// target is what a change asks for, decided once the current role is known.
type target func(g Group, cur Role, points int64) (Role, error)

// memberState is a member read from Roblox under its lock.
type memberState struct {
	row    store.LumiraGroup
	group  Group
	client roblox.Client
	member store.LumiraMember
	cur    Role
}

func checkReason(reason string) (string, error) {
	reason = strings.TrimSpace(reason)
	fe := ValidationError{}
	checkText(fe, "reason", reason, MaxReason)
	if len(fe) > 0 {
		return "", fe
	}
	return reason, nil
}

func checkUser(userID int64) error {
	if userID <= 0 || userID > 1<<53 {
		return ValidationError{"user_id": "Enter a Roblox user ID (a positive number)."}
	}
	return nil
}

// usable is the group's row if Roblox can be asked about it.
func usable(r store.LumiraGroup) error {
	if r.Status != StatusConnected && r.Status != StatusSandbox {
		return ErrGroupNotSetUp
	}
	return nil
}

// withMember holds the member's lock (an advisory lock of a transaction
// that does nothing else) while fn runs, after re-reading the membership
// from Roblox and recording it.
func (s *Service) withMember(ctx context.Context, r store.LumiraGroup, userID int64, fn func(st *memberState) error) error {
	lockTx, release, err := s.lockMember(ctx, r.ID, userID)
	if err != nil {
		return err
	}
	defer release()
	st, err := s.readMember(ctx, r, userID)
	if err != nil {
		return err
	}
	if err := fn(st); err != nil {
		return err
	}
	return lockTx.Commit(ctx)
}

// lockMember takes the member's advisory lock in a transaction of its own,
// within the service's lock slots; release ends it (a no-op after Commit).
func (s *Service) lockMember(ctx context.Context, groupID, userID int64) (pgx.Tx, func(), error) {
	select {
	case s.lockSlots <- struct{}{}:
	case <-ctx.Done():
		return nil, nil, ctx.Err()
	}
	lockTx, err := s.db.Pool.Begin(ctx)
	if err != nil {
		<-s.lockSlots
		return nil, nil, err
	}
	release := func() {
		_ = lockTx.Rollback(context.WithoutCancel(ctx))
		<-s.lockSlots
	}
	if err := store.New(lockTx).LockLumiraMember(ctx, store.LockLumiraMemberParams{GroupID: groupID, UserID: userID}); err != nil {
		release()
		return nil, nil, err
	}
	return lockTx, release, nil
}

// readMember re-reads a member's role from Roblox and records it.
func (s *Service) readMember(ctx context.Context, r store.LumiraGroup, userID int64) (*memberState, error) {
	c, err := s.client(r)
	if err != nil {
		return nil, err
	}
	g, err := s.loadGroup(ctx, s.db.Queries, r)
	if err != nil {
		return nil, err
	}
	m, err := c.GetMembership(ctx, r.RobloxGroupID, userID)
	if errors.Is(err, roblox.ErrNotMember) {
		if _, err := s.db.GetLumiraMember(ctx, store.GetLumiraMemberParams{GroupID: r.ID, RobloxUserID: userID}); err == nil {
			_, _ = s.db.UpsertLumiraMember(ctx, store.UpsertLumiraMemberParams{GroupID: r.ID, RobloxUserID: userID, Now: s.clock()})
		}
		return nil, ErrUserNotInGroup
	} else if err != nil {
		return nil, s.robloxError(ctx, r, "read the membership", err)
	}
	cur, ok := g.RoleByID(m.RoleID)
	if !ok {
		// A role made since the last sync.
		if g, err = s.sync(ctx, audit.System("lumira"), r); err != nil {
			return nil, err
		}
		if cur, ok = g.RoleByID(m.RoleID); !ok {
			return nil, robloxFailed("name the member's role", fmt.Errorf("role %s is not among the group's roles", m.RoleID))
		}
	}
	rank := int32(cur.Rank)
	row, err := s.db.UpsertLumiraMember(ctx, store.UpsertLumiraMemberParams{GroupID: r.ID, RobloxUserID: userID, Username: m.Username,
		RoleID: &cur.ID, Rank: &rank, Now: s.clock()})
	if err != nil {
		return nil, err
	}
	return &memberState{row: r, group: g, client: c, member: row, cur: cur}, nil
}

// robloxError turns a Roblox failure into ours; a key Roblox refuses marks
// the group key_invalid.
func (s *Service) robloxError(ctx context.Context, r store.LumiraGroup, what string, err error) error {
	if r.KeySealed != nil && errors.Is(err, roblox.ErrUnauthenticated) {
		_, _ = s.db.SetLumiraGroupStatus(context.WithoutCancel(ctx), store.SetLumiraGroupStatusParams{ID: r.ID, Status: StatusKeyInvalid,
			StatusMessage: keyProblem(err), Now: s.clock()})
		return &Error{code: ErrGroupNotSetUp.code, msg: keyProblem(err)}
	}
	return robloxFailed(what, err)
}

// change runs one rank change of a member: under the member's lock, the
// current role re-read, the rules checked, the action written pending,
// Roblox called, the action settled.
func (s *Service) change(ctx context.Context, actor audit.Actor, scope accounts.Scope, groupID string, userID int64, kind, reason string, pick target) (Change, error) {
	if err := checkUser(userID); err != nil {
		return Change{}, err
	}
	reason, err := checkReason(reason)
	if err != nil {
		return Change{}, err
	}
	r, err := findGroup(ctx, s.db.Queries, scope, groupID)
	if err != nil {
		return Change{}, err
	}
	if err := usable(r); err != nil {
		return Change{}, err
	}
	var out Change
	err = s.withMember(ctx, r, userID, func(st *memberState) error {
		out, err = s.assign(ctx, actor, st, kind, reason, pick)
		return err
	})
	return out, err
}

// assign applies pick to a member read under its lock.
func (s *Service) assign(ctx context.Context, actor audit.Actor, st *memberState, kind, reason string, pick target) (Change, error) {
	g, cur := st.group, st.cur
	out := Change{UserID: st.member.RobloxUserID, OldRole: ref(cur), NewRole: ref(cur), Points: st.member.Points}
	if cur.Rank >= g.Ceiling || cur.Rank == 255 {
		return out, ErrMemberAboveCeiling
	}
	to, err := pick(g, cur, st.member.Points)
	if err != nil {
		return out, err
	}
	if !g.assignable(to.Rank) {
		return out, ErrRankNotAssignable
	}
	if to.ID == cur.ID {
		return out, nil
	}
	now := s.clock()
	oldRank, newRank := int32(cur.Rank), int32(to.Rank)
	pending, err := s.db.InsertLumiraAction(ctx, store.InsertLumiraActionParams{PublicID: ids.Public("act_"), GroupID: st.row.ID,
		RobloxUserID: out.UserID, Kind: kind, OldRoleID: &cur.ID, OldRank: &oldRank, NewRoleID: &to.ID, NewRank: &newRank, Reason: reason,
		ActorKind: actorKind(actor), ActorID: actor.ID, ActorLabel: actorLabel(actor), Status: ActionPending, Now: now})
	if err != nil {
		return out, err
	}
	m, cerr := st.client.AssignRole(ctx, st.row.RobloxGroupID, out.UserID, to.ID, cur.ID)
	var ae *roblox.APIError
	switch {
	case cerr == nil:
		got, ok := g.RoleByID(m.RoleID)
		if !ok {
			got = to
		}
		a, err := s.settle(ctx, actor, st.row, pending, ActionDone, "", got)
		if err != nil {
			return out, err
		}
		out.Changed, out.NewRole, out.Action = true, ref(got), &a
		return out, nil
	case errors.As(cerr, &ae):
		// Roblox answered: the change did not happen.
		a, err := s.settle(ctx, actor, st.row, pending, ActionFailed, ae.Error(), cur)
		if err != nil {
			return out, err
		}
		out.Action = &a
		return out, s.robloxError(ctx, st.row, "change the rank", cerr)
	default:
		// No answer (timeout, dropped connection): the outcome is unknown.
		// The action stays pending until SettlePending re-reads the member.
		a := actionFromRow(pending, st.row.PublicID)
		out.Action = &a
		return out, &Error{code: ErrRobloxUnavailable.code, cause: cerr, msg: fmt.Sprintf(
			"Roblox did not answer the rank change; action %s will be settled from the membership", pending.PublicID)}
	}
}

func ref(r Role) RoleRef { return RoleRef{ID: r.ID, Name: r.Name, Rank: r.Rank} }

func actorKind(a audit.Actor) string {
	if a.Kind == "" {
		return audit.KindSystem
	}
	return a.Kind
}

func actorLabel(a audit.Actor) string {
	if a.Label == "" && a.Kind == audit.KindSystem {
		return "automatic"
	}
	return a.Label
}

// settle records an action's outcome, the member's role, the audit row and
// (for a done rank change with a working webhook) the Discord log job, in
// one transaction. A settled action is left as it is.
func (s *Service) settle(ctx context.Context, actor audit.Actor, g store.LumiraGroup, a store.LumiraAction, status, msg string, role Role) (Action, error) {
	ctx = context.WithoutCancel(ctx) // Roblox was called: the outcome is recorded whatever happens to the caller
	var out Action
	err := pgx.BeginFunc(ctx, s.db.Pool, func(tx pgx.Tx) error {
		q := store.New(tx)
		now := s.clock()
		newRank := int32(role.Rank)
		if status != ActionDone && a.NewRoleID != nil && a.NewRank != nil {
			// A failed change keeps what was asked for.
			role.ID, newRank = *a.NewRoleID, *a.NewRank
		}
		row, err := q.SettleLumiraAction(ctx, store.SettleLumiraActionParams{ID: a.ID, Status: status, Error: truncate(msg, 1000),
			NewRoleID: &role.ID, NewRank: &newRank, Now: now})
		if db.IsNotFound(err) {
			row, err = q.GetLumiraActionByID(ctx, a.ID) // settled meanwhile
			out = actionFromRow(row, g.PublicID)
			return err
		} else if err != nil {
			return err
		}
		if status == ActionDone {
			if _, err := q.SetLumiraMemberRole(ctx, store.SetLumiraMemberRoleParams{GroupID: g.ID, RobloxUserID: a.RobloxUserID,
				RoleID: &role.ID, Rank: &newRank, Now: now}); err != nil {
				return err
			}
		}
		out = actionFromRow(row, g.PublicID)
		if err := audit.Record(ctx, q, actor, audit.Event{Action: "lumira_action." + a.Kind, EntityType: audit.EntityLumiraAction,
			EntityID: out.ID, Reason: out.Reason, After: actionAudit(out)}); err != nil {
			return err
		}
		if status == ActionDone && g.WebhookStatus == WebhookOK && (out.OldRoleID != out.NewRoleID || a.Kind == KindPoints) {
			return s.enqueueDiscord(ctx, tx, DiscordArgs{GroupID: g.ID, ActionID: row.ID})
		}
		return nil
	})
	return out, err
}

// truncate cuts s to n characters and marks the cut.
func truncate(s string, n int) string {
	if cut := clip.Chars(s, n); cut != s {
		return cut + "..."
	}
	return s
}

// RankInput names the rank to set: by rank, or by role ID.
type RankInput struct {
	Rank   *int
	RoleID string
	Reason string
}

// SetRank gives a member the role of a rank (or a role ID). Setting the
// rank the member holds changes nothing and calls nothing but the re-read
// (Changed false).
func (s *Service) SetRank(ctx context.Context, actor audit.Actor, scope accounts.Scope, groupID string, userID int64, in RankInput) (_ Change, err error) {
	defer wrap(&err, "set the rank of %d in lumira group %s", userID, groupID)
	if (in.Rank == nil) == (in.RoleID == "") {
		return Change{}, ValidationError{"rank": "Give either rank or roleId."}
	}
	if in.Rank != nil && (*in.Rank < 0 || *in.Rank > 255) {
		return Change{}, ValidationError{"rank": "A rank is 0-255."}
	}
	if in.Rank != nil && (*in.Rank == 0 || *in.Rank == 255) {
		return Change{}, ErrRankNotAssignable
	}
	// The role is checked before Roblox is asked about the member.
	r, err := findGroup(ctx, s.db.Queries, scope, groupID)
	if err != nil {
		return Change{}, err
	}
	g, err := s.loadGroup(ctx, s.db.Queries, r)
	if err != nil {
		return Change{}, err
	}
	var want Role
	var ok bool
	if in.Rank != nil {
		if want, ok = g.RoleByRank(*in.Rank); !ok {
			return Change{}, ValidationError{"rank": fmt.Sprintf("The group has no role of rank %d.", *in.Rank)}
		}
	} else if want, ok = g.RoleByID(in.RoleID); !ok {
		return Change{}, ValidationError{"role_id": "The group has no such role."}
	}
	if !g.assignable(want.Rank) {
		return Change{}, ErrRankNotAssignable
	}
	return s.change(ctx, actor, scope, groupID, userID, KindSet, in.Reason, func(g Group, cur Role, _ int64) (Role, error) {
		if role, ok := g.RoleByID(want.ID); ok {
			return role, nil
		}
		return Role{}, ValidationError{"role_id": "The group has no such role."}
	})
}

// Promote moves a member to the next ladder role above its rank (roles off
// the ladder skipped); ErrTopOfLadder when there is none below the ceiling.
func (s *Service) Promote(ctx context.Context, actor audit.Actor, scope accounts.Scope, groupID string, userID int64, reason string) (_ Change, err error) {
	defer wrap(&err, "promote %d in lumira group %s", userID, groupID)
	return s.change(ctx, actor, scope, groupID, userID, KindPromote, reason, nextUp)
}

// Demote moves a member to the previous ladder role below its rank;
// ErrBottomOfLadder when there is none.
func (s *Service) Demote(ctx context.Context, actor audit.Actor, scope accounts.Scope, groupID string, userID int64, reason string) (_ Change, err error) {
	defer wrap(&err, "demote %d in lumira group %s", userID, groupID)
	return s.change(ctx, actor, scope, groupID, userID, KindDemote, reason, nextDown)
}

func nextUp(g Group, cur Role, _ int64) (Role, error) {
	for _, r := range g.Ladder() {
		if r.Rank > cur.Rank && g.assignable(r.Rank) {
			return r, nil
		}
	}
	return Role{}, ErrTopOfLadder
}

func nextDown(g Group, cur Role, _ int64) (Role, error) {
	l := g.Ladder()
	for i := len(l) - 1; i >= 0; i-- {
		if l[i].Rank < cur.Rank && g.assignable(l[i].Rank) {
			return l[i], nil
		}
	}
	return Role{}, ErrBottomOfLadder
}

// byPoints is the highest assignable ladder role the points reach, if it
// is above the member's rank.
func byPoints(g Group, cur Role, points int64) (Role, bool) {
	best, found := cur, false
	for _, r := range g.Ladder() {
		if r.PointsRequired <= points && g.assignable(r.Rank) && r.Rank > best.Rank {
			best, found = r, true
		}
	}
	return best, found
}

// AddPoints adds delta (negative: removes) to a member's points. With
// auto-promotion on, crossing a threshold promotes the member to the
// highest ladder rank its points reach, never past the ceiling; a member
// at or above the ceiling only gets the points.
func (s *Service) AddPoints(ctx context.Context, actor audit.Actor, scope accounts.Scope, groupID string, userID, delta int64, reason string) (_ Change, err error) {
	defer wrap(&err, "add points to %d in lumira group %s", userID, groupID)
	if err := checkUser(userID); err != nil {
		return Change{}, err
	}
	if delta == 0 || delta > MaxPointsStep || delta < -MaxPointsStep {
		return Change{}, ValidationError{"delta": fmt.Sprintf("Points change by a non-zero amount of at most %d either way.", MaxPointsStep)}
	}
	if reason, err = checkReason(reason); err != nil {
		return Change{}, err
	}
	r, err := findGroup(ctx, s.db.Queries, scope, groupID)
	if err != nil {
		return Change{}, err
	}
	if err := usable(r); err != nil {
		return Change{}, err
	}
	var out Change
	err = s.withMember(ctx, r, userID, func(st *memberState) error {
		var pa Action
		err := pgx.BeginFunc(ctx, s.db.Pool, func(tx pgx.Tx) error {
			q := store.New(tx)
			now := s.clock()
			m, err := q.AddLumiraMemberPoints(ctx, store.AddLumiraMemberPointsParams{GroupID: r.ID, RobloxUserID: userID, Delta: delta, Now: now})
			if err != nil {
				return err
			}
			st.member = m
			rank := int32(st.cur.Rank)
			row, err := q.InsertLumiraAction(ctx, store.InsertLumiraActionParams{PublicID: ids.Public("act_"), GroupID: r.ID, RobloxUserID: userID,
				Kind: KindPoints, OldRoleID: &st.cur.ID, OldRank: &rank, NewRoleID: &st.cur.ID, NewRank: &rank, PointsDelta: delta, Reason: reason,
				ActorKind: actorKind(actor), ActorID: actor.ID, ActorLabel: actorLabel(actor), Status: ActionDone, Now: now, SettledAt: &now})
			if err != nil {
				return err
			}
			pa = actionFromRow(row, r.PublicID)
			return audit.Record(ctx, q, actor, audit.Event{Action: "lumira_action.points", EntityType: audit.EntityLumiraAction,
				EntityID: pa.ID, Reason: reason, After: actionAudit(pa)})
		})
		if err != nil {
			return err
		}
		out = Change{UserID: userID, OldRole: ref(st.cur), NewRole: ref(st.cur), Points: st.member.Points, PointsAction: &pa}
		if !r.AutoPromote || delta < 0 || st.cur.Rank >= st.group.Ceiling {
			return nil
		}
		to, ok := byPoints(st.group, st.cur, st.member.Points)
		if !ok {
			return nil
		}
		why := fmt.Sprintf("Auto-promotion at %d points", st.member.Points)
		if reason != "" {
			why += ": " + reason
		}
		c, err := s.assign(ctx, actor, st, KindPromote, truncate(why, MaxReason), func(Group, Role, int64) (Role, error) { return to, nil })
		c.PointsAction, c.Points = &pa, st.member.Points
		out = c
		return err
	})
	return out, err
}

// GetMember re-reads a member from Roblox (ErrUserNotInGroup when not in
// the group) and returns it with its points.
func (s *Service) GetMember(ctx context.Context, scope accounts.Scope, groupID string, userID int64) (_ Member, err error) {
	defer wrap(&err, "get member %d of lumira group %s", userID, groupID)
	if err := checkUser(userID); err != nil {
		return Member{}, err
	}
	r, err := findGroup(ctx, s.db.Queries, scope, groupID)
	if err != nil {
		return Member{}, err
	}
	if err := usable(r); err != nil {
		return Member{}, err
	}
	st, err := s.readMember(ctx, r, userID)
	if err != nil {
		return Member{}, err
	}
	return memberOf(st.member, st.cur), nil
}

func memberOf(m store.LumiraMember, role Role) Member {
	return Member{UserID: m.RobloxUserID, Username: m.Username, RoleID: role.ID, RoleName: role.Name, Rank: role.Rank,
		Points: m.Points, LastChangeAt: utc(m.LastChangeAt)}
}

// ListMembers lists the members Lumira has seen (as last read), by user ID;
// search matches a username's start or a whole user ID.
func (s *Service) ListMembers(ctx context.Context, scope accounts.Scope, groupID, search string, afterUserID int64, limit int) (_ []Member, err error) {
	defer wrap(&err, "list members of lumira group %s", groupID)
	r, err := findGroup(ctx, s.db.Queries, scope, groupID)
	if err != nil {
		return nil, err
	}
	g, err := s.loadGroup(ctx, s.db.Queries, r)
	if err != nil {
		return nil, err
	}
	if limit <= 0 {
		limit = DefaultLimit
	}
	p := store.ListLumiraMembersParams{GroupID: r.ID, Limit: int32(min(limit, MaxLogLimit)), AfterUser: afterUserID}
	if search = strings.TrimSpace(search); search != "" {
		search = strings.NewReplacer(`\`, `\\`, "%", `\%`, "_", `\_`).Replace(search)
		p.Search = &search
	}
	rows, err := s.db.ListLumiraMembers(ctx, p)
	if err != nil {
		return nil, err
	}
	out := make([]Member, 0, len(rows))
	for _, m := range rows {
		role, _ := g.RoleByID(deref(m.RoleID))
		out = append(out, memberOf(m, role))
	}
	return out, nil
}

var usernameRE = regexp.MustCompile(`^[A-Za-z0-9_]{3,20}$`)

// RobloxUser is a user found by name.
type RobloxUser struct {
	UserID      int64  `json:"user_id"`
	Username    string `json:"username"`
	DisplayName string `json:"display_name,omitempty"`
}

// LookupUsername finds a Roblox user by name: a member name the scope's
// groups have cached, a sandbox member, else (when the scope has a group
// that is not a sandbox one) Roblox's users API.
func (s *Service) LookupUsername(ctx context.Context, scope accounts.Scope, username string) (_ RobloxUser, err error) {
	defer wrap(&err, "look up roblox user %q", username)
	username = strings.TrimSpace(username)
	if !usernameRE.MatchString(username) {
		return RobloxUser{}, ValidationError{"username": "A Roblox username is 3-20 letters, digits or underscores."}
	}
	c, err := s.db.FindLumiraMemberByUsername(ctx, store.FindLumiraMemberByUsernameParams{Username: username, AccountID: scope.Filter()})
	if err == nil {
		return RobloxUser{UserID: c.RobloxUserID, Username: c.Username}, nil
	} else if !db.IsNotFound(err) {
		return RobloxUser{}, err
	}
	if us, err := (roblox.SandboxUsers{DB: s.db}).LookupUsernames(ctx, []string{username}); err == nil && len(us) > 0 {
		return RobloxUser{UserID: us[0].ID, Username: us[0].Name, DisplayName: us[0].DisplayName}, nil
	}
	// Sandbox groups alone never leave the sandbox: an offline demo answers
	// "not found", not a failed call to Roblox.
	if live, err := s.db.LumiraHasLiveGroup(ctx, scope.Filter()); err != nil {
		return RobloxUser{}, err
	} else if !live {
		return RobloxUser{}, ErrUserNotFound
	}
	us, err := s.users.LookupUsernames(ctx, []string{username})
	if err != nil {
		return RobloxUser{}, robloxFailed("look up the username", err)
	}
	for _, u := range us {
		if strings.EqualFold(u.Requested, username) || strings.EqualFold(u.Name, username) {
			if err := s.db.SetLumiraMemberUsernames(ctx, store.SetLumiraMemberUsernamesParams{Username: u.Name, UserID: u.ID,
				AccountID: scope.Filter()}); err != nil {
				return RobloxUser{}, err
			}
			return RobloxUser{UserID: u.ID, Username: u.Name, DisplayName: u.DisplayName}, nil
		}
	}
	return RobloxUser{}, ErrUserNotFound
}
