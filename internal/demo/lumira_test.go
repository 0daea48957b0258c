package demo_test

import (
	"bytes"
	"context"
	"testing"

	"lumdesk/handlers/server"
	"lumdesk/internal/accounts"
	"lumdesk/internal/demo"
	"lumdesk/internal/platform/config"
	"lumdesk/internal/platform/db"
	"lumdesk/internal/platform/secretbox"
	"lumdesk/internal/platform/testdb"
	"lumdesk/internal/ranking"
)

// The demo's Lumira is one Sandbox group of Nightfall's with its ladder,
// auto-promotion and the seeded changes; seeding twice adds nothing.
func TestSeedLumira(t *testing.T) {
	t.Parallel()
	d := db.New(testdb.New(t))
	box, _ := secretbox.New(bytes.Repeat([]byte{1}, 32))
	svc := server.NewServices(config.Config{Demo: true, DataDir: t.TempDir()}, d, box)
	t.Cleanup(svc.Licensing.Close)
	ctx := context.Background()
	for i := 0; i < 2; i++ {
		if _, err := demo.Seed(ctx, svc.DemoDeps()); err != nil {
			t.Fatalf("seed %d: %v", i, err)
		}
	}
	groups, err := svc.Ranking.ListGroups(ctx, ranking.GroupFilter{Scope: accounts.AllAccounts})
	if err != nil || len(groups) != 1 {
		t.Fatalf("groups: %d %v", len(groups), err)
	}
	g := groups[0]
	if !g.Sandbox || g.Status != ranking.StatusSandbox || !g.AutoPromote || len(g.Ladder()) < 3 {
		t.Errorf("group: %+v", g)
	}
	acc, err := svc.Accounts.GetByEmail(ctx, "ops@nightfall.gg")
	if err != nil || acc.ID != g.AccountID {
		t.Errorf("the group is not Nightfall's: %v", err)
	}
	logs, err := svc.Ranking.Logs(ctx, accounts.AllAccounts, g.ID, ranking.LogFilter{Limit: 50})
	if err != nil {
		t.Fatal(err)
	}
	kinds := map[string]int{}
	for _, a := range logs.Items {
		if a.Status != ranking.ActionDone {
			t.Errorf("action %s is %s", a.ID, a.Status)
		}
		kinds[a.Kind]++
	}
	if kinds[ranking.KindPromote] < 2 || kinds[ranking.KindDemote] != 1 || kinds[ranking.KindPoints] != 2 {
		t.Errorf("actions by kind: %v", kinds)
	}
	members, err := svc.Ranking.ListMembers(ctx, accounts.AllAccounts, g.ID, "", 0, 50)
	if err != nil || len(members) < 5 {
		t.Errorf("members: %d %v", len(members), err)
	}
}
