package postgres

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/allmyleads/allmyleads/engine/core"
)

// A turn's transaction is run on a connection of its own, with BEGIN,
// COMMIT and ROLLBACK sent in its batches: a turn costs two round trips
// to the database and its fsync (one when LockContact already began it).

// heldTurn is a contact's lock held by LockContact: a connection of the
// turns pool in a transaction that holds the contact's advisory lock, in
// which the turn's Commit runs and commits.
type heldTurn struct {
	ck   string
	mu   sync.Mutex
	conn *pgxpool.Conn // nil once released
	open bool          // the transaction is still open
	// session is the contact's sealed session as read just after the lock
	// was taken, for the turn's first Session call (loaded: it was read).
	session []byte
	loaded  bool
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
	conn, err := s.turns.Acquire(ctx)
	if err != nil {
		return nil, nil, fmt.Errorf("lock contact %s: %w", short(ck), err)
	}
	h := &heldTurn{ck: ck, conn: conn, open: true}
	b := &pgx.Batch{}
	b.Queue(`BEGIN`)
	s.queueContactLock(b, ck)
	// The turn reads the session next: read it in the same round trip,
	// once the lock is held, so nothing can change it before the commit.
	b.Queue(`SELECT session FROM contacts WHERE ck = $1`, ck).Query(func(rows pgx.Rows) error {
		for rows.Next() {
			if err := rows.Scan(&h.session); err != nil {
				return err
			}
		}
		h.loaded = true
		return rows.Err()
	})
	if err := conn.SendBatch(ctx, b).Close(); err != nil {
		rollback(conn)
		conn.Release()
		return nil, nil, fmt.Errorf("lock contact %s: %w", short(ck), err)
	}
	var once sync.Once
	return context.WithValue(ctx, heldKey{}, h), func() { once.Do(h.release) }, nil
}

var _ core.ContactLocker = (*Store)(nil)

// queueContactLock queues taking the contact's advisory lock until the
// transaction ends.
func (s *Store) queueContactLock(b *pgx.Batch, ck string) {
	b.Queue(`SELECT pg_advisory_xact_lock($1, $2)`, s.lockNS, lockKey(lockContact, ck))
}

// rollback ends a transaction a connection may be in; a connection that
// cannot is closed by the pool when released.
func rollback(conn *pgxpool.Conn) {
	_, _ = conn.Exec(context.Background(), `ROLLBACK`)
}

// heldTurnOf returns the contact's lock the context carries, or nil.
func heldTurnOf(ctx context.Context, ck string) *heldTurn {
	h, _ := ctx.Value(heldKey{}).(*heldTurn)
	if h == nil || h.ck != ck {
		return nil
	}
	return h
}

// takeSession returns the session read with the lock, once: later reads
// (after a commit under the lock) go to the database.
func (h *heldTurn) takeSession() (raw []byte, ok bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if !h.loaded || !h.open {
		return nil, false
	}
	h.loaded = false
	return h.session, true
}

// commit runs fn, which ends with COMMIT, in the held transaction; the
// lock goes with the commit. When the hold is spent (a second commit under
// one lock), it says so and the caller takes the lock again.
func (h *heldTurn) commit(fn func(tx dbtx) error) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	if !h.open {
		return errHoldSpent
	}
	h.open = false
	if err := fn(h.conn); err != nil {
		rollback(h.conn)
		return err
	}
	return nil
}

var errHoldSpent = errors.New("the contact's lock was spent by an earlier commit")

// release rolls back the held transaction if no commit ended it, and
// gives the connection back.
func (h *heldTurn) release() {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.conn == nil {
		return
	}
	if h.open {
		rollback(h.conn)
		h.open = false
	}
	h.conn.Release()
	h.conn = nil
}
