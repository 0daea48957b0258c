package apikeys_test

import (
	"context"
	"testing"

	"lumdesk/internal/apikeys"
	"lumdesk/internal/platform/db"
)

func newMailApp(t *testing.T, d *db.DB, account int64) int64 {
	t.Helper()
	var id int64
	if err := d.Pool.QueryRow(context.Background(), "INSERT INTO mail_apps (account_id, name) VALUES ($1, 'Shop') RETURNING id", account).Scan(&id); err != nil {
		t.Fatal(err)
	}
	return id
}

// A Lumora key bound to an app takes the app's account (the CLI names only
// the app), keeps the app through rotation, and can't be bound to another
// account's app or made for another product.
func TestLumoraKeyBelongsToApp(t *testing.T) {
	t.Parallel()
	s, d := newService(t)
	ctx := context.Background()
	acme, globex := newAccount(t, d, "ops@acme.test"), newAccount(t, d, "ops@globex.test")
	app := newMailApp(t, d, acme)

	c := mustCreate(t, s, apikeys.CreateInput{Product: apikeys.Lumora, MailAppID: &app, Scopes: []string{"email:send"}})
	if c.Key.AccountID == nil || *c.Key.AccountID != acme || c.Key.MailAppID == nil || *c.Key.MailAppID != app {
		t.Fatalf("key %+v", c.Key)
	}
	k, err := s.Verify(ctx, apikeys.Lumora, c.Secret, "ip")
	if err != nil || k.MailAppID == nil || *k.MailAppID != app {
		t.Fatalf("verified key %+v %v", k, err)
	}
	r, err := s.Rotate(ctx, actor, c.Key.ID, "routine")
	if err != nil || r.Key.MailAppID == nil || *r.Key.MailAppID != app {
		t.Fatalf("rotated key %+v %v", r.Key, err)
	}

	missing := int64(999999)
	for name, in := range map[string]apikeys.CreateInput{
		"another account's app": {Product: apikeys.Lumora, AccountID: &globex, MailAppID: &app},
		"unknown app":           {Product: apikeys.Lumora, AccountID: &acme, MailAppID: &missing},
		"operator key":          {Product: apikeys.Lumora, Operator: true, MailAppID: &app},
		"not a Lumora key":      {Product: apikeys.Luarmor, AccountID: &acme, MailAppID: &app},
	} {
		_, err := s.Create(ctx, actor, in)
		verr, ok := err.(apikeys.ValidationError)
		if !ok || verr["app"] == "" {
			t.Errorf("%s: %v, want a validation error on app", name, err)
		}
	}
}
