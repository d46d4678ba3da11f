package store

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/allmyleads/allmyleads/engine/core"
)

func TestCommitAndReloadSession(t *testing.T) {
	td := openTest(t)
	ctx := ctxT(t)
	at := td.clock.Now()
	turn := turnFor(testPhone, "wamid.1", testText, at)
	if err := td.Commit(ctx, turn); err != nil {
		t.Fatal(err)
	}
	if turn.Outbound[0].ID == "" || turn.Outbound[0].Channel != "whatsapp" || turn.Outbound[0].ReplyTo != "wamid.1" {
		t.Errorf("outbound not filled in: %+v", turn.Outbound[0])
	}
	td.closeDB(t)
	td.reopen(t)

	got, err := td.Session(ctx, "15550100123") // the same contact, typed without +
	if err != nil {
		t.Fatal(err)
	}
	want := turn.Session
	if got == nil || got.Step != want.Step || got.Flow != want.Flow || !got.LastInbound.Equal(want.LastInbound) {
		t.Fatalf("session = %+v, want %+v", got, want)
	}
	if lead := got.Vars["lead"].(map[string]any); lead["email"] != testEmail {
		t.Errorf("vars = %v", got.Vars)
	}
	if none, err := td.Session(ctx, "+15550100999"); err != nil || none != nil {
		t.Errorf("unknown contact: %v, %v", none, err)
	}
	li, err := td.LastInbound(ctx, testPhone)
	if err != nil || !li.Equal(at) {
		t.Errorf("last inbound = %v, %v; want %v", li, err, at)
	}
	msgs := td.messages(t, testPhone)
	if len(msgs) != 2 || msgs[0].Direction != DirIn || msgs[0].Text != testText || msgs[1].Direction != DirOut || msgs[1].Status != StatusQueued {
		t.Errorf("message log = %+v", msgs)
	}
	if seen, _ := td.Seen(ctx, "whatsapp", "wamid.1"); !seen {
		t.Error("inbound id not seen")
	}
	if seen, _ := td.Seen(ctx, "console", "wamid.1"); seen {
		t.Error("seen on another channel")
	}
	if err := td.Ping(); err != nil {
		t.Error(err)
	}
}

func TestDuplicateChangesNothing(t *testing.T) {
	td := openTest(t)
	ctx := ctxT(t)
	at := td.clock.Now()
	if err := td.Commit(ctx, turnFor(testPhone, "wamid.1", "first", at)); err != nil {
		t.Fatal(err)
	}
	before := map[string]int{}
	for _, b := range allBuckets() {
		before[string(b)] = td.count(t, b)
	}
	dup := turnFor(testPhone, "wamid.1", "second", at.Add(time.Minute))
	dup.Session.Step = "somewhere_else"
	dup.AI = []core.AIRecord{{Contact: testPhone, Time: at, Extractor: "offline", Outcome: "ok"}}
	if err := td.Commit(ctx, dup); !errors.Is(err, core.ErrDuplicate) {
		t.Fatalf("duplicate commit: %v, want ErrDuplicate", err)
	}
	for _, b := range allBuckets() {
		if n := td.count(t, b); n != before[string(b)] {
			t.Errorf("bucket %s: %d keys after a duplicate, %d before", b, n, before[string(b)])
		}
	}
	got, _ := td.Session(ctx, testPhone)
	if got.Step != "ask_email" {
		t.Errorf("duplicate changed the session: step %q", got.Step)
	}
	items, _ := td.PendingOutbound(ctx, "whatsapp", 10)
	if len(items) != 1 {
		t.Errorf("outbox has %d items, want 1", len(items))
	}
}

func TestCrashSafetyReopenBetweenCommits(t *testing.T) {
	td := openTest(t)
	ctx := ctxT(t)
	const n = 6
	for i := range n {
		td.clock.Add(time.Minute)
		turn := turnFor(testPhone, fmt.Sprintf("wamid.%d", i), fmt.Sprintf("answer %d", i), td.clock.Now())
		turn.Session.Step = fmt.Sprintf("step_%d", i)
		if err := td.Commit(ctx, turn); err != nil {
			t.Fatal(err)
		}
		td.closeDB(t)
		td.reopen(t)
		// A redelivery after the restart is still a duplicate.
		if err := td.Commit(ctx, turnFor(testPhone, fmt.Sprintf("wamid.%d", i), "again", td.clock.Now())); !errors.Is(err, core.ErrDuplicate) {
			t.Fatalf("redelivery after reopen: %v", err)
		}
		sess, err := td.Session(ctx, testPhone)
		if err != nil || sess.Step != fmt.Sprintf("step_%d", i) {
			t.Fatalf("after reopen %d: %+v, %v", i, sess, err)
		}
	}
	items, err := td.PendingOutbound(ctx, "", 100)
	if err != nil || len(items) != n {
		t.Fatalf("outbox: %d items, %v", len(items), err)
	}
	for i := 1; i < len(items); i++ {
		if items[i-1].ID >= items[i].ID {
			t.Errorf("outbox out of order: %s before %s", items[i-1].ID, items[i].ID)
		}
	}
	if msgs := td.messages(t, testPhone); len(msgs) != 2*n {
		t.Errorf("message log has %d entries, want %d", len(msgs), 2*n)
	}
}

func TestConcurrentCommits(t *testing.T) {
	td := openTest(t)
	ctx := ctxT(t)
	const contacts, perContact = 200, 3
	var wg sync.WaitGroup
	errs := make(chan error, contacts)
	for c := range contacts {
		wg.Add(1)
		go func() {
			defer wg.Done()
			phone := phoneN(c)
			for m := range perContact {
				turn := turnFor(phone, fmt.Sprintf("wamid.%d.%d", c, m), "hello", td.clock.Now())
				turn.Session.Step = fmt.Sprintf("step_%d", m)
				if err := td.Commit(ctx, turn); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	for c := range contacts {
		sess, err := td.Session(ctx, phoneN(c))
		if err != nil || sess == nil || sess.Step != fmt.Sprintf("step_%d", perContact-1) {
			t.Fatalf("contact %d: %+v, %v", c, sess, err)
		}
	}
	items, err := td.PendingOutbound(ctx, "whatsapp", contacts*perContact+10)
	if err != nil || len(items) != contacts*perContact {
		t.Fatalf("outbox: %d items, %v", len(items), err)
	}
	ids := map[string]bool{}
	for _, it := range items {
		if ids[it.ID] {
			t.Fatalf("outbox id %s twice", it.ID)
		}
		ids[it.ID] = true
	}
	if n := td.count(t, bSeen); n != contacts*perContact {
		t.Errorf("seen has %d ids, want %d", n, contacts*perContact)
	}
}

func TestOutboxOrderRetryAndFilter(t *testing.T) {
	td := openTest(t)
	ctx := ctxT(t)
	now := td.clock.Now()
	a, b := phoneN(1), phoneN(2)
	// Business-started turns (no inbound): two messages to a, one to b on
	// another channel, one more to b on whatsapp.
	commit := func(phone, channel string, texts ...string) []string {
		turn := &core.Turn{Session: &core.Session{Contact: phone, Vars: map[string]any{}}}
		for _, x := range texts {
			turn.Outbound = append(turn.Outbound, core.Outbound{Channel: channel, Contact: phone, Kind: core.OutText, Text: x})
		}
		if err := td.Commit(ctx, turn); err != nil {
			t.Fatal(err)
		}
		var ids []string
		for _, o := range turn.Outbound {
			ids = append(ids, o.ID)
		}
		return ids
	}
	aIDs := commit(a, "whatsapp", "a1", "a2")
	commit(b, "console", "b-console")
	bIDs := commit(b, "whatsapp", "b1")

	texts := func(items []core.OutboxItem) string {
		var s []string
		for _, it := range items {
			s = append(s, it.Text)
		}
		return strings.Join(s, ",")
	}
	got, _ := td.PendingOutbound(ctx, "whatsapp", 10)
	if texts(got) != "a1,a2,b1" {
		t.Errorf("pending whatsapp = %s", texts(got))
	}
	got, _ = td.PendingOutbound(ctx, "", 10)
	if texts(got) != "a1,a2,b-console,b1" {
		t.Errorf("pending all = %s", texts(got))
	}
	got, _ = td.PendingOutbound(ctx, "whatsapp", 2)
	if texts(got) != "a1,a2" {
		t.Errorf("pending limit 2 = %s", texts(got))
	}
	// a1 waits for a retry: a2 must wait too (order per contact), b1 goes.
	if err := td.MarkRetry(ctx, aIDs[0], now.Add(time.Minute), "429"); err != nil {
		t.Fatal(err)
	}
	got, _ = td.PendingOutbound(ctx, "whatsapp", 10)
	if texts(got) != "b1" {
		t.Errorf("pending during a1's backoff = %s", texts(got))
	}
	td.clock.Add(2 * time.Minute)
	got, _ = td.PendingOutbound(ctx, "whatsapp", 10)
	if texts(got) != "a1,a2,b1" || got[0].Attempts != 1 {
		t.Errorf("pending after backoff = %s (attempts %d)", texts(got), got[0].Attempts)
	}
	if err := td.MarkSent(ctx, aIDs[0], "wamid.out.1", td.clock.Now()); err != nil {
		t.Fatal(err)
	}
	if err := td.MarkFailed(ctx, aIDs[1], 131047, "outside the 24 h window", true); err != nil {
		t.Fatal(err)
	}
	if err := td.MarkFailed(ctx, bIDs[0], 131026, "undeliverable", false); err != nil {
		t.Fatal(err)
	}
	got, _ = td.PendingOutbound(ctx, "whatsapp", 10)
	if len(got) != 0 {
		t.Errorf("pending after sent/failed = %s", texts(got))
	}
	if err := td.MarkSent(ctx, aIDs[0], "wamid.out.again", td.clock.Now()); !errors.Is(err, core.ErrNotFound) {
		t.Errorf("mark sent twice: %v, want ErrNotFound", err)
	}
	msgs := td.messages(t, a)
	if msgs[0].Status != StatusSent || msgs[0].ProviderID != "wamid.out.1" || msgs[0].Attempts != 2 {
		t.Errorf("a1 = %+v", msgs[0])
	}
	if msgs[1].Status != StatusNeedsTemplate || msgs[1].ErrorCode != 131047 {
		t.Errorf("a2 = %+v", msgs[1])
	}
	if m := td.messages(t, b); m[1].Status != StatusFailed || m[1].Error != "undeliverable" {
		t.Errorf("b1 = %+v", m[1])
	}
	if err := td.UpdateDelivery(ctx, "wamid.unknown", core.Delivery{Status: "read", Time: now}); !errors.Is(err, core.ErrNotFound) {
		t.Errorf("unknown provider id: %v", err)
	}
	if err := td.UpdateDelivery(ctx, "wamid.out.1", core.Delivery{Status: "bogus", Time: now}); err == nil {
		t.Error("unknown status accepted")
	}
}

type deliveryCase struct {
	Name      string   `json:"name"`
	Reports   []string `json:"reports"`
	Want      string   `json:"want"`
	ErrorCode int      `json:"error_code"`
}

func TestDeliveryStatusOrder(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join("testdata", "delivery.json"))
	if err != nil {
		t.Fatal(err)
	}
	var cases []deliveryCase
	if err := json.Unmarshal(raw, &cases); err != nil {
		t.Fatal(err)
	}
	td := openTest(t)
	ctx := ctxT(t)
	for i, tc := range cases {
		t.Run(tc.Name, func(t *testing.T) {
			phone := phoneN(100 + i)
			turn := &core.Turn{Outbound: []core.Outbound{{Channel: "whatsapp", Contact: phone, Kind: core.OutText, Text: "hi"}}}
			if err := td.Commit(ctx, turn); err != nil {
				t.Fatal(err)
			}
			pid := fmt.Sprintf("wamid.case.%d", i)
			at := td.clock.Now()
			if err := td.MarkSent(ctx, turn.Outbound[0].ID, pid, at); err != nil {
				t.Fatal(err)
			}
			for j, st := range tc.Reports {
				d := core.Delivery{Status: st, Time: at.Add(time.Duration(j+1) * time.Second)}
				if st == StatusFailed {
					d.ErrorCode, d.Error = 131026, "message undeliverable"
				}
				if err := td.UpdateDelivery(ctx, pid, d); err != nil {
					t.Fatal(err)
				}
			}
			m := td.messages(t, phone)[0]
			if m.Status != tc.Want || m.ErrorCode != tc.ErrorCode {
				t.Errorf("after %v: status %q code %d, want %q code %d", tc.Reports, m.Status, m.ErrorCode, tc.Want, tc.ErrorCode)
			}
			if len(m.History) != len(tc.Reports)+1 {
				t.Errorf("history has %d reports, want %d", len(m.History), len(tc.Reports)+1)
			}
		})
	}
}

func TestInboxSurvivesReopen(t *testing.T) {
	td := openTest(t)
	ctx := ctxT(t)
	var ids []string
	for i := range 3 {
		id, err := td.AddInbox(ctx, "whatsapp", []byte(fmt.Sprintf(`{"from":"%s","n":%d}`, testPhone, i)), td.clock.Now())
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	if err := td.DoneInbox(ctx, ids[1]); err != nil {
		t.Fatal(err)
	}
	td.closeDB(t)
	assertNoPlaintext(t, td.path, testPhone, "15550100123")
	td.reopen(t)
	items, err := td.PendingInbox(ctx, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(items) != 2 || items[0].ID != ids[0] || items[1].ID != ids[2] || !strings.Contains(string(items[1].Body), `"n":2`) || items[0].Channel != "whatsapp" {
		t.Fatalf("pending inbox after reopen = %+v", items)
	}
	if err := td.DoneInbox(ctx, ids[1]); err != nil {
		t.Errorf("done twice: %v", err)
	}
	if got, _ := td.PendingInbox(ctx, 1); len(got) != 1 {
		t.Errorf("limit: %d items", len(got))
	}
}

func TestWrongKey(t *testing.T) {
	td := openTest(t)
	if err := td.Commit(ctxT(t), turnFor(testPhone, "wamid.1", testText, td.clock.Now())); err != nil {
		t.Fatal(err)
	}
	td.closeDB(t)
	_, err := Open(Options{Path: td.path, Key: testKey(8)})
	if !errors.Is(err, ErrWrongKey) {
		t.Fatalf("open with the wrong key: %v, want ErrWrongKey", err)
	}
	if _, err := Open(Options{Path: td.path, Key: []byte("short")}); err == nil || !strings.Contains(err.Error(), "32 bytes") {
		t.Errorf("short key: %v", err)
	}
}

func TestLockedFile(t *testing.T) {
	td := openTest(t)
	_, err := Open(Options{Path: td.path, Key: td.key, LockTimeout: 20 * time.Millisecond})
	if !errors.Is(err, ErrLocked) {
		t.Fatalf("second open: %v, want ErrLocked", err)
	}
}

func TestRawFileHasNoPersonalData(t *testing.T) {
	td := openTest(t)
	ctx := ctxT(t)
	at := td.clock.Now()
	turn := turnFor(testPhone, "wamid.HBgLMTU1NTAxMDAxMjMVAgASGBQzQTk", testText, at)
	photo := []byte("JPEG-BYTES-with-a-secret-marker-0451")
	turn.Inbound.Kind = core.InImage
	turn.Inbound.Media = []core.Media{{ID: "channel-media-1", MIME: "image/jpeg", Data: photo, Caption: "caption of the purple kitchen"}}
	turn.Project = &core.Project{ID: "p1", Contact: testPhone, Service: "roofing", Description: testText, Status: "open", Created: at, Updated: at}
	turn.Quotes = []*core.QuoteRecord{{ID: "q1", Contact: testPhone, Status: core.QuoteSent, Currency: "EUR", Total: 123456, Inputs: map[string]any{"address": "12 Marigold Lane"}}}
	turn.Consents = []core.ConsentRecord{{ID: "c1", Contact: testPhone, Purpose: "quote", Text: "We keep your details to prepare your quote", Granted: true, Time: at, Channel: "whatsapp"}}
	turn.AI = []core.AIRecord{{Contact: testPhone, Time: at, Extractor: "offline", Outcome: "ok", Fields: map[string]core.FieldResult{"email": {Value: testEmail, Confidence: 1}}}}
	turn.Audit = []core.AuditEntry{{Time: at, Actor: "admin", Action: "correct", Contact: testPhone, Detail: "lead.email"}}
	if err := td.Commit(ctx, turn); err != nil {
		t.Fatal(err)
	}
	if err := td.MarkSent(ctx, turn.Outbound[0].ID, "wamid.provider.15550100123", at); err != nil {
		t.Fatal(err)
	}
	td.closeDB(t)
	assertNoPlaintext(t, td.path, testPhone, "15550100123", testName, testEmail, testText, "purple kitchen",
		"Marigold", "secret-marker", "prepare your quote", "Thanks")
}

func TestMediaRoundtrip(t *testing.T) {
	td := openTest(t)
	ctx := ctxT(t)
	data := bytes.Repeat([]byte{0xff, 0xd8, 0x01, 0x02}, 50_000)
	turn := turnFor(testPhone, "wamid.photo", "", td.clock.Now())
	turn.Inbound.Kind = core.InImage
	turn.Inbound.Media = []core.Media{{ID: "meta-id-1", MIME: "image/jpeg", Filename: "roof.jpg", Data: data}}
	if err := td.Commit(ctx, turn); err != nil {
		t.Fatal(err)
	}
	ref := turn.Inbound.Media[0]
	if len(ref.ID) != 64 || ref.SHA256 != ref.ID || ref.Size != len(data) {
		t.Fatalf("media ref not filled in: %+v", ref)
	}
	td.closeDB(t)
	td.reopen(t)
	got, err := td.Media(ctx, ref.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got.Data, data) || got.MIME != "image/jpeg" || got.Filename != "roof.jpg" || got.Size != len(data) {
		t.Errorf("media = %s %s %d bytes", got.MIME, got.Filename, len(got.Data))
	}
	if _, err := td.Media(ctx, strings.Repeat("0", 64)); !errors.Is(err, core.ErrNotFound) {
		t.Errorf("missing media: %v", err)
	}
	msgs := td.messages(t, testPhone)
	if len(msgs[0].Media) != 1 || msgs[0].Media[0].ID != ref.ID || msgs[0].Media[0].Data != nil {
		t.Errorf("message log media refs = %+v", msgs[0].Media)
	}
	// A document the bot sends is kept too, so the sender can load it.
	doc := []byte(`{"format":"allmyleads-export/v1"}`)
	out := &core.Turn{Outbound: []core.Outbound{{Channel: "whatsapp", Contact: testPhone, Kind: core.OutDocument, Media: &core.Media{MIME: "application/json", Filename: "export.json", Data: doc}}}}
	if err := td.Commit(ctx, out); err != nil {
		t.Fatal(err)
	}
	items, _ := td.PendingOutbound(ctx, "whatsapp", 10)
	last := items[len(items)-1]
	if last.Media == nil || last.Media.ID == "" {
		t.Fatalf("outbox document has no media id: %+v", last.Media)
	}
	if got, err := td.Media(ctx, last.Media.ID); err != nil || !bytes.Equal(got.Data, doc) {
		t.Errorf("document: %v", err)
	}
}

func TestQuoteRevisionsAndConsentWithdrawal(t *testing.T) {
	td := openTest(t)
	ctx := ctxT(t)
	at := td.clock.Now()
	q := core.QuoteRecord{ID: "q1", Contact: testPhone, Status: core.QuoteSent, Currency: "EUR",
		Items: []core.QuoteItem{{Description: "tiles", Quantity: 10, UnitPrice: 1000, Total: 10000}}, Subtotal: 10000, Total: 10000}
	consent := core.ConsentRecord{ID: "c1", Contact: testPhone, Purpose: "quote", Text: "words shown", Granted: true, Time: at, Channel: "whatsapp"}
	steps := []*core.Turn{
		{Session: &core.Session{Contact: testPhone}, Quotes: []*core.QuoteRecord{ptr(q)}, Consents: []core.ConsentRecord{consent}},
		{Session: &core.Session{Contact: testPhone}, Quotes: []*core.QuoteRecord{ptr(withStatus(q, core.QuoteAccepted))}},           // status only: no revision
		{Session: &core.Session{Contact: testPhone}, Quotes: []*core.QuoteRecord{ptr(withTotal(q, 12000))}},                         // priced again: revision 2
		{Session: &core.Session{Contact: testPhone}, Consents: []core.ConsentRecord{{ID: "c1", Contact: testPhone, Withdrawn: at}}}, // withdrawal
	}
	for _, turn := range steps {
		if err := td.Commit(ctx, turn); err != nil {
			t.Fatal(err)
		}
	}
	if got := steps[2].Quotes[0].Revision; got != 2 {
		t.Errorf("revision after repricing = %d, want 2", got)
	}
	if n := td.count(t, bQuoteRevs); n != 1 {
		t.Errorf("%d earlier revisions kept, want 1", n)
	}
	var c core.ConsentRecord
	td.withKeys(func(ks *keyset) error {
		return td.db.View(func(tx *boltTx) error {
			_, err := ks.getJSON(tx.Bucket(bConsents), string(bConsents), ckKey(ks.contactKey(testPhone), "c1"), &c)
			return err
		})
	})
	if c.Text != "words shown" || !c.Granted || !c.Withdrawn.Equal(at) {
		t.Errorf("consent after withdrawal = %+v", c)
	}
}

func ptr[T any](v T) *T { return &v }

func withStatus(q core.QuoteRecord, s string) core.QuoteRecord { q.Status = s; return q }

func withTotal(q core.QuoteRecord, total int64) core.QuoteRecord {
	q.Items = append([]core.QuoteItem(nil), q.Items...)
	q.Items[0].Total, q.Subtotal, q.Total = total, total, total
	return q
}

func TestContactKeyIsStableAndKeyed(t *testing.T) {
	td := openTest(t)
	k1 := td.ContactKey("+1 555-010-0123")
	if k1 != td.ContactKey("15550100123") || len(k1) != 64 {
		t.Errorf("contact key not normalised: %s", k1)
	}
	other, err := Open(Options{Path: filepath.Join(t.TempDir(), "o.db"), Key: td.key})
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	if other.ContactKey(testPhone) == k1 {
		t.Error("two databases hash a phone number the same way (no per-database salt)")
	}
	if reflect.DeepEqual(k1, testPhone) {
		t.Error("contact key is the phone number")
	}
}

func TestCloseFinishesWritesThenRefuses(t *testing.T) {
	td := openTest(t)
	ctx := ctxT(t)
	var wg sync.WaitGroup
	results := make(chan error, 20)
	for i := range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			results <- td.Commit(ctx, turnFor(phoneN(i), fmt.Sprintf("close.%d", i), "hi", td.clock.Now()))
		}()
	}
	wg.Wait()
	td.closeDB(t)
	close(results)
	for err := range results {
		if err != nil {
			t.Errorf("commit before close: %v", err)
		}
	}
	if err := td.Commit(ctx, turnFor(testPhone, "after", "hi", td.clock.Now())); !errors.Is(err, ErrClosed) {
		t.Errorf("commit after close: %v, want ErrClosed", err)
	}
	td.reopen(t)
	for i := range 20 {
		if s, _ := td.Session(ctx, phoneN(i)); s == nil {
			t.Errorf("contact %d lost", i)
		}
	}
}
