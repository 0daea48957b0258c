package licensing

import (
	"errors"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"

	"lumdesk/handlers/web"
	"lumdesk/internal/licensing"
	"lumdesk/views/layouts"
	view "lumdesk/views/pages/portal/licensing"
)

func (h *Portal) renderGenerate(c *fiber.Ctx, status int, v view.Generate) error {
	u, err := h.scoped(c).PlanUsage(c.UserContext())
	if err != nil {
		return err
	}
	v.Max, v.MaxUsers = licensing.MaxGenerate, "any number of keys per project"
	if u.MaxUsers != licensing.Unlimited {
		v.MaxUsers = "up to " + num(int64(u.MaxUsers)) + " keys per project"
	}
	p := h.page(c, "Generate keys", crumb, layouts.Crumb{Label: v.ProjectName, Href: view.ProjectHref(v.ProjectID)}, layouts.Crumb{Label: "Generate keys"})
	v.CSRF = p.CSRF
	return web.Render(c, status, view.GeneratePage(p, v))
}

func (h *Portal) generateForm(c *fiber.Ctx) error {
	_, p, err := h.scoped(c).Project(c.UserContext(), c.Params("pid"))
	if err != nil {
		return err
	}
	return h.renderGenerate(c, fiber.StatusOK, view.Generate{ProjectID: p.ID, ProjectName: p.Name, Count: "10"})
}

// generate makes keys with Service.GenerateKeys: its count bound and the
// plan's user limit apply as for every caller.
func (h *Portal) generate(c *fiber.Ctx) error {
	svc, p, err := h.scoped(c).Project(c.UserContext(), c.Params("pid"))
	if err != nil {
		return err
	}
	v := view.Generate{ProjectID: p.ID, ProjectName: p.Name, Count: web.Field(c, "count"), KeyDays: web.Field(c, "key_days"),
		Note: strings.TrimSpace(web.FieldText(c, "note")), Errors: map[string]string{}}
	in := licensing.KeyInput{Note: v.Note}
	n, err := strconv.Atoi(v.Count)
	if err != nil || n < 1 || n > licensing.MaxGenerate {
		v.Errors["count"] = "Give a number from 1 to " + strconv.Itoa(licensing.MaxGenerate) + "."
	}
	if v.KeyDays != "" {
		d, err := strconv.Atoi(v.KeyDays)
		if err != nil || d < 1 {
			v.Errors["key_days"] = "Give a whole number of days (1 or more), or leave it empty."
		}
		in.KeyDays = &d
	}
	if len(v.Errors) == 0 {
		keys, err := svc.GenerateKeys(c.UserContext(), web.Actor(c), p.ID, n, in)
		var limit *licensing.UserLimitError
		switch {
		case web.FieldErrors(err, nil) != nil:
			v.Errors = web.FieldErrors(err, nil)
		case errors.As(err, &limit):
			v.Error = web.Capitalize(err.Error()) + "."
		case err != nil:
			return err
		default:
			for _, k := range keys {
				v.Done = append(v.Done, keyRow(k))
			}
			return h.renderGenerate(c, fiber.StatusOK, v)
		}
	}
	return h.renderGenerate(c, fiber.StatusUnprocessableEntity, v)
}
