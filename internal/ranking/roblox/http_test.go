package roblox_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"lumdesk/internal/platform/db"
	"lumdesk/internal/platform/testdb"
	"lumdesk/internal/ranking/roblox"
	"lumdesk/internal/ranking/roblox/robloxtest"
)

var bg = context.Background()

func fakeGroup(t *testing.T, nRoles int) (*robloxtest.Server, *robloxtest.Group) {
	t.Helper()
	srv := robloxtest.New(t)
	g := &robloxtest.Group{ID: 77, Name: "Paging Test", BotRank: 250}
	for i := 0; i < nRoles; i++ {
		g.Roles = append(g.Roles, robloxtest.Role{ID: fmt.Sprint(5000 + i), Name: fmt.Sprintf("Role %d", i), Rank: i})
	}
	g.Roles = append(g.Roles, robloxtest.Role{ID: "9250", Name: "Bot", Rank: 250}, robloxtest.Role{ID: "9255", Name: "Owner", Rank: 255})
	srv.AddGroup(g)
	srv.AddKey("rw", robloxtest.Key{Write: true, ReadAudit: true})
	srv.AddKey("ro", robloxtest.Key{})
	return srv, g
}

func client(srv *robloxtest.Server, key string) *roblox.HTTP {
	return roblox.NewHTTP(roblox.Settings{APIURL: srv.URL, UsersURL: srv.URL, Backoff: func(int) time.Duration { return time.Millisecond }}, key)
}

func TestListRolesFollowsPagesOf20(t *testing.T) {
	t.Parallel()
	srv, _ := fakeGroup(t, 45)
	roles, err := client(srv, "ro").ListRoles(bg, 77)
	if err != nil {
		t.Fatal(err)
	}
	if len(roles) != 47 || roles[0].ID != "5000" || roles[46].Rank != 255 || roles[46].Name != "Owner" {
		t.Fatalf("roles = %d, first %+v, last %+v", len(roles), roles[0], roles[len(roles)-1])
	}
	if diff := cmp.Diff([]string{"20", "20", "20"}, srv.PageSizes); diff != "" {
		t.Fatalf("page sizes (-want +got):\n%s", diff)
	}
}

func TestMembershipFilterAndNotMember(t *testing.T) {
	t.Parallel()
	srv, _ := fakeGroup(t, 5)
	srv.AddUser(77, 42, "Builderman", "5003")
	c := client(srv, "ro")
	m, err := c.GetMembership(bg, 77, 42)
	if err != nil || m.RoleID != "5003" || m.UserID != 42 {
		t.Fatalf("membership = %+v, %v", m, err)
	}
	if _, err := c.GetMembership(bg, 77, 43); !errors.Is(err, roblox.ErrNotMember) {
		t.Fatalf("stranger: %v", err)
	}
	if diff := cmp.Diff([]string{"user == 'users/42'", "user == 'users/43'"}, srv.Filters); diff != "" {
		t.Fatalf("filters (-want +got):\n%s", diff)
	}
	g, err := c.Group(bg, 77)
	if err != nil || g.Name != "Paging Test" {
		t.Fatalf("group = %+v, %v", g, err)
	}
}

func TestAssignRoleUnassignsTheOldOne(t *testing.T) {
	t.Parallel()
	srv, _ := fakeGroup(t, 5)
	srv.AddUser(77, 42, "Builderman", "5001")
	m, err := client(srv, "rw").AssignRole(bg, 77, 42, "5003", "5001")
	if err != nil || m.RoleID != "5003" {
		t.Fatalf("assign = %+v, %v", m, err)
	}
	if diff := cmp.Diff([]string{"5003"}, srv.RolesOf(77, 42)); diff != "" {
		t.Fatalf("roles held (-want +got):\n%s", diff)
	}
	if srv.AssignCalls != 1 || srv.UnassignCalls != 1 || srv.PatchCalls != 0 {
		t.Fatalf("calls assign %d unassign %d patch %d", srv.AssignCalls, srv.UnassignCalls, srv.PatchCalls)
	}
}

func TestAssignRoleFallsBackToPatch(t *testing.T) {
	t.Parallel()
	srv, _ := fakeGroup(t, 5)
	srv.NoAssignRole = true
	srv.AddUser(77, 42, "Builderman", "5001")
	c := client(srv, "rw")
	for _, r := range []string{"5002", "5004"} {
		if m, err := c.AssignRole(bg, 77, 42, r, ""); err != nil || m.RoleID != r {
			t.Fatalf("assign %s = %+v, %v", r, m, err)
		}
	}
	// The second change goes straight to PATCH.
	if srv.AssignCalls != 0 || srv.PatchCalls != 2 || srv.RoleOf(77, 42) != "5004" {
		t.Fatalf("assign %d patch %d role %s", srv.AssignCalls, srv.PatchCalls, srv.RoleOf(77, 42))
	}
}

func TestRobloxErrorsAreTyped(t *testing.T) {
	t.Parallel()
	srv, _ := fakeGroup(t, 5)
	srv.AddUser(77, 42, "Builderman", "5001")
	_, err := client(srv, "ro").AssignRole(bg, 77, 42, "5002", "5001")
	var ae *roblox.APIError
	if !errors.Is(err, roblox.ErrPermissionDenied) || !errors.As(err, &ae) || ae.Code != "PERMISSION_DENIED" || ae.Status != 403 {
		t.Fatalf("read-only key: %v", err)
	}
	if _, err := client(srv, "rw").AssignRole(bg, 77, 42, "9255", "5001"); !errors.Is(err, roblox.ErrInvalidArgument) {
		t.Fatalf("owner role: %v", err)
	}
	if _, err := client(srv, "rw").ListRoles(bg, 78); !errors.Is(err, roblox.ErrNotFound) {
		t.Fatalf("unknown group: %v", err)
	}
	if _, err := client(srv, "nope").ListRoles(bg, 77); !errors.Is(err, roblox.ErrUnauthenticated) {
		t.Fatalf("bad key: %v", err)
	}
	if _, err := client(srv, "ro").RankChanges(bg, 77, time.Time{}); !errors.Is(err, roblox.ErrPermissionDenied) {
		t.Fatalf("audit log without the scope: %v", err)
	}
}

func TestRetryAfterIsHonoured(t *testing.T) {
	t.Parallel()
	srv, _ := fakeGroup(t, 5)
	srv.Force429(2, "1")
	c := roblox.NewHTTP(roblox.Settings{APIURL: srv.URL, Backoff: func(int) time.Duration { return time.Hour }}, "ro")
	start := time.Now()
	if _, err := c.ListRoles(bg, 77); err != nil {
		t.Fatal(err)
	}
	if took := time.Since(start); took < 2*time.Second {
		t.Fatalf("retried after %s, before the two Retry-After: 1 had passed", took)
	}
	if c.RateLimited.Load() != 2 || srv.Forced429 != 2 {
		t.Fatalf("429s seen %d, sent %d", c.RateLimited.Load(), srv.Forced429)
	}
	// A Retry-After longer than the client waits fails the call.
	srv.Force429(1, "3600")
	if _, err := c.ListRoles(bg, 77); !errors.Is(err, roblox.ErrUnavailable) {
		t.Fatalf("an hour's Retry-After: %v", err)
	}
}

func TestAuditLogRankChanges(t *testing.T) {
	t.Parallel()
	srv, _ := fakeGroup(t, 5)
	srv.AddUser(77, 42, "Builderman", "5001")
	t0 := time.Now().UTC().Add(-time.Hour)
	srv.SetRoleOutside(77, 42, "5002", 7, "someone", t0)
	srv.SetRoleOutside(77, 42, "5004", 8, "other", t0.Add(time.Minute))
	ch, err := client(srv, "rw").RankChanges(bg, 77, t0.Add(-time.Second))
	if err != nil || len(ch) != 2 || ch[0].NewRoleID != "5002" || ch[1].OldRoleID != "5002" || ch[1].ActorName != "other" || ch[1].TargetUserID != 42 {
		t.Fatalf("changes = %+v, %v", ch, err)
	}
	ch, err = client(srv, "rw").RankChanges(bg, 77, t0)
	if err != nil || len(ch) != 1 {
		t.Fatalf("since the first: %+v, %v", ch, err)
	}
}

func TestUsernames(t *testing.T) {
	t.Parallel()
	srv, _ := fakeGroup(t, 1)
	srv.AddUser(0, 156, "Builderman", "")
	us, err := roblox.NewHTTPUsers(roblox.Settings{UsersURL: srv.URL}).LookupUsernames(bg, []string{"builderman", "nobody"})
	if err != nil || len(us) != 1 || us[0].ID != 156 || us[0].Name != "Builderman" {
		t.Fatalf("users = %+v, %v", us, err)
	}
}

// Two clients of one key (two server processes) share the Postgres budget:
// with the fake's limit lowered to 12 a window, 20 requests never exceed it.
func TestBudgetHoldsAcrossClients(t *testing.T) {
	t.Parallel()
	srv, _ := fakeGroup(t, 3)
	srv.Limit, srv.Window = 12, 2*time.Second
	d := db.New(testdb.New(t))
	budget := roblox.PGBudget{DB: d, Limit: 12, Window: 2 * time.Second}
	var wg sync.WaitGroup
	errs := make(chan error, 20)
	for p := 0; p < 2; p++ {
		c := roblox.NewHTTP(roblox.Settings{APIURL: srv.URL, Budget: budget}, "ro")
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 10; i++ {
				if _, err := c.Group(bg, 77); err != nil {
					errs <- err
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	req, viol, _ := srv.Snapshot()
	if req != 20 || viol != 0 {
		t.Fatalf("requests %d, over the budget %d", req, viol)
	}
}
