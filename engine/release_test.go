package engine_test

import (
	"context"
	"errors"
	"testing"

	"github.com/allmyleads/allmyleads/engine"
	"github.com/allmyleads/allmyleads/engine/enginetest"
)

func TestReleaseEndsAHandoff(t *testing.T) {
	h := enginetest.New(t, enginetest.Options{FlowsDir: "testdata/conversations/step_handoff/flows"})
	const phone = enginetest.DefaultContact
	h.Say(phone, "hi")
	h.Say(phone, "the gutter leaks")
	if out := h.Say(phone, "hello?"); len(out) != 1 {
		t.Fatalf("during the handoff, want one acknowledgement, got %s", enginetest.Format(out))
	}
	if out := h.Say(phone, "hello??"); len(out) != 0 {
		t.Fatalf("bot spoke twice in the hour of a handoff: %s", enginetest.Format(out))
	}
	ctx := context.Background()
	if err := h.Engine.Release(ctx, "15550100", "owner"); err != nil {
		t.Fatal(err)
	}
	pending, err := h.Store.PendingOutbound(ctx, "test", 10)
	if err != nil || len(pending) == 0 || pending[len(pending)-1].Text != engine.DefaultTexts().Released {
		t.Fatalf("want the release message queued on the contact's channel, got %+v (%v)", pending, err)
	}
	if out := h.Say(phone, "thanks"); len(out) == 0 {
		t.Fatal("after release the bot should answer again")
	}
	if err := h.Engine.Release(ctx, phone, "owner"); !errors.Is(err, engine.ErrNoHandoff) {
		t.Fatalf("second release: want ErrNoHandoff, got %v", err)
	}
}
