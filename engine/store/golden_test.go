package store

import (
	"bytes"
	"path/filepath"
	"testing"

	"github.com/allmyleads/allmyleads/engine/store/model"
	"github.com/allmyleads/allmyleads/internal/golden"
)

// TestExportGolden pins the export format (allmyleads-export/v1) with a
// fixed clock: a change to it shows up in review as a golden file diff.
func TestExportGolden(t *testing.T) {
	td := openTest(t)
	seedContact(t, td, testPhone, "a")
	e, err := td.Export(ctxT(t), testPhone)
	if err != nil {
		t.Fatal(err)
	}
	// The contact key depends on the database's random salt.
	for i := range e.Audit {
		if e.Audit[i].Contact == td.ContactKey(testPhone) {
			e.Audit[i].Contact = "<contact key>"
		}
	}
	got, err := e.JSON()
	if err != nil {
		t.Fatal(err)
	}
	got = append(got, '\n')
	golden.Check(t, filepath.Join("testdata", "export.golden.json"), got)
}

// FuzzDecodeKey feeds key text from the environment or a key file: it
// never panics and accepts only 32-byte keys.
func FuzzDecodeKey(f *testing.F) {
	f.Add(EncodeKey(testKey(1)))
	f.Add("not base64")
	f.Add(" " + EncodeKey(testKey(2)) + "\n")
	f.Fuzz(func(t *testing.T, s string) {
		k, err := DecodeKey(s, "fuzz")
		if err == nil && len(k) != KeySize {
			t.Fatalf("accepted a %d-byte key", len(k))
		}
	})
}

// FuzzOpenValue feeds damaged values to the opener: they fail cleanly and
// never open.
func FuzzOpenValue(f *testing.F) {
	ks, err := newTestKeyset(testKey(7), bytes.Repeat([]byte{1}, 32), false)
	if err != nil {
		f.Fatal(err)
	}
	good := ks.seal("sessions", []byte("k"), []byte(`{"contact":"+15550100"}`))
	f.Add(good)
	f.Add([]byte{})
	f.Add([]byte{envPlain, '{', '}'})
	f.Fuzz(func(t *testing.T, v []byte) {
		body, err := ks.open("sessions", []byte("k"), v)
		if err == nil && !bytes.Equal(v, good) {
			t.Fatalf("a forged value opened: %q", body)
		}
		if _, err := model.DecodeMedia("x", v); err == nil && len(v) < 4 {
			t.Fatal("short media body accepted")
		}
	})
}
