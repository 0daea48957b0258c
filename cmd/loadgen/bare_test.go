package main

import (
	"context"
	"os"
	"testing"
	"time"
)

// TestMain lets bareFiber run the test binary again as the bare endpoint's
// process, as it runs the load generator's own binary.
func TestMain(m *testing.M) {
	if os.Getenv(envBare) == "1" {
		serveBare()
		return
	}
	os.Exit(m.Run())
}

// The HTTP ceiling answers every request, in a process of its own and in
// this one.
func TestBareFiberBothWays(t *testing.T) {
	cfg := config{concurrency: 2, duration: 200 * time.Millisecond}
	for _, own := range []bool{true, false} {
		r, err := bareFiber(context.Background(), cfg, own)
		if err != nil {
			t.Fatalf("own process %v: %v", own, err)
		}
		if r.rps <= 0 || r.errors != 0 {
			t.Errorf("own process %v: %.0f req/s, %d errors; want answers and no error", own, r.rps, r.errors)
		}
	}
}
