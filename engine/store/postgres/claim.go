package postgres

import (
	"context"
	"slices"
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

// tryLanes tries the advisory lock of each lane (sorted, of a kind) in the
// transaction and returns the lanes it holds.
func (s *Store) tryLanes(ctx context.Context, tx dbtx, kind string, lanes []string) (map[string]bool, error) {
	locked := map[string]bool{}
	if len(lanes) == 0 {
		return locked, nil
	}
	slices.Sort(lanes)
	lanes = slices.Compact(lanes)
	keys := make([]int32, len(lanes))
	for i, l := range lanes {
		keys[i] = lockKey(kind, l)
	}
	rows, err := tx.Query(ctx, `SELECT k, pg_try_advisory_xact_lock($1, k) FROM unnest($2::int4[]) AS k`, s.lockNS, keys)
	if err != nil {
		return nil, err
	}
	got := map[int32]bool{}
	for rows.Next() {
		var k int32
		var ok bool
		if err := rows.Scan(&k, &ok); err != nil {
			rows.Close()
			return nil, err
		}
		got[k] = ok
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	for i, l := range lanes {
		if got[keys[i]] {
			locked[l] = true
		}
	}
	return locked, nil
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
