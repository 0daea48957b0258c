package web

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/utils"

	"lumdesk/views/components"
)

// MaxChartDays is the longest range a chart shows (a year, leap day included).
const MaxChartDays = 366

// ChartRange is the days a chart covers, read from the URL: range=7d, 30d or
// 90d, or range=custom with from and to (YYYY-MM-DD, both included).
type ChartRange struct {
	// Key is "7d", "30d", "90d" or "custom".
	Key string
	// From and To are UTC midnights, both days included.
	From, To time.Time
	// FromText and ToText are the custom form's values as typed.
	FromText, ToText string
	// Error says why a custom range was refused; the chart then shows the default.
	Error string
}

// Days is how many days the range covers.
func (r ChartRange) Days() int { return int(r.To.Sub(r.From).Hours()/24) + 1 }

// Presets are the range picker's fixed choices, in days.
var chartPresets = map[string]int{"7d": 7, "30d": 30, "90d": 90}

// ParseChartRange reads the range from the query (def is the preset used
// when none is given or the given one is refused), with today taken from now.
func ParseChartRange(c *fiber.Ctx, def string, now time.Time) ChartRange {
	today := now.UTC().Truncate(24 * time.Hour)
	preset := func(key string) ChartRange {
		n := chartPresets[key]
		return ChartRange{Key: key, From: today.AddDate(0, 0, -(n - 1)), To: today}
	}
	key := strings.TrimSpace(c.Query("range"))
	switch {
	case key == "":
		return preset(def)
	case chartPresets[key] > 0:
		return preset(key)
	case key != "custom":
		r := preset(def)
		r.Error = "Choose 7, 30 or 90 days, or a custom range."
		return r
	}
	r := preset(def)
	r.FromText, r.ToText = utils.CopyString(strings.TrimSpace(c.Query("from"))), utils.CopyString(strings.TrimSpace(c.Query("to")))
	from, ferr := time.Parse(time.DateOnly, r.FromText)
	to, terr := time.Parse(time.DateOnly, r.ToText)
	switch {
	case r.FromText == "" || r.ToText == "":
		r.Error = "Give both a start and an end date."
	case ferr != nil || terr != nil || from.Year() < 1970:
		// Before 1970 nothing happened here; such a date is a typo.
		r.Error = "Dates look like 2026-01-31."
	case to.Before(from):
		r.Error = "The start date must not be after the end date."
	case to.After(today):
		r.Error = "The end date must not be in the future."
	case int(to.Sub(from).Hours()/24)+1 > MaxChartDays:
		r.Error = fmt.Sprintf("A range covers at most %d days.", MaxChartDays)
	default:
		r.Key, r.From, r.To = "custom", from, to
	}
	return r
}

// View is the range picker's view-model; path is the page the picker's links
// and form go to, target the element (id) that htmx swaps.
func (r ChartRange) View(path, target string) components.ChartRange {
	v := components.ChartRange{Key: r.Key, Path: path, Target: target, From: r.FromText, To: r.ToText, Error: r.Error,
		Label: r.Label()}
	if r.Key == "custom" {
		v.From, v.To = r.From.Format(time.DateOnly), r.To.Format(time.DateOnly)
	}
	return v
}

// Label describes the range in a chart's title: "last 30 days", "Jan 2 – Mar 4, 2026".
func (r ChartRange) Label() string {
	if r.Key != "custom" {
		return "last " + strconv.Itoa(r.Days()) + " days"
	}
	if r.From.Year() == r.To.Year() {
		return r.From.Format("Jan 2") + " – " + r.To.Format("Jan 2, 2006")
	}
	return r.From.Format("Jan 2, 2006") + " – " + r.To.Format("Jan 2, 2006")
}
