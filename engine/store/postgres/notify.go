package postgres

import (
	"context"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
)

// Topics the processes wake each other on (LISTEN/NOTIFY), per schema.
const (
	topicInbox  = "inbox"  // a payload waits for a process to take it
	topicOutbox = "outbox" // a turn queued messages; the payload is the channel
	topicLead   = "lead"   // a turn was committed; the payload is the process and the lead id
)

// topic is the notification channel of a topic in this store's schema.
func (s *Store) topic(name string) string { return "allmyleads_" + name + "_" + s.schemaTag() }

// schemaTag keeps channel names short and valid whatever the schema's name.
func (s *Store) schemaTag() string {
	const hexdigits = "0123456789abcdef"
	n := uint32(s.lockNS)
	b := make([]byte, 8)
	for i := 7; i >= 0; i-- {
		b[i] = hexdigits[n&15]
		n >>= 4
	}
	return string(b)
}

// Notifications are sent after the writes they announce have committed,
// by one goroutine of the store that coalesces bursts, never inside a
// turn's transaction: Postgres takes a database-wide lock when a
// transaction that notified commits and holds it through the commit's
// fsync, which would make every turn of every process commit one after
// the other instead of sharing fsyncs.

// notifier sends the store's notifications.
type notifier struct {
	mu      sync.Mutex
	pending map[[2]string]bool // topic, payload
	signal  chan struct{}
}

func newNotifier() *notifier {
	return &notifier{pending: map[[2]string]bool{}, signal: make(chan struct{}, 1)}
}

// notify asks for a notification to be sent soon; repeats coalesce.
func (s *Store) notify(name, payload string) {
	n := s.notifier
	n.mu.Lock()
	n.pending[[2]string{s.topic(name), payload}] = true
	n.mu.Unlock()
	select {
	case n.signal <- struct{}{}:
	default:
	}
}

// sendNotifications sends what notify asked for until stop is closed,
// then what is left.
func (s *Store) sendNotifications(stop <-chan struct{}, done *sync.WaitGroup) {
	defer done.Done()
	n := s.notifier
	for {
		stopping := false
		select {
		case <-n.signal:
		case <-stop:
			stopping = true
		}
		n.mu.Lock()
		batch := n.pending
		n.pending = map[[2]string]bool{}
		n.mu.Unlock()
		if len(batch) > 0 {
			var topics, payloads []string
			for k := range batch {
				topics, payloads = append(topics, k[0]), append(payloads, k[1])
			}
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			_, err := s.pool.Exec(ctx, `SELECT pg_notify(t, p) FROM unnest($1::text[], $2::text[]) AS x(t, p)`, topics, payloads)
			cancel()
			if err != nil {
				s.log.Warn("postgres store: notify the other processes", "err", err)
			}
		}
		if stopping {
			return
		}
	}
}

// OnInbox registers fn to be called when a webhook payload waits for a
// process to take it (another process stored it, or finished the
// contact's earlier one): the inbox worker's Notify.
func (s *Store) OnInbox(fn func()) { s.listener.subscribe(topicInbox, func(string) { fn() }) }

// OnOutbox registers fn to be called with a channel's name when a turn of
// any process queued messages on it: the channel's sender's Wake.
func (s *Store) OnOutbox(fn func(channel string)) { s.listener.subscribe(topicOutbox, fn) }

// OnLead registers fn to be called with a lead's id when another process
// committed a turn of it: the console's live updates (this process's own
// turns reach the console directly).
func (s *Store) OnLead(fn func(leadID string)) {
	s.listener.subscribe(topicLead, func(payload string) {
		proc, lead, ok := strings.Cut(payload, " ")
		if ok && proc != s.id {
			fn(lead)
		}
	})
}

// listener holds one connection that LISTENs for the store's topics and
// calls the subscribers; it reconnects after a failure.
type listener struct {
	s   *Store
	url string

	mu   sync.Mutex
	subs map[string][]func(string)
}

func newListener(s *Store, url string) *listener {
	return &listener{s: s, url: url, subs: map[string][]func(string){}}
}

func (l *listener) subscribe(topic string, fn func(string)) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.subs[topic] = append(l.subs[topic], fn)
}

func (l *listener) deliver(channel, payload string) {
	l.mu.Lock()
	var fns []func(string)
	for topic, list := range l.subs {
		if l.s.topic(topic) == channel {
			fns = append(fns, list...)
		}
	}
	l.mu.Unlock()
	for _, fn := range fns {
		fn(payload)
	}
}

// wakeAll calls every subscriber, after a reconnection: notifications sent
// while the connection was down are lost, so everyone looks.
func (l *listener) wakeAll() {
	l.mu.Lock()
	var fns []func(string)
	for _, list := range l.subs {
		fns = append(fns, list...)
	}
	l.mu.Unlock()
	for _, fn := range fns {
		fn("")
	}
}

// run listens until stop is closed.
func (l *listener) run(stop <-chan struct{}, done *sync.WaitGroup) {
	defer done.Done()
	ctx, cancel := context.WithCancel(context.Background())
	go func() { <-stop; cancel() }()
	backoff := 100 * time.Millisecond
	first := true
	for ctx.Err() == nil {
		err := l.listen(ctx, &first)
		if ctx.Err() != nil {
			return
		}
		l.s.log.Warn("postgres store: listening for notifications failed; reconnecting", "err", err, "in", backoff)
		select {
		case <-ctx.Done():
			return
		case <-time.After(backoff):
		}
		backoff = min(2*backoff, 5*time.Second)
	}
}

// listen connects, LISTENs and delivers notifications until an error.
func (l *listener) listen(ctx context.Context, first *bool) error {
	cfg, err := pgx.ParseConfig(l.url)
	if err != nil {
		return err
	}
	cfg.RuntimeParams["application_name"] = "allmyleads-listen"
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return err
	}
	defer conn.Close(context.Background())
	for _, t := range []string{topicInbox, topicOutbox, topicLead} {
		if _, err := conn.Exec(ctx, `LISTEN `+pgx.Identifier{l.s.topic(t)}.Sanitize()); err != nil {
			return err
		}
	}
	if !*first {
		l.wakeAll()
	}
	*first = false
	for {
		n, err := conn.WaitForNotification(ctx)
		if err != nil {
			return err
		}
		l.deliver(n.Channel, n.Payload)
	}
}
