package jobs

// Periodic jobs: each is declared once in periodicJobs (its River kind, how
// often it runs, how long one run may take, the one service call it makes),
// and Start hands River the whole list. Each worker is one small generic
// wrapper around that call.

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/riverqueue/river"
)

// River kinds of the periodic jobs.
const (
	KindAutoRenew       = "lumi.auto_renew"
	KindExpireDeposits  = "lumi.expire_deposits"
	KindMailRecheck     = "mail.dns_recheck"
	KindLumiraReconcile = "lumira.reconcile"
	KindBotPrune        = "bot.prune"
	KindPartitions      = "partitions.maintain"
	KindAuditVerify     = "audit.verify_chain"
)

// DepositExpiryInterval is how often pending deposits past their expiry are
// marked expired.
const DepositExpiryInterval = 10 * time.Minute

// AutoRenewFunc runs one auto-renew pass over Lumi products
// (products.Service.AutoRenewJob).
type AutoRenewFunc func(ctx context.Context) error

// ExpireDepositsFunc runs one deposit-expiry pass and says how many deposits
// it expired (billing.Service.ExpireDeposits with the system actor).
type ExpireDepositsFunc func(ctx context.Context) (int, error)

// MailRecheckFunc runs one DNS re-check pass over Lumora sending domains
// and says how many it checked (mail.Service.RecheckDue).
type MailRecheckFunc func(ctx context.Context) (int, error)

// LumiraReconcileFunc runs one reconciliation pass over Lumira groups and
// says how many it reconciled (ranking.Service.ReconcileAll).
type LumiraReconcileFunc func(ctx context.Context) (int, error)

// BotPruneFunc forgets the Discord bot's old interactions, sandbox
// messages and link codes, and says how many rows it removed
// (bot.Service.Prune).
type BotPruneFunc func(ctx context.Context) (int, error)

// PartitionsFunc keeps the history tables' month partitions: creates the
// coming months, drops or detaches those past retention, and says how many
// partitions it changed (partition.Maintain).
type PartitionsFunc func(ctx context.Context) (int, error)

// AuditVerifyFunc walks the whole audit hash chain and records the walk
// (audit.Service.VerifyAll); a broken chain is a result, not an error.
type AuditVerifyFunc func(ctx context.Context) error

// SetAuditVerify sets what the whole walk of the audit chain runs and how
// often (audit.WalkEvery); call it before Start. Without it the job does
// nothing, every hour.
func (s *Service) SetAuditVerify(every time.Duration, fn AuditVerifyFunc) {
	s.hookMu.Lock()
	defer s.hookMu.Unlock()
	s.auditVerify, s.auditVerifyEvery = fn, every
}

// SetPartitions sets what the daily partition upkeep runs; call it before
// Start. Without it the job does nothing.
func (s *Service) SetPartitions(fn PartitionsFunc) {
	s.hookMu.Lock()
	defer s.hookMu.Unlock()
	s.partitions = fn
}

// SetBotPrune sets what the daily Discord bot clean-up runs; call it before
// Start. Without it the job does nothing.
func (s *Service) SetBotPrune(fn BotPruneFunc) {
	s.hookMu.Lock()
	defer s.hookMu.Unlock()
	s.botPrune = fn
}

// SetLumiraReconcile sets what the Lumira reconciliation job runs and how
// often; call it before Start. Without it the job does nothing, every 15
// minutes.
func (s *Service) SetLumiraReconcile(every time.Duration, fn LumiraReconcileFunc) {
	s.hookMu.Lock()
	defer s.hookMu.Unlock()
	s.lumiraReconcile, s.lumiraReconcileEvery = fn, every
}

// SetMailRecheck sets what the sending-domain DNS re-check runs and how
// often (LUMORA_DNS_RECHECK); call it before Start. Without it the job does
// nothing, every 6 hours.
func (s *Service) SetMailRecheck(every time.Duration, fn MailRecheckFunc) {
	s.hookMu.Lock()
	defer s.hookMu.Unlock()
	s.mailRecheck, s.mailRecheckEvery = fn, every
}

// SetAutoRenew sets what the daily auto-renew job runs; call it before
// Start. Without it the job does nothing.
func (s *Service) SetAutoRenew(fn AutoRenewFunc) {
	s.hookMu.Lock()
	defer s.hookMu.Unlock()
	s.autoRenew = fn
}

// SetExpireDeposits sets what the deposit-expiry job runs; call it before
// Start. Without it the job does nothing.
func (s *Service) SetExpireDeposits(fn ExpireDepositsFunc) {
	s.hookMu.Lock()
	defer s.hookMu.Unlock()
	s.expireDeposits = fn
}

// EnqueueAutoRenew asks for an auto-renew pass now (the dashboard button).
func (s *Service) EnqueueAutoRenew(ctx context.Context) error {
	return s.enqueuePeriodic(ctx, autoRenewArgs{})
}

// EnqueueExpireDeposits asks for a deposit-expiry pass now.
func (s *Service) EnqueueExpireDeposits(ctx context.Context) error {
	return s.enqueuePeriodic(ctx, expireDepositsArgs{})
}

func (s *Service) enqueuePeriodic(ctx context.Context, args river.JobArgs) error {
	if s.inserter == nil {
		return errors.New("jobs: no River client")
	}
	if _, err := s.inserter.Insert(ctx, args, nil); err != nil {
		return fmt.Errorf("enqueue %s: %w", args.Kind(), err)
	}
	return nil
}

// periodicJobs is every job River runs on a schedule. Each also runs once
// when the runner becomes leader; every pass is idempotent (an item is
// renewed once, only a pending deposit is expired).
func (s *Service) periodicJobs() []periodicJob {
	return []periodicJob{
		periodic(autoRenewArgs{}, 24*time.Hour, 30*time.Minute, s.runAutoRenew),
		periodic(expireDepositsArgs{}, DepositExpiryInterval, 5*time.Minute, s.runExpireDeposits),
		periodic(mailRecheckArgs{}, s.mailRecheckInterval(), 30*time.Minute, s.runMailRecheck),
		periodic(lumiraReconcileArgs{}, s.lumiraReconcileInterval(), 30*time.Minute, s.runLumiraReconcile),
		periodic(botPruneArgs{}, 24*time.Hour, 30*time.Minute, s.runBotPrune),
		periodic(partitionsArgs{}, 24*time.Hour, 10*time.Minute, s.runPartitions),
		periodic(auditVerifyArgs{}, s.auditVerifyInterval(), time.Hour, s.runAuditVerify),
	}
}

type auditVerifyArgs struct{}

func (auditVerifyArgs) Kind() string { return KindAuditVerify }

// A failed walk (a read error) is retried a few times; the next hour's comes anyway.
func (auditVerifyArgs) InsertOpts() river.InsertOpts { return river.InsertOpts{MaxAttempts: 3} }

func (s *Service) auditVerifyInterval() time.Duration {
	s.hookMu.Lock()
	defer s.hookMu.Unlock()
	if s.auditVerifyEvery <= 0 {
		return time.Hour
	}
	return s.auditVerifyEvery
}

func (s *Service) runAuditVerify(ctx context.Context) error {
	s.hookMu.Lock()
	fn := s.auditVerify
	s.hookMu.Unlock()
	if fn == nil {
		return nil
	}
	if err := fn(ctx); err != nil {
		return fmt.Errorf("audit chain walk: %w", err)
	}
	return nil
}

type partitionsArgs struct{}

func (partitionsArgs) Kind() string { return KindPartitions }

// A failed pass (a lock not had within its timeout) is retried a few
// times; tomorrow's comes anyway, and months are prepared Ahead.
func (partitionsArgs) InsertOpts() river.InsertOpts { return river.InsertOpts{MaxAttempts: 5} }

func (s *Service) runPartitions(ctx context.Context) error {
	s.hookMu.Lock()
	fn := s.partitions
	s.hookMu.Unlock()
	if fn == nil {
		return nil
	}
	if _, err := fn(ctx); err != nil {
		return fmt.Errorf("month partitions: %w", err)
	}
	return nil
}

type botPruneArgs struct{}

func (botPruneArgs) Kind() string { return KindBotPrune }

// A failed pass is retried a few times; tomorrow's comes anyway.
func (botPruneArgs) InsertOpts() river.InsertOpts { return river.InsertOpts{MaxAttempts: 3} }

func (s *Service) runBotPrune(ctx context.Context) error {
	s.hookMu.Lock()
	fn := s.botPrune
	s.hookMu.Unlock()
	if fn == nil {
		return nil
	}
	if _, err := fn(ctx); err != nil {
		return fmt.Errorf("discord bot clean-up: %w", err)
	}
	return nil
}

type lumiraReconcileArgs struct{}

func (lumiraReconcileArgs) Kind() string { return KindLumiraReconcile }

// A failed pass is retried a few times; the next interval's pass comes anyway.
func (lumiraReconcileArgs) InsertOpts() river.InsertOpts { return river.InsertOpts{MaxAttempts: 3} }

func (s *Service) lumiraReconcileInterval() time.Duration {
	s.hookMu.Lock()
	defer s.hookMu.Unlock()
	if s.lumiraReconcileEvery <= 0 {
		return 15 * time.Minute
	}
	return s.lumiraReconcileEvery
}

func (s *Service) runLumiraReconcile(ctx context.Context) error {
	s.hookMu.Lock()
	fn := s.lumiraReconcile
	s.hookMu.Unlock()
	if fn == nil {
		return nil
	}
	if _, err := fn(ctx); err != nil {
		return fmt.Errorf("lumira reconciliation: %w", err)
	}
	return nil
}

type mailRecheckArgs struct{}

func (mailRecheckArgs) Kind() string { return KindMailRecheck }

// A failed pass is retried a few times; the next interval's pass comes anyway.
func (mailRecheckArgs) InsertOpts() river.InsertOpts { return river.InsertOpts{MaxAttempts: 3} }

func (s *Service) mailRecheckInterval() time.Duration {
	s.hookMu.Lock()
	defer s.hookMu.Unlock()
	if s.mailRecheckEvery <= 0 {
		return 6 * time.Hour
	}
	return s.mailRecheckEvery
}

func (s *Service) runMailRecheck(ctx context.Context) error {
	s.hookMu.Lock()
	fn := s.mailRecheck
	s.hookMu.Unlock()
	if fn == nil {
		return nil
	}
	if _, err := fn(ctx); err != nil {
		return fmt.Errorf("mail DNS re-check: %w", err)
	}
	return nil
}

type autoRenewArgs struct{}

func (autoRenewArgs) Kind() string                 { return KindAutoRenew }
func (autoRenewArgs) InsertOpts() river.InsertOpts { return river.InsertOpts{MaxAttempts: 5} }

type expireDepositsArgs struct{}

func (expireDepositsArgs) Kind() string                 { return KindExpireDeposits }
func (expireDepositsArgs) InsertOpts() river.InsertOpts { return river.InsertOpts{MaxAttempts: 3} }

func (s *Service) runAutoRenew(ctx context.Context) error {
	s.hookMu.Lock()
	fn := s.autoRenew
	s.hookMu.Unlock()
	if fn == nil {
		return nil
	}
	if err := fn(ctx); err != nil {
		return fmt.Errorf("auto-renew: %w", err)
	}
	return nil
}

// expireBatches bounds one deposit-expiry pass (each call expires at most 1000).
const expireBatches = 20

func (s *Service) runExpireDeposits(ctx context.Context) error {
	s.hookMu.Lock()
	fn := s.expireDeposits
	s.hookMu.Unlock()
	if fn == nil {
		return nil
	}
	for range expireBatches {
		n, err := fn(ctx)
		if err != nil {
			return fmt.Errorf("expire deposits: %w", err)
		}
		if n < 1000 {
			return nil
		}
	}
	return nil
}

// periodicJob is one declared periodic job.
type periodicJob struct {
	every    time.Duration
	args     river.JobArgs
	register func(*river.Workers, *Service)
}

// periodic declares a job of args' kind that runs run every interval, for at
// most timeout each time.
func periodic[T river.JobArgs](args T, every, timeout time.Duration, run func(context.Context) error) periodicJob {
	return periodicJob{every: every, args: args, register: func(w *river.Workers, s *Service) {
		river.AddWorker(w, &periodicWorker[T]{s: s, timeout: timeout, run: run})
	}}
}

func (j periodicJob) river() *river.PeriodicJob {
	return river.NewPeriodicJob(river.PeriodicInterval(j.every),
		func() (river.JobArgs, *river.InsertOpts) { return j.args, nil },
		&river.PeriodicJobOpts{RunOnStart: true})
}

// periodicWorker runs one periodic job's service call, logging a failure
// (River retries it).
type periodicWorker[T river.JobArgs] struct {
	river.WorkerDefaults[T]
	s       *Service
	timeout time.Duration
	run     func(context.Context) error
}

func (w *periodicWorker[T]) Timeout(*river.Job[T]) time.Duration { return w.timeout }

func (w *periodicWorker[T]) Work(ctx context.Context, j *river.Job[T]) error {
	if err := w.run(ctx); err != nil {
		w.s.log.Error("periodic job failed", "kind", j.Kind, "attempt", j.Attempt, "err", err)
		return err
	}
	return nil
}
