package main

import (
	"context"
	"time"

	"github.com/allmyleads/allmyleads/engine"
)

// retentionEvery is how often serve applies the retention policy.
const retentionEvery = 24 * time.Hour

// schedule runs the scheduler until ctx ends: due timers (reminders, quote
// expiries) fire through the engine, one contact at a time like messages,
// and the retention policy is applied at start and then daily, so what is
// past its time (section 7 of the privacy policy) is deleted without
// anyone remembering to.
func (s *server) schedule(ctx context.Context) {
	defer close(s.retained)
	sched := engine.NewScheduler(s.rt.engine, engine.SchedulerOptions{Timers: s.rt.store, Logger: s.rt.logger})
	if !s.opts.noRetention {
		sched.Every("retention", retentionEvery, s.runRetentionOnce)
	}
	if err := sched.Run(ctx); err != nil {
		s.rt.logger.Error("scheduler stopped", "err", err)
	}
}

// runRetentionOnce applies the configured policy now, as "serve".
func (s *server) runRetentionOnce(ctx context.Context) error {
	rep, err := s.rt.store.RunRetention(ctx, retentionPolicy(s.rt.cfg), time.Now(), false, "serve")
	if err != nil {
		return err
	}
	s.rt.logger.Info("retention run", "messages", rep.Messages, "ai_records", rep.AI, "media", rep.Media)
	return nil
}
