package store

import (
	"errors"
	"fmt"
	"sync"
	"sync/atomic"

	bolt "go.etcd.io/bbolt"
)

// ErrClosed is returned for writes after Close.
var ErrClosed = errors.New("store closed")

// maxGroup caps how many writes share one transaction.
const maxGroup = 1000

// groupCommit is the store's single writer. Writes queue; the writer takes
// everything queued, runs it in one transaction and fsyncs once. A write
// alone commits at once (no timer, unlike bbolt's Batch); under load, every
// write that arrived during one commit shares the next.
type groupCommit struct {
	db    *bolt.DB
	queue chan *groupCall
	done  chan struct{}

	mu     sync.RWMutex // guards closed against sends on a closed queue
	closed bool

	commits, writes atomic.Int64
}

// WriteStats counts the store's write transactions and the writes they
// carried: Writes/Commits is how many writes shared each fsync.
type WriteStats struct {
	Commits int64 `json:"commits"`
	Writes  int64 `json:"writes"`
}

// WriteStats returns the group commit counters since Open.
func (s *Store) WriteStats() WriteStats {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return WriteStats{Commits: s.group.commits.Load(), Writes: s.group.writes.Load()}
}

// groupCall is one write waiting for its transaction.
type groupCall struct {
	fn  func(*bolt.Tx) error
	err chan error
}

func startGroupCommit(db *bolt.DB) *groupCommit {
	g := &groupCommit{db: db, queue: make(chan *groupCall, maxGroup), done: make(chan struct{})}
	go g.run()
	return g
}

// stop lets queued writes finish and ends the writer.
func (g *groupCommit) stop() {
	g.mu.Lock()
	if !g.closed {
		g.closed = true
		close(g.queue)
	}
	g.mu.Unlock()
	<-g.done
}

// write runs fn in a write transaction shared with the other writes queued
// at the time. fn may run more than once (when another write of its group
// fails, the group runs again without it), so it must derive everything it
// writes from the transaction.
func (g *groupCommit) write(fn func(*bolt.Tx) error) error {
	c := &groupCall{fn: fn, err: make(chan error, 1)}
	g.mu.RLock()
	if g.closed {
		g.mu.RUnlock()
		return ErrClosed
	}
	g.queue <- c
	g.mu.RUnlock()
	return <-c.err
}

func (g *groupCommit) run() {
	defer close(g.done)
	for c := range g.queue {
		group := []*groupCall{c}
	more:
		for len(group) < maxGroup {
			select {
			case next, ok := <-g.queue:
				if !ok {
					break more
				}
				group = append(group, next)
			default:
				break more
			}
		}
		g.commit(group)
	}
}

// commit runs a group in one transaction. A write that fails gets its
// error and the rest run again without it.
func (g *groupCommit) commit(group []*groupCall) {
	for len(group) > 0 {
		failed := -1
		var failErr error
		err := g.db.Update(func(tx *bolt.Tx) error {
			for i, c := range group {
				if err := safeRun(c.fn, tx); err != nil {
					failed, failErr = i, err
					return err
				}
			}
			return nil
		})
		if failed >= 0 {
			group[failed].err <- failErr
			group = append(group[:failed:failed], group[failed+1:]...)
			continue
		}
		if err == nil {
			g.commits.Add(1)
			g.writes.Add(int64(len(group)))
		}
		for _, c := range group {
			c.err <- err
		}
		return
	}
}

// safeRun runs fn, turning a panic into an error so one bad write cannot
// take the writer down.
func safeRun(fn func(*bolt.Tx) error, tx *bolt.Tx) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("write panicked: %v", r)
		}
	}()
	return fn(tx)
}
