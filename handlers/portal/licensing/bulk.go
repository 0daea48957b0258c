package licensing

// A bulk action on the keys selected on a project's page: reset HWID,
// blacklist, unban or delete. One page of keys at most, done in the
// request, each key through the same service call as its own page (so the
// same rules and cooldowns apply), each with its own result. The console's
// bulk actions, over whole filters and any number of keys, run as jobs.

import (
	"errors"

	"github.com/gofiber/fiber/v2"

	"lumdesk/handlers/web"
	"lumdesk/internal/licensing"
	"lumdesk/views/components"
	"lumdesk/views/layouts"
	view "lumdesk/views/pages/portal/licensing"
)

var bulkActions = map[string]bool{"reset-hwid": true, "blacklist": true, "unban": true, "delete": true}

// bulk confirms the action (the keys, a ban's reason), then, with
// confirm=yes, does it to each key and shows each result.
func (h *Portal) bulk(c *fiber.Ctx) error {
	ctx := c.UserContext()
	svc, p, err := h.scoped(c).Project(ctx, c.Params("pid"))
	if err != nil {
		return err
	}
	v := view.Bulk{ProjectID: p.ID, ProjectName: p.Name, Action: web.Field(c, "action"), Errors: map[string]string{},
		Force: web.Checked(c, "force"), BanReason: web.Truncate(web.Field(c, "ban_reason"), 600), CSRF: web.CSRFToken(c)}
	if !bulkActions[v.Action] {
		return fiber.NewError(fiber.StatusUnprocessableEntity, "Choose reset HWID, blacklist, unban or delete for the selected keys.")
	}
	// The selected keys of this project; another project's or account's id
	// is left out, as if it were not there.
	var keys []licensing.Key
	seen := map[int64]bool{}
	for _, s := range web.FieldValues(c, "ids") {
		id, ok := web.ParseID(s)
		if !ok || seen[id] || len(keys) == keyPageSize {
			continue
		}
		seen[id] = true
		k, err := svc.GetKeyByID(ctx, id)
		if errors.Is(err, licensing.ErrKeyNotFound) || err == nil && k.ProjectID != p.ID {
			continue
		}
		if err != nil {
			return err
		}
		keys = append(keys, k)
		v.Keys = append(v.Keys, keyRow(k))
	}
	if len(keys) == 0 {
		return fiber.NewError(fiber.StatusUnprocessableEntity, "Select one or more keys of this project first.")
	}
	if web.Field(c, "confirm") != "yes" {
		return h.renderBulk(c, fiber.StatusOK, v)
	}
	if v.Action == "blacklist" && v.BanReason == "" {
		v.Errors["ban_reason"] = "Give the reason the users will see."
		return h.renderBulk(c, fiber.StatusUnprocessableEntity, v)
	}
	actor := web.Actor(c)
	v.Results = []view.BulkResult{}
	for i, k := range keys {
		var err error
		switch v.Action {
		case "reset-hwid":
			_, err = svc.ResetHWID(ctx, actor, p.ID, k.UserKey, licensing.ResetOpts{Force: v.Force})
		case "blacklist":
			_, err = svc.Blacklist(ctx, actor, p.ID, k.UserKey, licensing.BlacklistInput{BanReason: v.BanReason})
		case "unban":
			_, err = svc.Unban(ctx, actor, p.ID, k.UserKey, "")
		case "delete":
			err = svc.DeleteKey(ctx, actor, p.ID, k.UserKey, "")
		}
		r := view.BulkResult{Key: v.Keys[i], OK: err == nil}
		if err != nil {
			if r.Message = bulkRefusal(err); r.Message == "" {
				return err // not the key's state: the error page, as for one key
			}
		}
		v.Results = append(v.Results, r)
	}
	return h.renderBulk(c, fiber.StatusOK, v)
}

// bulkRefusal is why the action did not apply to a key ("" for an error
// that is not about the key).
func bulkRefusal(err error) string {
	var cooldown *licensing.ResetCooldownError
	switch {
	case errors.As(err, &cooldown):
		return "On cooldown until " + components.ExactTime(cooldown.Ends) + "."
	case licensing.StateRefusal(err), errors.Is(err, licensing.ErrKeyNotFound):
		return web.Capitalize(err.Error()) + "."
	case web.FieldErrors(err, nil) != nil:
		return web.FieldErrorsText(web.FieldErrors(err, nil))
	}
	return ""
}

func (h *Portal) renderBulk(c *fiber.Ctx, status int, v view.Bulk) error {
	p := h.page(c, v.Verb()+" keys", crumb, layouts.Crumb{Label: v.ProjectName, Href: view.ProjectHref(v.ProjectID)}, layouts.Crumb{Label: "Bulk action"})
	return web.Render(c, status, view.BulkPage(p, v))
}
