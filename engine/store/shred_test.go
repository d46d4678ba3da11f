package store

import (
	"bytes"
	"context"
	"crypto/cipher"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/allmyleads/allmyleads/engine/store/sealing"
)

// secretsOf is what must not open after the customer's erasure.
func secretsOf(phone string) []string {
	p := personFor(phone)
	return []string{p.name, p.email, p.text, p.address, strings.TrimPrefix(phone, "+"), "PHOTO-of-" + phone}
}

// scanFor scans the closed file with the keys and returns what opened,
// joined, and how many values opened.
func scanFor(t *testing.T, path string, keys ...[]byte) ([]byte, int) {
	t.Helper()
	found, err := ScanFile(path, keys)
	if err != nil {
		t.Fatal(err)
	}
	var all [][]byte
	for _, r := range found {
		all = append(all, r.Body)
	}
	return bytes.Join(all, []byte("\n")), len(found)
}

// heldValues counts the values in the raw file sealed under a data key
// that opens with dk: a key the process held in memory before it was
// destroyed. It measures what crypto-shredding protects: the ciphertext
// left in free pages.
func heldValues(t *testing.T, path, subject string, dk *sealing.DataKey) int {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	sc := &scanner{data: data, names: map[string]bool{}}
	sc.pages()
	var names []string
	for n := range sc.names {
		names = append(names, n, "outbox/"+n)
	}
	n := 0
	for _, e := range sc.elems {
		ref, _, err := sealing.ParseRef(e.v)
		if err != nil || ref.Kind != sealing.RefData || !strings.HasPrefix(ref.Subject, subject) || ref.Subject != subject {
			continue
		}
		if _, _, ok := openAny([]cipher.AEAD{dk.AEAD}, names, e.k, e.v); ok {
			n++
		}
	}
	return n
}

// TestEraseShredsEveryCopy writes two customers' conversations (rewritten
// several times, so older copies sit in free pages), erases one, and scans
// the raw file with the master key: nothing of the erased customer opens,
// though the file still holds their ciphertext (it opens with the data
// key the process held before the erasure), and the other customer's data
// still opens.
func TestEraseShredsEveryCopy(t *testing.T) {
	td := openTest(t)
	ctx := ctxT(t)
	other := phoneN(2)
	seedContact(t, td, testPhone, "a")
	seedContact(t, td, other, "b")
	for i := range 5 {
		td.clock.Add(time.Minute)
		for _, p := range []string{testPhone, other} {
			turn := turnFor(p, p+".r"+string(rune('0'+i)), personFor(p).text+" again", td.clock.Now())
			if err := td.Commit(ctx, turn); err != nil {
				t.Fatal(err)
			}
		}
	}
	ck := td.ContactKey(testPhone)
	var dk *sealing.DataKey
	td.withKeys(func(ks *keyset) error {
		var err error
		dk, err = ks.dataKey("c"+ck, false)
		return err
	})
	if dk == nil {
		t.Fatal("the customer has no data key")
	}
	if _, err := td.Erase(ctx, testPhone, "owner"); err != nil {
		t.Fatal(err)
	}
	td.closeDB(t)

	all, n := scanFor(t, td.path, td.key)
	for _, s := range secretsOf(testPhone) {
		if bytes.Contains(all, []byte(s)) {
			t.Errorf("after the erasure %q opens with the master key", s)
		}
	}
	for _, s := range []string{personFor(other).name, personFor(other).email} {
		if !bytes.Contains(all, []byte(s)) {
			t.Errorf("the scan does not find the other customer's %q", s)
		}
	}
	held := heldValues(t, td.path, "c"+ck, dk)
	if held == 0 {
		t.Error("no ciphertext of the erased customer is left in the file: the test cannot tell shredding from luck")
	}
	t.Logf("after the erasure: %d values open with the master key, none of the erased customer; %d of the erased customer's records are still in the file's free pages and opened with the destroyed data key", n, held)
}

// TestRekeyLeavesNothingUnderTheOldKey rekeys after an erasure: the old
// master key opens nothing at all in the file any more (the rekey
// compacts), and with both keys nothing of the erased customer opens.
func TestRekeyLeavesNothingUnderTheOldKey(t *testing.T) {
	td := openTest(t)
	ctx := ctxT(t)
	other := phoneN(2)
	seedContact(t, td, testPhone, "a")
	seedContact(t, td, other, "b")
	// A web visitor: a contact with no phone number.
	web := "web:visitor-5f3a"
	visit := turnFor(phoneN(3), "w.1", "a web visit", td.clock.Now())
	visit.Inbound.Contact, visit.Session.Contact, visit.Contact.URN, visit.Contact.Phone = web, web, web, ""
	visit.Inbound.Channel = "web"
	if err := td.Commit(ctx, visit); err != nil {
		t.Fatal(err)
	}
	if _, err := td.Erase(ctx, testPhone, "owner"); err != nil {
		t.Fatal(err)
	}
	oldKey, newKey := td.key, testKey(9)
	if err := td.Rekey(ctx, newKey, "owner"); err != nil {
		t.Fatal(err)
	}
	td.closeDB(t)
	if _, n := scanFor(t, td.path, oldKey); n != 0 {
		t.Errorf("after the rekey the old key opens %d values", n)
	}
	all, n := scanFor(t, td.path, oldKey, newKey)
	for _, s := range secretsOf(testPhone) {
		if bytes.Contains(all, []byte(s)) {
			t.Errorf("after the rekey %q opens", s)
		}
	}
	if !bytes.Contains(all, []byte(personFor(other).name)) {
		t.Error("the new key does not open the other customer's records")
	}
	td.key = newKey
	td.reopen(t)
	e, err := td.Export(ctx, other)
	if err != nil || e.Contact == nil || len(e.Messages) == 0 {
		t.Fatalf("the other customer after the rekey: %v %+v", err, e)
	}
	if e, err := td.Export(ctx, web); err != nil || e.Contact == nil || e.Contact.URN != web {
		t.Fatalf("the web visitor after the rekey: %v %+v", err, e)
	}
	t.Logf("after the rekey: the old key opens 0 values, the new one %d", n)
}

// TestRetentionShredsPastMonths: once a month of messages is past the
// communications retention, its data key is destroyed, so the deleted
// messages open nowhere, while the contact's project stays.
func TestRetentionShredsPastMonths(t *testing.T) {
	td := openTest(t)
	ctx := ctxT(t)
	seedContact(t, td, testPhone, "a")
	old := personFor(testPhone).text
	td.clock.Add(3*365*24*time.Hour + 60*24*time.Hour)
	if err := td.Commit(ctx, turnFor(testPhone, "later", "a newer message", td.clock.Now())); err != nil {
		t.Fatal(err)
	}
	rep, err := td.RunRetention(ctx, DefaultPolicy(), td.clock.Now(), false, "test")
	if err != nil {
		t.Fatal(err)
	}
	if rep.Messages == 0 {
		t.Fatalf("retention deleted no message: %s", rep)
	}
	td.closeDB(t)
	all, _ := scanFor(t, td.path, td.key)
	if bytes.Contains(all, []byte(old)) {
		// The project still holds the same words: look for the message log
		// entry itself.
		found, _ := ScanFile(td.path, [][]byte{td.key})
		for _, r := range found {
			if r.Bucket == string(bMessages) && bytes.Contains(r.Body, []byte(old)) {
				t.Errorf("a message past its retention still opens: %s", r.Body)
			}
		}
	}
	if !bytes.Contains(all, []byte("a newer message")) {
		t.Error("the newer message does not open")
	}
}

// TestBackupCarriesItsKeyStore: a backup opens alone with the master key;
// its first open puts the key store beside it and compacts the copy it
// carried away.
func TestBackupCarriesItsKeyStore(t *testing.T) {
	td := openTest(t)
	ctx := ctxT(t)
	seedContact(t, td, testPhone, "a")
	dst := filepath.Join(t.TempDir(), "restore", "copy.db")
	if _, err := td.BackupFile(ctx, dst, "owner"); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(dst + ".keystore"); err == nil {
		t.Fatal("the backup wrote a key store beside itself")
	}
	st, err := Open(Options{Path: dst, Key: td.key, NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	e, err := st.Export(ctx, testPhone)
	if err != nil || e.Contact == nil || len(e.Messages) == 0 || len(e.Media) == 0 {
		t.Fatalf("the restored copy: %v %+v", err, e)
	}
	st.Close()
	if _, err := os.Stat(dst + ".keystore"); err != nil {
		t.Fatalf("the restored copy has no key store beside it: %v", err)
	}
	raw, _ := os.ReadFile(dst)
	if bytes.Contains(raw, metaEmbeddedKeys) {
		t.Error("the restored file still holds the key store it carried")
	}
}

// TestKeyStoreCrashPoints: a crash before the erasing transaction commits
// leaves the old key store in force, one after it the new one.
func TestKeyStoreCrashPoints(t *testing.T) {
	dir := t.TempDir()
	master := testKey(3)
	kf := sealing.KeyFile{Path: filepath.Join(dir, "x.keystore")}
	a, err := sealing.NewKeySet()
	if err != nil {
		t.Fatal(err)
	}
	if err := kf.Stage(master, a); err != nil {
		t.Fatal(err)
	}
	if err := kf.Commit(); err != nil {
		t.Fatal(err)
	}
	b, err := a.Rotate([]int{5, sealing.Transient})
	if err != nil {
		t.Fatal(err)
	}
	if err := kf.Stage(master, b); err != nil {
		t.Fatal(err)
	}
	// The store still names a: the transaction did not commit.
	got, err := kf.Load(master, a.ID)
	if err != nil || got.ID != a.ID {
		t.Fatalf("before the commit: %v", err)
	}
	if _, err := os.Stat(kf.Path + ".new"); err == nil {
		t.Error("the staged key store of a transaction that never committed is left")
	}
	if err := kf.Stage(master, b); err != nil {
		t.Fatal(err)
	}
	// The store names b: the transaction committed, the rename did not happen.
	got, err = kf.Load(master, b.ID)
	if err != nil || got.ID != b.ID || got.Gen(5) != a.Gen(5)+1 || got.Gen(6) != a.Gen(6) {
		t.Fatalf("after the commit: %v", err)
	}
	if again, err := kf.Load(master, b.ID); err != nil || again.ID != b.ID {
		t.Fatalf("the staged key store was not put in place: %v", err)
	}
	if _, err := kf.Load(testKey(4), b.ID); err == nil {
		t.Error("another master key opens the key store")
	}
}

// TestFormat1MigratesToShredding opens the first release's file: it is
// migrated to per-contact data keys and compacted, so the master key's
// business key opens nothing personal in it, and erasing a contact then
// leaves nothing of them.
func TestFormat1MigratesToShredding(t *testing.T) {
	src := filepath.Join("..", "testdata", "format1")
	key, err := os.ReadFile(filepath.Join(src, "key.bin"))
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "allmyleads.db")
	in, err := os.Open(filepath.Join(src, "allmyleads.db"))
	if err != nil {
		t.Fatal(err)
	}
	out, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(out, in)
	in.Close()
	out.Close()
	st, err := Open(Options{Path: path, Key: key, NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	e, err := st.Export(ctx, "+31612345678")
	if err != nil || e.Contact == nil || e.Contact.Name != "Bob de Vries" {
		t.Fatalf("Bob after the migration: %v %+v", err, e)
	}
	if _, err := st.Erase(ctx, "+31612345678", "owner"); err != nil {
		t.Fatal(err)
	}
	st.Close()
	found, err := ScanFile(path, [][]byte{key})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range found {
		if bytes.Contains(r.Body, []byte("Bob de Vries")) || bytes.Contains(r.Body, []byte("31612345678")) {
			t.Errorf("after the migration and erasure, Bob's data opens in %s: %.120s", r.Bucket, r.Body)
		}
	}
	raw, _ := os.ReadFile(path)
	sc := &scanner{data: raw, names: map[string]bool{}}
	sc.pages()
	for _, el := range sc.elems {
		wrappedKey := len(el.v) == 5+12+sealing.KeySize+16 && (el.k[0] == 'c' || el.k[0] == 'm')
		if len(el.v) > 0 && el.v[0] == envSealed && !bytes.Equal(el.k, []byte("check")) && !wrappedKey {
			t.Fatalf("a value sealed the format-2 way is left in the file (key %q)", el.k)
		}
	}
}
