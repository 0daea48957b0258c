package apikeys

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	"lumdesk/db/store"
	"lumdesk/internal/platform/db"
)

// Idempotency of money requests (Lumi API). The flow, safe across every
// server process on the database:
//
//  1. ClaimIdempotency inserts (key, Idempotency-Key, request hash) as
//     in_progress with INSERT … ON CONFLICT DO NOTHING, committed on its own
//     before the operation runs. Exactly one request wins the claim.
//  2. The winner runs the operation and stores its response with
//     CompleteIdempotency (or drops the claim with ReleaseIdempotency when
//     nothing happened, e.g. a refused signature, so the client may retry).
//  3. Any later request with the same key gets the stored response (replay)
//     if the request hash matches, ErrIdempotencyMismatch if not, and
//     IdemInProgress while the winner still runs.
//
// A process that crashes between 1 and 2 leaves the claim in_progress; after
// IdempotencyStaleAfter it may be taken over by the next request with the
// same key. Operations must therefore be idempotent themselves for that case
// (billing debits carry the same idempotency key, so a retry after a crash
// never moves money twice). Records are kept IdempotencyKeep (24 h) and then
// purged.
const (
	IdempotencyKeep       = 24 * time.Hour
	IdempotencyStaleAfter = 5 * time.Minute
	MinIdempotencyKey     = 8
	MaxIdempotencyKey     = 200
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

// IdemResult is the outcome of ClaimIdempotency.
type IdemResult struct {
	Outcome IdemOutcome
	Status  int
	Body    []byte
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

// ClaimIdempotency claims idemKey for keyID (see the flow above).
func (s *Service) ClaimIdempotency(ctx context.Context, keyID int64, idemKey string, reqHash []byte) (IdemResult, error) {
	if !ValidIdempotencyKey(idemKey) {
		return IdemResult{}, errors.New("idempotency key must be 8-200 printable characters")
	}
	s.maybePurge(ctx)
	n, err := s.db.ClaimIdempotency(ctx, store.ClaimIdempotencyParams{KeyID: keyID, IdempotencyKey: idemKey, RequestHash: reqHash})
	if err != nil {
		return IdemResult{}, fmt.Errorf("claim idempotency key: %w", err)
	}
	if n == 1 {
		return IdemResult{Outcome: IdemClaimed}, nil
	}
	r, err := s.db.GetIdempotency(ctx, store.GetIdempotencyParams{KeyID: keyID, IdempotencyKey: idemKey})
	if db.IsNotFound(err) {
		// Released or purged between the two statements: try once more.
		n, err = s.db.ClaimIdempotency(ctx, store.ClaimIdempotencyParams{KeyID: keyID, IdempotencyKey: idemKey, RequestHash: reqHash})
		if err == nil && n == 1 {
			return IdemResult{Outcome: IdemClaimed}, nil
		}
		if err == nil {
			return IdemResult{Outcome: IdemInProgress}, nil
		}
	}
	if err != nil {
		return IdemResult{}, fmt.Errorf("read idempotency key: %w", err)
	}
	if !bytes.Equal(r.RequestHash, reqHash) {
		return IdemResult{Outcome: IdemMismatch}, nil
	}
	if r.Status == "done" && r.ResponseStatus != nil {
		return IdemResult{Outcome: IdemReplay, Status: int(*r.ResponseStatus), Body: r.ResponseBody}, nil
	}
	if r.UpdatedAt.Before(s.now().Add(-IdempotencyStaleAfter)) {
		n, err := s.db.RetakeStaleIdempotency(ctx, store.RetakeStaleIdempotencyParams{RequestHash: reqHash, KeyID: keyID,
			IdempotencyKey: idemKey, StaleBefore: s.now().Add(-IdempotencyStaleAfter)})
		if err != nil {
			return IdemResult{}, fmt.Errorf("retake idempotency key: %w", err)
		}
		if n == 1 {
			return IdemResult{Outcome: IdemClaimed}, nil
		}
	}
	return IdemResult{Outcome: IdemInProgress}, nil
}

// CompleteIdempotency stores the response of a claimed request.
func (s *Service) CompleteIdempotency(ctx context.Context, keyID int64, idemKey string, status int, body []byte) error {
	st := int32(status)
	if err := s.db.CompleteIdempotency(ctx, store.CompleteIdempotencyParams{ResponseStatus: &st, ResponseBody: body,
		KeyID: keyID, IdempotencyKey: idemKey}); err != nil {
		return fmt.Errorf("complete idempotency key: %w", err)
	}
	return nil
}

// ReleaseIdempotency drops an in_progress claim whose operation did not run.
func (s *Service) ReleaseIdempotency(ctx context.Context, keyID int64, idemKey string) error {
	if err := s.db.ReleaseIdempotency(ctx, store.ReleaseIdempotencyParams{KeyID: keyID, IdempotencyKey: idemKey}); err != nil {
		return fmt.Errorf("release idempotency key: %w", err)
	}
	return nil
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
