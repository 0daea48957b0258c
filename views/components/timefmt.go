package components

import (
	"strconv"
	"time"
)

// The console shows every time one way: relative within a week ("5 min ago",
// "in 3 days"), a short date beyond ("Dec 4, 2026"), and always the exact UTC
// time on hover. Time/TimeAt (time.templ) render it; the functions below are
// the text, for the few places that need a plain string (toasts, titles).

// recentWindow is how far from now a time is still shown relatively; past a
// week a person thinks in dates, not in "23 days ago".
const recentWindow = 7 * 24 * time.Hour

// RelTime is t as seen at now: "just now", "5 min ago", "3 h ago",
// "yesterday", "4 days ago" (or "in 5 min", "tomorrow", "in 4 days" for the
// future) within a week, else Date(t). Each unit is rounded to the nearest
// (a link valid for 7 days less a second reads "in 7 days", not "in 6 days").
func RelTime(t, now time.Time) string {
	d := now.Sub(t)
	future := d < 0
	if future {
		d = -d
	}
	if d >= recentWindow {
		return Date(t)
	}
	day := 24 * time.Hour
	var s string
	switch {
	case d < time.Minute:
		return "just now"
	case d.Round(time.Minute) < time.Hour:
		s = strconv.Itoa(int(d.Round(time.Minute)/time.Minute)) + " min"
	case d.Round(time.Hour) < day:
		s = strconv.Itoa(int(d.Round(time.Hour)/time.Hour)) + " h"
	case d.Round(day) <= day:
		if future {
			return "tomorrow"
		}
		return "yesterday"
	default:
		s = strconv.Itoa(int(d.Round(day)/day)) + " days"
	}
	if future {
		return "in " + s
	}
	return s + " ago"
}

// Date is the short absolute day, always with the year so a list never mixes
// "Dec 4" and "Dec 4, 2025": "Dec 4, 2026" (UTC).
func Date(t time.Time) string { return t.UTC().Format("Jan 2, 2006") }

// DatePtr is Date for an optional time; absent is "—".
func DatePtr(t *time.Time) string {
	if t == nil {
		return "—"
	}
	return Date(*t)
}

// ExactTime is the full UTC time shown on hover and on detail pages:
// "2026-12-04 15:04:05 UTC".
func ExactTime(t time.Time) string { return t.UTC().Format("2006-01-02 15:04:05") + " UTC" }

// isoTime is the machine-readable datetime attribute of <time>.
func isoTime(t time.Time) string { return t.UTC().Format(time.RFC3339) }

// Span says a length of time in words, in its largest whole unit: "2 days",
// "24 hours", "90 minutes", "1 second", "None" (a project's HWID reset
// cooldown). Days start at 2: a cooldown of "24 hours" reads better than
// "1 day".
func Span(d time.Duration) string {
	unit := func(n int64, one string) string {
		if n == 1 {
			return "1 " + one
		}
		return strconv.FormatInt(n, 10) + " " + one + "s"
	}
	switch {
	case d <= 0:
		return "None"
	case d%(24*time.Hour) == 0 && d >= 48*time.Hour:
		return unit(int64(d/(24*time.Hour)), "day")
	case d%time.Hour == 0:
		return unit(int64(d/time.Hour), "hour")
	case d%time.Minute == 0:
		return unit(int64(d/time.Minute), "minute")
	}
	return unit(int64(d/time.Second), "second")
}
