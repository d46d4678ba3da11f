package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/allmyleads/allmyleads/engine"
	"github.com/allmyleads/allmyleads/engine/core"
	"github.com/allmyleads/allmyleads/engine/flowtest"
)

// chatClock is the terminal chat's clock: the real time, moved on by
// /wait, so a person can see what a silent customer is sent.
type chatClock struct {
	mu     sync.Mutex
	offset time.Duration
}

// Now is the real time plus what /wait added.
func (c *chatClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return time.Now().Add(c.offset)
}

// Set moves the clock to t (never back).
func (c *chatClock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if d := time.Until(t); d > c.offset {
		c.offset = d
	}
}

// chatTimers fires the chat's reminders: what fell due before each line,
// and what falls due while /wait moves the clock.
type chatTimers struct {
	clock *chatClock
	sched *engine.Scheduler
}

func newChatTimers(rt *runtime, clock *chatClock) *chatTimers {
	return &chatTimers{clock: clock, sched: engine.NewScheduler(rt.engine, engine.SchedulerOptions{Timers: rt.store, Clock: clock.Now, Logger: rt.logger})}
}

// due fires what is due now.
func (ct *chatTimers) due(ctx context.Context) error {
	_, err := ct.sched.RunDue(ctx)
	return err
}

// wait moves the clock on by d, firing timers at their times.
func (ct *chatTimers) wait(ctx context.Context, d time.Duration) error {
	_, err := ct.sched.RunUntil(ctx, ct.clock.Now().Add(d), ct.clock.Set)
	return err
}

// chatRecording writes the conversation typed in the chat as a test file
// (`chat --record FILE.test.yaml`): photos are named relative to the file.
type chatRecording struct {
	*flowtest.Recorder
	path string
	dir  string
}

func newChatRecording(path, contact string, now time.Time) *chatRecording {
	name := strings.TrimSuffix(strings.TrimSuffix(filepath.Base(path), ".yaml"), ".test")
	name = strings.ReplaceAll(name, "_", " ")
	if contact == defaultChatContact {
		contact = ""
	}
	dir, _ := filepath.Abs(filepath.Dir(path))
	return &chatRecording{Recorder: flowtest.NewRecorder(name, contact, now), path: path, dir: dir}
}

// Photo names the photo relative to the test file, so the test finds it.
func (r *chatRecording) Photo(name, caption string) {
	if name != flowtest.SamplePhoto {
		if abs, err := filepath.Abs(name); err == nil {
			if rel, err := filepath.Rel(r.dir, abs); err == nil {
				name = rel
			} else {
				name = abs
			}
		}
	}
	r.Recorder.Photo(name, caption)
}

// Bot records what the chat printed.
func (r *chatRecording) Bot(m core.Outbound) { r.Recorder.Bot(m) }

// save writes the file.
func (r *chatRecording) save() error {
	f, err := os.Create(r.path)
	if err != nil {
		return fmt.Errorf("record: %w", err)
	}
	if _, err := r.WriteTo(f); err != nil {
		f.Close()
		return fmt.Errorf("record %s: %w", r.path, err)
	}
	return f.Close()
}
