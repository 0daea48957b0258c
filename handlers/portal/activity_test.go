package portal_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"lumdesk/handlers/server/servertest"
	"lumdesk/internal/audit"
	"lumdesk/internal/customers"
)

// The home page's activity lists the signed-in account's changes in words,
// staff as "lumdesk staff", and nothing of another account.
func TestHomeActivityIsTheAccountsOwn(t *testing.T) {
	t.Parallel()
	env := servertest.New(t)
	ctx := context.Background()
	a := env.CreateAccount("Nightfall Studios")
	b := env.CreateAccount("Bluebird Hosting")
	staffActor := audit.Staff(1, "amy@lumdesk.test")
	if _, err := env.Customers.Invite(ctx, staffActor, a.ID, "dev@nightfall.test", customers.RoleDeveloper); err != nil {
		t.Fatal(err)
	}
	if _, err := env.Customers.Invite(ctx, staffActor, b.ID, "secret-hire@bluebird.test", customers.RoleOwner); err != nil {
		t.Fatal(err)
	}
	if err := env.Customers.RecordViewAs(ctx, staffActor, a.ID, "ticket"); err != nil {
		t.Fatal(err)
	}
	if _, err := env.Accounts.Suspend(ctx, staffActor, b.ID, "unpaid"); err != nil {
		t.Fatal(err)
	}
	ca := env.AsCustomer(a.ID, customers.RoleReadOnly)
	r := ca.Get("/portal")
	if r.Status != http.StatusOK {
		t.Fatalf("home: %d", r.Status)
	}
	act := r.Text(`[data-testid="activity"]`)
	for _, want := range []string{"lumdesk staff · Portal user invited", "Portal user created"} {
		if !strings.Contains(act, want) {
			t.Errorf("activity misses %q:\n%s", want, act)
		}
	}
	for _, not := range []string{"amy@lumdesk.test", "Portal viewed", "Account suspended", "Bluebird", "secret-hire"} {
		if strings.Contains(r.Text(`main`), not) {
			t.Errorf("activity shows %q:\n%s", not, act)
		}
	}
}
