package audit_test

import (
	"context"
	"strconv"
	"testing"

	"lumdesk/db/store"
	"lumdesk/internal/audit"
	"lumdesk/internal/platform/db"
	"lumdesk/internal/platform/testdb"
)

// AccountActivity shows customers their own account's events (on the
// account and on its portal users), in words, staff as "lumdesk staff",
// and never another account's events nor staff-internal ones.
func TestAccountActivityIsTheAccountsOwn(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	d := db.New(testdb.New(t))
	var accA, accB, ana, bob int64
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(d.Pool.QueryRow(ctx, `INSERT INTO accounts (name, email) VALUES ('Acme', 'a@acme.test') RETURNING id`).Scan(&accA))
	must(d.Pool.QueryRow(ctx, `INSERT INTO accounts (name, email) VALUES ('Other', 'o@other.test') RETURNING id`).Scan(&accB))
	must(d.Pool.QueryRow(ctx, `INSERT INTO customer_users (account_id, email, name, role, password_hash) VALUES ($1, 'ana@acme.test', 'Ana Lima', 'owner', 'x') RETURNING id`, accA).Scan(&ana))
	must(d.Pool.QueryRow(ctx, `INSERT INTO customer_users (account_id, email, name, role, password_hash) VALUES ($1, 'bob@other.test', 'Bob', 'owner', 'x') RETURNING id`, accB).Scan(&bob))
	id := func(n int64) string { return strconv.FormatInt(n, 10) }
	staff := audit.Staff(3, "amy@lumdesk.test")
	anaActor := audit.Actor{Kind: audit.KindCustomer, ID: id(ana), Label: "ana@acme.test"}
	rec := func(a audit.Actor, ev audit.Event) {
		t.Helper()
		must(d.Tx(ctx, func(q *store.Queries) error { return audit.Record(ctx, q, a, ev) }))
	}
	rec(staff, audit.Event{Action: "account.suspend", EntityType: audit.EntityAccount, EntityID: id(accA), Reason: "unpaid"})
	rec(staff, audit.Event{Action: "account.update", EntityType: audit.EntityAccount, EntityID: id(accA),
		Before: map[string]any{"note": ""}, After: map[string]any{"note": "internal: VIP"}})
	rec(staff, audit.Event{Action: "account.portal_view", EntityType: audit.EntityAccount, EntityID: id(accA), Reason: "ticket"})
	rec(anaActor, audit.Event{Action: "customer.login_failed", EntityType: audit.EntityCustomerUser, EntityID: id(ana)})
	rec(anaActor, audit.Event{Action: "customer.totp_enable", EntityType: audit.EntityCustomerUser, EntityID: id(ana)})
	rec(staff, audit.Event{Action: "account.invite", EntityType: audit.EntityAccount, EntityID: id(accB)})
	rec(audit.Actor{Kind: audit.KindCustomer, ID: id(bob)}, audit.Event{Action: "customer.password_change", EntityType: audit.EntityCustomerUser, EntityID: id(bob)})

	svc := audit.NewService(d)
	got, err := svc.AccountActivity(ctx, accA, 10)
	must(err)
	want := []audit.Activity{
		{Actor: "Ana Lima", Action: "Portal user two-factor turned on", Object: "Ana Lima"},
		{Actor: "lumdesk staff", Action: "Account suspended"},
	}
	if len(got) != len(want) {
		t.Fatalf("activity of A = %+v, want %d rows", got, len(want))
	}
	for i, w := range want {
		g := got[i]
		if g.Actor != w.Actor || g.Action != w.Action || g.Object != w.Object || g.At.IsZero() {
			t.Errorf("row %d = %+v, want %+v", i, g, w)
		}
	}
	gotB, err := svc.AccountActivity(ctx, accB, 10)
	must(err)
	if len(gotB) != 2 || gotB[0].Action != "Portal user password changed" || gotB[1].Action != "Portal user invited" {
		t.Errorf("activity of B = %+v", gotB)
	}
	if one, err := svc.AccountActivity(ctx, accA, 1); err != nil || len(one) != 1 {
		t.Errorf("limit 1 = %+v, %v", one, err)
	}
}

func TestPortalActionsReadWell(t *testing.T) {
	t.Parallel()
	for action, want := range map[string]string{
		"customer.create":       "Portal user created",
		"customer.role":         "Portal user role changed",
		"customer.remove":       "Portal user removed",
		"customer.totp_disable": "Portal user two-factor turned off",
		"customer.login_failed": "Portal user sign-in failed",
		"account.invite":        "Portal user invited",
		"account.invite_revoke": "Portal invitation revoked",
		"account.portal_view":   "Portal viewed by staff",
	} {
		if got := audit.ActionLabel(action); got != want {
			t.Errorf("ActionLabel(%q) = %q, want %q", action, got, want)
		}
	}
}
