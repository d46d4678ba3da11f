package whatsapp

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/time/rate"

	"github.com/allmyleads/allmyleads/engine/core"
)

// MessageSender is what the sender needs of the Graph API; *Client is one.
type MessageSender interface {
	Send(ctx context.Context, out core.Outbound) (string, error)
	MarkRead(ctx context.Context, wamid string) error
}

// SenderOptions configure the outbox sender.
type SenderOptions struct {
	Outbox core.Outbox // required
	// Store gives the bytes of stored media for image and document
	// messages, and takes the re-engagement templates QueueTemplate adds.
	Store  core.Store
	Client MessageSender // required

	Rate        float64       // messages per second, the number's throughput; default 80
	Burst       int           // default Rate/10, at least 1
	Workers     int           // contacts sent to at once; default 16
	Batch       int           // outbox items read at once; default 256
	MaxAttempts int           // tries before a retryable failure is final; default 8
	Backoff     time.Duration // first retry wait; default 2 s, doubling with jitter
	MaxBackoff  time.Duration // default 5 min
	TokenPause  time.Duration // wait after error 190 before trying again; default 1 min
	SendTimeout time.Duration // one send, even during shutdown; default 20 s
	Poll        time.Duration // outbox reads without a Wake (retries falling due); default 2 s
	// InFlightWait is how long a send whose outcome was lost (a crash or a
	// timeout between the request and its record) waits for Meta's status
	// webhook, which records it, before it is sent again; default 2 min.
	// Longer makes a double send rarer when webhooks are slow; shorter gets
	// a reply out sooner when the first send never reached Meta.
	InFlightWait time.Duration

	// WindowTemplate is the pre-approved template sent when a message falls
	// outside the 24-hour customer-service window; "" holds such messages
	// as needing a template.
	WindowTemplate   string
	TemplateLanguage string // default en_US

	Clock  func() time.Time
	Tag    func(contact string) string
	Logger *slog.Logger
	// Failed is told of each failed send attempt, by SendError.MetricCode
	// (metrics); nil skips it.
	Failed func(code string)
	// GaveUp is told of each message to a customer that failed for good
	// (not a notice to the owner), after it is recorded failed; nil skips
	// it. serve tells the owner.
	GaveUp func(ctx context.Context, out core.Outbound, reason string)
}

// Sender drains the outbox to the Graph API: a contact's messages in order,
// contacts in parallel, under one rate limiter; retryable failures wait
// with exponential backoff and jitter, permanent ones are recorded; an
// expired token pauses sending instead of failing the outbox; messages past
// the 24-hour window are replaced by the configured template or held.
type Sender struct {
	o       SenderOptions
	log     *slog.Logger
	limiter *rate.Limiter

	wake  chan struct{}
	reads chan string
	sem   chan struct{} // worker slots

	mu       sync.Mutex
	busy     map[string]bool // contacts a worker is sending to
	inflight map[string]bool // outbox ids being sent
	// finished are outbox ids sent or given up since a read of the outbox
	// began, by the read count when they finished: a read that began
	// before an item finished may still hold it, so such an item is skipped
	// (and forgotten once a later read has begun after it finished).
	finished    map[string]uint64
	outboxReads uint64            // outbox reads begun
	pausedUntil time.Time         // token expired
	holdUntil   time.Time         // the number's rate limit was hit
	unrecorded  map[string]string // outbox id → wamid of a send whose MarkSent failed

	progress atomic.Int64 // items sent or finally failed, for Flush
	paused   atomic.Bool
}

// NewSender returns a sender; Run starts it.
func NewSender(o SenderOptions) *Sender {
	if o.Rate <= 0 {
		o.Rate = 80
	}
	if o.Burst <= 0 {
		o.Burst = max(1, int(o.Rate/10))
	}
	if o.Workers <= 0 {
		o.Workers = 16
	}
	if o.Batch <= 0 {
		o.Batch = 256
	}
	if o.MaxAttempts <= 0 {
		o.MaxAttempts = 8
	}
	if o.Backoff <= 0 {
		o.Backoff = 2 * time.Second
	}
	if o.MaxBackoff <= 0 {
		o.MaxBackoff = 5 * time.Minute
	}
	if o.TokenPause <= 0 {
		o.TokenPause = time.Minute
	}
	if o.Poll <= 0 {
		o.Poll = 2 * time.Second
	}
	if o.InFlightWait <= 0 {
		o.InFlightWait = 2 * time.Minute
	}
	if o.SendTimeout <= 0 {
		o.SendTimeout = 20 * time.Second
	}
	if o.TemplateLanguage == "" {
		o.TemplateLanguage = "en_US"
	}
	if o.Clock == nil {
		o.Clock = time.Now
	}
	if o.Tag == nil {
		o.Tag = newTagger()
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	return &Sender{
		o:          o,
		log:        o.Logger,
		limiter:    rate.NewLimiter(rate.Limit(o.Rate), o.Burst),
		wake:       make(chan struct{}, 1),
		reads:      make(chan string, 4096),
		sem:        make(chan struct{}, o.Workers),
		busy:       map[string]bool{},
		inflight:   map[string]bool{},
		finished:   map[string]uint64{},
		unrecorded: map[string]string{},
	}
}

// Wake tells the sender the outbox has new messages.
func (s *Sender) Wake() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// Paused says whether sending is paused because the token expired.
func (s *Sender) Paused() bool { return s.paused.Load() }

// QueueRead asks for a read receipt for an inbound message. Receipts share
// the rate limiter; when too many wait, or sending is paused, they are
// dropped (a missing blue tick is harmless).
func (s *Sender) QueueRead(wamid string) {
	select {
	case s.reads <- wamid:
	default:
	}
}

// QueueTemplate queues the configured re-engagement template for a contact
// whose message failed because the 24-hour window had closed (131047), at
// most once a day per contact. Without a configured template it does
// nothing: the failure is already recorded on the message.
func (s *Sender) QueueTemplate(ctx context.Context, contact string) error {
	if !s.templates() {
		s.log.Warn("whatsapp sender: 24-hour window closed and no window_template is configured", "contact", s.o.Tag(contact))
		return nil
	}
	// The store decides in the transaction that queues it, so a restart or
	// a replayed 131047 status cannot send a second paid template.
	turn := &core.Turn{Outbound: []core.Outbound{s.template(contact)}, Once: &core.Once{Key: "whatsapp-reengagement-template", Within: 24 * time.Hour}}
	err := s.o.Store.Commit(ctx, turn)
	if errors.Is(err, core.ErrDuplicate) {
		return nil // one was queued less than a day ago
	}
	if err != nil {
		return fmt.Errorf("queue template: %w", err)
	}
	s.Wake()
	return nil
}

// templates says whether re-engagement templates can be sent.
func (s *Sender) templates() bool { return s.o.WindowTemplate != "" && s.o.Store != nil }

func (s *Sender) template(contact string) core.Outbound {
	return core.Outbound{
		Channel:  ChannelName,
		Contact:  contact,
		Kind:     core.OutTemplate,
		Template: &core.Template{Name: s.o.WindowTemplate, Language: s.o.TemplateLanguage},
		Created:  s.o.Clock(),
	}
}

// Run sends until ctx is cancelled, then lets in-flight sends finish.
// Call Flush afterwards to send what is still due.
func (s *Sender) Run(ctx context.Context) error {
	if s.o.Outbox == nil || s.o.Client == nil {
		return errors.New("whatsapp sender: Outbox and Client are required")
	}
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { defer wg.Done(); s.readReceipts(ctx) }()
	poll := time.NewTicker(s.o.Poll)
	defer poll.Stop()
	s.Wake()
	for {
		select {
		case <-ctx.Done():
			s.waitWorkers()
			wg.Wait()
			return nil
		case <-s.wake:
		case <-poll.C:
		}
		if len(s.sem) == cap(s.sem) {
			continue // every worker is busy; the first to finish wakes us
		}
		if d := s.pause(); d > 0 {
			t := time.NewTimer(d)
			select {
			case <-ctx.Done():
				t.Stop()
				continue
			case <-t.C:
			}
		}
		s.round(ctx)
		// Coalesce a burst of wake-ups into one outbox read.
		t := time.NewTimer(10 * time.Millisecond)
		select {
		case <-ctx.Done():
		case <-t.C:
		}
	}
}

// Flush sends what is due until nothing more can go or ctx ends. Serve
// calls it on shutdown after the engine has stopped.
func (s *Sender) Flush(ctx context.Context) error {
	if s.o.Outbox == nil || s.o.Client == nil {
		return errors.New("whatsapp sender: Outbox and Client are required")
	}
	for ctx.Err() == nil {
		if s.Paused() {
			return errors.New("whatsapp sender: paused: the access token expired")
		}
		before := s.progress.Load()
		n := s.round(ctx)
		s.waitWorkers()
		if n == 0 || s.progress.Load() == before {
			return nil
		}
	}
	return ctx.Err()
}

// waitWorkers waits until every worker slot is free.
func (s *Sender) waitWorkers() {
	for range cap(s.sem) {
		s.sem <- struct{}{}
	}
	for range cap(s.sem) {
		<-s.sem
	}
}

// pause returns how long sending must still wait (token expired or the
// number's rate limit hit).
func (s *Sender) pause() time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	until := s.pausedUntil
	if s.holdUntil.After(until) {
		until = s.holdUntil
	}
	return until.Sub(s.o.Clock())
}

// round reads due items and hands each contact's run of them to a worker.
// It returns how many items it started.
func (s *Sender) round(ctx context.Context) int {
	s.mu.Lock()
	s.outboxReads++
	read := s.outboxReads
	for id, at := range s.finished {
		if at+1 < read {
			// It finished before the previous read began, and reads run one
			// after the other: no read still in hand can hold it.
			delete(s.finished, id)
		}
	}
	s.mu.Unlock()
	items, err := s.o.Outbox.PendingOutbound(ctx, ChannelName, s.o.Batch)
	if err != nil {
		if ctx.Err() == nil {
			s.log.Error("whatsapp sender: read outbox", "err", err)
		}
		return 0
	}
	var order []string
	groups := map[string][]core.OutboxItem{}
	s.mu.Lock()
	for _, it := range items {
		if _, done := s.finished[it.ID]; done || s.inflight[it.ID] || s.busy[it.Contact] && groups[it.Contact] == nil {
			continue
		}
		if groups[it.Contact] == nil {
			order = append(order, it.Contact)
			s.busy[it.Contact] = true
		}
		s.inflight[it.ID] = true
		groups[it.Contact] = append(groups[it.Contact], it)
	}
	s.mu.Unlock()
	started := 0
	for _, c := range order {
		group := groups[c]
		select {
		case s.sem <- struct{}{}:
		case <-ctx.Done():
			s.release(c, group)
			continue
		}
		started += len(group)
		go func() {
			defer func() { <-s.sem }()
			s.sendGroup(ctx, group)
			s.release(c, group)
			s.Wake()
		}()
	}
	return started
}

func (s *Sender) release(contact string, group []core.OutboxItem) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.busy, contact)
	for _, it := range group {
		delete(s.inflight, it.ID)
	}
}

// sendGroup sends one contact's items in order, stopping at the first that
// must wait.
func (s *Sender) sendGroup(ctx context.Context, group []core.OutboxItem) {
	for _, it := range group {
		if !s.sendItem(ctx, it) {
			return
		}
	}
}

// sendItem sends one outbox item and records the outcome. It returns false
// when the contact's later items must wait.
func (s *Sender) sendItem(ctx context.Context, it core.OutboxItem) bool {
	if ctx.Err() != nil || s.pause() > 0 {
		return false
	}
	s.mu.Lock()
	wamid, sent := s.unrecorded[it.ID]
	s.mu.Unlock()
	if sent {
		return s.record(ctx, it, wamid) // never send it twice
	}
	now := s.o.Clock()
	if !it.InFlight.IsZero() {
		// A send of it began before and nothing recorded how it ended (the
		// process died, or the request timed out): its status webhook
		// records it if it reached Meta. Wait for that, then send again.
		if now.Before(it.InFlight.Add(s.o.InFlightWait)) {
			return false
		}
		s.log.Warn("whatsapp sender: no status arrived for an earlier send; sending again", "contact", s.o.Tag(it.Contact), "outbox", it.ID, "since", it.InFlight)
	}
	if it.Kind != core.OutTemplate && !it.WindowUntil.IsZero() && now.After(it.WindowUntil) {
		if it.Template == nil || it.Template.Name == "" {
			return s.windowClosed(ctx, it)
		}
		// A message that carries its own template for a closed window (an
		// owner's alert card) goes as that template.
		it.Kind = core.OutTemplate
	}
	out, err := s.withMedia(ctx, it.Outbound)
	if err != nil {
		return s.failed(ctx, it, AsSendError(err))
	}
	if err := s.limiter.Wait(ctx); err != nil {
		return false
	}
	// From here the send may reach Meta: it finishes, and its outcome is
	// recorded, even when Run is being stopped; cutting it short could
	// send the message twice.
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), s.o.SendTimeout)
	defer cancel()
	if err := s.o.Outbox.MarkInFlight(sctx, it.ID, now); err != nil {
		s.log.Error("whatsapp sender: mark in flight", "outbox", it.ID, "err", err)
		return false // not sent: it is tried again on a later round
	}
	wamid, err = s.o.Client.Send(sctx, out)
	if err != nil {
		return s.failed(sctx, it, AsSendError(err))
	}
	s.resumed()
	return s.record(sctx, it, wamid)
}

// record stores Meta's message id on the item and removes it from the
// outbox. When that fails the wamid is kept, and the next round records it
// instead of sending again (a restart before then would send it again;
// nothing better can be done).
func (s *Sender) record(ctx context.Context, it core.OutboxItem, wamid string) bool {
	if err := s.o.Outbox.MarkSent(ctx, it.ID, wamid, s.o.Clock()); err != nil && !errors.Is(err, core.ErrNotFound) {
		// (ErrNotFound: its status webhook came first and recorded it.)
		s.log.Error("whatsapp sender: message sent but not recorded", "outbox", it.ID, "err", err)
		s.mu.Lock()
		s.unrecorded[it.ID] = wamid
		s.mu.Unlock()
		return false
	}
	s.mu.Lock()
	delete(s.unrecorded, it.ID)
	s.mu.Unlock()
	s.finish(it.ID)
	return true
}

// finish notes that an item left the outbox (sent, failed or held), so a
// read of the outbox that began before cannot send it again.
func (s *Sender) finish(id string) {
	s.mu.Lock()
	s.finished[id] = s.outboxReads
	s.mu.Unlock()
	s.progress.Add(1)
}

// withMedia loads the bytes of a stored image or document.
func (s *Sender) withMedia(ctx context.Context, out core.Outbound) (core.Outbound, error) {
	if (out.Kind != core.OutImage && out.Kind != core.OutDocument) || out.Media == nil ||
		len(out.Media.Data) > 0 || out.Media.URL != "" || out.Media.ID == "" {
		return out, nil
	}
	if s.o.Store == nil {
		return out, localError("media %s: no store to load it from", out.Media.ID)
	}
	m, err := s.o.Store.Media(ctx, out.Media.ID)
	if errors.Is(err, core.ErrNotFound) {
		return out, localError("media %s is not in the store", out.Media.ID)
	}
	if err != nil {
		return out, err
	}
	media := *out.Media
	media.Data = m.Data
	if media.MIME == "" {
		media.MIME = m.MIME
	}
	if media.Filename == "" {
		media.Filename = m.Filename
	}
	out.Media = &media
	return out, nil
}

// failed records a failed send. It returns whether the contact's next
// message may go now.
func (s *Sender) failed(ctx context.Context, it core.OutboxItem, se *SendError) bool {
	if s.o.Failed != nil {
		s.o.Failed(se.MetricCode())
	}
	contact := s.o.Tag(it.Contact)
	switch {
	case se.TokenExpired:
		s.tokenExpired(se)
		// Meta refused it: the item stays as it was, not in flight, and no
		// attempt is counted.
		if err := s.o.Outbox.MarkInFlight(ctx, it.ID, time.Time{}); err != nil {
			s.log.Error("whatsapp sender: clear in flight", "outbox", it.ID, "err", err)
		}
		return false
	case se.NeedsTemplate:
		return s.windowClosed(ctx, it)
	case se.Retryable && it.Attempts+1 < s.o.MaxAttempts:
		wait := s.backoff(it.Attempts + 1)
		if se.HTTPStatus == 0 && se.Err != nil {
			// No answer: the request may have reached Meta. Its status
			// webhook records it if so; wait for that before sending again.
			wait = max(wait, s.o.InFlightWait)
		}
		if se.RateLimited {
			s.mu.Lock()
			s.holdUntil = s.o.Clock().Add(wait)
			s.mu.Unlock()
		}
		s.log.Warn("whatsapp sender: send will be retried", "contact", contact, "outbox", it.ID,
			"attempt", it.Attempts+1, "in", wait.Round(time.Millisecond), "code", se.Code, "http", se.HTTPStatus)
		if err := s.o.Outbox.MarkRetry(ctx, it.ID, s.o.Clock().Add(wait), se.Error()); err != nil {
			s.log.Error("whatsapp sender: record retry", "outbox", it.ID, "err", err)
		}
		return false
	}
	s.log.Error("whatsapp sender: message failed", "contact", contact, "outbox", it.ID,
		"attempts", it.Attempts+1, "code", se.Code, "http", se.HTTPStatus, "err", se.Error())
	if err := s.o.Outbox.MarkFailed(ctx, it.ID, se.Code, se.Error(), false); err != nil {
		s.log.Error("whatsapp sender: record failure", "outbox", it.ID, "err", err)
		return false
	}
	s.finish(it.ID)
	if s.o.GaveUp != nil && it.Notice == nil {
		s.o.GaveUp(ctx, it.Outbound, se.Error())
	}
	return true
}

// windowClosed holds a message that may not go out because the contact's
// 24-hour window has closed, and queues the configured template instead.
func (s *Sender) windowClosed(ctx context.Context, it core.OutboxItem) bool {
	reason := "outside the 24-hour customer-service window: needs a template"
	if s.templates() {
		if err := s.QueueTemplate(ctx, it.Contact); err != nil {
			s.log.Error("whatsapp sender: queue template", "contact", s.o.Tag(it.Contact), "err", err)
			return false
		}
		reason += "; template " + s.o.WindowTemplate + " sent instead"
	}
	s.log.Warn("whatsapp sender: message held", "contact", s.o.Tag(it.Contact), "outbox", it.ID, "reason", reason)
	if err := s.o.Outbox.MarkFailed(ctx, it.ID, CodeReengagement, reason, true); err != nil {
		s.log.Error("whatsapp sender: record held message", "outbox", it.ID, "err", err)
		return false
	}
	s.finish(it.ID)
	return true
}

// tokenExpired pauses all sending for TokenPause and says so loudly, once
// per pause.
func (s *Sender) tokenExpired(se *SendError) {
	now := s.o.Clock()
	s.mu.Lock()
	if now.Before(s.pausedUntil) {
		s.mu.Unlock()
		return // another worker hit it first and said so
	}
	s.pausedUntil = now.Add(s.o.TokenPause)
	s.mu.Unlock()
	s.paused.Store(true)
	s.log.Error("WHATSAPP ACCESS TOKEN EXPIRED OR INVALID: sending is paused; set a new WHATSAPP_TOKEN and restart",
		"code", se.Code, "subcode", se.Subcode, "retry_in", s.o.TokenPause)
}

// resumed ends a token pause after a send worked.
func (s *Sender) resumed() {
	if s.paused.CompareAndSwap(true, false) {
		s.log.Info("whatsapp sender: sending resumed")
	}
}

// backoff is the wait before the nth retry: doubling from Backoff, capped
// at MaxBackoff, with jitter over its upper half.
func (s *Sender) backoff(n int) time.Duration {
	d := s.o.Backoff << min(n-1, 20)
	if d <= 0 || d > s.o.MaxBackoff {
		d = s.o.MaxBackoff
	}
	return d/2 + rand.N(d/2+1)
}

// readReceipts sends queued read receipts under the rate limiter.
func (s *Sender) readReceipts(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case id := <-s.reads:
			if s.pause() > 0 {
				continue
			}
			if err := s.limiter.Wait(ctx); err != nil {
				return
			}
			rctx, cancel := context.WithTimeout(ctx, 15*time.Second)
			err := s.o.Client.MarkRead(rctx, id)
			cancel()
			var se *SendError
			if errors.As(err, &se) && se.TokenExpired {
				s.tokenExpired(se)
			} else if err != nil && ctx.Err() == nil {
				s.log.Debug("whatsapp sender: read receipt failed", "err", err)
			}
		}
	}
}
