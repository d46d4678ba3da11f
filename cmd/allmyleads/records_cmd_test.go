package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"image"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/allmyleads/allmyleads/engine/core"
	"github.com/allmyleads/allmyleads/engine/store"
)

// recordsFixture is a database with one customer's conversation and quote,
// made through the store the way the engine makes it.
type recordsFixture struct {
	dir, db, cfg string
}

const fixPhone = "+15550100456"

func newRecordsFixture(t *testing.T) *recordsFixture {
	t.Helper()
	dir := t.TempDir()
	f := &recordsFixture{dir: dir, db: filepath.Join(dir, "data", "a.db"), cfg: filepath.Join(dir, "allmyleads.yaml")}
	if err := os.WriteFile(f.cfg, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	key, created, err := store.LoadOrCreateKey(f.db, "", func(string) string { return "" })
	if err != nil || created == "" {
		t.Fatalf("key: %v %q", err, created)
	}
	st, err := store.Open(store.Options{Path: f.db, Key: key, NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	at := time.Now().UTC()
	turn := &core.Turn{
		Inbound:  &core.Inbound{Channel: "console", Contact: fixPhone, ID: "m1", Time: at, Kind: core.InText, Text: "the garage roof"},
		Session:  &core.Session{Contact: fixPhone, Flow: "quote", Step: "confirm", Vars: map[string]any{"lead": map[string]any{"name": "Ada Byron", "email": "ada@example.com"}}, Started: at, Updated: at, LastInbound: at},
		Contact:  &core.Contact{Phone: fixPhone, Name: "Ada Byron", Email: "ada@example.com", Status: "quoted", Created: at, Updated: at},
		Project:  &core.Project{ID: "p1", Contact: fixPhone, Service: "roofing", Status: "quoted", Created: at, Updated: at},
		Quotes:   []*core.QuoteRecord{{ID: "q1", Contact: fixPhone, ProjectID: "p1", Status: core.QuoteAccepted, Currency: "EUR", Total: 332750}},
		Consents: []core.ConsentRecord{{ID: "c1", Contact: fixPhone, Purpose: "quote", Text: "ok?", Granted: true, Time: at, Channel: "console"}},
		Outbound: []core.Outbound{{Kind: core.OutText, Text: "Here is your quote"}},
	}
	if err := st.Commit(context.Background(), turn); err != nil {
		t.Fatal(err)
	}
	return f
}

// run runs a command against the fixture's database and configuration.
func (f *recordsFixture) run(t *testing.T, stdin string, env map[string]string, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	e := &cliEnv{stdin: strings.NewReader(stdin), stdout: &out, stderr: &errb, getenv: func(k string) string { return env[k] }}
	args = append(args, "--db", f.db, "--config", f.cfg)
	code := run(context.Background(), e, args)
	return code, out.String(), errb.String()
}

func TestLeadsAndQuotesCommands(t *testing.T) {
	f := newRecordsFixture(t)
	code, out, errOut := f.run(t, "", nil, "leads", "--format", "csv")
	if code != exitOK {
		t.Fatalf("leads: exit %d: %s", code, errOut)
	}
	rows, err := csv.NewReader(strings.NewReader(out)).ReadAll()
	if err != nil || len(rows) != 2 || rows[1][0] != fixPhone || rows[1][1] != "Ada Byron" || rows[1][5] != "roofing" || rows[1][8] != "332750" {
		t.Errorf("leads csv = %q (%v)", rows, err)
	}
	code, out, _ = f.run(t, "", nil, "quotes", "--status", "accepted")
	if code != exitOK || !strings.Contains(out, "q1") || !strings.Contains(out, "3327.50 EUR") {
		t.Errorf("quotes table: exit %d\n%s", code, out)
	}
	if code, _, _ := f.run(t, "", nil, "leads", "--format", "xml"); code != exitUsage {
		t.Errorf("bad --format: exit %d", code)
	}
	if code, _, _ := f.run(t, "", nil, "leads", "--since", "yesterday"); code != exitUsage {
		t.Errorf("bad --since: exit %d", code)
	}
	if code, out, errOut := f.run(t, "", nil, "quote", "mark-paid", "q1", "--ref", "pi_42"); code != exitOK || !strings.Contains(out, "marked paid") {
		t.Errorf("mark-paid: exit %d %s %s", code, out, errOut)
	}
	if code, _, errOut := f.run(t, "", nil, "quote", "mark-paid", "nope", "--ref", "pi_42"); code != exitInput || !strings.Contains(errOut, "not found") {
		t.Errorf("mark-paid of an unknown quote: exit %d %s", code, errOut)
	}
	code, out, _ = f.run(t, "", nil, "quotes", "--format", "json", "--contact", "15550100456")
	var quotes []core.QuoteRecord
	if err := json.Unmarshal([]byte(out), &quotes); code != exitOK || err != nil || len(quotes) != 1 || quotes[0].PaymentRef != "pi_42" {
		t.Errorf("quotes json after payment: %v %+v", err, quotes)
	}
}

func TestEraseCommandConfirmation(t *testing.T) {
	f := newRecordsFixture(t)
	code, _, errOut := f.run(t, "yes\n", nil, "erase", "--contact", fixPhone)
	if code != exitUsage || !strings.Contains(errOut, "--yes") {
		t.Fatalf("erase with piped stdin and no --yes: exit %d: %s", code, errOut)
	}
	code, out, _ := f.run(t, "", nil, "export", "--contact", fixPhone)
	if code != exitOK || !strings.Contains(out, "Ada Byron") {
		t.Fatalf("refused erase changed data: %s", out)
	}
	code, out, errOut = f.run(t, "", nil, "erase", "--contact", fixPhone, "--yes", "--actor", "dpo")
	if code != exitOK || !strings.Contains(out, "erased "+core.PhoneURN(fixPhone)) {
		t.Fatalf("erase --yes: exit %d %s %s", code, out, errOut)
	}
	code, out, errOut = f.run(t, "", nil, "export", "--contact", fixPhone)
	if code != exitOK || strings.Contains(out, "Ada Byron") || !strings.Contains(errOut, "nothing is held") {
		t.Errorf("export after erase: %s / %s", out, errOut)
	}
	raw, _ := os.ReadFile(f.db)
	for _, s := range []string{"Ada Byron", "ada@example.com", "15550100456", "garage roof"} {
		if bytes.Contains(raw, []byte(s)) {
			t.Errorf("database file holds %q", s)
		}
	}
}

func TestExportCorrectConsentCommands(t *testing.T) {
	f := newRecordsFixture(t)
	if code, _, errOut := f.run(t, "", nil, "correct", "--contact", fixPhone, "--set", "lead.email=not-an-email"); code != exitInput || !strings.Contains(errOut, "lead.email") {
		t.Errorf("invalid correction: exit %d %s", code, errOut)
	}
	if code, out, errOut := f.run(t, "", nil, "correct", "--contact", fixPhone, "--set", "lead.email=ada@lovelace.example", "--set", "lead.company=Analytical Engines"); code != exitOK || strings.Count(out, "corrected") != 2 {
		t.Errorf("correction: exit %d %s %s", code, out, errOut)
	}
	if code, _, errOut := f.run(t, "", nil, "consent", "withdraw", "--contact", fixPhone, "--purpose", "quote"); code != exitOK {
		t.Errorf("consent withdraw: exit %d %s", code, errOut)
	}
	if code, _, _ := f.run(t, "", nil, "consent", "withdraw", "--contact", fixPhone); code != exitInput {
		t.Errorf("second withdrawal: exit %d", code)
	}
	outFile := filepath.Join(f.dir, "exports", "ada.json")
	if code, _, errOut := f.run(t, "", nil, "export", "--contact", fixPhone, "--out", outFile); code != exitOK {
		t.Fatalf("export --out: exit %d %s", code, errOut)
	}
	var e store.Export
	raw, _ := os.ReadFile(outFile)
	if err := json.Unmarshal(raw, &e); err != nil {
		t.Fatal(err)
	}
	if e.Format != store.ExportFormat || e.Contact.Email != "ada@lovelace.example" || e.Contact.Company != "Analytical Engines" || e.Consents[0].Withdrawn.IsZero() || len(e.Messages) != 2 {
		t.Errorf("export = %+v", e)
	}
	actions := map[string]int{}
	for _, a := range e.Audit {
		actions[a.Action]++
	}
	if actions["correct"] != 2 || actions["consent_withdraw"] != 1 {
		t.Errorf("audit in export = %v", actions)
	}
}

func TestKeygenRekeyBackupRetentionCommands(t *testing.T) {
	f := newRecordsFixture(t)
	newKey := filepath.Join(f.dir, "new.key")
	keygen := func(args ...string) (int, string) {
		var out, errb bytes.Buffer
		code := run(context.Background(), &cliEnv{stdin: strings.NewReader(""), stdout: &out, stderr: &errb, getenv: func(string) string { return "" }}, append([]string{"keygen"}, args...))
		return code, out.String()
	}
	if code, out := keygen(); code != exitOK {
		t.Fatalf("keygen: %d", code)
	} else if _, err := store.DecodeKey(out, "keygen output"); err != nil {
		t.Errorf("keygen printed %q: %v", out, err)
	}
	if code, _ := keygen("--out", newKey); code != exitOK {
		t.Fatalf("keygen --out: %d", code)
	}
	if code, _ := keygen("--out", newKey); code != exitRuntime {
		t.Errorf("keygen over an existing file: exit %d", code)
	}
	oldKey, _ := os.ReadFile(f.db + ".key")
	if code, out, errOut := f.run(t, "", nil, "rekey", "--new-key-file", newKey); code != exitOK || !strings.Contains(out, "now holds the new key") {
		t.Fatalf("rekey: exit %d %s %s", code, out, errOut)
	}
	if code, out, _ := f.run(t, "", nil, "leads", "--format", "json"); code != exitOK || !strings.Contains(out, "Ada Byron") {
		t.Errorf("leads with the new key file: %d %s", code, out)
	}
	old, _ := store.DecodeKey(string(oldKey), "old")
	if _, err := store.Open(store.Options{Path: f.db, Key: old}); !errors.Is(err, store.ErrWrongKey) {
		t.Errorf("old key after rekey: %v", err)
	}
	code, _, errOut := f.run(t, "", map[string]string{store.EnvKey: strings.TrimSpace(string(oldKey))}, "leads")
	if code != exitRuntime || !strings.Contains(errOut, "does not open") {
		t.Errorf("leads with the old key in the environment: exit %d %s", code, errOut)
	}
	bk := filepath.Join(f.dir, "bk", "a.db")
	if code, out, errOut := f.run(t, "", nil, "backup", bk); code != exitOK || !strings.Contains(out, "wrote "+bk) {
		t.Fatalf("backup: exit %d %s %s", code, out, errOut)
	}
	code, out, _ := f.run(t, "", nil, "retention", "run", "--dry-run")
	for _, want := range []string{"dry run", "communications", "ai_records", "projects", "payments"} {
		if code != exitOK || !strings.Contains(out, want) {
			t.Errorf("retention --dry-run output lacks %q:\n%s", want, out)
		}
	}
	if code, _, _ := f.run(t, "", nil, "retention", "sweep"); code != exitUsage {
		t.Errorf("unknown retention subcommand: exit %d", code)
	}
	empty := &recordsFixture{dir: f.dir, db: filepath.Join(f.dir, "none.db"), cfg: f.cfg}
	if code, _, errOut := empty.run(t, "", nil, "leads"); code != exitRuntime || !strings.Contains(errOut, "no database") {
		t.Errorf("leads without a database: exit %d %s", code, errOut)
	}
}

// TestFullConversationLeavesNoPlaintext runs the shipped quote conversation
// in the terminal chat, checks the answers were kept (export), then scans
// the raw database file for the customer's name, email, phone number,
// address and message text: none may be there in the clear.
func TestFullConversationLeavesNoPlaintext(t *testing.T) {
	dir := t.TempDir()
	f := &recordsFixture{dir: dir, db: filepath.Join(dir, "data", "chat.db"), cfg: filepath.Join(dir, "allmyleads.yaml")}
	if err := os.WriteFile(f.cfg, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	var img bytes.Buffer
	m := image.NewRGBA(image.Rect(0, 0, 8, 8))
	if err := png.Encode(&img, m); err != nil {
		t.Fatal(err)
	}
	photo := filepath.Join(dir, "roof.png")
	if err := os.WriteFile(photo, img.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	const (
		phone   = "+15550100889"
		name    = "Philippa Quartermaine"
		email   = "philippa.q@example.net"
		address = "17 Juniper Crescent, Westbury"
		job     = "Leaky slate roof over the orangery"
	)
	script := strings.Join([]string{"hi", "yes", name, email, "1", "skip", address, "1", job, "/photo " + photo, "done", "40", "1", "/quit"}, "\n") + "\n"
	code, out, errOut := f.run(t, script, nil, "chat", "--contact", phone)
	if code != exitOK {
		t.Fatalf("chat: exit %d\n%s\n%s", code, out, errOut)
	}
	code, exp, _ := f.run(t, "", nil, "export", "--contact", phone)
	if code != exitOK {
		t.Fatalf("export: exit %d", code)
	}
	for _, s := range []string{name, email, address, job} {
		if !strings.Contains(exp, s) {
			t.Fatalf("the conversation did not keep %q (the shipped flow changed?); transcript:\n%s", s, out)
		}
	}
	raw, err := os.ReadFile(f.db)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{name, "Philippa", email, address, "Juniper", job, "orangery", phone, strings.TrimPrefix(phone, "+")} {
		if bytes.Contains(raw, []byte(s)) {
			t.Errorf("the database file holds %q in the clear", s)
		}
	}
}
