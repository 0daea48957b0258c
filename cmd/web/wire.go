package main

import (
	"context"

	"lumdesk/handlers/server"
)

// services are the domain services plus the database they run on.
type services struct {
	*server.Services
	db *database
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
	return &services{Services: server.NewServices(e.cfg, d.DB, box), db: d}, nil
}

func (s *services) Close() { s.Licensing.Close(); s.db.Close() }
