// Package demo loads the demo data that `make run` shows: one staff user per
// role, sample customers, and portal sign-ins of one of them. Seeding is idempotent: it only adds what is missing.
package demo

import (
	"context"
	"errors"
	"fmt"

	"lumdesk/internal/accounts"
	"lumdesk/internal/apikeys"
	"lumdesk/internal/audit"
	"lumdesk/internal/billing"
	"lumdesk/internal/billing/products"
	"lumdesk/internal/bot"
	"lumdesk/internal/customers"
	"lumdesk/internal/licensing"
	"lumdesk/internal/mail"
	"lumdesk/internal/mail/templates"
	"lumdesk/internal/marketplace"
	"lumdesk/internal/platform/db"
	"lumdesk/internal/ranking"
	"lumdesk/internal/staff"
)

// Credential is a demo sign-in printed by `make run`.
type Credential struct{ Role, Email, Password, Name string }

// Credentials are the demo staff users. There are two finance users so that
// four-eyes approval (a top-up above the limit approved by a second finance
// user) can be tried as designed.
var Credentials = []Credential{
	{"admin", "admin@lumdesk.local", "demo-admin-password", "Ada Admin"},
	{"support", "support@lumdesk.local", "demo-support-password", "Sam Support"},
	{"finance", "finance@lumdesk.local", "demo-finance-password", "Fin Finance"},
	{"finance", "finance2@lumdesk.local", "demo-finance2-password", "Fay Finance"},
	{"viewer", "viewer@lumdesk.local", "demo-viewer-password", "Vic Viewer"},
}

// Deps are the services seeding goes through (so demo data is audited like any other change).
type Deps struct {
	DB    *db.DB
	Staff *staff.Service

	Accounts  *accounts.Service
	APIKeys   *apikeys.Service
	Licensing *licensing.Service
	Billing   *billing.Service
	Products  *products.Service
	Mail      *mail.Service      // Lumora; nil skips its demo data
	Templates *templates.Service // Lumora templates
	Customers *customers.Service // the customer portal's users; nil skips them
	// Marketplace is Lumio; nil skips its demo extensions.
	Marketplace *marketplace.Service
	// Ranking is Lumira; nil skips its demo Sandbox group.
	Ranking *ranking.Service
	// Bot is the Discord bot; nil skips linking the demo guild.
	Bot *bot.Service
}

var actor = audit.System("demo seed")

// HistoryDays is how far back the demo's history reaches (sign-ups, key
// creations, executions, the ledger and deposits), so that every chart
// range up to 90 days has data to show.
const HistoryDays = 95

// Seed adds whatever demo data is missing and returns the demo sign-ins.
func Seed(ctx context.Context, d Deps) ([]Credential, error) {
	for _, c := range Credentials {
		// Looked up first: Create hashes the password (argon2id, 19 MiB and
		// a tenth of a second or more each) before it finds the email
		// taken, and a demo server seeds at every start.
		if _, err := d.DB.GetStaffUserByEmail(ctx, c.Email); err == nil {
			continue
		} else if !db.IsNotFound(err) {
			return nil, fmt.Errorf("demo staff %s: %w", c.Email, err)
		}
		_, err := d.Staff.Create(ctx, actor, staff.CreateInput{Email: c.Email, Name: c.Name, Role: c.Role, Password: c.Password})
		var verr staff.ValidationError
		if errors.As(err, &verr) && verr["email"] == staff.ErrEmailTaken.Error() {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("demo staff %s: %w", c.Email, err)
		}
	}
	if err := seedAccounts(ctx, d); err != nil {
		return nil, err
	}
	// Lumora apps before the keys, which are bound to them.
	if err := seedLumora(ctx, d); err != nil {
		return nil, err
	}
	if err := seedAPIKeys(ctx, d); err != nil {
		return nil, err
	}
	if err := seedLicensing(ctx, d); err != nil {
		return nil, err
	}
	if err := seedBilling(ctx, d); err != nil {
		return nil, err
	}
	if err := seedLumiProducts(ctx, d); err != nil {
		return nil, err
	}
	if err := seedPortal(ctx, d); err != nil {
		return nil, err
	}
	if err := seedLumio(ctx, d); err != nil {
		return nil, err
	}
	if err := seedLumira(ctx, d); err != nil {
		return nil, err
	}
	if err := seedBot(ctx, d); err != nil {
		return nil, err
	}
	return Credentials, nil
}
