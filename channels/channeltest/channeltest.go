// Package channeltest is the kit every channel passes, as courier's
// handlertest is for its handlers: table cases of a raw request (a webhook
// POST, a typed line, a browser's message) and what the channel must make of
// it — the inbound messages it hands to the engine, the delivery statuses it
// records and the answer it gives — plus the contract every core.Channel
// keeps (a name, sane capabilities, a Send that refuses what it cannot
// deliver with an error instead of a panic).
//
// A channel's test wires the channel to a Recorder (an in-memory store,
// inbox, outbox and dispatcher) and runs its cases in one line:
//
//	channeltest.Run(t, channeltest.Harness{New: newSubject}, channeltest.LoadCases(t, "testdata/kit"))
//
// The kit owns the checks; each channel owns its cases, as JSON files.
package channeltest

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/allmyleads/allmyleads/engine/core"
)

// Request is one raw request as the outside world sends it to a channel.
type Request struct {
	Method string            `json:"method,omitempty"` // HTTP method (default POST for HTTP channels)
	Path   string            `json:"path,omitempty"`
	Header map[string]string `json:"header,omitempty"`
	Body   string            `json:"body,omitempty"`      // the raw body, or a typed line
	File   string            `json:"body_file,omitempty"` // or the body read from this file (relative to the case file)
	Sign   bool              `json:"sign,omitempty"`      // the subject signs the body as the provider would
}

// Response is the channel's answer to a request (Status 0 for a channel
// that does not answer, such as the terminal).
type Response struct {
	Status int
	Body   string
}

// Message is what the kit compares of one inbound message: the fields a
// channel is responsible for.
type Message struct {
	Contact string `json:"contact"`
	Kind    string `json:"kind"`
	Text    string `json:"text,omitempty"`
	ReplyID string `json:"reply_id,omitempty"`
	Media   int    `json:"media,omitempty"` // how many images or files came with it
	Name    string `json:"profile_name,omitempty"`
}

// Status is one delivery status a channel recorded.
type Status struct {
	ProviderID string `json:"provider_id"`
	Status     string `json:"status"`
}

// Case is one request and what must come of it.
type Case struct {
	Name     string    `json:"name"`
	Request  Request   `json:"request"`
	Status   int       `json:"status,omitempty"`        // the expected answer's status (0: not checked)
	Contains string    `json:"body_contains,omitempty"` // a part of the answer's body
	Inbound  []Message `json:"inbound"`                 // in order per contact
	Statuses []Status  `json:"statuses,omitempty"`
}

// Subject is a channel under test, wired to a Recorder.
type Subject interface {
	// Channel is the channel itself, for the contract checks.
	Channel() core.Channel
	// Do delivers one raw request and returns the channel's answer.
	Do(t *testing.T, r Request) Response
}

// Harness makes a fresh subject per case.
type Harness struct {
	New func(t *testing.T, rec *Recorder) Subject
}

// LoadCases reads every *.json case file of dir (one case or a list of
// cases per file) and resolves body_file paths against it.
func LoadCases(t *testing.T, dir string) []Case {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(dir, "*.json"))
	if err != nil || len(files) == 0 {
		t.Fatalf("channeltest: no case files in %s", dir)
	}
	var cases []Case
	for _, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var list []Case
		if err := json.Unmarshal(raw, &list); err != nil {
			var one Case
			if err2 := json.Unmarshal(raw, &one); err2 != nil {
				t.Fatalf("%s: %v", f, err)
			}
			list = []Case{one}
		}
		for _, c := range list {
			if c.Request.File != "" {
				body, err := os.ReadFile(filepath.Join(dir, c.Request.File))
				if err != nil {
					t.Fatalf("%s: case %q: %v", f, c.Name, err)
				}
				c.Request.Body = string(body)
			}
			if c.Name == "" {
				c.Name = strings.TrimSuffix(filepath.Base(f), ".json")
			}
			cases = append(cases, c)
		}
	}
	return cases
}

// Run checks the channel's contract, then every case on a fresh subject.
func Run(t *testing.T, h Harness, cases []Case) {
	t.Helper()
	t.Run("contract", func(t *testing.T) {
		checkContract(t, h.New(t, NewRecorder()).Channel())
	})
	for _, c := range cases {
		t.Run(c.Name, func(t *testing.T) {
			rec := NewRecorder()
			s := h.New(t, rec)
			resp := s.Do(t, c.Request)
			if c.Status != 0 && resp.Status != c.Status {
				t.Errorf("answer status %d, want %d (body %q)", resp.Status, c.Status, resp.Body)
			}
			if c.Contains != "" && !strings.Contains(resp.Body, c.Contains) {
				t.Errorf("answer body %q does not contain %q", resp.Body, c.Contains)
			}
			got := rec.waitInbound(t, len(c.Inbound))
			if want := c.Inbound; !sameMessages(got, want) {
				t.Errorf("inbound messages:\n got %s\nwant %s", show(got), show(want))
			}
			if st := rec.waitStatuses(t, len(c.Statuses)); !slices.Equal(st, c.Statuses) && (len(st) > 0 || len(c.Statuses) > 0) {
				t.Errorf("statuses:\n got %+v\nwant %+v", st, c.Statuses)
			}
		})
	}
}

// checkContract checks what every core.Channel promises.
func checkContract(t *testing.T, ch core.Channel) {
	if ch.Name() == "" || ch.Name() != strings.ToLower(strings.TrimSpace(ch.Name())) {
		t.Errorf("channel name %q: want a lower-case word", ch.Name())
	}
	c := ch.Capabilities()
	if c.MaxButtons < 0 || c.MaxListRows < 0 || c.MaxText < 0 || c.Window < 0 {
		t.Errorf("negative capabilities: %+v", c)
	}
	if c.MaxButtonTitle > 0 && c.MaxButtons == 0 {
		t.Errorf("a button title limit without buttons: %+v", c)
	}
	for _, m := range c.Media {
		if m != "image" && m != "document" {
			t.Errorf("unknown media kind %q (want image or document)", m)
		}
	}
	// A message the channel cannot deliver is an error, never a panic.
	func() {
		defer func() {
			if p := recover(); p != nil {
				t.Errorf("Send of a message without a contact panicked: %v", p)
			}
		}()
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_, _ = ch.Send(ctx, core.Outbound{Kind: core.OutboundKind("no-such-kind")})
	}()
}

func sameMessages(got, want []Message) bool {
	if len(got) != len(want) {
		return false
	}
	// One contact's messages keep their order; contacts may interleave.
	return slices.Equal(byContact(got), byContact(want))
}

func byContact(ms []Message) []Message {
	out := slices.Clone(ms)
	slices.SortStableFunc(out, func(a, b Message) int { return strings.Compare(a.Contact, b.Contact) })
	return out
}

func show(ms []Message) string {
	b, _ := json.Marshal(ms)
	return string(b)
}
