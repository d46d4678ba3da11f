package store_test

import (
	"bytes"
	"context"
	"os"
	"testing"

	"github.com/allmyleads/allmyleads/engine/core"
	"github.com/allmyleads/allmyleads/engine/enginetest"
)

// TestChatEraseThroughEngine runs a conversation through the engine, asks
// for a copy of the data (a file the store keeps), then DELETE MY DATA and
// yes: the turn that confirms is the erasure, so the store holds nothing of
// the customer but the queued confirmation.
func TestChatEraseThroughEngine(t *testing.T) {
	const (
		phone = "+447700900123"
		name  = "Zebedee Quixoticus"
		email = "zebedee.quixoticus@example.com"
		job   = "repaint the purple kitchen"
	)
	h := enginetest.New(t, enginetest.Options{FlowsDir: "testdata/chat_erase/flows"})
	ctx := context.Background()
	for _, line := range []string{"hi", name, email, "MY DATA", "yes", job, "DELETE MY DATA"} {
		h.Say(phone, line)
	}
	before, err := h.Store.Export(ctx, phone)
	if err != nil {
		t.Fatal(err)
	}
	if before.Contact == nil || len(before.Messages) == 0 || len(before.Media) == 0 {
		t.Fatalf("before the erasure the store holds too little to test: contact %v, %d messages, %d media", before.Contact, len(before.Messages), len(before.Media))
	}

	yes := h.Message(phone, "yes")
	out := h.Send(yes)
	if len(out) != 1 || out[0].ID == "" {
		t.Fatalf("reply to the confirmed erasure = %+v", out)
	}
	if sess := h.Session(phone); sess != nil {
		t.Errorf("session after erasure = %+v", sess)
	}
	after, err := h.Store.Export(ctx, phone)
	if err != nil {
		t.Fatal(err)
	}
	if !after.Empty() {
		t.Errorf("export after erasure is not empty: %+v", after)
	}
	items, err := h.Store.PendingOutbound(ctx, "", 100)
	if err != nil {
		t.Fatal(err)
	}
	if len(items) != 1 || items[0].ID != out[0].ID || items[0].Text != out[0].Text || items[0].Contact != core.PhoneURN(phone) {
		t.Errorf("outbox = %+v; want only the confirmation %q", items, out[0].Text)
	}
	if again, err := h.Engine.Handle(ctx, yes); err != nil || len(again) != 0 {
		t.Errorf("redelivered yes: %+v, %v; want no reply", again, err)
	}
	if again, _ := h.Store.PendingOutbound(ctx, "", 100); len(again) != 1 {
		t.Errorf("a redelivered yes queued more: %d items", len(again))
	}
	raw, err := os.ReadFile(h.Path)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{name, email, job, phone, "447700900123"} {
		if bytes.Contains(raw, []byte(s)) {
			t.Errorf("the database file holds %q in the clear", s)
		}
	}
}
