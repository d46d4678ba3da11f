package engine_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/allmyleads/allmyleads/engine"
	"github.com/allmyleads/allmyleads/engine/enginetest"
)

const askFlows = "testdata/conversations/keywords/flows"

func TestDuplicateDeliveryIsANoOp(t *testing.T) {
	h := enginetest.New(t, enginetest.Options{FlowsDir: askFlows})
	h.Say("+15550100", "hi")
	in := h.Message("+15550100", "Ana")
	if out := h.Send(in); len(out) != 1 {
		t.Fatalf("first delivery: want 1 reply, got %d", len(out))
	}
	before := h.Session("+15550100")
	for i := 0; i < 3; i++ {
		if out := h.Send(in); len(out) != 0 {
			t.Fatalf("duplicate delivery %d answered: %s", i, enginetest.Format(out))
		}
	}
	after := h.Session("+15550100")
	if before.Step != after.Step || fmt.Sprint(before.Vars) != fmt.Sprint(after.Vars) {
		t.Fatalf("duplicate changed the session: %+v -> %+v", before, after)
	}
}

func TestDuplicateBurstConcurrently(t *testing.T) {
	h := enginetest.New(t, enginetest.Options{FlowsDir: askFlows})
	h.Say("+15550100", "hi")
	in := h.Message("+15550100", "Ana")
	var wg sync.WaitGroup
	var mu sync.Mutex
	replies := 0
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			out, err := h.Engine.Handle(context.Background(), in)
			if err != nil {
				t.Error(err)
			}
			mu.Lock()
			replies += len(out)
			mu.Unlock()
		}()
	}
	wg.Wait()
	if replies != 1 {
		t.Fatalf("a burst of one message id got %d replies, want 1", replies)
	}
}

func TestOneContactInOrderManyInParallel(t *testing.T) {
	h := enginetest.New(t, enginetest.Options{FlowsDir: askFlows})
	r := engine.NewRouter(h.Engine, 8)
	defer r.Close()
	const contacts = 40
	var results []<-chan error
	for c := 0; c < contacts; c++ {
		phone := fmt.Sprintf("+1555020%02d", c)
		for _, text := range []string{"hi", "Name" + fmt.Sprint(c), "City" + fmt.Sprint(c)} {
			results = append(results, r.Submit(context.Background(), h.Message(phone, text)))
		}
	}
	for _, ch := range results {
		if err := <-ch; err != nil {
			t.Fatal(err)
		}
	}
	for c := 0; c < contacts; c++ {
		s := h.Session(fmt.Sprintf("+1555020%02d", c))
		name, city := s.Vars["lead"].(map[string]any)["name"], s.Vars["lead"].(map[string]any)["city"]
		if name != "Name"+fmt.Sprint(c) || city != "City"+fmt.Sprint(c) {
			t.Fatalf("contact %d: messages out of order: name=%v city=%v", c, name, city)
		}
	}
}

// TestOptedOutContactIsStoredButNeverAnswered: after STOP, the first
// message gets one short notice (unsubscribed, send START), and nothing
// else is sent that day, whatever the customer writes.
func TestOptedOutContactIsStoredButNeverAnswered(t *testing.T) {
	h := enginetest.New(t, enginetest.Options{FlowsDir: askFlows})
	h.Say("+15550100", "hi")
	if out := h.Say("+15550100", "STOP"); len(out) != 1 {
		t.Fatalf("STOP: want one confirmation, got %q", enginetest.Format(out))
	}
	out := h.Say("+15550100", "hi")
	if len(out) != 1 || !strings.Contains(out[0].Text, "send START") {
		t.Fatalf("after STOP, the first message: want the notice, got %s", enginetest.Format(out))
	}
	for _, text := range []string{"hi", "Ana", "MENU", "agent", "stop"} { // rights (MY DATA...) are answered: TestRightsAfterStop
		if out := h.Say("+15550100", text); len(out) != 0 {
			t.Fatalf("after STOP and the notice, %q was answered: %s", text, enginetest.Format(out))
		}
	}
	if s := h.Session("+15550100"); !s.OptedOut {
		t.Fatal("session not marked opted out")
	}
}

func TestRejectsBadContact(t *testing.T) {
	h := enginetest.New(t, enginetest.Options{FlowsDir: askFlows})
	in := h.Message("not a phone", "hi")
	if _, err := h.Engine.Handle(context.Background(), in); err == nil || !strings.Contains(err.Error(), "contact") {
		t.Fatalf("want a contact error, got %v", err)
	}
}

// TestQuoteQuestionsNeverAccept: a customer who answers the quote with
// questions has them passed on to the business (the quote question waits
// again); one who answers with neither yes nor no is handed to a person
// after the retries; the quote stays sent.
func TestQuoteQuestionsNeverAccept(t *testing.T) {
	dir := "testdata/conversations/never_assume"
	h := enginetest.New(t, fixtureOptions(t, dir))
	for _, text := range []string{"hi", "yes", "Ana Lima", "roofing", "12", "deposit?", "start date?"} {
		h.Say("+15550100", text)
	}
	s := h.Session("+15550100")
	if s.Quote == nil || s.Quote.Status != engine.QuoteSent || s.Handoff || !s.Waiting {
		t.Fatalf("after two questions, want the quote still sent and waiting, got quote=%+v handoff=%v", s.Quote, s.Handoff)
	}
	for _, text := range []string{"hmm", "well", "so"} {
		h.Say("+15550100", text)
	}
	s = h.Session("+15550100")
	if s.Quote == nil || s.Quote.Status != engine.QuoteSent || !s.Handoff {
		t.Fatalf("want the quote still sent and a person handling it, got quote=%+v handoff=%v", s.Quote, s.Handoff)
	}
	// The person answered; handed back, the customer sees the quote again
	// and can accept it.
	if err := h.Engine.Release(context.Background(), "+15550100", "owner"); err != nil {
		t.Fatal(err)
	}
	if s := h.Session("+15550100"); !s.Waiting || s.Handoff {
		t.Fatalf("after release the quote question should wait again: %+v", s)
	}
	h.Say("+15550100", "accept")
	if s := h.Session("+15550100"); s.Quote.Status != engine.QuoteAccepted {
		t.Fatalf("after release, accept should accept the quote: %+v", s.Quote)
	}
}

// TestReleaseResumesTheWaitingQuestion: AGENT in the middle of a question,
// a person helps, the release asks the question again.
func TestReleaseResumesTheWaitingQuestion(t *testing.T) {
	h := enginetest.New(t, enginetest.Options{FlowsDir: askFlows})
	h.Say("+15550100", "hi")
	h.Say("+15550100", "Ana")
	h.Say("+15550100", "AGENT")
	if err := h.Engine.Release(context.Background(), "+15550100", "owner"); err != nil {
		t.Fatal(err)
	}
	h.Say("+15550100", "Lisbon")
	lead := h.Session("+15550100").Vars["lead"].(map[string]any)
	if lead["name"] != "Ana" || lead["city"] != "Lisbon" {
		t.Fatalf("after release the answer should go to the waiting question: %v", lead)
	}
}

// TestHandoffEndsAfterTheIdleTimeout: nobody answered a handed-off contact
// within the idle timeout, so the bot answers again.
func TestHandoffEndsAfterTheIdleTimeout(t *testing.T) {
	h := enginetest.New(t, enginetest.Options{FlowsDir: askFlows})
	h.Say("+15550100", "hi")
	h.Say("+15550100", "AGENT")
	if out := h.Say("+15550100", "hello?"); len(out) != 1 || out[0].Text != "Thanks! Your message is with Brightside Roofing & Painting; they will reply here." {
		t.Fatalf("during the handoff, want one acknowledgement, got %s", enginetest.Format(out))
	}
	if out := h.Say("+15550100", "hello??"); len(out) != 0 {
		t.Fatalf("bot spoke twice in the hour of a handoff: %s", enginetest.Format(out))
	}
	h.Clock.Advance(8 * 24 * time.Hour)
	if out := h.Say("+15550100", "anyone?"); len(out) == 0 {
		t.Fatal("after the idle timeout the bot should answer again")
	}
}

// TestPrivacyRequestsDuringHandoff: DELETE MY DATA works while a person
// handles the contact.
func TestPrivacyRequestsDuringHandoff(t *testing.T) {
	h := enginetest.New(t, enginetest.Options{FlowsDir: askFlows})
	h.Say("+15550100", "hi")
	h.Say("+15550100", "AGENT")
	if out := h.Say("+15550100", "DELETE MY DATA"); len(out) != 1 || len(out[0].Options) != 2 {
		t.Fatalf("want the erase confirmation question, got %s", enginetest.Format(out))
	}
}

// TestWhitespaceProfileNameDoesNotPanic: a profile name of spaces renders.
func TestWhitespaceProfileNameDoesNotPanic(t *testing.T) {
	h := enginetest.New(t, enginetest.Options{FlowsDir: "testdata/conversations/step_say/flows"})
	in := h.Message("+15550100", "hi")
	in.ProfileName = "\u00a0 "
	if out := h.Send(in); len(out) == 0 {
		t.Fatal("no greeting")
	}
}
