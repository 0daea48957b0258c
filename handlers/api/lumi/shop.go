package lumi

import (
	"context"
	"encoding/json"
	"errors"

	"lumdesk/internal/accounts"
	"lumdesk/internal/audit"
	"lumdesk/internal/platform/money"
)

// Kinds of things sold.
const (
	KindDomain = "domain"
	KindVPS    = "vps"
	KindProxy  = "proxy"
)

// Shop is what the API needs of the products sold. in is the request's JSON
// object (user_id removed); results are JSON-ready values whose money fields
// are strings. Errors: a type with NotFound() true → 404 not_found;
// apperr.FieldErrors (map field → message) → 422 validation_error;
// billing.ErrInsufficientFunds → 402 insufficient_funds. A purchase or
// renewal passes idemKey on to its debit, so a retry never pays twice.
type Shop interface {
	Prices(ctx context.Context, kind string) (any, error)
	// Quote is what Buy (id 0) or Renew (id > 0) with in would cost, for the
	// daily spend cap.
	Quote(ctx context.Context, kind string, accountID, id int64, in json.RawMessage) (money.Cents, error)
	// Buy and Renew report charged false when an earlier operation with the
	// same idemKey was returned and nothing was paid now.
	Buy(ctx context.Context, actor audit.Actor, kind string, accountID int64, in json.RawMessage, idemKey string) (result any, charged bool, err error)
	Renew(ctx context.Context, actor audit.Actor, kind string, accountID, id int64, in json.RawMessage, idemKey string) (result any, charged bool, err error)
	List(ctx context.Context, kind string, scope accounts.Scope, cursor string, limit int) (items any, next string, err error)
	Get(ctx context.Context, kind string, scope accounts.Scope, id int64) (any, error)
	// Update applies action ("patch" for domains, "power" for VPS,
	// "allow_ips" for proxies).
	Update(ctx context.Context, actor audit.Actor, kind, action string, scope accounts.Scope, id int64, in json.RawMessage) (any, error)
}

// ErrUnavailable: the products service is not wired in this build.
var ErrUnavailable = errors.New("products are not available")
