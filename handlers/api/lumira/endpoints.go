package lumira

import (
	"bytes"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/utils"

	"lumdesk/handlers/api/apikit"
	"lumdesk/internal/accounts"
	"lumdesk/internal/apikeys"
	"lumdesk/internal/platform/apperr"
	"lumdesk/internal/platform/jsonin"
	"lumdesk/internal/ranking"
	"lumdesk/internal/ranking/discord"
)

// groupOut is a group with its ladder (its in-ladder roles, lowest first).
type groupOut struct {
	ranking.Group
	Ladder []ranking.Role `json:"ladder"`
}

func withLadder(g ranking.Group) groupOut {
	l := g.Ladder()
	if l == nil {
		l = []ranking.Role{}
	}
	return groupOut{Group: g, Ladder: l}
}

// groupRef is the :groupId parameter as the service names the group: a
// grp_ id passes as it is; a Roblox group ID is looked up among the key's
// groups (several accounts' groups with it: 400, say which with grp_).
func (api *API) groupRef(c *fiber.Ctx, scope accounts.Scope) (string, error) {
	ref := utils.CopyString(c.Params("groupId"))
	n, err := strconv.ParseInt(ref, 10, 64)
	if err != nil || n <= 0 || strings.HasPrefix(ref, "+") || strings.HasPrefix(ref, "0") {
		return ref, nil // the service answers group_not_found for anything but a grp_ id of the scope
	}
	var found []string
	before := ""
	for {
		page, err := api.svc.ListGroups(c.UserContext(), ranking.GroupFilter{Scope: scope, BeforeID: before, Limit: ranking.MaxLogLimit})
		if err != nil {
			return "", err
		}
		for _, g := range page {
			if g.RobloxGroupID == n {
				found = append(found, g.ID)
			}
		}
		if len(page) < ranking.MaxLogLimit {
			break
		}
		before = page[len(page)-1].ID
	}
	switch len(found) {
	case 0:
		return "", ranking.ErrGroupNotFound
	case 1:
		return found[0], nil
	}
	return "", ranking.ValidationError{"groupId": fmt.Sprintf("Several accounts have Roblox group %d: name the group by its Lumira id (%s).", n, strings.Join(found, ", "))}
}

// userParam is the :userId parameter (a Roblox user ID).
func userParam(c *fiber.Ctx) (int64, bool) {
	n, err := strconv.ParseInt(c.Params("userId"), 10, 64)
	return n, err == nil && n > 0 && n <= 1<<53
}

func badUser(c *fiber.Ctx) error {
	return writeErr(c, fiber.StatusBadRequest, CodeValidation, "userId: a Roblox user ID is a positive number.")
}

// readBody decodes the JSON body into v (an empty body is {} when
// optional). On failure it has written the 400.
func readBody(c *fiber.Ctx, v any, optional bool) (bool, error) {
	raw := bytes.TrimSpace(c.Body())
	if len(raw) == 0 && optional {
		return true, nil
	}
	if len(raw) == 0 || raw[0] != '{' {
		return false, writeErr(c, fiber.StatusBadRequest, CodeValidation, "The request body must be a JSON object.")
	}
	if err := jsonin.Decode(raw, v); err != nil {
		return false, writeErr(c, fiber.StatusBadRequest, CodeValidation, err.Error())
	}
	return true, nil
}

func (api *API) listGroups(c *fiber.Ctx, k apikeys.Key) error {
	f := ranking.GroupFilter{Scope: k.Scope(), Limit: ranking.DefaultLimit}
	if v := c.Query("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > ranking.MaxLogLimit {
			return writeErr(c, fiber.StatusBadRequest, CodeValidation, fmt.Sprintf("limit: a whole number from 1 to %d.", ranking.MaxLogLimit))
		}
		f.Limit = n
	}
	f.BeforeID = utils.CopyString(c.Query("cursor"))
	// One more than asked says whether another page follows.
	want := f.Limit
	if f.Limit < ranking.MaxLogLimit {
		f.Limit++
	}
	gs, err := api.svc.ListGroups(c.UserContext(), f)
	if err != nil {
		return api.serviceErr(c, err)
	}
	var next any
	if len(gs) > want {
		gs = gs[:want]
		next = gs[want-1].ID
	} else if len(gs) == ranking.MaxLogLimit && want == ranking.MaxLogLimit {
		next = gs[want-1].ID
	}
	out := make([]groupOut, len(gs))
	for i, g := range gs {
		out[i] = withLadder(g)
	}
	return c.JSON(fiber.Map{"items": out, "next_cursor": next})
}

func (api *API) getGroup(c *fiber.Ctx, k apikeys.Key) error {
	id, err := api.groupRef(c, k.Scope())
	if err != nil {
		return api.serviceErr(c, err)
	}
	g, err := api.svc.GetGroup(c.UserContext(), k.Scope(), id)
	if err != nil {
		return api.serviceErr(c, err)
	}
	return c.JSON(fiber.Map{"group": withLadder(g)})
}

func (api *API) listRoles(c *fiber.Ctx, k apikeys.Key) error {
	id, err := api.groupRef(c, k.Scope())
	if err != nil {
		return api.serviceErr(c, err)
	}
	g, err := api.svc.GetGroup(c.UserContext(), k.Scope(), id)
	if err != nil {
		return api.serviceErr(c, err)
	}
	return c.JSON(fiber.Map{"group_id": g.ID, "roblox_group_id": g.RobloxGroupID, "ceiling": g.Ceiling, "items": g.Roles})
}

// getMember: the member as Roblox says now, with points and its latest action.
func (api *API) getMember(c *fiber.Ctx, k apikeys.Key) error {
	id, err := api.groupRef(c, k.Scope())
	if err != nil {
		return api.serviceErr(c, err)
	}
	uid, ok := userParam(c)
	if !ok {
		return badUser(c)
	}
	m, err := api.svc.GetMember(c.UserContext(), k.Scope(), id, uid)
	if err != nil {
		return api.serviceErr(c, err)
	}
	page, err := api.svc.Logs(c.UserContext(), k.Scope(), id, ranking.LogFilter{UserID: uid, Limit: 1})
	if err != nil {
		return api.serviceErr(c, err)
	}
	var last *ranking.Action
	if len(page.Items) > 0 {
		last = &page.Items[0]
	}
	return c.JSON(fiber.Map{"group_id": id, "member": m, "last_change": last})
}

func (api *API) byUsername(c *fiber.Ctx, k apikeys.Key) error {
	u, err := api.svc.LookupUsername(c.UserContext(), k.Scope(), utils.CopyString(c.Params("username")))
	if err != nil {
		return api.serviceErr(c, err)
	}
	return c.JSON(fiber.Map{"user": u})
}

// rankBody is POST .../rank.
type rankBody struct {
	Rank   *int    `json:"rank"`
	RoleID *string `json:"roleId"`
	Reason string  `json:"reason"`
}

// memberCall resolves the group and the user, then runs fn.
func (api *API) memberCall(c *fiber.Ctx, k apikeys.Key, body any, optional bool, fn func(groupID string, userID int64) (ranking.Change, error)) error {
	id, err := api.groupRef(c, k.Scope())
	if err != nil {
		return api.serviceErr(c, err)
	}
	uid, ok := userParam(c)
	if !ok {
		return badUser(c)
	}
	if ok, err := readBody(c, body, optional); !ok {
		return err
	}
	ch, err := fn(id, uid)
	if err != nil {
		return api.serviceErr(c, err)
	}
	return c.JSON(ch)
}

func (api *API) setRank(c *fiber.Ctx, k apikeys.Key) error {
	var b rankBody
	return api.memberCall(c, k, &b, false, func(id string, uid int64) (ranking.Change, error) {
		if b.RoleID != nil && *b.RoleID == "" {
			return ranking.Change{}, ranking.ValidationError{"roleId": "Give the role's id, or a rank."}
		}
		in := ranking.RankInput{Rank: b.Rank, Reason: b.Reason}
		if b.RoleID != nil {
			in.RoleID = *b.RoleID
		}
		return api.svc.SetRank(c.UserContext(), apikit.Actor(c), k.Scope(), id, uid, in)
	})
}

type reasonBody struct {
	Reason string `json:"reason"`
}

func (api *API) promote(c *fiber.Ctx, k apikeys.Key) error {
	var b reasonBody
	return api.memberCall(c, k, &b, true, func(id string, uid int64) (ranking.Change, error) {
		return api.svc.Promote(c.UserContext(), apikit.Actor(c), k.Scope(), id, uid, b.Reason)
	})
}

func (api *API) demote(c *fiber.Ctx, k apikeys.Key) error {
	var b reasonBody
	return api.memberCall(c, k, &b, true, func(id string, uid int64) (ranking.Change, error) {
		return api.svc.Demote(c.UserContext(), apikit.Actor(c), k.Scope(), id, uid, b.Reason)
	})
}

type pointsBody struct {
	Delta  *int64 `json:"delta"`
	Reason string `json:"reason"`
}

func (api *API) points(c *fiber.Ctx, k apikeys.Key) error {
	var b pointsBody
	return api.memberCall(c, k, &b, false, func(id string, uid int64) (ranking.Change, error) {
		if b.Delta == nil {
			return ranking.Change{}, ranking.ValidationError{"delta": "Give the points to add (negative: remove)."}
		}
		return api.svc.AddPoints(c.UserContext(), apikit.Actor(c), k.Scope(), id, uid, *b.Delta, b.Reason)
	})
}

// batchBody is POST .../ranks/batch.
type batchBody struct {
	Actions []batchAction `json:"actions"`
}

type batchAction struct {
	Ref    string `json:"ref"`
	UserID int64  `json:"userId"`
	Action string `json:"action"`
	Rank   *int   `json:"rank"`
	RoleID string `json:"roleId"`
	Delta  int64  `json:"delta"`
	Reason string `json:"reason"`
}

// batchItemOut is one item's outcome: result, or error with the status a
// single call would have answered.
type batchItemOut struct {
	Ref    string          `json:"ref"`
	Status string          `json:"status"` // ok or error
	Result *ranking.Change `json:"result,omitempty"`
	Error  *itemError      `json:"error,omitempty"`
}

type itemError struct {
	Code       string `json:"code"`
	Message    string `json:"message"`
	HTTPStatus int    `json:"http_status"`
}

func (api *API) batch(c *fiber.Ctx, k apikeys.Key) error {
	id, err := api.groupRef(c, k.Scope())
	if err != nil {
		return api.serviceErr(c, err)
	}
	var b batchBody
	if ok, err := readBody(c, &b, false); !ok {
		return err
	}
	if len(b.Actions) == 0 || len(b.Actions) > ranking.MaxBatch {
		return writeErr(c, fiber.StatusBadRequest, CodeValidation, fmt.Sprintf("actions: send 1-%d actions (got %d); split larger batches.", ranking.MaxBatch, len(b.Actions)))
	}
	items := make([]ranking.BatchItem, len(b.Actions))
	for i, a := range b.Actions {
		items[i] = ranking.BatchItem{Ref: a.Ref, UserID: a.UserID, Action: a.Action, Rank: a.Rank, RoleID: a.RoleID, Delta: a.Delta, Reason: a.Reason}
	}
	res, err := api.svc.Batch(c.UserContext(), apikit.Actor(c), k.Scope(), id, items)
	if err != nil {
		return api.serviceErr(c, err)
	}
	out := make([]batchItemOut, len(res.Items))
	for i, it := range res.Items {
		o := batchItemOut{Ref: it.Ref, Status: it.Status, Result: it.Result}
		if it.Status != "ok" {
			code, msg := it.Code, it.Message
			if it.Err != nil {
				msg = message(it.Err)
				var fe apperr.FieldErrors
				if errors.As(it.Err, &fe) {
					msg = fieldsMessage(fe)
				}
			}
			if code == CodeInternal {
				api.log.Error("lumira api batch item failed", "err", it.Err, "path", c.Path(), "request_id", c.Locals("requestid"))
				msg = "Internal error; try the item again."
			}
			o.Error = &itemError{Code: code, Message: msg, HTTPStatus: statusOf(code)}
		}
		out[i] = o
	}
	return c.JSON(fiber.Map{"group_id": id, "total": res.Total, "ok": res.OK, "failed": res.Failed, "items": out})
}

// notifyBody is POST .../notify: Discord's content and one embed.
type notifyBody struct {
	Content string         `json:"content"`
	Embed   *discord.Embed `json:"embed"`
}

func (api *API) notify(c *fiber.Ctx, k apikeys.Key) error {
	id, err := api.groupRef(c, k.Scope())
	if err != nil {
		return api.serviceErr(c, err)
	}
	var b notifyBody
	if ok, err := readBody(c, &b, false); !ok {
		return err
	}
	if err := api.svc.Notify(c.UserContext(), apikit.Actor(c), k.Scope(), id, ranking.NotifyInput{Content: b.Content, Embed: b.Embed}); err != nil {
		return api.serviceErr(c, err)
	}
	return c.Status(fiber.StatusAccepted).JSON(fiber.Map{"group_id": id, "queued": true})
}

func (api *API) logs(c *fiber.Ctx, k apikeys.Key) error {
	id, err := api.groupRef(c, k.Scope())
	if err != nil {
		return api.serviceErr(c, err)
	}
	f := ranking.LogFilter{Limit: ranking.DefaultLimit, Cursor: utils.CopyString(c.Query("cursor"))}
	if v := c.Query("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > ranking.MaxLogLimit {
			return writeErr(c, fiber.StatusBadRequest, CodeValidation, fmt.Sprintf("limit: a whole number from 1 to %d.", ranking.MaxLogLimit))
		}
		f.Limit = n
	}
	if v := c.Query("userId"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n <= 0 {
			return writeErr(c, fiber.StatusBadRequest, CodeValidation, "userId: a Roblox user ID is a positive number.")
		}
		f.UserID = n
	}
	page, err := api.svc.Logs(c.UserContext(), k.Scope(), id, f)
	if err != nil {
		return api.serviceErr(c, err)
	}
	var next any
	if page.NextCursor != "" {
		next = page.NextCursor
	}
	return c.JSON(fiber.Map{"group_id": id, "items": page.Items, "next_cursor": next})
}
