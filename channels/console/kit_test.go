package console

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/allmyleads/allmyleads/channels/channeltest"
	"github.com/allmyleads/allmyleads/engine/core"
)

// kitSubject is the terminal chat wired to the kit's recorder: a request's
// body is what the customer types, one line or several.
type kitSubject struct {
	rec *channeltest.Recorder
	out *bytes.Buffer
}

func (s kitSubject) Channel() core.Channel { return Terminal{Out: s.out} }

func (s kitSubject) Do(t *testing.T, r channeltest.Request) channeltest.Response {
	err := Run(context.Background(), Options{
		In: strings.NewReader(r.Body), Out: s.out, Contact: "+447700900123", Name: "Ana Lima",
		Handler: s.rec, Outbox: s.rec, Echo: true,
	})
	if err != nil {
		t.Fatalf("chat: %v", err)
	}
	return channeltest.Response{Body: s.out.String()}
}

// TestChannelKit runs the channel kit's contract and the terminal's cases
// of testdata/kit: typed lines in, messages out.
func TestChannelKit(t *testing.T) {
	channeltest.Run(t, channeltest.Harness{New: func(t *testing.T, rec *channeltest.Recorder) channeltest.Subject {
		return kitSubject{rec: rec, out: &bytes.Buffer{}}
	}}, channeltest.LoadCases(t, "testdata/kit"))
}
