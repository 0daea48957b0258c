package jobs

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/riverqueue/river"
)

// KindExpireDeposits is the River kind of the deposit-expiry pass.
const KindExpireDeposits = "lumi.expire_deposits"

// DepositExpiryInterval is how often pending deposits past their expiry are
// marked expired.
const DepositExpiryInterval = 10 * time.Minute

// ExpireDepositsFunc runs one deposit-expiry pass and says how many deposits
// it expired (billing.Service.ExpireDeposits with the system actor).
type ExpireDepositsFunc func(ctx context.Context) (int, error)

// depositExpirers holds each Service's pass, set by SetExpireDeposits.
var depositExpirers sync.Map // *Service → ExpireDepositsFunc

// SetExpireDeposits sets what the deposit-expiry job runs. Without it the
// job does nothing.
func (s *Service) SetExpireDeposits(fn ExpireDepositsFunc) { depositExpirers.Store(s, fn) }

type expireDepositsArgs struct{}

func (expireDepositsArgs) Kind() string { return KindExpireDeposits }

func (expireDepositsArgs) InsertOpts() river.InsertOpts { return river.InsertOpts{MaxAttempts: 3} }

type expireDepositsWorker struct {
	river.WorkerDefaults[expireDepositsArgs]
	s *Service
}

func (w *expireDepositsWorker) Timeout(*river.Job[expireDepositsArgs]) time.Duration {
	return 5 * time.Minute
}

// expireBatches bounds one pass (each call expires at most 1000).
const expireBatches = 20

func (w *expireDepositsWorker) Work(ctx context.Context, _ *river.Job[expireDepositsArgs]) error {
	fn, ok := depositExpirers.Load(w.s)
	if !ok || fn == nil {
		return nil
	}
	for range expireBatches {
		n, err := fn.(ExpireDepositsFunc)(ctx)
		if err != nil {
			w.s.log.Error("deposit expiry failed", "err", err)
			return err
		}
		if n < 1000 {
			return nil
		}
	}
	return nil
}

// expireDepositsPeriodic runs the pass every ten minutes, and once when the
// runner becomes leader (expiring a deposit twice is impossible: only a
// pending one is closed).
func expireDepositsPeriodic() []*river.PeriodicJob {
	return []*river.PeriodicJob{river.NewPeriodicJob(river.PeriodicInterval(DepositExpiryInterval),
		func() (river.JobArgs, *river.InsertOpts) { return expireDepositsArgs{}, nil },
		&river.PeriodicJobOpts{RunOnStart: true})}
}

// EnqueueExpireDeposits asks for a deposit-expiry pass now.
func (s *Service) EnqueueExpireDeposits(ctx context.Context) error {
	if s.inserter == nil {
		return errors.New("jobs: no River client")
	}
	_, err := s.inserter.Insert(ctx, expireDepositsArgs{}, nil)
	return err
}
