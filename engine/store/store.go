// Package store keeps all of AllMyLeads' state in one bbolt file: sessions,
// the exactly-once bookkeeping of inbound ids, the inbox of raw webhook
// payloads, the outbox, media, and the business's records (contacts,
// projects, quotes with their revisions, consents, opt events, the message
// log, AI processing records, the audit log), with the privacy operations
// the policy promises (export, correction, erasure, retention, rekey,
// backup).
//
// Everything personal is sealed at rest with AES-256-GCM: every value is a
// version byte and a reference to its key followed by the nonce and
// ciphertext of its body, with the bucket and key as additional data so
// values cannot be swapped between records. Each contact's records are
// sealed under the contact's own data key, so an erasure destroys the key
// rather than trust that every copy of the records is gone (shred.go,
// subjects.go; the key hierarchy is package sealing). Contacts are keyed by a keyed hash of their phone number
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
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"time"

	bolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"

	"github.com/allmyleads/allmyleads/engine/core"
	"github.com/allmyleads/allmyleads/engine/store/seal"
	"github.com/allmyleads/allmyleads/engine/store/sealing"
)

// ErrWrongKey is returned by Open when the key does not open the database.
var ErrWrongKey = seal.ErrWrongKey

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

	// mu guards ring and db: every operation holds it for reading while it
	// seals, opens or hashes; erasure, retention, Rekey and Compact hold it
	// for writing (they destroy keys, swap the keys or the file).
	mu     sync.RWMutex
	ring   *keyring
	master []byte // to seal the key store file

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
		bNotes, bTokens, bOwner, bLeadPending, bInboxTries, bOutboxFlight, bTimers, bTimerOwners, bNoticeFails, bFunnel, bFunnelMarks,
		bPayments}
}

// formatName is the database format this code writes; formatPhones, the
// format before contacts were URNs, and formatURNs, the format before each
// contact had its own data key, are migrated on open (migrate.go).
const formatName = "allmyleads-store/3"

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
	s := &Store{db: db, path: opts.Path, master: append([]byte(nil), opts.Key...), clock: opts.Clock, log: opts.Logger, noSeal: opts.NoSeal, seqs: &sequences{}}
	if s.clock == nil {
		s.clock = time.Now
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	compact, err := s.init(opts.Key)
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("open store %s: %w", opts.Path, err)
	}
	s.group = startGroupCommit(db)
	if compact {
		if err := s.Compact(context.Background(), "system"); err != nil {
			s.Close()
			return nil, fmt.Errorf("open store %s: %w", opts.Path, err)
		}
	}
	s.startLeadIndexer()
	return s, nil
}

// init creates the buckets, the key check and the key store on a new
// file; on an existing one it verifies the key, finds the key store the
// file belongs with, and migrates an older format (format 1 and 2 sealed
// everything under the master key; format 3 seals each contact's records
// under the contact's data key). It reports whether the file must be
// compacted now (after a migration, or a backup's first open), so no free
// page keeps what the old format sealed.
func (s *Store) init(master []byte) (compact bool, err error) {
	var staged *sealing.KeySet
	err = s.db.Update(func(tx *bolt.Tx) error {
		staged, compact = nil, false
		for _, name := range append(allBuckets(), bDataKeys) {
			if _, err := tx.CreateBucketIfNotExists(name); err != nil {
				return fmt.Errorf("create bucket %s: %w", name, err)
			}
		}
		s.seqs.msgs.Store(tx.Bucket(bMessages).Sequence())
		s.seqs.outbox.Store(tx.Bucket(bOutbox).Sequence())
		meta := tx.Bucket(bMeta)
		format := string(meta.Get([]byte("format")))
		if format != "" && format != formatName && format != formatPhones && format != formatURNs {
			return fmt.Errorf("unknown database format %q (want %q)", format, formatName)
		}
		salt := meta.Get([]byte("salt"))
		ring, err := newKeyring(master, salt, s.noSeal)
		if err != nil {
			return err
		}
		ring.load = s.loadDataKey
		if salt == nil {
			if err := ring.fresh(); err != nil {
				return err
			}
			if err := s.keyFile().Stage(master, ring.kek); err != nil {
				return err
			}
			staged = ring.kek
			s.ring = ring
			if err := writeKeyMeta(meta, ring); err != nil {
				return err
			}
			return meta.Put(metaLeadIndex, []byte(leadIndexVersion))
		}
		if err := ring.verify(meta.Get([]byte("check"))); err != nil {
			return err
		}
		if format == formatName {
			if staged, compact, err = s.openKeyStore(meta, ring, master); err != nil {
				return err
			}
			s.ring = ring
		} else {
			if s.ring, err = migrateToShredding(tx, ring, format, s.log); err != nil {
				return err
			}
			if err := s.keyFile().Stage(master, s.ring.kek); err != nil {
				return err
			}
			staged, compact = s.ring.kek, true
		}
		return ensureLeadIndex(tx, s.ring.bind(tx), s.now())
	})
	if err != nil {
		if staged != nil {
			s.keyFile().Abort()
		}
		return false, err
	}
	if staged != nil {
		if err := s.keyFile().Commit(); err != nil {
			return false, err
		}
	}
	return compact, nil
}

// fresh gives a new ring its seen key and key store.
func (r *keyring) fresh() error {
	var err error
	if r.seenSecret, err = newSeenKey(); err != nil {
		return err
	}
	r.kek, err = sealing.NewKeySet()
	return err
}

// openKeyStore loads the key store a format-3 file belongs with, and its
// seen key, into ring. A backup carries its key store in meta: the first
// open writes it beside the file, removes it from meta and asks for a
// compaction, and returns it staged (for init to commit).
func (s *Store) openKeyStore(meta *bolt.Bucket, ring *keyring, master []byte) (*sealing.KeySet, bool, error) {
	sk := meta.Get(metaSeenKey)
	if sk == nil {
		return nil, false, errors.New("seen key missing")
	}
	seen, err := ring.bind(nil).open(string(bMeta), metaSeenKey, sk)
	if err != nil {
		return nil, false, fmt.Errorf("seen key: %w", err)
	}
	ring.seenSecret = seen
	var want [16]byte
	copy(want[:], meta.Get(metaKeyStore))
	kek, err := s.keyFile().Load(master, want)
	if err == nil {
		ring.kek = kek
		return nil, false, nil
	}
	embedded := meta.Get(metaEmbeddedKeys)
	if !errors.Is(err, fs.ErrNotExist) || embedded == nil {
		return nil, false, fmt.Errorf("%w (the key store is made beside the database and must be kept, and backed up, with it; a backup made by allmyleads backup carries its own)", err)
	}
	kek, err = sealing.DecodeKeySet(master, embedded)
	if err != nil || kek.ID != want {
		return nil, false, fmt.Errorf("the key store this backup carries does not open: %v", err)
	}
	if err := s.keyFile().Stage(master, kek); err != nil {
		return nil, false, err
	}
	if err := meta.Delete(metaEmbeddedKeys); err != nil {
		s.keyFile().Abort()
		return nil, false, err
	}
	ring.kek = kek
	s.log.Info("key store restored from the backup beside the database", "path", s.keyFile().Path)
	return kek, true, nil
}

// writeKeyMeta stores the format, the ring's salt, a key check, the seen
// key and the id of its key store.
func writeKeyMeta(meta *bolt.Bucket, r *keyring) error {
	if err := meta.Put([]byte("format"), []byte(formatName)); err != nil {
		return err
	}
	if err := meta.Put([]byte("salt"), r.salt); err != nil {
		return err
	}
	if err := meta.Put([]byte("check"), r.checkValue()); err != nil {
		return err
	}
	sealed := sealing.Seal(r.aead, sealing.Business(), additional(string(bMeta), metaSeenKey), r.seenSecret)
	if err := meta.Put(metaSeenKey, sealed); err != nil {
		return err
	}
	return meta.Put(metaKeyStore, r.kek.ID[:])
}

// Close finishes the writes in flight and closes the database file. Calls
// after Close fail.
func (s *Store) Close() error {
	s.stopLeadIndexer() // before the lock: a fold in flight holds it for reading
	s.mu.Lock()
	defer s.mu.Unlock()
	s.group.stop()
	return s.db.Close()
}

// Path returns the database file's path.
func (s *Store) Path() string { return s.path }

// Ping checks that the database is open and readable, for /readyz.
func (s *Store) Ping() error {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.db.View(func(tx *bolt.Tx) error {
		if tx.Bucket(bMeta) == nil {
			return errors.New("store: meta bucket missing")
		}
		return nil
	})
}

// withKeys runs fn with the current keys, not bound to a transaction
// (bind them with ks.in(tx)), holding s.mu for reading.
func (s *Store) withKeys(fn func(ks *keyset) error) error {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return fn(s.ring.unbound())
}

// now returns the store clock's time.
func (s *Store) now() time.Time { return s.clock() }
