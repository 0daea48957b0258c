package roblox

import (
	"context"
	"fmt"
	"strings"
	"time"

	"lumdesk/db/store"
	"lumdesk/internal/platform/db"
)

// Sandbox is the simulated Roblox of a group without an API key: its roles
// and members live in lumira_sandbox_roles and lumira_sandbox_members, so
// the group survives restarts and every server process sees the same one.
// It keeps Roblox's rules: rank 0 and 255 cannot be assigned, a user not in
// the group is not found. It has no audit log.
type Sandbox struct {
	DB      *db.DB
	GroupID int64 // lumira_groups.id (not the Roblox group ID)
	Name    string
}

// SandboxRole is a role the sandbox starts with.
type SandboxRole struct {
	ID   string
	Name string
	Rank int
}

// SandboxMember is a member the sandbox starts with.
type SandboxMember struct {
	UserID   int64
	Username string
	RoleID   string
}

// DemoRoles are a new sandbox group's roles; rank 250 is the integration's
// own account (the default ceiling).
var DemoRoles = []SandboxRole{
	{"1000", "Guest", 0}, {"1001", "Member", 1}, {"1005", "Trainee", 5}, {"1010", "Junior Staff", 10},
	{"1050", "Staff", 50}, {"1100", "Senior Staff", 100}, {"1200", "Manager", 200}, {"1250", "Ranking Bot", 250},
	{"1255", "Owner", 255},
}

// DemoMembers are a new sandbox group's members (user IDs in a range
// Roblox has not reached).
var DemoMembers = []SandboxMember{
	{9_000_000_001, "sandbox_alex", "1001"}, {9_000_000_002, "sandbox_blake", "1001"}, {9_000_000_003, "sandbox_casey", "1005"},
	{9_000_000_004, "sandbox_devon", "1010"}, {9_000_000_005, "sandbox_emery", "1050"}, {9_000_000_006, "sandbox_finley", "1100"},
	{9_000_000_007, "sandbox_gray", "1200"}, {9_000_000_008, "sandbox_lumira", "1250"}, {9_000_000_009, "sandbox_owner", "1255"},
}

// DemoRoleList is DemoRoles as Roblox lists them, each with its number of
// DemoMembers (memberCount), as a new sandbox group reads them.
func DemoRoleList() []Role {
	count := map[string]int64{}
	for _, m := range DemoMembers {
		count[m.RoleID]++
	}
	out := make([]Role, len(DemoRoles))
	for i, r := range DemoRoles {
		n := count[r.ID]
		out[i] = Role{ID: r.ID, Name: r.Name, Rank: r.Rank, MemberCount: &n}
	}
	return out
}

// Seed fills a new sandbox group in the caller's transaction.
func Seed(ctx context.Context, q *store.Queries, groupID int64, roles []SandboxRole, members []SandboxMember) error {
	for _, r := range roles {
		if err := q.InsertLumiraSandboxRole(ctx, store.InsertLumiraSandboxRoleParams{GroupID: groupID, RoleID: r.ID, Name: r.Name, Rank: int32(r.Rank)}); err != nil {
			return fmt.Errorf("sandbox role %s: %w", r.ID, err)
		}
	}
	for _, m := range members {
		if err := q.UpsertLumiraSandboxMember(ctx, store.UpsertLumiraSandboxMemberParams{GroupID: groupID, UserID: m.UserID,
			Username: m.Username, RoleID: m.RoleID}); err != nil {
			return fmt.Errorf("sandbox member %d: %w", m.UserID, err)
		}
	}
	return nil
}

// Group implements Client.
func (s Sandbox) Group(context.Context, int64) (Group, error) { return Group{Name: s.Name}, nil }

// ListRoles implements Client.
func (s Sandbox) ListRoles(ctx context.Context, _ int64) ([]Role, error) {
	rows, err := s.DB.ListLumiraSandboxRoles(ctx, s.GroupID)
	if err != nil {
		return nil, fmt.Errorf("%w: sandbox: %w", ErrUnavailable, err)
	}
	out := make([]Role, len(rows))
	for i, r := range rows {
		out[i] = Role{ID: r.RoleID, Name: r.Name, Rank: int(r.Rank), MemberCount: &r.MemberCount}
	}
	return out, nil
}

// GetMembership implements Client.
func (s Sandbox) GetMembership(ctx context.Context, _ int64, userID int64) (Membership, error) {
	m, err := s.DB.GetLumiraSandboxMember(ctx, store.GetLumiraSandboxMemberParams{GroupID: s.GroupID, UserID: userID})
	if db.IsNotFound(err) {
		return Membership{}, ErrNotMember
	} else if err != nil {
		return Membership{}, fmt.Errorf("%w: sandbox: %w", ErrUnavailable, err)
	}
	return Membership{UserID: userID, RoleID: m.RoleID, Roles: []string{m.RoleID}, Username: m.Username}, nil
}

// AssignRole implements Client, with Roblox's refusals.
func (s Sandbox) AssignRole(ctx context.Context, _ int64, userID int64, roleID, _ string) (Membership, error) {
	roles, err := s.ListRoles(ctx, 0)
	if err != nil {
		return Membership{}, err
	}
	var role *Role
	for i := range roles {
		if roles[i].ID == roleID {
			role = &roles[i]
		}
	}
	if role == nil {
		return Membership{}, &APIError{Status: 404, Code: "NOT_FOUND", Message: "role not found"}
	}
	if role.Rank == 0 || role.Rank == 255 {
		return Membership{}, &APIError{Status: 400, Code: "INVALID_ARGUMENT", Message: "Guest or Owner ranks cannot be assigned."}
	}
	n, err := s.DB.SetLumiraSandboxMemberRole(ctx, store.SetLumiraSandboxMemberRoleParams{GroupID: s.GroupID, UserID: userID, RoleID: roleID})
	if err != nil {
		return Membership{}, fmt.Errorf("%w: sandbox: %w", ErrUnavailable, err)
	}
	if n == 0 {
		return Membership{}, &APIError{Status: 404, Code: "NOT_FOUND", Message: "membership not found"}
	}
	return Membership{UserID: userID, RoleID: roleID, Roles: []string{roleID}}, nil
}

// RankChanges implements Client: the sandbox keeps no audit log.
func (s Sandbox) RankChanges(context.Context, int64, time.Time) ([]RankChange, error) {
	return nil, ErrPermissionDenied
}

// SandboxUsers resolves the names of sandbox members (the users API of
// groups without a key, and of the demo when Roblox is out of reach).
type SandboxUsers struct{ DB *db.DB }

// LookupUsernames implements Users.
func (u SandboxUsers) LookupUsernames(ctx context.Context, names []string) ([]User, error) {
	lower := make([]string, len(names))
	for i, n := range names {
		lower[i] = strings.ToLower(n)
	}
	rows, err := u.DB.FindLumiraSandboxUsers(ctx, lower)
	if err != nil {
		return nil, fmt.Errorf("%w: sandbox: %w", ErrUnavailable, err)
	}
	out := make([]User, len(rows))
	for i, r := range rows {
		out[i] = User{ID: r.UserID, Name: r.Username, DisplayName: r.Username, Requested: r.Username}
	}
	return out, nil
}
