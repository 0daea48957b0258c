package mail

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"testing"

	"lumdesk/db/store"
)

// A domain's parsed DKIM key is kept between deliveries, and a key stored
// since (a new sealed key) is the one used from its next delivery on.
func TestDKIMKeyFollowsTheStoredKey(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	d := f.verifiedDomain(t)
	_, first, err := f.svc.DKIMKey(ctx, d.ID)
	if err != nil {
		t.Fatal(err)
	}
	_, again, err := f.svc.DKIMKey(ctx, d.ID)
	if err != nil {
		t.Fatal(err)
	}
	if again != first {
		t.Error("the key was parsed again for the same sealed key")
	}

	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(k)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.db.SetMailDomainKey(ctx, store.SetMailDomainKeyParams{ID: d.ID, DkimPrivateKeySealed: f.svc.box.Seal(der, dkimContext(d.ID))}); err != nil {
		t.Fatal(err)
	}
	_, now, err := f.svc.DKIMKey(ctx, d.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !k.PublicKey.Equal(now.Public()) {
		t.Error("the domain's new key is not the one signing")
	}
	if first.Public().(*rsa.PublicKey).Equal(now.Public()) {
		t.Error("the old key still signs")
	}
}
