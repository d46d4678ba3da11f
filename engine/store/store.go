// Package store keeps all of AllMyLeads' state in one bbolt file: sessions,
// the exactly-once bookkeeping of inbound ids, the inbox of raw webhook
// payloads, the outbox, media, and the business's records (contacts,
// projects, quotes with their revisions, consents, opt events, the message
// log, AI processing records, the audit log), with the privacy operations
// the policy promises (export, correction, erasure, retention, rekey,
// backup).
//
// Everything personal is sealed at rest with AES-256-GCM: every value is a
// version byte followed by the nonce and ciphertext of its body, with the
// bucket and key as additional data so values cannot be swapped between
// records. Contacts are keyed by a keyed hash of their phone number
// (ContactKey), message and provider ids by keyed hashes too, so the file
// holds no phone number, name, email or message text in the clear.
//
// The package implements core.Store, core.Outbox, core.Inbox and
// core.Retention (and core.Rights through ChatRights) and core.Timers (the
// due-time index of the sessions' timers, timers.go), passes the
// conformance suite in engine/store/storetest, and imports engine/core for
// its types only. It must not import flows, plugins or
// channels, and nothing outside it may assume bbolt.
package store

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"time"

	bolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"

	"github.com/allmyleads/allmyleads/engine/core"
)

// ErrWrongKey is returned by Open when the key does not open the database.
var ErrWrongKey = errors.New("the encryption key does not open this database")

// ErrLocked is returned by Open when another process holds the database.
var ErrLocked = errors.New("database is in use by another process")

// Options configures Open.
type Options struct {
	Path   string           // bbolt file; parent folders are created (0700)
	Key    []byte           // 32-byte AES-256 master key; required (see LoadOrCreateKey)
	Clock  func() time.Time // nil means time.Now
	Logger *slog.Logger     // nil discards
	NoSync bool             // skip fsync on commit: benchmarks and throwaway stores only
	NoSeal bool             // store plaintext: benchmarks only, to measure the cost of encryption
	// LockTimeout is how long Open waits for another process's lock on the
	// file before it fails with ErrLocked; 0 means one second.
	LockTimeout time.Duration
}

// Store is the bbolt implementation of the engine's Store, Outbox and Inbox.
// It is safe for concurrent use.
type Store struct {
	db     *bolt.DB
	path   string
	clock  func() time.Time
	log    *slog.Logger
	noSeal bool

	// mu guards keys: every operation holds it for reading while it seals,
	// opens or hashes; Rekey holds it for writing while it swaps them.
	mu   sync.RWMutex
	keys *keyset

	group  *groupCommit
	seqs   *sequences
	leads  *leadIndexer // folds turns' notes into the console's lead rows
	claims timerClaims  // this process's claims on due timers (timers.go)
}

var (
	_ core.Store     = (*Store)(nil)
	_ core.Outbox    = (*Store)(nil)
	_ core.Inbox     = (*Store)(nil)
	_ core.Retention = (*Store)(nil)
)

// Bucket names. Keys are described beside each; "ck" is a ContactKey.
var (
	bMeta        = []byte("meta")         // format, salt, check
	bSeen        = []byte("seen")         // H(channel, id) -> {channel, id, time}
	bSessions    = []byte("sessions")     // ck -> Session
	bContacts    = []byte("contacts")     // ck -> Contact
	bLastIn      = []byte("last_inbound") // ck -> {contact, time}
	bProjects    = []byte("projects")     // ck/projectID -> Project
	bQuotes      = []byte("quotes")       // quoteID -> QuoteRecord
	bQuoteRevs   = []byte("quote_revs")   // quoteID/revision -> QuoteRecord (earlier versions)
	bQuoteIndex  = []byte("quote_index")  // ck/quoteID -> {contact}
	bConsents    = []byte("consents")     // ck/consentID -> ConsentRecord
	bOptEvents   = []byte("opt_events")   // ck/time/seq -> OptEvent
	bAI          = []byte("ai")           // ck/time/seq -> AIRecord
	bMessages    = []byte("messages")     // ck/time/seq -> Message
	bProvider    = []byte("provider_ids") // H(provider id) -> {provider id, message key}
	bMedia       = []byte("media")        // sha256 hex -> media (meta + bytes)
	bMediaOwners = []byte("media_owners") // sha256/ck -> {contact}
	bOutbox      = []byte("outbox")       // sub-bucket per channel: seq -> OutboxItem
	bInbox       = []byte("inbox")        // seq -> InboxItem
	bAudit       = []byte("audit")        // time/seq -> AuditEntry
	bOnce        = []byte("once")         // ck/key -> when a Once turn of that key was last committed
	// bTimers and bTimerOwners are described in timers.go.
)

func allBuckets() [][]byte {
	return [][]byte{bMeta, bSeen, bSessions, bContacts, bLastIn, bProjects, bQuotes, bQuoteRevs,
		bQuoteIndex, bConsents, bOptEvents, bAI, bMessages, bProvider, bMedia, bMediaOwners,
		bOutbox, bInbox, bAudit, bOnce, bLeadRows, bLeadTime, bLeadStage, bLeadTab, bLeadStats,
		bNotes, bTokens, bOwner, bLeadPending, bInboxTries, bOutboxFlight, bTimers, bTimerOwners, bNoticeFails, bFunnel, bFunnelMarks}
}

// formatName is the database format this code writes; formatPhones, the
// format before contacts were URNs, is migrated on open (migrate.go).
const formatName = "allmyleads-store/2"

// Open opens (or creates) the database at opts.Path. It fails with
// ErrWrongKey when the key does not open an existing file and with ErrLocked
// when another process holds it.
func Open(opts Options) (*Store, error) {
	if opts.Path == "" {
		return nil, errors.New("open store: no path")
	}
	if len(opts.Key) != KeySize {
		return nil, fmt.Errorf("open store %s: key must be %d bytes, got %d", opts.Path, KeySize, len(opts.Key))
	}
	if err := os.MkdirAll(filepath.Dir(opts.Path), 0o700); err != nil {
		return nil, fmt.Errorf("open store: %w", err)
	}
	timeout := opts.LockTimeout
	if timeout <= 0 {
		timeout = time.Second
	}
	// A large initial mapping (address space, not memory) spares writers
	// from waiting for long reads (a backup) when the file grows.
	db, err := bolt.Open(opts.Path, 0o600, &bolt.Options{Timeout: timeout, InitialMmapSize: 1 << 30})
	if err != nil {
		if errors.Is(err, berrors.ErrTimeout) {
			return nil, fmt.Errorf("open store %s: %w (stop the other allmyleads process first)", opts.Path, ErrLocked)
		}
		return nil, fmt.Errorf("open store %s: %w", opts.Path, err)
	}
	db.NoSync = opts.NoSync
	s := &Store{db: db, path: opts.Path, clock: opts.Clock, log: opts.Logger, noSeal: opts.NoSeal, seqs: &sequences{}}
	if s.clock == nil {
		s.clock = time.Now
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if err := s.init(opts.Key); err != nil {
		db.Close()
		return nil, fmt.Errorf("open store %s: %w", opts.Path, err)
	}
	s.group = startGroupCommit(db)
	s.startLeadIndexer()
	return s, nil
}

// init creates the buckets and the key check on a new file, or verifies the
// key on an existing one.
func (s *Store) init(master []byte) error {
	return s.db.Update(func(tx *bolt.Tx) error {
		for _, name := range allBuckets() {
			if _, err := tx.CreateBucketIfNotExists(name); err != nil {
				return fmt.Errorf("create bucket %s: %w", name, err)
			}
		}
		s.seqs.msgs.Store(tx.Bucket(bMessages).Sequence())
		s.seqs.outbox.Store(tx.Bucket(bOutbox).Sequence())
		meta := tx.Bucket(bMeta)
		format := string(meta.Get([]byte("format")))
		if format != "" && format != formatName && format != formatPhones {
			return fmt.Errorf("unknown database format %q (want %q)", format, formatName)
		}
		salt := meta.Get([]byte("salt"))
		if salt == nil {
			ks, err := newKeyset(master, nil, s.noSeal)
			if err != nil {
				return err
			}
			if err := writeKeyMeta(meta, ks); err != nil {
				return err
			}
			s.keys = ks
			return meta.Put(metaLeadIndex, []byte(leadIndexVersion))
		}
		ks, err := newKeyset(master, salt, s.noSeal)
		if err != nil {
			return err
		}
		if err := ks.verify(meta.Get([]byte("check"))); err != nil {
			return err
		}
		s.keys = ks
		if format == formatPhones {
			if err := migrateToURNs(tx, ks, s.log); err != nil {
				return err
			}
		}
		return ensureLeadIndex(tx, ks, s.now())
	})
}

// writeKeyMeta stores the format, the keyset's salt and a key check.
func writeKeyMeta(meta *bolt.Bucket, ks *keyset) error {
	if err := meta.Put([]byte("format"), []byte(formatName)); err != nil {
		return err
	}
	if err := meta.Put([]byte("salt"), ks.salt); err != nil {
		return err
	}
	return meta.Put([]byte("check"), ks.checkValue())
}

// Close finishes the writes in flight and closes the database file. Calls
// after Close fail.
func (s *Store) Close() error {
	s.stopLeadIndexer()
	s.group.stop()
	return s.db.Close()
}

// Path returns the database file's path.
func (s *Store) Path() string { return s.path }

// Ping checks that the database is open and readable, for /readyz.
func (s *Store) Ping() error {
	return s.db.View(func(tx *bolt.Tx) error {
		if tx.Bucket(bMeta) == nil {
			return errors.New("store: meta bucket missing")
		}
		return nil
	})
}

// keyset returns the current keys; callers hold s.mu for reading.
func (s *Store) withKeys(fn func(ks *keyset) error) error {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return fn(s.keys)
}

// now returns the store clock's time.
func (s *Store) now() time.Time { return s.clock() }
