package e2e

import (
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// The overview's range picker swaps the charts in place and keeps the range
// in the URL; a custom range the other way round says so.
func TestOverviewChartRangePicker(t *testing.T) {
	b := start(t)
	b.staff("viewer")
	b.open("/", `#overview-charts[data-range="30d"]`)
	b.do("mark the page", chromedp.Evaluate[chromedp.Void](`window.__e2eSamePage = true`))
	bars := func() int {
		return eval[int](b, `document.querySelectorAll('[data-testid="chart-accounts"] rect.chart-bar').length`)
	}

	b.click(`#overview-charts a[data-range="90d"]`)
	b.waitVisible(`#overview-charts[data-range="90d"]`)
	b.waitPath(`^/\?range=90d$`)
	if n := bars(); n != 90 {
		t.Errorf("90 day chart has %d bars", n)
	}
	b.screenshot("90-days")

	today := time.Now().UTC()
	set := func(name, v string) {
		b.do("set "+name, chromedp.Evaluate[chromedp.Void](`document.querySelector('#overview-charts input[name=`+name+`]').value = '`+v+`'`))
	}
	set("from", today.AddDate(0, 0, -13).Format(time.DateOnly))
	set("to", today.Format(time.DateOnly))
	b.click(`[data-testid="range-custom"] button[type=submit]`)
	b.waitVisible(`#overview-charts[data-range="custom"]`)
	if n := bars(); n != 14 {
		t.Errorf("custom 14 day chart has %d bars", n)
	}
	b.waitPath(`range=custom`)
	// The swapped-in form is live once htmx has processed it; a submit
	// before that would be the browser's own (a page load).
	b.do("htmx processed the new form", chromedp.Poll[chromedp.Void](`(() => { const f = document.querySelector('[data-testid="range-custom"]'); return !!f && f['htmx-internal-data'] !== undefined && !document.querySelector('.htmx-settling, .htmx-swapping'); })()`))

	set("from", today.Format(time.DateOnly))
	set("to", today.AddDate(0, 0, -5).Format(time.DateOnly))
	b.click(`[data-testid="range-custom"] button[type=submit]`)
	b.waitText(`[data-testid="range-error"]`, `start date must not be after the end date`)
	if n := bars(); n != 30 {
		t.Errorf("a refused range shows %d bars, want the default 30", n)
	}
	if !eval[bool](b, `window.__e2eSamePage === true`) {
		t.Error("the range picker reloaded the page; it should swap the charts")
	}
	b.screenshot("refused")
}
