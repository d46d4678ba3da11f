package store

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/allmyleads/allmyleads/engine/core"
)

type retentionCase struct {
	Name      string          `json:"name"`
	AfterDays int             `json:"after_days"`
	Want      RetentionReport `json:"want"`
}

func TestRetentionPerCategory(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join("testdata", "retention.json"))
	if err != nil {
		t.Fatal(err)
	}
	var cases []retentionCase
	if err := json.Unmarshal(raw, &cases); err != nil {
		t.Fatal(err)
	}
	td := openTest(t)
	ctx := ctxT(t)
	t0 := td.clock.Now()
	seedContact(t, td, testPhone, "a")
	b := phoneN(2)
	seedContact(t, td, b, "b")
	// B's project completes two years in.
	done := t0.AddDate(2, 0, 0)
	sum := sha256.Sum256([]byte("PHOTO-of-" + b + "-roof"))
	photo := core.Media{ID: hex.EncodeToString(sum[:]), MIME: "image/jpeg"}
	proj := &core.Project{ID: "b-p1", Contact: b, Service: "roofing", Photos: []core.Media{photo}, Status: "completed", Created: t0, Updated: done, Completed: done}
	if err := td.Commit(ctx, &core.Turn{Session: &core.Session{Contact: b}, Project: proj}); err != nil {
		t.Fatal(err)
	}
	// Fold the turns' lead notes now: the background indexer folding them
	// between a dry run's before and after would read as a change.
	if err := td.foldPending(ctx); err != nil {
		t.Fatal(err)
	}
	policy := DefaultPolicy()
	for _, tc := range cases {
		t.Run(tc.Name, func(t *testing.T) {
			now := t0.Add(time.Duration(tc.AfterDays) * 24 * time.Hour)
			before := td.plaintexts(t)
			dry, err := td.RunRetention(ctx, policy, now, true, "test")
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(before, td.plaintexts(t)) {
				t.Fatal("dry run changed the database")
			}
			real, err := td.RunRetention(ctx, policy, now, false, "test")
			if err != nil {
				t.Fatal(err)
			}
			tc.Want.Now = now
			if real != tc.Want {
				t.Errorf("retention at +%dd\n got %s\nwant %s", tc.AfterDays, real, tc.Want)
			}
			dry.DryRun = false
			if dry != real {
				t.Errorf("dry run said %s, the run did %s", dry, real)
			}
		})
	}
	if e, _ := td.Export(ctx, testPhone); !e.Empty() {
		t.Errorf("after every retention period something is left of A: %+v", e)
	}
	log, _ := td.AuditLog(ctx, time.Time{})
	runs := 0
	for _, a := range log {
		if a.Action == "retention" {
			runs++
		}
	}
	if runs != len(cases) {
		t.Errorf("%d retention audit entries, want %d (dry runs are not audited)", runs, len(cases))
	}
}

func TestRekey(t *testing.T) {
	td := openTest(t)
	ctx := ctxT(t)
	seedContact(t, td, testPhone, "a")
	seedContact(t, td, phoneN(2), "b")
	oldCK := td.ContactKey(testPhone)
	before, _ := td.Export(ctx, testPhone)
	pending, _ := td.PendingOutbound(ctx, "whatsapp", 10)

	// Commits keep going while the key changes.
	var wg sync.WaitGroup
	errs := make(chan error, 20)
	for i := range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := td.Commit(ctx, turnFor(phoneN(100+i), fmt.Sprintf("during.%d", i), "hi", td.clock.Now())); err != nil {
				errs <- err
			}
		}()
	}
	newKey := testKey(9)
	if err := td.Rekey(ctx, newKey, "owner"); err != nil {
		t.Fatal(err)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	if td.ContactKey(testPhone) == oldCK {
		t.Error("contact key unchanged by rekey")
	}
	after, err := td.Export(ctx, testPhone)
	if err != nil {
		t.Fatal(err)
	}
	if len(after.Messages) != len(before.Messages) || len(after.Media) != 1 || len(after.Quotes) != 2 || len(after.Revisions) != 1 || len(after.Audit) != 1 || after.Contact.Email != testEmail {
		t.Errorf("export after rekey: %d messages, %d media, %d quotes, %d revisions, %d audit", len(after.Messages), len(after.Media), len(after.Quotes), len(after.Revisions), len(after.Audit))
	}
	if err := td.Commit(ctx, turnFor(testPhone, "a.1", "again", td.clock.Now())); !errors.Is(err, core.ErrDuplicate) {
		t.Errorf("seen ids lost by rekey: %v", err)
	}
	if err := td.UpdateDelivery(ctx, "wamid.out.a", core.Delivery{Status: StatusRead, Time: td.clock.Now()}); err != nil {
		t.Errorf("provider ids lost by rekey: %v", err)
	}
	for _, it := range pending {
		if err := td.MarkSent(ctx, it.ID, "wamid.after."+it.ID, td.clock.Now()); err != nil {
			t.Errorf("outbox after rekey: %v", err)
		}
	}
	msgs := td.messages(t, testPhone)
	statuses := map[string]int{}
	for _, m := range msgs {
		statuses[m.Status]++
	}
	if statuses[StatusRead] != 1 || statuses[StatusSent] != 1 {
		t.Errorf("statuses after rekey and sends: %v", statuses)
	}
	for i := range 20 {
		if s, _ := td.Session(ctx, phoneN(100+i)); s == nil {
			t.Errorf("commit during rekey lost: contact %d", i)
		}
	}
	td.plaintexts(t) // every value opens under the new key
	td.closeDB(t)
	if _, err := Open(Options{Path: td.path, Key: td.key}); !errors.Is(err, ErrWrongKey) {
		t.Errorf("old key after rekey: %v, want ErrWrongKey", err)
	}
	td.key = newKey
	td.reopen(t)
	if s, err := td.Session(ctx, testPhone); err != nil || s == nil {
		t.Errorf("session with the new key: %v", err)
	}
}

func TestBackupWhileCommitting(t *testing.T) {
	td := openTest(t)
	ctx := ctxT(t)
	seedContact(t, td, testPhone, "a")
	stop := make(chan struct{})
	var wg sync.WaitGroup
	var mu sync.Mutex
	committed := 0
	for w := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				if err := td.Commit(ctx, turnFor(phoneN(1000*w+i%50), fmt.Sprintf("bk.%d.%d", w, i), "hello", td.clock.Now())); err != nil {
					t.Error(err)
					return
				}
				mu.Lock()
				committed++
				mu.Unlock()
			}
		}()
	}
	waitFor(t, func() bool { mu.Lock(); defer mu.Unlock(); return committed >= 40 })
	path := filepath.Join(t.TempDir(), "backups", "b.db")
	n, err := td.BackupFile(ctx, path, "owner")
	close(stop)
	wg.Wait()
	if err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(path)
	if err != nil || fi.Size() != n || fi.Mode().Perm() != 0o600 {
		t.Fatalf("backup file: %v (size %d, wrote %d)", err, fi.Size(), n)
	}
	bk := &testDB{path: path, key: td.key, clock: td.clock}
	bk.reopen(t)
	if err := bk.Ping(); err != nil {
		t.Fatal(err)
	}
	bk.plaintexts(t) // every value of the copy opens: it is consistent
	if s, _ := bk.Session(ctx, testPhone); s == nil {
		t.Error("backup lacks the session committed before it")
	}
	bk.closeDB(t)
	if _, err := Open(Options{Path: path, Key: testKey(1)}); !errors.Is(err, ErrWrongKey) {
		t.Errorf("backup with another key: %v", err)
	}
	if _, err := td.BackupFile(ctx, td.path, "owner"); err == nil {
		t.Error("backup over the database itself accepted")
	}
}

// waitFor waits for cond with a deadline, without sleeping blindly.
func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	tick := time.NewTicker(time.Millisecond)
	defer tick.Stop()
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not met before the deadline")
		}
		<-tick.C
	}
}

func TestLoadOrCreateKey(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "sub", "a.db")
	noEnv := func(string) string { return "" }
	key, created, err := LoadOrCreateKey(db, "", noEnv)
	if err != nil || created != db+".key" || len(key) != KeySize {
		t.Fatalf("create: %v %q %d", err, created, len(key))
	}
	if fi, _ := os.Stat(created); fi.Mode().Perm() != 0o600 {
		t.Errorf("key file mode %v", fi.Mode().Perm())
	}
	again, created2, err := LoadOrCreateKey(db, "", noEnv)
	if err != nil || created2 != "" || !bytes.Equal(again, key) {
		t.Errorf("load: %v %q", err, created2)
	}
	envKey := testKey(3)
	got, _, err := LoadOrCreateKey(db, "", func(n string) string {
		if n == EnvKey {
			return EncodeKey(envKey)
		}
		return ""
	})
	if err != nil || !bytes.Equal(got, envKey) {
		t.Errorf("env key does not win: %v", err)
	}
	for _, bad := range []string{"not base64!!", EncodeKey([]byte("too short"))} {
		_, _, err := LoadOrCreateKey(db, "", func(string) string { return bad })
		if err == nil || !strings.Contains(err.Error(), EnvKey) {
			t.Errorf("bad env key %q: %v", bad, err)
		}
	}
	// A database without its key file is an error, never a new key.
	st, err := Open(Options{Path: db, Key: key})
	if err != nil {
		t.Fatal(err)
	}
	st.Close()
	os.Remove(db + ".key")
	if _, _, err := LoadOrCreateKey(db, "", noEnv); err == nil || !strings.Contains(err.Error(), "missing") {
		t.Errorf("missing key file for an existing database: %v", err)
	}
	loose := filepath.Join(dir, "loose.key")
	os.WriteFile(loose, []byte(EncodeKey(key)), 0o644)
	if _, _, err := LoadOrCreateKey(db, loose, noEnv); err == nil || !strings.Contains(err.Error(), "chmod 600") {
		t.Errorf("key file readable by others: %v", err)
	}
}
