package main

import (
	"context"
	"time"
)

// retentionEvery is how often serve applies the retention policy.
const retentionEvery = 24 * time.Hour

// retentionLoop applies the retention policy once at start and then every
// interval until ctx ends, so what is past its time (section 7 of the
// privacy policy) is deleted without anyone remembering to.
func (s *server) retentionLoop(ctx context.Context, policy func() error, every time.Duration) {
	defer close(s.retained)
	tick := time.NewTicker(every)
	defer tick.Stop()
	for {
		if err := policy(); err != nil && ctx.Err() == nil {
			s.rt.logger.Error("daily retention run failed", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
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
