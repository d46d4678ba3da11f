package store

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/allmyleads/allmyleads/engine/core"
)

// seedContact commits a whole conversation's worth of records for phone:
// messages with a photo, a project, a paid quote with a revision and an
// unpaid one, a consent, opt events, an AI record and a queued reply.
func seedContact(t testing.TB, td *testDB, phone, idPrefix string) {
	urn := core.PhoneURN(phone)
	t.Helper()
	ctx := ctxT(t)
	at := td.clock.Now()
	p := personFor(phone)
	photo := []byte("PHOTO-of-" + phone + "-roof")
	t1 := turnFor(phone, idPrefix+".1", p.text, at)
	t1.Inbound.Kind = core.InImage
	t1.Inbound.Media = []core.Media{{ID: "meta-1", MIME: "image/jpeg", Data: photo}}
	t1.Consents = []core.ConsentRecord{{ID: "c1", Contact: urn, Purpose: "quote", Text: "We keep your details to prepare your quote", PolicyVersion: "2025-12-06", Granted: true, Time: at, Channel: "whatsapp"}}
	t1.AI = []core.AIRecord{{ID: "ai1", Contact: urn, Time: at, Extractor: "offline", Outcome: "ok", Fields: map[string]core.FieldResult{"email": {Value: p.email, Confidence: 1}}}}
	t1.OptEvents = []core.OptEvent{{Contact: urn, OptIn: false, Keyword: "STOP", Channel: "whatsapp", Time: at}, {Contact: urn, OptIn: true, Keyword: "START", Channel: "whatsapp", Time: at}}
	if err := td.Commit(ctx, t1); err != nil {
		t.Fatal(err)
	}
	sha := t1.Inbound.Media[0].ID
	t2 := turnFor(phone, idPrefix+".2", "yes please", at)
	t2.Project = &core.Project{ID: idPrefix + "-p1", Contact: urn, Service: "roofing", Description: p.text, Photos: []core.Media{{ID: sha, MIME: "image/jpeg"}}, Status: "accepted", Created: at, Updated: at}
	paid := &core.QuoteRecord{ID: idPrefix + "-q1", Contact: urn, ProjectID: idPrefix + "-p1", Status: core.QuoteSent, Currency: "EUR", Items: []core.QuoteItem{{Description: "tiles", Quantity: 1, UnitPrice: 50000, Total: 50000}}, Subtotal: 50000, Total: 50000, Inputs: map[string]any{"address": p.address}, Notes: "call " + p.name}
	open := &core.QuoteRecord{ID: idPrefix + "-q2", Contact: urn, ProjectID: idPrefix + "-p1", Status: core.QuoteSent, Currency: "EUR", Subtotal: 100, Total: 100}
	t2.Quotes = []*core.QuoteRecord{paid, open}
	if err := td.Commit(ctx, t2); err != nil {
		t.Fatal(err)
	}
	repriced := *paid
	repriced.Total, repriced.Subtotal, repriced.Status = 60000, 60000, core.QuoteAccepted
	if err := td.Commit(ctx, &core.Turn{Session: t2.Session, Quotes: []*core.QuoteRecord{&repriced}}); err != nil {
		t.Fatal(err)
	}
	if err := td.MarkPaid(ctx, paid.ID, "pi_3Nx", "owner"); err != nil {
		t.Fatal(err)
	}
	// The first reply was sent and delivered; the later ones still wait.
	items, _ := td.PendingOutbound(ctx, "whatsapp", 100)
	for _, it := range items {
		if it.Contact == urn {
			if err := td.MarkSent(ctx, it.ID, "wamid.out."+idPrefix, at); err != nil {
				t.Fatal(err)
			}
			break
		}
	}
}

func TestExportContentAndSchema(t *testing.T) {
	td := openTest(t)
	ctx := ctxT(t)
	seedContact(t, td, testPhone, "a")
	seedContact(t, td, phoneN(2), "b")
	e, err := td.Export(ctx, "1 555 010 0123")
	if err != nil {
		t.Fatal(err)
	}
	if e.Contact == nil || e.Contact.Email != testEmail || e.Conversation == nil {
		t.Fatalf("export contact = %+v", e.Contact)
	}
	checks := map[string][2]int{
		"projects": {len(e.Projects), 1}, "quotes": {len(e.Quotes), 2}, "revisions": {len(e.Revisions), 1},
		"consents": {len(e.Consents), 1}, "opt events": {len(e.OptEvents), 2}, "messages": {len(e.Messages), 4},
		"ai": {len(e.AIRecords), 1}, "media": {len(e.Media), 1}, "audit": {len(e.Audit), 1},
	}
	for what, c := range checks {
		if c[0] != c[1] {
			t.Errorf("export has %d %s, want %d", c[0], what, c[1])
		}
	}
	for _, m := range e.Messages {
		if m.Contact != core.PhoneURN(testPhone) {
			t.Errorf("another contact's message in the export: %s", m.Contact)
		}
	}
	dir := t.TempDir()
	files, err := e.WriteExport(filepath.Join(dir, "export.json"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) != 2 {
		t.Fatalf("wrote %v", files)
	}
	raw, err := os.ReadFile(files[0])
	if err != nil {
		t.Fatal(err)
	}
	var doc any
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	var schema map[string]any
	if err := json.Unmarshal(ExportSchema(), &schema); err != nil {
		t.Fatal(err)
	}
	for _, problem := range validateSchema(schema, schema, doc, "$") {
		t.Error(problem)
	}
	photo, err := os.ReadFile(filepath.Join(dir, e.Media[0].File))
	if err != nil || !bytes.Equal(photo, []byte("PHOTO-of-"+testPhone+"-roof")) {
		t.Errorf("photo beside the export: %q, %v", photo, err)
	}
	if fi, _ := os.Stat(files[0]); fi.Mode().Perm() != 0o600 {
		t.Errorf("export file mode %v", fi.Mode().Perm())
	}
	data, name, err := td.ExportJSON(ctx, testPhone)
	if err != nil || !strings.HasPrefix(name, "allmyleads-export-") || !bytes.Contains(data, []byte(`"format": "allmyleads-export/v1"`)) {
		t.Errorf("ExportJSON: %s, %v", name, err)
	}
	empty, err := td.Export(ctx, "+15550199999")
	if err != nil || !empty.Empty() {
		t.Errorf("export of a stranger: %+v, %v", empty, err)
	}
}

// validateSchema checks v against the subset of JSON Schema the export
// schema uses: type, required, properties, items, enum, const, $ref.
func validateSchema(root, s map[string]any, v any, path string) []string {
	if ref, ok := s["$ref"].(string); ok {
		name := strings.TrimPrefix(ref, "#/$defs/")
		return validateSchema(root, root["$defs"].(map[string]any)[name].(map[string]any), v, path)
	}
	var problems []string
	if typ, ok := s["type"]; ok {
		var types []string
		switch tt := typ.(type) {
		case string:
			types = []string{tt}
		case []any:
			for _, x := range tt {
				types = append(types, x.(string))
			}
		}
		if !typeMatches(types, v) {
			return []string{fmt.Sprintf("%s: want %v, got %T", path, types, v)}
		}
	}
	if c, ok := s["const"]; ok && c != v {
		problems = append(problems, fmt.Sprintf("%s: want %v, got %v", path, c, v))
	}
	if enum, ok := s["enum"].([]any); ok {
		found := false
		for _, e := range enum {
			found = found || e == v
		}
		if !found {
			problems = append(problems, fmt.Sprintf("%s: %v not in %v", path, v, enum))
		}
	}
	if obj, ok := v.(map[string]any); ok {
		for _, r := range asList(s["required"]) {
			if _, ok := obj[r.(string)]; !ok {
				problems = append(problems, fmt.Sprintf("%s: missing %q", path, r))
			}
		}
		props, _ := s["properties"].(map[string]any)
		for k, pv := range obj {
			if ps, ok := props[k].(map[string]any); ok {
				problems = append(problems, validateSchema(root, ps, pv, path+"."+k)...)
			}
		}
	}
	if arr, ok := v.([]any); ok {
		if is, ok := s["items"].(map[string]any); ok {
			for i, item := range arr {
				problems = append(problems, validateSchema(root, is, item, fmt.Sprintf("%s[%d]", path, i))...)
			}
		}
	}
	return problems
}

func asList(v any) []any { l, _ := v.([]any); return l }

func typeMatches(types []string, v any) bool {
	for _, t := range types {
		switch x := v.(type) {
		case nil:
			if t == "null" {
				return true
			}
		case string:
			if t == "string" {
				return true
			}
		case bool:
			if t == "boolean" {
				return true
			}
		case float64:
			if t == "number" || (t == "integer" && x == float64(int64(x))) {
				return true
			}
		case []any:
			if t == "array" {
				return true
			}
		case map[string]any:
			if t == "object" {
				return true
			}
		}
	}
	return false
}

// plaintexts opens every value in the database and returns them joined, so
// a test can look for personal data in what the store still holds.
func (td *testDB) plaintexts(t testing.TB) []byte {
	t.Helper()
	// The lead indexer folds notes in the background: fold them now, so
	// two calls compare what the operations between them did.
	if err := td.foldPending(ctxT(t)); err != nil {
		t.Fatal(err)
	}
	var all bytes.Buffer
	err := td.withKeys(func(ks *keyset) error {
		return td.db.View(func(tx *bolt.Tx) error {
			ks := ks.in(tx)
			return tx.ForEach(func(name []byte, b *bolt.Bucket) error {
				return walkValues(ks, string(name), b, &all)
			})
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	return all.Bytes()
}

func walkValues(ks *keyset, name string, b *bolt.Bucket, out *bytes.Buffer) error {
	return b.ForEach(func(k, v []byte) error {
		if v == nil {
			return walkValues(ks, name+"/"+string(k), b.Bucket(k), out)
		}
		out.Write(k)
		if name == "meta" || name == string(bDataKeys) {
			return nil // the key check and the wrapped data keys are not sealed values
		}
		body, err := ks.open(name, k, v)
		if err != nil {
			return fmt.Errorf("%s/%x: %w", name, k, err)
		}
		out.Write(body)
		return nil
	})
}

func TestEraseRemovesPersonalDataKeepsPayments(t *testing.T) {
	td := openTest(t)
	ctx := ctxT(t)
	seedContact(t, td, testPhone, "a")
	seedContact(t, td, phoneN(2), "b")
	if err := td.Audit(ctx, core.AuditEntry{Actor: "owner", Action: "export", Contact: testPhone}); err != nil {
		t.Fatal(err)
	}
	rep, err := td.Erase(ctx, testPhone, "owner")
	if err != nil {
		t.Fatal(err)
	}
	want := EraseReport{ContactKey: td.ContactKey(testPhone), Contact: true, Session: true, Projects: 1, Quotes: 1, KeptPayments: 1, Consents: 1, OptEvents: 2, Messages: 4, Outbox: 1, Media: 1, AIRecords: 1}
	if rep != want {
		t.Errorf("erase report\n got %+v\nwant %+v", rep, want)
	}
	e, err := td.Export(ctx, testPhone)
	if err != nil {
		t.Fatal(err)
	}
	if e.Contact != nil || e.Conversation != nil || len(e.Projects)+len(e.Quotes)+len(e.Messages)+len(e.Media)+len(e.Consents)+len(e.AIRecords)+len(e.OptEvents) != 0 {
		t.Errorf("export after erase is not empty: %+v", e)
	}
	held := td.plaintexts(t)
	for _, s := range []string{testPhone, "15550100123", testName, testEmail, testText, "Marigold", "PHOTO-of-" + testPhone} {
		if bytes.Contains(held, []byte(s)) {
			t.Errorf("after erase the store still holds %q", s)
		}
	}
	// The other contact is untouched.
	other, _ := td.Export(ctx, phoneN(2))
	if other.Contact == nil || len(other.Messages) != 4 || len(other.Media) != 1 {
		t.Errorf("other contact after erase: %d messages, %d media", len(other.Messages), len(other.Media))
	}
	// The payment stays, without personal fields.
	quotes, _ := td.Quotes(ctx, QuoteFilter{Status: core.QuotePaid})
	var kept *core.QuoteRecord
	for i := range quotes {
		if quotes[i].ID == "a-q1" {
			kept = &quotes[i]
		}
	}
	if kept == nil || kept.PaymentRef != "pi_3Nx" || kept.Total != 60000 || kept.Contact != "" || kept.Inputs != nil || kept.Notes != "" {
		t.Errorf("kept payment = %+v", kept)
	}
	// A late redelivery is still a duplicate.
	if err := td.Commit(ctx, turnFor(testPhone, "a.1", "again", td.clock.Now())); !errors.Is(err, core.ErrDuplicate) {
		t.Errorf("redelivery after erase: %v", err)
	}
	log, _ := td.AuditLog(ctx, time.Time{})
	last := log[len(log)-1]
	if last.Action != "erase" || last.Contact != rep.ContactKey || last.Actor != "owner" {
		t.Errorf("erase audit entry = %+v", last)
	}
	// A backup made after the erasure holds none of it, not even in free pages.
	var buf bytes.Buffer
	if _, err := td.Backup(ctx, &buf); err != nil {
		t.Fatal(err)
	}
	bpath := filepath.Join(t.TempDir(), "backup.db")
	os.WriteFile(bpath, buf.Bytes(), 0o600)
	assertNoPlaintext(t, bpath, testPhone, testName, testEmail)
	btd := &testDB{path: bpath, key: td.key, clock: td.clock}
	btd.reopen(t)
	if got := btd.plaintexts(t); bytes.Contains(got, []byte(testEmail)) || !bytes.Contains(got, []byte(phoneN(2))) {
		t.Error("backup after erase: erased data present or other contact missing")
	}
	td.closeDB(t)
	assertNoPlaintext(t, td.path, testPhone, "15550100123", testName, testEmail, testText)
}

func TestCorrect(t *testing.T) {
	td := openTest(t)
	ctx := ctxT(t)
	seedContact(t, td, testPhone, "a")
	if err := td.Correct(ctx, testPhone, "lead.email", " new@example.com ", "owner"); err != nil {
		t.Fatal(err)
	}
	if err := td.Correct(ctx, testPhone, "lead.phone", "+44 20 7946 0958", "owner"); err != nil {
		t.Fatal(err)
	}
	e, _ := td.Export(ctx, testPhone)
	lead := e.Conversation.Vars["lead"].(map[string]any)
	if e.Contact.Email != "new@example.com" || lead["email"] != "new@example.com" || lead["phone"] != "+442079460958" {
		t.Errorf("after correction: contact %q, vars %v", e.Contact.Email, lead)
	}
	for _, tc := range []struct{ path, value string }{{"lead.email", "not an email"}, {"lead.email", "Bob <bob@example.com>"}, {"lead.phone", "12"}, {"lead.name", "  "}} {
		if err := td.Correct(ctx, testPhone, tc.path, tc.value, "owner"); !errors.Is(err, ErrInvalidValue) {
			t.Errorf("correct %s=%q: %v, want ErrInvalidValue", tc.path, tc.value, err)
		}
	}
	if err := td.Correct(ctx, testPhone, "project.budget", "1", "owner"); err == nil || !strings.Contains(err.Error(), "lead.email") {
		t.Errorf("unknown field: %v", err)
	}
	if err := td.Correct(ctx, "+15550199999", "lead.name", "X", "owner"); !errors.Is(err, core.ErrNotFound) {
		t.Errorf("unknown contact: %v", err)
	}
	log, _ := td.AuditLog(ctx, time.Time{})
	var corrections int
	for _, a := range log {
		if a.Action == "correct" {
			corrections++
			if strings.Contains(a.Detail, "example.com") {
				t.Errorf("audit holds the corrected value: %q", a.Detail)
			}
		}
	}
	if corrections != 2 {
		t.Errorf("%d correction audit entries, want 2", corrections)
	}
}

func TestWithdrawConsent(t *testing.T) {
	td := openTest(t)
	ctx := ctxT(t)
	seedContact(t, td, testPhone, "a")
	td.clock.Add(time.Hour)
	if err := td.WithdrawConsent(ctx, testPhone, "QUOTE", "owner"); err != nil {
		t.Fatal(err)
	}
	e, _ := td.Export(ctx, testPhone)
	if c := e.Consents[0]; !c.Withdrawn.Equal(td.clock.Now()) || c.Text == "" {
		t.Errorf("consent = %+v", c)
	}
	if !e.Conversation.Ended || e.Conversation.Vars["consent"].(map[string]any)["quote"].(map[string]any)["granted"] != false {
		t.Errorf("conversation after withdrawal: ended %v vars %v", e.Conversation.Ended, e.Conversation.Vars["consent"])
	}
	if err := td.WithdrawConsent(ctx, testPhone, "", "owner"); !errors.Is(err, core.ErrNotFound) {
		t.Errorf("second withdrawal: %v, want ErrNotFound", err)
	}
}

func TestLeadsQuotesMarkPaid(t *testing.T) {
	td := openTest(t)
	ctx := ctxT(t)
	seedContact(t, td, testPhone, "a")
	td.clock.Add(48 * time.Hour)
	seedContact(t, td, phoneN(2), "b")
	leads, err := td.Leads(ctx, LeadFilter{})
	if err != nil || len(leads) != 2 {
		t.Fatalf("leads: %d, %v", len(leads), err)
	}
	if leads[0].Project == nil || leads[0].Quote == nil || leads[0].Quote.Total == 0 {
		t.Errorf("lead = %+v", leads[0])
	}
	if l, _ := td.Leads(ctx, LeadFilter{Since: td.clock.Now().Add(-time.Hour)}); len(l) != 1 || l[0].Phone != phoneN(2) {
		t.Errorf("leads since: %+v", l)
	}
	if l, _ := td.Leads(ctx, LeadFilter{Status: "quoted"}); len(l) != 0 {
		t.Errorf("leads with status quoted: %d", len(l))
	}
	if q, _ := td.Quotes(ctx, QuoteFilter{Contact: phoneN(2)}); len(q) != 2 {
		t.Errorf("quotes of b: %d", len(q))
	}
	if q, _ := td.Quotes(ctx, QuoteFilter{Status: "paid"}); len(q) != 2 {
		t.Errorf("paid quotes: %d", len(q))
	}
	if err := td.MarkPaid(ctx, "a-q1", "pi_3Nx", "owner"); err != nil {
		t.Errorf("marking paid again with the same reference: %v", err)
	}
	if err := td.MarkPaid(ctx, "a-q1", "pi_other", "owner"); !errors.Is(err, ErrQuoteState) {
		t.Errorf("paying twice: %v", err)
	}
	if err := td.MarkPaid(ctx, "nope", "pi", "owner"); !errors.Is(err, core.ErrNotFound) {
		t.Errorf("unknown quote: %v", err)
	}
	// A stale copy of the quote from the conversation does not undo the payment.
	stale := &core.QuoteRecord{ID: "a-q1", Contact: testPhone, Status: core.QuoteAccepted, Currency: "EUR", Items: []core.QuoteItem{{Description: "tiles", Quantity: 1, UnitPrice: 50000, Total: 50000}}, Subtotal: 50000, Total: 50000}
	if err := td.Commit(ctx, &core.Turn{Session: &core.Session{Contact: testPhone}, Quotes: []*core.QuoteRecord{stale}}); err != nil {
		t.Fatal(err)
	}
	if q, _ := td.Quotes(ctx, QuoteFilter{Contact: testPhone, Status: "paid"}); len(q) != 1 || q[0].PaymentRef != "pi_3Nx" || q[0].Total != 60000 || q[0].Revision != 2 {
		t.Errorf("paid quote changed by a stale copy: %+v", q)
	}
	if stale.Status != core.QuotePaid || stale.Total != 60000 {
		t.Errorf("the turn's copy was not brought up to the stored payment record: %+v", stale)
	}
}
