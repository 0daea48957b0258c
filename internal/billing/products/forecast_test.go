package products_test

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"lumdesk/internal/billing/products"
	"lumdesk/internal/platform/money"
)

// Two auto-renew domains due in 20 and 60 days and a monthly VPS due in 20
// days, against the balance: exact sums and shortfalls of both windows.
func TestForecastSumsAndShortfalls(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	past := time.Now().Add(-48 * time.Hour)
	f.must(f.svc.SetTLDPrice(ctx, cli, products.TLDPrice{TLD: "net", Register: 15_00, Renew: 20_00, Transfer: 10_00, EffectiveFrom: past}))
	acc := f.account("Forecast", "60.00")
	other := f.account("Other", "100.00")
	buy := func(acct int64, name string, auto bool) int64 {
		d, err := f.svc.BuyDomain(ctx, cli, products.BuyDomainInput{AccountID: acct, Domain: name, Years: 1, AutoRenew: auto})
		if err != nil {
			t.Fatal(err)
		}
		return d.ID
	}
	soon := buy(acc, "soon.com", true)      // renews at 14.00
	later := buy(acc, "later.net", true)    // renews at 20.00
	manual := buy(acc, "manual.com", false) // no auto-renew: not counted
	foreign := buy(other, "foreign.com", true)
	v, err := f.svc.BuyVPS(ctx, cli, products.BuyVPSInput{AccountID: acc, Plan: "small", Months: 1, AutoRenew: true})
	if err != nil {
		t.Fatal(err)
	}
	// 60 - 12 - 15 - 12 - 5
	if got := f.balance(acc); got != 16_00 {
		t.Fatalf("balance = %s", got)
	}
	now := time.Now().UTC().Truncate(time.Second)
	set := func(table string, id int64, at time.Time) {
		t.Helper()
		if _, err := f.db.Pool.Exec(ctx, `UPDATE `+table+` SET expires_at = $2 WHERE id = $1`, id, at); err != nil {
			t.Fatal(err)
		}
	}
	in20, in60 := now.AddDate(0, 0, 20), now.AddDate(0, 0, 60)
	set("lumi_domains", soon, in20)
	set("lumi_domains", later, in60)
	set("lumi_domains", manual, now.AddDate(0, 0, 10))
	set("lumi_domains", foreign, now.AddDate(0, 0, 10))

	// Domains only first: the VPS renews after the window.
	set("lumi_vps", v.ID, now.AddDate(0, 0, 200))
	fc, err := f.svc.Forecast(ctx, acc, now)
	if err != nil {
		t.Fatal(err)
	}
	want := products.Forecast{AccountID: acc, Balance: 16_00,
		Short30: products.ForecastWindow{Days: 30, Due: 14_00, Renewals: 1, Short: 0},
		Long90:  products.ForecastWindow{Days: 90, Due: 34_00, Renewals: 2, Short: 18_00},
		Items: []products.ForecastItem{
			{Product: "domain", ID: soon, Label: "soon.com", DueAt: in20, Price: 14_00},
			{Product: "domain", ID: later, Label: "later.net", DueAt: in60, Price: 20_00},
		}}
	if diff := cmp.Diff(want, fc); diff != "" {
		t.Fatalf("forecast (-want +got):\n%s", diff)
	}
	if fc.Tone() != "amber" || !fc.Short30.Covered() || fc.Long90.Covered() {
		t.Fatalf("tone %s", fc.Tone())
	}

	// A monthly VPS due in 20 days renews at 20, ~50 and ~80 days.
	set("lumi_vps", v.ID, in20)
	fc, err = f.svc.Forecast(ctx, acc, now)
	if err != nil {
		t.Fatal(err)
	}
	got := []money.Cents{fc.Short30.Due, fc.Short30.Short, fc.Long90.Due, fc.Long90.Short}
	if diff := cmp.Diff([]money.Cents{19_00, 3_00, 49_00, 33_00}, got); diff != "" {
		t.Fatalf("with VPS (-want +got):\n%s", diff)
	}
	if fc.Short30.Renewals != 2 || fc.Long90.Renewals != 5 || fc.Tone() != "red" {
		t.Fatalf("renewals %d/%d tone %s", fc.Short30.Renewals, fc.Long90.Renewals, fc.Tone())
	}

	// Many at once: the other account is covered; an unknown one is empty.
	m, err := f.svc.ForecastMany(ctx, []int64{acc, other, 999999}, now)
	if err != nil {
		t.Fatal(err)
	}
	if m[acc].Long90.Due != 49_00 || m[other].Short30.Due != 14_00 || m[other].Tone() != "green" || m[999999].Long90.Due != 0 {
		t.Fatalf("many = %+v", m)
	}
	if _, err := f.svc.Forecast(ctx, 999999, now); !products.IsNotFound(err) {
		t.Fatalf("unknown account: %v", err)
	}
}
