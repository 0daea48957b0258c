package apikeys

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"lumdesk/db/store"
	"lumdesk/internal/platform/db"
)

// Idempotency of money requests (Lumi API). The flow, safe across every
// server process on the database and across a process killed at any point:
//
//  1. ClaimIdempotency returns a stored response (replay) or a mismatch at
//     once. Otherwise it takes a session advisory lock on a hash of (key,
//     Idempotency-Key) on a connection the request keeps until it ends. The
//     lock is the claim: one live request owns a key, the others get
//     IdemInProgress; when the owner's process dies its connection closes
//     and Postgres drops the lock, so the next retry owns the key at once
//     (no timeout to wait out).
//  2. The owner runs the operation. Claim.Applied runs inside the
//     transaction that moves the money (billing's commit hook) and writes
//     the record 'applied' there: a committed charge always has its record.
//  3. Claim.Complete stores the response ('done'); Claim.Release ends the
//     claim without a stored response (nothing happened, e.g. a refused
//     signature, so the client may retry).
//
// A process killed after 2 and before 3 leaves 'applied' without a response:
// the retry runs the operation again, which replays by the same key in the
// services (billing debits, purchases and deposits carry it), so it answers
// with the existing object and moves no money. Records are kept
// IdempotencyKeep (24 h) and then purged.
const (
	IdempotencyKeep   = 24 * time.Hour
	MinIdempotencyKey = 8
	MaxIdempotencyKey = 200
)

// IdemOutcome is what a claim found.
type IdemOutcome int

const (
	// IdemClaimed: this request owns the key; run the operation.
	IdemClaimed IdemOutcome = iota
	// IdemReplay: the key was completed with the same request; Status and Body hold the response.
	IdemReplay
	// IdemInProgress: an identical request is still running.
	IdemInProgress
	// IdemMismatch: the key was used with another request body.
	IdemMismatch
)

// IdemResult is the outcome of ClaimIdempotency. Claim is set with
// IdemClaimed; its owner must Complete or Release it.
type IdemResult struct {
	Outcome IdemOutcome
	Status  int
	Body    []byte
	Claim   *Claim
}

// ValidIdempotencyKey reports whether k has 8-200 printable ASCII characters.
func ValidIdempotencyKey(k string) bool {
	if len(k) < MinIdempotencyKey || len(k) > MaxIdempotencyKey {
		return false
	}
	for i := 0; i < len(k); i++ {
		if k[i] < 0x21 || k[i] > 0x7e {
			return false
		}
	}
	return true
}

// RequestHash identifies a request for idempotency: method, URL (path and
// query) and the raw body.
func RequestHash(method, url string, body []byte) []byte {
	h := sha256.New()
	h.Write([]byte(method))
	h.Write([]byte{0})
	h.Write([]byte(url))
	h.Write([]byte{0})
	h.Write(body)
	return h.Sum(nil)
}

var lastPurge atomic.Int64

// idemLockID is the advisory lock of (keyID, idemKey): 63 bits of a SHA-256
// in a namespace of its own. A collision only makes one request wait for
// another's (409, retried).
func idemLockID(keyID int64, idemKey string) int64 {
	h := sha256.New()
	h.Write([]byte("lumdesk.api_idempotency\x00"))
	h.Write([]byte(strconv.FormatInt(keyID, 10)))
	h.Write([]byte{0})
	h.Write([]byte(idemKey))
	return int64(binary.BigEndian.Uint64(h.Sum(nil)[:8]) >> 1)
}

// claimSlots bounds the connections held by claims to half the pool, so the
// operations the claims wait for always find a connection.
func (s *Service) claimSlots() chan struct{} {
	s.claimOnce.Do(func() {
		n := int(s.db.Pool.Config().MaxConns) / 2
		s.claimSem = make(chan struct{}, max(n, 1))
	})
	return s.claimSem
}

// ClaimIdempotency claims idemKey for keyID (see the flow above).
func (s *Service) ClaimIdempotency(ctx context.Context, keyID int64, idemKey string, reqHash []byte) (IdemResult, error) {
	if !ValidIdempotencyKey(idemKey) {
		return IdemResult{}, errors.New("idempotency key must be 8-200 printable characters")
	}
	s.maybePurge(ctx)
	if r, done, err := storedOutcome(ctx, s.db.Queries, keyID, idemKey, reqHash); done || err != nil {
		return r, err
	}
	slots := s.claimSlots()
	select {
	case slots <- struct{}{}:
	case <-ctx.Done():
		return IdemResult{}, fmt.Errorf("wait for a claim slot: %w", ctx.Err())
	}
	conn, err := s.db.Pool.Acquire(ctx)
	if err != nil {
		<-slots
		return IdemResult{}, fmt.Errorf("claim idempotency key: %w", err)
	}
	c := &Claim{s: s, conn: conn, slots: slots, lockID: idemLockID(keyID, idemKey), keyID: keyID, idemKey: idemKey, hash: reqHash}
	q := store.New(conn)
	got, err := q.TryIdempotencyLock(ctx, c.lockID)
	if err != nil || !got {
		c.drop(false)
		if err != nil {
			return IdemResult{}, fmt.Errorf("claim idempotency key: %w", err)
		}
		return IdemResult{Outcome: IdemInProgress}, nil
	}
	// The owner before us may have finished between the first read and the lock.
	if r, done, err := storedOutcome(ctx, q, keyID, idemKey, reqHash); done || err != nil {
		c.Release()
		return r, err
	}
	return IdemResult{Outcome: IdemClaimed, Claim: c}, nil
}

// storedOutcome reads the record: done true when it decides the request (a
// replay or a mismatch); an 'applied' record or none leaves it to the claim.
func storedOutcome(ctx context.Context, q *store.Queries, keyID int64, idemKey string, reqHash []byte) (IdemResult, bool, error) {
	r, err := q.GetIdempotency(ctx, store.GetIdempotencyParams{KeyID: keyID, IdempotencyKey: idemKey})
	if db.IsNotFound(err) {
		return IdemResult{}, false, nil
	}
	if err != nil {
		return IdemResult{}, false, fmt.Errorf("read idempotency key: %w", err)
	}
	if !bytes.Equal(r.RequestHash, reqHash) {
		return IdemResult{Outcome: IdemMismatch}, true, nil
	}
	if r.Status == "done" && r.ResponseStatus != nil {
		return IdemResult{Outcome: IdemReplay, Status: int(*r.ResponseStatus), Body: r.ResponseBody}, true, nil
	}
	return IdemResult{}, false, nil
}

// Claim is a request's ownership of an Idempotency-Key: an advisory lock on
// a connection held until Complete or Release.
type Claim struct {
	s       *Service
	conn    *pgxpool.Conn
	slots   chan struct{}
	lockID  int64
	keyID   int64
	idemKey string
	hash    []byte
	once    sync.Once
}

// Applied records, in the caller's transaction (the one moving the money),
// that the operation committed. Safe to call more than once.
func (c *Claim) Applied(ctx context.Context, q *store.Queries) error {
	if err := q.MarkIdempotencyApplied(ctx, store.MarkIdempotencyAppliedParams{KeyID: c.keyID, IdempotencyKey: c.idemKey,
		RequestHash: c.hash}); err != nil {
		return fmt.Errorf("mark idempotency key applied: %w", err)
	}
	return nil
}

// Complete stores the response for replays and ends the claim.
func (c *Claim) Complete(ctx context.Context, status int, body []byte) error {
	st := int32(status)
	err := c.s.db.CompleteIdempotency(ctx, store.CompleteIdempotencyParams{KeyID: c.keyID, IdempotencyKey: c.idemKey,
		RequestHash: c.hash, ResponseStatus: &st, ResponseBody: body})
	c.Release()
	if err != nil {
		return fmt.Errorf("complete idempotency key: %w", err)
	}
	return nil
}

// Release ends the claim without storing a response.
func (c *Claim) Release() { c.drop(true) }

// drop returns the claim's connection (unlock: it holds the lock). A
// connection whose unlock failed is closed, never pooled with the lock.
func (c *Claim) drop(unlock bool) {
	c.once.Do(func() {
		defer func() { <-c.slots }()
		if unlock {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			if ok, err := store.New(c.conn).IdempotencyUnlock(ctx, c.lockID); err != nil || !ok {
				_ = c.conn.Conn().Close(ctx)
			}
		}
		c.conn.Release()
	})
}

// PurgeIdempotency deletes records created before before (callers pass at
// least IdempotencyKeep ago).
func (s *Service) PurgeIdempotency(ctx context.Context, before time.Time) (int64, error) {
	if s.now().Sub(before) < IdempotencyKeep {
		before = s.now().Add(-IdempotencyKeep)
	}
	return s.db.PurgeIdempotency(ctx, before)
}

// maybePurge deletes expired records at most once an hour per process.
func (s *Service) maybePurge(ctx context.Context) {
	now := s.now().Unix()
	last := lastPurge.Load()
	if now-last < 3600 || !lastPurge.CompareAndSwap(last, now) {
		return
	}
	_, _ = s.PurgeIdempotency(ctx, s.now().Add(-IdempotencyKeep-time.Hour))
}
