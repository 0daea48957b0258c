package web

import (
	"bytes"
	"compress/gzip"
	"context"
	"io/fs"
	"net/http"
	"path"
	"strings"
	"sync"
	"time"

	"github.com/andybalholm/brotli"
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
	name := strings.TrimPrefix(p, "/")
	if static.Current(name, c.Query("v")) {
		// A hashed URL (static.URL) never changes content.
		c.Set(fiber.HeaderCacheControl, "public, max-age=31536000, immutable")
	} else {
		c.Set(fiber.HeaderCacheControl, "public, max-age=300")
	}
	if a := packedAsset(name); a != nil {
		c.Set(fiber.HeaderVary, fiber.HeaderAcceptEncoding)
		c.Type(path.Ext(name))
		accept := c.Get(fiber.HeaderAcceptEncoding)
		switch {
		case strings.Contains(accept, "br"):
			c.Set(fiber.HeaderContentEncoding, "br")
			return c.Send(a.br)
		case strings.Contains(accept, "gzip"):
			c.Set(fiber.HeaderContentEncoding, "gzip")
			return c.Send(a.gz)
		}
		return c.Send(a.raw)
	}
	return filesystem.SendFile(c, staticFS, p)
}

// packed is a text asset compressed once at the best levels (the
// middleware's per-response compression is the fastest level: fine for
// pages, a third larger for the CSS and scripts every first visit loads).
type packed struct {
	once        sync.Once
	raw, gz, br []byte
}

var packedAssets sync.Map // name → *packed

func packedAsset(name string) *packed {
	switch path.Ext(name) {
	case ".css", ".js", ".svg":
	default:
		return nil
	}
	v, _ := packedAssets.LoadOrStore(name, &packed{})
	a := v.(*packed)
	a.once.Do(func() {
		raw, err := fs.ReadFile(static.FS, name)
		if err != nil {
			return
		}
		var gz, br bytes.Buffer
		zw, _ := gzip.NewWriterLevel(&gz, gzip.BestCompression)
		zw.Write(raw)
		zw.Close()
		bw := brotli.NewWriterLevel(&br, brotli.BestCompression)
		bw.Write(raw)
		bw.Close()
		a.raw, a.gz, a.br = raw, gz.Bytes(), br.Bytes()
	})
	if a.raw == nil {
		return nil
	}
	return a
}
