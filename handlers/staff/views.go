package staff

import (
	"context"
	"strconv"

	"github.com/gofiber/fiber/v2"

	"lumdesk/handlers/web"
	"lumdesk/internal/staff"
	"lumdesk/views/pages/savedviews"
)

// SavedViewsService is what the Views menu needs of the staff service: the
// signed-in user's own views, never another's.
type SavedViewsService interface {
	SaveView(ctx context.Context, userID int64, page, name, query string) (staff.SavedView, error)
	View(ctx context.Context, userID, id int64) (staff.SavedView, error)
	DeleteView(ctx context.Context, userID, id int64) error
}

// Views serves saving and deleting the saved views of the console lists
// (web.App.ListBar shows them on each list).
type Views struct {
	app *web.App
	svc SavedViewsService
}

// NewViews makes the route group.
func NewViews(svc SavedViewsService) *Views { return &Views{svc: svc} }

// Routes implements RouteGroup. Every signed-in staff user, viewers too,
// keeps views: they change what one person sees, never the data.
func (h *Views) Routes(a *web.App) []web.Route {
	h.app = a
	return []web.Route{
		web.Post("/saved-views", staff.PermSignedIn, h.save),
		web.Get("/saved-views/:id/delete", staff.PermSignedIn, h.deleteForm),
		web.Post("/saved-views/:id/delete", staff.PermSignedIn, h.delete),
	}
}

func (h *Views) save(c *fiber.Ctx) error {
	f := web.ReadForm(c)
	form := savedviews.SaveForm{Page: f.String("page", 0), Query: f.String("query", 0), Name: f.String("name", 0)}
	v, err := h.svc.SaveView(c.UserContext(), web.CurrentUser(c).ID, form.Page, form.Name, form.Query)
	if msgs := web.FieldErrors(err, nil); msgs != nil {
		form.Errors = msgs
		// A page or query the menu never sends is not sent back: Cancel goes
		// to the list (or home, for a page that is not one).
		if msgs["page"] != "" {
			form.Page, form.Query = "", ""
		}
		if msgs["query"] != "" {
			form.Query = ""
		}
		p := h.app.Page(c, "Save view", "", web.Crumb("Save view"))
		return web.Render(c, fiber.StatusUnprocessableEntity, savedviews.SavePage(p, form))
	}
	if err != nil {
		return err
	}
	h.app.Toast(c, "success", "View “"+v.Name+"” saved.")
	return web.Redirect(c, v.Href())
}

// view is the path's view of the signed-in user: a malformed id is as
// unknown as another user's view.
func (h *Views) view(c *fiber.Ctx) (staff.SavedView, error) {
	id, ok := web.ParseID(c.Params("id"))
	if !ok {
		return staff.SavedView{}, staff.ErrViewNotFound
	}
	return h.svc.View(c.UserContext(), web.CurrentUser(c).ID, id)
}

func (h *Views) deleteForm(c *fiber.Ctx) error {
	v, err := h.view(c)
	if err != nil {
		return err
	}
	p := h.app.Page(c, "Delete view", "", web.Crumb("Delete view"))
	return web.Render(c, fiber.StatusOK, savedviews.DeletePage(p, savedviews.Delete{ID: strconv.FormatInt(v.ID, 10), Name: v.Name, Back: v.Href()}))
}

func (h *Views) delete(c *fiber.Ctx) error {
	v, err := h.view(c)
	if err != nil {
		return err
	}
	// Not found here too when another tab deleted it meanwhile.
	if err := h.svc.DeleteView(c.UserContext(), web.CurrentUser(c).ID, v.ID); err != nil {
		return err
	}
	h.app.Toast(c, "success", "View “"+v.Name+"” deleted.")
	return web.Redirect(c, v.Page)
}
