package engine_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/allmyleads/allmyleads/engine"
	"github.com/allmyleads/allmyleads/engine/core"
	"github.com/allmyleads/allmyleads/engine/enginetest"
	"github.com/allmyleads/allmyleads/engine/store"
)

const reminderFlows = "testdata/conversations/after_reminders/flows"

// TestFireTwiceFiresOnce: the scheduler may hand the same due timer to
// Fire twice (two schedulers, a retry after a lost claim); the second
// finds it gone from the session and does nothing.
func TestFireTwiceFiresOnce(t *testing.T) {
	h := enginetest.New(t, enginetest.Options{FlowsDir: reminderFlows})
	h.Say("+15550100", "hi")
	h.Say("+15550100", "Ana")
	h.Clock.Advance(2 * time.Hour)
	due, err := h.Store.DueTimers(context.Background(), h.Clock.Now(), 10)
	if err != nil || len(due) != 1 {
		t.Fatalf("due: %v %v", due, err)
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	var sent []core.Outbound
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			out, err := h.Engine.Fire(context.Background(), due[0])
			if err != nil {
				t.Error(err)
			}
			mu.Lock()
			sent = append(sent, out...)
			mu.Unlock()
		}()
	}
	wg.Wait()
	if len(sent) != 1 || !strings.Contains(sent[0].Text, "Still there") {
		t.Fatalf("four fires of one timer sent %d messages: %s", len(sent), enginetest.Format(sent))
	}
	if out := h.Advance(time.Hour); len(out) != 0 {
		t.Errorf("the fired reminder fired again: %v", out)
	}
}

// TestTimerAndMessageNeverRace fires due reminders while the customers
// answer: each reminder is either sent before the answer or cancelled by
// it, never sent after it.
func TestTimerAndMessageNeverRace(t *testing.T) {
	h := enginetest.New(t, enginetest.Options{FlowsDir: reminderFlows})
	const n = 40
	contact := func(i int) string { return fmt.Sprintf("+1555010%04d", i) }
	for i := range n {
		h.Say(contact(i), "hi")
		h.Say(contact(i), "Ana")
	}
	h.Clock.Advance(2 * time.Hour)
	var wg sync.WaitGroup
	wg.Add(2)
	go func() {
		defer wg.Done()
		if _, err := h.Scheduler.RunDue(context.Background()); err != nil {
			t.Error(err)
		}
	}()
	go func() {
		defer wg.Done()
		for i := range n {
			h.Say(contact(i), fmt.Sprintf("ana%d@example.com", i))
		}
	}()
	wg.Wait()
	for i := range n {
		s := h.Session(contact(i))
		if !s.Ended || len(s.Timers) != 0 {
			t.Errorf("%s: ended %v, timers %v", contact(i), s.Ended, s.Timers)
		}
	}
	if n, _ := h.Store.PendingTimers(context.Background()); n != 0 {
		t.Errorf("%d timers left indexed", n)
	}
	for _, f := range h.TakeFired() {
		for _, o := range f.Out {
			if !strings.Contains(o.Text, "Still there") {
				t.Errorf("a timer sent %q", o.Text)
			}
		}
	}
}

// TestSkippedReminderIsRecorded: outside the 24-hour window an entry
// without a template is not sent, and the audit log says so.
func TestSkippedReminderIsRecorded(t *testing.T) {
	ch := &core.Channels{}
	if err := ch.Register(enginetest.WhatsAppLike("test")); err != nil {
		t.Fatal(err)
	}
	h := enginetest.New(t, enginetest.Options{FlowsDir: "testdata/conversations/after_window/flows", Channels: ch})
	h.Say("+15550100", "hi")
	h.Advance(51 * time.Hour)
	log, err := h.Store.AuditLog(context.Background(), time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	var skips []string
	for _, a := range log {
		if a.Action == "reminder_skipped" {
			skips = append(skips, a.Actor+": "+a.Detail)
		}
	}
	want := "scheduler: greeting/ask_name after entry 3 skipped: the customer's 24-hour window has closed and the entry names no template"
	if len(skips) != 1 || skips[0] != want {
		t.Errorf("audit: %q, want %q", skips, want)
	}
}

// TestQuietHoursCheckedWhenFiring: a timer set before quiet hours were
// configured is held back when it falls due in them.
func TestQuietHoursCheckedWhenFiring(t *testing.T) {
	h := enginetest.New(t, enginetest.Options{FlowsDir: reminderFlows})
	h.Clock.Advance(11 * time.Hour) // 20:00 UTC
	h.Say("+15550100", "hi")
	h.Say("+15550100", "Ana") // reminder due at 22:00
	q, err := engine.ParseQuietHours("21:00-07:30")
	if err != nil {
		t.Fatal(err)
	}
	h.Opts.Config.QuietHours = q
	h.Reopen()
	fired := h.Advance(3 * time.Hour)
	if len(fired) != 0 {
		t.Fatalf("sent in the quiet hours: %v", fired)
	}
	fired = h.Advance(10 * time.Hour)
	if len(fired) == 0 || fired[0].At.Format("15:04") != "07:30" || !strings.Contains(fired[0].Out[0].Text, "Still there") {
		t.Fatalf("want the reminder at 07:30, got %+v", fired)
	}
}

func TestParseQuietHours(t *testing.T) {
	ams, err := time.LoadLocation("Europe/Amsterdam")
	if err != nil {
		t.Skip("no time zone data:", err)
	}
	q, err := engine.ParseQuietHours("21:00-08:00")
	if err != nil || q.String() != "21:00-08:00" {
		t.Fatalf("%v %v", q, err)
	}
	at := func(s string) time.Time {
		tm, err := time.ParseInLocation("2006-01-02 15:04", s, ams)
		if err != nil {
			t.Fatal(err)
		}
		return tm
	}
	for in, want := range map[string]string{
		"2026-03-02 20:59": "2026-03-02 20:59", // before
		"2026-03-02 21:00": "2026-03-03 08:00",
		"2026-03-02 23:30": "2026-03-03 08:00",
		"2026-03-03 07:59": "2026-03-03 08:00",
		"2026-03-03 08:00": "2026-03-03 08:00", // after
		"2026-03-28 22:00": "2026-03-29 08:00", // across the change to summer time
	} {
		if got := q.Until(at(in), ams).In(ams).Format("2006-01-02 15:04"); got != want {
			t.Errorf("Until(%s) = %s, want %s", in, got, want)
		}
	}
	day, _ := engine.ParseQuietHours("12:00-14:00")
	if got := day.Until(at("2026-03-02 13:00"), ams).In(ams).Format("15:04"); got != "14:00" {
		t.Errorf("a span within a day: %s", got)
	}
	for _, bad := range []string{"21-08", "25:00-08:00", "21:00-21:00", "9pm-8am"} {
		if _, err := engine.ParseQuietHours(bad); err == nil {
			t.Errorf("ParseQuietHours(%q) accepted", bad)
		}
	}
	if off, err := engine.ParseQuietHours(""); err != nil || off.On() {
		t.Errorf("empty: %v %v", off, err)
	}
}

// TestSchedulerRunsJobsAndTimers runs the real loop with a short poll: a
// reminder due now fires and the periodic job runs, without sleeping in the
// test (it waits for both with a deadline).
func TestSchedulerRunsJobsAndTimers(t *testing.T) {
	h := enginetest.New(t, enginetest.Options{FlowsDir: reminderFlows})
	h.Say("+15550100", "hi")
	h.Say("+15550100", "Ana")
	h.Clock.Advance(2 * time.Hour)
	fired := make(chan core.Timer, 1)
	jobs := make(chan struct{}, 1)
	s := engine.NewScheduler(h.Engine, engine.SchedulerOptions{Timers: h.Store, Clock: h.Clock.Now, Poll: time.Millisecond,
		Fired: func(tm core.Timer, _ []core.Outbound) { fired <- tm }})
	s.Every("test job", time.Hour, func(context.Context) error {
		select {
		case jobs <- struct{}{}:
		default:
		}
		return nil
	})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	deadline := time.After(10 * time.Second)
	for got := 0; got < 2; got++ {
		select {
		case tm := <-fired:
			if tm.Kind != core.TimerAfter {
				t.Errorf("fired %+v", tm)
			}
		case <-jobs:
		case <-deadline:
			t.Fatal("the scheduler did not fire the reminder and run the job in time")
		}
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

// TestQuoteExpiresInTheRecords: a quote nobody answered is marked expired
// in the business's records when its validity ends, without a message.
func TestQuoteExpiresInTheRecords(t *testing.T) {
	h := enginetest.New(t, fixtureOptions(t, "testdata/conversations/quote_expiry"))
	h.Say("+15550100", "hi")
	h.Say("+15550100", "20")
	status := func() string {
		qs, err := h.Store.Quotes(context.Background(), store.QuoteFilter{})
		if err != nil || len(qs) != 1 {
			t.Fatalf("quotes: %v %v", qs, err)
		}
		return qs[0].Status
	}
	if s := status(); s != core.QuoteSent {
		t.Fatalf("status %q before expiry", s)
	}
	fired := h.Advance(3*24*time.Hour + 14*time.Hour) // valid until 5 Mar 09:00, so through the 5th
	if s := status(); s != core.QuoteSent {
		t.Fatalf("status %q on the last valid day", s)
	}
	fired = append(fired, h.Advance(time.Hour)...) // midnight: expired
	if s := status(); s != core.QuoteExpired {
		t.Fatalf("status %q after the last valid day", s)
	}
	for _, f := range fired {
		for _, m := range f.Out {
			if strings.Contains(m.Text, "expired") {
				t.Errorf("the expiry sent %q", m.Text)
			}
		}
	}
}
