package jobs

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/riverqueue/river"

	"lumdesk/db/store"
	"lumdesk/internal/licensing"
	"lumdesk/internal/platform/db"
)

// generateChunk is how many keys one transaction of a generate job creates
// (each key also writes an audit row under the audit chain's lock).
const generateChunk = 100

// errSliceOver: the worker has had its turn; the job continues later.
var errSliceOver = errors.New("slice over")

type worker struct {
	river.WorkerDefaults[jobArgs]
	s *Service
}

// Timeout bounds one slice of a job.
func (w *worker) Timeout(*river.Job[jobArgs]) time.Duration {
	return w.s.opts.withDefaults().JobTimeout
}

func (w *worker) Work(ctx context.Context, j *river.Job[jobArgs]) error {
	err := w.s.work(ctx, j.Args.JobID)
	switch {
	case err == nil:
		return nil
	case errors.Is(err, errSliceOver), ctx.Err() != nil:
		// Our turn is over, or the runner is stopping: continue from the
		// last recorded item (snoozing does not use up an attempt).
		return river.JobSnooze(0)
	}
	w.s.log.Error("bulk job failed", "job_id", j.Args.JobID, "attempt", j.Attempt, "err", err)
	if j.Attempt >= j.MaxAttempts {
		if _, ferr := w.s.db.FinishBulkJob(context.WithoutCancel(ctx), store.FinishBulkJobParams{ID: j.Args.JobID,
			Status: StatusFailed, Error: "stopped after repeated errors: " + err.Error()}); ferr != nil {
			w.s.log.Error("bulk job: mark failed", "job_id", j.Args.JobID, "err", ferr)
		}
	}
	return err
}

// work runs one slice of a job: from the item after the last recorded one
// until the job is done or the slice is over.
func (s *Service) work(ctx context.Context, jobID int64) error {
	row, err := s.db.StartBulkJob(ctx, jobID)
	if db.IsNotFound(err) {
		return nil // finished already (or gone): nothing to do
	}
	if err != nil {
		return fmt.Errorf("start job %d: %w", jobID, err)
	}
	var p params
	if err := json.Unmarshal(row.Params, &p); err != nil {
		_, ferr := s.db.FinishBulkJob(ctx, store.FinishBulkJobParams{ID: jobID, Status: StatusFailed, Error: "unreadable parameters"})
		return errors.Join(fmt.Errorf("job %d params: %w", jobID, err), ferr)
	}
	next, err := s.db.NextBulkJobSeq(ctx, jobID)
	if err != nil {
		return fmt.Errorf("job %d progress: %w", jobID, err)
	}
	t := &turn{deadline: time.Now().Add(s.opts.withDefaults().Slice)}
	switch row.Kind {
	case KindBlacklist, KindUnban, KindResetHWID, KindExtend, KindDelete:
		for i := int(next); i < len(p.IDs); i++ {
			if err := t.check(ctx); err != nil {
				return err
			}
			if err := s.keyAction(ctx, row, p, i); err != nil {
				return err
			}
		}
	case KindGenerate:
		for done := int(next); done < p.Count; {
			if err := t.check(ctx); err != nil {
				return err
			}
			n := min(generateChunk, p.Count-done)
			if err := s.generate(ctx, row, p, done, n); err != nil {
				return err
			}
			done += n
		}
	case KindImport:
		for i := int(next); i < len(p.Rows); i++ {
			if err := t.check(ctx); err != nil {
				return err
			}
			if err := s.importRow(ctx, row, p, i); err != nil {
				return err
			}
		}
	default:
		_, err := s.db.FinishBulkJob(ctx, store.FinishBulkJobParams{ID: jobID, Status: StatusFailed, Error: "unknown job kind " + row.Kind})
		return err
	}
	if _, err := s.db.FinishBulkJob(ctx, store.FinishBulkJobParams{ID: jobID, Status: StatusDone}); err != nil {
		return fmt.Errorf("finish job %d: %w", jobID, err)
	}
	return nil
}

// turn is a worker's slice of a job: at least one step, then steps until
// the deadline.
type turn struct {
	deadline time.Time
	steps    int
}

func (t *turn) check(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if t.steps > 0 && time.Now().After(t.deadline) {
		return errSliceOver
	}
	t.steps++
	return nil
}

// result is one item's outcome.
type result struct {
	seq     int
	ref     string
	keyID   int64
	userKey string
	ok      bool
	message string
	detail  *ItemDetail
}

func record(ctx context.Context, q *store.Queries, jobID int64, r result) error {
	p := store.RecordBulkJobItemParams{JobID: jobID, Seq: int32(r.seq), Ref: r.ref, UserKey: r.userKey, Ok: r.ok,
		Message: truncate(r.message, 1000)}
	if r.keyID != 0 {
		p.KeyID = &r.keyID
	}
	if r.detail != nil {
		b, err := json.Marshal(r.detail)
		if err != nil {
			return err
		}
		p.Detail = b
	}
	if err := q.RecordBulkJobItem(ctx, p); err != nil {
		return fmt.Errorf("record item %d of job %d: %w", r.seq, jobID, err)
	}
	return nil
}

// fail records an item's failure. Errors the item caused (invalid input, a
// key that is gone, a rule refusing it) become its message; anything else
// is logged and reported as an internal error, unless the job is stopping
// or the database is away (then the item is not recorded and is retried
// when the job continues).
func (s *Service) fail(ctx context.Context, jobID int64, r result, err error) error {
	if ctx.Err() != nil {
		return ctx.Err()
	}
	if db.Unavailable(err) {
		// The database went away under the item (a restart, a failover):
		// the item is not its fault. The job's retry resumes at the first
		// item not recorded and does it again.
		return err
	}
	r.ok, r.message = false, itemMessage(err)
	if r.message == "" {
		s.log.Error("bulk job item failed", "job_id", jobID, "item", r.seq, "err", err)
		r.message = "Internal error; it was logged (job " + strconv.FormatInt(jobID, 10) + ", item " + strconv.Itoa(r.seq+1) + ")."
	}
	return record(ctx, s.db.Queries, jobID, r)
}

// domainErrors are the licensing rules' refusals.
var domainErrors = []error{licensing.ErrKeyBanned, licensing.ErrNotBanned, licensing.ErrNeverExpires,
	licensing.ErrKeyActivated, licensing.ErrResetCooldown, licensing.ErrNoHWID, licensing.ErrDiscordLinked,
	licensing.ErrUserLimit}

// itemMessage says why an item failed, or "" for an unexpected error.
func itemMessage(err error) string {
	var verr licensing.ValidationError
	var nf interface{ NotFound() bool }
	switch {
	case errors.As(err, &verr):
		parts := make([]string, 0, len(verr))
		for _, k := range sortedKeys(verr) {
			parts = append(parts, k+" "+verr[k])
		}
		return capitalize(strings.Join(parts, "; ")) + "."
	case errors.As(err, &nf) && nf.NotFound():
		return capitalize(err.Error()) + "."
	}
	for _, d := range domainErrors {
		if errors.Is(err, d) {
			return capitalize(err.Error()) + "."
		}
	}
	return ""
}

const timeFormat = "2006-01-02 15:04 UTC"

// keyAction runs item i of a blacklist, unban, HWID reset, extend or delete job.
func (s *Service) keyAction(ctx context.Context, row store.BulkJob, p params, i int) error {
	id := p.IDs[i]
	r := result{seq: i, ref: strconv.FormatInt(id, 10), keyID: id}
	k, err := s.lic.GetKeyByID(ctx, id)
	if err != nil {
		return s.fail(ctx, row.ID, r, err)
	}
	r.userKey = k.UserKey
	switch row.Kind {
	case KindBlacklist:
		k2, err := s.lic.Blacklist(ctx, p.Actor, k.ProjectID, k.UserKey,
			licensing.BlacklistInput{BanReason: p.BanReason, Expire: p.BanExpire, Note: p.Reason})
		if err != nil {
			return s.fail(ctx, row.ID, r, err)
		}
		r.ok, r.message = true, "Blacklisted"
		if k2.BanExpire != nil {
			r.message += " until " + k2.BanExpire.Format(timeFormat)
		}
		return record(ctx, s.db.Queries, row.ID, r)
	case KindUnban:
		if _, err := s.lic.Unban(ctx, p.Actor, k.ProjectID, k.UserKey, p.Reason); err != nil {
			return s.fail(ctx, row.ID, r, err)
		}
		r.ok, r.message = true, "Unbanned"
		return record(ctx, s.db.Queries, row.ID, r)
	case KindResetHWID:
		// Each key's own reset: a key without a HWID, a banned one or one
		// on its cooldown (unless forced) is reported, as on its page.
		if _, err := s.lic.ResetHWID(ctx, p.Actor, k.ProjectID, k.UserKey, licensing.ResetOpts{Force: p.Force, Reason: p.Reason}); err != nil {
			return s.fail(ctx, row.ID, r, err)
		}
		r.ok, r.message = true, "HWID reset"
		return record(ctx, s.db.Queries, row.ID, r)
	case KindExtend:
		_, err := s.lic.ExtendKey(ctx, p.Actor, k.ProjectID, k.UserKey, p.Days, p.Reason,
			func(q *store.Queries, keys []licensing.Key) error {
				r.ok, r.message = true, extendMessage(keys[0])
				return record(ctx, q, row.ID, r)
			})
		if err != nil {
			return s.fail(ctx, row.ID, r, err)
		}
		return nil
	default: // KindDelete
		if err := s.lic.DeleteKey(ctx, p.Actor, k.ProjectID, k.UserKey, p.Reason); err != nil {
			return s.fail(ctx, row.ID, r, err)
		}
		r.ok, r.message = true, "Deleted"
		return record(ctx, s.db.Queries, row.ID, r)
	}
}

func extendMessage(k licensing.Key) string {
	switch {
	case k.AuthExpire != nil:
		return "Expires " + k.AuthExpire.Format(timeFormat)
	case k.KeyDays != nil:
		return "Now " + strconv.Itoa(*k.KeyDays) + " key_days (counted from the first use)"
	}
	return "Extended"
}

func keyDetail(k licensing.Key) *ItemDetail {
	return &ItemDetail{Note: k.Note, KeyDays: k.KeyDays, AuthExpire: k.AuthExpire}
}

// generate creates items from..from+n-1 of a generate job in one transaction.
func (s *Service) generate(ctx context.Context, row store.BulkJob, p params, from, n int) error {
	in := licensing.KeyInput{KeyDays: p.KeyDays, Note: p.Note, AuthExpire: p.AuthExpire, Reason: p.Reason}
	made, err := s.lic.GenerateKeysThen(ctx, p.Actor, row.ProjectID, n, in, func(q *store.Queries, keys []licensing.Key) error {
		for j, k := range keys {
			if err := record(ctx, q, row.ID, result{seq: from + j, ref: strconv.Itoa(from + j + 1), keyID: k.ID,
				userKey: k.UserKey, ok: true, message: "Created", detail: keyDetail(k)}); err != nil {
				return err
			}
		}
		return nil
	})
	if err == nil {
		return nil
	}
	// The settings were checked when the job was queued; if they (or the
	// project) are refused now, every remaining key fails the same way. The
	// keys made before the plan's user limit stopped the batch were
	// recorded in its transaction; the rest fail with the limit's reason.
	for j := len(made); j < n; j++ {
		if ferr := s.fail(ctx, row.ID, result{seq: from + j, ref: strconv.Itoa(from + j + 1)}, err); ferr != nil {
			return ferr
		}
	}
	return nil
}

// importRow imports item i (a CSV row) of an import job.
func (s *Service) importRow(ctx context.Context, row store.BulkJob, p params, i int) error {
	ir := p.Rows[i]
	r := result{seq: i, ref: strconv.Itoa(ir.Line), userKey: ir.UserKey}
	if ir.Err != "" {
		r.message = ir.Err
		return record(ctx, s.db.Queries, row.ID, r)
	}
	in := licensing.ImportInput{UserKey: ir.UserKey, KeyInput: licensing.KeyInput{Identifier: ir.Identifier,
		DiscordID: ir.DiscordID, Note: ir.Note, KeyDays: ir.KeyDays, AuthExpire: ir.AuthExpire, Reason: p.Reason}}
	_, err := s.lic.ImportKey(ctx, p.Actor, row.ProjectID, in, func(q *store.Queries, keys []licensing.Key) error {
		k := keys[0]
		r.keyID, r.userKey, r.ok, r.message, r.detail = k.ID, k.UserKey, true, "Created", keyDetail(k)
		return record(ctx, q, row.ID, r)
	})
	if err != nil {
		r.keyID, r.ok = 0, false
		return s.fail(ctx, row.ID, r, err)
	}
	return nil
}

// capitalize starts a sentence, but keeps a field name (key_days) as it is.
func capitalize(s string) string {
	first, _, _ := strings.Cut(s, " ")
	if s == "" || strings.Contains(first, "_") {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return strings.ToValidUTF8(s[:n], "")
}

func sortedKeys(m map[string]string) []string { return slices.Sorted(maps.Keys(m)) }
