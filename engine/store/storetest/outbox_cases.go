package storetest

import (
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/allmyleads/allmyleads/engine/core"
)

// testOutbox: the outbox keeps what the turn queued, hands it out oldest
// first per channel with a contact's messages in order, holds a contact
// back while an earlier message waits for its retry, and removes what was
// sent or failed.
func testOutbox(t *testing.T, h Harness) {
	runCases(t, h, []suiteCase{
		{"FieldsKept", testOutboxFields},
		{"Order", testOutboxOrder},
		{"RetryBackoff", testOutboxRetry},
		{"SentAndFailed", testOutboxSentFailed},
		{"UnknownIDs", testOutboxUnknown},
		{"InFlight", testOutboxInFlight},
		{"Once", testOnce},
	})
}

// testOutboxFields: every field of an outbound message comes back as
// committed, with the id Commit assigned, no attempts and no backoff.
func testOutboxFields(t *testing.T, h Harness) {
	e := open(t, h)
	a := cust(1)
	at := e.now()
	turn := a.turn("wamid.f1", at)
	turn.Outbound = []core.Outbound{
		{Channel: "whatsapp", Contact: a.URN, Kind: core.OutButtons, Text: "Shall we book a visit?", ReplyTo: "wamid.f1", Created: at,
			Options: []core.Option{{ID: "yes", Title: "Yes"}, {ID: "no", Title: "No"}}, WindowUntil: at.Add(24 * time.Hour)},
		{Channel: "whatsapp", Contact: a.URN, Kind: core.OutList, Text: "Which service?", Button: "Services", Created: at,
			Options: []core.Option{{ID: "roof", Title: "Roofing", Description: "tiles and slates"}, {ID: "paint", Title: "Painting"}, {ID: "glaze", Title: "Glazing"}, {ID: "other", Title: "Other"}}},
		{Channel: "whatsapp", Contact: a.URN, Kind: core.OutTemplate, Created: at,
			Template: &core.Template{Name: "quote_reminder", Language: "en_GB", Params: []string{"Quillon", "EUR 120.00"}}},
		{Channel: "whatsapp", Contact: a.URN, Kind: core.OutImage, Created: at, Media: &core.Media{ID: "https-media", MIME: "image/png", URL: "https://example.test/a.png", Caption: "our work"}},
	}
	e.commit(turn)
	ids := map[string]bool{}
	for _, o := range turn.Outbound {
		if o.ID == "" || ids[o.ID] {
			t.Fatalf("commit assigned ids %v; want distinct ones", turn.Outbound)
		}
		ids[o.ID] = true
	}
	items := e.pending("whatsapp")
	if len(items) != len(turn.Outbound) {
		t.Fatalf("outbox has %d items, want %d", len(items), len(turn.Outbound))
	}
	for i, it := range items {
		sameOutbound(t, it.Outbound, turn.Outbound[i])
		if it.Attempts != 0 || !it.NotBefore.IsZero() {
			t.Errorf("new item %s: %d attempts, not before %v; want none", it.ID, it.Attempts, it.NotBefore)
		}
	}
}

// testOutboxOrder: items come oldest first in commit order, a contact's in
// order, per channel, up to the limit, and keep their order across a
// restart.
func testOutboxOrder(t *testing.T, h Harness) {
	e := open(t, h)
	a, b := cust(1), cust(2)
	at := e.now()
	e.commit(a.botTurn("whatsapp", at, "a1", "a2"))
	e.commit(b.botTurn("whatsapp", at, "b1"))
	e.commit(b.botTurn("console", at, "b-console"))
	e.commit(a.botTurn("whatsapp", at, "a3"))
	e.commit(b.botTurn("whatsapp", at, "b2", "b3"))

	for _, tc := range []struct {
		channel string
		limit   int
		want    string
	}{
		{"whatsapp", 100, "a1,a2,b1,a3,b2,b3"},
		{"whatsapp", 2, "a1,a2"},
		{"whatsapp", 4, "a1,a2,b1,a3"},
		{"console", 100, "b-console"},
		{"web", 100, ""},
	} {
		got, err := e.b.PendingOutbound(e.ctx, tc.channel, tc.limit)
		if err != nil {
			t.Fatalf("pending %s: %v", tc.channel, err)
		}
		if texts(got) != tc.want {
			t.Errorf("pending %s limit %d = %q, want %q", tc.channel, tc.limit, texts(got), tc.want)
		}
	}

	e.reopen()
	e.commit(a.botTurn("whatsapp", at, "a4"))
	e.commit(b.botTurn("whatsapp", at, "b4"))
	if got := texts(e.pending("whatsapp")); got != "a1,a2,b1,a3,b2,b3,a4,b4" {
		t.Errorf("pending after a restart and two commits = %q; want the new ones last", got)
	}
	if got := texts(ofContact(e.pending("whatsapp"), a.URN)); got != "a1,a2,a3,a4" {
		t.Errorf("a's messages = %q, want them in order", got)
	}
}

// testOutboxRetry: MarkRetry keeps an item until notBefore on the store's
// clock, counting the attempt; meanwhile the contact's later items wait,
// other contacts' do not.
func testOutboxRetry(t *testing.T, h Harness) {
	e := open(t, h)
	a, b := cust(1), cust(2)
	at := e.now()
	aTurn := a.botTurn("whatsapp", at, "a1", "a2")
	e.commit(aTurn)
	e.commit(b.botTurn("whatsapp", at, "b1"))
	a1 := aTurn.Outbound[0].ID

	notBefore := at.Add(time.Minute)
	if err := e.b.MarkRetry(e.ctx, a1, notBefore, "429 too many requests"); err != nil {
		t.Fatal(err)
	}
	if got := texts(e.pending("whatsapp")); got != "b1" {
		t.Errorf("pending while a1 backs off = %q, want b1 alone (a2 waits behind a1)", got)
	}
	e.clock.Add(59 * time.Second)
	if got := texts(e.pending("whatsapp")); got != "b1" {
		t.Errorf("pending a second before a1's retry = %q, want b1", got)
	}
	e.clock.Add(2 * time.Second)
	got := e.pending("whatsapp")
	if texts(got) != "a1,a2,b1" {
		t.Fatalf("pending after the backoff = %q, want a1,a2,b1", texts(got))
	}
	if got[0].Attempts != 1 {
		t.Errorf("a1 attempts = %d, want 1", got[0].Attempts)
	}
	sameTime(t, "a1 not before", got[0].NotBefore, notBefore)

	// A second retry counts again and survives a restart.
	notBefore = e.now().Add(time.Hour)
	if err := e.b.MarkRetry(e.ctx, a1, notBefore, "500"); err != nil {
		t.Fatal(err)
	}
	e.reopen()
	if got := texts(e.pending("whatsapp")); got != "b1" {
		t.Errorf("pending during the second backoff, after a restart = %q, want b1", got)
	}
	e.clock.Set(notBefore.Add(time.Second))
	got = e.pending("whatsapp")
	if texts(got) != "a1,a2,b1" || got[0].Attempts != 2 {
		t.Fatalf("pending after the second backoff = %q (a1 attempts %d), want a1,a2,b1 and 2", texts(got), got[0].Attempts)
	}
	if err := e.b.MarkSent(e.ctx, a1, "wamid.out.a1", e.now()); err != nil {
		t.Fatal(err)
	}
	if m := e.export(a).message(t, a1); m.Status != "sent" || m.Attempts != 3 || m.ProviderID != "wamid.out.a1" {
		t.Errorf("a1 in the log = status %q, %d attempts, provider id %q; want sent, 3 (two retries and the send), wamid.out.a1", m.Status, m.Attempts, m.ProviderID)
	}
}

// testOutboxSentFailed: MarkSent and MarkFailed remove an item and record
// the outcome on the message; a failure does not hold the contact back.
func testOutboxSentFailed(t *testing.T, h Harness) {
	e := open(t, h)
	a, b := cust(1), cust(2)
	at := e.now()
	aTurn := a.botTurn("whatsapp", at, "a1", "a2", "a3")
	bTurn := b.botTurn("whatsapp", at, "b1")
	e.commit(aTurn)
	e.commit(bTurn)
	a1, a2, a3, b1 := aTurn.Outbound[0].ID, aTurn.Outbound[1].ID, aTurn.Outbound[2].ID, bTurn.Outbound[0].ID

	if err := e.b.MarkSent(e.ctx, a1, "wamid.out.a1", at); err != nil {
		t.Fatal(err)
	}
	if err := e.b.MarkFailed(e.ctx, a2, 131047, "re-engagement message", true); err != nil {
		t.Fatal(err)
	}
	if got := texts(e.pending("whatsapp")); got != "a3,b1" {
		t.Errorf("pending after a1 sent and a2 held = %q, want a3,b1", got)
	}
	if err := e.b.MarkFailed(e.ctx, b1, 131026, "message undeliverable", false); err != nil {
		t.Fatal(err)
	}
	if got := texts(e.pending("whatsapp")); got != "a3" {
		t.Errorf("pending after b1 failed = %q, want a3", got)
	}
	if err := e.b.MarkSent(e.ctx, a1, "wamid.out.again", at); !isNotFound(err) {
		t.Errorf("MarkSent of a sent item: %v, want ErrNotFound", err)
	}
	if err := e.b.MarkFailed(e.ctx, a2, 1, "again", false); !isNotFound(err) {
		t.Errorf("MarkFailed of a failed item: %v, want ErrNotFound", err)
	}
	if err := e.b.MarkRetry(e.ctx, a1, at.Add(time.Hour), "again"); !isNotFound(err) {
		t.Errorf("MarkRetry of a sent item: %v, want ErrNotFound", err)
	}

	doc := e.export(a)
	if m := doc.message(t, a1); m.Status != "sent" || m.ProviderID != "wamid.out.a1" || m.Attempts != 1 {
		t.Errorf("a1 = status %q, provider id %q, %d attempts; want sent, wamid.out.a1, 1", m.Status, m.ProviderID, m.Attempts)
	}
	if m := doc.message(t, a2); m.Status != "needs_template" || m.ErrorCode != 131047 {
		t.Errorf("a2 = status %q, code %d; want needs_template, 131047", m.Status, m.ErrorCode)
	}
	if m := doc.message(t, a3); m.Status != "queued" {
		t.Errorf("a3 = status %q, want queued", m.Status)
	}
	if m := e.export(b).message(t, b1); m.Status != "failed" || m.ErrorCode != 131026 || m.Error != "message undeliverable" {
		t.Errorf("b1 = status %q, code %d, error %q; want failed, 131026, message undeliverable", m.Status, m.ErrorCode, m.Error)
	}
	if err := e.b.UpdateDelivery(e.ctx, "wamid.out.a1", core.Delivery{Status: "delivered", Time: at}); err != nil {
		t.Errorf("a delivery report for a sent message: %v", err)
	}
	e.reopen()
	if got := texts(e.pending("whatsapp")); got != "a3" {
		t.Errorf("pending after a restart = %q, want a3", got)
	}
}

// testOutboxUnknown: ids the outbox never held are core.ErrNotFound;
// a status the contract does not know is an error.
func testOutboxUnknown(t *testing.T, h Harness) {
	e := open(t, h)
	a := cust(1)
	at := e.now()
	turn := a.botTurn("whatsapp", at, "a1")
	e.commit(turn)
	if err := e.b.MarkSent(e.ctx, turn.Outbound[0].ID, "wamid.out.a1", at); err != nil {
		t.Fatal(err)
	}
	for name, err := range map[string]error{
		"MarkSent":       e.b.MarkSent(e.ctx, "no-such-item", "wamid.x", at),
		"MarkRetry":      e.b.MarkRetry(e.ctx, "no-such-item", at, "x"),
		"MarkFailed":     e.b.MarkFailed(e.ctx, "no-such-item", 1, "x", false),
		"UpdateDelivery": e.b.UpdateDelivery(e.ctx, "wamid.never.sent", core.Delivery{Status: "read", Time: at}),
	} {
		if !isNotFound(err) {
			t.Errorf("%s of an unknown id: %v, want ErrNotFound", name, err)
		}
	}
	if err := e.b.UpdateDelivery(e.ctx, "wamid.out.a1", core.Delivery{Status: "bogus", Time: at}); err == nil {
		t.Error("UpdateDelivery accepted the status \"bogus\"")
	}
	if m := e.export(a).message(t, turn.Outbound[0].ID); m.Status != "sent" {
		t.Errorf("after a bogus report the status is %q, want sent", m.Status)
	}
}

//go:embed testdata/delivery.json
var deliveryJSON []byte

// deliveryCase is one sequence of provider status reports after MarkSent
// and the status the message must end in.
type deliveryCase struct {
	Name      string   `json:"name"`
	Reports   []string `json:"reports"`
	Want      string   `json:"want"`
	ErrorCode int      `json:"error_code"`
}

// testDelivery: delivery statuses only move forward (sent < delivered <
// read); failed is recorded whenever it arrives; every report is kept in
// the message's history. The cases are testdata/delivery.json.
func testDelivery(t *testing.T, h Harness) {
	var cases []deliveryCase
	if err := json.Unmarshal(deliveryJSON, &cases); err != nil {
		t.Fatalf("testdata/delivery.json: %v", err)
	}
	parent := open(t, h)
	for i, tc := range cases {
		t.Run(tc.Name, func(t *testing.T) {
			e := parent.in(t)
			c := cust(100 + i)
			turn := c.botTurn("whatsapp", e.now(), "hi")
			e.commit(turn)
			pid := fmt.Sprintf("wamid.case.%d", i)
			at := e.now()
			if err := e.b.MarkSent(e.ctx, turn.Outbound[0].ID, pid, at); err != nil {
				t.Fatal(err)
			}
			for j, st := range tc.Reports {
				d := core.Delivery{Status: st, Time: at.Add(time.Duration(j+1) * time.Second)}
				if st == "failed" {
					d.ErrorCode, d.Error = 131026, "message undeliverable"
				}
				if err := e.b.UpdateDelivery(e.ctx, pid, d); err != nil {
					t.Fatalf("report %s: %v", st, err)
				}
			}
			m := e.export(c).message(t, turn.Outbound[0].ID)
			if m.Status != tc.Want || m.ErrorCode != tc.ErrorCode {
				t.Errorf("after %v: status %q code %d, want %q code %d", tc.Reports, m.Status, m.ErrorCode, tc.Want, tc.ErrorCode)
			}
			if len(m.History) != len(tc.Reports)+1 {
				t.Errorf("history has %d reports, want %d (the send and each report)", len(m.History), len(tc.Reports)+1)
			}
		})
	}
}

// testOutboxInFlight: an in-flight mark survives a restart (a crash
// between a send and its record), a retry and a zero time clear it, and
// MarkSent still records the item.
func testOutboxInFlight(t *testing.T, h Harness) {
	e := open(t, h)
	a := cust(1)
	e.commit(a.botTurn("whatsapp", e.now(), "one", "two"))
	items := e.pending("whatsapp")
	at := e.now().Add(time.Second).UTC()
	if err := e.b.MarkInFlight(e.ctx, items[0].ID, at); err != nil {
		t.Fatal(err)
	}
	e.reopen()
	got := e.pending("whatsapp")
	if len(got) != 2 || !got[0].InFlight.Equal(at) || !got[1].InFlight.IsZero() {
		t.Fatalf("after a restart: %+v; want the first in flight since %v", got, at)
	}
	if err := e.b.MarkInFlight(e.ctx, got[0].ID, time.Time{}); err != nil {
		t.Fatal(err)
	}
	if got := e.pending("whatsapp"); !got[0].InFlight.IsZero() {
		t.Fatalf("a zero time did not clear the mark: %+v", got[0])
	}
	if err := e.b.MarkInFlight(e.ctx, got[1].ID, at); err != nil {
		t.Fatal(err)
	}
	if err := e.b.MarkRetry(e.ctx, got[1].ID, e.now(), "refused"); err != nil {
		t.Fatal(err)
	}
	if got := e.pending("whatsapp"); len(got) != 2 || !got[1].InFlight.IsZero() {
		t.Fatalf("MarkRetry kept the in-flight mark: %+v", got)
	}
	if err := e.b.MarkSent(e.ctx, got[0].ID, "wamid.inflight", e.now()); err != nil {
		t.Fatal(err)
	}
	if err := e.b.MarkInFlight(e.ctx, "no-such-id", at); !isNotFound(err) {
		t.Errorf("MarkInFlight of an unknown id: %v; want ErrNotFound", err)
	}
}

// testOnce: a Once turn happens at most once per contact and key within
// its period, decided in the transaction that would queue it, across a
// restart; other contacts and keys are not held back.
func testOnce(t *testing.T, h Harness) {
	e := open(t, h)
	a, b := cust(1), cust(2)
	once := func(c customer, key string) error {
		turn := c.botTurn("whatsapp", e.now(), "template for "+key)
		turn.Once = &core.Once{Key: key, Within: 24 * time.Hour}
		return e.b.Commit(e.ctx, turn)
	}
	if err := once(a, "reengage"); err != nil {
		t.Fatal(err)
	}
	e.reopen()
	e.clock.Add(23 * time.Hour)
	if err := once(a, "reengage"); !errors.Is(err, core.ErrDuplicate) {
		t.Fatalf("a second Once turn within the day: %v; want ErrDuplicate", err)
	}
	if err := once(b, "reengage"); err != nil {
		t.Fatalf("another contact: %v", err)
	}
	if err := once(a, "other-key"); err != nil {
		t.Fatalf("another key: %v", err)
	}
	if n := len(ofContact(e.pending("whatsapp"), a.URN)); n != 2 {
		t.Fatalf("%d messages queued for the contact, want 2 (the refused turn queued nothing)", n)
	}
	e.clock.Add(2 * time.Hour)
	if err := once(a, "reengage"); err != nil {
		t.Fatalf("after the period: %v", err)
	}
}
