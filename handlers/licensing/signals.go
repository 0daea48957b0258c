package licensing

import (
	"errors"
	"time"

	"github.com/gofiber/fiber/v2"

	"lumdesk/handlers/web"
	"lumdesk/views/layouts"
	view "lumdesk/views/pages/licensing"
)

const (
	signalDays  = 30
	signalLimit = 25
)

func (h *Bulk) signals(c *fiber.Ctx) error {
	ctx := c.UserContext()
	v := view.Signals{Project: web.Field(c, "project"), Days: signalDays, Errors: map[string]string{}}
	if v.Project != "" {
		if _, err := h.lic.GetProject(ctx, v.Project); err != nil {
			var nf web.NotFoundError
			if !errors.As(err, &nf) {
				return err
			}
			v.Errors["project"] = "There is no such project; showing every project."
			v.Project = ""
		}
	}
	opts, err := h.projectOptions(ctx, v.Project)
	if err != nil {
		return err
	}
	v.Projects = opts
	resets, err := h.lic.TopResets(ctx, v.Project, h.now().Add(-signalDays*24*time.Hour), signalLimit)
	if err != nil {
		return err
	}
	for _, r := range resets {
		v.Resets = append(v.Resets, view.SignalReset{KeyID: r.Key.ID, UserKey: r.Key.UserKey, ProjectID: r.Key.ProjectID,
			ProjectName: r.Key.ProjectName, Status: r.Key.Status, Banned: r.Key.Banned, DiscordID: r.Key.DiscordID,
			Resets: r.Resets, LastReset: r.LastResetAt})
	}
	shared, at, err := h.lic.SharedHWIDs(ctx, v.Project, signalLimit)
	if err != nil {
		return err
	}
	v.SharedAt, v.Now = at, h.now()
	names := map[string]string{}
	for _, s := range shared {
		if _, ok := names[s.ProjectID]; !ok {
			if p, err := h.lic.GetProject(ctx, s.ProjectID); err == nil {
				names[s.ProjectID] = p.Name
			}
		}
		v.Shared = append(v.Shared, view.SignalShared{ProjectID: s.ProjectID, ProjectName: names[s.ProjectID],
			Identifier: s.Identifier, Keys: s.Keys, KeyIDs: s.KeyIDs})
	}
	status := fiber.StatusOK
	if len(v.Errors) > 0 {
		status = fiber.StatusUnprocessableEntity
	}
	p := h.app.Page(c, "Support signals", "luarmor", luarmorCrumb, layouts.Crumb{Label: "Support signals"})
	return web.Render(c, status, view.SignalsPage(p, v))
}
