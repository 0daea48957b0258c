package ranking_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/jackc/pgx/v5/pgxpool"

	"lumdesk/internal/accounts"
	"lumdesk/internal/platform/db"
	"lumdesk/internal/platform/partition"
	"lumdesk/internal/ranking"
	"lumdesk/internal/ranking/roblox"
	"lumdesk/internal/ranking/roblox/robloxtest"
)

func TestAddGroupSyncsFromRoblox(t *testing.T) {
	t.Parallel()
	f := newRFixture(t)
	g := f.group
	if g.Name != "Test Clan" || g.Status != ranking.StatusConnected || g.Sandbox || !g.HasKey || g.Ceiling != 100 || len(g.Roles) != 9 {
		t.Fatalf("group = %+v", g)
	}
	if diff := cmp.Diff([]string{"group:read", "legacy-group:manage"}, g.KeyScopes); diff != "" {
		t.Fatalf("scopes (-want +got):\n%s", diff)
	}
	if g.Webhook.Status != ranking.WebhookOK || !g.Webhook.Set {
		t.Fatalf("webhook = %+v", g.Webhook)
	}
	var ladder []string
	for _, r := range g.Ladder() {
		ladder = append(ladder, fmt.Sprintf("%s:%d", r.ID, r.PointsRequired))
	}
	if diff := cmp.Diff([]string{"101:0", "105:10", "110:30", "150:100"}, ladder); diff != "" {
		t.Fatalf("ladder (-want +got):\n%s", diff)
	}
	if _, err := f.svc.GetGroup(rctx, accounts.Only(f.other), g.ID); !errors.Is(err, ranking.ErrGroupNotFound) {
		t.Fatalf("another account's group: %v", err)
	}
	if _, err := f.svc.GetGroup(rctx, accounts.AllAccounts, g.ID); err != nil {
		t.Fatalf("staff: %v", err)
	}
	gs, err := f.svc.ListGroups(rctx, ranking.GroupFilter{Scope: accounts.Only(f.other)})
	if err != nil || len(gs) != 0 {
		t.Fatalf("other's list = %v, %v", gs, err)
	}
	var n int
	if err := f.db.Pool.QueryRow(rctx, "SELECT count(*) FROM audit_events WHERE entity_type = 'lumira_group' AND entity_id = $1", g.ID).Scan(&n); err != nil || n != 2 {
		t.Fatalf("audit rows %d, %v (create and ladder)", n, err)
	}
}

func TestAddGroupRefusesBadInput(t *testing.T) {
	t.Parallel()
	f := newRFixture(t)
	_, err := f.svc.AddGroup(rctx, rActor, f.scope, ranking.GroupInput{RobloxGroupID: 0, RobloxKey: "a b", Ceiling: 300,
		DiscordWebhook: "https://evil.example/api/webhooks/1/x"})
	var fe ranking.ValidationError
	if !errors.As(err, &fe) || len(fe) != 4 || fe["group_id"] == "" || fe["roblox_key"] == "" || fe["ceiling"] == "" || fe["discord_webhook"] == "" {
		t.Fatalf("err = %v", err)
	}
	if _, err := f.svc.AddGroup(rctx, rActor, f.scope, ranking.GroupInput{RobloxGroupID: 999, RobloxKey: rKey}); !errors.As(err, &fe) || fe["group_id"] == "" {
		t.Fatalf("unknown group: %v", err)
	}
	if _, err := f.svc.AddGroup(rctx, rActor, f.scope, ranking.GroupInput{RobloxGroupID: rGroupID, RobloxKey: rKey}); !errors.As(err, &fe) || fe["group_id"] == "" {
		t.Fatalf("the same group twice: %v", err)
	}
	if _, err := f.svc.AddGroup(rctx, rActor, accounts.AllAccounts, ranking.GroupInput{RobloxGroupID: 5}); !errors.As(err, &fe) || fe["account"] == "" {
		t.Fatalf("staff without an account: %v", err)
	}
	// A key Roblox refuses: the group is added, key_invalid, and not usable.
	g, err := f.svc.AddGroup(rctx, rActor, accounts.Only(f.other), ranking.GroupInput{RobloxGroupID: rGroupID, RobloxKey: "wrong-key"})
	if err != nil || g.Status != ranking.StatusKeyInvalid || g.StatusMessage == "" {
		t.Fatalf("bad key: %+v, %v", g, err)
	}
	f.member(1, "someone", "101")
	_, err = f.svc.Promote(rctx, rActor, accounts.Only(f.other), g.ID, 1, "")
	wantCode(t, err, "group_not_set_up")
	// The right key connects it.
	if _, err := f.svc.SetKey(rctx, rActor, accounts.Only(f.other), g.ID, ""); ranking.ErrorCode(err) != "validation_error" {
		t.Fatalf("empty key: %v", err)
	}
	g, err = f.svc.SetKey(rctx, rActor, accounts.Only(f.other), g.ID, rKey)
	if err != nil || g.Status != ranking.StatusConnected || g.Name != "Test Clan" || len(g.Roles) != 9 {
		t.Fatalf("after SetKey: %+v, %v", g, err)
	}
	if _, err := f.svc.Promote(rctx, rActor, accounts.Only(f.other), g.ID, 1, ""); err != nil {
		t.Fatal(err)
	}
}

func TestRankRules(t *testing.T) {
	t.Parallel()
	f := newRFixture(t)
	f.member(1, "alpha", "101")
	f.member(2, "bot", "200")   // the ceiling's own rank
	f.member(3, "admin", "250") // above the ceiling
	f.member(4, "offladder", "120")
	f.member(5, "senior", "150")
	s, g := f.svc, f.group.ID
	for _, r := range []int{0, 255, 100, 150} {
		_, err := s.SetRank(rctx, rActor, f.scope, g, 1, ranking.RankInput{Rank: &r})
		wantCode(t, err, "rank_not_assignable")
	}
	_, err := s.SetRank(rctx, rActor, f.scope, g, 1, ranking.RankInput{RoleID: "255"})
	wantCode(t, err, "rank_not_assignable")
	seven := 7
	_, err = s.SetRank(rctx, rActor, f.scope, g, 1, ranking.RankInput{Rank: &seven})
	wantCode(t, err, "validation_error")
	for _, u := range []int64{2, 3} {
		_, err := s.Promote(rctx, rActor, f.scope, g, u, "")
		wantCode(t, err, "member_above_ceiling")
		_, err = s.Demote(rctx, rActor, f.scope, g, u, "")
		wantCode(t, err, "member_above_ceiling")
	}
	_, err = s.Promote(rctx, rActor, f.scope, g, 99, "")
	wantCode(t, err, "user_not_in_group")
	_, err = s.Promote(rctx, rActor, accounts.Only(f.other), g, 1, "")
	wantCode(t, err, "group_not_found")
	if f.rbx.AssignCalls+f.rbx.PatchCalls != 0 {
		t.Fatalf("a refused change called Roblox: %d", f.rbx.AssignCalls)
	}

	// The same rank twice: the second changes nothing and calls nothing.
	five := 5
	c, err := s.SetRank(rctx, rActor, f.scope, g, 1, ranking.RankInput{Rank: &five, Reason: "trial passed"})
	if err != nil || !c.Changed || c.OldRole.Rank != 1 || c.NewRole.Rank != 5 || c.Action == nil || c.Action.Status != ranking.ActionDone {
		t.Fatalf("set 5 = %+v, %v", c, err)
	}
	calls := f.rbx.AssignCalls
	c, err = s.SetRank(rctx, rActor, f.scope, g, 1, ranking.RankInput{Rank: &five})
	if err != nil || c.Changed || c.Action != nil || f.rbx.AssignCalls != calls {
		t.Fatalf("set 5 again = %+v, %v (assign calls %d → %d)", c, err, calls, f.rbx.AssignCalls)
	}
	if f.rbx.RoleOf(rGroupID, 1) != "105" {
		t.Fatalf("roblox role %s", f.rbx.RoleOf(rGroupID, 1))
	}

	// Promote and demote follow the ladder, skipping Off-ladder (20).
	if got := rankOf(t)(s.Promote(rctx, rActor, f.scope, g, 1, "")); got != 10 {
		t.Fatalf("promote from 5 → %d", got)
	}
	if got := rankOf(t)(s.Promote(rctx, rActor, f.scope, g, 1, "")); got != 50 {
		t.Fatalf("promote from 10 → %d, want 50 (20 is off the ladder)", got)
	}
	_, err = s.Promote(rctx, rActor, f.scope, g, 5, "")
	wantCode(t, err, "top_of_ladder")
	if got := rankOf(t)(s.Demote(rctx, rActor, f.scope, g, 4, "")); got != 10 {
		t.Fatalf("demote from 20 → %d", got)
	}
	for i := 0; i < 2; i++ {
		if _, err := s.Demote(rctx, rActor, f.scope, g, 4, ""); err != nil {
			t.Fatal(err)
		}
	}
	_, err = s.Demote(rctx, rActor, f.scope, g, 4, "")
	wantCode(t, err, "bottom_of_ladder")
	if f.rbx.RoleOf(rGroupID, 4) != "101" {
		t.Fatalf("roblox role of 4: %s", f.rbx.RoleOf(rGroupID, 4))
	}
	m, err := s.GetMember(rctx, f.scope, g, 1)
	if err != nil || m.Rank != 50 || m.RoleName != "Senior" || m.LastChangeAt == nil {
		t.Fatalf("member = %+v, %v", m, err)
	}
	_, err = s.GetMember(rctx, f.scope, g, 99)
	wantCode(t, err, "user_not_in_group")

	// Usernames: Roblox's users API, then cached on the member.
	u, err := s.LookupUsername(rctx, f.scope, "ALPHA")
	if err != nil || u.UserID != 1 || u.Username != "alpha" {
		t.Fatalf("lookup = %+v, %v", u, err)
	}
	if m, err := s.GetMember(rctx, f.scope, g, 1); err != nil || m.Username != "alpha" {
		t.Fatalf("cached username: %+v, %v", m, err)
	}
	_, err = s.LookupUsername(rctx, f.scope, "nobody_here")
	wantCode(t, err, "user_not_found")
	_, err = s.LookupUsername(rctx, f.scope, "no spaces!")
	wantCode(t, err, "validation_error")

	// A lower ceiling: Senior (50) is no longer assignable, and its member
	// is no longer changed.
	_, err = s.SetCeiling(rctx, rActor, f.scope, g, 1)
	wantCode(t, err, "validation_error")
	if _, err := s.SetCeiling(rctx, rActor, f.scope, g, 40); err != nil {
		t.Fatal(err)
	}
	fifty := 50
	_, err = s.SetRank(rctx, rActor, f.scope, g, 4, ranking.RankInput{Rank: &fifty})
	wantCode(t, err, "rank_not_assignable")
	_, err = s.Demote(rctx, rActor, f.scope, g, 1, "")
	wantCode(t, err, "member_above_ceiling")
	if got := rankOf(t)(s.Promote(rctx, rActor, f.scope, g, 4, "")); got != 5 {
		t.Fatalf("promote from 1 → %d", got)
	}
	if got := rankOf(t)(s.Promote(rctx, rActor, f.scope, g, 4, "")); got != 10 {
		t.Fatalf("promote from 5 → %d", got)
	}
	_, err = s.Promote(rctx, rActor, f.scope, g, 4, "")
	wantCode(t, err, "top_of_ladder") // Junior (10) is the last step below 40
}

func TestRobloxRefusalSettlesTheActionFailed(t *testing.T) {
	t.Parallel()
	f := newRFixture(t)
	f.rbx.AddKey("read-only", robloxtest.Key{})
	g, err := f.svc.AddGroup(rctx, rActor, accounts.Only(f.other), ranking.GroupInput{RobloxGroupID: rGroupID, RobloxKey: "read-only", Ceiling: 100})
	if err != nil {
		t.Fatal(err)
	}
	f.member(1, "alpha", "101")
	_, err = f.svc.Promote(rctx, rActor, accounts.Only(f.other), g.ID, 1, "")
	wantCode(t, err, "roblox_unavailable")
	page, err := f.svc.Logs(rctx, accounts.Only(f.other), g.ID, ranking.LogFilter{})
	if err != nil || len(page.Items) != 1 || page.Items[0].Status != ranking.ActionFailed || page.Items[0].NewRoleID != "105" {
		t.Fatalf("log = %+v, %v", page, err)
	}
	if a := page.Items[0]; a.Error == "" || a.SettledAt == nil {
		t.Fatalf("failed action without Roblox's answer: %+v", a)
	}
}

func TestAddPointsAutoPromotesWithinTheCeiling(t *testing.T) {
	t.Parallel()
	f := newRFixture(t)
	f.member(1, "alpha", "101")
	s, g := f.svc, f.group.ID
	// Admin (150) is above the ceiling: on the ladder, never reached by points.
	if _, err := s.SetLadder(rctx, rActor, f.scope, g, []ranking.LadderStep{{RoleID: "101"}, {RoleID: "105", PointsRequired: 10},
		{RoleID: "110", PointsRequired: 30}, {RoleID: "150", PointsRequired: 100}, {RoleID: "250", PointsRequired: 200}}); err != nil {
		t.Fatal(err)
	}
	c, err := s.AddPoints(rctx, rActor, f.scope, g, 1, 35, "event")
	if err != nil || c.Changed || c.Points != 35 || c.PointsAction == nil {
		t.Fatalf("without auto-promotion: %+v, %v", c, err)
	}
	if _, err := s.SetAutoPromote(rctx, rActor, f.scope, g, true); err != nil {
		t.Fatal(err)
	}
	c, err = s.AddPoints(rctx, rActor, f.scope, g, 1, 1, "")
	if err != nil || !c.Changed || c.NewRole.Rank != 10 || c.Points != 36 || c.Action == nil || c.Action.Kind != ranking.KindPromote {
		t.Fatalf("36 points: %+v, %v", c, err)
	}
	c, err = s.AddPoints(rctx, rActor, f.scope, g, 1, 1000, "")
	if err != nil || c.NewRole.Rank != 50 {
		t.Fatalf("1036 points: %+v, %v (never past the ceiling)", c, err)
	}
	if _, err := s.AddPoints(rctx, rActor, f.scope, g, 1, 0, ""); err == nil {
		t.Fatal("a zero delta was accepted")
	}
	m, err := s.GetMember(rctx, f.scope, g, 1)
	if err != nil || m.Points != 1036 || m.Rank != 50 {
		t.Fatalf("member = %+v, %v", m, err)
	}
}

func TestSetLadderValidates(t *testing.T) {
	t.Parallel()
	f := newRFixture(t)
	for name, steps := range map[string][]ranking.LadderStep{
		"empty":        nil,
		"unknown role": {{RoleID: "999"}},
		"guest":        {{RoleID: "100"}},
		"owner":        {{RoleID: "255"}},
		"going down":   {{RoleID: "110"}, {RoleID: "105"}},
		"twice":        {{RoleID: "105"}, {RoleID: "105"}},
		"points fall":  {{RoleID: "105", PointsRequired: 20}, {RoleID: "110", PointsRequired: 10}},
		"negative":     {{RoleID: "105", PointsRequired: -1}},
	} {
		_, err := f.svc.SetLadder(rctx, rActor, f.scope, f.group.ID, steps)
		if ranking.ErrorCode(err) != "validation_error" {
			t.Errorf("%s: %v", name, err)
		}
	}
}

func TestBatchAnswersEachItem(t *testing.T) {
	t.Parallel()
	f := newRFixture(t)
	f.member(1, "alpha", "101")
	f.member(2, "beta", "110")
	three := 5
	zero := 0
	res, err := f.svc.Batch(rctx, rActor, f.scope, f.group.ID, []ranking.BatchItem{
		{Ref: "a", UserID: 1, Action: ranking.BatchPromote},
		{UserID: 2, Action: ranking.BatchSet, Rank: &three},
		{UserID: 2, Action: ranking.BatchSet, Rank: &zero},
		{UserID: 77, Action: ranking.BatchDemote},
		{UserID: 1, Action: "fire"},
		{UserID: 1, Action: ranking.BatchPoints, Delta: 5},
	})
	if err != nil {
		t.Fatal(err)
	}
	type item struct{ Ref, Status, Code string }
	var got []item
	for _, it := range res.Items {
		got = append(got, item{it.Ref, it.Status, it.Code})
	}
	want := []item{{"a", "ok", ""}, {"1", "ok", ""}, {"2", "error", "rank_not_assignable"}, {"3", "error", "user_not_in_group"},
		{"4", "error", "validation_error"}, {"5", "ok", ""}}
	if diff := cmp.Diff(want, got); diff != "" || res.Total != 6 || res.OK != 3 || res.Failed != 3 {
		t.Fatalf("batch %d/%d/%d (-want +got):\n%s", res.Total, res.OK, res.Failed, diff)
	}
	if res.Items[1].Result.NewRole.Rank != 5 || f.rbx.RoleOf(rGroupID, 2) != "105" {
		t.Fatalf("item 1 = %+v", res.Items[1].Result)
	}
	for _, n := range []int{0, 101} {
		_, err := f.svc.Batch(rctx, rActor, f.scope, f.group.ID, make([]ranking.BatchItem, n))
		wantCode(t, err, "validation_error")
	}
}

// Five promotes of one member at once, from two "processes" (two service
// values on one database): each moves one step, up to the top.
func TestConcurrentPromotesOfOneMember(t *testing.T) {
	t.Parallel()
	f := newRFixture(t)
	sb, err := f.svc.AddGroup(rctx, rActor, f.scope, ranking.GroupInput{RobloxGroupID: 7})
	if err != nil {
		t.Fatal(err)
	}
	// The other process has its own pool, as it would.
	pool2, err := pgxpool.NewWithConfig(rctx, f.db.Pool.Config().Copy())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool2.Close)
	other := ranking.NewService(db.New(pool2), nil, ranking.Settings{})
	const user = 9_000_000_001 // sandbox_alex, a Member (rank 1); the ladder has 5 steps above
	run := func(svc [2]*ranking.Service, group string, n int) []error {
		var wg sync.WaitGroup
		errs := make([]error, n)
		for i := 0; i < n; i++ {
			wg.Add(1)
			go func(i int) {
				defer wg.Done()
				_, errs[i] = svc[i%2].Promote(rctx, rActor, f.scope, group, user, fmt.Sprint("promote ", i))
			}(i)
		}
		wg.Wait()
		return errs
	}
	for _, err := range run([2]*ranking.Service{f.svc, other}, sb.ID, 5) {
		if err != nil {
			t.Fatal(err)
		}
	}
	m, err := f.svc.GetMember(rctx, f.scope, sb.ID, user)
	if err != nil || m.Rank != 200 {
		t.Fatalf("after 5 promotes: %+v, %v (want Manager, 200: five steps)", m, err)
	}
	// Against the test Roblox: 3 steps to the top, the rest top_of_ladder.
	f.member(1, "alpha", "101")
	var tops int
	for i, err := range func() []error {
		var wg sync.WaitGroup
		errs := make([]error, 5)
		for i := 0; i < 5; i++ {
			wg.Add(1)
			go func(i int) {
				defer wg.Done()
				_, errs[i] = f.svc.Promote(rctx, rActor, f.scope, f.group.ID, 1, "")
			}(i)
		}
		wg.Wait()
		return errs
	}() {
		switch ranking.ErrorCode(err) {
		case "":
		case "top_of_ladder":
			tops++
		default:
			t.Fatalf("promote %d: %v", i, err)
		}
	}
	if tops != 2 || f.rbx.RoleOf(rGroupID, 1) != "150" {
		t.Fatalf("top_of_ladder %d times, role %s", tops, f.rbx.RoleOf(rGroupID, 1))
	}
}

// The answer to a rank change is lost after Roblox applied it: the action
// stays pending, and SettlePending settles it from the membership.
func TestLostAnswerIsSettledFromTheMembership(t *testing.T) {
	t.Parallel()
	f := newRFixture(t)
	f.member(1, "alpha", "101")
	f.rbx.DropAfterAssign = true
	_, err := f.svc.Promote(rctx, rActor, f.scope, f.group.ID, 1, "lost")
	wantCode(t, err, "roblox_unavailable")
	page, err := f.svc.Logs(rctx, f.scope, f.group.ID, ranking.LogFilter{})
	if err != nil || len(page.Items) != 1 || page.Items[0].Status != ranking.ActionPending {
		t.Fatalf("log = %+v, %v", page.Items, err)
	}
	if f.rbx.RoleOf(rGroupID, 1) != "105" {
		t.Fatalf("the fake did not apply the change")
	}
	// Not yet old enough.
	if n, err := f.svc.SettlePending(rctx, rActor, accounts.AllAccounts, "", time.Hour); err != nil || n != 0 {
		t.Fatalf("settled %d, %v", n, err)
	}
	n, err := f.svc.SettlePending(rctx, rActor, accounts.AllAccounts, "", 0)
	if err != nil || n != 1 {
		t.Fatalf("settled %d, %v", n, err)
	}
	a, err := f.svc.GetAction(rctx, f.scope, page.Items[0].ID)
	if err != nil || a.Status != ranking.ActionDone || a.NewRank == nil || *a.NewRank != 5 || a.SettledAt == nil {
		t.Fatalf("action = %+v, %v", a, err)
	}
	if _, err := f.svc.GetAction(rctx, accounts.Only(f.other), a.ID); !errors.Is(err, ranking.ErrActionNotFound) {
		t.Fatalf("another account's action: %v", err)
	}
	// A second pass finds nothing left.
	if n, err := f.svc.SettlePending(rctx, rActor, accounts.AllAccounts, "", 0); err != nil || n != 0 {
		t.Fatalf("second pass settled %d, %v", n, err)
	}
	// The member moves on from there.
	if got := rankOf(t)(f.svc.Promote(rctx, rActor, f.scope, f.group.ID, 1, "")); got != 10 {
		t.Fatalf("next promote → %d", got)
	}
}

func TestReconcileFindsOutsideChanges(t *testing.T) {
	t.Parallel()
	f := newRFixture(t)
	f.member(1, "alpha", "101")
	f.member(2, "beta", "101")
	if _, err := f.svc.Promote(rctx, rActor, f.scope, f.group.ID, 1, ""); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.GetMember(rctx, f.scope, f.group.ID, 2); err != nil {
		t.Fatal(err)
	}
	at := time.Now().UTC().Add(-time.Minute).Truncate(time.Second)
	f.rbx.SetRoleOutside(rGroupID, 1, "150", 555, "rogue_admin", at)
	res, err := f.svc.Reconcile(rctx, rActor, f.scope, f.group.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !res.AuditLog || res.Checked != 2 || len(res.Findings) != 1 {
		t.Fatalf("reconciliation = %+v", res)
	}
	fd := res.Findings[0]
	if fd.UserID != 1 || fd.FromRoleID != "105" || fd.ToRoleID != "150" || fd.ChangedByName != "rogue_admin" || fd.Source != "audit_log" ||
		fd.ChangedAt == nil || !fd.ChangedAt.Equal(at) || fd.ActionID == "" {
		t.Fatalf("finding = %+v", fd)
	}
	m, err := f.svc.GetMember(rctx, f.scope, f.group.ID, 1)
	if err != nil || m.Rank != 50 {
		t.Fatalf("member after = %+v, %v", m, err)
	}
	// Nothing is found twice.
	if res, err := f.svc.Reconcile(rctx, rActor, f.scope, f.group.ID); err != nil || len(res.Findings) != 0 {
		t.Fatalf("second pass = %+v, %v", res, err)
	}
	list, err := f.svc.Findings(rctx, f.scope, f.group.ID, 10)
	if err != nil || len(list) != 1 {
		t.Fatalf("findings = %+v, %v", list, err)
	}
	page, err := f.svc.Logs(rctx, f.scope, f.group.ID, ranking.LogFilter{UserID: 1})
	if err != nil || len(page.Items) != 2 || page.Items[0].Kind != ranking.KindOutsideChange || page.Items[0].ActorLabel != "rogue_admin (in Roblox)" {
		t.Fatalf("log = %+v, %v", page.Items, err)
	}
}

// lumira_actions is partitioned by month (migration 00056): an action is
// kept in its month and found by its public id; once a retention drops the
// month it is not found, and the finding that led to it is still listed,
// without it.
func TestActionsPastTheirRetention(t *testing.T) {
	t.Parallel()
	f := newRFixture(t)
	f.member(1, "alpha", "101")
	f.rbx.SetRoleOutside(rGroupID, 1, "150", 555, "rogue_admin", time.Now().UTC().Add(-time.Minute).Truncate(time.Second))
	res, err := f.svc.Reconcile(rctx, rActor, f.scope, f.group.ID)
	if err != nil || len(res.Findings) != 1 || res.Findings[0].ActionID == "" {
		t.Fatalf("reconciliation = %+v, %v", res, err)
	}
	actionID := res.Findings[0].ActionID
	if a, err := f.svc.GetAction(rctx, f.scope, actionID); err != nil || a.Kind != ranking.KindOutsideChange {
		t.Fatalf("action = %+v, %v", a, err)
	}
	month := partition.Name("lumira_actions", partition.MonthOf(time.Now()))
	var n int
	if err := f.db.Pool.QueryRow(rctx, "SELECT count(*) FROM "+month).Scan(&n); err != nil || n != 1 {
		t.Fatalf("%d actions in %s (%v), want 1", n, month, err)
	}
	// Three years on, a one-month retention drops that month.
	kept, err := partition.Maintain(rctx, f.db.Pool, time.Now().AddDate(3, 0, 0),
		[]partition.Table{{Name: "lumira_actions", Column: "created_at", KeepMonths: 1}})
	if err != nil || !slices.Contains(kept.Removed, month) {
		t.Fatalf("retention: %+v, %v; want %s removed", kept, err, month)
	}
	if _, err := f.svc.GetAction(rctx, f.scope, actionID); !errors.Is(err, ranking.ErrActionNotFound) {
		t.Errorf("the dropped action: %v, want not found", err)
	}
	list, err := f.svc.Findings(rctx, f.scope, f.group.ID, 10)
	if err != nil || len(list) != 1 || list[0].ActionID != "" || list[0].ChangedByName != "rogue_admin" {
		t.Errorf("findings after the retention = %+v, %v; want the finding without its action", list, err)
	}
	page, err := f.svc.Logs(rctx, f.scope, f.group.ID, ranking.LogFilter{UserID: 1})
	if err != nil || len(page.Items) != 0 {
		t.Errorf("log after the retention = %+v, %v; want empty", page.Items, err)
	}
}

func TestReconcileWithoutTheAuditLogReadsMemberships(t *testing.T) {
	t.Parallel()
	f := newRFixture(t)
	f.rbx.AddKey("no-audit", robloxtest.Key{Write: true})
	g, err := f.svc.AddGroup(rctx, rActor, accounts.Only(f.other), ranking.GroupInput{RobloxGroupID: rGroupID, RobloxKey: "no-audit", Ceiling: 100})
	if err != nil || len(g.KeyScopes) != 1 {
		t.Fatalf("group = %+v, %v", g, err)
	}
	f.member(3, "gamma", "101")
	if _, err := f.svc.GetMember(rctx, accounts.Only(f.other), g.ID, 3); err != nil {
		t.Fatal(err)
	}
	f.rbx.SetRoleOutside(rGroupID, 3, "110", 1, "x", time.Now())
	res, err := f.svc.Reconcile(rctx, rActor, accounts.Only(f.other), g.ID)
	if err != nil || res.AuditLog || len(res.Findings) != 1 || res.Findings[0].Source != "memberships" || res.Findings[0].ToRank == nil || *res.Findings[0].ToRank != 10 {
		t.Fatalf("reconciliation = %+v, %v", res, err)
	}
	if res, err := f.svc.Reconcile(rctx, rActor, accounts.Only(f.other), g.ID); err != nil || len(res.Findings) != 0 {
		t.Fatalf("second pass = %+v, %v", res, err)
	}
}

func TestSandboxGroupEndToEnd(t *testing.T) {
	t.Parallel()
	f := newRFixture(t)
	g, err := f.svc.AddGroup(rctx, rActor, f.scope, ranking.GroupInput{RobloxGroupID: 1, Name: "Demo Clan"})
	if err != nil || g.Status != ranking.StatusSandbox || !g.Sandbox || g.Ceiling != 250 || len(g.Ladder()) != 6 || g.Name != "Demo Clan" {
		t.Fatalf("sandbox group = %+v, %v", g, err)
	}
	u, err := f.svc.LookupUsername(rctx, f.scope, "Sandbox_Casey")
	if err != nil || u.UserID != 9_000_000_003 {
		t.Fatalf("lookup = %+v, %v", u, err)
	}
	c, err := f.svc.Promote(rctx, rActor, f.scope, g.ID, u.UserID, "good work")
	if err != nil || c.OldRole.Rank != 5 || c.NewRole.Rank != 10 {
		t.Fatalf("promote = %+v, %v", c, err)
	}
	_, err = f.svc.Promote(rctx, rActor, f.scope, g.ID, 9_000_000_008, "") // the bot itself, at the ceiling
	wantCode(t, err, "member_above_ceiling")
	two := 200
	if _, err := f.svc.SetRank(rctx, rActor, f.scope, g.ID, u.UserID, ranking.RankInput{Rank: &two}); err != nil {
		t.Fatal(err)
	}
	// An unknown name with sandbox groups alone is not found, and Roblox,
	// unreachable offline, is not asked (the demo answered 502).
	other := accounts.Only(f.other)
	if _, err := f.svc.AddGroup(rctx, rActor, other, ranking.GroupInput{RobloxGroupID: 2, Name: "Other Clan"}); err != nil {
		t.Fatal(err)
	}
	asked := &countingUsers{}
	offline := ranking.NewService(f.db, nil, ranking.Settings{Users: asked})
	if _, err := offline.LookupUsername(rctx, other, "nobody_here"); !errors.Is(err, ranking.ErrUserNotFound) || asked.n != 0 {
		t.Fatalf("unknown name, sandbox groups only: %v, Roblox asked %d times", err, asked.n)
	}
	// With a group that talks to Roblox (the fixture's), Roblox is asked.
	if _, err := offline.LookupUsername(rctx, f.scope, "nobody_here"); err == nil || asked.n != 1 {
		t.Fatalf("unknown name, a live group: %v, Roblox asked %d times", err, asked.n)
	}
	// A restart (another service on the same database) sees the same group.
	again := ranking.NewService(f.db, nil, ranking.Settings{})
	m, err := again.GetMember(rctx, f.scope, g.ID, u.UserID)
	if err != nil || m.Rank != 200 || m.RoleName != "Manager" {
		t.Fatalf("member = %+v, %v", m, err)
	}
	members, err := f.svc.ListMembers(rctx, f.scope, g.ID, "sandbox_c", 0, 10)
	if err != nil || len(members) != 1 || members[0].UserID != u.UserID {
		t.Fatalf("search = %+v, %v", members, err)
	}
	if res, err := f.svc.Reconcile(rctx, rActor, f.scope, g.ID); err != nil || res.Checked != 2 || len(res.Findings) != 0 {
		t.Fatalf("sandbox reconciliation = %+v, %v", res, err)
	}
}

func TestLogsPageNewestFirst(t *testing.T) {
	t.Parallel()
	f := newRFixture(t)
	f.member(1, "alpha", "101")
	for i := 0; i < 3; i++ {
		if _, err := f.svc.AddPoints(rctx, rActor, f.scope, f.group.ID, 1, int64(i+1), ""); err != nil {
			t.Fatal(err)
		}
	}
	p1, err := f.svc.Logs(rctx, f.scope, f.group.ID, ranking.LogFilter{Limit: 2})
	if err != nil || len(p1.Items) != 2 || p1.NextCursor == "" || p1.Items[0].PointsDelta != 3 {
		t.Fatalf("page 1 = %+v, %v", p1, err)
	}
	p2, err := f.svc.Logs(rctx, f.scope, f.group.ID, ranking.LogFilter{Limit: 2, Cursor: p1.NextCursor})
	if err != nil || len(p2.Items) != 1 || p2.NextCursor != "" || p2.Items[0].PointsDelta != 1 {
		t.Fatalf("page 2 = %+v, %v", p2, err)
	}
	for _, bad := range []ranking.LogFilter{{Limit: 201}, {Limit: -1}, {Cursor: "nope"}} {
		_, err := f.svc.Logs(rctx, f.scope, f.group.ID, bad)
		wantCode(t, err, "validation_error")
	}
}

// countingUsers is a Roblox users API that is out of reach, and counts
// how often it was asked.
type countingUsers struct{ n int }

func (c *countingUsers) LookupUsernames(context.Context, []string) ([]roblox.User, error) {
	c.n++
	return nil, errors.New("roblox is unreachable from here")
}

// A sandbox group's roles carry their member counts, as Roblox's role
// listing does: at creation and at each sync.
func TestSandboxRolesCountMembers(t *testing.T) {
	f := newRFixture(t)
	g, err := f.svc.AddGroup(rctx, rActor, f.scope, ranking.GroupInput{RobloxGroupID: 777, Name: "Sandbox"})
	if err != nil {
		t.Fatal(err)
	}
	counts := func(g ranking.Group) map[string]int64 {
		out := map[string]int64{}
		for _, r := range g.Roles {
			if r.MemberCount == nil {
				t.Fatalf("role %s has no member count", r.ID)
			}
			out[r.ID] = *r.MemberCount
		}
		return out
	}
	if c := counts(g); c["1001"] != 2 || c["1050"] != 1 || c["1000"] != 0 {
		t.Errorf("counts at creation: %v", c)
	}
	var id int64
	if err := f.db.Pool.QueryRow(rctx, `SELECT id FROM lumira_groups WHERE public_id = $1`, g.ID).Scan(&id); err != nil {
		t.Fatal(err)
	}
	if _, err := f.db.Pool.Exec(rctx, `INSERT INTO lumira_sandbox_members (group_id, user_id, username, role_id, updated_at) VALUES ($1, 9000000100, 'sandbox_new', '1050', now())`, id); err != nil {
		t.Fatal(err)
	}
	if g, err = f.svc.SyncRoles(rctx, rActor, f.scope, g.ID); err != nil {
		t.Fatal(err)
	}
	if c := counts(g); c["1050"] != 2 || c["1001"] != 2 {
		t.Errorf("counts after sync: %v", c)
	}
}
