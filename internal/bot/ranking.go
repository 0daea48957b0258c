package bot

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"lumdesk/internal/accounts"
	"lumdesk/internal/apikeys"
	"lumdesk/internal/bot/discord"
	"lumdesk/internal/ranking"
)

// Colours of the Lumira answers' embeds.
const (
	colorKey  = 0xf43f5e // rose, Lumira's hue
	colorList = 0x64748b
)

// maxListedKeys is how many keys /apikey list shows (an embed holds 25 fields).
const maxListedKeys = 20

// addRankingRoutes adds Lumira's /apikey and /rank commands. Both act for
// the account that owns the guild's linked group: /apikey for server
// managers (Manage Server), /rank for members of the link's rank role.
func (s *Service) addRankingRoutes() {
	s.handle("/apikey create", AreaRanking, false, apikeyCreate)
	s.handle("/apikey list", AreaRanking, false, apikeyList)
	s.handle("/apikey revoke", AreaRanking, false, apikeyRevoke)
	s.handle("/rank promote", AreaRanking, false, rankChange(ranking.KindPromote))
	s.handle("/rank demote", AreaRanking, false, rankChange(ranking.KindDemote))
	s.handle("/rank set", AreaRanking, false, rankChange(ranking.KindSet))
}

// apikeyCreate issues a Lumira key with every non-operator scope for the
// link's account. The secret is in the embed's description only: the
// interactions log keeps the title, and errors never carry it.
func apikeyCreate(ctx context.Context, s *Service, r *Request) (Reply, error) {
	if err := needManageServer(r); err != nil {
		return Reply{}, err
	}
	l, err := s.guildLink(ctx, r, AreaRanking)
	if err != nil {
		return Reply{}, err
	}
	name := strings.TrimSpace(discord.StringOption(r.Options, "name"))
	if name == "" {
		return Reply{}, refuse("Give the key a name saying what it is for: `/apikey create name:<text>`.")
	}
	p, _ := apikeys.LookupProduct(apikeys.Lumira)
	c, err := s.deps.APIKeys.CreateIn(ctx, r.Actor, accounts.Only(l.AccountID), apikeys.CreateInput{
		Product: apikeys.Lumira, Name: name, Scopes: p.StandardScopes()})
	if err != nil {
		return Reply{}, err
	}
	k := c.Key
	return Reply{Embeds: []discord.Embed{{
		Title: "Lumira API key created",
		Description: "Copy the key now: it is shown only this once and cannot be read back.\n```\n" + c.Secret + "\n```\n" +
			"Send it as `Authorization: Bearer <key>` to the Lumira API.",
		Color: colorKey,
		Fields: []discord.EmbedField{
			{Name: "Name", Value: mdText(k.Name), Inline: true},
			{Name: "Prefix", Value: "`" + k.Prefix + "`", Inline: true},
			{Name: "Scopes", Value: "`" + strings.Join(k.Scopes, "`, `") + "`"},
		},
		Footer: &discord.EmbedFooter{Text: "Revoke it with /apikey revoke prefix:" + k.Prefix},
	}}}, nil
}

// apikeyList lists the account's Lumira keys, newest first: prefixes,
// never secrets.
func apikeyList(ctx context.Context, s *Service, r *Request) (Reply, error) {
	if err := needManageServer(r); err != nil {
		return Reply{}, err
	}
	l, err := s.guildLink(ctx, r, AreaRanking)
	if err != nil {
		return Reply{}, err
	}
	page, err := s.deps.APIKeys.ListIn(ctx, accounts.Only(l.AccountID), apikeys.ListParams{Product: apikeys.Lumira, Limit: maxListedKeys})
	if err != nil {
		return Reply{}, err
	}
	if len(page.Keys) == 0 {
		return Reply{Content: "This server's Lumira account has no API keys yet. Create one with `/apikey create name:<what it is for>`."}, nil
	}
	now := s.clock()
	e := discord.Embed{Title: "Lumira API keys", Color: colorList,
		Description: "Newest first. Secrets are shown once, at creation; revoke a key with `/apikey revoke prefix:<prefix>`."}
	for _, k := range page.Keys {
		used := "never used"
		if k.LastUsedAt != nil {
			used = "last used " + discordTime(*k.LastUsedAt, "R")
		}
		name := k.Name
		if name == "" {
			name = "(no name)"
		}
		e.Fields = append(e.Fields, discord.EmbedField{Name: truncate(k.Prefix+" · "+name, 256),
			Value: fmt.Sprintf("%s · created %s · %s", k.StatusAt(now), discordTime(k.CreatedAt, "d"), used)})
	}
	if page.Next != "" {
		e.Footer = &discord.EmbedFooter{Text: fmt.Sprintf("Only the newest %d keys are shown; the lumdesk portal lists them all.", maxListedKeys)}
	}
	return Reply{Embeds: []discord.Embed{e}}, nil
}

// apikeyRevoke revokes the account's Lumira key with a display prefix; a
// prefix of no key of the account (another account's key included) is
// not found.
func apikeyRevoke(ctx context.Context, s *Service, r *Request) (Reply, error) {
	if err := needManageServer(r); err != nil {
		return Reply{}, err
	}
	l, err := s.guildLink(ctx, r, AreaRanking)
	if err != nil {
		return Reply{}, err
	}
	prefix := strings.TrimSpace(discord.StringOption(r.Options, "prefix"))
	prefix = strings.TrimSuffix(strings.TrimSuffix(strings.Trim(prefix, "`"), "…"), "...")
	notFound := refuse("API key not found: this server's Lumira account has no key with the prefix `%s`. `/apikey list` shows the prefixes.",
		strings.ReplaceAll(truncate(prefix, 40), "`", ""))
	if prefix == "" || len(prefix) > apikeys.MaxPrefixSearch {
		return Reply{}, notFound
	}
	scope := accounts.Only(l.AccountID)
	page, err := s.deps.APIKeys.ListIn(ctx, scope, apikeys.ListParams{Product: apikeys.Lumira, PrefixSearch: prefix, Limit: apikeys.MaxPageSize})
	if err != nil {
		return Reply{}, err
	}
	var match []apikeys.Key
	for _, k := range page.Keys {
		if k.Prefix == prefix {
			match = append(match, k)
		}
	}
	switch {
	case len(match) == 0:
		return Reply{}, notFound
	case len(match) > 1:
		// Display prefixes are short: two keys may share one. Revoke the
		// active one if only one is; otherwise the portal tells them apart.
		var active []apikeys.Key
		for _, k := range match {
			if k.RevokedAt == nil {
				active = append(active, k)
			}
		}
		if len(active) != 1 {
			return Reply{}, refuse("Several keys have the prefix `%s`. Revoke the one you mean in the lumdesk portal.", prefix)
		}
		match = active
	}
	k := match[0]
	if k.RevokedAt != nil {
		return Reply{}, refuse("The key `%s` (%s) is already revoked.", k.Prefix, mdText(k.Name))
	}
	caller := r.In.Caller()
	_, err = s.deps.APIKeys.RevokeIn(ctx, r.Actor, scope, k.ID, "revoked in Discord with /apikey revoke by "+callerName(caller))
	switch {
	case errors.Is(err, apikeys.ErrAlreadyRevoked):
		return Reply{}, refuse("The key `%s` (%s) is already revoked.", k.Prefix, mdText(k.Name))
	case errors.Is(err, apikeys.ErrNotFound):
		return Reply{}, notFound
	case err != nil:
		return Reply{}, err
	}
	return Reply{Content: fmt.Sprintf("Revoked the Lumira API key `%s` (%s): it stops working at once.", k.Prefix, mdText(k.Name))}, nil
}

// rankChange is /rank promote, demote or set: for members of the link's
// rank role, through the ranking service (ceiling, ladder, logs, the
// group's Discord log message), as the Discord user.
func rankChange(kind string) func(ctx context.Context, s *Service, r *Request) (Reply, error) {
	return func(ctx context.Context, s *Service, r *Request) (Reply, error) {
		l, err := s.guildLink(ctx, r, AreaRanking)
		if err != nil {
			return Reply{}, err
		}
		switch {
		case l.RankRoleID == "":
			return Reply{}, refuse("Nobody may use /rank in this server yet: the group owner must choose a Discord role for it " +
				"(in the lumdesk portal, or with `/lumira setup` and its `rank_role` option).")
		case !r.In.HasRole(l.RankRoleID):
			return Reply{}, refuse("Only members of the <@&%s> role may use /rank.", l.RankRoleID)
		}
		var rank int
		if kind == ranking.KindSet {
			n, err := strconv.Atoi(discord.StringOption(r.Options, "rank"))
			if err != nil || n < 1 || n > 254 {
				return Reply{}, refuse("Give a rank from 1 to 254.")
			}
			rank = n
		}
		g, err := s.db.GetBotGroupRefByID(ctx, l.GroupDBID)
		if errors.Is(err, pgx.ErrNoRows) {
			return Reply{}, ranking.ErrGroupNotFound
		}
		if err != nil {
			return Reply{}, err
		}
		scope := accounts.Only(l.AccountID)
		u, err := s.deps.Ranking.LookupUsername(ctx, scope, discord.StringOption(r.Options, "user"))
		if err != nil {
			return Reply{}, err
		}
		reason := "Discord /rank by " + callerName(r.In.Caller())
		var c ranking.Change
		switch kind {
		case ranking.KindPromote:
			c, err = s.deps.Ranking.Promote(ctx, r.Actor, scope, g.PublicID, u.UserID, reason)
		case ranking.KindDemote:
			c, err = s.deps.Ranking.Demote(ctx, r.Actor, scope, g.PublicID, u.UserID, reason)
		default:
			c, err = s.deps.Ranking.SetRank(ctx, r.Actor, scope, g.PublicID, u.UserID, ranking.RankInput{Rank: &rank, Reason: reason})
		}
		if err != nil {
			return Reply{}, err
		}
		who := mdText(u.Username)
		if !c.Changed {
			return Reply{Content: fmt.Sprintf("**%s** already holds **%s** (rank %d) in %s: nothing changed.",
				who, mdText(c.NewRole.Name), c.NewRole.Rank, mdText(g.Name))}, nil
		}
		verb := map[string]string{ranking.KindPromote: "Promoted", ranking.KindDemote: "Demoted", ranking.KindSet: "Set the rank of"}[kind]
		return Reply{Content: fmt.Sprintf("%s **%s** in %s: **%s** (rank %d) → **%s** (rank %d).", verb, who, mdText(g.Name),
			mdText(c.OldRole.Name), c.OldRole.Rank, mdText(c.NewRole.Name), c.NewRole.Rank)}, nil
	}
}

// discordTime is a timestamp Discord shows in the reader's time zone
// (style "d": date, "R": relative).
func discordTime(t time.Time, style string) string {
	return fmt.Sprintf("<t:%d:%s>", t.Unix(), style)
}

// mdText is user text made safe inside Discord markdown.
func mdText(s string) string {
	return strings.NewReplacer("\\", "\\\\", "*", "\\*", "_", "\\_", "`", "\\`", "~", "\\~", "|", "\\|", "<", "\\<", "@", "@\u200b").Replace(s)
}
