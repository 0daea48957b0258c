package customers_test

import (
	"bytes"
	"context"
	"errors"
	"regexp"
	"testing"

	"lumdesk/internal/accounts"
	"lumdesk/internal/audit"
	"lumdesk/internal/customers"
	"lumdesk/internal/platform/apperr"
	"lumdesk/internal/platform/db"
	"lumdesk/internal/platform/secretbox"
	"lumdesk/internal/platform/testdb"
)

type teamFixture struct {
	t        *testing.T
	svc      *customers.Service
	accounts *accounts.Service
	mail     map[string]string // the newest mail's text by address
}

func newTeamFixture(t *testing.T) *teamFixture {
	d := db.New(testdb.New(t))
	box, _ := secretbox.New(bytes.Repeat([]byte{1}, 32))
	f := &teamFixture{t: t, accounts: accounts.NewService(d), mail: map[string]string{}}
	f.svc = customers.NewService(d, box, func(_ context.Context, to, _, text, _ string) error {
		f.mail[to] = text
		return nil
	}, "https://portal.test")
	return f
}

func (f *teamFixture) account(name string) int64 {
	f.t.Helper()
	a, err := f.accounts.Create(ctx, audit.CLI("test"), accounts.CreateInput{Name: name, Email: name + "@acct.test"})
	if err != nil {
		f.t.Fatal(err)
	}
	return a.ID
}

var token = regexp.MustCompile(`/portal/invite/([A-Za-z0-9]+)`)

func (f *teamFixture) user(accountID int64, email string, role customers.Role) customers.User {
	f.t.Helper()
	if _, err := f.svc.Invite(ctx, audit.CLI("test"), accountID, email, role); err != nil {
		f.t.Fatal(err)
	}
	m := token.FindStringSubmatch(f.mail[email])
	if m == nil {
		f.t.Fatalf("no invitation link mailed to %s", email)
	}
	u, err := f.svc.AcceptInvite(ctx, audit.CLI("test"), m[1], "", "correct horse battery")
	if err != nil {
		f.t.Fatal(err)
	}
	return u
}

func TestSetRoleKeepsAnOwnerRefusesSelfAndOtherAccounts(t *testing.T) {
	t.Parallel()
	f := newTeamFixture(t)
	a, b := f.account("alpha"), f.account("beta")
	owner := f.user(a, "owner@alpha.test", customers.RoleOwner)
	dev := f.user(a, "dev@alpha.test", customers.RoleDeveloper)
	bOwner := f.user(b, "owner@beta.test", customers.RoleOwner)
	actor := customers.Actor(owner)

	// A bad role is a field message, not an internal error.
	_, err := f.svc.SetRole(ctx, actor, a, dev.ID, owner.ID, customers.Role("admin"))
	var fe apperr.FieldErrors
	if !errors.As(err, &fe) || fe["role"] == "" {
		t.Fatalf("bad role: %v", err)
	}
	if _, err := f.svc.SetRole(ctx, actor, a, owner.ID, owner.ID, customers.RoleReadOnly); !errors.Is(err, customers.ErrSelf) {
		t.Fatalf("own role: %v", err)
	}
	// Another account's user is not found, and unchanged.
	if _, err := f.svc.SetRole(ctx, actor, a, bOwner.ID, owner.ID, customers.RoleReadOnly); !errors.Is(err, customers.ErrNotFound) {
		t.Fatalf("other account's user: %v", err)
	}
	if got, _ := f.svc.Get(ctx, bOwner.ID); got.Role != customers.RoleOwner {
		t.Fatalf("other account's user changed to %s", got.Role)
	}
	// The last owner can be neither demoted nor removed (by staff here:
	// an owner cannot act on themselves anyway).
	if _, err := f.svc.SetRole(ctx, audit.CLI("test"), a, owner.ID, 0, customers.RoleDeveloper); !errors.Is(err, customers.ErrLastOwner) {
		t.Fatalf("last owner demoted: %v", err)
	}
	if _, err := f.svc.Remove(ctx, audit.CLI("test"), a, owner.ID, 0); !errors.Is(err, customers.ErrLastOwner) {
		t.Fatalf("last owner removed: %v", err)
	}
	if u, err := f.svc.SetRole(ctx, actor, a, dev.ID, owner.ID, customers.RoleOwner); err != nil || u.Role != customers.RoleOwner {
		t.Fatalf("promote: %v %v", u.Role, err)
	}
	if _, err := f.svc.SetRole(ctx, customers.Actor(dev), a, owner.ID, dev.ID, customers.RoleBilling); err != nil {
		t.Fatalf("demote with another owner left: %v", err)
	}
}

func TestRevokeInvitationIsScopedToTheAccount(t *testing.T) {
	t.Parallel()
	f := newTeamFixture(t)
	a, b := f.account("gamma"), f.account("delta")
	inv, err := f.svc.Invite(ctx, audit.CLI("test"), a, "new@gamma.test", customers.RoleBilling)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.svc.RevokeInvitation(ctx, audit.CLI("test"), b, inv.ID); !errors.Is(err, customers.ErrNotFound) {
		t.Fatalf("revoked through another account: %v", err)
	}
	if list, _ := f.svc.Invitations(ctx, a); len(list) != 1 {
		t.Fatalf("invitation gone: %d", len(list))
	}
	if err := f.svc.RevokeInvitation(ctx, audit.CLI("test"), a, inv.ID); err != nil {
		t.Fatal(err)
	}
	if _, _, err := f.svc.InvitationFor(ctx, token.FindStringSubmatch(f.mail["new@gamma.test"])[1]); !customers.IsLinkError(err) {
		t.Fatalf("revoked link still works: %v", err)
	}
}
