package luarmor

import (
	"errors"
	"strconv"
	"time"

	"github.com/gofiber/fiber/v2"

	"lumdesk/handlers/api/apikit"
	"lumdesk/internal/licensing"
)

// user is a key as the API shows it. Times are unix seconds; -1 means none
// for auth_expire, ban_expire and key_days, 0 means never for last_reset and
// last_execution.
type user struct {
	UserKey         string `json:"user_key"`
	Identifier      string `json:"identifier"`
	DiscordID       string `json:"discord_id"`
	Note            string `json:"note"`
	Status          string `json:"status"`
	AuthExpire      int64  `json:"auth_expire"`
	KeyDays         int    `json:"key_days"`
	Banned          bool   `json:"banned"`
	BanReason       string `json:"ban_reason"`
	BanExpire       int64  `json:"ban_expire"`
	UnbanToken      string `json:"unban_token"`
	TotalResets     int    `json:"total_resets"`
	LastReset       int64  `json:"last_reset"`
	TotalExecutions int64  `json:"total_executions"`
	LastExecution   int64  `json:"last_execution"`
	CreatedAt       int64  `json:"created_at"`
}

func unixOr(t *time.Time, none int64) int64 {
	if t == nil {
		return none
	}
	return t.Unix()
}

func userOf(k licensing.Key) user {
	u := user{UserKey: k.UserKey, Identifier: k.Identifier, DiscordID: k.DiscordID, Note: k.Note, Status: k.Status,
		AuthExpire: unixOr(k.AuthExpire, -1), KeyDays: -1, Banned: k.Banned, BanReason: k.BanReason,
		BanExpire: unixOr(k.BanExpire, -1), UnbanToken: k.UnbanToken, TotalResets: k.TotalResets,
		LastReset: unixOr(k.LastResetAt, 0), TotalExecutions: k.TotalExecutions,
		LastExecution: unixOr(k.LastExecutionAt, 0), CreatedAt: k.CreatedAt.Unix()}
	if k.KeyDays != nil {
		u.KeyDays = *k.KeyDays
	}
	return u
}

func expiryOf(sec *int64) *licensing.Expiry {
	if sec == nil {
		return nil
	}
	e := licensing.ExpiryFromUnix(*sec)
	return &e
}

func intPtr(n *int64) *int {
	if n == nil {
		return nil
	}
	v := int(max(min(*n, 1<<31-1), -1<<31))
	return &v
}

func orEmpty(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// POST /v3/projects/:project_id/users
func (api *API) createUser(c *fiber.Ctx) error {
	svc, p, ok, err := api.access(c, scopeWrite)
	if !ok {
		return err
	}
	b, ok, err := readBody(c)
	if !ok {
		return err
	}
	in := licensing.KeyInput{
		Identifier: orEmpty(b.str("identifier", false)),
		DiscordID:  orEmpty(b.str("discord_id", false)),
		Note:       orEmpty(b.str("note", false)),
		AuthExpire: expiryOf(b.integer("auth_expire")),
		KeyDays:    intPtr(b.integer("key_days")),
	}
	if ok, err := b.done(c); !ok {
		return err
	}
	k, err := svc.CreateKey(c.UserContext(), apikit.Actor(c), p.ID, in)
	if err != nil {
		return api.serviceErr(c, err)
	}
	return success(c, "User has been created.", fiber.Map{"user_key": k.UserKey, "user": userOf(k)})
}

// PATCH /v3/projects/:project_id/users
func (api *API) updateUser(c *fiber.Ctx) error {
	svc, p, ok, err := api.access(c, scopeWrite)
	if !ok {
		return err
	}
	b, ok, err := readBody(c)
	if !ok {
		return err
	}
	userKey := b.str("user_key", true)
	in := licensing.KeyPatch{
		Identifier: b.str("identifier", false),
		DiscordID:  b.str("discord_id", false),
		Note:       b.str("note", false),
		AuthExpire: expiryOf(b.integer("auth_expire")),
		KeyDays:    intPtr(b.integer("key_days")),
	}
	if ok, err := b.done(c); !ok {
		return err
	}
	k, err := svc.UpdateKey(c.UserContext(), apikit.Actor(c), p.ID, *userKey, in)
	if err != nil {
		return api.serviceErr(c, err)
	}
	return success(c, "User has been updated.", fiber.Map{"user": userOf(k)})
}

// DELETE /v3/projects/:project_id/users?user_key=
func (api *API) deleteUser(c *fiber.Ctx) error {
	svc, p, ok, err := api.access(c, scopeWrite)
	if !ok {
		return err
	}
	userKey := c.Query("user_key")
	if userKey == "" {
		return fail(c, fiber.StatusBadRequest, "user_key is required.")
	}
	if err := svc.DeleteKey(c.UserContext(), apikit.Actor(c), p.ID, userKey, ""); err != nil {
		return api.serviceErr(c, err)
	}
	return success(c, "User has been deleted.", nil)
}

// maxUsers is the most users one GET returns (from/until page beyond it).
const maxUsers = licensing.MaxPageSize

// GET /v3/projects/:project_id/users
func (api *API) listUsers(c *fiber.Ctx) error {
	svc, p, ok, err := api.access(c, scopeRead)
	if !ok {
		return err
	}
	index := func(name string, def int) (int, bool) {
		v := c.Query(name)
		if v == "" {
			return def, true
		}
		n, err := strconv.Atoi(v)
		return n, err == nil && n >= 0 && n <= licensing.MaxOffset+maxUsers
	}
	from, okFrom := index("from", 0)
	until, okUntil := index("until", from+maxUsers)
	switch {
	case !okFrom:
		return fail(c, fiber.StatusBadRequest, "from must be a whole number, 0 or more.")
	case !okUntil:
		return fail(c, fiber.StatusBadRequest, "until must be a whole number, 0 or more.")
	case until < from:
		return fail(c, fiber.StatusBadRequest, "until must not be less than from.")
	}
	count := min(until-from, maxUsers)
	// An empty range (until = from) reads one user all the same: has_more
	// says whether any lie past it.
	page, err := svc.ListKeys(c.UserContext(), licensing.KeyFilter{
		ProjectID: p.ID, UserKey: c.Query("user_key"), Identifier: c.Query("identifier"),
		DiscordID: c.Query("discord_id"), Search: c.Query("search"), NoteInside: true,
		Sort: licensing.SortCreated, Offset: from, Limit: max(count, 1),
	})
	if err != nil {
		return api.serviceErr(c, err)
	}
	users := []user{}
	for _, k := range page.Keys[:min(count, len(page.Keys))] {
		users = append(users, userOf(k))
	}
	more := page.Next != nil || len(page.Keys) > count
	return success(c, "Users fetched.", fiber.Map{"users": users, "has_more": more})
}

// POST /v3/projects/:project_id/users/resethwid
func (api *API) resetHWID(c *fiber.Ctx) error {
	svc, p, ok, err := api.access(c, scopeWrite)
	if !ok {
		return err
	}
	b, ok, err := readBody(c)
	if !ok {
		return err
	}
	userKey := b.str("user_key", true)
	force := b.boolean("force")
	if ok, err := b.done(c); !ok {
		return err
	}
	k, err := svc.ResetHWID(c.UserContext(), apikit.Actor(c), p.ID, *userKey, licensing.ResetOpts{Force: force != nil && *force})
	if err != nil {
		return api.serviceErr(c, err)
	}
	return success(c, "HWID has been reset.", fiber.Map{"user": userOf(k)})
}

// POST /v3/projects/:project_id/users/linkdiscord
func (api *API) linkDiscord(c *fiber.Ctx) error {
	svc, p, ok, err := api.access(c, scopeWrite)
	if !ok {
		return err
	}
	b, ok, err := readBody(c)
	if !ok {
		return err
	}
	userKey := b.str("user_key", true)
	discordID := b.str("discord_id", true)
	force := b.boolean("force")
	if ok, err := b.done(c); !ok {
		return err
	}
	k, err := svc.LinkDiscord(c.UserContext(), apikit.Actor(c), p.ID, *userKey, *discordID, licensing.LinkOpts{Force: force != nil && *force})
	if err != nil {
		return api.serviceErr(c, err)
	}
	return success(c, "Discord ID has been linked.", fiber.Map{"user": userOf(k)})
}

// POST /v3/projects/:project_id/users/blacklist
func (api *API) blacklist(c *fiber.Ctx) error {
	svc, p, ok, err := api.access(c, scopeWrite)
	if !ok {
		return err
	}
	b, ok, err := readBody(c)
	if !ok {
		return err
	}
	userKey := b.str("user_key", true)
	in := licensing.BlacklistInput{BanReason: orEmpty(b.str("ban_reason", false))}
	if exp := b.integer("ban_expire"); exp != nil && *exp != -1 {
		t := time.Unix(*exp, 0).UTC()
		in.Expire = &t
	}
	if ok, err := b.done(c); !ok {
		return err
	}
	k, err := svc.Blacklist(c.UserContext(), apikit.Actor(c), p.ID, *userKey, in)
	var verr licensing.ValidationError
	if errors.As(err, &verr) && verr["ban_expire"] != "" {
		verr["ban_expire"] += " (or -1 for a ban without end)"
	}
	if err != nil {
		return api.serviceErr(c, err)
	}
	return success(c, "User has been blacklisted.", fiber.Map{"unban_token": k.UnbanToken, "user": userOf(k)})
}

// GET /v3/projects/:project_id/users/unban?unban_token= (no API key: the
// token is the credential, and it works once).
func (api *API) unban(c *fiber.Ctx) error {
	token := c.Query("unban_token")
	if token == "" {
		return fail(c, fiber.StatusBadRequest, "unban_token is required.")
	}
	if _, err := api.svc.UnbanByToken(c.UserContext(), apikit.Actor(c), c.Params("project_id"), token); err != nil {
		return api.serviceErr(c, err)
	}
	return success(c, "User has been unbanned.", nil)
}
