package notify

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	neturl "net/url"
	"sync"
	"time"

	"github.com/allmyleads/allmyleads/engine/core"
)

// DelivererOptions configure a Deliverer.
type DelivererOptions struct {
	Outbox   core.Outbox // required: where the deliveries wait (the "webhook" channel)
	Webhooks []Webhook   // the receivers' secrets, by URL
	Client   *http.Client
	Clock    func() time.Time
	// MaxAge is how long a delivery is tried before it is marked failed
	// (and shown in the console's Needs me); default 24 h.
	MaxAge time.Duration
	// Backoff is the first wait after a failed attempt, doubling up to
	// MaxBackoff; defaults 30 s and 1 h.
	Backoff, MaxBackoff time.Duration
	Workers             int           // leads delivered to at once; default 8
	Batch               int           // deliveries read at once; default 256
	Poll                time.Duration // outbox reads without a Wake (retries falling due); default 5 s
	Timeout             time.Duration // one POST; default 10 s
	Logger              *slog.Logger
	// Result is told of each attempt's result (delivered, retry, failed),
	// for metrics; nil skips it.
	Result func(result string)
}

// Deliverer posts the webhook deliveries the turns queued: signed at each
// attempt with the receiver's secret, the same X-AllMyLeads-Delivery id on
// every attempt, one lead's deliveries to one receiver in order (a failed
// one holds the later ones back until it is delivered or given up), with
// doubling waits for MaxAge, then marked failed. What is queued survives
// a restart: a receiver that is down for an hour loses nothing.
type Deliverer struct {
	o       DelivererOptions
	log     *slog.Logger
	secrets map[string]string
	wake    chan struct{}
	mu      sync.Mutex // one Deliver at a time
}

// NewDeliverer returns a deliverer; Run starts it.
func NewDeliverer(o DelivererOptions) *Deliverer {
	if o.Client == nil {
		o.Client = &http.Client{}
	}
	if o.Clock == nil {
		o.Clock = time.Now
	}
	if o.MaxAge <= 0 {
		o.MaxAge = 24 * time.Hour
	}
	if o.Backoff <= 0 {
		o.Backoff = 30 * time.Second
	}
	if o.MaxBackoff <= 0 {
		o.MaxBackoff = time.Hour
	}
	if o.Workers <= 0 {
		o.Workers = 8
	}
	if o.Batch <= 0 {
		o.Batch = 256
	}
	if o.Poll <= 0 {
		o.Poll = 5 * time.Second
	}
	if o.Timeout <= 0 {
		o.Timeout = 10 * time.Second
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	d := &Deliverer{o: o, log: o.Logger, secrets: map[string]string{}, wake: make(chan struct{}, 1)}
	for _, w := range o.Webhooks {
		d.secrets[w.URL] = w.Secret
	}
	return d
}

// Wake tells the deliverer new deliveries are queued.
func (d *Deliverer) Wake() {
	select {
	case d.wake <- struct{}{}:
	default:
	}
}

// Run delivers until ctx is cancelled; a delivery in flight finishes.
func (d *Deliverer) Run(ctx context.Context) error {
	if d.o.Outbox == nil {
		return errors.New("webhook deliverer: Outbox is required")
	}
	poll := time.NewTicker(d.o.Poll)
	defer poll.Stop()
	for {
		d.Deliver(ctx)
		select {
		case <-ctx.Done():
			return nil
		case <-d.wake:
		case <-poll.C:
		}
	}
}

// Deliver makes one pass: every delivery that is due is attempted, each
// lead's in order. It returns how many were attempted.
func (d *Deliverer) Deliver(ctx context.Context) int {
	d.mu.Lock()
	defer d.mu.Unlock()
	items, err := d.o.Outbox.PendingOutbound(ctx, core.WebhookChannel, d.o.Batch)
	if err != nil {
		if ctx.Err() == nil {
			d.log.Error("webhooks: read the outbox", "err", err)
		}
		return 0
	}
	var order []string
	lanes := map[string][]core.OutboxItem{}
	for _, it := range items {
		l := it.Lane()
		if lanes[l] == nil {
			order = append(order, l)
		}
		lanes[l] = append(lanes[l], it)
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	attempted := 0
	sem := make(chan struct{}, d.o.Workers)
	for _, l := range order {
		sem <- struct{}{}
		wg.Add(1)
		go func(lane []core.OutboxItem) {
			defer func() { <-sem; wg.Done() }()
			for _, it := range lane {
				if ctx.Err() != nil {
					return
				}
				mu.Lock()
				attempted++
				mu.Unlock()
				if !d.deliver(ctx, it) {
					return // the lane's later deliveries wait for this one
				}
			}
		}(lanes[l])
	}
	wg.Wait()
	return attempted
}

// deliver makes one attempt and records its outcome. It returns whether
// the lane's next delivery may go.
func (d *Deliverer) deliver(ctx context.Context, it core.OutboxItem) bool {
	n := it.Notice
	if n == nil {
		d.fail(ctx, it, 0, "not a webhook delivery")
		return true
	}
	secret, ok := d.secrets[n.URL]
	if !ok {
		d.fail(ctx, it, 0, "no webhook with this URL is configured any more")
		return true
	}
	status, err := d.post(ctx, n, secret)
	now := d.o.Clock()
	if err == nil {
		if err := d.o.Outbox.MarkSent(ctx, it.ID, n.DeliveryID, now); err != nil && !errors.Is(err, core.ErrNotFound) {
			d.log.Error("webhooks: delivered but not recorded; it will be delivered again", "delivery", n.DeliveryID, "err", err)
			return false
		}
		d.result("delivered")
		return true
	}
	if ctx.Err() != nil {
		return false // stopping: it stays queued, not counted
	}
	reason := err.Error()
	if deadline := it.Created.Add(d.o.MaxAge); !now.Before(deadline) {
		d.fail(ctx, it, status, reason)
		return true
	}
	wait := d.backoff(it.Attempts + 1)
	next := now.Add(wait)
	if deadline := it.Created.Add(d.o.MaxAge); next.After(deadline) {
		next = deadline // the last attempt is at MaxAge
	}
	d.log.Warn("webhooks: delivery will be retried", "event", n.Event, "delivery", n.DeliveryID, "target", core.NoticeTarget(n),
		"attempt", it.Attempts+1, "in", next.Sub(now), "err", reason)
	if err := d.o.Outbox.MarkRetry(ctx, it.ID, next, reason); err != nil {
		d.log.Error("webhooks: record the retry", "delivery", n.DeliveryID, "err", err)
	}
	d.result("retry")
	return false
}

// fail gives a delivery up: the store keeps it as a failed notice.
func (d *Deliverer) fail(ctx context.Context, it core.OutboxItem, status int, reason string) {
	d.log.Error("webhooks: delivery failed for good", "outbox", it.ID, "attempts", it.Attempts+1, "err", reason)
	if err := d.o.Outbox.MarkFailed(ctx, it.ID, status, reason, false); err != nil {
		d.log.Error("webhooks: record the failure", "outbox", it.ID, "err", err)
	}
	d.result("failed")
}

func (d *Deliverer) result(r string) {
	if d.o.Result != nil {
		d.o.Result(r)
	}
}

// backoff is the wait after the nth failed attempt.
func (d *Deliverer) backoff(n int) time.Duration {
	w := d.o.Backoff << min(n-1, 30)
	if w <= 0 || w > d.o.MaxBackoff {
		w = d.o.MaxBackoff
	}
	return w
}

// post sends one signed attempt; any 2xx answer is a delivery.
func (d *Deliverer) post(ctx context.Context, n *core.Notice, secret string) (int, error) {
	ctx, cancel := context.WithTimeout(ctx, d.o.Timeout)
	defer cancel()
	return Post(ctx, d.o.Client, n.URL, secret, n.Event, n.DeliveryID, []byte(n.Body), d.o.Clock())
}

// Post sends one webhook request, signed at now, and reads the answer: a
// 2xx status is success; anything else is an error naming the status.
func Post(ctx context.Context, client *http.Client, url, secret, event, delivery string, body []byte, now time.Time) (int, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return 0, fmt.Errorf("webhook request: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "AllMyLeads-Webhooks/1")
	req.Header.Set(HeaderEvent, event)
	req.Header.Set(HeaderDelivery, delivery)
	req.Header.Set(HeaderSignature, Sign(secret, now, body))
	resp, err := client.Do(req)
	if err != nil {
		var ue *neturl.Error
		if errors.As(err, &ue) {
			err = ue.Err // without the URL, whose query may hold a secret
		}
		return 0, fmt.Errorf("POST %s: %w", core.NoticeTarget(&core.Notice{URL: url}), err)
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return resp.StatusCode, fmt.Errorf("the receiver answered %s", resp.Status)
	}
	return resp.StatusCode, nil
}

// SendTest posts a signed sample event to a webhook (`allmyleads webhooks
// test URL`): a lead.created about a made-up customer, marked "test", so
// a receiver can be checked end to end before real leads arrive.
func SendTest(ctx context.Context, client *http.Client, w Webhook, now time.Time) (Body, int, error) {
	b := Body{ID: randomID("evt_test_"), Type: core.EventLeadCreated, CreatedAt: now.UTC(), Test: true, Data: Data{
		Lead:    LeadData{ID: "test0000000000000000lead", Name: "Jane Example", Phone: "+447700900000", Email: "jane@example.com", Address: "1 Example Street, Bristol BS1 1AA", Channel: "whatsapp", Stage: core.StageNew},
		Project: &ProjectData{ID: "p_test", Service: "roofing", Description: "A sample event from allmyleads webhooks test."},
	}}
	body, err := json.Marshal(b)
	if err != nil {
		return b, 0, err
	}
	if client == nil {
		client = &http.Client{Timeout: 10 * time.Second}
	}
	status, err := Post(ctx, client, w.URL, w.Secret, b.Type, randomID("dlv_test_"), body, now)
	return b, status, err
}
