package web

import (
	"errors"
	"net/http"

	"github.com/gofiber/fiber/v2"

	"lumdesk/internal/platform/db"
	"lumdesk/views/layouts"
	"lumdesk/views/pages/errorpage"
)

// APIErrorWriter is implemented by a product API's route group so that errors
// raised before its handlers run (body too large, unknown path, panics) still
// reach the client in that product's own error envelope.
type APIErrorWriter interface {
	APIPrefix() string // e.g. "/api/luarmor/"
	WriteAPIError(c *fiber.Ctx, status int, msg string) error
}

// PortalShell is implemented by the portal's route group: the layout
// view-model of a portal page (its sidebar for the user's role, the
// account's name), used by the error page under /portal.
type PortalShell interface {
	PortalPage(c *fiber.Ctx, title, nav string, crumbs ...layouts.Crumb) layouts.Page
}

// NotFoundError is implemented by domain "not found" errors so the one error
// handler can answer 404 without knowing every package.
type NotFoundError interface{ NotFound() bool }

// apiErrorWriter is the writer of the API group that path is under, or nil.
func (a *App) apiErrorWriter(path string) APIErrorWriter {
	for _, w := range a.apiErrors {
		if hasPrefixFold(path, w.APIPrefix()) {
			return w
		}
	}
	return nil
}

// errorHandler is the dashboard's single error path: domain and HTTP errors
// become an error page (full requests) or a toast (htmx requests).
func (a *App) errorHandler(c *fiber.Ctx, err error) error {
	status := fiber.StatusInternalServerError
	msg := "Something went wrong on our side. The error was logged with request id " + requestID(c) + "."
	var fe *fiber.Error
	var nf NotFoundError
	switch {
	case errors.As(err, &fe):
		status, msg = fe.Code, fe.Message
		if status == fiber.StatusNotFound && msg == "Cannot "+c.Method()+" "+c.Path() || msg == http.StatusText(status) {
			msg = friendly(status)
		}
	case errors.Is(err, ErrForbidden):
		status, msg = fiber.StatusForbidden, "You do not have permission to do that."
	case errors.As(err, &nf) && nf.NotFound():
		status, msg = fiber.StatusNotFound, err.Error()
	case db.Unavailable(err):
		// The database went away (a restart, a failover): nothing was
		// written, and the pool reconnects within seconds of its return.
		a.log.Warn("database unavailable", "err", err, "path", c.Path(), "request_id", requestID(c))
		status, msg = fiber.StatusServiceUnavailable, "lumdesk cannot reach its database right now. Nothing was changed; try again in a few seconds."
		c.Set(fiber.HeaderRetryAfter, "5")
	default:
		a.log.Error("request failed", "err", err, "path", c.Path(), "request_id", requestID(c))
	}
	if w := a.apiErrorWriter(c.Path()); w != nil {
		return w.WriteAPIError(c, status, msg)
	}
	if isAPI(c.Path()) {
		return c.Status(status).JSON(fiber.Map{"error": msg})
	}
	if IsHTMX(c) {
		c.Set("HX-Trigger", toastTrigger("error", msg))
		c.Set("HX-Reswap", "none")
		return c.Status(status).SendString(msg)
	}
	if IsPortal(c.Path()) && a.portalShell != nil {
		p := a.portalShell.PortalPage(c, http.StatusText(status), "")
		return Render(c, status, errorpage.Page(p, status, msg, CurrentCustomer(c) != nil))
	}
	p := a.Page(c, http.StatusText(status), "")
	return Render(c, status, errorpage.Page(p, status, msg, CurrentUser(c) != nil))
}

func friendly(status int) string {
	switch status {
	case fiber.StatusNotFound:
		return "There is nothing at this address. It may have been moved or deleted."
	case fiber.StatusRequestEntityTooLarge:
		return "That upload or form is too large."
	case fiber.StatusMethodNotAllowed:
		return "That action is not allowed here."
	case fiber.StatusUnauthorized:
		return "Sign in to continue."
	}
	return http.StatusText(status)
}
