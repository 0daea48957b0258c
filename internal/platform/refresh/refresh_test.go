package refresh

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func TestGetAnswersTheLastResultWhileItReadsAgain(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2026, 12, 7, 10, 0, 0, 0, time.UTC)
	var loads atomic.Int64
	var fail atomic.Bool
	c := New("test", time.Minute, func(_ context.Context, k string) (string, error) {
		n := loads.Add(1)
		if fail.Load() {
			return "", errors.New("down")
		}
		return k + string(rune('0'+n)), nil
	})
	var clock sync.Mutex
	c.SetClock(func() time.Time { clock.Lock(); defer clock.Unlock(); return now })
	advance := func(d time.Duration) { clock.Lock(); now = now.Add(d); clock.Unlock() }

	get := func(want string, wantLoads int64) {
		t.Helper()
		v, _, err := c.Get(ctx, "k")
		c.Wait()
		if err != nil || v != want || loads.Load() != wantLoads {
			t.Fatalf("Get = %q, %v after %d loads; want %q after %d", v, err, loads.Load(), want, wantLoads)
		}
	}
	get("k1", 1)              // the first read waits
	advance(59 * time.Second) // young: no read
	get("k1", 1)              //
	advance(time.Second)      // stale: the last result now, a read behind it
	get("k1", 2)              //
	get("k2", 2)              // the background read's result
	advance(time.Minute)      //
	fail.Store(true)          // a failed background read keeps the last result
	get("k2", 3)              //
	get("k2", 4)              // and the next Get tries again
	fail.Store(false)         //
	get("k2", 5)              //
	get("k5", 5)              //
	if _, _, err := c.Get(ctx, "other"); err != nil || loads.Load() != 6 {
		t.Fatalf("another key is read on its own: %v, %d loads", err, loads.Load())
	}
}

func TestFirstReadErrorIsReturnedAndNotKept(t *testing.T) {
	ctx := context.Background()
	var loads atomic.Int64
	c := New("test", time.Minute, func(context.Context, int) (int, error) {
		if loads.Add(1) == 1 {
			return 0, errors.New("down")
		}
		return 7, nil
	})
	if _, _, err := c.Get(ctx, 1); err == nil {
		t.Fatal("the first read's error was not returned")
	}
	if v, _, err := c.Get(ctx, 1); err != nil || v != 7 || loads.Load() != 2 {
		t.Fatalf("Get after a failed first read = %d, %v (%d loads)", v, err, loads.Load())
	}
}

// Many Gets of a stale key start one background read.
func TestOneBackgroundReadAtATime(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2026, 12, 7, 10, 0, 0, 0, time.UTC)
	release := make(chan struct{})
	var loads atomic.Int64
	c := New("test", time.Minute, func(context.Context, string) (int64, error) {
		n := loads.Add(1)
		if n > 1 {
			<-release
		}
		return n, nil
	})
	c.SetClock(func() time.Time { return now })
	if _, _, err := c.Get(ctx, "k"); err != nil {
		t.Fatal(err)
	}
	now = now.Add(time.Hour)
	var wg sync.WaitGroup
	for range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if v, _, err := c.Get(ctx, "k"); err != nil || v != 1 {
				t.Errorf("stale Get = %d, %v; want 1", v, err)
			}
		}()
	}
	wg.Wait()
	close(release)
	c.Wait()
	if n := loads.Load(); n != 2 {
		t.Fatalf("%d loads, want 2", n)
	}
}

// Put keeps the newer of two results.
func TestPutKeepsTheNewer(t *testing.T) {
	ctx := context.Background()
	t0 := time.Date(2026, 12, 7, 10, 0, 0, 0, time.UTC)
	c := New("test", time.Hour, func(context.Context, string) (string, error) { return "loaded", nil })
	c.SetClock(func() time.Time { return t0 })
	c.Put("k", "new", t0.Add(time.Second))
	c.Put("k", "old", t0)
	if v, at, err := c.Get(ctx, "k"); err != nil || v != "new" || !at.Equal(t0.Add(time.Second)) {
		t.Fatalf("Get = %q at %s, %v", v, at, err)
	}
}

// A result the cache's test calls cheap is read again on each Get; another
// is reused.
func TestReadAgainWhile(t *testing.T) {
	ctx := context.Background()
	var loads atomic.Int64
	c := New("test", time.Hour, func(_ context.Context, k string) (int64, error) {
		n := loads.Add(1)
		if k == "large" {
			n += 1000
		}
		return n, nil
	}).ReadAgainWhile(func(v int64) bool { return v < 1000 })
	for i := range int64(3) {
		if v, _, err := c.Get(ctx, "small"); err != nil || v != i+1 {
			t.Fatalf("cheap read %d = %d, %v", i, v, err)
		}
	}
	first, _, _ := c.Get(ctx, "large")
	if v, _, err := c.Get(ctx, "large"); err != nil || v != first || loads.Load() != 4 {
		t.Fatalf("a large result was not reused: %d then %d, %v (%d loads)", first, v, err, loads.Load())
	}
}
