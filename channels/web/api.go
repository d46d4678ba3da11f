package web

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/allmyleads/allmyleads/engine/core"
)

// apiError is the body of every refusal: a code a program can test and
// a sentence a person can read.
type apiError struct {
	Error   string `json:"error"`
	Message string `json:"message"`
}

// fail answers a refusal with JSON and tells the hooks.
func (c *Channel) fail(w http.ResponseWriter, status int, code, msg string) {
	if c.o.Hooks.Rejected != nil {
		c.o.Hooks.Rejected(code)
	}
	writeJSON(w, status, apiError{Error: code, Message: msg})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// Handler serves the page, the widget script, the static files and the API
// under the prefix.
func (c *Channel) Handler() http.Handler {
	mux := http.NewServeMux()
	p := c.prefix
	mux.HandleFunc("GET "+p+"{$}", c.servePage)
	mux.HandleFunc("GET "+p+"widget.js", c.serveWidget)
	mux.Handle("GET "+p+"static/", http.StripPrefix(p+"static/", staticFiles()))
	mux.HandleFunc("POST "+p+"api/start", c.api(c.start))
	mux.HandleFunc("POST "+p+"api/messages", c.api(c.message))
	mux.HandleFunc("POST "+p+"api/photos", c.api(c.photo))
	mux.HandleFunc("POST "+p+"api/ack", c.api(c.ackMessages))
	mux.HandleFunc("GET "+p+"api/events", c.api(c.events))
	mux.HandleFunc("GET "+p+"api/media/{id}", c.media)
	mux.HandleFunc(p+"api/", func(w http.ResponseWriter, r *http.Request) {
		c.fail(w, http.StatusNotFound, "not_found", "no such API: "+r.Method+" "+r.URL.Path)
	})
	return c.recoverer(mux)
}

// recoverer turns a panic into a 500 for that request, never a crash.
func (c *Channel) recoverer(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if p := recover(); p != nil {
				if p == http.ErrAbortHandler {
					panic(p)
				}
				c.log.Error("web chat: panic", "path", r.URL.Path, "panic", fmt.Sprint(p))
				c.fail(w, http.StatusInternalServerError, "internal", "Something went wrong on our side; please try again.")
			}
		}()
		h.ServeHTTP(w, r)
	})
}

// api checks what every API call needs — an allowed origin and a valid
// token — before the handler runs for the visitor.
func (c *Channel) api(h func(w http.ResponseWriter, r *http.Request, contact string)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if origin, ok := c.origins.check(r); !ok {
			c.fail(w, http.StatusForbidden, "forbidden_origin", fmt.Sprintf("Requests from %q may not use this chat; add the site to web.allowed_origins.", origin))
			return
		}
		contact, err := c.visitor(r)
		if err != nil {
			c.fail(w, http.StatusUnauthorized, "bad_token", "Your chat session is not valid (it may have expired); reload the page to start a new one.")
			return
		}
		h(w, r, contact)
	}
}

// visitor reads the contact from the Authorization header or the cookie.
func (c *Channel) visitor(r *http.Request) (string, error) {
	if tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer "); ok {
		return c.tokens.contact(strings.TrimSpace(tok))
	}
	if ck, err := r.Cookie(CookieName); err == nil {
		return c.tokens.contact(ck.Value)
	}
	return "", errBadToken
}

// allowMessage applies the per-address and per-visitor message rates.
func (c *Channel) allowMessage(w http.ResponseWriter, r *http.Request, contact string) bool {
	if ok, wait := c.byIP.allow(clientIP(r, c.o.ClientIPHeader)); !ok {
		c.tooMany(w, wait, "Too many messages from your network; wait a moment and try again.")
		return false
	}
	if ok, wait := c.byUser.allow(contact); !ok {
		c.tooMany(w, wait, "You are sending messages very fast; wait a moment and try again.")
		return false
	}
	return true
}

func (c *Channel) tooMany(w http.ResponseWriter, wait time.Duration, msg string) {
	w.Header().Set("Retry-After", strconv.Itoa(int(math.Ceil(wait.Seconds()))))
	c.fail(w, http.StatusTooManyRequests, "rate_limited", msg)
}

// readBody reads at most max bytes, answering 413 past it.
func (c *Channel) readBody(w http.ResponseWriter, r *http.Request, max int64, what string) ([]byte, bool) {
	tooBig := func() {
		c.fail(w, http.StatusRequestEntityTooLarge, "too_large", fmt.Sprintf("The %s is too large: the limit is %s.", what, sizeText(max)))
	}
	if r.ContentLength > max {
		tooBig()
		return nil, false
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, max))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			tooBig()
		} else {
			c.fail(w, http.StatusBadRequest, "bad_request", "The request could not be read; please try again.")
		}
		return nil, false
	}
	return body, true
}

func sizeText(n int64) string {
	if n >= 1<<20 && n%(1<<20) == 0 {
		return fmt.Sprintf("%d MiB", n>>20)
	}
	if n >= 1<<10 && n%(1<<10) == 0 {
		return fmt.Sprintf("%d KiB", n>>10)
	}
	return fmt.Sprintf("%d bytes", n)
}

// messageRequest is what the page posts for a typed message or a pressed
// button.
type messageRequest struct {
	ID         string `json:"id"`          // the page's id for the message, so a retry is not handled twice
	Text       string `json:"text"`        // typed text
	ReplyID    string `json:"reply_id"`    // a pressed button or list row
	ReplyTitle string `json:"reply_title"` // its title
	List       bool   `json:"list"`        // the option came from a list
}

// inbound starts an inbound message of the visitor with the page's id.
func (c *Channel) inbound(contact, clientID string, kind core.InboundKind) core.Inbound {
	if !validClientID(clientID) {
		clientID = newContactID()
	}
	return core.Inbound{Channel: ChannelName, Contact: contact, ID: core.URNPath(contact) + "." + clientID, Time: c.clock(), Kind: kind}
}

func validClientID(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_') {
			return false
		}
	}
	return true
}

// message hands a typed message or a pressed button to the engine.
func (c *Channel) message(w http.ResponseWriter, r *http.Request, contact string) {
	if !c.allowMessage(w, r, contact) {
		return
	}
	body, ok := c.readBody(w, r, c.limits.MaxBody, "message")
	if !ok {
		return
	}
	var req messageRequest
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		c.fail(w, http.StatusBadRequest, "bad_json", "The message must be a JSON object such as {\"text\": \"Hello\"}.")
		return
	}
	req.Text = strings.TrimSpace(req.Text)
	switch {
	case req.ReplyID != "":
		if len(req.ReplyID) > 256 || utf8.RuneCountInString(req.ReplyTitle) > 256 {
			c.fail(w, http.StatusBadRequest, "bad_reply", "reply_id and reply_title take at most 256 characters.")
			return
		}
	case req.Text == "":
		c.fail(w, http.StatusBadRequest, "empty", "The message is empty: send text or a reply_id.")
		return
	case !utf8.ValidString(req.Text):
		c.fail(w, http.StatusBadRequest, "bad_text", "The text is not valid UTF-8.")
		return
	case utf8.RuneCountInString(req.Text) > c.limits.MaxText:
		c.fail(w, http.StatusBadRequest, "text_too_long", fmt.Sprintf("The message is too long: at most %d characters.", c.limits.MaxText))
		return
	}
	in := c.inbound(contact, req.ID, core.InText)
	in.Text = req.Text
	if req.ReplyID != "" {
		in.Kind, in.Text, in.ReplyID, in.ReplyTitle = core.InButton, "", req.ReplyID, req.ReplyTitle
		if req.List {
			in.Kind = core.InList
		}
	}
	c.submit(w, r, in)
}

// photoTypes are the images the chat takes, by their sniffed type.
var photoTypes = map[string]string{"image/jpeg": ".jpg", "image/png": ".png", "image/webp": ".webp"}

// photo hands an uploaded photo to the engine: the raw bytes are the
// body, ?caption= its caption. Its type is read from the bytes, never from
// the name or the header.
func (c *Channel) photo(w http.ResponseWriter, r *http.Request, contact string) {
	if !c.allowMessage(w, r, contact) {
		return
	}
	// A phone on a slow network takes a while to send 5 MiB.
	_ = http.NewResponseController(w).SetReadDeadline(time.Now().Add(3 * time.Minute)) // the network's time, not the channel's clock
	data, ok := c.readBody(w, r, c.limits.MaxPhoto, "photo")
	if !ok {
		return
	}
	if len(data) == 0 {
		c.fail(w, http.StatusBadRequest, "empty", "The photo is empty.")
		return
	}
	mt, _, _ := mime.ParseMediaType(http.DetectContentType(data))
	ext, ok := photoTypes[mt]
	if !ok {
		c.fail(w, http.StatusBadRequest, "unsupported_media", fmt.Sprintf("This file looks like %s, not a photo; send a JPEG, PNG or WebP image.", mt))
		return
	}
	caption := strings.TrimSpace(r.URL.Query().Get("caption"))
	if utf8.RuneCountInString(caption) > 1024 {
		c.fail(w, http.StatusBadRequest, "text_too_long", "The caption is too long: at most 1024 characters.")
		return
	}
	in := c.inbound(contact, r.URL.Query().Get("id"), core.InImage)
	in.Text = caption
	in.Media = []core.Media{{MIME: mt, Caption: caption, Filename: "photo" + ext, Data: data, Size: len(data)}}
	c.submit(w, r, in)
}

// startText is what opening the chat says for a new visitor: the start
// flow answers it with its welcome.
const startText = "Hi"

// start begins the conversation of a visitor whose page has nothing to
// show: a new visitor says hi (once: the message id is theirs), a
// returning one is asked again the question their conversation waits at.
func (c *Channel) start(w http.ResponseWriter, r *http.Request, contact string) {
	if !c.allowMessage(w, r, contact) {
		return
	}
	sess, err := c.o.Store.Session(r.Context(), contact)
	if err != nil {
		c.log.Error("web chat: load session", "contact", c.o.Tag(contact), "err", err)
		c.fail(w, http.StatusInternalServerError, "internal", "Something went wrong on our side; please try again.")
		return
	}
	if sess == nil {
		in := c.inbound(contact, "start", core.InText)
		in.Text = startText
		c.submit(w, r, in)
		return
	}
	if c.o.Reminder != nil {
		if err := c.o.Reminder.Remind(r.Context(), contact); err != nil {
			c.log.Error("web chat: remind", "contact", c.o.Tag(contact), "err", err)
			c.fail(w, http.StatusInternalServerError, "internal", "Something went wrong on our side; please try again.")
			return
		}
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "resumed"})
}

// turnWait is how long a request waits for its turn to be committed
// before answering 202; the turn goes on either way.
const turnWait = 20 * time.Second

// submit hands a message to the engine and answers once its turn is
// committed (200), or 202 if that takes long. A visitor who closes the page
// meanwhile does not cut the turn short.
func (c *Channel) submit(w http.ResponseWriter, r *http.Request, in core.Inbound) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(r.Context()), 2*time.Minute)
	done := c.o.Dispatcher.Submit(ctx, in)
	wait := time.NewTimer(turnWait)
	defer wait.Stop()
	select {
	case err := <-done:
		cancel()
		switch {
		case err == nil:
			writeJSON(w, http.StatusOK, map[string]string{"id": in.ID, "status": "handled"})
		case errors.Is(err, core.ErrClosed):
			c.fail(w, http.StatusServiceUnavailable, "unavailable", "The chat is restarting; please send your message again in a moment.")
		default:
			c.log.Error("web chat: handle message", "contact", c.o.Tag(in.Contact), "err", err)
			c.fail(w, http.StatusInternalServerError, "internal", "Your message could not be handled; please try again.")
		}
	case <-wait.C:
		go func() { <-done; cancel() }()
		writeJSON(w, http.StatusAccepted, map[string]string{"id": in.ID, "status": "queued"})
	case <-r.Context().Done():
		go func() { <-done; cancel() }()
	}
}

// ackRequest lists the outbox ids a page has shown.
type ackRequest struct {
	IDs []string `json:"ids"`
}

func (c *Channel) ackMessages(w http.ResponseWriter, r *http.Request, contact string) {
	body, ok := c.readBody(w, r, c.limits.MaxBody, "acknowledgement")
	if !ok {
		return
	}
	var req ackRequest
	if err := json.Unmarshal(body, &req); err != nil || len(req.IDs) > 256 {
		c.fail(w, http.StatusBadRequest, "bad_json", "Send {\"ids\": [...]} with at most 256 ids.")
		return
	}
	if err := c.sender.ack(r.Context(), contact, req.IDs); err != nil {
		c.log.Error("web chat: record delivery", "contact", c.o.Tag(contact), "err", err)
		c.fail(w, http.StatusInternalServerError, "internal", "The delivery could not be recorded; it will be sent again.")
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// heartbeat keeps idle live connections open through proxies.
const heartbeat = 20 * time.Second

// events streams the visitor's messages as server-sent events, each with
// its outbox id, until the page goes away or the server shuts down.
func (c *Channel) events(w http.ResponseWriter, r *http.Request, contact string) {
	if ok, wait := c.conns.allow(clientIP(r, c.o.ClientIPHeader)); !ok {
		c.tooMany(w, wait, "Too many connections from your network; wait a moment.")
		return
	}
	s, err := c.hub.add(contact)
	if errors.Is(err, errHubClosed) {
		c.fail(w, http.StatusServiceUnavailable, "unavailable", "The chat is restarting; it reconnects by itself.")
		return
	}
	if err != nil {
		c.fail(w, http.StatusTooManyRequests, "too_many_connections", "This chat is open in too many tabs; close some and reload.")
		return
	}
	defer func() {
		if c.hub.remove(s) {
			c.sender.disconnected(contact)
		}
	}()
	rc := http.NewResponseController(w)
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Accel-Buffering", "no")
	write := func(b []byte) bool {
		_ = rc.SetWriteDeadline(time.Now().Add(15 * time.Second))
		if _, err := w.Write(b); err != nil {
			return false
		}
		return rc.Flush() == nil
	}
	w.WriteHeader(http.StatusOK)
	if !write([]byte("retry: 2000\n: connected\n\n")) {
		return
	}
	c.sender.connected(contact)
	tick := time.NewTicker(heartbeat)
	defer tick.Stop()
	var buf bytes.Buffer
	for {
		select {
		case ev := <-s.events:
			buf.Reset()
			fmt.Fprintf(&buf, "id: %s\nevent: message\ndata: %s\n\n", ev.id, ev.data)
			if !write(buf.Bytes()) {
				return
			}
		case <-tick.C:
			if !write([]byte(": ping\n\n")) {
				return
			}
		case <-s.done:
			return
		case <-r.Context().Done():
			return
		}
	}
}

// media serves a file sent to a visitor, through the signed link the
// message carried (an <img> cannot send a token).
func (c *Channel) media(w http.ResponseWriter, r *http.Request) {
	id, q := r.PathValue("id"), r.URL.Query()
	contact, err := core.NormalizeURN(core.SchemeWeb + ":" + q.Get("c"))
	exp, perr := strconv.ParseInt(q.Get("e"), 10, 64)
	if err != nil || perr != nil || !c.tokens.validMediaSig(contact, id+"|"+q.Get("e"), q.Get("s")) {
		c.fail(w, http.StatusNotFound, "not_found", "No such file.")
		return
	}
	if c.clock().Unix() > exp {
		c.fail(w, http.StatusGone, "expired", "This link has expired.")
		return
	}
	m, err := c.o.Store.Media(r.Context(), id)
	if errors.Is(err, core.ErrNotFound) {
		c.fail(w, http.StatusNotFound, "not_found", "No such file.")
		return
	}
	if err != nil {
		c.log.Error("web chat: load media", "err", err)
		c.fail(w, http.StatusInternalServerError, "internal", "The file could not be loaded.")
		return
	}
	h := w.Header()
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Cache-Control", "private, max-age=3600")
	h.Set("Content-Security-Policy", "default-src 'none'; sandbox")
	if _, ok := photoTypes[m.MIME]; ok {
		h.Set("Content-Type", m.MIME)
	} else {
		h.Set("Content-Type", "application/octet-stream")
		name := m.Filename
		if name == "" {
			name = "file"
		}
		h.Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": name}))
	}
	_, _ = w.Write(m.Data)
}
