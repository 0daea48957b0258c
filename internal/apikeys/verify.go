package apikeys

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"lumdesk/db/store"
	"lumdesk/internal/platform/db"
	"lumdesk/internal/platform/ids"
)

// Verify checks a secret presented to product's API and returns its key.
// Every failure (bad format, unknown, revoked, expired, another product's key,
// suspended account) is ErrInvalidKey. Use is recorded (last_used_at/ip) at
// most once a minute per key, so a busy key does not write on every request.
func (s *Service) Verify(ctx context.Context, product, secret, ip string) (Key, error) {
	p, ok := LookupProduct(product)
	if !ok {
		return Key{}, fmt.Errorf("verify api key: unknown product %q", product)
	}
	if !p.Matches(secret) {
		return Key{}, ErrInvalidKey
	}
	r, err := s.db.GetAPIKeyBySecretHash(ctx, ids.Hash(secret))
	if db.IsNotFound(err) {
		return Key{}, ErrInvalidKey
	}
	if err != nil {
		return Key{}, fmt.Errorf("verify api key: %w", err)
	}
	k := withAccount(r.ApiKey, r.AccountName, r.AccountEmail, r.AccountStatus)
	now := s.now()
	if k.Product != product || k.StatusAt(now) != StatusActive || k.AccountSuspended {
		return Key{}, ErrInvalidKey
	}
	// A request its IP allow list refuses (the API answers 403) is no use.
	if k.AllowsIP(lastEntry(ip)) && (k.LastUsedAt == nil || now.Sub(*k.LastUsedAt) >= touchEvery) {
		// The UPDATE re-checks the minute, so concurrent requests and other
		// processes still write at most once.
		if _, err := s.db.TouchAPIKey(ctx, store.TouchAPIKeyParams{ID: k.ID, Ip: truncateBytes(ip, 64)}); err != nil {
			return Key{}, fmt.Errorf("verify api key: record use: %w", err)
		}
	}
	return k, nil
}

// lastEntry is the last address of an X-Forwarded-For list (the one the
// trusted proxy appended), or ip itself.
func lastEntry(ip string) string {
	if i := strings.LastIndexByte(ip, ','); i >= 0 {
		return strings.TrimSpace(ip[i+1:])
	}
	return ip
}

func truncateBytes(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}

// ErrBadLimit is returned by Allow for a limit, window or cost that is not positive.
var ErrBadLimit = errors.New("rate limit, window and cost must be positive")

// Allow spends cost tokens of the key's bucket, which refills limit tokens per
// window (GCRA: up to limit at once, then one every window/limit). The check
// and the spend are one SQL statement, so the limit holds across every server
// process on the database. When refused, retryAfter is how long until the
// request would fit.
//
// A cost above limit (a bulk request of more items than the bucket holds) is
// allowed when the bucket is full and puts the key into debt: refusing it
// would make it unreachable, and a client obeying Retry-After would loop
// forever. It spends the whole bucket and the rest ahead of time, so the
// key's next requests wait until the debt has refilled and the rate per
// token still holds on average. While the bucket is not full, it is refused
// with retryAfter until it is.
func (s *Service) Allow(ctx context.Context, keyID int64, bucket string, limit int, window time.Duration, cost int) (bool, time.Duration, error) {
	if limit <= 0 || window <= 0 || cost <= 0 {
		return false, 0, ErrBadLimit
	}
	// Emission interval, rounded down so that exactly `limit` requests fit in
	// an empty window.
	interval := window.Microseconds() / int64(limit)
	if interval < 1 {
		interval = 1
	}
	r, err := s.db.TakeAPIRateLimit(ctx, store.TakeAPIRateLimitParams{
		KeyID: keyID, Bucket: bucket, IncrementUs: interval * int64(cost), WindowUs: window.Microseconds(),
	})
	if err != nil {
		return false, 0, fmt.Errorf("rate limit key %d %s: %w", keyID, bucket, err)
	}
	return r.Allowed, time.Duration(r.RetryAfterUs) * time.Microsecond, nil
}
