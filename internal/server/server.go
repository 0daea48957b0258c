// Package server wires the domain services and HTTP route groups into one
// Fiber app. cmd/web and the HTTP tests both build the app here, so the tests
// exercise exactly what production serves.
package server

import (
	"log/slog"

	"github.com/gofiber/fiber/v2"

	"lumdesk/handlers"
	"lumdesk/internal/console"
	"lumdesk/internal/demo"
	"lumdesk/internal/platform/config"
	"lumdesk/internal/platform/db"
	"lumdesk/internal/platform/secretbox"
	"lumdesk/internal/staff"
)

// Services are the domain services of one process.
type Services struct {
	DB      *db.DB
	Box     *secretbox.Box
	Staff   *staff.Service
	Console *console.Service
}

// NewServices builds every domain service over one database.
func NewServices(cfg config.Config, d *db.DB, box *secretbox.Box) *Services {
	return &Services{
		DB:      d,
		Box:     box,
		Staff:   staff.NewService(d, box, cfg.Demo),
		Console: console.New(d),
	}
}

// routeGroups are the dashboard areas and product APIs beyond sign-in.
func (s *Services) routeGroups() []handlers.RouteGroup {
	return []handlers.RouteGroup{
		handlers.NewConsole(s.Console),
	}
}

// DemoDeps are the services the demo seed goes through.
func (s *Services) DemoDeps() demo.Deps {
	return demo.Deps{DB: s.DB, Staff: s.Staff}
}

// NewApp builds the HTTP app.
func NewApp(cfg config.Config, s *Services, log *slog.Logger) (*fiber.App, *handlers.App) {
	return handlers.New(handlers.Deps{
		Config: cfg, DB: s.DB, Staff: s.Staff, Log: log,
		Sessions: staff.NewSessionStore(s.DB, cfg.CookieSecure, cfg.SessionIdle, cfg.SessionAbsolute),
		Extra:    s.routeGroups(),
	})
}
