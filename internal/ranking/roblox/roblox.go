// Package roblox is Lumira's adapter to Roblox groups: the Client
// interface the ranking service calls, its Open Cloud v2 implementation
// (HTTP, see ../../../../shared/reference/wire-formats.md §1), the
// sandbox implementation (a simulated group kept in Postgres), and the
// per-key request budget both share across server processes.
package roblox

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// Group is what Roblox says of a group.
type Group struct {
	ID   int64
	Name string
}

// Role is one of a group's roles.
type Role struct {
	ID          string // Roblox's role ID, e.g. "200"
	Name        string
	Rank        int // 0 (guest) .. 255 (owner)
	MemberCount *int64
}

// Membership is a user's membership of a group.
type Membership struct {
	UserID int64
	RoleID string   // the highest-ranked role the user holds
	Roles  []string // every role ID held (Roblox now allows several)
	// Username is the user's name when the answer carries it (the sandbox).
	Username string
}

// RankChange is a ChangeRank entry of a group's audit log.
type RankChange struct {
	ActorID      int64
	ActorName    string
	TargetUserID int64
	OldRoleID    string
	NewRoleID    string
	Created      time.Time
}

// User is a Roblox user found by name.
type User struct {
	ID          int64
	Name        string
	DisplayName string
	Requested   string // the name asked for
}

// Client is one group's Roblox, as a key (or the sandbox) sees it.
type Client interface {
	// Group reads the group's name.
	Group(ctx context.Context, groupID int64) (Group, error)
	// ListRoles lists every role, following the pages.
	ListRoles(ctx context.Context, groupID int64) ([]Role, error)
	// GetMembership is the user's membership; ErrNotMember when the user is
	// not in the group.
	GetMembership(ctx context.Context, groupID, userID int64) (Membership, error)
	// AssignRole gives the user roleID in place of the role it holds (the
	// old one is unassigned when Roblox kept both) and returns the
	// membership after the change.
	AssignRole(ctx context.Context, groupID, userID int64, roleID, oldRoleID string) (Membership, error)
	// RankChanges reads the group's ChangeRank audit log entries newer than
	// since, oldest first; ErrPermissionDenied when the key may not read it.
	RankChanges(ctx context.Context, groupID int64, since time.Time) ([]RankChange, error)
}

// Users finds Roblox users by name (users.roblox.com, no key needed).
type Users interface {
	LookupUsernames(ctx context.Context, names []string) ([]User, error)
}

// Errors. An *APIError from Roblox matches the sentinel of its code through
// errors.Is.
var (
	ErrNotMember        = errors.New("the user is not in the group")
	ErrPermissionDenied = errors.New("roblox: permission denied")
	ErrNotFound         = errors.New("roblox: not found")
	ErrInvalidArgument  = errors.New("roblox: invalid argument")
	ErrUnauthenticated  = errors.New("roblox: the API key was refused")
	// ErrUnavailable is any other failure: Roblox down, timed out, answered
	// what we cannot read, or kept us rate limited past our patience.
	ErrUnavailable = errors.New("roblox: unavailable")
)

// APIError is an error answer of Roblox.
type APIError struct {
	Status  int
	Code    string // PERMISSION_DENIED, NOT_FOUND, INVALID_ARGUMENT, ...
	Message string
}

func (e *APIError) Error() string {
	if e.Code != "" {
		return fmt.Sprintf("roblox answered %d %s: %s", e.Status, e.Code, e.Message)
	}
	return fmt.Sprintf("roblox answered %d: %s", e.Status, e.Message)
}

// Is maps Roblox's code (or, without one, its status) to our sentinels.
func (e *APIError) Is(target error) bool {
	switch target {
	case ErrPermissionDenied:
		return e.Code == "PERMISSION_DENIED" || (e.Code == "" && e.Status == 403)
	case ErrNotFound:
		return e.Code == "NOT_FOUND" || (e.Code == "" && e.Status == 404)
	case ErrInvalidArgument:
		return e.Code == "INVALID_ARGUMENT" || (e.Code == "" && e.Status == 400)
	case ErrUnauthenticated:
		return e.Status == 401 || e.Code == "UNAUTHENTICATED"
	case ErrUnavailable:
		return e.Status >= 500 || e.Status == 429 || e.Code == "UNAVAILABLE" || e.Code == "INTERNAL" || e.Code == "RESOURCE_EXHAUSTED"
	}
	return false
}
