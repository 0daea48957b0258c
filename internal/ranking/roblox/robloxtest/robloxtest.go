// Package robloxtest is an in-process Roblox for tests: Open Cloud v2
// groups (roles with paging, memberships by filter, :assignRole,
// :unassignRole and the deprecated PATCH), the legacy-groups ChangeRank
// audit log and users.roblox.com's username lookup, with Roblox's errors
// and a strict per-key budget of Limit requests per Window (a sliding
// window: any request over it is answered 429 and counted in Violations).
package robloxtest

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// Role is a fake group's role.
type Role struct {
	ID   string
	Name string
	Rank int
}

// Group is a fake group.
type Group struct {
	ID      int64
	Name    string
	Roles   []Role
	BotRank int                // the key owner's rank: only lower roles and members are managed
	Members map[int64][]string // user ID → role IDs held
	Audit   []AuditEntry
}

// AuditEntry is one ChangeRank of the audit log.
type AuditEntry struct {
	ActorID   int64
	ActorName string
	Target    int64
	Old, New  string
	At        time.Time
}

// Key is an API key the fake accepts.
type Key struct {
	Write     bool // group:write
	ReadAudit bool // legacy-group:manage
}

// Server is the fake.
type Server struct {
	*httptest.Server
	mu     sync.Mutex
	groups map[int64]*Group
	keys   map[string]Key
	users  map[string]int64 // lower-case name → id
	names  map[int64]string

	Limit  int           // requests per Window per key (default 300)
	Window time.Duration // default one minute
	calls  map[string][]time.Time

	// NoAssignRole answers :assignRole and :unassignRole 404, as before
	// March 2026: the client must fall back to PATCH.
	NoAssignRole bool
	// SingleRole: :assignRole replaces the member's role (by default Roblox
	// keeps the old one beside it, and the client unassigns it).
	SingleRole bool
	// Force429 answers the next n requests 429 with Retry-After (seconds).
	force429      int
	force429After string
	// DropAfterAssign applies the next role change, then drops the
	// connection without an answer (the outcome is lost).
	DropAfterAssign bool
	// Delay holds every request this long before it is answered (a slow
	// Roblox: callers' deadlines and deferrals). Set it before requests.
	Delay time.Duration

	// Counters.
	Requests      int
	Violations    int // requests over the budget
	Forced429     int
	AssignCalls   int
	UnassignCalls int
	PatchCalls    int
	Filters       []string // every membership filter received
	PageSizes     []string // every maxPageSize of roles received
}

// New starts the fake; it stops when the test ends.
func New(t testing.TB) *Server {
	s := &Server{groups: map[int64]*Group{}, keys: map[string]Key{}, users: map[string]int64{}, names: map[int64]string{},
		Limit: 300, Window: time.Minute, calls: map[string][]time.Time{}}
	s.Server = httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(s.Close)
	return s
}

// AddKey accepts key.
func (s *Server) AddKey(key string, k Key) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.keys[key] = k
}

// AddGroup adds a group.
func (s *Server) AddGroup(g *Group) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if g.Members == nil {
		g.Members = map[int64][]string{}
	}
	s.groups[g.ID] = g
}

// AddUser makes a user known by name (and puts it in group gid with
// roleID when gid is not 0).
func (s *Server) AddUser(gid, userID int64, name, roleID string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.users[strings.ToLower(name)] = userID
	s.names[userID] = name
	if gid != 0 {
		s.groups[gid].Members[userID] = []string{roleID}
	}
}

// SetRoleOutside changes a member's role as someone else would in Roblox
// (recorded in the audit log under actor).
func (s *Server) SetRoleOutside(gid, userID int64, roleID string, actorID int64, actorName string, at time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	g := s.groups[gid]
	old := g.highest(g.Members[userID])
	g.Members[userID] = []string{roleID}
	g.Audit = append(g.Audit, AuditEntry{ActorID: actorID, ActorName: actorName, Target: userID, Old: old, New: roleID, At: at})
}

// RoleOf is the highest role a member holds ("" if none).
func (s *Server) RoleOf(gid, userID int64) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	g := s.groups[gid]
	return g.highest(g.Members[userID])
}

// RolesOf is every role a member holds.
func (s *Server) RolesOf(gid, userID int64) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.groups[gid].Members[userID]...)
}

// Force429 answers the next n requests 429 with Retry-After retryAfter.
func (s *Server) Force429(n int, retryAfter string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.force429, s.force429After = n, retryAfter
}

// Snapshot returns the counters under the lock.
func (s *Server) Snapshot() (requests, violations, forced int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.Requests, s.Violations, s.Forced429
}

func (g *Group) role(id string) *Role {
	for i := range g.Roles {
		if g.Roles[i].ID == id {
			return &g.Roles[i]
		}
	}
	return nil
}

func (g *Group) highest(ids []string) string {
	best, rank := "", -1
	for _, id := range ids {
		if r := g.role(id); r != nil && r.Rank > rank {
			best, rank = id, r.Rank
		}
	}
	return best
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func v2err(w http.ResponseWriter, status int, code, msg string) {
	writeJSON(w, status, map[string]any{"code": code, "message": msg, "details": []any{}})
}

var (
	groupRE      = regexp.MustCompile(`^/cloud/v2/groups/(\d+)$`)
	rolesRE      = regexp.MustCompile(`^/cloud/v2/groups/(\d+)/roles$`)
	membersRE    = regexp.MustCompile(`^/cloud/v2/groups/(\d+)/memberships$`)
	memberRE     = regexp.MustCompile(`^/cloud/v2/groups/(\d+)/memberships/(\d+)(:assignRole|:unassignRole)?$`)
	auditRE      = regexp.MustCompile(`^/legacy-groups/v1/groups/(\d+)/audit-log$`)
	userFilterRE = regexp.MustCompile(`^user == 'users/(\d+)'$`)
	rolePathRE   = regexp.MustCompile(`^groups/(\d+)/roles/(\d+)$`)
)

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	delay := s.Delay
	s.mu.Unlock()
	if delay > 0 {
		select {
		case <-time.After(delay):
		case <-r.Context().Done():
			return
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.Requests++
	if r.URL.Path == "/v1/usernames/users" && r.Method == http.MethodPost {
		s.usernames(w, r)
		return
	}
	key := r.Header.Get("x-api-key")
	k, ok := s.keys[key]
	if !ok {
		writeJSON(w, http.StatusUnauthorized, map[string]any{"errors": []map[string]any{{"code": 0, "message": "Invalid API Key"}}})
		return
	}
	now := time.Now()
	calls := s.calls[key]
	i := 0
	for i < len(calls) && !calls[i].After(now.Add(-s.Window)) {
		i++
	}
	calls = calls[i:]
	if len(calls) >= s.Limit {
		s.Violations++
		wait := calls[0].Add(s.Window).Sub(now)
		w.Header().Set("Retry-After", strconv.Itoa(int(wait/time.Second)+1))
		v2err(w, http.StatusTooManyRequests, "RESOURCE_EXHAUSTED", "Too many requests.")
		s.calls[key] = calls
		return
	}
	s.calls[key] = append(calls, now)
	if s.force429 > 0 {
		s.force429--
		s.Forced429++
		w.Header().Set("Retry-After", s.force429After)
		v2err(w, http.StatusTooManyRequests, "RESOURCE_EXHAUSTED", "Too many requests.")
		return
	}
	p := r.URL.Path
	switch {
	case groupRE.MatchString(p) && r.Method == http.MethodGet:
		g := s.group(w, groupRE.FindStringSubmatch(p)[1])
		if g != nil {
			writeJSON(w, 200, map[string]any{"path": fmt.Sprintf("groups/%d", g.ID), "id": strconv.FormatInt(g.ID, 10), "displayName": g.Name})
		}
	case rolesRE.MatchString(p) && r.Method == http.MethodGet:
		s.roles(w, r, rolesRE.FindStringSubmatch(p)[1])
	case membersRE.MatchString(p) && r.Method == http.MethodGet:
		s.memberships(w, r, membersRE.FindStringSubmatch(p)[1])
	case memberRE.MatchString(p):
		m := memberRE.FindStringSubmatch(p)
		s.change(w, r, k, m[1], m[2], m[3])
	case auditRE.MatchString(p) && r.Method == http.MethodGet:
		if !k.ReadAudit {
			v2err(w, http.StatusForbidden, "PERMISSION_DENIED", "The API key does not have the legacy-group:manage scope.")
			return
		}
		s.audit(w, r, auditRE.FindStringSubmatch(p)[1])
	default:
		v2err(w, http.StatusNotFound, "NOT_FOUND", "No such route.")
	}
}

func (s *Server) group(w http.ResponseWriter, id string) *Group {
	n, _ := strconv.ParseInt(id, 10, 64)
	g := s.groups[n]
	if g == nil {
		v2err(w, http.StatusNotFound, "NOT_FOUND", "Group not found.")
	}
	return g
}

func (s *Server) roles(w http.ResponseWriter, r *http.Request, gid string) {
	g := s.group(w, gid)
	if g == nil {
		return
	}
	size := 10
	if v := r.URL.Query().Get("maxPageSize"); v != "" {
		s.PageSizes = append(s.PageSizes, v)
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			v2err(w, 400, "INVALID_ARGUMENT", "maxPageSize is invalid.")
			return
		}
		size = min(max(n, 1), 20)
	}
	start := 0
	if t := r.URL.Query().Get("pageToken"); t != "" {
		raw, err := base64.RawURLEncoding.DecodeString(t)
		if err != nil || !strings.HasPrefix(string(raw), "roles:") {
			v2err(w, 400, "INVALID_ARGUMENT", "pageToken is invalid.")
			return
		}
		start, _ = strconv.Atoi(strings.TrimPrefix(string(raw), "roles:"))
	}
	roles := append([]Role(nil), g.Roles...)
	sort.Slice(roles, func(i, j int) bool { return roles[i].Rank < roles[j].Rank })
	end := min(start+size, len(roles))
	out := []map[string]any{}
	for _, x := range roles[start:end] {
		m := map[string]any{"path": fmt.Sprintf("groups/%d/roles/%s", g.ID, x.ID), "id": x.ID, "displayName": x.Name, "rank": x.Rank}
		if x.Rank != 0 {
			n := 0
			for _, held := range g.Members {
				for _, h := range held {
					if h == x.ID {
						n++
					}
				}
			}
			m["memberCount"] = n
		}
		out = append(out, m)
	}
	resp := map[string]any{"groupRoles": out}
	if end < len(roles) {
		resp["nextPageToken"] = base64.RawURLEncoding.EncodeToString([]byte("roles:" + strconv.Itoa(end)))
	}
	writeJSON(w, 200, resp)
}

func (s *Server) membership(g *Group, uid int64) map[string]any {
	held := g.Members[uid]
	paths := make([]string, len(held))
	for i, h := range held {
		paths[i] = fmt.Sprintf("groups/%d/roles/%s", g.ID, h)
	}
	return map[string]any{"path": fmt.Sprintf("groups/%d/memberships/%d", g.ID, uid), "user": fmt.Sprintf("users/%d", uid),
		"role": fmt.Sprintf("groups/%d/roles/%s", g.ID, g.highest(held)), "roles": paths}
}

func (s *Server) memberships(w http.ResponseWriter, r *http.Request, gid string) {
	g := s.group(w, gid)
	if g == nil {
		return
	}
	f := r.URL.Query().Get("filter")
	s.Filters = append(s.Filters, f)
	m := userFilterRE.FindStringSubmatch(f)
	if m == nil {
		v2err(w, 400, "INVALID_ARGUMENT", "Invalid filter: only user == 'users/{id}' is supported here.")
		return
	}
	uid, _ := strconv.ParseInt(m[1], 10, 64)
	out := []any{}
	if len(g.Members[uid]) > 0 {
		out = append(out, s.membership(g, uid))
	}
	writeJSON(w, 200, map[string]any{"groupMemberships": out, "nextPageToken": ""})
}

func (s *Server) change(w http.ResponseWriter, r *http.Request, k Key, gid, uidS, verb string) {
	g := s.group(w, gid)
	if g == nil {
		return
	}
	switch {
	case verb != "" && r.Method != http.MethodPost, verb == "" && r.Method != http.MethodPatch:
		v2err(w, http.StatusMethodNotAllowed, "NOT_FOUND", "Method not allowed.")
		return
	case verb != "" && s.NoAssignRole:
		v2err(w, http.StatusNotFound, "NOT_FOUND", "No such route.")
		return
	}
	switch verb {
	case ":assignRole":
		s.AssignCalls++
	case ":unassignRole":
		s.UnassignCalls++
	default:
		s.PatchCalls++
	}
	if !k.Write {
		v2err(w, http.StatusForbidden, "PERMISSION_DENIED", "The API key does not have the group:write scope.")
		return
	}
	var body struct {
		Role string `json:"role"`
	}
	if json.NewDecoder(r.Body).Decode(&body) != nil {
		v2err(w, 400, "INVALID_ARGUMENT", "Invalid body.")
		return
	}
	rm := rolePathRE.FindStringSubmatch(body.Role)
	if rm == nil || rm[1] != gid {
		v2err(w, 400, "INVALID_ARGUMENT", "role must be groups/{group}/roles/{role}.")
		return
	}
	role := g.role(rm[2])
	if role == nil {
		v2err(w, 404, "NOT_FOUND", "Role not found.")
		return
	}
	uid, _ := strconv.ParseInt(uidS, 10, 64)
	held := g.Members[uid]
	if len(held) == 0 {
		v2err(w, 404, "NOT_FOUND", "Membership not found.")
		return
	}
	if role.Rank == 0 || role.Rank == 255 {
		v2err(w, 400, "INVALID_ARGUMENT", "Guest or Owner ranks cannot be assigned.")
		return
	}
	cur := g.role(g.highest(held))
	if role.Rank >= g.BotRank || (cur != nil && cur.Rank >= g.BotRank) {
		v2err(w, 403, "PERMISSION_DENIED", "The requester cannot manage this member or assign this role.")
		return
	}
	old := g.highest(held)
	switch {
	case verb == ":unassignRole":
		var keep []string
		for _, h := range held {
			if h != role.ID {
				keep = append(keep, h)
			}
		}
		if len(keep) == 0 {
			keep = []string{role.ID} // a member keeps at least one role
		}
		g.Members[uid] = keep
	case verb == "" || s.SingleRole:
		g.Members[uid] = []string{role.ID}
	default:
		has := false
		for _, h := range held {
			has = has || h == role.ID
		}
		if !has {
			g.Members[uid] = append(append([]string(nil), held...), role.ID)
		}
	}
	if nw := g.highest(g.Members[uid]); nw != old {
		g.Audit = append(g.Audit, AuditEntry{ActorID: 1, ActorName: "lumira_bot", Target: uid, Old: old, New: nw, At: time.Now().UTC()})
	}
	if s.DropAfterAssign && verb != ":unassignRole" {
		s.DropAfterAssign = false
		if hj, ok := w.(http.Hijacker); ok {
			if c, _, err := hj.Hijack(); err == nil {
				_ = c.Close()
				return
			}
		}
	}
	writeJSON(w, 200, s.membership(g, uid))
}

func (s *Server) audit(w http.ResponseWriter, r *http.Request, gid string) {
	g := s.group(w, gid)
	if g == nil {
		return
	}
	if r.URL.Query().Get("actionType") != "ChangeRank" {
		v2err(w, 400, "INVALID_ARGUMENT", "actionType must be ChangeRank here.")
		return
	}
	data := []any{}
	for i := len(g.Audit) - 1; i >= 0; i-- { // Desc
		e := g.Audit[i]
		data = append(data, map[string]any{
			"actor":       map[string]any{"user": map[string]any{"userId": e.ActorID, "username": e.ActorName}},
			"actionType":  "ChangeRank",
			"description": map[string]any{"TargetId": e.Target, "OldRoleSetId": json.Number(e.Old), "NewRoleSetId": json.Number(e.New)},
			"created":     e.At.Format(time.RFC3339Nano),
		})
	}
	writeJSON(w, 200, map[string]any{"previousPageCursor": nil, "nextPageCursor": nil, "data": data})
}

func (s *Server) usernames(w http.ResponseWriter, r *http.Request) {
	var body struct {
		Usernames []string `json:"usernames"`
	}
	if json.NewDecoder(r.Body).Decode(&body) != nil || len(body.Usernames) == 0 {
		writeJSON(w, 400, map[string]any{"errors": []map[string]any{{"code": 0, "message": "Invalid request"}}})
		return
	}
	if len(body.Usernames) > 100 {
		writeJSON(w, 400, map[string]any{"errors": []map[string]any{{"code": 2, "message": "Too many usernames."}}})
		return
	}
	data := []any{}
	for _, n := range body.Usernames {
		if id, ok := s.users[strings.ToLower(n)]; ok {
			data = append(data, map[string]any{"requestedUsername": n, "hasVerifiedBadge": false, "id": id, "name": s.names[id], "displayName": s.names[id]})
		}
	}
	writeJSON(w, 200, map[string]any{"data": data})
}
