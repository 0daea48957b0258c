package billing_test

import (
	"net/http"
	"strings"
	"testing"

	"lumdesk/handlers/server/servertest"
)

// The desk's money charts follow the range picker; the 30-day tiles stay.
func TestDeskChartRange(t *testing.T) {
	t.Parallel()
	env := servertest.New(t)
	c := env.As("finance")
	bars := func(r *servertest.Response) int {
		return r.Doc.Find(`[data-testid="money-charts"] svg rect.chart-bar`).Length()
	}
	if r := c.Get("/lumi"); r.Status != 200 || bars(r) != 60 || !r.Has(`#desk-charts a[data-range="30d"][aria-current="true"]`) {
		t.Fatalf("default: %d, %d bars", r.Status, bars(r))
	}
	if r := c.Get("/lumi?range=90d"); r.Status != 200 || bars(r) != 180 || !strings.Contains(r.Text(`[data-testid="money-charts"]`), "last 90 days") {
		t.Fatalf("90 days: %d, %d bars", r.Status, bars(r))
	}
	r := c.Get("/lumi?range=custom&from=2026-02-01&to=2025-01-01")
	if r.Status != http.StatusUnprocessableEntity || bars(r) != 60 || !strings.Contains(r.Text(`[data-testid="range-error"]`), "start date must not be after") {
		t.Fatalf("reversed range: %d, %d bars, %q", r.Status, bars(r), r.Text(`[data-testid="range-error"]`))
	}
	r = c.Do("GET", "/lumi?range=7d", nil, http.Header{"HX-Request": {"true"}, "HX-Target": {"desk-charts"}})
	if r.Status != 200 || r.Has("main") || !r.Has(`section#desk-charts[data-range="7d"]`) || bars(r) != 14 {
		t.Fatalf("htmx 7 days: %d, %d bars", r.Status, bars(r))
	}
}
