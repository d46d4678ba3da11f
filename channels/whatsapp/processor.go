package whatsapp

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/allmyleads/allmyleads/engine/core"
)

// Dispatcher hands inbound messages to the engine; *engine.Router is one.
type Dispatcher = core.Dispatcher

// MediaDownloader fetches inbound media; *Client is one.
type MediaDownloader interface {
	DownloadMedia(ctx context.Context, mediaID string, maxBytes int64) ([]byte, MediaInfo, error)
}

// ProcessorOptions configure the inbox worker.
type ProcessorOptions struct {
	Inbox      core.Inbox  // required
	Dispatcher Dispatcher  // required
	Outbox     core.Outbox // delivery statuses are recorded here; nil ignores them
	Media      MediaDownloader
	// MarkRead is called with the id of every handled message once it is
	// committed (the sender's QueueRead); nil sends no read receipts.
	MarkRead func(wamid string)
	// NeedsTemplate is called when a failed status says the 24-hour window
	// had closed (131047) (the sender's QueueTemplate).
	NeedsTemplate func(ctx context.Context, contact string) error
	// PhoneNumberID is the business number this process serves; payloads
	// for another number are logged.
	PhoneNumberID string
	MaxImageBytes int64 // default 5 MB, Meta's limit for images
	MaxInFlight   int   // payloads processed at once; default 64 (more only makes the store's commits bigger)
	MaxAttempts   int   // tries of a payload whose messages the engine failed, before it is quarantined; default 5
	// MaxCrashes is how many processing attempts of a payload may end
	// without a result (the process died handling it) before it is
	// quarantined: its messages go to Quarantine instead of the engine's
	// flows. Default 3.
	MaxCrashes int
	// Quarantine takes a message of a quarantined payload (the engine's
	// Quarantine: stored, the customer told a person will help, the owner
	// told); nil only logs it.
	Quarantine   func(ctx context.Context, in core.Inbound, reason string) error
	Backoff      time.Duration // first wait before such a retry; default 1 s, doubling
	MediaBackoff time.Duration // first wait before a media download is tried again; default 200 ms
	Grace        time.Duration // on shutdown, how long in-flight work may finish; default 10 s
	Poll         time.Duration // how often the inbox is read without a Notify; default 2 s
	Tag          func(contact string) string
	Logger       *slog.Logger
}

// Processor drains the inbox: it parses each stored payload, downloads
// images, hands messages to the Dispatcher in order per contact, records
// delivery statuses, and removes the payload only once every message of it
// is committed. What is left after a crash is processed on the next start;
// the engine's exactly-once rule makes replays harmless.
type Processor struct {
	o   ProcessorOptions
	log *slog.Logger

	wake    chan struct{}       // scan the inbox
	slot    chan struct{}       // a payload finished: room for more
	queue   chan core.InboxItem // payloads the webhook just stored
	running atomic.Bool

	mu       sync.Mutex
	inflight map[string]bool          // inbox ids being processed
	failures map[string]itemFailure   // inbox ids waiting for a retry
	lanes    map[string]chan struct{} // per contact: closed once the last queued message was submitted
	// finished remembers recently removed inbox ids (two generations), so
	// a payload both queued by Add and found by a scan runs once.
	finished, finishedOld map[string]bool
}

type itemFailure struct {
	attempts  int
	notBefore time.Time
}

// NewProcessor returns a processor; Run starts it.
func NewProcessor(o ProcessorOptions) *Processor {
	if o.MaxImageBytes <= 0 {
		o.MaxImageBytes = DefaultMaxMediaBytes
	}
	if o.MaxInFlight <= 0 {
		o.MaxInFlight = 64
	}
	if o.MaxCrashes <= 0 {
		o.MaxCrashes = 3
	}
	if o.MaxAttempts <= 0 {
		o.MaxAttempts = 5
	}
	if o.Backoff <= 0 {
		o.Backoff = time.Second
	}
	if o.MediaBackoff <= 0 {
		o.MediaBackoff = 200 * time.Millisecond
	}
	if o.Grace <= 0 {
		o.Grace = 10 * time.Second
	}
	if o.Poll <= 0 {
		o.Poll = 2 * time.Second
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Tag == nil {
		o.Tag = newTagger()
	}
	return &Processor{
		o:        o,
		log:      o.Logger,
		wake:     make(chan struct{}, 1),
		slot:     make(chan struct{}, 1),
		queue:    make(chan core.InboxItem, 4096),
		inflight: map[string]bool{},
		failures: map[string]itemFailure{},
		lanes:    map[string]chan struct{}{},
		finished: map[string]bool{},
	}
}

// newTagger returns a keyed hash of phone numbers for logs, under a key
// that lives as long as the process.
func newTagger() func(string) string {
	key := make([]byte, 32)
	_, _ = rand.Read(key)
	return func(contact string) string {
		m := hmac.New(sha256.New, key)
		m.Write([]byte(contact))
		return hex.EncodeToString(m.Sum(nil))[:16]
	}
}

// Notify wakes the processor to read the inbox.
func (p *Processor) Notify() {
	select {
	case p.wake <- struct{}{}:
	default:
	}
}

// Add hands the processor a payload the webhook has just stored, so it
// starts without reading it back from the store. When the queue is full
// the payload waits in the inbox for the next scan.
func (p *Processor) Add(it core.InboxItem) {
	select {
	case p.queue <- it:
	default:
		p.Notify()
	}
}

// Running says whether Run is active (for /readyz).
func (p *Processor) Running() bool { return p.running.Load() }

// Run processes the inbox until ctx is cancelled: everything pending at
// start first (crash recovery), then what Add hands it, and what a scan
// finds after Notify or every Poll. On cancellation it stops taking
// payloads and lets in-flight ones finish for up to Grace before
// cancelling them (they stay in the inbox).
func (p *Processor) Run(ctx context.Context) error {
	if p.o.Inbox == nil || p.o.Dispatcher == nil {
		return errors.New("whatsapp processor: Inbox and Dispatcher are required")
	}
	p.running.Store(true)
	defer p.running.Store(false)
	work, cancelWork := context.WithCancel(context.WithoutCancel(ctx))
	defer cancelWork()
	var wg sync.WaitGroup
	poll := time.NewTicker(p.o.Poll)
	defer poll.Stop()
	// backlog is set while the inbox may hold payloads no scan started
	// for want of a slot.
	backlog := p.scan(ctx, work, &wg)
	for {
		queue := p.queue
		if p.full() {
			queue = nil // wait for a slot
		}
		select {
		case <-ctx.Done():
			p.finish(&wg, cancelWork)
			return nil
		case <-p.wake:
			backlog = p.scan(ctx, work, &wg)
		case <-poll.C:
			backlog = p.scan(ctx, work, &wg)
		case <-p.slot:
			if backlog {
				backlog = p.scan(ctx, work, &wg)
			}
		case it := <-queue:
			if !p.take(work, &wg, it) {
				backlog = true
			}
		}
	}
}

func (p *Processor) full() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.inflight) >= p.o.MaxInFlight
}

// finish waits for in-flight payloads, cancelling them after Grace.
func (p *Processor) finish(wg *sync.WaitGroup, cancelWork func()) {
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	t := time.NewTimer(p.o.Grace)
	defer t.Stop()
	select {
	case <-done:
	case <-t.C:
		p.log.Warn("whatsapp processor: in-flight messages cancelled at shutdown; they stay in the inbox")
		cancelWork()
		<-done
	}
}

// scan starts the pending payloads of the inbox that are not in flight or
// waiting for a retry, oldest first, which fixes the order of each
// contact's messages. It returns true when payloads may be left over.
func (p *Processor) scan(ctx, work context.Context, wg *sync.WaitGroup) bool {
	p.mu.Lock()
	limit := p.o.MaxInFlight + len(p.failures)
	p.mu.Unlock()
	items, err := p.o.Inbox.PendingInbox(ctx, limit)
	if err != nil {
		if ctx.Err() == nil {
			p.log.Error("whatsapp processor: read inbox", "err", err)
		}
		return false
	}
	for _, it := range items {
		if !p.take(work, wg, it) {
			return true
		}
	}
	return len(items) == limit // more may wait beyond the window
}

// take starts a payload unless it is in flight or waiting for a retry. It
// returns false when no slot is free.
func (p *Processor) take(work context.Context, wg *sync.WaitGroup, it core.InboxItem) bool {
	if it.Channel != ChannelName && it.Channel != "" {
		return true
	}
	p.mu.Lock()
	if len(p.inflight) >= p.o.MaxInFlight {
		p.mu.Unlock()
		return false
	}
	f, failed := p.failures[it.ID]
	skip := p.inflight[it.ID] || p.finished[it.ID] || p.finishedOld[it.ID] ||
		(failed && time.Now().Before(f.notBefore))
	if !skip {
		p.inflight[it.ID] = true
	}
	p.mu.Unlock()
	if !skip {
		p.start(work, wg, it)
	}
	return true
}

// job is one message of a payload on its way to the engine.
type job struct {
	in         core.Inbound
	quarantine string          // why the payload is not run through the flows again ("": it is)
	prev       <-chan struct{} // closed once the contact's previous message was submitted
	mine       chan struct{}   // closed once this one was submitted (or skipped)
}

// start parses a payload, reserves each message's place in its contact's
// lane, and processes it in the background.
func (p *Processor) start(ctx context.Context, wg *sync.WaitGroup, it core.InboxItem) {
	batch, err := ParseWebhook(it.Body)
	if err != nil {
		// A payload that does not parse never will: drop it, loudly.
		p.log.Error("whatsapp processor: unreadable payload dropped", "inbox", it.ID, "err", err)
		p.done(ctx, it.ID)
		return
	}
	if p.o.PhoneNumberID != "" && batch.PhoneNumberID != "" && batch.PhoneNumberID != p.o.PhoneNumberID {
		p.log.Warn("whatsapp processor: payload for another phone number id", "inbox", it.ID, "phone_number_id", batch.PhoneNumberID)
	}
	for _, r := range batch.Rejected {
		// The rest of the batch is handled; the error names the field, never its value.
		p.log.Error("whatsapp processor: unreadable message skipped", "inbox", it.ID, "contact", p.o.Tag(r.Contact), "path", r.Path, "err", r.Error)
	}
	for _, e := range batch.Errors {
		p.log.Warn("whatsapp: webhook reports an error", "code", e.Code, "title", e.Title, "details", e.Details)
	}
	jobs := make([]job, len(batch.Messages))
	p.mu.Lock()
	for i, in := range batch.Messages {
		mine := make(chan struct{})
		jobs[i] = job{in: in, prev: p.lanes[in.Contact], mine: mine}
		p.lanes[in.Contact] = mine
	}
	p.mu.Unlock()
	wg.Add(1)
	go func() {
		defer wg.Done()
		p.process(ctx, it, batch, jobs)
	}()
}

// process handles one payload's messages and statuses, then removes it
// from the inbox, or schedules a retry when the engine failed.
func (p *Processor) process(ctx context.Context, it core.InboxItem, batch *Batch, jobs []job) {
	n, err := p.o.Inbox.BeginInbox(ctx, it.ID)
	if err != nil {
		for i := range jobs {
			close(jobs[i].mine)
		}
		p.releaseLanes(jobs)
		if errors.Is(err, core.ErrNotFound) {
			p.done(ctx, it.ID) // another worker finished it meanwhile
			return
		}
		p.retry(ctx, it.ID, fmt.Errorf("count the attempt: %w", err))
		return
	}
	p.mu.Lock()
	failed := p.failures[it.ID].attempts // attempts of this process that ended in an error
	p.mu.Unlock()
	reason := ""
	switch crashed := n - 1 - failed; {
	case crashed >= p.o.MaxCrashes:
		// Earlier attempts never ended: handling this payload kills the
		// process. Its messages are kept and answered without running the
		// flows, and the server carries on.
		reason = "its handling crashed the process"
	case failed >= p.o.MaxAttempts:
		reason = "the engine failed it again and again"
	}
	if reason != "" {
		p.log.Error("whatsapp processor: payload quarantined", "inbox", it.ID, "reason", reason, "attempts", n-1, "messages", len(jobs))
		for i := range jobs {
			jobs[i].quarantine = reason
		}
	}
	handled := make([]bool, len(jobs))
	errs := make([]error, len(jobs))
	var wg sync.WaitGroup
	for i := range jobs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			handled[i], errs[i] = p.message(ctx, &jobs[i])
		}()
	}
	wg.Wait()
	p.releaseLanes(jobs)
	err = errors.Join(errs...)
	if err == nil {
		err = p.statuses(ctx, batch.Statuses)
	}
	if err != nil {
		p.retry(ctx, it.ID, err)
		return
	}
	p.done(ctx, it.ID)
	if p.o.MarkRead == nil {
		return
	}
	for i, j := range jobs {
		if handled[i] && j.in.Kind != core.InSystem && !j.in.Echo {
			p.o.MarkRead(j.in.ID)
		}
	}
}

// message gets one message to the engine: skip it if already handled,
// download its image, wait for its turn in the contact's lane, submit,
// and wait for the commit. It says whether the engine handled it now.
func (p *Processor) message(ctx context.Context, j *job) (bool, error) {
	submitted := false
	defer func() {
		if !submitted {
			close(j.mine)
		}
	}()
	seen, err := p.o.Inbox.Seen(ctx, ChannelName, j.in.ID)
	if err != nil {
		return false, fmt.Errorf("check whether the message was handled: %w", err)
	}
	if !seen {
		p.fetchMedia(ctx, &j.in)
	}
	if j.prev != nil {
		select {
		case <-j.prev:
		case <-ctx.Done():
			return false, ctx.Err()
		}
	}
	if seen {
		return false, nil
	}
	if j.quarantine != "" {
		close(j.mine)
		submitted = true
		if p.o.Quarantine == nil {
			return false, nil
		}
		if err := p.o.Quarantine(ctx, j.in, j.quarantine); err != nil && !errors.Is(err, core.ErrDuplicate) {
			return false, fmt.Errorf("quarantine message: %w", err)
		}
		return true, nil
	}
	result := p.o.Dispatcher.Submit(ctx, j.in)
	close(j.mine)
	submitted = true
	select {
	case err = <-result:
	case <-ctx.Done():
		return false, ctx.Err()
	}
	switch {
	case err == nil:
		return true, nil
	case errors.Is(err, core.ErrDuplicate):
		return false, nil
	}
	p.log.Error("whatsapp processor: engine failed a message", "contact", p.o.Tag(j.in.Contact), "err", err)
	return false, fmt.Errorf("handle message: %w", err)
}

// releaseLanes forgets lanes whose last message is done.
func (p *Processor) releaseLanes(jobs []job) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, j := range jobs {
		if p.lanes[j.in.Contact] == j.mine {
			delete(p.lanes, j.in.Contact)
		}
	}
}

// fetchMedia downloads an image's bytes (their URL expires within
// minutes). When that fails the message still goes to the engine as an
// image without Data, so the conversation moves on and the customer can be
// asked again; the failure is logged with the media id.
func (p *Processor) fetchMedia(ctx context.Context, in *core.Inbound) {
	if in.Kind != core.InImage || p.o.Media == nil {
		return
	}
	for i := range in.Media {
		m := &in.Media[i]
		data, info, err := p.download(ctx, m.ID)
		if err == nil && m.SHA256 != "" && !SameSHA256(m.SHA256, data) {
			err = fmt.Errorf("media %s: webhook hash: %w", m.ID, ErrMediaChecksum)
		}
		if err == nil {
			declared := m.MIME
			if declared == "" {
				declared = info.MIME
			}
			err = checkImage(data, declared)
		}
		if err != nil {
			p.log.Warn("whatsapp processor: image not downloaded; handing the message on without it",
				"contact", p.o.Tag(in.Contact), "media", m.ID, "err", err)
			continue
		}
		sum := sha256.Sum256(data)
		m.Data, m.Size, m.SHA256 = data, len(data), hex.EncodeToString(sum[:])
		if m.MIME == "" {
			m.MIME = info.MIME
		}
	}
}

// download tries a media download up to three times when the failure may
// pass (network, 5xx, rate limit).
func (p *Processor) download(ctx context.Context, id string) ([]byte, MediaInfo, error) {
	wait := p.o.MediaBackoff
	for attempt := 1; ; attempt++ {
		data, info, err := p.o.Media.DownloadMedia(ctx, id, p.o.MaxImageBytes)
		var se *SendError
		if err == nil || attempt == 3 || !errors.As(err, &se) || !se.Retryable {
			return data, info, err
		}
		t := time.NewTimer(wait)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return nil, info, err
		}
		wait *= 2
	}
}

// statuses records delivery reports. Unknown message ids (sent by another
// tool, or a part of a split message) are skipped.
func (p *Processor) statuses(ctx context.Context, list []Status) error {
	for _, s := range list {
		switch s.Status {
		case "sent", "delivered", "read", "failed":
		default:
			continue // deleted, warning...: nothing to record
		}
		d := core.Delivery{Status: s.Status, Time: s.Time}
		if len(s.Errors) > 0 {
			e := s.Errors[0]
			d.ErrorCode, d.Error = e.Code, fmt.Sprintf("%d %s: %s", e.Code, e.Title, e.Details)
		}
		if p.o.Outbox != nil && s.Callback != "" && s.Status != "failed" {
			// A send whose outcome was lost (a crash between the request
			// and its record) is recorded now, before it could be sent again.
			err := p.o.Outbox.MarkSent(ctx, s.Callback, s.MessageID, s.Time)
			if err == nil {
				p.log.Info("whatsapp: an in-flight send was resolved by its status", "outbox", s.Callback)
			} else if !errors.Is(err, core.ErrNotFound) {
				return fmt.Errorf("record a resolved send: %w", err)
			}
		}
		if p.o.Outbox != nil {
			err := p.o.Outbox.UpdateDelivery(ctx, s.MessageID, d)
			if err != nil && !errors.Is(err, core.ErrNotFound) {
				return fmt.Errorf("record delivery status: %w", err)
			}
		}
		if s.Status != "failed" {
			continue
		}
		p.log.Warn("whatsapp: message failed", "contact", p.o.Tag(s.Recipient), "code", d.ErrorCode)
		if d.ErrorCode == CodeReengagement && p.o.NeedsTemplate != nil {
			if err := p.o.NeedsTemplate(ctx, s.Recipient); err != nil {
				return fmt.Errorf("queue template after a 131047 failure: %w", err)
			}
		}
	}
	return nil
}

// retry keeps a payload whose messages the engine failed for a later try,
// and drops it after MaxAttempts. A shutdown leaves it for the next start.
func (p *Processor) retry(ctx context.Context, id string, err error) {
	if ctx.Err() != nil {
		p.mu.Lock()
		delete(p.inflight, id)
		p.mu.Unlock()
		p.freed()
		return
	}
	p.mu.Lock()
	f := p.failures[id]
	f.attempts++
	wait := p.o.Backoff << min(f.attempts-1, 10)
	f.notBefore = time.Now().Add(wait)
	p.failures[id] = f
	delete(p.inflight, id)
	p.mu.Unlock()
	if f.attempts >= p.o.MaxAttempts {
		// The next attempt quarantines it: kept and answered, never dropped.
		wait = 0
		p.mu.Lock()
		f.notBefore = time.Time{}
		p.failures[id] = f
		p.mu.Unlock()
	}
	p.log.Warn("whatsapp processor: payload will be retried", "inbox", id, "attempt", f.attempts, "in", wait, "err", err)
	p.freed()
	time.AfterFunc(wait, p.Notify)
}

// done removes a payload from the inbox.
func (p *Processor) done(ctx context.Context, id string) {
	if err := p.o.Inbox.DoneInbox(ctx, id); err != nil {
		p.log.Error("whatsapp processor: remove payload from inbox", "inbox", id, "err", err)
	}
	p.mu.Lock()
	delete(p.inflight, id)
	delete(p.failures, id)
	if len(p.finished) >= 4096 {
		p.finished, p.finishedOld = map[string]bool{}, p.finished
	}
	p.finished[id] = true
	p.mu.Unlock()
	p.freed()
}

// freed tells Run a slot is free.
func (p *Processor) freed() {
	select {
	case p.slot <- struct{}{}:
	default:
	}
}
