package postgres_test

import (
	"context"
	"errors"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/allmyleads/allmyleads/engine/core"
	"github.com/allmyleads/allmyleads/engine/store/postgres"
	"github.com/allmyleads/allmyleads/engine/store/postgres/pgtest"
	"github.com/allmyleads/allmyleads/engine/store/seal"
)

// What several processes sharing one database need beyond the
// conformance suite: claims that keep a contact in order, leases that
// outlive a killed process only so long, the contact lock across
// processes, and migrations and keys checked at start.

var testKey = []byte("0123456789abcdef0123456789abcdef")

// openShared opens a store on the schema as one more process would.
func openShared(t *testing.T, url, schema string, lease time.Duration) *postgres.Store {
	t.Helper()
	st, err := postgres.Open(context.Background(), postgres.Options{URL: url, Schema: schema, Key: testKey, Lease: lease, MaxConns: 4, TurnConns: 4})
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// eventually calls cond until it is true, failing after a deadline.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within 30s", what)
		}
		time.Sleep(20 * time.Millisecond) // polling a condition, not waiting for time to pass
	}
}

func pendingIDs(t *testing.T, st *postgres.Store) []string {
	t.Helper()
	items, err := st.PendingInbox(context.Background(), 100)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, it := range items {
		ids = append(ids, it.ID)
	}
	return ids
}

func TestInboxLanesKeepAContactInOrder(t *testing.T) {
	url, schema := pgtest.URL(t), pgtest.Schema(t)
	a, b := openShared(t, url, schema, time.Minute), openShared(t, url, schema, time.Minute)
	ctx := context.Background()
	x, y := "whatsapp:447700900001", "whatsapp:447700900002"

	first, mine, err := a.AddInboxFor(ctx, "whatsapp", []byte(`{"n":1}`), time.Now(), []string{x})
	if err != nil || !mine {
		t.Fatalf("a's first payload: mine %v, %v", mine, err)
	}
	second, mine, err := b.AddInboxFor(ctx, "whatsapp", []byte(`{"n":2}`), time.Now(), []string{x})
	if err != nil || mine {
		t.Fatalf("b's payload of the contact a holds: mine %v, %v; want it left for a", mine, err)
	}
	other, mine, err := b.AddInboxFor(ctx, "whatsapp", []byte(`{"n":3}`), time.Now(), []string{y})
	if err != nil || !mine {
		t.Fatalf("b's payload of another contact: mine %v, %v", mine, err)
	}
	if got := pendingIDs(t, b); len(got) != 1 || got[0] != other {
		t.Errorf("b takes %v, want only %s (x's payloads are a's, in order)", got, other)
	}
	if got := pendingIDs(t, a); len(got) != 2 || got[0] != first || got[1] != second {
		t.Errorf("a takes %v, want %s then %s", got, first, second)
	}
	// a finishes the first and goes away: b takes x's second.
	if err := a.DoneInbox(ctx, first); err != nil {
		t.Fatal(err)
	}
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}
	if got := pendingIDs(t, b); len(got) != 2 || got[0] != second || got[1] != other {
		t.Errorf("after a closed, b takes %v, want %s and %s", got, second, other)
	}
}

func TestClaimsOutliveAKilledProcessOnlyForItsLease(t *testing.T) {
	url, schema := pgtest.URL(t), pgtest.Schema(t)
	a := openShared(t, url, schema, 2*time.Second)
	b := openShared(t, url, schema, 2*time.Second)
	ctx := context.Background()
	x := "whatsapp:447700900003"
	payload, _, err := a.AddInboxFor(ctx, "whatsapp", []byte(`{"n":1}`), time.Now(), []string{x})
	if err != nil {
		t.Fatal(err)
	}
	turn := &core.Turn{Outbound: []core.Outbound{{Channel: "whatsapp", Contact: x, Kind: core.OutText, Text: "one"}, {Channel: "whatsapp", Contact: x, Kind: core.OutText, Text: "two"}}}
	if err := a.Commit(ctx, turn); err != nil {
		t.Fatal(err)
	}
	if items, err := a.PendingOutbound(ctx, "whatsapp", 10); err != nil || len(items) != 2 {
		t.Fatalf("a's outbox: %d items, %v", len(items), err)
	}
	if got := pendingIDs(t, b); len(got) != 0 {
		t.Fatalf("b takes %v while a lives", got)
	}
	if items, _ := b.PendingOutbound(ctx, "whatsapp", 10); len(items) != 0 {
		t.Fatalf("b sends %d of a's messages while a lives", len(items))
	}
	postgres.Abandon(a) // kill -9: claims stay until the lease runs out
	eventually(t, "b takes the payload of a killed process", func() bool {
		got := pendingIDs(t, b)
		return len(got) == 1 && got[0] == payload
	})
	items, err := b.PendingOutbound(ctx, "whatsapp", 10)
	if err != nil || len(items) != 2 || items[0].Text != "one" || items[1].Text != "two" {
		t.Fatalf("b's outbox after a died: %+v, %v; want one, two", items, err)
	}
}

func TestOutboxKeepsAContactWithOneProcess(t *testing.T) {
	url, schema := pgtest.URL(t), pgtest.Schema(t)
	a, b := openShared(t, url, schema, time.Minute), openShared(t, url, schema, time.Minute)
	ctx := context.Background()
	x, y := "whatsapp:447700900004", "whatsapp:447700900005"
	send := func(st *postgres.Store, c, text string) {
		if err := st.Commit(ctx, &core.Turn{Outbound: []core.Outbound{{Channel: "whatsapp", Contact: c, Kind: core.OutText, Text: text}}}); err != nil {
			t.Fatal(err)
		}
	}
	send(a, x, "x1")
	if items, _ := a.PendingOutbound(ctx, "whatsapp", 10); len(items) != 1 {
		t.Fatalf("a claims %d, want x1", len(items))
	}
	send(b, x, "x2")
	send(b, y, "y1")
	items, err := b.PendingOutbound(ctx, "whatsapp", 10)
	if err != nil || len(items) != 1 || items[0].Text != "y1" {
		t.Fatalf("b claims %+v, %v; want y1 alone (x's messages follow x1, which a sends)", items, err)
	}
	items, err = a.PendingOutbound(ctx, "whatsapp", 10)
	if err != nil || len(items) != 2 || items[0].Text != "x1" || items[1].Text != "x2" {
		t.Fatalf("a claims %+v, %v; want x1, x2", items, err)
	}
}

func TestContactLockAcrossProcesses(t *testing.T) {
	url, schema := pgtest.URL(t), pgtest.Schema(t)
	a, b := openShared(t, url, schema, time.Minute), openShared(t, url, schema, time.Minute)
	ctx := context.Background()
	x := "whatsapp:447700900006"
	turn := func(id, step string) *core.Turn {
		return &core.Turn{Inbound: &core.Inbound{Channel: "whatsapp", Contact: x, ID: id, Kind: core.InText, Text: "hi"},
			Session: &core.Session{Contact: x, Flow: "f", Step: step}}
	}
	locked, unlock, err := a.LockContact(ctx, x)
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	var berr error
	wg.Add(1)
	go func() {
		defer wg.Done()
		berr = b.Commit(ctx, turn("wamid.b", "b_step")) // waits for a's turn
	}()
	if err := a.Commit(locked, turn("wamid.a", "a_step")); err != nil {
		t.Fatal(err)
	}
	unlock()
	wg.Wait()
	if berr != nil {
		t.Fatal(berr)
	}
	if s, err := a.Session(ctx, x); err != nil || s.Step != "b_step" {
		t.Fatalf("session = %+v, %v; want b's turn after a's", s, err)
	}
	// A lock nobody committed under is let go by unlock.
	_, unlock, err = a.LockContact(ctx, x)
	if err != nil {
		t.Fatal(err)
	}
	unlock()
	_, unlockB, err := b.LockContact(ctx, x)
	if err != nil {
		t.Fatal(err)
	}
	unlockB()
}

func TestOpenRefusesWrongKeyAndNewerSchema(t *testing.T) {
	url, schema := pgtest.URL(t), pgtest.Schema(t)
	st := openShared(t, url, schema, time.Minute)
	if err := st.Ping(); err != nil {
		t.Fatalf("ping: %v", err)
	}
	ctx := context.Background()
	other := []byte("fedcba9876543210fedcba9876543210")
	if _, err := postgres.Open(ctx, postgres.Options{URL: url, Schema: schema, Key: other}); !errors.Is(err, seal.ErrWrongKey) {
		t.Errorf("open with another key: %v, want ErrWrongKey", err)
	}
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, `INSERT INTO `+pgx.Identifier{schema, "schema_migrations"}.Sanitize()+` (version, name) VALUES (9999, 'from the future')`); err != nil {
		t.Fatal(err)
	}
	if _, err := postgres.Open(ctx, postgres.Options{URL: url, Schema: schema, Key: testKey}); !errors.Is(err, postgres.ErrNewerSchema) {
		t.Errorf("open a newer schema: %v, want ErrNewerSchema", err)
	}
	if err := st.Ping(); err == nil {
		t.Error("ping of a schema newer than the program: no error")
	}
}

func TestOtherProcessesHearOfCommits(t *testing.T) {
	url, schema := pgtest.URL(t), pgtest.Schema(t)
	a, b := openShared(t, url, schema, time.Minute), openShared(t, url, schema, time.Minute)
	ctx := context.Background()
	x := "whatsapp:447700900007"
	var mu sync.Mutex
	var leads, channels []string
	b.OnLead(func(id string) { mu.Lock(); leads = append(leads, id); mu.Unlock() })
	b.OnOutbox(func(ch string) { mu.Lock(); channels = append(channels, ch); mu.Unlock() })
	a.OnLead(func(id string) { t.Errorf("a heard of its own commit of lead %s", id) })
	turn := &core.Turn{Inbound: &core.Inbound{Channel: "whatsapp", Contact: x, ID: "wamid.hear", Kind: core.InText, Text: "hi"},
		Session:  &core.Session{Contact: x, Flow: "f", Step: "s"},
		Outbound: []core.Outbound{{Channel: "whatsapp", Contact: x, Kind: core.OutText, Text: "hello"}}}
	// The listeners connect in the background: commit until b hears.
	for n := 0; ; n++ {
		turn.Inbound.ID = "wamid.hear." + strconv.Itoa(n)
		if err := a.Commit(ctx, turn); err != nil {
			t.Fatal(err)
		}
		mu.Lock()
		heard := len(leads) > 0 && len(channels) > 0
		mu.Unlock()
		if heard {
			break
		}
		if n > 500 {
			t.Fatal("b never heard of a's commits")
		}
		time.Sleep(10 * time.Millisecond) // polling a condition
	}
	mu.Lock()
	defer mu.Unlock()
	if leads[0] != b.LeadID(x) || channels[0] != "whatsapp" {
		t.Errorf("b heard lead %q on channel %q, want %q on whatsapp", leads[0], channels[0], b.LeadID(x))
	}
}

// TestPayments: a turn's payment is recorded once (a provider's retried
// event is a duplicate), shows in the export, and an erasure keeps it
// without the contact; RecordPayment records one for an erased contact.
func TestPayments(t *testing.T) {
	url, schema := pgtest.URL(t), pgtest.Schema(t)
	st := openShared(t, url, schema, time.Minute)
	ctx := context.Background()
	x := "whatsapp:447700900008"
	at := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	q := &core.QuoteRecord{ID: "q-pay", Contact: x, Status: core.QuoteAccepted, Currency: "EUR", Total: 10000}
	if err := st.Commit(ctx, &core.Turn{Session: &core.Session{Contact: x, Flow: "f", Step: "s"}, Quotes: []*core.QuoteRecord{q}}); err != nil {
		t.Fatal(err)
	}
	pay := core.PaymentRecord{ID: "stripe:cs_1", QuoteID: "q-pay", Contact: x, Provider: "stripe", Kind: core.PaymentDeposit, Amount: 3000, Currency: "EUR", Time: at}
	paid := *q
	paid.Status, paid.PaymentRef = core.QuoteDepositPaid, pay.ID
	turn := func() *core.Turn {
		qq := paid
		return &core.Turn{Session: &core.Session{Contact: x, Flow: "f", Step: "s"}, Quotes: []*core.QuoteRecord{&qq}, Payments: []core.PaymentRecord{pay}}
	}
	if err := st.Commit(ctx, turn()); err != nil {
		t.Fatal(err)
	}
	if err := st.Commit(ctx, turn()); !errors.Is(err, core.ErrDuplicate) {
		t.Fatalf("the same payment again: %v, want ErrDuplicate", err)
	}
	e, err := st.Export(ctx, x)
	if err != nil || len(e.Payments) != 1 || e.Payments[0].Amount != 3000 {
		t.Fatalf("export payments %+v, %v", e.Payments, err)
	}
	if _, err := st.Erase(ctx, x, "owner"); err != nil {
		t.Fatal(err)
	}
	kept, err := st.Payments(ctx, "q-pay")
	if err != nil || len(kept) != 1 || kept[0].Contact != "" {
		t.Fatalf("after the erasure: %+v, %v; want the payment kept without the contact", kept, err)
	}
	balance := core.PaymentRecord{ID: "stripe:cs_2", QuoteID: "q-pay", Provider: "stripe", Kind: core.PaymentFull, Amount: 7000, Currency: "EUR", Time: at}
	for want := range []bool{true, false} {
		done, err := st.RecordPayment(ctx, balance, "stripe")
		if err != nil || done != (want == 0) {
			t.Fatalf("record payment (try %d): %v, %v", want+1, done, err)
		}
	}
	got, _, err := st.Quote(ctx, "q-pay")
	if err != nil || got.Status != core.QuotePaid || got.PaymentRef != balance.ID {
		t.Fatalf("quote after the balance: %+v, %v", got, err)
	}
}
