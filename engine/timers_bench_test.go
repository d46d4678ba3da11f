package engine_test

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/allmyleads/allmyleads/engine"
	"github.com/allmyleads/allmyleads/engine/core"
	"github.com/allmyleads/allmyleads/engine/enginetest"
)

// BenchmarkTimersDue sets b.N contacts waiting at a question, each with a
// reminder, all due within one minute; then it measures, with fsync on and
// encryption at rest, the memory of a scheduler looking for due timers
// while all of them are pending (rss_idle_MB), and the rate at which it
// fires them once the minute has passed (fires/s) with the peak memory
// while it does: the process's own (anon_peak_MB: heap and stacks) and the
// pages of the database file it maps (file_peak_MB: page cache, which the
// kernel reclaims; firing a timer reads its contact's session). Setting up
// writes the sessions directly, unsynced, and is not timed; the store is
// then opened afresh, so its memory map holds only the pages read since.
//
//	go test -run '^$' -bench TimersDue -benchtime 1000000x -timeout 60m ./engine/
func BenchmarkTimersDue(b *testing.B) {
	h := enginetest.New(b, enginetest.Options{FlowsDir: reminderFlows, NoSync: true})
	base := h.Clock.Now()
	n := b.N
	first := base.Add(2 * time.Hour)
	setupTimers(b, h, n, first)
	h.Opts.NoSync = false
	h.Reopen()
	ctx := context.Background()
	s := engine.NewScheduler(h.Engine, engine.SchedulerOptions{Timers: h.Store, Clock: h.Clock.Now, Workers: benchWorkers()})

	runtime.GC()
	debug.FreeOSMemory()
	if fired, err := s.RunDue(ctx); err != nil || fired != 0 { // nothing is due yet
		b.Fatalf("fired %d before their time: %v", fired, err)
	}
	idle := procStatus("VmRSS")

	h.Clock.Set(first.Add(time.Minute))
	peak := sampleRSS()
	b.ReportAllocs()
	b.ResetTimer()
	start := time.Now()
	fired, err := s.RunDue(ctx)
	elapsed := time.Since(start)
	b.StopTimer()
	anon, file := peak()
	if err != nil {
		b.Fatal(err)
	}
	if fired != n {
		b.Fatalf("fired %d of %d", fired, n)
	}
	if left, _ := h.Store.PendingTimers(ctx); left != 0 {
		b.Fatalf("%d timers left", left)
	}
	b.ReportMetric(float64(n)/elapsed.Seconds(), "fires/s")
	if ws := h.Store.WriteStats(); ws.Commits > 0 {
		b.ReportMetric(float64(ws.Writes)/float64(ws.Commits), "fires/fsync")
	}
	b.ReportMetric(idle/1024, "rss_idle_MB")
	b.ReportMetric(anon/1024, "anon_peak_MB")
	b.ReportMetric(file/1024, "file_peak_MB")
}

// sampleRSS samples the process's anonymous and file-backed resident
// memory every 10 ms until the returned function is called, which gives
// the highest of each, in KiB.
func sampleRSS() func() (anon, file float64) {
	stop := make(chan struct{})
	done := make(chan [2]float64)
	go func() {
		var hi [2]float64
		tick := time.NewTicker(10 * time.Millisecond)
		defer tick.Stop()
		for {
			hi[0] = max(hi[0], procStatus("RssAnon"))
			hi[1] = max(hi[1], procStatus("RssFile"))
			select {
			case <-stop:
				done <- hi
				return
			case <-tick.C:
			}
		}
	}()
	return func() (float64, float64) {
		close(stop)
		hi := <-done
		return hi[0], hi[1]
	}
}

// setupTimers commits n sessions waiting at ask_email, each with its first
// reminder due at first plus up to a minute.
func setupTimers(b *testing.B, h *enginetest.Harness, n int, first time.Time) {
	b.Helper()
	base := h.Clock.Now()
	ctx := context.Background()
	var wg sync.WaitGroup
	errs := make(chan error, 1)
	const workers = 16
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < n; i += workers {
				urn := fmt.Sprintf("whatsapp:3163%08d", i)
				due := first.Add(time.Duration(i) * time.Minute / time.Duration(n))
				sess := &core.Session{
					Contact: urn, Channel: "test", Flow: "greeting", Step: "ask_email", Waiting: true,
					Vars:    map[string]any{"lead": map[string]any{"name": "Ana"}},
					Started: base, Updated: base, LastInbound: base,
					Timers: []core.Timer{{ID: "after/greeting/ask_email/0", Contact: urn, Kind: core.TimerAfter,
						Due: due, Set: base, Flow: "greeting", Step: "ask_email"}},
				}
				if err := h.Store.Commit(ctx, &core.Turn{Session: sess}); err != nil {
					select {
					case errs <- err:
					default:
					}
					return
				}
			}
		}()
	}
	wg.Wait()
	select {
	case err := <-errs:
		b.Fatal(err)
	default:
	}
}

// procStatus reads a memory figure of /proc/self/status, in KiB (0 where
// there is no /proc).
func procStatus(field string) float64 {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), field+":"); ok {
			v, _ := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 64)
			return v
		}
	}
	return 0
}

// benchWorkers is the scheduler's workers for BenchmarkTimersDue:
// $TIMERS_WORKERS, else the default.
func benchWorkers() int {
	n, _ := strconv.Atoi(os.Getenv("TIMERS_WORKERS"))
	return n
}
