package console_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"lumdesk/handlers/server/servertest"
)

// The overview's charts cover the range the URL names: a preset, or a custom
// from–to; a refused range keeps the default and says why.
func TestOverviewChartRange(t *testing.T) {
	env := servertest.New(t)
	c := env.As("viewer")
	bars := func(r *servertest.Response) int {
		return r.Doc.Find(`[data-testid="chart-accounts"] svg rect.chart-bar`).Length()
	}
	today := time.Now().UTC()
	day := func(back int) string { return today.AddDate(0, 0, -back).Format(time.DateOnly) }

	for q, want := range map[string]int{"": 30, "range=7d": 7, "range=30d": 30, "range=90d": 90} {
		r := c.Get("/?" + q)
		if r.Status != http.StatusOK || bars(r) != want || r.Doc.Find(`[data-testid="chart-audit"] svg rect.chart-bar`).Length() != want {
			t.Errorf("?%s: %d, %d bars, want %d", q, r.Status, bars(r), want)
		}
	}
	r := c.Get("/?range=7d")
	if !r.Has(`[data-testid="range-picker"] a[data-range="7d"][aria-current="true"][hx-target="#overview-charts"][hx-push-url="true"]`) ||
		!strings.Contains(r.Text(`[data-testid="chart-accounts"]`), "last 7 days") {
		t.Errorf("7 day picker state or title: %q", r.Text(`[data-testid="chart-accounts"]`))
	}

	// A custom range: its days, the form keeps the dates.
	r = c.Get("/?" + url.Values{"range": {"custom"}, "from": {day(9)}, "to": {day(0)}}.Encode())
	if r.Status != http.StatusOK || bars(r) != 10 || r.Has(`[data-testid="range-error"]`) {
		t.Fatalf("custom range: %d, %d bars", r.Status, bars(r))
	}
	if v, _ := r.Doc.Find(`[data-testid="range-custom"] input[name="from"]`).Attr("value"); v != day(9) {
		t.Errorf("custom from kept as %q", v)
	}

	// Refused ranges: 422 with the message, the default 30 days shown, the typed dates kept.
	for name, q := range map[string]url.Values{
		"reversed":  {"range": {"custom"}, "from": {day(1)}, "to": {day(5)}},
		"too long":  {"range": {"custom"}, "from": {day(400)}, "to": {day(0)}},
		"not dates": {"range": {"custom"}, "from": {"yesterday"}, "to": {day(0)}},
		"half":      {"range": {"custom"}, "from": {day(3)}},
		"future":    {"range": {"custom"}, "from": {day(3)}, "to": {today.AddDate(0, 0, 2).Format(time.DateOnly)}},
		"unknown":   {"range": {"12y"}},
		"year zero": {"range": {"custom"}, "from": {"0000-01-01"}, "to": {"0000-01-05"}},
	} {
		r := c.Get("/?" + q.Encode())
		if r.Status != http.StatusUnprocessableEntity || bars(r) != 30 || r.Text(`[data-testid="range-error"]`) == "" {
			t.Errorf("%s: %d, %d bars, message %q", name, r.Status, bars(r), r.Text(`[data-testid="range-error"]`))
		}
	}
	if msg := c.Get("/?" + url.Values{"range": {"custom"}, "from": {day(400)}, "to": {day(0)}}.Encode()).Text(`[data-testid="range-error"]`); !strings.Contains(msg, "366 days") {
		t.Errorf("too long a range says %q", msg)
	}

	// htmx swaps only the charts, with 200 even for a refused range.
	r = c.Do("GET", "/?range=90d", nil, http.Header{"HX-Request": {"true"}, "HX-Target": {"overview-charts"}})
	if r.Status != http.StatusOK || r.Has("main") || !r.Has(`section#overview-charts[data-range="90d"]`) || bars(r) != 90 {
		t.Fatalf("htmx range: %d, %d bars", r.Status, bars(r))
	}
	r = c.Do("GET", "/?range=custom&from=x&to=y", nil, http.Header{"HX-Request": {"true"}, "HX-Target": {"overview-charts"}})
	if r.Status != http.StatusOK || r.Text(`[data-testid="range-error"]`) == "" {
		t.Fatalf("htmx refused range: %d", r.Status)
	}
}
