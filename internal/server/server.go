// Package server wires the domain services and HTTP route groups into one
// Fiber app. cmd/web and the HTTP tests both build the app here, so the tests
// exercise exactly what production serves.
package server

import (
	"log/slog"

	"github.com/gofiber/fiber/v2"

	"lumdesk/handlers"
	"lumdesk/handlers/api/luarmor"
	"lumdesk/internal/accounts"
	"lumdesk/internal/apikeys"
	"lumdesk/internal/audit"
	"lumdesk/internal/console"
	"lumdesk/internal/demo"
	"lumdesk/internal/licensing"
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
	Audit   *audit.Service

	Accounts  *accounts.Service
	APIKeys   *apikeys.Service
	Licensing *licensing.Service
}

// NewServices builds every domain service over one database.
func NewServices(cfg config.Config, d *db.DB, box *secretbox.Box) *Services {
	return &Services{
		DB:      d,
		Box:     box,
		Staff:   staff.NewService(d, box, cfg.Demo),
		Console: console.New(d),
		Audit:   audit.NewService(d),

		Accounts:  accounts.NewService(d),
		APIKeys:   apikeys.NewService(d, box),
		Licensing: licensing.NewService(d),
	}
}

// routeGroups are the dashboard areas and product APIs beyond sign-in.
func (s *Services) routeGroups() []handlers.RouteGroup {
	return []handlers.RouteGroup{
		handlers.NewConsole(s.Console),
		handlers.NewAccounts(s.Accounts),
		handlers.NewAPIKeys(s.APIKeys),
		handlers.NewAudit(s.Audit),
		handlers.NewStaffPages(s.Staff), handlers.NewAccountSecurity(s.Staff),
		luarmor.New(s.Licensing, s.APIKeys),
	}
}

// DemoDeps are the services the demo seed goes through.
func (s *Services) DemoDeps() demo.Deps {
	return demo.Deps{DB: s.DB, Staff: s.Staff, Accounts: s.Accounts, APIKeys: s.APIKeys}
}

// NewApp builds the HTTP app.
func NewApp(cfg config.Config, s *Services, log *slog.Logger) (*fiber.App, *handlers.App) {
	return handlers.New(handlers.Deps{
		Config: cfg, DB: s.DB, Staff: s.Staff, Log: log,
		Sessions: staff.NewSessionStore(s.DB, cfg.CookieSecure, cfg.SessionIdle, cfg.SessionAbsolute),
		Extra:    s.routeGroups(),
	})
}
