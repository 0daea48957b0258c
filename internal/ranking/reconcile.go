package ranking

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"lumdesk/db/store"
	"lumdesk/internal/accounts"
	"lumdesk/internal/audit"
	"lumdesk/internal/platform/db"
	"lumdesk/internal/platform/ids"
	"lumdesk/internal/ranking/roblox"
)

// auditLogLookback is how far back the first reconciliation of a group
// reads Roblox's audit log.
const auditLogLookback = 7 * 24 * time.Hour

// SettlePending settles actions left pending longer than olderThan (their
// answer from Roblox was lost: a crash, a timeout) by re-reading the
// membership under the member's lock: the member holds the new role, done;
// otherwise failed, saying what Roblox shows. groupID "" settles every
// group's. It returns how many it settled; a member Roblox cannot be asked
// about now stays pending for the next pass.
func (s *Service) SettlePending(ctx context.Context, actor audit.Actor, scope accounts.Scope, groupID string, olderThan time.Duration) (_ int, err error) {
	defer wrap(&err, "settle pending lumira actions")
	p := store.ListLumiraPendingActionsParams{Before: s.clock().Add(-olderThan), Limit: 200}
	if groupID != "" {
		r, err := findGroup(ctx, s.db.Queries, scope, groupID)
		if err != nil {
			return 0, err
		}
		p.GroupID = &r.ID
	} else if !scope.All() {
		return 0, ValidationError{"group": "Name the group."}
	}
	rows, err := s.db.ListLumiraPendingActions(ctx, p)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, a := range rows {
		g, err := s.db.GetLumiraGroupByID(ctx, a.GroupID)
		if err != nil {
			return n, err
		}
		ok, err := s.settleOne(ctx, actor, g, a)
		if err != nil {
			s.log.Warn("lumira: a pending action could not be settled yet", "action", a.PublicID, "err", err)
			continue
		}
		if ok {
			n++
		}
	}
	return n, nil
}

func (s *Service) settleOne(ctx context.Context, actor audit.Actor, g store.LumiraGroup, a store.LumiraAction) (bool, error) {
	lockTx, release, err := s.lockMember(ctx, g.ID, a.RobloxUserID)
	if err != nil {
		return false, err
	}
	defer release()
	cur, err := s.db.GetLumiraActionByID(ctx, a.ID)
	if err != nil || cur.Status != ActionPending {
		return false, err // settled by the change itself while we waited
	}
	c, err := s.client(g)
	if err != nil {
		return false, err
	}
	roles, err := s.db.ListLumiraRoles(ctx, g.ID)
	if err != nil {
		return false, err
	}
	grp := groupFromRow(g, roles)
	m, merr := c.GetMembership(ctx, g.RobloxGroupID, a.RobloxUserID)
	var status, msg string
	var role Role
	switch {
	case errors.Is(merr, roblox.ErrNotMember):
		status, msg = ActionFailed, "Settled from the membership: the user is no longer in the group."
	case merr != nil:
		return false, merr
	case m.RoleID == deref(a.NewRoleID):
		status, role = ActionDone, roleOr(grp, m.RoleID)
	default:
		role = roleOr(grp, m.RoleID)
		status, msg = ActionFailed, fmt.Sprintf("Settled from the membership: Roblox shows %s (rank %d), not the role asked for.", role.Name, role.Rank)
		rank := int32(role.Rank)
		if _, err := s.db.UpsertLumiraMember(ctx, store.UpsertLumiraMemberParams{GroupID: g.ID, RobloxUserID: a.RobloxUserID,
			RoleID: &role.ID, Rank: &rank, Now: s.clock()}); err != nil {
			return false, err
		}
	}
	if _, err := s.settle(ctx, actor, g, a, status, msg, role); err != nil {
		return false, err
	}
	return true, lockTx.Commit(ctx)
}

func roleOr(g Group, id string) Role {
	if r, ok := g.RoleByID(id); ok {
		return r
	}
	return Role{ID: id, Name: "role " + id}
}

// Reconciliation is one reconciliation pass of a group.
type Reconciliation struct {
	Checked  int       `json:"checked"`  // members re-read
	Settled  int       `json:"settled"`  // pending actions settled
	Findings []Finding `json:"findings"` // outside changes found in this pass
	AuditLog bool      `json:"audit_log"`
}

// Reconcile compares the ranks Lumira believes with Roblox: first the
// group's ChangeRank audit log since the last pass, when the key may read
// it (who, when, from, to), then every member Lumira believes is in the
// group, re-read. Each change Lumira did not make is recorded once, as a
// finding and an outside_change action (audited), and the member's role
// is corrected. Pending actions whose outcome was lost are settled first.
func (s *Service) Reconcile(ctx context.Context, actor audit.Actor, scope accounts.Scope, groupID string) (_ Reconciliation, err error) {
	defer wrap(&err, "reconcile lumira group %s", groupID)
	r, err := findGroup(ctx, s.db.Queries, scope, groupID)
	if err != nil {
		return Reconciliation{}, err
	}
	if err := usable(r); err != nil {
		return Reconciliation{}, err
	}
	return s.reconcile(ctx, actor, r)
}

func (s *Service) reconcile(ctx context.Context, actor audit.Actor, r store.LumiraGroup) (Reconciliation, error) {
	out := Reconciliation{Findings: []Finding{}}
	n, err := s.SettlePending(ctx, actor, accounts.AllAccounts, r.PublicID, PendingAfter)
	if err != nil {
		return out, err
	}
	out.Settled = n
	c, err := s.client(r)
	if err != nil {
		return out, err
	}
	started := s.clock()
	since := started.Add(-auditLogLookback)
	if r.LastReconciledAt != nil {
		since = r.LastReconciledAt.Add(-time.Minute)
	}
	explained := map[int64]string{} // user → the role the audit log last moved them to
	changes, aerr := c.RankChanges(ctx, r.RobloxGroupID, since)
	switch {
	case aerr == nil:
		out.AuditLog = true
		roles, err := s.db.ListLumiraRoles(ctx, r.ID)
		if err != nil {
			return out, err
		}
		g := groupFromRow(r, roles)
		for _, ch := range changes {
			ours, err := s.isOurs(ctx, r.ID, ch)
			if err != nil {
				return out, err
			}
			explained[ch.TargetUserID] = ch.NewRoleID
			if ours {
				continue
			}
			from, to := roleOr(g, ch.OldRoleID), roleOr(g, ch.NewRoleID)
			at := ch.Created
			f, err := s.recordFinding(ctx, actor, r, ch.TargetUserID, &from, &to, &ch.ActorID, ch.ActorName, &at, "audit_log",
				fmt.Sprintf("a:%d:%s:%s:%d", ch.TargetUserID, ch.OldRoleID, ch.NewRoleID, ch.Created.UnixNano()))
			if err != nil {
				return out, err
			}
			if f != nil {
				out.Findings = append(out.Findings, *f)
			}
		}
	case errors.Is(aerr, roblox.ErrPermissionDenied), errors.Is(aerr, roblox.ErrNotFound):
		// The key may not read the audit log: memberships only.
	default:
		return out, s.robloxError(ctx, r, "read the audit log", aerr)
	}
	believed, err := s.db.ListLumiraMembersBelieved(ctx, r.ID)
	if err != nil {
		return out, err
	}
	for _, m := range believed {
		f, err := s.checkMember(ctx, actor, r, c, m, explained)
		if err != nil {
			return out, err
		}
		out.Checked++
		if f != nil {
			out.Findings = append(out.Findings, *f)
		}
	}
	if err := s.db.SetLumiraGroupReconciled(ctx, store.SetLumiraGroupReconciledParams{ID: r.ID, Now: started}); err != nil {
		return out, err
	}
	return out, nil
}

// isOurs reports whether an audit-log change is one of Lumira's own: a
// done (or pending) action of that member, from and to those roles,
// within ten minutes of it.
func (s *Service) isOurs(ctx context.Context, groupID int64, ch roblox.RankChange) (bool, error) {
	uid := ch.TargetUserID
	rows, err := s.db.ListLumiraActions(ctx, store.ListLumiraActionsParams{GroupID: groupID, UserID: &uid, Limit: 200})
	if err != nil {
		return false, err
	}
	for _, a := range rows {
		if a.Kind == KindOutsideChange || a.Kind == KindPoints || a.Status == ActionFailed {
			continue
		}
		d := a.CreatedAt.Sub(ch.Created)
		if deref(a.NewRoleID) == ch.NewRoleID && deref(a.OldRoleID) == ch.OldRoleID && d < 10*time.Minute && d > -10*time.Minute {
			return true, nil
		}
	}
	return false, nil
}

// checkMember re-reads one member under its lock and records a change
// Lumira did not make.
func (s *Service) checkMember(ctx context.Context, actor audit.Actor, r store.LumiraGroup, c roblox.Client, m store.LumiraMember, explained map[int64]string) (*Finding, error) {
	lockTx, release, err := s.lockMember(ctx, r.ID, m.RobloxUserID)
	if err != nil {
		return nil, err
	}
	defer release()
	m, err = s.db.GetLumiraMember(ctx, store.GetLumiraMemberParams{GroupID: r.ID, RobloxUserID: m.RobloxUserID})
	if err != nil || m.RoleID == nil {
		return nil, err
	}
	roles, err := s.db.ListLumiraRoles(ctx, r.ID)
	if err != nil {
		return nil, err
	}
	g := groupFromRow(r, roles)
	ms, merr := c.GetMembership(ctx, r.RobloxGroupID, m.RobloxUserID)
	var to *Role
	switch {
	case errors.Is(merr, roblox.ErrNotMember):
	case merr != nil:
		return nil, s.robloxError(ctx, r, "read a membership", merr)
	default:
		x := roleOr(g, ms.RoleID)
		to = &x
	}
	if to != nil && to.ID == *m.RoleID {
		return nil, lockTx.Commit(ctx)
	}
	from := roleOr(g, *m.RoleID)
	var f *Finding
	if to != nil && explained[m.RobloxUserID] == to.ID {
		// Already recorded from the audit log: correct the belief only.
		rank := int32(to.Rank)
		if _, err := s.db.SetLumiraMemberRole(ctx, store.SetLumiraMemberRoleParams{GroupID: r.ID, RobloxUserID: m.RobloxUserID, RoleID: &to.ID, Rank: &rank, Now: s.clock()}); err != nil {
			return nil, err
		}
	} else {
		toID := ""
		if to != nil {
			toID = to.ID
		}
		if f, err = s.recordFinding(ctx, actor, r, m.RobloxUserID, &from, to, nil, "", nil, "memberships",
			fmt.Sprintf("m:%d:%s:%s:%d", m.RobloxUserID, from.ID, toID, s.clock().UnixNano())); err != nil {
			return nil, err
		}
	}
	return f, lockTx.Commit(ctx)
}

// recordFinding records an outside change once (by dedupe key): the
// finding, its outside_change action (audited) and the member's role.
func (s *Service) recordFinding(ctx context.Context, actor audit.Actor, r store.LumiraGroup, userID int64, from, to *Role,
	byID *int64, byName string, at *time.Time, source, dedupe string) (*Finding, error) {
	var out *Finding
	err := s.db.Tx(ctx, func(q *store.Queries) error {
		now := s.clock()
		label := "outside Lumira"
		if byName != "" {
			label = byName + " (in Roblox)"
		}
		p := store.InsertLumiraActionParams{PublicID: ids.Public("act_"), GroupID: r.ID, RobloxUserID: userID, Kind: KindOutsideChange,
			Reason: "Found by reconciliation (" + strings.ReplaceAll(source, "_", " ") + ")", ActorKind: "roblox", ActorLabel: label,
			Status: ActionDone, Now: now, SettledAt: &now}
		if byID != nil && *byID != 0 {
			p.ActorID = fmt.Sprint(*byID)
		}
		var fromID, toID *string
		var fromRank, toRank *int32
		if from != nil {
			rk := int32(from.Rank)
			fromID, fromRank = &from.ID, &rk
		}
		if to != nil {
			rk := int32(to.Rank)
			toID, toRank = &to.ID, &rk
		}
		p.OldRoleID, p.OldRank, p.NewRoleID, p.NewRank = fromID, fromRank, toID, toRank
		when := at
		if when == nil {
			when = &now
		}
		fp := store.InsertLumiraFindingParams{GroupID: r.ID, RobloxUserID: userID, FromRoleID: fromID, FromRank: fromRank, ToRoleID: toID,
			ToRank: toRank, ChangedByID: byID, ChangedByName: byName, ChangedAt: when, Source: source, DedupeKey: dedupe, Now: now}
		row, err := q.InsertLumiraAction(ctx, p)
		if err != nil {
			return err
		}
		fp.ActionID = &row.ID
		f, err := q.InsertLumiraFinding(ctx, fp)
		if db.IsNotFound(err) {
			return errSeen // recorded by an earlier pass: roll the action back
		} else if err != nil {
			return err
		}
		if _, err := q.UpsertLumiraMember(ctx, store.UpsertLumiraMemberParams{GroupID: r.ID, RobloxUserID: userID, RoleID: toID, Rank: toRank, Now: now}); err != nil {
			return err
		}
		a := actionFromRow(row, r.PublicID)
		x := Finding{UserID: userID, FromRoleID: deref(fromID), FromRank: intp(fromRank), ToRoleID: deref(toID), ToRank: intp(toRank),
			ChangedByID: byID, ChangedByName: byName, ChangedAt: utc(f.ChangedAt), Source: source, ActionID: a.ID, FoundAt: now}
		out = &x
		return audit.Record(ctx, q, actor, audit.Event{Action: "lumira_action.outside_change", EntityType: audit.EntityLumiraAction,
			EntityID: a.ID, Reason: a.Reason, After: actionAudit(a)})
	})
	if errors.Is(err, errSeen) {
		return nil, nil
	}
	return out, err
}

var errSeen = errors.New("finding already recorded")

// ReconcileAll reconciles every connected and sandbox group (the periodic
// River job); it returns how many groups it reconciled. A group that fails
// is logged and the others still run.
func (s *Service) ReconcileAll(ctx context.Context) (int, error) {
	ids, err := s.db.ListLumiraGroupIDs(ctx)
	if err != nil {
		return 0, fmt.Errorf("reconcile lumira groups: %w", err)
	}
	actor := audit.System("lumira reconciliation")
	n := 0
	var firstErr error
	for _, id := range ids {
		r, err := s.db.GetLumiraGroupByID(ctx, id)
		if err != nil {
			return n, err
		}
		if _, err := s.reconcile(ctx, actor, r); err != nil {
			s.log.Warn("lumira reconciliation failed", "group", r.PublicID, "err", err)
			if firstErr == nil && ctx.Err() != nil {
				firstErr = ctx.Err()
			}
			continue
		}
		n++
	}
	return n, firstErr
}
