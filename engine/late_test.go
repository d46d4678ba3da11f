package engine_test

import (
	"context"
	"testing"
	"time"

	"github.com/allmyleads/allmyleads/engine/core"
	"github.com/allmyleads/allmyleads/engine/enginetest"
)

// TestLateMessageStoredNotAnswered: a message older than the channel's
// conversation window (a replayed or very late webhook) is stored and
// marked handled, but gets no reply the customer could no longer receive,
// and the conversation stays where it was.
func TestLateMessageStoredNotAnswered(t *testing.T) {
	var channels core.Channels
	if err := channels.Register(fakeChannel{"whatsapp", core.Capabilities{MaxButtons: 3, MaxListRows: 10, Window: 24 * time.Hour}}); err != nil {
		t.Fatal(err)
	}
	h := enginetest.New(t, enginetest.Options{Channels: &channels})
	const who = "whatsapp:447700900123"
	in := h.Message(who, "hi")
	in.Channel = "whatsapp"
	h.Send(in)
	before := h.Session(who)

	late := h.Message(who, "yes")
	late.Channel = "whatsapp"
	late.Time = h.Clock.Now().Add(-25 * time.Hour)
	if out := h.Send(late); len(out) != 0 {
		t.Fatalf("a late message was answered:\n%s", enginetest.Format(out))
	}
	after := h.Session(who)
	if after.Step != before.Step || after.Flow != before.Flow || !after.LastInbound.Equal(before.LastInbound) {
		t.Errorf("the late message moved the conversation: %s/%s -> %s/%s", before.Flow, before.Step, after.Flow, after.Step)
	}
	exp, err := h.Store.Export(context.Background(), who)
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, m := range exp.Messages {
		found = found || m.ID == late.ID
	}
	if !found {
		t.Error("the late message was not stored")
	}
	if seen, _ := h.Store.Seen(context.Background(), "whatsapp", late.ID); !seen {
		t.Error("the late message is not marked handled")
	}
	// Within the window the same answer moves the conversation on.
	fresh := h.Message(who, "yes")
	fresh.Channel = "whatsapp"
	if out := h.Send(fresh); len(out) == 0 {
		t.Error("a message within the window got no reply")
	}
}
