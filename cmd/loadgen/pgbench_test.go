package main

import (
	"os"
	"path/filepath"
	"testing"
	"time"
)

// pgbench -j 2 -l writes one log per thread (tx.<pid> and tx.<pid>.1); every
// line's third field is the transaction's latency in µs.
func TestPgbenchLatenciesReadEveryThreadsLog(t *testing.T) {
	dir := t.TempDir()
	write := func(name, text string) {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("tx.123", "0 1 250 0 1764990000 100\n1 1 1750 0 1764990000 200\n")
	write("tx.123.1", "16 1 4000 0 1764990001 300\n")
	lat, err := pgbenchLatencies(dir)
	if err != nil {
		t.Fatal(err)
	}
	r := summarize("pgbench -S", lat, time.Second)
	if r.rps != 3 || r.p50 != 1750*time.Microsecond || r.p99 != 4*time.Millisecond {
		t.Fatalf("got %.0f/s, p50 %v, p99 %v; want 3/s, 1.75ms, 4ms", r.rps, r.p50, r.p99)
	}
	write("tx.123.2", "0 1 not-a-number 0 1 2\n")
	if _, err := pgbenchLatencies(dir); err == nil {
		t.Fatal("a malformed line was read without an error")
	}
}

// Rounds merge as one run: all their requests over their summed time.
func TestMergeRounds(t *testing.T) {
	a := summarize("a", []time.Duration{3 * time.Millisecond, time.Millisecond}, time.Second)
	b := summarize("b", []time.Duration{2 * time.Millisecond}, time.Second)
	a.errors, b.errors = 1, 2
	m := merge("both", []result{a, b})
	if m.rps != 1.5 || m.p50 != 2*time.Millisecond || m.p99 != 3*time.Millisecond || m.errors != 3 {
		t.Fatalf("got %.1f/s, p50 %v, p99 %v, %d errors", m.rps, m.p50, m.p99, m.errors)
	}
}
