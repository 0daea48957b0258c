package demo_test

import (
	"bytes"
	"context"
	"testing"

	"lumdesk/handlers/server"
	"lumdesk/internal/accounts"
	"lumdesk/internal/audit"
	"lumdesk/internal/customers"
	"lumdesk/internal/demo"
	"lumdesk/internal/platform/config"
	"lumdesk/internal/platform/db"
	"lumdesk/internal/platform/secretbox"
	"lumdesk/internal/platform/testdb"
)

// The demo portal sign-ins work, once each even when seeding twice, on an
// account with data in Luarmor, Lumi and Lumora.
func TestSeedPortalUsers(t *testing.T) {
	t.Parallel()
	d := db.New(testdb.New(t))
	box, _ := secretbox.New(bytes.Repeat([]byte{1}, 32))
	svc := server.NewServices(config.Config{Demo: true, LumoraSPFInclude: "spf.lumora.local", LumoraReturnPathLabel: "bounces",
		LumoraReturnPathHost: "return.lumora.local"}, d, box)
	t.Cleanup(svc.Licensing.Close)
	ctx := context.Background()
	for i := 0; i < 2; i++ {
		if _, err := demo.Seed(ctx, svc.DemoDeps()); err != nil {
			t.Fatalf("seed %d: %v", i, err)
		}
	}
	acc, err := svc.Accounts.GetByEmail(ctx, demo.PortalAccountEmail)
	if err != nil {
		t.Fatal(err)
	}
	users, err := svc.Customers.Users(ctx, acc.ID)
	if err != nil || len(users) != len(demo.PortalCredentials) {
		t.Fatalf("users %v %v", users, err)
	}
	for _, c := range demo.PortalCredentials {
		res, err := svc.Customers.Login(ctx, audit.Actor{Kind: audit.KindAnonymous, IP: "127.0.0.1"}, c.Email, c.Password)
		if err != nil || res.NeedsTOTP || res.User.AccountID != acc.ID || string(res.User.Role) != c.Role {
			t.Errorf("sign in %s: %+v %v", c.Email, res, err)
		}
	}
	if r, _ := customers.ParseRole(demo.PortalCredentials[1].Role); r != customers.RoleReadOnly {
		t.Errorf("the second demo user is %q, want read-only", r)
	}
	var projects, balances, apps int
	_ = d.Pool.QueryRow(ctx, `SELECT (SELECT count(*) FROM licensing_projects WHERE account_id = $1),
		(SELECT count(*) FROM balances WHERE account_id = $1), (SELECT count(*) FROM mail_apps WHERE account_id = $1)`, acc.ID).Scan(&projects, &balances, &apps)
	if projects == 0 || balances == 0 || apps == 0 {
		t.Errorf("the demo portal account lacks data: projects %d, balances %d, Lumora apps %d", projects, balances, apps)
	}
	if _, err := svc.Accounts.Get(ctx, acc.ID); err != nil || acc.Status != accounts.StatusActive {
		t.Errorf("demo account status %q %v", acc.Status, err)
	}
}
