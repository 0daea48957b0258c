package main

import (
	"testing"
	"time"
)

// The steal column is the eighth count of /proc/stat's cpu line, over the
// first eight (guest time is inside user and nice already).
func TestCPUClockReadsTheStealColumn(t *testing.T) {
	before, err := parseCPUClock("cpu  100 5 50 800 10 0 5 30 40 0\ncpu0 50 2 25 400 5 0 2 15 20 0\n")
	if err != nil {
		t.Fatal(err)
	}
	if before != (cpuClock{total: 1000, steal: 30}) {
		t.Fatalf("got %+v, want total 1000, steal 30", before)
	}
	after, err := parseCPUClock("cpu  200 5 90 1100 10 0 5 130 80 0\n")
	if err != nil {
		t.Fatal(err)
	}
	span := after.since(before)
	if span != (cpuClock{total: 540, steal: 100}) || span.stolen() != "19%" {
		t.Fatalf("got %+v (%s), want 540 ticks, 100 stolen (19%%)", span, span.stolen())
	}
	for _, bad := range []string{"", "intr 1 2 3", "cpu 1 2 3 4 5 6 7", "cpu 1 2 3 4 5 6 7 x"} {
		if _, err := parseCPUClock(bad); err == nil {
			t.Errorf("%q was read as a clock", bad)
		}
	}
	// Unknown stays unknown: a span from a zero reading, or a counter that
	// went backwards, prints "?" rather than a share.
	if got := after.since(cpuClock{}).stolen(); got != "?" {
		t.Errorf("a span from an unknown reading: %s", got)
	}
	if got := before.since(after).stolen(); got != "?" {
		t.Errorf("a span backwards: %s", got)
	}
}

// Rounds' clocks add up, so the merged share is over all their ticks.
func TestMergeAddsTheRoundsClocks(t *testing.T) {
	a := summarize("a", []time.Duration{time.Millisecond}, time.Second)
	b := summarize("b", []time.Duration{time.Millisecond}, time.Second)
	a.cpu, b.cpu = cpuClock{total: 100, steal: 40}, cpuClock{total: 300, steal: 0}
	if got := merge("both", []result{a, b}).cpu.stolen(); got != "10%" {
		t.Fatalf("merged steal %s, want 10%%", got)
	}
}
