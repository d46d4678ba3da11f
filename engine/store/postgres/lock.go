package postgres

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/jackc/pgx/v5"

	"github.com/allmyleads/allmyleads/engine/core"
)

// heldTurn is a contact's lock held by LockContact: a transaction on the
// turns pool that holds the contact's advisory lock, in which the turn's
// Commit runs and commits. The engine runs one turn of a contact at a time
// in a process, so one heldTurn per contact key is enough.
type heldTurn struct {
	mu sync.Mutex
	tx pgx.Tx // nil once committed or rolled back
}

// LockContact takes the contact's lock across every process sharing the
// database: a transaction-scoped advisory lock, held until the turn
// commits in that transaction (Commit finds it) or unlock rolls it back.
// The engine holds it from loading the session to committing the turn.
// Other writes about the contact (an erasure, a correction) lock the
// contact's row instead, so they may run while it is held by their caller.
func (s *Store) LockContact(ctx context.Context, contact string) (func(), error) {
	ck := s.ks.ContactKey(contact)
	tx, err := s.turns.Begin(ctx)
	if err != nil {
		return nil, fmt.Errorf("lock contact %s: %w", short(ck), err)
	}
	if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1, $2)`, s.lockNS, lockKey(lockContact, ck)); err != nil {
		_ = tx.Rollback(context.WithoutCancel(ctx))
		return nil, fmt.Errorf("lock contact %s: %w", short(ck), err)
	}
	h := &heldTurn{tx: tx}
	if _, loaded := s.held.LoadOrStore(ck, h); loaded {
		// The caller broke the one-turn-per-contact rule: refuse rather
		// than let two turns share a transaction.
		_ = tx.Rollback(context.WithoutCancel(ctx))
		return nil, fmt.Errorf("lock contact %s: %w", short(ck), errAlreadyHeld)
	}
	var once sync.Once
	return func() {
		once.Do(func() {
			s.held.CompareAndDelete(ck, h)
			h.release()
		})
	}, nil
}

var errAlreadyHeld = errors.New("this process already holds the contact's lock")

var _ core.ContactLocker = (*Store)(nil)

// heldTurn returns the contact's held lock, or nil.
func (s *Store) heldTurn(ck string) *heldTurn {
	v, ok := s.held.Load(ck)
	if !ok {
		return nil
	}
	return v.(*heldTurn)
}

// commit runs fn in the held transaction and commits it; the lock goes
// with the commit. When the hold is spent (a second commit under one
// lock), fn runs in a new transaction that takes the lock again.
func (h *heldTurn) commit(ctx context.Context, fn func(context.Context, pgx.Tx) error) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	tx := h.tx
	if tx == nil {
		return errHoldSpent
	}
	h.tx = nil
	if err := fn(ctx, tx); err != nil {
		_ = tx.Rollback(context.WithoutCancel(ctx))
		return err
	}
	return tx.Commit(ctx)
}

var errHoldSpent = errors.New("the contact's lock was spent by an earlier commit")

// release rolls back the held transaction if no commit used it.
func (h *heldTurn) release() {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.tx != nil {
		_ = h.tx.Rollback(context.Background())
		h.tx = nil
	}
}
