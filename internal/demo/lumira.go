package demo

import (
	"context"
	"errors"
	"fmt"
	"time"

	"lumdesk/internal/accounts"
	"lumdesk/internal/ranking"
)

// demoRankChange is one change to a demo sandbox member.
type demoRankChange struct {
	UserID  int64
	Kind    string // promote, demote, points
	Delta   int64
	Reason  string
	DaysAgo int
}

// The sandbox's members (roblox.DemoMembers) and what happens to them.
var demoRankChanges = []demoRankChange{
	{UserID: 9_000_000_001, Kind: ranking.KindPromote, Reason: "Passed the trainee interview", DaysAgo: 9},
	{UserID: 9_000_000_002, Kind: ranking.KindPoints, Delta: 40, Reason: "Hosted two training sessions", DaysAgo: 7},
	{UserID: 9_000_000_003, Kind: ranking.KindPromote, Reason: "Trainee period complete", DaysAgo: 5},
	{UserID: 9_000_000_004, Kind: ranking.KindPoints, Delta: 120, Reason: "Event staff, weekend raid", DaysAgo: 3},
	{UserID: 9_000_000_006, Kind: ranking.KindDemote, Reason: "Inactive for a month", DaysAgo: 1},
}

// seedLumira gives Nightfall a Sandbox group (no Roblox key: demo roles
// and members, nothing sent to Roblox) with its ladder, point thresholds,
// auto-promotion on and a few rank changes.
func seedLumira(ctx context.Context, d Deps) error {
	if d.Ranking == nil || d.Accounts == nil {
		return nil
	}
	acc, err := d.Accounts.GetByEmail(ctx, "ops@nightfall.gg")
	if errors.Is(err, accounts.ErrNotFound) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("demo lumira: %w", err)
	}
	scope := accounts.Only(acc.ID)
	have, err := d.Ranking.ListGroups(ctx, ranking.GroupFilter{Scope: scope, Limit: 1})
	if err != nil {
		return fmt.Errorf("demo lumira: %w", err)
	}
	if len(have) > 0 {
		return nil
	}
	now := time.Now().UTC()
	at := now.Add(-10 * 24 * time.Hour)
	svc := d.Ranking.WithClock(func() time.Time { return at })
	g, err := svc.AddGroup(ctx, actor, scope, ranking.GroupInput{RobloxGroupID: 4_815_162, Name: "Nightfall Guard", AutoPromote: true})
	if err != nil {
		return fmt.Errorf("demo lumira group: %w", err)
	}
	for _, ch := range demoRankChanges {
		at = now.Add(-time.Duration(ch.DaysAgo) * 24 * time.Hour)
		switch ch.Kind {
		case ranking.KindPromote:
			_, err = svc.Promote(ctx, actor, scope, g.ID, ch.UserID, ch.Reason)
		case ranking.KindDemote:
			_, err = svc.Demote(ctx, actor, scope, g.ID, ch.UserID, ch.Reason)
		default:
			_, err = svc.AddPoints(ctx, actor, scope, g.ID, ch.UserID, ch.Delta, ch.Reason)
		}
		if err != nil {
			return fmt.Errorf("demo lumira %s %d: %w", ch.Kind, ch.UserID, err)
		}
	}
	return nil
}
