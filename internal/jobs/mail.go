package jobs

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"
)

// KindMailDeliver is the River kind of a Lumora message's delivery.
const KindMailDeliver = "mail_deliver"

// MailDeliverFunc makes one delivery attempt of a message and says when the
// next one is due (zero: the message is done) (mail.Service.Deliver).
type MailDeliverFunc func(ctx context.Context, messageID int64) (time.Time, error)

// mailDeliverArgs is one message's delivery job. There is one per message:
// a deferral snoozes it until the next attempt (a snooze uses no attempt),
// so River's attempts count only failures of our own (database, no transport).
type mailDeliverArgs struct {
	MessageID int64 `json:"message_id"`
}

func (mailDeliverArgs) Kind() string { return KindMailDeliver }

// QueueMail is the queue of Lumora deliveries (see Options.MailWorkers).
const QueueMail = "mail"

func (mailDeliverArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{MaxAttempts: 20, Queue: QueueMail}
}

// SetMailDeliver sets what the delivery job runs; call it before Start.
func (s *Service) SetMailDeliver(fn MailDeliverFunc) {
	s.hookMu.Lock()
	defer s.hookMu.Unlock()
	s.mailDeliver = fn
}

// EnqueueMailDeliveryTx enqueues a message's delivery in the caller's
// transaction (the send's), so the job exists exactly when the message does.
func (s *Service) EnqueueMailDeliveryTx(ctx context.Context, tx pgx.Tx, messageID int64) error {
	if _, err := s.inserter.InsertTx(ctx, tx, mailDeliverArgs{MessageID: messageID}, nil); err != nil {
		return fmt.Errorf("enqueue delivery of mail message %d: %w", messageID, err)
	}
	return nil
}

type mailDeliverWorker struct {
	river.WorkerDefaults[mailDeliverArgs]
	s *Service
}

// One attempt talks to one SMTP server (its own timeouts are 30s per
// command); two minutes leave room for a slow DATA.
func (w *mailDeliverWorker) Timeout(*river.Job[mailDeliverArgs]) time.Duration {
	return 2 * time.Minute
}

func (w *mailDeliverWorker) Work(ctx context.Context, j *river.Job[mailDeliverArgs]) error {
	w.s.hookMu.Lock()
	fn := w.s.mailDeliver
	w.s.hookMu.Unlock()
	if fn == nil {
		return errors.New("mail delivery is not wired")
	}
	next, err := fn(ctx, j.Args.MessageID)
	if err != nil {
		w.s.log.Error("mail delivery failed", "message_id", j.Args.MessageID, "attempt", j.Attempt, "err", err)
		return err
	}
	if next.IsZero() {
		return nil
	}
	return river.JobSnooze(max(time.Until(next), 0))
}
