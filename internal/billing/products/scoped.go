package products

import (
	"context"

	"lumdesk/internal/accounts"
	"lumdesk/internal/audit"
)

// RenewDomainIn is RenewDomain for a caller scoped to one account (the
// customer portal): another account's domain is ErrDomainNotFound.
func (s *Service) RenewDomainIn(ctx context.Context, actor audit.Actor, scope accounts.Scope, id int64, years int, idemKey string) (Domain, error) {
	return s.renewDomain(ctx, actor, scope, id, years, idemKey, nil)
}

// RenewVPSIn is RenewVPS within scope.
func (s *Service) RenewVPSIn(ctx context.Context, actor audit.Actor, scope accounts.Scope, id int64, months int, idemKey string) (VPS, error) {
	return s.renewVPS(ctx, actor, scope, id, months, idemKey, nil)
}

// RenewProxyIn is RenewProxy within scope.
func (s *Service) RenewProxyIn(ctx context.Context, actor audit.Actor, scope accounts.Scope, id int64, months int, idemKey string) (Proxy, error) {
	return s.renewProxy(ctx, actor, scope, id, months, idemKey, nil)
}
