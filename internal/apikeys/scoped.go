package apikeys

import (
	"context"
	"fmt"

	"lumdesk/internal/accounts"
	"lumdesk/internal/audit"
	"lumdesk/internal/platform/db"
)

// CreateIn issues a key for the scope's account, as its customers do in
// the portal: never an operator key, never an operator-only scope, no
// request signing; a Lumora key must name one of the account's apps
// (another account's app is "not found", like an unknown one).
func (s *Service) CreateIn(ctx context.Context, actor audit.Actor, scope accounts.Scope, in CreateInput) (Created, error) {
	if scope.All() {
		return Created{}, fmt.Errorf("create api key in scope: an account's scope is required")
	}
	acc := scope.AccountID()
	in.AccountID, in.Operator, in.WithSigningSecret, in.allowedIPs = &acc, false, false, nil
	verr := s.Check(in)
	if in.Product == Lumora && verr["app"] == "" {
		if in.MailAppID == nil {
			verr["app"] = "choose the Lumora app the key sends for"
		} else {
			app, err := s.db.APIKeyMailApp(ctx, *in.MailAppID)
			switch {
			case db.IsNotFound(err) || (err == nil && !scope.Allows(app.AccountID)):
				verr["app"] = "choose one of your Lumora apps"
			case err != nil:
				return Created{}, fmt.Errorf("create api key: load mail app: %w", err)
			}
		}
	}
	if len(verr) > 0 {
		return Created{}, verr
	}
	return s.Create(ctx, actor, in)
}

// CheckIn is Check for CreateIn's input (the form shows every problem at once).
func (s *Service) CheckIn(scope accounts.Scope, in CreateInput) ValidationError {
	acc := scope.AccountID()
	in.AccountID, in.Operator, in.WithSigningSecret = &acc, false, false
	verr := s.Check(in)
	if in.Product == Lumora && in.MailAppID == nil && verr["app"] == "" {
		verr["app"] = "choose the Lumora app the key sends for"
	}
	return verr
}

// ListIn is List within scope: an account's scope lists only its own keys,
// whatever AccountID p names.
func (s *Service) ListIn(ctx context.Context, scope accounts.Scope, p ListParams) (Page, error) {
	if !scope.All() {
		acc := scope.AccountID()
		p.AccountID = &acc
	}
	return s.List(ctx, p)
}
