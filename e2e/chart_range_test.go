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

// A chart's x labels never run together: Lumora's three charts side by
// side at 1280 px, the overview's two at 1024 and a phone's one each. The
// labels thin by the chart's own width (a container query), not the
// screen's; they ran together as "Nov 8Nov 12Nov 16" in a third of 1280.
func TestChartLabelsDoNotOverlap(t *testing.T) {
	b := start(t)
	b.staff("viewer")
	for _, c := range []struct {
		path   string
		width  int64
		mobile bool
	}{{"/lumora?range=90d", 1280, false}, {"/lumora", 1280, false}, {"/?range=90d", 1024, false}, {"/lumora?range=90d", 390, true}} {
		b.viewport(c.width, 900, c.mobile)
		b.open(c.path, "svg.chart")
		// Per chart: the visible labels, left to right, each ending at
		// least 4 px before the next begins.
		problem := eval[string](b, `(() => {
			for (const svg of document.querySelectorAll('svg.chart')) {
				const boxes = [...svg.querySelectorAll('text.chart-axis[text-anchor="middle"]')]
					.filter(t => getComputedStyle(t).display !== 'none')
					.map(t => t.getBoundingClientRect()).sort((a, b) => a.left - b.left);
				if (boxes.length < 2) return 'a chart with fewer than two labels';
				for (let i = 1; i < boxes.length; i++)
					if (boxes[i].left - boxes[i-1].right < 4) return 'labels ' + (i-1) + ' and ' + i + ' are ' + Math.round(boxes[i].left - boxes[i-1].right) + ' px apart';
			}
			return '';
		})()`)
		if problem != "" {
			t.Errorf("%s at %d px: %s", c.path, c.width, problem)
			b.screenshot("chart-labels")
		}
	}
}
