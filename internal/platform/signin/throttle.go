package signin

import (
	"context"
	"fmt"
	"math"
	"strconv"
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
	return fmt.Sprintf("too many failed sign-ins; try again in %s", roundUp(e.RetryAfter))
}

func roundUp(d time.Duration) string {
	if d < time.Minute {
		return strconv.Itoa(int(d.Seconds())+1) + " seconds"
	}
	return strconv.Itoa(int(d.Minutes())+1) + " minutes"
}

// Throttle counts failures in the login_throttle table. Each face prefixes
// its keys ("acct:", "portal:acct:") so the faces never lock each other.
type Throttle struct {
	DB  *db.DB
	Now func() time.Time
}

// Check returns a ThrottledError while any key is locked.
func (t Throttle) Check(ctx context.Context, keys ...string) error {
	var wait time.Duration
	for _, k := range keys {
		row, err := t.DB.GetLoginThrottle(ctx, k)
		if db.IsNotFound(err) {
			continue
		}
		if err != nil {
			return fmt.Errorf("check throttle: %w", err)
		}
		if row.LockedUntil != nil {
			wait = max(wait, row.LockedUntil.Sub(t.Now()))
		}
	}
	if wait > 0 {
		return &ThrottledError{RetryAfter: wait}
	}
	return nil
}

// Fail counts one failure for key and locks it once past free tries.
func (t Throttle) Fail(ctx context.Context, q *store.Queries, key string, free int) error {
	row, err := q.RecordLoginFailure(ctx, store.RecordLoginFailureParams{Key: key, WindowSeconds: ThrottleWindow.Seconds()})
	if err != nil {
		return fmt.Errorf("record failure: %w", err)
	}
	if d := LockFor(int(row.Failures), free); d > 0 {
		until := t.Now().Add(d)
		return q.LockLoginThrottle(ctx, store.LockLoginThrottleParams{Key: key, LockedUntil: &until})
	}
	return nil
}
