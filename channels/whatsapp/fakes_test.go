package whatsapp

import (
	"context"
	"fmt"
	"sort"
	"sync"
	"time"

	"github.com/allmyleads/allmyleads/engine/core"
)

// memOutbox records delivery updates; it knows the provider ids in known.
type memOutbox struct {
	mu      sync.Mutex
	known   map[string]bool
	updates []string
	items   []core.OutboxItem
	sent    map[string]string // outbox id → provider id
	retry   map[string]time.Time
	failed  map[string]string // outbox id → "code held reason"

	failMarkSent int // MarkSent calls that fail before one works
}

func newMemOutbox() *memOutbox {
	return &memOutbox{known: map[string]bool{}, sent: map[string]string{}, retry: map[string]time.Time{}, failed: map[string]string{}}
}

func (m *memOutbox) UpdateDelivery(_ context.Context, providerID string, d core.Delivery) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if !m.known[providerID] {
		return fmt.Errorf("update delivery: %w", core.ErrNotFound)
	}
	m.updates = append(m.updates, fmt.Sprintf("%s %s %s %d", providerID, d.Status, d.Time.Format(time.RFC3339), d.ErrorCode))
	return nil
}

func (m *memOutbox) add(out core.Outbound) string {
	m.mu.Lock()
	defer m.mu.Unlock()
	if out.ID == "" {
		out.ID = fmt.Sprintf("out-%03d", len(m.items)+len(m.sent)+len(m.failed)+1)
	}
	if out.Channel == "" {
		out.Channel = ChannelName
	}
	m.items = append(m.items, core.OutboxItem{Outbound: out})
	return out.ID
}

// PendingOutbound follows the store's rule: oldest first, and a contact's
// later items wait while an earlier one waits for its retry.
func (m *memOutbox) PendingOutbound(_ context.Context, channel string, limit int) ([]core.OutboxItem, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	now := time.Now()
	blocked := map[string]bool{}
	var out []core.OutboxItem
	sort.SliceStable(m.items, func(i, j int) bool { return m.items[i].ID < m.items[j].ID })
	for _, it := range m.items {
		if it.Channel != channel || blocked[it.Contact] {
			continue
		}
		if it.NotBefore.After(now) {
			blocked[it.Contact] = true
			continue
		}
		if len(out) < limit {
			out = append(out, it)
		}
	}
	return out, nil
}

func (m *memOutbox) remove(id string) (core.OutboxItem, bool) {
	for i, it := range m.items {
		if it.ID == id {
			m.items = append(m.items[:i], m.items[i+1:]...)
			return it, true
		}
	}
	return core.OutboxItem{}, false
}

func (m *memOutbox) MarkSent(_ context.Context, id, providerID string, _ time.Time) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.failMarkSent > 0 {
		m.failMarkSent--
		return fmt.Errorf("mark sent %s: disk full", id)
	}
	if _, ok := m.remove(id); !ok {
		return fmt.Errorf("mark sent %s: %w", id, core.ErrNotFound)
	}
	m.sent[id] = providerID
	m.known[providerID] = true
	return nil
}

func (m *memOutbox) MarkInFlight(_ context.Context, id string, at time.Time) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	for i := range m.items {
		if m.items[i].ID == id {
			m.items[i].InFlight = at
			return nil
		}
	}
	return fmt.Errorf("mark in flight %s: %w", id, core.ErrNotFound)
}

func (m *memOutbox) MarkRetry(_ context.Context, id string, notBefore time.Time, reason string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	for i := range m.items {
		if m.items[i].ID == id {
			m.items[i].Attempts++
			m.items[i].NotBefore = notBefore
			m.items[i].InFlight = time.Time{}
			m.retry[id] = notBefore
			return nil
		}
	}
	return fmt.Errorf("mark retry %s: %w", id, core.ErrNotFound)
}

func (m *memOutbox) MarkFailed(_ context.Context, id string, code int, reason string, held bool) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.remove(id); !ok {
		return fmt.Errorf("mark failed %s: %w", id, core.ErrNotFound)
	}
	m.failed[id] = fmt.Sprintf("%d held=%v %s", code, held, reason)
	return nil
}

func (m *memOutbox) pending() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.items)
}

var _ core.Outbox = (*memOutbox)(nil)

// memStore is the part of core.Store the sender uses: stored media, and
// Commit for the templates it queues (they land in the outbox).
type memStore struct {
	mu     sync.Mutex
	media  map[string]*core.Media
	outbox *memOutbox
	turns  int
	once   map[string]time.Time // contact/key → when, as the store keeps Once turns
}

func (m *memStore) Session(context.Context, string) (*core.Session, error) { return nil, nil }

func (m *memStore) Seen(context.Context, string, string) (bool, error) { return false, nil }

func (m *memStore) Commit(_ context.Context, t *core.Turn) error {
	m.mu.Lock()
	if t.Once != nil && len(t.Outbound) > 0 {
		k := t.Outbound[0].Contact + "/" + t.Once.Key
		if at, ok := m.once[k]; ok && time.Since(at) < t.Once.Within {
			m.mu.Unlock()
			return core.ErrDuplicate
		}
		if m.once == nil {
			m.once = map[string]time.Time{}
		}
		m.once[k] = time.Now()
	}
	m.turns++
	m.mu.Unlock()
	for _, out := range t.Outbound {
		m.outbox.add(out)
	}
	return nil
}

func (m *memStore) Media(_ context.Context, id string) (*core.Media, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	md, ok := m.media[id]
	if !ok {
		return nil, fmt.Errorf("media %s: %w", id, core.ErrNotFound)
	}
	return md, nil
}

var _ core.Store = (*memStore)(nil)
