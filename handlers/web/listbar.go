package web

import (
	"strconv"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/utils"

	"lumdesk/internal/platform/listcount"
	"lumdesk/internal/staff"
	"lumdesk/views/components"
)

// ListBar is the row above a list's table (components.ListHeader) for the
// list at base whose current URL query is query ("?q=x", as its
// Filters.Query() gives it): the active filters as chips and the signed-in
// staff user's saved views of the list. The list adds its count
// (PageCount, or ListBar.Count = web.Count(...)) when it counts.
func (a *App) ListBar(c *fiber.Ctx, base, query string, filters ...[]components.ActiveFilter) components.ListBar {
	b := components.ListBar{Base: base, Query: query, Views: a.savedViews(c, base, query)}
	for _, f := range filters {
		b.Filters = append(b.Filters, f...)
	}
	return b
}

// Count is a list's listcount.Count in its noun ("key", "keys").
func Count(n listcount.Count, one, many string) *components.ResultCount {
	return components.Counted(n.N, n.More, one, many)
}

// IsCountRequest reports whether the request is a list's deferred count
// (components.ListBar.CountFrom) asking for the count alone.
func IsCountRequest(c *fiber.Ctx) bool {
	return IsHTMX(c) && c.Get("HX-Target") == components.ResultCountID
}

// PageCount gives a list's bar its count: the page's own when the page
// holds every match (listcount.OfPage), else the page's URL, which the bar
// asks for the count once the rows show (IsCountRequest). A count reads up
// to listcount.Cap matches: at a million rows it is as much of the
// database's time as the page.
func PageCount(c *fiber.Ctx, b *components.ListBar, rows int, hasPrev, hasNext bool, one, many string) {
	if n, ok := listcount.OfPage(rows, hasPrev, hasNext); ok {
		b.Count = Count(n, one, many)
		return
	}
	b.CountFrom = utils.CopyString(c.OriginalURL())
}

// RenderCount answers a deferred count with what the list's count query
// gave, in the list's noun: nothing when a filter is refused (a validation
// error); any other error is the error handler's (an unknown project: 404,
// which the bar shows as "Count unavailable").
func RenderCount(c *fiber.Ctx, n listcount.Count, err error, one, many string) error {
	if FieldErrors(err, nil) != nil {
		return Render(c, fiber.StatusOK, components.CountText(nil))
	}
	if err != nil {
		return err
	}
	return Render(c, fiber.StatusOK, components.CountText(Count(n, one, many)))
}

// savedViews is the Views menu; nil (no menu) when nobody is signed in or
// the views cannot be read: the list itself still shows.
func (a *App) savedViews(c *fiber.Ctx, page, query string) *components.SavedViews {
	u := CurrentUser(c)
	if u == nil || a.staff == nil {
		return nil
	}
	views, err := a.staff.Views(c.UserContext(), u.ID, page)
	if err != nil {
		a.log.Error("saved views", "err", err, "request_id", requestID(c))
		return nil
	}
	m := &components.SavedViews{Page: page, Query: query}
	if s, _ := session(c); s != nil {
		m.CSRF, _ = s.Values[staff.KeyCSRF].(string)
	}
	for _, v := range views {
		m.Views = append(m.Views, components.SavedViewLink{Name: v.Name, Href: v.Href(),
			DeleteHref: "/saved-views/" + strconv.FormatInt(v.ID, 10) + "/delete"})
	}
	return m
}
