package demo

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"lumdesk/internal/accounts"
	"lumdesk/internal/customers"
	"lumdesk/internal/platform/db"
)

// PortalAccountEmail is the demo account whose customer portal the demo
// sign-ins open: it has data in every live product (Luarmor projects and
// keys, a Lumi balance with domains, a Lumora app with sent mail).
const PortalAccountEmail = "ops@nightfall.gg"

// PortalCredentials are the demo customer portal sign-ins (Role is the
// customers.Role), printed by `make run` next to the staff ones.
var PortalCredentials = []Credential{
	{"owner", "owner@nightfall.gg", "demo-owner-password", "Nora Vance"},
	{"read_only", "readonly@nightfall.gg", "demo-readonly-password", "Rudy Reed"},
}

// seedPortal adds the demo portal users to the demo account, through an
// invitation each accepted at once (as the portal would). Deps.Customers
// should not mail: the invitations are used up before anyone reads them.
func seedPortal(ctx context.Context, d Deps) error {
	if d.Customers == nil || d.Accounts == nil {
		return nil
	}
	acc, err := d.Accounts.GetByEmail(ctx, PortalAccountEmail)
	if errors.Is(err, accounts.ErrNotFound) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("demo portal: %w", err)
	}
	for _, c := range PortalCredentials {
		if _, err := d.DB.GetCustomerUserByEmail(ctx, c.Email); err == nil {
			continue
		} else if !db.IsNotFound(err) {
			return fmt.Errorf("demo portal user %s: %w", c.Email, err)
		}
		role, ok := customers.ParseRole(c.Role)
		if !ok {
			return fmt.Errorf("demo portal user %s: role %q", c.Email, c.Role)
		}
		inv, err := d.Customers.Invite(ctx, actor, acc.ID, c.Email, role)
		if err != nil {
			return fmt.Errorf("demo portal user %s: invite: %w", c.Email, err)
		}
		token := inv.URL[strings.LastIndexByte(inv.URL, '/')+1:]
		if _, err := d.Customers.AcceptInvite(ctx, actor, token, c.Name, c.Password); err != nil {
			return fmt.Errorf("demo portal user %s: accept: %w", c.Email, err)
		}
	}
	return nil
}
