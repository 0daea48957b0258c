package luarmor

import (
	"github.com/gofiber/fiber/v2"

	"lumdesk/handlers/api/apikit"
)

// GET /v3/keys/:api_key/details
func (api *API) details(c *fiber.Ctx) error {
	svc, _, ok, err := api.access(c, scopeRead)
	if !ok {
		return err
	}
	k, _ := apikit.KeyOf(c)
	acc, projects, err := svc.AccountDetails(c.UserContext())
	if err != nil {
		return api.serviceErr(c, err)
	}
	type projectJSON struct {
		ID            string       `json:"id"`
		Name          string       `json:"name"`
		ResetCooldown int64        `json:"reset_cooldown"`
		UsersCanReset bool         `json:"users_can_reset"`
		FFADefault    bool         `json:"ffa_default"`
		CreatedAt     int64        `json:"created_at"`
		Scripts       []scriptJSON `json:"scripts"`
	}
	out := make([]projectJSON, len(projects))
	for i, p := range projects {
		out[i] = projectJSON{ID: p.Project.ID, Name: p.Project.Name, ResetCooldown: int64(p.Project.ResetCooldown.Seconds()),
			UsersCanReset: p.Project.UsersCanReset, FFADefault: p.Project.FFADefault, CreatedAt: p.Project.CreatedAt.Unix(),
			Scripts: make([]scriptJSON, len(p.Scripts))}
		for j, s := range p.Scripts {
			out[i].Scripts[j] = scriptOf(s)
		}
	}
	return success(c, "API key details.", fiber.Map{
		"name": acc.Name, "email": acc.Email, "api_key_name": k.Name, "scopes": k.Scopes,
		"rate_limit_per_minute": k.RateLimitPerMinute, "projects": out,
	})
}

// GET /v3/keys/:api_key/stats[?noUsers=true]. noUsers=true leaves out the
// user counts (the part that counts every key, so the answer comes faster).
func (api *API) stats(c *fiber.Ctx) error {
	svc, _, ok, err := api.access(c, scopeRead)
	if !ok {
		return err
	}
	var noUsers bool
	switch c.Query("noUsers") {
	case "", "false", "0":
	case "true", "1":
		noUsers = true
	default:
		return fail(c, fiber.StatusBadRequest, "noUsers must be true or false.")
	}
	st, err := svc.AccountStats(c.UserContext(), !noUsers)
	if err != nil {
		return api.serviceErr(c, err)
	}
	daily := make([]int64, len(st.Daily))
	for i, d := range st.Daily {
		daily[i] = d.Count
	}
	start := int64(0)
	if len(st.Daily) > 0 {
		start = st.Daily[0].Day.Unix()
	}
	out := fiber.Map{
		"projects": st.Projects, "scripts": st.Scripts, "total_executions": st.TotalExecutions,
		"execution_data": fiber.Map{"frequency": 86400, "start": start, "executions": daily},
		// The account's plan; -1 is "no limit" (and an operator key's answer).
		"obfuscations": fiber.Map{"used": st.ObfuscationsUsed, "remaining": st.ObfuscationsRemaining, "max": st.ObfuscationsMax},
		"max_users":    st.MaxUsers,
	}
	if st.Users != nil {
		out["users"] = fiber.Map{"total": st.Users.Total, "active": st.Users.Active, "banned": st.Users.Banned,
			"whitelisted": st.Users.Whitelisted, "expired": st.Users.Expired}
	}
	return success(c, "API key stats.", fiber.Map{"stats": out})
}
