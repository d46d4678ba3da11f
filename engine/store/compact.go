package store

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	bolt "go.etcd.io/bbolt"
)

// Compact rewrites the database file with its live records only, so no
// free page holds a copy of anything deleted or sealed under an old key:
// a copy is written beside the file from one read transaction and renamed
// over it, then opened in its place. Every other operation waits while it
// runs (it needs about the file's size again on disk). A crash leaves
// either the old file or the new one, both whole.
func (s *Store) Compact(ctx context.Context, actor string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	before := fileSize(s.path)
	if err := s.compactLocked(); err != nil {
		return fmt.Errorf("compact: %w", err)
	}
	s.log.Info("database compacted", "actor", actor, "bytes_before", before, "bytes_after", fileSize(s.path))
	return nil
}

func fileSize(path string) int64 {
	fi, err := os.Stat(path)
	if err != nil {
		return 0
	}
	return fi.Size()
}

// compactLocked compacts the file; the caller holds s.mu for writing.
func (s *Store) compactLocked() error {
	s.group.stop()
	tmp := filepath.Join(filepath.Dir(s.path), "."+filepath.Base(s.path)+".compact")
	os.Remove(tmp)
	err := func() error {
		dst, err := bolt.Open(tmp, 0o600, &bolt.Options{Timeout: time.Second, NoSync: true})
		if err != nil {
			return err
		}
		err = s.db.View(func(src *bolt.Tx) error {
			return dst.Update(func(out *bolt.Tx) error {
				return src.ForEach(func(name []byte, b *bolt.Bucket) error {
					nb, err := out.CreateBucket(name)
					if err != nil {
						return err
					}
					return copyBucket(b, nb)
				})
			})
		})
		if err == nil {
			err = dst.Sync()
		}
		if cerr := dst.Close(); err == nil {
			err = cerr
		}
		return err
	}()
	if err != nil {
		os.Remove(tmp)
		s.group = startGroupCommit(s.db)
		return err
	}
	noSync := s.db.NoSync
	if err := s.db.Close(); err != nil {
		os.Remove(tmp)
		return err
	}
	if err := os.Rename(tmp, s.path); err != nil {
		return s.reopenAfter(noSync, err)
	}
	syncDirOf(s.path)
	return s.reopenAfter(noSync, nil)
}

// reopenAfter opens the file again after a compaction and restarts the
// writer; cause is the compaction's error, returned when the file opens.
func (s *Store) reopenAfter(noSync bool, cause error) error {
	db, err := bolt.Open(s.path, 0o600, &bolt.Options{Timeout: time.Second, InitialMmapSize: 1 << 30})
	if err != nil {
		return fmt.Errorf("reopen after compaction: %w", err)
	}
	db.NoSync = noSync
	s.db = db
	s.group = startGroupCommit(db)
	return cause
}

func syncDirOf(path string) {
	if d, err := os.Open(filepath.Dir(path)); err == nil {
		d.Sync()
		d.Close()
	}
}
