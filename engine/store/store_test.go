package store

import (
	"errors"
	"fmt"
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

// TestPendingOutboundEveryChannel: beyond the contract, an empty channel
// reads every channel's outbox, oldest first (the conformance suite covers
// one channel's order, backoff and outcomes).
func TestPendingOutboundEveryChannel(t *testing.T) {
	td := openTest(t)
	ctx := ctxT(t)
	a, b := core.PhoneURN(phoneN(1)), core.PhoneURN(phoneN(2))
	commit := func(urn, channel string, texts ...string) {
		turn := &core.Turn{}
		for _, x := range texts {
			turn.Outbound = append(turn.Outbound, core.Outbound{Channel: channel, Contact: urn, Kind: core.OutText, Text: x})
		}
		if err := td.Commit(ctx, turn); err != nil {
			t.Fatal(err)
		}
	}
	commit(a, "whatsapp", "a1", "a2")
	commit(b, "console", "b-console")
	commit(b, "whatsapp", "b1")
	var got []string
	items, err := td.PendingOutbound(ctx, "", 10)
	if err != nil {
		t.Fatal(err)
	}
	for _, it := range items {
		got = append(got, it.Text)
	}
	if strings.Join(got, ",") != "a1,a2,b-console,b1" {
		t.Errorf("pending of every channel = %v", got)
	}
	if items, _ := td.PendingOutbound(ctx, "", 3); len(items) != 3 {
		t.Errorf("limit 3: %d items", len(items))
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
