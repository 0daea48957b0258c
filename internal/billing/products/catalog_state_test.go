package products

import (
	"testing"
	"time"
)

// A history row is current when it is the price in force, scheduled when it
// takes effect after the catalogue's time, and past otherwise.
func TestCatalogPriceStates(t *testing.T) {
	t.Parallel()
	at := time.Date(2026, 12, 4, 12, 0, 0, 0, time.UTC)
	old, now, later := at.AddDate(0, -6, 0), at.AddDate(0, -1, 0), at.AddDate(0, 1, 0)
	c := Catalog{
		At:         at,
		TLDs:       []TLDPrice{{TLD: "com", EffectiveFrom: now}},
		VPSPlans:   []PlanPrice{{Product: ProductVPS, Plan: "s1", EffectiveFrom: now}},
		ProxyPlans: []PlanPrice{{Product: ProductProxy, Plan: "s1", EffectiveFrom: old}},
	}
	for _, tc := range []struct {
		got, want PriceState
		what      string
	}{
		{c.TLDState(TLDPrice{TLD: "com", EffectiveFrom: now}), PriceCurrent, "com now"},
		{c.TLDState(TLDPrice{TLD: "com", EffectiveFrom: old}), PricePast, "com before"},
		{c.TLDState(TLDPrice{TLD: "com", EffectiveFrom: later}), PriceScheduled, "com later"},
		{c.TLDState(TLDPrice{TLD: "net", EffectiveFrom: now}), PricePast, "another TLD at the same time"},
		{c.PlanState(PlanPrice{Product: ProductVPS, Plan: "s1", EffectiveFrom: now}), PriceCurrent, "vps s1 now"},
		{c.PlanState(PlanPrice{Product: ProductProxy, Plan: "s1", EffectiveFrom: now}), PricePast, "proxy s1 is not the vps plan"},
		{c.PlanState(PlanPrice{Product: ProductProxy, Plan: "s1", EffectiveFrom: old}), PriceCurrent, "proxy s1 in force"},
		{c.PlanState(PlanPrice{Product: ProductVPS, Plan: "s1", EffectiveFrom: later}), PriceScheduled, "vps s1 later"},
	} {
		if tc.got != tc.want {
			t.Errorf("%s: %s, want %s", tc.what, tc.got, tc.want)
		}
	}
}
