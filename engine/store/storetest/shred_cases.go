package storetest

import (
	"bytes"
	"fmt"
	"testing"
	"time"

	"github.com/allmyleads/allmyleads/engine/core"
)

// testShredding: an erasure leaves nothing of the customer that any key
// the store was ever given opens, anywhere in what it stored: not in the
// live records, and not in the copies older writes left behind (a bbolt
// file's free pages, a table's dead tuples, a log). One customer is erased
// by Rights.Erase, another by an erasing turn whose confirmation is then
// sent; both had webhook payloads pass through and records rewritten
// several times. The third customer's records must still open, so the
// scan is known to read what it should.
func testShredding(t *testing.T, h Harness) {
	if h.Readable == nil {
		t.Skip("the harness has no Readable: the store cannot be scanned with its keys")
	}
	e := open(t, h)
	a, b, c := cust(1), cust(2), cust(3)
	for _, x := range []struct {
		c      customer
		prefix string
	}{{a, "a"}, {b, "b"}, {c, "c"}} {
		e.seed(x.c, x.prefix)
		for i := range 4 {
			// Later turns rewrite the session, the contact and the lead:
			// the older copies are left behind in the store's free space.
			e.clock.Add(1)
			turn := x.c.turn(fmt.Sprintf("%s.more%d", x.prefix, i), e.now())
			turn.Session.Vars["note"] = fmt.Sprintf("rewrite %d of %s", i, x.c.Name)
			// A reminder, and news of the lead for the owner and a webhook,
			// sent at once: their copies stay behind too.
			turn.Session.Timers = []core.Timer{{ID: fmt.Sprintf("after/quote/ask_email/%d", i), Contact: x.c.URN, Kind: core.TimerAfter,
				Due: e.now().Add(time.Hour), Set: e.now(), Flow: "quote", Step: "ask_email"}}
			turn.Notices = []core.Outbound{
				webhookNotice(x.c, "https://crm.test/hook", core.EventLeadCreated, e.now()),
				{Channel: "whatsapp", Contact: cust(900).URN, Kind: core.OutText, Text: "New lead: " + x.c.Name, Created: e.now(),
					Notice: &core.Notice{Event: core.EventLeadCreated, EventID: fmt.Sprintf("evt-%s-%d", x.prefix, i), Lead: "lead-" + x.c.Digits}},
			}
			e.commit(turn)
			for _, n := range turn.Notices {
				if err := e.b.MarkSent(e.ctx, n.ID, "sent-"+n.ID, e.now()); err != nil {
					t.Fatal(err)
				}
			}
		}
		id, err := e.b.AddInbox(e.ctx, "whatsapp", webhook(x.c), e.now())
		if err != nil {
			t.Fatal(err)
		}
		if err := e.b.DoneInbox(e.ctx, id); err != nil {
			t.Fatal(err)
		}
	}
	if err := e.b.Erase(e.ctx, a.URN, "owner"); err != nil {
		t.Fatalf("erase: %v", err)
	}
	at := e.now()
	turn := c.turn("c.erase", at)
	turn.Erase = true
	turn.Outbound = []core.Outbound{c.reply("Done: your data has been deleted.", "c.erase", at)}
	e.commit(turn)
	if err := e.b.MarkSent(e.ctx, turn.Outbound[0].ID, "wamid.confirmation."+c.Digits, at); err != nil {
		t.Fatalf("send the confirmation: %v", err)
	}
	e.reopen()
	e.close()

	found := h.Readable(t, e.dir)
	all := bytes.Join(found, []byte("\n"))
	for _, x := range []customer{a, c} {
		for _, s := range append(x.secrets(), "JPEG-photo-of-"+x.Digits) {
			if bytes.Contains(all, []byte(s)) {
				t.Errorf("after the erasure, %q opens with the store's keys in what it stored", s)
			}
		}
	}
	for _, s := range append(b.secrets(), "JPEG-photo-of-"+b.Digits, consentText) {
		if !bytes.Contains(all, []byte(s)) {
			t.Errorf("the scan with the store's keys does not find the live customer's %q: Readable does not open what the store keeps", s)
		}
	}
	t.Logf("%d values open with the store's keys; none holds the erased customers' data", len(found))
}
