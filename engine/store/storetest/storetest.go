// Package storetest is the conformance suite every store passes unchanged:
// the bbolt store (engine/store) now, the Postgres store later. The suite,
// not each backend, owns the cases; a backend proves itself in one line of
// its own test:
//
//	func TestConformance(t *testing.T) { storetest.Run(t, storetest.Harness{Open: open}) }
//
// and the bbolt store's conformance runs with
//
//	go test -race ./engine/store/ -run TestConformance
//
// Each case is a subtest named for what it checks (Session, CommitRecords,
// ExactlyOnce, Seen, Media, Outbox/..., Delivery/..., Inbox/..., Erase,
// EraseTurn, EncryptionAtRest, Shredding, Retention/..., ConcurrentCommits,
// Notices/..., Timers/...), with its own store in a fresh folder:
// -run 'TestConformance/Outbox' runs a few.
//
// # What a backend must do to pass
//
//   - Implement Backend: core.Store, core.Outbox, core.Inbox, core.Rights
//     (the export and erasure the engine and the console use),
//     core.Retention, core.Timers and io.Closer, all safe for concurrent
//     use.
//   - Open(t, dir, now) opens the store kept under dir, empty the first
//     time, with now as its only clock (the outbox's backoff and the
//     times the store stamps read it; nothing may read the wall clock).
//     Opening the same dir again after Close gives back everything
//     committed, as a restarted process sees it; the suite closes every
//     store it opens. A backend whose data lives elsewhere (a Postgres
//     schema) derives its name from dir.
//   - Raw returns every byte the backend stored for dir (nil: every file
//     under dir), read after Close. No personal data may be in it in the
//     clear: not a customer's name, email, address, message text, phone
//     number, photo or the words of a consent, also after an erasure.
//   - Commit is exactly-once: a turn whose inbound (channel, id) was seen
//     returns an error that wraps core.ErrDuplicate and changes nothing,
//     also after a restart and when the same id is committed from several
//     goroutines at once (one wins). Seen ids survive an erasure.
//   - The outbox hands out a channel's items oldest first in commit order,
//     across restarts; an item in backoff (MarkRetry's notBefore not yet
//     passed on the store's clock) holds back its contact's later items,
//     not other contacts'. MarkSent and MarkFailed remove an item; an
//     unknown outbox id or provider id is core.ErrNotFound. Delivery
//     statuses only move forward (sent < delivered < read); failed is
//     recorded whenever it arrives, and a later delivered or read moves
//     the message on again (testdata/delivery.json).
//   - The inbox keeps a payload, byte for byte, until DoneInbox: one read
//     but not done before a crash is pending again after the restart.
//     DoneInbox of an id that is gone is not an error.
//   - Rights.Export returns the allmyleads-export/v1 document (its schema
//     is engine/store/export.schema.json): the suite reads records,
//     message statuses and attempts back through it. After Rights.Erase,
//     or a turn with Erase set, every section of it but format, generated,
//     urn, phone and audit is empty and no audit entry names the contact by
//     URN or number (a keyed hash may stand in); the contact's session,
//     queued messages and media are gone and no pending webhook payload
//     mentions them (an erasing turn's own outbound messages stay queued
//     until sent).
//   - Readable (when the harness has it) opens, with every key the store
//     was ever given, everything the store wrote for dir, old copies too.
//     After an erasure nothing of the customer opens there (the Shredding
//     case): a store destroys keys rather than trust that every copy of a
//     record is gone.
//   - RunRetention deletes per category as core.Retention says; a dry run
//     reports the same counts and changes nothing.
//   - Turn.Notices are queued like outbound messages but never logged in
//     the contact's transcript; an item with Notice.URL is held back per
//     contact and URL (Outbound.Lane), not across receivers; MarkFailed of
//     a notice keeps a core.FailedNotice (without body or URL query) for a
//     backend that implements core.NoticeLog. An Inbound with Echo set is
//     marked seen and logged as an outbound message, sent, with its id as
//     the provider id, and leaves the contact's last inbound time alone.
//     Turn.Steps count each contact once per step and kind (core.Funnel).
//   - Timers live in Session.Timers and the store indexes them by due time
//     (core.Timers): every Commit that saves a session makes the contact's
//     indexed timers exactly Session.Timers, in the same transaction, and
//     they survive a restart. A turn without a session and a duplicate
//     leave the index as it was; an erasing turn indexes none of its
//     session's timers. DueTimers lists the timers due at or before now,
//     earliest first across contacts (those due at the same instant in any
//     order), at most limit, each as committed (times as instants),
//     skipping those under a claim that lasts beyond now. ClaimTimer of an
//     indexed timer (its contact, id and due time) succeeds once: another
//     claim fails until the first ends, when the commit that removes the
//     timer from its session succeeds (set again, it can be claimed at
//     once) or at its until on the store's clock. Claiming a timer that is
//     not indexed reports false, not an error. Whether a claim outlives a
//     restart is the backend's choice. Erasure, and retention when it
//     removes a contact, remove the contact's timers; no timer or claim
//     keeps the contact's number in the clear.
//   - Media are keyed by the hex SHA-256 of their bytes, which Commit fills
//     in on the turn (ID, SHA256, Size), with the MIME type and file name.
//
// The suite imports engine/core and the standard library only, never a
// backend. It does not sleep and asserts no timings: every time comes from
// the clock it hands Open, and retention takes its time as an argument.
package storetest

import (
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/allmyleads/allmyleads/engine/core"
)

// Backend is everything the suite needs of a store: the contract's
// interfaces and Close. It is what Harness.Open returns.
type Backend interface {
	core.Store
	core.Outbox
	core.Inbox
	core.Rights
	core.Retention
	core.Timers
	io.Closer
}

// Harness tells the suite how to open a backend and read what it wrote.
type Harness struct {
	// Open opens the store kept under dir (a fresh temporary folder per
	// case), empty the first time, with now as its clock. Called again with
	// the same dir after Close, it reopens the same data. It fails the test
	// when the store does not open.
	Open func(t *testing.T, dir string, now func() time.Time) Backend

	// Raw returns every byte the store kept for dir, called after Close,
	// to scan for personal data in the clear. Nil reads every file under
	// dir, for a backend that keeps its data there.
	Raw func(t *testing.T, dir string) []byte

	// Readable returns the body of every value in what the store kept for
	// dir (called after Close) that opens with any key the store was
	// given: every page, row version or log record it wrote, live or not,
	// opened as someone holding its files and keys would. The Shredding
	// case checks an erasure leaves nothing of the customer in it. Nil
	// skips that case.
	Readable func(t *testing.T, dir string) [][]byte
}

// Run runs every case of the suite against the harness's backend, each in
// its own subtest with its own store.
func Run(t *testing.T, h Harness) {
	t.Helper()
	if h.Open == nil {
		t.Fatal("storetest: Harness.Open is nil")
	}
	if h.Raw == nil {
		h.Raw = DirBytes
	}
	runCases(t, h, cases)
}

// suiteCase is one case of the suite: a subtest with its own store.
type suiteCase struct {
	name string
	run  func(*testing.T, Harness)
}

// runCases runs each case as a subtest.
func runCases(t *testing.T, h Harness, cs []suiteCase) {
	t.Helper()
	for _, c := range cs {
		t.Run(c.name, func(t *testing.T) { c.run(t, h) })
	}
}

// cases is the suite, in the order it runs.
var cases = []suiteCase{
	{"Session", testSession},
	{"CommitRecords", testCommitRecords},
	{"ExactlyOnce", testExactlyOnce},
	{"Seen", testSeen},
	{"Media", testMedia},
	{"Outbox", testOutbox},
	{"Delivery", testDelivery},
	{"Inbox", testInbox},
	{"Erase", testErase},
	{"EraseTurn", testEraseTurn},
	{"EncryptionAtRest", testEncryptionAtRest},
	{"Shredding", testShredding},
	{"Retention", testRetention},
	{"ConcurrentCommits", testConcurrentCommits},
	{"Notices", testNotices},
	{"Timers", testTimers},
}

// DirBytes returns the contents of every file under dir, for Harness.Raw
// of a backend that keeps its data in files there.
func DirBytes(t *testing.T, dir string) []byte {
	t.Helper()
	var all []byte
	err := filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(path)
		all = append(all, b...)
		return err
	})
	if err != nil {
		t.Fatalf("storetest: read the files under %s: %v", dir, err)
	}
	return all
}
