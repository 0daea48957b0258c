// Package audit writes and reads the append-only, hash-chained audit history.
//
// Every row's hash covers its own content and the previous row's hash, so an
// edited, removed or reordered row breaks the chain from that point on. Rows
// are written by domain services inside the transaction of the change they
// record; writers serialise on an advisory lock held until commit, which keeps
// the chain linear.
package audit

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"lumdesk/db/store"
	"lumdesk/internal/platform/db"
)

// Event is one recorded change.
type Event struct {
	Action     string // verb on a noun: "account.suspend", "staff.login_failed"
	EntityType string // "account", "api_key", "staff_user", ...
	EntityID   string
	Reason     string
	Before     any // state before the change (nil for creations)
	After      any // state after the change (nil for deletions)
}

// genesis is the prev_hash of the first row.
var genesis = make([]byte, sha256.Size)

// Record appends ev to the chain using q, which must run inside the caller's transaction.
func Record(ctx context.Context, q *store.Queries, a Actor, ev Event) error {
	before, err := canonical(ev.Before)
	if err != nil {
		return fmt.Errorf("audit %s: before: %w", ev.Action, err)
	}
	after, err := canonical(ev.After)
	if err != nil {
		return fmt.Errorf("audit %s: after: %w", ev.Action, err)
	}
	if err := q.LockAuditChain(ctx); err != nil {
		return fmt.Errorf("audit %s: lock chain: %w", ev.Action, err)
	}
	prev, err := q.LastAuditHash(ctx)
	if db.IsNotFound(err) {
		prev = genesis
	} else if err != nil {
		return fmt.Errorf("audit %s: last hash: %w", ev.Action, err)
	}
	row := store.AuditEvent{
		OccurredAt: time.Now().UTC().Truncate(time.Microsecond),
		ActorKind:  a.Kind, ActorID: a.ID, ActorLabel: a.Label,
		Ip: a.IP, UserAgent: a.UserAgent, RequestID: a.RequestID,
		Action: ev.Action, EntityType: ev.EntityType, EntityID: ev.EntityID, Reason: ev.Reason,
		Before: before, After: after, PrevHash: prev,
	}
	if row.ActorKind == "" {
		row.ActorKind = KindSystem
	}
	row.Hash = chainHash(row)
	_, err = q.InsertAuditEvent(ctx, store.InsertAuditEventParams{
		OccurredAt: row.OccurredAt, ActorKind: row.ActorKind, ActorID: row.ActorID, ActorLabel: row.ActorLabel,
		Ip: row.Ip, UserAgent: row.UserAgent, RequestID: row.RequestID, Action: row.Action,
		EntityType: row.EntityType, EntityID: row.EntityID, Reason: row.Reason,
		Before: row.Before, After: row.After, PrevHash: row.PrevHash, Hash: row.Hash,
	})
	if err != nil {
		return fmt.Errorf("audit %s: insert: %w", ev.Action, err)
	}
	return nil
}

// canonical encodes v as JSON in the form a round trip through jsonb gives
// back (sorted keys, numbers kept exact), so hashes can be recomputed from
// what the database returns. nil stays SQL NULL.
func canonical(v any) (json.RawMessage, error) {
	if v == nil {
		return nil, nil
	}
	var raw []byte
	switch x := v.(type) {
	case json.RawMessage:
		raw = x
	case []byte:
		raw = x
	default:
		var err error
		if raw, err = json.Marshal(v); err != nil {
			return nil, err
		}
	}
	if bytes.Equal(bytes.TrimSpace(raw), []byte("null")) {
		return nil, nil
	}
	return normalize(raw)
}

func normalize(raw []byte) (json.RawMessage, error) {
	if raw == nil {
		return nil, nil
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var x any
	if err := dec.Decode(&x); err != nil {
		return nil, err
	}
	return json.Marshal(x)
}

// chainHash is SHA-256 over the previous hash and the row's content.
func chainHash(r store.AuditEvent) []byte {
	content, _ := json.Marshal([]any{
		r.OccurredAt.UTC().Format(time.RFC3339Nano), r.ActorKind, r.ActorID, r.ActorLabel,
		r.Ip, r.UserAgent, r.RequestID, r.Action, r.EntityType, r.EntityID, r.Reason,
		json.RawMessage(orNull(r.Before)), json.RawMessage(orNull(r.After)),
	})
	h := sha256.New()
	h.Write(r.PrevHash)
	h.Write(content)
	return h.Sum(nil)
}

func orNull(b []byte) []byte {
	if len(b) == 0 {
		return []byte("null")
	}
	return b
}

// Verification is the result of walking the chain.
type Verification struct {
	Rows int64
	OK   bool
	// Anchored: the oldest row kept does not link to the genesis hash but to
	// a row no longer there, because an audit retention
	// (RETENTION_AUDIT_EVENTS_MONTHS) detached the oldest months; its
	// prev_hash is then taken as the start of the chain, and FirstID says
	// where the verified chain begins.
	Anchored bool
	FirstID  int64
	BadID    int64  // first row that does not verify
	Problem  string // what is wrong with it
}

// ErrChainBroken is returned by Verify when the chain does not verify.
var ErrChainBroken = errors.New("audit chain broken")

// Verify recomputes every row's hash in order. The chain starts at the
// genesis hash, or, when the audit retention removed the oldest months, at
// the oldest remaining row's prev_hash (v.Anchored): rows removed from the
// start cannot be told from rows removed by the retention, but any row
// removed, altered or reordered after the start still breaks the chain.
func Verify(ctx context.Context, q *store.Queries) (Verification, error) {
	w, err := Walk{}.Continue(ctx, q, 0)
	if err == nil {
		err = w.Err()
	}
	return w.Verification, err
}

// Err is ErrChainBroken, with where and why, when the walk found a break.
func (w Walk) Err() error {
	if w.OK {
		return nil
	}
	return fmt.Errorf("%w at event %d: %s", ErrChainBroken, w.BadID, w.Problem)
}

// Walk is a verification of the chain so far: how far it got (ThroughID,
// whose hash the next row must link to) and what it found. The zero Walk is
// at the start of the chain. The chain only grows at its end, so a walk
// that verified up to ThroughID is continued by verifying the rows after it.
type Walk struct {
	Verification
	ThroughID   int64
	ThroughHash []byte // nil at the start of the chain
	Done        bool   // the walk reached the newest row
}

// verifyBatch is how many rows one read of a walk takes.
const verifyBatch = 1000

// Continue verifies the rows after w.ThroughID, at most limit of them (0:
// every one). A broken chain is a result (w.OK false), not an error; only a
// failure to read is. A broken walk stays where it broke.
func (w Walk) Continue(ctx context.Context, q *store.Queries, limit int64) (Walk, error) {
	if w.ThroughHash == nil {
		w.Verification = Verification{OK: true}
	}
	w.Done = false
	if !w.OK {
		return w, nil
	}
	for walked := int64(0); limit == 0 || walked < limit; {
		n := int64(verifyBatch)
		if limit > 0 {
			n = min(n, limit-walked)
		}
		rows, err := q.ListAuditEventsForVerify(ctx, store.ListAuditEventsForVerifyParams{ID: w.ThroughID, Limit: int32(n)})
		if err != nil {
			return w, fmt.Errorf("audit verify: %w", err)
		}
		for _, r := range rows {
			prev := w.ThroughHash
			if prev == nil {
				w.FirstID, prev = r.ID, genesis
				if !bytes.Equal(r.PrevHash, genesis) {
					w.Anchored, prev = true, r.PrevHash
				}
			}
			if problem := checkRow(r, prev); problem != "" {
				w.OK, w.BadID, w.Problem = false, r.ID, problem
				return w, nil
			}
			w.Rows++
			w.ThroughID, w.ThroughHash = r.ID, r.Hash
		}
		walked += int64(len(rows))
		if int64(len(rows)) < n {
			w.Done = true
			return w, nil
		}
	}
	return w, nil
}

// checkRow says what is wrong with r after a row whose hash is prev ("":
// nothing).
func checkRow(r store.AuditEvent, prev []byte) string {
	if !bytes.Equal(r.PrevHash, prev) {
		return "does not link to the row before it (a row was removed or reordered)"
	}
	var err1, err2 error
	r.Before, err1 = normalize(r.Before)
	r.After, err2 = normalize(r.After)
	if err1 != nil || err2 != nil || !bytes.Equal(chainHash(r), r.Hash) {
		return "content does not match its hash (the row was altered)"
	}
	return ""
}
