package licensing

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/utils"

	"lumdesk/handlers/web"
	"lumdesk/internal/jobs"
	"lumdesk/internal/licensing"
	"lumdesk/views/components"
	"lumdesk/views/layouts"
	view "lumdesk/views/pages/licensing"
)

// projectOptions are the choices of the project pickers: the newest
// projects, plus the chosen one if it is older.
const bulkProjectChoices = 200

func (h *Bulk) projectOptions(ctx context.Context, chosen string) ([]components.Option, error) {
	page, err := h.lic.ListProjects(ctx, licensing.ProjectFilter{Limit: bulkProjectChoices})
	if err != nil {
		return nil, err
	}
	var out []components.Option
	found := false
	for _, p := range page.Projects {
		out = append(out, components.Option{Value: p.ID, Label: bulkProjectLabel(p)})
		found = found || p.ID == chosen
	}
	if chosen != "" && !found {
		if p, err := h.lic.GetProject(ctx, chosen); err == nil {
			out = append([]components.Option{{Value: p.ID, Label: bulkProjectLabel(p)}}, out...)
		}
	}
	return out, nil
}

func bulkProjectLabel(p licensing.Project) string {
	if p.AccountName != "" {
		return p.Name + " · " + p.AccountName
	}
	return p.Name
}

func (h *Bulk) generatePage(c *fiber.Ctx, status int, v view.BulkGenerate) error {
	opts, err := h.projectOptions(c.UserContext(), v.Project)
	if err != nil {
		return err
	}
	v.Projects, v.Max = opts, licensing.MaxGenerate
	p := h.app.Page(c, "Generate keys", "luarmor", luarmorCrumb, bulkKeysCrumb, layouts.Crumb{Label: "Generate"})
	return web.Render(c, status, view.BulkGeneratePage(p, v))
}

func (h *Bulk) generateForm(c *fiber.Ctx) error {
	return h.generatePage(c, fiber.StatusOK, view.BulkGenerate{Project: web.Field(c, "project"), Count: "10"})
}

func (h *Bulk) generate(c *fiber.Ctx) error {
	v := view.BulkGenerate{Project: web.Field(c, "project"), Count: web.Field(c, "count"), KeyDays: web.Field(c, "key_days"),
		Expires: web.Field(c, "expires"), Note: utils.CopyString(c.FormValue("note")), Reason: web.Field(c, "reason")}
	errs := map[string]string{}
	in := jobs.Generate{ProjectID: v.Project, KeyInput: licensing.KeyInput{Note: strings.TrimSpace(v.Note), Reason: v.Reason}}
	if v.Project == "" {
		errs["project"] = "Choose the project the keys belong to."
	}
	n, err := strconv.Atoi(v.Count)
	if err != nil || n < 1 || n > licensing.MaxGenerate {
		errs["count"] = fmt.Sprintf("Give a number from 1 to %d.", licensing.MaxGenerate)
	}
	in.Count = n
	if v.KeyDays != "" {
		d, err := strconv.Atoi(v.KeyDays)
		if err != nil {
			errs["key_days"] = "Give a whole number of days, or leave it empty."
		}
		in.KeyDays = &d
	}
	if v.Expires != "" {
		t, err := time.Parse(time.DateOnly, v.Expires)
		switch {
		case err != nil:
			errs["auth_expire"] = "Dates look like 2026-12-31."
		case in.KeyDays != nil:
			errs["auth_expire"] = "Give key days or an expiry date, not both."
		default:
			in.AuthExpire = &licensing.Expiry{At: t.UTC()}
		}
	}
	if len(errs) == 0 {
		job, err := h.jobs.EnqueueGenerate(c.UserContext(), web.Actor(c), in)
		if e := bulkErrors(err); e != nil {
			errs = e
		} else if err != nil {
			return err
		} else {
			return web.Redirect(c, view.JobHref(job.ID))
		}
	}
	v.Errors = errs
	return h.generatePage(c, fiber.StatusUnprocessableEntity, v)
}
