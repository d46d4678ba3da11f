package engine_test

import (
	"bufio"
	"context"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/allmyleads/allmyleads/engine"
	"github.com/allmyleads/allmyleads/engine/core"
	"github.com/allmyleads/allmyleads/engine/enginetest"
	"github.com/allmyleads/allmyleads/engine/extract"
	"github.com/allmyleads/allmyleads/engine/store"
)

// killChildEnv tells the test binary, started again by TestTimersSurviveKill,
// to be the scheduler process that gets killed: PATH KEYHEX UNIXNANO.
const killChildEnv = "ALLMYLEADS_TIMERS_KILL_CHILD"

// TestTimersSurviveKill sets 1,000 reminders, lets a separate process fire
// them and kills it with SIGKILL while it does, then restarts: every
// reminder is sent exactly once, and every contact's later reminder is still
// pending exactly once.
func TestTimersSurviveKill(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a process and fires 1,000 timers")
	}
	const n = 1000
	h := enginetest.New(t, enginetest.Options{FlowsDir: reminderFlows, NoSync: true})
	contact := func(i int) string { return fmt.Sprintf("+1555020%04d", i) }
	var wg sync.WaitGroup
	for w := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < n; i += 8 {
				h.Say(contact(i), "hi")
				h.Say(contact(i), "Ana")
			}
		}()
	}
	wg.Wait()
	due := h.Clock.Now().Add(3 * time.Hour) // the first reminders (2h) are all due
	if err := h.Store.Close(); err != nil {
		t.Fatal(err)
	}

	cmd := exec.Command(os.Args[0], "-test.run=^TestTimersKillChild$", "-test.v")
	cmd.Env = append(os.Environ(), fmt.Sprintf("%s=%s %s %d", killChildEnv, h.Path, hex.EncodeToString(h.Key), due.UnixNano()))
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(out)
	firedBefore := 0
	for sc.Scan() {
		if strings.HasPrefix(sc.Text(), "fired ") {
			firedBefore++
			if firedBefore == 300 {
				if err := cmd.Process.Kill(); err != nil { // SIGKILL: no deferred cleanup, no Close
					t.Fatal(err)
				}
				break
			}
		}
	}
	_ = cmd.Wait()
	if firedBefore < 300 {
		t.Fatalf("the child reported %d fired timers and ended before it was killed", firedBefore)
	}

	h.Clock.Set(due)
	h.Reopen()
	firedAfter, err := h.Scheduler.RunDue(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("killed after it reported %d fired; %d fired after the restart", firedBefore, firedAfter)
	if firedAfter == 0 {
		t.Log("the child had committed every timer before the kill landed; exactly-once still holds")
	}

	items, err := h.Store.PendingOutbound(context.Background(), "test", 100*n)
	if err != nil {
		t.Fatal(err)
	}
	reminders := map[string]int{}
	for _, it := range items {
		if strings.HasPrefix(it.Text, "Still there") {
			reminders[it.Contact]++
		}
	}
	for i := range n {
		urn, _ := core.NormalizeURN(contact(i))
		if got := reminders[urn]; got != 1 {
			t.Errorf("%s: %d reminders sent, want exactly 1", contact(i), got)
		}
		s := h.Session(contact(i))
		if len(s.Timers) != 2 || s.Timers[0].Entry != 1 || s.Timers[1].Entry != 2 {
			t.Errorf("%s: pending timers %+v, want entries 2 and 3", contact(i), s.Timers)
		}
	}
	if pending, _ := h.Store.PendingTimers(context.Background()); pending != 2*n {
		t.Errorf("%d timers indexed, want %d", pending, 2*n)
	}
}

// TestTimersKillChild is the process TestTimersSurviveKill kills: it fires
// the due timers of the database it is given, reporting each commit.
func TestTimersKillChild(t *testing.T) {
	spec := os.Getenv(killChildEnv)
	if spec == "" {
		t.Skip("run by TestTimersSurviveKill")
	}
	var path, keyHex string
	var nanos int64
	if _, err := fmt.Sscanf(spec, "%s %s %d", &path, &keyHex, &nanos); err != nil {
		t.Fatal(err)
	}
	key, err := hex.DecodeString(keyHex)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Unix(0, nanos).UTC()
	clock := func() time.Time { return now }
	st, err := store.Open(store.Options{Path: path, Key: key, Clock: clock})
	if err != nil {
		t.Fatal(err)
	}
	eng, err := engine.New(engine.Config{}, engine.Deps{
		Store: st, Flows: enginetest.LoadFlows(t, reminderFlows), Extractor: extract.NewOffline(), Clock: clock,
	})
	if err != nil {
		t.Fatal(err)
	}
	w := bufio.NewWriter(os.Stdout)
	var mu sync.Mutex
	s := engine.NewScheduler(eng, engine.SchedulerOptions{Timers: st, Batch: 32, Workers: 2, Fired: func(tm core.Timer, _ []core.Outbound) {
		mu.Lock()
		defer mu.Unlock()
		fmt.Fprintf(w, "fired %s %s\n", tm.Contact, tm.ID)
		w.Flush()
	}})
	if _, err := s.RunDue(context.Background()); err != nil {
		t.Fatal(err)
	}
	st.Close()
}
