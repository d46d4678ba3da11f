package engine_test

import (
	"math/rand/v2"
	"testing"

	"github.com/allmyleads/allmyleads/engine"
	"github.com/allmyleads/allmyleads/engine/enginetest"
)

// vocabulary is what customers say: answers to the shipped questions,
// mistakes, keywords and photos.
var vocabulary = []string{
	"hi", "hello", "yes", "no", "1", "2", "3", "4", "Yes, that's fine", "No, thanks", "Ana Lima", "A",
	"ana@example.com", "not-an-email", "07700 900123", "+44 7700 900123", "skip", "12 High Street, Bristol BS1 4DJ",
	"roofing", "Painting", "Something else", "The tiles slipped in the storm and the gutter leaks.", "done",
	"40", "about 35 m2", "-5", "0", "accept", "decline", "how much is the deposit?", "I don't accept",
	"?", ".", "😀", "STOP", "START", "RESTART", "MENU", "AGENT", "MY DATA", "DELETE MY DATA", "WITHDRAW CONSENT",
	"PHOTO", "PHOTO", "PHOTO",
}

// TestNeverStuck plays seeded random conversations through the shipped
// flows and checks the promise to customers: every message of a contact who
// has not opted out and is not with a person gets an answer, and nothing
// fails or panics.
func TestNeverStuck(t *testing.T) {
	seeds := 12
	if testing.Short() {
		seeds = 3
	}
	for seed := range seeds {
		h := enginetest.New(t, enginetest.Options{})
		rng := rand.New(rand.NewPCG(uint64(seed), 7))
		phone := "+447700900100"
		var said []string
		for i := 0; i < 60; i++ {
			word := vocabulary[rng.IntN(len(vocabulary))]
			var in engine.Inbound
			if word == "PHOTO" {
				in = h.Photo(phone, []byte{0xff, 0xd8, 0xff, byte(seed), byte(i)}, "about 30 m2")
			} else {
				in = h.Message(phone, word)
			}
			said = append(said, word)
			before := h.Session(phone)
			silent := before != nil && (before.OptedOut || before.Handoff)
			out := h.Send(in)
			if len(out) == 0 && !silent && word != "STOP" {
				t.Fatalf("seed %d: no answer to %q after %q; session %+v", seed, word, said, h.Session(phone))
			}
		}
	}
}
