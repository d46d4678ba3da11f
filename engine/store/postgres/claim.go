package postgres

import (
	"context"
	"slices"

	"github.com/jackc/pgx/v5"
)

// Claims. A process takes inbox payloads and outbox messages by writing
// its id into claimed_by; a claim counts while the process's lease runs.
// Rows are picked with FOR UPDATE SKIP LOCKED, so claimers never wait for
// one another's rows, and each row belongs to lanes (the contacts it is
// about): a row is taken only when every earlier row of its lanes is this
// process's already or taken in the same pass, so one contact's payloads
// and messages are handled in order across processes. A pass holds a
// transaction-scoped advisory lock on each lane it takes rows of (tried,
// never waited for: a lane another pass holds is left for later), which
// makes the check and the claim one step.

// claimRow is a row a claim pass considers.
type claimRow struct {
	id        int64
	lanes     []string
	owner     *string // claimed_by
	candidate bool    // locked by this pass: unclaimed, this process's, or a dead process's
	due       bool    // an outbox message whose backoff has passed (always true for the inbox)
}

// livenessSQL is the condition of a row this process may take.
const livenessSQL = `(claimed_by IS NULL OR claimed_by = $1 OR claimed_by NOT IN (SELECT id FROM processes WHERE lease_until > now()))`

// walkClaims decides which rows a pass returns, in id order: rows (every
// row of the lanes involved up to the last candidate, candidates marked)
// and the lanes this pass could lock. It returns the ids to return and,
// of those, the ones to claim now.
func walkClaims(me string, rows []claimRow, locked map[string]bool, limit int) (take, claim []int64) {
	slices.SortFunc(rows, func(a, b claimRow) int {
		switch {
		case a.id < b.id:
			return -1
		case a.id > b.id:
			return 1
		}
		return 0
	})
	blocked := map[string]bool{}
	held := func(lanes []string) bool { // an earlier row of a lane is not ours
		for _, l := range lanes {
			if blocked[l] {
				return true
			}
		}
		return false
	}
	unlocked := func(lanes []string) bool { // another pass holds a lane
		for _, l := range lanes {
			if !locked[l] {
				return true
			}
		}
		return false
	}
	block := func(lanes []string) {
		for _, l := range lanes {
			blocked[l] = true
		}
	}
	var last int64 = -1
	for _, r := range rows {
		if r.id == last {
			continue
		}
		last = r.id
		mine := r.owner != nil && *r.owner == me
		switch {
		case mine && !r.candidate:
			// Ours, in a write of this process (its send being recorded):
			// it holds nothing back.
			if !r.due {
				block(r.lanes)
			}
		case !r.candidate:
			block(r.lanes) // another live process's, or in another pass
		case held(r.lanes) || (!mine && unlocked(r.lanes)):
			block(r.lanes)
		case !r.due:
			block(r.lanes) // waits for its retry: the contact's later ones wait too
		case len(take) < limit:
			take = append(take, r.id)
			if !mine {
				claim = append(claim, r.id)
			}
		default:
			block(r.lanes)
		}
	}
	return take, claim
}

// lockLanesSQL is the statement that waits for the advisory lock of each lane (of a kind), in key
// order so two writers never wait for each other in a circle.
func lockLanesSQL(ns int32, kind string, lanes []string) (string, []any) {
	keys := make([]int32, 0, len(lanes))
	for _, l := range lanes {
		keys = append(keys, lockKey(kind, l))
	}
	slices.Sort(keys)
	keys = slices.Compact(keys)
	return `SELECT pg_advisory_xact_lock($1, k) FROM unnest($2::int4[]) AS k`, []any{ns, keys}
}

// claimQuery is one table's claim pass: candidates locks and reads the
// first rows this process may take (scanned by scan, which keeps what it
// needs to return them), laneRows reads every row of some lanes up to an
// id, claim marks rows this process's.
type claimQuery struct {
	kind       string // the lanes' advisory lock kind
	candidates string
	args       []any
	scan       func(pgx.Rows) (claimRow, error)
	laneRows   string // $1 the lanes, $2 the last candidate's id, then laneArgs
	laneArgs   []any
	claim      string // $1 this process, $2 the ids
}

// claimPass runs a claim pass in three round trips: begin and read the
// candidates; try the lanes' locks and read the lanes' other rows; claim
// and commit. Its commit need not wait for the disk (see lazyBatch): a
// claim lost in a crash of the database only lets another process take
// the work. It returns the ids to hand out, in order.
func (s *Store) claimPass(ctx context.Context, q claimQuery, limit int) ([]int64, error) {
	conn, err := s.pool.Acquire(ctx)
	if err != nil {
		return nil, err
	}
	defer conn.Release()
	take, err := s.claimOn(ctx, conn, q, limit)
	if err != nil {
		rollback(conn)
	}
	return take, err
}

func (s *Store) claimOn(ctx context.Context, conn dbtx, q claimQuery, limit int) ([]int64, error) {
	var rows []claimRow
	var lanes []string
	var maxID int64
	b := lazyBatch()
	b.Queue(q.candidates, q.args...).Query(func(rs pgx.Rows) error {
		for rs.Next() {
			r, err := q.scan(rs)
			if err != nil {
				return err
			}
			r.candidate = true
			if r.owner == nil || *r.owner != s.id {
				lanes = append(lanes, r.lanes...)
			}
			maxID = max(maxID, r.id)
			rows = append(rows, r)
		}
		return rs.Err()
	})
	if err := conn.SendBatch(ctx, b).Close(); err != nil {
		return nil, err
	}
	locked := map[string]bool{}
	if len(lanes) > 0 {
		slices.Sort(lanes)
		lanes = slices.Compact(lanes)
		keys := make([]int32, len(lanes))
		for i, l := range lanes {
			keys[i] = lockKey(q.kind, l)
		}
		got := map[int32]bool{}
		cand := map[int64]bool{}
		for _, r := range rows {
			cand[r.id] = true
		}
		b = &pgx.Batch{}
		b.Queue(`SELECT k, pg_try_advisory_xact_lock($1, k) FROM unnest($2::int4[]) AS k`, s.lockNS, keys).Query(func(rs pgx.Rows) error {
			for rs.Next() {
				var k int32
				var ok bool
				if err := rs.Scan(&k, &ok); err != nil {
					return err
				}
				got[k] = ok
			}
			return rs.Err()
		})
		b.Queue(q.laneRows, append([]any{lanes, maxID}, q.laneArgs...)...).Query(func(rs pgx.Rows) error {
			for rs.Next() {
				var r claimRow
				if err := rs.Scan(&r.id, &r.lanes, &r.owner, &r.due); err != nil {
					return err
				}
				if !cand[r.id] {
					rows = append(rows, r)
				}
			}
			return rs.Err()
		})
		if err := conn.SendBatch(ctx, b).Close(); err != nil {
			return nil, err
		}
		for i, l := range lanes {
			if got[keys[i]] {
				locked[l] = true
			}
		}
	}
	take, claim := walkClaims(s.id, rows, locked, limit)
	b = &pgx.Batch{}
	if len(claim) > 0 {
		b.Queue(q.claim, s.id, claim)
	}
	b.Queue(`COMMIT`)
	return take, conn.SendBatch(ctx, b).Close()
}
