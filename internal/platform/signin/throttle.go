package signin

import (
	"context"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"lumdesk/db/store"
	"lumdesk/internal/platform/db"
)

// Throttling: failures are counted per key (a user's email, an IP) within a
// window. From the Nth failure on, each further attempt must wait twice as
// long as the one before (1 s, 2 s, 4 s ...), capped at LockMax. Locks always
// end by themselves, so an attacker cannot lock a user out for good, and the
// per-user threshold is low enough to stop guessing long before it pays.
const (
	ThrottleWindow = 15 * time.Minute
	UserFreeTries  = 3
	IPFreeTries    = 10
	LockMax        = 15 * time.Minute
)

// LockFor is how long a key stays locked after its failures-th failure.
func LockFor(failures, free int) time.Duration {
	if failures < free {
		return 0
	}
	d := time.Second * time.Duration(math.Pow(2, float64(min(failures-free, 20))))
	return min(d, LockMax)
}

// ThrottledError says when to try again.
type ThrottledError struct{ RetryAfter time.Duration }

func (e *ThrottledError) Error() string {
	return fmt.Sprintf("too many failed sign-ins; try again in %s", Wait(e.RetryAfter))
}

// Wait says a wait in whole seconds or minutes, rounded up: "5 seconds".
func Wait(d time.Duration) string {
	n, unit := int(math.Ceil(d.Seconds())), "second"
	if n > 60 {
		n, unit = int(math.Ceil(d.Minutes())), "minute"
	}
	if n = max(n, 1); n > 1 {
		unit += "s"
	}
	return strconv.Itoa(n) + " " + unit
}

// Throttle counts failures in the login_throttle table. Each face prefixes
// its keys ("acct:", "portal:acct:") so the faces never lock each other.
type Throttle struct {
	DB  *db.DB
	Now func() time.Time
}

// Key is one counter of failures and how many of them it forgives before
// it locks (UserFreeTries for a user, IPFreeTries for an address).
type Key struct {
	Name string
	Free int
}

// Attempt counts one try against every key before the secret is checked,
// or returns a ThrottledError while any key is locked (and counts nothing).
// The try counts as a failure from the start, in one short transaction that
// holds the keys' rows: guesses sent at once each see the ones before them,
// and the one that reaches a key's free tries locks it for the rest, where
// reading the count and writing a failure after the slow password hash let
// any number of guesses through together. A right secret takes its count
// back with Forgive.
func (t Throttle) Attempt(ctx context.Context, keys ...Key) error {
	keys = slices.SortedFunc(slices.Values(keys), func(a, b Key) int { return strings.Compare(a.Name, b.Name) }) // one lock order: no deadlock
	err := t.DB.Tx(ctx, func(q *store.Queries) error {
		now := t.Now()
		var wait time.Duration
		counted := make([]store.LoginThrottle, len(keys))
		for i, k := range keys {
			row, err := q.RecordLoginFailure(ctx, store.RecordLoginFailureParams{Key: k.Name, WindowSeconds: ThrottleWindow.Seconds()})
			if err != nil {
				return fmt.Errorf("count attempt: %w", err)
			}
			if row.LockedUntil != nil {
				wait = max(wait, row.LockedUntil.Sub(now))
			}
			counted[i] = row
		}
		if wait > 0 {
			return &ThrottledError{RetryAfter: wait} // rolls the counts back
		}
		for i, k := range keys {
			if d := LockFor(int(counted[i].Failures), k.Free); d > 0 {
				until := now.Add(d)
				if err := q.LockLoginThrottle(ctx, store.LockLoginThrottleParams{Key: k.Name, LockedUntil: &until}); err != nil {
					return fmt.Errorf("lock: %w", err)
				}
			}
		}
		return nil
	})
	return err
}

// Forgive takes back the count of an attempt whose secret was right, and the
// lock that count may have set.
func (t Throttle) Forgive(ctx context.Context, q *store.Queries, keys ...Key) error {
	for _, k := range keys {
		if err := q.ForgiveLoginAttempt(ctx, k.Name); err != nil {
			return fmt.Errorf("forgive attempt: %w", err)
		}
	}
	return nil
}
