package engine

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"log/slog"
	"sync"
	"time"

	"github.com/allmyleads/allmyleads/engine/core"
)

// Scheduler fires due timers through the engine, like messages: each one
// is a turn of its contact (Engine.Fire), under the contact's lock, in one
// transaction. It reads the store's due-time index a page at a time, so a
// million pending timers cost it nothing but the page it reads; it claims
// each timer before firing it, so two schedulers never fire one timer at
// once. It also runs the periodic jobs of a server (retention sweeps).
//
// serve runs it (Run); tests, `flow test` and the terminal chat drive it
// with a fake clock (RunDue, RunUntil), so nothing sleeps.
type Scheduler struct {
	e    *Engine
	o    SchedulerOptions
	jobs []periodic
}

// SchedulerOptions configure a Scheduler. Timers is required.
type SchedulerOptions struct {
	Timers  core.Timers      // the store's due-time index
	Clock   func() time.Time // nil: the engine's clock
	Batch   int              // timers read per page (default 256)
	Workers int              // contacts fired in parallel (default 128); one contact's timers fire in due order
	Poll    time.Duration    // Run: how often it looks for due timers (default 1s)
	Lease   time.Duration    // how long a claim lasts before another scheduler may retry (default 1m)
	Logger  *slog.Logger     // nil: the engine's
	// Fired, when set, is called after each timer's turn is committed with
	// the messages it queued (tests, the terminal chat). It may be called
	// from several goroutines at once.
	Fired func(t core.Timer, out []Outbound)
}

// shardQueue is how many claimed timers wait for one worker: with it the
// reader stays a little ahead of the workers, and few timers are claimed
// but not yet firing.
const shardQueue = 8

// periodic is a periodic task of the scheduler.
type periodic struct {
	name  string
	every time.Duration
	run   func(ctx context.Context) error
}

// NewScheduler returns a scheduler for the engine's timers.
func NewScheduler(e *Engine, o SchedulerOptions) *Scheduler {
	if o.Clock == nil {
		o.Clock = e.deps.Clock
	}
	if o.Batch <= 0 {
		o.Batch = 256
	}
	if o.Workers <= 0 {
		o.Workers = 128
	}
	if o.Poll <= 0 {
		o.Poll = time.Second
	}
	if o.Lease <= 0 {
		o.Lease = time.Minute
	}
	if o.Logger == nil {
		o.Logger = e.log
	}
	return &Scheduler{e: e, o: o}
}

// Every adds a periodic job: Run runs it when it starts and then every
// interval. Call it before Run.
func (s *Scheduler) Every(name string, every time.Duration, run func(ctx context.Context) error) {
	s.jobs = append(s.jobs, periodic{name: name, every: every, run: run})
}

// RunDue fires every timer due at the clock's time and returns how many it
// fired. It reads the index a page at a time while earlier pages fire:
// each timer is claimed, then handed to the worker of its contact's shard,
// so one contact's timers fire in due order and different contacts in
// parallel (their commits share fsyncs). Errors of single timers are
// returned together once the rest have fired; those timers stay claimed
// until their lease runs out, then are due again.
func (s *Scheduler) RunDue(ctx context.Context) (int, error) {
	now := s.o.Clock()
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		fired int
		errs  []error
	)
	// A shard's worker starts with its first timer: a pass that finds
	// nothing due starts none.
	shards := make([]chan core.Timer, s.o.Workers)
	dispatch := func(tm core.Timer) {
		h := fnv.New32a()
		h.Write([]byte(tm.Contact))
		i := h.Sum32() % uint32(len(shards))
		if shards[i] == nil {
			ch := make(chan core.Timer, shardQueue)
			shards[i] = ch
			wg.Add(1)
			go func() {
				defer wg.Done()
				for tm := range ch {
					err := s.fireOne(ctx, tm)
					mu.Lock()
					if err != nil {
						errs = append(errs, err)
					} else {
						fired++
					}
					mu.Unlock()
				}
			}()
		}
		shards[i] <- tm
	}
	var readErr error
	for ctx.Err() == nil {
		due, err := s.o.Timers.DueTimers(ctx, now, s.o.Batch)
		if err != nil {
			readErr = err
			break
		}
		claimed := 0
		for _, tm := range due {
			ok, err := s.o.Timers.ClaimTimer(ctx, tm, now.Add(s.o.Lease))
			if err != nil {
				readErr = err
				break
			}
			if !ok {
				continue // fired meanwhile, or another scheduler has it
			}
			claimed++
			dispatch(tm)
		}
		if readErr != nil || claimed == 0 {
			break // every due timer is claimed: those in flight finish below
		}
	}
	for _, ch := range shards {
		if ch != nil {
			close(ch)
		}
	}
	wg.Wait()
	if readErr != nil {
		errs = append(errs, readErr)
	}
	return fired, errors.Join(errs...)
}

// RunUntil moves a fake clock to until (set moves it), stopping at each
// timer due on the way so it fires at its time, as it would have in real
// time. Tests, `flow test` and the terminal chat's /wait use it.
func (s *Scheduler) RunUntil(ctx context.Context, until time.Time, set func(time.Time)) (int, error) {
	fired := 0
	for ctx.Err() == nil {
		next, err := s.o.Timers.DueTimers(ctx, until, 1)
		if err != nil {
			return fired, err
		}
		if len(next) == 0 {
			break
		}
		if at := next[0].Due; at.After(s.o.Clock()) {
			set(at)
		}
		n, err := s.RunDue(ctx)
		fired += n
		if err != nil {
			return fired, err
		}
		if n == 0 {
			break // nothing could fire: claimed elsewhere
		}
	}
	if until.After(s.o.Clock()) {
		set(until)
	}
	return fired, ctx.Err()
}

// fireOne fires one timer; a panic fails that timer, never the scheduler.
func (s *Scheduler) fireOne(ctx context.Context, tm core.Timer) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("fire timer %s: internal error: %v", tm.ID, p)
		}
		if err != nil {
			s.o.Logger.Error("timer failed; it is retried when its claim runs out", "contact", s.e.deps.Tag(tm.Contact), "timer", tm.ID, "err", err)
		}
	}()
	out, err := s.e.Fire(ctx, tm)
	if err != nil {
		return err
	}
	if s.o.Fired != nil {
		s.o.Fired(tm, out)
	}
	return nil
}

// Run fires due timers every poll interval and runs the periodic jobs
// (each at start, then every its interval) until ctx ends. Jobs run one
// after another on their own goroutine, so a long sweep never delays a
// reminder.
func (s *Scheduler) Run(ctx context.Context) error {
	var wg sync.WaitGroup
	if len(s.jobs) > 0 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s.runJobs(ctx)
		}()
	}
	tick := time.NewTicker(s.o.Poll)
	defer tick.Stop()
	for {
		if _, err := s.RunDue(ctx); err != nil && ctx.Err() == nil {
			s.o.Logger.Error("scheduler: firing due timers", "err", err)
		}
		select {
		case <-ctx.Done():
			wg.Wait()
			return nil
		case <-tick.C:
		}
	}
}

// runJobs runs each job at start and then at its interval.
func (s *Scheduler) runJobs(ctx context.Context) {
	next := make([]time.Time, len(s.jobs))
	for {
		now := time.Now()
		wait := time.Duration(-1)
		for i, j := range s.jobs {
			if !now.Before(next[i]) {
				if err := j.run(ctx); err != nil && ctx.Err() == nil {
					s.o.Logger.Error("scheduler: job failed", "job", j.name, "err", err)
				}
				next[i] = time.Now().Add(j.every)
			}
			if d := time.Until(next[i]); wait < 0 || d < wait {
				wait = d
			}
		}
		t := time.NewTimer(max(wait, 0))
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
	}
}
