package web

import (
	"context"
	"net/http"
	"path"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/filesystem"

	"lumdesk/internal/staff"
	"lumdesk/static"
)

// baseRoutes are the routes of this package: sign-in, health, metrics, assets.
func (a *App) baseRoutes() []Route {
	return []Route{
		Get("/login", staff.PermPublic, a.loginPage),
		Post("/login", staff.PermPublic, a.login),
		Get("/login/totp", staff.PermPublic, a.totpPage),
		Post("/login/totp", staff.PermPublic, a.totp),
		Post("/logout", staff.PermSignedIn, a.logout),
		Get("/counts/:key", staff.PermSignedIn, a.liveCount),
		Get("/healthz", staff.PermPublic, func(c *fiber.Ctx) error { return c.JSON(fiber.Map{"status": "ok"}) }),
		Get("/readyz", staff.PermPublic, a.readyz),
		Get("/metrics", staff.PermPublic, a.metrics.handler(a.cfg.MetricsToken)),
		Get("/static/*", staff.PermPublic, serveStatic),
		Get("/favicon.ico", staff.PermPublic, func(c *fiber.Ctx) error { return c.Redirect("/static/img/favicon.svg", fiber.StatusMovedPermanently) }),
	}
}

func (a *App) readyz(c *fiber.Ctx) error {
	ctx, cancel := context.WithTimeout(c.UserContext(), 2*time.Second)
	defer cancel()
	if err := a.db.Pool.Ping(ctx); err != nil {
		return c.Status(fiber.StatusServiceUnavailable).JSON(fiber.Map{"status": "unavailable", "database": "unreachable"})
	}
	return c.JSON(fiber.Map{"status": "ok", "database": "ok"})
}

var staticFS = http.FS(static.FS)

func serveStatic(c *fiber.Ctx) error {
	p := path.Clean("/" + c.Params("*"))
	if strings.Contains(p, "..") || p == "/" {
		return fiber.ErrNotFound
	}
	c.Set(fiber.HeaderCacheControl, "public, max-age=300")
	return filesystem.SendFile(c, staticFS, p)
}
