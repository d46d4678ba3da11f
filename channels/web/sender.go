package web

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/url"
	"strconv"
	"sync"
	"time"

	"github.com/allmyleads/allmyleads/engine/core"
)

// How the sender treats the outbox. A message is pushed to every open
// connection of its visitor and stays in the outbox until a page
// acknowledges it (then MarkSent), so a message pushed into a connection
// that died on the way is pushed again on reconnect; the page shows each
// outbox id once. A message for a visitor with no connection is parked:
// MarkRetry moves it out of PendingOutbound's way (the visitor's later
// messages wait behind it, in order) until the visitor comes back, which
// brings it back at once, or until the park ends and it is looked at
// again. Parks grow from 15 s to 30 min, so an abandoned chat costs a
// store write every half hour, not a scan of it on every round, and after
// parkExpiry its messages are recorded as failed. After a restart the
// sender does not know who is parked: a returning visitor's parked
// messages then come when their park ends (30 min at most).
const (
	sendBatch  = 256
	sendPoll   = 3 * time.Second
	ackTimeout = 30 * time.Second
	firstPark  = 15 * time.Second
	maxPark    = 30 * time.Minute
	sentMemory = 2 * time.Minute // acknowledged ids a stale outbox read must not push again
	// parkExpiry is how long a message waits for an absent visitor: past
	// it the message is recorded as failed ("visitor_gone") instead of
	// being parked for ever. A visitor back after that long starts over
	// (the engine's idle timeout is as long).
	parkExpiry = 7 * 24 * time.Hour
)

// sender drains the web channel's outbox to the open connections.
type sender struct {
	outbox core.Outbox
	hub    *hub
	render func(core.OutboxItem) ([]byte, error)
	clock  func() time.Time
	log    *slog.Logger
	tag    func(string) string
	hooks  Hooks

	wake chan struct{}

	mu       sync.Mutex
	inflight map[string]delivery        // outbox id → pushed, not yet acknowledged
	sent     map[string]time.Time       // outbox id → acknowledged at
	parked   map[string]map[string]bool // contact → outbox ids parked in the store
	back     map[string]bool            // contacts that connected since the last round
}

type delivery struct {
	contact string
	at      time.Time
}

func newSender(outbox core.Outbox, h *hub, render func(core.OutboxItem) ([]byte, error), clock func() time.Time, log *slog.Logger, tag func(string) string, hooks Hooks) *sender {
	return &sender{
		outbox: outbox, hub: h, render: render, clock: clock, log: log, tag: tag, hooks: hooks,
		wake:     make(chan struct{}, 1),
		inflight: map[string]delivery{},
		sent:     map[string]time.Time{},
		parked:   map[string]map[string]bool{},
		back:     map[string]bool{},
	}
}

// Wake asks for a round now.
func (s *sender) Wake() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// connected is called when a visitor opens a connection: their parked
// messages come back, and what was pushed to them and not acknowledged is
// pushed again (a reloaded page opens its new connection before the old
// one is seen to close; the pages show each id once).
func (s *sender) connected(contact string) {
	s.mu.Lock()
	s.back[contact] = true
	for id, d := range s.inflight {
		if d.contact == contact {
			delete(s.inflight, id)
		}
	}
	s.mu.Unlock()
	s.Wake()
}

// disconnected is called when a visitor's last connection closed: what
// they had not acknowledged is theirs again, to be parked or pushed anew.
func (s *sender) disconnected(contact string) {
	s.mu.Lock()
	for id, d := range s.inflight {
		if d.contact == contact {
			delete(s.inflight, id)
		}
	}
	s.mu.Unlock()
	s.Wake()
}

// ack records that a page of contact showed the messages; ids the
// contact was not sent are ignored.
func (s *sender) ack(ctx context.Context, contact string, ids []string) error {
	var errs []error
	for _, id := range ids {
		s.mu.Lock()
		d, ok := s.inflight[id]
		ok = ok && d.contact == contact
		if ok {
			delete(s.inflight, id)
			s.sent[id] = s.clock()
		}
		s.mu.Unlock()
		if !ok {
			continue
		}
		err := s.outbox.MarkSent(ctx, id, "web-"+id, s.clock())
		if err != nil && !errors.Is(err, core.ErrNotFound) {
			s.mu.Lock()
			delete(s.sent, id) // pushed again later: the page shows it once
			s.mu.Unlock()
			errs = append(errs, err)
			continue
		}
		if s.hooks.Delivered != nil {
			s.hooks.Delivered()
		}
	}
	return errors.Join(errs...)
}

// run drains the outbox until ctx ends.
func (s *sender) run(ctx context.Context) error {
	t := time.NewTicker(sendPoll)
	defer t.Stop()
	for {
		s.round(ctx)
		select {
		case <-ctx.Done():
			return nil
		case <-s.wake:
		case <-t.C:
		}
	}
}

// round brings back returning visitors' messages, gives up on
// connections that stopped acknowledging, then pushes or parks what is due.
func (s *sender) round(ctx context.Context) {
	s.unpark(ctx)
	s.expire()
	items, err := s.outbox.PendingOutbound(ctx, ChannelName, sendBatch)
	if err != nil {
		if ctx.Err() == nil {
			s.log.Error("web chat: read outbox", "err", err)
		}
		return
	}
	parkedNow := map[string]bool{}
	for _, it := range items {
		if ctx.Err() != nil {
			return
		}
		if parkedNow[it.Contact] || s.pending(it.ID) {
			continue
		}
		if s.hub.connected(it.Contact) {
			if s.push(ctx, it) {
				continue
			}
		}
		parkedNow[it.Contact] = s.park(ctx, it)
	}
}

// pending says whether an item was pushed and awaits its acknowledgement,
// or was acknowledged a moment ago.
func (s *sender) pending(id string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, in := s.inflight[id]
	_, done := s.sent[id]
	return in || done
}

// push hands an item to the visitor's connections; false when none took it.
func (s *sender) push(ctx context.Context, it core.OutboxItem) bool {
	data, err := s.render(it)
	if err != nil {
		s.log.Error("web chat: message cannot be shown", "outbox", it.ID, "err", err)
		if err := s.outbox.MarkFailed(ctx, it.ID, 0, err.Error(), false); err != nil {
			s.log.Error("web chat: record failure", "outbox", it.ID, "err", err)
		}
		if s.hooks.Failed != nil {
			s.hooks.Failed("bad_message")
		}
		return true
	}
	s.mu.Lock()
	s.inflight[it.ID] = delivery{contact: it.Contact, at: s.clock()}
	s.mu.Unlock()
	if s.hub.push(it.Contact, event{id: it.ID, data: data}) > 0 {
		return true
	}
	s.mu.Lock()
	delete(s.inflight, it.ID)
	s.mu.Unlock()
	return false
}

// park moves an item for an absent visitor out of the way until they
// come back, and says whether it did (false: the item expired and was
// recorded as failed, so the visitor's next one may be looked at).
func (s *sender) park(ctx context.Context, it core.OutboxItem) bool {
	if !it.Created.IsZero() && s.clock().Sub(it.Created) > parkExpiry {
		s.log.Info("web chat: the visitor did not come back; message dropped", "contact", s.tag(it.Contact), "outbox", it.ID)
		if err := s.outbox.MarkFailed(ctx, it.ID, 0, "the visitor did not come back within 7 days", false); err != nil && ctx.Err() == nil {
			s.log.Error("web chat: record failure", "outbox", it.ID, "err", err)
		}
		if s.hooks.Failed != nil {
			s.hooks.Failed("visitor_gone")
		}
		return false
	}
	s.mu.Lock()
	if s.parked[it.Contact] == nil {
		s.parked[it.Contact] = map[string]bool{}
	}
	s.parked[it.Contact][it.ID] = true
	s.mu.Unlock()
	until := s.clock().Add(parkFor(it.Attempts))
	if err := s.outbox.MarkRetry(ctx, it.ID, until, "waiting for the visitor to open the chat"); err != nil && ctx.Err() == nil {
		s.log.Error("web chat: park message", "contact", s.tag(it.Contact), "outbox", it.ID, "err", err)
	}
	return true
}

func parkFor(attempts int) time.Duration {
	d := firstPark << min(max(attempts, 0), 20)
	return min(d, maxPark)
}

// unpark makes the parked messages of returning visitors due now.
func (s *sender) unpark(ctx context.Context) {
	s.mu.Lock()
	var ids []string
	for c := range s.back {
		for id := range s.parked[c] {
			ids = append(ids, id)
		}
		delete(s.parked, c)
	}
	clear(s.back)
	s.mu.Unlock()
	now := s.clock()
	for _, id := range ids {
		err := s.outbox.MarkRetry(ctx, id, now, "the visitor opened the chat")
		if err != nil && !errors.Is(err, core.ErrNotFound) && ctx.Err() == nil {
			s.log.Error("web chat: unpark message", "outbox", id, "err", err)
		}
	}
}

// expire closes the connections of visitors whose pages stopped
// acknowledging (a phone that lost its network keeps a dead connection
// open for a while), and forgets old acknowledgements.
func (s *sender) expire() {
	now := s.clock()
	s.mu.Lock()
	stale := map[string]bool{}
	for id, d := range s.inflight {
		if now.Sub(d.at) > ackTimeout {
			stale[d.contact] = true
			delete(s.inflight, id)
		}
	}
	for id, at := range s.sent {
		if now.Sub(at) > sentMemory {
			delete(s.sent, id)
		}
	}
	s.mu.Unlock()
	for c := range stale {
		s.hub.drop(c)
	}
}

// wireMessage is a bot message as the page receives it.
type wireMessage struct {
	ID      string       `json:"id"`
	Kind    string       `json:"kind"`
	Text    string       `json:"text,omitempty"`
	Options []wireOption `json:"options,omitempty"`
	Button  string       `json:"button,omitempty"`
	Media   *wireMedia   `json:"media,omitempty"`
	Time    time.Time    `json:"time"`
}

type wireOption struct {
	ID          string `json:"id"`
	Title       string `json:"title"`
	Description string `json:"description,omitempty"`
}

type wireMedia struct {
	URL      string `json:"url"`
	MIME     string `json:"mime,omitempty"`
	Filename string `json:"filename,omitempty"`
	Caption  string `json:"caption,omitempty"`
}

// errCannotShow is a message the page cannot show.
var errCannotShow = errors.New("the web chat cannot show this message")

// mediaLinkTTL is how long a link to a file sent to a visitor works.
const mediaLinkTTL = 7 * 24 * time.Hour

// wire turns an outbound message into what the page receives.
func (c *Channel) wire(m core.Outbound) ([]byte, error) {
	w := wireMessage{ID: m.ID, Kind: string(m.Kind), Text: m.Text, Button: m.Button, Time: m.Created}
	switch m.Kind {
	case core.OutText:
	case core.OutButtons, core.OutList:
		if len(m.Options) == 0 {
			return nil, errCannotShow
		}
		for _, o := range m.Options {
			w.Options = append(w.Options, wireOption(o))
		}
	case core.OutImage, core.OutDocument:
		if m.Media == nil {
			return nil, errCannotShow
		}
		link, err := c.mediaURL(m.Contact, m.Media)
		if err != nil {
			return nil, err
		}
		w.Media = &wireMedia{URL: link, MIME: m.Media.MIME, Filename: m.Media.Filename, Caption: m.Media.Caption}
	default:
		return nil, errCannotShow
	}
	return json.Marshal(w)
}

// mediaURL is where the page finds a file: its own link, or a link to the
// stored file that works for this visitor only, for a week.
func (c *Channel) mediaURL(contact string, m *core.Media) (string, error) {
	if m.URL != "" {
		u, err := url.Parse(m.URL)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") {
			return "", errCannotShow
		}
		return m.URL, nil
	}
	if m.ID == "" {
		return "", errCannotShow
	}
	exp := strconv.FormatInt(c.clock().Add(mediaLinkTTL).Unix(), 10)
	q := url.Values{"c": {core.URNPath(contact)}, "e": {exp}, "s": {c.tokens.mediaSig(contact, m.ID+"|"+exp)}}
	return c.prefix + "api/media/" + url.PathEscape(m.ID) + "?" + q.Encode(), nil
}
