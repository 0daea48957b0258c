package signin_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"lumdesk/internal/platform/db"
	"lumdesk/internal/platform/signin"
	"lumdesk/internal/platform/testdb"
)

func newThrottle(t *testing.T, now *time.Time) signin.Throttle {
	return signin.Throttle{DB: db.New(testdb.New(t)), Now: func() time.Time { return *now }}
}

// Guesses sent at once each see the ones before them: of thirty wrong
// passwords racing for one user, only the free tries are let through.
func TestAttemptCountsGuessesSentAtOnce(t *testing.T) {
	t.Parallel()
	now := time.Now()
	th := newThrottle(t, &now)
	user := signin.Key{Name: "acct:race@x.test", Free: signin.UserFreeTries}
	var (
		wg        sync.WaitGroup
		mu        sync.Mutex
		through   int
		throttled int
	)
	for range 30 {
		wg.Go(func() {
			err := th.Attempt(context.Background(), user)
			var te *signin.ThrottledError
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err == nil:
				through++
			case errors.As(err, &te):
				throttled++
			default:
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if through != signin.UserFreeTries || throttled != 30-signin.UserFreeTries {
		t.Fatalf("%d attempts went through and %d were throttled, want %d and %d", through, throttled, signin.UserFreeTries, 30-signin.UserFreeTries)
	}
}

// A refused attempt counts nothing, so waiting out a lock is enough; a right
// secret takes its count back, so a user who keeps signing in is never locked.
func TestRefusedAttemptsCountNothingAndForgivenOnesNothingEither(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	now := time.Now().Truncate(time.Microsecond) // as Postgres keeps it
	th := newThrottle(t, &now)
	user := signin.Key{Name: "acct:wait@x.test", Free: signin.UserFreeTries}
	for i := range signin.UserFreeTries {
		if err := th.Attempt(ctx, user); err != nil {
			t.Fatalf("attempt %d: %v", i+1, err)
		}
	}
	var te *signin.ThrottledError
	for range 5 {
		if err := th.Attempt(ctx, user); !errors.As(err, &te) || te.RetryAfter != time.Second {
			t.Fatalf("while locked: %v, want a 1 s wait", err)
		}
	}
	now = now.Add(time.Second)
	if err := th.Attempt(ctx, user); err != nil { // the 4th counted failure, not the 9th
		t.Fatalf("after the lock: %v", err)
	}
	if err := th.Attempt(ctx, user); !errors.As(err, &te) || te.RetryAfter != signin.LockFor(4, signin.UserFreeTries) {
		t.Fatalf("after the 4th failure: %v, want a wait of %s", err, signin.LockFor(4, signin.UserFreeTries))
	}

	ip := signin.Key{Name: "ip:10.0.0.9", Free: signin.IPFreeTries}
	for i := range 3 * signin.IPFreeTries {
		if err := th.Attempt(ctx, ip); err != nil {
			t.Fatalf("right secret %d: %v", i+1, err)
		}
		if err := th.Forgive(ctx, th.DB.Queries, ip); err != nil {
			t.Fatal(err)
		}
	}
	// One short of the free tries, a right secret's attempt locks the address
	// for a moment (it might have been the failure that does); Forgive unlocks.
	for range signin.IPFreeTries - 1 {
		if err := th.Attempt(ctx, ip); err != nil {
			t.Fatal(err)
		}
	}
	if err := th.Attempt(ctx, ip); err != nil {
		t.Fatal(err)
	}
	if err := th.Forgive(ctx, th.DB.Queries, ip); err != nil {
		t.Fatal(err)
	}
	if err := th.Attempt(ctx, ip); err != nil {
		t.Fatalf("after a right secret one short of the free tries: %v", err)
	}
}

func TestWait(t *testing.T) {
	for d, want := range map[time.Duration]string{
		0: "1 second", 300 * time.Millisecond: "1 second", time.Second: "1 second", 1500 * time.Millisecond: "2 seconds",
		time.Minute: "60 seconds", 61 * time.Second: "2 minutes", 15 * time.Minute: "15 minutes",
	} {
		if got := signin.Wait(d); got != want {
			t.Errorf("Wait(%s) = %q, want %q", d, got, want)
		}
	}
}
