package whatsapp

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/gorilla/mux"

	"github.com/allmyleads/allmyleads/engine/core"
)

// WebhookPath is where Meta sends the webhook (configure it in the app's
// WhatsApp settings as https://HOST/webhooks/whatsapp).
const WebhookPath = "/webhooks/whatsapp"

// MaxWebhookBytes is the largest webhook body accepted (Meta's are a few
// kilobytes).
const MaxWebhookBytes = 1 << 20

// SignatureHeader carries the HMAC-SHA256 of the raw body, keyed with the
// app secret: "sha256=<hex>".
const SignatureHeader = "X-Hub-Signature-256"

// WebhookOptions configure the HTTP handler.
type WebhookOptions struct {
	AppSecret   string     // WHATSAPP_APP_SECRET; without it POSTs are answered 503
	VerifyToken string     // WHATSAPP_VERIFY_TOKEN; without it the handshake is answered 503
	Inbox       core.Inbox // where raw payloads are stored before the 200
	// Stored is called with each payload once it is stored (the
	// processor's Add), so processing starts at once.
	Stored func(core.InboxItem)
	// Ready reports whether the process can take work (store open,
	// workers running); nil means ready.
	Ready  func() error
	Logger *slog.Logger
	Clock  func() time.Time
	// BadSignature is told of each POST refused for a missing or wrong
	// signature (metrics); nil skips it.
	BadSignature func()
}

// Webhook is the HTTP side of the channel: the verification handshake,
// signed POSTs into the durable inbox, and the health endpoints.
type Webhook struct {
	opts WebhookOptions
	log  *slog.Logger
}

// NewWebhook returns the handler; Routes or Handler mount it.
func NewWebhook(o WebhookOptions) *Webhook {
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Clock == nil {
		o.Clock = time.Now
	}
	if o.Stored == nil {
		o.Stored = func(core.InboxItem) {}
	}
	return &Webhook{opts: o, log: o.Logger}
}

// Routes mounts the webhook and health endpoints on r.
func (w *Webhook) Routes(r *mux.Router) {
	r.HandleFunc(WebhookPath, w.verify).Methods(http.MethodGet)
	r.HandleFunc(WebhookPath, w.receive).Methods(http.MethodPost)
	r.HandleFunc("/healthz", w.healthz).Methods(http.MethodGet, http.MethodHead)
	r.HandleFunc("/readyz", w.readyz).Methods(http.MethodGet, http.MethodHead)
}

// Handler returns a router with the webhook and health endpoints.
func (w *Webhook) Handler() http.Handler {
	r := mux.NewRouter()
	w.Routes(r)
	return r
}

func plain(rw http.ResponseWriter, status int, msg string) {
	rw.Header().Set("Content-Type", "text/plain; charset=utf-8")
	rw.Header().Set("X-Content-Type-Options", "nosniff")
	rw.WriteHeader(status)
	_, _ = io.WriteString(rw, msg+"\n")
}

func (w *Webhook) badSignature() {
	if w.opts.BadSignature != nil {
		w.opts.BadSignature()
	}
}

// verify answers Meta's subscription handshake: the raw hub.challenge when
// hub.mode is subscribe and hub.verify_token matches.
func (w *Webhook) verify(rw http.ResponseWriter, r *http.Request) {
	if w.opts.VerifyToken == "" {
		plain(rw, http.StatusServiceUnavailable, "webhook not configured: set WHATSAPP_VERIFY_TOKEN")
		return
	}
	q := r.URL.Query()
	token := q.Get("hub.verify_token")
	if q.Get("hub.mode") != "subscribe" ||
		subtle.ConstantTimeCompare([]byte(token), []byte(w.opts.VerifyToken)) != 1 {
		w.log.Warn("webhook verification refused", "mode", q.Get("hub.mode"))
		plain(rw, http.StatusForbidden, "verification failed")
		return
	}
	rw.Header().Set("Content-Type", "text/plain; charset=utf-8")
	rw.Header().Set("X-Content-Type-Options", "nosniff")
	rw.WriteHeader(http.StatusOK)
	_, _ = io.WriteString(rw, q.Get("hub.challenge"))
}

// receive checks the signature on the exact bytes received, stores the
// payload in the inbox and answers 200; processing happens later.
func (w *Webhook) receive(rw http.ResponseWriter, r *http.Request) {
	if w.opts.AppSecret == "" {
		plain(rw, http.StatusServiceUnavailable, "webhook not configured: set WHATSAPP_APP_SECRET")
		return
	}
	if w.opts.Inbox == nil {
		plain(rw, http.StatusServiceUnavailable, "webhook not ready: no inbox")
		return
	}
	sig := r.Header.Get(SignatureHeader)
	if sig == "" {
		w.badSignature()
		plain(rw, http.StatusUnauthorized, "missing "+SignatureHeader)
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(rw, r.Body, MaxWebhookBytes))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			plain(rw, http.StatusRequestEntityTooLarge, "body larger than 1 MiB")
			return
		}
		plain(rw, http.StatusBadRequest, "could not read the body")
		return
	}
	if !ValidSignature(w.opts.AppSecret, body, sig) {
		w.log.Warn("webhook signature mismatch", "bytes", len(body))
		w.badSignature()
		plain(rw, http.StatusUnauthorized, "bad "+SignatureHeader)
		return
	}
	if err := checkEnvelope(body); err != nil {
		plain(rw, http.StatusBadRequest, err.Error())
		return
	}
	// The payload is stored even if Meta hangs up now: WithoutCancel keeps
	// a half-written request from leaving the store call half done.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(r.Context()), 10*time.Second)
	defer cancel()
	received := w.opts.Clock()
	id, mine, err := w.store(ctx, body, received)
	if err != nil {
		w.log.Error("webhook: store payload", "err", err)
		plain(rw, http.StatusInternalServerError, "could not store the payload; Meta will retry")
		return
	}
	if mine {
		w.opts.Stored(core.InboxItem{ID: id, Channel: ChannelName, Body: body, Received: received})
	}
	rw.WriteHeader(http.StatusOK)
}

// store writes a payload to the inbox. An inbox that several processes
// share (core.LaneInbox) is told whose messages it carries, so one
// contact's messages are handled in the order they arrived whichever
// process received them; mine says this process may process it now.
func (w *Webhook) store(ctx context.Context, body []byte, received time.Time) (id string, mine bool, err error) {
	li, ok := w.opts.Inbox.(core.LaneInbox)
	if !ok {
		id, err = w.opts.Inbox.AddInbox(ctx, ChannelName, body, received)
		return id, err == nil, err
	}
	return li.AddInboxFor(ctx, ChannelName, body, received, payloadContacts(body))
}

// payloadContacts are the contacts whose messages a payload carries; none
// for a payload that does not parse (it is dropped when processed).
func payloadContacts(body []byte) []string {
	b, err := ParseWebhook(body)
	if err != nil {
		return nil
	}
	seen := map[string]bool{}
	var out []string
	for _, m := range b.Messages {
		if m.Contact != "" && !seen[m.Contact] {
			seen[m.Contact] = true
			out = append(out, m.Contact)
		}
	}
	return out
}

// ValidSignature says whether header ("sha256=<hex>") is the HMAC-SHA256 of
// body keyed with secret. The comparison takes constant time.
func ValidSignature(secret string, body []byte, header string) bool {
	hexSig, ok := strings.CutPrefix(strings.TrimSpace(header), "sha256=")
	if !ok {
		return false
	}
	got, err := hex.DecodeString(hexSig)
	if err != nil {
		return false
	}
	return hmac.Equal(got, Sign(secret, body))
}

// Sign returns the HMAC-SHA256 of body keyed with secret; tests and the
// bench command use it to sign webhooks as Meta does.
func Sign(secret string, body []byte) []byte {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write(body)
	return m.Sum(nil)
}

// SignatureHeaderValue is the X-Hub-Signature-256 value for body.
func SignatureHeaderValue(secret string, body []byte) string {
	return "sha256=" + hex.EncodeToString(Sign(secret, body))
}

// checkEnvelope is the cheap check before storing: a JSON object whose
// object is whatsapp_business_account with an entry array. The full parse
// happens in the processor.
func checkEnvelope(body []byte) error {
	var env struct {
		Object string          `json:"object"`
		Entry  json.RawMessage `json:"entry"`
	}
	if err := json.Unmarshal(body, &env); err != nil {
		var se *json.SyntaxError
		if errors.As(err, &se) {
			return errors.New("malformed JSON")
		}
		return errors.New("not a webhook object")
	}
	if env.Object != WhatsAppObject {
		return errors.New(`object: want "whatsapp_business_account"`)
	}
	if e := bytes.TrimSpace(env.Entry); len(e) == 0 || e[0] != '[' {
		return errors.New("entry: want an array")
	}
	return nil
}

func (w *Webhook) healthz(rw http.ResponseWriter, _ *http.Request) {
	plain(rw, http.StatusOK, "ok")
}

func (w *Webhook) readyz(rw http.ResponseWriter, _ *http.Request) {
	if w.opts.Ready != nil {
		if err := w.opts.Ready(); err != nil {
			plain(rw, http.StatusServiceUnavailable, "not ready: "+err.Error())
			return
		}
	}
	plain(rw, http.StatusOK, "ready")
}
