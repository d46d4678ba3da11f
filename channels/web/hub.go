package web

import (
	"errors"
	"sync"
)

// event is one bot message on its way to a browser.
type event struct {
	id   string // the outbox id: the page shows each once
	data []byte // the message as JSON
}

// stream is one open live connection of a visitor (a tab).
type stream struct {
	contact string
	events  chan event
	done    chan struct{} // closed to end the connection
	once    sync.Once
}

func (s *stream) close() { s.once.Do(func() { close(s.done) }) }

// streamBuffer is how many messages may wait for a slow connection; past
// it the connection is closed and the page reconnects for the rest.
const streamBuffer = 64

var (
	errTooManyStreams = errors.New("too many live connections")
	errHubClosed      = errors.New("the chat is shutting down")
)

// hub keeps the open live connections by contact.
type hub struct {
	maxAll, maxPerContact int

	mu     sync.Mutex
	by     map[string]map[*stream]struct{}
	n      int
	closed bool
}

func newHub(maxAll, maxPerContact int) *hub {
	return &hub{maxAll: maxAll, maxPerContact: maxPerContact, by: map[string]map[*stream]struct{}{}}
}

// add opens a connection for contact.
func (h *hub) add(contact string) (*stream, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		return nil, errHubClosed
	}
	if h.n >= h.maxAll || len(h.by[contact]) >= h.maxPerContact {
		return nil, errTooManyStreams
	}
	s := &stream{contact: contact, events: make(chan event, streamBuffer), done: make(chan struct{})}
	if h.by[contact] == nil {
		h.by[contact] = map[*stream]struct{}{}
	}
	h.by[contact][s] = struct{}{}
	h.n++
	return s, nil
}

// remove forgets a connection; it reports whether the contact has none left.
func (h *hub) remove(s *stream) (last bool) {
	s.close()
	h.mu.Lock()
	defer h.mu.Unlock()
	if set := h.by[s.contact]; set != nil {
		if _, ok := set[s]; ok {
			delete(set, s)
			h.n--
		}
		if len(set) == 0 {
			delete(h.by, s.contact)
			return true
		}
		return false
	}
	return true
}

// connected says whether the contact has a live connection.
func (h *hub) connected(contact string) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.by[contact]) > 0
}

// count is the number of open connections.
func (h *hub) count() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.n
}

// push hands an event to every connection of the contact and returns how
// many took it. A connection whose buffer is full is closed: the page
// reconnects and gets what it missed from the outbox.
func (h *hub) push(contact string, ev event) int {
	h.mu.Lock()
	defer h.mu.Unlock()
	n := 0
	for s := range h.by[contact] {
		select {
		case s.events <- ev:
			n++
		default:
			s.close()
		}
	}
	return n
}

// drop closes every connection of the contact (it stopped acknowledging
// messages: the connection is likely dead).
func (h *hub) drop(contact string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for s := range h.by[contact] {
		s.close()
	}
}

// closeAll ends every connection and refuses new ones (shutdown).
func (h *hub) closeAll() {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.closed = true
	for _, set := range h.by {
		for s := range set {
			s.close()
		}
	}
}
