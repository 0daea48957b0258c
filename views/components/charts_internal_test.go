package components

import (
	"strconv"
	"testing"
)

// The x-axis labels of a chart are spread out: the phone labels are among
// the wider screens', and no two labelled bars are closer than the step,
// whatever the range (7, 30, 90 days or a custom one).
func TestChartLabelsNeverCrowd(t *testing.T) {
	t.Parallel()
	for _, n := range []int{1, 7, 14, 30, 31, 90, 91, 180, 366} {
		points := make([]ChartPoint, n)
		for i := range points {
			points[i] = ChartPoint{Label: strconv.Itoa(i), Value: int64(i)}
		}
		m := buildChart(points)
		last, step := -1, (n+7)/8
		shown := 0
		for i, b := range m.Bars {
			if b.LabelMode == 0 {
				continue
			}
			shown++
			if last >= 0 && i-last < step {
				t.Errorf("%d days: labels at bars %d and %d are closer than %d", n, last, i, step)
			}
			last = i
		}
		if shown == 0 || shown > 8 {
			t.Errorf("%d days: %d labels, want 1 to 8", n, shown)
		}
	}
}
