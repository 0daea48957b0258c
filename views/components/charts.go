package components

import (
	"math"
	"strconv"
	"strings"
)

// Chart geometry. The bar chart SVG has no viewBox: x positions are
// percentages of the width (so it stretches to any container without
// scaling the text) and y positions are pixels of a fixed-height plot.
const (
	chartTop    = 8.0   // px above the highest grid line
	chartPlotH  = 156.0 // px plot height
	chartLabelY = chartTop + chartPlotH + 18
)

type chartBar struct {
	X, W      string // percentages, e.g. "12.500%"
	CX        string // label centre, percentage
	Y, H      string // px
	HitY      string
	HitH      string
	Title     string
	Label     string
	LabelMode int // 0 hidden, 1 always, 2 sm+ only
}

type chartTick struct {
	Y     string
	Label string
}

type chartModel struct {
	Bars   []chartBar
	Ticks  []chartTick
	Base   string // y of the baseline
	LabelY string // y of the x-axis labels
}

func buildChart(points []ChartPoint) chartModel {
	var m chartModel
	var maxV int64
	for _, p := range points {
		if p.Value > maxV {
			maxV = p.Value
		}
	}
	top, step := niceScale(maxV)
	for i := 0; i <= 4; i++ {
		v := step * int64(i)
		y := chartTop + chartPlotH - chartPlotH*float64(v)/float64(top)
		m.Ticks = append(m.Ticks, chartTick{Y: px(y), Label: Compact(v)})
	}
	m.Base = px(chartTop + chartPlotH)
	m.LabelY = px(chartLabelY)

	n := len(points)
	if n == 0 {
		return m
	}
	slot := 100.0 / float64(n)
	frac := 0.62
	if n < 6 {
		frac = 0.36
	} else if n > 40 {
		frac = 0.72
	}
	// Label every `wide` bars in a wide chart and every other one of those
	// in a narrow one (input.css, .chart-label-wide): the narrow labels are
	// a subset of the wide ones, so two never sit side by side (every 12th
	// and every 23rd of 90 days would).
	wide := (n + 7) / 8
	narrow := 2 * wide
	for i, p := range points {
		v := p.Value
		if v < 0 {
			v = 0
		}
		h := chartPlotH * float64(v) / float64(top)
		if v > 0 && h < 1.5 {
			h = 1.5
		}
		b := chartBar{
			X:     pct(float64(i)*slot + slot*(1-frac)/2),
			W:     pct(slot * frac),
			CX:    pct(float64(i)*slot + slot/2),
			Y:     px(chartTop + chartPlotH - h),
			H:     px(h),
			HitY:  px(chartTop),
			HitH:  px(chartPlotH),
			Title: p.Label + ": " + Thousands(p.Value),
			Label: p.Label,
		}
		switch {
		case i%narrow == 0:
			b.LabelMode = 1
		case i%wide == 0:
			b.LabelMode = 2
		}
		m.Bars = append(m.Bars, b)
	}
	return m
}

// niceScale returns an axis maximum and tick step (4 intervals) covering max.
func niceScale(max int64) (top, step int64) {
	if max <= 0 {
		return 4, 1
	}
	raw := float64(max) / 4
	mag := math.Pow(10, math.Floor(math.Log10(raw)))
	var s float64
	for _, f := range []float64{1, 2, 2.5, 5, 10} {
		if raw <= f*mag {
			s = f * mag
			break
		}
	}
	step = int64(math.Ceil(s))
	if step < 1 {
		step = 1
	}
	return step * 4, step
}

func px(v float64) string  { return strconv.FormatFloat(v, 'f', 2, 64) }
func pct(v float64) string { return strconv.FormatFloat(v, 'f', 3, 64) + "%" }

// Compact formats n as 950, 1.2k, 3.4M, 1.1B.
func Compact(n int64) string {
	neg := n < 0
	if neg {
		n = -n
	}
	var s string
	switch {
	case n < 1000:
		s = strconv.FormatInt(n, 10)
	case n < 1_000_000:
		s = trimZero(float64(n)/1e3) + "k"
	case n < 1_000_000_000:
		s = trimZero(float64(n)/1e6) + "M"
	default:
		s = trimZero(float64(n)/1e9) + "B"
	}
	if neg {
		return "-" + s
	}
	return s
}

func trimZero(f float64) string {
	s := strconv.FormatFloat(f, 'f', 1, 64)
	return strings.TrimSuffix(s, ".0")
}

// Thousands formats n with comma separators: 1234567 → "1,234,567".
func Thousands(n int64) string {
	s := strconv.FormatInt(n, 10)
	neg := strings.HasPrefix(s, "-")
	if neg {
		s = s[1:]
	}
	var b strings.Builder
	for i, r := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(r)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}

// sparkPaths returns the polyline points and the closed area polygon of a
// sparkline in a 100x32 viewBox.
func sparkPaths(values []int64) (line, area string) {
	const w, h, pad = 100.0, 32.0, 2.0
	if len(values) == 0 {
		return "", ""
	}
	if len(values) == 1 {
		values = []int64{values[0], values[0]}
	}
	lo, hi := values[0], values[0]
	for _, v := range values {
		lo = min(lo, v)
		hi = max(hi, v)
	}
	span := float64(hi - lo)
	var pts []string
	for i, v := range values {
		x := w * float64(i) / float64(len(values)-1)
		y := h / 2
		if span > 0 {
			y = pad + (h-2*pad)*(1-float64(v-lo)/span)
		}
		pts = append(pts, px(x)+","+px(y))
	}
	line = strings.Join(pts, " ")
	area = line + " " + px(w) + "," + px(h) + " 0," + px(h)
	return line, area
}

// ChartRange is the range picker above charts: 7, 30 or 90 days, or a custom
// from–to range (handlers/web ParseChartRange reads it back from the URL).
type ChartRange struct {
	Key    string // "7d", "30d", "90d", "custom"
	Path   string // the page the links and the form go to
	Target string // id of the element htmx swaps (the charts and the picker)
	From   string // the custom form's values
	To     string
	Error  string // why the custom range was refused
	Label  string // "last 30 days": for the charts' titles
}

// ChartRangePresets are the picker's fixed choices.
var ChartRangePresets = []Option{{Value: "7d", Label: "7 days"}, {Value: "30d", Label: "30 days"}, {Value: "90d", Label: "90 days"}}

// Href is the page on a preset range.
func (r ChartRange) Href(key string) string { return r.Path + "?range=" + key }
