package roblox

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
)

// Defaults of the HTTP client.
const (
	DefaultAPIURL   = "https://apis.roblox.com"
	DefaultUsersURL = "https://users.roblox.com"
	// DefaultMaxRetries bounds the 429 answers one call waits out.
	DefaultMaxRetries = 6
	// DefaultMaxWait bounds one wait on a 429 (a longer Retry-After fails
	// the call: the caller's action is settled as failed, not left hanging).
	DefaultMaxWait = 90 * time.Second
	// rolesPageSize is Open Cloud's largest page of roles.
	rolesPageSize = 20
)

// Settings configure the HTTP clients; zero values take the defaults.
type Settings struct {
	APIURL     string       // ROBLOX_API_URL
	UsersURL   string       // ROBLOX_USERS_URL
	HTTPClient *http.Client // nil: 20-second timeout
	Budget     Budget       // nil: NoBudget (tests of the client alone)
	MaxRetries int
	MaxWait    time.Duration
	// Backoff is the wait after the n-th 429 (0-based) that said nothing of
	// when to come back; nil: 1s doubling, at most 32s.
	Backoff func(n int) time.Duration
}

func (s Settings) withDefaults() Settings {
	if s.APIURL == "" {
		s.APIURL = DefaultAPIURL
	}
	if s.UsersURL == "" {
		s.UsersURL = DefaultUsersURL
	}
	s.APIURL, s.UsersURL = strings.TrimRight(s.APIURL, "/"), strings.TrimRight(s.UsersURL, "/")
	if s.HTTPClient == nil {
		s.HTTPClient = &http.Client{Timeout: 20 * time.Second}
	}
	if s.Budget == nil {
		s.Budget = NoBudget{}
	}
	if s.MaxRetries <= 0 {
		s.MaxRetries = DefaultMaxRetries
	}
	if s.MaxWait <= 0 {
		s.MaxWait = DefaultMaxWait
	}
	if s.Backoff == nil {
		s.Backoff = func(n int) time.Duration { return time.Second << min(n, 5) }
	}
	return s
}

// HTTP is the Open Cloud v2 client of one API key.
type HTTP struct {
	set         Settings
	key         string
	fingerprint string
	// noAssign is set once :assignRole answered that it does not exist:
	// later changes go straight to PATCH.
	noAssign atomic.Bool
	// Requests counts the requests sent (tests, the benchmark).
	Requests atomic.Int64
	// RateLimited counts the 429 answers waited out.
	RateLimited atomic.Int64
}

// NewHTTP makes the client of one key.
func NewHTTP(set Settings, key string) *HTTP {
	return &HTTP{set: set.withDefaults(), key: key, fingerprint: Fingerprint(key)}
}

// HTTPUsers resolves usernames through users.roblox.com.
type HTTPUsers struct{ c *HTTP }

// NewHTTPUsers makes the users client (no key, no budget).
func NewHTTPUsers(set Settings) HTTPUsers {
	set.Budget = NoBudget{}
	return HTTPUsers{c: NewHTTP(set, "")}
}

type v2Role struct {
	Path        string `json:"path"`
	ID          string `json:"id"`
	DisplayName string `json:"displayName"`
	Rank        int    `json:"rank"`
	MemberCount *int64 `json:"memberCount"`
}

type v2Membership struct {
	Path  string   `json:"path"`
	User  string   `json:"user"`
	Role  string   `json:"role"`
	Roles []string `json:"roles"`
}

func (m v2Membership) membership() (Membership, error) {
	uid, err := strconv.ParseInt(lastSegment(m.User), 10, 64)
	if err != nil {
		return Membership{}, fmt.Errorf("%w: membership with user %q", ErrUnavailable, m.User)
	}
	out := Membership{UserID: uid, RoleID: lastSegment(m.Role)}
	for _, r := range m.Roles {
		out.Roles = append(out.Roles, lastSegment(r))
	}
	if len(out.Roles) == 0 && out.RoleID != "" {
		out.Roles = []string{out.RoleID}
	}
	return out, nil
}

func lastSegment(p string) string {
	if i := strings.LastIndexByte(p, '/'); i >= 0 {
		return p[i+1:]
	}
	return p
}

// Group implements Client.
func (c *HTTP) Group(ctx context.Context, groupID int64) (Group, error) {
	var g struct {
		DisplayName string `json:"displayName"`
	}
	if err := c.do(ctx, http.MethodGet, c.set.APIURL+fmt.Sprintf("/cloud/v2/groups/%d", groupID), nil, &g); err != nil {
		return Group{}, err
	}
	return Group{ID: groupID, Name: g.DisplayName}, nil
}

// ListRoles implements Client: pages of 20 until nextPageToken is empty.
func (c *HTTP) ListRoles(ctx context.Context, groupID int64) ([]Role, error) {
	var out []Role
	token := ""
	for page := 0; page < 100; page++ {
		q := url.Values{"maxPageSize": {strconv.Itoa(rolesPageSize)}}
		if token != "" {
			q.Set("pageToken", token)
		}
		var r struct {
			GroupRoles    []v2Role `json:"groupRoles"`
			NextPageToken string   `json:"nextPageToken"`
		}
		if err := c.do(ctx, http.MethodGet, c.set.APIURL+fmt.Sprintf("/cloud/v2/groups/%d/roles?", groupID)+q.Encode(), nil, &r); err != nil {
			return nil, err
		}
		for _, x := range r.GroupRoles {
			id := x.ID
			if id == "" {
				id = lastSegment(x.Path)
			}
			out = append(out, Role{ID: id, Name: x.DisplayName, Rank: x.Rank, MemberCount: x.MemberCount})
		}
		if r.NextPageToken == "" {
			return out, nil
		}
		token = r.NextPageToken
	}
	return nil, fmt.Errorf("%w: more than 100 pages of roles", ErrUnavailable)
}

// GetMembership implements Client, through the filter user == 'users/{id}'.
func (c *HTTP) GetMembership(ctx context.Context, groupID, userID int64) (Membership, error) {
	q := url.Values{"maxPageSize": {"1"}, "filter": {fmt.Sprintf("user == 'users/%d'", userID)}}
	var r struct {
		GroupMemberships []v2Membership `json:"groupMemberships"`
	}
	if err := c.do(ctx, http.MethodGet, c.set.APIURL+fmt.Sprintf("/cloud/v2/groups/%d/memberships?", groupID)+q.Encode(), nil, &r); err != nil {
		return Membership{}, err
	}
	for _, m := range r.GroupMemberships {
		out, err := m.membership()
		if err != nil {
			return Membership{}, err
		}
		if out.UserID == userID {
			return out, nil
		}
	}
	return Membership{}, ErrNotMember
}

// AssignRole implements Client: POST …:assignRole (PATCH on the membership
// when Roblox says assignRole does not exist), then …:unassignRole of the
// old role if Roblox kept it beside the new one.
func (c *HTTP) AssignRole(ctx context.Context, groupID, userID int64, roleID, oldRoleID string) (Membership, error) {
	member := c.set.APIURL + fmt.Sprintf("/cloud/v2/groups/%d/memberships/%d", groupID, userID)
	body := map[string]string{"role": fmt.Sprintf("groups/%d/roles/%s", groupID, roleID)}
	var m v2Membership
	patched := false
	if !c.noAssign.Load() {
		err := c.do(ctx, http.MethodPost, member+":assignRole", body, &m)
		var ae *APIError
		if errors.As(err, &ae) && (ae.Status == http.StatusNotFound || ae.Status == http.StatusMethodNotAllowed || ae.Status == http.StatusNotImplemented) {
			c.noAssign.Store(true)
		} else if err != nil {
			return Membership{}, err
		}
	}
	if c.noAssign.Load() {
		patched = true
		if err := c.do(ctx, http.MethodPatch, member, body, &m); err != nil {
			return Membership{}, err
		}
	}
	out, err := m.membership()
	if err != nil {
		return Membership{}, err
	}
	if patched || oldRoleID == "" || oldRoleID == roleID || !contains(out.Roles, oldRoleID) {
		return out, nil
	}
	var after v2Membership
	if err := c.do(ctx, http.MethodPost, member+":unassignRole",
		map[string]string{"role": fmt.Sprintf("groups/%d/roles/%s", groupID, oldRoleID)}, &after); err != nil {
		return Membership{}, err
	}
	return after.membership()
}

func contains(xs []string, x string) bool {
	for _, v := range xs {
		if v == x {
			return true
		}
	}
	return false
}

// RankChanges implements Client from the legacy-groups audit log, newest
// pages first until entries older than since (at most 10 pages of 100).
func (c *HTTP) RankChanges(ctx context.Context, groupID int64, since time.Time) ([]RankChange, error) {
	var out []RankChange
	cursor := ""
	for page := 0; page < 10; page++ {
		q := url.Values{"actionType": {"ChangeRank"}, "limit": {"100"}, "sortOrder": {"Desc"}}
		if cursor != "" {
			q.Set("cursor", cursor)
		}
		var r struct {
			NextPageCursor string `json:"nextPageCursor"`
			Data           []struct {
				Actor struct {
					User struct {
						UserID   int64  `json:"userId"`
						Username string `json:"username"`
					} `json:"user"`
				} `json:"actor"`
				ActionType  string          `json:"actionType"`
				Description json.RawMessage `json:"description"`
				Created     time.Time       `json:"created"`
			} `json:"data"`
		}
		if err := c.do(ctx, http.MethodGet, c.set.APIURL+fmt.Sprintf("/legacy-groups/v1/groups/%d/audit-log?", groupID)+q.Encode(), nil, &r); err != nil {
			return nil, err
		}
		older := false
		for _, e := range r.Data {
			if !e.Created.After(since) {
				older = true
				continue
			}
			if e.ActionType != "" && e.ActionType != "ChangeRank" {
				continue
			}
			var d struct {
				TargetID     json.Number `json:"TargetId"`
				OldRoleSetID json.Number `json:"OldRoleSetId"`
				NewRoleSetID json.Number `json:"NewRoleSetId"`
			}
			if json.Unmarshal(e.Description, &d) != nil {
				continue // tolerant: the description's keys are not in Roblox's schema
			}
			target, err := d.TargetID.Int64()
			if err != nil {
				continue
			}
			out = append(out, RankChange{ActorID: e.Actor.User.UserID, ActorName: e.Actor.User.Username, TargetUserID: target,
				OldRoleID: d.OldRoleSetID.String(), NewRoleID: d.NewRoleSetID.String(), Created: e.Created.UTC()})
		}
		if older || r.NextPageCursor == "" {
			break
		}
		cursor = r.NextPageCursor
	}
	for i, j := 0, len(out)-1; i < j; i, j = i+1, j-1 {
		out[i], out[j] = out[j], out[i]
	}
	return out, nil
}

// LookupUsernames implements Users.
func (u HTTPUsers) LookupUsernames(ctx context.Context, names []string) ([]User, error) {
	var r struct {
		Data []struct {
			RequestedUsername string `json:"requestedUsername"`
			ID                int64  `json:"id"`
			Name              string `json:"name"`
			DisplayName       string `json:"displayName"`
		} `json:"data"`
	}
	if err := u.c.do(ctx, http.MethodPost, u.c.set.UsersURL+"/v1/usernames/users",
		map[string]any{"usernames": names, "excludeBannedUsers": true}, &r); err != nil {
		return nil, err
	}
	out := make([]User, 0, len(r.Data))
	for _, d := range r.Data {
		out = append(out, User{ID: d.ID, Name: d.Name, DisplayName: d.DisplayName, Requested: d.RequestedUsername})
	}
	return out, nil
}

// do sends one call, within the key's budget, waiting out 429s: for
// Retry-After, else x-ratelimit-reset, else the backoff; each wait bounded.
func (c *HTTP) do(ctx context.Context, method, u string, in, out any) error {
	var body []byte
	if in != nil {
		var err error
		if body, err = json.Marshal(in); err != nil {
			return err
		}
	}
	for attempt := 0; ; attempt++ {
		if c.key != "" {
			if err := c.set.Budget.Take(ctx, c.fingerprint); err != nil {
				return fmt.Errorf("%w: %w", ErrUnavailable, err)
			}
		}
		req, err := http.NewRequestWithContext(ctx, method, u, bytes.NewReader(body))
		if err != nil {
			return err
		}
		if in != nil {
			req.Header.Set("Content-Type", "application/json")
		}
		req.Header.Set("Accept", "application/json")
		if c.key != "" {
			req.Header.Set("x-api-key", c.key)
		}
		c.Requests.Add(1)
		resp, err := c.set.HTTPClient.Do(req)
		if err != nil {
			return fmt.Errorf("%w: %w", ErrUnavailable, err)
		}
		raw, err := io.ReadAll(io.LimitReader(resp.Body, 4<<20))
		_ = resp.Body.Close()
		if err != nil {
			return fmt.Errorf("%w: reading the answer: %w", ErrUnavailable, err)
		}
		if resp.StatusCode == http.StatusTooManyRequests {
			c.RateLimited.Add(1)
			if attempt >= c.set.MaxRetries {
				return fmt.Errorf("%w: still rate limited after %d retries", ErrUnavailable, attempt)
			}
			wait := c.retryWait(resp.Header, attempt)
			if wait > c.set.MaxWait {
				return fmt.Errorf("%w: rate limited for %s", ErrUnavailable, wait.Round(time.Second))
			}
			if err := sleep(ctx, wait); err != nil {
				return fmt.Errorf("%w: %w", ErrUnavailable, err)
			}
			continue
		}
		if resp.StatusCode < 200 || resp.StatusCode > 299 {
			return apiError(resp.StatusCode, raw)
		}
		if out == nil || len(bytes.TrimSpace(raw)) == 0 {
			return nil
		}
		if err := json.Unmarshal(raw, out); err != nil {
			return fmt.Errorf("%w: unreadable answer: %w", ErrUnavailable, err)
		}
		return nil
	}
}

func (c *HTTP) retryWait(h http.Header, attempt int) time.Duration {
	if v := strings.TrimSpace(h.Get("Retry-After")); v != "" {
		if s, err := strconv.ParseFloat(v, 64); err == nil && s >= 0 {
			return time.Duration(s * float64(time.Second))
		}
		if t, err := http.ParseTime(v); err == nil {
			return max(time.Until(t), 0)
		}
	}
	if v := strings.TrimSpace(h.Get("x-ratelimit-reset")); v != "" {
		if s, err := strconv.ParseFloat(v, 64); err == nil && s >= 0 {
			return time.Duration(s * float64(time.Second))
		}
	}
	return c.set.Backoff(attempt)
}

// apiError reads Roblox's error bodies: v2 {"code","message"} or the
// gateway's {"errors":[{"code","message"}]}.
func apiError(status int, raw []byte) error {
	e := &APIError{Status: status}
	var v2 struct {
		Code    string `json:"code"`
		Message string `json:"message"`
		Errors  []struct {
			Message string `json:"message"`
		} `json:"errors"`
	}
	if json.Unmarshal(raw, &v2) == nil {
		e.Code, e.Message = v2.Code, v2.Message
		if e.Message == "" && len(v2.Errors) > 0 {
			e.Message = v2.Errors[0].Message
		}
	}
	if e.Message == "" {
		e.Message = strings.TrimSpace(string(raw))
		if len(e.Message) > 200 {
			e.Message = e.Message[:200]
		}
	}
	return e
}
