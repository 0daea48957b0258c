package components

import (
	"context"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"lumdesk/internal/platform/money"
)

func TestMoney(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		in   money.Cents
		want string
	}{
		{0, "$0.00"},
		{5, "$0.05"},
		{-5, "-$0.05"},
		{1250, "$12.50"},
		{-1250, "-$12.50"},
		{99999, "$999.99"},
		{100000, "$1,000.00"},
		{106360, "$1,063.60"},
		{123456789, "$1,234,567.89"},
		{-123456789, "-$1,234,567.89"},
		{math.MaxInt64, "$92,233,720,368,547,758.07"},
		{math.MinInt64, "-$92,233,720,368,547,758.08"},
	} {
		if got := Money(tc.in); got != tc.want {
			t.Errorf("Money(%d) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestMoneyTile(t *testing.T) {
	t.Parallel()
	for in, want := range map[money.Cents]string{
		0: "$0.00", 99_999_999: "$999,999.99", -99_999_999: "-$999,999.99",
		100_000_000: "$1M", 1_478_652_575: "$14.8M", -210_000_000: "-$2.1M",
		math.MinInt64: "-$92233720.4B",
	} {
		if got := MoneyTile(in); got != want {
			t.Errorf("MoneyTile(%d) = %q, want %q", in, got, want)
		}
	}
}

func TestRelTime(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 12, 4, 15, 4, 5, 0, time.UTC)
	for _, tc := range []struct {
		d    time.Duration // t = now - d
		want string
	}{
		{0, "just now"},
		{59 * time.Second, "just now"},
		{-30 * time.Second, "just now"},
		{5 * time.Minute, "5 min ago"},
		{-5 * time.Minute, "in 5 min"},
		{3*time.Hour + 10*time.Minute, "3 h ago"},
		{-3 * time.Hour, "in 3 h"},
		{30 * time.Hour, "yesterday"},
		{-30 * time.Hour, "tomorrow"},
		{4 * 24 * time.Hour, "4 days ago"},
		{-3*24*time.Hour - time.Hour, "in 3 days"},
		// Rounded to the nearest unit, not down.
		{-7*24*time.Hour + time.Second, "in 7 days"},
		{-6*24*time.Hour - 13*time.Hour, "in 7 days"},
		{-6*24*time.Hour - 11*time.Hour, "in 6 days"},
		{-40 * time.Hour, "in 2 days"},
		{-23*time.Hour - 40*time.Minute, "tomorrow"},
		{2*time.Hour + 40*time.Minute, "3 h ago"},
		{59*time.Minute + 40*time.Second, "1 h ago"},
		{90 * time.Second, "2 min ago"},
		{7 * 24 * time.Hour, "Nov 27, 2026"},
		{-10 * 24 * time.Hour, "Dec 14, 2026"},
		{400 * 24 * time.Hour, "Oct 30, 2025"},
	} {
		if got := RelTime(now.Add(-tc.d), now); got != tc.want {
			t.Errorf("RelTime(now-%v) = %q, want %q", tc.d, got, tc.want)
		}
	}
}

func TestTimeAtRendersExactUTCOnHover(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 12, 4, 15, 4, 5, 0, time.UTC)
	at := now.Add(-3 * time.Minute).In(time.FixedZone("X", 3600))
	var b strings.Builder
	if err := TimeAt(at, now).Render(context.Background(), &b); err != nil {
		t.Fatal(err)
	}
	want := `<time datetime="2026-12-04T15:01:05Z" title="2026-12-04 15:01:05 UTC">3 min ago</time>`
	if b.String() != want {
		t.Errorf("TimeAt = %s\nwant     %s", b.String(), want)
	}
	b.Reset()
	if err := Day(at).Render(context.Background(), &b); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(b.String(), ">Dec 4, 2026</time>") || !strings.Contains(b.String(), `title="2026-12-04 15:01:05 UTC"`) {
		t.Errorf("Day = %s", b.String())
	}
	b.Reset()
	if err := Time(time.Time{}).Render(context.Background(), &b); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(b.String(), "—") || strings.Contains(b.String(), "<time") {
		t.Errorf("zero Time = %s", b.String())
	}
}

// templ calls a component only at the start of a line; written after text
// ("Last movement @components.Time(t)") it is printed literally. Catch that in
// every generated view rather than page by page.
func TestNoComponentCallPrintedAsText(t *testing.T) {
	t.Parallel()
	files, err := filepath.Glob("../pages/*/*_templ.go")
	if err != nil || len(files) == 0 {
		t.Fatalf("no generated views found: %v", err)
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for i, line := range strings.Split(string(b), "\n") {
			if strings.Contains(line, "templruntime.WriteString(") && strings.Contains(line, "@components.") {
				t.Errorf("%s:%d prints a component call as text: %s", f, i+1, strings.TrimSpace(line))
			}
		}
	}
}

// Keys run in one clock minute read alike, and a later minute never reads
// older than an earlier one, as the keys list sorts them by last use.
func TestMinuteCountsClockMinutes(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 12, 4, 12, 3, 50, 0, time.UTC)
	render := func(at time.Time) string {
		var b strings.Builder
		if err := MinuteAt(at, now).Render(context.Background(), &b); err != nil {
			t.Fatal(err)
		}
		return b.String()
	}
	early, late, next := time.Date(2026, 12, 4, 12, 0, 5, 0, time.UTC), time.Date(2026, 12, 4, 12, 0, 55, 0, time.UTC), time.Date(2026, 12, 4, 12, 1, 1, 0, time.UTC)
	if RelTime(early, now) == RelTime(late, now) {
		t.Fatalf("the exact instants read alike (%q): the case shows nothing", RelTime(early, now))
	}
	for _, c := range []struct {
		at   time.Time
		want string
	}{
		{early, `<time datetime="2026-12-04T12:00:05Z" title="2026-12-04 12:00:05 UTC">3 min ago</time>`},
		{late, `<time datetime="2026-12-04T12:00:55Z" title="2026-12-04 12:00:55 UTC">3 min ago</time>`},
		{next, `<time datetime="2026-12-04T12:01:01Z" title="2026-12-04 12:01:01 UTC">2 min ago</time>`},
		{now.Add(-10 * time.Second), `<time datetime="2026-12-04T12:03:40Z" title="2026-12-04 12:03:40 UTC">just now</time>`},
	} {
		if got := render(c.at); got != c.want {
			t.Errorf("MinuteAt(%s) = %s\nwant %s", c.at.Format(time.TimeOnly), got, c.want)
		}
	}
	if got := render(time.Time{}); !strings.Contains(got, "—") {
		t.Errorf("zero = %s", got)
	}
}

func TestSpan(t *testing.T) {
	t.Parallel()
	for d, want := range map[time.Duration]string{
		0: "None", -time.Hour: "None", time.Second: "1 second", 90 * time.Second: "90 seconds",
		90 * time.Minute: "90 minutes", time.Hour: "1 hour", 24 * time.Hour: "24 hours",
		48 * time.Hour: "2 days", 36 * time.Hour: "36 hours", 1500 * time.Millisecond: "1 second",
	} {
		if got := Span(d); got != want {
			t.Errorf("Span(%v) = %q, want %q", d, got, want)
		}
	}
}
