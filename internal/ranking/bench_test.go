package ranking_test

import (
	"testing"
	"time"

	"lumdesk/internal/ranking"
)

// BenchmarkBatch100 runs a batch of 100 rank changes against the test
// Roblox, which enforces 300 requests a minute per key. Each change is
// three requests (the membership re-read, :assignRole, :unassignRole of the
// old role), and adding the group took three more: 303 requests, so the
// last ones must wait for the first to leave Roblox's window. It fails if
// any change failed or Roblox ever had to refuse a request over the
// budget, and reports the batch's duration against the budget's floor
// (the least time 300/minute allows for that many requests). Two 429s with
// Retry-After are thrown in; the batch still succeeds, so each was answered.
//
//	go test -run '^$' -bench Batch100 -benchtime 1x ./internal/ranking/
func BenchmarkBatch100(b *testing.B) {
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		f := newRFixture(b)
		items := make([]ranking.BatchItem, 100)
		for u := range items {
			f.member(int64(u+1), "", "101")
			rank := []int{5, 10, 50}[u%3]
			items[u] = ranking.BatchItem{UserID: int64(u + 1), Action: ranking.BatchSet, Rank: &rank}
		}
		// Two 429s beside the budget (Roblox's undocumented limits): each
		// must be waited out (Retry-After) and its request sent again.
		f.rbx.Force429(2, "1")
		before, _, _ := f.rbx.Snapshot()
		b.StartTimer()
		start := time.Now()
		res, err := f.svc.Batch(rctx, rActor, f.scope, f.group.ID, items)
		took := time.Since(start)
		b.StopTimer()
		if err != nil {
			b.Fatal(err)
		}
		requests, violations, forced := f.rbx.Snapshot()
		if res.OK != 100 || res.Failed != 0 {
			for _, it := range res.Items {
				if it.Status != "ok" {
					b.Fatalf("item %s: %v", it.Ref, it.Err)
				}
			}
		}
		if violations != 0 {
			b.Fatalf("the test Roblox refused %d requests over its 300/minute budget", violations)
		}
		// A sliding window of 300 a minute, from empty: request n (1-based)
		// goes no earlier than floor((n-1)/300) minutes after the first.
		floor := time.Duration((requests-1)/300) * time.Minute
		b.ReportMetric(took.Seconds(), "batch-s")
		b.ReportMetric(floor.Seconds(), "floor-s")
		b.ReportMetric(float64(requests-before), "roblox-requests")
		b.ReportMetric(float64(requests), "requests-in-window")
		b.ReportMetric(float64(forced), "429s-answered")
		if floor > 0 {
			b.ReportMetric(took.Seconds()/floor.Seconds(), "x-floor")
		}
	}
}
