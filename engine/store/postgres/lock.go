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
// Commit runs and commits.
type heldTurn struct {
	ck string
	mu sync.Mutex
	tx pgx.Tx // nil once committed or rolled back
}

// heldKey is the context key of a held lock.
type heldKey struct{}

// LockContact takes the contact's lock across every process sharing the
// database: a transaction-scoped advisory lock, held until the turn
// commits in that transaction or unlock rolls it back. The returned
// context carries it: a Commit of the contact made with that context runs
// in the held transaction. The engine holds it from loading the session
// to committing the turn. A Commit of the contact without it (another
// goroutine's) waits for the lock like another process's; other writes
// about the contact (an erasure, a correction) lock the contact's row
// instead, so they may run while their caller holds it.
func (s *Store) LockContact(ctx context.Context, contact string) (context.Context, func(), error) {
	ck := s.ks.ContactKey(contact)
	tx, err := s.turns.Begin(ctx)
	if err != nil {
		return nil, nil, fmt.Errorf("lock contact %s: %w", short(ck), err)
	}
	if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1, $2)`, s.lockNS, lockKey(lockContact, ck)); err != nil {
		_ = tx.Rollback(context.WithoutCancel(ctx))
		return nil, nil, fmt.Errorf("lock contact %s: %w", short(ck), err)
	}
	h := &heldTurn{ck: ck, tx: tx}
	var once sync.Once
	return context.WithValue(ctx, heldKey{}, h), func() { once.Do(h.release) }, nil
}

var _ core.ContactLocker = (*Store)(nil)

// heldTurn returns the contact's lock the context carries, or nil.
func heldTurnOf(ctx context.Context, ck string) *heldTurn {
	h, _ := ctx.Value(heldKey{}).(*heldTurn)
	if h == nil || h.ck != ck {
		return nil
	}
	return h
}

// commit runs fn in the held transaction and commits it; the lock goes
// with the commit. When the hold is spent (a second commit under one
// lock), it says so and the caller takes the lock again.
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
