package luarmor

import (
	"github.com/gofiber/fiber/v2"

	"lumdesk/handlers/api/apikit"
	"lumdesk/internal/licensing"
)

type scriptJSON struct {
	ScriptID      string `json:"script_id"`
	ScriptName    string `json:"script_name"`
	Version       int    `json:"version"`
	Silent        bool   `json:"silent"`
	FFA           bool   `json:"ffa"`
	Heartbeat     bool   `json:"heartbeat"`
	Lightning     bool   `json:"lightning"`
	Executions    int64  `json:"executions"`
	LastExecution int64  `json:"last_execution"`
	UpdatedAt     int64  `json:"updated_at"`
	CreatedAt     int64  `json:"created_at"`
}

func scriptOf(s licensing.Script) scriptJSON {
	return scriptJSON{ScriptID: s.ID, ScriptName: s.Name, Version: s.Version, Silent: s.Silent, FFA: s.FFA,
		Heartbeat: s.Heartbeat, Lightning: s.Lightning, Executions: s.TotalExecutions,
		LastExecution: unixOr(s.LastExecutionAt, 0), UpdatedAt: s.UpdatedAt.Unix(), CreatedAt: s.CreatedAt.Unix()}
}

// PUT /v3/projects/:project_id/scripts/:script_id
func (api *API) updateScript(c *fiber.Ctx) error {
	svc, p, ok, err := api.access(c, scopeScripts)
	if !ok {
		return err
	}
	b, ok, err := readBody(c)
	if !ok {
		return err
	}
	in := licensing.ScriptUpdate{
		Source:    b.str("script", true),
		Silent:    b.boolean("silent"),
		FFA:       b.boolean("ffa"),
		Heartbeat: b.boolean("heartbeat"),
		Lightning: b.boolean("lightning"),
	}
	if ok, err := b.done(c); !ok {
		return err
	}
	s, err := svc.UpdateScript(c.UserContext(), apikit.Actor(c), p.ID, c.Params("script_id"), in)
	if err != nil {
		return api.serviceErr(c, err)
	}
	return success(c, "Script has been updated.", fiber.Map{"script": scriptOf(s)})
}

// checkJSON is the loader check's answer: a struct, not a fiber.Map, as the
// check is the hottest path (a map costs its allocation and a key sort per
// answer). Fields in the map's order, so the bytes are the same; a nil
// field is absent.
type checkJSON struct {
	Assigned        bool    `json:"assigned"`
	AuthExpire      *int64  `json:"auth_expire,omitempty"`
	BanExpire       *int64  `json:"ban_expire,omitempty"`
	BanReason       *string `json:"ban_reason,omitempty"`
	Code            string  `json:"code"`
	Message         string  `json:"message"`
	Note            *string `json:"note,omitempty"`
	Success         bool    `json:"success"`
	TotalExecutions *int64  `json:"total_executions,omitempty"`
}

func ptr[T any](v T) *T { return &v }

// POST /v3/projects/:project_id/scripts/:script_id/check: the loader check.
// No API key: game clients call it with the user's script_key and HWID.
// 200 when allowed, 403 with the reason when refused.
func (api *API) check(c *fiber.Ctx) error {
	b, ok, err := readBody(c)
	if !ok {
		return err
	}
	in := licensing.CheckInput{
		ProjectID: c.Params("project_id"), ScriptID: c.Params("script_id"),
		ScriptKey: orEmpty(b.str("script_key", false)), HWID: orEmpty(b.str("hwid", false)),
		Actor: apikit.Actor(c),
	}
	if ok, err := b.done(c); !ok {
		return err
	}
	r, err := api.svc.Check(c.UserContext(), in)
	if err != nil {
		return api.serviceErr(c, err)
	}
	out := checkJSON{Success: r.Allowed, Message: r.Message, Code: string(r.Reason), Assigned: r.Assigned}
	if r.Key != nil {
		out.AuthExpire, out.Note, out.TotalExecutions = ptr(unixOr(r.AuthExpire, -1)), &r.Key.Note, &r.Key.TotalExecutions
	}
	if r.Reason == licensing.ReasonBanned || r.Reason == licensing.ReasonHWIDBanned {
		out.BanReason, out.BanExpire = &r.BanReason, ptr(unixOr(r.BanExpire, -1))
	}
	status := fiber.StatusOK
	if !r.Allowed {
		status = fiber.StatusForbidden
	}
	return c.Status(status).JSON(out)
}
