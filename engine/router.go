package engine

import (
	"context"
	"fmt"
	"hash/fnv"
	"sync"

	"github.com/allmyleads/allmyleads/engine/core"
)

// Router runs Engine.Handle on shards keyed by contact: one contact's
// messages are handled one at a time in submission order, different
// contacts in parallel. Channels submit to it; it implements the
// Dispatcher the WhatsApp channel needs.
type Router struct {
	e      *Engine
	shards []chan job
	wg     sync.WaitGroup
	mu     sync.RWMutex // held shared while submitting, exclusively to close
	closed bool
}

type job struct {
	ctx  context.Context
	in   Inbound
	done chan error
}

// NewRouter starts workers shards (at least 1).
func NewRouter(e *Engine, workers int) *Router {
	if workers < 1 {
		workers = 1
	}
	r := &Router{e: e, shards: make([]chan job, workers)}
	for i := range r.shards {
		r.shards[i] = make(chan job, 256)
		r.wg.Add(1)
		go r.work(r.shards[i])
	}
	return r
}

func (r *Router) work(ch chan job) {
	defer r.wg.Done()
	for j := range ch {
		j.done <- r.handle(j)
	}
}

// handle runs one job; a panic fails that message, never the process (and
// never the next start, which would replay the same message).
func (r *Router) handle(j job) (err error) {
	defer func() {
		if p := recover(); p != nil {
			r.e.log.Error("panic handling a message", "contact", r.e.deps.Tag(j.in.Contact), "panic", fmt.Sprint(p))
			err = fmt.Errorf("handle message: internal error: %v", p)
		}
	}()
	_, err = r.e.Handle(j.ctx, j.in)
	return err
}

// Submit queues a message on its contact's shard. The returned channel
// receives the result once the turn is committed (nil for a duplicate).
// It blocks while the shard's queue is full.
func (r *Router) Submit(ctx context.Context, in Inbound) <-chan error {
	done := make(chan error, 1)
	contact, err := core.NormalizeURN(in.Contact)
	if err != nil {
		done <- err
		return done
	}
	h := fnv.New32a()
	h.Write([]byte(contact))
	r.mu.RLock()
	defer r.mu.RUnlock()
	if r.closed {
		done <- ErrClosed
		return done
	}
	select {
	case r.shards[h.Sum32()%uint32(len(r.shards))] <- job{ctx: ctx, in: in, done: done}:
	case <-ctx.Done():
		done <- ctx.Err()
	}
	return done
}

// Handle submits a message and waits for its turn to be committed.
func (r *Router) Handle(ctx context.Context, in Inbound) error {
	select {
	case err := <-r.Submit(ctx, in):
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Close stops accepting messages and waits for queued ones to finish.
func (r *Router) Close() {
	r.mu.Lock()
	if !r.closed {
		r.closed = true
		for _, ch := range r.shards {
			close(ch)
		}
	}
	r.mu.Unlock()
	r.wg.Wait()
}
