package products_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"lumdesk/internal/accounts"
	"lumdesk/internal/apikeys"
	"lumdesk/internal/billing"
	"lumdesk/internal/billing/products"
	"lumdesk/internal/platform/secretbox"
)

// A caller scoped to account A gets not-found for B's batch, and B's items
// cannot be quoted for renewal; quotes price from the catalogue.
func TestScopeHidesOtherAccountsBatchesAndItems(t *testing.T) {
	f := newFixture(t)
	a, b := f.account("Alice", "100.00"), f.account("Bob", "100.00")
	box, _ := secretbox.New(bytes.Repeat([]byte{7}, 32))
	k, err := apikeys.NewService(f.db, box).Create(ctx, cli, apikeys.CreateInput{Product: apikeys.LumiDomains, AccountID: &b, Name: "bob", Scopes: []string{"domains:read"}})
	if err != nil {
		t.Fatal(err)
	}
	id, err := f.svc.CreateBatch(ctx, k.Key.ID, b, products.ProductDomain,
		[]products.BatchItemInput{{Ref: "x.com", Input: json.RawMessage(`{"domain":"x.com"}`)}}, "idem-batch-0001", time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := f.svc.GetBatch(ctx, accounts.Only(a), id); !errors.Is(err, billing.ErrNotFound) {
		t.Errorf("A read B's batch: %v", err)
	}
	got, items, err := f.svc.GetBatch(ctx, accounts.Only(b), id)
	if err != nil || got.AccountID != b || len(items) != 1 || items[0].Status != "pending" {
		t.Errorf("B's own batch: %+v %+v %v", got, items, err)
	}
	if _, _, err := f.svc.GetBatch(ctx, accounts.AllAccounts, id); err != nil {
		t.Errorf("staff scope: %v", err)
	}

	d, err := f.svc.BuyDomain(ctx, cli, products.BuyDomainInput{AccountID: b, Domain: "bobs.com", Years: 1, IdempotencyKey: "buy-bob-0001"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.Quote(ctx, accounts.Only(a), products.ProductDomain, d.ID, products.QuoteInput{Years: 1}); !isNotFound(err) {
		t.Errorf("A quoted B's domain renewal: %v", err)
	}
	if c, err := f.svc.Quote(ctx, accounts.Only(b), products.ProductDomain, d.ID, products.QuoteInput{Years: 2}); err != nil || c != 28_00 {
		t.Errorf("renewal quote: %s %v, want 28.00", c, err)
	}
	if c, err := f.svc.Quote(ctx, accounts.Only(a), products.ProductDomain, 0, products.QuoteInput{Domain: "new.com", Years: 3}); err != nil || c != 36_00 {
		t.Errorf("purchase quote: %s %v, want 36.00", c, err)
	}
	if c, err := f.svc.Quote(ctx, accounts.Only(a), products.ProductVPS, 0, products.QuoteInput{Plan: "small", Months: 99}); err != nil || c != 0 {
		t.Errorf("invalid months quote: %s %v, want 0", c, err)
	}
}

func isNotFound(err error) bool {
	var nf interface{ NotFound() bool }
	return errors.As(err, &nf) && nf.NotFound()
}
