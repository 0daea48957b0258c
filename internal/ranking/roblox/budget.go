package roblox

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"time"

	"lumdesk/db/store"
	"lumdesk/internal/platform/db"
)

// Roblox's limit on every group method: 300 requests a minute per key owner.
const (
	DefaultBudgetLimit  = 300
	DefaultBudgetWindow = time.Minute
	// budgetMargin widens the window we count over: a request is logged
	// when it is sent and reaches Roblox a little later, so Roblox's own
	// window can hold one request more than ours would.
	budgetMargin = time.Second
)

// Budget paces the requests of one key.
type Budget interface {
	// Take waits until one more request of the key fits, and counts it.
	Take(ctx context.Context, key string) error
}

// Fingerprint names a key in the budget without keeping it: its SHA-256.
func Fingerprint(key string) string {
	sum := sha256.Sum256([]byte(key))
	return hex.EncodeToString(sum[:])
}

// PGBudget is the budget shared by every server process: a log of each
// key's requests in the last window (table lumira_roblox_calls), read and
// written under an advisory lock per key, so that no window of Window
// ever holds more than Limit requests of one key, whichever process sent
// them. (api_rate_limits' GCRA does not fit: it is keyed on our own API
// keys and lets a whole burst follow a whole window.)
type PGBudget struct {
	DB     *db.DB
	Limit  int           // 0: DefaultBudgetLimit
	Window time.Duration // 0: DefaultBudgetWindow
}

// Take implements Budget. key is the key's Fingerprint.
func (b PGBudget) Take(ctx context.Context, key string) error {
	limit, window := b.Limit, b.Window
	if limit <= 0 {
		limit = DefaultBudgetLimit
	}
	if window <= 0 {
		window = DefaultBudgetWindow
	}
	window += budgetMargin
	for {
		var wait time.Duration
		err := b.DB.Tx(ctx, func(q *store.Queries) error {
			if err := q.LockLumiraRobloxBudget(ctx, key); err != nil {
				return err
			}
			if err := q.DeleteLumiraRobloxCallsBefore(ctx, store.DeleteLumiraRobloxCallsBeforeParams{KeyFingerprint: key, WindowUs: window.Microseconds()}); err != nil {
				return err
			}
			c, err := q.CountLumiraRobloxCalls(ctx, store.CountLumiraRobloxCallsParams{KeyFingerprint: key, WindowUs: window.Microseconds()})
			if err != nil {
				return err
			}
			if c.N < int64(limit) {
				return q.InsertLumiraRobloxCall(ctx, key)
			}
			wait = max(time.Duration(c.OldestLeavesUs)*time.Microsecond, time.Millisecond)
			return nil
		})
		if err != nil {
			return fmt.Errorf("roblox request budget: %w", err)
		}
		if wait == 0 {
			return nil
		}
		if err := sleep(ctx, wait); err != nil {
			return err
		}
	}
}

// NoBudget takes nothing (the sandbox, and the users API, which needs no key).
type NoBudget struct{}

// Take implements Budget.
func (NoBudget) Take(context.Context, string) error { return nil }

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
