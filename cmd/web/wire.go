package main

import (
	"context"

	"lumdesk/handlers"
	"lumdesk/internal/platform/secretbox"
	"lumdesk/internal/staff"
)

// services are the domain services, built once per process.
type services struct {
	db    *database
	box   *secretbox.Box
	staff *staff.Service
}

func (e *env) services(ctx context.Context, migrate bool) (*services, error) {
	d, err := e.openDatabase(ctx, migrate)
	if err != nil {
		return nil, err
	}
	box, err := e.masterKey()
	if err != nil {
		d.Close()
		return nil, err
	}
	return &services{
		db:    d,
		box:   box,
		staff: staff.NewService(d.DB, box, e.cfg.Demo),
	}, nil
}

func (s *services) Close() { s.db.Close() }

// routeGroups are the dashboard areas and product APIs beyond sign-in.
func (s *services) routeGroups() []handlers.RouteGroup {
	return []handlers.RouteGroup{}
}
