package jobs

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/riverqueue/river"
)

// KindAutoRenew is the River kind of the Lumi auto-renew run.
const KindAutoRenew = "lumi.auto_renew"

// AutoRenewFunc runs one auto-renew pass over Lumi products
// (products.Service.AutoRenewJob).
type AutoRenewFunc func(ctx context.Context) error

// autoRenewers holds each Service's pass, set by SetAutoRenew.
var autoRenewers sync.Map // *Service → AutoRenewFunc

// SetAutoRenew sets what the daily auto-renew job runs. Without it the job
// does nothing.
func (s *Service) SetAutoRenew(fn AutoRenewFunc) { autoRenewers.Store(s, fn) }

type autoRenewArgs struct{}

func (autoRenewArgs) Kind() string { return KindAutoRenew }

func (autoRenewArgs) InsertOpts() river.InsertOpts { return river.InsertOpts{MaxAttempts: 5} }

type autoRenewWorker struct {
	river.WorkerDefaults[autoRenewArgs]
	s *Service
}

func (w *autoRenewWorker) Timeout(*river.Job[autoRenewArgs]) time.Duration { return 30 * time.Minute }

func (w *autoRenewWorker) Work(ctx context.Context, _ *river.Job[autoRenewArgs]) error {
	fn, ok := autoRenewers.Load(w.s)
	if !ok || fn == nil {
		return nil
	}
	if err := fn.(AutoRenewFunc)(ctx); err != nil {
		w.s.log.Error("auto-renew failed", "err", err)
		return err
	}
	return nil
}

// autoRenewPeriodic runs the auto-renew pass daily, and once when the
// runner becomes leader (a pass is idempotent: it renews an item once).
func autoRenewPeriodic() []*river.PeriodicJob {
	return []*river.PeriodicJob{river.NewPeriodicJob(river.PeriodicInterval(24*time.Hour),
		func() (river.JobArgs, *river.InsertOpts) { return autoRenewArgs{}, nil },
		&river.PeriodicJobOpts{RunOnStart: true})}
}

// EnqueueAutoRenew asks for an auto-renew pass now (the dashboard button).
func (s *Service) EnqueueAutoRenew(ctx context.Context) error {
	if s.inserter == nil {
		return errors.New("jobs: no River client")
	}
	_, err := s.inserter.Insert(ctx, autoRenewArgs{}, nil)
	return err
}
