package bot

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"lumdesk/db/store"
	"lumdesk/internal/accounts"
	"lumdesk/internal/audit"
	"lumdesk/internal/bot/discord"
	"lumdesk/internal/platform/apperr"
	"lumdesk/internal/platform/ids"
)

// LinkCodeLife is how long a link code may be used.
const LinkCodeLife = time.Hour

// ErrLinkNotFound: no such link, or another account's.
var ErrLinkNotFound = apperr.NotFound("Discord server link not found")

// Link is a guild linked to what it serves.
type Link struct {
	ID              string // gln_...
	DBID            int64
	GuildID         string
	AccountID       int64
	AccountName     string
	Area            string // AreaLicensing or AreaRanking
	ProjectDBID     int64  // AreaLicensing
	GroupDBID       int64  // AreaRanking
	TargetID        string // the project's or group's public id
	TargetName      string
	RobloxGroupID   int64  // AreaRanking
	RankRoleID      string // AreaRanking: the Discord role whose members may /rank ("": nobody)
	LinkedBy        string // Discord user ID
	LinkedByName    string
	PanelLastUsedAt *time.Time
	CreatedAt       time.Time
}

func linkFromRow(r store.BotLink) Link {
	l := Link{ID: r.PublicID, DBID: r.ID, GuildID: r.GuildID, AccountID: r.AccountID, Area: r.Area, RankRoleID: r.RankRoleID,
		LinkedBy: r.LinkedBy, LinkedByName: r.LinkedByName, PanelLastUsedAt: r.PanelLastUsedAt, CreatedAt: r.CreatedAt}
	if r.ProjectID != nil {
		l.ProjectDBID = *r.ProjectID
	}
	if r.GroupID != nil {
		l.GroupDBID = *r.GroupID
	}
	return l
}

// guildLink is the link of the request's guild for area, or a refusal
// telling a server manager how to set it up.
func (s *Service) guildLink(ctx context.Context, r *Request, area string) (Link, error) {
	if r.link != nil && r.link.Area == area {
		return *r.link, nil
	}
	row, err := s.db.GetBotLinkForGuild(ctx, store.GetBotLinkForGuildParams{GuildID: r.In.GuildID, Area: area})
	if errors.Is(err, pgx.ErrNoRows) {
		if area == AreaLicensing {
			return Link{}, refuse("This server is not linked to a Luarmor project yet. A server manager runs /luarmor setup with a link code from the lumdesk portal.")
		}
		return Link{}, refuse("This server is not linked to a Lumira group yet. A server manager runs /lumira setup with a link code from the lumdesk portal.")
	}
	if err != nil {
		return Link{}, err
	}
	l := linkFromRow(row)
	r.link = &l
	return l, nil
}

// LinkCode is a new one-time code, shown once.
type LinkCode struct {
	Code      string
	Area      string
	TargetID  string // the project's or group's public id
	Target    string // its name
	RobloxID  int64  // a group's Roblox id (what /lumira setup asks for)
	ExpiresAt time.Time
	Command   string // what to type in Discord
}

// target is a project or group a code or link points at.
type target struct {
	dbID, accountID int64
	publicID, name  string
	robloxID        int64
}

// resolve finds the project (AreaLicensing: its public id) or the group
// (AreaRanking: its public id, or its Roblox group ID when that is one
// group within the scope) a code is made for.
func (s *Service) resolve(ctx context.Context, scope accounts.Scope, area, ref string) (target, error) {
	ref = strings.TrimSpace(ref)
	switch area {
	case AreaLicensing:
		p, err := s.db.GetBotProjectRef(ctx, ref)
		if errors.Is(err, pgx.ErrNoRows) || (err == nil && !scope.Allows(p.AccountID)) {
			return target{}, apperr.NotFound("project not found")
		}
		if err != nil {
			return target{}, err
		}
		return target{dbID: p.ID, accountID: p.AccountID, publicID: p.PublicID, name: p.Name}, nil
	case AreaRanking:
		if rid, err := strconv.ParseInt(ref, 10, 64); err == nil && rid > 0 {
			rows, err := s.db.FindBotGroupRefs(ctx, store.FindBotGroupRefsParams{RobloxGroupID: rid, AccountID: scope.Filter()})
			if err != nil {
				return target{}, err
			}
			switch len(rows) {
			case 0:
				return target{}, apperr.NotFound("group not found")
			case 1:
				g := rows[0]
				return target{dbID: g.ID, accountID: g.AccountID, publicID: g.PublicID, name: g.Name, robloxID: g.RobloxGroupID}, nil
			}
			return target{}, apperr.FieldErrors{"group": "several accounts have this Roblox group: give the group's id (grp_...)"}
		}
		g, err := s.db.GetBotGroupRef(ctx, ref)
		if errors.Is(err, pgx.ErrNoRows) || (err == nil && !scope.Allows(g.AccountID)) {
			return target{}, apperr.NotFound("group not found")
		}
		if err != nil {
			return target{}, err
		}
		return target{dbID: g.ID, accountID: g.AccountID, publicID: g.PublicID, name: g.Name, robloxID: g.RobloxGroupID}, nil
	}
	return target{}, apperr.FieldErrors{"area": "must be licensing or ranking"}
}

// NewLinkCode makes a one-time code that links a guild to a project
// (AreaLicensing, ref: its public id) or a group (AreaRanking, ref: its
// public id or Roblox group ID) of the scope. Only its hash is kept.
func (s *Service) NewLinkCode(ctx context.Context, actor audit.Actor, scope accounts.Scope, area, ref string) (LinkCode, error) {
	t, err := s.resolve(ctx, scope, area, ref)
	if err != nil {
		return LinkCode{}, err
	}
	code := "lnk_" + ids.Token(24)
	now := s.clock()
	p := store.InsertBotLinkCodeParams{CodeHash: ids.Hash(code), AccountID: t.accountID, Area: area,
		CreatedBy: truncate(actor.Kind+":"+actor.Label, 200), CreatedAt: now, ExpiresAt: now.Add(LinkCodeLife)}
	out := LinkCode{Code: code, Area: area, TargetID: t.publicID, Target: t.name, RobloxID: t.robloxID, ExpiresAt: p.ExpiresAt}
	if area == AreaLicensing {
		p.ProjectID = &t.dbID
		out.Command = fmt.Sprintf("/luarmor setup project:%s code:%s", t.publicID, code)
	} else {
		p.GroupID = &t.dbID
		out.Command = fmt.Sprintf("/lumira setup group:%d code:%s", t.robloxID, code)
	}
	if _, err := s.db.InsertBotLinkCode(ctx, p); err != nil {
		return LinkCode{}, err
	}
	return out, nil
}

// link runs a setup command: the code must be unused, unexpired and made
// for the target the caller named. A refused attempt leaves the code as
// it was; a successful one uses it up in the transaction that links.
func (s *Service) link(ctx context.Context, r *Request, area, ref, code, rankRole string) (Link, target, error) {
	if err := needManageServer(r); err != nil {
		return Link{}, target{}, err
	}
	code, ref = strings.TrimSpace(code), strings.TrimSpace(ref)
	bad := refuse("This link code is not valid for that %s. Make a new code in the lumdesk portal or with `lumdesk discord link-code`.", areaNoun(area))
	if code == "" || ref == "" || len(code) > 100 {
		return Link{}, target{}, bad
	}
	c, err := s.db.GetBotLinkCode(ctx, ids.Hash(code))
	if errors.Is(err, pgx.ErrNoRows) {
		return Link{}, target{}, bad
	}
	if err != nil {
		return Link{}, target{}, err
	}
	// The code names its target; the caller must name the same one, so a
	// code alone (seen over a shoulder) links nothing else.
	t, err := s.resolve(ctx, accounts.Only(c.AccountID), area, ref)
	if err != nil || c.Area != area || (area == AreaLicensing && (c.ProjectID == nil || *c.ProjectID != t.dbID)) ||
		(area == AreaRanking && (c.GroupID == nil || *c.GroupID != t.dbID)) {
		return Link{}, target{}, bad
	}
	now := s.clock()
	switch {
	case c.UsedAt != nil:
		return Link{}, target{}, refuse("This link code was already used. Make a new one.")
	case !c.ExpiresAt.After(now):
		return Link{}, target{}, refuse("This link code has expired. Make a new one.")
	}
	caller := r.In.Caller()
	var out Link
	err = s.db.Tx(ctx, func(q *store.Queries) error {
		if _, err := q.UseBotLinkCode(ctx, store.UseBotLinkCodeParams{ID: c.ID, Now: now, GuildID: r.In.GuildID}); errors.Is(err, pgx.ErrNoRows) {
			return refuse("This link code was already used. Make a new one.")
		} else if err != nil {
			return err
		}
		p := store.UpsertBotLinkParams{PublicID: newPublicID(), GuildID: r.In.GuildID, AccountID: c.AccountID, Area: area,
			RankRoleID: rankRole, LinkedBy: caller.ID, LinkedByName: truncate(callerName(caller), 100), CreatedAt: now}
		if area == AreaLicensing {
			p.ProjectID = &t.dbID
		} else {
			p.GroupID = &t.dbID
		}
		row, err := q.UpsertBotLink(ctx, p)
		if err != nil {
			return err
		}
		out = linkFromRow(row)
		out.TargetID, out.TargetName, out.RobloxGroupID = t.publicID, t.name, t.robloxID
		return audit.Record(ctx, q, r.Actor, audit.Event{Action: "bot_link.create", EntityType: audit.EntityBotLink, EntityID: out.ID,
			After: linkAudit(out)})
	})
	return out, t, err
}

func linkAudit(l Link) map[string]any {
	m := map[string]any{"guild_id": l.GuildID, "account_id": l.AccountID, "area": l.Area, "target": l.TargetID, "linked_by": l.LinkedBy}
	if l.Area == AreaRanking {
		m["rank_role_id"] = l.RankRoleID
	}
	return m
}

func areaNoun(area string) string {
	if area == AreaRanking {
		return "Lumira group"
	}
	return "Luarmor project"
}

func (s *Service) addSetupRoutes() {
	s.handle("/luarmor setup", "", false, func(ctx context.Context, s *Service, r *Request) (Reply, error) {
		l, _, err := s.link(ctx, r, AreaLicensing, discord.StringOption(r.Options, "project"), discord.StringOption(r.Options, "code"), "")
		if err != nil {
			return Reply{}, err
		}
		return Reply{Content: fmt.Sprintf("This server now serves the Luarmor project **%s**. Post the key panel with `/luarmor panel`.", mdText(l.TargetName))}, nil
	})
	s.handle("/lumira setup", "", false, func(ctx context.Context, s *Service, r *Request) (Reply, error) {
		role := discord.StringOption(r.Options, "rank_role")
		if role != "" && !discord.ValidSnowflake(role) {
			return Reply{}, refuse("That is not a Discord role.")
		}
		l, _, err := s.link(ctx, r, AreaRanking, discord.StringOption(r.Options, "group"), discord.StringOption(r.Options, "code"), role)
		if err != nil {
			return Reply{}, err
		}
		msg := fmt.Sprintf("This server now serves the Lumira group **%s** (Roblox group %d). Managers create API keys with `/apikey create`.", mdText(l.TargetName), l.RobloxGroupID)
		if l.RankRoleID != "" { // given now, or kept from the last setup of this group
			msg += fmt.Sprintf(" Members of <@&%s> may use `/rank`.", l.RankRoleID)
		} else {
			msg += " Choose who may use `/rank` by running setup again with `rank_role`, or in the lumdesk portal."
		}
		return Reply{Content: msg}, nil
	})
}

// LinkFilter narrows ListLinks.
type LinkFilter struct {
	Scope     accounts.Scope
	ProjectID string // a project's public id
	GroupID   string // a group's public id
	Limit     int    // default 100
}

// ListLinks lists the guild links within the scope, newest first.
func (s *Service) ListLinks(ctx context.Context, f LinkFilter) ([]Link, error) {
	p := store.ListBotLinksParams{AccountID: f.Scope.Filter(), Limit: int32(f.Limit)}
	if f.Limit <= 0 || f.Limit > 500 {
		p.Limit = 100
	}
	if f.ProjectID != "" {
		t, err := s.resolve(ctx, f.Scope, AreaLicensing, f.ProjectID)
		if err != nil {
			return nil, err
		}
		p.ProjectID = &t.dbID
	}
	if f.GroupID != "" {
		t, err := s.resolve(ctx, f.Scope, AreaRanking, f.GroupID)
		if err != nil {
			return nil, err
		}
		p.GroupID = &t.dbID
	}
	rows, err := s.db.ListBotLinks(ctx, p)
	if err != nil {
		return nil, err
	}
	out := make([]Link, len(rows))
	for i, r := range rows {
		out[i] = linkFromRow(store.BotLink{ID: r.ID, PublicID: r.PublicID, GuildID: r.GuildID, AccountID: r.AccountID, Area: r.Area,
			ProjectID: r.ProjectID, GroupID: r.GroupID, RankRoleID: r.RankRoleID, LinkedBy: r.LinkedBy, LinkedByName: r.LinkedByName,
			PanelLastUsedAt: r.PanelLastUsedAt, CreatedAt: r.CreatedAt})
		out[i].AccountName, out[i].TargetID, out[i].TargetName, out[i].RobloxGroupID = r.AccountName, r.TargetPublicID, r.TargetName, r.RobloxGroupID
	}
	return out, nil
}

// scopedLink locks a link of the scope for a change.
func (s *Service) scopedLink(ctx context.Context, scope accounts.Scope, id string) (store.BotLink, error) {
	if !ids.ValidPublic("gln", id) {
		return store.BotLink{}, ErrLinkNotFound
	}
	row, err := s.db.GetBotLink(ctx, id)
	if errors.Is(err, pgx.ErrNoRows) || (err == nil && !scope.Allows(row.AccountID)) {
		return store.BotLink{}, ErrLinkNotFound
	}
	return row, err
}

// Unlink removes a guild's link: the guild's panel and commands stop
// serving the project or group at once.
func (s *Service) Unlink(ctx context.Context, actor audit.Actor, scope accounts.Scope, id, reason string) error {
	row, err := s.scopedLink(ctx, scope, id)
	if err != nil {
		return err
	}
	return s.db.Tx(ctx, func(q *store.Queries) error {
		if err := q.DeleteBotLink(ctx, row.ID); err != nil {
			return err
		}
		return audit.Record(ctx, q, actor, audit.Event{Action: "bot_link.delete", EntityType: audit.EntityBotLink, EntityID: row.PublicID,
			Reason: truncate(strings.TrimSpace(reason), 500), Before: linkAudit(linkFromRow(row))})
	})
}

// SetRankRole chooses the Discord role whose members may use /rank in a
// Lumira link ("": nobody).
func (s *Service) SetRankRole(ctx context.Context, actor audit.Actor, scope accounts.Scope, id, roleID string) (Link, error) {
	roleID = strings.TrimSpace(roleID)
	if roleID != "" && !discord.ValidSnowflake(roleID) {
		return Link{}, apperr.FieldErrors{"rank_role_id": "must be a Discord role ID (digits), or empty for nobody"}
	}
	row, err := s.scopedLink(ctx, scope, id)
	if err != nil {
		return Link{}, err
	}
	if row.Area != AreaRanking {
		return Link{}, apperr.FieldErrors{"rank_role_id": "only a Lumira group's link has a rank role"}
	}
	var out Link
	err = s.db.Tx(ctx, func(q *store.Queries) error {
		updated, err := q.SetBotLinkRankRole(ctx, store.SetBotLinkRankRoleParams{ID: row.ID, RankRoleID: roleID})
		if err != nil {
			return err
		}
		out = linkFromRow(updated)
		return audit.Record(ctx, q, actor, audit.Event{Action: "bot_link.rank_role", EntityType: audit.EntityBotLink, EntityID: row.PublicID,
			Before: map[string]any{"rank_role_id": row.RankRoleID}, After: map[string]any{"rank_role_id": roleID}})
	})
	return out, err
}
