package store

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/allmyleads/allmyleads/engine/core"
)

// Backup writes a consistent copy of the database to w while writes go on,
// and returns the bytes written. The copy is compacted from one read
// transaction into a temporary file beside the database and then written
// with bbolt's Tx.WriteTo, so it holds only live records: nothing erased
// before the backup, not even in free pages. The copy is sealed like the
// database and opens with the same key: it carries the key store (sealed
// under the master key) in its meta bucket, and its first open puts it
// beside the file and compacts it away.
func (s *Store) Backup(ctx context.Context, w io.Writer) (int64, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	embedded, err := s.ring.kek.Encode(s.master)
	if err != nil {
		return 0, fmt.Errorf("backup: %w", err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(s.path), ".backup-*.db")
	if err != nil {
		return 0, fmt.Errorf("backup: %w", err)
	}
	tmpPath := tmp.Name()
	tmp.Close()
	defer os.Remove(tmpPath)
	dst, err := bolt.Open(tmpPath, 0o600, &bolt.Options{Timeout: time.Second, NoSync: true})
	if err != nil {
		return 0, fmt.Errorf("backup: %w", err)
	}
	defer dst.Close()
	// Copy inside one read transaction of the live database and commit the
	// copy before that transaction ends: bbolt keeps put values by
	// reference until commit, and bolt.Compact commits after its read
	// transaction closed, when a concurrent writer may reuse those pages.
	err = s.db.View(func(src *bolt.Tx) error {
		return dst.Update(func(out *bolt.Tx) error {
			return src.ForEach(func(name []byte, b *bolt.Bucket) error {
				nb, err := out.CreateBucket(name)
				if err != nil {
					return err
				}
				if err := copyBucket(b, nb); err != nil {
					return err
				}
				if string(name) == string(bMeta) {
					return nb.Put(metaEmbeddedKeys, embedded)
				}
				return nil
			})
		})
	})
	if err != nil {
		return 0, fmt.Errorf("backup: copy records: %w", err)
	}
	var n int64
	err = dst.View(func(tx *bolt.Tx) error {
		var err error
		n, err = tx.WriteTo(w)
		return err
	})
	if err != nil {
		return n, fmt.Errorf("backup: write: %w", err)
	}
	return n, nil
}

// copyBucket copies every key and nested bucket of src into dst.
func copyBucket(src, dst *bolt.Bucket) error {
	if err := dst.SetSequence(src.Sequence()); err != nil {
		return err
	}
	return src.ForEach(func(k, v []byte) error {
		if v != nil {
			return dst.Put(k, v)
		}
		nb, err := dst.CreateBucket(k)
		if err != nil {
			return err
		}
		return copyBucket(src.Bucket(k), nb)
	})
}

// BackupFile writes a backup to path (mode 0600) through a temporary file
// renamed into place, so path is never a partial copy, and audits it.
func (s *Store) BackupFile(ctx context.Context, path, actor string) (int64, error) {
	if abs, err := filepath.Abs(path); err == nil {
		if self, err := filepath.Abs(s.path); err == nil && abs == self {
			return 0, fmt.Errorf("backup: %s is the database itself", path)
		}
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return 0, fmt.Errorf("backup: %w", err)
	}
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return 0, fmt.Errorf("backup: %w", err)
	}
	defer os.Remove(f.Name())
	if err := f.Chmod(0o600); err != nil {
		f.Close()
		return 0, fmt.Errorf("backup: %w", err)
	}
	n, err := s.Backup(ctx, f)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return 0, err
	}
	if err := os.Rename(f.Name(), path); err != nil {
		return 0, fmt.Errorf("backup: %w", err)
	}
	if err := s.Audit(ctx, auditEntry(s.now(), actor, "backup", "", fmt.Sprintf("%d bytes to %s", n, filepath.Base(path)))); err != nil {
		return n, err
	}
	return n, nil
}

// auditEntry makes an audit entry.
func auditEntry(at time.Time, actor, action, contact, detail string) core.AuditEntry {
	return core.AuditEntry{Time: at, Actor: actor, Action: action, Contact: contact, Detail: detail}
}
