// Package owner is the business's side of AllMyLeads: a JSON API under
// /api/v1 (bearer tokens, problem+json errors, cursor pagination, an
// OpenAPI document) and the web console under /console/ (server-rendered
// pages, a small script of our own for live updates), served by one
// handler that `allmyleads serve` mounts on its router and a test serves
// alone with httptest.
//
// It reads through core.Records and writes through core.OwnerStore and the
// Engine: every change to a conversation (take over, reply, hand back,
// revise, approve or settle a quote) is a turn of the engine, one contact
// at a time, and every change is audited with the person who made it. It
// never imports a store backend or a channel.
package owner

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/gorilla/mux"

	"github.com/allmyleads/allmyleads/engine"
	"github.com/allmyleads/allmyleads/engine/core"
	"github.com/allmyleads/allmyleads/flows"
)

// Engine is what the owner's side needs of the conversation engine
// (*engine.Engine).
type Engine interface {
	TakeOver(ctx context.Context, contact, actor string) error
	Release(ctx context.Context, contact, actor string) error
	Reply(ctx context.Context, contact, actor string, out core.Outbound) (core.Outbound, error)
	ReviseQuote(ctx context.Context, contact, quoteID, actor string, r engine.QuoteRevision) (*core.QuoteRecord, error)
	ApproveQuote(ctx context.Context, contact, quoteID, actor string) (*core.QuoteRecord, error)
	SettleQuote(ctx context.Context, contact, quoteID, actor, outcome, reason, ref string) (*core.QuoteRecord, error)
	Exclusive(contact string, fn func() error) error
}

// Rights carries out a customer's rights from the lead page: export,
// correction and erasure (the store).
type Rights interface {
	core.Rights
	// Correct changes one field of the contact's data; CorrectableFields
	// lists the fields.
	Correct(ctx context.Context, contact, field, value, actor string) error
	CorrectableFields() []string
}

// MediaSource gives stored photos and files with their bytes.
type MediaSource interface {
	Media(ctx context.Context, id string) (*core.Media, error)
}

// Options are the handler's dependencies and settings.
type Options struct {
	// Prefix is where the handler is mounted ("" for the root): the API is
	// at Prefix/api/v1, the console at Prefix/console/.
	Prefix  string
	Records core.Records    // required
	Owner   core.OwnerStore // required
	Engine  Engine          // required
	Rights  Rights          // required
	Media   MediaSource     // required
	// Templates are the approved WhatsApp templates the reply box offers
	// once the 24-hour window has closed.
	Templates []core.Template
	Business  string // the business's name, for page titles
	// SecureCookies marks the session cookie Secure; it is also set for a
	// request that came over HTTPS (directly or X-Forwarded-Proto from a
	// proxy on loopback).
	SecureCookies bool
	// LoginRate is how many login attempts one address may make per
	// minute (default 10).
	LoginRate int
	// SessionTTL is how long a console login lasts (default 12 h).
	SessionTTL time.Duration
	Clock      func() time.Time
	Logger     *slog.Logger
	// Payments sends a quote's payment link when the owner asks (the
	// engine); nil: no payment provider, no button (payments.go).
	Payments PaymentLinks

	// Notices are the notices that failed for good, shown in Needs me
	// (the store); nil shows none.
	Notices core.NoticeLog
	// Funnel counts where conversations stop (the store); Flows and
	// StartFlow put its steps in order and name what each asks. Nil: an
	// empty funnel.
	Funnel    core.Funnel
	Flows     *flows.Set
	StartFlow string
}

// Handler serves the API and the console.
type Handler struct {
	o      Options
	log    *slog.Logger
	router *mux.Router
	events *hub
	auth   *authenticator
	pages  *pages
	idem   *idempotency
	thumbs *thumbCache
}

// NewHandler checks the options and builds the handler.
func NewHandler(o Options) (*Handler, error) {
	if o.Records == nil || o.Owner == nil || o.Engine == nil || o.Rights == nil || o.Media == nil {
		return nil, errors.New("owner: Records, Owner, Engine, Rights and Media are required")
	}
	o.Prefix = strings.TrimSuffix(o.Prefix, "/")
	if o.Clock == nil {
		o.Clock = time.Now
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.LoginRate <= 0 {
		o.LoginRate = 10
	}
	if o.SessionTTL <= 0 {
		o.SessionTTL = 12 * time.Hour
	}
	if o.Business == "" {
		o.Business = "AllMyLeads"
	}
	h := &Handler{o: o, log: o.Logger, events: newHub(), idem: newIdempotency(o.Clock), thumbs: newThumbCache(256)}
	h.auth = newAuthenticator(o)
	p, err := newPages(h)
	if err != nil {
		return nil, err
	}
	h.pages = p
	h.router = mux.NewRouter()
	h.Routes(h.router)
	return h, nil
}

// ServeHTTP serves the handler's routes.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) { h.router.ServeHTTP(w, r) }

// Notify tells the console a contact's conversation changed (the engine's
// OnCommit), for live updates.
func (h *Handler) Notify(contact string) {
	h.events.publish(event{Type: "lead", Lead: h.o.Records.LeadID(contact)})
}

// NotifyLead is Notify by lead id: another process sharing the store
// committed a turn of the lead (serve on Postgres).
func (h *Handler) NotifyLead(id string) {
	h.events.publish(event{Type: "lead", Lead: id})
}

// Close ends the live-update streams (before the server shuts down).
func (h *Handler) Close() { h.events.close() }

// route is one API route: its method, path (under /api/v1) and handler.
type route struct {
	method, path string
	write        bool // changes something: refused to read-only tokens
	fn           func(w http.ResponseWriter, r *http.Request, a *actor)
}

// Routes mounts the API and the console on r under the prefix.
func (h *Handler) Routes(r *mux.Router) {
	base := h.o.Prefix
	r.HandleFunc(base+"/api/v1/openapi.json", h.openAPI).Methods(http.MethodGet)
	for _, rt := range h.apiRoutes() {
		r.Handle(base+"/api/v1"+rt.path, h.api(rt)).Methods(rt.method)
	}
	api := r.PathPrefix(base + "/api/").Subrouter()
	api.NotFoundHandler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		problem(w, http.StatusNotFound, "no such route", "", "")
	})
	api.MethodNotAllowedHandler = api.NotFoundHandler
	h.pages.routes(r, base+"/console")
}

// api wraps an API route: authentication, read-only tokens, panics as
// problems, security headers.
func (h *Handler) api(rt route) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if p := recover(); p != nil {
				h.log.Error("owner api: panic", "route", rt.path, "panic", fmt.Sprint(p))
				problem(w, http.StatusInternalServerError, "internal error", "the server could not complete the request", "")
			}
		}()
		w.Header().Set("X-Content-Type-Options", "nosniff")
		w.Header().Set("Cache-Control", "no-store")
		a, err := h.auth.request(r)
		if err != nil {
			w.Header().Set("WWW-Authenticate", `Bearer realm="allmyleads"`)
			problem(w, http.StatusUnauthorized, "unauthorized", err.Error(), "Authorization")
			return
		}
		if rt.write && a.readOnly {
			problem(w, http.StatusForbidden, "read-only token", "this token may only read", "Authorization")
			return
		}
		if rt.write && a.session != nil && !a.session.csrfOK(r.Header.Get("X-CSRF-Token")) {
			problem(w, http.StatusForbidden, "missing CSRF token", "send the console's X-CSRF-Token header", "X-CSRF-Token")
			return
		}
		rt.fn(w, r, a)
	})
}

// actor is who makes a request.
type actor struct {
	name     string // for the audit log: "token:NAME" or "owner"
	readOnly bool
	session  *session // set for a console login
}

// hashToken is the stored form of a token's secret.
func hashToken(secret string) string {
	sum := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(sum[:])
}

// HashToken returns the hash stored for a token's secret (the token
// command stores it).
func HashToken(secret string) string { return hashToken(secret) }

// bearer reads an Authorization: Bearer header.
func bearer(r *http.Request) (string, bool) {
	v := r.Header.Get("Authorization")
	scheme, tok, ok := strings.Cut(v, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") || strings.TrimSpace(tok) == "" {
		return "", false
	}
	return strings.TrimSpace(tok), true
}

// equal compares secrets in constant time.
func equal(a, b string) bool { return subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1 }
